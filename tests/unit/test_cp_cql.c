/* SPDX-License-Identifier: Apache-2.0 */
/* The cluster query language: parsing, errors, and matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cql.h"

static const struct cql_attribute attrs[] = {
	{ "ecs.instance-type", "t3.micro" },
	{ "ecs.availability-zone", "us-east-1a" },
	{ "ecs.os-type", "linux" },
	{ "stack", "prod" },
	{ "slots", "12" },
	{ "com.amazonaws.ecs.capability.privileged-container", NULL },
};

static const struct cql_instance inst = {
	.ec2_instance_id = "i-0abc",
	.agent_version = "1.10.2",
	.registered_at_ms = INT64_C(1529360908000), /* 2018-06-18T22:28:28Z */
	.agent_connected = true,
	.running_tasks_count = 3,
	.attributes = attrs,
	.n_attributes = sizeof(attrs) / sizeof(attrs[0]),
};

static bool match(const char *text)
{
	struct cql_expr *e;
	struct ecs_err err = { 0 };
	int r = cql_parse(text, &e, &err);
	if (r < 0)
		fail_msg("'%s' did not parse: %s", text, err_msg(&err));
	bool m = cql_match(e, &inst);
	cql_free(e);
	return m;
}

static int parse_error(const char *text, char *msg, size_t size)
{
	struct cql_expr *e = NULL;
	struct ecs_err err = { 0 };
	int r = cql_parse(text, &e, &err);
	assert_null(e);
	if (msg)
		snprintf(msg, size, "%s", err_msg(&err));
	return r;
}

static void test_equality(void **state)
{
	(void)state;
	assert_true(match("attribute:stack == prod"));
	assert_true(match("attribute:stack equals prod"));
	assert_false(match("attribute:stack == dev"));
	assert_true(match("attribute:stack != dev"));
	assert_true(match("attribute:stack not_equals 'dev'"));
	assert_true(match("attribute:ecs.instance-type == \"t3.micro\""));
	assert_true(match("ec2InstanceId == i-0abc"));
	assert_true(match("agentConnected == true"));
	assert_false(match("agentConnected == false"));
	/* A missing attribute equals nothing and differs from everything. */
	assert_false(match("attribute:missing == x"));
	assert_true(match("attribute:missing != x"));
}

static void test_order_and_numbers(void **state)
{
	(void)state;
	assert_true(match("attribute:slots > 9"));   /* numeric, not "12" < "9" */
	assert_true(match("attribute:slots >= 12"));
	assert_false(match("attribute:slots < 12"));
	assert_true(match("runningTasksCount <= 3"));
	assert_true(match("runningTasksCount greater_than 2"));
	assert_true(match("agentVersion > 1.9.9"));
	assert_true(match("agentVersion >= 1.10.2"));
	assert_false(match("agentVersion < 1.10.0"));
	assert_true(match("registeredAt < 2018-06-19"));
	assert_true(match("registeredAt == 2018-06-18T22:28:28Z"));
	assert_true(match("registeredAt == 2018-06-18T23:28:28+01:00"));
	assert_true(match("registeredAt >= 2018-06-18T22:28:28"));
	assert_false(match("registeredAt > 2018-06-18T22:28:28Z"));
}

static void test_sets_exists_matches(void **state)
{
	(void)state;
	assert_true(match("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"));
	assert_true(match("attribute:ecs.availability-zone in ('us-east-1a')"));
	assert_false(match("attribute:ecs.availability-zone in [eu-west-1a]"));
	assert_true(match("attribute:ecs.availability-zone !in [eu-west-1a]"));
	assert_true(match("attribute:ecs.availability-zone not_in [eu-west-1a]"));
	assert_true(match("ec2InstanceId in ['i-0abc', 'i-0def']"));
	assert_true(match("attribute:com.amazonaws.ecs.capability.privileged-container exists"));
	assert_false(match("attribute:nope exists"));
	assert_true(match("attribute:nope !exists"));
	assert_true(match("attribute:nope not_exists"));
	assert_true(match("attribute:ecs.instance-type =~ t3.*"));
	assert_true(match("attribute:ecs.instance-type matches 't[23]\\.(micro|small)'"));
	assert_false(match("attribute:ecs.instance-type =~ t3")); /* whole value */
	assert_true(match("attribute:ecs.instance-type !~ g2.*"));
	assert_true(match("attribute:missing not_matches x.*"));
}

static void test_compound(void **state)
{
	(void)state;
	assert_true(match("attribute:stack == prod and attribute:ecs.os-type == linux"));
	assert_false(match("attribute:stack == prod && attribute:ecs.os-type == windows"));
	assert_true(match("attribute:stack == dev or attribute:slots > 5"));
	assert_true(match("attribute:stack == dev || attribute:slots > 5"));
	assert_true(match("not attribute:stack == dev"));
	assert_true(match("!(attribute:stack == dev)"));
	/* and binds tighter than or */
	assert_true(match("attribute:stack == prod or attribute:stack == x and attribute:slots == 0"));
	assert_false(match("(attribute:stack == prod or attribute:stack == x) and attribute:slots == 0"));
	assert_true(match("  ( ( attribute:stack==prod ) )  "));
}

