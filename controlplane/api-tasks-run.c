/* SPDX-License-Identifier: Apache-2.0 */
/* RunTask and StartTask: check the request, place, create the tasks. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api-instances.h"
#include "api-taskdefs.h"
#include "api-tasks.h"
#include "arn.h"
#include "cql.h"
#include "ids.h"
#include "placement.h"
#include "store-placement.h"

#define MAX_COUNT 10
#define MAX_CONSTRAINTS 10
#define MAX_STARTED_BY 36
#define MAX_GROUP 255

static const char *const launch_types[] = { "EC2", "FARGATE", "EXTERNAL", NULL };
static const char *const propagate_names[] = { "TASK_DEFINITION", "SERVICE", "NONE", NULL };
static const char *const constraint_types[] = { "distinctInstance", "memberOf", NULL };

/* Everything one RunTask / StartTask works with. */
struct launch {
	const char *cluster_ref;
	const char *td_ref;
	const char *started_by;
	const char *group;
	const json_node *overrides;
	struct store_kv *tags;
	size_t n_tags;
	int propagate;
	bool enable_exec;
	int64_t count;
	struct placement_strategy strategies[PLACEMENT_MAX_STRATEGIES];
	size_t n_strategies;
	bool distinct;
	struct cql_expr *member_of[MAX_CONSTRAINTS];
	size_t n_member_of;
	size_t n_constraints;
	const char **instance_refs; /* StartTask */
	size_t n_instance_refs;

	struct store_cluster cluster;
	struct store_taskdef def;
	struct taskdef *td;
	char *default_group;
	struct task_plan plan;
	struct store_candidates cands;
	/* Per candidate: what placement and the query language see. */
	struct placement_instance *pinsts;
	struct store_instance_usage *ports;
	struct placement_attr *pattrs;
	struct cql_attribute *cattrs;
	struct placement_attr *required;
	size_t n_required;
};

static void launch_clear(struct launch *L)
{
	free(L->tags);
	for (size_t i = 0; i < L->n_member_of; i++)
		cql_free(L->member_of[i]);
	free(L->instance_refs);
	store_cluster_clear(&L->cluster);
	store_taskdef_clear(&L->def);
	taskdef_free(L->td);
	free(L->default_group);
	task_plan_clear(&L->plan);
	if (L->ports)
		for (size_t i = 0; i < L->cands.n; i++)
			store_instance_usage_clear(&L->ports[i]);
	store_candidates_clear(&L->cands);
	free(L->pinsts);
	free(L->ports);
	free(L->pattrs);
	free(L->cattrs);
	free(L->required);
	memset(L, 0, sizeof(*L));
}

/* Up to 36 letters, numbers, hyphens and underscores. */
static bool started_by_ok(const char *s)
{
	size_t len = strlen(s);
	if (len > MAX_STARTED_BY)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

/* ---- request ---- */

static int add_member_of(struct api_call *c, struct launch *L, const char *expr, const char *where)
{
	if (L->n_constraints >= MAX_CONSTRAINTS)
		return api_fail(c, "InvalidParameterException",
				"A task can have at most %d placement constraints, including those of its task definition",
				MAX_CONSTRAINTS);
	L->n_constraints++;
	struct ecs_err perr = { 0 };
	int r = cql_parse(expr, &L->member_of[L->n_member_of], &perr);
	if (r == -ENOMEM)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	if (r < 0)
		return api_fail(c, "InvalidParameterException", "%s: invalid memberOf expression: %s",
				where, err_msg(&perr));
	L->n_member_of++;
	return 0;
}

static int parse_constraints(struct api_call *c, struct launch *L)
{
	const json_node *list;
	int r = param_list(c, c->in, "placementConstraints", &list);
	if (r < 0)
		return r;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_node *item = json_array_get(list, i);
		const char *expr;
		int type;
		if (json_type(item) != JSON_OBJECT)
			return api_fail(c, "SerializationException",
					"Expected a list of PlacementConstraint objects for placementConstraints");
		if ((r = param_enum(c, item, "type", constraint_types, &type)) < 0 ||
		    (r = param_string(c, item, "expression", false, &expr)) < 0)
			return r;
		if (type < 0)
			return api_fail(c, "InvalidParameterException",
					"placementConstraints[%zu].type is required", i);
		if (type == 0) {
			if (expr && expr[0])
				return api_fail(c, "InvalidParameterException",
						"You can't specify an expression if the constraint type is distinctInstance.");
			if (L->n_constraints >= MAX_CONSTRAINTS)
				return api_fail(c, "InvalidParameterException",
						"A task can have at most %d placement constraints",
						MAX_CONSTRAINTS);
			L->n_constraints++;
			L->distinct = true;
			continue;
		}
		if (!expr || !expr[0])
			return api_fail(c, "InvalidParameterException",
					"A memberOf placement constraint needs an expression");
		if ((r = add_member_of(c, L, expr, "placementConstraints")) < 0)
			return r;
	}
	return 0;
}

