/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration rules ECS applies to a task definition, task-level part.
 * Per-container rules are in taskdef-validate-container.c, references between
 * containers and volumes in taskdef-validate-refs.c, FARGATE's extra limits
 * in taskdef-fargate.c. The validator never assumes the parser ran: any
 * member may be absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "taskdef-internal.h"

#define MAX_CONTAINERS 10
#define MAX_TAGS 50
#define MAX_PLACEMENT_CONSTRAINTS 10
/* EC2 and EXTERNAL task-level cpu bounds (0.125 to 192 vCPU). */
#define TASK_CPU_MIN 128
#define TASK_CPU_MAX 196608
#define DOCKER_MIN_MEMORY_MIB 6
/* ECS's limit on a task definition, measured here on the compact JSON. It
 * also bounds the work of the rules below, some of which compare every pair
 * of items in a list. */
#define MAX_SIZE 65536

void td_report(struct td_vctx *v, const char *base, const char *member, const char *fmt, ...)
{
	char path[TD_PATH_MAX * 2];
	base = base ? base : "";
	member = member ? member : "";
	snprintf(path, sizeof(path), "%s%s%s", base, base[0] && member[0] ? "." : "", member);

	va_list ap;
	va_start(ap, fmt);
	if (td_problems_addv(v->problems, path, fmt, ap) < 0)
		v->rc = -ENOMEM;
	va_end(ap);
}

char *td_pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

bool td_valid_name(const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0;
	if (len == 0 || len > max)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len;
}

static void check_task_size(struct td_vctx *v)
{
	const struct taskdef *td = v->td;

	if (td->cpu) {
		if (taskdef_cpu_units(td->cpu, &v->cpu) < 0)
			td_report(v, "", "cpu",
				  "\"%s\" is not a CPU size: use CPU units (\"1024\") or vCPUs (\"1 vCPU\")",
				  td->cpu);
		else if (!v->fargate && (v->cpu < TASK_CPU_MIN || v->cpu > TASK_CPU_MAX))
			td_report(v, "", "cpu",
				  "%lld CPU units is outside the supported %d to %d (0.125 to 192 vCPU)",
				  (long long)v->cpu, TASK_CPU_MIN, TASK_CPU_MAX);
		else
			v->has_cpu = true;
	}
	if (td->memory) {
		if (taskdef_memory_mib(td->memory, &v->memory) < 0)
			td_report(v, "", "memory",
				  "\"%s\" is not a memory size: use MiB (\"512\") or GB (\"1 GB\")",
				  td->memory);
		else if (v->memory < DOCKER_MIN_MEMORY_MIB)
			td_report(v, "", "memory", "must be at least %d MiB", DOCKER_MIN_MEMORY_MIB);
		else
			v->has_memory = true;
	}
}

/* Container limits against the task's: ECS rejects a container hard limit
 * above the task's memory, and reservations that do not fit in it. */
static void check_task_totals(struct td_vctx *v)
{
	const struct taskdef *td = v->td;
	int64_t cpu = 0, memory = 0;
	char base[TD_PATH_MAX];

	for (size_t i = 0; i < td->containers.count; i++) {
		const struct td_container *c = &td->containers.items[i];
		td_pathf(base, sizeof(base), "containerDefinitions[%zu]", i);
		if (c->cpu.set && c->cpu.value > 0)
			cpu += c->cpu.value;
		if (v->has_memory && c->memory.set && c->memory.value > v->memory)
			td_report(v, base, "memory",
				  "%lld MiB is more than the task's memory (%lld MiB)",
				  (long long)c->memory.value, (long long)v->memory);
		if (c->memory_reservation.set && c->memory_reservation.value > 0)
			memory += c->memory_reservation.value;
		else if (c->memory.set && c->memory.value > 0)
			memory += c->memory.value;
	}
	if (v->has_cpu && cpu > v->cpu)
		td_report(v, "", "cpu",
			  "the containers' cpu adds up to %lld units, more than the task's %lld",
			  (long long)cpu, (long long)v->cpu);
	if (v->has_memory && memory > v->memory)
		td_report(v, "", "memory",
			  "the containers' memory (memoryReservation, else memory) adds up to %lld MiB, "
			  "more than the task's %lld MiB",
			  (long long)memory, (long long)v->memory);
}

