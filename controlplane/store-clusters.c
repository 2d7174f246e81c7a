/* SPDX-License-Identifier: Apache-2.0 */
/* Store: the clusters and cluster_settings tables. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

void store_cluster_clear(struct store_cluster *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->arn);
	free(c->status);
	free(c->configuration);
	memset(c, 0, sizeof(*c));
}

int store_cluster_get(struct store *s, const char *arn, struct store_cluster *out,
		      struct ecs_err *err)
{
	static const char sql[] =
		"SELECT id, name, arn, status, configuration, created_ms FROM clusters WHERE arn = ?1";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(err, ENOENT, "cluster %s not found", arn);
	}
	if (rc != SQLITE_ROW) {
		int r = store_fail(s, err, "reading cluster");
		sqlite3_reset(st);
		return r;
	}
	bool oom = false;
	out->id = sqlite3_column_int64(st, 0);
	out->name = store_column_text(st, 1, &oom);
	out->arn = store_column_text(st, 2, &oom);
	out->status = store_column_text(st, 3, &oom);
	out->configuration = store_column_text(st, 4, &oom);
	out->created_ms = sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	if (oom) {
		store_cluster_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int store_cluster_activate(struct store *s, const struct store_cluster *c, int64_t *id,
			   struct ecs_err *err)
{
	/* A deleted (INACTIVE) cluster keeps its row and ARN; creating it again
	 * brings it back, as ECS does. */
	static const char sql[] =
		"INSERT INTO clusters (name, arn, status, configuration, created_ms)"
		" VALUES (?1, ?2, 'ACTIVE', ?3, ?4)"
		" ON CONFLICT (arn) DO UPDATE SET status = 'ACTIVE',"
		"   configuration = excluded.configuration, created_ms = excluded.created_ms"
		"   WHERE status = 'INACTIVE'"
		" RETURNING id";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->arn, -1, SQLITE_STATIC);
	if (c->configuration)
		sqlite3_bind_text(st, 3, c->configuration, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->created_ms);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	} else if (rc == SQLITE_DONE) {
		/* The WHERE of the upsert left an ACTIVE row alone. */
		sqlite3_reset(st);
		return err_set(err, EEXIST, "cluster %s is already active", c->arn);
	}
	if (rc != SQLITE_DONE) {
		int r = store_fail(s, err, "writing cluster");
		sqlite3_reset(st);
		return r;
	}
	sqlite3_reset(st);
	return 0;
}

int store_cluster_set_status(struct store *s, int64_t id, const char *status,
			     struct ecs_err *err)
{
	static const char sql[] = "UPDATE clusters SET status = ?2 WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	int r = store_step_done(s, st, err, "updating cluster status");
	if (r < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return err_set(err, ENOENT, "cluster %lld not found", (long long)id);
	return 0;
}

int store_cluster_list(struct store *s, const char *after, size_t limit,
		       struct store_strv *out, bool *more, struct ecs_err *err)
{
	static const char sql[] =
		"SELECT arn FROM clusters WHERE status = 'ACTIVE' AND arn > ?1"
		" ORDER BY arn LIMIT ?2";
	memset(out, 0, sizeof(*out));
	*more = false;
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_STATIC);
	/* One extra row tells whether there is a next page. */
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit + 1);

	return store_collect_strv(s, st, limit, out, more, err, "listing clusters");
}

int store_cluster_settings_get(struct store *s, int64_t id, struct store_kv_list *out,
			       struct ecs_err *err)
{
	static const char sql[] =
		"SELECT name, value FROM cluster_settings WHERE cluster_id = ?1 ORDER BY name";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return store_collect_kv(s, st, out, err, "reading cluster settings");
}

int store_cluster_settings_set(struct store *s, int64_t id, const struct store_kv *items,
			       size_t n, struct ecs_err *err)
{
	static const char del[] = "DELETE FROM cluster_settings WHERE cluster_id = ?1";
	static const char ins[] =
		"INSERT OR REPLACE INTO cluster_settings (cluster_id, name, value) VALUES (?1, ?2, ?3)";
	sqlite3_stmt *st = store_stmt(s, del, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	int r = store_step_done(s, st, err, "clearing cluster settings");
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		st = store_stmt(s, ins, err);
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, items[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, items[i].value, -1, SQLITE_STATIC);
		r = store_step_done(s, st, err, "writing cluster setting");
		if (r < 0)
			return r;
	}
	return 0;
}

int store_cluster_counts(struct store *s, int64_t id, struct store_cluster_counts *out,
			 struct ecs_err *err)
{
	/* Instances that are ACTIVE or DRAINING are registered; tasks count by
	 * their lastStatus: RUNNING, STOPPING and DEACTIVATING are running (they
	 * still hold their instance), the states before RUNNING pending. There
	 * are no services yet. */
	static const char sql[] =
		"SELECT (SELECT COUNT(*) FROM container_instances"
		"   WHERE cluster_id = ?1 AND status IN ('ACTIVE', 'DRAINING')),"
		" (SELECT COUNT(*) FROM tasks WHERE cluster_id = ?1"
		"   AND last_status IN ('RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING')),"
		" (SELECT COUNT(*) FROM tasks WHERE cluster_id = ?1"
		"   AND last_status IN ('PROVISIONING', 'PENDING', 'ACTIVATING'))";
	*out = (struct store_cluster_counts){ 0 };
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->registered_instances = sqlite3_column_int64(st, 0);
		out->running_tasks = sqlite3_column_int64(st, 1);
		out->pending_tasks = sqlite3_column_int64(st, 2);
	}
	int r = rc == SQLITE_ROW ? 0 : store_fail(s, err, "counting cluster contents");
	sqlite3_reset(st);
	return r;
}
