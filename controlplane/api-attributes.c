/* SPDX-License-Identifier: Apache-2.0 */
/* PutAttributes, DeleteAttributes, ListAttributes (container instances are
 * the only target type ECS has). */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-instances.h"
#include "paginate.h"

#define MAX_PER_CALL 10
/* ECS: "You can apply up to 10 custom attributes for each resource." */
#define MAX_CUSTOM 10
#define LIST_MAX 100

static const char *const target_types[] = { "container-instance", NULL };

struct attr_req {
	const char *name;
	const char *value;
	const char *target_ref;
	char *target_arn; /* resolved */
	int64_t instance_id;
};

/* Parse and resolve the `attributes` list of Put/DeleteAttributes. */
static int parse_targets(struct api_call *c, const struct store_cluster *cl, bool put,
			 struct attr_req *out, size_t *n)
{
	const json_node *list;
	int r = param_list(c, c->in, "attributes", &list);
	if (r < 0)
		return r;
	*n = json_array_size(list);
	if (!list || *n == 0)
		return api_fail(c, "InvalidParameterException", "attributes cannot be empty");
	if (*n > MAX_PER_CALL)
		return api_fail(c, "InvalidParameterException",
				"attributes can have at most %d items", MAX_PER_CALL);
	for (size_t i = 0; i < *n; i++) {
		const json_node *item = json_array_get(list, i);
		struct attr_req *a = &out[i];
		int type;
		if (json_type(item) != JSON_OBJECT)
			return api_fail(c, "SerializationException",
					"Expected a list of Attribute objects for attributes");
		if ((r = param_string(c, item, "name", true, &a->name)) < 0 ||
		    (r = param_string(c, item, "value", false, &a->value)) < 0 ||
		    (r = param_enum(c, item, "targetType", target_types, &type)) < 0 ||
		    (r = param_string(c, item, "targetId", false, &a->target_ref)) < 0)
			return r;
		if (!api_attribute_name_ok(a->name))
			return api_fail(c, "InvalidParameterException",
					"Attribute name '%.128s' is invalid: up to 128 letters, numbers, hyphens, underscores, slashes, back slashes or periods",
					a->name);
		if (put && a->value && !api_attribute_value_ok(a->value))
			return api_fail(c, "InvalidParameterException",
					"Attribute value '%.128s' is invalid: up to 128 letters, numbers, hyphens, underscores, periods, at signs, slashes, back slashes, colons or spaces, not starting or ending with a space",
					a->value);
		if (!a->target_ref || !a->target_ref[0])
			return api_fail(c, "InvalidParameterException",
					"Attribute '%.128s': targetId is required", a->name);
		struct store_instance in;
		r = api_instance_lookup(c, cl, a->target_ref, &in);
		if (r == 0 && strcmp(in.status, "INACTIVE") == 0)
			r = -ENOENT;
		if (r == -ENOENT) {
			store_instance_clear(&in);
			return api_fail(c, "TargetNotFoundException", "Could not find %.256s.",
					a->target_ref);
		}
		if (r < 0)
			return r;
		a->target_arn = TAKE_PTR(in.arn);
		a->instance_id = in.id;
		store_instance_clear(&in);
	}
	return 0;
}

static void write_attributes(struct api_call *c, const struct attr_req *a, size_t n)
{
	json_w_key(c->out, "attributes");
	json_w_array_begin(c->out);
	for (size_t i = 0; i < n; i++) {
		json_w_object_begin(c->out);
		json_w_key(c->out, "name");
		json_w_string(c->out, a[i].name);
		if (a[i].value) {
			json_w_key(c->out, "value");
			json_w_string(c->out, a[i].value);
		}
		json_w_key(c->out, "targetType");
		json_w_string(c->out, "container-instance");
		json_w_key(c->out, "targetId");
		json_w_string(c->out, a[i].target_arn);
		json_w_object_end(c->out);
	}
	json_w_array_end(c->out);
}

