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
	store_strv_clear(&c->groups);
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

static int load_instances(struct store *s, int64_t cluster_id, bool only_active,
			  struct store_candidates *out, struct ecs_err *err)
{
	static const char sql[] =
		"SELECT id, arn, status, ec2_instance_id, agent_connected, registered_ms, cpu,"
		"  memory, resources, version_info"
		" FROM container_instances"
		" WHERE cluster_id = ?1 AND status IN ('ACTIVE', 'DRAINING')"
		"  AND (?2 = 0 OR status = 'ACTIVE') ORDER BY arn";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	sqlite3_bind_int(st, 2, only_active);
	int rc;
	bool oom = false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_candidate *grown = realloc(out->items, (out->n + 1) * sizeof(*grown));
		if (!grown) {
			oom = true;
			break;
		}
		out->items = grown;
		struct store_candidate *c = &out->items[out->n++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(st, 0);
		c->arn = store_column_text(st, 1, &oom);
		c->status = store_column_text(st, 2, &oom);
		c->ec2_instance_id = store_column_text(st, 3, &oom);
		c->agent_connected = sqlite3_column_int(st, 4) != 0;
		c->registered_ms = sqlite3_column_int64(st, 5);
		c->cpu = sqlite3_column_int64(st, 6);
		c->memory = sqlite3_column_int64(st, 7);
		c->resources = store_column_text(st, 8, &oom);
		c->version_info = store_column_text(st, 9, &oom);
	}
	int r = 0;
	if (oom)
		r = err_set(err, ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		r = store_fail(s, err, "reading container instances");
	sqlite3_reset(st);
	return r;
}

static int load_usage(struct store *s, int64_t cluster_id, const char *group,
		      struct store_candidates *out, const struct id_index *ids, struct ecs_err *err)
{
	static const char sums[] =
		"SELECT instance_id, SUM(cpu), SUM(memory), COUNT(*), SUM(group_name IS ?2),"
		"  SUM(last_status = 'RUNNING')"
		" FROM tasks WHERE cluster_id = ?1 AND instance_id IS NOT NULL"
		"  AND last_status != 'STOPPED' GROUP BY instance_id";
	static const char rows[] =
		"SELECT instance_id, host_ports FROM tasks WHERE cluster_id = ?1"
		"  AND instance_id IS NOT NULL AND last_status != 'STOPPED'"
		"  AND host_ports IS NOT NULL";
	static const char groups[] =
		"SELECT DISTINCT instance_id, group_name FROM tasks WHERE cluster_id = ?1"
		"  AND instance_id IS NOT NULL AND last_status != 'STOPPED'"
		"  AND group_name IS NOT NULL";
	sqlite3_stmt *st = store_stmt(s, sums, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	if (group)
		sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_candidate *c = by_id(out, ids, sqlite3_column_int64(st, 0));
		if (!c)
			continue; /* an INACTIVE instance still finishing tasks */
		c->cpu_used = sqlite3_column_int64(st, 1);
		c->memory_used = sqlite3_column_int64(st, 2);
		c->live_tasks = sqlite3_column_int64(st, 3);
		c->group_tasks = group ? sqlite3_column_int64(st, 4) : 0;
		c->running_tasks = sqlite3_column_int64(st, 5);
	}
	int r = rc == SQLITE_DONE ? 0 : store_fail(s, err, "summing task reservations");
	sqlite3_reset(st);
	if (r < 0)
		return r;

	const char *const lists[] = { rows, groups };
	for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
		st = store_stmt(s, lists[k], err);
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, cluster_id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct store_candidate *c = by_id(out, ids, sqlite3_column_int64(st, 0));
			if (!c)
				continue;
			if (strv_push(k == 0 ? &c->host_ports : &c->groups, st, 1) < 0) {
				sqlite3_reset(st);
				return err_set(err, ENOMEM, "out of memory");
			}
		}
		r = rc == SQLITE_DONE ? 0 : store_fail(s, err, "reading task reservations");
		sqlite3_reset(st);
		if (r < 0)
			return r;
	}
	return 0;
}

static int arn_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct store_candidate *)elem)->arn);
}

static int load_attributes(struct store *s, int64_t cluster_id, struct store_candidates *out,
			   struct ecs_err *err)
{
	/* attributes.target_id is the instance ARN. */
	static const char sql[] =
		"SELECT target_id, name, value FROM attributes WHERE cluster_id = ?1"
		" ORDER BY target_id, name";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	int rc;
	bool oom = false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *target = (const char *)sqlite3_column_text(st, 0);
		struct store_candidate *c =
			target ? bsearch(target, out->items, out->n, sizeof(*out->items), arn_cmp)
			       : NULL;
		if (!c)
			continue;
		struct store_kv *grown = realloc(c->attrs, (c->n_attrs + 1) * sizeof(*grown));
		if (!grown) {
			oom = true;
			break;
		}
		c->attrs = grown;
		c->attrs[c->n_attrs].key = store_column_text(st, 1, &oom);
		c->attrs[c->n_attrs].value = store_column_text(st, 2, &oom);
		c->n_attrs++;
	}
	int r = 0;
	if (oom)
		r = err_set(err, ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		r = store_fail(s, err, "reading attributes");
	sqlite3_reset(st);
	return r;
}

int store_candidates_load(struct store *s, int64_t cluster_id, const char *group,
			  bool only_active, struct store_candidates *out, struct ecs_err *err)
{
	memset(out, 0, sizeof(*out));
	int r = load_instances(s, cluster_id, only_active, out, err);
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
	r = load_usage(s, cluster_id, group, out, ids, err);
	free(ids);
	if (r >= 0)
		r = load_attributes(s, cluster_id, out, err);
done:
	if (r < 0)
		store_candidates_clear(out);
	return r;
}
