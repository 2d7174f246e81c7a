/* SPDX-License-Identifier: Apache-2.0 */
/* Container instances: the store (registration, attributes, usage, agent
 * state reports, liveness queries) and the API operations over it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "json.h"
#include "resources.h"
#include "store-agent.h"
#include "store-instances.h"
#include "store-internal.h"

#define CLUSTER_ARN "arn:aws:ecs:us-east-1:123456789012:cluster/default"
#define ARN_PREFIX "arn:aws:ecs:us-east-1:123456789012:container-instance/default/"

struct ctx {
	struct store *s;
	struct api *api;
	int64_t cluster_id;
	int64_t changed[8];
	size_t n_changed;
};

static int64_t fixed_clock(void *userdata)
{
	(void)userdata;
	return INT64_C(1704164645000);
}

static void on_changed(int64_t id, void *userdata)
{
	struct ctx *c = userdata;
	if (c->n_changed < 8)
		c->changed[c->n_changed++] = id;
}

static void exec_sql(struct store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("SQL failed: %s: %s", sql, msg);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct ecs_err err = { 0 };
	c->s = store_open(":memory:", &err);
	assert_non_null(c->s);
	c->api = api_new(c->s, "us-east-1", "123456789012", &err);
	assert_non_null(c->api);
	api_set_clock(c->api, fixed_clock, NULL);
	api_set_instance_listener(c->api, on_changed, c);
	struct store_cluster cl = { .name = (char *)"default", .arn = (char *)CLUSTER_ARN,
				    .created_ms = 1 };
	assert_int_equal(store_cluster_activate(c->s, &cl, &c->cluster_id, &err), 0);
	exec_sql(c->s, "INSERT INTO task_definitions (id, family, revision, arn, status, body,"
		       " registered_ms) VALUES (1, 'web', 1,"
		       " 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1', 'ACTIVE',"
		       " '{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"app\"}]}', 1)");
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	api_free(c->api);
	store_free(c->s);
	free(c);
	return 0;
}

/* Run an operation; returns the parsed reply (caller frees) and checks the
 * status. */
static struct json_doc *call(struct ctx *c, const char *op, const char *body, int status)
{
	struct api_reply reply;
	assert_int_equal(api_handle(c->api, op, body, strlen(body), &reply), 0);
	if (reply.status != status)
		fail_msg("%s %s: %d %s", op, body, reply.status, reply.body);
	struct json_doc *doc = json_parse(reply.body, reply.len, NULL);
	assert_non_null(doc);
	api_reply_clear(&reply);
	return doc;
}

static const char *error_type(struct json_doc *doc)
{
	return json_string(json_get(json_root(doc), "__type"));
}

static char *register_instance(struct ctx *c, const char *identity)
{
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"instanceIdentityDocument\": \"{\\\"instanceId\\\": \\\"%s\\\","
		 " \\\"instanceType\\\": \\\"t3.micro\\\"}\","
		 " \"totalResources\": [{\"name\": \"CPU\", \"type\": \"INTEGER\", \"integerValue\": 2048},"
		 "  {\"name\": \"MEMORY\", \"type\": \"INTEGER\", \"integerValue\": 4096},"
		 "  {\"name\": \"PORTS\", \"type\": \"STRINGSET\", \"stringSetValue\": [\"22\"]}],"
		 " \"versionInfo\": {\"agentVersion\": \"1.2.3\"},"
		 " \"attributes\": [{\"name\": \"stack\", \"value\": \"prod\"}]}", identity);
	struct json_doc *doc = call(c, "RegisterContainerInstance", body, 200);
	const json_node *ci = json_get(json_root(doc), "containerInstance");
	char *arn = strdup(json_string(json_get(ci, "containerInstanceArn")));
	assert_int_equal(strncmp(arn, ARN_PREFIX, strlen(ARN_PREFIX)), 0);
	assert_string_equal(json_string(json_get(ci, "ec2InstanceId")), identity);
	assert_string_equal(json_string(json_get(ci, "status")), "ACTIVE");
	json_doc_free(doc);
	return arn;
}

static int64_t instance_id(struct ctx *c, const char *arn)
{
	struct store_instance in;
	struct ecs_err err = { 0 };
	assert_int_equal(store_instance_get(c->s, arn, &in, &err), 0);
	int64_t id = in.id;
	store_instance_clear(&in);
	return id;
}

