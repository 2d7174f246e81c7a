/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite store: migrations, durability across reopen, clusters, tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

struct ctx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "/tmp/test_cp_store.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/state.db", c->dir);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	char p[160];
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", c->path, suffixes[i]);
		unlink(p);
	}
	rmdir(c->dir);
	free(c);
	return 0;
}

static void add_cluster(struct store *s, const char *name, int64_t *id)
{
	char arn[256];
	snprintf(arn, sizeof(arn), "arn:aws:ecs:us-east-1:123456789012:cluster/%s", name);
	struct store_cluster cl = { .name = (char *)name, .arn = arn, .created_ms = 1 };
	struct ecs_err err;
	assert_int_equal(store_cluster_activate(s, &cl, id, &err), 0);
}

static void test_migrations_and_reopen(void **state)
{
	struct ctx *c = *state;
	struct ecs_err err;
	struct store *s = store_open(c->path, &err);
	assert_non_null(s);
	assert_int_equal(store_schema_version(s, &err), store_schema_latest());

	int64_t id;
	add_cluster(s, "keep", &id);
	struct store_kv tags[] = { { "a", "1" }, { "b", "2" } };
	const char *arn = "arn:aws:ecs:us-east-1:123456789012:cluster/keep";
	assert_int_equal(store_tags_put(s, arn, tags, 2, &err), 0);
	struct store_kv set[] = { { "containerInsights", "enabled" } };
	assert_int_equal(store_cluster_settings_set(s, id, set, 1, &err), 0);
	store_free(s);

	/* Reopen: everything is still there, and WAL mode stuck. */
	s = store_open(c->path, &err);
	assert_non_null(s);
	struct store_cluster cl;
	assert_int_equal(store_cluster_get(s, arn, &cl, &err), 0);
	assert_string_equal(cl.name, "keep");
	assert_string_equal(cl.status, "ACTIVE");
	struct store_kv_list l;
	assert_int_equal(store_tags_get(s, arn, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[1].value, "2");
	store_kv_list_clear(&l);
	assert_int_equal(store_cluster_settings_get(s, cl.id, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].value, "enabled");
	store_kv_list_clear(&l);
	store_cluster_clear(&cl);
	store_free(s);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* A database from a newer binary is refused, not silently used. */
	assert_int_equal(sqlite3_exec(db, "UPDATE schema_version SET version = 999", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	s = store_open(c->path, &err);
	assert_null(s);
	assert_int_equal(err.code, EPROTO);
}

static void test_cluster_lifecycle(void **state)
{
	(void)state;
	struct ecs_err err;
	struct store *s = store_open(":memory:", &err);
	assert_non_null(s);
	int64_t id, id2;
	add_cluster(s, "a", &id);

	const char *arn = "arn:aws:ecs:us-east-1:123456789012:cluster/a";
	struct store_cluster cl = { .name = "a", .arn = (char *)arn, .created_ms = 2 };
	assert_int_equal(store_cluster_activate(s, &cl, &id2, &err), -EEXIST);

	assert_int_equal(store_cluster_set_status(s, id, "INACTIVE", &err), 0);
	assert_int_equal(store_cluster_activate(s, &cl, &id2, &err), 0);
	assert_int_equal(id, id2); /* revived, same row */
	assert_int_equal(store_cluster_set_status(s, 9999, "INACTIVE", &err), -ENOENT);

	struct store_cluster got;
	assert_int_equal(store_cluster_get(s, "arn:nope", &got, &err), -ENOENT);

	struct store_cluster_counts k;
	assert_int_equal(store_cluster_counts(s, id, &k, &err), 0);
	assert_int_equal(k.registered_instances + k.running_tasks + k.pending_tasks +
				 k.active_services, 0);
	store_free(s);
}

static void test_list_and_transactions(void **state)
{
	(void)state;
	struct ecs_err err;
	struct store *s = store_open(":memory:", &err);
	int64_t id;
	const char *names[] = { "d", "b", "a", "c", "e" };
	for (size_t i = 0; i < 5; i++)
		add_cluster(s, names[i], &id);

	struct store_strv v;
	bool more;
	assert_int_equal(store_cluster_list(s, NULL, 2, &v, &more, &err), 0);
	assert_int_equal(v.n, 2);
	assert_true(more);
	assert_non_null(strstr(v.items[0], "cluster/a"));
	assert_non_null(strstr(v.items[1], "cluster/b"));
	char after[256];
	snprintf(after, sizeof(after), "%s", v.items[1]);
	store_strv_clear(&v);
	assert_int_equal(store_cluster_list(s, after, 10, &v, &more, &err), 0);
	assert_int_equal(v.n, 3);
	assert_false(more);
	store_strv_clear(&v);

	/* A rolled-back transaction leaves nothing behind. */
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_begin(s, &err), -EBUSY);
	add_cluster(s, "temp", &id);
	store_rollback(s);
	struct store_cluster cl;
	assert_int_equal(store_cluster_get(s, "arn:aws:ecs:us-east-1:123456789012:cluster/temp", &cl,
					   &err), -ENOENT);
	assert_int_equal(store_commit(s, &err), -EINVAL);

	/* Tags: upsert keeps position, delete ignores unknown keys, clear. */
	const char *arn = "arn:aws:ecs:us-east-1:123456789012:cluster/a";
	struct store_kv t1[] = { { "x", "1" }, { "y", "2" } }, t2[] = { { "x", "3" } };
	assert_int_equal(store_tags_put(s, arn, t1, 2, &err), 0);
	assert_int_equal(store_tags_put(s, arn, t2, 1, &err), 0);
	struct store_kv_list l;
	assert_int_equal(store_tags_get(s, arn, &l, &err), 0);
	assert_string_equal(l.items[0].key, "x");
	assert_string_equal(l.items[0].value, "3");
	store_kv_list_clear(&l);
	const char *del[] = { "y", "nope" };
	assert_int_equal(store_tags_delete(s, arn, del, 2, &err), 0);
	assert_int_equal(store_tags_get(s, arn, &l, &err), 0);
	assert_int_equal(l.n, 1);
	store_kv_list_clear(&l);
	assert_int_equal(store_tags_clear(s, arn, &err), 0);
	assert_int_equal(store_tags_get(s, arn, &l, &err), 0);
	assert_int_equal(l.n, 0);
	store_free(s);
}

/* SQLite's fdatasync calls resolve to this one: it counts them, so a test
 * can tell a durable commit (one sync of the WAL) from a relaxed one. */
static unsigned syncs;
int fdatasync(int fd)
{
	syncs++;
	return (int)syscall(SYS_fdatasync, fd);
}

static void test_relaxed_transactions(void **state)
{
	struct ctx *c = *state;
	struct ecs_err err;
	struct store *s = store_open(c->path, &err);
	assert_non_null(s);
	int64_t a, b, d;

	unsigned before = syncs;
	assert_int_equal(store_begin(s, &err), 0);
	add_cluster(s, "durable", &a);
	assert_int_equal(store_commit(s, &err), 0);
	assert_true(syncs > before);

	before = syncs;
	assert_int_equal(store_begin_relaxed(s, &err), 0);
	assert_int_equal(store_begin(s, &err), -EBUSY);
	add_cluster(s, "relaxed", &b);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(syncs, before);

	/* A rolled-back relaxed transaction leaves nothing, and neither it
	 * nor a committed one leaves the store relaxed. */
	assert_int_equal(store_begin_relaxed(s, &err), 0);
	add_cluster(s, "gone", &d);
	store_rollback(s);
	before = syncs;
	assert_int_equal(store_begin(s, &err), 0);
	add_cluster(s, "durable2", &d);
	assert_int_equal(store_commit(s, &err), 0);
	assert_true(syncs > before);
	store_free(s);

	/* What a relaxed transaction committed is there after a reopen. */
	s = store_open(c->path, &err);
	assert_non_null(s);
	struct store_cluster got;
	assert_int_equal(store_cluster_get(s, "arn:aws:ecs:us-east-1:123456789012:cluster/relaxed",
					   &got, &err), 0);
	store_cluster_clear(&got);
	assert_int_equal(store_cluster_get(s, "arn:aws:ecs:us-east-1:123456789012:cluster/gone",
					   &got, &err), -ENOENT);
	store_free(s);
}

static void test_open_failure(void **state)
{
	(void)state;
	struct ecs_err err;
	assert_null(store_open("/nonexistent-dir/x/state.db", &err));
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x/state.db"));
	store_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations_and_reopen, setup, teardown),
		cmocka_unit_test(test_cluster_lifecycle),
		cmocka_unit_test(test_list_and_transactions),
		cmocka_unit_test_setup_teardown(test_relaxed_transactions, setup, teardown),
		cmocka_unit_test(test_open_failure),
	};
	return cmocka_run_group_tests_name("cp_store", tests, NULL, NULL);
}
