/* SPDX-License-Identifier: Apache-2.0 */
/* The Secrets Manager API, its store and the registry credentials the agent
 * poll resolves from it, against an in-memory store. */
#include <setjmp.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "regcreds.h"
#include "store-secrets.h"
#include "test_cp_api_util.h"

#define CREDS "{\\\"username\\\":\\\"alice\\\",\\\"password\\\":\\\"pw1\\\"}"
#define ARN_PREFIX "arn:aws:secretsmanager:us-east-1:123456789012:secret:"

static int setup(void **state)
{
	*state = cp_ctx_new(api_handle_secrets);
	return 0;
}

static void expect_error(struct ctx *c, const char *op, const char *body, const char *type)
{
	const json_node *root = call(c, op, body);
	if (c->reply.status != 400 || !c->reply.error_type || strcmp(c->reply.error_type, type))
		fail_msg("%s %s: got %d %s, want %s", op, body, c->reply.status, c->reply.body,
			 type);
	assert_string_equal(json_string(json_get(root, "__type")), type);
}

static char *create(struct ctx *c, const char *name, const char *value)
{
	char body[512];
	snprintf(body, sizeof(body), "{\"Name\":\"%s\",\"SecretString\":\"%s\"}", name, value);
	const json_node *root = ok(c, "CreateSecret", body);
	const char *arn = json_string(json_get(root, "ARN"));
	assert_non_null(arn);
	return strdup(arn);
}

static void test_create_get(void **state)
{
	struct ctx *c = *state;
	char *arn = create(c, "reg/creds", CREDS);
	/* ARN: the name, "-" and 6 random letters or digits */
	size_t plen = strlen(ARN_PREFIX "reg/creds-");
	assert_int_equal(strncmp(arn, ARN_PREFIX "reg/creds-", plen), 0);
	assert_int_equal(strlen(arn), plen + 6);
	for (size_t i = plen; i < plen + 6; i++)
		assert_true(isalnum((unsigned char)arn[i]));

	const char *refs[] = { "reg/creds", arn, ARN_PREFIX "reg/creds" };
	for (size_t i = 0; i < 3; i++) {
		char body[512];
		snprintf(body, sizeof(body), "{\"SecretId\":\"%s\"}", refs[i]);
		const json_node *root = ok(c, "GetSecretValue", body);
		assert_string_equal(json_string(json_get(root, "ARN")), arn);
		assert_string_equal(json_string(json_get(root, "Name")), "reg/creds");
		assert_string_equal(json_string(json_get(root, "SecretString")),
				    "{\"username\":\"alice\",\"password\":\"pw1\"}");
		assert_string_equal(json_string(json_array_get(json_get(root, "VersionStages"), 0)),
				    "AWSCURRENT");
	}
	expect_error(c, "CreateSecret", "{\"Name\":\"reg/creds\",\"SecretString\":\"x\"}",
		     "ResourceExistsException");
	expect_error(c, "GetSecretValue", "{\"SecretId\":\"nope\"}", "ResourceNotFoundException");
	/* A prefix of the name is not a partial ARN */
	expect_error(c, "GetSecretValue", "{\"SecretId\":\"" ARN_PREFIX "reg/cre\"}",
		     "ResourceNotFoundException");
	expect_error(c, "CreateSecret", "{\"Name\":\"bad name\",\"SecretString\":\"x\"}",
		     "InvalidParameterException");
	expect_error(c, "CreateSecret", "{\"SecretString\":\"x\"}", "InvalidParameterException");
	expect_error(c, "CreateSecret", "{\"Name\":\"b\",\"SecretBinary\":\"eA==\"}",
		     "InvalidParameterException");
	expect_error(c, "GetSecretValue", "{\"SecretId\":5}", "SerializationException");
	expect_error(c, "NoSuchOp", "{}", "UnknownOperationException");
	free(arn);
}

