/* SPDX-License-Identifier: Apache-2.0 */
/* Store: the secrets table (Secrets Manager). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "store-secrets.h"

#define COLUMNS                                                                        \
	"id, name, arn, description, secret_string, version_id, created_ms, changed_ms," \
	" deleted_ms, deletion_ms"

void store_secret_clear(struct store_secret *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->arn);
	free(s->description);
	free(s->secret_string);
	free(s->version_id);
	memset(s, 0, sizeof(*s));
}

void store_secret_list_clear(struct store_secret_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		store_secret_clear(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int read_row(sqlite3_stmt *st, struct store_secret *out, struct ecs_err *err)
{
	bool oom = false;
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	out->name = store_column_text(st, 1, &oom);
	out->arn = store_column_text(st, 2, &oom);
	out->description = store_column_text(st, 3, &oom);
	out->secret_string = store_column_text(st, 4, &oom);
	out->version_id = store_column_text(st, 5, &oom);
	out->created_ms = sqlite3_column_int64(st, 6);
	out->changed_ms = sqlite3_column_int64(st, 7);
	out->deleted_ms = sqlite3_column_int64(st, 8);
	out->deletion_ms = sqlite3_column_int64(st, 9);
	if (oom) {
		store_secret_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int store_secret_find(struct store *s, const char *ref, struct store_secret *out,
		      struct ecs_err *err)
{
	/* A partial ARN is the full one without "-" and the 6 random
	 * characters Secrets Manager appends to the name. */
	static const char sql[] =
		"SELECT " COLUMNS " FROM secrets WHERE arn = ?1 OR name = ?1"
		" OR (substr(?1, 1, 4) = 'arn:' AND substr(arn, 1, length(arn) - 7) = ?1)"
		" ORDER BY arn = ?1 DESC, name = ?1 DESC LIMIT 1";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int r;
	if (rc == SQLITE_ROW)
		r = read_row(st, out, err);
	else if (rc == SQLITE_DONE)
		r = err_set(err, ENOENT, "no secret %s", ref);
	else
		r = store_fail(s, err, "reading secret");
	sqlite3_reset(st);
	return r;
}

int store_secret_insert(struct store *s, const struct store_secret *sec, int64_t *id,
			struct ecs_err *err)
{
	static const char exists[] = "SELECT 1 FROM secrets WHERE name = ?1";
	static const char sql[] =
		"INSERT INTO secrets (name, arn, description, secret_string, version_id,"
		" created_ms, changed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";
	sqlite3_stmt *st = store_stmt(s, exists, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, sec->name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return err_set(err, EEXIST, "secret %s exists", sec->name);
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "reading secret");

	if (!(st = store_stmt(s, sql, err)))
		return -EIO;
	sqlite3_bind_text(st, 1, sec->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sec->arn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sec->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sec->secret_string, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sec->version_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, sec->created_ms);
	int r = store_step_done(s, st, err, "inserting secret");
	if (r < 0)
		return r;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_secret_put_value(struct store *s, int64_t id, const char *secret_string,
			   const char *version_id, int64_t now_ms, struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE secrets SET secret_string = ?2, version_id = ?3, changed_ms = ?4"
		" WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, secret_string, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, version_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	return store_step_done(s, st, err, "updating secret");
}

int store_secret_mark_deleted(struct store *s, int64_t id, int64_t now_ms, int64_t deletion_ms,
			      struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE secrets SET deleted_ms = ?2, deletion_ms = ?3, changed_ms = ?2 WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int64(st, 3, deletion_ms);
	return store_step_done(s, st, err, "marking secret deleted");
}

int store_secret_restore(struct store *s, int64_t id, int64_t now_ms, struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE secrets SET deleted_ms = NULL, deletion_ms = NULL, changed_ms = ?2"
		" WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	return store_step_done(s, st, err, "restoring secret");
}

int store_secret_delete(struct store *s, int64_t id, struct ecs_err *err)
{
	static const char sql[] = "DELETE FROM secrets WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return store_step_done(s, st, err, "deleting secret");
}

int store_secret_purge(struct store *s, int64_t now_ms, struct ecs_err *err)
{
	static const char sql[] =
		"DELETE FROM secrets WHERE deleted_ms IS NOT NULL AND deletion_ms <= ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_ms);
	return store_step_done(s, st, err, "purging secrets");
}

int store_secret_list(struct store *s, const char *after, size_t limit, bool include_deleted,
		      struct store_secret_list *out, bool *more, struct ecs_err *err)
{
	static const char sql[] =
		"SELECT " COLUMNS " FROM secrets WHERE (?1 IS NULL OR name > ?1)"
		" AND (?2 OR deleted_ms IS NULL) ORDER BY name LIMIT ?3";
	memset(out, 0, sizeof(*out));
	*more = false;
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, include_deleted);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit + 1);
	out->items = calloc(limit + 1, sizeof(*out->items));
	if (!out->items) {
		sqlite3_reset(st);
		return err_set(err, ENOMEM, "out of memory");
	}
	int r = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == limit) {
			*more = true;
			break;
		}
		if ((r = read_row(st, &out->items[out->n], err)) < 0)
			break;
		out->n++;
	}
	if (r >= 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_fail(s, err, "listing secrets");
	sqlite3_reset(st);
	if (r < 0)
		store_secret_list_clear(out);
	return r;
}
