/* SPDX-License-Identifier: Apache-2.0 */
/* Crash-safe agent state in SQLite: opening, migrations, nested transactions,
 * the statement cache and binding helpers, meta facts. Tasks are in
 * state-tasks.c, the outbox in state-outbox.c. */
#include "autoconf.h"

#include "state-internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db-errno.h"
#include "log.h"

/* Fill `err` from the database's last error. Returns the negative errno to
 * return (-EBUSY, -ENOSPC, -ENOMEM...). */
int state_fail(struct state *s, struct ecs_err *err, const char *what)
{
	int rc = s->db ? sqlite3_errcode(s->db) : SQLITE_ERROR;
	int code = db_errno(rc);
	return err_set(err, code, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : "no database");
}

/* A cached statement for `sql` (a string with static lifetime, cached by
 * address), reset and with its bindings cleared. */
int state_stmt(struct state *s, const char *sql, sqlite3_stmt **out, struct ecs_err *err)
{
	*out = NULL;
	for (size_t i = 0; i < s->n_stmts; i++) {
		if (s->stmts[i].sql == sql) {
			*out = s->stmts[i].stmt;
			sqlite3_reset(*out);
			sqlite3_clear_bindings(*out);
			return 0;
		}
	}
	struct state_stmt_entry *grown = realloc(s->stmts, (s->n_stmts + 1) * sizeof(*grown));
	if (!grown)
		return err_set(err, ENOMEM, "out of memory");
	s->stmts = grown;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return state_fail(s, err, "preparing statement");
	s->stmts[s->n_stmts++] = (struct state_stmt_entry){ .sql = sql, .stmt = st };
	*out = st;
	return 0;
}

/* Run a statement that returns no rows (or whose rows are not wanted). */
int state_step_done(struct state *s, sqlite3_stmt *st, struct ecs_err *err, const char *what)
{
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : state_fail(s, err, what);
	sqlite3_reset(st);
	return r;
}

static int run(struct state *s, const char *sql, struct ecs_err *err, const char *what)
{
	sqlite3_stmt *st;
	int r = state_stmt(s, sql, &st, err);
	if (r < 0)
		return r;
	return state_step_done(s, st, err, what);
}

static int exec(struct state *s, const char *sql, struct ecs_err *err, const char *what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return state_fail(s, err, what);
	return 0;
}

void state_bind_text(struct state_binder *b, const char *v)
{
	int rc = v ? sqlite3_bind_text(b->st, ++b->i, v, -1, SQLITE_STATIC)
		   : sqlite3_bind_null(b->st, ++b->i);
	if (b->rc == SQLITE_OK)
		b->rc = rc;
}

void state_bind_int(struct state_binder *b, int64_t v)
{
	int rc = sqlite3_bind_int64(b->st, ++b->i, v);
	if (b->rc == SQLITE_OK)
		b->rc = rc;
}

int state_bind_check(struct state_binder *b, struct ecs_err *err)
{
	if (b->rc == SQLITE_OK)
		return 0;
	return b->rc == SQLITE_NOMEM ? err_set(err, ENOMEM, "out of memory")
				     : err_set(err, EIO, "binding parameter: %s", sqlite3_errstr(b->rc));
}

char *state_col_text(struct state_reader *r)
{
	const unsigned char *t = sqlite3_column_text(r->st, r->col++);
	if (!t)
		return NULL;
	char *copy = strdup((const char *)t);
	if (!copy)
		r->oom = true;
	return copy;
}

int64_t state_col_int(struct state_reader *r)
{
	return sqlite3_column_int64(r->st, r->col++);
}

/* Transactions. An inner begin is a savepoint, so an inner rollback undoes
 * only the work since that begin; only the outermost commit makes anything
 * durable. */

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_savepoint[] = "SAVEPOINT nested";
static const char sql_release[] = "RELEASE nested";
static const char sql_rollback_to[] = "ROLLBACK TO nested";

static const char sql_sync_normal[] = "PRAGMA synchronous=NORMAL";
static const char sql_sync_full[] = "PRAGMA synchronous=FULL";

/* The setting is read at COMMIT but must be changed outside a transaction
 * (inside one, SQLite still syncs). */