static void check_containers(struct td_vctx *v)
{
	const struct taskdef *td = v->td;
	bool essential = false;
	size_t firelens = 0;
	char base[TD_PATH_MAX];

	if (td->containers.count == 0)
		td_report(v, "", "containerDefinitions", "must contain at least one container");
	if (td->containers.count > MAX_CONTAINERS)
		td_report(v, "", "containerDefinitions",
			  "has %zu containers; a task definition holds at most %d",
			  td->containers.count, MAX_CONTAINERS);

	for (size_t i = 0; i < td->containers.count; i++) {
		const struct td_container *c = &td->containers.items[i];
		td_pathf(base, sizeof(base), "containerDefinitions[%zu]", i);
		td_validate_container(v, i);
		essential |= td_container_essential(c);
		if (c->firelens_configuration && ++firelens == 2)
			td_report(v, base, "firelensConfiguration",
				  "only one container in a task can be the FireLens log router");
		for (size_t j = 0; c->name && j < i; j++) {
			const char *other = td->containers.items[j].name;
			if (other && strcmp(other, c->name) == 0) {
				td_report(v, base, "name",
					  "container name \"%s\" is already used by containerDefinitions[%zu]",
					  c->name, j);
				break;
			}
		}
	}
	if (td->containers.count > 0 && !essential)
		td_report(v, "", "containerDefinitions",
			  "at least one container must be essential");

	for (size_t i = 0; i < td->containers.count; i++) {
		const struct td_log_configuration *log = td->containers.items[i].log_configuration;
		if (log && log->log_driver && strcmp(log->log_driver, "awsfirelens") == 0 &&
		    firelens == 0)
			td_report(v, td_pathf(base, sizeof(base), "containerDefinitions[%zu]", i),
				  "logConfiguration.logDriver",
				  "awsfirelens needs a container with a firelensConfiguration "
				  "(the log router) in the same task");
	}
}

/* Two mappings may not claim the same host port and protocol. In awsvpc and
 * host modes the host port is the container port. */
static void check_host_ports(struct td_vctx *v)
{
	const struct taskdef *td = v->td;
	bool same_port = v->mode == TD_NET_AWSVPC || v->mode == TD_NET_HOST;

	for (size_t i = 0; i < td->containers.count; i++) {
		const struct td_container *c = &td->containers.items[i];
		for (size_t j = 0; j < c->port_mappings.count; j++) {
			const struct td_port_mapping *pm = &c->port_mappings.items[j];
			int64_t port = pm->host_port.set ? pm->host_port.value : 0;
			if (port == 0 && same_port && pm->container_port.set)
				port = pm->container_port.value;
			if (port <= 0)
				continue;
			const char *proto = pm->protocol ? pm->protocol : "tcp";

			/* Earlier mappings only, so each clash is reported once. */
			for (size_t k = 0; k <= i; k++) {
				const struct td_container *o = &td->containers.items[k];
				size_t end = k == i ? j : o->port_mappings.count;
				for (size_t m = 0; m < end; m++) {
					const struct td_port_mapping *q = &o->port_mappings.items[m];
					int64_t qport = q->host_port.set ? q->host_port.value : 0;
					if (qport == 0 && same_port && q->container_port.set)
						qport = q->container_port.value;
					if (qport != port || strcmp(q->protocol ? q->protocol : "tcp", proto))
						continue;
					char base[TD_PATH_MAX];
					td_report(v, td_pathf(base, sizeof(base),
							      "containerDefinitions[%zu].portMappings[%zu]", i, j),
						  pm->host_port.set ? "hostPort" : "containerPort",
						  "host port %lld/%s is already mapped by "
						  "containerDefinitions[%zu].portMappings[%zu]",
						  (long long)port, proto, k, m);
					goto next;
				}
			}
		next:;
		}
	}
}

