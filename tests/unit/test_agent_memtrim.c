/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "fileio.h"
#include "memtrim.h"
#include "memtrim-zero.h"

#define SIZE (64 * 1024)

/* Seven mappings: only the first and the last qualify. */
static const char sample[] =
	"7f0000000000-7f0000010000 r-xp 00000000 fe:00 1234 /usr/lib/libx.so\n"
	"Size:                 64 kB\n"
	"Rss:                  60 kB\n"
	"Anonymous:             0 kB\n"
	"VmFlags: rd ex mr mw me sd\n"
	"7f0000010000-7f0000011000 r--p 00010000 fe:00 1234 /usr/lib/libx.so\n"
	"Rss:                   4 kB\n"
	"Anonymous:             4 kB\n"
	"VmFlags: rd mr mw me ac sd\n"
	"7f0000011000-7f0000012000 rw-p 00011000 fe:00 1234 /usr/lib/libx.so\n"
	"Rss:                   4 kB\n"
	"Anonymous:             0 kB\n"
	"7f0000012000-7f0000013000 r--p 00000000 00:00 0 \n"
	"Rss:                   4 kB\n"
	"Anonymous:             0 kB\n"
	"7f0000013000-7f0000014000 r-xp 00000000 fe:00 99 /usr/lib/locked.so\n"
	"Rss:                   4 kB\n"
	"Anonymous:             0 kB\n"
	"VmFlags: rd ex mr mw me lo\n"
	"garbage that is no header\n"
	"7f0000015000-7f0000016000 r--p 00000000 fe:00 98 /usr/lib/swapped.so\n"
	"Rss:                   0 kB\n"
	"Anonymous:             0 kB\n"
	"Swap:                  4 kB\n"
	"7f0000020000-7f0000028000 r--p 00000000 fe:00 77 /usr/lib/locale/C.utf8/LC_CTYPE\n"
	"Rss:                  32 kB\n"
	"Anonymous:             0 kB\n"
	"VmFlags: rd mr mw me sd";

static void test_parse(void **unused)
{
	(void)unused;
	struct memtrim_range r[4];
	assert_int_equal(memtrim_parse(sample, strlen(sample), r, 4), 2);
	assert_true(r[0].start == 0x7f0000000000 && r[0].end == 0x7f0000010000);
	assert_int_equal(r[0].rss_kb, 60);
	assert_true(r[1].start == 0x7f0000020000 && r[1].end == 0x7f0000028000);
	assert_int_equal(r[1].rss_kb, 32);

	/* The count goes on past the room given. */
	assert_int_equal(memtrim_parse(sample, strlen(sample), r, 1), 2);
	/* A mapping whose smaps lack the Anonymous line is not trusted. */
	static const char no_anon[] = "7f0000000000-7f0000010000 r-xp 00000000 fe:00 1 /l\n"
				      "Rss: 4 kB\n";
	assert_int_equal(memtrim_parse(no_anon, strlen(no_anon), r, 4), 0);
	assert_int_equal(memtrim_parse("", 0, r, 4), 0);
}

/* This process's smaps entry for the mapping at `addr`: its Rss in kB when
 * it qualifies for trimming, -1 when it does not. */
static long trimmable_rss(void *addr)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct ecs_err err = { 0 };
	assert_int_equal(file_read_all("/proc/self/smaps", 16u << 20, &text, &len, &err), 0);
	static struct memtrim_range r[1024];
	size_t n = memtrim_parse(text, len, r, 1024);
	for (size_t i = 0; i < n && i < 1024; i++)
		if (r[i].start == (uintptr_t)addr)
			return (long)r[i].rss_kb;
	return -1;
}

/* Whether the mapping at addr has VmFlag `flag` ("rr": MADV_RANDOM). */
static bool vmflag(void *addr, const char *flag)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all("/proc/self/smaps", 16u << 20, &text, &len, NULL), 0);
	char head[32];
	snprintf(head, sizeof(head), "%lx-", (unsigned long)(uintptr_t)addr);
	const char *m = strstr(text, head);
	assert_non_null(m);
	const char *f = strstr(m, "VmFlags:");
	assert_non_null(f);
	const char *end = strchr(f, '\n');
	char want[8];
	snprintf(want, sizeof(want), " %s", flag);
	const char *hit = strstr(f, want);
	return hit && (!end || hit < end);
}

