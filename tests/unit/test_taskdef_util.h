/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Helpers for the taskdef tests. Test documents are written with single
 * quotes ('family') and turned into JSON by q(), which keeps them readable
 * in C source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "taskdef.h"

/* A copy of s with ' replaced by ". Tests free it. */
static inline char *q(const char *s)
{
	char *out = strdup(s);
	assert_non_null(out);
	for (char *p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

static inline void print_problems(const struct td_problems *p)
{
	for (size_t i = 0; i < p->count; i++)
		fprintf(stderr, "  problem: %s: %s\n", p->items[i].path, p->items[i].message);
}

/* Parse with flags; fail the test unless it succeeds. */
static inline struct taskdef *parse_ok_flags(const char *doc, unsigned flags)
{
	char *json = q(doc);
	struct td_problems p = { 0 };
	struct ecs_err err = { 0 };
	struct taskdef *td = NULL;
	int rc = taskdef_parse_flags(json, strlen(json), flags, &td, &p, &err);
	if (rc != 0) {
		fprintf(stderr, "unexpected failure: %s\n", err_msg(&err));
		print_problems(&p);
	}
	assert_int_equal(rc, 0);
	assert_non_null(td);
	assert_int_equal(p.count, 0);
	free(json);
	return td;
}

static inline struct taskdef *parse_ok(const char *doc)
{
	return parse_ok_flags(doc, 0);
}

/* Parse with flags, expecting -EINVAL; return the problems (caller frees). */
static inline struct td_problems parse_bad_flags(const char *doc, unsigned flags)
{
	char *json = q(doc);
	struct td_problems p = { 0 };
	struct ecs_err err = { 0 };
	struct taskdef *td = NULL;
	int rc = taskdef_parse_flags(json, strlen(json), flags, &td, &p, &err);
	assert_int_equal(rc, -EINVAL);
	assert_null(td);
	assert_true(p.count > 0);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "invalid task definition"));
	free(json);
	return p;
}

/* The problem at exactly `path` whose message contains `phrase`, if any. */
static inline const struct td_problem *find_problem(const struct td_problems *p, const char *path,
						    const char *phrase)
{
	for (size_t i = 0; i < p->count; i++)
		if (strcmp(p->items[i].path, path) == 0 && strstr(p->items[i].message, phrase))
			return &p->items[i];
	return NULL;
}

/* The document is rejected, with (at least) this problem. */
static inline void expect_problem(const char *doc, const char *path, const char *phrase)
{
	struct td_problems p = parse_bad_flags(doc, 0);
	if (!find_problem(&p, path, phrase)) {
		fprintf(stderr, "expected \"%s: ...%s...\" among:\n", path, phrase);
		print_problems(&p);
		fail();
	}
	td_problems_free(&p);
}

/* The document is rejected with exactly this one problem. */
static inline void expect_only_problem(const char *doc, const char *path, const char *phrase)
{
	struct td_problems p = parse_bad_flags(doc, 0);
	if (p.count != 1 || !find_problem(&p, path, phrase)) {
		fprintf(stderr, "expected only \"%s: ...%s...\" but got:\n", path, phrase);
		print_problems(&p);
		fail();
	}
	td_problems_free(&p);
}

static inline void expect_valid(const char *doc)
{
	taskdef_free(parse_ok(doc));
}

/* Emit, parse the output again, emit again: the two outputs must match.
 * Returns the first output (caller frees). */
static inline char *assert_round_trip(const struct taskdef *td, unsigned parse_flags)
{
	struct ecs_err err = { 0 };
	char *one = taskdef_to_json(td, false, &err);
	assert_non_null(one);
	struct taskdef *again = NULL;
	struct td_problems p = { 0 };
	int rc = taskdef_parse_flags(one, strlen(one), parse_flags, &again, &p, &err);
	if (rc != 0)
		print_problems(&p);
	assert_int_equal(rc, 0);
	char *two = taskdef_to_json(again, false, &err);
	assert_non_null(two);
	assert_string_equal(one, two);
	free(two);
	taskdef_free(again);
	return one;
}
