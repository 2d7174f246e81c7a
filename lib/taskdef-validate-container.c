/* SPDX-License-Identifier: Apache-2.0 */
/* The registration rules for one container definition, on its own. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskdef-internal.h"

#define DOCKER_MIN_MEMORY_MIB 6
#define MAX_STOP_TIMEOUT 120
#define MAX_ENVIRONMENT_FILES 10

/* The capability names ECS accepts in linuxParameters.capabilities, plus the
 * newer kernel ones runc knows. */
static const char *const capabilities[] = {
	"ALL", "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF",
	"CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
	"IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE",
	"MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP",
	"SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE",
	"SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
};

static bool known_capability(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(capabilities); i++)
		if (strcmp(capabilities[i], s) == 0)
			return true;
	return false;
}

static void check_range(struct td_vctx *v, const char *base, const char *member,
			const struct td_int *x, int64_t min, int64_t max)
{
	if (x->set && (x->value < min || x->value > max))
		td_report(v, base, member, "must be between %lld and %lld", (long long)min,
			  (long long)max);
}

static const char *network_mode_name(enum td_network_mode m)
{
	static const char *const names[] = { "bridge", "host", "awsvpc", "none" };
	return names[m];
}

/* "first-last", 1 <= first < last <= 65535. */
static bool valid_port_range(const char *s)
{
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return false;
	long first = strtol(s, &end, 10);
	if (*end != '-' || !isdigit((unsigned char)end[1]))
		return false;
	long last = strtol(end + 1, &end, 10);
	return *end == '\0' && first >= 1 && first < last && last <= 65535;
}

static void check_port_mapping(struct td_vctx *v, const char *base,
			       const struct td_port_mapping *pm)
{
	if (pm->container_port_range) {
		if (pm->container_port.set)
			td_report(v, base, "containerPortRange",
				  "set either containerPort or containerPortRange, not both");
		if (pm->host_port.set)
			td_report(v, base, "hostPort",
				  "cannot be set with containerPortRange (ECS picks the host ports)");
		if (!valid_port_range(pm->container_port_range))
			td_report(v, base, "containerPortRange",
				  "\"%s\" is not a port range \"first-last\" with 1 <= first < last <= 65535",
				  pm->container_port_range);
		if (v->mode != TD_NET_BRIDGE && v->mode != TD_NET_AWSVPC && v->mode != TD_NET_UNKNOWN)
			td_report(v, base, "containerPortRange",
				  "port ranges need networkMode bridge or awsvpc");
		return;
	}
	if (!pm->container_port.set)
		td_report(v, base, "containerPort", "required: the port the container listens on");
	check_range(v, base, "containerPort", &pm->container_port, 1, 65535);
	check_range(v, base, "hostPort", &pm->host_port, 0, 65535);
	/* In awsvpc and host modes there is no port translation; 0 and absent
	 * both mean "the container port". */
	if ((v->mode == TD_NET_AWSVPC || v->mode == TD_NET_HOST) && pm->host_port.set &&
	    pm->host_port.value != 0 && pm->container_port.set &&
	    pm->host_port.value != pm->container_port.value)
		td_report(v, base, "hostPort",
			  "must equal containerPort (%lld) in %s network mode, or be omitted",
			  (long long)pm->container_port.value, network_mode_name(v->mode));
}

static void check_memory(struct td_vctx *v, const char *base, const struct td_container *c)
{
	if (c->memory.set && c->memory.value < DOCKER_MIN_MEMORY_MIB)
		td_report(v, base, "memory", "must be at least %d MiB (the Docker minimum)",
			  DOCKER_MIN_MEMORY_MIB);
	if (c->memory_reservation.set && c->memory_reservation.value < 1)
		td_report(v, base, "memoryReservation", "must be greater than 0");
	if (c->memory.set && c->memory_reservation.set &&
	    c->memory_reservation.value > c->memory.value)
		td_report(v, base, "memoryReservation",
			  "%lld MiB is more than the container's memory limit (%lld MiB)",
			  (long long)c->memory_reservation.value, (long long)c->memory.value);
	if (!c->memory.set && !c->memory_reservation.set && !v->td->memory)
		td_report(v, base, "memory",
			  "set memory or memoryReservation: the task has no task-level memory");
	if (c->cpu.set && c->cpu.value < 0)
		td_report(v, base, "cpu", "must not be negative");
}