static void test_trim_self(void **unused)
{
	(void)unused;
	char path[] = "/tmp/memtrim-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	static unsigned char data[SIZE];
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (unsigned char)(i * 7);
	assert_int_equal(write(fd, data, SIZE), SIZE);

	/* Read-only and clean: trimmed, and still reads the file. */
	unsigned char *clean = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	/* Written, then made read-only like a RELRO segment: kept whole. */
	unsigned char *cow = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	/* Writable: kept. */
	unsigned char *rw = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(clean != MAP_FAILED && cow != MAP_FAILED && rw != MAP_FAILED);
	close(fd);
	volatile unsigned sum = 0;
	for (size_t i = 0; i < SIZE; i += 4096)
		sum += clean[i] + rw[i];
	for (size_t i = 0; i < SIZE; i++)
		cow[i] = 0xA5;
	assert_int_equal(mprotect(cow, SIZE, PROT_READ), 0);
	rw[1] = 0x5A;

	assert_int_equal(trimmable_rss(clean), SIZE / 1024);
	assert_int_equal(trimmable_rss(cow), -1);
	assert_int_equal(trimmable_rss(rw), -1);

	/* Before an idle wait: dropped, fault-around left on. */
	assert_true(memtrim_self_idle() >= SIZE / 1024);
	assert_int_equal(trimmable_rss(clean), 0);
	assert_false(vmflag(clean, "rr"));
	sum += clean[0];

	long kb = memtrim_self();
	assert_true(kb >= 4);
	assert_int_equal(trimmable_rss(clean), 0);
	assert_true(vmflag(clean, "rr"));
	/* A touch maps the page back (with the rest of its page-cache
	 * folio on kernels that map folios whole). */
	sum += clean[SIZE / 2];
	long back = trimmable_rss(clean);
	assert_true(back >= 4 && back <= SIZE / 1024);
	assert_memory_equal(clean, data, SIZE);
	for (size_t i = 0; i < SIZE; i++)
		assert_int_equal(cow[i], 0xA5);
	assert_int_equal(rw[1], 0x5A);
	assert_int_equal(rw[0], data[0]);
	munmap(clean, SIZE);
	munmap(cow, SIZE);
	munmap(rw, SIZE);
}

static void test_parse_bss(void **unused)
{
	(void)unused;
	/* The anonymous mapping right after a library's data segment is its
	 * .bss; the one after that, a gap, the stack, a read-only neighbour
	 * and an anonymous mapping after an anonymous one are not. */
	static const char maps[] =
		"55d000000000-55d000010000 r-xp 00000000 fe:00 77 /usr/bin/ecs-agent\n"
		"55d000010000-55d000011000 r--p 00010000 fe:00 77 /usr/bin/ecs-agent\n"
		"55d000011000-55d000012000 rw-p 00011000 00:00 0 \n"
		"7f0000000000-7f0000002000 rw-p 00010000 fe:00 12 /usr/lib/libcgroup.so.2\n"
		"7f0000002000-7f0000100000 rw-p 00000000 00:00 0 \n"
		"7f0000100000-7f0000101000 rw-p 00000000 00:00 0 \n"
		"7f0000200000-7f0000201000 rw-p 00001000 fe:00 13 /usr/lib/liby.so\n"
		"7f0000202000-7f0000203000 rw-p 00000000 00:00 0 \n"
		"7f0000300000-7f0000301000 rw-p 00001000 fe:00 14 /usr/lib/libz.so\n"
		"7f0000301000-7f0000302000 rw-p 00000000 00:00 0 [stack]\n"
		"7f0000400000-7f0000401000 r--p 00001000 fe:00 15 /usr/lib/libw.so\n"
		"7f0000401000-7f0000402000 rw-p 00000000 00:00 0 \n"
		"garbage\n"
		"7f0000500000-7f0000501000 rw-p 00001000 fe:00 16 /usr/lib/libv.so\n"
		"7f0000501000-7f0000502000 rw-p 00000000 00:00 0";
	struct memtrim_range r[4];
	assert_int_equal(memtrim_parse_bss(maps, sizeof(maps) - 1, r, 4), 2);
	assert_int_equal(r[0].start, 0x7f0000002000);
	assert_int_equal(r[0].end, 0x7f0000100000);
	assert_int_equal(r[1].start, 0x7f0000501000);
	assert_int_equal(memtrim_parse_bss("", 0, r, 4), 0);
}

/* In this program's .bss: zero pages, one that is not. */
static unsigned char bss_table[64 * 4096];

static bool resident(const void *addr)
{
	unsigned char v = 0;
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)4095;
	assert_int_equal(mincore((void *)page, 4096, &v), 0);
	return v & 1;
}

static void test_zero_bss(void **unused)
{
	(void)unused;
	memset(bss_table, 0, sizeof(bss_table));
	bss_table[5 * 4096 + 7] = 0x42;
	assert_true(resident(&bss_table[10 * 4096]));
	long kb = memtrim_zero_bss();
	if (kb == -EBUSY) /* a sanitizer runtime with a thread of its own */
		skip();
	assert_true(kb >= 50 * 4);
	assert_false(resident(&bss_table[10 * 4096]));
	assert_true(resident(&bss_table[5 * 4096]));
	/* Nothing read differently, and writes work as before. */
	for (size_t i = 0; i < sizeof(bss_table); i++)
		assert_int_equal(bss_table[i], i == 5 * 4096 + 7 ? 0x42 : 0);
	bss_table[20 * 4096] = 1;
	assert_int_equal(bss_table[20 * 4096], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_trim_self),
		cmocka_unit_test(test_parse_bss),
		cmocka_unit_test(test_zero_bss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
