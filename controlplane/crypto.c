/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "crypto.h"

#include <errno.h>
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

int crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned int olen = 0;
	static const unsigned char empty[1];
	if (EVP_Digest(data ? data : empty, len, out, &olen, EVP_sha256(), NULL) != 1 ||
	    olen != CRYPTO_SHA256_LEN)
		return -EIO;
	return 0;
}

int crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[CRYPTO_SHA256_LEN];
	int r = crypto_sha256(data, len, md);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[CRYPTO_SHA256_HEX_LEN] = '\0';
	return 0;
}

int crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
		       unsigned char out[CRYPTO_SHA256_LEN])
{
	static const unsigned char empty[1];
	unsigned int olen = CRYPTO_SHA256_LEN;
	if (klen > INT_MAX)
		return -EINVAL;
	if (!HMAC(EVP_sha256(), key ? key : empty, (int)klen, msg ? msg : empty, mlen, out,
		  &olen) ||
	    olen != CRYPTO_SHA256_LEN)
		return -EIO;
	return 0;
}

bool crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void crypto_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}