static int change_attributes(struct api_call *c, bool put)
{
	const char *cluster;
	struct attr_req reqs[MAX_PER_CALL + 1];
	size_t n = 0;
	int r;
	memset(reqs, 0, sizeof(reqs));
	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0)
		return r;
	struct store *s = c->api->store;
	struct store_cluster cl;
	if ((r = store_begin(s, &c->ierr)) < 0 || (r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;
	r = parse_targets(c, &cl, put, reqs, &n);
	for (size_t i = 0; i < n && r >= 0; i++) {
		if (put)
			r = store_attribute_put(s, cl.id, reqs[i].target_arn, reqs[i].name,
						reqs[i].value, &c->ierr);
		else
			r = store_attribute_delete(s, cl.id, reqs[i].target_arn, reqs[i].name,
						   &c->ierr);
	}
	/* The limit counts what the targets hold once this call is applied. */
	for (size_t i = 0; put && i < n && r >= 0; i++) {
		int64_t count;
		r = store_attribute_count_user(s, cl.id, reqs[i].target_arn, &count, &c->ierr);
		if (r >= 0 && count > MAX_CUSTOM)
			r = api_fail(c, "AttributeLimitExceededException",
				     "You can apply up to %d custom attributes per resource.",
				     MAX_CUSTOM);
	}
	if (r >= 0)
		r = store_commit(s, &c->ierr);
	if (r >= 0)
		write_attributes(c, reqs, n);
	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++)
		free(reqs[i].target_arn);
	store_cluster_clear(&cl);
	return r;
}

int api_put_attributes(struct api_call *c)
{
	return change_attributes(c, true);
}

int api_delete_attributes(struct api_call *c)
{
	return change_attributes(c, false);
}

int api_list_attributes(struct api_call *c)
{
	const char *cluster, *name, *value;
	int type, r;
	int64_t limit;
	_cleanup_free_ char *after = NULL;
	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0 ||
	    (r = param_enum(c, c->in, "targetType", target_types, &type)) < 0 ||
	    (r = param_string(c, c->in, "attributeName", false, &name)) < 0 ||
	    (r = param_string(c, c->in, "attributeValue", false, &value)) < 0 ||
	    (r = param_page(c, LIST_MAX, &limit, &after)) < 0)
		return r;
	if (type < 0)
		return api_fail(c, "InvalidParameterException", "targetType is required");
	if (value && !name)
		return api_fail(c, "InvalidParameterException",
				"attributeValue can only be used with attributeName");
	struct store_cluster cl;
	if ((r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;

	/* The token's key is "TARGET\nNAME": the last attribute returned. */
	const char *after_name = NULL;
	if (after) {
		char *nl = strchr(after, '\n');
		if (!nl) {
			store_cluster_clear(&cl);
			return api_fail(c, "InvalidParameterException", "Invalid nextToken");
		}
		*nl = '\0';
		after_name = nl + 1;
	}
	struct store_attribute_list list;
	bool more;
	r = store_attributes_list(c->api->store, cl.id, name, value, after, after_name,
				  (size_t)limit, &list, &more, &c->ierr);
	store_cluster_clear(&cl);
	if (r < 0)
		return r;
	json_w_key(c->out, "attributes");
	json_w_array_begin(c->out);
	for (size_t i = 0; i < list.n; i++) {
		json_w_object_begin(c->out);
		json_w_key(c->out, "name");
		json_w_string(c->out, list.items[i].name);
		if (list.items[i].value) {
			json_w_key(c->out, "value");
			json_w_string(c->out, list.items[i].value);
		}
		json_w_key(c->out, "targetType");
		json_w_string(c->out, "container-instance");
		json_w_key(c->out, "targetId");
		json_w_string(c->out, list.items[i].target_id);
		json_w_object_end(c->out);
	}
	json_w_array_end(c->out);
	if (more && list.n > 0) {
		const struct store_attribute *last = &list.items[list.n - 1];
		size_t len = strlen(last->target_id) + strlen(last->name) + 2;
		_cleanup_free_ char *key = malloc(len);
		_cleanup_free_ char *token = NULL;
		if (key) {
			snprintf(key, len, "%s\n%s", last->target_id, last->name);
			token = page_token_encode(c->op, key);
		}
		if (!token)
			r = err_set(&c->ierr, ENOMEM, "out of memory");
		json_w_key(c->out, "nextToken");
		json_w_string(c->out, token);
	}
	store_attribute_list_clear(&list);
	return r;
}
