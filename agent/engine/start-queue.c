/* SPDX-License-Identifier: Apache-2.0 */
/* Start slots: at most as many runtime starts in flight as the host has CPUs
 * (at least 2). `runc run` is CPU-bound: dozens of them started together on
 * a few cores all finish later than the same starts taken a few at a time.
 * A prepared container waits here, in order, for a slot; a slot is freed
 * when the shim reports the container started or exited, or the container
 * is given up. */
#include "autoconf.h"

#include <stdlib.h>
#include <unistd.h>

#include "engine-internal.h"
#include "log.h"

static unsigned slots_for_host(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 2 ? 2u : (unsigned)n;
}

bool start_slot_take(struct ectr *c)
{
	struct engine *e = c->task->engine;
	if (!e->max_starting)
		e->max_starting = slots_for_host();
	if (e->starting >= e->max_starting)
		return false;
	e->starting++;
	c->starting = true;
	return true;
}

void start_queue_push(struct ectr *c, struct prepared *ready)
{
	struct engine *e = c->task->engine;
	c->ready = ready;
	c->queued = true;
	c->queue_next = NULL;
	if (e->start_queue_tail)
		e->start_queue_tail->queue_next = c;
	else
		e->start_queue = c;
	e->start_queue_tail = c;
}

static void dequeue(struct engine *e, struct ectr *c)
{
	struct ectr *prev = NULL;
	for (struct ectr *q = e->start_queue; q; prev = q, q = q->queue_next) {
		if (q != c)
			continue;
		if (prev)
			prev->queue_next = c->queue_next;
		else
			e->start_queue = c->queue_next;
		if (e->start_queue_tail == c)
			e->start_queue_tail = prev;
		break;
	}
	c->queued = false;
	c->queue_next = NULL;
}

static void dispatch(struct engine *e)
{
	while (e->start_queue && start_slot_take(e->start_queue)) {
		struct ectr *c = e->start_queue;
		struct etask *t = c->task;
		dequeue(e, c);
		struct prepared *p = c->ready;
		c->ready = NULL;
		struct ecs_err err = { 0 };
		int r = ectr_spawn_prepared(c, p, &err);
		prepared_free(p);
		if (r < 0)
			ectr_fail_start(c, err_msg(&err));
		else
			etask_update(t);
	}
}

static int on_dispatch(sd_event_source *s, void *ud)
{
	sd_event_source_set_enabled(s, SD_EVENT_OFF);
	dispatch(ud);
	return 0;
}

void ectr_start_done(struct ectr *c)
{
	struct engine *e = c->task->engine;
	if (c->queued)
		dequeue(e, c);
	prepared_free(c->ready);
	c->ready = NULL;
	if (!c->starting)
		return;
	c->starting = false;
	e->starting--;
	if (!e->start_queue) {
		if (!e->starting)
			engine_spare_refill(e);
		return;
	}
	/* Not from here: this runs inside record handling and releases. */
	if (!e->dispatch) {
		if (sd_event_add_defer(e->p.event, &e->dispatch, on_dispatch, e) < 0)
			log_warn("Cannot schedule queued container starts");
	} else {
		sd_event_source_set_enabled(e->dispatch, SD_EVENT_ONESHOT);
	}
}
