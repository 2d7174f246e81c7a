/* SPDX-License-Identifier: Apache-2.0 */
/* Store: the cluster-wide reads placement works from. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "store-placement.h"

static void candidate_clear(struct store_candidate *c)
{
	free(c->arn);
	free(c->status);
	free(c->ec2_instance_id);
	free(c->resources);
	free(c->version_info);
	store_strv_clear(&c->host_ports);
	for (size_t i = 0; i < c->n_attrs; i++) {
		free(c->attrs[i].key);
		free(c->attrs[i].value);
	}
	free(c->attrs);
	memset(c, 0, sizeof(*c));
}

void store_candidates_clear(struct store_candidates *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		candidate_clear(&c->items[i]);
	free(c->items);
	memset(c, 0, sizeof(*c));
}

/* Instances come back in ARN order; task rows name them by id. */
struct id_index {
	int64_t id;
	size_t idx;
};

static int id_cmp(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static struct store_candidate *by_id(struct store_candidates *c, const struct id_index *ids,
				     int64_t id)
{
	struct id_index key = { .id = id };
	const struct id_index *hit = bsearch(&key, ids, c->n, sizeof(*ids), id_cmp);
	return hit ? &c->items[hit->idx] : NULL;
}

static int arn_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct store_candidate *)elem)->arn);
}

static struct store_candidate *by_arn(struct store_candidates *c, const char *arn)
{
	return arn ? bsearch(arn, c->items, c->n, sizeof(*c->items), arn_cmp) : NULL;
}

