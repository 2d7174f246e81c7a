/* SPDX-License-Identifier: Apache-2.0 */
#include "escape.h"

#include <stdbool.h>
#include <stdint.h>

static const char hex[] = "0123456789abcdef";

static char *put_u(char *o, unsigned cp)
{
	*o++ = '\\';
	*o++ = 'u';
	*o++ = hex[(cp >> 12) & 0xf];
	*o++ = hex[(cp >> 8) & 0xf];
	*o++ = hex[(cp >> 4) & 0xf];
	*o++ = hex[cp & 0xf];
	return o;
}

/* Length of the well-formed UTF-8 sequence at s[0..avail), or 0 when the
 * bytes there are not one (RFC 3629 table: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the 2nd byte */

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t json_escape(char *out, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	char *o = out;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			switch (c) {
			case '"': *o++ = '\\'; *o++ = '"'; break;
			case '\\': *o++ = '\\'; *o++ = '\\'; break;
			case '\n': *o++ = '\\'; *o++ = 'n'; break;
			case '\r': *o++ = '\\'; *o++ = 'r'; break;
			case '\t': *o++ = '\\'; *o++ = 't'; break;
			/* Go escapes these for HTML safety; match its bytes. */
			case '<': case '>': case '&': o = put_u(o, c); break;
			default:
				if (c < 0x20)
					o = put_u(o, c);
				else
					*o++ = (char)c;
			}
			i++;
			continue;
		}
		size_t n = utf8_seq(s + i, len - i);
		if (n == 0) {
			o = put_u(o, 0xfffd);
			i++;
			continue;
		}
		/* U+2028/U+2029 (E2 80 A8/A9) break JavaScript parsers; Go
		 * escapes them. */
		if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] & 0xfe) == 0xa8) {
			o = put_u(o, s[i + 2] == 0xa8 ? 0x2028 : 0x2029);
		} else {
			for (size_t k = 0; k < n; k++)
				*o++ = (char)s[i + k];
		}
		i += n;
	}
	return (size_t)(o - out);
}

size_t utf8_cut(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	/* Look back at most three bytes for the start of a multi-byte
	 * sequence that needs more bytes than remain. */
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = s[len - back];
		if ((c & 0xc0) == 0x80)
			continue; /* continuation byte: keep looking */
		if (c < 0xc2 || c > 0xf4)
			return len; /* ASCII or not a sequence start */
		size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		return need > back ? len - back : len;
	}
	return len;
}
