/* SPDX-License-Identifier: Apache-2.0 */
/* Task-definition operations against an in-memory store: revisions, the
 * defaults and attributes ECS adds, lookups, lists, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store-taskdefs.h"
#include "taskdef-register.h"
#include "taskdef.h"
#include "test_cp_api_util.h"

#define TD_ARN(id) "arn:aws:ecs:us-east-1:123456789012:task-definition/" id

/* The error's message. */
static const char *expect_error(struct ctx *c, const char *op, const char *body,
				const char *type)
{
	const json_node *root = call(c, op, body);
	if (c->reply.status != 400 || !c->reply.error_type ||
	    strcmp(c->reply.error_type, type) != 0)
		fail_msg("%s %s: got %d %s, want 400 %s", op, body, c->reply.status,
			 c->reply.body, type);
	return json_string(json_get(root, "message"));
}

static const char *str_at(const json_node *n, const char *path)
{
	/* "a.b" object members only */
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok(buf, "."); tok && n; tok = strtok(NULL, "."))
		n = json_get(n, tok);
	return json_string(n);
}

static int64_t int_of(const json_node *n)
{
	int64_t v = -999;
	assert_true(json_integer(n, &v));
	return v;
}

static bool has_attribute(const json_node *td, const char *name)
{
	const json_node *list = json_get(td, "requiresAttributes");
	for (size_t i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string(json_get(json_array_get(list, i), "name")), name) == 0)
			return true;
	return false;
}

static void expect_strings(const json_node *list, const char *const *want, size_t n)
{
	assert_int_equal(json_array_size(list), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string(json_array_get(list, i)), want[i]);
}

static const char simple[] =
	"{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"nginx\","
	"\"memory\":128,\"portMappings\":[{\"containerPort\":80}]}]}";

static void test_register_defaults(void **state)
{
	struct ctx *c = *state;
	const json_node *root = ok(c, "RegisterTaskDefinition", simple);
	const json_node *td = json_get(root, "taskDefinition");
	assert_string_equal(str_at(td, "taskDefinitionArn"), TD_ARN("web:1"));
	assert_string_equal(str_at(td, "family"), "web");
	assert_int_equal(int_of(json_get(td, "revision")), 1);
	assert_string_equal(str_at(td, "status"), "ACTIVE");
	assert_int_equal(int_of(json_get(td, "registeredAt")), 1704164645);
	assert_string_equal(str_at(td, "registeredBy"), "arn:aws:iam::123456789012:root");
	assert_null(json_get(td, "deregisteredAt"));
	assert_null(json_get(td, "networkMode"));
	assert_null(json_get(td, "tags"));
	assert_int_equal(json_array_size(json_get(td, "volumes")), 0);
	assert_int_equal(json_type(json_get(td, "volumes")), JSON_ARRAY);
	assert_int_equal(json_type(json_get(td, "placementConstraints")), JSON_ARRAY);
	assert_int_equal(json_array_size(json_get(td, "requiresAttributes")), 0);
	static const char *const compat[] = { "EXTERNAL", "EC2" };
	expect_strings(json_get(td, "compatibilities"), compat, 2);

	const json_node *ctr = json_array_get(json_get(td, "containerDefinitions"), 0);
	assert_int_equal(int_of(json_get(ctr, "cpu")), 0);
	bool essential = false;
	assert_true(json_bool(json_get(ctr, "essential"), &essential));
	assert_true(essential);
	static const char *const lists[] = { "environment", "mountPoints", "volumesFrom",
					     "systemControls" };
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		assert_int_equal(json_type(json_get(ctr, lists[i])), JSON_ARRAY);
		assert_int_equal(json_array_size(json_get(ctr, lists[i])), 0);
	}
	const json_node *pm = json_array_get(json_get(ctr, "portMappings"), 0);
	assert_int_equal(int_of(json_get(pm, "containerPort")), 80);
	assert_int_equal(int_of(json_get(pm, "hostPort")), 0);
	assert_string_equal(str_at(pm, "protocol"), "tcp");
	/* tags are there even when none were given */
	assert_int_equal(json_array_size(json_get(root, "tags")), 0);
}

