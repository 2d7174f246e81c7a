/* SPDX-License-Identifier: Apache-2.0 */
/* Request-field decoding and validation shared by every operation. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api-internal.h"
#include "arn.h"
#include "paginate.h"

/* The member, or NULL when absent or JSON null (both mean "not given"). */
static const json_node *member(const json_node *obj, const char *name)
{
	const json_node *n = json_get(obj, name);
	return json_type(n) == JSON_NULL ? NULL : n;
}

static int wrong_type(struct api_call *c, const char *name, const char *want, const json_node *n)
{
	return api_fail(c, "SerializationException", "Expected %s for %s, got %s", want, name,
			json_type_name(json_type(n)));
}

int param_string(struct api_call *c, const json_node *obj, const char *name, bool required,
		 const char **out)
{
	const json_node *n = member(obj, name);
	*out = NULL;
	if (!n) {
		if (required)
			return api_fail(c, "InvalidParameterException", "%s is required", name);
		return 0;
	}
	if (json_type(n) != JSON_STRING)
		return wrong_type(c, name, "a string", n);
	*out = json_string(n);
	if (required && !(*out)[0])
		return api_fail(c, "InvalidParameterException", "%s cannot be empty", name);
	return 0;
}

int param_int(struct api_call *c, const json_node *obj, const char *name, int64_t min,
	      int64_t max, bool *given, int64_t *out)
{
	const json_node *n = member(obj, name);
	*given = false;
	if (!n)
		return 0;
	if (!json_integer(n, out))
		return wrong_type(c, name, "an integer", n);
	if (*out < min || *out > max)
		return api_fail(c, "InvalidParameterException", "%s must be between %lld and %lld",
				name, (long long)min, (long long)max);
	*given = true;
	return 0;
}

int param_bool(struct api_call *c, const json_node *obj, const char *name, bool *given,
	       bool *out)
{
	const json_node *n = member(obj, name);
	*given = false;
	if (!n)
		return 0;
	if (!json_bool(n, out))
		return wrong_type(c, name, "a boolean", n);
	*given = true;
	return 0;
}

int param_enum(struct api_call *c, const json_node *obj, const char *name,
	       const char *const *choices, int *out)
{
	const char *s;
	*out = -1;
	int r = param_string(c, obj, name, false, &s);
	if (r < 0 || !s)
		return r;
	for (int i = 0; choices[i]; i++) {
		if (strcmp(s, choices[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return api_fail(c, "InvalidParameterException", "%s: invalid value '%.64s'", name, s);
}

int param_object(struct api_call *c, const json_node *obj, const char *name,
		 const json_node **out)
{
	const json_node *n = member(obj, name);
	*out = NULL;
	if (n && json_type(n) != JSON_OBJECT)
		return wrong_type(c, name, "an object", n);
	*out = n;
	return 0;
}

int param_list(struct api_call *c, const json_node *obj, const char *name,
	       const json_node **out)
{
	const json_node *n = member(obj, name);
	*out = NULL;
	if (n && json_type(n) != JSON_ARRAY)
		return wrong_type(c, name, "a list", n);
	*out = n;
	return 0;
}

int param_string_list(struct api_call *c, const json_node *obj, const char *name, size_t max,
		      const char ***out, size_t *n, bool *given)
{
	const json_node *list;
	*out = NULL;
	*n = 0;
	*given = false;
	int r = param_list(c, obj, name, &list);
	if (r < 0 || !list)
		return r;
	size_t count = json_array_size(list);
	if (count > max)
		return api_fail(c, "InvalidParameterException", "%s can have at most %zu items", name,
				max);
	const char **items = calloc(count + 1, sizeof(*items));
	if (!items)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const json_node *item = json_array_get(list, i);
		if (json_type(item) != JSON_STRING) {
			free(items);
			return wrong_type(c, name, "a list of strings", list);
		}
		items[i] = json_string(item);
	}
	*out = items;
	*n = count;
	*given = true;
	return 0;
}

/* ECS allows letters, numbers and spaces in any script, and _ . : / = + - @.
 * Bytes >= 0x80 are taken as letters: yajl has already checked the UTF-8,
 * and a full Unicode category table is not worth its weight here. */
static bool tag_text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(" _.:/=+-@", *p))
			continue;
		return false;
	}
	return true;
}

/* Characters, not bytes: count the UTF-8 lead bytes. */
static size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	return n;
}

int param_check_tag_key(struct api_call *c, const char *key)
{
	size_t len = utf8_length(key);
	if (len < 1 || len > 128)
		return api_fail(c, "InvalidParameterException",
				"Tag keys must be between 1 and 128 characters");
	if (!tag_text_ok(key))
		return api_fail(c, "InvalidParameterException",
				"Tag key '%.128s' contains invalid characters", key);
	if (strncasecmp(key, "aws:", 4) == 0)
		return api_fail(c, "InvalidParameterException",
				"Tag keys starting with 'aws:' are reserved");
	return 0;
}

