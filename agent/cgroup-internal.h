/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The pure half of the cgroup module: mountinfo parsing and mode detection,
 * path checks, the shares -> weight conversion and the parsing of cgroup
 * control files. Nothing here touches the file system or libcgroup, so the
 * unit tests and the fuzz target cover the v2 paths on a v1 host too.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "error.h"

/* A mounted cgroup hierarchy, as /proc/self/mountinfo shows it. */
struct cgroup_hierarchy {
	char *mount;       /* mount point, e.g. /sys/fs/cgroup/memory */
	char *options;     /* super options: "rw,memory", "rw,name=systemd"; "" for v2 */
	bool unified;      /* fstype cgroup2 */
};

struct cgroup_mounts {
	struct cgroup_hierarchy *h;
	size_t n;
	enum cgroup_mode mode;
	/* Index into h[] of the unified mount, or -1. */
	int unified;
};

/*
 * Parse mountinfo text into the cgroup hierarchies it lists and decide the
 * mode: v1 when a v1 hierarchy carries the cpu or memory controller (a hybrid
 * host with an empty or nearly empty unified mount counts as v1), otherwise v2
 * when a cgroup2 file system is mounted. No cgroup mount at all: -ENOENT.
 * Malformed lines are skipped. A mount point seen twice (bind mounts) is
 * listed once.
 */
int cgroup_mounts_parse(const char *mountinfo, size_t len, struct cgroup_mounts *out,
			struct ecs_err *err);
void cgroup_mounts_clear(struct cgroup_mounts *m);
/* Whether a v1 hierarchy's super options name `controller` ("memory"). */
bool cgroup_hierarchy_has(const struct cgroup_hierarchy *h, const char *controller);

/* A cgroup path the agent may create or remove: absolute, not "/", no empty,
 * "." or ".." components, no trailing slash, shorter than PATH_MAX. */
bool cgroup_path_valid(const char *path);

/* cpu.shares (2..262144, clamped) -> cpu.weight (1..10000), as runc and
 * systemd convert. 0 (unset) gives the kernel default weight, 100. */
uint64_t cgroup_shares_to_weight(int64_t shares);

/* One unsigned number, surrounding white space allowed. v2 "max" and v1's
 * page-rounded "unlimited" (anything from 2^62 up) read as 0 when
 * `max_is_zero`, otherwise "max" is -EINVAL. */
int cgroup_parse_u64(const char *text, bool max_is_zero, uint64_t *out);

/* The value of `key` in a flat keyed file ("key value" lines: cpu.stat,
 * memory.events, memory.oom_control). Missing key: -ENOENT. */
int cgroup_parse_keyed(const char *text, const char *key, uint64_t *out);

/* The contents of the files the stats come from; NULL for a file that could
 * not be read (memory.peak only exists on newer kernels). */
struct cgroup_stat_files {
	const char *cpu_usage;      /* v1 cpuacct.usage */
	const char *cpu_stat;       /* cpu.stat (v1 throttled_time, v2 usage_usec/throttled_usec) */
	const char *mem_usage;      /* v1 memory.usage_in_bytes, v2 memory.current */
	const char *mem_max_usage;  /* v1 memory.max_usage_in_bytes, v2 memory.peak */
	const char *mem_limit;      /* v1 memory.limit_in_bytes, v2 memory.max */
};

/* Fill `out` from the files; a file that is required but missing or
 * unparsable is -EINVAL naming it. v1 needs all but cpu_stat's throttling;
 * v2 needs cpu_stat, mem_usage and mem_limit. */
int cgroup_stats_parse(enum cgroup_mode mode, const struct cgroup_stat_files *f,
		       struct cgroup_stats *out, struct ecs_err *err);

/* Whether a memory.oom_control (v1) or memory.events (v2) text records an
 * OOM kill. */
bool cgroup_oom_parse(const char *text);

/*
 * Module state shared by cgroup.c and cgroup-remove.c (libcgroup's own state
 * is process-wide, so ours is too). Filled by cgroup_setup().
 */
struct cgroup_ctx {
	struct cgroup_mounts mounts;
	bool ready;
};
extern struct cgroup_ctx cgroup_ctx;

/* 0 when cgroup_setup() succeeded and `path` is valid, else -ENODEV/-EINVAL. */
int cgroup_check_ready(const char *path, struct ecs_err *err);

/* Whether a readdir() entry of `d` is a directory (child cgroup), also on
 * file systems that report DT_UNKNOWN. */
bool cgroup_dirent_is_dir(DIR *d, const struct dirent *de);
/* The hierarchy holding `controller` (v2: the unified mount), or NULL. */
const struct cgroup_hierarchy *cgroup_hierarchy_of(const char *controller);
/* buf = mount + path [+ "/" + file]; -ENAMETOOLONG if it does not fit. */
int cgroup_join(char *buf, size_t size, const char *mount, const char *path, const char *file,
		struct ecs_err *err);
