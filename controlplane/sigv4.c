/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "sigv4.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cleanup.h"
#include "crypto.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* A growable string; `failed` sticks after the first allocation failure. */
struct buf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 256);
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->s, cap);
		if (!grown) {
			b->failed = true;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* RFC 3986 percent-encoding as the SDKs do it: unreserved characters stay,
 * everything else becomes %XX (upper-case hex); '/' stays when keep_slash. */
static void buf_uri_encode(struct buf *b, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
		    (keep_slash && *p == '/')) {
			buf_add(b, (const char *)p, 1);
		} else {
			char enc[3] = { '%', hex[*p >> 4], hex[*p & 0xf] };
			buf_add(b, enc, 3);
		}
	}
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static bool hmac(const unsigned char *key, size_t klen, const char *msg,
		 unsigned char out[CRYPTO_SHA256_LEN])
{
	return crypto_hmac_sha256(key, klen, msg, strlen(msg), out) == 0;
}

/* All values of header `name` (case-insensitive), trimmed and with inner
 * whitespace runs collapsed to one space, joined by ','. NULL if absent. */
static bool header_values(const struct sigv4_request *req, const char *name, struct buf *out)
{
	bool found = false;
	for (size_t i = 0; i < req->n_headers; i++) {
		if (strcasecmp(req->headers[i].name, name) != 0)
			continue;
		if (found)
			buf_add(out, ",", 1);
		found = true;
		const char *p = req->headers[i].value ? req->headers[i].value : "";
		bool first = true;
		while (*p) {
			while (*p && isspace((unsigned char)*p))
				p++;
			const char *start = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			if (p > start) {
				if (!first)
					buf_add(out, " ", 1);
				buf_add(out, start, (size_t)(p - start));
				first = false;
			}
		}
	}
	return found;
}

static const char *header_first(const struct sigv4_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value ? req->headers[i].value : "";
	return NULL;
}

struct auth_fields {
	char *copy;
	const char *credential;
	const char *signed_headers;
	const char *signature;
	/* Credential= split at '/' */
	const char *akid, *date, *region, *service, *terminator;
};

static enum sigv4_status parse_authorization(const char *header, struct auth_fields *f,
					     struct ecs_err *err)
{
	size_t alen = strlen(ALGORITHM);
	if (strncmp(header, ALGORITHM, alen) != 0 || !isspace((unsigned char)header[alen])) {
		err_set(err, EINVAL, "Unsupported signing algorithm: only " ALGORITHM " is accepted");
		return SIGV4_INCOMPLETE;
	}
	f->copy = strdup(header + alen);
	if (!f->copy) {
		err_set(err, ENOMEM, "out of memory");
		return SIGV4_INCOMPLETE;
	}
	char *save = NULL;
	for (char *part = strtok_r(f->copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*part))
			part++;
		char *end = part + strlen(part);
		while (end > part && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (strncmp(part, "Credential=", 11) == 0)
			f->credential = part + 11;
		else if (strncmp(part, "SignedHeaders=", 14) == 0)
			f->signed_headers = part + 14;
		else if (strncmp(part, "Signature=", 10) == 0)
			f->signature = part + 10;
	}
	if (!f->credential || !f->signed_headers || !f->signature) {
		err_set(err, EINVAL,
			"Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters");
		return SIGV4_INCOMPLETE;
	}

	/* AKID/DATE/REGION/SERVICE/aws4_request; the key id itself has no '/'. */
	char *cred = (char *)f->credential;
	const char **dst[] = { &f->akid, &f->date, &f->region, &f->service, &f->terminator };
	for (size_t i = 0; i < ARRAY_SIZE(dst); i++) {
		*dst[i] = cred;
		char *slash = strchr(cred, '/');
		if (i + 1 < ARRAY_SIZE(dst)) {
			if (!slash) {
				err_set(err, EINVAL, "Credential must have the form KEY/DATE/REGION/SERVICE/aws4_request");
				return SIGV4_INCOMPLETE;
			}
			*slash = '\0';
			cred = slash + 1;
		} else if (slash) {
			err_set(err, EINVAL, "Credential must have the form KEY/DATE/REGION/SERVICE/aws4_request");
			return SIGV4_INCOMPLETE;
		}
	}
	if (!f->akid[0]) {
		err_set(err, EINVAL, "Credential has an empty access key id");
		return SIGV4_INCOMPLETE;
	}
	return SIGV4_OK;
}

