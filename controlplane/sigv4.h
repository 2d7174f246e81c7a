/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * AWS Signature Version 4 verification of an `Authorization:
 * AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b;c, Signature=HEX` header. Hashes, HMACs and the
 * constant-time comparison come from crypto.h.
 *
 * The server recomputes the signature from what it received: the canonical
 * request (method, canonical URI, canonical query string, the headers named
 * in SignedHeaders, the SHA-256 of the body), the string to sign over the
 * scope taken from Credential=, and the signing key derived from the secret
 * of that access key; then compares in constant time. It also requires:
 *   - X-Amz-Date (ISO 8601 basic, "20240102T030405Z") within `max_skew` of
 *     now, and the scope date equal to its day;
 *   - the scope's region and service to be ours, the terminator aws4_request;
 *   - `host` and `x-amz-date` among the signed headers;
 *   - x-amz-content-sha256, when sent, to be the body's hash.
 *
 * Paths and query parameters arrive decoded from the HTTP layer; they are
 * re-encoded the way the AWS SDKs encode them (RFC 3986 unreserved kept,
 * and the path encoded twice as SigV4 asks for every service but S3).
 */
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct sigv4_pair {
	const char *name;
	const char *value;
};

struct sigv4_request {
	const char *method;
	const char *path;                /* decoded, e.g. "/" */
	const struct sigv4_pair *query;  /* decoded name/value pairs, any order */
	size_t n_query;
	const struct sigv4_pair *headers; /* as received; names in any case, may repeat */
	size_t n_headers;
	const void *body;
	size_t body_len;
};

/* The secret for an access key id, or NULL when the key is unknown. */
typedef const char *(*sigv4_secret_fn)(void *userdata, const char *access_key_id);

struct sigv4_verifier {
	const char *region;
	const char *service;
	int64_t now;      /* seconds since the epoch */
	int64_t max_skew; /* seconds; AWS allows 15 minutes */
	sigv4_secret_fn secret;
	void *userdata;
};

enum sigv4_status {
	SIGV4_OK = 0,
	SIGV4_MISSING,        /* no Authorization header */
	SIGV4_INCOMPLETE,     /* malformed header, missing parts or dates */
	SIGV4_UNKNOWN_KEY,    /* access key id not configured */
	SIGV4_BAD_SIGNATURE,  /* signature, scope or payload hash does not match */
	SIGV4_EXPIRED,        /* X-Amz-Date outside the allowed skew */
};

/* Verify `req`. Returns the status; for anything but SIGV4_OK `err` says
 * why, in words fit for the client. */
enum sigv4_status sigv4_verify(const struct sigv4_verifier *v, const struct sigv4_request *req,
			       struct ecs_err *err);

/* The AWS exception name and HTTP status a failed status is reported with. */
const char *sigv4_status_exception(enum sigv4_status s);
int sigv4_status_http(enum sigv4_status s);
