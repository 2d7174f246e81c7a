/* SPDX-License-Identifier: Apache-2.0 */
#include "memtrim.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RANGES_MAX 512

/* The parse: smaps lines in, qualifying ranges out. */
struct scan {
	struct memtrim_range *out;
	size_t cap, count;
	/* the mapping whose lines are being read */
	struct memtrim_range cur;
	bool open, eligible, anon_seen;
};

/* A mapping qualifies only when smaps said it has no anonymous page, in
 * memory or swapped out. */
static void close_mapping(struct scan *s)
{
	if (s->open && s->eligible && s->anon_seen) {
		if (s->count < s->cap)
			s->out[s->count] = s->cur;
		s->count++;
	}
	s->open = false;
}

/* "START-END PERMS OFFSET MAJ:MIN INODE [PATH]": private, readable, not
 * writable, backed by a file (inode not 0). */
static void header(struct scan *s, const char *buf)
{
	uintmax_t start, end, inode;
	unsigned long long off;
	unsigned maj, min;
	char perms[5];
	if (sscanf(buf, "%jx-%jx %4s %llx %x:%x %ju", &start, &end, perms, &off, &maj, &min,
		   &inode) != 7)
		return;
	s->open = true;
	s->anon_seen = false;
	s->cur = (struct memtrim_range){ .start = (uintptr_t)start, .end = (uintptr_t)end };
	s->eligible = start < end && end <= UINTPTR_MAX && strlen(perms) == 4 &&
		      perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && inode != 0;
}

/* "Key:   N kB" for the keys that matter; VmFlags vetoes locked and
 * special mappings. */
static void field(struct scan *s, char *buf)
{
	unsigned long kb;
	if (sscanf(buf, "Rss: %lu kB", &kb) == 1) {
		s->cur.rss_kb = kb;
	} else if (sscanf(buf, "Anonymous: %lu kB", &kb) == 1) {
		s->anon_seen = true;
		if (kb != 0)
			s->eligible = false;
	} else if (sscanf(buf, "Swap: %lu kB", &kb) == 1) {
		/* copied-on-write pages that were swapped out */
		if (kb != 0)
			s->eligible = false;
	} else if (strncmp(buf, "VmFlags:", 8) == 0) {
		static const char *const veto[] = { "lo", "io", "pf", "dd", "mg", "sl" };
		char *save = NULL;
		for (char *tok = strtok_r(buf + 8, " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save))
			for (size_t i = 0; i < sizeof(veto) / sizeof(veto[0]); i++)
				if (strcmp(tok, veto[i]) == 0)
					s->eligible = false;
	}
}

static void scan_line(struct scan *s, const char *line, size_t n)
{
	char buf[512];
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1; /* a long path: the fields that matter come first */
	memcpy(buf, line, n);
	buf[n] = '\0';
	bool hex = n > 0 && ((buf[0] >= '0' && buf[0] <= '9') || (buf[0] >= 'a' && buf[0] <= 'f'));
	if (hex) {
		close_mapping(s);
		header(s, buf);
	} else if (s->open) {
		field(s, buf);
	}
}

size_t memtrim_parse(const char *smaps, size_t len, struct memtrim_range *out, size_t cap)
{
	struct scan s = { .out = out, .cap = cap };
	const char *p = smaps, *end = smaps + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		scan_line(&s, p, (size_t)(stop - p));
		p = nl ? nl + 1 : end;
	}
	close_mapping(&s);
	return s.count;
}

/* /proc/self/smaps through a fixed buffer, line by line. A line longer than
 * the buffer (a path near PATH_MAX) is dropped, and with it the mapping it
 * was read under: its lines may have been a new mapping's header. */
static int scan_self(struct scan *s)
{
	int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char buf[4096];
	size_t used = 0;
	bool skipping = false;
	for (;;) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		char *l = buf, *end = buf + used, *nl;
		while ((nl = memchr(l, '\n', (size_t)(end - l)))) {
			if (!skipping)
				scan_line(s, l, (size_t)(nl - l));
			skipping = false;
			l = nl + 1;
		}
		used = (size_t)(end - l);
		memmove(buf, l, used);
		if (used == sizeof(buf)) {
			used = 0;
			skipping = true;
			s->open = false;
		}
	}
	close(fd);
	if (used > 0 && !skipping)
		scan_line(s, buf, used);
	close_mapping(s);
	return 0;
}

static long trim(bool fault_around_off)
{
	struct memtrim_range ranges[RANGES_MAX];
	struct scan s = { .out = ranges, .cap = RANGES_MAX };
	int r = scan_self(&s);
	if (r < 0)
		return r;
	size_t n = s.count < RANGES_MAX ? s.count : RANGES_MAX;
	long kb = 0;
	for (size_t i = 0; i < n; i++) {
		void *addr = (void *)ranges[i].start;
		size_t size = ranges[i].end - ranges[i].start;
		/* No fault-around from now on: a fault maps the folio it
		 * hits, not its neighbours too. */
		if (fault_around_off && madvise(addr, size, MADV_RANDOM) < 0)
			continue;
		if (madvise(addr, size, MADV_DONTNEED) == 0)
			kb += (long)ranges[i].rss_kb;
	}
	return kb;
}

long memtrim_self(void)
{
	return trim(true);
}

long memtrim_self_idle(void)
{
	return trim(false);
}

void memtrim_heap(void)
{
	malloc_trim(0);
}
