/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP for the control-plane client: one libcurl multi handle driven by the
 * agent's sd-event loop (curl tells us which sockets to watch and when its
 * next timeout is; we call curl_multi_socket_action from sd-event sources),
 * so no call here ever blocks. The multi handle keeps a pool of keep-alive
 * connections; a parked long-poll holds one and reports use another.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "cleanup.h"
#include "cp-client-internal.h"
#include "log.h"
#include "wire.h"

/* A watched socket: curl owns the fd, we own the sd-event source. */
struct cp_sock {
	curl_socket_t fd;
	sd_event_source *src;
	struct cp_sock *next;
};

struct cp_req {
	struct cp_client *c;
	enum cp_rpc rpc;
	cp_done_fn done;
	CURL *easy;
	struct curl_slist *headers;
	uint8_t *body;
	size_t body_len;
	uint8_t *resp;
	size_t resp_len;
	size_t resp_max;
	bool resp_too_large;
	char errbuf[CURL_ERROR_SIZE];
};

static const struct {
	const char *name;
	const char *path;
	enum wire_msg response;
} rpcs[CP_RPC_COUNT] = {
	[CP_RPC_REGISTER] = { "register", WIRE_PATH_REGISTER, WIRE_REGISTER_RESPONSE },
	[CP_RPC_POLL] = { "poll", WIRE_PATH_POLL, WIRE_POLL_RESPONSE },
	[CP_RPC_STATE] = { "state report", WIRE_PATH_STATE, WIRE_STATE_RESPONSE },
	[CP_RPC_TELEMETRY] = { "telemetry", WIRE_PATH_TELEMETRY, WIRE_TELEMETRY_RESPONSE },
};

const char *cp_rpc_name(enum cp_rpc rpc)
{
	return rpc < CP_RPC_COUNT ? rpcs[rpc].name : "unknown";
}

static void req_free(struct cp_req *rq)
{
	if (!rq)
		return;
	if (rq->easy) {
		curl_multi_remove_handle(rq->c->multi, rq->easy);
		curl_easy_cleanup(rq->easy);
	}
	curl_slist_free_all(rq->headers);
	free(rq->body);
	free(rq->resp);
	free(rq);
}

/* ---- results ---- */

static Ecsagent__ErrorCode code_from_http(long status)
{
	switch (status) {
	case 400:
	case 415:
		return ECSAGENT__ERROR_CODE__BAD_REQUEST;
	case 401:
		return ECSAGENT__ERROR_CODE__UNAUTHENTICATED;
	case 403:
		return ECSAGENT__ERROR_CODE__FORBIDDEN;
	case 404:
		return ECSAGENT__ERROR_CODE__NOT_FOUND;
	case 410:
		return ECSAGENT__ERROR_CODE__INSTANCE_INACTIVE;
	case 413:
		return ECSAGENT__ERROR_CODE__TOO_LARGE;
	case 429:
		return ECSAGENT__ERROR_CODE__THROTTLED;
	case 500:
		return ECSAGENT__ERROR_CODE__INTERNAL;
	default:
		/* 5xx without a body, a proxy's odd answers: treat as unavailable. */
		return ECSAGENT__ERROR_CODE__UNAVAILABLE;
	}
}