static void test_register_host_ports_and_volumes(void **state)
{
	struct ctx *c = *state;
	const json_node *td = json_get(
		ok(c, "RegisterTaskDefinition",
		   "{\"family\":\"h\",\"networkMode\":\"host\",\"volumes\":[{\"name\":\"scratch\"}],"
		   "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\",\"memory\":64,"
		   "\"essential\":false,\"cpu\":10,\"healthCheck\":{\"command\":[\"CMD\",\"true\"]},"
		   "\"portMappings\":[{\"containerPort\":8080,\"protocol\":\"udp\"}]},"
		   "{\"name\":\"b\",\"image\":\"x\",\"memory\":64}]}"),
		"taskDefinition");
	assert_string_equal(str_at(td, "networkMode"), "host");
	const json_node *vol = json_array_get(json_get(td, "volumes"), 0);
	assert_int_equal(json_type(json_get(vol, "host")), JSON_OBJECT);
	assert_int_equal(json_object_size(json_get(vol, "host")), 0);
	const json_node *a = json_array_get(json_get(td, "containerDefinitions"), 0);
	bool essential = true;
	assert_true(json_bool(json_get(a, "essential"), &essential));
	assert_false(essential);
	assert_int_equal(int_of(json_get(a, "cpu")), 10);
	const json_node *pm = json_array_get(json_get(a, "portMappings"), 0);
	assert_int_equal(int_of(json_get(pm, "hostPort")), 8080);
	assert_string_equal(str_at(pm, "protocol"), "udp");
	const json_node *hc = json_get(a, "healthCheck");
	assert_int_equal(int_of(json_get(hc, "interval")), 30);
	assert_int_equal(int_of(json_get(hc, "timeout")), 5);
	assert_int_equal(int_of(json_get(hc, "retries")), 3);
	assert_null(json_get(hc, "startPeriod"));
	assert_true(has_attribute(td, "ecs.capability.container-health-check"));
}

static void test_fargate_compatible(void **state)
{
	struct ctx *c = *state;
	const json_node *td = json_get(
		ok(c, "RegisterTaskDefinition",
		   "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"cpu\":\"256\",\"memory\":\"512\","
		   "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
		   "\"portMappings\":[{\"containerPort\":443}]}]}"),
		"taskDefinition");
	static const char *const compat[] = { "EC2", "FARGATE" };
	expect_strings(json_get(td, "compatibilities"), compat, 2);
	assert_null(json_get(td, "requiresCompatibilities"));
	assert_true(has_attribute(td, "ecs.capability.task-eni"));
	const json_node *pm =
		json_array_get(json_get(json_array_get(json_get(td, "containerDefinitions"), 0),
					"portMappings"),
			       0);
	assert_int_equal(int_of(json_get(pm, "hostPort")), 443);

	/* awsvpc but not a Fargate size: EC2 only */
	td = json_get(ok(c, "RegisterTaskDefinition",
			 "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"cpu\":\"300\","
			 "\"memory\":\"512\",\"containerDefinitions\":[{\"name\":\"a\","
			 "\"image\":\"x\"}]}"),
		      "taskDefinition");
	static const char *const ec2[] = { "EC2" };
	expect_strings(json_get(td, "compatibilities"), ec2, 1);

	expect_error(c, "RegisterTaskDefinition",
		     "{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":"
		     "[\"EXTERNAL\"],\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
		     "\"memory\":64}]}",
		     "ClientException");
}

