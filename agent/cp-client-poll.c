/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The long-poll loop (docs/protocol.md, section 6) and telemetry (section
 * 8) of the control-plane client: one poll outstanding at a time, the
 * desired list handed to the engine before its version is saved; telemetry
 * is best effort and never retried.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cp-client-internal.h"
#include "log.h"

/* ---- poll ---- */

static void poll_failed(struct cp_client *c, const struct cp_result *res)
{
	log_debug("Poll failed: %s", res->detail);
	if (cp_handle_session_error(c, CP_RPC_POLL, res))
		return;
	cp_note_failure(c, res);
	cp_stream_schedule(c, CP_RPC_POLL, cp_retry_delay(c, CP_RPC_POLL, res));
}

static void poll_done(struct cp_client *c, const struct cp_result *res)
{
	if (!res->ok) {
		poll_failed(c, res);
		return;
	}
	struct ecs_err err = { 0 };
	_cleanup_wire_ Ecsagent__PollResponse *resp =
		wire_decode_poll_response(res->body, res->len, &err);
	if (!resp) {
		struct cp_result bad = *res;
		cp_result_from_decode(&bad, -err.code, &err, "poll");
		poll_failed(c, &bad);
		return;
	}
	backoff_reset(&c->streams[CP_RPC_POLL].backoff);
	cp_authenticated_ok(c);
	if (!resp->unchanged) {
		if (resp->instance_status == ECSAGENT__INSTANCE_STATUS__DEREGISTERED) {
			cp_go_deregistered(c, "the container instance was deregistered");
			return;
		}
		c->ops->desired(c->ud, resp);
		if (c->deregistered)
			return;
		/* Saved only once the engine has taken the list in: a crash
		 * before this point gets the same list again. */
		c->known_version = resp->version;
		char buf[24];
		snprintf(buf, sizeof(buf), "%" PRIu64, resp->version);
		/* Relaxed: a version lost to power loss only makes the next poll
		 * fetch the whole list again. */
		int r = state_begin_relaxed(c->state, &err);
		if (r >= 0 && (r = state_meta_set(c->state, "poll_version", buf, &err)) >= 0)
			r = state_commit(c->state, &err);
		else if (r >= 0)
			state_rollback(c->state);
		if (r < 0)
			log_debug("Saving the poll version failed: %s", err_msg(&err));
	}
	cp_stream_schedule(c, CP_RPC_POLL, (uint64_t)resp->poll_delay_ms * 1000u);
}

void cp_poll_send(struct cp_client *c)
{
	if (!cp_session_ready(c) || c->streams[CP_RPC_POLL].inflight)
		return;
	Ecsagent__PollRequest req = ECSAGENT__POLL_REQUEST__INIT;
	req.container_instance_arn = c->instance_arn;
	req.known_version = c->known_version;
	req.wait_seconds = c->wait_seconds;
	struct ecs_err err = { 0 };
	uint64_t timeout = (uint64_t)c->wait_seconds * 1000000u + CP_POLL_SLACK_USEC;
	if (cp_http_send(c, CP_RPC_POLL, &req.base, true, timeout, poll_done, &err) < 0) {
		struct cp_result res = { .code = ECSAGENT__ERROR_CODE__INTERNAL };
		snprintf(res.detail, sizeof(res.detail), "poll: %s", err_msg(&err));
		poll_failed(c, &res);
	}
}

/* ---- telemetry: best effort, never retried (the next sample supersedes) ---- */

static void telemetry_done(struct cp_client *c, const struct cp_result *res)
{
	if (!res->ok) {
		log_debug("Telemetry failed: %s", res->detail);
		if (!cp_handle_session_error(c, CP_RPC_TELEMETRY, res))
			cp_note_failure(c, res);
		return;
	}
	struct ecs_err err = { 0 };
	_cleanup_wire_ Ecsagent__TelemetryResponse *resp =
		wire_decode_telemetry_response(res->body, res->len, &err);
	if (!resp) {
		log_debug("Telemetry: bad response: %s", err_msg(&err));
		return;
	}
	cp_authenticated_ok(c);
	if (resp->telemetry_interval_seconds)
		c->telemetry_interval_s = resp->telemetry_interval_seconds;
}

void cp_telemetry_send(struct cp_client *c)
{
	if (!cp_session_ready(c) || !c->ops->fill_telemetry)
		return;
	/* The next tick is due whatever becomes of this one. */
	cp_stream_schedule(c, CP_RPC_TELEMETRY, (uint64_t)c->telemetry_interval_s * 1000000u);
	if (c->streams[CP_RPC_TELEMETRY].inflight)
		return; /* the previous sample is still on its way: skip this one */
	Ecsagent__TelemetryRequest req = ECSAGENT__TELEMETRY_REQUEST__INIT;
	struct ecs_err err = { 0 };
	int r = c->ops->fill_telemetry(c->ud, &req, &err);
	if (r >= 0) {
		req.container_instance_arn = c->instance_arn;
		r = cp_http_send(c, CP_RPC_TELEMETRY, &req.base, true, CP_HTTP_TIMEOUT_USEC,
				 telemetry_done, &err);
	}
	if (r < 0)
		log_debug("Telemetry not sent: %s", err_msg(&err));
}
