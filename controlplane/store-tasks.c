/* SPDX-License-Identifier: Apache-2.0 */
/* Store: the tasks and task_containers tables. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "store-tasks.h"

void store_task_clear(struct store_task *t)
{
	if (!t)
		return;
	char **strs[] = {
		&t->arn, &t->overrides, &t->started_by, &t->group_name, &t->launch_type,
		&t->last_status, &t->desired_status, &t->stop_code, &t->stopped_reason,
		&t->health_status, &t->host_ports, &t->attachments, &t->cluster_arn,
		&t->taskdef_arn, &t->instance_arn, &t->instance_az, &t->instance_arch,
	};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		free(*strs[i]);
	memset(t, 0, sizeof(*t));
}

static void container_clear(struct store_task_container *c)
{
	free(c->name);
	free(c->arn);
	free(c->image);
	free(c->image_digest);
	free(c->runtime_id);
	free(c->last_status);
	free(c->reason);
	free(c->health_status);
	free(c->network_bindings);
	memset(c, 0, sizeof(*c));
}

void store_task_container_list_clear(struct store_task_container_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		container_clear(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Timestamps and ids: 0 is stored as NULL. */
static void bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* Container integers: -1 is stored as NULL. */
static void bind_opt_neg(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static int64_t column_opt_neg(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, col);
}

static int insert_container(struct store *s, int64_t task_id, const struct store_task_container *c,
			    struct ecs_err *err)
{
	static const char sql[] =
		"INSERT INTO task_containers (task_id, name, arn, image, image_digest, runtime_id,"
		"  last_status, exit_code, reason, health_status, network_bindings, cpu, memory,"
		"  memory_reservation)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, task_id);
	bind_text(st, 2, c->name);
	bind_text(st, 3, c->arn);
	bind_text(st, 4, c->image);
	bind_text(st, 5, c->image_digest);
	bind_text(st, 6, c->runtime_id);
	bind_text(st, 7, c->last_status);
	if (c->has_exit_code)
		sqlite3_bind_int64(st, 8, c->exit_code);
	bind_text(st, 9, c->reason);
	bind_text(st, 10, c->health_status);
	bind_text(st, 11, c->network_bindings);
	bind_opt_neg(st, 12, c->cpu);
	bind_opt_neg(st, 13, c->memory);
	bind_opt_neg(st, 14, c->memory_reservation);
	return store_step_done(s, st, err, "writing task container");
}

