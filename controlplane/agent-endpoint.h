/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The agent protocol's HTTP face (docs/protocol.md): POST
 * /v1/agent/{register,poll,state,telemetry} with protobuf bodies, join and
 * instance tokens, long polls parked on the event loop and answered within
 * milliseconds of a change to the instance's desired tasks, and the
 * liveness sweep that marks silent agents disconnected and, later, stops
 * their tasks.
 */
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "cleanup.h"
#include "error.h"
#include "http.h"

struct api;
struct store;

/* A cluster's own join token (it replaces the common one for that
 * cluster). */
struct agent_cluster_token {
	const char *cluster; /* cluster name */
	const char *token;
};

struct agent_settings {
	const char *region;
	const char *account_id;
	const char *join_token; /* accepted for every cluster; NULL: none */
	const struct agent_cluster_token *cluster_tokens;
	size_t n_cluster_tokens;
	uint64_t poll_timeout_usec;        /* longest a poll is held (>= 1 s) */
	uint64_t telemetry_interval_usec;  /* told to agents; 0: their default */
	uint64_t disconnect_timeout_usec;  /* silent this long: agentConnected false */
	uint64_t lost_timeout_usec;        /* silent this long: tasks STOPPED */
};

struct agent_endpoint;

/* Strings in `settings` are copied. The api and store must outlive the
 * endpoint; the endpoint registers the api's instance listener. */
struct agent_endpoint *agent_endpoint_new(sd_event *event, struct api *api, struct store *store,
					  const struct agent_settings *settings,
					  struct ecs_err *err);
/* Parked polls must be gone (http_server_shutdown() or _free() answers
 * them) before the endpoint is freed. Accepts NULL. */
void agent_endpoint_free(struct agent_endpoint *ep);
DEFINE_CLEANUP(struct agent_endpoint, agent_endpoint_free)

/* The route handler for "/v1/agent/" (userdata: the endpoint). */
void agent_endpoint_handle(void *userdata, struct http_request *req);

/* The largest request body of any agent RPC (the route's limit). */
size_t agent_endpoint_max_body(void);

/* Run the liveness sweep now (tests; it also runs on its own timer). */
void agent_endpoint_sweep(struct agent_endpoint *ep);
