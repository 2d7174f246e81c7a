/* SPDX-License-Identifier: Apache-2.0 */
/* Store: the agent protocol's reads and writes of tasks and instances. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store-agent.h"
#include "store-internal.h"

void store_agent_task_list_clear(struct store_agent_task_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct store_agent_task *t = &l->items[i];
		free(t->arn);
		free(t->taskdef_arn);
		free(t->family);
		free(t->taskdef_body);
		free(t->overrides);
		free(t->desired_status);
		free(t->started_by);
		free(t->group);
		free(t->stopped_reason);
		free(t->stop_code);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

int store_agent_desired_tasks(struct store *s, int64_t instance_id,
			      struct store_agent_task_list *out, struct ecs_err *err)
{
	static const char sql[] =
		"SELECT t.arn, d.arn, d.family, d.revision, d.body, t.overrides, t.desired_status,"
		" t.started_by, t.group_name, t.stopped_reason, t.stop_code, t.created_ms"
		" FROM tasks t JOIN task_definitions d ON d.id = t.taskdef_id"
		" WHERE t.instance_id = ?1 AND (t.desired_status = 'RUNNING' OR t.last_status != 'STOPPED')"
		" ORDER BY t.id";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, instance_id);
	int rc, r = 0;
	bool oom = false;
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct store_agent_task *grown = realloc(out->items, cap * sizeof(*grown));
			if (!grown) {
				oom = true;
				break;
			}
			out->items = grown;
		}
		struct store_agent_task *t = &out->items[out->n++];
		t->arn = store_column_text(st, 0, &oom);
		t->taskdef_arn = store_column_text(st, 1, &oom);
		t->family = store_column_text(st, 2, &oom);
		t->revision = sqlite3_column_int64(st, 3);
		t->taskdef_body = store_column_text(st, 4, &oom);
		t->overrides = store_column_text(st, 5, &oom);
		t->desired_status = store_column_text(st, 6, &oom);
		t->started_by = store_column_text(st, 7, &oom);
		t->group = store_column_text(st, 8, &oom);
		t->stopped_reason = store_column_text(st, 9, &oom);
		t->stop_code = store_column_text(st, 10, &oom);
		t->created_ms = sqlite3_column_int64(st, 11);
	}
	if (oom)
		r = err_set(err, ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		r = store_fail(s, err, "reading desired tasks");
	sqlite3_reset(st);
	if (r < 0)
		store_agent_task_list_clear(out);
	return r;
}

/* ---- state changes ---- */

/* Lifecycle rank of an ECS status name (0 for unknown ones). */
static int rank(const char *name)
{
	Ecsagent__Status st;
	return name && wire_status_parse(name, &st) == 0 ? (int)st : 0;
}

static void bind_text_or_null(sqlite3_stmt *st, int col, const char *v)
{
	if (v && v[0])
		sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC);
}

static char *bindings_json(const Ecsagent__ContainerStateChange *c, struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	json_w_array_begin(w);
	for (size_t i = 0; i < c->n_network_bindings; i++) {
		const Ecsagent__NetworkBinding *b = c->network_bindings[i];
		json_w_object_begin(w);
		if (b->bind_ip && b->bind_ip[0]) {
			json_w_key(w, "bindIP");
			json_w_string(w, b->bind_ip);
		}
		if (b->container_port) {
			json_w_key(w, "containerPort");
			json_w_int(w, b->container_port);
		}
		if (b->host_port) {
			json_w_key(w, "hostPort");
			json_w_int(w, b->host_port);
		}
		json_w_key(w, "protocol");
		json_w_string(w, b->protocol == ECSAGENT__TRANSPORT_PROTOCOL__UDP ? "udp" : "tcp");
		if (b->container_port_range && b->container_port_range[0]) {
			json_w_key(w, "containerPortRange");
			json_w_string(w, b->container_port_range);
		}
		if (b->host_port_range && b->host_port_range[0]) {
			json_w_key(w, "hostPortRange");
			json_w_string(w, b->host_port_range);
		}
		json_w_object_end(w);
	}
	json_w_array_end(w);
	return json_writer_finish(w, NULL, err);
}