int store_task_insert(struct store *s, const struct store_task *t,
		      const struct store_task_container *containers, size_t n_containers,
		      int64_t *id, struct ecs_err *err)
{
	static const char sql[] =
		"INSERT INTO tasks (arn, cluster_id, instance_id, taskdef_id, overrides, started_by,"
		"  group_name, launch_type, last_status, desired_status, stop_code, stopped_reason,"
		"  health_status, cpu, memory, host_ports, attachments, sequence, created_ms,"
		"  pull_started_ms, pull_stopped_ms, started_ms, stopping_ms, execution_stopped_ms,"
		"  stopped_ms, updated_ms, version, desired_version, enable_execute_command)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		"  ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)"
		" ON CONFLICT (arn) DO NOTHING RETURNING id";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	bind_text(st, 1, t->arn);
	sqlite3_bind_int64(st, 2, t->cluster_id);
	bind_opt(st, 3, t->instance_id);
	sqlite3_bind_int64(st, 4, t->taskdef_id);
	bind_text(st, 5, t->overrides);
	bind_text(st, 6, t->started_by);
	bind_text(st, 7, t->group_name);
	bind_text(st, 8, t->launch_type);
	bind_text(st, 9, t->last_status);
	bind_text(st, 10, t->desired_status);
	bind_text(st, 11, t->stop_code);
	bind_text(st, 12, t->stopped_reason);
	bind_text(st, 13, t->health_status);
	sqlite3_bind_int64(st, 14, t->cpu);
	sqlite3_bind_int64(st, 15, t->memory);
	bind_text(st, 16, t->host_ports);
	bind_text(st, 17, t->attachments);
	sqlite3_bind_int64(st, 18, t->sequence);
	sqlite3_bind_int64(st, 19, t->created_ms);
	bind_opt(st, 20, t->pull_started_ms);
	bind_opt(st, 21, t->pull_stopped_ms);
	bind_opt(st, 22, t->started_ms);
	bind_opt(st, 23, t->stopping_ms);
	bind_opt(st, 24, t->execution_stopped_ms);
	bind_opt(st, 25, t->stopped_ms);
	sqlite3_bind_int64(st, 26, t->updated_ms ? t->updated_ms : t->created_ms);
	sqlite3_bind_int64(st, 27, t->version ? t->version : 1);
	sqlite3_bind_int64(st, 28, t->desired_version);
	sqlite3_bind_int(st, 29, t->enable_execute_command);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(err, EEXIST, "task %s exists", t->arn);
	}
	if (rc != SQLITE_DONE) {
		int r = store_fail(s, err, "writing task");
		sqlite3_reset(st);
		return r;
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < n_containers; i++) {
		int r = insert_container(s, *id, &containers[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_task_get(struct store *s, const char *arn, struct store_task *out,
		   struct ecs_err *err)
{
	static const char sql[] =
		"SELECT t.id, t.arn, t.cluster_id, t.instance_id, t.taskdef_id, t.overrides,"
		"  t.started_by, t.group_name, t.launch_type, t.last_status, t.desired_status,"
		"  t.stop_code, t.stopped_reason, t.health_status, t.cpu, t.memory, t.host_ports,"
		"  t.attachments, t.sequence, t.version, t.desired_version,"
		"  t.enable_execute_command, t.created_ms, t.pull_started_ms, t.pull_stopped_ms,"
		"  t.started_ms, t.stopping_ms, t.execution_stopped_ms, t.stopped_ms, t.updated_ms,"
		"  c.arn, d.arn, i.arn,"
		/* what DescribeTasks shows of the instance: two primary-key
		 * lookups rather than reading all its attributes */
		"  (SELECT value FROM attributes a WHERE a.cluster_id = t.cluster_id"
		"    AND a.target_id = i.arn AND a.name = 'ecs.availability-zone'),"
		"  (SELECT value FROM attributes a WHERE a.cluster_id = t.cluster_id"
		"    AND a.target_id = i.arn AND a.name = 'ecs.cpu-architecture')"
		" FROM tasks t JOIN clusters c ON c.id = t.cluster_id"
		"  JOIN task_definitions d ON d.id = t.taskdef_id"
		"  LEFT JOIN container_instances i ON i.id = t.instance_id"
		" WHERE t.arn = ?1";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(err, ENOENT, "task %s not found", arn);
	}
	if (rc != SQLITE_ROW) {
		int r = store_fail(s, err, "reading task");
		sqlite3_reset(st);
		return r;
	}
	bool oom = false;
	int k = 0;
	out->id = sqlite3_column_int64(st, k++);
	out->arn = store_column_text(st, k++, &oom);
	out->cluster_id = sqlite3_column_int64(st, k++);
	out->instance_id = sqlite3_column_int64(st, k++);
	out->taskdef_id = sqlite3_column_int64(st, k++);
	out->overrides = store_column_text(st, k++, &oom);
	out->started_by = store_column_text(st, k++, &oom);
	out->group_name = store_column_text(st, k++, &oom);
	out->launch_type = store_column_text(st, k++, &oom);
	out->last_status = store_column_text(st, k++, &oom);
	out->desired_status = store_column_text(st, k++, &oom);
	out->stop_code = store_column_text(st, k++, &oom);
	out->stopped_reason = store_column_text(st, k++, &oom);
	out->health_status = store_column_text(st, k++, &oom);
	out->cpu = sqlite3_column_int64(st, k++);
	out->memory = sqlite3_column_int64(st, k++);
	out->host_ports = store_column_text(st, k++, &oom);
	out->attachments = store_column_text(st, k++, &oom);
	out->sequence = sqlite3_column_int64(st, k++);
	out->version = sqlite3_column_int64(st, k++);
	out->desired_version = sqlite3_column_int64(st, k++);
	out->enable_execute_command = sqlite3_column_int(st, k++) != 0;
	int64_t *times[] = {
		&out->created_ms, &out->pull_started_ms, &out->pull_stopped_ms, &out->started_ms,
		&out->stopping_ms, &out->execution_stopped_ms, &out->stopped_ms, &out->updated_ms,
	};
	for (size_t i = 0; i < ARRAY_SIZE(times); i++)
		*times[i] = sqlite3_column_int64(st, k++);
	out->cluster_arn = store_column_text(st, k++, &oom);
	out->taskdef_arn = store_column_text(st, k++, &oom);
	out->instance_arn = store_column_text(st, k++, &oom);
	out->instance_az = store_column_text(st, k++, &oom);
	out->instance_arch = store_column_text(st, k++, &oom);
	sqlite3_reset(st);
	if (oom) {
		store_task_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int store_task_containers(struct store *s, int64_t task_id, struct store_task_container_list *out,
			  struct ecs_err *err)
{
	/* rowid: the order the containers were inserted in, the definition's. */
	static const char sql[] =
		"SELECT name, arn, image, image_digest, runtime_id, last_status, exit_code, reason,"
		"  health_status, network_bindings, cpu, memory, memory_reservation"
		" FROM task_containers WHERE task_id = ?1 ORDER BY rowid";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, task_id);
	int rc, r = 0;
	bool oom = false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_task_container *grown =
			realloc(out->items, (out->n + 1) * sizeof(*grown));
		if (!grown) {
			oom = true;
			break;
		}
		out->items = grown;
		struct store_task_container *c = &out->items[out->n++];
		memset(c, 0, sizeof(*c));
		c->name = store_column_text(st, 0, &oom);
		c->arn = store_column_text(st, 1, &oom);
		c->image = store_column_text(st, 2, &oom);
		c->image_digest = store_column_text(st, 3, &oom);
		c->runtime_id = store_column_text(st, 4, &oom);
		c->last_status = store_column_text(st, 5, &oom);
		c->has_exit_code = sqlite3_column_type(st, 6) != SQLITE_NULL;
		c->exit_code = column_opt_neg(st, 6);
		c->reason = store_column_text(st, 7, &oom);
		c->health_status = store_column_text(st, 8, &oom);
		c->network_bindings = store_column_text(st, 9, &oom);
		c->cpu = column_opt_neg(st, 10);
		c->memory = column_opt_neg(st, 11);
		c->memory_reservation = column_opt_neg(st, 12);
	}
	if (oom)
		r = err_set(err, ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		r = store_fail(s, err, "reading task containers");
	sqlite3_reset(st);
	if (r < 0)
		store_task_container_list_clear(out);
	return r;
}

int store_task_stop(struct store *s, int64_t id, const char *reason, const char *stop_code,
		    int64_t now_ms, struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE tasks SET desired_status = 'STOPPED', stopped_reason = ?2, stop_code = ?3,"
		"  stopping_ms = COALESCE(stopping_ms, ?4), updated_ms = ?4, version = version + 1,"
		"  desired_version = COALESCE((SELECT desired_version FROM container_instances"
		"    WHERE id = tasks.instance_id), desired_version)"
		" WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, reason);
	bind_text(st, 3, stop_code);
	sqlite3_bind_int64(st, 4, now_ms);
	int r = store_step_done(s, st, err, "stopping task");
	if (r < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return err_set(err, ENOENT, "task %lld not found", (long long)id);
	return 0;
}

int store_task_mark_desired(struct store *s, int64_t id, struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE tasks SET desired_version = COALESCE((SELECT desired_version"
		"  FROM container_instances WHERE id = tasks.instance_id), desired_version)"
		" WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return store_step_done(s, st, err, "recording task desired version");
}

int store_task_list(struct store *s, const struct store_task_filter *f, const char *after,
		    size_t limit, struct store_strv *out, bool *more, struct ecs_err *err)
{
	/* One statement with optional filters: ?N IS NULL turns a filter off. */
	static const char sql[] =
		"SELECT t.arn FROM tasks t JOIN task_definitions d ON d.id = t.taskdef_id"
		" WHERE t.cluster_id = ?1 AND t.desired_status = ?2 AND t.arn > ?3"
		"  AND (?4 IS NULL OR t.instance_id = ?4)"
		"  AND (?5 IS NULL OR d.family = ?5)"
		"  AND (?6 IS NULL OR t.started_by = ?6)"
		"  AND (?7 IS NULL OR t.launch_type = ?7)"
		" ORDER BY t.arn LIMIT ?8";
	memset(out, 0, sizeof(*out));
	*more = false;
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, f->cluster_id);
	bind_text(st, 2, f->desired_status);
	sqlite3_bind_text(st, 3, after ? after : "", -1, SQLITE_STATIC);
	bind_opt(st, 4, f->instance_id);
	bind_text(st, 5, f->family);
	bind_text(st, 6, f->started_by);
	bind_text(st, 7, f->launch_type);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)limit + 1);

	return store_collect_strv(s, st, limit, out, more, err, "listing tasks");
}
