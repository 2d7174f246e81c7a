/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "agent-token.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ids.h"

void agent_token_new(char out[AGENT_TOKEN_LEN + 1])
{
	id_random_hex(out, AGENT_TOKEN_LEN / 2);
}

static int digest(const char *s, unsigned char md[EVP_MAX_MD_SIZE], unsigned *len)
{
	return EVP_Digest(s, strlen(s), md, len, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int agent_token_hash(const char *token, char out[AGENT_TOKEN_HASH_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len;
	if (digest(token, md, &len) < 0 || len * 2 != AGENT_TOKEN_HASH_LEN)
		return -EIO;
	for (unsigned i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

bool agent_token_equal(const char *a, const char *b)
{
	unsigned char ma[EVP_MAX_MD_SIZE], mb[EVP_MAX_MD_SIZE];
	unsigned la, lb;
	if (digest(a, ma, &la) < 0 || digest(b, mb, &lb) < 0 || la != lb)
		return false;
	return CRYPTO_memcmp(ma, mb, la) == 0;
}
