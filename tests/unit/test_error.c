/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"

static int inner(struct ecs_err *err)
{
	return err_set_errno(err, ENOENT, "opening %s", "/nowhere");
}

static int outer(struct ecs_err *err)
{
	int r = inner(err);
	if (r < 0)
		return err_wrap(err, "loading config");
	return 0;
}

static void test_wrap_adds_context(void **state)
{
	struct ecs_err err = { 0 };
	assert_int_equal(outer(&err), -ENOENT);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, "loading config: opening /nowhere: No such file or directory");
}

static void test_sign_and_null(void **state)
{
	struct ecs_err err = { 0 };
	assert_int_equal(err_set(&err, -EINVAL, "x"), -EINVAL);
	assert_int_equal(err_set(&err, 0, "y"), -EIO);
	assert_int_equal(err_set(NULL, EPERM, "z"), -EPERM);
	assert_int_equal(err_wrap(NULL, "ctx"), -EIO);
	err_clear(&err);
	assert_string_equal(err_msg(&err), "unknown error");
	assert_string_equal(err_msg(NULL), "unknown error");
}

static void test_truncates_long_messages(void **state)
{
	struct ecs_err err = { 0 };
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&err, EINVAL, "%s", big);
	err_wrap(&err, "ctx");
	assert_int_equal(strlen(err.msg), ECS_ERR_MSG_MAX - 1);
	assert_memory_equal(err.msg, "ctx: aaa", 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_adds_context),
		cmocka_unit_test(test_sign_and_null),
		cmocka_unit_test(test_truncates_long_messages),
	};
	return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
