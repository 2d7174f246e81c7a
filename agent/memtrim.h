/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Unmapping the file pages a process touched while it started and does not
 * use afterwards; the daemon (all its libraries) and the shim (its own
 * static executable) both do it once their start-up is over.
 *
 * The dynamic loader, constructors and one-time set-up (TLS back ends,
 * configuration, option parsing, error paths) fault in pages of the
 * program and its libraries, and the kernel's fault-around maps their
 * neighbours too; kernels that map a whole large page-cache folio per
 * fault (6.18 does on fault-around) map most of a library that was touched
 * at all. Dropping those mappings once, and turning fault-around off for
 * them, leaves the process mapping only the page-cache folios it goes on
 * to use. The pages stay in the page cache, shared with every other
 * process; unmapped ones are simply the first the kernel may reclaim.
 *
 * Nothing written is dropped: only private, read-only, file-backed
 * mappings without a single copied-on-write page (smaps "Anonymous: 0"
 * and "Swap: 0") qualify, so RELRO (relocated, then made read-only) and
 * everything writable are left alone; a dropped page is read again from
 * the file when touched. Linked statically into the shim: libc only.
 */
#include <stddef.h>
#include <stdint.h>

struct memtrim_range {
	uintptr_t start, end;
	unsigned long rss_kb;
};

/* The ranges of /proc/PID/smaps text `smaps` (`len` bytes, not necessarily
 * NUL-terminated) that qualify, at most `cap` of them into `out`. Returns
 * how many qualified (which may exceed `cap`). A line it does not
 * understand never ends the parse; a mapping whose "Anonymous:" line is
 * missing does not qualify. */
size_t memtrim_parse(const char *smaps, size_t len, struct memtrim_range *out, size_t cap);

/* Trim this process. Returns the kB of mappings it dropped (their Rss) or
 * a negative errno. Between its read of smaps and its madvise no other
 * thread may unmap a qualifying range (a library unloaded, its range
 * reused for anonymous memory, would be zeroed): call it once start-up
 * has loaded what it needs, in a program that does not unload libraries. */
long memtrim_self(void);

/* The same before a long idle wait that more start-up follows (a spare
 * shim waiting for its container): fault-around stays on, so that start-up
 * maps its pages back in a few large faults, not page by page. */
long memtrim_self_idle(void);

/* Give the heap's free pages back to the kernel (malloc_trim): after tasks
 * were forgotten, so that a burst of tasks does not leave the daemon
 * holding their memory. */
void memtrim_heap(void);
