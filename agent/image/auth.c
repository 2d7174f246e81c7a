/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registry credentials (ECS_ENGINE_AUTH_TYPE / ECS_ENGINE_AUTH_DATA), the
 * WWW-Authenticate challenge of a registry and its token endpoint's answer.
 *
 * Secrets never reach an error message: messages name the configuration
 * entry by its key, and JSON errors come from lib/json, which keeps only the
 * first line of yajl's report (the lines after it quote the input).
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/auth.h"
#include "json.h"

/* ---- credentials ------------------------------------------------------- */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with optional padding. The result is NUL-terminated and
 * refused when it contains a NUL (it must be a C string "user:password").
 * NULL when the input is not base64 (or on ENOMEM: *enomem set). */
static char *b64_decode(const char *in, bool *enomem)
{
	size_t len = strlen(in);
	size_t pad = 0;
	while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
		pad++;
	size_t n = len - pad;
	/* n % 4 == 1 leaves 6 stray bits: never valid. Padding, when present,
	 * must complete the last quantum. */
	if (n % 4 == 1 || (pad && (n + pad) % 4 != 0))
		return NULL;
	char *out = malloc(n / 4 * 3 + 3);
	if (!out) {
		*enomem = true;
		return NULL;
	}
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			char c = (char)((acc >> bits) & 0xff);
			if (c == '\0')
				goto bad;
			out[o++] = c;
		}
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

char *registry_key_normalise(const char *key)
{
	if (!key)
		return NULL;
	const char *p = key;
	if (strncasecmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncasecmp(p, "http://", 7) == 0)
		p += 7;
	char *host = strndup(p, strcspn(p, "/"));
	if (!host)
		return NULL;
	for (char *c = host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strcmp(host, "index.docker.io") == 0 || strcmp(host, "registry-1.docker.io") == 0) {
		free(host);
		return strdup("docker.io");
	}
	return host;
}

void registry_creds_clear(struct registry_creds *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].registry);
		free(c->items[i].username);
		if (c->items[i].password) {
			/* Do not leave the secret lying in freed memory. */
			explicit_bzero(c->items[i].password, strlen(c->items[i].password));
			free(c->items[i].password);
		}
	}
	free(c->items);
	*c = (struct registry_creds){ 0 };
}

enum auth_type { TYPE_DOCKER, TYPE_DOCKERCFG };

/* Fill username/password of `cred` from one entry's value. */
static int cred_from_entry(enum auth_type type, const char *key, const json_node *v,
			   struct registry_cred *cred, struct ecs_err *err)
{
	if (json_type(v) != JSON_OBJECT)
		return err_set(err, EINVAL, "ECS_ENGINE_AUTH_DATA entry \"%.200s\": not an object", key);
	if (type == TYPE_DOCKER) {
		const json_node *u = json_get(v, "username"), *p = json_get(v, "password");
		if (!json_string(u) || !*json_string(u))
			return err_set(err, EINVAL,
				       "ECS_ENGINE_AUTH_DATA entry \"%.200s\": no \"username\" string",
				       key);
		if (!json_string(p))
			return err_set(err, EINVAL,
				       "ECS_ENGINE_AUTH_DATA entry \"%.200s\": no \"password\" string",
				       key);
		cred->username = strdup(json_string(u));
		cred->password = strdup(json_string(p));
	} else {
		const char *auth = json_string(json_get(v, "auth"));
		if (!auth)
			return err_set(err, EINVAL,
				       "ECS_ENGINE_AUTH_DATA entry \"%.200s\": no \"auth\" string", key);
		bool enomem = false;
		char *plain = b64_decode(auth, &enomem);
		if (!plain)
			return enomem ? err_set(err, ENOMEM, "out of memory")
				      : err_set(err, EINVAL,
						"ECS_ENGINE_AUTH_DATA entry \"%.200s\": \"auth\" is not "
						"base64",
						key);
		/* Passwords may contain ':'; user names cannot. */
		char *colon = strchr(plain, ':');
		if (!colon || colon == plain) {
			explicit_bzero(plain, strlen(plain));
			free(plain);
			return err_set(err, EINVAL,
				       "ECS_ENGINE_AUTH_DATA entry \"%.200s\": \"auth\" is not "
				       "base64 of \"user:password\"",
				       key);
		}
		cred->username = strndup(plain, (size_t)(colon - plain));
		cred->password = strdup(colon + 1);
		explicit_bzero(plain, strlen(plain));
		free(plain);
	}
	if (!cred->username || !cred->password)
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}

int registry_creds_parse(const char *type, const char *data, struct registry_creds *out,
			 struct ecs_err *err)
{
	*out = (struct registry_creds){ 0 };
	bool no_type = !type || !*type, no_data = !data || !*data;
	enum auth_type t;
	if (no_type && no_data)
		return 0;
	if (no_type)
		return err_set(err, EINVAL, "ECS_ENGINE_AUTH_DATA is set but ECS_ENGINE_AUTH_TYPE is not");
	if (strcmp(type, "docker") == 0)
		t = TYPE_DOCKER;
	else if (strcmp(type, "dockercfg") == 0)
		t = TYPE_DOCKERCFG;
	else
		return err_set(err, EINVAL,
			       "ECS_ENGINE_AUTH_TYPE \"%.50s\": expected \"docker\" or \"dockercfg\"",
			       type);
	/* A type without data configures nothing. */
	if (no_data)
		return 0;