static void test_requires_attributes(void **state)
{
	struct ctx *c = *state;
	const json_node *td = json_get(
		ok(c, "RegisterTaskDefinition",
		   "{\"family\":\"rich\",\"taskRoleArn\":\"arn:aws:iam::123456789012:role/t\","
		   "\"executionRoleArn\":\"arn:aws:iam::123456789012:role/e\",\"pidMode\":\"task\","
		   "\"volumes\":[{\"name\":\"p\",\"dockerVolumeConfiguration\":{\"scope\":\"shared\","
		   "\"autoprovision\":true,\"driver\":\"rexray\"}}],"
		   "\"containerDefinitions\":[{\"name\":\"a\",\"memoryReservation\":64,"
		   "\"image\":\"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1\","
		   "\"privileged\":true,\"dockerLabels\":{\"k\":\"v\"},"
		   "\"logConfiguration\":{\"logDriver\":\"awslogs\",\"options\":{\"awslogs-group\":\"g\"}},"
		   "\"secrets\":[{\"name\":\"S\",\"valueFrom\":\"arn:aws:secretsmanager:us-east-1:"
		   "123456789012:secret:s\"},{\"name\":\"P\",\"valueFrom\":\"param\"}],"
		   "\"linuxParameters\":{\"initProcessEnabled\":true},"
		   "\"dependsOn\":[{\"containerName\":\"b\",\"condition\":\"START\"}]},"
		   "{\"name\":\"b\",\"image\":\"x\",\"memory\":64,"
		   "\"repositoryCredentials\":{\"credentialsParameter\":\"arn:aws:secretsmanager:"
		   "us-east-1:123456789012:secret:r\"}}]}"),
		"taskDefinition");
	static const char *const want[] = {
		"com.amazonaws.ecs.capability.task-iam-role",
		"ecs.capability.pid-ipc-namespace-sharing",
		"com.amazonaws.ecs.capability.privileged-container",
		"com.amazonaws.ecs.capability.docker-remote-api.1.18",
		"com.amazonaws.ecs.capability.logging-driver.awslogs",
		"com.amazonaws.ecs.capability.docker-remote-api.1.19",
		"ecs.capability.execution-role-awslogs",
		"com.amazonaws.ecs.capability.docker-remote-api.1.21",
		"com.amazonaws.ecs.capability.docker-remote-api.1.25",
		"ecs.capability.container-ordering",
		"ecs.capability.secrets.asm.environment-variables",
		"ecs.capability.secrets.ssm.environment-variables",
		"com.amazonaws.ecs.capability.ecr-auth",
		"ecs.capability.execution-role-ecr-pull",
		"ecs.capability.private-registry-authentication.secretsmanager",
		"ecs.capability.docker-plugin.rexray",
	};
	const json_node *list = json_get(td, "requiresAttributes");
	assert_int_equal(json_array_size(list), ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const json_node *item = json_array_get(list, i);
		assert_string_equal(json_string(json_get(item, "name")), want[i]);
		assert_int_equal(json_object_size(item), 1);
	}
}

