/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server on a real loopback socket, driven by sd-event: routing,
 * bodies and their limit, suspend/resume (a handler that answers later
 * from a timer, and a shutdown that answers suspended requests with 503), and
 * held answers (sent only after the release, and after what it released).
 * The client is a plain socket on the same loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <systemd/sd-event.h>

#include "http.h"

struct client {
	sd_event *event;
	int fd;
	char buf[65536];
	size_t len;
	bool done;
};

struct server_ctx {
	sd_event *event;
	struct http_server *srv;
	struct http_request *parked;
	int aborted;
	size_t last_body_len;
	bool last_too_large;
};

static void echo_handler(void *userdata, struct http_request *req)
{
	struct server_ctx *s = userdata;
	size_t len;
	const char *body = http_request_body(req, &len);
	s->last_body_len = len;
	s->last_too_large = http_request_body_too_large(req);
	if (s->last_too_large) {
		http_respond(req, 413, "text/plain", "too big", 7, NULL, 0);
		return;
	}
	const struct http_pair h[] = { { "X-Echo-Method", http_request_method(req) } };
	http_respond(req, 200, "text/plain", body, len, h, 1);
}

static int answer_later(sd_event_source *src, uint64_t usec, void *userdata)
{
	(void)src;
	(void)usec;
	struct server_ctx *s = userdata;
	if (s->parked) {
		http_respond(s->parked, 200, "text/plain", "later", 5, NULL, 0);
		s->parked = NULL;
	}
	return 0;
}

static void on_abort(void *userdata, struct http_request *req)
{
	(void)req;
	struct server_ctx *s = userdata;
	s->aborted++;
	s->parked = NULL;
}

static void park_handler(void *userdata, struct http_request *req)
{
	struct server_ctx *s = userdata;
	s->parked = req;
	http_request_suspend(req, on_abort, s);
}

static void park_and_answer_handler(void *userdata, struct http_request *req)
{
	struct server_ctx *s = userdata;
	park_handler(userdata, req);
	sd_event_add_time_relative(s->event, NULL, CLOCK_MONOTONIC, 50 * 1000, 1000, answer_later,
				   s);
}

/* Answers at once, but holds answers first (as a RunTask that woke an
 * agent's poll does). */
static void hold_handler(void *userdata, struct http_request *req)
{
	(void)userdata;
	http_server_hold_replies(http_request_server(req));
	http_respond(req, 200, "text/plain", "held", 4, NULL, 0);
}

static int on_client(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	(void)revents;
	struct client *c = userdata;
	ssize_t n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		return 0;
	}
	c->done = true;
	return sd_event_source_set_enabled(src, SD_EVENT_OFF);
}

static int on_deadline(sd_event_source *src, uint64_t usec, void *userdata)
{
	(void)src;
	(void)usec;
	*(bool *)userdata = true;
	return 0;
}

/* Send `request` (and `extra` bytes of body filler) and run the loop until the
 * server closes the connection (requests say Connection: close). */
static void exchange(struct server_ctx *s, const char *request, size_t extra, struct client *c,
		     void (*while_waiting)(struct server_ctx *s))
{
	memset(c, 0, sizeof(*c));
	c->event = s->event;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(http_server_port(s->srv)) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(c->fd, request, strlen(request)), (ssize_t)strlen(request));

	sd_event_source *io, *deadline;
	bool timed_out = false;
	assert_true(sd_event_add_io(s->event, &io, c->fd, EPOLLIN, on_client, c) >= 0);
	assert_true(sd_event_add_time_relative(s->event, &deadline, CLOCK_MONOTONIC, 5000000, 1000,
					       on_deadline, &timed_out) >= 0);
	/* Large bodies are written in pieces between loop iterations. */
	char chunk[16384];
	memset(chunk, 'x', sizeof(chunk));
	while (extra > 0) {
		size_t n = extra < sizeof(chunk) ? extra : sizeof(chunk);
		ssize_t w = write(c->fd, chunk, n);
		assert_true(w > 0);
		extra -= (size_t)w;
		sd_event_run(s->event, 0);
	}
	if (while_waiting) {
		for (int i = 0; i < 5; i++)
			sd_event_run(s->event, 10000);
		while_waiting(s);
	}
	while (!c->done && !timed_out)
		sd_event_run(s->event, 100000);
	sd_event_source_disable_unref(io);
	sd_event_source_disable_unref(deadline);
	close(c->fd);
	assert_true(c->done);
}