	struct ecs_err jerr;
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(data, strlen(data), &jerr);
	if (!doc)
		return err_set(err, jerr.code, "ECS_ENGINE_AUTH_DATA: %s", jerr.msg);
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_OBJECT)
		return err_set(err, EINVAL, "ECS_ENGINE_AUTH_DATA: expected a JSON object, got %s",
			       json_type_name(json_type(root)));

	_cleanup_(registry_creds_clear) struct registry_creds creds = { 0 };
	size_t n = json_object_size(root);
	if (n && !(creds.items = calloc(n, sizeof(*creds.items))))
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *key = json_object_key(root, i);
		struct registry_cred *c = &creds.items[creds.n++];
		if (!(c->registry = registry_key_normalise(key)))
			return err_set(err, ENOMEM, "out of memory");
		if (!*c->registry)
			return err_set(err, EINVAL,
				       "ECS_ENGINE_AUTH_DATA entry \"%.200s\": no registry host", key);
		int r = cred_from_entry(t, key, json_object_value(root, i), c, err);
		if (r < 0)
			return r;
	}
	*out = creds;
	creds = (struct registry_creds){ 0 };
	return 0;
}

const struct registry_cred *registry_creds_find(const struct registry_creds *c,
						const char *registry)
{
	if (!c || !registry)
		return NULL;
	/* The first entry wins when two keys normalise to the same host. */
	for (size_t i = 0; i < c->n; i++)
		if (strcasecmp(c->items[i].registry, registry) == 0)
			return &c->items[i];
	return NULL;
}

/* ---- WWW-Authenticate --------------------------------------------------- */

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~+/", c));
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* When `p` starts a token68 that makes up the whole list element
 * ("Basic dXNlcjpwYXNz"), the end of it; else NULL. */
static const char *token68_end(const char *p)
{
	const char *q = p;
	while (is_token68_char(*q))
		q++;
	if (q == p)
		return NULL;
	while (*q == '=')
		q++;
	q = skip_ows(q);
	return (*q == '\0' || *q == ',') ? q : NULL;
}

/* A quoted-string starting at *p (on the '"'); malloc'd unescaped value in
 * *val. */
static int quoted_string(const char **p, char **val, struct ecs_err *err)
{
	const char *q = *p + 1;
	size_t n = 0;
	/* First pass: length and validity. */
	for (const char *s = q;; s++) {
		if (*s == '\0')
			return err_set(err, EINVAL, "WWW-Authenticate: unterminated quoted string");
		if (*s == '"')
			break;
		if (*s == '\\' && !*++s)
			return err_set(err, EINVAL, "WWW-Authenticate: unterminated quoted string");
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return err_set(err, EINVAL,
				       "WWW-Authenticate: control character in quoted string");
		n++;
	}
	char *out = malloc(n + 1);
	if (!out)
		return err_set(err, ENOMEM, "out of memory");
	size_t o = 0;
	for (; *q != '"'; q++) {
		if (*q == '\\')
			q++;
		out[o++] = *q;
	}
	out[o] = '\0';
	*val = out;
	*p = q + 1;
	return 0;
}

struct challenge_parse {
	const char *p;
	struct auth_challenge cur;
};

static char **param_slot(struct auth_challenge *c, const char *name, size_t len)
{
	if (len == 5 && strncasecmp(name, "realm", 5) == 0)
		return &c->realm;
	if (len == 7 && strncasecmp(name, "service", 7) == 0)
		return &c->service;
	if (len == 5 && strncasecmp(name, "scope", 5) == 0)
		return &c->scope;
	return NULL;
}

/* One challenge: scheme, then a token68 or a comma-separated auth-param
 * list, up to the next challenge's scheme or the end. */