static void add_task(struct ctx *c, int64_t instance, const char *id, const char *status,
		     int cpu, int mem, const char *ports)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO tasks (arn, cluster_id, instance_id, taskdef_id, last_status,"
		 " desired_status, cpu, memory, host_ports, created_ms, updated_ms) VALUES"
		 " ('arn:aws:ecs:us-east-1:123456789012:task/default/%s', %lld, %lld, 1, '%s',"
		 " 'RUNNING', %d, %d, %s%s%s, 1, 1);"
		 "INSERT INTO task_containers (task_id, name, arn, last_status) VALUES"
		 " (last_insert_rowid(), 'app', 'c', '%s')",
		 id, (long long)c->cluster_id, (long long)instance, status, cpu, mem,
		 ports ? "'" : "", ports ? ports : "NULL", ports ? "'" : "", status);
	exec_sql(c->s, sql);
}

/* ---- tests ---- */

static void test_register_identity_and_describe(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = register_instance(c, "i-1");
	_cleanup_free_ char *again = register_instance(c, "i-1");
	assert_string_equal(a, again); /* same identity: same instance */
	_cleanup_free_ char *b = register_instance(c, "i-2");
	assert_string_not_equal(a, b);

	add_task(c, instance_id(c, a), "t1", "RUNNING", 512, 1024, "{\"tcp\": [80], \"udp\": [53]}");
	add_task(c, instance_id(c, a), "t2", "PENDING", 256, 256, "[8080]");
	add_task(c, instance_id(c, a), "t3", "STOPPED", 1024, 1024, "[9090]");

	char body[512];
	snprintf(body, sizeof(body),
		 "{\"containerInstances\": [\"%s\", \"%s\", \"nope\"], \"include\": [\"TAGS\"]}", a,
		 strrchr(b, '/') + 1);
	struct json_doc *doc = call(c, "DescribeContainerInstances", body, 200);
	const json_node *list = json_get(json_root(doc), "containerInstances");
	assert_int_equal(json_array_size(list), 2);
	const json_node *ci = json_array_get(list, 0);
	int64_t v;
	assert_true(json_integer(json_get(ci, "runningTasksCount"), &v));
	assert_int_equal(v, 1);
	assert_true(json_integer(json_get(ci, "pendingTasksCount"), &v));
	assert_int_equal(v, 1);
	const json_node *rem = json_get(ci, "remainingResources");
	assert_true(json_integer(json_get(json_array_get(rem, 0), "integerValue"), &v));
	assert_int_equal(v, 2048 - 768);
	assert_true(json_integer(json_get(json_array_get(rem, 1), "integerValue"), &v));
	assert_int_equal(v, 4096 - 1280);
	const json_node *ports = json_get(json_array_get(rem, 2), "stringSetValue");
	assert_int_equal(json_array_size(ports), 3); /* 22, 80, 8080; not 53 (udp), not 9090 */
	assert_string_equal(json_string(json_array_get(ports, 2)), "8080");
	const json_node *attrs = json_get(ci, "attributes");
	bool os_type = false, itype = false;
	for (size_t i = 0; i < json_array_size(attrs); i++) {
		const char *name = json_string(json_get(json_array_get(attrs, i), "name"));
		os_type |= strcmp(name, "ecs.os-type") == 0;
		itype |= strcmp(name, "ecs.instance-type") == 0;
	}
	assert_true(os_type && itype);
	assert_non_null(json_get(ci, "tags"));
	const json_node *failures = json_get(json_root(doc), "failures");
	assert_int_equal(json_array_size(failures), 1);
	assert_string_equal(json_string(json_get(json_array_get(failures, 0), "reason")), "MISSING");
	json_doc_free(doc);
}

