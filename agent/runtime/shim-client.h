/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Starting a container through its ecs-agent-shim, and reading what the
 * shim records.
 *
 * The shim is one process per container, in the manner of conmon. The agent
 * forks and execs it, or hands the command line to a spare shim it started
 * earlier (shim-spare.h); the shim calls setsid(), makes itself a child
 * subreaper, runs `RUNTIME run --detach` with pipes as the container's
 * stdout and stderr, and stays until the container's init exits.
 * It outlives an agent restart. Everything it has to tell is written
 * atomically (write to a temporary file, fsync, rename) into its state
 * directory:
 *
 *   shim.pid   the shim's pid, first thing after start
 *   started    after `run` succeeded: pid=N and started_ms=T lines
 *   exit       when the container is gone or could not start:
 *              exit_code=N (128+signal for a signal death), signal=S
 *              (0 if none), oom_killed=0|1, finished_ms=T, and error=TEXT
 *              when the runtime could not start it (exit_code is then -1)
 *
 * After writing `exit` the shim runs `RUNTIME delete --force` and exits.
 * The agent watches the directory with inotify; on a restart it reads the
 * files that appeared while it was away.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "runtime.h"
#include "shim-spare.h"
#include "taskdef.h"

enum shim_log_driver {
	SHIM_LOG_JSON_FILE,
	SHIM_LOG_JOURNALD,
	SHIM_LOG_NONE,
};

struct shim_log {
	enum shim_log_driver driver;
	const char *path;          /* json-file: the log file */
	uint64_t max_size;         /* json-file: bytes, 0 = no rotation */
	unsigned max_file;         /* json-file: files kept incl. the current, >= 1 */
	const char *const *fields; /* journald: "KEY=VALUE", NULL-terminated */
};

struct shim_params {
	const char *shim_binary;
	const struct runtime *runtime;
	const char *id;            /* OCI container id */
	const char *bundle;        /* directory with config.json */
	const char *state_dir;     /* where shim.pid/started/exit go (exists) */
	struct shim_log log;
	struct shim_spare *spare;  /* NULL, or one to use up (shim-spare.h) */
};

/* Start the shim: hand the command line to the spare when there is one,
 * else fork and exec. Returns its pid (>0) or a negative errno. The shim is
 * the caller's child; the caller reaps it (SIGCHLD). */
pid_t shim_spawn(const struct shim_params *p, struct ecs_err *err);

/* Parse the json-file logConfiguration options (max-size "10m", max-file
 * "3") into `log`; unknown options are -EINVAL naming them. */
int shim_log_options(const char *driver, const struct td_map *options, struct shim_log *log,
		     struct ecs_err *err);

struct shim_started {
	pid_t pid;
	int64_t started_ms;
};
struct shim_exit {
	int exit_code;      /* -1 when the container never started */
	int signal;
	bool oom_killed;
	int64_t finished_ms;
	char error[512];    /* "" unless create/start failed */
};
/* Read STATE_DIR/started or STATE_DIR/exit: -ENOENT while absent. */
int shim_read_started(const char *state_dir, struct shim_started *out, struct ecs_err *err);
int shim_read_exit(const char *state_dir, struct shim_exit *out, struct ecs_err *err);
/* STATE_DIR/shim.pid, -ENOENT when absent. */
int shim_read_pid(const char *state_dir, pid_t *out, struct ecs_err *err);
/* Whether `pid` is alive and is an ecs-agent-shim (by /proc/PID/cmdline)
 * for this state dir. */
bool shim_alive(pid_t pid, const char *state_dir);
/* Call fn for every live ecs-agent-shim whose state dir is `prefix` or lies
 * below it (found through /proc). Returns how many, or -errno. */
int shim_find(const char *prefix, void (*fn)(pid_t pid, const char *state_dir, void *ud),
	      void *ud);
