/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "http.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#include <microhttpd.h>

#include "log.h"

/* A body larger than the limit is drained (so the client can read our
 * answer) up to this many times the limit; beyond it the connection is cut. */
#define DRAIN_FACTOR 8

struct http_request {
	struct http_server *srv;
	struct MHD_Connection *conn;
	const struct http_route *route;
	char *method;
	char *path;

	char *body;
	size_t body_len;
	size_t received; /* counts drained bytes too */
	bool too_large;

	struct http_pair *headers, *query;
	size_t n_headers, n_query;
	bool headers_read, query_read;
	char peer[INET6_ADDRSTRLEN];

	bool handled;
	struct MHD_Response *response;
	unsigned status;

	/* Suspension */
	bool waiting;    /* handler asked to answer later, no answer yet */
	bool suspended;  /* MHD_suspend_connection() in effect */
	void (*on_abort)(void *userdata, struct http_request *req);
	void *abort_data;
	struct http_request *next_waiting, *prev_waiting;
	struct http_request *next_held; /* answered while replies are held */
};

struct http_server {
	struct MHD_Daemon *mhd;
	sd_event *event;
	sd_event_source *io, *timer;
	/* Runs MHD once more after a resume: in external polling mode MHD does
	 * not wake the loop itself, and the resume may happen inside an MHD
	 * callback, where MHD_run() must not be called again. */
	sd_event_source *kick;
	struct http_route *routes;
	size_t n_routes;
	struct http_request *waiting; /* list of suspended requests */
	/* http_server_hold_replies(): answers wait on `held` until a release,
	 * which the kick after the release's own carries out. */
	struct http_request *held;
	bool holding, releasing;
	unsigned in_flight;           /* requests begun and not completed */
	bool shutting_down;
};

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("HTTP: %s", msg);
}

int http_parse_listen(const char *text, struct sockaddr_storage *sa, socklen_t *len,
		      struct ecs_err *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':');
	if (!colon)
		return err_set(err, EINVAL, "listen address '%s' has no port (ADDR:PORT)", text);
	size_t hlen = (size_t)(colon - text);
	if (hlen >= sizeof(host))
		return err_set(err, EINVAL, "listen address '%s' is too long", text);
	memcpy(host, text, hlen);
	host[hlen] = '\0';

	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		return err_set(err, EINVAL, "listen address '%s' has an invalid port", text);

	memset(sa, 0, sizeof(*sa));
	if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return err_set(err, EINVAL, "listen address '%s': invalid IPv6 address", text);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	if (inet_pton(AF_INET, hlen ? host : "0.0.0.0", &s4->sin_addr) != 1)
		return err_set(err, EINVAL, "listen address '%s': invalid IPv4 address", text);
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*len = sizeof(*s4);
	return 0;
}

/* ---- the event-loop glue ---- */

static void rearm(struct http_server *srv)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(srv->mhd, &ms) == MHD_YES) {
		uint64_t now;
		sd_event_now(srv->event, CLOCK_MONOTONIC, &now);
		sd_event_source_set_time(srv->timer, now + (uint64_t)ms * 1000);
		sd_event_source_set_enabled(srv->timer, SD_EVENT_ONESHOT);
	} else {
		sd_event_source_set_enabled(srv->timer, SD_EVENT_OFF);
	}
}

static void run_mhd(struct http_server *srv)
{
	MHD_run(srv->mhd);
	rearm(srv);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	(void)s;
	(void)fd;
	(void)revents;
	run_mhd(userdata);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	run_mhd(userdata);
	return 0;
}

static void resume_held(struct http_server *srv);

static int on_kick(sd_event_source *s, void *userdata)
{
	(void)s;
	struct http_server *srv = userdata;
	/* Whatever was resumed before the release goes out first, in this
	 * run; the held answers in the next. */
	run_mhd(srv);
	if (srv->releasing)
		resume_held(srv);
	return 0;
}

/* ---- requests ---- */

