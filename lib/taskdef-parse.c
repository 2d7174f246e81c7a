/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON -> model, driven by the descriptors in taskdef-schema.c. The walker
 * checks the shape only (types, enums, required and unknown members) and
 * keeps going after a problem so one pass reports everything; a member with
 * the wrong type is left absent.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "taskdef-internal.h"

/* Ints in the ECS API are 32-bit (Java Integer). */
#define TD_INT_MIN (-2147483647LL - 1)
#define TD_INT_MAX 2147483647LL

/* Append to the path; returns the length to restore afterwards. A path too
 * long for the buffer is cut, which only shortens messages. */
static size_t path_push(struct td_path *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static size_t path_push(struct td_path *p, const char *fmt, ...)
{
	size_t saved = p->len, room = sizeof(p->buf) - p->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(p->buf + p->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->len += (size_t)n < room ? (size_t)n : room - 1;
	return saved;
}

static size_t path_push_member(struct td_path *p, const char *name)
{
	return path_push(p, "%s%s", p->len ? "." : "", name);
}

static void path_restore(struct td_path *p, size_t saved)
{
	p->len = saved;
	p->buf[saved] = '\0';
}

static int bad(struct td_path *p, struct td_problems *problems, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct td_path *p, struct td_problems *problems, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = td_problems_addv(problems, p->buf, fmt, ap);
	va_end(ap);
	return r;
}

static int bad_type(struct td_path *p, struct td_problems *problems, const char *want,
		    const json_node *n)
{
	return bad(p, problems, "expected %s, got %s", want, json_type_name(json_type(n)));
}

/* "a, b, c" from a NULL-terminated list, into buf (truncated if need be). */
static const char *join_enums(const char *const *e, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (; *e && len < size; e++) {
		int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *e);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

static bool in_enum(const char *const *e, const char *s)
{
	for (; *e; e++)
		if (strcmp(*e, s) == 0)
			return true;
	return false;
}

/* A string member, checked against `enums` when non-NULL. Returns the string
 * borrowed from the document, NULL when it is not a string (or on ENOMEM,
 * *rc set). A value outside `enums` is reported but still returned: it is a
 * soft problem that leaves the model usable for validation. */
static const char *get_string(const json_node *n, const char *const *enums, struct td_path *p,
			      struct td_problems *problems, int *rc)
{
	const char *s = json_string(n);
	if (!s) {
		*rc = bad_type(p, problems, "a string", n);
		return NULL;
	}
	if (enums && !in_enum(enums, s)) {
		char list[512];
		*rc = bad(p, problems, "must be one of: %s (got \"%s\")",
			  join_enums(enums, list, sizeof(list)), s);
		p->soft_problems++;
		return *rc < 0 ? NULL : s;
	}
	return s;
}

static int dup_into(char **dst, const char *s)
{
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

static int parse_strv(const json_node *n, const char *const *enums, struct td_strv *v,
		      struct td_path *p, struct td_problems *problems)
{
	if (json_type(n) != JSON_ARRAY)
		return bad_type(p, problems, "an array of strings", n);
	size_t count = json_array_size(n);
	v->set = true;
	if (count == 0)
		return 0;
	v->items = calloc(count, sizeof(*v->items));
	if (!v->items)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		int rc = 0;
		size_t saved = path_push(p, "[%zu]", i);
		const char *s = get_string(json_array_get(n, i), enums, p, problems, &rc);
		path_restore(p, saved);
		if (rc < 0)
			return rc;
		/* A bad element is dropped; the document is rejected anyway. */
		if (s && dup_into(&v->items[v->count++], s) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int compare_entries(const void *a, const void *b)
{
	const struct td_map_entry *x = *(const struct td_map_entry *const *)a;
	const struct td_map_entry *y = *(const struct td_map_entry *const *)b;
	int c = strcmp(x->key, y->key);
	/* Ties in document order (the entries are one array). */
	return c ? c : (x > y) - (x < y);
}

/* Report repeated keys. Sorting keeps this O(n log n): a map may be large. */
static int check_duplicate_keys(const struct td_map *m, struct td_path *p,
				struct td_problems *problems)
{
	if (m->count < 2)
		return 0;
	_cleanup_free_ const struct td_map_entry **sorted = calloc(m->count, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < m->count; i++)
		sorted[i] = &m->items[i];
	qsort(sorted, m->count, sizeof(*sorted), compare_entries);
	for (size_t i = 1; i < m->count; i++) {
		if (strcmp(sorted[i]->key, sorted[i - 1]->key) != 0)
			continue;
		size_t saved = path_push_member(p, sorted[i]->key);
		int rc = bad(p, problems, "duplicate key");
		path_restore(p, saved);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_map(const json_node *n, struct td_map *m, struct td_path *p,
		     struct td_problems *problems)
{
	if (json_type(n) != JSON_OBJECT)
		return bad_type(p, problems, "an object of strings", n);
	size_t count = json_object_size(n);
	m->set = true;
	if (count == 0)
		return 0;
	m->items = calloc(count, sizeof(*m->items));
	if (!m->items)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const char *key = json_object_key(n, i);
		int rc = 0;
		size_t saved = path_push_member(p, key);
		const char *s = get_string(json_object_value(n, i), NULL, p, problems, &rc);
		if (s) {
			struct td_map_entry *e = &m->items[m->count++];
			if (dup_into(&e->key, key) < 0 || dup_into(&e->value, s) < 0)
				rc = -ENOMEM;
		}
		path_restore(p, saved);
		if (rc < 0)
			return rc;
	}
	return check_duplicate_keys(m, p, problems);
}

static int parse_list(const json_node *n, const struct td_desc *sub, void *dst, unsigned flags,
		      struct td_path *p, struct td_problems *problems)
{
	if (json_type(n) != JSON_ARRAY)
		return bad_type(p, problems, "an array", n);
	struct td_list_any l = { .count = json_array_size(n), .set = true };
	if (l.count > 0) {
		l.items = calloc(l.count, sub->size);
		if (!l.items)
			return -ENOMEM;
	}
	/* Store first: the elements are owned by the model (and freed with it)
	 * even if one of them fails half-way. */
	memcpy(dst, &l, sizeof(l));
	for (size_t i = 0; i < l.count; i++) {
		size_t saved = path_push(p, "[%zu]", i);
		int rc = td_walk_parse(sub, json_array_get(n, i), (char *)l.items + i * sub->size,
				       flags, p, problems);
		path_restore(p, saved);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_int(const json_node *n, struct td_int *v, struct td_path *p,
		     struct td_problems *problems)
{
	int64_t i;
	double d;
	if (!json_integer(n, &i)) {
		if (json_number(n, &d))
			return bad(p, problems, "expected an integer, got %g", d);
		return bad_type(p, problems, "an integer", n);
	}
	if (i < TD_INT_MIN || i > TD_INT_MAX)
		return bad(p, problems, "%lld is out of range for a 32-bit integer", (long long)i);
	v->value = i;
	v->set = true;
	return 0;
}

static int parse_member(const struct td_field *f, const json_node *n, void *member,
			unsigned flags, struct td_path *p, struct td_problems *problems)
{
	int rc = 0;
	const char *s;

	switch (f->kind) {
	case TD_K_STRING:
	case TD_K_ENUM:
		s = get_string(n, f->kind == TD_K_ENUM ? f->enums : NULL, p, problems, &rc);
		if (s)
			rc = dup_into(member, s);
		return rc;
	case TD_K_INT:
		return parse_int(n, member, p, problems);
	case TD_K_BOOL: {
		struct td_bool *b = member;
		if (!json_bool(n, &b->value))
			return bad_type(p, problems, "a boolean", n);
		b->set = true;
		return 0;
	}
	case TD_K_TIME: {
		struct td_time *t = member;
		if (!json_number(n, &t->value))
			return bad_type(p, problems, "a timestamp (seconds since the epoch)", n);
		t->set = true;
		return 0;
	}
	case TD_K_STRV:
	case TD_K_ENUMV:
		return parse_strv(n, f->kind == TD_K_ENUMV ? f->enums : NULL, member, p, problems);
	case TD_K_MAP:
		return parse_map(n, member, p, problems);
	case TD_K_OBJECT: {
		if (json_type(n) != JSON_OBJECT)
			return bad_type(p, problems, "an object", n);
		void *sub = calloc(1, f->sub->size);
		if (!sub)
			return -ENOMEM;
		memcpy(member, &sub, sizeof(sub));
		return td_walk_parse(f->sub, n, sub, flags, p, problems);
	}
	case TD_K_LIST:
		return parse_list(n, f->sub, member, flags, p, problems);
	}
	return 0;
}

static bool field_allowed(const struct td_field *f, unsigned flags)
{
	return !(f->flags & TD_F_STORED) || (flags & TASKDEF_PARSE_STORED);
}

/* Names from Docker or other tools that people write by mistake. */
static const struct {
	const char *wrong, *right;
} aliases[] = {
	{ "portBindings", "\"portMappings\"" },
	{ "inferenceDevices", "\"resourceRequirements\" with type InferenceAccelerator" },
	{ "env", "\"environment\"" },
	{ "ports", "\"portMappings\"" },
	{ "volumes", "\"mountPoints\"" },
};

/* Edit distance, capped: only "close" matters. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];
	if (la >= ARRAY_SIZE(row) || lb >= ARRAY_SIZE(row) || la > lb + 2 || lb > la + 2)
		return SIZE_MAX; /* too far apart to suggest anyway */
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int unknown_member(const struct td_desc *d, const char *key, unsigned flags,
			  struct td_path *p, struct td_problems *problems)
{
	const char *guess = NULL;
	size_t best = 3; /* suggest only within two edits */

	for (size_t i = 0; i < d->n_fields; i++) {
		const struct td_field *f = &d->fields[i];
		if (strcmp(f->name, key) == 0)
			return bad(p, problems,
				   "unknown parameter: set by ECS on a registered task definition, "
				   "not accepted in a RegisterTaskDefinition request");
		size_t dist = field_allowed(f, flags) ? distance(key, f->name) : SIZE_MAX;
		if (dist < best) {
			best = dist;
			guess = f->name;
		}
	}
	if (guess)
		return bad(p, problems, "unknown parameter, did you mean \"%s\"?", guess);
	for (size_t i = 0; d == &td_desc_container && i < ARRAY_SIZE(aliases); i++)
		if (strcmp(aliases[i].wrong, key) == 0)
			return bad(p, problems, "unknown parameter, did you mean %s?", aliases[i].right);
	return bad(p, problems, "unknown parameter: %s has no member \"%s\"", d->shape, key);
}

int td_walk_parse(const struct td_desc *d, const void *node, void *obj, unsigned flags,
		  struct td_path *p, struct td_problems *problems)
{
	const json_node *n = node;
	uint64_t seen = 0; /* bit i: fields[i] was present; no shape has 64 members */

	if (json_type(n) != JSON_OBJECT)
		return bad_type(p, problems, "an object", n);

	for (size_t k = 0; k < json_object_size(n); k++) {
		const char *key = json_object_key(n, k);
		size_t i;
		for (i = 0; i < d->n_fields; i++)
			if (strcmp(d->fields[i].name, key) == 0 && field_allowed(&d->fields[i], flags))
				break;

		int rc;
		size_t saved = path_push_member(p, key);
		if (i == d->n_fields)
			rc = unknown_member(d, key, flags, p, problems);
		else if (seen & (UINT64_C(1) << i))
			rc = bad(p, problems, "member appears more than once");
		else {
			seen |= UINT64_C(1) << i;
			rc = parse_member(&d->fields[i], json_object_value(n, k),
					  (char *)obj + d->fields[i].offset, flags, p, problems);
		}
		path_restore(p, saved);
		if (rc < 0)
			return rc;
	}

	for (size_t i = 0; i < d->n_fields; i++) {
		if (!(d->fields[i].flags & TD_F_REQUIRED) || (seen & (UINT64_C(1) << i)))
			continue;
		size_t saved = path_push_member(p, d->fields[i].name);
		int rc = bad(p, problems, "required parameter is missing");
		path_restore(p, saved);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The err summary for an invalid document: the first problem, and how many
 * more there are. */
static int summarise(const struct td_problems *pr, size_t first, struct ecs_err *err)
{
	if (pr->count <= first)
		return err_set(err, EINVAL, "invalid task definition");
	size_t more = pr->count - first - 1;
	const struct td_problem *p = &pr->items[first];
	if (more == 0)
		return err_set(err, EINVAL, "invalid task definition: %s%s%s", p->path,
			       p->path[0] ? ": " : "", p->message);
	return err_set(err, EINVAL, "invalid task definition: %s%s%s (and %zu more)", p->path,
		       p->path[0] ? ": " : "", p->message, more);
}

/* The result for a document that failed: -ENOMEM, or -EINVAL with the
 * summary in err. */
static int failed(int rc, const struct td_problems *pr, size_t first, struct ecs_err *err)
{
	if (rc == -ENOMEM)
		return err_set(err, ENOMEM, "parsing task definition: out of memory");
	return summarise(pr, first, err);
}

static int parse_doc(const char *json, size_t len, unsigned flags, struct taskdef **out,
		     struct td_problems *pr, struct ecs_err *err)
{
	size_t first = pr->count;
	struct ecs_err jerr;
	int rc;

	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(json, len, &jerr);
	if (!doc) {
		if (jerr.code != EINVAL)
			return err_set(err, jerr.code, "%s", jerr.msg);
		return failed(td_problems_add(pr, "", "%s", jerr.msg), pr, first, err);
	}

	_cleanup_(taskdef_freep) struct taskdef *td = calloc(1, sizeof(*td));
	if (!td)
		return err_set(err, ENOMEM, "out of memory");

	struct td_path path = { .len = 0 };
	path.buf[0] = '\0';
	rc = td_walk_parse(&td_desc_taskdef, json_root(doc), td, flags, &path, pr);
	/* Semantic rules need a well-shaped model: run them unless a type error,
	 * unknown member or missing required member was found. */
	bool shape_ok = pr->count - first == path.soft_problems;
	if (rc == 0 && shape_ok && !(flags & TASKDEF_PARSE_NO_VALIDATE))
		rc = taskdef_validate(td, pr);
	if (rc < 0 || pr->count > first)
		return failed(rc, pr, first, err);
	*out = TAKE_PTR(td);
	return 0;
}

int taskdef_parse_flags(const char *json, size_t len, unsigned flags, struct taskdef **out,
			struct td_problems *problems, struct ecs_err *err)
{
	*out = NULL;
	if (problems)
		return parse_doc(json, len, flags, out, problems, err);
	struct td_problems local = { 0 };
	int rc = parse_doc(json, len, flags, out, &local, err);
	td_problems_free(&local);
	return rc;
}

int taskdef_parse(const char *json, size_t len, struct taskdef **out,
		  struct td_problems *problems, struct ecs_err *err)
{
	return taskdef_parse_flags(json, len, 0, out, problems, err);
}
