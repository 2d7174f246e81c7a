/* SPDX-License-Identifier: Apache-2.0 */
/* RunTask, StartTask, StopTask, DescribeTasks, ListTasks against an
 * in-memory store: shapes, placement failures, reservations, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store-agent.h"
#include "store-instances.h"
#include "store-placement.h"

/* Per-test state beyond the shared fixture's. */
#define CP_CTX_EXTRA                                                         \
	char *instances[3]; /* 0, 1: in setup(); 2: by tests that want it */ \
	int64_t instance_ids[3];                                             \
	int64_t changed[16];                                                 \
	size_t n_changed;
#include "test_cp_api_util.h"

#define NOW CP_T0 /* the clock never moves here */
#define CLUSTER_ARN "arn:aws:ecs:us-east-1:123456789012:cluster/default"

static void on_change(int64_t instance_id, void *userdata)
{
	struct ctx *c = userdata;
	if (c->n_changed < 16)
		c->changed[c->n_changed++] = instance_id;
}

static void expect_error(struct ctx *c, const char *op, const char *body, const char *type,
			 const char *message)
{
	const json_node *root = call(c, op, body);
	if (c->reply.status != 400 || strcmp(c->reply.error_type ? c->reply.error_type : "", type))
		fail_msg("%s %s: got %d %s, want %s", op, body, c->reply.status, c->reply.body, type);
	if (message)
		assert_string_equal(json_string(json_get(root, "message")), message);
}

static const char *str(const json_node *obj, const char *key)
{
	const char *s = json_string(json_get(obj, key));
	if (!s)
		fail_msg("member %s missing", key);
	return s;
}

/* An instance with 1024 CPU units and 1024 MiB, its agent connected. */
static void add_instance(struct ctx *c, const char *cluster, int k, bool connected)
{
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"cluster\": \"%s\", \"instanceIdentityDocument\": \"host-%s-%d\","
		 " \"totalResources\": ["
		 "  {\"name\": \"CPU\", \"type\": \"INTEGER\", \"integerValue\": 1024},"
		 "  {\"name\": \"MEMORY\", \"type\": \"INTEGER\", \"integerValue\": 1024},"
		 "  {\"name\": \"PORTS\", \"type\": \"STRINGSET\", \"stringSetValue\": [\"22\"]}],"
		 " \"attributes\": [{\"name\": \"slot\", \"value\": \"s%d\"}%s]}",
		 cluster, cluster, k, k,
		 /* what memoryReservation needs; instance 2 goes without */
		 k < 2 ? ", {\"name\": \"com.amazonaws.ecs.capability.docker-remote-api.1.21\"}" : "");
	const json_node *root = ok(c, "RegisterContainerInstance", body);
	const char *arn = str(json_get(root, "containerInstance"), "containerInstanceArn");
	struct store_instance in;
	struct ecs_err err;
	assert_int_equal(store_instance_get(c->store, arn, &in, &err), 0);
	if (strcmp(cluster, "default") == 0) {
		c->instances[k] = strdup(arn);
		c->instance_ids[k] = in.id;
	}
	if (connected) {
		bool was;
		assert_int_equal(store_instance_touch(c->store, in.id, NOW, &was, &err), 0);
	}
	store_instance_clear(&in);
}

static int setup(void **state)
{
	struct ctx *c = cp_ctx_new(api_handle);
	api_set_instance_listener(c->api, on_change, c);
	ok(c, "CreateCluster", "{}");
	/* web: a static host port; batch: none; big: more than an instance. */
	ok(c, "RegisterTaskDefinition",
	   "{\"family\": \"web\", \"containerDefinitions\": [{\"name\": \"app\","
	   " \"image\": \"nginx\", \"memory\": 256, \"cpu\": 100,"
	   " \"portMappings\": [{\"containerPort\": 80, \"hostPort\": 8080}]}],"
	   " \"tags\": [{\"key\": \"team\", \"value\": \"web\"}]}");
	ok(c, "RegisterTaskDefinition",
	   "{\"family\": \"batch\", \"containerDefinitions\": [{\"name\": \"job\","
	   " \"image\": \"busybox\", \"memoryReservation\": 448},"
	   " {\"name\": \"side\", \"image\": \"busybox\", \"memory\": 64, \"essential\": false}]}");
	ok(c, "RegisterTaskDefinition",
	   "{\"family\": \"big\", \"containerDefinitions\": [{\"name\": \"x\","
	   " \"image\": \"busybox\", \"memory\": 2048}]}");
	add_instance(c, "default", 0, true);
	add_instance(c, "default", 1, true);
	c->n_changed = 0;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	for (size_t i = 0; i < 3; i++)
		free(c->instances[i]);
	cp_ctx_free(c);
	return 0;
}

static size_t count_failures(const json_node *root, const char *reason)
{
	const json_node *f = json_get(root, "failures");
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(f); i++)
		n += strcmp(str(json_array_get(f, i), "reason"), reason) == 0;
	return n;
}

