/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry client's authentication flow (docs/images.md,
 * "Authentication"): a request starts with the client's current scheme
 * (anonymous until a registry asks); a 401 is answered once per request
 * with its challenge's scheme: Basic with the client's credentials, or
 * Bearer with a token from the challenge's realm, fetched with those
 * credentials (anonymously without) and cached per realm and scope for the
 * client's life. Parsing challenges and token answers is auth.c's; this
 * file decides what to send.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "image/auth.h"
#include "image/registry-internal.h"

#define TOKEN_MAX (1u << 20)

int registry_auth_prepare(struct registry_xfer *x, const char **header, const char **user,
			  const char **password, struct ecs_err *err)
{
	struct registry *r = x->reg;
	*header = *user = *password = NULL;
	free(x->sent_bearer);
	x->sent_bearer = NULL;
	x->sent_mode = r->mode;
	if (r->mode == REGISTRY_AUTH_BEARER) {
		if (!(x->sent_bearer = strdup(r->bearer)))
			return err_set(err, ENOMEM, "out of memory");
		*header = r->bearer;
	} else if (r->mode == REGISTRY_AUTH_BASIC) {
		*user = r->username;
		*password = r->password;
	}
	return 0;
}

static struct registry_token *token_find(const struct registry *r, const char *key)
{
	for (size_t i = 0; i < r->n_tokens; i++)
		if (strcmp(r->tokens[i].realm_scope, key) == 0)
			return &r->tokens[i];
	return NULL;
}

/* GET realm?service=..&scope=.. (with the registry's basic credentials when
 * it has some) and return the token. Retried like any request. */