static int parse_strategies(struct api_call *c, struct launch *L)
{
	const json_node *list;
	int r = param_list(c, c->in, "placementStrategy", &list);
	if (r < 0)
		return r;
	size_t n = json_array_size(list);
	if (n > PLACEMENT_MAX_STRATEGIES)
		return api_fail(c, "InvalidParameterException",
				"You can specify at most %d placement strategies", PLACEMENT_MAX_STRATEGIES);
	for (size_t i = 0; i < n; i++) {
		const json_node *item = json_array_get(list, i);
		const char *type, *field;
		if (json_type(item) != JSON_OBJECT)
			return api_fail(c, "SerializationException",
					"Expected a list of PlacementStrategy objects for placementStrategy");
		if ((r = param_string(c, item, "type", false, &type)) < 0 ||
		    (r = param_string(c, item, "field", false, &field)) < 0)
			return r;
		struct ecs_err perr = { 0 };
		if (placement_strategy_parse(type, field, &L->strategies[i], &perr) < 0)
			return api_fail(c, "InvalidParameterException", "%s", err_msg(&perr));
	}
	L->n_strategies = n;
	return 0;
}

/* The members RunTask and StartTask share. */
static int parse_common(struct api_call *c, struct launch *L)
{
	const char *reference;
	bool given, managed_tags;
	int r;
	L->propagate = -1;
	if ((r = param_string(c, c->in, "cluster", false, &L->cluster_ref)) < 0 ||
	    (r = param_string(c, c->in, "taskDefinition", true, &L->td_ref)) < 0 ||
	    (r = param_object(c, c->in, "overrides", &L->overrides)) < 0 ||
	    (r = param_string(c, c->in, "startedBy", false, &L->started_by)) < 0 ||
	    (r = param_string(c, c->in, "group", false, &L->group)) < 0 ||
	    (r = param_tags(c, c->in, "tags", &L->tags, &L->n_tags)) < 0 ||
	    (r = param_bool(c, c->in, "enableECSManagedTags", &given, &managed_tags)) < 0 ||
	    (r = param_bool(c, c->in, "enableExecuteCommand", &given, &L->enable_exec)) < 0 ||
	    (r = param_enum(c, c->in, "propagateTags", propagate_names, &L->propagate)) < 0 ||
	    (r = param_string(c, c->in, "referenceId", false, &reference)) < 0)
		return r;
	if (!given)
		L->enable_exec = false;
	if (L->started_by && !started_by_ok(L->started_by))
		return api_fail(c, "InvalidParameterException",
				"startedBy can have up to %d letters, numbers, hyphens and underscores",
				MAX_STARTED_BY);
	if (L->group && (!L->group[0] || strlen(L->group) > MAX_GROUP))
		return api_fail(c, "InvalidParameterException",
				"group must be 1 to %d characters", MAX_GROUP);
	if (reference && strlen(reference) > 64)
		return api_fail(c, "InvalidParameterException",
				"referenceId can be at most 64 characters");
	return 0;
}

/* ---- resolution, inside the transaction ---- */

