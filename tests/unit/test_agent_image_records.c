/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent/image/records.c: image records in a temporary data directory and
 * the store lock (checked across processes with fork).
 */
#include "autoconf.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/image-internal.h"
#include "image/records.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define D4 "sha256:4444444444444444444444444444444444444444444444444444444444444444"

static char datadir[] = "/tmp/test-agent-image-records-XXXXXX";

static int setup(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	fs_rm_rf(datadir, NULL);
	return fs_mkdir_p(datadir, 0700, &err);
}

static int teardown(void **state)
{
	(void)state;
	return fs_rm_rf(datadir, NULL);
}

static struct image_record make(const char *name, const char *manifest, int64_t used)
{
	static char *layers[] = { D3, D4, NULL };
	return (struct image_record){
		.name = (char *)name,
		.manifest_digest = (char *)manifest,
		.config_digest = D2,
		.layers = layers,
		.n_layers = 2,
		.size = 12345,
		.pulled_at_ms = 1700000000000,
		.last_used_ms = used,
	};
}

static void write_file(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", datadir, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void record_path(const char *name, char *out, size_t size)
{
	char hex[DIGEST_HEX_LEN + 1];
	assert_int_equal(digest_buf_hex(name, strlen(name), hex), 0);
	snprintf(out, size, "images/%s.json", hex);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	struct image_record in = make("127.0.0.1:5000/app:1.2", D1, 1700000000500), out;
	assert_int_equal(image_record_load(datadir, in.name, &out, &err), -ENOENT);
	assert_int_equal(image_record_save(datadir, &in, &err), 0);

	char rel[128], path[600];
	record_path(in.name, rel, sizeof(rel));
	snprintf(path, sizeof(path), "%s/%s", datadir, rel);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/images", datadir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	assert_int_equal(image_record_load(datadir, in.name, &out, &err), 0);
	assert_string_equal(out.name, in.name);
	assert_string_equal(out.manifest_digest, D1);
	assert_string_equal(out.config_digest, D2);
	assert_int_equal(out.n_layers, 2);
	assert_string_equal(out.layers[0], D3);
	assert_string_equal(out.layers[1], D4);
	assert_null(out.layers[2]);
	assert_int_equal(out.size, 12345);
	assert_int_equal(out.pulled_at_ms, 1700000000000);
	assert_int_equal(out.last_used_ms, 1700000000500);
	image_record_clear(&out);

	/* Replacing keeps one file per name. */
	in.manifest_digest = D4;
	assert_int_equal(image_record_save(datadir, &in, &err), 0);
	assert_int_equal(image_record_load(datadir, in.name, &out, &err), 0);
	assert_string_equal(out.manifest_digest, D4);
	image_record_clear(&out);
	struct image_record *v;
	size_t n;
	assert_int_equal(image_record_list(datadir, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	image_record_list_free(v, n);

	assert_int_equal(image_record_remove(datadir, in.name, &err), 0);
	assert_int_equal(image_record_load(datadir, in.name, &out, &err), -ENOENT);
	assert_int_equal(image_record_remove(datadir, in.name, &err), -ENOENT);
}

static void test_save_refuses_bad_digest(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	struct image_record in = make("docker.io/library/x:1", "sha256:nothex", 1);
	assert_int_equal(image_record_save(datadir, &in, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "manifestDigest"));
	in = make("", D1, 1);
	assert_true(image_record_save(datadir, &in, &err) < 0);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct image_record *)a)->name, ((const struct image_record *)b)->name);
}