static void test_revisions_and_lookup(void **state)
{
	struct ctx *c = *state;
	for (int i = 0; i < 3; i++)
		ok(c, "RegisterTaskDefinition", simple);
	const json_node *td;

	td = json_get(ok(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"web\"}"),
		      "taskDefinition");
	assert_int_equal(int_of(json_get(td, "revision")), 3);
	td = json_get(ok(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"web:2\"}"),
		      "taskDefinition");
	assert_int_equal(int_of(json_get(td, "revision")), 2);
	td = json_get(ok(c, "DescribeTaskDefinition",
			 "{\"taskDefinition\":\"" TD_ARN("web:1") "\"}"),
		      "taskDefinition");
	assert_int_equal(int_of(json_get(td, "revision")), 1);

	/* Deregister the newest: the family now means revision 2. */
	c->now_ms += 5500;
	td = json_get(ok(c, "DeregisterTaskDefinition", "{\"taskDefinition\":\"web:3\"}"),
		      "taskDefinition");
	assert_string_equal(str_at(td, "status"), "INACTIVE");
	double at = 0;
	assert_true(json_number(json_get(td, "deregisteredAt"), &at));
	assert_true(at > 1704164650.4 && at < 1704164650.6);
	td = json_get(ok(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"web\"}"),
		      "taskDefinition");
	assert_int_equal(int_of(json_get(td, "revision")), 2);
	/* An INACTIVE revision is still there by number. */
	td = json_get(ok(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"web:3\"}"),
		      "taskDefinition");
	assert_string_equal(str_at(td, "status"), "INACTIVE");
	/* Twice: returned as it is, deregisteredAt unchanged. */
	c->now_ms += 60000;
	td = json_get(ok(c, "DeregisterTaskDefinition",
			 "{\"taskDefinition\":\"" TD_ARN("web:3") "\"}"),
		      "taskDefinition");
	double again = 0;
	assert_true(json_number(json_get(td, "deregisteredAt"), &again));
	assert_true(again == at);

	/* Revisions are never reused. */
	td = json_get(ok(c, "RegisterTaskDefinition", simple), "taskDefinition");
	assert_int_equal(int_of(json_get(td, "revision")), 4);

	static const char *const missing[] = {
		"{\"taskDefinition\":\"nope\"}",
		"{\"taskDefinition\":\"web:99\"}",
		"{\"taskDefinition\":\"bad name\"}",
		"{\"taskDefinition\":\"arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1\"}",
		"{\"taskDefinition\":\"arn:aws:ecs:us-east-1:123456789012:cluster/web:1\"}",
		"{\"taskDefinition\":\"arn:nonsense\"}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(missing); i++)
		assert_string_equal(expect_error(c, "DescribeTaskDefinition", missing[i],
						 "ClientException"),
				    "Unable to describe task definition.");
	expect_error(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"web:x\"}",
		     "ClientException");
	expect_error(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"web:01\"}",
		     "ClientException");
	expect_error(c, "DescribeTaskDefinition", "{}", "InvalidParameterException");
	expect_error(c, "DescribeTaskDefinition", "{\"taskDefinition\":7}",
		     "SerializationException");
	expect_error(c, "DescribeTaskDefinition",
		     "{\"taskDefinition\":\"web\",\"include\":[\"SETTINGS\"]}",
		     "InvalidParameterException");
	expect_error(c, "DeregisterTaskDefinition", "{\"taskDefinition\":\"web\"}",
		     "ClientException");
	expect_error(c, "DeregisterTaskDefinition", "{\"taskDefinition\":\"web:42\"}",
		     "ClientException");

	/* All revisions INACTIVE: the family alone names nothing. */
	for (int r = 1; r <= 4; r++) {
		char body[64];
		snprintf(body, sizeof(body), "{\"taskDefinition\":\"web:%d\"}", r);
		ok(c, "DeregisterTaskDefinition", body);
	}
	expect_error(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"web\"}",
		     "ClientException");
}

static void test_invalid_definitions(void **state)
{
	struct ctx *c = *state;
	const char *msg = expect_error(
		c, "RegisterTaskDefinition",
		"{\"family\":\"x\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\","
		"\"memory\":64,\"portMappings\":[{\"containerPort\":80,\"hostPort\":70000}]},"
		"{\"name\":\"a\",\"image\":\"i\",\"memory\":64}]}",
		"ClientException");
	assert_non_null(strstr(msg, "containerDefinitions[0].portMappings[0].hostPort: "));
	assert_non_null(strstr(msg, "; containerDefinitions[1].name: "));

	msg = expect_error(c, "RegisterTaskDefinition",
			   "{\"family\":\"x\",\"containerDefinitions\":[{\"name\":\"a\","
			   "\"image\":\"i\",\"memory\":\"lots\"}]}",
			   "SerializationException");
	assert_non_null(strstr(msg, "containerDefinitions[0].memory: expected an integer"));
	expect_error(c, "RegisterTaskDefinition", "{\"family\":\"x\"}", "ClientException");
	expect_error(c, "RegisterTaskDefinition",
		     "{\"family\":\"x\",\"containerDefinitions\":[{\"name\":\"a\","
		     "\"image\":\"i\",\"memory\":64,\"portBindings\":[]}]}",
		     "ClientException");
	expect_error(c, "RegisterTaskDefinition",
		     "{\"family\":\"x\",\"revision\":3,\"containerDefinitions\":[]}",
		     "ClientException");
	expect_error(c, "RegisterTaskDefinition",
		     "{\"family\":\"x\",\"containerDefinitions\":[{\"name\":\"a\","
		     "\"image\":\"i\",\"memory\":64}],\"tags\":[{\"key\":\"aws:x\",\"value\":\"\"}]}",
		     "InvalidParameterException");
	expect_error(c, "RegisterTaskDefinition",
		     "{\"family\":\"x\",\"containerDefinitions\":[],\"tags\":{}}",
		     "SerializationException");
	/* Nothing was stored by the failures. */
	const json_node *root = ok(c, "ListTaskDefinitionFamilies", "{}");
	assert_int_equal(json_array_size(json_get(root, "families")), 0);

	/* null means "not given" */
	const json_node *td = json_get(
		ok(c, "RegisterTaskDefinition",
		   "{\"family\":\"x\",\"networkMode\":null,\"tags\":null,\"containerDefinitions\":"
		   "[{\"name\":\"a\",\"image\":\"i\",\"memory\":64,\"cpu\":null}]}"),
		"taskDefinition");
	assert_null(json_get(td, "networkMode"));
}

static void list_arns(struct ctx *c, const char *body, const char *const *want, size_t n,
		      const char **token)
{
	const json_node *root = ok(c, "ListTaskDefinitions", body);
	const json_node *arns = json_get(root, "taskDefinitionArns");
	if (json_array_size(arns) != n)
		fail_msg("%s: %s", body, c->reply.body);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string(json_array_get(arns, i)), want[i]);
	*token = json_string(json_get(root, "nextToken"));
}

