/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Private interfaces between the three files of the registry client
 * (registry.h):
 *
 *   registry-http.c  the libcurl transport: easy and multi handles, request
 *                    headers, redirects, TLS, timeouts and the body sinks.
 *                    The only file of libimage that includes curl/curl.h;
 *                    curl handles stay behind struct registry_http and
 *                    struct registry_attempt.
 *   registry.c       the distribution API on top of it: manifest and blob
 *                    requests, Accept headers, digest checks, the registry's
 *                    error text, retry classification and the retry loop.
 *   registry-auth.c  the answer to a 401: challenge -> token fetch (cached
 *                    per realm and scope) -> the scheme later requests use.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backoff.h"
#include "error.h"
#include "image/registry.h"

/* The scheme requests carry (registry-auth.c decides it). */
enum registry_auth_mode { REGISTRY_AUTH_ANON = 0, REGISTRY_AUTH_BASIC, REGISTRY_AUTH_BEARER };

struct registry_http;     /* the multi handle and the options every request shares */
struct registry_attempt;  /* the easy handle of an attempt in flight */
struct digest;

/* ---- the client (registry.c) ---- */

struct registry_token {
	char *realm_scope; /* cache key: realm + '\n' + scope */
	char *header;      /* "Authorization: Bearer ..." */
};

struct registry {
	char *base; /* "https://host:port" */
	char *username, *password;
	struct registry_http *http;
	/* registry-auth.c: the scheme requests carry now, the tokens got */
	enum registry_auth_mode mode;
	char *bearer; /* the header in use with REGISTRY_AUTH_BEARER */
	struct registry_token *tokens;
	size_t n_tokens;
};

/* ---- registry-http.c: the transport ---- */

struct registry_http_conf {
	bool insecure;         /* plain http:// allowed, else https only */
	const char *ca_file;   /* extra CA bundle; NULL: system CAs only */
	int64_t deadline_ms;   /* CLOCK_MONOTONIC ms; 0: none */
	int64_t inactivity_ms; /* 0: none */
};

int registry_http_new(const struct registry_http_conf *c, struct registry_http **out,
		      struct ecs_err *err);
void registry_http_free(struct registry_http *h);
int64_t registry_now_ms(void);
/* Milliseconds left before the deadline (0 once passed), INT64_MAX when
 * there is none. */
int64_t registry_http_remaining_ms(const struct registry_http *h);

/* How an attempt ended. */
#define REGISTRY_HTTP_MSG_MAX 256
struct registry_http_result {
	int code;              /* CURLcode, 0 when a response arrived */
	int code_errno;        /* errno for a nonzero code (ETIMEDOUT, ECONNREFUSED, ...) */
	long status;           /* HTTP status, 0 when there was no response */
	int64_t retry_after_s; /* Retry-After, 0 when absent */
	char msg[REGISTRY_HTTP_MSG_MAX]; /* libcurl's text for a nonzero code */
};
/* Whether a nonzero CURLcode is a transport failure worth another attempt
 * (connection failures, timeouts, resets, TLS handshake failures). */
bool registry_http_transient(int code);

/* One request, over as many attempts as it takes. */
struct registry_xfer {
	struct registry *reg;
	char *url;
	char what[128];     /* the request in messages, "" for a manifest */
	const char *accept; /* an "Accept: ..." header line, NULL: none */

	/* The sink (registry-http.c): a 2xx body goes to fd when >= 0, else to
	 * memory up to mem_max; hashed as it is written, and refused beyond
	 * want_size (unless -1). Both are emptied before every attempt. */
	int fd;
	char *mem;
	size_t mem_len, mem_max;
	int64_t want_size;
	struct digest *dg;
	int64_t written;
	bool overflow;
	int io_errno;
	char *errbody; /* a non-2xx body, for the error text */
	size_t err_len;
	char *www_auth, *content_type, *dcd; /* headers of the last response */
	struct registry_http_result res;     /* of the last finished attempt */
	struct registry_attempt *attempt;
	bool running;

	/* registry.c */
	const char *want_digest; /* NULL: not verified */
	unsigned attempts;
	bool finished;
	int64_t not_before_ms;
	struct backoff bo;
	struct registry_blob *blob;

	/* registry-auth.c: what the attempt sent, to tell a stale token from a
	 * refused one */
	enum registry_auth_mode sent_mode;
	char *sent_bearer;
	bool auth_answered;
};

/* Start an attempt of `x` on the multi handle: empty its sink and the last
 * response, and send `auth_header` ("Authorization: ...") when non-NULL,
 * basic credentials when `user` is. */
int registry_http_start(struct registry_http *h, struct registry_xfer *x, const char *auth_header,
			const char *user, const char *password, struct ecs_err *err);
/* Move the running transfers along without blocking. */
void registry_http_perform(struct registry_http *h);
/* The next attempt that finished since (x->res filled, x->running false),
 * NULL when there is none. */
struct registry_xfer *registry_http_next_done(struct registry_http *h);
/* Wait up to `ms` for activity on the running transfers. */
void registry_http_wait(struct registry_http *h, int ms);
/* Free everything the transport holds for `x` (its handle, its sink's
 * digest, buffers and response headers); the attempt is abandoned if it is
 * running. The struct itself stays the caller's. */
void registry_http_xfer_clear(struct registry_xfer *x);

/* A blocking GET of `url` into memory (at most `max` bytes, *body
 * malloc'd or NULL when empty), with basic credentials when `user` is
 * non-NULL. 0 with `res` saying how it ended; <0 only when out of memory. */
int registry_http_get(struct registry_http *h, const char *url, const char *user,
		      const char *password, size_t max, char **body, size_t *len,
		      struct registry_http_result *res, struct ecs_err *err);
/* `s` percent-encoded for a query string, malloc'd; NULL when out of
 * memory. */
char *registry_http_escape(const char *s);

/* ---- registry-auth.c ---- */

/* What the next attempt of `x` sends (remembered in x): the bearer header
 * or basic credentials of the client's current scheme, NULL otherwise. */
int registry_auth_prepare(struct registry_xfer *x, const char **header, const char **user,
			  const char **password, struct ecs_err *err);
/* Answer the 401 that ended the last attempt of `x`: switch the client to
 * the challenge's scheme (fetching a token for Bearer). 0: try `x` again;
 * <0: the 401 is final (err says why). */
int registry_auth_answer(struct registry_xfer *x, const char *repo, struct ecs_err *err);
/* Free the credentials and the tokens, wiping the secrets (registry_free). */
void registry_auth_clear(struct registry *r);
