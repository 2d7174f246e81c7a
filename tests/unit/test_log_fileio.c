/* SPDX-License-Identifier: Apache-2.0 */
/* Logging levels and output, and whole-file reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"

static void test_level_parse(void **state)
{
	enum log_level l;
	assert_int_equal(log_level_parse("DEBUG", &l), 0);
	assert_int_equal(l, LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("crit", &l), 0);
	assert_int_equal(l, LOG_LVL_ERROR);
	assert_int_equal(log_level_parse("warning", &l), 0);
	assert_int_equal(l, LOG_LVL_WARN);
	assert_int_equal(log_level_parse("verbose", &l), -EINVAL);
	assert_string_equal(log_level_name(LOG_LVL_INFO), "info");
}

/* Run log calls with stderr redirected into a temporary file; return what
 * was written. */
static char *capture_logs(void (*fn)(void))
{
	char path[] = "/tmp/ecs-log-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	off_t size = lseek(fd, 0, SEEK_END);
	char *buf = calloc(1, (size_t)size + 1);
	assert_int_equal(pread(fd, buf, (size_t)size, 0), size);
	close(fd);
	return buf;
}

static void log_some(void)
{
	log_set_level(LOG_LVL_WARN);
	log_info("Hidden %d", 1);
	log_warn("Task %s is slow", "t1");
	log_error("Task %s failed", "t2");
	log_set_level(LOG_LVL_INFO);
}

static void test_level_filters_output(void **state)
{
	unsetenv("JOURNAL_STREAM");
	log_init("unit");
	_cleanup_free_ char *out = capture_logs(log_some);
	assert_null(strstr(out, "Hidden"));
	assert_non_null(strstr(out, "unit["));
	assert_non_null(strstr(out, "warn: Task t1 is slow\n"));
	assert_non_null(strstr(out, "error: Task t2 failed\n"));
}

static void test_read_all_and_cap(void **state)
{
	char path[] = "/tmp/ecs-fileio-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char data[10000];
	memset(data, 'x', sizeof(data));
	assert_int_equal(write(fd, data, sizeof(data)), sizeof(data));
	close(fd);

	struct ecs_err err = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(path, sizeof(data), &buf, &len, &err), 0);
	assert_int_equal(len, sizeof(data));
	assert_int_equal(buf[len], '\0');

	/* SIZE_MAX means "no limit", not a limit that wraps to 0. */
	_cleanup_free_ char *unlimited = NULL;
	assert_int_equal(file_read_all(path, SIZE_MAX, &unlimited, &len, &err), 0);
	assert_int_equal(len, sizeof(data));

	_cleanup_free_ char *none = NULL;
	assert_int_equal(file_read_all(path, sizeof(data) - 1, &none, &len, &err), -EFBIG);
	assert_null(none);
	assert_non_null(strstr(err.msg, "larger than"));

	unlink(path);
	assert_int_equal(file_read_all(path, 100, &none, &len, &err), -ENOENT);
	assert_non_null(strstr(err.msg, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_level_filters_output),
		cmocka_unit_test(test_read_all_and_cap),
	};
	return cmocka_run_group_tests_name("log_fileio", tests, NULL, NULL);
}