static void check_volumes(struct td_vctx *v)
{
	const struct taskdef *td = v->td;
	char base[TD_PATH_MAX];

	for (size_t i = 0; i < td->volumes.count; i++) {
		const struct td_volume *vol = &td->volumes.items[i];
		td_pathf(base, sizeof(base), "volumes[%zu]", i);
		if (!vol->name)
			td_report(v, base, "name", "required: mount points refer to volumes by name");
		else if (!td_valid_name(vol->name, 255))
			td_report(v, base, "name", TD_NAME_RULE, 255);
		for (size_t j = 0; vol->name && j < i; j++) {
			if (td->volumes.items[j].name && !strcmp(td->volumes.items[j].name, vol->name)) {
				td_report(v, base, "name", "volume name \"%s\" is already used by volumes[%zu]",
					  vol->name, j);
				break;
			}
		}
		int kinds = !!vol->host + !!vol->docker_volume_configuration +
			    !!vol->efs_volume_configuration +
			    !!vol->fsx_windows_file_server_volume_configuration;
		if (kinds > 1)
			td_report(v, base, NULL,
				  "set only one of host, dockerVolumeConfiguration, "
				  "efsVolumeConfiguration and fsxWindowsFileServerVolumeConfiguration");

		const struct td_docker_volume *dv = vol->docker_volume_configuration;
		if (dv && dv->autoprovision.set && dv->autoprovision.value &&
		    (!dv->scope || strcmp(dv->scope, "shared") != 0))
			td_report(v, base, "dockerVolumeConfiguration.autoprovision",
				  "autoprovision is only allowed with scope \"shared\"");

		const struct td_efs_volume *efs = vol->efs_volume_configuration;
		if (!efs)
			continue;
		bool tls = efs->transit_encryption && !strcmp(efs->transit_encryption, "ENABLED");
		const struct td_efs_authorization *auth = efs->authorization_config;
		if (efs->transit_encryption_port.set &&
		    (efs->transit_encryption_port.value < 1 || efs->transit_encryption_port.value > 65535))
			td_report(v, base, "efsVolumeConfiguration.transitEncryptionPort",
				  "must be between 1 and 65535");
		if (auth && auth->iam && !strcmp(auth->iam, "ENABLED") && !tls)
			td_report(v, base, "efsVolumeConfiguration.authorizationConfig.iam",
				  "IAM authorization needs transitEncryption ENABLED");
		if (auth && auth->access_point_id && !tls)
			td_report(v, base, "efsVolumeConfiguration.authorizationConfig.accessPointId",
				  "an access point needs transitEncryption ENABLED");
		if (auth && auth->access_point_id && efs->root_directory &&
		    strcmp(efs->root_directory, "/") != 0)
			td_report(v, base, "efsVolumeConfiguration.rootDirectory",
				  "must be omitted or \"/\" with an access point (the access point sets the root)");
	}
}

static bool reserved_prefix(const char *s)
{
	return s && strncasecmp(s, "aws:", 4) == 0;
}

/* Tag limits count Unicode characters, not bytes; the parser only accepts
 * valid UTF-8, so counting the bytes that do not continue a sequence is
 * enough. */
static size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void check_tags(struct td_vctx *v)
{
	const struct taskdef *td = v->td;
	char base[TD_PATH_MAX];

	if (td->tags.count > MAX_TAGS)
		td_report(v, "", "tags", "has %zu tags; at most %d are allowed", td->tags.count,
			  MAX_TAGS);
	for (size_t i = 0; i < td->tags.count; i++) {
		const struct td_tag *t = &td->tags.items[i];
		td_pathf(base, sizeof(base), "tags[%zu]", i);
		if (!t->key || !t->key[0] || utf8_length(t->key) > 128)
			td_report(v, base, "key", "must be 1 to 128 characters");
		else if (reserved_prefix(t->key))
			td_report(v, base, "key", "the aws: prefix is reserved for AWS use");
		if (t->value && utf8_length(t->value) > 256)
			td_report(v, base, "value", "must be at most 256 characters");
		for (size_t j = 0; t->key && j < i; j++) {
			if (td->tags.items[j].key && !strcmp(td->tags.items[j].key, t->key)) {
				td_report(v, base, "key", "tag \"%s\" is already set by tags[%zu]", t->key, j);
				break;
			}
		}
	}
}