static void test_list_filter_and_pages(void **state)
{
	struct ctx *c = *state;
	char *arns[5];
	for (int i = 0; i < 5; i++) {
		char id[16];
		snprintf(id, sizeof(id), "i-%d", i);
		arns[i] = register_instance(c, id);
	}
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"attributes\": [{\"name\": \"role\", \"value\": \"db\", \"targetId\": \"%s\"}]}",
		 arns[3]);
	json_doc_free(call(c, "PutAttributes", body, 200));

	struct json_doc *doc = call(c, "ListContainerInstances",
				    "{\"filter\": \"attribute:role == db\"}", 200);
	const json_node *list = json_get(json_root(doc), "containerInstanceArns");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string(json_array_get(list, 0)), arns[3]);
	json_doc_free(doc);

	doc = call(c, "ListContainerInstances", "{\"filter\": \"task:group == x\"}", 400);
	assert_string_equal(error_type(doc), "InvalidParameterException");
	json_doc_free(doc);

	/* Pages of 2, with and without a filter, see every instance once. */
	for (int filtered = 0; filtered < 2; filtered++) {
		size_t seen = 0;
		char token[512] = "", page[1024];
		do {
			snprintf(page, sizeof(page), "{\"maxResults\": 2%s%s%s%s}",
				 filtered ? ", \"filter\": \"attribute:stack == prod\"" : "",
				 token[0] ? ", \"nextToken\": \"" : "", token, token[0] ? "\"" : "");
			doc = call(c, "ListContainerInstances", page, 200);
			seen += json_array_size(json_get(json_root(doc), "containerInstanceArns"));
			const char *next = json_string(json_get(json_root(doc), "nextToken"));
			snprintf(token, sizeof(token), "%s", next ? next : "");
			json_doc_free(doc);
		} while (token[0]);
		assert_int_equal(seen, 5);
	}
	for (int i = 0; i < 5; i++)
		free(arns[i]);
}

static void test_attributes_limits(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = register_instance(c, "i-attr");
	char body[4096];
	size_t len = (size_t)snprintf(body, sizeof(body), "{\"attributes\": [");
	for (int i = 0; i < 10; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len,
					"%s{\"name\": \"a%d\", \"targetId\": \"%s\"}", i ? "," : "", i,
					strrchr(a, '/') + 1);
	snprintf(body + len, sizeof(body) - len, "]}");
	json_doc_free(call(c, "PutAttributes", body, 200));

	snprintf(body, sizeof(body),
		 "{\"attributes\": [{\"name\": \"one-more\", \"targetId\": \"%s\"}]}", a);
	struct json_doc *doc = call(c, "PutAttributes", body, 400);
	assert_string_equal(error_type(doc), "AttributeLimitExceededException");
	json_doc_free(doc);

	snprintf(body, sizeof(body), "{\"attributes\": [{\"name\": \"bad name\", \"targetId\": \"%s\"}]}",
		 a);
	doc = call(c, "PutAttributes", body, 400);
	assert_string_equal(error_type(doc), "InvalidParameterException");
	json_doc_free(doc);

	doc = call(c, "PutAttributes",
		   "{\"attributes\": [{\"name\": \"x\", \"targetId\": \"0123456789abcdef\"}]}", 400);
	assert_string_equal(error_type(doc), "TargetNotFoundException");
	json_doc_free(doc);

	snprintf(body, sizeof(body), "{\"attributes\": [{\"name\": \"a0\", \"targetId\": \"%s\"}]}", a);
	json_doc_free(call(c, "DeleteAttributes", body, 200));

	doc = call(c, "ListAttributes",
		   "{\"targetType\": \"container-instance\", \"attributeName\": \"a1\"}", 200);
	assert_int_equal(json_array_size(json_get(json_root(doc), "attributes")), 1);
	json_doc_free(doc);
	doc = call(c, "ListAttributes", "{\"targetType\": \"container-instance\", \"attributeName\": \"a0\"}",
		   200);
	assert_int_equal(json_array_size(json_get(json_root(doc), "attributes")), 0);
	json_doc_free(doc);
	doc = call(c, "ListAttributes", "{}", 400);
	assert_string_equal(error_type(doc), "InvalidParameterException");
	json_doc_free(doc);
}

static void test_state_and_deregister(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = register_instance(c, "i-state");
	int64_t id = instance_id(c, a);
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"containerInstances\": [\"%s\", \"missing\"], \"status\": \"DRAINING\"}", a);
	struct json_doc *doc = call(c, "UpdateContainerInstancesState", body, 200);
	assert_string_equal(json_string(json_get(json_array_get(json_get(json_root(doc),
		"containerInstances"), 0), "status")), "DRAINING");
	assert_int_equal(json_array_size(json_get(json_root(doc), "failures")), 1);
	json_doc_free(doc);
	assert_int_equal(c->n_changed, 1);
	assert_int_equal(c->changed[0], id);

	snprintf(body, sizeof(body), "{\"containerInstances\": [\"%s\"], \"status\": \"DEREGISTERING\"}", a);
	doc = call(c, "UpdateContainerInstancesState", body, 400);
	json_doc_free(doc);

	add_task(c, id, "td1", "RUNNING", 1, 1, NULL);
	snprintf(body, sizeof(body), "{\"containerInstance\": \"%s\"}", a);
	doc = call(c, "DeregisterContainerInstance", body, 400);
	assert_string_equal(error_type(doc), "InvalidParameterException");
	json_doc_free(doc);
	snprintf(body, sizeof(body), "{\"containerInstance\": \"%s\", \"force\": true}", a);
	doc = call(c, "DeregisterContainerInstance", body, 200);
	assert_string_equal(json_string(json_get(json_get(json_root(doc), "containerInstance"),
						 "status")), "INACTIVE");
	json_doc_free(doc);
	assert_int_equal(c->n_changed, 2);

	struct store_instance_usage u;
	struct ecs_err err = { 0 };
	assert_int_equal(store_instance_usage(c->s, id, &u, &err), 0);
	assert_int_equal(u.active_tasks, 0);
	store_instance_usage_clear(&u);

	/* An INACTIVE instance cannot come back by ARN. */
	struct store_instance_reg reg = { .cluster_id = c->cluster_id, .new_arn = "x",
					  .previous_arn = a, .resources = "[]" };
	int64_t iid;
	bool created;
	assert_int_equal(store_instance_register(c->s, &reg, &iid, &created, &err), -ESTALE);
	reg.previous_arn = ARN_PREFIX "0000";
	assert_int_equal(store_instance_register(c->s, &reg, &iid, &created, &err), -ENOENT);
}

