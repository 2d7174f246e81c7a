/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Running the OCI runtime's verbs from the shim. */
#include <stddef.h>
#include <sys/types.h>

/* Spawn argv[0] (spawn_clean of subprocess.h) with stdin/stdout/stderr set to the given fds and
 * nothing else open, default signal dispositions and an empty signal mask
 * (the shim ignores SIGTERM/SIGPIPE and blocks SIGCHLD; none of that may
 * leak into the runtime or, through it, the container). Returns the pid or
 * a negative errno. */
pid_t runcmd_spawn(char *const argv[], int in, int out, int err);

/* waitpid() for one child; returns its wait status or a negative errno. */
int runcmd_wait(pid_t pid);

/* Run argv with stdin and stdout on `devnull`, its stderr captured into
 * buf (NUL-terminated, cut at cap - 1 bytes). Returns the wait status or a
 * negative errno. */
int runcmd_capture(char *const argv[], int devnull, char *buf, size_t cap);

/* The one line of a runtime's stderr worth recording: the message of the
 * last error line (runc logs `time=".." level=error msg="..."`, the msg
 * unquoted), else the last non-empty line; trimmed, control characters as
 * spaces. */
void runcmd_error_line(const char *text, size_t len, char *line, size_t cap);

/* The one pid in a /proc/PID/task/TID/children text ("123 ") or a
 * runtime's pid file ("123"):
 * 0, -ESRCH with none, -E2BIG with more than one, -EINVAL for anything
 * that is not decimal pids separated by spaces. */
int runcmd_parse_one_pid(const char *text, size_t len, pid_t *out);

/* "exited with status N" / "killed by signal N" for a wait status. */
void runcmd_describe_status(int status, char *buf, size_t cap);