static void check_health_check(struct td_vctx *v, const char *base,
			       const struct td_health_check *hc)
{
	char hbase[TD_PATH_MAX];
	td_pathf(hbase, sizeof(hbase), "%s.healthCheck", base);

	const struct td_strv *cmd = &hc->command;
	if (cmd->count == 0) {
		td_report(v, hbase, "command", "must not be empty: start with CMD or CMD-SHELL");
	} else if (strcmp(cmd->items[0], "CMD") != 0 && strcmp(cmd->items[0], "CMD-SHELL") != 0 &&
		   strcmp(cmd->items[0], "NONE") != 0) {
		td_report(v, hbase, "command",
			  "must start with CMD, CMD-SHELL or NONE (got \"%s\")", cmd->items[0]);
	} else if (cmd->count == 1 && strcmp(cmd->items[0], "NONE") != 0) {
		td_report(v, hbase, "command", "needs a command after %s", cmd->items[0]);
	}
	check_range(v, hbase, "interval", &hc->interval, 5, 300);
	check_range(v, hbase, "timeout", &hc->timeout, 2, 60);
	check_range(v, hbase, "retries", &hc->retries, 1, 10);
	check_range(v, hbase, "startPeriod", &hc->start_period, 0, 300);
}

static void check_linux_parameters(struct td_vctx *v, const char *base,
				   const struct td_linux_parameters *lp)
{
	char lbase[TD_PATH_MAX], path[TD_PATH_MAX];
	td_pathf(lbase, sizeof(lbase), "%s.linuxParameters", base);

	if (lp->shared_memory_size.set && lp->shared_memory_size.value < 1)
		td_report(v, lbase, "sharedMemorySize", "must be greater than 0 (MiB)");
	if (lp->max_swap.set && lp->max_swap.value < 0)
		td_report(v, lbase, "maxSwap", "must not be negative");
	check_range(v, lbase, "swappiness", &lp->swappiness, 0, 100);
	for (size_t i = 0; i < lp->tmpfs.count; i++) {
		const struct td_tmpfs *t = &lp->tmpfs.items[i];
		td_pathf(path, sizeof(path), "%s.tmpfs[%zu]", lbase, i);
		if (t->size.set && t->size.value < 1)
			td_report(v, path, "size", "must be greater than 0 (MiB)");
		if (t->container_path && t->container_path[0] != '/')
			td_report(v, path, "containerPath", "must be an absolute path");
	}
	for (size_t i = 0; i < lp->devices.count; i++)
		if (lp->devices.items[i].host_path && !lp->devices.items[i].host_path[0])
			td_report(v, td_pathf(path, sizeof(path), "%s.devices[%zu]", lbase, i),
				  "hostPath", "must not be empty");
	if (!lp->capabilities)
		return;
	const struct td_strv *lists[] = { &lp->capabilities->add, &lp->capabilities->drop };
	const char *names[] = { "add", "drop" };
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		for (size_t i = 0; i < lists[l]->count; i++)
			if (!known_capability(lists[l]->items[i]))
				td_report(v, td_pathf(path, sizeof(path), "%s.capabilities.%s[%zu]",
						      lbase, names[l], i),
					  NULL, "unknown Linux capability \"%s\" (write e.g. SYS_ADMIN)",
					  lists[l]->items[i]);
}

static void check_ulimits(struct td_vctx *v, const char *base, const struct td_container *c)
{
	char path[TD_PATH_MAX];
	for (size_t i = 0; i < c->ulimits.count; i++) {
		const struct td_ulimit *u = &c->ulimits.items[i];
		td_pathf(path, sizeof(path), "%s.ulimits[%zu]", base, i);
		if (u->soft_limit.set && u->hard_limit.set && u->soft_limit.value > u->hard_limit.value)
			td_report(v, path, "softLimit", "%lld is more than hardLimit (%lld)",
				  (long long)u->soft_limit.value, (long long)u->hard_limit.value);
		for (size_t j = 0; u->name && j < i; j++) {
			if (c->ulimits.items[j].name && !strcmp(c->ulimits.items[j].name, u->name)) {
				td_report(v, path, "name", "ulimit \"%s\" is already set by ulimits[%zu]",
					  u->name, j);
				break;
			}
		}
	}
}

/* Sysctls that live in the network or IPC namespace cannot be set when the
 * task shares the host's. */
