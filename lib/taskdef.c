/* SPDX-License-Identifier: Apache-2.0 */
/* The model's lifetime, problem lists and small accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskdef-internal.h"

static void free_member(const struct td_field *f, void *member)
{
	switch (f->kind) {
	case TD_K_STRING:
	case TD_K_ENUM:
		free(*(char **)member);
		break;
	case TD_K_INT:
	case TD_K_BOOL:
	case TD_K_TIME:
		break;
	case TD_K_STRV:
	case TD_K_ENUMV: {
		struct td_strv *v = member;
		for (size_t i = 0; i < v->count; i++)
			free(v->items[i]);
		free(v->items);
		break;
	}
	case TD_K_MAP: {
		struct td_map *m = member;
		for (size_t i = 0; i < m->count; i++) {
			free(m->items[i].key);
			free(m->items[i].value);
		}
		free(m->items);
		break;
	}
	case TD_K_OBJECT: {
		void *sub;
		memcpy(&sub, member, sizeof(sub));
		if (sub) {
			td_walk_free(f->sub, sub);
			free(sub);
		}
		break;
	}
	case TD_K_LIST: {
		struct td_list_any l;
		memcpy(&l, member, sizeof(l));
		for (size_t i = 0; i < l.count; i++)
			td_walk_free(f->sub, (char *)l.items + i * f->sub->size);
		free(l.items);
		break;
	}
	}
}

void td_walk_free(const struct td_desc *d, void *obj)
{
	for (size_t i = 0; i < d->n_fields; i++)
		free_member(&d->fields[i], (char *)obj + d->fields[i].offset);
}

void taskdef_free(struct taskdef *td)
{
	if (!td)
		return;
	td_walk_free(&td_desc_taskdef, td);
	free(td);
}

void td_problems_free(struct td_problems *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->count; i++) {
		free(p->items[i].path);
		free(p->items[i].message);
	}
	free(p->items);
	p->items = NULL;
	p->count = 0;
}

int td_problems_addv(struct td_problems *p, const char *path, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int len = vsnprintf(NULL, 0, fmt, ap);
	char *message = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (message)
		vsnprintf(message, (size_t)len + 1, fmt, again);
	va_end(again);
	if (!message)
		return -ENOMEM;
	char *copy = strdup(path ? path : "");
	struct td_problem *items = copy ? realloc(p->items, (p->count + 1) * sizeof(*items)) : NULL;
	if (!items) {
		free(message);
		free(copy);
		return -ENOMEM;
	}
	items[p->count++] = (struct td_problem){ .path = copy, .message = message };
	p->items = items;
	return 0;
}

int td_problems_add(struct td_problems *p, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = td_problems_addv(p, path, fmt, ap);
	va_end(ap);
	return r;
}

char *td_problems_join(const struct td_problems *p, const char *sep)
{
	size_t len = 1;
	for (size_t i = 0; i < p->count; i++)
		len += strlen(p->items[i].path) + 2 + strlen(p->items[i].message) + strlen(sep);
	char *out = malloc(len);
	if (!out)
		return NULL;
	size_t at = 0;
	for (size_t i = 0; i < p->count; i++) {
		const struct td_problem *pb = &p->items[i];
		at += (size_t)snprintf(out + at, len - at, "%s%s%s%s", i ? sep : "", pb->path,
				       pb->path[0] ? ": " : "", pb->message);
	}
	out[at] = '\0';
	return out;
}

enum td_network_mode taskdef_network_mode(const struct taskdef *td)
{
	const char *m = td->network_mode;
	if (!m || strcmp(m, "bridge") == 0)
		return TD_NET_BRIDGE;
	if (strcmp(m, "host") == 0)
		return TD_NET_HOST;
	if (strcmp(m, "awsvpc") == 0)
		return TD_NET_AWSVPC;
	if (strcmp(m, "none") == 0)
		return TD_NET_NONE;
	return TD_NET_UNKNOWN;
}

bool taskdef_requires(const struct taskdef *td, const char *compat)
{
	for (size_t i = 0; i < td->requires_compatibilities.count; i++)
		if (strcmp(td->requires_compatibilities.items[i], compat) == 0)
			return true;
	return false;
}

bool td_container_essential(const struct td_container *c)
{
	return !c->essential.set || c->essential.value;
}

const struct td_container *taskdef_container(const struct taskdef *td, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < td->containers.count; i++)
		if (td->containers.items[i].name && strcmp(td->containers.items[i].name, name) == 0)
			return &td->containers.items[i];
	return NULL;
}

const char *td_map_get(const struct td_map *m, const char *key)
{
	for (size_t i = 0; i < m->count; i++)
		if (m->items[i].key && strcmp(m->items[i].key, key) == 0)
			return m->items[i].value;
	return NULL;
}
