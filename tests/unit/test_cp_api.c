/* SPDX-License-Identifier: Apache-2.0 */
/* The ECS API against an in-memory store: shapes, errors, pagination. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_cp_api_util.h"

#define ARN(name) "arn:aws:ecs:us-east-1:123456789012:cluster/" name

static void expect_error(struct ctx *c, const char *op, const char *body, int status,
			 const char *type)
{
	const json_node *root = call(c, op, body);
	if (c->reply.status != status || !c->reply.error_type ||
	    strcmp(c->reply.error_type, type) != 0)
		fail_msg("%s %s: got %d %s, want %d %s", op, body, c->reply.status,
			 c->reply.body, status, type);
	assert_string_equal(json_string(json_get(root, "__type")), type);
	assert_non_null(json_string(json_get(root, "message")));
}

static const char *str_at(const json_node *n, const char *a, size_t i, const char *b)
{
	return json_string(json_get(json_array_get(json_get(n, a), i), b));
}

static void test_create_describe(void **state)
{
	struct ctx *c = *state;
	const json_node *r = call(c, "CreateCluster",
				  "{\"clusterName\":\"prod\",\"tags\":[{\"key\":\"team\",\"value\":\"a\"}],"
				  "\"settings\":[{\"name\":\"containerInsights\",\"value\":\"enabled\"}]}");
	assert_int_equal(c->reply.status, 200);
	const json_node *cl = json_get(r, "cluster");
	assert_string_equal(json_string(json_get(cl, "clusterArn")), ARN("prod"));
	assert_string_equal(json_string(json_get(cl, "clusterName")), "prod");
	assert_string_equal(json_string(json_get(cl, "status")), "ACTIVE");
	int64_t v;
	assert_true(json_integer(json_get(cl, "registeredContainerInstancesCount"), &v));
	assert_int_equal(v, 0);
	assert_string_equal(str_at(cl, "tags", 0, "key"), "team");
	assert_string_equal(str_at(cl, "settings", 0, "value"), "enabled");

	/* Idempotent: same ARN, tags unchanged even if the request differs. */
	r = call(c, "CreateCluster", "{\"clusterName\":\"prod\"}");
	assert_int_equal(c->reply.status, 200);
	assert_string_equal(str_at(json_get(r, "cluster"), "tags", 0, "value"), "a");

	/* Default name. */
	r = call(c, "CreateCluster", "{}");
	assert_string_equal(json_string(json_get(json_get(r, "cluster"), "clusterName")), "default");

	/* Describe by name and ARN; unknown ones are failures with their ARN. */
	r = call(c, "DescribeClusters",
		 "{\"clusters\":[\"prod\",\"" ARN("default") "\",\"nope\",\"arn:aws:ecs:eu-west-1:123456789012:cluster/x\"],"
		 "\"include\":[\"TAGS\"]}");
	assert_int_equal(c->reply.status, 200);
	assert_int_equal(json_array_size(json_get(r, "clusters")), 2);
	assert_string_equal(str_at(r, "clusters", 0, "clusterName"), "prod");
	assert_int_equal(json_array_size(json_get(json_array_get(json_get(r, "clusters"), 0), "tags")),
			 1);
	assert_null(json_get(json_array_get(json_get(r, "clusters"), 0), "settings"));
	assert_int_equal(json_array_size(json_get(r, "failures")), 2);
	assert_string_equal(str_at(r, "failures", 0, "arn"), ARN("nope"));
	assert_string_equal(str_at(r, "failures", 0, "reason"), "MISSING");
	assert_string_equal(str_at(r, "failures", 1, "arn"),
			    "arn:aws:ecs:eu-west-1:123456789012:cluster/x");

	/* No clusters given: the default cluster. */
	r = call(c, "DescribeClusters", "{}");
	assert_string_equal(str_at(r, "clusters", 0, "clusterName"), "default");
	r = call(c, "DescribeClusters", "{\"include\":[\"SETTINGS\",\"STATISTICS\"]}");
	assert_string_equal(str_at(json_array_get(json_get(r, "clusters"), 0), "settings", 0, "value"),
			    "disabled");
	assert_int_equal(json_array_size(json_get(json_array_get(json_get(r, "clusters"), 0),
						  "statistics")), 8);
}

static void test_configuration(void **state)
{
	struct ctx *c = *state;
	const json_node *r = call(c, "CreateCluster",
				  "{\"clusterName\":\"cfg\",\"configuration\":{\"executeCommandConfiguration\":"
				  "{\"logging\":\"OVERRIDE\",\"logConfiguration\":{\"s3BucketName\":\"b\","
				  "\"s3EncryptionEnabled\":true,\"junk\":1}}}}");
	assert_int_equal(c->reply.status, 200);
	const json_node *ecc = json_get(json_get(json_get(r, "cluster"), "configuration"),
					"executeCommandConfiguration");
	assert_string_equal(json_string(json_get(ecc, "logging")), "OVERRIDE");
	assert_string_equal(json_string(json_get(json_get(ecc, "logConfiguration"), "s3BucketName")),
			    "b");
	assert_null(json_get(json_get(ecc, "logConfiguration"), "junk"));

	expect_error(c, "CreateCluster",
		     "{\"clusterName\":\"c2\",\"configuration\":{\"executeCommandConfiguration\":"
		     "{\"logging\":\"LOUD\"}}}", 400, "InvalidParameterException");
	expect_error(c, "CreateCluster",
		     "{\"clusterName\":\"c2\",\"configuration\":{\"executeCommandConfiguration\":"
		     "{\"logging\":\"OVERRIDE\"}}}", 400, "InvalidParameterException");
}

