/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry client's transport (registry-internal.h): libcurl's multi
 * interface, polled by this one-shot process (it has no event loop to hand
 * sockets to, unlike cp-client-http.c in the daemon). The only file of
 * libimage that includes curl/curl.h. It owns the easy and multi handles,
 * the options every request shares (protocols, redirects, TLS
 * verification, the pull's deadline and inactivity limit), the request
 * headers, the response headers the client reads and the body sinks; what
 * an answer means is registry.c's business.
 *
 * Each attempt of a request is a fresh easy handle on the client's multi
 * handle, so retries and parallel blobs share its connection cache. Bodies
 * of non-2xx answers go to a small buffer for the error text, never to the
 * blob file. Blobs are hashed as they are written; registry.c gives the
 * verdict when the transfer completes.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "image/image-internal.h"
#include "image/registry-internal.h"

#define ERRBODY_MAX (64u * 1024)
#define USER_AGENT "ecs-agent/" PACKAGE_VERSION

struct registry_http {
	CURLM *multi;
	bool insecure;
	char *ca_file;
	int64_t deadline_ms, inactivity_ms;
};

struct registry_attempt {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
};

int64_t registry_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t registry_http_remaining_ms(const struct registry_http *h)
{
	if (!h->deadline_ms)
		return INT64_MAX;
	int64_t left = h->deadline_ms - registry_now_ms();
	return left > 0 ? left : 0;
}

static int curl_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return EHOSTUNREACH;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
		return EPROTO;
	default:
		return EIO;
	}
}

bool registry_http_transient(int code)
{
	switch ((CURLcode)code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Fill `res` for an attempt that ended with `cc` on `e`. */
static void get_result(CURL *e, CURLcode cc, const char *errbuf, struct registry_http_result *res)
{
	curl_off_t ra = 0;
	*res = (struct registry_http_result){ .code = (int)cc };
	if (cc == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res->status);
		curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &ra);
		res->retry_after_s = (int64_t)ra;
		return;
	}
	res->code_errno = curl_errno(cc);
	snprintf(res->msg, sizeof(res->msg), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

/* ---- sinks and response headers ---- */

static void reset_response(struct registry_xfer *x)
{
	free(x->www_auth);
	free(x->content_type);
	free(x->dcd);
	x->www_auth = x->content_type = x->dcd = NULL;
	free(x->errbody);
	x->errbody = NULL;
	x->err_len = 0;
}

/* Empty the sink for a new attempt: a bad or partial blob never survives
 * into the next one. */
static int reset_sink(struct registry_xfer *x)
{
	digest_free(x->dg);
	x->dg = digest_new();
	if (!x->dg)
		return -ENOMEM;
	x->written = 0;
	x->overflow = false;
	x->io_errno = 0;
	x->mem_len = 0;
	if (x->fd >= 0 && (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0))
		return -errno;
	return 0;
}

static void attempt_free(struct registry_xfer *x)
{
	struct registry_attempt *a = x->attempt;
	if (!a)
		return;
	if (a->easy) {
		if (x->running)
			curl_multi_remove_handle(a->multi, a->easy);
		curl_easy_cleanup(a->easy);
	}
	curl_slist_free_all(a->hdrs);
	free(a);
	x->attempt = NULL;
	x->running = false;
}

void registry_http_xfer_clear(struct registry_xfer *x)
{
	attempt_free(x);
	free(x->mem);
	x->mem = NULL;
	x->mem_len = 0;
	digest_free(x->dg);
	x->dg = NULL;
	reset_response(x);
}

static size_t on_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct registry_xfer *x = ud;
	size_t n = sz * nm;
	long code = 0;
	curl_easy_getinfo(x->attempt->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		size_t room = ERRBODY_MAX - x->err_len;
		size_t take = n < room ? n : room;
		if (take) {
			char *nb = realloc(x->errbody, x->err_len + take + 1);
			if (!nb)
				return 0;
			memcpy(nb + x->err_len, p, take);
			x->err_len += take;
			nb[x->err_len] = '\0';
			x->errbody = nb;
		}
		return n;
	}
	if (x->want_size >= 0 && x->written + (int64_t)n > x->want_size) {
		x->overflow = true;
		return 0;
	}
	if (x->fd >= 0) {
		for (size_t off = 0; off < n;) {
			ssize_t w = write(x->fd, p + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				x->io_errno = errno;
				return 0;
			}
			off += (size_t)w;
		}
	} else {
		if (x->mem_len + n > x->mem_max) {
			x->overflow = true;
			return 0;
		}
		char *nb = realloc(x->mem, x->mem_len + n + 1);
		if (!nb) {
			x->io_errno = ENOMEM;
			return 0;
		}
		memcpy(nb + x->mem_len, p, n);
		x->mem_len += n;
		nb[x->mem_len] = '\0';
		x->mem = nb;
	}
	digest_update(x->dg, p, n);
	x->written += (int64_t)n;
	return n;
}

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	const char *v = line + nl + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return strndup(v, (size_t)(end - v));
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	struct registry_xfer *x = ud;
	size_t n = sz * nm;
	char *v;
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or a 100): forget the last. */
		reset_response(x);
	} else if ((v = header_value(p, n, "www-authenticate"))) {
		/* Prefer a Bearer challenge when several are offered. */
		if (!x->www_auth || (strncasecmp(v, "bearer", 6) == 0 &&
				     strncasecmp(x->www_auth, "bearer", 6) != 0)) {
			free(x->www_auth);
			x->www_auth = v;
		} else {
			free(v);
		}
	} else if ((v = header_value(p, n, "content-type"))) {
		v[strcspn(v, "; \t")] = '\0';
		free(x->content_type);
		x->content_type = v;
	} else if ((v = header_value(p, n, "docker-content-digest"))) {
		free(x->dcd);
		x->dcd = v;
	}
	return n;
}