static int strv_push(struct store_strv *v, sqlite3_stmt *st, int col)
{
	char **grown = realloc(v->items, (v->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	v->items = grown;
	bool oom = false;
	v->items[v->n] = store_column_text(st, col, &oom);
	if (oom || !v->items[v->n])
		return -ENOMEM;
	v->n++;
	return 0;
}

static int load_instances(struct store *s, int64_t cluster_id,
			  const struct store_candidates_want *want, struct store_candidates *out,
			  struct ecs_err *err)
{
	/* The lean forms read only the container_instances_cluster index
	 * (it covers them), and with only ACTIVE instances in ARN order
	 * without a sort; the full ones copy the JSON texts too. */
	static const char lean_active[] =
		"SELECT id, arn, status, agent_connected, cpu, memory FROM container_instances"
		" WHERE cluster_id = ?1 AND status = 'ACTIVE' ORDER BY arn";
	static const char lean_all[] =
		"SELECT id, arn, status, agent_connected, cpu, memory FROM container_instances"
		" WHERE cluster_id = ?1 AND status IN ('ACTIVE', 'DRAINING') ORDER BY arn";
	static const char full_active[] =
		"SELECT id, arn, status, agent_connected, cpu, memory,"
		"  ec2_instance_id, registered_ms, version_info, resources FROM container_instances"
		" WHERE cluster_id = ?1 AND status = 'ACTIVE' ORDER BY arn";
	static const char full_all[] =
		"SELECT id, arn, status, agent_connected, cpu, memory,"
		"  ec2_instance_id, registered_ms, version_info, resources FROM container_instances"
		" WHERE cluster_id = ?1 AND status IN ('ACTIVE', 'DRAINING') ORDER BY arn";
	bool more = want->details || want->ports;
	const char *sql = more ? (want->only_active ? full_active : full_all)
			       : (want->only_active ? lean_active : lean_all);
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	int rc;
	bool oom = false;
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			size_t grow = cap ? 2 * cap : 64;
			struct store_candidate *grown = realloc(out->items, grow * sizeof(*grown));
			if (!grown) {
				oom = true;
				break;
			}
			out->items = grown;
			cap = grow;
		}
		struct store_candidate *c = &out->items[out->n++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(st, 0);
		c->arn = store_column_text(st, 1, &oom);
		c->status = store_column_text(st, 2, &oom);
		c->agent_connected = sqlite3_column_int(st, 3) != 0;
		c->cpu = sqlite3_column_int64(st, 4);
		c->memory = sqlite3_column_int64(st, 5);
		if (want->details) {
			c->ec2_instance_id = store_column_text(st, 6, &oom);
			c->registered_ms = sqlite3_column_int64(st, 7);
			c->version_info = store_column_text(st, 8, &oom);
		}
		if (want->ports)
			c->resources = store_column_text(st, 9, &oom);
		if (!c->arn || !c->status)
			oom = true;
		if (oom)
			break;
	}
	int r = 0;
	if (oom)
		r = err_set(err, ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		r = store_fail(s, err, "reading container instances");
	sqlite3_reset(st);
	return r;
}

static int load_usage(struct store *s, int64_t cluster_id,
		      const struct store_candidates_want *want, struct store_candidates *out,
		      const struct id_index *ids, struct ecs_err *err)
{
	/* Both run on the tasks_live index, which only holds live tasks and
	 * covers `sums`. Summed here rather than with GROUP BY: SQLite's
	 * aggregates allocate per group and function, which cost more than
	 * reading the rows; they come in instance order (the index's), so the
	 * candidate is looked up once per instance. */
	static const char sums[] =
		"SELECT instance_id, cpu, memory, group_name IS ?2, last_status = 'RUNNING'"
		" FROM tasks WHERE cluster_id = ?1 AND instance_id IS NOT NULL"
		"  AND last_status != 'STOPPED' ORDER BY instance_id";
	static const char ports[] =
		"SELECT instance_id, host_ports FROM tasks WHERE cluster_id = ?1"
		"  AND instance_id IS NOT NULL AND last_status != 'STOPPED'"
		"  AND host_ports IS NOT NULL";
	sqlite3_stmt *st = store_stmt(s, sums, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	if (want->group)
		sqlite3_bind_text(st, 2, want->group, -1, SQLITE_STATIC);
	int rc;
	int64_t last_id = 0;
	struct store_candidate *c = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id != last_id || !c) {
			last_id = id;
			c = by_id(out, ids, id);
		}
		if (!c)
			continue; /* an INACTIVE instance still finishing tasks */
		c->cpu_used += sqlite3_column_int64(st, 1);
		c->memory_used += sqlite3_column_int64(st, 2);
		c->live_tasks++;
		c->group_tasks += want->group && sqlite3_column_int(st, 3);
		c->running_tasks += sqlite3_column_int(st, 4);
	}
	int r = rc == SQLITE_DONE ? 0 : store_fail(s, err, "summing task reservations");
	sqlite3_reset(st);
	if (r < 0 || !want->ports)
		return r;

	st = store_stmt(s, ports, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = by_id(out, ids, sqlite3_column_int64(st, 0));
		if (!c)
			continue;
		if (strv_push(&c->host_ports, st, 1) < 0) {
			sqlite3_reset(st);
			return err_set(err, ENOMEM, "out of memory");
		}
	}
	r = rc == SQLITE_DONE ? 0 : store_fail(s, err, "reading task reservations");
	sqlite3_reset(st);
	return r;
}

/* Append the row's (target_id, name, value) to its candidate; rows of
 * other instances (INACTIVE, or DRAINING ones not asked for) are skipped. */
static int attr_push(struct store_candidates *out, sqlite3_stmt *st)
{
	struct store_candidate *c = by_arn(out, (const char *)sqlite3_column_text(st, 0));
	if (!c)
		return 0;
	struct store_kv *grown = realloc(c->attrs, (c->n_attrs + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->attrs = grown;
	bool oom = false;
	struct store_kv *kv = &c->attrs[c->n_attrs];
	kv->key = store_column_text(st, 1, &oom);
	kv->value = store_column_text(st, 2, &oom);
	if (oom || !kv->key) {
		free(kv->key);
		free(kv->value);
		return -ENOMEM;
	}
	c->n_attrs++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int load_attributes(struct store *s, int64_t cluster_id,
			   const struct store_candidates_want *want, struct store_candidates *out,
			   struct ecs_err *err)
{
	/* attributes.target_id is the instance ARN. */
	static const char all[] =
		"SELECT target_id, name, value FROM attributes WHERE cluster_id = ?1"
		" ORDER BY target_id, name";
	/* On the attributes_name index: only the rows of that name. */
	static const char named[] =
		"SELECT target_id, name, value FROM attributes WHERE cluster_id = ?1 AND name = ?2";

	size_t n = want->all_attributes ? 1 : want->n_attributes;
	if (n == 0)
		return 0;
	/* Names in order, each once, so every candidate's list is in name
	 * order as with all_attributes. */
	_cleanup_free_ const char **names = NULL;
	if (!want->all_attributes) {
		names = malloc(n * sizeof(*names));
		if (!names)
			return err_set(err, ENOMEM, "out of memory");
		memcpy(names, want->attributes, n * sizeof(*names));
		qsort(names, n, sizeof(*names), name_cmp);
	}

	int r = 0;
	for (size_t k = 0; k < n && r >= 0; k++) {
		if (names && k > 0 && strcmp(names[k], names[k - 1]) == 0)
			continue;
		sqlite3_stmt *st = store_stmt(s, names ? named : all, err);
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, cluster_id);
		if (names)
			sqlite3_bind_text(st, 2, names[k], -1, SQLITE_STATIC);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (attr_push(out, st) < 0)
				break;
		if (rc == SQLITE_ROW)
			r = err_set(err, ENOMEM, "out of memory");
		else if (rc != SQLITE_DONE)
			r = store_fail(s, err, "reading attributes");
		sqlite3_reset(st);
	}
	return r;
}

int store_candidates_load(struct store *s, int64_t cluster_id,
			  const struct store_candidates_want *want, struct store_candidates *out,
			  struct ecs_err *err)
{
	memset(out, 0, sizeof(*out));
	int r = load_instances(s, cluster_id, want, out, err);
	if (r < 0 || out->n == 0)
		goto done;
	struct id_index *ids = calloc(out->n, sizeof(*ids));
	if (!ids) {
		r = err_set(err, ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < out->n; i++)
		ids[i] = (struct id_index){ out->items[i].id, i };
	qsort(ids, out->n, sizeof(*ids), id_cmp);
	r = load_usage(s, cluster_id, want, out, ids, err);
	free(ids);
	if (r >= 0)
		r = load_attributes(s, cluster_id, want, out, err);
done:
	if (r < 0)
		store_candidates_clear(out);
	return r;
}
