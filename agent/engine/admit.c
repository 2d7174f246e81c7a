/* SPDX-License-Identifier: Apache-2.0 */
/* Host resource accounting: what a task reserves (CPU units, MiB, host
 * ports) and whether it fits next to the tasks already admitted. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"

static int append_port(char **ports, const char *proto, int64_t port)
{
	char *s = NULL;
	int r = *ports ? asprintf(&s, "%s,%s:%lld", *ports, proto, (long long)port)
		       : asprintf(&s, "%s:%lld", proto, (long long)port);
	if (r < 0)
		return -ENOMEM;
	free(*ports);
	*ports = s;
	return 0;
}

int admit_requirements(const struct taskdef *td, int64_t *cpu, int64_t *mem, char **ports,
		       struct ecs_err *err)
{
	int64_t c = 0, m = 0;
	*ports = NULL;
	for (size_t i = 0; i < td->containers.count; i++) {
		const struct td_container *ct = &td->containers.items[i];
		if (ct->cpu.set)
			c += ct->cpu.value;
		if (ct->memory.set)
			m += ct->memory.value;
		else if (ct->memory_reservation.set)
			m += ct->memory_reservation.value;
		if (taskdef_network_mode(td) != TD_NET_HOST)
			continue;
		for (size_t k = 0; k < ct->port_mappings.count; k++) {
			const struct td_port_mapping *pm = &ct->port_mappings.items[k];
			if (!pm->container_port.set)
				continue;
			const char *proto = pm->protocol && strcmp(pm->protocol, "udp") == 0 ? "udp" : "tcp";
			if (append_port(ports, proto, pm->container_port.value) < 0)
				return err_set(err, ENOMEM, "accounting ports");
		}
	}
	if (td->cpu && taskdef_cpu_units(td->cpu, &c) < 0)
		return err_set(err, EINVAL, "task cpu \"%s\" is not valid", td->cpu);
	if (td->memory && taskdef_memory_mib(td->memory, &m) < 0)
		return err_set(err, EINVAL, "task memory \"%s\" is not valid", td->memory);
	*cpu = c;
	*mem = m;
	return 0;
}

/* Whether "proto:port" appears in a comma-separated list. */
static bool ports_contain(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, item, n) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static bool reserved_port(const struct config_ports *ports, long port)
{
	for (size_t i = 0; i < ports->n; i++)
		if (ports->ports[i] == port)
			return true;
	return false;
}

/* The first of the task's ports that is reserved or taken, or NULL. */
static char *port_conflict(struct engine *e, const struct etask *t, const char **holder,
			   const char **other)
{
	*other = "";
	const char *p = t->st.host_ports;
	*holder = NULL;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *item = strndup(p, len);
		if (!item)
			return NULL;
		const char *colon = strchr(item, ':');
		long port = colon ? strtol(colon + 1, NULL, 10) : 0;
		bool udp = strncmp(item, "udp", 3) == 0;
		const struct config_ports *res =
			udp ? &e->p.cfg->reserved_ports_udp : &e->p.cfg->reserved_ports;
		if (reserved_port(res, port)) {
			*holder = "reserved by ECS_RESERVED_PORTS";
			return item;
		}
		/* Twice in the task itself. */
		const char *rest = end ? end + 1 : NULL;
		if (rest && ports_contain(rest, item)) {
			*holder = "used twice in the task";
			return item;
		}
		for (const struct etask *o = e->tasks; o; o = o->next) {
			if (o == t || o->st.step < TASK_STEP_ADMITTED ||
			    o->st.step >= TASK_STEP_STOPPED)
				continue;
			if (ports_contain(o->st.host_ports, item)) {
				*holder = "in use by task";
				*other = o->id;
				return item;
			}
		}
		free(item);
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

bool admit_fits(struct engine *e, const struct etask *t, char **reason)
{
	int64_t cpu = 0, mem = 0;
	for (const struct etask *o = e->tasks; o; o = o->next) {
		if (o == t || o->st.step < TASK_STEP_ADMITTED || o->st.step >= TASK_STEP_STOPPED)
			continue;
		cpu += o->st.cpu_units;
		mem += o->st.memory_mib;
	}
	*reason = NULL;
	if (t->st.memory_mib > e->p.memory_mib - mem) {
		if (asprintf(reason, "RESOURCE:MEMORY (needs %lld MiB, %lld of %lld free)",
			     (long long)t->st.memory_mib, (long long)(e->p.memory_mib - mem),
			     (long long)e->p.memory_mib) < 0)
			*reason = NULL;
		return false;
	}
	if (t->st.cpu_units > e->p.cpu_units - cpu) {
		if (asprintf(reason, "RESOURCE:CPU (needs %lld units, %lld of %lld free)",
			     (long long)t->st.cpu_units, (long long)(e->p.cpu_units - cpu),
			     (long long)e->p.cpu_units) < 0)
			*reason = NULL;
		return false;
	}
	const char *holder = NULL, *other = NULL;
	_cleanup_free_ char *port = port_conflict(e, t, &holder, &other);
	if (port) {
		bool udp = strncmp(port, "udp", 3) == 0;
		if (asprintf(reason, "RESOURCE:%s (host port %s %s%s%s)", udp ? "PORTS_UDP" : "PORTS",
			     port, holder, *other ? " " : "", other) < 0)
			*reason = NULL;
		return false;
	}
	return true;
}
