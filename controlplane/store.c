/* SPDX-License-Identifier: Apache-2.0 */
/* Store: opening, pragmas, schema migrations, transactions, statement cache. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "db-errno.h"
#include "store-internal.h"

int store_fail(struct store *s, struct ecs_err *err, const char *what)
{
	int rc = s && s->db ? sqlite3_errcode(s->db) : SQLITE_ERROR;
	int code = db_errno(rc);
	return err_set(err, code, "%s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : "no database");
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql, struct ecs_err *err)
{
	for (size_t i = 0; i < s->n_stmts; i++) {
		if (s->stmts[i].sql == sql) {
			sqlite3_stmt *st = s->stmts[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}

	struct store_stmt_cache_entry *grown =
		realloc(s->stmts, (s->n_stmts + 1) * sizeof(*s->stmts));
	if (!grown) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	s->stmts = grown;

	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		store_fail(s, err, "preparing statement");
		return NULL;
	}
	s->stmts[s->n_stmts++] = (struct store_stmt_cache_entry){ .sql = sql, .stmt = st };
	return st;
}

int store_step_done(struct store *s, sqlite3_stmt *st, struct ecs_err *err, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		int r = store_fail(s, err, what);
		sqlite3_reset(st);
		return r;
	}
	sqlite3_reset(st);
	return 0;
}

char *store_column_text(sqlite3_stmt *st, int col, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	if (!t)
		return NULL;
	char *copy = strdup((const char *)t);
	if (!copy)
		*oom = true;
	return copy;
}

static int exec(struct store *s, const char *sql, struct ecs_err *err, const char *what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(s, err, what);
	return 0;
}

/* BEGIN, COMMIT and ROLLBACK run on every request: prepared once, not
 * parsed each time as sqlite3_exec() would. */
static int txn_step(struct store *s, const char *sql, struct ecs_err *err, const char *what)
{
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	return store_step_done(s, st, err, what);
}

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

static const char sql_sync_normal[] = "PRAGMA synchronous=NORMAL";
static const char sql_sync_full[] = "PRAGMA synchronous=FULL";

/* synchronous is read at COMMIT but must be changed outside a transaction
 * (inside one, SQLite still syncs). */
static void end_relaxed(struct store *s)
{
	if (s->relaxed) {
		txn_step(s, sql_sync_full, NULL, "restoring durability");
		s->relaxed = false;
	}
}

static int begin(struct store *s, bool relaxed, struct ecs_err *err)
{
	if (s->in_txn)
		return err_set(err, EBUSY, "a transaction is already open");
	if (relaxed) {
		int r = txn_step(s, sql_sync_normal, err, "relaxing durability");
		if (r < 0)
			return r;
		s->relaxed = true;
	}
	int r = txn_step(s, sql_begin, err, "beginning transaction");
	if (r < 0) {
		end_relaxed(s);
		return r;
	}
	s->in_txn = true;
	return 0;
}

int store_begin(struct store *s, struct ecs_err *err)
{
	return begin(s, false, err);
}

int store_begin_relaxed(struct store *s, struct ecs_err *err)
{
	return begin(s, true, err);
}

int store_commit(struct store *s, struct ecs_err *err)
{
	if (!s->in_txn)
		return err_set(err, EINVAL, "no transaction is open");
	int r = txn_step(s, sql_commit, err, "committing transaction");
	if (r < 0) {
		store_rollback(s);
		return r;
	}
	s->in_txn = false;
	end_relaxed(s);
	return 0;
}

void store_rollback(struct store *s)
{
	if (!s || !s->in_txn)
		return;
	if (txn_step(s, sql_rollback, NULL, "rolling back") < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
	end_relaxed(s);
}

int store_schema_latest(void)
{
	return (int)store_n_migrations;
}

int store_schema_version(struct store *s, struct ecs_err *err)
{
	static const char sql[] = "SELECT version FROM schema_version";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return err_wrap(err, "reading schema version");
	int rc = sqlite3_step(st);
	int version = 0;
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE)
		version = store_fail(s, err, "reading schema version");
	sqlite3_reset(st);
	return version;
}

