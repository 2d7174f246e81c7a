/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control-plane session (agent/cp-client.h): registration, the
 * long-poll loop, telemetry, and the reactions every RPC shares. HTTP
 * plumbing is in cp-client-http.c, state reports in cp-client-report.c.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp-client-internal.h"
#include "log.h"

/* ---- shared reactions ---- */

void cp_set_connected(struct cp_client *c, bool connected, const char *detail)
{
	if (c->connection_known && c->connected == connected)
		return;
	c->connection_known = true;
	c->connected = connected;
	log_debug("Control plane %s: %s", connected ? "connected" : "disconnected",
		  detail ? detail : "");
	if (c->ops->connection)
		c->ops->connection(c->ud, connected, detail ? detail : "");
}

void cp_authenticated_ok(struct cp_client *c)
{
	c->unauth_streak = 0;
	cp_set_connected(c, true, "connected");
}

void cp_result_from_decode(struct cp_result *res, int r, const struct ecs_err *err,
			   const char *what)
{
	res->ok = false;
	res->code = r == -EPROTONOSUPPORT ? ECSAGENT__ERROR_CODE__VERSION_NOT_SUPPORTED
					  : ECSAGENT__ERROR_CODE__UNAVAILABLE;
	if (r == -EPROTONOSUPPORT)
		snprintf(res->detail, sizeof(res->detail),
			 "%s: the control plane speaks a newer protocol (we speak %u.%u): %s", what,
			 WIRE_PROTOCOL_MAJOR, WIRE_PROTOCOL_MINOR, err_msg(err));
	else
		snprintf(res->detail, sizeof(res->detail), "%s: bad response: %s", what,
			 err_msg(err));
}

static bool is_permanent(Ecsagent__ErrorCode code)
{
	return code == ECSAGENT__ERROR_CODE__FORBIDDEN ||
	       code == ECSAGENT__ERROR_CODE__VERSION_NOT_SUPPORTED;
}

uint64_t cp_retry_delay(struct cp_client *c, enum cp_rpc rpc, const struct cp_result *res)
{
	uint64_t delay = backoff_next(&c->streams[rpc].backoff);
	if (is_permanent(res->code))
		delay = c->max_backoff_usec;
	/* The server's wish wins when it asks for longer. */
	if (res->retry_after_usec > delay)
		delay = res->retry_after_usec;
	return delay;
}

void cp_stream_schedule(struct cp_client *c, enum cp_rpc rpc, uint64_t usec)
{
	sd_event_source *t = c->streams[rpc].timer;
	if (sd_event_source_set_time_relative(t, usec) < 0 ||
	    sd_event_source_set_enabled(t, SD_EVENT_ONESHOT) < 0)
		log_debug("Arming the %s timer failed", cp_rpc_name(rpc));
}

bool cp_stream_scheduled(const struct cp_client *c, enum cp_rpc rpc)
{
	int enabled = SD_EVENT_OFF;
	if (sd_event_source_get_enabled(c->streams[rpc].timer, &enabled) < 0)
		return false;
	return enabled != SD_EVENT_OFF;
}

static void stream_stop(struct cp_client *c, enum cp_rpc rpc)
{
	cp_http_cancel(c, rpc);
	sd_event_source_set_enabled(c->streams[rpc].timer, SD_EVENT_OFF);
}

static void register_send(struct cp_client *c);

/* Drop the token and register again; every authenticated stream waits for
 * the new one (cp_session_ready() is false meanwhile). */
static void reregister(struct cp_client *c, const char *why)
{
	if (c->registering || c->deregistered)
		return;
	log_debug("Registering again: %s", why);
	c->registering = true;
	free(c->token);
	c->token = NULL;
	/* A second 401 right after a fresh token means something is off:
	 * do not spin between register and 401. */
	uint64_t delay = c->unauth_streak > 1 ? backoff_next(&c->streams[CP_RPC_REGISTER].backoff)
					      : 0;
	cp_stream_schedule(c, CP_RPC_REGISTER, delay);
}

void cp_go_deregistered(struct cp_client *c, const char *detail)
{
	if (c->deregistered)
		return;
	c->deregistered = true;
	c->registering = false;
	for (size_t i = 0; i < CP_RPC_COUNT; i++)
		stream_stop(c, (enum cp_rpc)i);
	free(c->token);
	c->token = NULL;
	cp_set_connected(c, false, detail);
	c->ops->deregistered(c->ud);
}

