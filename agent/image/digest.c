/* SPDX-License-Identifier: Apache-2.0 */
/* sha256 for blob verification, the agent's one wrapper of libcrypto. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "image/image-internal.h"

struct digest {
	EVP_MD_CTX *ctx;
	bool failed; /* sticky: an update failed, the result is worthless */
};

struct digest *digest_new(void)
{
	struct digest *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
		digest_free(d);
		return NULL;
	}
	return d;
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

void digest_update(struct digest *d, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(d->ctx, data, len) != 1)
		d->failed = true;
}

static void to_hex(const unsigned char *md, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int digest_final_hex(struct digest *d, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (d->failed || EVP_DigestFinal_ex(d->ctx, md, &n) != 1 || n * 2 != DIGEST_HEX_LEN)
		return -EIO;
	to_hex(md, n, hex);
	return 0;
}

int digest_buf_hex(const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
	static const unsigned char empty[1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_Digest(len ? data : empty, len, md, &n, EVP_sha256(), NULL) != 1 ||
	    n * 2 != DIGEST_HEX_LEN)
		return -EIO;
	to_hex(md, n, hex);
	return 0;
}

int digest_parse(const char *s, char hex[DIGEST_HEX_LEN + 1], struct ecs_err *err)
{
	if (!s)
		return err_set(err, EINVAL, "missing digest");
	const char *colon = strchr(s, ':');
	if (!colon || colon == s)
		return err_set(err, EINVAL, "malformed digest \"%.80s\"", s);
	if ((size_t)(colon - s) != 6 || strncmp(s, "sha256", 6) != 0) {
		/* The spec's algorithm grammar: [a-z0-9]+([+._-][a-z0-9]+)* */
		for (const char *p = s; p < colon; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789+._-", *p))
				return err_set(err, EINVAL, "malformed digest \"%.80s\"", s);
		return err_set(err, ENOTSUP, "unsupported digest algorithm in \"%.80s\"", s);
	}
	const char *h = colon + 1;
	if (strlen(h) != DIGEST_HEX_LEN || strspn(h, "0123456789abcdef") != DIGEST_HEX_LEN)
		return err_set(err, EINVAL, "malformed digest \"%.80s\"", s);
	memcpy(hex, h, DIGEST_HEX_LEN + 1);
	return 0;
}