static int migrate(struct store *s, struct ecs_err *err)
{
	int r = exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
		     err, "creating schema_version");
	if (r < 0)
		return r;
	int version = store_schema_version(s, err);
	if (version < 0)
		return version;
	if ((size_t)version > store_n_migrations)
		return err_set(err, EPROTO,
			       "database schema version %d is newer than this binary supports (%zu)",
			       version, store_n_migrations);

	/* Each step commits on its own, so an interrupted upgrade resumes at the
	 * first step that did not finish. */
	for (size_t i = (size_t)version; i < store_n_migrations; i++) {
		r = store_begin(s, err);
		if (r < 0)
			return r;
		char bump[96];
		snprintf(bump, sizeof(bump),
			 "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%zu)", i + 1);
		r = exec(s, store_migrations[i], err, "migrating schema");
		if (r >= 0)
			r = exec(s, bump, err, "recording schema version");
		if (r >= 0)
			r = store_commit(s, err);
		if (r < 0) {
			store_rollback(s);
			return err_wrap(err, "schema version %zu", i + 1);
		}
	}
	return 0;
}

struct store *store_open(const char *path, struct ecs_err *err)
{
	_cleanup_(store_freep) struct store *s = calloc(1, sizeof(*s));
	if (!s) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	/* One thread uses a store (see store.h), so SQLite's per-call mutexes
	 * are pure cost: a few percent of a RunTask that reads every
	 * candidate instance. */
	int rc = sqlite3_open_v2(path, &s->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		store_fail(s, err, "opening database");
		err_wrap(err, "%s", path);
		return NULL;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);

	/* WAL lets readers (sqlite3 CLI, backups) look while we write; FULL sync
	 * makes every committed reply durable. An in-memory database answers
	 * "memory" to the journal_mode request, which is fine. */
	static const char pragmas[] =
		"PRAGMA journal_mode=WAL;"
		"PRAGMA synchronous=FULL;"
		"PRAGMA foreign_keys=ON;";
	if (exec(s, pragmas, err, "setting pragmas") < 0 || migrate(s, err) < 0) {
		err_wrap(err, "%s", path);
		return NULL;
	}
	return TAKE_PTR(s);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	store_rollback(s);
	for (size_t i = 0; i < s->n_stmts; i++)
		sqlite3_finalize(s->stmts[i].stmt);
	free(s->stmts);
	sqlite3_close(s->db);
	free(s);
}

void store_kv_list_clear(struct store_kv_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void store_strv_clear(struct store_strv *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->n = 0;
}

int store_collect_strv(struct store *s, sqlite3_stmt *st, size_t limit, struct store_strv *out,
		       bool *more, struct ecs_err *err, const char *what)
{
	int rc;
	bool oom = false;
	size_t cap = 0;
	*more = false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (limit && out->n == limit) {
			*more = true;
			break;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : limit ? limit : 16;
			char **grown = realloc(out->items, cap * sizeof(*grown));
			if (!grown) {
				oom = true;
				break;
			}
			out->items = grown;
		}
		out->items[out->n++] = store_column_text(st, 0, &oom);
	}
	int r = 0;
	if (oom)
		r = err_set(err, ENOMEM, "out of memory");
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_fail(s, err, what);
	sqlite3_reset(st);
	if (r < 0)
		store_strv_clear(out);
	return r;
}

int store_collect_kv(struct store *s, sqlite3_stmt *st, struct store_kv_list *out,
		     struct ecs_err *err, const char *what)
{
	int rc, r = 0;
	bool oom = false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_kv *grown = realloc(out->items, (out->n + 1) * sizeof(*grown));
		if (!grown) {
			oom = true;
			break;
		}
		out->items = grown;
		out->items[out->n].key = store_column_text(st, 0, &oom);
		out->items[out->n].value = store_column_text(st, 1, &oom);
		out->n++;
	}
	if (oom)
		r = err_set(err, ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		r = store_fail(s, err, what);
	sqlite3_reset(st);
	if (r < 0)
		store_kv_list_clear(out);
	return r;
}
