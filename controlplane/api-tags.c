/* SPDX-License-Identifier: Apache-2.0 */
/* TagResource, UntagResource, ListTagsForResource for any taggable ARN. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "api-instances.h"
#include "api-internal.h"
#include "api-taskdefs.h"
#include "api-tasks.h"
#include "arn.h"

#define MAX_TAGS 50

static int cluster_exists(struct api_call *c, const char *arn)
{
	struct store_cluster cl;
	int r = api_cluster_lookup(c, arn, &cl);
	store_cluster_clear(&cl);
	return r;
}

/* The taggable resource types. Each later family (task-definition, task,
 * container-instance, service) adds its row: the check fails the call with
 * the family's not-found exception when the resource does not exist. */
static const struct {
	const char *type;
	int (*exists)(struct api_call *c, const char *arn);
} taggable[] = {
	{ "cluster", cluster_exists },
	{ "container-instance", api_instance_exists },
	{ "task-definition", api_taskdef_exists },
	{ "task", api_task_exists },
};

static int resource_check(struct api_call *c, const char *text)
{
	struct arn a;
	if (arn_parse(text, &a, NULL) < 0)
		return api_fail(c, "InvalidParameterException", "Invalid resource ARN '%.256s'", text);
	bool ours = api_arn_ours(c, &a, NULL);
	size_t k = 0;
	while (k < ARRAY_SIZE(taggable) && strcmp(taggable[k].type, a.resource_type) != 0)
		k++;
	arn_clear(&a);
	if (!ours)
		return api_fail(c, "InvalidParameterException",
				"The ARN '%.256s' is not an ECS resource of this region and account",
				text);
	if (k == ARRAY_SIZE(taggable))
		return api_fail(c, "InvalidParameterException",
				"The ARN '%.256s' is not a taggable resource type", text);
	return taggable[k].exists(c, text);
}

int api_tag_resource(struct api_call *c)
{
	const char *arn;
	const json_node *list;
	_cleanup_free_ struct store_kv *tags = NULL;
	size_t n;
	int r;

	if ((r = param_string(c, c->in, "resourceArn", true, &arn)) < 0 ||
	    (r = param_list(c, c->in, "tags", &list)) < 0 ||
	    (r = param_tags(c, c->in, "tags", &tags, &n)) < 0)
		return r;
	if (!list)
		return api_fail(c, "InvalidParameterException", "tags is required");

	struct store *s = c->api->store;
	if ((r = store_begin(s, &c->ierr)) < 0 || (r = resource_check(c, arn)) < 0)
		return r;

	struct store_kv_list have;
	if ((r = store_tags_get(s, arn, &have, &c->ierr)) < 0)
		return r;
	size_t total = have.n;
	for (size_t i = 0; i < n; i++) {
		bool known = false;
		for (size_t j = 0; j < have.n && !known; j++)
			known = strcmp(have.items[j].key, tags[i].key) == 0;
		total += !known;
	}
	store_kv_list_clear(&have);
	if (total > MAX_TAGS)
		return api_fail(c, "InvalidParameterException",
				"A resource can have at most %d tags", MAX_TAGS);

	if ((r = store_tags_put(s, arn, tags, n, &c->ierr)) < 0)
		return r;
	return store_commit(s, &c->ierr);
}

int api_untag_resource(struct api_call *c)
{
	const char *arn;
	_cleanup_free_ const char **keys = NULL;
	size_t n;
	bool given;
	int r;

	if ((r = param_string(c, c->in, "resourceArn", true, &arn)) < 0 ||
	    (r = param_string_list(c, c->in, "tagKeys", 200, &keys, &n, &given)) < 0)
		return r;
	if (!given)
		return api_fail(c, "InvalidParameterException", "tagKeys is required");
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(keys[i]);
		if (len < 1 || len > 128 * 4)
			return api_fail(c, "InvalidParameterException",
					"Tag keys must be between 1 and 128 characters");
	}

	struct store *s = c->api->store;
	if ((r = store_begin(s, &c->ierr)) < 0 || (r = resource_check(c, arn)) < 0 ||
	    (r = store_tags_delete(s, arn, keys, n, &c->ierr)) < 0)
		return r;
	return store_commit(s, &c->ierr);
}

int api_list_tags_for_resource(struct api_call *c)
{
	const char *arn;
	int r;
	if ((r = param_string(c, c->in, "resourceArn", true, &arn)) < 0 ||
	    (r = resource_check(c, arn)) < 0)
		return r;

	struct store_kv_list tags;
	if ((r = store_tags_get(c->api->store, arn, &tags, &c->ierr)) < 0)
		return r;
	api_w_kv_list(c->out, "tags", "key", "value", &tags);
	store_kv_list_clear(&tags);
	return 0;
}
