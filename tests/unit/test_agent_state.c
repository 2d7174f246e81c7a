/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "state.h"

struct fixture {
	char dir[64];
	char db[128];
	struct state *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ecs_err err = { 0 };
	strcpy(f->dir, "/tmp/test_agent_state.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/state.db", f->dir);
	if (state_open(f->dir, &f->s, &err) < 0) {
		fprintf(stderr, "state_open: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static void remove_db_files(const struct fixture *f)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s%s", f->db, suffixes[i]);
		unlink(p);
	}
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	state_close(f->s);
	remove_db_files(f);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void reopen(struct fixture *f)
{
	struct ecs_err err = { 0 };
	state_close(f->s);
	f->s = NULL;
	assert_int_equal(state_open(f->dir, &f->s, &err), 0);
}

/* A task with every field set to a distinct value. */
static void make_task(struct state_task *t, const char *arn, int64_t created_ms,
		      const char *const *names, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->arn = strdup(arn);
	t->family = strdup("web");
	t->revision = 7;
	t->taskdef_json = strdup("{\"family\":\"web\",\"containerDefinitions\":[]}");
	t->overrides_json = strdup("{\"containerOverrides\":[]}");
	t->desired_status = 4;
	t->known_status = 2;
	t->stop_code = 3;
	t->reason = strdup("Essential container in task exited");
	t->desired_version = UINT64_MAX - 1; /* survives the signed column */
	t->sequence = 42;
	t->created_ms = created_ms;
	t->pull_started_ms = 1001;
	t->pull_stopped_ms = 1002;
	t->started_ms = 1003;
	t->execution_stopped_ms = 1004;
	t->stopped_ms = 1005;
	t->stop_sent_ms = 1006;
	t->cleanup_at_ms = 1007;
	t->cpu_units = 512;
	t->memory_mib = 256;
	t->host_ports = strdup("tcp:80,udp:53");
	t->step = 9;
	t->containers = calloc(n, sizeof(*t->containers));
	t->n_containers = n;
	for (size_t i = 0; i < n; i++) {
		struct state_container *c = &t->containers[i];
		char id[64];
		snprintf(id, sizeof(id), "%s-%zu", names[i], i);
		c->name = strdup(names[i]);
		c->runtime_id = strdup(id);
		c->status = 8;
		c->has_exit = true;
		c->exit_code = 137 + (int)i;
		c->oom_killed = i % 2 == 0;
		c->reason = i == 0 ? strdup("OutOfMemoryError: Container killed due to memory usage")
				   : NULL;
		c->image_digest = strdup("sha256:0123456789abcdef");
		c->shim_pid = 4000 + (int64_t)i;
		c->container_pid = 5000 + (int64_t)i;
		c->created_ms = 2000 + (int64_t)i;
		c->started_ms = 3000 + (int64_t)i;
		c->finished_ms = -1; /* negative values round-trip too */
		c->step = 11 + (uint32_t)i;
	}
}

static void assert_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_task_equal(const struct state_task *a, const struct state_task *b)
{
	assert_str_eq(a->arn, b->arn);
	assert_str_eq(a->family, b->family);
	assert_int_equal(a->revision, b->revision);
	assert_str_eq(a->taskdef_json, b->taskdef_json);
	assert_str_eq(a->overrides_json, b->overrides_json);
	assert_int_equal(a->desired_status, b->desired_status);
	assert_int_equal(a->known_status, b->known_status);
	assert_int_equal(a->stop_code, b->stop_code);
	assert_str_eq(a->reason, b->reason);
	assert_true(a->desired_version == b->desired_version);
	assert_true(a->sequence == b->sequence);
	assert_int_equal(a->created_ms, b->created_ms);
	assert_int_equal(a->pull_started_ms, b->pull_started_ms);
	assert_int_equal(a->pull_stopped_ms, b->pull_stopped_ms);
	assert_int_equal(a->started_ms, b->started_ms);
	assert_int_equal(a->execution_stopped_ms, b->execution_stopped_ms);
	assert_int_equal(a->stopped_ms, b->stopped_ms);
	assert_int_equal(a->stop_sent_ms, b->stop_sent_ms);
	assert_int_equal(a->cleanup_at_ms, b->cleanup_at_ms);
	assert_int_equal(a->cpu_units, b->cpu_units);
	assert_int_equal(a->memory_mib, b->memory_mib);
	assert_str_eq(a->host_ports, b->host_ports);
	assert_int_equal(a->step, b->step);
	assert_int_equal(a->n_containers, b->n_containers);
	for (size_t i = 0; i < a->n_containers; i++) {
		const struct state_container *x = &a->containers[i], *y = &b->containers[i];
		assert_str_eq(x->name, y->name);
		assert_str_eq(x->runtime_id, y->runtime_id);
		assert_int_equal(x->status, y->status);
		assert_int_equal(x->has_exit, y->has_exit);
		assert_int_equal(x->exit_code, y->exit_code);
		assert_int_equal(x->oom_killed, y->oom_killed);
		assert_str_eq(x->reason, y->reason);
		assert_str_eq(x->image_digest, y->image_digest);
		assert_int_equal(x->shim_pid, y->shim_pid);
		assert_int_equal(x->container_pid, y->container_pid);
		assert_int_equal(x->created_ms, y->created_ms);
		assert_int_equal(x->started_ms, y->started_ms);
		assert_int_equal(x->finished_ms, y->finished_ms);
		assert_int_equal(x->step, y->step);
	}
}

static const char *const three[] = { "web", "app", "sidecar" };

static void load(struct fixture *f, struct state_task **tasks, size_t *n)
{
	struct ecs_err err = { 0 };
	int r = state_tasks_load(f->s, tasks, n, &err);
	if (r < 0)
		fail_msg("state_tasks_load: %s", err.msg);
}

static void test_open_mode_and_schema(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* WAL: the database is in WAL mode and its journal lives beside it. */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	sqlite3_finalize(q);
	sqlite3_close(db);

	/* A second open finds the schema current and changes nothing. */
	reopen(f);
	size_t n = 99;
	assert_int_equal(state_outbox_count(f->s, &n, NULL), 0);
	assert_int_equal(n, 0);
}

static void test_open_tightens_mode(void **state)
{
	struct fixture *f = *state;
	state_close(f->s);
	f->s = NULL;
	remove_db_files(f);
	int fd = open(f->db, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	fchmod(fd, 0644);
	close(fd);

	struct ecs_err err = { 0 };
	assert_int_equal(state_open(f->dir, &f->s, &err), 0);
	struct stat st;
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_open_missing_dir(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	struct state *s = (struct state *)1;
	assert_int_equal(state_open("/nonexistent/ecs-agent-test", &s, &err), -ENOENT);
	assert_null(s);
	assert_non_null(strstr(err.msg, "/nonexistent/ecs-agent-test/state.db"));
}

static void test_open_corrupt(void **state)
{
	struct fixture *f = *state;
	state_close(f->s);
	f->s = NULL;
	remove_db_files(f);

	int fd = open(f->db, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	char junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);

	struct ecs_err err = { 0 };
	struct state *s = NULL;
	int r = state_open(f->dir, &s, &err);
	assert_true(r < 0);
	assert_null(s);
	assert_non_null(strstr(err.msg, f->db));
	assert_non_null(strstr(err.msg, "not a database"));
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	state_close(f->s);
	f->s = NULL;

	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	struct ecs_err err = { 0 };
	assert_int_equal(state_open(f->dir, &f->s, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "newer"));
	assert_non_null(strstr(err.msg, f->db));
}

static void test_put_load_round_trip(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	struct state_task t;
	make_task(&t, "arn:aws:ecs:us-east-1:123456789012:task/c/1", 100, three, 3);

	assert_int_equal(state_task_put(f->s, &t, &err), 0);
	struct state_task *tasks = NULL;
	size_t n = 0;
	load(f, &tasks, &n);
	assert_int_equal(n, 1);
	assert_task_equal(&t, &tasks[0]);
	/* Order of containers is the put order, not the names' order. */
	assert_string_equal(tasks[0].containers[0].name, "web");
	assert_string_equal(tasks[0].containers[2].name, "sidecar");
	state_tasks_free(tasks, n);

	/* NULL and empty strings stay distinct; no containers is fine. */
	struct state_task bare = { .arn = "arn:bare", .overrides_json = "", .created_ms = 200 };
	assert_int_equal(state_task_put(f->s, &bare, &err), 0);
	load(f, &tasks, &n);
	assert_int_equal(n, 2);
	assert_task_equal(&bare, &tasks[1]);
	assert_null(tasks[1].family);
	assert_string_equal(tasks[1].overrides_json, "");
	assert_null(tasks[1].containers);
	state_tasks_free(tasks, n);

	/* ...and after a reopen. */
	reopen(f);
	load(f, &tasks, &n);
	assert_int_equal(n, 2);
	assert_task_equal(&t, &tasks[0]);
	state_tasks_free(tasks, n);
	state_task_clear(&t);
	assert_null(t.arn);
}

static void test_replace_drops_vanished_containers(void **state)
{
	struct fixture *f = *state;
	struct state_task t, u;
	make_task(&t, "arn:t", 1, three, 3);
	assert_int_equal(state_task_put(f->s, &t, NULL), 0);

	static const char *const one[] = { "app" };
	make_task(&u, "arn:t", 1, one, 1);
	u.known_status = 8;
	u.containers[0].exit_code = 3;
	free(u.reason);
	u.reason = NULL;
	assert_int_equal(state_task_put(f->s, &u, NULL), 0);

	struct state_task *tasks = NULL;
	size_t n = 0;
	load(f, &tasks, &n);
	assert_int_equal(n, 1);
	assert_task_equal(&u, &tasks[0]);
	assert_null(tasks[0].reason);
	state_tasks_free(tasks, n);

	/* Exactly one container row is left in the table. */
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM containers", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
	state_task_clear(&t);
	state_task_clear(&u);
}

static void test_put_failure_keeps_previous(void **state)
{
	struct fixture *f = *state;
	struct state_task t, bad;
	make_task(&t, "arn:t", 1, three, 3);
	assert_int_equal(state_task_put(f->s, &t, NULL), 0);

	static const char *const dup[] = { "web", "web" };
	make_task(&bad, "arn:t", 1, dup, 2);
	bad.known_status = 8;
	struct ecs_err err = { 0 };
	assert_int_equal(state_task_put(f->s, &bad, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "arn:t"));
	assert_non_null(strstr(err.msg, "container web"));

	struct state_task *tasks = NULL;
	size_t n = 0;
	load(f, &tasks, &n);
	assert_int_equal(n, 1);
	assert_task_equal(&t, &tasks[0]);
	state_tasks_free(tasks, n);

	struct state_task noarn = { 0 };
	assert_int_equal(state_task_put(f->s, &noarn, NULL), -EINVAL);
	state_task_clear(&t);
	state_task_clear(&bad);
}

static void test_delete_and_order(void **state)
{
	struct fixture *f = *state;
	struct state_task a, b, c;
	make_task(&a, "arn:b", 50, three, 2);
	make_task(&b, "arn:a", 50, three, 1);
	make_task(&c, "arn:0", 10, three, 3);
	assert_int_equal(state_task_put(f->s, &a, NULL), 0);
	assert_int_equal(state_task_put(f->s, &b, NULL), 0);
	assert_int_equal(state_task_put(f->s, &c, NULL), 0);

	struct state_task *tasks = NULL;
	size_t n = 0;
	load(f, &tasks, &n);
	assert_int_equal(n, 3);
	/* created_ms first, then arn */
	assert_string_equal(tasks[0].arn, "arn:0");
	assert_string_equal(tasks[1].arn, "arn:a");
	assert_string_equal(tasks[2].arn, "arn:b");
	state_tasks_free(tasks, n);

	assert_int_equal(state_task_delete(f->s, "arn:a", NULL), 0);
	assert_int_equal(state_task_delete(f->s, "arn:absent", NULL), 0);
	load(f, &tasks, &n);
	assert_int_equal(n, 2);
	assert_task_equal(&c, &tasks[0]);
	assert_task_equal(&a, &tasks[1]);
	state_tasks_free(tasks, n);

	/* The deleted task's containers went with it: a new task of that ARN
	 * starts clean. */
	struct state_task fresh = { .arn = "arn:a" };
	assert_int_equal(state_task_put(f->s, &fresh, NULL), 0);
	load(f, &tasks, &n);
	assert_int_equal(n, 3);
	assert_string_equal(tasks[0].arn, "arn:a");
	assert_int_equal(tasks[0].n_containers, 0);
	state_tasks_free(tasks, n);

	state_task_clear(&a);
	state_task_clear(&b);
	state_task_clear(&c);
}

static void test_copy(void **state)
{
	(void)state;
	struct state_task t, copy;
	make_task(&t, "arn:copy", 5, three, 3);
	assert_int_equal(state_task_copy(&t, &copy, NULL), 0);
	assert_task_equal(&t, &copy);
	assert_ptr_not_equal(t.arn, copy.arn);
	assert_ptr_not_equal(t.containers, copy.containers);
	assert_ptr_not_equal(t.containers[1].name, copy.containers[1].name);
	state_task_clear(&t);
	/* The copy owns its memory: still intact after the original is gone. */
	assert_string_equal(copy.containers[2].name, "sidecar");
	state_task_clear(&copy);
	state_task_clear(NULL);
	state_tasks_free(NULL, 0);
}

static void test_meta(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	char *v = (char *)"junk";

	assert_int_equal(state_meta_get(f->s, "instance_arn", &v, &err), -ENOENT);
	assert_null(v);
	assert_int_equal(state_meta_set(f->s, "instance_arn", "arn:one", NULL), 0);
	assert_int_equal(state_meta_set(f->s, "poll_version", "7", NULL), 0);
	assert_int_equal(state_meta_set(f->s, "instance_arn", "arn:two", NULL), 0);
	assert_int_equal(state_meta_get(f->s, "instance_arn", &v, NULL), 0);
	assert_string_equal(v, "arn:two");
	free(v);

	reopen(f);
	assert_int_equal(state_meta_get(f->s, "poll_version", &v, NULL), 0);
	assert_string_equal(v, "7");
	free(v);
	/* NULL forgets the fact. */
	assert_int_equal(state_meta_set(f->s, "poll_version", NULL, NULL), 0);
	assert_int_equal(state_meta_get(f->s, "poll_version", &v, NULL), -ENOENT);
	assert_null(v);
}

static void check_outbox_item(const struct state_outbox_item *it, const char *arn, uint64_t seq,
			      const char *payload)
{
	assert_string_equal(it->task_arn, arn);
	assert_true(it->sequence == seq);
	assert_int_equal(it->len, strlen(payload));
	assert_non_null(it->payload);
	assert_memory_equal(it->payload, payload, it->len);
}

static void test_outbox(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	static const struct {
		const char *arn;
		uint64_t seq;
		const char *payload;
	} items[] = {
		{ "arn:a", 1, "a1" }, { "arn:b", 1, "b1" }, { "arn:a", 2, "a2" },
		{ "arn:a", 3, "" },   { "arn:b", 2, "b2" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(items); i++)
		assert_int_equal(state_outbox_add(f->s, items[i].arn, items[i].seq,
						  (const uint8_t *)items[i].payload,
						  strlen(items[i].payload), &err),
				 0);
	size_t count = 0;
	assert_int_equal(state_outbox_count(f->s, &count, NULL), 0);
	assert_int_equal(count, 5);

	struct state_outbox_item *out = NULL;
	size_t n = 0;
	assert_int_equal(state_outbox_peek(f->s, 3, &out, &n, NULL), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		check_outbox_item(&out[i], items[i].arn, items[i].seq, items[i].payload);
		if (i)
			assert_true(out[i].id > out[i - 1].id);
	}
	int64_t last_id = out[2].id;
	state_outbox_items_free(out, n);

	/* An ack drops that task's items up to the sequence, nothing else. */
	assert_int_equal(state_outbox_ack(f->s, "arn:a", 2, NULL), 0);
	assert_int_equal(state_outbox_count(f->s, &count, NULL), 0);
	assert_int_equal(count, 3);
	assert_int_equal(state_outbox_peek(f->s, 10, &out, &n, NULL), 0);
	assert_int_equal(n, 3);
	check_outbox_item(&out[0], "arn:b", 1, "b1");
	check_outbox_item(&out[1], "arn:a", 3, "");
	check_outbox_item(&out[2], "arn:b", 2, "b2");
	int64_t max_id = out[2].id;
	state_outbox_items_free(out, n);
	assert_true(max_id > last_id);

	/* Acking everything then adding: ids keep growing (order survives an
	 * empty queue), and the queue survives a reopen. */
	assert_int_equal(state_outbox_ack(f->s, "arn:a", 3, NULL), 0);
	assert_int_equal(state_outbox_ack(f->s, "arn:b", 100, NULL), 0);
	assert_int_equal(state_outbox_ack(f->s, "arn:none", 1, NULL), 0);
	assert_int_equal(state_outbox_count(f->s, &count, NULL), 0);
	assert_int_equal(count, 0);
	assert_int_equal(state_outbox_add(f->s, "arn:c", 1, (const uint8_t *)"c", 1, NULL), 0);
	reopen(f);
	assert_int_equal(state_outbox_peek(f->s, 10, &out, &n, NULL), 0);
	assert_int_equal(n, 1);
	check_outbox_item(&out[0], "arn:c", 1, "c");
	assert_true(out[0].id > max_id);
	state_outbox_items_free(out, n);

	assert_int_equal(state_outbox_peek(f->s, 0, &out, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_null(out);
}

static bool meta_present(struct fixture *f, const char *key)
{
	char *v = NULL;
	int r = state_meta_get(f->s, key, &v, NULL);
	free(v);
	return r == 0;
}

static void test_nested_transactions(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };

	/* Only the outermost commit decides. */
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_meta_set(f->s, "a", "1", NULL), 0);
	assert_int_equal(state_commit(f->s, &err), 0);
	state_rollback(f->s);
	assert_false(meta_present(f, "a"));

	/* An inner rollback undoes the inner work only. */
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_meta_set(f->s, "outer", "1", NULL), 0);
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_meta_set(f->s, "inner", "1", NULL), 0);
	state_rollback(f->s);
	assert_int_equal(state_meta_set(f->s, "after", "1", NULL), 0);
	assert_int_equal(state_commit(f->s, &err), 0);
	assert_true(meta_present(f, "outer"));
	assert_false(meta_present(f, "inner"));
	assert_true(meta_present(f, "after"));

	/* state_task_put inside a caller's transaction joins it. */
	struct state_task t;
	make_task(&t, "arn:nested", 1, three, 2);
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_task_put(f->s, &t, &err), 0);
	assert_int_equal(state_outbox_add(f->s, t.arn, 1, (const uint8_t *)"x", 1, NULL), 0);
	state_rollback(f->s);
	struct state_task *tasks = NULL;
	size_t n = 0, count = 9;
	load(f, &tasks, &n);
	assert_int_equal(n, 0);
	assert_int_equal(state_outbox_count(f->s, &count, NULL), 0);
	assert_int_equal(count, 0);

	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_task_put(f->s, &t, &err), 0);
	assert_int_equal(state_outbox_add(f->s, t.arn, 1, (const uint8_t *)"x", 1, NULL), 0);
	assert_int_equal(state_commit(f->s, &err), 0);
	reopen(f);
	load(f, &tasks, &n);
	assert_int_equal(n, 1);
	assert_task_equal(&t, &tasks[0]);
	state_tasks_free(tasks, n);
	state_task_clear(&t);