static void test_list(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	struct image_record *v;
	size_t n;
	/* No images/ directory yet: an empty list. */
	assert_int_equal(image_record_list(datadir, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	free(v);

	const char *names[] = { "docker.io/library/busybox:latest", "oci-layout:/srv/img:1.0",
				"localhost/a/b@" D1 };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct image_record r = make(names[i], D1, (int64_t)i);
		assert_int_equal(image_record_save(datadir, &r, &err), 0);
	}
	/* Noise the list must skip: a corrupt record, a record stored under
	 * another name's file, a temp file and an unrelated file. */
	char rel[128];
	record_path("corrupt", rel, sizeof(rel));
	write_file(rel, "{\"name\": \"corrupt\", ");
	record_path("elsewhere", rel, sizeof(rel));
	write_file(rel, "{\"name\":\"docker.io/library/busybox:latest\",\"manifestDigest\":\"" D1
			"\",\"configDigest\":\"" D2 "\",\"layers\":[],\"size\":1,\"pulledAt\":1,"
			"\"lastUsedAt\":1}");
	write_file("images/tmp-abcdef", "{}");
	write_file("images/README", "hello");

	assert_int_equal(image_record_list(datadir, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	qsort(v, n, sizeof(*v), by_name);
	assert_string_equal(v[0].name, "docker.io/library/busybox:latest");
	assert_int_equal(v[0].last_used_ms, 0);
	assert_string_equal(v[1].name, "localhost/a/b@" D1);
	assert_string_equal(v[2].name, "oci-layout:/srv/img:1.0");
	assert_int_equal(v[2].n_layers, 2);
	image_record_list_free(v, n);
}

static void test_touch(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	struct image_record in = make("docker.io/library/alpine:3", D1, 5), out;
	assert_int_equal(image_record_touch(datadir, in.name, &err), -ENOENT);
	assert_int_equal(image_record_save(datadir, &in, &err), 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	assert_int_equal(image_record_touch(datadir, in.name, &err), 0);
	assert_int_equal(image_record_load(datadir, in.name, &out, &err), 0);
	assert_true(out.last_used_ms >= before);
	assert_true(out.last_used_ms < before + 60000);
	assert_int_equal(out.pulled_at_ms, in.pulled_at_ms);
	assert_string_equal(out.manifest_digest, D1);
	image_record_clear(&out);
}

static void test_corrupt_is_einval(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	struct image_record out;
	char rel[128];
	const char *name = "docker.io/library/bad:1";
	const char *bodies[] = {
		"not json",
		"[]",
		"{\"name\":\"docker.io/library/bad:1\"}",
		"{\"name\":\"docker.io/library/bad:1\",\"manifestDigest\":\"" D1 "\",\"configDigest\":\"" D2
		"\",\"layers\":[\"sha256:../../etc\"],\"size\":1,\"pulledAt\":1,\"lastUsedAt\":1}",
		"{\"name\":\"docker.io/library/bad:1\",\"manifestDigest\":\"" D1 "\",\"configDigest\":\"" D2
		"\",\"layers\":[],\"size\":-1,\"pulledAt\":1,\"lastUsedAt\":1}",
		"{\"name\":\"docker.io/library/bad:1\",\"manifestDigest\":\"sha512:00\",\"configDigest\":\"" D2
		"\",\"layers\":[],\"size\":1,\"pulledAt\":1,\"lastUsedAt\":1}",
		/* Well-formed, but stored under another name's file. */
		"{\"name\":\"docker.io/library/other:1\",\"manifestDigest\":\"" D1 "\",\"configDigest\":\"" D2
		"\",\"layers\":[],\"size\":1,\"pulledAt\":1,\"lastUsedAt\":1}",
	};
	struct ecs_err e0 = { 0 };
	struct image_record ok = make(name, D1, 1);
	assert_int_equal(image_record_save(datadir, &ok, &e0), 0);
	record_path(name, rel, sizeof(rel));
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		write_file(rel, bodies[i]);
		err_clear(&err);
		assert_int_equal(image_record_load(datadir, name, &out, &err), -EINVAL);
		assert_true(err.msg[0] != '\0');
		assert_null(out.name);
		assert_int_equal(image_record_touch(datadir, name, &err), -EINVAL);
	}
	/* A corrupt record can still be removed (and then saved afresh). */
	assert_int_equal(image_record_remove(datadir, name, &err), 0);
	assert_int_equal(image_record_save(datadir, &ok, &err), 0);
	assert_int_equal(image_record_load(datadir, name, &out, &err), 0);
	image_record_clear(&out);
}

static void test_parse_to_json(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	struct image_record in = make("x\"y\\z", D1, 7), out;
	char *text = image_record_to_json(&in, &err);
	assert_non_null(text);
	assert_int_equal(image_record_parse(text, strlen(text), &out, &err), 0);
	assert_string_equal(out.name, "x\"y\\z");
	assert_int_equal(out.last_used_ms, 7);
	image_record_clear(&out);
	free(text);
	/* Unknown members are ignored (forward compatibility). */
	const char *more = "{\"name\":\"n\",\"manifestDigest\":\"" D1 "\",\"configDigest\":\"" D2
			   "\",\"layers\":[\"" D3 "\"],\"size\":0,\"pulledAt\":0,\"lastUsedAt\":0,"
			   "\"future\":{\"a\":1}}";
	assert_int_equal(image_record_parse(more, strlen(more), &out, &err), 0);
	assert_int_equal(out.n_layers, 1);
	image_record_clear(&out);
}

/* Child: try to take the lock without blocking; exit 0 when granted, 1 when
 * it would block, 2 on another failure. */
static int child_try(bool exclusive)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char path[512];
		snprintf(path, sizeof(path), "%s/store.lock", datadir);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(2);
		if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
			_exit(0);
		_exit(errno == EWOULDBLOCK ? 1 : 2);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_lock(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	int fd = image_store_lock(datadir, true, &err);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(child_try(false), 1);
	assert_int_equal(child_try(true), 1);
	close(fd);
	assert_int_equal(child_try(true), 0);

	fd = image_store_lock(datadir, false, &err);
	assert_true(fd >= 0);
	assert_int_equal(child_try(false), 0);
	assert_int_equal(child_try(true), 1);

	/* A blocked exclusive locker proceeds once the shared holder lets go. */
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		close(fd); /* the same open file description: it holds the lock too */
		alarm(10);
		struct ecs_err e = { 0 };
		int cfd = image_store_lock(datadir, true, &e);
		char c = cfd >= 0 ? 'y' : 'n';
		_exit(write(pipefd[1], &c, 1) == 1 ? 0 : 3);
	}
	close(pipefd[1]);
	struct timespec delay = { .tv_nsec = 200 * 1000 * 1000 };
	nanosleep(&delay, NULL);
	int fl = fcntl(pipefd[0], F_GETFL);
	fcntl(pipefd[0], F_SETFL, fl | O_NONBLOCK);
	char c;
	assert_int_equal(read(pipefd[0], &c, 1), -1); /* still waiting */
	fcntl(pipefd[0], F_SETFL, fl);
	close(fd);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	close(pipefd[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	if (!mkdtemp(datadir)) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, NULL),
		cmocka_unit_test_setup_teardown(test_save_refuses_bad_digest, setup, NULL),
		cmocka_unit_test_setup_teardown(test_list, setup, NULL),
		cmocka_unit_test_setup_teardown(test_touch, setup, NULL),
		cmocka_unit_test_setup_teardown(test_corrupt_is_einval, setup, NULL),
		cmocka_unit_test_setup_teardown(test_parse_to_json, setup, NULL),
		cmocka_unit_test_setup_teardown(test_lock, setup, NULL),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	teardown(NULL);
	return rc;
}