static void snapshot(Ecsagent__TaskStateChange *t, Ecsagent__ContainerStateChange *cs,
		     Ecsagent__ContainerStateChange **csp, uint64_t seq, Ecsagent__Status st)
{
	*t = (Ecsagent__TaskStateChange)ECSAGENT__TASK_STATE_CHANGE__INIT;
	*cs = (Ecsagent__ContainerStateChange)ECSAGENT__CONTAINER_STATE_CHANGE__INIT;
	t->task_arn = (char *)"arn:aws:ecs:us-east-1:123456789012:task/default/s1";
	t->sequence = seq;
	t->status = st;
	cs->container_name = (char *)"app";
	cs->status = st;
	if (st == ECSAGENT__STATUS__STOPPED)
		wire_set_exit_code(cs, 3);
	csp[0] = cs;
	t->containers = csp;
	t->n_containers = 1;
}

static void test_agent_apply_idempotent(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = register_instance(c, "i-apply");
	int64_t id = instance_id(c, a);
	add_task(c, id, "s1", "PENDING", 10, 10, NULL);
	struct ecs_err err = { 0 };
	Ecsagent__TaskStateChange t;
	Ecsagent__ContainerStateChange cs, *csp[1];
	uint64_t acked;
	bool stopped;

	snapshot(&t, &cs, csp, 2, ECSAGENT__STATUS__RUNNING);
	assert_int_equal(store_agent_apply(c->s, id, &t, 100, &acked, &stopped, &err), 0);
	assert_int_equal(acked, 2);
	assert_false(stopped);
	/* A replay and an older snapshot change nothing and ack what is held. */
	assert_int_equal(store_agent_apply(c->s, id, &t, 100, &acked, &stopped, &err), 0);
	assert_int_equal(acked, 2);
	snapshot(&t, &cs, csp, 1, ECSAGENT__STATUS__PENDING);
	assert_int_equal(store_agent_apply(c->s, id, &t, 100, &acked, &stopped, &err), 0);
	assert_int_equal(acked, 2);
	/* A newer one with a lower status keeps the status. */
	snapshot(&t, &cs, csp, 3, ECSAGENT__STATUS__PENDING);
	assert_int_equal(store_agent_apply(c->s, id, &t, 100, &acked, &stopped, &err), 0);
	assert_int_equal(acked, 3);

	struct store_agent_task_list list;
	assert_int_equal(store_agent_desired_tasks(c->s, id, &list, &err), 0);
	assert_int_equal(list.n, 1);
	store_agent_task_list_clear(&list);

	snapshot(&t, &cs, csp, 4, ECSAGENT__STATUS__STOPPED);
	t.reason = (char *)"Essential container in task exited";
	assert_int_equal(store_agent_apply(c->s, id, &t, 100, &acked, &stopped, &err), 0);
	assert_true(stopped);
	assert_int_equal(store_agent_desired_tasks(c->s, id, &list, &err), 0);
	assert_int_equal(list.n, 0); /* stopped, reported, applied: gone from the list */
	store_agent_task_list_clear(&list);

	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(c->s->db,
		"SELECT t.last_status, t.desired_status, t.stopped_reason, c.last_status, c.exit_code"
		" FROM tasks t JOIN task_containers c ON c.task_id = t.id WHERE t.arn LIKE '%/s1'",
		-1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "STOPPED");
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "STOPPED");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "Essential container in task exited");
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "STOPPED");
	assert_int_equal(sqlite3_column_int(st, 4), 3);
	sqlite3_finalize(st);

	/* Unknown tasks are acknowledged as sent. */
	t.task_arn = (char *)"arn:aws:ecs:us-east-1:123456789012:task/default/unknown";
	t.sequence = 9;
	assert_int_equal(store_agent_apply(c->s, id, &t, 100, &acked, &stopped, &err), 0);
	assert_int_equal(acked, 9);
}