static void test_list(void **state)
{
	struct ctx *c = *state;
	static const char *const families[] = { "web", "api", "web", "web-2", "api" };
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		char body[256];
		snprintf(body, sizeof(body),
			 "{\"family\":\"%s\",\"containerDefinitions\":[{\"name\":\"a\","
			 "\"image\":\"i\",\"memory\":64}]}",
			 families[i]);
		ok(c, "RegisterTaskDefinition", body);
	}
	ok(c, "DeregisterTaskDefinition", "{\"taskDefinition\":\"web-2:1\"}");

	const char *token;
	static const char *const asc[] = { TD_ARN("api:1"), TD_ARN("api:2"), TD_ARN("web:1"),
					   TD_ARN("web:2") };
	list_arns(c, "{}", asc, 4, &token);
	assert_null(token);
	static const char *const desc[] = { TD_ARN("web:2"), TD_ARN("web:1"), TD_ARN("api:2"),
					    TD_ARN("api:1") };
	list_arns(c, "{\"sort\":\"DESC\"}", desc, 4, &token);
	static const char *const web[] = { TD_ARN("web:1"), TD_ARN("web:2") };
	list_arns(c, "{\"familyPrefix\":\"web\"}", web, 2, &token);
	static const char *const inactive[] = { TD_ARN("web-2:1") };
	list_arns(c, "{\"status\":\"INACTIVE\"}", inactive, 1, &token);
	list_arns(c, "{\"status\":\"DELETE_IN_PROGRESS\"}", NULL, 0, &token);

	/* Pages, both directions. */
	for (int d = 0; d < 2; d++) {
		const char *const *want = d ? desc : asc;
		char body[1024];
		snprintf(body, sizeof(body), "{\"maxResults\":3,\"sort\":\"%s\"}", d ? "DESC" : "ASC");
		list_arns(c, body, want, 3, &token);
		assert_non_null(token);
		snprintf(body, sizeof(body), "{\"maxResults\":3,\"sort\":\"%s\",\"nextToken\":\"%s\"}",
			 d ? "DESC" : "ASC", token);
		list_arns(c, body, want + 3, 1, &token);
		assert_null(token);
	}

	expect_error(c, "ListTaskDefinitions", "{\"status\":\"active\"}", "InvalidParameterException");
	expect_error(c, "ListTaskDefinitions", "{\"sort\":\"UP\"}", "InvalidParameterException");
	expect_error(c, "ListTaskDefinitions", "{\"maxResults\":101}", "InvalidParameterException");
	expect_error(c, "ListTaskDefinitions", "{\"maxResults\":\"5\"}", "SerializationException");
	expect_error(c, "ListTaskDefinitions", "{\"nextToken\":\"zz\"}", "InvalidParameterException");
	/* A token of another operation. */
	const json_node *root = ok(c, "ListTaskDefinitionFamilies", "{\"maxResults\":1}");
	char body[512];
	snprintf(body, sizeof(body), "{\"nextToken\":\"%s\"}",
		 json_string(json_get(root, "nextToken")));
	expect_error(c, "ListTaskDefinitions", body, "InvalidParameterException");
}

