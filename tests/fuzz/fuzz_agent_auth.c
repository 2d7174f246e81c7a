/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: registry authentication parsing. The same input is read as a
 * WWW-Authenticate value, a token endpoint answer, ECS_ENGINE_AUTH_DATA of
 * both types and a credentials key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(int r, const struct ecs_err *err)
{
	if (r != -EINVAL && r != -ENOTSUP && r != -ENOMEM)
		abort();
	if (!err->msg[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct ecs_err err;

	struct auth_challenge ch;
	int r = auth_challenge_parse(s, &ch, &err);
	if (r < 0)
		check_error(r, &err);
	else if ((ch.scheme != AUTH_BASIC && ch.scheme != AUTH_BEARER) ||
		 (ch.scheme == AUTH_BEARER && (!ch.realm || !*ch.realm)))
		abort();
	auth_challenge_clear(&ch);

	char *token = NULL;
	r = auth_token_parse((const char *)data, size, &token, &err);
	if (r < 0)
		check_error(r, &err);
	else if (!token || !*token)
		abort();
	free(token);

	static const char *const types[] = { "docker", "dockercfg" };
	for (size_t t = 0; t < 2; t++) {
		struct registry_creds creds;
		r = registry_creds_parse(types[t], s, &creds, &err);
		if (r < 0) {
			check_error(r, &err);
			continue;
		}
		for (size_t i = 0; i < creds.n; i++) {
			const struct registry_cred *c = &creds.items[i];
			if (!c->registry || !*c->registry || !c->username || !*c->username ||
			    !c->password || !registry_creds_find(&creds, c->registry))
				abort();
		}
		registry_creds_clear(&creds);
	}

	/* Normalising is idempotent and yields a bare lowercase host. */
	char *k1 = registry_key_normalise(s);
	if (k1) {
		char *k2 = registry_key_normalise(k1);
		if (!k2 || strcmp(k1, k2) != 0 || strchr(k1, '/'))
			abort();
		for (const char *p = k1; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				abort();
		free(k2);
		free(k1);
	}
	free(s);
	return 0;
}