static int resolve(struct api_call *c, struct launch *L, const json_node *netcfg)
{
	int r = api_cluster_lookup(c, L->cluster_ref, &L->cluster);
	if (r < 0)
		return r;
	r = api_taskdef_lookup(c, L->td_ref, false, &L->def);
	if (r == -ENOENT)
		return api_fail(c, "InvalidParameterException", "TaskDefinition not found.");
	if (r < 0)
		return r;
	if (strcmp(L->def.status, "ACTIVE") != 0)
		return api_fail(c, "InvalidParameterException", "TaskDefinition is inactive");

	struct ecs_err perr = { 0 };
	r = taskdef_parse_flags(L->def.body, strlen(L->def.body),
				TASKDEF_PARSE_STORED | TASKDEF_PARSE_NO_VALIDATE, &L->td, NULL, &perr);
	if (r < 0)
		return err_set(&c->ierr, -r, "stored task definition %s: %s", L->def.arn,
			       err_msg(&perr));

	if (L->td->compatibilities.set) {
		bool ec2 = false;
		for (size_t i = 0; i < L->td->compatibilities.count; i++)
			ec2 |= strcmp(L->td->compatibilities.items[i], "EC2") == 0;
		if (!ec2)
			return api_fail(c, "InvalidParameterException",
					"Task definition does not support launch_type EC2.");
	}
	if (taskdef_network_mode(L->td) == TD_NET_AWSVPC) {
		if (!netcfg)
			return api_fail(c, "InvalidParameterException",
					"Network Configuration must be provided when networkMode 'awsvpc' is specified.");
		return api_fail(c, "UnsupportedFeatureException",
				"Tasks in the awsvpc network mode are not supported by this control plane.");
	}
	if (netcfg)
		return api_fail(c, "InvalidParameterException",
				"Network Configuration is not valid for the given networkMode of this task definition.");

	for (size_t i = 0; i < L->td->placement_constraints.count; i++) {
		const struct td_placement_constraint *pc = &L->td->placement_constraints.items[i];
		if (!pc->type || strcmp(pc->type, "memberOf") != 0 || !pc->expression)
			continue;
		if ((r = add_member_of(c, L, pc->expression, "the task definition's placementConstraints")) < 0)
			return r;
	}

	if (!L->group) {
		if (asprintf(&L->default_group, "family:%s", L->def.family) < 0) {
			L->default_group = NULL;
			return err_set(&c->ierr, ENOMEM, "out of memory");
		}
		L->group = L->default_group;
	}
	return task_plan_build(c, L->td, L->overrides, &L->plan);
}

/* The PORTS and PORTS_UDP the agent registered as reserved. */
static int reserved_ports(const char *resources, struct store_instance_usage *u)
{
	if (!resources)
		return 0;
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(resources, strlen(resources), NULL);
	const json_node *list = doc ? json_root(doc) : NULL;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_node *res = json_array_get(list, i);
		const char *name = json_string(json_get(res, "name"));
		const json_node *set = json_get(res, "stringSetValue");
		const char *key = NULL;
		if (name && strcmp(name, "PORTS") == 0)
			key = "tcp";
		else if (name && strcmp(name, "PORTS_UDP") == 0)
			key = "udp";
		if (!key)
			continue;
		/* Re-use the host_ports reader: {"tcp": [N, ...]}. */
		_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
		if (!w)
			return -ENOMEM;
		json_w_object_begin(w);
		json_w_key(w, key);
		json_w_array_begin(w);
		for (size_t j = 0; j < json_array_size(set); j++) {
			const char *p = json_string(json_array_get(set, j));
			char *end;
			long port = p ? strtol(p, &end, 10) : 0;
			if (p && *p && !*end && port > 0 && port <= 65535)
				json_w_int(w, port);
		}
		json_w_array_end(w);
		json_w_object_end(w);
		_cleanup_free_ char *text = json_writer_finish(w, NULL, NULL);
		if (!text || store_host_ports_add(u, text) < 0)
			return -ENOMEM;
	}
	return 0;
}

static const char *agent_version(const struct store_candidate *cand, struct json_doc **doc)
{
	*doc = NULL;
	if (!cand->version_info)
		return NULL;
	*doc = json_parse(cand->version_info, strlen(cand->version_info), NULL);
	return *doc ? json_string(json_get(json_root(*doc), "agentVersion")) : NULL;
}

static bool plan_has_port(const struct task_plan *p, long port)
{
	for (size_t i = 0; i < p->n_tcp; i++)
		if (p->tcp_ports[i] == port)
			return true;
	for (size_t i = 0; i < p->n_udp; i++)
		if (p->udp_ports[i] == port)
			return true;
	return false;
}

/* Whether a JSON text of ports (a host_ports column, an instance's
 * resources) may name one of the task's host ports: every port in it is a
 * run of digits, so a text without a run of the same value cannot take
 * one. Placement compares only the task's own ports, so skipping the
 * (costly) parse of every other text changes no decision. */
