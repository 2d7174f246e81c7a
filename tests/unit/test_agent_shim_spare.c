/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spare shim's job (agent/shim/job.h): the codec, strict about
 * anything but one whole job, and the agent's side (runtime/shim-spare.h)
 * against a stand-in spare that saves what it is handed. The real shim in
 * spare mode, with runc, is in tests/integration/test_agent_shim.py.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "fileio.h"
#include "runtime/shim-spare.h"
#include "shim/job.h"

static void test_job_roundtrip(void **state)
{
	(void)state;
	char *const argv[] = { "/usr/lib/ecs-agent-shim", "--id", "t-1", "--log-field",
			       "ECS_TASK_ARN=arn:aws:ecs:r:1:task/c/x", "", NULL };
	char buf[SHIM_JOB_MAX];
	ssize_t n = shim_job_encode(argv, buf, sizeof(buf));
	assert_true(n > 4);
	char *out[16];
	assert_int_equal(shim_job_decode(buf, (size_t)n, out, 16), 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(out[i], argv[i]);
	assert_null(out[6]);
	size_t plen;
	const char *payload = shim_job_payload(buf, (size_t)n, &plen);
	assert_int_equal(plen, (size_t)n - 4);
	assert_memory_equal(payload, "/usr/lib/ecs-agent-shim\0--id\0", 29);
}

static void test_job_limits(void **state)
{
	(void)state;
	char buf[SHIM_JOB_MAX];
	char *const none[] = { NULL };
	char *const empty0[] = { "", "x", NULL };
	assert_int_equal(shim_job_encode(none, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(shim_job_encode(empty0, buf, sizeof(buf)), -EINVAL);

	/* A payload of exactly SHIM_SPARE_TITLE fits, one byte more not. */
	static char big[SHIM_SPARE_TITLE + 1];
	memset(big, 'a', sizeof(big) - 1);
	big[SHIM_SPARE_TITLE - 1] = '\0';
	char *const fits[] = { big, NULL };
	assert_int_equal(shim_job_encode(fits, buf, sizeof(buf)), SHIM_JOB_MAX);
	big[SHIM_SPARE_TITLE - 1] = 'a';
	assert_int_equal(shim_job_encode(fits, buf, sizeof(buf)), -E2BIG);
	char *const small[] = { "abc", NULL };
	assert_int_equal(shim_job_encode(small, buf, 7), -E2BIG);

	static char *many[SHIM_JOB_MAX_ARGS + 1];
	for (size_t i = 0; i < SHIM_JOB_MAX_ARGS; i++)
		many[i] = "x";
	assert_int_equal(shim_job_encode(many, buf, sizeof(buf)), -E2BIG);
}

static void test_job_strict(void **state)
{
	(void)state;
	char *out[4];
	char *const argv[] = { "a", "bc", NULL };
	char good[16];
	ssize_t n = shim_job_encode(argv, good, sizeof(good));
	assert_int_equal(n, 9);
	char buf[16];

	/* Cut short anywhere, or with a byte more: refused. */
	for (ssize_t cut = 0; cut < n; cut++) {
		memcpy(buf, good, (size_t)n);
		assert_int_equal(shim_job_decode(buf, (size_t)cut, out, 4), -EINVAL);
	}
	memcpy(buf, good, (size_t)n);
	buf[n] = '\0';
	assert_int_equal(shim_job_decode(buf, (size_t)n + 1, out, 4), -EINVAL);
	/* No final NUL, an empty argv[0], too many strings for the array. */
	memcpy(buf, good, (size_t)n);
	buf[n - 1] = 'x';
	assert_int_equal(shim_job_decode(buf, (size_t)n, out, 4), -EINVAL);
	memcpy(buf, "\x03\0\0\0\0b\0", 7);
	assert_int_equal(shim_job_decode(buf, 7, out, 4), -EINVAL);
	memcpy(buf, good, (size_t)n);
	assert_int_equal(shim_job_decode(buf, (size_t)n, out, 2), -EINVAL);
	assert_int_equal(shim_job_decode(buf, (size_t)n, out, 3), 2);
}

/* ---- the agent's side, against a stand-in spare ---- */

static char tmpdir[64];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_shim_spare.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int teardown_tmp(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* A stand-in spare: saves its arguments and then what arrives on fd 3. */
static char *fake_spare(const char *script_tail)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/fake-shim", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nd=\"$(dirname \"$0\")\"\nprintf '%%s|' \"$1\" \"${#2}\" > \"$d/args\"\n%s\n",
		script_tail);
	fclose(f);
	chmod(path, 0755);
	return path;
}

static int wait_exit(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *read_in(const char *name, size_t *len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	char *buf = NULL;
	assert_int_equal(file_read_all(path, 1 << 20, &buf, len, NULL), 0);
	return buf;
}

static void test_spare_is_handed_the_job(void **state)
{
	(void)state;
	const char *shim = fake_spare("cat <&3 > \"$d/job\"");
	struct shim_spare s = SHIM_SPARE_NONE;
	struct ecs_err err = { 0 };
	assert_int_equal(shim_spare_start(&s, shim, &err), 0);
	assert_true(s.pid > 0 && s.fd >= 0);
	pid_t spare = s.pid;

	char *const argv[] = { (char *)shim, "--id", "c1", "--state-dir", "/s/c1", NULL };
	assert_int_equal(shim_spare_take(&s, argv), spare);
	/* Used up: the next start has none. */
	assert_int_equal(s.pid, 0);
	assert_int_equal(s.fd, -1);
	assert_int_equal(shim_spare_take(&s, argv), -ENOENT);
	assert_int_equal(wait_exit(spare), 0);

	size_t len;
	_cleanup_free_ char *args = read_in("args", &len);
	/* `--spare`, then a blank of SHIM_SPARE_TITLE - 1 characters. */
	char want[64];
	snprintf(want, sizeof(want), "%s|%d|", SHIM_SPARE_ARG, SHIM_SPARE_TITLE - 1);
	assert_string_equal(args, want);
	_cleanup_free_ char *job = read_in("job", &len);
	char *out[8];
	assert_int_equal(shim_job_decode(job, len, out, 8), 5);
	assert_string_equal(out[0], shim);
	assert_string_equal(out[4], "/s/c1");
}

static void test_spare_dropped_sees_eof(void **state)
{
	(void)state;
	const char *shim = fake_spare("cat <&3 > \"$d/job\"");
	struct shim_spare s = SHIM_SPARE_NONE;
	struct ecs_err err = { 0 };
	assert_int_equal(shim_spare_start(&s, shim, &err), 0);
	pid_t spare = s.pid;
	shim_spare_drop(&s);
	assert_int_equal(s.fd, -1);
	assert_int_equal(wait_exit(spare), 0);
	size_t len;
	_cleanup_free_ char *job = read_in("job", &len);
	assert_int_equal(len, 0);
	shim_spare_drop(&s);
}

static void test_spare_gone_or_too_long(void **state)
{
	(void)state;
	const char *shim = fake_spare("exec 3<&-");
	struct shim_spare s = SHIM_SPARE_NONE;
	struct ecs_err err = { 0 };
	assert_int_equal(shim_spare_start(&s, shim, &err), 0);
	pid_t spare = s.pid;
	assert_int_equal(wait_exit(spare), 0);

	/* Too long a command line: refused, the spare kept. */
	static char big[SHIM_SPARE_TITLE + 8];
	memset(big, 'a', sizeof(big) - 1);
	char *const too_long[] = { (char *)shim, big, NULL };
	assert_int_equal(shim_spare_take(&s, too_long), -E2BIG);
	assert_int_equal(s.pid, spare);

	/* The spare died: EPIPE, and it is dropped. */
	char *const argv[] = { (char *)shim, "--id", "c1", NULL };
	assert_int_equal(shim_spare_take(&s, argv), -EPIPE);
	assert_int_equal(s.fd, -1);

	assert_int_equal(shim_spare_start(&s, "/nonexistent/ecs-agent-shim", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/ecs-agent-shim"));
	assert_int_equal(s.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_roundtrip),
		cmocka_unit_test(test_job_limits),
		cmocka_unit_test(test_job_strict),
		cmocka_unit_test_setup_teardown(test_spare_is_handed_the_job, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_spare_dropped_sees_eof, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_spare_gone_or_too_long, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests_name("agent_shim_spare", tests, NULL, NULL);
}
