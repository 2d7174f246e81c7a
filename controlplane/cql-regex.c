/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "cql-regex.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define MAX_GROUP_DEPTH 32

/* Sizes saturate just past the limit, so no product overflows. */
static size_t sat_mul(size_t a, size_t b)
{
	if (a != 0 && b > (CQL_REGEX_MAX_COST + 1) / a)
		return CQL_REGEX_MAX_COST + 1;
	return a * b;
}

static size_t sat_add(size_t a, size_t b)
{
	return a + b > CQL_REGEX_MAX_COST ? CQL_REGEX_MAX_COST + 1 : a + b;
}

/* End of a bracket expression starting at p ('['), or NULL if unclosed
 * (regcomp will say so). "[]a]", "[^]a]" and "[[:alpha:]]" are handled. */
static const char *bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p; p++) {
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			char delim = p[1];
			const char *close = p + 2;
			while (*close && !(close[0] == delim && close[1] == ']'))
				close++;
			if (!*close)
				return NULL;
			p = close + 1;
		} else if (*p == ']') {
			return p;
		}
	}
	return NULL;
}

/* "{m}", "{m,}" or "{m,n}" at p: how many copies regcomp makes of the
 * operand, the closing brace, and whether m is 0. 0 when it is not a valid
 * bound (regcomp takes the brace literally or refuses it). */
static size_t brace_copies(const char *p, const char **end, bool *min_zero)
{
	char *q;
	if (p[1] < '0' || p[1] > '9')
		return 0;
	unsigned long m = strtoul(p + 1, &q, 10), n = m;
	if (*q == ',') {
		if (q[1] >= '0' && q[1] <= '9')
			n = strtoul(q + 1, &q, 10);
		else
			q++;
	}
	if (*q != '}')
		return 0;
	*end = q;
	*min_zero = m == 0;
	unsigned long most = n > m ? n : m;
	return most >= CQL_REGEX_MAX_COST ? CQL_REGEX_MAX_COST + 1 : (size_t)most + 1;
}

enum pattern_problem { PATTERN_OK, PATTERN_TOO_DEEP, PATTERN_EMPTY_REPEATED, PATTERN_TOO_BIG };

/* One group level being scanned. Atoms count one node, groups the sum of
 * their contents, and each repetition multiplies its operand by the copies
 * regcomp makes; "nullable" means able to match the empty string. */
struct frame {
	size_t total;       /* nodes of the finished atoms */
	size_t last;        /* nodes of the atom a repetition would apply to */
	bool has_last;
	bool last_nullable;
	bool seq_nullable;  /* every finished atom of this alternative is */
	bool alt_nullable;  /* some finished alternative is */
};

static void frame_push_atom(struct frame *f, size_t nodes, bool nullable)
{
	if (f->has_last) {
		f->total = sat_add(f->total, f->last);
		f->seq_nullable = f->seq_nullable && f->last_nullable;
	}
	f->last = nodes;
	f->has_last = true;
	f->last_nullable = nullable;
}

/* Whether what the frame has seen so far can match the empty string. */
static bool frame_nullable(const struct frame *f)
{
	return f->alt_nullable || (f->seq_nullable && (!f->has_last || f->last_nullable));
}

/* Applies a repetition to the last atom: `copies` of it, matching empty
 * afterwards when `min_zero`. Repeating what can match the empty string is
 * what sends regcomp's epsilon closures exponential ("a*+" alone takes
 * seconds), so it is refused; it never adds anything a user needs. */
static enum pattern_problem frame_repeat(struct frame *f, size_t copies, bool min_zero)
{
	if (!f->has_last)
		return PATTERN_OK; /* a misplaced operator: regcomp refuses it */
	if (f->last_nullable)
		return PATTERN_EMPTY_REPEATED;
	f->last = sat_add(sat_mul(f->last, copies), 1);
	f->last_nullable = min_zero;
	return PATTERN_OK;
}

/* Scans `re` the way regcomp will parse it and says whether compiling it is
 * safe: groups at most MAX_GROUP_DEPTH deep, no repetition of something
 * that can match the empty string, and at most CQL_REGEX_MAX_COST nodes. */