static const struct http_route *find_route(const struct http_server *srv, const char *method,
					   const char *path)
{
	for (size_t i = 0; i < srv->n_routes; i++) {
		const struct http_route *r = &srv->routes[i];
		if (r->method && strcmp(r->method, method) != 0)
			continue;
		if (!r->path)
			return r;
		size_t n = strlen(r->path);
		bool prefix = n > 1 && r->path[n - 1] == '/';
		if (prefix ? strncmp(path, r->path, n) == 0 : strcmp(path, r->path) == 0)
			return r;
	}
	return NULL;
}

static void unlink_waiting(struct http_request *req)
{
	if (!req->waiting)
		return;
	if (req->prev_waiting)
		req->prev_waiting->next_waiting = req->next_waiting;
	else
		req->srv->waiting = req->next_waiting;
	if (req->next_waiting)
		req->next_waiting->prev_waiting = req->prev_waiting;
	req->next_waiting = req->prev_waiting = NULL;
	req->waiting = false;
}

/* Suspend an answered request until the release. Held connections are
 * suspended, so MHD completes (and frees) none before it is resumed, which
 * takes it off the list: nothing else ever unlinks one. */
static enum MHD_Result hold(struct http_request *req)
{
	struct http_server *srv = req->srv;
	req->next_held = srv->held;
	srv->held = req;
	req->suspended = true;
	MHD_suspend_connection(req->conn);
	return MHD_YES;
}

/* Resume every held request; MHD calls on_request() for each again, which
 * queues its response. */
static void resume_all_held(struct http_server *srv)
{
	while (srv->held) {
		struct http_request *req = srv->held;
		srv->held = req->next_held;
		req->next_held = NULL;
		req->suspended = false;
		MHD_resume_connection(req->conn);
	}
}

static void resume_held(struct http_server *srv)
{
	srv->releasing = false;
	resume_all_held(srv);
	sd_event_source_set_enabled(srv->kick, SD_EVENT_ONESHOT);
}

static void request_free(struct http_request *req)
{
	if (!req)
		return;
	req->srv->in_flight--;
	unlink_waiting(req);
	if (req->response)
		MHD_destroy_response(req->response);
	free(req->method);
	free(req->path);
	free(req->body);
	free(req->headers);
	free(req->query);
	free(req);
}

static enum MHD_Result queue_bare(struct MHD_Connection *conn, unsigned status)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	enum MHD_Result r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result queue_stored(struct http_request *req)
{
	enum MHD_Result r = MHD_queue_response(req->conn, req->status, req->response);
	MHD_destroy_response(req->response);
	req->response = NULL;
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_request *req = *con_cls;
	(void)version;

	if (!req) {
		const struct http_route *route = find_route(srv, method, url);
		if (!route)
			return queue_bare(conn, MHD_HTTP_NOT_FOUND);
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->srv = srv;
		srv->in_flight++;
		req->conn = conn;
		req->route = route;
		req->method = strdup(method);
		req->path = strdup(url);
		*con_cls = req;
		if (!req->method || !req->path)
			return MHD_NO;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > route->max_body)
			req->too_large = true;
		return MHD_YES;
	}

	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		req->received += n;
		if (!req->too_large && req->received > req->route->max_body) {
			req->too_large = true;
			free(req->body);
			req->body = NULL;
			req->body_len = 0;
		}
		if (req->too_large) {
			/* Past the drain allowance the client gets no answer: the
			 * connection is closed. */
			if (req->received / DRAIN_FACTOR > req->route->max_body) {
				log_debug("HTTP body of %s %s from %s exceeds %zu bytes, closing",
					  req->method, req->path, http_request_peer(req),
					  DRAIN_FACTOR * req->route->max_body);
				return MHD_NO;
			}
			return MHD_YES;
		}
		char *grown = realloc(req->body, req->body_len + n + 1);
		if (!grown)
			return MHD_NO;
		memcpy(grown + req->body_len, upload_data, n);
		req->body = grown;
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}

	if (!req->handled) {
		req->handled = true;
		req->route->handler(req->route->userdata, req);
	}
	if (req->response)
		return srv->holding ? hold(req) : queue_stored(req);
	if (req->waiting && !req->suspended) {
		req->suspended = true;
		MHD_suspend_connection(conn);
		return MHD_YES;
	}
	if (!req->waiting) {
		log_debug("HTTP handler for %s %s gave no answer", req->method, req->path);
		return queue_bare(conn, MHD_HTTP_INTERNAL_SERVER_ERROR);
	}
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct http_request *req = *con_cls;
	if (req && req->waiting && req->on_abort)
		req->on_abort(req->abort_data, req);
	request_free(req);
	*con_cls = NULL;
}

