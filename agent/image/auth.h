/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Registry credentials configured the ECS way (docs/images.md,
 * "Authentication"): ECS_ENGINE_AUTH_TYPE `docker` or `dockercfg` with
 * ECS_ENGINE_AUTH_DATA, and the parsing of a registry's
 * WWW-Authenticate challenge. Pure parsing (json wrapper only): the daemon
 * validates the configuration with it, the helper uses the result.
 */
#include <stddef.h>

#include "error.h"

struct registry_cred {
	char *registry; /* normalised: "docker.io", "host:port" */
	char *username;
	char *password;
};

struct registry_creds {
	struct registry_cred *items;
	size_t n;
};

/* Parse ECS_ENGINE_AUTH_DATA of `type` ("docker" or "dockercfg"). NULL or
 * empty type with NULL/empty data: 0 and no credentials. An unknown type,
 * malformed JSON, an entry without usable credentials or a dockercfg
 * `auth` that is not base64 of "user:password": -EINVAL naming the entry
 * (never the secret). */
int registry_creds_parse(const char *type, const char *data, struct registry_creds *out,
			 struct ecs_err *err);
void registry_creds_clear(struct registry_creds *c);
/* Normalise a configured key the way Docker does ("https://index.docker.io/v1/"
 * -> "docker.io", "https://host:5000/v2/" -> "host:5000"); malloc'd. */
char *registry_key_normalise(const char *key);
/* The credentials for registry `registry` (as in struct image_name), or
 * NULL. */
const struct registry_cred *registry_creds_find(const struct registry_creds *c,
						const char *registry);

/* A WWW-Authenticate challenge (RFC 7235 auth-param list). */
enum auth_scheme { AUTH_NONE = 0, AUTH_BASIC, AUTH_BEARER };
struct auth_challenge {
	enum auth_scheme scheme;
	char *realm, *service, *scope; /* NULL when absent */
};
/* Parse one header value. Quoted strings with backslash escapes, params in
 * any order and case, unknown params ignored. Of several challenges in one
 * value Bearer is chosen, then Basic. Unknown scheme: -ENOTSUP; malformed,
 * or Bearer without a (non-empty) realm: -EINVAL. */
int auth_challenge_parse(const char *value, struct auth_challenge *out, struct ecs_err *err);
void auth_challenge_clear(struct auth_challenge *c);
/* The token from a token endpoint's JSON answer ("token", else
 * "access_token"); malloc'd in *token. */
int auth_token_parse(const char *json, size_t len, char **token, struct ecs_err *err);