/* ---- handles ---- */

/* Options every request shares (token fetches too). */
static int setup_common(const struct registry_http *h, CURL *e, char *errbuf)
{
	const char *protos = h->insecure ? "http,https" : "https";
	int64_t left = registry_http_remaining_ms(h);
	if (curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf) ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT) ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) ||
	    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L) ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protos) ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, protos) ||
	    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L))
		return -EINVAL;
	if (h->ca_file && curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file))
		return -EINVAL;
	if (left != INT64_MAX &&
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(left > LONG_MAX ? LONG_MAX : left ? left : 1)))
		return -EINVAL;
	if (h->inactivity_ms > 0) {
		long secs = (long)((h->inactivity_ms + 999) / 1000);
		if (curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) ||
		    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, secs) ||
		    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)h->inactivity_ms))
			return -EINVAL;
	}
	return 0;
}

/* Basic credentials for `e`. libcurl sends them only to the host of the
 * URL, not after a redirect to another one. */
static int setup_basic(CURL *e, const char *user, const char *password)
{
	if (curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) ||
	    curl_easy_setopt(e, CURLOPT_USERNAME, user) ||
	    curl_easy_setopt(e, CURLOPT_PASSWORD, password))
		return -EINVAL;
	return 0;
}

int registry_http_start(struct registry_http *h, struct registry_xfer *x, const char *auth_header,
			const char *user, const char *password, struct ecs_err *err)
{
	int rc;
	attempt_free(x);
	reset_response(x);
	x->res = (struct registry_http_result){ 0 };
	if ((rc = reset_sink(x)) < 0)
		return err_set_errno(err, -rc, "%s: resetting the download", x->what);
	struct registry_attempt *a = calloc(1, sizeof(*a));
	if (!a)
		return err_set(err, ENOMEM, "out of memory");
	x->attempt = a;
	a->multi = h->multi;
	if (!(a->easy = curl_easy_init()))
		return err_set(err, ENOMEM, "out of memory");
	if (x->accept && !(a->hdrs = curl_slist_append(a->hdrs, x->accept)))
		return err_set(err, ENOMEM, "out of memory");
	if (auth_header) {
		struct curl_slist *l = curl_slist_append(a->hdrs, auth_header);
		if (!l)
			return err_set(err, ENOMEM, "out of memory");
		a->hdrs = l;
	}
	CURL *e = a->easy;
	if (setup_common(h, e, a->errbuf) < 0 || curl_easy_setopt(e, CURLOPT_URL, x->url) ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, x) ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write) ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, x) ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, x) ||
	    (a->hdrs && curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->hdrs)) ||
	    (user && setup_basic(e, user, password) < 0))
		return err_set(err, EINVAL, "%s: setting up the transfer failed", x->what);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		return err_set(err, EIO, "%s: starting the transfer failed", x->what);
	x->running = true;
	return 0;
}