static void test_list_pagination(void **state)
{
	struct ctx *c = *state;
	char body[2048];
	for (int i = 0; i < 7; i++) {
		snprintf(body, sizeof(body), "{\"clusterName\":\"c%d\"}", i);
		call(c, "CreateCluster", body);
		assert_int_equal(c->reply.status, 200);
	}
	call(c, "DeleteCluster", "{\"cluster\":\"c3\"}");
	assert_int_equal(c->reply.status, 200);

	char token[1024] = "";
	int seen = 0, pages = 0;
	do {
		if (token[0])
			snprintf(body, sizeof(body), "{\"maxResults\":2,\"nextToken\":\"%s\"}", token);
		else
			snprintf(body, sizeof(body), "{\"maxResults\":2}");
		const json_node *r = call(c, "ListClusters", body);
		assert_int_equal(c->reply.status, 200);
		seen += (int)json_array_size(json_get(r, "clusterArns"));
		const char *next = json_string(json_get(r, "nextToken"));
		snprintf(token, sizeof(token), "%s", next ? next : "");
		pages++;
	} while (token[0]);
	assert_int_equal(seen, 6); /* c3 is INACTIVE */
	assert_int_equal(pages, 3);

	const json_node *r = call(c, "ListClusters", "{}");
	assert_int_equal(json_array_size(json_get(r, "clusterArns")), 6);
	assert_null(json_get(r, "nextToken"));

	expect_error(c, "ListClusters", "{\"maxResults\":0}", 400, "InvalidParameterException");
	expect_error(c, "ListClusters", "{\"maxResults\":101}", 400, "InvalidParameterException");
	expect_error(c, "ListClusters", "{\"maxResults\":\"5\"}", 400, "SerializationException");
	expect_error(c, "ListClusters", "{\"nextToken\":\"zz\"}", 400, "InvalidParameterException");
	expect_error(c, "ListClusters", "{\"nextToken\":\"61\"}", 400, "InvalidParameterException");
}

static void test_delete(void **state)
{
	struct ctx *c = *state;
	call(c, "CreateCluster", "{\"clusterName\":\"gone\",\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}");
	const json_node *r = call(c, "DeleteCluster", "{\"cluster\":\"" ARN("gone") "\"}");
	assert_int_equal(c->reply.status, 200);
	assert_string_equal(json_string(json_get(json_get(r, "cluster"), "status")), "INACTIVE");

	/* Describe still shows it, INACTIVE; delete again is not found. */
	r = call(c, "DescribeClusters", "{\"clusters\":[\"gone\"]}");
	assert_string_equal(str_at(r, "clusters", 0, "status"), "INACTIVE");
	expect_error(c, "DeleteCluster", "{\"cluster\":\"gone\"}", 400, "ClusterNotFoundException");
	expect_error(c, "DeleteCluster", "{}", 400, "InvalidParameterException");
	expect_error(c, "DeleteCluster", "{\"cluster\":\"bad name!\"}", 400,
		     "ClusterNotFoundException");

	/* Creating it again revives it with the new request's tags. */
	r = call(c, "CreateCluster", "{\"clusterName\":\"gone\"}");
	assert_string_equal(json_string(json_get(json_get(r, "cluster"), "status")), "ACTIVE");
	assert_int_equal(json_array_size(json_get(json_get(r, "cluster"), "tags")), 0);
}

