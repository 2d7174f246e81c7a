/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "paginate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* Token text: hex of "<op>\n<key>". */

static const char hexdigits[] = "0123456789abcdef";

char *page_token_encode(const char *op, const char *key)
{
	size_t olen = strlen(op), klen = strlen(key);
	size_t n = olen + 1 + klen;
	char *out = malloc(2 * n + 1);
	if (!out)
		return NULL;
	char *p = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = i < olen ? (unsigned char)op[i]
				  : i == olen ? '\n'
				  : (unsigned char)key[i - olen - 1];
		*p++ = hexdigits[c >> 4];
		*p++ = hexdigits[c & 0xf];
	}
	*p = '\0';
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int page_token_decode(const char *op, const char *token, char **key, struct ecs_err *err)
{
	*key = NULL;
	size_t tlen = strlen(token);
	size_t olen = strlen(op);
	if (tlen % 2 != 0 || tlen / 2 < olen + 1 || tlen / 2 > olen + 1 + PAGE_KEY_MAX)
		return err_set(err, EINVAL, "invalid nextToken");

	size_t n = tlen / 2;
	_cleanup_free_ char *raw = malloc(n + 1);
	if (!raw)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(token[2 * i]), lo = hexval(token[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return err_set(err, EINVAL, "invalid nextToken");
		raw[i] = (char)(hi << 4 | lo);
		if (raw[i] == '\0')
			return err_set(err, EINVAL, "invalid nextToken");
	}
	raw[n] = '\0';
	if (memcmp(raw, op, olen) != 0 || raw[olen] != '\n')
		return err_set(err, EINVAL, "nextToken belongs to another operation");

	*key = strdup(raw + olen + 1);
	if (!*key)
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}
