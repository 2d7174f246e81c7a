/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Giving back the all-zero pages of the daemon's .bss segments.
 *
 * A library that clears a large static table at initialisation (libcgroup's
 * mount table: 804 KiB written, 724 KiB of it still zero) keeps every page
 * of it resident. A private anonymous page that holds only zeros reads the
 * same after MADV_DONTNEED (a fresh zero-filled page), so dropping it loses
 * nothing; a later read maps the shared zero page, a write a new page.
 *
 * Only .bss qualifies: an anonymous, private, writable mapping that starts
 * where a file-backed private writable mapping (the object's data segment)
 * ends. Not the heap, stacks or other anonymous memory. A page checked as
 * zero must not be written before it is dropped, so the trim runs only
 * while the process has one thread (another thread might write such a page
 * in between): a caller that has others gets -EBUSY.
 */
#include <stddef.h>

#include "memtrim.h"

/* The .bss ranges in /proc/PID/maps text (`len` bytes, not necessarily
 * NUL-terminated), at most `cap` into `out`; returns how many there are. */
size_t memtrim_parse_bss(const char *maps, size_t len, struct memtrim_range *out, size_t cap);

/* Drop the resident all-zero pages of this process's .bss. Returns the kB
 * dropped, or a negative errno (-EBUSY with more than one thread). */
long memtrim_zero_bss(void);