static bool ipc_sysctl(const char *ns)
{
	static const char *const ipc[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
		if (strcmp(ns, ipc[i]) == 0)
			return true;
	return strncmp(ns, "fs.mqueue.", 10) == 0;
}

static void check_system_controls(struct td_vctx *v, const char *base,
				  const struct td_container *c)
{
	char path[TD_PATH_MAX];
	bool host_ipc = v->td->ipc_mode && strcmp(v->td->ipc_mode, "host") == 0;

	for (size_t i = 0; i < c->system_controls.count; i++) {
		const char *ns = c->system_controls.items[i].namespace;
		td_pathf(path, sizeof(path), "%s.systemControls[%zu]", base, i);
		if (!ns || !ns[0])
			td_report(v, path, "namespace", "required: the sysctl to set");
		else if (v->mode == TD_NET_HOST && strncmp(ns, "net.", 4) == 0)
			td_report(v, path, "namespace",
				  "network sysctls cannot be set in host network mode");
		else if (host_ipc && ipc_sysctl(ns))
			td_report(v, path, "namespace", "IPC sysctls cannot be set with ipcMode host");
	}
}

static bool positive_integer(const char *s)
{
	if (!s || !isdigit((unsigned char)*s))
		return false;
	char *end;
	long n = strtol(s, &end, 10);
	return *end == '\0' && n > 0;
}

static void check_resources(struct td_vctx *v, const char *base, const struct td_container *c)
{
	char path[TD_PATH_MAX];
	for (size_t i = 0; i < c->resource_requirements.count; i++) {
		const struct td_resource_requirement *r = &c->resource_requirements.items[i];
		td_pathf(path, sizeof(path), "%s.resourceRequirements[%zu]", base, i);
		if (!r->type || !r->value)
			continue;
		for (size_t j = 0; j < i; j++) {
			const char *t = c->resource_requirements.items[j].type;
			if (t && strcmp(t, r->type) == 0) {
				td_report(v, path, "type", "%s is already requested by resourceRequirements[%zu]",
					  r->type, j);
				break;
			}
		}
		if (strcmp(r->type, "GPU") == 0 && !positive_integer(r->value))
			td_report(v, path, "value", "must be a whole number of GPUs (got \"%s\")", r->value);
		if (strcmp(r->type, "InferenceAccelerator") == 0) {
			bool found = false;
			for (size_t k = 0; k < v->td->inference_accelerators.count; k++) {
				const char *d = v->td->inference_accelerators.items[k].device_name;
				found |= d && strcmp(d, r->value) == 0;
			}
			if (!found)
				td_report(v, path, "value",
					  "no inferenceAccelerators entry has deviceName \"%s\"", r->value);
		}
	}
}

static void check_logging(struct td_vctx *v, const char *base, const struct td_container *c)
{
	char path[TD_PATH_MAX];
	const struct td_firelens_configuration *fl = c->firelens_configuration;
	if (fl) {
		td_pathf(path, sizeof(path), "%s.firelensConfiguration.options", base);
		const char *type = td_map_get(&fl->options, "config-file-type");
		if (type && strcmp(type, "s3") != 0 && strcmp(type, "file") != 0)
			td_report(v, path, "config-file-type", "must be s3 or file (got \"%s\")", type);
		if (type && !td_map_get(&fl->options, "config-file-value"))
			td_report(v, path, "config-file-value",
				  "required with config-file-type: where the configuration file is");
	}
	for (size_t i = 0; i < c->environment_files.count; i++) {
		const char *arn = c->environment_files.items[i].value;
		if (arn && (strncmp(arn, "arn:", 4) != 0 || !strstr(arn, ":s3:::")))
			td_report(v, td_pathf(path, sizeof(path), "%s.environmentFiles[%zu]", base, i),
				  "value", "must be the ARN of an S3 object (arn:aws:s3:::bucket/file.env)");
	}
	if (c->environment_files.count > MAX_ENVIRONMENT_FILES)
		td_report(v, base, "environmentFiles", "at most %d files are allowed",
			  MAX_ENVIRONMENT_FILES);
}

void td_validate_container(struct td_vctx *v, size_t i)
{
	const struct td_container *c = &v->td->containers.items[i];
	char base[TD_PATH_MAX], path[TD_PATH_MAX];
	td_pathf(base, sizeof(base), "containerDefinitions[%zu]", i);

	if (!c->name)
		td_report(v, base, "name", "required parameter is missing");
	else if (!td_valid_name(c->name, 255))
		td_report(v, base, "name", TD_NAME_RULE, 255);
	if (!c->image || !c->image[0])
		td_report(v, base, "image", "required: the image to run");
	else if (strlen(c->image) > 255 || c->image[strcspn(c->image, " \t\r\n")])
		td_report(v, base, "image", "must be at most 255 characters, without whitespace");
	if (c->repository_credentials && c->repository_credentials->credentials_parameter &&
	    !c->repository_credentials->credentials_parameter[0])
		td_report(v, base, "repositoryCredentials.credentialsParameter", "must not be empty");

	check_memory(v, base, c);

	if (c->port_mappings.count > 0 && v->mode == TD_NET_NONE)
		td_report(v, base, "portMappings", "cannot be used with networkMode none");
	for (size_t j = 0; j < c->port_mappings.count; j++)
		check_port_mapping(v, td_pathf(path, sizeof(path), "%s.portMappings[%zu]", base, j),
				   &c->port_mappings.items[j]);

	if (c->start_timeout.set && c->start_timeout.value < 0)
		td_report(v, base, "startTimeout", "must not be negative");
	check_range(v, base, "stopTimeout", &c->stop_timeout, 0, MAX_STOP_TIMEOUT);

	if (c->health_check)
		check_health_check(v, base, c->health_check);
	if (c->linux_parameters)
		check_linux_parameters(v, base, c->linux_parameters);
	check_ulimits(v, base, c);
	check_system_controls(v, base, c);
	check_resources(v, base, c);
	check_logging(v, base, c);
}
