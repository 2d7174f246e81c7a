/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the smaps parser of memtrim and the maps parser of its .bss
 * trim. Whatever the text, neither may read past it, and every range they
 * keep must be a non-empty span.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "memtrim.h"
#include "memtrim-zero.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Not NUL-terminated on purpose: the parser is given a length. */
	_cleanup_free_ char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	struct memtrim_range r[4];
	size_t n = memtrim_parse(text, size, r, 4);
	for (size_t i = 0; i < n && i < 4; i++)
		if (r[i].start >= r[i].end)
			abort();
	n = memtrim_parse_bss(text, size, r, 4);
	for (size_t i = 0; i < n && i < 4; i++)
		if (r[i].start >= r[i].end)
			abort();
	return 0;
}
