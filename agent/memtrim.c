/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cleanup.h"
#include "fileio.h"
#include "memtrim.h"

#define SMAPS_MAX (16u << 20)
#define RANGES_MAX 1024

/* One mapping of smaps while its lines are read. */
struct entry {
	struct memtrim_range r;
	bool open, eligible, anon_seen;
};

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl : end;
}

/* "START-END PERMS OFFSET MAJ:MIN INODE [PATH]": private, readable, not
 * writable, backed by a file (inode not 0). */
static bool parse_header(const char *line, size_t n, struct entry *e)
{
	char buf[512], perms[5];
	uintmax_t start, end, inode;
	unsigned long long off;
	unsigned maj, min;
	int used = 0;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	if (sscanf(buf, "%jx-%jx %4s %llx %x:%x %ju%n", &start, &end, perms, &off, &maj, &min,
		   &inode, &used) != 7 || used == 0)
		return false;
	*e = (struct entry){ .open = true };
	e->r.start = (uintptr_t)start;
	e->r.end = (uintptr_t)end;
	e->eligible = start < end && end <= UINTPTR_MAX && strlen(perms) == 4 && perms[0] == 'r' &&
		      perms[1] == '-' && perms[3] == 'p' && inode != 0;
	return true;
}

/* "Key:   N kB" for the keys that matter; VmFlags vetoes locked and
 * special mappings. */
static void parse_field(const char *line, size_t n, struct entry *e)
{
	char buf[256];
	unsigned long kb;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	if (sscanf(buf, "Rss: %lu kB", &kb) == 1) {
		e->r.rss_kb = kb;
	} else if (sscanf(buf, "Anonymous: %lu kB", &kb) == 1) {
		e->anon_seen = true;
		if (kb != 0)
			e->eligible = false;
	} else if (strncmp(buf, "VmFlags:", 8) == 0) {
		static const char *const veto[] = { " lo", " io", " pf", " dd", " mg", " sl" };
		strcat(buf, " ");
		for (size_t i = 0; i < sizeof(veto) / sizeof(veto[0]); i++) {
			char tok[8];
			snprintf(tok, sizeof(tok), "%s ", veto[i]);
			if (strstr(buf, tok))
				e->eligible = false;
		}
	}
}

/* A mapping qualifies only when smaps said it has no anonymous page. */
static void close_entry(struct entry *e, struct memtrim_range *out, size_t cap, size_t *count)
{
	if (e->open && e->eligible && e->anon_seen) {
		if (*count < cap)
			out[*count] = e->r;
		(*count)++;
	}
	e->open = false;
}

size_t memtrim_parse(const char *smaps, size_t len, struct memtrim_range *out, size_t cap)
{
	const char *p = smaps, *end = smaps + len;
	struct entry e = { 0 };
	size_t count = 0;

	while (p < end) {
		const char *nl = line_end(p, end);
		size_t n = (size_t)(nl - p);
		if (n > 0 && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
			close_entry(&e, out, cap, &count);
			if (!parse_header(p, n, &e))
				e.open = false;
		} else if (e.open) {
			parse_field(p, n, &e);
		}
		p = nl < end ? nl + 1 : end;
	}
	close_entry(&e, out, cap, &count);
	return count;
}

long memtrim_self(void)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct ecs_err err = { 0 };
	int r = file_read_all("/proc/self/smaps", SMAPS_MAX, &text, &len, &err);
	if (r < 0)
		return r;
	_cleanup_free_ struct memtrim_range *ranges = calloc(RANGES_MAX, sizeof(*ranges));
	if (!ranges)
		return -ENOMEM;
	size_t n = memtrim_parse(text, len, ranges, RANGES_MAX);
	if (n > RANGES_MAX)
		n = RANGES_MAX;
	long kb = 0;
	for (size_t i = 0; i < n; i++) {
		void *addr = (void *)ranges[i].start;
		size_t size = ranges[i].end - ranges[i].start;
		/* No fault-around from now on: a fault maps the folio it
		 * hits, not its neighbours too. */
		if (madvise(addr, size, MADV_RANDOM) < 0)
			continue;
		if (madvise(addr, size, MADV_DONTNEED) == 0)
			kb += (long)ranges[i].rss_kb;
	}
	return kb;
}

void memtrim_heap(void)
{
	malloc_trim(0);
}
