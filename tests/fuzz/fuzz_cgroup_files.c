/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the cgroup module's parsers of kernel text: mountinfo (mode
 * detection), flat keyed files, single numbers, the stats assembly of both
 * modes and the cgroup path check. Checks the invariants the callers rely on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	struct cgroup_mounts m = { .unified = -1 };
	if (cgroup_mounts_parse(text, size, &m, NULL) == 0) {
		if (m.mode == CGROUP_MODE_V2 && m.unified < 0)
			abort();
		if (m.unified >= (int)m.n)
			abort();
		for (size_t i = 0; i < m.n; i++)
			if (m.h[i].mount[0] != '/' || !m.h[i].options)
				abort();
	}
	cgroup_mounts_clear(&m);

	uint64_t v;
	cgroup_parse_keyed(text, "oom_kill", &v);
	cgroup_parse_u64(text, true, &v);
	cgroup_oom_parse(text);
	if (cgroup_path_valid(text) && (text[0] != '/' || strstr(text, "/../") || strstr(text, "//")))
		abort();

	struct cgroup_stat_files f = { text, text, text, text, text };
	struct cgroup_stats st;
	struct ecs_err err = { 0 };
	for (int mode = CGROUP_MODE_V1; mode <= CGROUP_MODE_V2; mode++) {
		if (cgroup_stats_parse((enum cgroup_mode)mode, &f, &st, &err) < 0 &&
		    (st.cpu_usage_ns || st.memory_usage_bytes || err.code == 0))
			abort();
	}
	return 0;
}
