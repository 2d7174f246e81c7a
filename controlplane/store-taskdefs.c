/* SPDX-License-Identifier: Apache-2.0 */
/* Store: the task_definitions table. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "store-taskdefs.h"

#define TASKDEF_COLUMNS \
	"id, family, revision, arn, status, body, registered_ms, deregistered_ms"

void store_taskdef_clear(struct store_taskdef *td)
{
	if (!td)
		return;
	free(td->family);
	free(td->arn);
	free(td->status);
	free(td->body);
	memset(td, 0, sizeof(*td));
}

/* Run a statement selecting TASKDEF_COLUMNS that yields at most one row. */
static int read_one(struct store *s, sqlite3_stmt *st, struct store_taskdef *out,
		    struct ecs_err *err, const char *what)
{
	memset(out, 0, sizeof(*out));
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(err, ENOENT, "%s: no such task definition", what);
	}
	if (rc != SQLITE_ROW) {
		int r = store_fail(s, err, what);
		sqlite3_reset(st);
		return r;
	}
	bool oom = false;
	out->id = sqlite3_column_int64(st, 0);
	out->family = store_column_text(st, 1, &oom);
	out->revision = sqlite3_column_int64(st, 2);
	out->arn = store_column_text(st, 3, &oom);
	out->status = store_column_text(st, 4, &oom);
	out->body = store_column_text(st, 5, &oom);
	out->registered_ms = sqlite3_column_int64(st, 6);
	out->deregistered_ms = sqlite3_column_int64(st, 7); /* NULL reads as 0 */
	sqlite3_reset(st);
	if (oom) {
		store_taskdef_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int store_taskdef_next_revision(struct store *s, const char *family, int64_t *out,
				struct ecs_err *err)
{
	static const char sql[] =
		"SELECT coalesce(max(revision), 0) + 1 FROM task_definitions WHERE family = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int r = store_fail(s, err, "reading last revision");
		sqlite3_reset(st);
		return r;
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int store_taskdef_insert(struct store *s, const struct store_taskdef *td, int64_t *id,
			 struct ecs_err *err)
{
	static const char sql[] =
		"INSERT INTO task_definitions (family, revision, arn, status, body, registered_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, td->family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, td->revision);
	sqlite3_bind_text(st, 3, td->arn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, td->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, td->body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, td->registered_ms);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		sqlite3_reset(st);
		return err_set(err, EEXIST, "task definition %s already exists", td->arn);
	}
	if (rc != SQLITE_DONE) {
		int r = store_fail(s, err, "writing task definition");
		sqlite3_reset(st);
		return r;
	}
	sqlite3_reset(st);
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_taskdef_get(struct store *s, const char *family, int64_t revision,
		      struct store_taskdef *out, struct ecs_err *err)
{
	static const char sql[] = "SELECT " TASKDEF_COLUMNS
				  " FROM task_definitions WHERE family = ?1 AND revision = ?2";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, revision);
	return read_one(s, st, out, err, "reading task definition");
}

int store_taskdef_get_by_id(struct store *s, int64_t id, struct store_taskdef *out,
			    struct ecs_err *err)
{
	static const char sql[] = "SELECT " TASKDEF_COLUMNS " FROM task_definitions WHERE id = ?1";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return read_one(s, st, out, err, "reading task definition");
}

int store_taskdef_latest_active(struct store *s, const char *family, struct store_taskdef *out,
				struct ecs_err *err)
{
	static const char sql[] = "SELECT " TASKDEF_COLUMNS
				  " FROM task_definitions WHERE status = 'ACTIVE' AND family = ?1"
				  " ORDER BY revision DESC LIMIT 1";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	return read_one(s, st, out, err, "reading latest task definition");
}

int store_taskdef_deregister(struct store *s, int64_t id, const char *body, int64_t when_ms,
			     struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE task_definitions SET status = 'INACTIVE', body = ?2, deregistered_ms = ?3"
		" WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, when_ms);
	int r = store_step_done(s, st, err, "deregistering task definition");
	if (r < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return err_set(err, ENOENT, "task definition %lld not found", (long long)id);
	return 0;
}

int store_taskdef_list(struct store *s, const struct store_taskdef_page *q,
		       struct store_strv *out, bool *more, struct ecs_err *err)
{
	/* Row values compare (family, revision) pairs in one step; ?3 NULL
	 * means "from the start". */
	static const char asc[] =
		"SELECT arn FROM task_definitions WHERE status = ?1"
		" AND (?2 IS NULL OR family = ?2)"
		" AND (?3 IS NULL OR (family, revision) > (?3, ?4))"
		" ORDER BY family, revision LIMIT ?5";
	static const char desc[] =
		"SELECT arn FROM task_definitions WHERE status = ?1"
		" AND (?2 IS NULL OR family = ?2)"
		" AND (?3 IS NULL OR (family, revision) < (?3, ?4))"
		" ORDER BY family DESC, revision DESC LIMIT ?5";
	memset(out, 0, sizeof(*out));
	*more = false;
	sqlite3_stmt *st = store_stmt(s, q->descending ? desc : asc, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, q->status, -1, SQLITE_STATIC);
	if (q->family)
		sqlite3_bind_text(st, 2, q->family, -1, SQLITE_STATIC);
	if (q->after_family)
		sqlite3_bind_text(st, 3, q->after_family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, q->after_revision);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)q->limit + 1);
	return store_collect_strv(s, st, q->limit, out, more, err, "listing task definitions");
}

int store_taskdef_families(struct store *s, const char *prefix, enum store_family_filter filter,
			   const char *after, size_t limit, struct store_strv *out, bool *more,
			   struct ecs_err *err)
{
	/* substr() rather than LIKE: LIKE ignores ASCII case and treats % and
	 * _ (a legal family character) as wildcards. */
	static const char sql[] =
		"SELECT family FROM task_definitions"
		" WHERE family > ?2 AND substr(family, 1, length(?1)) = ?1"
		" GROUP BY family"
		" HAVING ?3 = 2 OR (max(status = 'ACTIVE') = 1) = (?3 = 0)"
		" ORDER BY family LIMIT ?4";
	memset(out, 0, sizeof(*out));
	*more = false;
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, prefix ? prefix : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, after ? after : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, filter == STORE_FAMILIES_ACTIVE     ? 0
				: filter == STORE_FAMILIES_INACTIVE ? 1
								    : 2);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)limit + 1);
	return store_collect_strv(s, st, limit, out, more, err, "listing task definition families");
}