/* Every parked long poll holds a connection, and so a descriptor: accept as
 * many as RLIMIT_NOFILE allows (main raises it to the hard limit), less a
 * reserve for the listener, epoll, SQLite's files and the log. libmicrohttpd's
 * own default is FD_SETSIZE - 4, a select() bound that epoll does not have. */
static unsigned connection_limit(void)
{
	enum { RESERVED_FDS = 64, MIN_CONNECTIONS = 64 };
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024 - RESERVED_FDS;
	rlim_t n = rl.rlim_cur == RLIM_INFINITY ? UINT_MAX : rl.rlim_cur;
	n = n > RESERVED_FDS + MIN_CONNECTIONS ? n - RESERVED_FDS : MIN_CONNECTIONS;
	unsigned limit = n > UINT_MAX ? UINT_MAX : (unsigned)n;
	log_debug("Accepting up to %u HTTP connections", limit);
	return limit;
}

struct http_server *http_server_new(sd_event *event, const char *listen,
				    const struct http_route *routes, size_t n_routes,
				    struct ecs_err *err)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	if (http_parse_listen(listen, &sa, &salen, err) < 0)
		return NULL;

	_cleanup_(http_server_freep) struct http_server *srv = calloc(1, sizeof(*srv));
	if (!srv || !(srv->routes = calloc(n_routes ? n_routes : 1, sizeof(*routes)))) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(srv->routes, routes, n_routes * sizeof(*routes));
	srv->n_routes = n_routes;
	srv->event = sd_event_ref(event);

	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
				    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				    /* Each connection's pool, parked long polls included: request
				     * headers up to ~15 KB fit (more gets 431); bodies are kept
				     * outside it (req->body). MHD's default is 32 KiB. */
				    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16 * 1024,
				    MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
				    MHD_OPTION_END);
	if (!srv->mhd) {
		err_set(err, EADDRNOTAVAIL, "cannot listen on %s (address in use or not available)",
			listen);
		return NULL;
	}

	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		err_set(err, EIO, "libmicrohttpd has no epoll support");
		return NULL;
	}
	int r = sd_event_add_io(event, &srv->io, info->epoll_fd, EPOLLIN, on_io, srv);
	if (r >= 0)
		r = sd_event_add_time(event, &srv->timer, CLOCK_MONOTONIC, UINT64_MAX, 1000,
				      on_timer, srv);
	if (r >= 0)
		r = sd_event_add_defer(event, &srv->kick, on_kick, srv);
	if (r >= 0)
		r = sd_event_source_set_enabled(srv->kick, SD_EVENT_OFF);
	if (r < 0) {
		err_set_errno(err, r, "adding HTTP server to the event loop");
		return NULL;
	}
	rearm(srv);
	return TAKE_PTR(srv);
}

void http_server_free(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->mhd) {
		/* MHD must not be stopped with suspended connections. */
		for (struct http_request *req = srv->waiting; req; req = req->next_waiting) {
			if (req->suspended) {
				req->suspended = false;
				MHD_resume_connection(req->conn);
			}
		}
		resume_all_held(srv);
		MHD_stop_daemon(srv->mhd);
	}
	sd_event_source_disable_unref(srv->io);
	sd_event_source_disable_unref(srv->timer);
	sd_event_source_disable_unref(srv->kick);
	sd_event_unref(srv->event);
	free(srv->routes);
	free(srv);
}

uint16_t http_server_port(const struct http_server *srv)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : 0;
}

