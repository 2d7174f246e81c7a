/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The regular expressions of the cluster query language's `matches`: POSIX
 * extended, anchored to the whole value, and refused when compiling them
 * would cost more than the expression is worth. The text comes from API
 * callers, and glibc's regcomp() expands every repetition by copying its
 * operand: `x{100}` is 100 copies of x and each stacked `+` doubles what it
 * follows, so a few dozen bytes such as "0++++++++++++++++++++++++++++++"
 * would take gigabytes; and repeating what can match the empty string
 * ("a*+", "(a?)*") makes its epsilon closures exponential.
 */
#include <regex.h>

#include "error.h"

/* Upper bound on the nodes a pattern may expand to. Compile time grows
 * with the square of the optional nodes in a row (1024 of them: ~0.1 s);
 * the values matched are instance ids and attribute values (at most 128
 * characters through PutAttributes), which need nothing near this. */
#define CQL_REGEX_MAX_COST 1024

/* Compile `re` into `out` (regfree() it) with REG_EXTENDED | REG_NOSUB,
 * anchored as ^(re)$. -EINVAL, with a message for the user, for a
 * back-reference (they make matching exponential), a repetition of
 * something that can match the empty string, a pattern that expands beyond
 * CQL_REGEX_MAX_COST or nests groups deeper than 32, or one regcomp()
 * refuses; -ENOMEM. */
int cql_regex_compile(regex_t *out, const char *re, struct ecs_err *err);
