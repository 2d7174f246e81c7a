/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The helper's registry client (OCI distribution API v2 over libcurl; see
 * docs/images.md "Registry client"): registry.c (requests, checks,
 * retries), registry-auth.c (the answer to a 401) and registry-http.c (the
 * transport, the only file of libimage that includes curl/curl.h; see
 * registry-internal.h). Nothing here exposes curl types.
 *
 * One client per pull: it knows one registry, holds the credentials and the
 * tokens it obtained, and runs transfers on one curl multi handle. Every
 * request is retried on transport errors, 5xx and 429 (REGISTRY_ATTEMPTS in
 * all, backoff honouring Retry-After up to REGISTRY_RETRY_AFTER_MAX_MS);
 * 4xx is final. A 401 is answered once per request with the challenge's
 * scheme (Bearer token or Basic credentials), which does not count as an
 * attempt. Errors carry the registry's own text ("manifest unknown
 * (MANIFEST_UNKNOWN)"); callers prefix the image name.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

#define REGISTRY_ATTEMPTS 3
#define REGISTRY_RETRY_AFTER_MAX_MS 10000
#define REGISTRY_MAX_PARALLEL 4

struct registry_opts {
	const char *host;      /* host[:port] to connect to */
	bool insecure;         /* plain http:// (insecureRegistries), else https:// */
	const char *ca_file;   /* extra CA bundle; NULL: system CAs only */
	const char *username;  /* NULL: anonymous */
	const char *password;
	int64_t deadline_ms;   /* CLOCK_MONOTONIC ms for the whole pull; 0: none */
	int64_t inactivity_ms; /* no byte for this long fails a transfer; 0: none */
};

struct registry;
int registry_new(const struct registry_opts *o, struct registry **out, struct ecs_err *err);
void registry_free(struct registry *r);
DEFINE_CLEANUP(struct registry, registry_free)

struct registry_manifest {
	char *body;
	size_t len;
	char *media_type; /* Content-Type without parameters, NULL when absent */
	char *digest;     /* Docker-Content-Digest, NULL when absent */
};
void registry_manifest_clear(struct registry_manifest *m);

/* GET /v2/REPO/manifests/REF with the OCI and Docker Accept types (at most
 * IMAGE_JSON_MAX bytes). The caller verifies the digest. */
int registry_get_manifest(struct registry *r, const char *repo, const char *ref,
			  struct registry_manifest *out, struct ecs_err *err);

/* GET a small blob (a config) into memory; size (unless -1) and digest are
 * verified, a mismatch is retried like a transport error. */
int registry_get_blob_mem(struct registry *r, const char *repo, const char *digest, int64_t size,
			  size_t max, char **buf, size_t *len, struct ecs_err *err);

/* A blob to stream into a file. */
struct registry_blob {
	const char *digest; /* "sha256:<hex>" */
	int64_t size;       /* -1: unknown */
	int fd;             /* writable, empty; truncated again before each retry */
	void *userdata;
};
/* Called once per blob, as soon as its file is complete and verified
 * (other transfers are paused meanwhile). A negative return fails the
 * whole batch with `err`. */
typedef int (*registry_blob_done_fn)(struct registry_blob *b, struct ecs_err *err);

/* Download `n` blobs, up to REGISTRY_MAX_PARALLEL at a time. On failure the
 * transfers still running are abandoned; files of blobs whose callback did
 * not run may hold partial data (the caller deletes them). */
int registry_get_blobs(struct registry *r, const char *repo, struct registry_blob *blobs, size_t n,
		       registry_blob_done_fn done, struct ecs_err *err);

/* ---- pure parts (unit tests, fuzzing) ---- */

/* Whether a failed attempt may be retried: `curl_code` is a CURLcode
 * (0 when the transfer completed), `http_status` the response status (0
 * when there was none). Connection failures, timeouts, resets, 408, 429 and
 * 5xx are; TLS verification failures and other 4xx are not. */
bool registry_retryable(int curl_code, long http_status);
/* The delay before the next attempt: the backoff's, or the server's
 * Retry-After (seconds, <= 0: none) capped at REGISTRY_RETRY_AFTER_MAX_MS
 * when that is longer. */
int64_t registry_retry_delay_ms(int64_t backoff_ms, int64_t retry_after_s);
/* A registry's error answer as text: "manifest unknown (MANIFEST_UNKNOWN)"
 * from a distribution {"errors":[{"code":..,"message":..}]} body (several
 * joined by "; "), else "HTTP <status>". Always NUL-terminates `buf`. */
void registry_error_text(long http_status, const char *body, size_t len, char *buf, size_t size);
/* errno for a final HTTP status: 401/403 EACCES, 404 ENOENT, 429 and 5xx
 * EAGAIN, other EIO. */
int registry_status_errno(long http_status);