/* "20240102T030405Z" -> seconds since the epoch, or -1. */
static int64_t parse_amz_date(const char *s)
{
	struct tm tm = { 0 };
	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return -1;
	for (int i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)s[i]))
			return -1;
	if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

static void format_amz_date(int64_t t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int cmp_pairs(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	int r = strcmp(x[0], y[0]);
	return r ? r : strcmp(x[1], y[1]);
}

/* name=value pairs encoded and sorted by encoded name, then value. */
static bool canonical_query(const struct sigv4_request *req, struct buf *out)
{
	if (req->n_query == 0)
		return true;
	char **enc = calloc(2 * req->n_query, sizeof(*enc));
	if (!enc)
		return false;
	bool ok = true;
	for (size_t i = 0; i < req->n_query && ok; i++) {
		struct buf n = { 0 }, v = { 0 };
		buf_add(&n, "", 0);
		buf_add(&v, "", 0);
		buf_uri_encode(&n, req->query[i].name, false);
		buf_uri_encode(&v, req->query[i].value ? req->query[i].value : "", false);
		enc[2 * i] = n.s;
		enc[2 * i + 1] = v.s;
		ok = !n.failed && !v.failed;
	}
	if (ok) {
		qsort(enc, req->n_query, 2 * sizeof(*enc), cmp_pairs);
		for (size_t i = 0; i < req->n_query; i++) {
			if (i)
				buf_add(out, "&", 1);
			buf_puts(out, enc[2 * i]);
			buf_add(out, "=", 1);
			buf_puts(out, enc[2 * i + 1]);
		}
	}
	for (size_t i = 0; i < 2 * req->n_query; i++)
		free(enc[i]);
	free(enc);
	return ok;
}

/* Builds the canonical request; returns SIGV4_OK or a failure with `err`. */
static enum sigv4_status canonical_request(const struct sigv4_request *req,
					   const char *signed_headers, const char *payload_hash,
					   struct buf *cr, struct ecs_err *err)
{
	buf_puts(cr, req->method);
	buf_add(cr, "\n", 1);

	/* The path as the client sent it is the decoded path encoded once;
	 * SigV4 then encodes that again. */
	struct buf once = { 0 };
	const char *path = req->path && req->path[0] ? req->path : "/";
	buf_add(&once, "", 0);
	buf_uri_encode(&once, path, true);
	if (once.failed) {
		free(once.s);
		err_set(err, ENOMEM, "out of memory");
		return SIGV4_INCOMPLETE;
	}
	buf_uri_encode(cr, once.s, true);
	free(once.s);
	buf_add(cr, "\n", 1);

	if (!canonical_query(req, cr))
		cr->failed = true;
	buf_add(cr, "\n", 1);

	bool has_host = false, has_date = false;
	_cleanup_free_ char *names = strdup(signed_headers);
	if (!names) {
		err_set(err, ENOMEM, "out of memory");
		return SIGV4_INCOMPLETE;
	}
	char *save = NULL;
	for (char *h = strtok_r(names, ";", &save); h; h = strtok_r(NULL, ";", &save)) {
		for (char *p = h; *p; p++) {
			if (isupper((unsigned char)*p)) {
				err_set(err, EINVAL, "SignedHeaders must be lower case");
				return SIGV4_INCOMPLETE;
			}
		}
		has_host |= strcmp(h, "host") == 0;
		has_date |= strcmp(h, "x-amz-date") == 0;
		buf_puts(cr, h);
		buf_add(cr, ":", 1);
		if (!header_values(req, h, cr)) {
			err_set(err, EINVAL, "Signed header '%.64s' is not in the request", h);
			return SIGV4_BAD_SIGNATURE;
		}
		buf_add(cr, "\n", 1);
	}
	if (!has_host || !has_date) {
		err_set(err, EINVAL, "SignedHeaders must include 'host' and 'x-amz-date'");
		return SIGV4_INCOMPLETE;
	}
	buf_add(cr, "\n", 1);
	buf_puts(cr, signed_headers);
	buf_add(cr, "\n", 1);
	buf_puts(cr, payload_hash);
	if (cr->failed) {
		err_set(err, ENOMEM, "out of memory");
		return SIGV4_INCOMPLETE;
	}
	return SIGV4_OK;
}

static enum sigv4_status check_scope(const struct sigv4_verifier *v, const struct auth_fields *f,
				     const char *amz_date, struct ecs_err *err)
{
	if (strlen(f->date) != 8 || strncmp(f->date, amz_date, 8) != 0) {
		err_set(err, EINVAL,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%.16s' != '%.8s'",
			f->date, amz_date);
		return SIGV4_BAD_SIGNATURE;
	}
	if (strcmp(f->region, v->region) != 0) {
		err_set(err, EINVAL, "Credential should be scoped to a valid region, not '%.64s'",
			f->region);
		return SIGV4_BAD_SIGNATURE;
	}
	if (strcmp(f->service, v->service) != 0) {
		err_set(err, EINVAL, "Credential should be scoped to correct service: '%s'",
			v->service);
		return SIGV4_BAD_SIGNATURE;
	}
	if (strcmp(f->terminator, "aws4_request") != 0) {
		err_set(err, EINVAL,
			"Credential should be scoped with a valid terminator: 'aws4_request'");
		return SIGV4_BAD_SIGNATURE;
	}
	return SIGV4_OK;
}

static enum sigv4_status check_date(const struct sigv4_verifier *v, const char *amz_date,
				    struct ecs_err *err)
{
	int64_t t = parse_amz_date(amz_date);
	if (t < 0) {
		err_set(err, EINVAL, "X-Amz-Date must be in ISO 8601 basic format (20150830T123600Z)");
		return SIGV4_INCOMPLETE;
	}
	char bound[17];
	if (t < v->now - v->max_skew) {
		format_amz_date(v->now - v->max_skew, bound);
		err_set(err, EINVAL, "Signature expired: %s is now earlier than %s", amz_date, bound);
		return SIGV4_EXPIRED;
	}
	if (t > v->now + v->max_skew) {
		format_amz_date(v->now + v->max_skew, bound);
		err_set(err, EINVAL, "Signature not yet current: %s is still later than %s",
			amz_date, bound);
		return SIGV4_EXPIRED;
	}
	return SIGV4_OK;
}

static enum sigv4_status compute_and_compare(const char *secret, const struct auth_fields *f,
					     const char *amz_date, const struct buf *cr,
					     struct ecs_err *err)
{
	char cr_hash[CRYPTO_SHA256_HEX_LEN + 1];
	if (crypto_sha256_hex(cr->s, cr->len, cr_hash) < 0) {
		err_set(err, EIO, "SHA-256 computation failed");
		return SIGV4_INCOMPLETE;
	}

	_cleanup_free_ char *sts = NULL, *kstart = NULL;
	if (asprintf(&sts, ALGORITHM "\n%s\n%s/%s/%s/%s\n%s", amz_date, f->date, f->region,
		     f->service, f->terminator, cr_hash) < 0 ||
	    asprintf(&kstart, "AWS4%s", secret) < 0) {
		sts = kstart = NULL;
		err_set(err, ENOMEM, "out of memory");
		return SIGV4_INCOMPLETE;
	}

	unsigned char k[CRYPTO_SHA256_LEN], sig[CRYPTO_SHA256_LEN];
	bool ok = hmac((const unsigned char *)kstart, strlen(kstart), f->date, k) &&
		  hmac(k, sizeof(k), f->region, k) && hmac(k, sizeof(k), f->service, k) &&
		  hmac(k, sizeof(k), "aws4_request", k) && hmac(k, sizeof(k), sts, sig);
	crypto_wipe(kstart, strlen(kstart));
	crypto_wipe(k, sizeof(k));
	if (!ok) {
		err_set(err, EIO, "HMAC computation failed");
		return SIGV4_INCOMPLETE;
	}

	char expect[CRYPTO_SHA256_HEX_LEN + 1];
	hex_encode(sig, sizeof(sig), expect);
	if (strlen(f->signature) != CRYPTO_SHA256_HEX_LEN ||
	    !crypto_equal(expect, f->signature, CRYPTO_SHA256_HEX_LEN)) {
		err_set(err, EACCES,
			"The request signature we calculated does not match the signature you provided. "
			"Check your AWS Secret Access Key and signing method.");
		return SIGV4_BAD_SIGNATURE;
	}
	return SIGV4_OK;
}

static enum sigv4_status verify_fields(const struct sigv4_verifier *v,
				       const struct sigv4_request *req, const struct auth_fields *f,
				       struct ecs_err *err);

enum sigv4_status sigv4_verify(const struct sigv4_verifier *v, const struct sigv4_request *req,
			       struct ecs_err *err)
{
	const char *auth = header_first(req, "authorization");
	if (!auth) {
		err_set(err, EACCES, "Missing Authentication Token");
		return SIGV4_MISSING;
	}

	struct auth_fields f = { 0 };
	enum sigv4_status st = parse_authorization(auth, &f, err);
	if (st == SIGV4_OK)
		st = verify_fields(v, req, &f, err);
	free(f.copy);
	return st;
}

static enum sigv4_status verify_fields(const struct sigv4_verifier *v,
				       const struct sigv4_request *req, const struct auth_fields *f,
				       struct ecs_err *err)
{
	enum sigv4_status st;
	const char *amz_date = header_first(req, "x-amz-date");
	if (!amz_date) {
		err_set(err, EINVAL, "Authorization header requires existence of the X-Amz-Date header");
		return SIGV4_INCOMPLETE;
	}
	if ((st = check_date(v, amz_date, err)) != SIGV4_OK ||
	    (st = check_scope(v, f, amz_date, err)) != SIGV4_OK)
		return st;

	const char *secret = v->secret(v->userdata, f->akid);
	if (!secret) {
		err_set(err, EACCES, "The security token included in the request is invalid.");
		return SIGV4_UNKNOWN_KEY;
	}

	char body_hash[CRYPTO_SHA256_HEX_LEN + 1];
	if (crypto_sha256_hex(req->body, req->body_len, body_hash) < 0) {
		err_set(err, EIO, "SHA-256 computation failed");
		return SIGV4_INCOMPLETE;
	}
	const char *claimed = header_first(req, "x-amz-content-sha256");
	if (claimed && strcmp(claimed, body_hash) != 0) {
		err_set(err, EINVAL,
			"The provided 'x-amz-content-sha256' header does not match what was computed.");
		return SIGV4_BAD_SIGNATURE;
	}

	struct buf cr = { 0 };
	st = canonical_request(req, f->signed_headers, body_hash, &cr, err);
	if (st == SIGV4_OK)
		st = compute_and_compare(secret, f, amz_date, &cr, err);
	free(cr.s);
	return st;
}

const char *sigv4_status_exception(enum sigv4_status s)
{
	switch (s) {
	case SIGV4_OK: return NULL;
	case SIGV4_MISSING: return "MissingAuthenticationTokenException";
	case SIGV4_INCOMPLETE: return "IncompleteSignatureException";
	case SIGV4_UNKNOWN_KEY: return "UnrecognizedClientException";
	case SIGV4_BAD_SIGNATURE:
	case SIGV4_EXPIRED: return "InvalidSignatureException";
	}
	return "InvalidSignatureException";
}

int sigv4_status_http(enum sigv4_status s)
{
	switch (s) {
	case SIGV4_OK: return 200;
	case SIGV4_MISSING: return 403;
	default: return 400;
	}
}