void http_server_shutdown(struct http_server *srv)
{
	if (srv->shutting_down)
		return;
	srv->shutting_down = true;
	MHD_socket fd = MHD_quiesce_daemon(srv->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (srv->waiting) {
		struct http_request *req = srv->waiting;
		unlink_waiting(req);
		if (req->on_abort)
			req->on_abort(req->abort_data, req);
		static const char msg[] = "Server is shutting down";
		http_respond(req, 503, "text/plain", msg, sizeof(msg) - 1, NULL, 0);
	}
	srv->holding = false;
	resume_held(srv);
	run_mhd(srv);
}

void http_server_hold_replies(struct http_server *srv)
{
	srv->holding = true;
}

void http_server_release_replies(struct http_server *srv)
{
	if (!srv->holding)
		return;
	srv->holding = false;
	srv->releasing = true;
	sd_event_source_set_enabled(srv->kick, SD_EVENT_ONESHOT);
}

struct http_server *http_request_server(const struct http_request *req)
{
	return req->srv;
}

unsigned http_server_connections(const struct http_server *srv)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return info ? info->num_connections : 0;
}

unsigned http_server_in_flight(const struct http_server *srv)
{
	return srv->in_flight;
}

const char *http_request_method(const struct http_request *req)
{
	return req->method;
}

const char *http_request_path(const struct http_request *req)
{
	return req->path;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	/* MHD compares header names case-insensitively. */
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct collect {
	struct http_pair *items;
	size_t n;
	bool oom;
};

static enum MHD_Result collect_pair(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	(void)kind;
	struct collect *c = cls;
	struct http_pair *grown = realloc(c->items, (c->n + 1) * sizeof(*grown));
	if (!grown) {
		c->oom = true;
		return MHD_NO;
	}
	c->items = grown;
	c->items[c->n++] = (struct http_pair){ .name = key, .value = value ? value : "" };
	return MHD_YES;
}

static int collect_kind(struct http_request *req, enum MHD_ValueKind kind,
			struct http_pair **items, size_t *n, bool *done)
{
	if (!*done) {
		struct collect c = { 0 };
		MHD_get_connection_values(req->conn, kind, collect_pair, &c);
		if (c.oom) {
			free(c.items);
			return -ENOMEM;
		}
		*items = c.items;
		*n = c.n;
		*done = true;
	}
	return 0;
}

int http_request_headers(struct http_request *req, const struct http_pair **out, size_t *n)
{
	int r = collect_kind(req, MHD_HEADER_KIND, &req->headers, &req->n_headers,
			     &req->headers_read);
	*out = req->headers;
	*n = req->n_headers;
	return r;
}

int http_request_query(struct http_request *req, const struct http_pair **out, size_t *n)
{
	int r = collect_kind(req, MHD_GET_ARGUMENT_KIND, &req->query, &req->n_query,
			     &req->query_read);
	*out = req->query;
	*n = req->n_query;
	return r;
}

const void *http_request_body(const struct http_request *req, size_t *len)
{
	*len = req->body_len;
	return req->body ? req->body : "";
}

bool http_request_body_too_large(const struct http_request *req)
{
	return req->too_large;
}

const char *http_request_peer(struct http_request *req)
{
	if (req->peer[0])
		return req->peer;
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->peer,
			  sizeof(req->peer));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->peer,
			  sizeof(req->peer));
	else
		snprintf(req->peer, sizeof(req->peer), "unknown");
	return req->peer;
}

int http_respond(struct http_request *req, int status, const char *content_type,
		 const void *body, size_t len, const struct http_pair *headers, size_t n_headers)
{
	if (req->response)
		return -EALREADY;
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return -ENOMEM;
	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	for (size_t i = 0; i < n_headers; i++)
		MHD_add_response_header(resp, headers[i].name, headers[i].value);
	req->response = resp;
	req->status = (unsigned)status;

	unlink_waiting(req);
	if (req->suspended) {
		/* MHD calls on_request() again, which queues the response. */
		req->suspended = false;
		MHD_resume_connection(req->conn);
		sd_event_source_set_enabled(req->srv->kick, SD_EVENT_ONESHOT);
	}
	return 0;
}

void http_request_suspend(struct http_request *req,
			  void (*on_abort)(void *userdata, struct http_request *req),
			  void *userdata)
{
	if (req->response || req->waiting)
		return;
	req->on_abort = on_abort;
	req->abort_data = userdata;
	req->waiting = true;
	req->prev_waiting = NULL;
	req->next_waiting = req->srv->waiting;
	if (req->srv->waiting)
		req->srv->waiting->prev_waiting = req;
	req->srv->waiting = req;
}
