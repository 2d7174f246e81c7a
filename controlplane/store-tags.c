/* SPDX-License-Identifier: Apache-2.0 */
/* Store: the tags table, shared by every resource family (keyed by ARN). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

int store_tags_get(struct store *s, const char *arn, struct store_kv_list *out,
		   struct ecs_err *err)
{
	static const char sql[] =
		"SELECT key, value FROM tags WHERE resource_arn = ?1 ORDER BY rowid";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	return store_collect_kv(s, st, out, err, "reading tags");
}

int store_tags_put(struct store *s, const char *arn, const struct store_kv *tags, size_t n,
		   struct ecs_err *err)
{
	/* An upsert keeps the row (and its rowid, hence its position). */
	static const char sql[] =
		"INSERT INTO tags (resource_arn, key, value) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value";
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = store_stmt(s, sql, err);
		if (!st)
			return -EIO;
		sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, tags[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, tags[i].value, -1, SQLITE_STATIC);
		int r = store_step_done(s, st, err, "writing tag");
		if (r < 0)
			return r;
	}
	return 0;
}

int store_tags_delete(struct store *s, const char *arn, const char *const *keys, size_t n,
		      struct ecs_err *err)
{
	static const char sql[] = "DELETE FROM tags WHERE resource_arn = ?1 AND key = ?2";
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = store_stmt(s, sql, err);
		if (!st)
			return -EIO;
		sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, keys[i], -1, SQLITE_STATIC);
		int r = store_step_done(s, st, err, "deleting tag");
		if (r < 0)
			return r;
	}
	return 0;
}

int store_tags_clear(struct store *s, const char *arn, struct ecs_err *err)
{
	static const char sql[] = "DELETE FROM tags WHERE resource_arn = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	return store_step_done(s, st, err, "clearing tags");
}
