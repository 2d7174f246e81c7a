/* SPDX-License-Identifier: Apache-2.0 */
/* The cluster query language: a recursive-descent parser into a small tree,
 * and its evaluation against one container instance. */
#include "autoconf.h"

#include "cql.h"
#include "cql-regex.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum subject {
	SUBJ_ATTRIBUTE,
	SUBJ_EC2_INSTANCE_ID,
	SUBJ_AGENT_CONNECTED,
	SUBJ_AGENT_VERSION,
	SUBJ_REGISTERED_AT,
	SUBJ_RUNNING_TASKS,
};

enum op {
	OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE,
	OP_EXISTS, OP_NOT_EXISTS, OP_IN, OP_NOT_IN, OP_MATCHES, OP_NOT_MATCHES,
};

/* The operators each subject allows, as ECS documents them. */
#define OPS_EQUALITY ((1u << OP_EQ) | (1u << OP_NE))
#define OPS_ORDER ((1u << OP_GT) | (1u << OP_GE) | (1u << OP_LT) | (1u << OP_LE))
#define OPS_SET ((1u << OP_IN) | (1u << OP_NOT_IN) | (1u << OP_MATCHES) | (1u << OP_NOT_MATCHES))
#define OPS_EXISTS ((1u << OP_EXISTS) | (1u << OP_NOT_EXISTS))

static const struct {
	const char *name;
	enum subject subject;
	unsigned ops;
} subjects[] = {
	{ "ec2InstanceId", SUBJ_EC2_INSTANCE_ID, OPS_EQUALITY | OPS_SET },
	{ "agentConnected", SUBJ_AGENT_CONNECTED, OPS_EQUALITY | OPS_SET },
	{ "agentVersion", SUBJ_AGENT_VERSION, OPS_EQUALITY | OPS_ORDER },
	{ "registeredAt", SUBJ_REGISTERED_AT, OPS_EQUALITY | OPS_ORDER },
	{ "runningTasksCount", SUBJ_RUNNING_TASKS, OPS_EQUALITY | OPS_ORDER },
};

static const struct {
	const char *word;
	const char *symbol;
	enum op op;
} operators[] = {
	{ "equals", "==", OP_EQ },
	{ "not_equals", "!=", OP_NE },
	{ "greater_than", ">", OP_GT },
	{ "greater_than_equal", ">=", OP_GE },
	{ "less_than", "<", OP_LT },
	{ "less_than_equal", "<=", OP_LE },
	{ "exists", NULL, OP_EXISTS },
	{ "not_exists", NULL, OP_NOT_EXISTS },
	{ "in", NULL, OP_IN },
	{ "not_in", NULL, OP_NOT_IN },
	{ "matches", "=~", OP_MATCHES },
	{ "not_matches", "!~", OP_NOT_MATCHES },
};

enum node_kind { NODE_AND, NODE_OR, NODE_NOT, NODE_PREDICATE };

struct cql_expr {
	enum node_kind kind;
	struct cql_expr *left, *right; /* AND, OR: both; NOT: left */

	/* NODE_PREDICATE */
	enum subject subject;
	char *attribute; /* SUBJ_ATTRIBUTE */
	enum op op;
	char **args;
	int64_t *dates;  /* SUBJ_REGISTERED_AT: args as instants */
	size_t n_args;
	regex_t regex;
	bool has_regex;
};

void cql_free(struct cql_expr *e)
{
	if (!e)
		return;
	cql_free(e->left);
	cql_free(e->right);
	free(e->attribute);
	for (size_t i = 0; i < e->n_args; i++)
		free(e->args[i]);
	free(e->args);
	free(e->dates);
	if (e->has_regex)
		regfree(&e->regex);
	free(e);
}

/* ---- lexer ---- */

enum tok_kind { TOK_END, TOK_WORD, TOK_STRING, TOK_SYMBOL };

struct tok {
	enum tok_kind kind;
	const char *start; /* into the text; quoted strings without the quotes */
	size_t len;
	size_t offset;
};

struct parser {
	const char *text;
	size_t pos;
	struct tok cur;
	int depth;
	struct ecs_err *err;
};