static void test_tags(void **state)
{
	struct ctx *c = *state;
	call(c, "CreateCluster", "{\"clusterName\":\"t\"}");
	const json_node *r = call(c, "TagResource",
				  "{\"resourceArn\":\"" ARN("t") "\",\"tags\":[{\"key\":\"a\",\"value\":\"1\"},"
				  "{\"key\":\"b\",\"value\":\"2\"}]}");
	assert_int_equal(c->reply.status, 200);
	assert_int_equal(json_object_size(r), 0);
	call(c, "TagResource", "{\"resourceArn\":\"" ARN("t") "\",\"tags\":[{\"key\":\"a\",\"value\":\"3\"}]}");
	call(c, "UntagResource", "{\"resourceArn\":\"" ARN("t") "\",\"tagKeys\":[\"b\",\"zz\"]}");
	assert_int_equal(c->reply.status, 200);
	r = call(c, "ListTagsForResource", "{\"resourceArn\":\"" ARN("t") "\"}");
	assert_int_equal(json_array_size(json_get(r, "tags")), 1);
	assert_string_equal(str_at(r, "tags", 0, "value"), "3");

	expect_error(c, "TagResource", "{\"resourceArn\":\"" ARN("nope") "\",\"tags\":[]}", 400,
		     "ClusterNotFoundException");
	expect_error(c, "ListTagsForResource", "{\"resourceArn\":\"not-an-arn\"}", 400,
		     "InvalidParameterException");
	expect_error(c, "ListTagsForResource",
		     "{\"resourceArn\":\"arn:aws:ecs:us-east-1:123456789012:widget/x\"}", 400,
		     "InvalidParameterException");
	expect_error(c, "ListTagsForResource",
		     "{\"resourceArn\":\"arn:aws:ecs:us-east-1:999999999999:cluster/t\"}", 400,
		     "InvalidParameterException");
	expect_error(c, "TagResource", "{\"resourceArn\":\"" ARN("t") "\"}", 400,
		     "InvalidParameterException");
	expect_error(c, "TagResource",
		     "{\"resourceArn\":\"" ARN("t") "\",\"tags\":[{\"key\":\"aws:x\",\"value\":\"1\"}]}",
		     400, "InvalidParameterException");
	expect_error(c, "TagResource",
		     "{\"resourceArn\":\"" ARN("t") "\",\"tags\":[{\"key\":\"a\",\"value\":\"1\"},{\"key\":\"a\"}]}",
		     400, "InvalidParameterException");
	expect_error(c, "TagResource",
		     "{\"resourceArn\":\"" ARN("t") "\",\"tags\":[{\"key\":\"bad<char>\",\"value\":\"1\"}]}",
		     400, "InvalidParameterException");
	expect_error(c, "TagResource", "{\"resourceArn\":\"" ARN("t") "\",\"tags\":{}}", 400,
		     "SerializationException");
	expect_error(c, "UntagResource", "{\"resourceArn\":\"" ARN("t") "\"}", 400,
		     "InvalidParameterException");

	/* 50 tags at most, counting the ones already there. */
	char body[8192];
	int n = snprintf(body, sizeof(body), "{\"resourceArn\":\"" ARN("t") "\",\"tags\":[");
	for (int i = 0; i < 50; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, "%s{\"key\":\"k%d\",\"value\":\"v\"}",
			      i ? "," : "", i);
	snprintf(body + n, sizeof(body) - (size_t)n, "]}");
	expect_error(c, "TagResource", body, 400, "InvalidParameterException");
	r = call(c, "ListTagsForResource", "{\"resourceArn\":\"" ARN("t") "\"}");
	assert_int_equal(json_array_size(json_get(r, "tags")), 1);
}

static void test_bad_requests(void **state)
{
	struct ctx *c = *state;
	expect_error(c, "NoSuchThing", "{}", 400, "UnknownOperationException");
	expect_error(c, "CreateCluster", "{", 400, "SerializationException");
	expect_error(c, "CreateCluster", "[]", 400, "SerializationException");
	expect_error(c, "CreateCluster", "\"x\"", 400, "SerializationException");
	expect_error(c, "CreateCluster", "{\"clusterName\":5}", 400, "SerializationException");
	expect_error(c, "CreateCluster", "{\"clusterName\":\"has space\"}", 400,
		     "InvalidParameterException");
	expect_error(c, "CreateCluster", "{\"tags\":\"x\"}", 400, "SerializationException");
	expect_error(c, "CreateCluster", "{\"tags\":[1]}", 400, "SerializationException");
	expect_error(c, "CreateCluster", "{\"settings\":[{\"name\":\"nope\",\"value\":\"enabled\"}]}",
		     400, "InvalidParameterException");
	expect_error(c, "CreateCluster", "{\"capacityProviders\":[\"FARGATE\"]}", 400,
		     "InvalidParameterException");
	expect_error(c, "DescribeClusters", "{\"clusters\":\"prod\"}", 400, "SerializationException");
	expect_error(c, "DescribeClusters", "{\"clusters\":[1]}", 400, "SerializationException");
	expect_error(c, "DescribeClusters", "{\"include\":[\"EVERYTHING\"]}", 400,
		     "InvalidParameterException");
	expect_error(c, "DeleteCluster", "{\"cluster\":true}", 400, "SerializationException");

	/* Nulls are "not given"; unknown members are ignored; empty body is {}. */
	const json_node *r = call(c, "CreateCluster", "{\"clusterName\":null,\"bogus\":1}");
	assert_int_equal(c->reply.status, 200);
	assert_string_equal(json_string(json_get(json_get(r, "cluster"), "clusterName")), "default");
	call(c, "ListClusters", "");
	assert_int_equal(c->reply.status, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_describe, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_configuration, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_list_pagination, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_delete, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_tags, cp_setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, cp_setup, cp_teardown),
	};
	return cmocka_run_group_tests_name("cp_api", tests, NULL, NULL);
}