static int setup(void **state)
{
	struct server_ctx *s = calloc(1, sizeof(*s));
	assert_true(sd_event_new(&s->event) >= 0);
	const struct http_route routes[] = {
		{ .method = "POST", .path = "/echo", .max_body = 1024, .handler = echo_handler,
		  .userdata = s },
		{ .path = "/later", .max_body = 0, .handler = park_and_answer_handler, .userdata = s },
		{ .path = "/park/", .max_body = 0, .handler = park_handler, .userdata = s },
		{ .path = "/hold", .max_body = 0, .handler = hold_handler, .userdata = s },
	};
	struct ecs_err err;
	s->srv = http_server_new(s->event, "127.0.0.1:0", routes, 4, &err);
	assert_non_null(s->srv);
	assert_true(http_server_port(s->srv) > 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct server_ctx *s = *state;
	http_server_free(s->srv);
	sd_event_unref(s->event);
	free(s);
	return 0;
}

static void test_echo_and_routes(void **state)
{
	struct server_ctx *s = *state;
	struct client c;
	exchange(s, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
		 0, &c, NULL);
	assert_non_null(strstr(c.buf, "HTTP/1.1 200"));
	assert_non_null(strstr(c.buf, "X-Echo-Method: POST"));
	assert_non_null(strstr(c.buf, "\r\n\r\nhello"));

	exchange(s, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &c, NULL);
	assert_non_null(strstr(c.buf, "HTTP/1.1 404"));
	exchange(s, "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &c, NULL);
	assert_non_null(strstr(c.buf, "HTTP/1.1 404"));
}

static void test_body_limit(void **state)
{
	struct server_ctx *s = *state;
	struct client c;
	/* Declared too large: drained, then the handler answers. */
	exchange(s, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4000\r\n\r\n",
		 4000, &c, NULL);
	assert_non_null(strstr(c.buf, "HTTP/1.1 413"));
	assert_true(s->last_too_large);

	/* Chunked, no length up front: found out while reading. */
	char req[8192];
	int n = snprintf(req, sizeof(req),
			 "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n800\r\n");
	memset(req + n, 'y', 2048);
	snprintf(req + n + 2048, sizeof(req) - (size_t)n - 2048, "\r\n0\r\n\r\n");
	exchange(s, req, 0, &c, NULL);
	assert_non_null(strstr(c.buf, "HTTP/1.1 413"));

	/* Just under the limit is fine. */
	n = snprintf(req, sizeof(req),
		     "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1024\r\n\r\n");
	memset(req + n, 'z', 1024);
	req[n + 1024] = '\0';
	exchange(s, req, 0, &c, NULL);
	assert_non_null(strstr(c.buf, "HTTP/1.1 200"));
	assert_int_equal(s->last_body_len, 1024);
}

static void test_suspend_resume(void **state)
{
	struct server_ctx *s = *state;
	struct client c;
	exchange(s, "GET /later HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &c, NULL);
	assert_non_null(strstr(c.buf, "HTTP/1.1 200"));
	assert_non_null(strstr(c.buf, "\r\n\r\nlater"));
	assert_int_equal(s->aborted, 0);
}

static void shut_down(struct server_ctx *s)
{
	assert_non_null(s->parked);
	http_server_shutdown(s->srv);
}

static void test_shutdown_answers_suspended(void **state)
{
	struct server_ctx *s = *state;
	struct client c;
	exchange(s, "GET /park/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &c, shut_down);
	assert_non_null(strstr(c.buf, "HTTP/1.1 503"));
	assert_int_equal(s->aborted, 1);
	assert_null(s->parked);
}

static int send_request(struct server_ctx *s, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(http_server_port(s->srv)) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	char req[128];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			 path);
	assert_int_equal(write(fd, req, (size_t)n), n);
	return fd;
}

static bool has_data(int fd)
{
	char b;
	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

/* Reads what has arrived, without waiting. */
static void read_now(int fd, char *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
}

static void test_held_answer_follows_release(void **state)
{
	struct server_ctx *s = *state;
	int parked = send_request(s, "/park/a");
	for (int i = 0; i < 20 && !s->parked; i++)
		sd_event_run(s->event, 10000);
	assert_non_null(s->parked);

	/* Answered, but held: nothing reaches the client. */
	int held = send_request(s, "/hold");
	for (int i = 0; i < 10; i++)
		sd_event_run(s->event, 10000);
	assert_false(has_data(held));
	assert_int_equal(http_server_in_flight(s->srv), 2);

	/* The parked request is answered, then the release: its answer goes
	 * out first, the held one only after it. */
	http_respond(s->parked, 200, "text/plain", "later", 5, NULL, 0);
	s->parked = NULL;
	http_server_release_replies(s->srv);
	for (int i = 0; i < 50 && !has_data(held); i++) {
		sd_event_run(s->event, 10000);
		assert_true(has_data(parked) || !has_data(held));
	}
	char a[1024], b[1024];
	read_now(parked, a, sizeof(a));
	read_now(held, b, sizeof(b));
	assert_non_null(strstr(a, "\r\n\r\nlater"));
	assert_non_null(strstr(b, "\r\n\r\nheld"));
	close(parked);
	close(held);
}

static void test_shutdown_sends_held(void **state)
{
	struct server_ctx *s = *state;
	int held = send_request(s, "/hold");
	for (int i = 0; i < 10; i++)
		sd_event_run(s->event, 10000);
	assert_false(has_data(held));
	http_server_shutdown(s->srv);
	for (int i = 0; i < 20 && !has_data(held); i++)
		sd_event_run(s->event, 10000);
	char b[1024];
	read_now(held, b, sizeof(b));
	assert_non_null(strstr(b, "\r\n\r\nheld"));
	close(held);
}

static void test_free_with_suspended(void **state)
{
	(void)state;
	/* Freeing the server while a request is parked must not leak or crash
	 * (MHD requires resuming before stopping). */
	struct server_ctx s = { 0 };
	assert_true(sd_event_new(&s.event) >= 0);
	const struct http_route routes[] = {
		{ .path = NULL, .handler = park_handler, .userdata = &s },
	};
	struct ecs_err err;
	s.srv = http_server_new(s.event, "127.0.0.1:0", routes, 1, &err);
	assert_non_null(s.srv);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(http_server_port(s.srv)) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (int i = 0; i < 20 && !s.parked; i++)
		sd_event_run(s.event, 10000);
	assert_non_null(s.parked);
	http_server_free(s.srv);
	assert_int_equal(s.aborted, 1);
	close(fd);
	sd_event_unref(s.event);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_and_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suspend_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_answers_suspended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_answer_follows_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_sends_held, setup, teardown),
		cmocka_unit_test(test_free_with_suspended),
	};
	return cmocka_run_group_tests_name("cp_http", tests, NULL, NULL);
}