static bool word_char(unsigned char c)
{
	return c >= 0x80 || isalnum(c) || strchr("_.-:/*+@$^?\\{}", c);
}

static int lex(struct parser *p)
{
	const char *t = p->text;
	while (t[p->pos] == ' ' || t[p->pos] == '\t' || t[p->pos] == '\n' || t[p->pos] == '\r')
		p->pos++;
	struct tok *k = &p->cur;
	k->offset = p->pos;
	k->start = t + p->pos;
	char c = t[p->pos];
	if (!c) {
		k->kind = TOK_END;
		k->len = 0;
		return 0;
	}
	if (c == '\'' || c == '"') {
		const char *end = strchr(t + p->pos + 1, c);
		if (!end)
			return err_set(p->err, EINVAL, "unterminated string at offset %zu", p->pos);
		k->kind = TOK_STRING;
		k->start = t + p->pos + 1;
		k->len = (size_t)(end - k->start);
		p->pos = (size_t)(end - t) + 1;
		return 0;
	}
	static const char *const two[] = { "==", "!=", ">=", "<=", "=~", "!~", "&&", "||" };
	for (size_t i = 0; i < ARRAY_SIZE(two); i++) {
		if (strncmp(t + p->pos, two[i], 2) == 0) {
			k->kind = TOK_SYMBOL;
			k->len = 2;
			p->pos += 2;
			return 0;
		}
	}
	if (strchr("()[],!<>", c)) {
		k->kind = TOK_SYMBOL;
		k->len = 1;
		p->pos++;
		return 0;
	}
	if (!word_char((unsigned char)c))
		return err_set(p->err, EINVAL, "unexpected character '%c' at offset %zu", c,
			       p->pos);
	size_t n = 0;
	while (t[p->pos + n] && word_char((unsigned char)t[p->pos + n]))
		n++;
	k->kind = TOK_WORD;
	k->len = n;
	p->pos += n;
	return 0;
}

static bool tok_is(const struct tok *k, enum tok_kind kind, const char *s)
{
	return k->kind == kind && k->len == strlen(s) && strncmp(k->start, s, k->len) == 0;
}

static int unexpected(struct parser *p, const char *wanted)
{
	if (p->cur.kind == TOK_END)
		return err_set(p->err, EINVAL, "expected %s at the end of the expression", wanted);
	return err_set(p->err, EINVAL, "expected %s at offset %zu, found '%.*s'", wanted,
		       p->cur.offset, (int)(p->cur.len > 40 ? 40 : p->cur.len), p->cur.start);
}

/* ---- parser ---- */

static int parse_or(struct parser *p, struct cql_expr **out);

static struct cql_expr *node(enum node_kind kind, struct parser *p)
{
	struct cql_expr *e = calloc(1, sizeof(*e));
	if (!e)
		err_set(p->err, ENOMEM, "out of memory");
	else
		e->kind = kind;
	return e;
}

static int add_arg(struct parser *p, struct cql_expr *e)
{
	if (p->cur.kind != TOK_WORD && p->cur.kind != TOK_STRING)
		return unexpected(p, "a value");
	char **grown = realloc(e->args, (e->n_args + 1) * sizeof(*grown));
	if (!grown)
		return err_set(p->err, ENOMEM, "out of memory");
	e->args = grown;
	if (!(e->args[e->n_args] = strndup(p->cur.start, p->cur.len)))
		return err_set(p->err, ENOMEM, "out of memory");
	e->n_args++;
	return lex(p);
}