static void test_put_value_and_version(void **state)
{
	struct ctx *c = *state;
	free(create(c, "s", "v1"));
	const json_node *root =
		ok(c, "PutSecretValue", "{\"SecretId\":\"s\",\"SecretString\":\"v2\","
					"\"ClientRequestToken\":\"0123456789abcdef0123456789abcdef\"}");
	assert_string_equal(json_string(json_get(root, "VersionId")),
			    "0123456789abcdef0123456789abcdef");
	root = ok(c, "GetSecretValue", "{\"SecretId\":\"s\"}");
	assert_string_equal(json_string(json_get(root, "SecretString")), "v2");
	assert_string_equal(json_string(json_get(root, "VersionId")),
			    "0123456789abcdef0123456789abcdef");
	expect_error(c, "GetSecretValue", "{\"SecretId\":\"s\",\"VersionStage\":\"AWSPREVIOUS\"}",
		     "ResourceNotFoundException");
	expect_error(c, "PutSecretValue", "{\"SecretId\":\"s\"}", "InvalidParameterException");
	expect_error(c, "PutSecretValue", "{\"SecretId\":\"t\",\"SecretString\":\"x\"}",
		     "ResourceNotFoundException");
}

static void test_delete_recovery(void **state)
{
	struct ctx *c = *state;
	free(create(c, "keep", "k"));
	free(create(c, "gone", "g"));
	const json_node *root =
		ok(c, "DeleteSecret", "{\"SecretId\":\"gone\",\"RecoveryWindowInDays\":7}");
	double when;
	assert_true(json_number(json_get(root, "DeletionDate"), &when));
	assert_true(when == (double)(c->now_ms + 7 * 86400000LL) / 1000.0);
	/* Marked: unusable, hidden from the list, its name taken */
	expect_error(c, "GetSecretValue", "{\"SecretId\":\"gone\"}", "InvalidRequestException");
	expect_error(c, "CreateSecret", "{\"Name\":\"gone\",\"SecretString\":\"x\"}",
		     "InvalidRequestException");
	root = ok(c, "ListSecrets", "{}");
	assert_int_equal(json_array_size(json_get(root, "SecretList")), 1);
	root = ok(c, "ListSecrets", "{\"IncludePlannedDeletion\":true}");
	assert_int_equal(json_array_size(json_get(root, "SecretList")), 2);
	/* Restored, then deleted again: after the window it is gone for good */
	ok(c, "RestoreSecret", "{\"SecretId\":\"gone\"}");
	ok(c, "GetSecretValue", "{\"SecretId\":\"gone\"}");
	ok(c, "DeleteSecret", "{\"SecretId\":\"gone\"}");
	c->now_ms += 31 * 86400000LL;
	expect_error(c, "DescribeSecret", "{\"SecretId\":\"gone\"}", "ResourceNotFoundException");
	/* Forced: at once */
	expect_error(c, "DeleteSecret",
		     "{\"SecretId\":\"keep\",\"ForceDeleteWithoutRecovery\":true,"
		     "\"RecoveryWindowInDays\":7}", "InvalidParameterException");
	ok(c, "DeleteSecret", "{\"SecretId\":\"keep\",\"ForceDeleteWithoutRecovery\":true}");
	expect_error(c, "GetSecretValue", "{\"SecretId\":\"keep\"}", "ResourceNotFoundException");
	free(create(c, "keep", "again"));
}

static void test_list_pages(void **state)
{
	struct ctx *c = *state;
	const char *names[] = { "c", "a", "e", "b", "d" };
	for (size_t i = 0; i < 5; i++)
		free(create(c, names[i], "x"));
	char body[1024] = "{\"MaxResults\":2}";
	char seen[8] = "";
	for (int page = 0; page < 5; page++) {
		const json_node *root = ok(c, "ListSecrets", body);
		const json_node *list = json_get(root, "SecretList");
		for (size_t i = 0; i < json_array_size(list); i++) {
			const json_node *s = json_array_get(list, i);
			strcat(seen, json_string(json_get(s, "Name")));
			assert_non_null(json_get(s, "CreatedDate"));
			assert_null(json_get(s, "SecretString"));
		}
		const char *next = json_string(json_get(root, "NextToken"));
		if (!next)
			break;
		snprintf(body, sizeof(body), "{\"MaxResults\":2,\"NextToken\":\"%s\"}", next);
	}
	assert_string_equal(seen, "abcde");
	expect_error(c, "ListSecrets", "{\"NextToken\":\"zz\"}", "InvalidNextTokenException");
	expect_error(c, "ListSecrets", "{\"MaxResults\":0}", "InvalidParameterException");
}