static bool mentions_port(const char *text, const struct task_plan *p)
{
	for (const char *t = text; *t;) {
		if (*t < '0' || *t > '9') {
			t++;
			continue;
		}
		long v = 0;
		for (; *t >= '0' && *t <= '9'; t++)
			if (v <= 65535)
				v = v * 10 + (*t - '0');
		if (plan_has_port(p, v))
			return true;
	}
	return false;
}

/* What placement will look at, so that nothing else is read. */
static int candidates_want(struct launch *L, bool only_active, struct store_candidates_want *w,
			   const char ***names)
{
	size_t n = L->td->requires_attributes.count + L->n_strategies;
	*names = calloc(n + 1, sizeof(**names));
	if (!*names)
		return -ENOMEM;
	*w = (struct store_candidates_want){
		.only_active = only_active,
		.group = L->group,
		/* memberOf may test any attribute and the instance's details */
		.details = L->n_member_of > 0,
		.all_attributes = L->n_member_of > 0,
		.ports = L->plan.n_tcp + L->plan.n_udp > 0,
		.attributes = *names,
	};
	for (size_t i = 0; i < L->td->requires_attributes.count; i++)
		if (L->td->requires_attributes.items[i].name)
			(*names)[w->n_attributes++] = L->td->requires_attributes.items[i].name;
	for (size_t i = 0; i < L->n_strategies; i++)
		if (L->strategies[i].field == PLACEMENT_FIELD_ATTRIBUTE && L->strategies[i].attribute)
			(*names)[w->n_attributes++] = L->strategies[i].attribute;
	return 0;
}

/* Turn the loaded candidates into placement's view of them. */
static int build_candidates(struct api_call *c, struct launch *L, bool only_active)
{
	struct store_candidates_want want;
	_cleanup_free_ const char **names = NULL;
	if (candidates_want(L, only_active, &want, &names) < 0)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	int r = store_candidates_load(c->api->store, L->cluster.id, &want, &L->cands, &c->ierr);
	if (r < 0)
		return r;
	size_t n = L->cands.n, n_attrs = 0;
	for (size_t i = 0; i < n; i++)
		n_attrs += L->cands.items[i].n_attrs;
	L->pinsts = calloc(n + 1, sizeof(*L->pinsts));
	L->ports = calloc(n + 1, sizeof(*L->ports));
	L->pattrs = calloc(n_attrs + 1, sizeof(*L->pattrs));
	L->cattrs = calloc(n_attrs + 1, sizeof(*L->cattrs));
	L->required = calloc(L->td->requires_attributes.count + 1, sizeof(*L->required));
	if (!L->pinsts || !L->ports || !L->pattrs || !L->cattrs || !L->required)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	for (size_t i = 0; i < L->td->requires_attributes.count; i++) {
		const struct td_attribute *a = &L->td->requires_attributes.items[i];
		L->required[L->n_required++] = (struct placement_attr){ a->name, a->value };
	}

	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct store_candidate *cand = &L->cands.items[i];
		struct placement_attr *pa = &L->pattrs[k];
		struct cql_attribute *ca = &L->cattrs[k];
		for (size_t j = 0; j < cand->n_attrs; j++, k++) {
			L->pattrs[k] = (struct placement_attr){ cand->attrs[j].key, cand->attrs[j].value };
			L->cattrs[k] = (struct cql_attribute){ cand->attrs[j].key, cand->attrs[j].value };
		}
		if (want.ports) {
			if (cand->resources && mentions_port(cand->resources, &L->plan))
				r = reserved_ports(cand->resources, &L->ports[i]);
			for (size_t j = 0; j < cand->host_ports.n && r >= 0; j++)
				if (mentions_port(cand->host_ports.items[j], &L->plan))
					r = store_host_ports_add(&L->ports[i], cand->host_ports.items[j]);
			if (r < 0)
				return err_set(&c->ierr, ENOMEM, "out of memory");
		}

		bool member_of_ok = true;
		if (L->n_member_of > 0) {
			_cleanup_(json_doc_freep) struct json_doc *vdoc = NULL;
			struct cql_instance ci = {
				.ec2_instance_id = cand->ec2_instance_id,
				.agent_version = agent_version(cand, &vdoc),
				.registered_at_ms = cand->registered_ms,
				.agent_connected = cand->agent_connected,
				.running_tasks_count = cand->running_tasks,
				.attributes = ca,
				.n_attributes = cand->n_attrs,
			};
			for (size_t m = 0; m < L->n_member_of && member_of_ok; m++)
				member_of_ok = cql_match(L->member_of[m], &ci);
		}

		L->pinsts[i] = (struct placement_instance){
			.arn = cand->arn,
			.agent_connected = cand->agent_connected,
			.member_of_ok = member_of_ok,
			.cpu_remaining = cand->cpu - cand->cpu_used,
			.memory_remaining = cand->memory - cand->memory_used,
			.tcp_used = { L->ports[i].tcp_ports, L->ports[i].n_tcp },
			.udp_used = { L->ports[i].udp_ports, L->ports[i].n_udp },
			.attrs = pa,
			.n_attrs = cand->n_attrs,
			.group_tasks = (size_t)cand->group_tasks,
		};
	}
	return 0;
}