int param_tags(struct api_call *c, const json_node *obj, const char *name,
	       struct store_kv **out, size_t *n)
{
	const json_node *list;
	*out = NULL;
	*n = 0;
	int r = param_list(c, obj, name, &list);
	if (r < 0 || !list)
		return r;
	size_t count = json_array_size(list);
	if (count > 50)
		return api_fail(c, "InvalidParameterException",
				"A resource can have at most 50 tags");
	_cleanup_free_ struct store_kv *tags = calloc(count + 1, sizeof(*tags));
	if (!tags)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const json_node *item = json_array_get(list, i);
		if (json_type(item) != JSON_OBJECT)
			return wrong_type(c, name, "a list of Tag objects", list);
		const char *key, *value;
		if ((r = param_string(c, item, "key", true, &key)) < 0 ||
		    (r = param_string(c, item, "value", false, &value)) < 0 ||
		    (r = param_check_tag_key(c, key)) < 0)
			return r;
		if (!value)
			value = "";
		if (utf8_length(value) > 256)
			return api_fail(c, "InvalidParameterException",
					"Tag values can be at most 256 characters");
		if (!tag_text_ok(value))
			return api_fail(c, "InvalidParameterException",
					"Tag value for key '%.128s' contains invalid characters", key);
		for (size_t j = 0; j < i; j++)
			if (strcmp(tags[j].key, key) == 0)
				return api_fail(c, "InvalidParameterException",
						"Duplicate tag key '%.128s'", key);
		/* The store API takes non-const strings but does not modify them. */
		tags[i].key = (char *)key;
		tags[i].value = (char *)value;
	}
	*out = TAKE_PTR(tags);
	*n = count;
	return 0;
}

int param_page(struct api_call *c, int64_t max, int64_t *limit, char **after)
{
	bool given;
	const char *token;
	*after = NULL;
	int r = param_int(c, c->in, "maxResults", 1, max, &given, limit);
	if (r < 0)
		return r;
	if (!given)
		*limit = max;
	r = param_string(c, c->in, "nextToken", false, &token);
	if (r < 0 || !token)
		return r;
	struct ecs_err perr = { 0 };
	r = page_token_decode(c->op, token, after, &perr);
	if (r == -ENOMEM)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	if (r < 0)
		return api_fail(c, "InvalidParameterException", "Invalid nextToken: %s",
				err_msg(&perr));
	return 0;
}

bool api_arn_ours(const struct api_call *c, const struct arn *a, const char *type)
{
	return strcmp(a->partition, "aws") == 0 && strcmp(a->service, "ecs") == 0 &&
	       strcmp(a->region, c->api->region) == 0 &&
	       strcmp(a->account, c->api->account_id) == 0 &&
	       (!type || strcmp(a->resource_type, type) == 0);
}

int param_include(struct api_call *c, const char *const *include, size_t n,
		  const char *const *names, unsigned *show)
{
	*show = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (names[k] && strcmp(names[k], include[i]) != 0)
			k++;
		if (!names[k])
			return api_fail(c, "InvalidParameterException",
					"include: invalid value '%.64s'", include[i]);
		*show |= 1u << k;
	}
	return 0;
}

void api_w_kv_list(struct json_writer *w, const char *member_name, const char *key_name,
		   const char *value_name, const struct store_kv_list *l)
{
	json_w_key(w, member_name);
	json_w_array_begin(w);
	for (size_t i = 0; i < l->n; i++) {
		json_w_object_begin(w);
		json_w_key(w, key_name);
		json_w_string(w, l->items[i].key);
		json_w_key(w, value_name);
		json_w_string(w, l->items[i].value);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

int api_w_page(struct api_call *c, const char *member, const struct store_strv *v, bool more,
	       const char *key_after)
{
	json_w_key(c->out, member);
	json_w_array_begin(c->out);
	for (size_t i = 0; i < v->n; i++)
		json_w_string(c->out, v->items[i]);
	json_w_array_end(c->out);
	if (!more || v->n == 0)
		return 0;
	const char *key = v->items[v->n - 1];
	if (key_after && (key = strstr(key, key_after)))
		key += strlen(key_after);
	_cleanup_free_ char *token = key ? page_token_encode(c->op, key) : NULL;
	json_w_key(c->out, "nextToken");
	json_w_string(c->out, token);
	return token ? 0 : err_set(&c->ierr, ENOMEM, "out of memory");
}

void api_w_failure(struct json_writer *w, const char *arn, const char *reason,
		   const char *detail)
{
	json_w_object_begin(w);
	json_w_key(w, "arn");
	json_w_string(w, arn);
	json_w_key(w, "reason");
	json_w_string(w, reason);
	if (detail) {
		json_w_key(w, "detail");
		json_w_string(w, detail);
	}
	json_w_object_end(w);
}

int api_w_failures(struct api_call *c, const struct store_cluster *cl, const char *const *refs,
		   const char *const *reasons, size_t n, api_ref_arn_fn arn_of)
{
	int r = 0;
	json_w_key(c->out, "failures");
	json_w_array_begin(c->out);
	for (size_t i = 0; i < n && r >= 0; i++) {
		if (!reasons[i])
			continue;
		_cleanup_free_ char *arn = NULL;
		r = arn_of(c, cl, refs[i], &arn);
		if (r == -EINVAL)
			r = 0;
		api_w_failure(c->out, arn ? arn : refs[i], reasons[i], NULL);
	}
	json_w_array_end(c->out);
	return r;
}

int api_w_describe(struct api_call *c, const struct store_cluster *cl, const char *member,
		   const char *const *refs, size_t n, api_describe_fn write_one, void *data,
		   api_ref_arn_fn arn_of)
{
	_cleanup_free_ const char **reasons = calloc(n, sizeof(*reasons));
	if (!reasons)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	int r = 0;
	json_w_key(c->out, member);
	json_w_array_begin(c->out);
	for (size_t i = 0; i < n && r >= 0; i++) {
		r = write_one(c, cl, refs[i], data);
		if (r == -ENOENT) {
			reasons[i] = "MISSING";
			r = 0;
		}
	}
	json_w_array_end(c->out);
	if (r >= 0)
		r = api_w_failures(c, cl, refs, reasons, n, arn_of);
	return r;
}
