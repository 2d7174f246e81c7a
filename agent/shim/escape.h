/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * JSON string escaping for json-file log lines.
 *
 * The project's JSON goes through lib/json (yajl). The shim cannot use it:
 * it is linked statically against libc alone to stay well under 0.5 MiB RSS
 * per container, and yajl is not linked statically here. A log line needs
 * only string escaping, so this is that and nothing more.
 *
 * The output is what Go's encoding/json (and so Docker's json-file driver)
 * produces for the same bytes: `"` and `\` backslashed; \n \r \t short
 * forms; other control characters, `<`, `>`, `&`, U+2028 and U+2029 as
 * \u00XX / \u2028; every byte that is not part of well-formed UTF-8 (stray
 * continuation bytes, overlong forms, surrogates, code points past
 * U+10FFFF, truncated sequences) as \ufffd, one per byte. Valid multi-byte
 * UTF-8 is copied through. The result is always valid JSON string content.
 */
#include <stddef.h>

/* Worst case: every input byte becomes a six-byte \u escape. */
#define JSON_ESCAPE_MAX(n) ((n) * 6)

/* Escape `len` bytes of `in` into `out` (no quotes, no NUL added). `out`
 * must hold JSON_ESCAPE_MAX(len) bytes. Returns the bytes written. */
size_t json_escape(char *out, const char *in, size_t len);

/* Length of the longest prefix of in[0..len) that does not end inside a
 * UTF-8 sequence that is complete in the data but cut at `len` (so a line
 * split there keeps characters whole). Returns len when no sequence is cut
 * or when the tail is not a valid sequence start anyway. */
size_t utf8_cut(const char *in, size_t len);