static void end_relaxed(struct state *s)
{
	if (s->relaxed) {
		run(s, sql_sync_full, NULL, "restoring durability");
		s->relaxed = false;
	}
}

static int begin(struct state *s, bool relaxed, struct ecs_err *err)
{
	if (s->depth && s->relaxed && !relaxed)
		return err_set(err, EINVAL, "a durable write inside a relaxed transaction");
	if (!s->depth && relaxed) {
		int r = run(s, sql_sync_normal, err, "relaxing durability");
		if (r < 0)
			return r;
		s->relaxed = true;
	}
	int r = run(s, s->depth ? sql_savepoint : sql_begin, err, "beginning transaction");
	if (r < 0) {
		if (!s->depth)
			end_relaxed(s);
		return r;
	}
	s->depth++;
	return 0;
}

int state_begin(struct state *s, struct ecs_err *err)
{
	return begin(s, false, err);
}

int state_begin_relaxed(struct state *s, struct ecs_err *err)
{
	return begin(s, true, err);
}

int state_commit(struct state *s, struct ecs_err *err)
{
	if (s->depth == 0)
		return err_set(err, EINVAL, "no transaction is open");
	if (s->depth > 1) {
		int r = run(s, sql_release, err, "committing nested transaction");
		if (r < 0) {
			state_rollback(s);
			return r;
		}
		s->depth--;
		return 0;
	}
	int r = run(s, sql_commit, err, "committing transaction");
	if (r < 0) {
		/* A failed COMMIT (busy, disk full) leaves the transaction open;
		 * an I/O error may already have rolled it back. */
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->depth = 0;
		end_relaxed(s);
		return r;
	}
	s->depth = 0;
	end_relaxed(s);
	return 0;
}

void state_rollback(struct state *s)
{
	if (!s || s->depth == 0)
		return;
	if (s->depth > 1) {
		if (run(s, sql_rollback_to, NULL, "rolling back") == 0 &&
		    run(s, sql_release, NULL, "rolling back") == 0) {
			s->depth--;
			return;
		}
		/* A savepoint that cannot be undone poisons the whole
		 * transaction: drop all of it. Outer levels will fail to
		 * commit with "no transaction is open". */
	}
	if (run(s, sql_rollback, NULL, "rolling back") < 0 && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->depth = 0;
	end_relaxed(s);
}

/* Opening */

static int schema_version(struct state *s, struct ecs_err *err)
{
	static const char sql[] = "SELECT version FROM schema_version";
	sqlite3_stmt *st;
	int r = state_stmt(s, sql, &st, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	int version = 0;
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE)
		version = state_fail(s, err, "reading schema version");
	sqlite3_reset(st);
	return version;
}

static int migrate(struct state *s, struct ecs_err *err)
{
	static const char sql_set_version[] =
		"INSERT OR REPLACE INTO schema_version (one, version) VALUES (1, ?)";
	int r = exec(s,
		     "CREATE TABLE IF NOT EXISTS schema_version ("
		     "  one INTEGER PRIMARY KEY CHECK (one = 1),"
		     "  version INTEGER NOT NULL)",
		     err, "creating schema_version");
	if (r < 0)
		return r;

	/* Each step commits on its own and reads the version inside its
	 * transaction, so an interrupted upgrade resumes where it stopped. */
	for (;;) {
		r = state_begin(s, err);
		if (r < 0)
			return r;
		int version = schema_version(s, err);
		if (version < 0 || (size_t)version >= state_n_migrations) {
			state_rollback(s);
			if (version < 0)
				return version;
			if ((size_t)version > state_n_migrations)
				return err_set(err, EPROTO,
					       "schema version %d is newer than this agent supports (%zu)",
					       version, state_n_migrations);
			return 0;
		}
		r = exec(s, state_migrations[version], err, "migrating schema");
		if (r >= 0) {
			sqlite3_stmt *st;
			r = state_stmt(s, sql_set_version, &st, err);
			if (r >= 0) {
				sqlite3_bind_int(st, 1, version + 1);
				r = state_step_done(s, st, err, "recording schema version");
			}
		}
		if (r >= 0)
			r = state_commit(s, err);
		if (r < 0) {
			state_rollback(s);
			return err && err->code ? err_wrap(err, "schema version %d", version + 1) : r;
		}
		log_debug("State database migrated to schema version %d", version + 1);
	}
}

/* A damaged file is reported at startup, naming it, rather than as odd
 * failures later. The database is small: checking it costs milliseconds. */
static int quick_check(struct state *s, struct ecs_err *err)
{
	static const char sql[] = "PRAGMA quick_check(1)";
	sqlite3_stmt *st;
	int r = state_stmt(s, sql, &st, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	r = 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = state_fail(s, err, "checking database");
	else if (rc == SQLITE_ROW) {
		const char *verdict = (const char *)sqlite3_column_text(st, 0);
		if (verdict && strcmp(verdict, "ok") != 0)
			r = err_set(err, EIO, "database is corrupt: %s", verdict);
	}
	sqlite3_reset(st);
	return r;
}

/* The database holds the instance's token: create it private, and tighten a
 * file that was created otherwise. SQLite gives the -wal and -shm files the
 * mode of the database file. */
static int create_private(const char *path, struct ecs_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set_errno(err, errno, "creating");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_set_errno(err, errno, "stat");
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, "not a regular file");
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
		return err_set_errno(err, errno, "chmod");
	return 0;
}

static int open_db(struct state *s, struct ecs_err *err)
{
	int r = create_private(s->path, err);
	if (r < 0)
		return r;

	/* One thread uses the handle, so SQLite's own mutexes are not needed. */
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		return state_fail(s, err, "opening");
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);

	/* WAL with FULL sync: a commit is on disk when state_commit() returns,
	 * and a kill -9 at any instant leaves the last commit intact (relaxed
	 * transactions: state.h). The first statement reads the header: a file
	 * that is not a database fails here. */
	r = exec(s,
		 "PRAGMA journal_mode=WAL;"
		 "PRAGMA synchronous=FULL;"
		 "PRAGMA foreign_keys=ON;",
		 err, "setting up");
	if (r >= 0)
		r = quick_check(s, err);
	if (r >= 0)
		r = migrate(s, err);
	return r;
}

