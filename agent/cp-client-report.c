/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state-report pump: sends the on-disk outbox (state.h) oldest first,
 * one request in flight, and removes what the control plane acknowledges.
 * Each outbox payload is an encoded StateChangeRequest holding one
 * TaskStateChange (the engine's format); a batch carries the newest snapshot
 * of each task among the oldest items, since a snapshot supersedes the
 * earlier ones of its task (docs/protocol.md, section 7).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp-client-internal.h"
#include "log.h"

/* Give up on an item the control plane will never take (too large, or
 * refused as malformed even alone). Dropping one snapshot loses nothing the
 * task's next snapshot does not repair; resending it forever would block
 * every later report. */
static void drop_item(struct cp_client *c, const char *arn, uint64_t seq, const char *why)
{
	struct ecs_err err = { 0 };
	log_warn("Dropping state change %llu of task %s: %s", (unsigned long long)seq, arn, why);
	if (state_outbox_ack(c->state, arn, seq, &err) < 0)
		log_debug("Removing the state change failed: %s", err_msg(&err));
}

static void remember_batch(struct cp_client *c, const struct state_outbox_item *first, size_t n)
{
	free(c->report_first_arn);
	c->report_first_arn = strdup(first->task_arn);
	c->report_first_seq = first->sequence;
	c->report_sent = n;
}

static void report_retry(struct cp_client *c, uint64_t delay)
{
	cp_stream_schedule(c, CP_RPC_STATE, delay);
}

static void report_done(struct cp_client *c, const struct cp_result *res)
{
	struct ecs_err err = { 0 };
	struct cp_result bad;
	const struct cp_result *r = res;
	_cleanup_wire_ Ecsagent__StateChangeResponse *resp = NULL;
	if (res->ok) {
		resp = wire_decode_state_response(res->body, res->len, &err);
		if (!resp) {
			bad = *res;
			cp_result_from_decode(&bad, -err.code, &err, "state report");
			r = &bad;
		}
	}
	if (!r->ok) {
		log_debug("State report failed: %s", r->detail);
		if (cp_handle_session_error(c, CP_RPC_STATE, r))
			return;
		bool refused = r->code == ECSAGENT__ERROR_CODE__TOO_LARGE ||
			       r->code == ECSAGENT__ERROR_CODE__BAD_REQUEST;
		if (refused && c->report_sent > 1) {
			/* Halve until the culprit is alone. */
			c->report_batch = c->report_sent / 2;
			report_retry(c, r->code == ECSAGENT__ERROR_CODE__TOO_LARGE
						? 0 : cp_retry_delay(c, CP_RPC_STATE, r));
			return;
		}
		if (refused && c->report_first_arn) {
			drop_item(c, c->report_first_arn, c->report_first_seq, r->detail);
			report_retry(c, cp_retry_delay(c, CP_RPC_STATE, r));
			return;
		}
		cp_note_failure(c, r);
		report_retry(c, cp_retry_delay(c, CP_RPC_STATE, r));
		return;
	}

	for (size_t i = 0; i < resp->n_acks; i++) {
		const Ecsagent__TaskAck *a = resp->acks[i];
		if (!a || !a->task_arn[0])
			continue;
		if (state_outbox_ack(c->state, a->task_arn, a->sequence, &err) < 0) {
			/* Left in the outbox: sent again, and acked again. */
			log_debug("Removing acknowledged state changes of task %s failed: %s",
				  a->task_arn, err_msg(&err));
			err_clear(&err);
		}
	}
	backoff_reset(&c->streams[CP_RPC_STATE].backoff);
	cp_authenticated_ok(c);
	if (c->report_batch < CP_REPORT_BATCH_MAX)
		c->report_batch = c->report_batch * 2 > CP_REPORT_BATCH_MAX ? CP_REPORT_BATCH_MAX
									    : c->report_batch * 2;
	size_t left = 0;
	if (state_outbox_count(c->state, &left, &err) < 0 || left > 0)
		report_retry(c, 0);
}

/* Index of the task's entry in tasks[0..n), or n. */
static size_t find_task(Ecsagent__TaskStateChange **tasks, size_t n, const char *arn)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tasks[i]->task_arn, arn) == 0)
			return i;
	return n;
}

static void free_decoded(Ecsagent__StateChangeRequest **d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		wire_free(d[i]);
	free(d);
}

void cp_report_pump(struct cp_client *c)
{
	if (!cp_session_ready(c) || c->streams[CP_RPC_STATE].inflight)
		return;
	struct ecs_err err = { 0 };
	struct state_outbox_item *items = NULL;
	size_t n = 0;
	if (state_outbox_peek(c->state, c->report_batch, &items, &n, &err) < 0) {
		log_debug("Reading the state outbox failed: %s", err_msg(&err));
		report_retry(c, backoff_next(&c->streams[CP_RPC_STATE].backoff));
		return;
	}
	if (n == 0) {
		state_outbox_items_free(items, n);
		return;
	}

	Ecsagent__StateChangeRequest **decoded = calloc(n, sizeof(*decoded));
	size_t n_tasks = 0, cap = 0;
	Ecsagent__TaskStateChange **tasks = NULL;
	bool dropped = false, oom = !decoded;
	for (size_t i = 0; !oom && i < n; i++) {
		decoded[i] = wire_decode_state_request(items[i].payload, items[i].len, &err);
		if (!decoded[i]) {
			drop_item(c, items[i].task_arn, items[i].sequence, err_msg(&err));
			err_clear(&err);
			dropped = true;
			continue;
		}
		for (size_t k = 0; k < decoded[i]->n_tasks; k++) {
			Ecsagent__TaskStateChange *t = decoded[i]->tasks[k];
			size_t at = find_task(tasks, n_tasks, t->task_arn);
			if (at < n_tasks) {
				tasks[at] = t; /* newer snapshot of the same task */
				continue;
			}
			if (n_tasks == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				Ecsagent__TaskStateChange **g = realloc(tasks, ncap * sizeof(*g));
				if (!g) {
					oom = true;
					break;
				}
				tasks = g;
				cap = ncap;
			}
			tasks[n_tasks++] = t;
		}
	}

	int r = 0;
	if (oom) {
		r = err_set(&err, ENOMEM, "building a state report");
	} else if (n_tasks == 0) {
		/* Only undecodable items: they are gone, look at the rest. */
		if (dropped)
			report_retry(c, 0);
	} else {
		Ecsagent__StateChangeRequest req = ECSAGENT__STATE_CHANGE_REQUEST__INIT;
		req.container_instance_arn = c->instance_arn;
		req.tasks = tasks;
		req.n_tasks = n_tasks;
		remember_batch(c, &items[0], n);
		r = cp_http_send(c, CP_RPC_STATE, &req.base, true, CP_HTTP_TIMEOUT_USEC, report_done,
				 &err);
	}
	free(tasks);
	free_decoded(decoded, n);

	if (r == -EMSGSIZE && n > 1) {
		c->report_batch = n / 2;
		report_retry(c, 0);
	} else if (r == -EMSGSIZE) {
		drop_item(c, items[0].task_arn, items[0].sequence, err_msg(&err));
		report_retry(c, 0);
	} else if (r < 0) {
		log_debug("State report not sent: %s", err_msg(&err));
		report_retry(c, backoff_next(&c->streams[CP_RPC_STATE].backoff));
	}
	state_outbox_items_free(items, n);
}