static struct placement_task task_needs(const struct launch *L)
{
	return (struct placement_task){
		.cpu = L->plan.cpu,
		.memory = L->plan.memory,
		.tcp_ports = { L->plan.tcp_ports, L->plan.n_tcp },
		.udp_ports = { L->plan.udp_ports, L->plan.n_udp },
		.required = L->required,
		.n_required = L->n_required,
		.distinct_instance = L->distinct,
	};
}

/* ---- creating the tasks ---- */

static char *new_arn(struct api_call *c, const char *type, const char *cluster, const char *a,
		     const char *b)
{
	char id[512];
	if (b)
		snprintf(id, sizeof(id), "%s/%s/%s", cluster, a, b);
	else
		snprintf(id, sizeof(id), "%s/%s", cluster, a);
	return arn_build(c->api->region, c->api->account_id, type, id);
}

/* Insert one task on candidate `idx`; its ARN goes to *arn, its row id to
 * *id. */
static int create_task(struct api_call *c, struct launch *L, size_t idx, char **arn, int64_t *id)
{
	char task_id[33];
	id_random_hex(task_id, 16);
	*arn = new_arn(c, "task", L->cluster.name, task_id, NULL);
	if (!*arn)
		return err_set(&c->ierr, ENOMEM, "out of memory");

	size_t n = L->plan.n_containers;
	struct store_task_container *cs = calloc(n + 1, sizeof(*cs));
	if (!cs)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	int r = 0;
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct task_plan_container *pc = &L->plan.containers[i];
		char uuid[ID_UUID_LEN + 1];
		id_uuid4(uuid);
		cs[i] = (struct store_task_container){
			.name = (char *)pc->name,
			.arn = new_arn(c, "container", L->cluster.name, task_id, uuid),
			.image = (char *)pc->image,
			.last_status = (char *)"PENDING",
			.exit_code = -1,
			.cpu = pc->cpu,
			.memory = pc->memory,
			.memory_reservation = pc->memory_reservation,
		};
		if (!cs[i].arn)
			r = err_set(&c->ierr, ENOMEM, "out of memory");
	}
	struct store_task t = {
		.arn = *arn,
		.cluster_id = L->cluster.id,
		.instance_id = L->cands.items[idx].id,
		.taskdef_id = L->def.id,
		.overrides = L->plan.overrides,
		.started_by = (char *)L->started_by,
		.group_name = (char *)L->group,
		.launch_type = (char *)"EC2",
		.last_status = (char *)"PENDING",
		.desired_status = (char *)"RUNNING",
		.cpu = L->plan.cpu,
		.memory = L->plan.memory,
		.host_ports = L->plan.host_ports,
		.version = 1,
		.enable_execute_command = L->enable_exec,
		.created_ms = c->now_ms,
		.updated_ms = c->now_ms,
	};
	if (r >= 0)
		r = store_task_insert(c->api->store, &t, cs, n, id, &c->ierr);
	for (size_t i = 0; i < n; i++)
		free(cs[i].arn);
	free(cs);
	return r;
}

/* The tags a new task gets: the task definition's when propagateTags is
 * TASK_DEFINITION, then the request's (which win on the same key). */
