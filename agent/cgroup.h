/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Task-level cgroups through libcgroup, the only libcgroup user. A task gets
 * PARENT/<task id> holding the task's cpu and memory limits; each container
 * is a child PARENT/<task id>/<container> that the OCI runtime creates from
 * config.json's cgroupsPath, with the container's own shares and limits.
 * Works on cgroup v1 (cpu, cpuacct, memory, pids... hierarchies), on v2
 * (unified) and on hybrid hosts (v1 controllers plus an empty unified
 * mount, which counts as v1).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum cgroup_mode {
	CGROUP_MODE_V1,
	CGROUP_MODE_V2,
};

struct cgroup_limits {
	int64_t cpu_shares;        /* 0 = unset; v2: converted to cpu.weight */
	int64_t memory_bytes;      /* 0 = unlimited */
	int64_t memory_soft_bytes; /* 0 = unset; v1 memory.soft_limit_in_bytes, v2 memory.low */
};

struct cgroup_stats {
	uint64_t cpu_usage_ns;
	uint64_t cpu_throttled_ns;
	uint64_t memory_usage_bytes;
	uint64_t memory_max_usage_bytes;
	uint64_t memory_limit_bytes;   /* 0 = unlimited */
};

/* Initialise libcgroup and detect the mode; call once. */
int cgroup_setup(struct ecs_err *err);
enum cgroup_mode cgroup_get_mode(void);

/* Create `path` ("/ecs/<task id>", parents as needed) in the controllers the
 * agent uses, with the given limits. Existing: limits re-applied, 0. */
int cgroup_create(const char *path, const struct cgroup_limits *limits, struct ecs_err *err);
/* Remove `path` and every child cgroup beneath it in every hierarchy.
 * Absent: 0. A cgroup still holding processes: -EBUSY. */
int cgroup_remove(const char *path, struct ecs_err *err);
/* Whether `path` exists (in the memory hierarchy on v1). */
bool cgroup_exists(const char *path);
/* Names of the direct children of `path` (for the restart sweep). */
int cgroup_children(const char *path, char ***names, size_t *n, struct ecs_err *err);
/* Usage of `path` (task or container cgroup). */
int cgroup_read_stats(const char *path, struct cgroup_stats *out, struct ecs_err *err);
/* Whether the memory controller recorded an OOM kill in `path`. */
bool cgroup_oom_killed(const char *path);
