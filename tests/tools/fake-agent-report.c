/* SPDX-License-Identifier: Apache-2.0 */
/* The test agent's `report --changes` JSON (described at the top of
 * fake-agent.c), turned into a StateChangeRequest. Unknown names map to the
 * enums' zero values so that tests can send what a buggy agent would. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "fake-agent.h"

static Ecsagent__Status status_of(const json_node *n)
{
	Ecsagent__Status s = ECSAGENT__STATUS__STATUS_UNSPECIFIED;
	wire_status_parse(json_string(n), &s);
	return s;
}

static Ecsagent__HealthStatus health_of(const json_node *n)
{
	const char *s = json_string(n);
	if (s && strcmp(s, "HEALTHY") == 0)
		return ECSAGENT__HEALTH_STATUS__HEALTHY;
	if (s && strcmp(s, "UNHEALTHY") == 0)
		return ECSAGENT__HEALTH_STATUS__UNHEALTHY;
	return ECSAGENT__HEALTH_STATUS__HEALTH_UNKNOWN;
}

static Ecsagent__StopCode stop_code_of(const json_node *n)
{
	const char *s = json_string(n);
	for (int c = 1; s && c <= ECSAGENT__STOP_CODE__TERMINATION_NOTICE; c++)
		if (wire_stop_code_name((Ecsagent__StopCode)c) &&
		    strcmp(wire_stop_code_name((Ecsagent__StopCode)c), s) == 0)
			return (Ecsagent__StopCode)c;
	return ECSAGENT__STOP_CODE__STOP_CODE_UNSPECIFIED;
}

static char *str_of(const json_node *n)
{
	const char *s = json_string(n);
	return (char *)(s ? s : "");
}

static int64_t int_of(const json_node *n)
{
	int64_t v = 0;
	json_integer(n, &v);
	return v;
}


void fa_report_clear(struct fa_report *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->containers ? m->containers[i] : NULL);
		free(m->containerp ? m->containerp[i] : NULL);
		free(m->bindings ? m->bindings[i] : NULL);
		free(m->bindingp ? m->bindingp[i] : NULL);
	}
	free(m->tasks);
	free(m->taskp);
	free(m->containers);
	free(m->containerp);
	free(m->bindings);
	free(m->bindingp);
}

static int build_container(struct fa_report *m, size_t ti, size_t ci, const json_node *c,
			   size_t *next_binding)
{
	Ecsagent__ContainerStateChange *x = &m->containers[ti][ci];
	*x = (Ecsagent__ContainerStateChange)ECSAGENT__CONTAINER_STATE_CHANGE__INIT;
	x->container_name = str_of(json_get(c, "name"));
	x->status = status_of(json_get(c, "status"));
	const json_node *code = json_get(c, "exitCode");
	if (code && json_type(code) != JSON_NULL)
		wire_set_exit_code(x, (int32_t)int_of(code));
	x->reason = str_of(json_get(c, "reason"));
	x->runtime_id = str_of(json_get(c, "runtimeId"));
	x->image_digest = str_of(json_get(c, "imageDigest"));
	x->health_status = health_of(json_get(c, "healthStatus"));
	x->created_at_ms = int_of(json_get(c, "createdAt"));
	x->started_at_ms = int_of(json_get(c, "startedAt"));
	x->finished_at_ms = int_of(json_get(c, "finishedAt"));
	const json_node *nb = json_get(c, "networkBindings");
	x->n_network_bindings = json_array_size(nb);
	x->network_bindings = &m->bindingp[ti][*next_binding];
	for (size_t k = 0; k < json_array_size(nb); k++) {
		const json_node *b = json_array_get(nb, k);
		Ecsagent__NetworkBinding *y = &m->bindings[ti][*next_binding];
		*y = (Ecsagent__NetworkBinding)ECSAGENT__NETWORK_BINDING__INIT;
		y->bind_ip = str_of(json_get(b, "bindIP"));
		y->container_port = (uint32_t)int_of(json_get(b, "containerPort"));
		y->host_port = (uint32_t)int_of(json_get(b, "hostPort"));
		const char *proto = json_string(json_get(b, "protocol"));
		y->protocol = proto && strcmp(proto, "udp") == 0 ? ECSAGENT__TRANSPORT_PROTOCOL__UDP
								 : ECSAGENT__TRANSPORT_PROTOCOL__TCP;
		y->container_port_range = str_of(json_get(b, "containerPortRange"));
		y->host_port_range = str_of(json_get(b, "hostPortRange"));
		m->bindingp[ti][(*next_binding)++] = y;
	}
	m->containerp[ti][ci] = x;
	return 0;
}

int fa_report_build(const json_node *list, struct fa_report *m,
			Ecsagent__StateChangeRequest *rq)
{
	size_t n = json_array_size(list);
	memset(m, 0, sizeof(*m));
	m->tasks = calloc(n + 1, sizeof(*m->tasks));
	m->taskp = calloc(n + 1, sizeof(*m->taskp));
	m->containers = calloc(n + 1, sizeof(*m->containers));
	m->containerp = calloc(n + 1, sizeof(*m->containerp));
	m->bindings = calloc(n + 1, sizeof(*m->bindings));
	m->bindingp = calloc(n + 1, sizeof(*m->bindingp));
	m->n = n;
	if (!m->tasks || !m->taskp || !m->containers || !m->containerp || !m->bindings ||
	    !m->bindingp)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const json_node *t = json_array_get(list, i);
		Ecsagent__TaskStateChange *x = &m->tasks[i];
		*x = (Ecsagent__TaskStateChange)ECSAGENT__TASK_STATE_CHANGE__INIT;
		x->task_arn = str_of(json_get(t, "taskArn"));
		x->sequence = (uint64_t)int_of(json_get(t, "sequence"));
		x->status = status_of(json_get(t, "status"));
		x->reason = str_of(json_get(t, "reason"));
		x->stop_code = stop_code_of(json_get(t, "stopCode"));
		x->health_status = health_of(json_get(t, "healthStatus"));
		x->pull_started_at_ms = int_of(json_get(t, "pullStartedAt"));
		x->pull_stopped_at_ms = int_of(json_get(t, "pullStoppedAt"));
		x->started_at_ms = int_of(json_get(t, "startedAt"));
		x->execution_stopped_at_ms = int_of(json_get(t, "executionStoppedAt"));
		x->stopped_at_ms = int_of(json_get(t, "stoppedAt"));
		const json_node *cs = json_get(t, "containers");
		size_t nc = json_array_size(cs), nb = 0;
		for (size_t k = 0; k < nc; k++)
			nb += json_array_size(json_get(json_array_get(cs, k), "networkBindings"));
		m->containers[i] = calloc(nc + 1, sizeof(**m->containers));
		m->containerp[i] = calloc(nc + 1, sizeof(**m->containerp));
		m->bindings[i] = calloc(nb + 1, sizeof(**m->bindings));
		m->bindingp[i] = calloc(nb + 1, sizeof(**m->bindingp));
		if (!m->containers[i] || !m->containerp[i] || !m->bindings[i] || !m->bindingp[i])
			return -1;
		size_t next = 0;
		for (size_t k = 0; k < nc; k++)
			build_container(m, i, k, json_array_get(cs, k), &next);
		x->n_containers = nc;
		x->containers = m->containerp[i];
		m->taskp[i] = x;
	}
	rq->n_tasks = n;
	rq->tasks = m->taskp;
	return 0;
}

