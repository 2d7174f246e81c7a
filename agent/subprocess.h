/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Starting a helper program (the runtime, the shim, the image helper) from
 * the daemon, or the runtime from the shim (which links this file alone):
 * posix_spawn, so the child borrows the parent's memory until it execs
 * instead of copying its page tables, with default signal dispositions and
 * an empty signal mask (both parents block signals for their signalfds and
 * ignore SIGPIPE). The caller's file actions place the child's
 * descriptors; the daemon's other descriptors are all close-on-exec, the
 * shim closes its own with addclosefrom.
 */
#include <spawn.h>
#include <sys/types.h>

/* 0, or the positive errno of the failed spawn or exec. */
int spawn_clean(pid_t *pid, const char *path, char *const argv[],
		const posix_spawn_file_actions_t *fa);