static int apply_container(struct store *s, int64_t task_id,
			   const Ecsagent__ContainerStateChange *c, struct ecs_err *err)
{
	static const char get[] =
		"SELECT last_status FROM task_containers WHERE task_id = ?1 AND name = ?2";
	static const char upd[] =
		"UPDATE task_containers SET last_status = COALESCE(?3, last_status),"
		" exit_code = CASE WHEN ?4 THEN ?5 ELSE exit_code END,"
		" reason = COALESCE(?6, reason), runtime_id = COALESCE(?7, runtime_id),"
		" image_digest = COALESCE(?8, image_digest), network_bindings = ?9,"
		" health_status = COALESCE(?10, health_status)"
		" WHERE task_id = ?1 AND name = ?2";
	sqlite3_stmt *st = store_stmt(s, get, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_text(st, 2, c->container_name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		/* A container the definition does not have: ignored. */
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		int r = store_fail(s, err, "reading container");
		sqlite3_reset(st);
		return r;
	}
	int old = rank((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);

	const char *status = wire_status_name(c->status);
	bool forward = status && (int)c->status > old;
	_cleanup_free_ char *bindings = bindings_json(c, err);
	if (!bindings)
		return -ENOMEM;
	int32_t code;
	bool exited = wire_get_exit_code(c, &code);

	if (!(st = store_stmt(s, upd, err)))
		return -EIO;
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_text(st, 2, c->container_name, -1, SQLITE_STATIC);
	/* A status never moves backwards: NULL keeps the stored one. */
	if (forward)
		sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, exited);
	sqlite3_bind_int(st, 5, exited ? code : 0);
	bind_text_or_null(st, 6, c->reason);
	bind_text_or_null(st, 7, c->runtime_id);
	bind_text_or_null(st, 8, c->image_digest);
	sqlite3_bind_text(st, 9, bindings, -1, SQLITE_STATIC);
	bind_text_or_null(st, 10, c->health_status ? wire_health_status_name(c->health_status)
						   : NULL);
	return store_step_done(s, st, err, "writing container state");
}

/* What DescribeTasks shows of a task that an agent's report can change, as
 * one string, so that a report that changes nothing visible (a retry with a
 * new sequence, a repeated snapshot) leaves the task's `version` alone. */
static int visible_state(struct store *s, int64_t task_id, char **out, struct ecs_err *err)
{
	static const char sql[] =
		"SELECT quote(last_status) || quote(desired_status) || quote(stopped_reason)"
		" || quote(stop_code) || quote(health_status) || quote(pull_started_ms)"
		" || quote(pull_stopped_ms) || quote(started_ms) || quote(execution_stopped_ms)"
		" || quote(stopped_ms) || quote(stopping_ms) || (sequence > 0)"
		" || COALESCE((SELECT group_concat(c, ';') FROM (SELECT quote(name)"
		"   || quote(last_status) || quote(exit_code) || quote(reason) || quote(runtime_id)"
		"   || quote(image_digest) || quote(network_bindings) || quote(health_status) AS c"
		"   FROM task_containers WHERE task_id = ?1 ORDER BY name)), '')"
		" FROM tasks WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, task_id);
	int r = 0;
	bool oom = false;
	*out = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = store_column_text(st, 0, &oom);
	else
		r = store_fail(s, err, "reading task state");
	sqlite3_reset(st);
	if (r == 0 && (oom || !*out))
		r = err_set(err, ENOMEM, "out of memory");
	return r;
}

static int bump_version(struct store *s, int64_t task_id, struct ecs_err *err)
{
	static const char sql[] = "UPDATE tasks SET version = version + 1 WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, task_id);
	return store_step_done(s, st, err, "bumping task version");
}

int store_agent_apply(struct store *s, int64_t instance_id, const Ecsagent__TaskStateChange *ch,
		      int64_t now_ms, uint64_t *acked, bool *stopped, struct ecs_err *err)
{
	static const char get[] =
		"SELECT id, last_status, desired_status, sequence FROM tasks"
		" WHERE arn = ?1 AND instance_id = ?2";
	static const char upd[] =
		"UPDATE tasks SET last_status = ?2, desired_status = ?3, sequence = ?4,"
		" stopped_reason = COALESCE(stopped_reason, ?5),"
		" stop_code = COALESCE(stop_code, ?6),"
		" health_status = COALESCE(?7, health_status),"
		" pull_started_ms = COALESCE(NULLIF(?8, 0), pull_started_ms),"
		" pull_stopped_ms = COALESCE(NULLIF(?9, 0), pull_stopped_ms),"
		" started_ms = COALESCE(NULLIF(?10, 0), started_ms),"
		" execution_stopped_ms = COALESCE(NULLIF(?11, 0), execution_stopped_ms),"
		" stopped_ms = COALESCE(NULLIF(?12, 0), stopped_ms),"
		" stopping_ms = CASE WHEN ?13 THEN COALESCE(stopping_ms, ?14) ELSE stopping_ms END,"
		" updated_ms = ?14"
		" WHERE id = ?1";
	*acked = ch->sequence;
	*stopped = false;
	sqlite3_stmt *st = store_stmt(s, get, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, ch->task_arn, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, instance_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0; /* unknown here: acknowledged as sent */
	}
	if (rc != SQLITE_ROW) {
		int r = store_fail(s, err, "reading task");
		sqlite3_reset(st);
		return r;
	}
	int64_t task_id = sqlite3_column_int64(st, 0);
	int old = rank((const char *)sqlite3_column_text(st, 1));
	bool desired_running =
		strcmp((const char *)sqlite3_column_text(st, 2), "RUNNING") == 0;
	uint64_t stored = (uint64_t)sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	if (ch->sequence <= stored) {
		*acked = stored;
		return 0;
	}

	int now_rank = (int)ch->status > old && wire_status_name(ch->status) ? (int)ch->status : old;
	const char *status = wire_status_name((Ecsagent__Status)now_rank);
	if (!status)
		status = "PENDING"; /* nothing known yet: a task is created PENDING */
	bool is_stopped = now_rank == ECSAGENT__STATUS__STOPPED;
	*stopped = is_stopped && old != ECSAGENT__STATUS__STOPPED;
	int64_t stopped_at = ch->stopped_at_ms;
	if (*stopped && !stopped_at)
		stopped_at = now_ms;

	_cleanup_free_ char *before = NULL, *after = NULL;
	int r = visible_state(s, task_id, &before, err);
	if (r < 0)
		return r;
	if (!(st = store_stmt(s, upd, err)))
		return -EIO;
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	/* A task that stopped on its own is no longer wanted, as in ECS. */
	sqlite3_bind_text(st, 3, is_stopped || !desired_running ? "STOPPED" : "RUNNING", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ch->sequence);
	if (is_stopped)
		bind_text_or_null(st, 5, ch->reason);
	if (is_stopped && ch->stop_code)
		bind_text_or_null(st, 6, wire_stop_code_name(ch->stop_code));
	bind_text_or_null(st, 7, ch->health_status ? wire_health_status_name(ch->health_status)
						   : NULL);
	sqlite3_bind_int64(st, 8, ch->pull_started_at_ms);
	sqlite3_bind_int64(st, 9, ch->pull_stopped_at_ms);
	sqlite3_bind_int64(st, 10, ch->started_at_ms);
	sqlite3_bind_int64(st, 11, is_stopped && !ch->execution_stopped_at_ms
					   ? stopped_at : ch->execution_stopped_at_ms);
	sqlite3_bind_int64(st, 12, is_stopped ? stopped_at : 0);
	sqlite3_bind_int(st, 13, now_rank >= ECSAGENT__STATUS__DEACTIVATING);
	sqlite3_bind_int64(st, 14, now_ms);
	r = store_step_done(s, st, err, "writing task state");
	for (size_t i = 0; i < ch->n_containers && r >= 0; i++)
		r = apply_container(s, task_id, ch->containers[i], err);
	if (r >= 0)
		r = visible_state(s, task_id, &after, err);
	if (r >= 0 && strcmp(before, after) != 0)
		r = bump_version(s, task_id, err);
	if (r >= 0)
		*acked = ch->sequence;
	return r;
}

/* ---- telemetry ---- */

static const char *component_name(Ecsagent__ComponentStatus c)
{
	switch (c) {
	case ECSAGENT__COMPONENT_STATUS__OK: return "OK";
	case ECSAGENT__COMPONENT_STATUS__IMPAIRED: return "IMPAIRED";
	case ECSAGENT__COMPONENT_STATUS__INITIALIZING: return "INITIALIZING";
	default: return "INSUFFICIENT_DATA";
	}
}

int store_agent_telemetry(struct store *s, int64_t instance_id, const Ecsagent__InstanceHealth *h,
			  size_t n_task_stats, int64_t now_ms, struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE container_instances SET"
		" health_runtime_changed_ms = CASE WHEN health_runtime IS ?3 THEN"
		"   health_runtime_changed_ms ELSE ?12 END,"
		" health_overall = ?2, health_runtime = ?3, health_runtime_detail = ?4,"
		" health_disk = ?5, health_agent = ?6, disk_total_bytes = ?7, disk_free_bytes = ?8,"
		" memory_available_bytes = ?9, reported_running_tasks = ?10,"
		" reported_task_stats = ?11, telemetry_ms = ?12"
		" WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, instance_id);
	if (h) {
		sqlite3_bind_text(st, 2, component_name(h->overall), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, component_name(h->runtime), -1, SQLITE_STATIC);
		bind_text_or_null(st, 4, h->runtime_detail);
		sqlite3_bind_text(st, 5, component_name(h->disk), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, component_name(h->agent), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)h->disk_total_bytes);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)h->disk_free_bytes);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)h->memory_available_bytes);
		sqlite3_bind_int64(st, 10, h->running_tasks);
	} else {
		static const char *const none = "INSUFFICIENT_DATA";
		for (int col = 2; col <= 6; col++)
			if (col != 4)
				sqlite3_bind_text(st, col, none, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 11, (sqlite3_int64)n_task_stats);
	sqlite3_bind_int64(st, 12, now_ms);
	return store_step_done(s, st, err, "writing telemetry");
}

