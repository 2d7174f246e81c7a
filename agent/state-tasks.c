/* SPDX-License-Identifier: Apache-2.0 */
/* Crash-safe agent state: tasks and their containers. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "state-internal.h"

#define TASK_COLUMNS                                                                   \
	"arn, family, revision, taskdef_json, overrides_json, desired_status, known_status, " \
	"stop_code, reason, desired_version, sequence, created_ms, pull_started_ms, "        \
	"pull_stopped_ms, started_ms, execution_stopped_ms, stopped_ms, stop_sent_ms, "      \
	"cleanup_at_ms, cpu_units, memory_mib, host_ports, step"
#define CONTAINER_COLUMNS                                                                 \
	"name, runtime_id, status, has_exit, exit_code, oom_killed, reason, image_digest, " \
	"shim_pid, container_pid, created_ms, started_ms, finished_ms, step"

static const char sql_task_put[] =
	"INSERT OR REPLACE INTO tasks (" TASK_COLUMNS ") VALUES "
	"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_container_put[] =
	"INSERT INTO containers (task_arn, position, " CONTAINER_COLUMNS ") VALUES "
	"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_containers_delete[] = "DELETE FROM containers WHERE task_arn = ?";
static const char sql_task_delete[] = "DELETE FROM tasks WHERE arn = ?";
static const char sql_tasks_load[] =
	"SELECT " TASK_COLUMNS " FROM tasks ORDER BY created_ms, arn";
static const char sql_containers_load[] =
	"SELECT " CONTAINER_COLUMNS " FROM containers WHERE task_arn = ? ORDER BY position";

static int delete_containers(struct state *s, const char *arn, struct ecs_err *err)
{
	sqlite3_stmt *st;
	int r = state_stmt(s, sql_containers_delete, &st, err);
	if (r < 0)
		return r;
	struct state_binder b = { .st = st };
	state_bind_text(&b, arn);
	r = state_bind_check(&b, err);
	return r < 0 ? r : state_step_done(s, st, err, "deleting containers");
}

static int put_container(struct state *s, const char *arn, size_t position,
			 const struct state_container *c, struct ecs_err *err)
{
	if (!c->name)
		return err_set(err, EINVAL, "container %zu has no name", position);
	sqlite3_stmt *st;
	int r = state_stmt(s, sql_container_put, &st, err);
	if (r < 0)
		return r;
	struct state_binder b = { .st = st };
	state_bind_text(&b, arn);
	state_bind_int(&b, (int64_t)position);
	state_bind_text(&b, c->name);
	state_bind_text(&b, c->runtime_id);
	state_bind_int(&b, c->status);
	state_bind_int(&b, c->has_exit);
	state_bind_int(&b, c->exit_code);
	state_bind_int(&b, c->oom_killed);
	state_bind_text(&b, c->reason);
	state_bind_text(&b, c->image_digest);
	state_bind_int(&b, c->shim_pid);
	state_bind_int(&b, c->container_pid);
	state_bind_int(&b, c->created_ms);
	state_bind_int(&b, c->started_ms);
	state_bind_int(&b, c->finished_ms);
	state_bind_int(&b, c->step);
	r = state_bind_check(&b, err);
	if (r >= 0)
		r = state_step_done(s, st, err, "saving container");
	return r < 0 ? STATE_WRAP(err, r, "container %s", c->name) : 0;
}

static int put_task_rows(struct state *s, const struct state_task *t, struct ecs_err *err)
{
	int r = delete_containers(s, t->arn, err);
	if (r < 0)
		return r;

	sqlite3_stmt *st;
	r = state_stmt(s, sql_task_put, &st, err);
	if (r < 0)
		return r;
	struct state_binder b = { .st = st };
	state_bind_text(&b, t->arn);
	state_bind_text(&b, t->family);
	state_bind_int(&b, t->revision);
	state_bind_text(&b, t->taskdef_json);
	state_bind_text(&b, t->overrides_json);
	state_bind_int(&b, t->desired_status);
	state_bind_int(&b, t->known_status);
	state_bind_int(&b, t->stop_code);
	state_bind_text(&b, t->reason);
	state_bind_int(&b, (int64_t)t->desired_version);
	state_bind_int(&b, (int64_t)t->sequence);
	state_bind_int(&b, t->created_ms);
	state_bind_int(&b, t->pull_started_ms);
	state_bind_int(&b, t->pull_stopped_ms);
	state_bind_int(&b, t->started_ms);
	state_bind_int(&b, t->execution_stopped_ms);
	state_bind_int(&b, t->stopped_ms);
	state_bind_int(&b, t->stop_sent_ms);
	state_bind_int(&b, t->cleanup_at_ms);
	state_bind_int(&b, t->cpu_units);
	state_bind_int(&b, t->memory_mib);
	state_bind_text(&b, t->host_ports);
	state_bind_int(&b, t->step);
	r = state_bind_check(&b, err);
	if (r >= 0)
		r = state_step_done(s, st, err, "saving task");
	for (size_t i = 0; r >= 0 && i < t->n_containers; i++)
		r = put_container(s, t->arn, i, &t->containers[i], err);
	return r;
}

int state_task_put(struct state *s, const struct state_task *t, struct ecs_err *err)
{
	if (!t->arn)
		return err_set(err, EINVAL, "saving task: no ARN");
	int r = state_begin_relaxed(s, err);
	if (r >= 0) {
		r = put_task_rows(s, t, err);
		if (r >= 0) {
			r = state_commit(s, err);
			return r < 0 ? STATE_WRAP(err, r, "saving task %s", t->arn) : 0;
		}
		state_rollback(s);
	}
	return STATE_WRAP(err, r, "saving task %s", t->arn);
}

int state_task_delete(struct state *s, const char *arn, struct ecs_err *err)
{
	int r = state_begin_relaxed(s, err);
	if (r < 0)
		return STATE_WRAP(err, r, "deleting task %s", arn);
	r = delete_containers(s, arn, err);
	if (r >= 0) {
		sqlite3_stmt *st;
		r = state_stmt(s, sql_task_delete, &st, err);
		if (r >= 0) {
			struct state_binder b = { .st = st };
			state_bind_text(&b, arn);
			r = state_bind_check(&b, err);
		}
		if (r >= 0)
			r = state_step_done(s, st, err, "deleting task");
	}
	if (r >= 0)
		r = state_commit(s, err);
	else
		state_rollback(s);
	return r < 0 ? STATE_WRAP(err, r, "deleting task %s", arn) : 0;
}

static void read_container(struct state_reader *rd, struct state_container *c)
{
	c->name = state_col_text(rd);
	c->runtime_id = state_col_text(rd);
	c->status = (int)state_col_int(rd);
	c->has_exit = state_col_int(rd) != 0;
	c->exit_code = (int)state_col_int(rd);
	c->oom_killed = state_col_int(rd) != 0;
	c->reason = state_col_text(rd);
	c->image_digest = state_col_text(rd);
	c->shim_pid = state_col_int(rd);
	c->container_pid = state_col_int(rd);
	c->created_ms = state_col_int(rd);
	c->started_ms = state_col_int(rd);
	c->finished_ms = state_col_int(rd);
	c->step = (uint32_t)state_col_int(rd);
}

static void read_task(struct state_reader *rd, struct state_task *t)
{
	t->arn = state_col_text(rd);
	t->family = state_col_text(rd);
	t->revision = (uint32_t)state_col_int(rd);
	t->taskdef_json = state_col_text(rd);
	t->overrides_json = state_col_text(rd);
	t->desired_status = (int)state_col_int(rd);
	t->known_status = (int)state_col_int(rd);
	t->stop_code = (int)state_col_int(rd);
	t->reason = state_col_text(rd);
	t->desired_version = (uint64_t)state_col_int(rd);
	t->sequence = (uint64_t)state_col_int(rd);
	t->created_ms = state_col_int(rd);
	t->pull_started_ms = state_col_int(rd);
	t->pull_stopped_ms = state_col_int(rd);
	t->started_ms = state_col_int(rd);
	t->execution_stopped_ms = state_col_int(rd);
	t->stopped_ms = state_col_int(rd);
	t->stop_sent_ms = state_col_int(rd);
	t->cleanup_at_ms = state_col_int(rd);
	t->cpu_units = state_col_int(rd);
	t->memory_mib = state_col_int(rd);
	t->host_ports = state_col_text(rd);
	t->step = (uint32_t)state_col_int(rd);
}

static int load_containers(struct state *s, struct state_task *t, struct ecs_err *err)
{
	sqlite3_stmt *st;
	int r = state_stmt(s, sql_containers_load, &st, err);
	if (r < 0)
		return r;
	struct state_binder b = { .st = st };
	state_bind_text(&b, t->arn);
	r = state_bind_check(&b, err);
	if (r < 0)
		return r;

	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (t->n_containers == cap) {
			cap = cap ? cap * 2 : 4;
			struct state_container *grown = realloc(t->containers, cap * sizeof(*grown));
			if (!grown) {
				r = err_set(err, ENOMEM, "out of memory");
				break;
			}
			t->containers = grown;
		}
		struct state_reader rd = { .st = st };
		struct state_container *c = &t->containers[t->n_containers++];
		memset(c, 0, sizeof(*c));
		read_container(&rd, c);
		if (rd.oom) {
			r = err_set(err, ENOMEM, "out of memory");
			break;
		}
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = state_fail(s, err, "loading containers");
	sqlite3_reset(st);
	return r;
}

static int load_tasks(struct state *s, struct state_task **out, size_t *n, struct ecs_err *err)
{
	sqlite3_stmt *st;
	int r = state_stmt(s, sql_tasks_load, &st, err);
	if (r < 0)
		return r;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct state_task *grown = realloc(*out, cap * sizeof(*grown));
			if (!grown) {
				r = err_set(err, ENOMEM, "out of memory");
				break;
			}
			*out = grown;
		}
		struct state_reader rd = { .st = st };
		struct state_task *t = &(*out)[(*n)++];
		memset(t, 0, sizeof(*t));
		read_task(&rd, t);
		if (rd.oom || !t->arn) {
			r = err_set(err, ENOMEM, "out of memory");
			break;
		}
		r = load_containers(s, t, err);
		if (r < 0)
			break;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = state_fail(s, err, "loading tasks");
	sqlite3_reset(st);
	return r;
}

int state_tasks_load(struct state *s, struct state_task **out, size_t *n, struct ecs_err *err)
{
	*out = NULL;
	*n = 0;
	/* One transaction: tasks and containers from the same snapshot. */
	int r = state_begin(s, err);
	if (r < 0)
		return STATE_WRAP(err, r, "loading tasks");
	r = load_tasks(s, out, n, err);
	if (r >= 0)
		r = state_commit(s, err);
	else
		state_rollback(s);
	if (r < 0) {
		state_tasks_free(*out, *n);
		*out = NULL;
		*n = 0;
		return STATE_WRAP(err, r, "loading tasks");
	}
	return 0;
}

