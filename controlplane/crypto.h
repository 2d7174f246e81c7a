/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The control plane's only door to libcrypto: SHA-256, HMAC-SHA256,
 * constant-time comparison and wiping of secrets. No other file includes
 * OpenSSL headers, so a change of crypto library touches this module only.
 * (Random identifiers and tokens come from getrandom(), see ids.h.)
 */
#include <stdbool.h>
#include <stddef.h>

#define CRYPTO_SHA256_LEN 32                          /* bytes of a digest */
#define CRYPTO_SHA256_HEX_LEN (2 * CRYPTO_SHA256_LEN) /* its hex digits */

/* SHA-256 of `len` bytes at `data` (NULL allowed when len is 0).
 * Returns 0, or -EIO if libcrypto failed. */
int crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);

/* The same digest as 64 lower-case hex digits and a NUL. Returns 0 or -EIO. */
int crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN + 1]);

/* HMAC-SHA256 of `msg` under `key`. `out` may alias `key` (SigV4 derives
 * its signing key by chaining HMACs in place). Returns 0, -EINVAL for a key
 * longer than INT_MAX, or -EIO if libcrypto failed. */
int crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
		       unsigned char out[CRYPTO_SHA256_LEN]);

/* Whether the `n` bytes at `a` and `b` are equal, in time that depends only
 * on `n`: for comparing secrets and signatures. */
bool crypto_equal(const void *a, const void *b, size_t n);

/* Overwrites `n` bytes at `p` with zeros in a way the compiler cannot drop,
 * so secrets do not outlive their use in freed or stack memory. */
void crypto_wipe(void *p, size_t n);