static void test_run_task_shape(void **state)
{
	struct ctx *c = *state;
	const json_node *root =
		ok(c, "RunTask",
		   "{\"taskDefinition\": \"web\", \"startedBy\": \"ci-42\","
		   " \"tags\": [{\"key\": \"k\", \"value\": \"v\"}], \"propagateTags\": \"TASK_DEFINITION\"}");
	const json_node *tasks = json_get(root, "tasks");
	assert_int_equal(json_array_size(tasks), 1);
	assert_int_equal(json_array_size(json_get(root, "failures")), 0);
	const json_node *t = json_array_get(tasks, 0);
	const char *arn = str(t, "taskArn");
	assert_true(strncmp(arn, "arn:aws:ecs:us-east-1:123456789012:task/default/", 48) == 0);
	assert_int_equal(strlen(arn + 48), 32);
	assert_string_equal(str(t, "clusterArn"), CLUSTER_ARN);
	assert_string_equal(str(t, "taskDefinitionArn"),
			    "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1");
	assert_string_equal(str(t, "lastStatus"), "PENDING");
	assert_string_equal(str(t, "desiredStatus"), "RUNNING");
	assert_string_equal(str(t, "launchType"), "EC2");
	assert_string_equal(str(t, "group"), "family:web");
	assert_string_equal(str(t, "startedBy"), "ci-42");
	assert_string_equal(str(t, "cpu"), "100");
	assert_string_equal(str(t, "memory"), "256");
	assert_string_equal(str(t, "healthStatus"), "UNKNOWN");
	int64_t version;
	assert_true(json_integer(json_get(t, "version"), &version));
	assert_int_equal(version, 1);
	double created;
	assert_true(json_number(json_get(t, "createdAt"), &created));
	assert_true(created > 1704164644.9 && created < 1704164645.1);
	const char *inst = str(t, "containerInstanceArn");
	assert_true(strcmp(inst, c->instances[0]) == 0 || strcmp(inst, c->instances[1]) == 0);

	const json_node *cts = json_get(t, "containers");
	assert_int_equal(json_array_size(cts), 1);
	const json_node *ct = json_array_get(cts, 0);
	assert_string_equal(str(ct, "name"), "app");
	assert_string_equal(str(ct, "image"), "nginx");
	assert_string_equal(str(ct, "lastStatus"), "PENDING");
	assert_string_equal(str(ct, "taskArn"), arn);
	assert_string_equal(str(ct, "cpu"), "100");
	assert_string_equal(str(ct, "memory"), "256");
	assert_null(json_get(ct, "exitCode"));
	assert_true(strncmp(str(ct, "containerArn"),
			    "arn:aws:ecs:us-east-1:123456789012:container/default/", 53) == 0);

	const json_node *ov = json_get(t, "overrides");
	assert_int_equal(json_array_size(json_get(ov, "containerOverrides")), 1);
	assert_string_equal(str(json_array_get(json_get(ov, "containerOverrides"), 0), "name"),
			    "app");
	assert_int_equal(json_array_size(json_get(ov, "inferenceAcceleratorOverrides")), 0);

	/* Propagated definition tags first, then the request's. */
	const json_node *tags = json_get(t, "tags");
	assert_int_equal(json_array_size(tags), 2);
	assert_string_equal(str(json_array_get(tags, 0), "key"), "team");
	assert_string_equal(str(json_array_get(tags, 1), "key"), "k");

	/* The instance's agent was told, and its desired version moved. */
	assert_int_equal(c->n_changed, 1);
	struct store_instance in;
	struct ecs_err err;
	assert_int_equal(store_instance_get(c->store, inst, &in, &err), 0);
	assert_int_equal(c->changed[0], in.id);
	assert_int_equal(in.desired_version, 2);
	store_instance_clear(&in);

	/* The cluster counts it as pending. */
	root = ok(c, "DescribeClusters", "{}");
	const json_node *cl = json_array_get(json_get(root, "clusters"), 0);
	int64_t pending;
	assert_true(json_integer(json_get(cl, "pendingTasksCount"), &pending));
	assert_int_equal(pending, 1);
	expect_error(c, "DeleteCluster", "{\"cluster\": \"default\"}",
		     "ClusterContainsContainerInstancesException", NULL);
}