static void families_are(struct ctx *c, const char *body, const char *const *want, size_t n)
{
	const json_node *root = ok(c, "ListTaskDefinitionFamilies", body);
	expect_strings(json_get(root, "families"), want, n);
}

static void test_families(void **state)
{
	struct ctx *c = *state;
	static const char *const names[] = { "hpcc", "hpcc-c4", "web", "HPCC_x" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char body[256];
		snprintf(body, sizeof(body),
			 "{\"family\":\"%s\",\"containerDefinitions\":[{\"name\":\"a\","
			 "\"image\":\"i\",\"memory\":64}]}",
			 names[i]);
		ok(c, "RegisterTaskDefinition", body);
	}
	ok(c, "RegisterTaskDefinition",
	   "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\",\"memory\":64}]}");
	ok(c, "DeregisterTaskDefinition", "{\"taskDefinition\":\"hpcc-c4:1\"}");
	ok(c, "DeregisterTaskDefinition", "{\"taskDefinition\":\"web:1\"}");

	static const char *const all[] = { "HPCC_x", "hpcc", "hpcc-c4", "web" };
	families_are(c, "{}", all, 4);
	families_are(c, "{\"status\":\"ALL\"}", all, 4);
	static const char *const active[] = { "HPCC_x", "hpcc", "web" };
	families_are(c, "{\"status\":\"ACTIVE\"}", active, 3);
	static const char *const inactive[] = { "hpcc-c4" };
	families_are(c, "{\"status\":\"INACTIVE\"}", inactive, 1);
	static const char *const hpcc[] = { "hpcc", "hpcc-c4" };
	families_are(c, "{\"familyPrefix\":\"hpcc\"}", hpcc, 2);
	families_are(c, "{\"familyPrefix\":\"hpcc_\"}", NULL, 0);
	families_are(c, "{\"familyPrefix\":\"%\"}", NULL, 0);

	const json_node *root = ok(c, "ListTaskDefinitionFamilies", "{\"maxResults\":3}");
	expect_strings(json_get(root, "families"), all, 3);
	char body[512];
	snprintf(body, sizeof(body), "{\"maxResults\":3,\"nextToken\":\"%s\"}",
		 json_string(json_get(root, "nextToken")));
	root = ok(c, "ListTaskDefinitionFamilies", body);
	expect_strings(json_get(root, "families"), all + 3, 1);
	assert_null(json_get(root, "nextToken"));
	expect_error(c, "ListTaskDefinitionFamilies", "{\"status\":\"NONE\"}",
		     "InvalidParameterException");
}