static int parse_one(struct challenge_parse *cp, struct ecs_err *err)
{
	const char *p = cp->p;
	const char *scheme = p;
	while (is_tchar(*p))
		p++;
	if (p == scheme)
		return err_set(err, EINVAL, "WWW-Authenticate: expected an authentication scheme");
	size_t slen = (size_t)(p - scheme);
	if (slen == 5 && strncasecmp(scheme, "basic", 5) == 0)
		cp->cur.scheme = AUTH_BASIC;
	else if (slen == 6 && strncasecmp(scheme, "bearer", 6) == 0)
		cp->cur.scheme = AUTH_BEARER;
	else
		cp->cur.scheme = AUTH_NONE;
	if (*p != ' ' && *p != '\t' && *p != ',' && *p != '\0')
		return err_set(err, EINVAL, "WWW-Authenticate: invalid authentication scheme");
	p = skip_ows(p);

	/* Right after the scheme, a token68 ("Basic dXNlcg==") is the whole
	 * element; '=' is not a token68 character, so "realm=x" never is one. */
	const char *t68 = token68_end(p);
	if (t68) {
		cp->p = t68;
		return 0;
	}
	for (;;) {
		p = skip_ows(p);
		while (*p == ',')
			p = skip_ows(p + 1);
		if (*p == '\0')
			break;
		const char *name = p;
		while (is_tchar(*p))
			p++;
		if (p == name)
			return err_set(err, EINVAL, "WWW-Authenticate: expected a parameter name");
		size_t nlen = (size_t)(p - name);
		const char *eq = skip_ows(p);
		if (*eq != '=') {
			/* A token not followed by '=' starts the next challenge. */
			p = name;
			break;
		}
		p = skip_ows(eq + 1);
		char *val = NULL;
		if (*p == '"') {
			int r = quoted_string(&p, &val, err);
			if (r < 0)
				return r;
		} else {
			/* Tolerated beyond RFC 7235's token: unquoted URLs (realm=https://x). */
			const char *v = p;
			while (*p && *p != ',' && *p != ' ' && *p != '\t' && *p != '"' &&
			       (unsigned char)*p > 0x20 && *p != 0x7f)
				p++;
			if (p == v)
				return err_set(err, EINVAL,
					       "WWW-Authenticate: parameter \"%.*s\" has no value",
					       (int)(nlen > 50 ? 50 : nlen), name);
			if (!(val = strndup(v, (size_t)(p - v))))
				return err_set(err, ENOMEM, "out of memory");
		}
		char **slot = param_slot(&cp->cur, name, nlen);
		if (slot) {
			/* A repeated parameter: the last one wins. */
			free(*slot);
			*slot = val;
		} else {
			free(val);
		}
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return err_set(err, EINVAL,
				       "WWW-Authenticate: expected ',' after parameter \"%.*s\"",
				       (int)(nlen > 50 ? 50 : nlen), name);
	}
	cp->p = p;
	return 0;
}

void auth_challenge_clear(struct auth_challenge *c)
{
	if (!c)
		return;
	free(c->realm);
	free(c->service);
	free(c->scope);
	*c = (struct auth_challenge){ 0 };
}

int auth_challenge_parse(const char *value, struct auth_challenge *out, struct ecs_err *err)
{
	*out = (struct auth_challenge){ 0 };
	if (!value)
		return err_set(err, EINVAL, "WWW-Authenticate: empty header");
	/* A header may carry several challenges: Bearer is preferred, then
	 * Basic; others are skipped. */
	struct auth_challenge best = { 0 };
	struct challenge_parse cp = { .p = value };
	bool any = false;
	int r = 0;
	for (;;) {
		cp.p = skip_ows(cp.p);
		while (*cp.p == ',')
			cp.p = skip_ows(cp.p + 1);
		if (*cp.p == '\0')
			break;
		any = true;
		cp.cur = (struct auth_challenge){ 0 };
		r = parse_one(&cp, err);
		if (r < 0) {
			auth_challenge_clear(&cp.cur);
			auth_challenge_clear(&best);
			return r;
		}
		if (cp.cur.scheme != AUTH_NONE &&
		    (best.scheme == AUTH_NONE || (best.scheme == AUTH_BASIC &&
						  cp.cur.scheme == AUTH_BEARER))) {
			auth_challenge_clear(&best);
			best = cp.cur;
		} else {
			auth_challenge_clear(&cp.cur);
		}
	}
	if (!any)
		return err_set(err, EINVAL, "WWW-Authenticate: empty header");
	if (best.scheme == AUTH_NONE)
		return err_set(err, ENOTSUP, "WWW-Authenticate: no supported authentication scheme "
					     "(Basic or Bearer)");
	if (best.scheme == AUTH_BEARER && (!best.realm || !*best.realm)) {
		auth_challenge_clear(&best);
		return err_set(err, EINVAL, "WWW-Authenticate: Bearer challenge without a realm");
	}
	*out = best;
	return 0;
}

/* ---- token answer ------------------------------------------------------- */

int auth_token_parse(const char *json, size_t len, char **token, struct ecs_err *err)
{
	*token = NULL;
	struct ecs_err jerr;
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(json, len, &jerr);
	if (!doc)
		return err_set(err, jerr.code, "token answer: %s", jerr.msg);
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_OBJECT)
		return err_set(err, EINVAL, "token answer: expected a JSON object, got %s",
			       json_type_name(json_type(root)));
	/* Docker's token servers send "token"; OAuth2 ones "access_token".
	 * An empty "token" falls back to "access_token", as Docker does. */
	const char *t = NULL;
	static const char *const names[] = { "token", "access_token" };
	for (size_t i = 0; i < ARRAY_SIZE(names) && !t; i++) {
		const json_node *n = json_get(root, names[i]);
		if (!n)
			continue;
		if (json_type(n) != JSON_STRING)
			return err_set(err, EINVAL, "token answer: \"%s\" is not a string", names[i]);
		if (*json_string(n))
			t = json_string(n);
	}
	if (!t)
		return err_set(err, EINVAL, "token answer: no \"token\" or \"access_token\"");
	if (!(*token = strdup(t)))
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}