bool cp_handle_session_error(struct cp_client *c, enum cp_rpc rpc, const struct cp_result *res)
{
	(void)rpc;
	switch (res->code) {
	case ECSAGENT__ERROR_CODE__UNAUTHENTICATED:
		c->unauth_streak++;
		reregister(c, res->detail);
		return true;
	case ECSAGENT__ERROR_CODE__NOT_FOUND:
		/* The instance is unknown: register as a new one. */
		c->drop_previous_arn = true;
		reregister(c, res->detail);
		return true;
	case ECSAGENT__ERROR_CODE__INSTANCE_INACTIVE:
		cp_go_deregistered(c, res->detail);
		return true;
	default:
		return false;
	}
}

void cp_note_failure(struct cp_client *c, const struct cp_result *res)
{
	/* Only "cannot reach it" is a lost connection; a refusal is an answer. */
	if (res->http_status == 0 || res->http_status >= 500)
		cp_set_connected(c, false, res->detail);
}

/* ---- register ---- */

static void register_failed(struct cp_client *c, const struct cp_result *res, bool sent_previous)
{
	if (res->code == ECSAGENT__ERROR_CODE__INSTANCE_INACTIVE) {
		cp_go_deregistered(c, res->detail);
		return;
	}
	uint64_t delay = cp_retry_delay(c, CP_RPC_REGISTER, res);
	if (res->code == ECSAGENT__ERROR_CODE__NOT_FOUND) {
		if (sent_previous)
			c->drop_previous_arn = true; /* maybe it is only our ARN it does not know */
		else
			delay = c->max_backoff_usec; /* the cluster does not exist */
	} else if (res->code == ECSAGENT__ERROR_CODE__BAD_REQUEST) {
		delay = c->max_backoff_usec;
	}
	/* The daemon has no other way to learn why it is not registered: say
	 * it once per distinct reason. */
	/* Keyed by kind, not text: curl's messages carry timings. */
	long key = ((long)res->code * 1000 + res->http_status) * 1000 + res->transport;
	if (!c->register_warned || c->register_error_key != key) {
		log_warn("Registering with the control plane at %s failed, retrying: %s", c->url,
			 res->detail);
		c->register_warned = true;
		c->register_error_key = key;
	}
	cp_set_connected(c, false, res->detail);
	cp_stream_schedule(c, CP_RPC_REGISTER, delay);
}

static int save_registration(struct cp_client *c, const Ecsagent__RegisterResponse *resp,
			     bool same_arn, struct ecs_err *err)
{
	int r = state_begin(c->state, err);
	if (r < 0)
		return r;
	if ((r = state_meta_set(c->state, "instance_arn", resp->container_instance_arn, err)) < 0 ||
	    (r = state_meta_set(c->state, "cluster_arn", resp->cluster_arn, err)) < 0 ||
	    (r = state_meta_set(c->state, "instance_token", resp->instance_token, err)) < 0 ||
	    (!same_arn && (r = state_meta_set(c->state, "poll_version", "0", err)) < 0) ||
	    (r = state_commit(c->state, err)) < 0) {
		state_rollback(c->state);
		return r;
	}
	return 0;
}

