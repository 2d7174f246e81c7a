/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The HTTP server, the only module that talks to libmicrohttpd.
 *
 * Threading: MHD runs in "external polling" mode with epoll, driven by the
 * daemon's sd-event loop (its epoll fd is one IO source, MHD's next timeout
 * one timer). So every handler, the store and any timers later slices add
 * run on that one thread, with no locks.
 *
 * Requests are routed by method and path to a handler once the whole body
 * has arrived (bodies are accumulated up to the route's limit; a larger body
 * is read and thrown away, and the handler sees http_request_body_too_large()
 * so it can answer in its protocol's error format).
 *
 * A handler answers with http_respond(), either before it returns or later:
 * http_request_suspend() parks the connection (MHD_suspend_connection) so a
 * long poll can be answered when something changes or a timer fires; the
 * later http_respond() resumes it. Until it has responded, the owner of a
 * suspended request is told through its abort callback if the request goes
 * away (server shutdown), after which the pointer must not be used.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <systemd/sd-event.h>

#include "cleanup.h"
#include "error.h"

struct http_server;
struct http_request;

struct http_pair {
	const char *name;
	const char *value;
};

typedef void (*http_handler)(void *userdata, struct http_request *req);

struct http_route {
	const char *method; /* NULL matches any method */
	/* Exact path; a path ending in '/' matches every path below it
	 * ("/v1/agent/"); NULL matches everything (a catch-all, put it last). */
	const char *path;
	size_t max_body;
	http_handler handler;
	void *userdata;
};

/* Parse "ADDR:PORT" ("127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0"). */
int http_parse_listen(const char *text, struct sockaddr_storage *sa, socklen_t *len,
		      struct ecs_err *err);

/* Listen on `listen` and serve `routes` (copied; the first match wins) from
 * `event`. Port 0 picks a free port (see http_server_port()). */
struct http_server *http_server_new(sd_event *event, const char *listen,
				    const struct http_route *routes, size_t n_routes,
				    struct ecs_err *err);
/* Stops listening, resumes and frees everything. Accepts NULL. */
void http_server_free(struct http_server *srv);
DEFINE_CLEANUP(struct http_server, http_server_free)

uint16_t http_server_port(const struct http_server *srv);

/* Graceful stop, step one: stop accepting connections and answer every
 * suspended request with 503 (after calling its abort callback). The loop
 * keeps running so replies already queued get out; http_server_in_flight()
 * says when none is left (idle keep-alive connections do not count). */
void http_server_shutdown(struct http_server *srv);
/* Open connections, and requests begun but not yet completed. */
unsigned http_server_connections(const struct http_server *srv);
unsigned http_server_in_flight(const struct http_server *srv);

/* Ordering answers: from http_server_hold_replies() on, answers wait until
 * http_server_release_replies(), and then go out after every answer given
 * before the release. A request that wakes a long poll (RunTask waking an
 * agent) so answers after the poll does: the waiter hears of the change
 * before the caller, and the caller's client, woken on the same CPU, does not
 * keep the server from the poll's answer. Held requests stay in flight. */
void http_server_hold_replies(struct http_server *srv);
void http_server_release_replies(struct http_server *srv);

/* ---- requests; valid from the handler call until the reply is sent ---- */

const char *http_request_method(const struct http_request *req);
/* The path without the query string, percent-decoded. */
const char *http_request_path(const struct http_request *req);
/* First header with that name (case-insensitive), or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);
/* All headers / query arguments as received (decoded), in order. */
int http_request_headers(struct http_request *req, const struct http_pair **out, size_t *n);
int http_request_query(struct http_request *req, const struct http_pair **out, size_t *n);
const void *http_request_body(const struct http_request *req, size_t *len);
bool http_request_body_too_large(const struct http_request *req);
/* The client's address as text ("127.0.0.1"), for logs. */
const char *http_request_peer(struct http_request *req);
struct http_server *http_request_server(const struct http_request *req);

/* Answer the request (at most once). `body` is copied; `headers` are extra
 * response headers. Returns 0 or -errno (the request is then answered with
 * a bare 500 if possible). */
int http_respond(struct http_request *req, int status, const char *content_type,
		 const void *body, size_t len, const struct http_pair *headers, size_t n_headers);

/* Keep the request open after the handler returns. `on_abort` (may be NULL)
 * runs if the request goes away before http_respond(). */
void http_request_suspend(struct http_request *req,
			  void (*on_abort)(void *userdata, struct http_request *req),
			  void *userdata);