static void test_resources_and_failures(void **state)
{
	struct ctx *c = *state;
	/* 448 + 64 MiB each: two per instance, the fifth fits nowhere. */
	const json_node *root = ok(c, "RunTask", "{\"taskDefinition\": \"batch\", \"count\": 5}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 4);
	assert_int_equal(json_array_size(json_get(root, "failures")), 2);
	assert_int_equal(count_failures(root, "RESOURCE:MEMORY"), 2);
	const char *farn = str(json_array_get(json_get(root, "failures"), 0), "arn");
	assert_true(strcmp(farn, c->instances[0]) == 0 || strcmp(farn, c->instances[1]) == 0);
	/* The task reserves memoryReservation + memory of its containers. */
	assert_string_equal(str(json_array_get(json_get(root, "tasks"), 0), "memory"), "512");

	/* Nothing fits a 2 GiB task. */
	root = ok(c, "RunTask", "{\"taskDefinition\": \"big\"}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);
	assert_int_equal(count_failures(root, "RESOURCE:MEMORY"), 2);
}

static void test_ports_conflict(void **state)
{
	struct ctx *c = *state;
	const json_node *root = ok(c, "RunTask", "{\"taskDefinition\": \"web:1\", \"count\": 3}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 2);
	assert_int_equal(count_failures(root, "RESOURCE:PORTS"), 2);
	/* And again later: both instances hold 8080. */
	root = ok(c, "RunTask", "{\"taskDefinition\": \"web\"}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);
	assert_int_equal(count_failures(root, "RESOURCE:PORTS"), 2);
}

/* Ports the agent reserved (PORTS: 22) are taken; numbers that merely
 * appear in the instance's resources (1024 is its CPU) or contain a
 * reserved port's digits (2) are not. */
static void test_ports_reserved(void **state)
{
	struct ctx *c = *state;
	static const int ports[] = { 22, 2, 1024 };
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		char body[512];
		snprintf(body, sizeof(body),
			 "{\"family\": \"p%d\", \"networkMode\": \"host\", \"containerDefinitions\":"
			 " [{\"name\": \"app\", \"image\": \"nginx\", \"memory\": 64,"
			 " \"portMappings\": [{\"containerPort\": %d}]}]}",
			 ports[i], ports[i]);
		ok(c, "RegisterTaskDefinition", body);
		snprintf(body, sizeof(body), "{\"taskDefinition\": \"p%d\", \"count\": 2}", ports[i]);
		const json_node *root = ok(c, "RunTask", body);
		size_t placed = ports[i] == 22 ? 0 : 2;
		assert_int_equal(json_array_size(json_get(root, "tasks")), placed);
		assert_int_equal(count_failures(root, "RESOURCE:PORTS"), ports[i] == 22 ? 2 : 0);
	}
}

/* spread by attribute through RunTask (placement then reads only that
 * attribute): slot s0 is on instances 0 and 2, s1 on instance 1 alone. */
static void test_spread_attribute(void **state)
{
	struct ctx *c = *state;
	add_instance(c, "default", 2, true);
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"attributes\": [{\"name\": \"slot\", \"value\": \"s0\", \"targetId\": \"%s\"}]}",
		 c->instances[2]);
	ok(c, "PutAttributes", body);
	ok(c, "RegisterTaskDefinition",
	   "{\"family\": \"tiny\", \"containerDefinitions\": [{\"name\": \"x\","
	   " \"image\": \"busybox\", \"memory\": 16}]}");
	const json_node *root =
		ok(c, "RunTask",
		   "{\"taskDefinition\": \"tiny\", \"count\": 4, \"placementStrategy\":"
		   " [{\"type\": \"spread\", \"field\": \"attribute:slot\"}]}");
	const json_node *tasks = json_get(root, "tasks");
	assert_int_equal(json_array_size(tasks), 4);
	size_t on_s1 = 0;
	for (size_t i = 0; i < 4; i++)
		on_s1 += strcmp(str(json_array_get(tasks, i), "containerInstanceArn"),
				c->instances[1]) == 0;
	assert_int_equal(on_s1, 2);
}

/* store_candidates_load() reads only what it is asked for. */
static void test_candidates_want(void **state)
{
	struct ctx *c = *state;
	ok(c, "RunTask", "{\"taskDefinition\": \"web\", \"group\": \"g\"}");
	ok(c, "RunTask", "{\"taskDefinition\": \"batch\"}");
	struct ecs_err err;
	struct store_cluster cl;
	assert_int_equal(store_cluster_get(c->store, CLUSTER_ARN, &cl, &err), 0);

	struct store_candidates cands;
	struct store_candidates_want want = { .only_active = true };
	assert_int_equal(store_candidates_load(c->store, cl.id, &want, &cands, &err), 0);
	assert_int_equal(cands.n, 2);
	assert_true(strcmp(cands.items[0].arn, cands.items[1].arn) < 0);
	int64_t live = 0, memory = 0;
	for (size_t i = 0; i < cands.n; i++) {
		const struct store_candidate *k = &cands.items[i];
		assert_string_equal(k->status, "ACTIVE");
		assert_true(k->agent_connected);
		assert_int_equal(k->cpu, 1024);
		assert_int_equal(k->group_tasks, 0);
		assert_int_equal(k->n_attrs, 0);
		assert_null(k->resources);
		assert_null(k->version_info);
		assert_int_equal(k->host_ports.n, 0);
		live += k->live_tasks;
		memory += k->memory_used;
	}
	assert_int_equal(live, 2);
	assert_int_equal(memory, 256 + 512);
	store_candidates_clear(&cands);

	/* Named attributes only, each name once even when asked twice. */
	const char *names[] = { "slot", "nonesuch", "slot" };
	want = (struct store_candidates_want){
		.only_active = true, .group = "g", .ports = true, .details = true,
		.attributes = names, .n_attributes = ARRAY_SIZE(names),
	};
	assert_int_equal(store_candidates_load(c->store, cl.id, &want, &cands, &err), 0);
	int64_t group = 0;
	size_t with_ports = 0;
	for (size_t i = 0; i < cands.n; i++) {
		const struct store_candidate *k = &cands.items[i];
		assert_int_equal(k->n_attrs, 1);
		assert_string_equal(k->attrs[0].key, "slot");
		assert_non_null(k->resources);
		group += k->group_tasks;
		with_ports += k->host_ports.n;
	}
	assert_int_equal(group, 1);
	assert_int_equal(with_ports, 1); /* web's 8080 */
	store_candidates_clear(&cands);

	/* Every attribute, in name order. */
	want = (struct store_candidates_want){ .only_active = true, .all_attributes = true };
	assert_int_equal(store_candidates_load(c->store, cl.id, &want, &cands, &err), 0);
	for (size_t i = 0; i < cands.n; i++) {
		const struct store_candidate *k = &cands.items[i];
		assert_true(k->n_attrs > 2);
		for (size_t j = 1; j < k->n_attrs; j++)
			assert_true(strcmp(k->attrs[j - 1].key, k->attrs[j].key) < 0);
	}
	store_candidates_clear(&cands);

	/* DRAINING instances only when asked for. */
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"containerInstances\": [\"%s\"], \"status\": \"DRAINING\"}", c->instances[0]);
	ok(c, "UpdateContainerInstancesState", body);
	want = (struct store_candidates_want){ .only_active = true };
	assert_int_equal(store_candidates_load(c->store, cl.id, &want, &cands, &err), 0);
	assert_int_equal(cands.n, 1);
	store_candidates_clear(&cands);
	want.only_active = false;
	assert_int_equal(store_candidates_load(c->store, cl.id, &want, &cands, &err), 0);
	assert_int_equal(cands.n, 2);
	store_candidates_clear(&cands);
	store_cluster_clear(&cl);
}

static void test_constraints(void **state)
{
	struct ctx *c = *state;
	char body[1024];
	const json_node *root =
		ok(c, "RunTask",
		   "{\"taskDefinition\": \"batch\", \"placementConstraints\":"
		   " [{\"type\": \"memberOf\", \"expression\": \"attribute:slot == s1\"}]}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 1);
	assert_string_equal(str(json_array_get(json_get(root, "tasks"), 0), "containerInstanceArn"),
			    c->instances[1]);

	root = ok(c, "RunTask",
		  "{\"taskDefinition\": \"batch\", \"placementConstraints\":"
		  " [{\"type\": \"memberOf\", \"expression\": \"attribute:slot == nowhere\"}]}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);
	assert_int_equal(count_failures(root, "MemberOf placement constraint unsatisfied."), 2);

	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"batch\", \"placementConstraints\":"
		     " [{\"type\": \"memberOf\", \"expression\": \"attribute:slot ==\"}]}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"batch\", \"placementConstraints\":"
		     " [{\"type\": \"distinctInstance\", \"expression\": \"x\"}]}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"batch\", \"placementConstraints\": [{\"type\": \"sameHost\"}]}",
		     "InvalidParameterException", NULL);

	/* distinctInstance with its own group: one per instance. */
	snprintf(body, sizeof(body),
		 "{\"taskDefinition\": \"batch\", \"group\": \"solo\", \"count\": 3,"
		 " \"placementConstraints\": [{\"type\": \"distinctInstance\"}]}");
	root = ok(c, "RunTask", body);
	assert_int_equal(json_array_size(json_get(root, "tasks")), 2);
	assert_int_equal(count_failures(root, "DistinctInstance placement constraint unsatisfied."), 2);
	assert_string_equal(str(json_array_get(json_get(root, "tasks"), 0), "group"), "solo");

	/* requiresAttributes: batch needs docker-remote-api.1.21, which the
	 * third instance does not have. */
	add_instance(c, "default", 2, true);
	root = ok(c, "RunTask",
		  "{\"taskDefinition\": \"batch\", \"placementConstraints\":"
		  " [{\"type\": \"memberOf\", \"expression\": \"attribute:slot == s2\"}]}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);
	assert_int_equal(count_failures(root, "ATTRIBUTE"), 1);
	assert_int_equal(count_failures(root, "MemberOf placement constraint unsatisfied."), 2);
}

static void test_strategies(void **state)
{
	struct ctx *c = *state;
	/* spread puts two of a group one on each instance... */
	const json_node *root =
		ok(c, "RunTask",
		   "{\"taskDefinition\": \"batch\", \"group\": \"g2\", \"count\": 2,"
		   " \"placementStrategy\": [{\"type\": \"spread\", \"field\": \"host\"}]}");
	const json_node *tasks = json_get(root, "tasks");
	assert_int_equal(json_array_size(tasks), 2);
	assert_string_not_equal(str(json_array_get(tasks, 0), "containerInstanceArn"),
				str(json_array_get(tasks, 1), "containerInstanceArn"));

	/* ...and binpack memory two small ones on the same instance. */
	root = ok(c, "RunTask",
		  "{\"taskDefinition\": \"batch\", \"count\": 2, \"overrides\": {\"memory\": \"128\"},"
		  " \"placementStrategy\": [{\"type\": \"binpack\", \"field\": \"memory\"}]}");
	tasks = json_get(root, "tasks");
	assert_int_equal(json_array_size(tasks), 2);
	assert_string_equal(str(json_array_get(tasks, 0), "containerInstanceArn"),
			    str(json_array_get(tasks, 1), "containerInstanceArn"));

	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"batch\", \"placementStrategy\":"
		     " [{\"type\": \"binpack\", \"field\": \"disk\"}]}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"batch\", \"placementStrategy\": [{\"type\": \"random\"},"
		     " {\"type\": \"random\"}, {\"type\": \"random\"}, {\"type\": \"random\"},"
		     " {\"type\": \"random\"}, {\"type\": \"random\"}]}",
		     "InvalidParameterException", NULL);
}

static void test_run_errors(void **state)
{
	struct ctx *c = *state;
	expect_error(c, "RunTask", "{}", "InvalidParameterException", NULL);
	expect_error(c, "RunTask", "{\"taskDefinition\": \"nope\"}", "InvalidParameterException",
		     "TaskDefinition not found.");
	expect_error(c, "RunTask", "{\"taskDefinition\": \"web:9\"}", "InvalidParameterException",
		     "TaskDefinition not found.");
	expect_error(c, "RunTask", "{\"taskDefinition\": \"web\", \"count\": 11}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask", "{\"taskDefinition\": \"web\", \"count\": 0}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask", "{\"taskDefinition\": \"web\", \"count\": \"2\"}",
		     "SerializationException", NULL);
	expect_error(c, "RunTask", "{\"taskDefinition\": \"web\", \"cluster\": \"ghost\"}",
		     "ClusterNotFoundException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"web\", \"startedBy\": \"0123456789012345678901234567890123456\"}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask", "{\"taskDefinition\": \"web\", \"startedBy\": \"a b\"}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask", "{\"taskDefinition\": \"web\", \"launchType\": \"FARGATE\"}",
		     "InvalidParameterException", "No Container Instances were found in your cluster.");
	expect_error(c, "RunTask", "{\"taskDefinition\": \"web\", \"launchType\": \"SPOT\"}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"web\", \"networkConfiguration\": {\"awsvpcConfiguration\":"
		     " {\"subnets\": [\"subnet-1\"]}}}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"web\", \"overrides\": {\"containerOverrides\":"
		     " [{\"name\": \"nobody\"}]}}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"web\", \"overrides\": {\"containerOverrides\":"
		     " [{\"name\": \"app\", \"memory\": \"big\"}]}}",
		     "SerializationException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"web\", \"overrides\": {\"containerOverrides\":"
		     " [{\"name\": \"app\", \"memory\": 100, \"memoryReservation\": 200}]}}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"web\", \"overrides\": {\"memory\": \"lots\"}}",
		     "InvalidParameterException", NULL);
	expect_error(c, "RunTask",
		     "{\"taskDefinition\": \"web\", \"capacityProviderStrategy\":"
		     " [{\"capacityProvider\": \"cp\"}]}",
		     "InvalidParameterException", NULL);

	ok(c, "DeregisterTaskDefinition", "{\"taskDefinition\": \"big:1\"}");
	expect_error(c, "RunTask", "{\"taskDefinition\": \"big:1\"}", "InvalidParameterException",
		     "TaskDefinition is inactive");
	expect_error(c, "RunTask", "{\"taskDefinition\": \"big\"}", "InvalidParameterException",
		     "TaskDefinition not found.");

	/* A cluster without instances, and one whose only agent is away. */
	ok(c, "CreateCluster", "{\"clusterName\": \"empty\"}");
	expect_error(c, "RunTask", "{\"taskDefinition\": \"web\", \"cluster\": \"empty\"}",
		     "InvalidParameterException", "No Container Instances were found in your cluster.");
	ok(c, "CreateCluster", "{\"clusterName\": \"away\"}");
	add_instance(c, "away", 0, false);
	const json_node *root = ok(c, "RunTask", "{\"taskDefinition\": \"web\", \"cluster\": \"away\"}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);
	assert_int_equal(count_failures(root, "AGENT"), 1);
	assert_int_equal(c->n_changed, 0);
}

static void test_overrides(void **state)
{
	struct ctx *c = *state;
	const json_node *root =
		ok(c, "RunTask",
		   "{\"taskDefinition\": \"batch\", \"overrides\": {\"containerOverrides\": ["
		   " {\"name\": \"job\", \"command\": [\"sh\", \"-c\", \"exit 3\"],"
		   "  \"environment\": [{\"name\": \"A\", \"value\": \"1\"}], \"memoryReservation\": 900,"
		   "  \"cpu\": 256}], \"taskRoleArn\": \"arn:aws:iam::123456789012:role/r\"}}");
	const json_node *t = json_array_get(json_get(root, "tasks"), 0);
	assert_non_null(t);
	assert_string_equal(str(t, "memory"), "964");
	assert_string_equal(str(t, "cpu"), "256");
	const json_node *ov = json_get(t, "overrides");
	assert_string_equal(str(ov, "taskRoleArn"), "arn:aws:iam::123456789012:role/r");
	const json_node *list = json_get(ov, "containerOverrides");
	assert_int_equal(json_array_size(list), 2);
	const json_node *job = json_array_get(list, 0);
	assert_string_equal(str(job, "name"), "job");
	assert_int_equal(json_array_size(json_get(job, "command")), 3);
	assert_string_equal(str(json_array_get(json_get(job, "environment"), 0), "value"), "1");
	assert_string_equal(str(json_array_get(list, 1), "name"), "side");
	assert_null(json_get(json_array_get(list, 1), "command"));
	const json_node *ct = json_array_get(json_get(t, "containers"), 0);
	assert_string_equal(str(ct, "memoryReservation"), "900");
	assert_string_equal(str(ct, "cpu"), "256");

	/* Task-level memory overrides the sum. */
	root = ok(c, "RunTask", "{\"taskDefinition\": \"batch\", \"overrides\": {\"memory\": \"0.25 GB\"}}");
	assert_string_equal(str(json_array_get(json_get(root, "tasks"), 0), "memory"), "256");
}

static char *run_one(struct ctx *c, const char *body)
{
	const json_node *root = ok(c, "RunTask", body);
	const json_node *t = json_array_get(json_get(root, "tasks"), 0);
	assert_non_null(t);
	return strdup(str(t, "taskArn"));
}

static void test_stop_and_release(void **state)
{
	struct ctx *c = *state;
	char body[1024];
	_cleanup_free_ char *a = run_one(c, "{\"taskDefinition\": \"web\", \"count\": 1}");
	_cleanup_free_ char *b = run_one(c, "{\"taskDefinition\": \"web\", \"count\": 1}");
	/* Both instances hold port 8080 now. */
	const json_node *root = ok(c, "RunTask", "{\"taskDefinition\": \"web\"}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);

	c->n_changed = 0;
	snprintf(body, sizeof(body), "{\"task\": \"%s\", \"reason\": \"done here\"}", a);
	root = ok(c, "StopTask", body);
	const json_node *t = json_get(root, "task");
	assert_string_equal(str(t, "desiredStatus"), "STOPPED");
	assert_string_equal(str(t, "lastStatus"), "PENDING");
	assert_string_equal(str(t, "stopCode"), "UserInitiated");
	assert_string_equal(str(t, "stoppedReason"), "done here");
	assert_non_null(json_get(t, "stoppingAt"));
	int64_t version;
	assert_true(json_integer(json_get(t, "version"), &version));
	assert_int_equal(version, 2);
	assert_int_equal(c->n_changed, 1);

	/* Idempotent: the second stop changes nothing and tells nobody. */
	snprintf(body, sizeof(body), "{\"task\": \"%s\", \"reason\": \"again\"}", strrchr(a, '/') + 1);
	root = ok(c, "StopTask", body);
	assert_string_equal(str(json_get(root, "task"), "stoppedReason"), "done here");
	assert_int_equal(c->n_changed, 1);

	/* Desired STOPPED still holds the port until the agent says STOPPED. */
	root = ok(c, "RunTask", "{\"taskDefinition\": \"web\"}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);

	/* The agent reports it STOPPED with an exit code. */
	snprintf(body, sizeof(body), "{\"tasks\": [\"%s\"]}", a);
	root = ok(c, "DescribeTasks", body);
	_cleanup_free_ char *inst =
		strdup(str(json_array_get(json_get(root, "tasks"), 0), "containerInstanceArn"));
	struct store_instance in;
	struct ecs_err err;
	assert_int_equal(store_instance_get(c->store, inst, &in, &err), 0);
	Ecsagent__ContainerStateChange cs = ECSAGENT__CONTAINER_STATE_CHANGE__INIT;
	cs.container_name = (char *)"app";
	cs.status = ECSAGENT__STATUS__STOPPED;
	cs.reason = (char *)"exited";
	wire_set_exit_code(&cs, 3);
	Ecsagent__ContainerStateChange *csp = &cs;
	Ecsagent__TaskStateChange ch = ECSAGENT__TASK_STATE_CHANGE__INIT;
	ch.task_arn = a;
	ch.sequence = 1;
	ch.status = ECSAGENT__STATUS__STOPPED;
	ch.stopped_at_ms = NOW + 5000;
	ch.n_containers = 1;
	ch.containers = &csp;
	uint64_t acked;
	bool stopped;
	assert_int_equal(store_begin(c->store, &err), 0);
	assert_int_equal(store_agent_apply(c->store, in.id, &ch, NOW + 5000, &acked, &stopped, &err), 0);
	assert_int_equal(store_commit(c->store, &err), 0);
	store_instance_clear(&in);

	root = ok(c, "DescribeTasks", body);
	t = json_array_get(json_get(root, "tasks"), 0);
	assert_string_equal(str(t, "lastStatus"), "STOPPED");
	assert_string_equal(str(t, "stoppedReason"), "done here");
	const json_node *ct = json_array_get(json_get(t, "containers"), 0);
	int64_t code;
	assert_true(json_integer(json_get(ct, "exitCode"), &code));
	assert_int_equal(code, 3);
	assert_string_equal(str(ct, "reason"), "exited");

	/* Its port is free again. */
	root = ok(c, "RunTask", "{\"taskDefinition\": \"web\"}");
	assert_int_equal(json_array_size(json_get(root, "tasks")), 1);
	assert_string_equal(str(json_array_get(json_get(root, "tasks"), 0), "containerInstanceArn"),
			    inst);

	expect_error(c, "StopTask", "{\"task\": \"0123456789abcdef0123456789abcdef\"}",
		     "InvalidParameterException", "The referenced task was not found.");
	expect_error(c, "StopTask", "{}", "InvalidParameterException", NULL);
	snprintf(body, sizeof(body), "{\"task\": \"%s\", \"reason\": \"%0300d\"}", b, 0);
	expect_error(c, "StopTask", body, "InvalidParameterException", NULL);
}

static void test_describe(void **state)
{
	struct ctx *c = *state;
	char body[2048];
	_cleanup_free_ char *a = run_one(
		c, "{\"taskDefinition\": \"batch\", \"tags\": [{\"key\": \"x\", \"value\": \"y\"}]}");
	const char *id = strrchr(a, '/') + 1;
	snprintf(body, sizeof(body),
		 "{\"tasks\": [\"%s\", \"%s\", \"ffffffffffffffffffffffffffffffff\", \"bad id!\"]}", a,
		 id);
	const json_node *root = ok(c, "DescribeTasks", body);
	assert_int_equal(json_array_size(json_get(root, "tasks")), 2);
	assert_null(json_get(json_array_get(json_get(root, "tasks"), 0), "tags"));
	const json_node *f = json_get(root, "failures");
	assert_int_equal(json_array_size(f), 2);
	assert_string_equal(str(json_array_get(f, 0), "arn"),
			    "arn:aws:ecs:us-east-1:123456789012:task/default/ffffffffffffffffffffffffffffffff");
	assert_string_equal(str(json_array_get(f, 0), "reason"), "MISSING");
	assert_string_equal(str(json_array_get(f, 1), "arn"), "bad id!");

	snprintf(body, sizeof(body), "{\"tasks\": [\"%s\"], \"include\": [\"TAGS\"]}", id);
	root = ok(c, "DescribeTasks", body);
	const json_node *tags = json_get(json_array_get(json_get(root, "tasks"), 0), "tags");
	assert_int_equal(json_array_size(tags), 1);

	/* Tags through the tag operations too. */
	snprintf(body, sizeof(body), "{\"resourceArn\": \"%s\"}", a);
	root = ok(c, "ListTagsForResource", body);
	assert_int_equal(json_array_size(json_get(root, "tags")), 1);
	expect_error(c, "ListTagsForResource",
		     "{\"resourceArn\": \"arn:aws:ecs:us-east-1:123456789012:task/default/ffff\"}",
		     "InvalidParameterException", NULL);

	/* Another cluster does not see it. */
	ok(c, "CreateCluster", "{\"clusterName\": \"other\"}");
	snprintf(body, sizeof(body), "{\"cluster\": \"other\", \"tasks\": [\"%s\"]}", a);
	root = ok(c, "DescribeTasks", body);
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);
	assert_int_equal(count_failures(root, "MISSING"), 1);

	expect_error(c, "DescribeTasks", "{}", "InvalidParameterException", NULL);
	expect_error(c, "DescribeTasks", "{\"tasks\": [\"x\"], \"include\": [\"NOPE\"]}",
		     "InvalidParameterException", NULL);
	expect_error(c, "DescribeTasks", "{\"tasks\": [\"x\"], \"cluster\": \"ghost\"}",
		     "ClusterNotFoundException", NULL);
}

static void test_list(void **state)
{
	struct ctx *c = *state;
	char body[1024];
	for (int i = 0; i < 3; i++)
		free(run_one(c, "{\"taskDefinition\": \"batch\", \"startedBy\": \"me\"}"));
	_cleanup_free_ char *w = run_one(c, "{\"taskDefinition\": \"web\"}");

	const json_node *root = ok(c, "ListTasks", "{}");
	assert_int_equal(json_array_size(json_get(root, "taskArns")), 4);
	root = ok(c, "ListTasks", "{\"family\": \"batch\"}");
	assert_int_equal(json_array_size(json_get(root, "taskArns")), 3);
	root = ok(c, "ListTasks", "{\"startedBy\": \"me\"}");
	assert_int_equal(json_array_size(json_get(root, "taskArns")), 3);
	root = ok(c, "ListTasks", "{\"desiredStatus\": \"STOPPED\"}");
	assert_int_equal(json_array_size(json_get(root, "taskArns")), 0);
	root = ok(c, "ListTasks", "{\"desiredStatus\": \"PENDING\"}");
	assert_int_equal(json_array_size(json_get(root, "taskArns")), 0);
	root = ok(c, "ListTasks", "{\"launchType\": \"FARGATE\"}");
	assert_int_equal(json_array_size(json_get(root, "taskArns")), 0);

	size_t on_instances = 0;
	for (int k = 0; k < 2; k++) {
		snprintf(body, sizeof(body), "{\"containerInstance\": \"%s\"}",
			 strrchr(c->instances[k], '/') + 1);
		root = ok(c, "ListTasks", body);
		on_instances += json_array_size(json_get(root, "taskArns"));
	}
	assert_int_equal(on_instances, 4);

	snprintf(body, sizeof(body), "{\"task\": \"%s\"}", w);
	ok(c, "StopTask", body);
	root = ok(c, "ListTasks", "{\"desiredStatus\": \"STOPPED\"}");
	assert_int_equal(json_array_size(json_get(root, "taskArns")), 1);
	assert_string_equal(json_string(json_array_get(json_get(root, "taskArns"), 0)), w);

	/* Pages of two, in ARN order, then done. */
	root = ok(c, "ListTasks", "{\"maxResults\": 2}");
	assert_int_equal(json_array_size(json_get(root, "taskArns")), 2);
	snprintf(body, sizeof(body), "{\"maxResults\": 2, \"nextToken\": \"%s\"}",
		 str(root, "nextToken"));
	root = ok(c, "ListTasks", body);
	assert_int_equal(json_array_size(json_get(root, "taskArns")), 1);
	assert_null(json_get(root, "nextToken"));

	expect_error(c, "ListTasks", "{\"serviceName\": \"svc\"}", "ServiceNotFoundException",
		     "Service not found.");
	expect_error(c, "ListTasks", "{\"containerInstance\": \"nope\"}",
		     "InvalidParameterException", NULL);
	expect_error(c, "ListTasks", "{\"desiredStatus\": \"DONE\"}", "InvalidParameterException",
		     NULL);
	expect_error(c, "ListTasks", "{\"maxResults\": 101}", "InvalidParameterException", NULL);
	expect_error(c, "ListTasks", "{\"nextToken\": \"zz\"}", "InvalidParameterException", NULL);
}

static void test_start_task(void **state)
{
	struct ctx *c = *state;
	char body[2048];
	snprintf(body, sizeof(body),
		 "{\"taskDefinition\": \"web\", \"containerInstances\": [\"%s\", \"%s\","
		 " \"0123456789abcdef0123456789abcdef\"]}",
		 c->instances[0], strrchr(c->instances[1], '/') + 1);
	const json_node *root = ok(c, "StartTask", body);
	const json_node *tasks = json_get(root, "tasks");
	assert_int_equal(json_array_size(tasks), 2);
	assert_string_equal(str(json_array_get(tasks, 0), "containerInstanceArn"), c->instances[0]);
	assert_string_equal(str(json_array_get(tasks, 1), "containerInstanceArn"), c->instances[1]);
	assert_int_equal(count_failures(root, "MISSING"), 1);
	assert_int_equal(c->n_changed, 2);

	/* Again: port 8080 is taken on both. */
	snprintf(body, sizeof(body), "{\"taskDefinition\": \"web\", \"containerInstances\": [\"%s\"]}",
		 c->instances[0]);
	root = ok(c, "StartTask", body);
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);
	assert_int_equal(count_failures(root, "RESOURCE:PORTS"), 1);

	/* A DRAINING instance takes no new tasks, from either call. */
	snprintf(body, sizeof(body), "{\"containerInstances\": [\"%s\"], \"status\": \"DRAINING\"}",
		 c->instances[1]);
	ok(c, "UpdateContainerInstancesState", body);
	snprintf(body, sizeof(body), "{\"taskDefinition\": \"batch\", \"containerInstances\": [\"%s\"]}",
		 c->instances[1]);
	root = ok(c, "StartTask", body);
	assert_int_equal(json_array_size(json_get(root, "tasks")), 0);
	assert_int_equal(count_failures(root, "DRAINING"), 1);
	root = ok(c, "RunTask", "{\"taskDefinition\": \"batch\", \"count\": 3}");
	tasks = json_get(root, "tasks");
	assert_int_equal(json_array_size(tasks), 1);
	assert_string_equal(str(json_array_get(tasks, 0), "containerInstanceArn"), c->instances[0]);
	assert_int_equal(json_array_size(json_get(root, "failures")), 1);

	expect_error(c, "StartTask", "{\"taskDefinition\": \"web\"}", "InvalidParameterException",
		     NULL);
	expect_error(c, "StartTask", "{\"taskDefinition\": \"web\", \"containerInstances\": []}",
		     "InvalidParameterException", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_task_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resources_and_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_candidates_want, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spread_attribute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constraints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strategies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_task, setup, teardown),
	};
	return cmocka_run_group_tests_name("cp_tasks", tests, NULL, NULL);
}