/* ---- stopping and liveness ---- */

int store_agent_stop_tasks(struct store *s, int64_t instance_id, const char *reason,
			   int64_t now_ms, int64_t *n, struct ecs_err *err)
{
	static const char containers[] =
		"UPDATE task_containers SET last_status = 'STOPPED' WHERE last_status != 'STOPPED'"
		" AND task_id IN (SELECT id FROM tasks WHERE instance_id = ?1"
		" AND last_status != 'STOPPED')";
	static const char tasks[] =
		"UPDATE tasks SET last_status = 'STOPPED', desired_status = 'STOPPED',"
		" stopped_reason = COALESCE(stopped_reason, ?2),"
		" stopping_ms = COALESCE(stopping_ms, ?3),"
		" execution_stopped_ms = COALESCE(execution_stopped_ms, ?3),"
		" stopped_ms = ?3, updated_ms = ?3, version = version + 1"
		" WHERE instance_id = ?1 AND last_status != 'STOPPED'";
	*n = 0;
	sqlite3_stmt *st = store_stmt(s, containers, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, instance_id);
	int r = store_step_done(s, st, err, "stopping containers");
	if (r < 0)
		return r;
	if (!(st = store_stmt(s, tasks, err)))
		return -EIO;
	sqlite3_bind_int64(st, 1, instance_id);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	if ((r = store_step_done(s, st, err, "stopping tasks")) < 0)
		return r;
	*n = sqlite3_changes(s->db);
	return 0;
}

