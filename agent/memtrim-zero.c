/* SPDX-License-Identifier: Apache-2.0 */
#include "memtrim-zero.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "procfs.h"

#define BSS_MAX 256
/* Larger anonymous neighbours are no static table (a sanitizer's shadow). */
#define BSS_SIZE_MAX (64u << 20)

struct maps_line {
	uintmax_t start, end, inode;
	char perms[5];
	bool named;
};

static bool parse_line(const char *line, size_t n, struct maps_line *m)
{
	char buf[256];
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	unsigned long long off;
	unsigned maj, min;
	int used = 0;
	if (sscanf(buf, "%jx-%jx %4s %llx %x:%x %ju%n", &m->start, &m->end, m->perms, &off, &maj,
		   &min, &m->inode, &used) != 7)
		return false;
	const char *rest = buf + used;
	while (*rest == ' ')
		rest++;
	m->named = *rest != '\0';
	return m->start < m->end && m->end <= UINTPTR_MAX && strlen(m->perms) == 4;
}

size_t memtrim_parse_bss(const char *maps, size_t len, struct memtrim_range *out, size_t cap)
{
	size_t count = 0;
	struct maps_line prev = { 0 }, cur;
	bool have_prev = false;
	const char *p = maps, *end = maps + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		bool ok = parse_line(p, (size_t)(stop - p), &cur);
		p = nl ? nl + 1 : end;
		if (!ok) {
			have_prev = false;
			continue;
		}
		bool data = have_prev && prev.inode != 0 && strcmp(prev.perms, "rw-p") == 0;
		if (data && prev.end == cur.start && cur.inode == 0 && !cur.named &&
		    strcmp(cur.perms, "rw-p") == 0 && cur.end - cur.start <= BSS_SIZE_MAX) {
			if (count < cap)
				out[count] = (struct memtrim_range){ .start = (uintptr_t)cur.start,
								     .end = (uintptr_t)cur.end };
			count++;
		}
		prev = cur;
		have_prev = true;
	}
	return count;
}

/* Not instrumented: a sanitizer keeps redzones around globals in .bss,
 * and this reads them (they are zero too). */
__attribute__((no_sanitize_address, noinline))
static bool page_is_zero(const unsigned char *page, size_t size)
{
	const uint64_t *w = (const uint64_t *)(const void *)page;
	for (size_t i = 0; i < size / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* The resident zero pages of one range, dropped a run at a time. */
static long zero_range(uintptr_t start, uintptr_t end, size_t page)
{
	size_t pages = (end - start) / page;
	_cleanup_free_ unsigned char *vec = malloc(pages ? pages : 1);
	if (!vec || mincore((void *)start, end - start, vec) < 0)
		return 0;
	long kb = 0;
	size_t run = 0;
	for (size_t i = 0; i <= pages; i++) {
		bool zero = i < pages && (vec[i] & 1) &&
			    page_is_zero((const unsigned char *)(start + i * page), page);
		if (zero) {
			run++;
			continue;
		}
		if (run && madvise((void *)(start + (i - run) * page), run * page, MADV_DONTNEED) == 0)
			kb += (long)(run * page / 1024);
		run = 0;
	}
	return kb;
}

long memtrim_zero_bss(void)
{
	unsigned threads = 0;
	if (!procfs_field("/proc/self/status", "Threads: %u", &threads))
		return -EIO;
	if (threads != 1)
		return -EBUSY;
	_cleanup_free_ char *maps = NULL;
	size_t len = 0;
	if (file_read_all("/proc/self/maps", 4u << 20, &maps, &len, NULL) < 0)
		return -EIO;
	struct memtrim_range r[BSS_MAX];
	size_t n = memtrim_parse_bss(maps, len, r, BSS_MAX);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	long kb = 0;
	for (size_t i = 0; i < n && i < BSS_MAX; i++)
		kb += zero_range(r[i].start, r[i].end, page);
	return kb;
}