static void test_parse_secret(void **state)
{
	(void)state;
	struct ecs_err err = { 0 };
	char *u, *p;
	const char *good = "{\"password\":\"p w\",\"username\":\"bob\",\"extra\":1}";
	assert_int_equal(regcred_parse_secret(good, strlen(good), &u, &p, &err), 0);
	assert_string_equal(u, "bob");
	assert_string_equal(p, "p w");
	free(u);
	free(p);
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "hunter2", "not a JSON object" },
		{ "[1]", "not a JSON object" },
		{ "{\"username\":\"u\"}", "no password" },
		{ "{\"username\":\"\",\"password\":\"p\"}", "no username" },
		{ "{\"username\":\"u\",\"password\":7}", "no password" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = (struct ecs_err){ 0 };
		assert_int_equal(regcred_parse_secret(bad[i].text, strlen(bad[i].text), &u, &p,
						      &err), -EINVAL);
		assert_null(u);
		assert_null(p);
		assert_non_null(strstr(err_msg(&err), bad[i].msg));
		/* never echoes the value */
		assert_null(strstr(err_msg(&err), "hunter2"));
	}
}

static void test_resolve_taskdef(void **state)
{
	struct ctx *c = *state;
	char *arn = create(c, "good", CREDS);
	free(create(c, "plain", "not json"));
	free(create(c, "marked", CREDS));
	ok(c, "DeleteSecret", "{\"SecretId\":\"marked\"}");
	char td[2048];
	snprintf(td, sizeof(td),
		 "{\"family\":\"f\",\"containerDefinitions\":["
		 "{\"name\":\"a\",\"image\":\"x\",\"repositoryCredentials\":"
		 "{\"credentialsParameter\":\"%s\"}},"
		 "{\"name\":\"nocreds\",\"image\":\"x\"},"
		 "{\"name\":\"b\",\"repositoryCredentials\":{\"credentialsParameter\":\"plain\"}},"
		 "{\"name\":\"c\",\"repositoryCredentials\":{\"credentialsParameter\":\"missing\"}},"
		 "{\"name\":\"d\",\"repositoryCredentials\":{\"credentialsParameter\":\"marked\"}},"
		 "{\"name\":\"e\",\"repositoryCredentials\":{\"credentialsParameter\":7}}]}",
		 arn);
	struct ecs_err err = { 0 };
	struct regcred_list l;
	assert_int_equal(regcred_from_taskdef(td, strlen(td), &l, &err), 0);
	assert_int_equal(l.n, 4);
	assert_null(l.items[0].username);
	assert_int_equal(regcred_resolve(c->store, &l, &err), 0);
	assert_string_equal(l.items[0].container_name, "a");
	assert_string_equal(l.items[0].parameter, arn);
	assert_string_equal(l.items[0].username, "alice");
	assert_string_equal(l.items[0].password, "pw1");
	assert_null(l.items[0].error);
	assert_string_equal(l.items[1].container_name, "b");
	assert_null(l.items[1].username);
	assert_non_null(strstr(l.items[1].error, "not a JSON object"));
	assert_string_equal(l.items[2].container_name, "c");
	assert_non_null(strstr(l.items[2].error, "can't find the specified secret"));
	assert_string_equal(l.items[3].container_name, "d");
	assert_non_null(strstr(l.items[3].error, "marked for deletion"));
	regcred_list_clear(&l);

	assert_int_equal(regcred_from_taskdef("[]", 2, &l, &err), -EINVAL);
	assert_int_equal(regcred_from_taskdef("{}", 2, &l, &err), 0);
	assert_int_equal(l.n, 0);
	free(arn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_get, setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_put_value_and_version, setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_delete_recovery, setup, cp_teardown),
		cmocka_unit_test_setup_teardown(test_list_pages, setup, cp_teardown),
		cmocka_unit_test(test_parse_secret),
		cmocka_unit_test_setup_teardown(test_resolve_taskdef, setup, cp_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
