/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "resources.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

static const char *const types[] = { "INTEGER", "LONG", "DOUBLE", "STRINGSET" };

static bool port_text_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 5)
		return false;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535;
}

static int check(const struct resource *r, size_t n, struct ecs_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct resource *x = &r[i];
		size_t len = x->name ? strlen(x->name) : 0;
		if (len < 1 || len > 64)
			return err_set(err, EINVAL, "resource names must be 1 to 64 characters");
		for (size_t j = 0; j < i; j++)
			if (strcmp(r[j].name, x->name) == 0)
				return err_set(err, EINVAL, "resource %s is listed twice", x->name);
		size_t k = 0;
		while (k < ARRAY_SIZE(types) && (!x->type || strcmp(types[k], x->type) != 0))
			k++;
		if (k == ARRAY_SIZE(types))
			return err_set(err, EINVAL,
				       "resource %s: type must be INTEGER, LONG, DOUBLE or STRINGSET",
				       x->name);
		bool cpu_mem = strcmp(x->name, "CPU") == 0 || strcmp(x->name, "MEMORY") == 0;
		if (cpu_mem && (strcmp(x->type, "INTEGER") != 0 || x->integer_value < 0))
			return err_set(err, EINVAL,
				       "resource %s must be of type INTEGER and not negative", x->name);
		bool ports = strcmp(x->name, "PORTS") == 0 || strcmp(x->name, "PORTS_UDP") == 0;
		for (size_t j = 0; ports && j < x->n_set; j++)
			if (!port_text_ok(x->set[j]))
				return err_set(err, EINVAL, "resource %s: '%.16s' is not a port number",
					       x->name, x->set[j]);
	}
	return 0;
}

int resources_to_json(const struct resource *r, size_t n, char **json, int64_t *cpu,
		      int64_t *memory, struct ecs_err *err)
{
	*json = NULL;
	*cpu = *memory = 0;
	int e = check(r, n, err);
	if (e < 0)
		return e;
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return err_set(err, ENOMEM, "out of memory");
	json_w_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		const struct resource *x = &r[i];
		if (strcmp(x->name, "CPU") == 0)
			*cpu = x->integer_value;
		else if (strcmp(x->name, "MEMORY") == 0)
			*memory = x->integer_value;
		json_w_object_begin(w);
		json_w_key(w, "name");
		json_w_string(w, x->name);
		json_w_key(w, "type");
		json_w_string(w, x->type);
		json_w_key(w, "doubleValue");
		json_w_double(w, x->double_value);
		json_w_key(w, "longValue");
		json_w_int(w, x->long_value);
		json_w_key(w, "integerValue");
		json_w_int(w, x->integer_value);
		if (strcmp(x->type, "STRINGSET") == 0) {
			json_w_key(w, "stringSetValue");
			json_w_array_begin(w);
			for (size_t j = 0; j < x->n_set; j++)
				json_w_string(w, x->set[j]);
			json_w_array_end(w);
		}
		json_w_object_end(w);
	}
	json_w_array_end(w);
	*json = json_writer_finish(w, NULL, err);
	return *json ? 0 : -EINVAL;
}
