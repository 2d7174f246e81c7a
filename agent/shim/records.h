/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The files the shim leaves in its state directory (see
 * runtime/shim-client.h for what each means). One place for their names
 * and format, shared by the writer (the shim) and the reader (the agent):
 *
 *   shim.pid   "N\n"
 *   started    "pid=N\nstarted_ms=T\n"
 *   exit       "exit_code=N\nsignal=S\noom_killed=0|1\nfinished_ms=T\n"
 *              plus "error=TEXT\n" when TEXT is not empty
 *
 * Numbers are canonical decimal (no sign except exit_code=-1, no leading
 * zeros). TEXT is one line of printable bytes. Readers refuse anything
 * else: unknown or repeated keys, missing keys, a missing final newline.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime/shim-client.h"

#define SHIM_PID_FILE "shim.pid"
#define SHIM_STARTED_FILE "started"
#define SHIM_EXIT_FILE "exit"
/* The runtime's --pid-file: the container's init pid. */
#define SHIM_CONTAINER_PID_FILE "container.pid"
/* No valid record is longer. */
#define SHIM_RECORD_MAX 1024

/* Format a record into buf; returns its length, or -ENOSPC. The exit
 * record's error text is made one printable line (control bytes become
 * spaces) and cut to fit struct shim_exit.error. */
int shim_record_format_pid(char *buf, size_t cap, pid_t pid);
int shim_record_format_started(char *buf, size_t cap, const struct shim_started *s);
int shim_record_format_exit(char *buf, size_t cap, const struct shim_exit *e);

/* Write dir/name atomically: dir/.name.tmp, rename; with `durable`, fsync
 * the file before the rename and the directory after it. Returns 0 or a
 * negative errno. (The shim's side; no struct ecs_err, the shim links libc
 * only.) Only `exit` needs to survive a power cut (the container's status
 * after the host comes back): shim.pid and `started` describe processes a
 * power cut ends anyway, and an agent killed with -9 still finds them in
 * the page cache, so they skip the two fsyncs on the path to a running
 * container. */
int shim_record_write(const char *dir, const char *name, const char *text, size_t len,
		      bool durable);

/* Parse a record held in memory (the agent's side, and the fuzz target). */
int shim_record_parse_pid(const char *buf, size_t len, pid_t *out, struct ecs_err *err);
int shim_record_parse_started(const char *buf, size_t len, struct shim_started *out,
			      struct ecs_err *err);
int shim_record_parse_exit(const char *buf, size_t len, struct shim_exit *out,
			   struct ecs_err *err);
