/* SPDX-License-Identifier: Apache-2.0 */
/* Telemetry: instance health and per-task usage from the task cgroups. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "cgroup.h"
#include "engine-internal.h"
#include "procfs.h"

struct telemetry_buf {
	Ecsagent__InstanceHealth health;
	size_t n;
	Ecsagent__TaskStats *stats;
	Ecsagent__TaskStats **pstats;
	Ecsagent__CpuStats *cpu;
	Ecsagent__MemoryStats *mem;
};

static uint64_t mem_available_bytes(void)
{
	unsigned long long kb;
	return procfs_field("/proc/meminfo", "MemAvailable: %llu kB", &kb) ? (uint64_t)kb * 1024 : 0;
}

static void telemetry_free(struct telemetry_buf *b)
{
	if (!b)
		return;
	free(b->stats);
	free(b->pstats);
	free(b->cpu);
	free(b->mem);
	free(b);
}

void engine_telemetry_free(struct engine *e)
{
	telemetry_free(e->telemetry);
	e->telemetry = NULL;
}

int engine_fill_telemetry(struct engine *e, Ecsagent__TelemetryRequest *req, struct ecs_err *err)
{
	telemetry_free(e->telemetry);
	e->telemetry = NULL;
	struct telemetry_buf *b = calloc(1, sizeof(*b));
	unsigned active = engine_active_tasks(e);
	size_t cap = active ? active : 1;
	if (b) {
		b->stats = calloc(cap, sizeof(*b->stats));
		b->pstats = calloc(cap, sizeof(*b->pstats));
		b->cpu = calloc(cap, sizeof(*b->cpu));
		b->mem = calloc(cap, sizeof(*b->mem));
	}
	if (!b || !b->stats || !b->pstats || !b->cpu || !b->mem) {
		telemetry_free(b);
		return err_set(err, ENOMEM, "telemetry");
	}
	e->telemetry = b;

	Ecsagent__InstanceHealth h = ECSAGENT__INSTANCE_HEALTH__INIT;
	h.timestamp_ms = engine_now_ms();
	h.overall = ECSAGENT__COMPONENT_STATUS__OK;
	h.runtime = ECSAGENT__COMPONENT_STATUS__OK;
	h.agent = ECSAGENT__COMPONENT_STATUS__OK;
	struct statvfs vfs;
	h.disk = ECSAGENT__COMPONENT_STATUS__INSUFFICIENT_DATA;
	if (statvfs(e->p.cfg->datadir, &vfs) == 0) {
		h.disk_total_bytes = (uint64_t)vfs.f_blocks * vfs.f_frsize;
		h.disk_free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		h.disk = h.disk_free_bytes < 64u * 1024 * 1024 ? ECSAGENT__COMPONENT_STATUS__IMPAIRED
							      : ECSAGENT__COMPONENT_STATUS__OK;
	}
	h.running_tasks = active;
	h.memory_available_bytes = mem_available_bytes();
	b->health = h;
	req->instance_health = &b->health;

	for (struct etask *t = e->tasks; t && b->n < cap; t = t->next) {
		struct cgroup_stats cs;
		if (t->st.known_status != ST_RUNNING || cgroup_read_stats(t->cgroup, &cs, NULL) < 0)
			continue;
		size_t i = b->n++;
		Ecsagent__CpuStats cpu = ECSAGENT__CPU_STATS__INIT;
		cpu.usage_ns = cs.cpu_usage_ns;
		cpu.throttled_ns = cs.cpu_throttled_ns;
		Ecsagent__MemoryStats mem = ECSAGENT__MEMORY_STATS__INIT;
		mem.usage_bytes = cs.memory_usage_bytes;
		mem.max_usage_bytes = cs.memory_max_usage_bytes;
		mem.limit_bytes = cs.memory_limit_bytes;
		b->cpu[i] = cpu;
		b->mem[i] = mem;
		Ecsagent__TaskStats ts = ECSAGENT__TASK_STATS__INIT;
		ts.task_arn = t->st.arn;
		ts.timestamp_ms = h.timestamp_ms;
		ts.cpu = &b->cpu[i];
		ts.memory = &b->mem[i];
		b->stats[i] = ts;
		b->pstats[i] = &b->stats[i];
	}
	req->tasks = b->pstats;
	req->n_tasks = b->n;
	return 0;
}