static void check_task_options(struct td_vctx *v)
{
	const struct taskdef *td = v->td;
	char base[TD_PATH_MAX];

	if (!td->family)
		td_report(v, "", "family", "required parameter is missing");
	else if (!td_valid_name(td->family, 255))
		td_report(v, "", "family", TD_NAME_RULE, 255);

	if (td->placement_constraints.count > MAX_PLACEMENT_CONSTRAINTS)
		td_report(v, "", "placementConstraints", "at most %d constraints are allowed",
			  MAX_PLACEMENT_CONSTRAINTS);
	for (size_t i = 0; i < td->placement_constraints.count; i++) {
		const struct td_placement_constraint *pc = &td->placement_constraints.items[i];
		td_pathf(base, sizeof(base), "placementConstraints[%zu]", i);
		if (!pc->type)
			td_report(v, base, "type", "required (memberOf)");
		else if (strcmp(pc->type, "memberOf") == 0 && (!pc->expression || !pc->expression[0]))
			td_report(v, base, "expression", "a memberOf constraint needs an expression");
	}

	const struct td_proxy_configuration *proxy = td->proxy_configuration;
	if (proxy) {
		if (v->mode != TD_NET_AWSVPC && v->mode != TD_NET_UNKNOWN)
			td_report(v, "", "proxyConfiguration", "needs networkMode awsvpc");
		if (proxy->container_name && !taskdef_container(td, proxy->container_name))
			td_report(v, "proxyConfiguration", "containerName",
				  "no container named \"%s\" in this task definition",
				  proxy->container_name);
	}

	if (td->ephemeral_storage && td->ephemeral_storage->size_in_gib.set) {
		int64_t gib = td->ephemeral_storage->size_in_gib.value;
		if (gib < 21 || gib > 200)
			td_report(v, "ephemeralStorage", "sizeInGiB", "must be between 21 and 200");
	}

	for (size_t i = 0; i < td->inference_accelerators.count; i++) {
		const char *name = td->inference_accelerators.items[i].device_name;
		for (size_t j = 0; name && j < i; j++) {
			const char *other = td->inference_accelerators.items[j].device_name;
			if (other && strcmp(other, name) == 0) {
				td_report(v, td_pathf(base, sizeof(base), "inferenceAccelerators[%zu]", i),
					  "deviceName", "device name \"%s\" is already used", name);
				break;
			}
		}
	}
}

int taskdef_validate(const struct taskdef *td, struct td_problems *problems)
{
	if (!problems) {
		struct td_problems local = { 0 };
		int rc = taskdef_validate(td, &local);
		td_problems_free(&local);
		return rc;
	}
	struct td_vctx v = {
		.td = td,
		.problems = problems,
		.mode = taskdef_network_mode(td),
		.fargate = taskdef_requires(td, "FARGATE"),
	};
	size_t before = problems->count;

	/* Measure the request ECS would have received: the members ECS adds on
	 * registration (TASKDEF_PARSE_STORED) must not push a stored copy of a
	 * definition that was accepted over the limit. */
	_cleanup_free_ char *json = taskdef_to_json_flags(td, TASKDEF_EMIT_REQUEST, NULL);
	if (json && strlen(json) > MAX_SIZE) {
		td_report(&v, "", NULL, "the task definition is %zu bytes as compact JSON; ECS allows at most %d",
			  strlen(json), MAX_SIZE);
		return v.rc < 0 ? v.rc : -EINVAL;
	}

	check_task_options(&v);
	check_task_size(&v);
	check_containers(&v);
	check_task_totals(&v);
	check_host_ports(&v);
	check_volumes(&v);
	check_tags(&v);
	td_validate_references(&v);
	if (v.fargate)
		td_validate_fargate(&v);

	if (v.rc < 0)
		return v.rc;
	return problems->count > before ? -EINVAL : 0;
}
