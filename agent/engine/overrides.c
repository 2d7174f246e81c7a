/* SPDX-License-Identifier: Apache-2.0 */
/* RunTask's TaskOverride applied to the task definition, as ECS does:
 * containerOverrides replace command, cpu, memory and memoryReservation and
 * add to (or replace by name) environment; task cpu/memory replace the
 * definition's. */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "json.h"

static int set_string(char **dst, const json_node *n, const char *what, struct ecs_err *err)
{
	const char *s = json_string(n);
	if (!s)
		return err_set(err, EINVAL, "%s must be a string", what);
	char *copy = strdup(s);
	if (!copy)
		return err_set(err, ENOMEM, "copying %s", what);
	free(*dst);
	*dst = copy;
	return 0;
}

static int set_int(struct td_int *dst, const json_node *n, const char *what, struct ecs_err *err)
{
	int64_t v;
	if (!json_integer(n, &v) || v < 0)
		return err_set(err, EINVAL, "%s must be a non-negative integer", what);
	dst->value = v;
	dst->set = true;
	return 0;
}

static int set_command(struct td_strv *dst, const json_node *n, struct ecs_err *err)
{
	size_t count = json_array_size(n);
	if (json_type(n) != JSON_ARRAY)
		return err_set(err, EINVAL, "command must be a list of strings");
	char **items = calloc(count + 1, sizeof(*items));
	if (!items)
		return err_set(err, ENOMEM, "copying command");
	for (size_t i = 0; i < count; i++) {
		const char *s = json_string(json_array_get(n, i));
		items[i] = s ? strdup(s) : NULL;
		if (!items[i]) {
			for (size_t k = 0; k < i; k++)
				free(items[k]);
			free(items);
			return err_set(err, s ? ENOMEM : EINVAL, "command[%zu] must be a string", i);
		}
	}
	for (size_t i = 0; i < dst->count; i++)
		free(dst->items[i]);
	free(dst->items);
	dst->items = items;
	dst->count = count;
	dst->set = true;
	return 0;
}

static int merge_environment(struct td_container *c, const json_node *n, struct ecs_err *err)
{
	if (json_type(n) != JSON_ARRAY)
		return err_set(err, EINVAL, "environment must be a list");
	for (size_t i = 0; i < json_array_size(n); i++) {
		const json_node *kv = json_array_get(n, i);
		const char *name = json_string(json_get(kv, "name"));
		const char *value = json_string(json_get(kv, "value"));
		if (!name)
			return err_set(err, EINVAL, "environment[%zu].name must be a string", i);
		struct td_key_value *slot = NULL;
		for (size_t k = 0; k < c->environment.count; k++)
			if (c->environment.items[k].name &&
			    strcmp(c->environment.items[k].name, name) == 0)
				slot = &c->environment.items[k];
		if (!slot) {
			struct td_key_value *grown = realloc(
				c->environment.items, (c->environment.count + 1) * sizeof(*grown));
			if (!grown)
				return err_set(err, ENOMEM, "growing environment");
			c->environment.items = grown;
			slot = &grown[c->environment.count++];
			memset(slot, 0, sizeof(*slot));
			slot->name = strdup(name);
			if (!slot->name)
				return err_set(err, ENOMEM, "copying environment");
		}
		free(slot->value);
		slot->value = strdup(value ? value : "");
		if (!slot->value)
			return err_set(err, ENOMEM, "copying environment");
		c->environment.set = true;
	}
	return 0;
}

static int apply_container(struct taskdef *td, const json_node *o, size_t idx,
			   struct ecs_err *err)
{
	const char *name = json_string(json_get(o, "name"));
	if (!name)
		return err_set(err, EINVAL, "containerOverrides[%zu].name must be a string", idx);
	struct td_container *c = (struct td_container *)taskdef_container(td, name);
	if (!c)
		return err_set(err, EINVAL, "containerOverrides[%zu]: no container named %s", idx,
			       name);
	const json_node *v;
	int r = 0;
	if ((v = json_get(o, "command")) && json_type(v) != JSON_NULL)
		r = set_command(&c->command, v, err);
	if (r >= 0 && (v = json_get(o, "environment")) && json_type(v) != JSON_NULL)
		r = merge_environment(c, v, err);
	if (r >= 0 && (v = json_get(o, "cpu")) && json_type(v) != JSON_NULL)
		r = set_int(&c->cpu, v, "cpu", err);
	if (r >= 0 && (v = json_get(o, "memory")) && json_type(v) != JSON_NULL)
		r = set_int(&c->memory, v, "memory", err);
	if (r >= 0 && (v = json_get(o, "memoryReservation")) && json_type(v) != JSON_NULL)
		r = set_int(&c->memory_reservation, v, "memoryReservation", err);
	if (r < 0)
		return err_wrap(err, "containerOverrides[%zu] (%s)", idx, name);
	return 0;
}

int overrides_apply(struct taskdef *td, const char *json, struct ecs_err *err)
{
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(json, strlen(json), err);
	if (!doc)
		return -EINVAL;
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_OBJECT)
		return err_set(err, EINVAL, "overrides must be an object");
	const json_node *list = json_get(root, "containerOverrides");
	if (list && json_type(list) == JSON_ARRAY) {
		for (size_t i = 0; i < json_array_size(list); i++) {
			int r = apply_container(td, json_array_get(list, i), i, err);
			if (r < 0)
				return r;
		}
	}
	const json_node *v;
	int r = 0;
	if ((v = json_get(root, "cpu")) && json_type(v) == JSON_STRING)
		r = set_string(&td->cpu, v, "cpu", err);
	if (r >= 0 && (v = json_get(root, "memory")) && json_type(v) == JSON_STRING)
		r = set_string(&td->memory, v, "memory", err);
	return r;
}