static void test_errors(void **state)
{
	(void)state;
	char msg[256];
	assert_int_equal(parse_error("", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(parse_error("attribute:stack", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "operator"));
	assert_int_equal(parse_error("attribute:stack == ", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("attribute:stack == a b", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "offset"));
	assert_int_equal(parse_error("(attribute:stack == a", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("attribute:stack in a", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("attribute:stack in [a,", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("attribute:stack == 'a", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("colour == red", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "colour"));
	assert_int_equal(parse_error("task:group == service:web", msg, sizeof(msg)), -ENOTSUP);
	assert_non_null(strstr(msg, "task:group"));
	assert_int_equal(parse_error("registeredAt > yesterday", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("registeredAt in [2018-01-01]", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("agentConnected > true", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "cannot be used"));
	assert_int_equal(parse_error("attribute:a =~ '('", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("attribute:a =~ '(x)\\1'", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("attribute:a ! == b", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("attribute:a == b;", NULL, 0), -EINVAL);

	char deep[200] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "(");
	strcat(deep, "attribute:a exists");
	for (int i = 0; i < 40; i++)
		strcat(deep, ")");
	assert_int_equal(parse_error(deep, NULL, 0), -E2BIG);
	char *long_text = malloc(CQL_MAX_LENGTH + 10);
	memset(long_text, 'a', CQL_MAX_LENGTH + 9);
	long_text[CQL_MAX_LENGTH + 9] = '\0';
	assert_int_equal(parse_error(long_text, NULL, 0), -E2BIG);
	free(long_text);
}

static void test_dates(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(cql_parse_date("2018-06-18", &ms), 0);
	assert_int_equal(ms, INT64_C(1529280000000));
	assert_int_equal(cql_parse_date("2018-06-18T22:28:28-02:30", &ms), 0);
	assert_int_equal(ms, INT64_C(1529360908000) + 9000000);
	assert_int_equal(cql_parse_date("2018-13-01", &ms), -EINVAL);
	assert_int_equal(cql_parse_date("2018-06-18T22:28", &ms), -EINVAL);
	assert_int_equal(cql_parse_date("2018-06-18T22:28:28Zx", &ms), -EINVAL);
	assert_int_equal(cql_parse_date("18-06-18", &ms), -EINVAL);
}

/* Patterns that regcomp() would expand into gigabytes (a fuzzer found the
 * first: every stacked '+' doubles what it follows) are refused up front;
 * ordinary repetitions still work. */
static void test_regex_cost(void **state)
{
	(void)state;
	char msg[256];
	assert_int_equal(parse_error("ec2InstanceId =~ i-60++++++++++++++++++++++++++++++++++++++++",
				     msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "repeats too much"));
	assert_int_equal(parse_error("attribute:a =~ '((x{100}){100}){100}'", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("attribute:a =~ '(((a+)+)+)+(((b+)+)+)+(((c+)+)+)+(((d+)+)+)+"
				     "(((e+)+)+)+(((f+)+)+)+(((g+)+)+)+(((h+)+)+)+(((i+)+)+)+"
				     "(((j+)+)+)+(((k+)+)+)+(((l+)+)+)+{99}'", NULL, 0), -EINVAL);
	assert_int_equal(parse_error("attribute:a =~ 'x{5000}'", NULL, 0), -EINVAL);
	char deep[128] = "attribute:a =~ '";
	for (int i = 0; i < 40; i++)
		strcat(deep, "(");
	strcat(deep, "x");
	for (int i = 0; i < 40; i++)
		strcat(deep, ")");
	strcat(deep, "'");
	assert_int_equal(parse_error(deep, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "nested"));

	/* Repeating what can match the empty string: glibc's regcomp takes
	 * seconds on "a*+" alone (the fuzzer's second finding). */
	static const char *const nullable[] = {
		"a*+", "a**", "(a*)*", "(a|)+", "(a?b*)*", "(x?){3}", "(^)*", "(a{0,2})+",
		"i+*+?++++++", "((((a*)+)+)+)+",
	};
	for (size_t i = 0; i < sizeof(nullable) / sizeof(nullable[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "attribute:a =~ '%s'", nullable[i]);
		assert_int_equal(parse_error(text, msg, sizeof(msg)), -EINVAL);
		assert_non_null(strstr(msg, "empty string"));
	}

	assert_true(match("attribute:slots =~ '[0-9]{1,3}'"));
	assert_true(match("attribute:slots =~ '(1|2)+'"));
	assert_true(match("attribute:slots =~ '1(2|)'"));
	assert_true(match("attribute:slots =~ '(1+2?)+'"));
	assert_true(match("attribute:slots =~ '((1|3)(2|4)?)*'"));
	assert_true(match("attribute:slots =~ '.{0,2}'"));
	assert_true(match("attribute:ecs.instance-type =~ '(t[23]+\\.)+(micro|small)+'"));
	assert_true(match("attribute:ecs.instance-type =~ '[]a-z[:digit:].]+'"));
	assert_true(match("ec2InstanceId =~ 'i-[0-9a-f]{4,17}'"));
	assert_false(match("ec2InstanceId =~ 'i-[0-9a-f]{5,17}'"));
	assert_true(match("attribute:stack =~ 'p(r(o(d)?)?)?'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_order_and_numbers),
		cmocka_unit_test(test_sets_exists_matches),
		cmocka_unit_test(test_regex_cost),
		cmocka_unit_test(test_compound),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests_name("cp_cql", tests, NULL, NULL);
}
