/* SPDX-License-Identifier: Apache-2.0 */
/* Store: the container_instances and attributes tables. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store-instances.h"
#include "store-internal.h"

#define INSTANCE_COLUMNS                                                                 \
	"id, cluster_id, arn, ec2_instance_id, hostname, status, status_reason,"         \
	" agent_connected, last_seen_ms, cpu, memory, resources, version_info,"         \
	" desired_version, version, registered_ms, updated_ms, health_overall,"         \
	" health_runtime, health_runtime_detail, health_runtime_changed_ms, telemetry_ms"

void store_instance_clear(struct store_instance *i)
{
	if (!i)
		return;
	free(i->arn);
	free(i->ec2_instance_id);
	free(i->hostname);
	free(i->status);
	free(i->status_reason);
	free(i->resources);
	free(i->version_info);
	free(i->health_overall);
	free(i->health_runtime);
	free(i->health_runtime_detail);
	memset(i, 0, sizeof(*i));
}

static void read_instance(sqlite3_stmt *st, struct store_instance *o, bool *oom)
{
	o->id = sqlite3_column_int64(st, 0);
	o->cluster_id = sqlite3_column_int64(st, 1);
	o->arn = store_column_text(st, 2, oom);
	o->ec2_instance_id = store_column_text(st, 3, oom);
	o->hostname = store_column_text(st, 4, oom);
	o->status = store_column_text(st, 5, oom);
	o->status_reason = store_column_text(st, 6, oom);
	o->agent_connected = sqlite3_column_int(st, 7) != 0;
	o->last_seen_ms = sqlite3_column_int64(st, 8);
	o->cpu = sqlite3_column_int64(st, 9);
	o->memory = sqlite3_column_int64(st, 10);
	o->resources = store_column_text(st, 11, oom);
	o->version_info = store_column_text(st, 12, oom);
	o->desired_version = sqlite3_column_int64(st, 13);
	o->version = sqlite3_column_int64(st, 14);
	o->registered_ms = sqlite3_column_int64(st, 15);
	o->updated_ms = sqlite3_column_int64(st, 16);
	o->health_overall = store_column_text(st, 17, oom);
	o->health_runtime = store_column_text(st, 18, oom);
	o->health_runtime_detail = store_column_text(st, 19, oom);
	o->health_runtime_changed_ms = sqlite3_column_int64(st, 20);
	o->telemetry_ms = sqlite3_column_int64(st, 21);
}

/* Step a statement expected to give at most one instance row. */
static int fetch_one(struct store *s, sqlite3_stmt *st, struct store_instance *out,
		     struct ecs_err *err, const char *what)
{
	memset(out, 0, sizeof(*out));
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(err, ENOENT, "container instance not found");
	}
	if (rc != SQLITE_ROW) {
		int r = store_fail(s, err, what);
		sqlite3_reset(st);
		return r;
	}
	bool oom = false;
	read_instance(st, out, &oom);
	sqlite3_reset(st);
	if (oom) {
		store_instance_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int store_instance_get(struct store *s, const char *arn, struct store_instance *out,
		       struct ecs_err *err)
{
	static const char sql[] =
		"SELECT " INSTANCE_COLUMNS " FROM container_instances WHERE arn = ?1";
	/* Callers clear `out` on every failure, this one included. */
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	return fetch_one(s, st, out, err, "reading container instance");
}

int store_instance_get_by_id(struct store *s, int64_t id, struct store_instance *out,
			     struct ecs_err *err)
{
	static const char sql[] =
		"SELECT " INSTANCE_COLUMNS " FROM container_instances WHERE id = ?1";
	/* Callers clear `out` on every failure, this one included. */
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	return fetch_one(s, st, out, err, "reading container instance");
}

int store_instance_get_by_token(struct store *s, const char *token_hash,
				struct store_instance *out, struct ecs_err *err)
{
	static const char sql[] =
		"SELECT " INSTANCE_COLUMNS " FROM container_instances WHERE token_hash = ?1";
	/* Callers clear `out` on every failure, this one included. */
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	return fetch_one(s, st, out, err, "reading container instance");
}

/* The instance a registration re-registers, by previous ARN or identity:
 * its id, or 0 when a new one is to be created. */
static int find_existing(struct store *s, const struct store_instance_reg *reg, int64_t *id,
			 struct ecs_err *err)
{
	*id = 0;
	struct store_instance cur;
	int r;
	if (reg->previous_arn) {
		r = store_instance_get(s, reg->previous_arn, &cur, err);
		if (r < 0)
			return r;
		bool here = cur.cluster_id == reg->cluster_id;
		bool inactive = strcmp(cur.status, "INACTIVE") == 0;
		*id = cur.id;
		store_instance_clear(&cur);
		if (!here)
			return err_set(err, ENOENT, "container instance %s is not in this cluster",
				       reg->previous_arn);
		if (inactive)
			return err_set(err, ESTALE, "container instance %s is deregistered",
				       reg->previous_arn);
		return 0;
	}
	if (!reg->identity || !reg->identity[0])
		return 0;
	static const char sql[] =
		"SELECT id FROM container_instances WHERE cluster_id = ?1 AND ec2_instance_id = ?2"
		" AND status != 'INACTIVE' ORDER BY id LIMIT 1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, reg->cluster_id);
	sqlite3_bind_text(st, 2, reg->identity, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	r = 0;
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		r = store_fail(s, err, "finding container instance");
	sqlite3_reset(st);
	return r;
}

static int replace_agent_attributes(struct store *s, const struct store_instance_reg *reg,
				    const char *arn, struct ecs_err *err)
{
	static const char del[] =
		"DELETE FROM attributes WHERE cluster_id = ?1 AND target_id = ?2 AND source = 'agent'";
	/* A user-set attribute of the same name wins over the agent's. */
	static const char ins[] =
		"INSERT INTO attributes (cluster_id, target_type, target_id, name, value, source)"
		" VALUES (?1, 'container-instance', ?2, ?3, ?4, 'agent')"
		" ON CONFLICT (cluster_id, target_id, name) DO NOTHING";
	sqlite3_stmt *st = store_stmt(s, del, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, reg->cluster_id);
	sqlite3_bind_text(st, 2, arn, -1, SQLITE_STATIC);
	int r = store_step_done(s, st, err, "clearing agent attributes");
	for (size_t i = 0; i < reg->n_attributes && r >= 0; i++) {
		if (!(st = store_stmt(s, ins, err)))
			return -EIO;
		sqlite3_bind_int64(st, 1, reg->cluster_id);
		sqlite3_bind_text(st, 2, arn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, reg->attributes[i].key, -1, SQLITE_STATIC);
		if (reg->attributes[i].value)
			sqlite3_bind_text(st, 4, reg->attributes[i].value, -1, SQLITE_STATIC);
		r = store_step_done(s, st, err, "writing agent attribute");
	}
	return r;
}

static void bind_opt_text(sqlite3_stmt *st, int col, const char *v)
{
	if (v)
		sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC);
}

int store_instance_register(struct store *s, const struct store_instance_reg *reg, int64_t *id,
			    bool *created, struct ecs_err *err)
{
	static const char ins[] =
		"INSERT INTO container_instances (cluster_id, arn, ec2_instance_id, hostname, status,"
		" token_hash, cpu, memory, resources, version_info, registered_ms, updated_ms)"
		" VALUES (?1, ?2, ?3, ?4, 'ACTIVE', ?5, ?6, ?7, ?8, ?9, ?10, ?10) RETURNING id";
	static const char upd[] =
		"UPDATE container_instances SET ec2_instance_id = COALESCE(?2, ec2_instance_id),"
		" hostname = COALESCE(?3, hostname), token_hash = COALESCE(?4, token_hash),"
		" cpu = ?5, memory = ?6, resources = ?7, version_info = ?8, updated_ms = ?9,"
		" version = version + 1"
		" WHERE id = ?1 RETURNING arn";
	int r = find_existing(s, reg, id, err);
	if (r < 0)
		return r;
	*created = *id == 0;

	sqlite3_stmt *st = store_stmt(s, *created ? ins : upd, err);
	if (!st)
		return -EIO;
	if (*created) {
		sqlite3_bind_int64(st, 1, reg->cluster_id);
		sqlite3_bind_text(st, 2, reg->new_arn, -1, SQLITE_STATIC);
		bind_opt_text(st, 3, reg->identity && reg->identity[0] ? reg->identity : NULL);
		bind_opt_text(st, 4, reg->hostname && reg->hostname[0] ? reg->hostname : NULL);
		bind_opt_text(st, 5, reg->token_hash);
		sqlite3_bind_int64(st, 6, reg->cpu);
		sqlite3_bind_int64(st, 7, reg->memory);
		sqlite3_bind_text(st, 8, reg->resources, -1, SQLITE_STATIC);
		bind_opt_text(st, 9, reg->version_info);
		sqlite3_bind_int64(st, 10, reg->now_ms);
	} else {
		sqlite3_bind_int64(st, 1, *id);
		bind_opt_text(st, 2, reg->identity && reg->identity[0] ? reg->identity : NULL);
		bind_opt_text(st, 3, reg->hostname && reg->hostname[0] ? reg->hostname : NULL);
		bind_opt_text(st, 4, reg->token_hash);
		sqlite3_bind_int64(st, 5, reg->cpu);
		sqlite3_bind_int64(st, 6, reg->memory);
		sqlite3_bind_text(st, 7, reg->resources, -1, SQLITE_STATIC);
		bind_opt_text(st, 8, reg->version_info);
		sqlite3_bind_int64(st, 9, reg->now_ms);
	}
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = store_fail(s, err, "writing container instance");
		sqlite3_reset(st);
		return r;
	}
	bool oom = false;
	_cleanup_free_ char *arn = NULL;
	if (*created)
		*id = sqlite3_column_int64(st, 0);
	else
		arn = store_column_text(st, 0, &oom);
	sqlite3_reset(st);
	if (oom)
		return err_set(err, ENOMEM, "out of memory");
	return replace_agent_attributes(s, reg, *created ? reg->new_arn : arn, err);
}