static void fill_result(struct cp_req *rq, CURLcode cc, struct cp_result *res)
{
	memset(res, 0, sizeof(*res));
	if (cc != CURLE_OK) {
		res->code = ECSAGENT__ERROR_CODE__UNAVAILABLE;
		res->transport = (int)cc;
		if (rq->resp_too_large)
			snprintf(res->detail, sizeof(res->detail), "%s: response over %zu bytes",
				 cp_rpc_name(rq->rpc), rq->resp_max);
		else
			snprintf(res->detail, sizeof(res->detail), "%s: %s", cp_rpc_name(rq->rpc),
				 rq->errbuf[0] ? rq->errbuf : curl_easy_strerror(cc));
		return;
	}
	curl_easy_getinfo(rq->easy, CURLINFO_RESPONSE_CODE, &res->http_status);
	if (res->http_status >= 200 && res->http_status < 300) {
		res->ok = true;
		res->body = rq->resp;
		res->len = rq->resp_len;
		return;
	}

	res->code = code_from_http(res->http_status);
	curl_off_t retry_after_s = 0;
	if (curl_easy_getinfo(rq->easy, CURLINFO_RETRY_AFTER, &retry_after_s) == CURLE_OK &&
	    retry_after_s > 0)
		res->retry_after_usec = (uint64_t)retry_after_s * 1000000u;
	_cleanup_wire_ Ecsagent__ErrorResponse *er =
		wire_decode_error_response(rq->resp, rq->resp_len, NULL);
	if (er) {
		if (er->code != ECSAGENT__ERROR_CODE__ERROR_CODE_UNSPECIFIED &&
		    wire_error_code_name(er->code))
			res->code = er->code;
		uint64_t ra = (uint64_t)er->retry_after_ms * 1000u;
		if (ra > res->retry_after_usec)
			res->retry_after_usec = ra;
		snprintf(res->detail, sizeof(res->detail), "%s: HTTP %ld %s: %s",
			 cp_rpc_name(rq->rpc), res->http_status, wire_error_code_name(res->code),
			 er->message);
	} else {
		/* A body that does not decode (a proxy's HTML page): status alone. */
		snprintf(res->detail, sizeof(res->detail), "%s: HTTP %ld (%s)",
			 cp_rpc_name(rq->rpc), res->http_status, wire_error_code_name(res->code));
	}
}

/* Finished transfers: hand each to its stream. A done callback may start
 * new requests; they are added to the multi handle and picked up later. */
static void drain_done(struct cp_client *c)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct cp_req *rq = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&rq);
		CURLcode cc = m->data.result;
		/* m is invalid once the handle is removed. */
		if (!rq)
			continue;
		struct cp_stream *s = &c->streams[rq->rpc];
		if (s->inflight == rq)
			s->inflight = NULL;
		struct cp_result res;
		fill_result(rq, cc, &res);
		cp_done_fn done = rq->done;
		done(c, &res);
		req_free(rq);
	}
}

/* ---- curl <-> sd-event ---- */

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	(void)src;
	struct cp_client *c = userdata;
	int flags = 0, running;
	if (revents & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	drain_done(c);
	return 0;
}

static int on_curl_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	(void)src;
	(void)usec;
	struct cp_client *c = userdata;
	int running;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain_done(c);
	return 0;
}

static void sock_free(struct cp_client *c, struct cp_sock *k)
{
	for (struct cp_sock **p = &c->socks; *p; p = &(*p)->next) {
		if (*p == k) {
			*p = k->next;
			break;
		}
	}
	sd_event_source_disable_unref(k->src);
	free(k);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	struct cp_client *c = userp;
	struct cp_sock *k = socketp;

	if (what == CURL_POLL_REMOVE) {
		if (k)
			sock_free(c, k);
		curl_multi_assign(c->multi, fd, NULL);
		return 0;
	}
	uint32_t events = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (k)
		return sd_event_source_set_io_events(k->src, events) < 0 ? -1 : 0;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -1;
	k->fd = fd;
	if (sd_event_add_io(c->event, &k->src, fd, events, on_io, c) < 0) {
		free(k);
		return -1;
	}
	k->next = c->socks;
	c->socks = k;
	curl_multi_assign(c->multi, fd, k);
	return 0;
}

static int on_timeout_change(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct cp_client *c = userp;
	if (timeout_ms < 0)
		return sd_event_source_set_enabled(c->curl_timer, SD_EVENT_OFF) < 0 ? -1 : 0;
	/* Even a 0 ms timeout goes through the loop: socket_action must not be
	 * called from inside a curl callback. */
	if (sd_event_source_set_time_relative(c->curl_timer, (uint64_t)timeout_ms * 1000u) < 0)
		return -1;
	return sd_event_source_set_enabled(c->curl_timer, SD_EVENT_ONESHOT) < 0 ? -1 : 0;
}

