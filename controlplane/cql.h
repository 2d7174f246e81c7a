/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * ECS's cluster query language: the expressions of ListContainerInstances'
 * `filter` and of `memberOf` placement constraints.
 *
 *   expression := term { ("or" | "||") term }
 *   term       := factor { ("and" | "&&") factor }
 *   factor     := ("not" | "!") factor | "(" expression ")" | predicate
 *   predicate  := subject operator [argument]
 *
 * Subjects: attribute:NAME, ec2InstanceId, agentConnected, agentVersion,
 * registeredAt, runningTasksCount. (task:group is not supported: parsing
 * fails with -ENOTSUP and a message naming it.)
 *
 * Operators, by word or symbol: equals ==, not_equals !=, greater_than >,
 * greater_than_equal >=, less_than <, less_than_equal <=, exists,
 * not_exists !exists, in, not_in !in, matches =~, not_matches !~.
 * `in` takes a list "[a, b]" (or "(a, b)"); exists takes no argument;
 * every other operator one value. Values are bare words (letters, digits and
 * _ . - : / * + @ $ ^ ? \ { } and non-ASCII) or 'single' / "double" quoted
 * strings. `matches` is a POSIX extended regular expression that must match
 * the whole value (what patterns are refused: cql-regex.h).
 *
 * Comparison: when both sides are numbers they compare as numbers,
 * otherwise as strings (byte order). registeredAt compares instants, with
 * the argument in one of the forms 2018-06-18T22:28:28+00:00,
 * 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 (UTC) or 2018-06-18.
 * agentVersion compares dotted version numbers ("1.10.0" > "1.9.2").
 * A missing attribute satisfies only !=, not_in, not_matches and
 * not_exists.
 *
 * Keywords and subjects are case-sensitive as in ECS; expressions are at
 * most CQL_MAX_LENGTH bytes and CQL_MAX_DEPTH levels of nesting.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

#define CQL_MAX_LENGTH 2000
#define CQL_MAX_DEPTH 32

struct cql_expr;

/* One attribute of the instance being matched. value NULL: no value. */
struct cql_attribute {
	const char *name;
	const char *value;
};

/* What an expression is evaluated against. Strings may be NULL. */
struct cql_instance {
	const char *ec2_instance_id;
	const char *agent_version;
	int64_t registered_at_ms;
	bool agent_connected;
	int64_t running_tasks_count;
	const struct cql_attribute *attributes;
	size_t n_attributes;
};

/* Parse `text`. Returns 0 with *out set, or fails with `err` saying what is
 * wrong and where ("unexpected ')' at offset 12"): -EINVAL for a syntax
 * error or a bad argument (an invalid regular expression or date),
 * -ENOTSUP for a construct this implementation does not support,
 * -E2BIG for an expression over the limits, -ENOMEM. */
int cql_parse(const char *text, struct cql_expr **out, struct ecs_err *err);
void cql_free(struct cql_expr *e);
DEFINE_CLEANUP(struct cql_expr, cql_free)

/* Whether the instance satisfies the expression. */
bool cql_match(const struct cql_expr *e, const struct cql_instance *inst);

/* Parse one of the registeredAt date forms into milliseconds since the
 * epoch; -EINVAL when it is none of them. */
int cql_parse_date(const char *text, int64_t *ms);
