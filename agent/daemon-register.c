/* SPDX-License-Identifier: Apache-2.0 */
/* What the agent registers: resources (CPU units, MiB, reserved ports),
 * the capabilities this build really has, and the operator's attributes. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "daemon.h"

#define MAX_ATTRS 96

struct registration {
	Ecsagent__Resource res[4];
	Ecsagent__Resource *pres[4];
	char **port_strings[2];
	size_t n_ports[2];
	Ecsagent__Attribute attrs[MAX_ATTRS];
	Ecsagent__Attribute *pattrs[MAX_ATTRS];
	char *attr_names[MAX_ATTRS];
	Ecsagent__Tag tags[64];
	Ecsagent__Tag *ptags[64];
	Ecsagent__VersionInfo version;
	char kernel[256];
	char arch[sizeof(((struct utsname *)0)->machine)];
	size_t n_attrs;
};

void registration_free(struct registration *r)
{
	if (!r)
		return;
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < r->n_ports[k]; i++)
			free(r->port_strings[k][i]);
		free(r->port_strings[k]);
	}
	for (size_t i = 0; i < r->n_attrs; i++)
		free(r->attr_names[i]);
	free(r);
}

/* Features the engine implements, as the ECS agent advertises them. Only
 * what really works here: no bridge/awsvpc, health checks or dependsOn yet. */
static const char *const capabilities[] = {
	"com.amazonaws.ecs.capability.privileged-container",
	"com.amazonaws.ecs.capability.docker-remote-api.1.17",
	"com.amazonaws.ecs.capability.docker-remote-api.1.18",
	"com.amazonaws.ecs.capability.docker-remote-api.1.19",
	"com.amazonaws.ecs.capability.docker-remote-api.1.20",
	"com.amazonaws.ecs.capability.docker-remote-api.1.21",
	"com.amazonaws.ecs.capability.docker-remote-api.1.22",
	"com.amazonaws.ecs.capability.docker-remote-api.1.23",
	"com.amazonaws.ecs.capability.docker-remote-api.1.24",
	"com.amazonaws.ecs.capability.docker-remote-api.1.25",
	/* repositoryCredentials: the control plane resolves the secret and
	 * sends it with the task (docs/protocol.md) */
	"ecs.capability.private-registry-authentication.secretsmanager",
};

/* Log drivers the shim implements. */
static const char *const log_drivers[] = { "json-file", "journald", "none" };

static int add_attr(struct registration *r, const char *name, const char *value)
{
	if (r->n_attrs >= MAX_ATTRS)
		return -E2BIG;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	Ecsagent__Attribute a = ECSAGENT__ATTRIBUTE__INIT;
	a.name = copy;
	a.value = (char *)(value ? value : "");
	r->attr_names[r->n_attrs] = copy;
	r->attrs[r->n_attrs] = a;
	r->pattrs[r->n_attrs] = &r->attrs[r->n_attrs];
	r->n_attrs++;
	return 0;
}

static int port_set(struct registration *r, size_t k, const struct config_ports *ports,
		    Ecsagent__Resource *res, const char *name)
{
	r->port_strings[k] = calloc(ports->n + 1, sizeof(char *));
	if (!r->port_strings[k])
		return -ENOMEM;
	for (size_t i = 0; i < ports->n; i++) {
		if (asprintf(&r->port_strings[k][i], "%u", (unsigned)ports->ports[i]) < 0)
			return -ENOMEM;
		r->n_ports[k]++;
	}
	Ecsagent__Resource x = ECSAGENT__RESOURCE__INIT;
	x.name = (char *)name;
	x.type = ECSAGENT__RESOURCE_TYPE__STRINGSET;
	x.string_set_value = r->port_strings[k];
	x.n_string_set_value = ports->n;
	*res = x;
	return 0;
}