	/* Unbalanced calls are errors or no-ops, not crashes. */
	assert_int_equal(state_commit(f->s, &err), -EINVAL);
	state_rollback(f->s);
	state_rollback(NULL);

	/* Closing with a transaction open discards it. */
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_meta_set(f->s, "dangling", "1", NULL), 0);
	reopen(f);
	assert_false(meta_present(f, "dangling"));
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
	struct fixture *f = *state;
	struct ecs_err err = { 0 };

	/* A durable commit syncs the WAL; a relaxed one does not. */
	unsigned before = syncs;
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_meta_set(f->s, "durable", "1", NULL), 0);
	assert_int_equal(state_commit(f->s, &err), 0);
	assert_true(syncs > before);
	before = syncs;
	assert_int_equal(state_begin_relaxed(f->s, &err), 0);
	assert_int_equal(state_meta_set(f->s, "relaxed", "1", NULL), 0);
	assert_int_equal(state_commit(f->s, &err), 0);
	assert_int_equal(syncs, before);
	/* ...and the setting does not stick: the next durable commit syncs. */
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_meta_set(f->s, "durable2", "1", NULL), 0);
	assert_int_equal(state_commit(f->s, &err), 0);
	assert_true(syncs > before);

	/* A task put on its own is relaxed; inside a durable transaction it
	 * is as durable as that one. */
	struct state_task t;
	make_task(&t, "arn:relaxed", 1, three, 2);
	before = syncs;
	assert_int_equal(state_task_put(f->s, &t, &err), 0);
	assert_int_equal(syncs, before);
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_task_put(f->s, &t, &err), 0);
	assert_int_equal(state_outbox_add(f->s, t.arn, 1, (const uint8_t *)"x", 1, NULL), 0);
	assert_int_equal(state_commit(f->s, &err), 0);
	assert_true(syncs > before);
	before = syncs;
	assert_int_equal(state_outbox_ack(f->s, t.arn, 1, &err), 0);
	assert_int_equal(syncs, before);

	/* A durable write cannot hide inside a relaxed transaction; a rollback
	 * ends the relaxed one like a commit does. */
	assert_int_equal(state_begin_relaxed(f->s, &err), 0);
	assert_int_equal(state_begin_relaxed(f->s, &err), 0);
	assert_int_equal(state_commit(f->s, &err), 0);
	assert_int_equal(state_begin(f->s, &err), -EINVAL);
	state_rollback(f->s);
	before = syncs;
	assert_int_equal(state_begin(f->s, &err), 0);
	assert_int_equal(state_meta_set(f->s, "durable3", "1", NULL), 0);
	assert_int_equal(state_commit(f->s, &err), 0);
	assert_true(syncs > before);

	/* Relaxed commits survive closing and reopening (and kill -9: the
	 * crash test below commits its task put relaxed). */
	reopen(f);
	assert_true(meta_present(f, "relaxed"));
	struct state_task *tasks = NULL;
	size_t n = 0, count = 9;
	load(f, &tasks, &n);
	assert_int_equal(n, 1);
	assert_task_equal(&t, &tasks[0]);
	state_tasks_free(tasks, n);
	state_task_clear(&t);
	assert_int_equal(state_outbox_count(f->s, &count, NULL), 0);
	assert_int_equal(count, 0);
}

