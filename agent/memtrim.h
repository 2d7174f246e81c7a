/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Unmapping the library pages the daemon touched while it started and does
 * not use afterwards. The dynamic loader, constructors and one-time set-up
 * (TLS back ends, configuration, registration) fault in pages of the
 * libraries; on kernels that map a whole large page-cache folio per fault
 * (6.18 maps file folios whole on fault-around) touching a library at all
 * maps most of it. Dropping those mappings once, and turning off
 * fault-around for them, leaves the process mapping only the page-cache
 * folios it goes on to use. The pages stay in the page cache; unmapped ones are simply the
 * first the kernel may reclaim. Nothing written is dropped: only private,
 * read-only, file-backed mappings without a single copied-on-write page
 * qualify, and those re-read from the file when touched again.
 */
#include <stddef.h>
#include <stdint.h>

struct memtrim_range {
	uintptr_t start, end;
	unsigned long rss_kb;
};

/* The ranges of /proc/PID/smaps text `smaps` (`len` bytes) that qualify,
 * at most `cap` of them into `out`. Returns how many qualified (which may
 * exceed `cap`). Lines it does not understand end the current mapping's
 * eligibility, never the parse. */
size_t memtrim_parse(const char *smaps, size_t len, struct memtrim_range *out, size_t cap);

/* Trim this process. Returns the number of kB it unmapped (the qualifying
 * mappings' Rss) or a negative errno. Between the read of smaps and the
 * madvise no other thread may replace a mapping (a range unmapped and
 * mapped again as anonymous memory would be zeroed): call it once, from
 * the main thread, after start-up has loaded every library. */
long memtrim_self(void);

/* Give the heap's free pages back to the kernel (malloc_trim): after tasks
 * were forgotten, so that a burst of tasks does not leave the daemon
 * holding their memory. */
void memtrim_heap(void);
