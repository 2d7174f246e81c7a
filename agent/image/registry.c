/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry client's distribution API (registry.h) on top of the
 * transport in registry-http.c: manifest and blob requests with their Accept
 * header, size and digest checks of what arrives, the registry's error text
 * from {"errors":[...]}, which failures are retried, and the loop that runs
 * a batch of requests (up to REGISTRY_MAX_PARALLEL at a time), retrying each
 * with backoff and handing 401s to registry-auth.c.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "image/image-internal.h"
#include "image/registry-internal.h"
#include "json.h"

static const char accept_manifests[] =
	"Accept: application/vnd.oci.image.index.v1+json, "
	"application/vnd.oci.image.manifest.v1+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json, "
	"application/vnd.docker.distribution.manifest.v2+json";

/* ---- pure parts ---- */

bool registry_retryable(int curl_code, long http_status)
{
	if (curl_code != 0) /* no usable response: the transport judges */
		return registry_http_transient(curl_code);
	return http_status == 408 || http_status == 429 || (http_status >= 500 && http_status <= 599);
}

int64_t registry_retry_delay_ms(int64_t backoff_ms, int64_t retry_after_s)
{
	if (retry_after_s <= 0)
		return backoff_ms;
	int64_t ra = retry_after_s > REGISTRY_RETRY_AFTER_MAX_MS / 1000 ? REGISTRY_RETRY_AFTER_MAX_MS
									 : retry_after_s * 1000;
	return ra > backoff_ms ? ra : backoff_ms;
}

int registry_status_errno(long s)
{
	if (s == 401 || s == 403)
		return EACCES;
	if (s == 404)
		return ENOENT;
	if (s == 429 || (s >= 500 && s <= 599))
		return EAGAIN;
	return EIO;
}

void registry_error_text(long http_status, const char *body, size_t len, char *buf, size_t size)
{
	if (!size)
		return;
	buf[0] = '\0';
	size_t used = 0;
	_cleanup_(json_doc_freep) struct json_doc *doc = body && len ? json_parse(body, len, NULL) : NULL;
	const json_node *errs = json_get(json_root(doc), "errors");
	for (size_t i = 0; i < json_array_size(errs) && used + 1 < size; i++) {
		const json_node *e = json_array_get(errs, i);
		const char *code = json_string(json_get(e, "code"));
		const char *msg = json_string(json_get(e, "message"));
		if (!code && !msg)
			continue;
		int n;
		if (msg && code)
			n = snprintf(buf + used, size - used, "%s%.300s (%.64s)", used ? "; " : "", msg, code);
		else
			n = snprintf(buf + used, size - used, "%s%.300s", used ? "; " : "", msg ? msg : code);
		if (n < 0)
			break;
		used += (size_t)n < size - used ? (size_t)n : size - used - 1;
	}
	if (!used)
		snprintf(buf, size, "HTTP %ld", http_status);
}

/* ---- requests ---- */

static void xfer_free(struct registry_xfer *x)
{
	if (!x)
		return;
	registry_http_xfer_clear(x);
	free(x->url);
	free(x->sent_bearer);
	free(x);
}
DEFINE_CLEANUP(struct registry_xfer, xfer_free)