/*
 * The crash test: a child commits, tells the parent, and is killed with
 * SIGKILL before it can close anything. The reopened database has what was
 * committed and nothing of what was not.
 */
static void crash_child(const char *dir, int fd, bool commit)
{
	struct state *s = NULL;
	struct state_task t;
	if (state_open(dir, &s, NULL) < 0)
		_exit(2);
	make_task(&t, commit ? "arn:committed" : "arn:uncommitted", 1, three, 3);
	if (!commit && state_begin(s, NULL) < 0)
		_exit(3);
	if (state_task_put(s, &t, NULL) < 0 ||
	    state_outbox_add(s, t.arn, 5, (const uint8_t *)"p", 1, NULL) < 0)
		_exit(4);
	if (write(fd, "x", 1) != 1)
		_exit(5);
	for (;;)
		pause();
}

static void run_crash_child(struct fixture *f, bool commit)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		crash_child(f->dir, p[1], commit);
	}
	close(p[1]);
	char c = 0;
	ssize_t got = read(p[0], &c, 1);
	close(p[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(got, 1);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_sigkill_after_commit(void **state)
{
	struct fixture *f = *state;
	state_close(f->s);
	f->s = NULL;

	run_crash_child(f, true);
	run_crash_child(f, false);

	reopen(f);
	struct state_task *tasks = NULL, expect;
	size_t n = 0, count = 0;
	load(f, &tasks, &n);
	assert_int_equal(n, 1);
	make_task(&expect, "arn:committed", 1, three, 3);
	assert_task_equal(&expect, &tasks[0]);
	state_task_clear(&expect);
	state_tasks_free(tasks, n);
	assert_int_equal(state_outbox_count(f->s, &count, NULL), 0);
	assert_int_equal(count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_mode_and_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_tightens_mode, setup, teardown),
		cmocka_unit_test(test_open_missing_dir),
		cmocka_unit_test_setup_teardown(test_open_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_load_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_drops_vanished_containers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_failure_keeps_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_order, setup, teardown),
		cmocka_unit_test(test_copy),
		cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relaxed_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_after_commit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