static void register_done(struct cp_client *c, const struct cp_result *res)
{
	bool sent_previous = c->instance_arn && !c->drop_previous_arn;
	if (!res->ok) {
		register_failed(c, res, sent_previous);
		return;
	}
	struct ecs_err err = { 0 };
	struct cp_result bad = *res;
	_cleanup_wire_ Ecsagent__RegisterResponse *resp =
		wire_decode_register_response(res->body, res->len, &err);
	if (!resp) {
		cp_result_from_decode(&bad, -err.code, &err, "register");
		register_failed(c, &bad, sent_previous);
		return;
	}
	if (!resp->container_instance_arn[0] || !resp->instance_token[0]) {
		bad.ok = false;
		bad.code = ECSAGENT__ERROR_CODE__UNAVAILABLE;
		snprintf(bad.detail, sizeof(bad.detail), "register: response without %s",
			 resp->container_instance_arn[0] ? "instance token" : "instance ARN");
		register_failed(c, &bad, sent_previous);
		return;
	}

	bool same = c->instance_arn && strcmp(c->instance_arn, resp->container_instance_arn) == 0;
	char *arn = strdup(resp->container_instance_arn);
	char *token = strdup(resp->instance_token);
	/* The ARN is on disk before anything acts on it. */
	int r = arn && token ? save_registration(c, resp, same, &err)
			     : err_set(&err, ENOMEM, "copying the registration");
	if (r < 0) {
		free(arn);
		free(token);
		bad.ok = false;
		bad.code = ECSAGENT__ERROR_CODE__INTERNAL;
		snprintf(bad.detail, sizeof(bad.detail), "saving the registration: %s",
			 err_msg(&err));
		register_failed(c, &bad, sent_previous);
		return;
	}
	free(c->instance_arn);
	c->instance_arn = arn;
	free(c->token);
	c->token = token;
	if (!same)
		c->known_version = 0;
	c->registering = false;
	c->registered_once = true;
	c->drop_previous_arn = false;
	c->register_warned = false;
	backoff_reset(&c->streams[CP_RPC_REGISTER].backoff);

	uint32_t server_wait = resp->poll_timeout_seconds ? resp->poll_timeout_seconds
							  : CP_DEFAULT_POLL_WAIT_S;
	uint32_t ours = (uint32_t)((c->poll_wait_usec + 999999u) / 1000000u);
	c->wait_seconds = ours && ours < server_wait ? ours : server_wait;
	if (resp->telemetry_interval_seconds)
		c->telemetry_interval_s = resp->telemetry_interval_seconds;

	cp_set_connected(c, true, "registered");
	c->ops->registered(c->ud, c->instance_arn);
	if (!cp_session_ready(c))
		return;

	/* Requests still carrying the old token would only earn a 401: start
	 * every stream afresh with the new one. */
	for (enum cp_rpc rpc = CP_RPC_POLL; rpc < CP_RPC_COUNT; rpc++)
		stream_stop(c, rpc);
	cp_stream_schedule(c, CP_RPC_POLL, 0);
	cp_stream_schedule(c, CP_RPC_STATE, 0);
	if (c->ops->fill_telemetry)
		cp_stream_schedule(c, CP_RPC_TELEMETRY, (uint64_t)c->telemetry_interval_s * 1000000u);
}

static void register_send(struct cp_client *c)
{
	if (c->deregistered)
		return;
	c->registering = true;
	struct ecs_err err = { 0 };
	Ecsagent__RegisterRequest req = ECSAGENT__REGISTER_REQUEST__INIT;
	int r = c->ops->fill_register ? c->ops->fill_register(c->ud, &req, &err) : 0;
	if (r < 0) {
		err_wrap(&err, "describing this host");
	} else {
		req.cluster = c->cluster;
		req.join_token = c->join_token;
		req.instance_identity = c->identity;
		req.hostname = c->hostname;
		req.previous_container_instance_arn =
			c->instance_arn && !c->drop_previous_arn ? c->instance_arn : (char *)"";
		r = cp_http_send(c, CP_RPC_REGISTER, &req.base, false, CP_HTTP_TIMEOUT_USEC,
				 register_done, &err);
	}
	if (r < 0) {
		struct cp_result res = { .code = ECSAGENT__ERROR_CODE__INTERNAL };
		snprintf(res.detail, sizeof(res.detail), "register: %s", err_msg(&err));
		register_failed(c, &res, false);
	}
}

/* ---- lifecycle ---- */

static int on_stream_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	(void)src;
	(void)usec;
	struct cp_stream *s = userdata;
	switch (s->rpc) {
	case CP_RPC_REGISTER:
		register_send(s->c);
		break;
	case CP_RPC_POLL:
		cp_poll_send(s->c);
		break;
	case CP_RPC_STATE:
		cp_report_pump(s->c);
		break;
	case CP_RPC_TELEMETRY:
		cp_telemetry_send(s->c);
		break;
	default:
		break;
	}
	return 0;
}

static char *dup_url(const char *url)
{
	size_t n = strlen(url);
	/* "http://host:port/" must reach "/v1/agent/...", not "//v1/agent/...". */
	while (n > 0 && url[n - 1] == '/')
		n--;
	return strndup(url, n);
}