static int tag_task(struct api_call *c, const struct launch *L, const char *arn)
{
	struct store *s = c->api->store;
	int r;
	if (L->propagate == 0) {
		struct store_kv_list inherited;
		if ((r = store_tags_get(s, L->def.arn, &inherited, &c->ierr)) < 0)
			return r;
		r = store_tags_put(s, arn, inherited.items, inherited.n, &c->ierr);
		store_kv_list_clear(&inherited);
		if (r < 0)
			return r;
	}
	return store_tags_put(s, arn, L->tags, L->n_tags, &c->ierr);
}

struct missing {
	char *arn;
	const char *reason;
};

/* Create the placed tasks, commit, tell the agents, and write
 * {"tasks": [...], "failures": [...]}. `missing` are failures found before
 * placement (StartTask's unknown instances). */
static int launch_finish(struct api_call *c, struct launch *L, const struct placement_result *res,
			 const struct missing *missing, size_t n_missing)
{
	struct store *s = c->api->store;
	size_t n = res->n_placed;
	char **arns = calloc(n + 1, sizeof(*arns));
	int64_t *ids = calloc(n + 1, sizeof(*ids));
	bool *bumped = calloc(L->cands.n + 1, sizeof(*bumped));
	int r = arns && ids && bumped ? 0 : err_set(&c->ierr, ENOMEM, "out of memory");

	/* Each instance's desired_version grows once, and every new task
	 * records the version it appeared at. */
	for (size_t i = 0; i < n && r >= 0; i++) {
		size_t idx = res->chosen[i];
		if (!bumped[idx]) {
			bumped[idx] = true;
			r = store_instance_bump_desired(s, L->cands.items[idx].id, c->now_ms, &c->ierr);
		}
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		r = create_task(c, L, res->chosen[i], &arns[i], &ids[i]);
		if (r >= 0)
			r = store_task_mark_desired(s, ids[i], &c->ierr);
		if (r >= 0)
			r = tag_task(c, L, arns[i]);
	}
	if (r >= 0 && n > 0)
		r = store_commit(s, &c->ierr);
	if (r >= 0)
		for (size_t idx = 0; idx < L->cands.n; idx++)
			if (bumped[idx])
				api_instance_changed(c->api, L->cands.items[idx].id);

	if (r >= 0) {
		json_w_key(c->out, "tasks");
		json_w_array_begin(c->out);
		for (size_t i = 0; i < n && r >= 0; i++) {
			struct store_task t;
			r = store_task_get(s, arns[i], &t, &c->ierr);
			if (r >= 0)
				r = api_write_task(c, &t, true);
			store_task_clear(&t);
		}
		json_w_array_end(c->out);
	}
	if (r >= 0) {
		json_w_key(c->out, "failures");
		json_w_array_begin(c->out);
		for (size_t i = 0; i < n_missing; i++)
			api_w_failure(c->out, missing[i].arn, missing[i].reason, NULL);
		for (size_t i = 0; i < res->n_failures; i++) {
			const struct placement_failure *f = &res->failures[i];
			api_w_failure(c->out, L->cands.items[f->instance].arn,
				      placement_reason_name(f->reason), NULL);
		}
		json_w_array_end(c->out);
	}
	for (size_t i = 0; arns && i < n; i++)
		free(arns[i]);
	free(arns);
	free(ids);
	free(bumped);
	return r;
}

static uint64_t next_random(void *userdata)
{
	/* xorshift64*: placement only needs an even spread, not secrecy. */
	uint64_t *x = userdata;
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(2685821657736338717);
}

static uint64_t random_seed(void)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed) || seed == 0)
		seed = UINT64_C(0x9e3779b97f4a7c15);
	return seed;
}

/* ---- RunTask ---- */

