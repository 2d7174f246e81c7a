/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The control-plane session: register, long-poll, state reports and
 * telemetry over HTTP (docs/protocol.md), driven by libcurl multi inside the
 * agent's sd-event loop. The only libcurl user in the agent besides the
 * image registry client.
 *
 * Behaviour
 *   - Registration at start, with previous_container_instance_arn taken from
 *     the state's "instance_arn" so a restarted agent keeps its identity;
 *     the new ARN, cluster ARN and instance token are saved in the state.
 *   - A long-poll loop (known_version from "poll_version", saved after each
 *     delivered response); a changed response goes to ops->desired.
 *   - Reports: the state outbox is sent oldest first, in batches, one
 *     request in flight; acks remove items. cp_client_kick_reports() is
 *     called whenever the engine queues a change.
 *   - Telemetry every telemetry_interval_seconds (from registration or the
 *     latest TelemetryResponse), filled by ops->fill_telemetry.
 *   - Failures back off exponentially with jitter (lib/backoff), capped by
 *     ECS_RECONNECT_MAX_BACKOFF. UNAUTHENTICATED re-registers; FORBIDDEN and
 *     NOT_FOUND on registration keep retrying slowly and say why;
 *     INSTANCE_INACTIVE (or a poll's DEREGISTERED) goes to ops->deregistered
 *     and stops polling. THROTTLED honours retry_after_ms.
 *   - While the control plane is unreachable, nothing is lost: the outbox is
 *     on disk, and tasks keep running.
 */
#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "cleanup.h"
#include "error.h"
#include "state.h"
#include "wire.h"

struct cp_client;

struct cp_client_params {
	const char *url;            /* "http://127.0.0.1:8080" */
	const char *cluster;
	const char *join_token;
	const char *instance_identity;
	const char *hostname;
	uint64_t poll_wait_usec;
	uint64_t max_backoff_usec;
};

struct cp_client_ops {
	/* Fill total_resources, attributes, tags and version_info of a
	 * RegisterRequest. The arrays stay owned by the callee and must live
	 * until the next fill_register call or cp_client_free. */
	int (*fill_register)(void *ud, Ecsagent__RegisterRequest *req, struct ecs_err *err);
	/* Registration succeeded (state already updated). */
	void (*registered)(void *ud, const char *instance_arn);
	/* A poll response whose task list changed (unchanged=false). The
	 * response is freed after the call returns. */
	void (*desired)(void *ud, const Ecsagent__PollResponse *resp);
	/* The instance was deregistered: stop every task; no more polls. */
	void (*deregistered)(void *ud);
	/* Fill instance_health and tasks of a TelemetryRequest; same lifetime
	 * rule as fill_register. NULL: telemetry not sent. */
	int (*fill_telemetry)(void *ud, Ecsagent__TelemetryRequest *req, struct ecs_err *err);
	/* Connection up/down, for STATUS= lines. */
	void (*connection)(void *ud, bool connected, const char *detail);
};

int cp_client_new(sd_event *event, struct state *state, const struct cp_client_params *params,
		  const struct cp_client_ops *ops, void *ud, struct cp_client **out,
		  struct ecs_err *err);
/* Begin registering; everything else follows from the event loop. */
int cp_client_start(struct cp_client *c, struct ecs_err *err);
/* The outbox has new items: send them now if no report is in flight. */
void cp_client_kick_reports(struct cp_client *c);
/* The current instance ARN (NULL before the first registration). */
const char *cp_client_instance_arn(const struct cp_client *c);
bool cp_client_connected(const struct cp_client *c);
/* Abort transfers and free. NULL ok. */
void cp_client_free(struct cp_client *c);
DEFINE_CLEANUP(struct cp_client, cp_client_free)