static void test_tags(void **state)
{
	struct ctx *c = *state;
	const json_node *root = ok(
		c, "RegisterTaskDefinition",
		"{\"family\":\"t\",\"tags\":[{\"key\":\"team\",\"value\":\"blue\"}],"
		"\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\",\"memory\":64}]}");
	assert_int_equal(json_array_size(json_get(root, "tags")), 1);
	assert_null(json_get(json_get(root, "taskDefinition"), "tags"));

	root = ok(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"t:1\"}");
	assert_null(json_get(root, "tags"));
	root = ok(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"t\",\"include\":[\"TAGS\"]}");
	assert_string_equal(str_at(json_array_get(json_get(root, "tags"), 0), "value"), "blue");

	ok(c, "TagResource", "{\"resourceArn\":\"" TD_ARN("t:1") "\",\"tags\":[{\"key\":\"k\","
			     "\"value\":\"v\"}]}");
	root = ok(c, "ListTagsForResource", "{\"resourceArn\":\"" TD_ARN("t:1") "\"}");
	assert_int_equal(json_array_size(json_get(root, "tags")), 2);
	ok(c, "UntagResource", "{\"resourceArn\":\"" TD_ARN("t:1") "\",\"tagKeys\":[\"team\"]}");
	root = ok(c, "DescribeTaskDefinition", "{\"taskDefinition\":\"t:1\",\"include\":[\"TAGS\"]}");
	assert_int_equal(json_array_size(json_get(root, "tags")), 1);

	expect_error(c, "TagResource", "{\"resourceArn\":\"" TD_ARN("t:2") "\",\"tags\":[]}",
		     "ClientException");
	expect_error(c, "ListTagsForResource", "{\"resourceArn\":\"" TD_ARN("t") "\"}",
		     "ClientException");
}

static void test_store(void **state)
{
	struct ctx *c = *state;
	struct ecs_err err;
	int64_t rev, id;
	assert_int_equal(store_taskdef_next_revision(c->store, "s", &rev, &err), 0);
	assert_int_equal(rev, 1);
	struct store_taskdef row = { .family = "s", .revision = 1, .arn = TD_ARN("s:1"),
				     .status = "ACTIVE", .body = "{}", .registered_ms = 5 };
	assert_int_equal(store_taskdef_insert(c->store, &row, &id, &err), 0);
	assert_int_equal(store_taskdef_insert(c->store, &row, &id, &err), -EEXIST);
	assert_int_equal(store_taskdef_next_revision(c->store, "s", &rev, &err), 0);
	assert_int_equal(rev, 2);

	struct store_taskdef got;
	assert_int_equal(store_taskdef_get_by_id(c->store, id, &got, &err), 0);
	assert_string_equal(got.arn, TD_ARN("s:1"));
	assert_int_equal(got.deregistered_ms, 0);
	store_taskdef_clear(&got);
	assert_int_equal(store_taskdef_deregister(c->store, id, "{\"x\":1}", 77, &err), 0);
	assert_int_equal(store_taskdef_get(c->store, "s", 1, &got, &err), 0);
	assert_string_equal(got.status, "INACTIVE");
	assert_string_equal(got.body, "{\"x\":1}");
	assert_int_equal(got.deregistered_ms, 77);
	store_taskdef_clear(&got);
	assert_int_equal(store_taskdef_latest_active(c->store, "s", &got, &err), -ENOENT);
	assert_int_equal(store_taskdef_get_by_id(c->store, id + 1, &got, &err), -ENOENT);
	assert_int_equal(store_taskdef_deregister(c->store, id + 1, "{}", 1, &err), -ENOENT);
	store_taskdef_clear(NULL);
}

/* The stored body parses back as a stored task definition and emits the
 * same text: what family C (tasks) relies on. */
static void test_body_round_trip(void **state)
{
	struct ctx *c = *state;
	ok(c, "RegisterTaskDefinition", simple);
	struct store_taskdef row;
	struct ecs_err err;
	assert_int_equal(store_taskdef_get(c->store, "web", 1, &row, &err), 0);
	struct taskdef *td = NULL;
	assert_int_equal(taskdef_parse_flags(row.body, strlen(row.body), TASKDEF_PARSE_STORED, &td,
					     NULL, &err),
			 0);
	char *again = taskdef_to_json_flags(td, 0, &err);
	assert_non_null(again);
	assert_string_equal(again, row.body);
	free(again);
	taskdef_free(td);
	store_taskdef_clear(&row);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_defaults, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_register_host_ports_and_volumes, cp_setup,
						cp_teardown),
		cmocka_unit_test_setup_teardown(test_fargate_compatible, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_requires_attributes, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_revisions_and_lookup, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_invalid_definitions, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_list, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_families, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_tags, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_store, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_body_round_trip, cp_setup, cp_teardown),
	};
	return cmocka_run_group_tests_name("cp_taskdefs", tests, NULL, NULL);
}