int cp_http_init(struct cp_client *c, struct ecs_err *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(err, EIO, "initialising libcurl failed");
	c->multi = curl_multi_init();
	if (!c->multi) {
		curl_global_cleanup();
		return err_set(err, ENOMEM, "creating a curl multi handle failed");
	}
	/* Accuracy 1 us: sd-event's default (0) means 250 ms, which would hold
	 * every new request - a state report right after a container started -
	 * for up to a quarter of a second. */
	int r = sd_event_add_time_relative(c->event, &c->curl_timer, CLOCK_MONOTONIC, 0, 1,
					   on_curl_timer, c);
	if (r < 0)
		return err_set_errno(err, -r, "adding the HTTP timer");
	sd_event_source_set_enabled(c->curl_timer, SD_EVENT_OFF);
	(void)sd_event_source_set_description(c->curl_timer, "cp-client-curl");
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timeout_change);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return 0;
}

void cp_http_done(struct cp_client *c)
{
	if (!c->multi)
		return;
	for (size_t i = 0; i < CP_RPC_COUNT; i++)
		cp_http_cancel(c, (enum cp_rpc)i);
	/* Cleanup may still report sockets and timeouts: the sources exist
	 * until it returns. */
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->socks)
		sock_free(c, c->socks);
	c->curl_timer = sd_event_source_disable_unref(c->curl_timer);
	curl_global_cleanup();
}

/* ---- requests ---- */

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct cp_req *rq = userdata;
	size_t n = size * nmemb;
	/* Refuse oversized bodies while they arrive, not after. */
	if (n > rq->resp_max - rq->resp_len) {
		rq->resp_too_large = true;
		return 0;
	}
	uint8_t *grown = realloc(rq->resp, rq->resp_len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + rq->resp_len, ptr, n);
	rq->resp = grown;
	rq->resp_len += n;
	return n;
}

int cp_http_send(struct cp_client *c, enum cp_rpc rpc, const ProtobufCMessage *msg,
		 bool authed, uint64_t timeout_usec, cp_done_fn done, struct ecs_err *err)
{
	struct cp_req *rq = calloc(1, sizeof(*rq));
	if (!rq)
		return err_set(err, ENOMEM, "allocating a request");
	rq->c = c;
	rq->rpc = rpc;
	rq->done = done;
	size_t max_resp = wire_msg_max_size(rpcs[rpc].response);
	size_t max_err = WIRE_MAX_ERROR_RESPONSE;
	rq->resp_max = max_resp > max_err ? max_resp : max_err;
	rq->body = wire_encode(msg, &rq->body_len, err);
	if (!rq->body) {
		int r = err_wrap(err, "encoding the %s request", cp_rpc_name(rpc));
		req_free(rq);
		return r;
	}

	_cleanup_free_ char *url = NULL;
	if (asprintf(&url, "%s%s", c->url, rpcs[rpc].path) < 0) {
		url = NULL;
		req_free(rq);
		return err_set(err, ENOMEM, "building the URL");
	}
	rq->easy = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: " WIRE_CONTENT_TYPE);
	if (h)
		rq->headers = h;
	/* No "100-continue" round trip for small bodies. */
	if (h && (h = curl_slist_append(rq->headers, "Expect:")))
		rq->headers = h;
	if (h && authed && c->token) {
		_cleanup_free_ char *auth = NULL;
		if (asprintf(&auth, "Authorization: Bearer %s", c->token) < 0)
			auth = NULL;
		h = auth ? curl_slist_append(rq->headers, auth) : NULL;
		if (h)
			rq->headers = h;
	}
	if (!rq->easy || !h) {
		req_free(rq);
		return err_set(err, ENOMEM, "preparing the %s request", cp_rpc_name(rpc));
	}

	CURL *e = rq->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, rq->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ecs-agent/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, rq);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, rq->errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout_usec / 1000u));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, rq);

	CURLMcode mc = curl_multi_add_handle(c->multi, e);
	if (mc != CURLM_OK) {
		int r = err_set(err, EIO, "starting the %s request: %s", cp_rpc_name(rpc),
				curl_multi_strerror(mc));
		/* Not added: do not let req_free remove it. */
		curl_easy_cleanup(TAKE_PTR(rq->easy));
		req_free(rq);
		return r;
	}
	c->streams[rpc].inflight = rq;
	log_debug("Sent %s request (%zu bytes)", cp_rpc_name(rpc), rq->body_len);
	return 0;
}

void cp_http_cancel(struct cp_client *c, enum cp_rpc rpc)
{
	struct cp_req *rq = c->streams[rpc].inflight;
	c->streams[rpc].inflight = NULL;
	req_free(rq);
}