int registration_fill(struct daemon *d, Ecsagent__RegisterRequest *req, struct ecs_err *err)
{
	registration_free(d->reg);
	struct registration *r = d->reg = calloc(1, sizeof(*r));
	if (!r)
		return err_set(err, ENOMEM, "registration");
	const struct agent_config *cfg = d->cfg;

	Ecsagent__Resource cpu = ECSAGENT__RESOURCE__INIT;
	cpu.name = (char *)"CPU";
	cpu.type = ECSAGENT__RESOURCE_TYPE__INTEGER;
	cpu.integer_value = (int32_t)engine_cpu_units(d->engine);
	Ecsagent__Resource mem = cpu;
	mem.name = (char *)"MEMORY";
	mem.integer_value = (int32_t)engine_memory_mib(d->engine);
	r->res[0] = cpu;
	r->res[1] = mem;
	if (port_set(r, 0, &cfg->reserved_ports, &r->res[2], "PORTS") < 0 ||
	    port_set(r, 1, &cfg->reserved_ports_udp, &r->res[3], "PORTS_UDP") < 0)
		return err_set(err, ENOMEM, "registration");
	for (size_t i = 0; i < 4; i++)
		r->pres[i] = &r->res[i];

	int rr = 0;
	for (size_t i = 0; rr >= 0 && i < ARRAY_SIZE(capabilities); i++)
		rr = add_attr(r, capabilities[i], NULL);
	if (rr >= 0 && cfg->enable_task_cpu_mem_limit)
		rr = add_attr(r, "ecs.capability.task-cpu-mem-limit", NULL);
	for (size_t i = 0; rr >= 0 && i < cfg->logging_drivers.n; i++) {
		const char *drv = cfg->logging_drivers.items[i];
		bool ours = false;
		for (size_t k = 0; k < ARRAY_SIZE(log_drivers); k++)
			ours = ours || strcmp(drv, log_drivers[k]) == 0;
		if (!ours)
			continue;
		char name[128];
		snprintf(name, sizeof(name), "com.amazonaws.ecs.capability.logging-driver.%s", drv);
		rr = add_attr(r, name, NULL);
	}
	struct utsname u;
	if (rr >= 0 && uname(&u) == 0) {
		rr = add_attr(r, "ecs.os-type", "linux");
		/* add_attr keeps the value pointer: it must outlive this call. */
		snprintf(r->arch, sizeof(r->arch), "%s",
			 strcmp(u.machine, "aarch64") == 0 ? "arm64" : u.machine);
		if (rr >= 0)
			rr = add_attr(r, "ecs.cpu-architecture", r->arch);
		snprintf(r->kernel, sizeof(r->kernel), "%s", u.release);
	}
	for (size_t i = 0; rr >= 0 && i < cfg->instance_attributes.n; i++)
		rr = add_attr(r, cfg->instance_attributes.pairs[i].key,
			      cfg->instance_attributes.pairs[i].value);
	if (rr < 0)
		return err_set(err, -rr, "registration attributes (at most %d)", MAX_ATTRS);

	size_t nt = 0;
	for (size_t i = 0; i < cfg->instance_tags.n && nt < ARRAY_SIZE(r->tags); i++, nt++) {
		Ecsagent__Tag t = ECSAGENT__TAG__INIT;
		t.key = cfg->instance_tags.pairs[i].key;
		t.value = cfg->instance_tags.pairs[i].value;
		r->tags[nt] = t;
		r->ptags[nt] = &r->tags[nt];
	}

	Ecsagent__VersionInfo v = ECSAGENT__VERSION_INFO__INIT;
	v.agent_version = (char *)PACKAGE_VERSION;
	v.runtime_name = (char *)agent_config_runtime_name(cfg);
	v.runtime_version = d->runtime_version;
	v.kernel_version = r->kernel;
	r->version = v;

	req->total_resources = r->pres;
	req->n_total_resources = 4;
	req->attributes = r->pattrs;
	req->n_attributes = r->n_attrs;
	req->tags = r->ptags;
	req->n_tags = nt;
	req->version_info = &r->version;
	return 0;
}
