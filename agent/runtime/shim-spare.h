/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The agent's side of a spare shim (agent/shim/job.h): a shim started
 * before there is a container for it, handed the container's command line
 * through a pipe when one starts. The spare exits by itself when the pipe
 * closes without a job, so dropping it (or the agent's death) leaks
 * nothing.
 */
#include <sys/types.h>

#include "error.h"

struct shim_spare {
	pid_t pid; /* 0: none */
	int fd;    /* the job pipe's write end, -1: none */
};
#define SHIM_SPARE_NONE ((struct shim_spare){ .pid = 0, .fd = -1 })

/* Start a spare (there must be none). The spare is the caller's child;
 * the caller reaps it (SIGCHLD). */
int shim_spare_start(struct shim_spare *s, const char *shim_binary, struct ecs_err *err);

/* Hand `argv` (the shim command line, NULL-terminated) to the spare and
 * return its pid; the spare is then used up. -ENOENT without a spare,
 * -E2BIG for a command line longer than a spare takes (the spare is kept),
 * -EPIPE when the spare was gone (it is dropped). */
pid_t shim_spare_take(struct shim_spare *s, char *const argv[]);

/* Let the spare go: it exits. Accepts one that is none. */
void shim_spare_drop(struct shim_spare *s);
