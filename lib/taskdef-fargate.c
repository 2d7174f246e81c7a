/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a task definition that requires FARGATE compatibility may not do:
 * Fargate has its own network mode, fixed task sizes and no access to the
 * host (devices, privileged mode, host paths, Docker volumes).
 */
#include <string.h>

#include "taskdef-internal.h"

/* Valid task sizes: for each cpu, memory from min to max in steps of step
 * (MiB). 256 CPU units are the odd one out: 512, 1024 or 2048. */
static const struct fargate_size {
	int64_t cpu, min, max, step;
} fargate_sizes[] = {
	{ 256, 512, 512, 512 },
	{ 256, 1024, 2048, 1024 },
	{ 512, 1024, 4096, 1024 },
	{ 1024, 2048, 8192, 1024 },
	{ 2048, 4096, 16384, 1024 },
	{ 4096, 8192, 30720, 1024 },
	{ 8192, 16384, 61440, 4096 },
	{ 16384, 32768, 122880, 8192 },
};

static bool fargate_cpu(int64_t cpu)
{
	for (size_t i = 0; i < ARRAY_SIZE(fargate_sizes); i++)
		if (fargate_sizes[i].cpu == cpu)
			return true;
	return false;
}

static bool fargate_size(int64_t cpu, int64_t memory)
{
	for (size_t i = 0; i < ARRAY_SIZE(fargate_sizes); i++) {
		const struct fargate_size *s = &fargate_sizes[i];
		if (s->cpu == cpu && memory >= s->min && memory <= s->max &&
		    (memory - s->min) % s->step == 0)
			return true;
	}
	return false;
}

static void check_size(struct td_vctx *v)
{
	const struct taskdef *td = v->td;

	if (!td->cpu)
		td_report(v, "", "cpu", "required for FARGATE (for example \"256\" or \"1 vCPU\")");
	if (!td->memory)
		td_report(v, "", "memory", "required for FARGATE (for example \"512\" or \"2 GB\")");
	if (v->has_cpu && !fargate_cpu(v->cpu))
		td_report(v, "", "cpu",
			  "%lld CPU units is not a FARGATE size: use 256, 512, 1024, 2048, 4096, 8192 "
			  "or 16384",
			  (long long)v->cpu);
	else if (v->has_cpu && v->has_memory && !fargate_size(v->cpu, v->memory))
		td_report(v, "", "memory",
			  "%lld MiB is not a valid FARGATE memory size for %lld CPU units "
			  "(see docs/task-definition.md for the combinations)",
			  (long long)v->memory, (long long)v->cpu);
}

static void check_container(struct td_vctx *v, size_t i)
{
	const struct td_container *c = &v->td->containers.items[i];
	const struct td_linux_parameters *lp = c->linux_parameters;
	char base[TD_PATH_MAX];
	td_pathf(base, sizeof(base), "containerDefinitions[%zu]", i);

	if (c->privileged.set && c->privileged.value)
		td_report(v, base, "privileged", "privileged containers are not supported on FARGATE");
	if (c->docker_security_options.count > 0)
		td_report(v, base, "dockerSecurityOptions", "not supported on FARGATE");
	for (size_t k = 0; k < c->resource_requirements.count; k++) {
		const char *type = c->resource_requirements.items[k].type;
		if (type && strcmp(type, "GPU") == 0)
			td_report(v, base, "resourceRequirements", "GPUs are not supported on FARGATE");
	}
	if (!lp)
		return;
	if (lp->devices.count > 0)
		td_report(v, base, "linuxParameters.devices", "host devices are not supported on FARGATE");
	if (lp->shared_memory_size.set)
		td_report(v, base, "linuxParameters.sharedMemorySize", "not supported on FARGATE");
	if (lp->tmpfs.count > 0)
		td_report(v, base, "linuxParameters.tmpfs", "not supported on FARGATE");
	if (lp->max_swap.set)
		td_report(v, base, "linuxParameters.maxSwap", "not supported on FARGATE");
	if (lp->swappiness.set)
		td_report(v, base, "linuxParameters.swappiness", "not supported on FARGATE");
	if (lp->capabilities) {
		const struct td_strv *add = &lp->capabilities->add;
		for (size_t k = 0; k < add->count; k++)
			if (strcmp(add->items[k], "SYS_PTRACE") != 0) {
				char path[TD_PATH_MAX];
				td_report(v, td_pathf(path, sizeof(path), "%s.linuxParameters.capabilities.add[%zu]",
						      base, k),
					  NULL, "FARGATE only allows adding SYS_PTRACE");
			}
	}
}

void td_validate_fargate(struct td_vctx *v)
{
	const struct taskdef *td = v->td;
	char base[TD_PATH_MAX];
	const struct td_runtime_platform *rp = td->runtime_platform;
	bool windows = rp && rp->operating_system_family &&
		       strncmp(rp->operating_system_family, "WINDOWS", 7) == 0;

	if (v->mode != TD_NET_AWSVPC)
		td_report(v, "", "networkMode", "FARGATE requires networkMode awsvpc (got %s)",
			  td->network_mode ? td->network_mode : "none set, which means bridge");
	check_size(v);
	if (td->pid_mode && strcmp(td->pid_mode, "task") != 0)
		td_report(v, "", "pidMode", "FARGATE only supports pidMode task");
	if (td->ipc_mode)
		td_report(v, "", "ipcMode", "not supported on FARGATE");
	if (td->placement_constraints.count > 0)
		td_report(v, "", "placementConstraints", "placement constraints are not supported on FARGATE");
	if (td->inference_accelerators.count > 0)
		td_report(v, "", "inferenceAccelerators", "not supported on FARGATE");

	for (size_t i = 0; i < td->containers.count; i++)
		check_container(v, i);

	for (size_t i = 0; i < td->volumes.count; i++) {
		const struct td_volume *vol = &td->volumes.items[i];
		td_pathf(base, sizeof(base), "volumes[%zu]", i);
		if (vol->host && vol->host->source_path)
			td_report(v, base, "host.sourcePath",
				  "host paths are not supported on FARGATE (omit sourcePath for task storage)");
		if (vol->docker_volume_configuration)
			td_report(v, base, "dockerVolumeConfiguration", "Docker volumes are not supported on FARGATE");
		if (vol->fsx_windows_file_server_volume_configuration && !windows)
			td_report(v, base, "fsxWindowsFileServerVolumeConfiguration",
				  "not supported on FARGATE for Linux");
	}
}
