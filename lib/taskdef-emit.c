/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Model -> JSON, driven by the same descriptors as the parser. Every member
 * that is present is written, in descriptor order, so parse -> emit keeps the
 * document's content and emit -> parse -> emit is byte-identical.
 */
#include <math.h>
#include <string.h>

#include "json.h"
#include "taskdef-internal.h"

static void emit_object(struct json_writer *w, const struct td_desc *d, const void *obj,
			unsigned flags);

static void emit_strv(struct json_writer *w, const struct td_strv *v)
{
	json_w_array_begin(w);
	for (size_t i = 0; i < v->count; i++)
		json_w_string(w, v->items[i]);
	json_w_array_end(w);
}

static void emit_map(struct json_writer *w, const struct td_map *m)
{
	json_w_object_begin(w);
	for (size_t i = 0; i < m->count; i++) {
		json_w_key(w, m->items[i].key);
		json_w_string(w, m->items[i].value);
	}
	json_w_object_end(w);
}

/* Whole seconds are written as integers, the way ECS usually sends them;
 * anything else as a double, which reads back to the same value. */
static void emit_time(struct json_writer *w, double t)
{
	if (t == floor(t) && fabs(t) < 9.0e15)
		json_w_int(w, (int64_t)t);
	else
		json_w_double(w, t);
}

/* Writes key and value when the member is present. */
static void emit_member(struct json_writer *w, const struct td_field *f, const void *member,
			unsigned flags)
{
	switch (f->kind) {
	case TD_K_STRING:
	case TD_K_ENUM: {
		const char *s = *(char *const *)member;
		if (s) {
			json_w_key(w, f->name);
			json_w_string(w, s);
		}
		break;
	}
	case TD_K_INT: {
		const struct td_int *v = member;
		if (v->set) {
			json_w_key(w, f->name);
			json_w_int(w, v->value);
		}
		break;
	}
	case TD_K_BOOL: {
		const struct td_bool *v = member;
		if (v->set) {
			json_w_key(w, f->name);
			json_w_bool(w, v->value);
		}
		break;
	}
	case TD_K_TIME: {
		const struct td_time *v = member;
		if (v->set) {
			json_w_key(w, f->name);
			emit_time(w, v->value);
		}
		break;
	}
	case TD_K_STRV:
	case TD_K_ENUMV: {
		const struct td_strv *v = member;
		if (v->set || v->count) {
			json_w_key(w, f->name);
			emit_strv(w, v);
		}
		break;
	}
	case TD_K_MAP: {
		const struct td_map *m = member;
		if (m->set || m->count) {
			json_w_key(w, f->name);
			emit_map(w, m);
		}
		break;
	}
	case TD_K_OBJECT: {
		const void *sub;
		memcpy(&sub, member, sizeof(sub));
		if (sub) {
			json_w_key(w, f->name);
			emit_object(w, f->sub, sub, flags);
		}
		break;
	}
	case TD_K_LIST: {
		struct td_list_any l;
		memcpy(&l, member, sizeof(l));
		/* A list built in code may have items without `set`; still write it. */
		if (l.set || l.count) {
			json_w_key(w, f->name);
			json_w_array_begin(w);
			for (size_t i = 0; i < l.count; i++)
				emit_object(w, f->sub, (const char *)l.items + i * f->sub->size, flags);
			json_w_array_end(w);
		}
		break;
	}
	}
}

static void emit_object(struct json_writer *w, const struct td_desc *d, const void *obj,
			unsigned flags)
{
	json_w_object_begin(w);
	for (size_t i = 0; i < d->n_fields; i++) {
		const struct td_field *f = &d->fields[i];
		if ((f->flags & TD_F_STORED) && (flags & TASKDEF_EMIT_REQUEST))
			continue;
		emit_member(w, f, (const char *)obj + f->offset, flags);
	}
	json_w_object_end(w);
}

char *taskdef_to_json_flags(const struct taskdef *td, unsigned flags, struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w =
		json_writer_new(flags & TASKDEF_EMIT_PRETTY);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	emit_object(w, &td_desc_taskdef, td, flags);
	char *out = json_writer_finish(w, NULL, err);
	if (!out)
		err_wrap(err, "writing task definition %s", td->family ? td->family : "(no family)");
	return out;
}

char *taskdef_to_json(const struct taskdef *td, bool pretty, struct ecs_err *err)
{
	return taskdef_to_json_flags(td, pretty ? TASKDEF_EMIT_PRETTY : 0, err);
}