static void test_liveness_queries(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = register_instance(c, "i-live");
	int64_t id = instance_id(c, a);
	struct ecs_err err = { 0 };
	bool was;
	assert_int_equal(store_instance_touch(c->s, id, 1000, &was, &err), 0);
	assert_false(was);
	int64_t *ids;
	size_t n;
	assert_int_equal(store_agent_stale(c->s, 500, &ids, &n, &err), 0);
	assert_int_equal(n, 0);
	free(ids);
	assert_int_equal(store_agent_stale(c->s, 2000, &ids, &n, &err), 0);
	assert_int_equal(n, 1);
	free(ids);
	assert_int_equal(store_agent_disconnect(c->s, id, 2000, &err), 0);
	add_task(c, id, "l1", "RUNNING", 1, 1, NULL);
	assert_int_equal(store_agent_lost(c->s, 5000, &ids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], id);
	free(ids);
	int64_t stopped;
	assert_int_equal(store_agent_stop_tasks(c->s, id, "gone", 6000, &stopped, &err), 0);
	assert_int_equal(stopped, 1);
	assert_int_equal(store_agent_lost(c->s, 5000, &ids, &n, &err), 0);
	assert_int_equal(n, 0);
	free(ids);
}

/* A failed lookup leaves `out` clearable even when the statement cannot be
 * prepared: the agent poll and liveness paths clear it on every failure. */
static void test_get_failure_leaves_out_clear(void **state)
{
	struct ctx *c = *state;
	struct ecs_err err = { 0 };
	struct store_instance in;
	exec_sql(c->s, "ALTER TABLE container_instances RENAME TO ci_gone");
	memset(&in, 0xa5, sizeof(in));
	assert_true(store_instance_get_by_id(c->s, 1, &in, &err) < 0);
	assert_null(in.arn);
	store_instance_clear(&in);
	memset(&in, 0xa5, sizeof(in));
	assert_true(store_instance_get_by_token(c->s, "x", &in, &err) < 0);
	assert_null(in.arn);
	store_instance_clear(&in);
	memset(&in, 0xa5, sizeof(in));
	assert_true(store_instance_get(c->s, "arn:x", &in, &err) < 0);
	assert_null(in.arn);
	store_instance_clear(&in);
}

static void test_resources_and_ports(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	char *json;
	int64_t cpu, mem;
	const char *set[] = { "22", "99999" };
	struct resource r[] = {
		{ .name = "CPU", .type = "INTEGER", .integer_value = 1024 },
		{ .name = "PORTS", .type = "STRINGSET", .set = set, .n_set = 2 },
	};
	assert_int_equal(resources_to_json(r, 1, &json, &cpu, &mem, &err), 0);
	assert_int_equal(cpu, 1024);
	free(json);
	assert_int_equal(resources_to_json(r, 2, &json, &cpu, &mem, &err), -EINVAL);
	assert_non_null(strstr(err_msg(&err), "99999"));
	r[0].type = "LONG";
	assert_int_equal(resources_to_json(r, 1, &json, &cpu, &mem, &err), -EINVAL);

	struct store_instance_usage u = { 0 };
	assert_int_equal(store_host_ports_add(&u, "[{\"hostPort\": 53, \"protocol\": \"udp\"}, 80, 80]"), 0);
	assert_int_equal(store_host_ports_add(&u, "{\"tcp\": [443, 22], \"udp\": [53]}"), 0);
	assert_int_equal(store_host_ports_add(&u, "not json"), 0);
	assert_int_equal(u.n_tcp, 3);
	assert_int_equal(u.tcp_ports[0], 22);
	assert_int_equal(u.n_udp, 1);
	store_instance_usage_clear(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_identity_and_describe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_filter_and_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attributes_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_and_deregister, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_apply_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_liveness_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_failure_leaves_out_clear, setup, teardown),
		cmocka_unit_test(test_resources_and_ports),
	};
	return cmocka_run_group_tests_name("cp_instances", tests, NULL, NULL);
}