static struct registry_xfer *xfer_new(struct registry *r, const char *repo, const char *kind,
				      const char *ref, struct ecs_err *err)
{
	struct registry_xfer *x = calloc(1, sizeof(*x));
	if (!x) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	x->reg = r;
	x->fd = -1;
	x->want_size = -1;
	if (asprintf(&x->url, "%s/v2/%s/%s/%s", r->base, repo, kind, ref) < 0) {
		x->url = NULL;
		xfer_free(x);
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	backoff_init(&x->bo, 200000, 5000000, 2.0, 0.5, NULL);
	return x;
}

static int xfer_start(struct registry_xfer *x, struct ecs_err *err)
{
	const char *header, *user, *password;
	int rc = registry_auth_prepare(x, &header, &user, &password, err);
	if (rc == 0)
		rc = registry_http_start(x->reg->http, x, header, user, password, err);
	if (rc == 0)
		x->attempts++;
	return rc;
}

enum verdict { V_DONE, V_RETRY, V_FAIL };

/* Judge a finished attempt. */
static enum verdict judge(struct registry_xfer *x, const char *repo, struct ecs_err *err)
{
	struct registry_http *h = x->reg->http;
	const struct registry_http_result *res = &x->res;
	long status = res->status;
	enum verdict retry =
		x->attempts < REGISTRY_ATTEMPTS && registry_http_remaining_ms(h) > 0 ? V_RETRY : V_FAIL;
	x->not_before_ms = 0;
	if (x->io_errno) {
		err_set_errno(err, x->io_errno, "%s: writing", x->what);
		return V_FAIL;
	}
	if (x->overflow) {
		if (x->want_size >= 0)
			err_set(err, EINVAL, "%s: more than the %lld bytes announced", x->what,
				(long long)x->want_size);
		else
			err_set(err, EFBIG, "%s: larger than %zu bytes", x->what, x->mem_max);
		goto retry; /* corrupt or truncated: the sink is reset, fetched again */
	}
	if (res->code != 0) {
		const char *sep = x->what[0] ? ": " : "";
		if (res->code_errno == ETIMEDOUT && registry_http_remaining_ms(h) == 0)
			err_set(err, ETIMEDOUT, "%s%spull timed out", x->what, sep);
		else
			err_set(err, res->code_errno, "%s%s%s", x->what, sep, res->msg);
		if (!registry_retryable(res->code, 0))
			return V_FAIL;
		goto retry;
	}
	if (status >= 200 && status <= 299) {
		if (!x->want_digest)
			return V_DONE;
		char hex[DIGEST_HEX_LEN + 1];
		if (x->want_size >= 0 && x->written != x->want_size) {
			err_set(err, EINVAL, "%s: got %lld bytes, not %lld", x->what,
				(long long)x->written, (long long)x->want_size);
			goto retry; /* corrupt or truncated: the sink is reset, fetched again */
		}
		if (digest_final_hex(x->dg, hex) < 0) {
			err_set(err, EIO, "%s: hashing failed", x->what);
			return V_FAIL;
		}
		if (strcmp(hex, x->want_digest + strlen("sha256:")) != 0) {
			err_set(err, EINVAL, "%s: content has digest sha256:%s", x->what, hex);
			goto retry; /* corrupt or truncated: the sink is reset, fetched again */
		}
		return V_DONE;
	}
	if (status == 401) {
		if (registry_auth_answer(x, repo, err) < 0)
			return V_FAIL;
		x->attempts--; /* answering a challenge is not a failed attempt */
		return V_RETRY;
	}
	char text[512];
	registry_error_text(status, x->errbody, x->err_len, text, sizeof(text));
	err_set(err, registry_status_errno(status), "%s%s%s", x->what, x->what[0] ? ": " : "", text);
	if (!registry_retryable(0, status))
		return V_FAIL;
retry:
	if (retry == V_RETRY) {
		int64_t d = registry_retry_delay_ms((int64_t)(backoff_next(&x->bo) / 1000),
						    res->retry_after_s);
		/* An attempt that could only start after the deadline would
		 * just turn this error into a timeout. */
		if (d >= registry_http_remaining_ms(h))
			return V_FAIL;
		x->not_before_ms = registry_now_ms() + d;
	}
	return retry;
}

/* Run `xs` to completion, calling done() for each success. */
static int run(struct registry *r, struct registry_xfer **xs, size_t n, const char *repo,
	       int (*done)(struct registry_xfer *x, struct ecs_err *err), struct ecs_err *err)
{
	size_t finished = 0, running = 0;
	int rc = 0;
	while (finished < n && rc == 0) {
		int64_t now = registry_now_ms(), wait = 1000;
		for (size_t i = 0; i < n && rc == 0; i++) {
			struct registry_xfer *x = xs[i];
			if (x->finished || x->running)
				continue;
			if (x->not_before_ms > now) {
				if (x->not_before_ms - now < wait)
					wait = x->not_before_ms - now;
				continue;
			}
			if (running >= REGISTRY_MAX_PARALLEL)
				continue;
			if ((rc = xfer_start(x, err)) == 0)
				running++;
		}
		if (rc < 0)
			break;
		if (registry_http_remaining_ms(r->http) == 0 && running == 0) {
			rc = err_set(err, ETIMEDOUT, "pull timed out");
			break;
		}
		registry_http_perform(r->http);
		struct registry_xfer *x;
		while (rc == 0 && (x = registry_http_next_done(r->http))) {
			running--;
			enum verdict v = judge(x, repo, err);
			if (v == V_FAIL) {
				rc = -(err->code ? err->code : EIO);
			} else if (v == V_DONE) {
				x->finished = true;
				finished++;
				if (done)
					rc = done(x, err);
			} else {
				err_clear(err);
			}
		}
		if (rc < 0 || finished == n)
			break;
		if (wait < 0)
			wait = 0;
		if (running)
			registry_http_wait(r->http, (int)wait);
		else if (wait > 0)
			usleep((useconds_t)wait * 1000);
	}
	return rc;
}

int registry_get_manifest(struct registry *r, const char *repo, const char *ref,
			  struct registry_manifest *out, struct ecs_err *err)
{
	*out = (struct registry_manifest){ 0 };
	_cleanup_(xfer_freep) struct registry_xfer *x = xfer_new(r, repo, "manifests", ref, err);
	if (!x)
		return -ENOMEM;
	x->accept = accept_manifests;
	x->mem_max = IMAGE_JSON_MAX;
	int rc = run(r, &x, 1, repo, NULL, err);
	if (rc < 0)
		return rc;
	out->body = x->mem ? TAKE_PTR(x->mem) : strdup("");
	out->len = x->mem_len;
	out->media_type = TAKE_PTR(x->content_type);
	out->digest = TAKE_PTR(x->dcd);
	if (!out->body) {
		registry_manifest_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

void registry_manifest_clear(struct registry_manifest *m)
{
	free(m->body);
	free(m->media_type);
	free(m->digest);
	*m = (struct registry_manifest){ 0 };
}

static int check_digest(const char *digest, struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1];
	return digest_parse(digest, hex, err);
}

int registry_get_blob_mem(struct registry *r, const char *repo, const char *digest, int64_t size,
			  size_t max, char **buf, size_t *len, struct ecs_err *err)
{
	*buf = NULL;
	*len = 0;
	int rc = check_digest(digest, err);
	if (rc < 0)
		return rc;
	_cleanup_(xfer_freep) struct registry_xfer *x = xfer_new(r, repo, "blobs", digest, err);
	if (!x)
		return -ENOMEM;
	snprintf(x->what, sizeof(x->what), "blob %s", digest);
	x->mem_max = max;
	x->want_digest = digest;
	x->want_size = size;
	if ((rc = run(r, &x, 1, repo, NULL, err)) < 0)
		return rc;
	*buf = x->mem ? TAKE_PTR(x->mem) : strdup("");
	*len = x->mem_len;
	return *buf ? 0 : err_set(err, ENOMEM, "out of memory");
}

static registry_blob_done_fn blob_done_fn;

static int blob_done(struct registry_xfer *x, struct ecs_err *err)
{
	return blob_done_fn ? blob_done_fn(x->blob, err) : 0;
}

int registry_get_blobs(struct registry *r, const char *repo, struct registry_blob *blobs, size_t n,
		       registry_blob_done_fn done, struct ecs_err *err)
{
	int rc = 0;
	struct registry_xfer **xs = calloc(n + 1, sizeof(*xs));
	if (!xs)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		if ((rc = check_digest(blobs[i].digest, err)) < 0)
			break;
		xs[i] = xfer_new(r, repo, "blobs", blobs[i].digest, err);
		if (!xs[i]) {
			rc = -ENOMEM;
			break;
		}
		snprintf(xs[i]->what, sizeof(xs[i]->what), "blob %s", blobs[i].digest);
		xs[i]->fd = blobs[i].fd;
		xs[i]->want_digest = blobs[i].digest;
		xs[i]->want_size = blobs[i].size;
		xs[i]->blob = &blobs[i];
	}
	if (rc == 0) {
		/* One process, one pull at a time: a static is enough to pass
		 * the callback through run(). */
		blob_done_fn = done;
		rc = run(r, xs, n, repo, blob_done, err);
		blob_done_fn = NULL;
	}
	for (size_t i = 0; i < n; i++)
		xfer_free(xs[i]);
	free(xs);
	return rc;
}

/* ---- the client ---- */

int registry_new(const struct registry_opts *o, struct registry **out, struct ecs_err *err)
{
	*out = NULL;
	struct registry *r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(err, ENOMEM, "out of memory");
	struct registry_http_conf hc = {
		.insecure = o->insecure,
		.ca_file = o->ca_file,
		.deadline_ms = o->deadline_ms,
		.inactivity_ms = o->inactivity_ms,
	};
	int rc = registry_http_new(&hc, &r->http, err);
	if (rc < 0) {
		registry_free(r);
		return rc;
	}
	bool oom = asprintf(&r->base, "%s://%s", o->insecure ? "http" : "https", o->host) < 0;
	if (oom)
		r->base = NULL;
	if (o->username && (!(r->username = strdup(o->username)) ||
			    !(r->password = strdup(o->password ? o->password : ""))))
		oom = true;
	if (oom) {
		registry_free(r);
		return err_set(err, ENOMEM, "out of memory");
	}
	*out = r;
	return 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	registry_http_free(r->http);
	free(r->base);
	registry_auth_clear(r);
	free(r);
}
