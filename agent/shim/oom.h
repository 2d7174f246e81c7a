/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Whether the kernel's OOM killer struck inside the container's memory
 * cgroup. The cgroup is looked up from /proc/PID/cgroup while the
 * container's init is alive (after create), and read once it has exited,
 * before `runtime delete` removes the cgroup.
 *
 *   v1: memory.oom_control "oom_kill N" (kernel >= 4.13), else
 *       memory.failcnt > 0 (the limit was hit: the best older kernels tell)
 *   v2: memory.events "oom_kill N"
 */
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct shim_oom {
	char dir[PATH_MAX]; /* the memory cgroup's directory, "" if unknown */
	bool v2;
};

/* Find the memory cgroup of `pid`. Missing pieces leave dir empty; the
 * container still runs, only OOM detection is off. `proc` and `sys_cgroup`
 * are /proc and /sys/fs/cgroup but for tests. */
void oom_capture(struct shim_oom *o, const char *proc, const char *sys_cgroup, pid_t pid);

/* Whether an OOM kill was recorded in the captured cgroup. */
bool oom_killed(const struct shim_oom *o);

/* The value of "KEY N" in a memory.events / memory.oom_control text, or -1. */
long long oom_counter(const char *text, const char *key);