static enum pattern_problem check_pattern(const char *re)
{
	struct frame stack[MAX_GROUP_DEPTH + 1];
	size_t depth = 0;
	stack[0] = (struct frame){ .seq_nullable = true };
	enum pattern_problem pp = PATTERN_OK;
	for (const char *p = re; *p && pp == PATTERN_OK; p++) {
		struct frame *f = &stack[depth];
		const char *end;
		size_t copies;
		bool min_zero;
		switch (*p) {
		case '\\':
			if (p[1])
				p++;
			frame_push_atom(f, 1, false);
			break;
		case '[':
			if ((end = bracket_end(p)))
				p = end;
			frame_push_atom(f, 1, false);
			break;
		case '^':
		case '$':
			frame_push_atom(f, 1, true);
			break;
		case '(':
			if (depth == MAX_GROUP_DEPTH)
				return PATTERN_TOO_DEEP;
			stack[++depth] = (struct frame){ .seq_nullable = true };
			break;
		case ')':
			if (depth == 0) {
				frame_push_atom(f, 1, false); /* a literal ')' in ERE */
				break;
			}
			size_t nodes = sat_add(sat_add(f->total, f->has_last ? f->last : 0), 1);
			bool nullable = frame_nullable(f);
			frame_push_atom(&stack[--depth], nodes, nullable);
			break;
		case '|':
			f->alt_nullable = frame_nullable(f);
			f->total = sat_add(sat_add(f->total, f->has_last ? f->last : 0), 1);
			f->has_last = false;
			f->seq_nullable = true;
			break;
		case '*':
		case '?':
			pp = frame_repeat(f, 1, true);
			break;
		case '+':
			pp = frame_repeat(f, 2, false);
			break;
		case '{':
			if ((copies = brace_copies(p, &end, &min_zero))) {
				pp = frame_repeat(f, copies, min_zero);
				p = end;
				break;
			}
			frame_push_atom(f, 1, false);
			break;
		default:
			frame_push_atom(f, 1, false);
			break;
		}
	}
	if (pp != PATTERN_OK)
		return pp;
	/* Unclosed groups are regcomp's to refuse; count what they hold. */
	size_t cost = 0;
	for (size_t i = 0; i <= depth; i++)
		cost = sat_add(cost, sat_add(stack[i].total, stack[i].has_last ? stack[i].last : 0));
	return cost > CQL_REGEX_MAX_COST ? PATTERN_TOO_BIG : PATTERN_OK;
}

int cql_regex_compile(regex_t *out, const char *re, struct ecs_err *err)
{
	for (const char *q = re; *q; q++) {
		if (*q == '\\' && q[1] >= '0' && q[1] <= '9')
			return err_set(err, EINVAL, "matches: back-references are not supported");
		if (*q == '\\' && q[1])
			q++;
	}
	switch (check_pattern(re)) {
	case PATTERN_OK:
		break;
	case PATTERN_TOO_DEEP:
		return err_set(err, EINVAL, "matches: groups nested deeper than %d levels in '%.64s'",
			       MAX_GROUP_DEPTH, re);
	case PATTERN_EMPTY_REPEATED:
		return err_set(err, EINVAL,
			       "matches: '%.64s' repeats something that can match the empty string "
			       "(such as (a*)* or a?+), which is not supported", re);
	case PATTERN_TOO_BIG:
		return err_set(err, EINVAL,
			       "matches: '%.64s' repeats too much (nested or stacked repetitions "
			       "expand beyond %d elements)", re, CQL_REGEX_MAX_COST);
	}

	size_t n = strlen(re) + 5;
	_cleanup_free_ char *anchored = malloc(n);
	if (!anchored)
		return err_set(err, ENOMEM, "out of memory");
	snprintf(anchored, n, "^(%s)$", re);
	int rc = regcomp(out, anchored, REG_EXTENDED | REG_NOSUB);
	if (rc == REG_ESPACE)
		return err_set(err, ENOMEM, "out of memory");
	if (rc != 0)
		return err_set(err, EINVAL, "matches: invalid regular expression '%.64s'", re);
	return 0;
}