static void container_clear(struct state_container *c)
{
	free(c->name);
	free(c->runtime_id);
	free(c->reason);
	free(c->image_digest);
	memset(c, 0, sizeof(*c));
}

void state_task_clear(struct state_task *t)
{
	if (!t)
		return;
	free(t->arn);
	free(t->family);
	free(t->taskdef_json);
	free(t->overrides_json);
	free(t->reason);
	free(t->host_ports);
	for (size_t i = 0; i < t->n_containers; i++)
		container_clear(&t->containers[i]);
	free(t->containers);
	memset(t, 0, sizeof(*t));
}

void state_tasks_free(struct state_task *tasks, size_t n)
{
	for (size_t i = 0; tasks && i < n; i++)
		state_task_clear(&tasks[i]);
	free(tasks);
}

/* strdup that keeps NULL, recording allocation failure. */
static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

int state_task_copy(const struct state_task *src, struct state_task *dst, struct ecs_err *err)
{
	bool oom = false;

	*dst = *src;
	dst->arn = dup_or_null(src->arn, &oom);
	dst->family = dup_or_null(src->family, &oom);
	dst->taskdef_json = dup_or_null(src->taskdef_json, &oom);
	dst->overrides_json = dup_or_null(src->overrides_json, &oom);
	dst->reason = dup_or_null(src->reason, &oom);
	dst->host_ports = dup_or_null(src->host_ports, &oom);
	dst->containers = NULL;
	dst->n_containers = 0;
	if (src->n_containers) {
		dst->containers = calloc(src->n_containers, sizeof(*dst->containers));
		if (!dst->containers)
			oom = true;
	}
	for (size_t i = 0; dst->containers && i < src->n_containers; i++) {
		const struct state_container *a = &src->containers[i];
		struct state_container *c = &dst->containers[i];
		*c = *a;
		c->name = dup_or_null(a->name, &oom);
		c->runtime_id = dup_or_null(a->runtime_id, &oom);
		c->reason = dup_or_null(a->reason, &oom);
		c->image_digest = dup_or_null(a->image_digest, &oom);
		dst->n_containers = i + 1;
	}
	if (oom) {
		state_task_clear(dst);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}
