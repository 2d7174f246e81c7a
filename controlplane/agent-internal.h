/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Shared by agent-endpoint.c, agent-poll.c and agent-liveness.c. */
#include "agent-endpoint.h"
#include "store-instances.h"
#include "wire.h"

struct parked_poll;

struct agent_endpoint {
	sd_event *event;
	struct api *api;
	struct store *store;

	char *region;
	char *account_id;
	char *join_token;
	struct agent_cluster_token *cluster_tokens; /* strings owned */
	size_t n_cluster_tokens;
	uint64_t poll_timeout_usec;
	uint64_t telemetry_interval_usec;
	uint64_t disconnect_timeout_usec;
	uint64_t lost_timeout_usec;
	/* Contact is written to the store at most this often per instance. */
	int64_t touch_interval_ms;

	struct parked_poll *parked;
	sd_event_source *wake;     /* answers polls whose instance changed */
	/* The server whose answers wait for the wake (set with it). */
	struct http_server *held_http;
	sd_event_source *liveness; /* the periodic sweep */
};

/* Wall clock, milliseconds since the epoch. */
int64_t agent_now_ms(void);

/* Answer with an ErrorResponse. */
void agent_fail(struct http_request *req, Ecsagent__ErrorCode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Answer 200 with an encoded message. */
void agent_reply(struct http_request *req, const ProtobufCMessage *msg);

/* Record contact with the instance's agent unless it was recorded less
 * than touch_interval_ms ago (inside the caller's transaction). */
int agent_touch(struct agent_endpoint *ep, const struct store_instance *in, int64_t now_ms,
		struct ecs_err *err);

/* ---- agent-poll.c ---- */
/* Handle a decoded, authenticated PollRequest for `in` (taken over). */
void agent_poll(struct agent_endpoint *ep, struct http_request *req,
		const Ecsagent__PollRequest *poll, struct store_instance *in);
/* Whether a poll of this instance is parked (its agent is connected). */
bool agent_poll_parked(const struct agent_endpoint *ep, int64_t instance_id);
/* The api's instance listener. */
void agent_poll_changed(int64_t instance_id, void *userdata);
int agent_poll_init(struct agent_endpoint *ep);
/* Answer every parked poll "unchanged" (used when freeing). */
void agent_poll_release(struct agent_endpoint *ep);

/* ---- agent-liveness.c ---- */
int agent_liveness_init(struct agent_endpoint *ep);