static int parse_operator(struct parser *p, enum op *op)
{
	/* "!" before "in" / "exists" negates them. */
	bool negated = tok_is(&p->cur, TOK_SYMBOL, "!");
	int r;
	if (negated && (r = lex(p)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(operators); i++) {
		bool hit = tok_is(&p->cur, TOK_WORD, operators[i].word) ||
			   (operators[i].symbol && tok_is(&p->cur, TOK_SYMBOL, operators[i].symbol));
		if (!hit)
			continue;
		*op = operators[i].op;
		if (negated) {
			if (*op == OP_IN)
				*op = OP_NOT_IN;
			else if (*op == OP_EXISTS)
				*op = OP_NOT_EXISTS;
			else
				return unexpected(p, "'in' or 'exists' after '!'");
		}
		return lex(p);
	}
	return unexpected(p, "an operator");
}

static int parse_arguments(struct parser *p, struct cql_expr *e)
{
	int r;
	if (e->op == OP_EXISTS || e->op == OP_NOT_EXISTS)
		return 0;
	if (e->op != OP_IN && e->op != OP_NOT_IN)
		return add_arg(p, e);

	const char *close;
	if (tok_is(&p->cur, TOK_SYMBOL, "["))
		close = "]";
	else if (tok_is(&p->cur, TOK_SYMBOL, "("))
		close = ")";
	else
		return unexpected(p, "a list '[...]'");
	if ((r = lex(p)) < 0)
		return r;
	for (;;) {
		if ((r = add_arg(p, e)) < 0)
			return r;
		if (tok_is(&p->cur, TOK_SYMBOL, close))
			return lex(p);
		if (!tok_is(&p->cur, TOK_SYMBOL, ","))
			return unexpected(p, "',' or the end of the list");
		if ((r = lex(p)) < 0)
			return r;
	}
}

static int check_arguments(struct parser *p, struct cql_expr *e)
{
	if (e->subject == SUBJ_REGISTERED_AT) {
		if (!(e->dates = calloc(e->n_args + 1, sizeof(*e->dates))))
			return err_set(p->err, ENOMEM, "out of memory");
		for (size_t i = 0; i < e->n_args; i++)
			if (cql_parse_date(e->args[i], &e->dates[i]) < 0)
				return err_set(p->err, EINVAL,
					       "registeredAt: '%.64s' is not a date such as 2018-06-18T22:28:28Z",
					       e->args[i]);
	}
	if (e->op == OP_MATCHES || e->op == OP_NOT_MATCHES) {
		int r = cql_regex_compile(&e->regex, e->args[0], p->err);
		if (r < 0)
			return r;
		e->has_regex = true;
	}
	return 0;
}

static int parse_predicate(struct parser *p, struct cql_expr **out)
{
	if (p->cur.kind != TOK_WORD)
		return unexpected(p, "a subject such as attribute:NAME");
	_cleanup_(cql_freep) struct cql_expr *e = node(NODE_PREDICATE, p);
	if (!e)
		return -ENOMEM;
	unsigned allowed = 0;
	const struct tok subj = p->cur;
	if (subj.len > 10 && strncmp(subj.start, "attribute:", 10) == 0) {
		e->subject = SUBJ_ATTRIBUTE;
		allowed = OPS_EQUALITY | OPS_ORDER | OPS_SET | OPS_EXISTS;
		if (!(e->attribute = strndup(subj.start + 10, subj.len - 10)))
			return err_set(p->err, ENOMEM, "out of memory");
	} else if (subj.len >= 5 && strncmp(subj.start, "task:", 5) == 0) {
		return err_set(p->err, ENOTSUP, "the subject '%.*s' is not supported",
			       (int)(subj.len > 64 ? 64 : subj.len), subj.start);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(subjects) && !allowed; i++) {
			if (tok_is(&subj, TOK_WORD, subjects[i].name)) {
				e->subject = subjects[i].subject;
				allowed = subjects[i].ops;
			}
		}
		if (!allowed)
			return err_set(p->err, EINVAL, "unknown subject '%.*s' at offset %zu",
				       (int)(subj.len > 64 ? 64 : subj.len), subj.start, subj.offset);
	}
	int r = lex(p);
	if (r < 0)
		return r;
	const struct tok optok = p->cur;
	if ((r = parse_operator(p, &e->op)) < 0)
		return r;
	if (!(allowed & (1u << e->op)))
		return err_set(p->err, EINVAL, "the operator '%.*s' cannot be used with '%.*s'",
			       (int)optok.len, optok.start, (int)(subj.len > 64 ? 64 : subj.len),
			       subj.start);
	if ((r = parse_arguments(p, e)) < 0 || (r = check_arguments(p, e)) < 0)
		return r;
	*out = TAKE_PTR(e);
	return 0;
}

