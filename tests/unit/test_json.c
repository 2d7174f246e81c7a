/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static struct json_doc *parse(const char *s, struct ecs_err *err)
{
	return json_parse(s, strlen(s), err);
}

static void test_parse_types(void **state)
{
	struct ecs_err err;
	_cleanup_(json_doc_freep) struct json_doc *doc =
		parse("{\"s\":\"x\",\"i\":-7,\"d\":1.5,\"t\":true,\"n\":null,\"a\":[1,2],\"o\":{}}", &err);
	assert_non_null(doc);
	const json_node *r = json_root(doc);
	int64_t i;
	double d;
	bool b;

	assert_int_equal(json_type(r), JSON_OBJECT);
	assert_int_equal(json_object_size(r), 7);
	assert_string_equal(json_object_key(r, 0), "s");
	assert_string_equal(json_string(json_get(r, "s")), "x");
	assert_true(json_integer(json_get(r, "i"), &i));
	assert_int_equal(i, -7);
	assert_false(json_integer(json_get(r, "d"), &i));
	assert_true(json_number(json_get(r, "d"), &d));
	assert_true(d == 1.5);
	assert_true(json_bool(json_get(r, "t"), &b));
	assert_true(b);
	assert_int_equal(json_type(json_get(r, "n")), JSON_NULL);
	assert_int_equal(json_array_size(json_get(r, "a")), 2);
	assert_int_equal(json_type(json_get(r, "missing")), JSON_NONE);
	/* NULL-safe chains */
	assert_null(json_get(json_get(r, "missing"), "deeper"));
	assert_null(json_string(json_get(r, "i")));
}

static void test_integral_double_is_integer(void **state)
{
	struct ecs_err err;
	_cleanup_(json_doc_freep) struct json_doc *doc = parse("[2.0, 1e3, 2.5]", &err);
	assert_non_null(doc);
	int64_t i;
	assert_true(json_integer(json_array_get(json_root(doc), 0), &i));
	assert_int_equal(i, 2);
	assert_true(json_integer(json_array_get(json_root(doc), 1), &i));
	assert_int_equal(i, 1000);
	assert_false(json_integer(json_array_get(json_root(doc), 2), &i));
}

static void test_rejects(void **state)
{
	static const char *bad[] = { "", "{", "{\"a\":}", "[1,]x", "nul", "{\"a\" 1}" };
	for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
		struct ecs_err err = { 0 };
		assert_null(parse(bad[k], &err));
		assert_int_equal(err.code, EINVAL);
		assert_non_null(strstr(err.msg, "invalid JSON"));
	}
}

static void test_rejects_nul_and_depth(void **state)
{
	struct ecs_err err = { 0 };
	assert_null(json_parse("{\"a\":\"b\0c\"}", 11, &err));
	assert_non_null(strstr(err.msg, "NUL byte"));

	char deep[JSON_MAX_DEPTH + 2];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	assert_null(parse(deep, &err));
	assert_non_null(strstr(err.msg, "nesting deeper"));

	/* Brackets inside strings do not count towards depth. */
	char s[200];
	memset(s, '[', sizeof(s));
	s[0] = '"';
	s[sizeof(s) - 2] = '"';
	s[sizeof(s) - 1] = '\0';
	_cleanup_(json_doc_freep) struct json_doc *doc = parse(s, &err);
	assert_non_null(doc);
}

/* yajl accepts comments: a quote inside one must not make the depth check
 * think a string started and skip the brackets after it (a deep document
 * then crashed yajl's recursive free). */
static void test_depth_counts_past_comments(void **state)
{
	static const char *const openers[] = { "/* \" */", "// \"\n" };
	for (size_t k = 0; k < ARRAY_SIZE(openers); k++) {
		char doc[512];
		size_t n = (size_t)snprintf(doc, sizeof(doc), "%s", openers[k]);
		for (int d = 0; d < JSON_MAX_DEPTH + 1; d++)
			doc[n++] = '[';
		for (int d = 0; d < JSON_MAX_DEPTH + 1; d++)
			doc[n++] = ']';
		doc[n] = '\0';
		struct ecs_err err = { 0 };
		assert_null(parse(doc, &err));
		assert_int_equal(err.code, EINVAL);
		assert_non_null(strstr(err.msg, "nesting deeper"));
	}

	/* Brackets inside comments do not count; the document still parses. */
	char many[300];
	size_t n = (size_t)snprintf(many, sizeof(many), "/* ");
	memset(many + n, '[', 200);
	n += 200;
	snprintf(many + n, sizeof(many) - n, " */ {\"a\": [1] // [[[[\n}");
	struct ecs_err err = { 0 };
	_cleanup_(json_doc_freep) struct json_doc *doc = parse(many, &err);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_get(json_root(doc), "a")), 1);

	/* A NUL inside a comment is still refused (yajl would stop reading there). */
	assert_null(json_parse("[1] // \0 [", 10, &err));
	assert_non_null(strstr(err.msg, "NUL byte at offset 7"));
}

static void test_writer_round_trip(void **state)
{
	struct ecs_err err;
	const char *in = "{\"k\":[1,-2,\"\\u00e9\\n\",false,null,{\"x\":0.25}]}";
	_cleanup_(json_doc_freep) struct json_doc *doc = parse(in, &err);
	assert_non_null(doc);
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	json_w_node(w, json_root(doc));
	size_t len;
	_cleanup_free_ char *out = json_writer_finish(w, &len, &err);
	assert_non_null(out);
	assert_string_equal(out, "{\"k\":[1,-2,\"\xc3\xa9\\n\",false,null,{\"x\":0.25}]}");
	assert_int_equal(len, strlen(out));
}

static void test_writer_errors_stick(void **state)
{
	struct ecs_err err = { 0 };
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	json_w_object_begin(w);
	json_w_int(w, 3); /* a key must come first */
	json_w_key(w, "fine");
	assert_null(json_writer_finish(w, NULL, &err));
	assert_non_null(strstr(err.msg, "object key expected"));

	_cleanup_(json_writer_freep) struct json_writer *w2 = json_writer_new(false);
	json_w_string(w2, "\xff\xfe");
	assert_null(json_writer_finish(w2, NULL, &err));
	assert_non_null(strstr(err.msg, "UTF-8"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_types),
		cmocka_unit_test(test_integral_double_is_integer),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_rejects_nul_and_depth),
		cmocka_unit_test(test_depth_counts_past_comments),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_writer_errors_stick),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