static int fetch_token(struct registry *r, const struct auth_challenge *ch, const char *scope,
		       char **token, struct ecs_err *err)
{
	_cleanup_free_ char *svc = ch->service ? registry_http_escape(ch->service) : NULL;
	_cleanup_free_ char *sc = scope ? registry_http_escape(scope) : NULL;
	_cleanup_free_ char *url = NULL;
	if ((ch->service && !svc) || (scope && !sc))
		return err_set(err, ENOMEM, "out of memory");
	const char *sep = strchr(ch->realm, '?') ? "&" : "?";
	if (asprintf(&url, "%s%s%s%s%s%s%s", ch->realm, (svc || sc) ? sep : "",
		     svc ? "service=" : "", svc ? svc : "", (svc && sc) ? "&" : "",
		     sc ? "scope=" : "", sc ? sc : "") < 0) {
		url = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	struct backoff bo;
	backoff_init(&bo, 200000, 5000000, 2.0, 0.5, NULL);
	for (unsigned attempt = 1;; attempt++) {
		struct registry_http_result res;
		_cleanup_free_ char *body = NULL;
		size_t len = 0;
		int rc = registry_http_get(r->http, url, r->username, r->password, TOKEN_MAX, &body,
					   &len, &res, err);
		if (rc < 0)
			return rc;
		if (res.code == 0 && res.status >= 200 && res.status <= 299) {
			rc = auth_token_parse(body ? body : "", len, token, err);
			return rc < 0 ? (err_wrap(err, "token from %s", ch->realm), rc) : 0;
		}
		char text[512];
		if (res.code)
			snprintf(text, sizeof(text), "%s", res.msg);
		else
			registry_error_text(res.status, body, len, text, sizeof(text));
		int64_t left = registry_http_remaining_ms(r->http);
		if (attempt >= REGISTRY_ATTEMPTS || !registry_retryable(res.code, res.status) ||
		    left == 0) {
			int code = res.code ? EIO : registry_status_errno(res.status);
			return err_set(err, code, "getting a token from %s: %s", ch->realm, text);
		}
		int64_t d = registry_retry_delay_ms((int64_t)(backoff_next(&bo) / 1000),
						    res.retry_after_s);
		if (d > left)
			d = left;
		usleep((useconds_t)d * 1000);
	}
}

/* Remember `hdr` as the token for `key` and make it the one requests send. */
static int use_token(struct registry *r, char **key, char **hdr, struct ecs_err *err)
{
	struct registry_token *t = token_find(r, *key);
	if (!t) {
		struct registry_token *v = realloc(r->tokens, (r->n_tokens + 1) * sizeof(*v));
		if (!v)
			return err_set(err, ENOMEM, "out of memory");
		r->tokens = v;
		t = &r->tokens[r->n_tokens++];
		t->realm_scope = TAKE_PTR(*key);
		t->header = NULL;
	}
	free(t->header);
	t->header = strdup(*hdr);
	free(r->bearer);
	r->bearer = TAKE_PTR(*hdr);
	r->mode = REGISTRY_AUTH_BEARER;
	return t->header ? 0 : err_set(err, ENOMEM, "out of memory");
}

int registry_auth_answer(struct registry_xfer *x, const char *repo, struct ecs_err *err)
{
	struct registry *r = x->reg;
	char text[512];
	registry_error_text(401, x->errbody, x->err_len, text, sizeof(text));
	if (x->auth_answered || !x->www_auth)
		return err_set(err, EACCES, "%s", text);
	struct auth_challenge ch = { 0 };
	struct ecs_err cerr = { 0 };
	int rc = auth_challenge_parse(x->www_auth, &ch, &cerr);
	if (rc < 0)
		return err_set(err, EACCES, "%s (%s)", text, err_msg(&cerr));
	x->auth_answered = true;
	if (ch.scheme == AUTH_BASIC) {
		auth_challenge_clear(&ch);
		if (!r->username || x->sent_mode == REGISTRY_AUTH_BASIC)
			return err_set(err, EACCES, "%s", text);
		r->mode = REGISTRY_AUTH_BASIC;
		return 0;
	}
	if (ch.scheme != AUTH_BEARER || !ch.realm) {
		auth_challenge_clear(&ch);
		return err_set(err, EACCES, "%s (unusable challenge)", text);
	}
	_cleanup_free_ char *dflt = NULL, *key = NULL, *tok = NULL;
	if (!ch.scope && asprintf(&dflt, "repository:%s:pull", repo) < 0)
		dflt = NULL;
	const char *scope = ch.scope ? ch.scope : dflt;
	if (asprintf(&key, "%s\n%s", ch.realm, scope ? scope : "") < 0) {
		key = NULL;
		auth_challenge_clear(&ch);
		return err_set(err, ENOMEM, "out of memory");
	}
	const struct registry_token *t = token_find(r, key);
	/* A cached token the request did not carry: try it before asking
	 * for a new one; one it carried was refused (expired). */
	if (t && (!x->sent_bearer || strcmp(x->sent_bearer, t->header) != 0)) {
		auth_challenge_clear(&ch);
		free(r->bearer);
		r->bearer = strdup(t->header);
		r->mode = r->bearer ? REGISTRY_AUTH_BEARER : REGISTRY_AUTH_ANON;
		return r->bearer ? 0 : err_set(err, ENOMEM, "out of memory");
	}
	rc = fetch_token(r, &ch, scope, &tok, err);
	auth_challenge_clear(&ch);
	if (rc < 0)
		return rc;
	_cleanup_free_ char *hdr = NULL;
	if (asprintf(&hdr, "Authorization: Bearer %s", tok) < 0) {
		hdr = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	return use_token(r, &key, &hdr, err);
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void registry_auth_clear(struct registry *r)
{
	free(r->username);
	free_secret(r->password);
	r->username = r->password = NULL;
	free_secret(r->bearer);
	r->bearer = NULL;
	for (size_t i = 0; i < r->n_tokens; i++) {
		free(r->tokens[i].realm_scope);
		free_secret(r->tokens[i].header);
	}
	free(r->tokens);
	r->tokens = NULL;
	r->n_tokens = 0;
	r->mode = REGISTRY_AUTH_ANON;
}