int state_open(const char *datadir, struct state **out, struct ecs_err *err)
{
	*out = NULL;
	_cleanup_(state_closep) struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(err, ENOMEM, "out of memory");
	if (asprintf(&s->path, "%s/state.db", datadir) < 0) {
		s->path = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	int r = open_db(s, err);
	if (r < 0)
		return err && err->code ? err_wrap(err, "state database %s", s->path) : r;
	*out = TAKE_PTR(s);
	return 0;
}

void state_close(struct state *s)
{
	if (!s)
		return;
	if (s->depth) {
		s->depth = 1;
		state_rollback(s);
	}
	for (size_t i = 0; i < s->n_stmts; i++)
		sqlite3_finalize(s->stmts[i].stmt);
	free(s->stmts);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/* Meta */

int state_meta_get(struct state *s, const char *key, char **value, struct ecs_err *err)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?";
	*value = NULL;
	sqlite3_stmt *st;
	int r = state_stmt(s, sql, &st, err);
	if (r < 0)
		return r;
	struct state_binder b = { .st = st };
	state_bind_text(&b, key);
	r = state_bind_check(&b, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct state_reader rd = { .st = st };
		*value = state_col_text(&rd);
		if (rd.oom || !*value)
			r = err_set(err, ENOMEM, "out of memory");
	} else if (rc == SQLITE_DONE) {
		r = err_set(err, ENOENT, "no %s in the state database", key);
	} else {
		r = state_fail(s, err, "reading meta");
	}
	sqlite3_reset(st);
	return r;
}

int state_meta_set(struct state *s, const char *key, const char *value, struct ecs_err *err)
{
	static const char sql_set[] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)";
	static const char sql_del[] = "DELETE FROM meta WHERE key = ?";
	/* NULL value: forget the fact. */
	sqlite3_stmt *st;
	int r = state_stmt(s, value ? sql_set : sql_del, &st, err);
	if (r < 0)
		return r;
	struct state_binder b = { .st = st };
	state_bind_text(&b, key);
	if (value)
		state_bind_text(&b, value);
	r = state_bind_check(&b, err);
	if (r < 0)
		return r;
	r = state_step_done(s, st, err, "writing meta");
	return r < 0 ? STATE_WRAP(err, r, "%s", key) : 0;
}