static int update_by_id(struct store *s, const char *sql, int64_t id, int64_t now_ms,
			const char *a, const char *b, struct ecs_err *err, const char *what)
{
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	bind_opt_text(st, 3, a);
	bind_opt_text(st, 4, b);
	int r = store_step_done(s, st, err, what);
	if (r < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return err_set(err, ENOENT, "container instance %lld not found", (long long)id);
	return 0;
}

int store_instance_set_status(struct store *s, int64_t id, const char *status,
			      const char *reason, int64_t now_ms, struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE container_instances SET status = ?3, status_reason = ?4, updated_ms = ?2,"
		" version = version + 1, desired_version = desired_version + 1 WHERE id = ?1";
	return update_by_id(s, sql, id, now_ms, status, reason, err,
			    "updating container instance status");
}

int store_instance_bump_desired(struct store *s, int64_t id, int64_t now_ms,
				struct ecs_err *err)
{
	static const char sql[] =
		"UPDATE container_instances SET desired_version = desired_version + 1,"
		" version = version + 1, updated_ms = ?2 WHERE id = ?1";
	return update_by_id(s, sql, id, now_ms, NULL, NULL, err,
			    "updating container instance version");
}

int store_instance_touch(struct store *s, int64_t id, int64_t now_ms, bool *was_connected,
			 struct ecs_err *err)
{
	/* RETURNING gives the new row; the old flag is read first. */
	static const char get[] = "SELECT agent_connected FROM container_instances WHERE id = ?1";
	static const char sql[] =
		"UPDATE container_instances SET last_seen_ms = ?2,"
		" version = version + (agent_connected = 0), agent_connected = 1 WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, get, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	*was_connected = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, err, "reading container instance");
	return update_by_id(s, sql, id, now_ms, NULL, NULL, err, "recording agent contact");
}

int store_instance_list(struct store *s, int64_t cluster_id, const char *status,
			const char *after, size_t limit, struct store_strv *out, bool *more,
			struct ecs_err *err)
{
	static const char sql[] =
		"SELECT arn FROM container_instances WHERE cluster_id = ?1 AND arn > ?2"
		" AND (?3 IS NULL AND status != 'INACTIVE' OR status = ?3)"
		" ORDER BY arn LIMIT ?4";
	memset(out, 0, sizeof(*out));
	*more = false;
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	sqlite3_bind_text(st, 2, after ? after : "", -1, SQLITE_STATIC);
	bind_opt_text(st, 3, status);
	sqlite3_bind_int64(st, 4, limit ? (sqlite3_int64)limit + 1 : -1);

	return store_collect_strv(s, st, limit, out, more, err, "listing container instances");
}

/* ---- usage ---- */

void store_instance_usage_clear(struct store_instance_usage *u)
{
	if (!u)
		return;
	free(u->tcp_ports);
	free(u->udp_ports);
	memset(u, 0, sizeof(*u));
}

static int port_add(uint16_t **set, size_t *n, int64_t port)
{
	if (port <= 0 || port > 65535)
		return 0;
	size_t lo = 0, hi = *n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if ((*set)[mid] == port)
			return 0;
		if ((*set)[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint16_t *grown = realloc(*set, (*n + 1) * sizeof(**set));
	if (!grown)
		return -ENOMEM;
	memmove(grown + lo + 1, grown + lo, (*n - lo) * sizeof(*grown));
	grown[lo] = (uint16_t)port;
	*set = grown;
	(*n)++;
	return 0;
}

static bool is_udp(const json_node *proto)
{
	const char *p = json_type(proto) == JSON_STRING ? json_string(proto) : NULL;
	return p && (strcmp(p, "udp") == 0 || strcmp(p, "UDP") == 0);
}

static int add_port_item(struct store_instance_usage *u, const json_node *item, bool udp)
{
	int64_t port;
	if (json_integer(item, &port))
		return udp ? port_add(&u->udp_ports, &u->n_udp, port)
			   : port_add(&u->tcp_ports, &u->n_tcp, port);
	if (json_type(item) != JSON_OBJECT)
		return 0;
	const json_node *p = json_get(item, "hostPort");
	if (!p)
		p = json_get(item, "port");
	if (!json_integer(p, &port))
		return 0;
	if (udp || is_udp(json_get(item, "protocol")))
		return port_add(&u->udp_ports, &u->n_udp, port);
	return port_add(&u->tcp_ports, &u->n_tcp, port);
}

/*
 * The tasks table keeps a task's reserved host ports as JSON; accepted are
 *   [80, 443]                                   TCP ports
 *   [{"hostPort": 53, "protocol": "udp"}, ...]  (or "port"), protocol tcp by default
 *   {"tcp": [80], "udp": [53]}
 * so the scheduler may use whichever is most natural to it.
 */
int store_host_ports_add(struct store_instance_usage *u, const char *text)
{
	if (!text || !text[0])
		return 0;
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(text, strlen(text), NULL);
	if (!doc)
		return 0;
	const json_node *root = json_root(doc);
	int r = 0;
	if (json_type(root) == JSON_ARRAY) {
		for (size_t i = 0; i < json_array_size(root) && r >= 0; i++)
			r = add_port_item(u, json_array_get(root, i), false);
	} else if (json_type(root) == JSON_OBJECT) {
		static const char *const keys[] = { "tcp", "TCP", "udp", "UDP" };
		for (size_t k = 0; k < ARRAY_SIZE(keys) && r >= 0; k++) {
			const json_node *l = json_get(root, keys[k]);
			for (size_t i = 0; i < json_array_size(l) && r >= 0; i++)
				r = add_port_item(u, json_array_get(l, i), k >= 2);
		}
	}
	return r;
}

int store_instance_usage(struct store *s, int64_t id, struct store_instance_usage *out,
			 struct ecs_err *err)
{
	static const char sql[] =
		"SELECT last_status, cpu, memory, host_ports FROM tasks"
		" WHERE instance_id = ?1 AND last_status != 'STOPPED'";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	int rc, r = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 0);
		out->active_tasks++;
		if (status && strcmp(status, "RUNNING") == 0)
			out->running_tasks++;
		else if (status && (strcmp(status, "PENDING") == 0 ||
				    strcmp(status, "PROVISIONING") == 0 ||
				    strcmp(status, "ACTIVATING") == 0))
			out->pending_tasks++;
		out->cpu += sqlite3_column_int64(st, 1);
		out->memory += sqlite3_column_int64(st, 2);
		r = store_host_ports_add(out, (const char *)sqlite3_column_text(st, 3));
		if (r < 0) {
			err_set(err, ENOMEM, "out of memory");
			break;
		}
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = store_fail(s, err, "reading tasks of a container instance");
	sqlite3_reset(st);
	if (r < 0)
		store_instance_usage_clear(out);
	return r;
}

/* ---- attributes ---- */

void store_attribute_list_clear(struct store_attribute_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].target_id);
		free(l->items[i].name);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Read rows of (target_id, name, value, source) into `out`, at most `limit`
 * (0: all). */
static int read_attributes(struct store *s, sqlite3_stmt *st, size_t limit,
			   struct store_attribute_list *out, bool *more, struct ecs_err *err)
{
	int rc, r = 0;
	bool oom = false;
	size_t cap = 0;
	if (more)
		*more = false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (limit && out->n == limit) {
			if (more)
				*more = true;
			break;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			struct store_attribute *grown = realloc(out->items, cap * sizeof(*grown));
			if (!grown) {
				oom = true;
				break;
			}
			out->items = grown;
		}
		struct store_attribute *a = &out->items[out->n++];
		a->target_id = store_column_text(st, 0, &oom);
		a->name = store_column_text(st, 1, &oom);
		a->value = store_column_text(st, 2, &oom);
		const char *src = (const char *)sqlite3_column_text(st, 3);
		a->from_agent = src && strcmp(src, "agent") == 0;
	}
	if (oom)
		r = err_set(err, ENOMEM, "out of memory");
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_fail(s, err, "reading attributes");
	sqlite3_reset(st);
	if (r < 0)
		store_attribute_list_clear(out);
	return r;
}