static int parse_factor(struct parser *p, struct cql_expr **out)
{
	int r;
	if (++p->depth > CQL_MAX_DEPTH)
		return err_set(p->err, E2BIG, "the expression is nested more than %d levels",
			       CQL_MAX_DEPTH);
	if (tok_is(&p->cur, TOK_WORD, "not") || tok_is(&p->cur, TOK_SYMBOL, "!")) {
		struct cql_expr *e = node(NODE_NOT, p);
		if (!e)
			return -ENOMEM;
		if ((r = lex(p)) < 0 || (r = parse_factor(p, &e->left)) < 0) {
			cql_free(e);
			return r;
		}
		*out = e;
	} else if (tok_is(&p->cur, TOK_SYMBOL, "(")) {
		if ((r = lex(p)) < 0 || (r = parse_or(p, out)) < 0)
			return r;
		if (!tok_is(&p->cur, TOK_SYMBOL, ")")) {
			cql_free(*out);
			*out = NULL;
			return unexpected(p, "')'");
		}
		if ((r = lex(p)) < 0) {
			cql_free(*out);
			*out = NULL;
			return r;
		}
	} else if ((r = parse_predicate(p, out)) < 0) {
		return r;
	}
	p->depth--;
	return 0;
}

/* One left-associative chain of `kind` joined by either spelling. */
static int parse_chain(struct parser *p, enum node_kind kind, const char *word,
		       const char *symbol, int (*operand)(struct parser *, struct cql_expr **),
		       struct cql_expr **out)
{
	_cleanup_(cql_freep) struct cql_expr *left = NULL;
	int r = operand(p, &left);
	if (r < 0)
		return r;
	while (tok_is(&p->cur, TOK_WORD, word) || tok_is(&p->cur, TOK_SYMBOL, symbol)) {
		struct cql_expr *e = node(kind, p);
		if (!e)
			return -ENOMEM;
		e->left = TAKE_PTR(left);
		left = e;
		if ((r = lex(p)) < 0 || (r = operand(p, &e->right)) < 0)
			return r;
	}
	*out = TAKE_PTR(left);
	return 0;
}

static int parse_and(struct parser *p, struct cql_expr **out)
{
	return parse_chain(p, NODE_AND, "and", "&&", parse_factor, out);
}

static int parse_or(struct parser *p, struct cql_expr **out)
{
	return parse_chain(p, NODE_OR, "or", "||", parse_and, out);
}

int cql_parse(const char *text, struct cql_expr **out, struct ecs_err *err)
{
	*out = NULL;
	size_t len = strlen(text);
	if (len > CQL_MAX_LENGTH)
		return err_set(err, E2BIG, "the expression is longer than %d characters",
			       CQL_MAX_LENGTH);
	struct parser p = { .text = text, .err = err };
	_cleanup_(cql_freep) struct cql_expr *e = NULL;
	int r = lex(&p);
	if (r < 0)
		return r;
	if (p.cur.kind == TOK_END)
		return err_set(err, EINVAL, "the expression is empty");
	if ((r = parse_or(&p, &e)) < 0)
		return r;
	if (p.cur.kind != TOK_END)
		return unexpected(&p, "'and', 'or' or the end of the expression");
	*out = TAKE_PTR(e);
	return 0;
}

/* ---- dates ---- */

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int cql_parse_date(const char *text, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	size_t n = strlen(text);
	if (n < 10 || !digits(text, 4, &y) || text[4] != '-' || !digits(text + 5, 2, &mo) ||
	    text[7] != '-' || !digits(text + 8, 2, &d))
		return -EINVAL;
	const char *rest = text + 10;
	if (*rest) {
		if (*rest != 'T' || strlen(rest) < 9 || !digits(rest + 1, 2, &h) || rest[3] != ':' ||
		    !digits(rest + 4, 2, &mi) || rest[6] != ':' || !digits(rest + 7, 2, &sec))
			return -EINVAL;
		rest += 9;
		if (strcmp(rest, "Z") == 0) {
			rest++;
		} else if (*rest == '+' || *rest == '-') {
			sign = *rest == '+' ? 1 : -1;
			if (strlen(rest) != 6 || !digits(rest + 1, 2, &oh) || rest[3] != ':' ||
			    !digits(rest + 4, 2, &om))
				return -EINVAL;
			rest += 6;
		}
		if (*rest)
			return -EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || oh > 23 ||
	    om > 59)
		return -EINVAL;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	time_t t = timegm(&tm);
	t -= (time_t)sign * (oh * 3600 + om * 60);
	*ms = (int64_t)t * 1000;
	return 0;
}

