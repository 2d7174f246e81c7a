/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Private parts of the control-plane client, shared by its files:
 *   cp-client.c         lifecycle, registration, shared reactions to errors
 *   cp-client-poll.c    the long-poll loop and telemetry
 *   cp-client-http.c    libcurl multi inside sd-event, requests, error mapping
 *   cp-client-report.c  the state-report pump
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "backoff.h"
#include "cp-client.h"

/* The RPCs; each is a stream with its own backoff and at most one request
 * in flight, so a slow poll never delays a report. */
enum cp_rpc {
	CP_RPC_REGISTER = 0,
	CP_RPC_POLL,
	CP_RPC_STATE,
	CP_RPC_TELEMETRY,
	CP_RPC_COUNT,
};

#define CP_HTTP_TIMEOUT_USEC (30ull * 1000 * 1000)
#define CP_POLL_SLACK_USEC   (10ull * 1000 * 1000)
#define CP_BACKOFF_MIN_USEC  (250ull * 1000)
#define CP_DEFAULT_POLL_WAIT_S 20u
#define CP_DEFAULT_TELEMETRY_S 30u
#define CP_REPORT_BATCH_MAX  50u

/* How a finished request went: HTTP 2xx with a body to decode, or an error
 * already mapped to the protocol's codes (docs/protocol.md, section 9). */
struct cp_result {
	bool ok;
	long http_status;            /* 0: no HTTP answer */
	int transport;               /* CURLcode when there was no answer */
	Ecsagent__ErrorCode code;    /* when !ok; UNAVAILABLE for transport failures */
	uint64_t retry_after_usec;   /* larger of ErrorResponse's and Retry-After */
	char detail[512];            /* human reason, never a token */
	const uint8_t *body;         /* when ok */
	size_t len;
};

struct cp_req;
typedef void (*cp_done_fn)(struct cp_client *c, const struct cp_result *res);

struct cp_stream {
	struct cp_client *c;
	enum cp_rpc rpc;
	struct backoff backoff;
	sd_event_source *timer;      /* the next attempt (retry, poll delay, interval) */
	struct cp_req *inflight;
};

struct cp_sock;

struct cp_client {
	sd_event *event;
	struct state *state;
	const struct cp_client_ops *ops;
	void *ud;

	/* params, copied */
	char *url;                   /* without trailing slashes */
	char *cluster, *join_token, *identity, *hostname;
	uint64_t poll_wait_usec, max_backoff_usec;

	CURLM *multi;
	sd_event_source *curl_timer;
	struct cp_sock *socks;

	struct cp_stream streams[CP_RPC_COUNT];

	/* session */
	char *instance_arn;          /* from state at start, then from Register */
	char *token;                 /* NULL while not registered */
	bool started, registering, deregistered;
	bool registered_once;
	bool drop_previous_arn;      /* the control plane did not know our ARN */
	unsigned unauth_streak;      /* 401s since the last authenticated success */
	uint32_t wait_seconds;       /* PollRequest.wait_seconds */
	uint32_t telemetry_interval_s;
	uint64_t known_version;
	size_t report_batch;         /* shrinks on TOO_LARGE and BAD_REQUEST */
	char *report_first_arn;      /* oldest item of the batch in flight */
	uint64_t report_first_seq;
	size_t report_sent;          /* outbox items in the batch in flight */
	bool register_warned;        /* the current reason was logged at warn */
	long register_error_key;     /* which reason (code, status, transport) */

	bool connected;
	bool connection_known;
};

/* cp-client-http.c */
int cp_http_init(struct cp_client *c, struct ecs_err *err);
void cp_http_done(struct cp_client *c);
/* POST `msg` to the RPC's path; `done` runs from the event loop when the
 * request finishes (never from inside this call). Bearer token when
 * authed. */
int cp_http_send(struct cp_client *c, enum cp_rpc rpc, const ProtobufCMessage *msg,
		 bool authed, uint64_t timeout_usec, cp_done_fn done, struct ecs_err *err);
/* Abort the stream's request, if any (its done is not called). */
void cp_http_cancel(struct cp_client *c, enum cp_rpc rpc);
const char *cp_rpc_name(enum cp_rpc rpc);

/* cp-client.c: shared reactions */
void cp_set_connected(struct cp_client *c, bool connected, const char *detail);
/* A 2xx body that does not decode: -EPROTONOSUPPORT is permanent (max
 * backoff), anything else retried with backoff. Fills `res` as an error. */
void cp_result_from_decode(struct cp_result *res, int r, const struct ecs_err *err,
			   const char *what);
void cp_go_deregistered(struct cp_client *c, const char *detail);
/* React to an error shared by every authenticated RPC: UNAUTHENTICATED and
 * NOT_FOUND re-register (true: the stream is parked until then),
 * INSTANCE_INACTIVE deregisters (true). False: the caller retries. */
bool cp_handle_session_error(struct cp_client *c, enum cp_rpc rpc, const struct cp_result *res);
/* Delay before the stream's next attempt after `res` failed. */
uint64_t cp_retry_delay(struct cp_client *c, enum cp_rpc rpc, const struct cp_result *res);
/* Arm the stream's timer `usec` from now (0: at the next loop iteration). */
void cp_stream_schedule(struct cp_client *c, enum cp_rpc rpc, uint64_t usec);
bool cp_stream_scheduled(const struct cp_client *c, enum cp_rpc rpc);
void cp_authenticated_ok(struct cp_client *c);
/* A failure that means "cannot reach it" (no answer, 5xx) marks the
 * connection down; a refusal is an answer. */
void cp_note_failure(struct cp_client *c, const struct cp_result *res);

/* cp-client-poll.c: run from the streams' timers */
void cp_poll_send(struct cp_client *c);
void cp_telemetry_send(struct cp_client *c);

/* Registered, not deregistered, not re-registering: authenticated RPCs
 * may go out. */
static inline bool cp_session_ready(const struct cp_client *c)
{
	return c->started && !c->deregistered && !c->registering && c->token;
}

/* cp-client-report.c */
void cp_report_pump(struct cp_client *c);
