/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Agent secrets: the per-instance tokens Register hands out, and the
 * comparison of join tokens. Instance tokens are 256 random bits; only
 * their SHA-256 is stored, so the database never holds a usable token.
 */
#include <stdbool.h>

#define AGENT_TOKEN_LEN 64      /* hex characters of a new instance token */
#define AGENT_TOKEN_HASH_LEN 64 /* hex characters of its SHA-256 */

/* A new random instance token. */
void agent_token_new(char out[AGENT_TOKEN_LEN + 1]);

/* Hex SHA-256 of `token`. Returns 0, or -EIO if the digest failed. */
int agent_token_hash(const char *token, char out[AGENT_TOKEN_HASH_LEN + 1]);

/* Whether two secrets are equal, in time that depends on neither's
 * content (both are hashed first, so their lengths do not leak either). */
bool agent_token_equal(const char *a, const char *b);
