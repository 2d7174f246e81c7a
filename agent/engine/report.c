/* SPDX-License-Identifier: Apache-2.0 */
/* A task's state-change snapshot (docs/protocol.md section 7), encoded for
 * the outbox as a StateChangeRequest holding that one task. */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"

/* Host ports this task binds, as network bindings: in host mode every
 * port mapping binds its container port on the host. */
static size_t fill_bindings(const struct etask *t, const struct td_container *td,
			    Ecsagent__NetworkBinding *nb, Ecsagent__NetworkBinding **pnb, size_t max)
{
	size_t n = 0;
	if (!td || !t->td || taskdef_network_mode(t->td) != TD_NET_HOST)
		return 0;
	for (size_t i = 0; i < td->port_mappings.count && n < max; i++) {
		const struct td_port_mapping *pm = &td->port_mappings.items[i];
		if (!pm->container_port.set)
			continue;
		Ecsagent__NetworkBinding b = ECSAGENT__NETWORK_BINDING__INIT;
		b.bind_ip = (char *)"0.0.0.0";
		b.container_port = (uint32_t)pm->container_port.value;
		b.host_port = (uint32_t)pm->container_port.value;
		b.protocol = pm->protocol && strcmp(pm->protocol, "udp") == 0
				     ? ECSAGENT__TRANSPORT_PROTOCOL__UDP
				     : ECSAGENT__TRANSPORT_PROTOCOL__TCP;
		nb[n] = b;
		pnb[n] = &nb[n];
		n++;
	}
	return n;
}

#define MAX_BINDINGS 64

/* FNV-1a over the bytes of one field, then a separator. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static uint64_t mix_int(uint64_t h, int64_t v)
{
	return mix(h, &v, sizeof(v));
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	return s ? mix(h, s, strlen(s)) : mix_int(h, -1);
}

uint64_t report_state_key(const struct etask *t)
{
	const struct state_task *st = &t->st;
	uint64_t h = 0xcbf29ce484222325ULL;
	h = mix_int(h, st->known_status ? st->known_status : ST_PENDING);
	h = mix_str(h, st->reason);
	h = mix_int(h, st->stop_code);
	for (size_t i = 0; i < st->n_containers; i++) {
		const struct state_container *sc = &st->containers[i];
		h = mix_int(h, sc->status ? sc->status : ST_PENDING);
		h = mix_int(h, sc->has_exit ? sc->exit_code : -1000);
		h = mix_str(h, sc->reason);
	}
	return h;
}

bool report_state_is_initial(const struct etask *t)
{
	const struct state_task *st = &t->st;
	if ((st->known_status && st->known_status != ST_PENDING) || st->reason || st->stop_code)
		return false;
	for (size_t i = 0; i < st->n_containers; i++) {
		const struct state_container *sc = &st->containers[i];
		if ((sc->status && sc->status != ST_PENDING) || sc->has_exit || sc->reason)
			return false;
	}
	return true;
}

int report_encode(const struct etask *t, uint8_t **out, size_t *len, struct ecs_err *err)
{
	const struct state_task *st = &t->st;
	size_t n = st->n_containers;
	_cleanup_free_ Ecsagent__ContainerStateChange *cs = calloc(n ? n : 1, sizeof(*cs));
	_cleanup_free_ Ecsagent__ContainerStateChange **pcs = calloc(n ? n : 1, sizeof(*pcs));
	_cleanup_free_ Ecsagent__NetworkBinding *nb = calloc(n * MAX_BINDINGS + 1, sizeof(*nb));
	_cleanup_free_ Ecsagent__NetworkBinding **pnb = calloc(n * MAX_BINDINGS + 1, sizeof(*pnb));
	if (!cs || !pcs || !nb || !pnb)
		return err_set(err, ENOMEM, "encoding state change");

	for (size_t i = 0; i < n; i++) {
		const struct state_container *sc = &st->containers[i];
		Ecsagent__ContainerStateChange c = ECSAGENT__CONTAINER_STATE_CHANGE__INIT;
		c.container_name = sc->name;
		c.status = (Ecsagent__Status)(sc->status ? sc->status : ST_PENDING);
		if (sc->has_exit) {
			c.exit_case = ECSAGENT__CONTAINER_STATE_CHANGE__EXIT_EXIT_CODE;
			c.exit_code = sc->exit_code;
		}
		c.reason = sc->reason;
		c.runtime_id = sc->runtime_id;
		c.image_digest = sc->image_digest;
		c.created_at_ms = sc->created_ms;
		c.started_at_ms = sc->started_ms;
		c.finished_at_ms = sc->finished_ms;
		if (sc->status == ST_RUNNING) {
			const struct td_container *td = t->ctrs ? t->ctrs[i].td : NULL;
			c.network_bindings = &pnb[i * MAX_BINDINGS];
			c.n_network_bindings = fill_bindings(t, td, &nb[i * MAX_BINDINGS],
							     &pnb[i * MAX_BINDINGS], MAX_BINDINGS);
		}
		cs[i] = c;
		pcs[i] = &cs[i];
	}

	Ecsagent__TaskStateChange ts = ECSAGENT__TASK_STATE_CHANGE__INIT;
	ts.task_arn = st->arn;
	ts.sequence = st->sequence;
	ts.status = (Ecsagent__Status)(st->known_status ? st->known_status : ST_PENDING);
	ts.reason = st->reason;
	ts.stop_code = (Ecsagent__StopCode)st->stop_code;
	ts.containers = pcs;
	ts.n_containers = n;
	ts.pull_started_at_ms = st->pull_started_ms;
	ts.pull_stopped_at_ms = st->pull_stopped_ms;
	ts.started_at_ms = st->started_ms;
	ts.execution_stopped_at_ms = st->execution_stopped_ms;
	ts.stopped_at_ms = st->stopped_ms;
	Ecsagent__TaskStateChange *pts = &ts;

	Ecsagent__StateChangeRequest req = ECSAGENT__STATE_CHANGE_REQUEST__INIT;
	req.tasks = &pts;
	req.n_tasks = 1;
	*out = wire_encode(&req.base, len, err);
	return *out ? 0 : -EIO;
}
