/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Starting a helper program (the runtime, the shim, the image helper) from
 * the daemon: posix_spawn, so the child borrows the daemon's memory until it
 * execs instead of copying its page tables, with default signal
 * dispositions and an empty signal mask (the daemon blocks signals for its
 * signalfds and ignores SIGPIPE). The caller's file actions place the
 * child's descriptors; every other descriptor of the daemon's is
 * close-on-exec.
 */
#include <spawn.h>
#include <sys/types.h>

/* 0, or the positive errno of the failed spawn or exec. */
int spawn_clean(pid_t *pid, const char *path, char *const argv[],
		const posix_spawn_file_actions_t *fa);