void registry_http_perform(struct registry_http *h)
{
	int still = 0;
	curl_multi_perform(h->multi, &still);
}

struct registry_xfer *registry_http_next_done(struct registry_http *h)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct registry_xfer *x = NULL;
		CURLcode cc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(h->multi, m->easy_handle);
		x->running = false;
		get_result(m->easy_handle, cc, x->attempt->errbuf, &x->res);
		return x;
	}
	return NULL;
}

void registry_http_wait(struct registry_http *h, int ms)
{
	curl_multi_poll(h->multi, NULL, 0, ms, NULL);
}

/* ---- one-shot requests (tokens) ---- */

struct mem_sink {
	char *buf;
	size_t len, max;
};

static size_t on_mem_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct mem_sink *s = ud;
	size_t n = sz * nm;
	if (s->len + n > s->max)
		return 0;
	char *nb = realloc(s->buf, s->len + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + s->len, p, n);
	s->len += n;
	nb[s->len] = '\0';
	s->buf = nb;
	return n;
}

int registry_http_get(struct registry_http *h, const char *url, const char *user,
		      const char *password, size_t max, char **body, size_t *len,
		      struct registry_http_result *res, struct ecs_err *err)
{
	struct mem_sink sink = { .max = max };
	char errbuf[CURL_ERROR_SIZE] = "";
	*body = NULL;
	*len = 0;
	CURL *e = curl_easy_init();
	if (!e)
		return err_set(err, ENOMEM, "out of memory");
	CURLcode cc = CURLE_FAILED_INIT;
	if (setup_common(h, e, errbuf) == 0 && !curl_easy_setopt(e, CURLOPT_URL, url) &&
	    !curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_mem_write) &&
	    !curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink) && (!user || setup_basic(e, user, password) == 0))
		cc = curl_easy_perform(e);
	get_result(e, cc, errbuf, res);
	curl_easy_cleanup(e);
	*body = sink.buf;
	*len = sink.len;
	return 0;
}

char *registry_http_escape(const char *s)
{
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	char *c = curl_easy_escape(e, s, 0);
	char *out = c ? strdup(c) : NULL;
	curl_free(c);
	curl_easy_cleanup(e);
	return out;
}

/* ---- the transport ---- */

int registry_http_new(const struct registry_http_conf *c, struct registry_http **out,
		      struct ecs_err *err)
{
	static bool global_done;
	*out = NULL;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return err_set(err, EIO, "initialising libcurl failed");
		global_done = true;
	}
	struct registry_http *h = calloc(1, sizeof(*h));
	if (!h)
		return err_set(err, ENOMEM, "out of memory");
	h->insecure = c->insecure;
	h->deadline_ms = c->deadline_ms;
	h->inactivity_ms = c->inactivity_ms;
	h->multi = curl_multi_init();
	if (!h->multi || (c->ca_file && !(h->ca_file = strdup(c->ca_file)))) {
		registry_http_free(h);
		return err_set(err, ENOMEM, "out of memory");
	}
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)REGISTRY_MAX_PARALLEL);
	*out = h;
	return 0;
}

void registry_http_free(struct registry_http *h)
{
	if (!h)
		return;
	if (h->multi)
		curl_multi_cleanup(h->multi);
	free(h->ca_file);
	free(h);
}