int store_attributes_get(struct store *s, int64_t cluster_id, const char *target_id,
			 struct store_attribute_list *out, struct ecs_err *err)
{
	static const char sql[] =
		"SELECT target_id, name, value, source FROM attributes"
		" WHERE cluster_id = ?1 AND target_id = ?2 ORDER BY name";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	sqlite3_bind_text(st, 2, target_id, -1, SQLITE_STATIC);
	return read_attributes(s, st, 0, out, NULL, err);
}

int store_attribute_put(struct store *s, int64_t cluster_id, const char *target_id,
			const char *name, const char *value, struct ecs_err *err)
{
	static const char sql[] =
		"INSERT INTO attributes (cluster_id, target_type, target_id, name, value, source)"
		" VALUES (?1, 'container-instance', ?2, ?3, ?4, 'user')"
		" ON CONFLICT (cluster_id, target_id, name)"
		" DO UPDATE SET value = excluded.value, source = 'user'";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	sqlite3_bind_text(st, 2, target_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	bind_opt_text(st, 4, value);
	return store_step_done(s, st, err, "writing attribute");
}

int store_attribute_delete(struct store *s, int64_t cluster_id, const char *target_id,
			   const char *name, struct ecs_err *err)
{
	static const char sql[] =
		"DELETE FROM attributes WHERE cluster_id = ?1 AND target_id = ?2 AND name = ?3";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	sqlite3_bind_text(st, 2, target_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	return store_step_done(s, st, err, "deleting attribute");
}

int store_attribute_count_user(struct store *s, int64_t cluster_id, const char *target_id,
			       int64_t *out, struct ecs_err *err)
{
	static const char sql[] =
		"SELECT count(*) FROM attributes WHERE cluster_id = ?1 AND target_id = ?2"
		" AND source = 'user'";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	sqlite3_bind_text(st, 2, target_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	int r = rc == SQLITE_ROW ? 0 : store_fail(s, err, "counting attributes");
	sqlite3_reset(st);
	return r;
}

int store_attributes_list(struct store *s, int64_t cluster_id, const char *name,
			  const char *value, const char *after_target, const char *after_name,
			  size_t limit, struct store_attribute_list *out, bool *more,
			  struct ecs_err *err)
{
	static const char sql[] =
		"SELECT target_id, name, value, source FROM attributes"
		" WHERE cluster_id = ?1 AND target_type = 'container-instance'"
		" AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR value = ?3)"
		" AND (target_id, name) > (?4, ?5)"
		" ORDER BY target_id, name LIMIT ?6";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql, err);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, cluster_id);
	bind_opt_text(st, 2, name);
	bind_opt_text(st, 3, value);
	sqlite3_bind_text(st, 4, after_target ? after_target : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, after_name ? after_name : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)limit + 1);
	return read_attributes(s, st, limit, out, more, err);
}