int cp_client_new(sd_event *event, struct state *state, const struct cp_client_params *params,
		  const struct cp_client_ops *ops, void *ud, struct cp_client **out,
		  struct ecs_err *err)
{
	*out = NULL;
	if (!event || !state || !params || !ops || !params->url || !params->url[0] ||
	    !ops->registered || !ops->desired || !ops->deregistered)
		return err_set(err, EINVAL, "control-plane client: missing URL, state or callback");
	_cleanup_(cp_client_freep) struct cp_client *c = calloc(1, sizeof(*c));
	if (!c)
		return err_set(err, ENOMEM, "allocating the control-plane client");
	c->event = sd_event_ref(event);
	c->state = state;
	c->ops = ops;
	c->ud = ud;
	c->url = dup_url(params->url);
	c->cluster = strdup(params->cluster ? params->cluster : "");
	c->join_token = strdup(params->join_token ? params->join_token : "");
	c->identity = strdup(params->instance_identity ? params->instance_identity : "");
	c->hostname = strdup(params->hostname ? params->hostname : "");
	if (!c->url || !c->cluster || !c->join_token || !c->identity || !c->hostname)
		return err_set(err, ENOMEM, "copying the control-plane parameters");
	c->poll_wait_usec = params->poll_wait_usec;
	c->max_backoff_usec = params->max_backoff_usec ? params->max_backoff_usec
						       : 30ull * 1000 * 1000;
	if (c->max_backoff_usec < CP_BACKOFF_MIN_USEC)
		c->max_backoff_usec = CP_BACKOFF_MIN_USEC;
	c->telemetry_interval_s = CP_DEFAULT_TELEMETRY_S;
	c->wait_seconds = CP_DEFAULT_POLL_WAIT_S;
	c->report_batch = CP_REPORT_BATCH_MAX;

	int r = cp_http_init(c, err);
	if (r < 0)
		return r;
	static const char *const names[CP_RPC_COUNT] = { "cp-register", "cp-poll", "cp-report",
							 "cp-telemetry" };
	for (size_t i = 0; i < CP_RPC_COUNT; i++) {
		struct cp_stream *s = &c->streams[i];
		s->c = c;
		s->rpc = (enum cp_rpc)i;
		r = backoff_init(&s->backoff, CP_BACKOFF_MIN_USEC, c->max_backoff_usec, 2.0, 1.0, err);
		if (r < 0)
			return r;
		/* 1 us accuracy: the default 250 ms would delay every kick. */
		r = sd_event_add_time_relative(event, &s->timer, CLOCK_MONOTONIC, 0, 1,
					       on_stream_timer, s);
		if (r < 0)
			return err_set_errno(err, -r, "adding the %s timer", names[i]);
		sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
		(void)sd_event_source_set_description(s->timer, names[i]);
	}
	*out = TAKE_PTR(c);
	return 0;
}

int cp_client_start(struct cp_client *c, struct ecs_err *err)
{
	if (c->started)
		return err_set(err, EALREADY, "the control-plane client is already started");
	char *arn = NULL, *version = NULL;
	int r = state_meta_get(c->state, "instance_arn", &arn, err);
	if (r < 0 && r != -ENOENT)
		return err_wrap(err, "reading the saved instance ARN");
	r = state_meta_get(c->state, "poll_version", &version, err);
	if (r < 0 && r != -ENOENT) {
		free(arn);
		return err_wrap(err, "reading the saved poll version");
	}
	err_clear(err);
	if (arn && !arn[0]) {
		free(arn);
		arn = NULL;
	}
	c->instance_arn = arn;
	c->known_version = version ? strtoull(version, NULL, 10) : 0;
	free(version);
	c->started = true;
	register_send(c);
	return 0;
}

void cp_client_kick_reports(struct cp_client *c)
{
	if (!c || !cp_session_ready(c))
		return;
	/* Through the loop, so changes queued together go in one batch; a
	 * pending retry keeps its backoff. */
	if (!c->streams[CP_RPC_STATE].inflight && !cp_stream_scheduled(c, CP_RPC_STATE))
		cp_stream_schedule(c, CP_RPC_STATE, 0);
}

const char *cp_client_instance_arn(const struct cp_client *c)
{
	return c && c->registered_once ? c->instance_arn : NULL;
}

bool cp_client_connected(const struct cp_client *c)
{
	return c && c->connected;
}

void cp_client_free(struct cp_client *c)
{
	if (!c)
		return;
	cp_http_done(c);
	for (size_t i = 0; i < CP_RPC_COUNT; i++)
		c->streams[i].timer = sd_event_source_disable_unref(c->streams[i].timer);
	sd_event_unref(c->event);
	free(c->url);
	free(c->cluster);
	free(c->join_token);
	free(c->identity);
	free(c->hostname);
	free(c->instance_arn);
	free(c->token);
	free(c->report_first_arn);
	free(c);
}