static int read_ids(struct store *s, sqlite3_stmt *st, int64_t **ids, size_t *n,
		    struct ecs_err *err)
{
	*ids = NULL;
	*n = 0;
	size_t cap = 0;
	int rc, r = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t *grown = realloc(*ids, cap * sizeof(*grown));
			if (!grown) {
				r = err_set(err, ENOMEM, "out of memory");
				break;
			}
			*ids = grown;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = store_fail(s, err, "reading container instances");
	sqlite3_reset(st);
	if (r < 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return r;
}

int store_agent_stale(struct store *s, int64_t before_ms, int64_t **ids, size_t *n,
		      struct ecs_err *err)
{
	static const char sql[] =
		"SELECT id FROM container_instances WHERE agent_connected = 1"
		" AND COALESCE(last_seen_ms, 0) < ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, before_ms);
	return read_ids(s, st, ids, n, err);
}

int store_agent_disconnect(struct store *s, int64_t id, int64_t now_ms, struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE container_instances SET agent_connected = 0, version = version + 1,"
		" updated_ms = ?2 WHERE id = ?1 AND agent_connected = 1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	return store_step_done(s, st, err, "marking agent disconnected");
}

int store_agent_lost(struct store *s, int64_t before_ms, int64_t **ids, size_t *n,
		     struct ecs_err *err)
{
	static const char sql[] =
		"SELECT i.id FROM container_instances i WHERE i.agent_connected = 0"
		" AND COALESCE(i.last_seen_ms, i.registered_ms) < ?1"
		" AND EXISTS (SELECT 1 FROM tasks t WHERE t.instance_id = i.id"
		"   AND t.last_status != 'STOPPED')";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, before_ms);
	return read_ids(s, st, ids, n, err);
}