int api_run_task(struct api_call *c)
{
	struct launch L = { 0 };
	const json_node *netcfg, *capacity;
	const char *platform;
	int launch_type;
	bool given;
	int r;

	if ((r = parse_common(c, &L)) < 0 ||
	    (r = param_int(c, c->in, "count", 1, MAX_COUNT, &given, &L.count)) < 0 ||
	    (r = param_enum(c, c->in, "launchType", launch_types, &launch_type)) < 0 ||
	    (r = param_list(c, c->in, "capacityProviderStrategy", &capacity)) < 0 ||
	    (r = param_string(c, c->in, "platformVersion", false, &platform)) < 0 ||
	    (r = param_object(c, c->in, "networkConfiguration", &netcfg)) < 0 ||
	    (r = parse_constraints(c, &L)) < 0 || (r = parse_strategies(c, &L)) < 0)
		goto out;
	if (!given)
		L.count = 1;
	if (json_array_size(capacity) > 0) {
		r = api_fail(c, "InvalidParameterException",
			     "capacityProviderStrategy: capacity providers are not supported");
		goto out;
	}

	struct store *s = c->api->store;
	if ((r = store_begin(s, &c->ierr)) < 0 || (r = resolve(c, &L, netcfg)) < 0)
		goto out;
	/* Only EC2-style instances register here: FARGATE and EXTERNAL have
	 * no capacity, which ECS reports the same way as an empty cluster. */
	if (launch_type > 0) {
		r = api_fail(c, "InvalidParameterException",
			     "No Container Instances were found in your cluster.");
		goto out;
	}
	/* DRAINING instances take no new tasks: they are not candidates. */
	if ((r = build_candidates(c, &L, true)) < 0)
		goto out;
	if (L.cands.n == 0) {
		r = api_fail(c, "InvalidParameterException",
			     "No Container Instances were found in your cluster.");
		goto out;
	}

	struct placement_task need = task_needs(&L);
	struct placement_result res;
	uint64_t seed = random_seed();
	r = placement_run(L.pinsts, L.cands.n, &need, (size_t)L.count, NULL, L.strategies,
			  L.n_strategies, next_random, &seed, &res, &c->ierr);
	if (r < 0)
		goto out;
	r = launch_finish(c, &L, &res, NULL, 0);
	placement_result_clear(&res);
out:
	launch_clear(&L);
	return r;
}

/* ---- StartTask ---- */

static int candidate_by_arn(const struct launch *L, const char *arn)
{
	for (size_t i = 0; i < L->cands.n; i++)
		if (strcmp(L->cands.items[i].arn, arn) == 0)
			return (int)i;
	return -1;
}

int api_start_task(struct api_call *c)
{
	struct launch L = { 0 };
	const json_node *netcfg;
	bool given;
	int r;
	struct missing missing[MAX_COUNT];
	size_t n_missing = 0, n_pinned = 0;
	size_t pinned[MAX_COUNT];

	if ((r = parse_common(c, &L)) < 0 ||
	    (r = param_object(c, c->in, "networkConfiguration", &netcfg)) < 0 ||
	    (r = param_string_list(c, c->in, "containerInstances", MAX_COUNT, &L.instance_refs,
				   &L.n_instance_refs, &given)) < 0)
		goto out;
	if (L.n_instance_refs == 0) {
		r = api_fail(c, "InvalidParameterException",
			     "containerInstances must list 1 to %d container instances", MAX_COUNT);
		goto out;
	}

	struct store *s = c->api->store;
	if ((r = store_begin(s, &c->ierr)) < 0 || (r = resolve(c, &L, netcfg)) < 0 ||
	    (r = build_candidates(c, &L, false)) < 0)
		goto out;

	for (size_t i = 0; i < L.n_instance_refs && r >= 0; i++) {
		char *arn = NULL;
		r = api_instance_arn(c, &L.cluster, L.instance_refs[i], &arn);
		if (r == -EINVAL) {
			r = 0;
			if (!(arn = strdup(L.instance_refs[i])))
				r = err_set(&c->ierr, ENOMEM, "out of memory");
		}
		if (r < 0)
			break;
		int idx = candidate_by_arn(&L, arn);
		if (idx < 0 || strcmp(L.cands.items[idx].status, "ACTIVE") != 0) {
			/* A DRAINING instance takes no new tasks either. */
			missing[n_missing].arn = arn;
			missing[n_missing++].reason = idx < 0 ? "MISSING" : "DRAINING";
			continue;
		}
		free(arn);
		pinned[n_pinned++] = (size_t)idx;
	}
	if (r >= 0) {
		struct placement_task need = task_needs(&L);
		struct placement_result res;
		r = placement_run(L.pinsts, L.cands.n, &need, n_pinned, pinned, NULL, 0, NULL, NULL,
				  &res, &c->ierr);
		if (r >= 0)
			r = launch_finish(c, &L, &res, missing, n_missing);
		placement_result_clear(&res);
	}
	for (size_t i = 0; i < n_missing; i++)
		free(missing[i].arn);
out:
	launch_clear(&L);
	return r;
}