/* ---- evaluation ---- */

static bool as_number(const char *s, double *out)
{
	if (!s || !*s)
		return false;
	char *end;
	double v = strtod(s, &end);
	if (*end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* Dotted version numbers, numerically per part; a leading 'v' is ignored. */
static int version_cmp(const char *a, const char *b)
{
	if (*a == 'v')
		a++;
	if (*b == 'v')
		b++;
	while (*a || *b) {
		unsigned long long x = strtoull(a, (char **)&a, 10);
		unsigned long long y = strtoull(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		/* Skip to the next part. */
		while (*a && *a != '.')
			a++;
		while (*b && *b != '.')
			b++;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
	}
	return 0;
}

static int compare(const struct cql_expr *e, const char *value, int64_t value_ms, size_t arg)
{
	if (e->subject == SUBJ_REGISTERED_AT)
		return value_ms < e->dates[arg] ? -1 : value_ms > e->dates[arg];
	if (e->subject == SUBJ_AGENT_VERSION)
		return version_cmp(value, e->args[arg]);
	double x, y;
	if (as_number(value, &x) && as_number(e->args[arg], &y))
		return x < y ? -1 : x > y;
	int c = strcmp(value, e->args[arg]);
	return c < 0 ? -1 : c > 0;
}

static bool eval_predicate(const struct cql_expr *e, const struct cql_instance *in)
{
	char buf[32];
	const char *value = NULL;
	int64_t value_ms = 0;
	bool present = true;

	switch (e->subject) {
	case SUBJ_ATTRIBUTE:
		present = false;
		for (size_t i = 0; i < in->n_attributes && !present; i++) {
			if (strcmp(in->attributes[i].name, e->attribute) == 0) {
				present = true;
				value = in->attributes[i].value ? in->attributes[i].value : "";
			}
		}
		break;
	case SUBJ_EC2_INSTANCE_ID:
		value = in->ec2_instance_id;
		present = value != NULL;
		break;
	case SUBJ_AGENT_CONNECTED:
		value = in->agent_connected ? "true" : "false";
		break;
	case SUBJ_AGENT_VERSION:
		value = in->agent_version;
		present = value != NULL;
		break;
	case SUBJ_REGISTERED_AT:
		value_ms = in->registered_at_ms;
		snprintf(buf, sizeof(buf), "%lld", (long long)value_ms);
		value = buf;
		break;
	case SUBJ_RUNNING_TASKS:
		snprintf(buf, sizeof(buf), "%lld", (long long)in->running_tasks_count);
		value = buf;
		break;
	}

	switch (e->op) {
	case OP_EXISTS:
		return present;
	case OP_NOT_EXISTS:
		return !present;
	case OP_NE:
		return !present || compare(e, value, value_ms, 0) != 0;
	case OP_NOT_IN:
	case OP_IN: {
		bool hit = false;
		for (size_t i = 0; present && i < e->n_args && !hit; i++)
			hit = compare(e, value, value_ms, i) == 0;
		return e->op == OP_IN ? hit : !hit;
	}
	case OP_MATCHES:
		return present && regexec(&e->regex, value, 0, NULL, 0) == 0;
	case OP_NOT_MATCHES:
		return !present || regexec(&e->regex, value, 0, NULL, 0) != 0;
	default:
		break;
	}
	if (!present)
		return false;
	int c = compare(e, value, value_ms, 0);
	switch (e->op) {
	case OP_EQ: return c == 0;
	case OP_GT: return c > 0;
	case OP_GE: return c >= 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	default: return false;
	}
}

bool cql_match(const struct cql_expr *e, const struct cql_instance *inst)
{
	switch (e->kind) {
	case NODE_AND:
		return cql_match(e->left, inst) && cql_match(e->right, inst);
	case NODE_OR:
		return cql_match(e->left, inst) || cql_match(e->right, inst);
	case NODE_NOT:
		return !cql_match(e->left, inst);
	case NODE_PREDICATE:
		return eval_predicate(e, inst);
	}
	return false;
}
