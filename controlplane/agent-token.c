/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "agent-token.h"

#include <string.h>

#include "crypto.h"
#include "ids.h"

_Static_assert(AGENT_TOKEN_HASH_LEN == CRYPTO_SHA256_HEX_LEN, "token hash is a hex SHA-256");

void agent_token_new(char out[AGENT_TOKEN_LEN + 1])
{
	id_random_hex(out, AGENT_TOKEN_LEN / 2);
}

int agent_token_hash(const char *token, char out[AGENT_TOKEN_HASH_LEN + 1])
{
	return crypto_sha256_hex(token, strlen(token), out);
}

bool agent_token_equal(const char *a, const char *b)
{
	unsigned char ma[CRYPTO_SHA256_LEN], mb[CRYPTO_SHA256_LEN];
	if (crypto_sha256(a, strlen(a), ma) < 0 || crypto_sha256(b, strlen(b), mb) < 0)
		return false;
	return crypto_equal(ma, mb, sizeof(ma));
}
