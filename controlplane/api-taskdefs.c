/* SPDX-License-Identifier: Apache-2.0 */
/* RegisterTaskDefinition, DescribeTaskDefinition, DeregisterTaskDefinition,
 * ListTaskDefinitions, ListTaskDefinitionFamilies. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-taskdefs.h"
#include "arn.h"
#include "paginate.h"
#include "taskdef-register.h"
#include "taskdef.h"

#define TASKDEF_TYPE "task-definition"

/* ---- references ---- */

static bool family_ok(const char *s, size_t len)
{
	if (len < 1 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

/* A revision as ECS writes it: a positive decimal without leading zeros,
 * so that every revision has exactly one ARN (tags are keyed by ARN). */
static bool revision_parse(const char *s, int64_t *out)
{
	if (s[0] < '1' || s[0] > '9' || strlen(s) > 10)
		return false;
	int64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v > INT32_MAX)
		return false;
	*out = v;
	return true;
}

int api_taskdef_lookup(struct api_call *c, const char *ref, bool need_revision,
		       struct store_taskdef *out)
{
	struct arn a = { 0 };
	const char *id = ref;
	memset(out, 0, sizeof(*out));
	if (strncmp(ref, "arn:", 4) == 0) {
		if (arn_parse(ref, &a, NULL) < 0)
			return -ENOENT;
		bool ours = api_arn_ours(c, &a, TASKDEF_TYPE);
		if (!ours) {
			arn_clear(&a);
			return -ENOENT;
		}
		id = a.resource_id;
	}

	int r;
	const char *colon = strrchr(id, ':');
	size_t flen = colon ? (size_t)(colon - id) : strlen(id);
	_cleanup_free_ char *family = strndup(id, flen);
	if (!family) {
		r = err_set(&c->ierr, ENOMEM, "out of memory");
	} else if (!colon && need_revision) {
		r = api_fail(c, "ClientException",
			     "A revision is required: give the task definition as family:revision or its full ARN");
	} else if (!family_ok(family, flen)) {
		r = -ENOENT;
	} else if (!colon) {
		r = store_taskdef_latest_active(c->api->store, family, out, &c->ierr);
	} else {
		int64_t rev;
		if (!revision_parse(colon + 1, &rev))
			r = api_fail(c, "ClientException", "Invalid revision number. Number: %.32s",
				     colon + 1);
		else
			r = store_taskdef_get(c->api->store, family, rev, out, &c->ierr);
	}
	arn_clear(&a);
	return r;
}

int api_taskdef_exists(struct api_call *c, const char *arn)
{
	struct store_taskdef td;
	int r = api_taskdef_lookup(c, arn, true, &td);
	store_taskdef_clear(&td);
	if (r == -ENOENT)
		return api_fail(c, "ClientException", "The specified task definition does not exist.");
	return r;
}

/* Write the stored TaskDefinition text under "taskDefinition". */
static int write_body(struct api_call *c, const struct store_taskdef *td)
{
	_cleanup_(json_doc_freep) struct json_doc *doc =
		json_parse(td->body, strlen(td->body), &c->ierr);
	if (!doc)
		return err_wrap(&c->ierr, "stored body of %s", td->arn);
	json_w_key(c->out, "taskDefinition");
	json_w_node(c->out, json_root(doc));
	return 0;
}

static int write_tags(struct api_call *c, const char *arn)
{
	struct store_kv_list tags;
	int r = store_tags_get(c->api->store, arn, &tags, &c->ierr);
	if (r < 0)
		return r;
	api_w_kv_list(c->out, "tags", "key", "value", &tags);
	store_kv_list_clear(&tags);
	return 0;
}

/* ---- RegisterTaskDefinition ---- */

/* The request without members whose value is null: the API reads null as
 * "not given", the task-definition parser (which also reads files) as a
 * type error. */
static void copy_without_nulls(struct json_writer *w, const json_node *n)
{
	switch (json_type(n)) {
	case JSON_OBJECT:
		json_w_object_begin(w);
		for (size_t i = 0; i < json_object_size(n); i++) {
			const json_node *v = json_object_value(n, i);
			if (json_type(v) == JSON_NULL)
				continue;
			json_w_key(w, json_object_key(n, i));
			copy_without_nulls(w, v);
		}
		json_w_object_end(w);
		break;
	case JSON_ARRAY:
		json_w_array_begin(w);
		for (size_t i = 0; i < json_array_size(n); i++)
			copy_without_nulls(w, json_array_get(n, i));
		json_w_array_end(w);
		break;
	default:
		json_w_node(w, n);
		break;
	}
}

/* An invalid definition: every problem with its JSON path, in one message.
 * A member of the wrong JSON type is a SerializationException, as for every
 * other operation; anything else breaks an ECS rule: ClientException. */
static int invalid_definition(struct api_call *c, const struct td_problems *p)
{
	bool wrong_type = false;
	for (size_t i = 0; i < p->count; i++)
		if (strncmp(p->items[i].message, "expected ", 9) == 0)
			wrong_type = true;
	_cleanup_free_ char *text = td_problems_join(p, "; ");
	if (!text)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	return api_fail(c, wrong_type ? "SerializationException" : "ClientException", "%s",
			p->count ? text : "Invalid task definition");
}

static int parse_request(struct api_call *c, struct taskdef **out)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	copy_without_nulls(w, c->in);
	size_t len;
	_cleanup_free_ char *text = json_writer_finish(w, &len, &c->ierr);
	if (!text)
		return -EIO;

	struct td_problems problems = { 0 };
	struct ecs_err perr = { 0 };
	int r = taskdef_parse(text, len, out, &problems, &perr);
	if (r == -EINVAL)
		r = invalid_definition(c, &problems);
	else if (r < 0)
		r = err_set(&c->ierr, -r, "%s", err_msg(&perr));
	td_problems_free(&problems);
	return r;
}

int api_register_task_definition(struct api_call *c)
{
	_cleanup_free_ struct store_kv *tags = NULL;
	_cleanup_(taskdef_freep) struct taskdef *td = NULL;
	size_t n_tags;
	int r;

	/* Tags first: the same rules and exceptions as every other operation. */
	if ((r = param_tags(c, c->in, "tags", &tags, &n_tags)) < 0 ||
	    (r = parse_request(c, &td)) < 0)
		return r;

	struct store *s = c->api->store;
	struct store_taskdef row = { .status = "ACTIVE", .registered_ms = c->now_ms };
	if ((r = store_begin(s, &c->ierr)) < 0 ||
	    (r = store_taskdef_next_revision(s, td->family, &row.revision, &c->ierr)) < 0)
		return r;

	char id[300];
	snprintf(id, sizeof(id), "%s:%lld", td->family, (long long)row.revision);
	_cleanup_free_ char *arn = arn_build(c->api->region, c->api->account_id, TASKDEF_TYPE, id);
	_cleanup_free_ char *by = NULL;
	if (!arn || asprintf(&by, "arn:aws:iam::%s:root", c->api->account_id) < 0)
		return err_set(&c->ierr, ENOMEM, "out of memory");

	struct tdreg_info info = {
		.arn = arn,
		.revision = row.revision,
		.registered_ms = c->now_ms,
		.registered_by = by,
	};
	struct ecs_err rerr = { 0 };
	r = tdreg_complete(td, &info, &rerr);
	if (r == -EINVAL)
		return api_fail(c, "ClientException", "%s", err_msg(&rerr));
	if (r < 0)
		return err_set(&c->ierr, -r, "%s", err_msg(&rerr));

	_cleanup_free_ char *body = taskdef_to_json_flags(td, 0, &c->ierr);
	if (!body)
		return -EIO;
	row.family = td->family;
	row.arn = arn;
	row.body = body;
	int64_t row_id;
	if ((r = store_taskdef_insert(s, &row, &row_id, &c->ierr)) < 0 ||
	    (r = store_tags_put(s, arn, tags, n_tags, &c->ierr)) < 0 ||
	    (r = store_commit(s, &c->ierr)) < 0)
		return r;

	if ((r = write_body(c, &row)) < 0)
		return r;
	struct store_kv_list list = { .items = tags, .n = n_tags };
	api_w_kv_list(c->out, "tags", "key", "value", &list);
	return 0;
}

/* ---- DescribeTaskDefinition ---- */

int api_describe_task_definition(struct api_call *c)
{
	const char *ref;
	_cleanup_free_ const char **include = NULL;
	size_t n_include;
	bool given;
	unsigned show;
	int r;

	static const char *const include_names[] = { "TAGS", NULL };
	if ((r = param_string(c, c->in, "taskDefinition", true, &ref)) < 0 ||
	    (r = param_string_list(c, c->in, "include", 16, &include, &n_include, &given)) < 0 ||
	    (r = param_include(c, include, n_include, include_names, &show)) < 0)
		return r;
	bool show_tags = show != 0;

	struct store_taskdef td;
	r = api_taskdef_lookup(c, ref, false, &td);
	if (r == -ENOENT)
		return api_fail(c, "ClientException", "Unable to describe task definition.");
	if (r < 0)
		return r;
	r = write_body(c, &td);
	if (r >= 0 && show_tags)
		r = write_tags(c, td.arn);
	store_taskdef_clear(&td);
	return r;
}

/* ---- DeregisterTaskDefinition ---- */

/* The stored body with status INACTIVE and deregisteredAt set. */
static char *inactive_body(struct api_call *c, const struct store_taskdef *row)
{
	_cleanup_(taskdef_freep) struct taskdef *td = NULL;
	struct ecs_err perr = { 0 };
	if (taskdef_parse_flags(row->body, strlen(row->body),
				TASKDEF_PARSE_STORED | TASKDEF_PARSE_NO_VALIDATE, &td, NULL,
				&perr) < 0) {
		err_set(&c->ierr, perr.code ? perr.code : EIO, "stored body of %s: %s", row->arn,
			err_msg(&perr));
		return NULL;
	}
	char *status = strdup("INACTIVE");
	if (!status) {
		err_set(&c->ierr, ENOMEM, "out of memory");
		return NULL;
	}
	free(td->status);
	td->status = status;
	td->deregistered_at = (struct td_time){ .value = (double)c->now_ms / 1000.0, .set = true };
	return taskdef_to_json_flags(td, 0, &c->ierr);
}

int api_deregister_task_definition(struct api_call *c)
{
	const char *ref;
	struct store *s = c->api->store;
	int r;

	if ((r = param_string(c, c->in, "taskDefinition", true, &ref)) < 0 ||
	    (r = store_begin(s, &c->ierr)) < 0)
		return r;
	struct store_taskdef td;
	r = api_taskdef_lookup(c, ref, true, &td);
	if (r == -ENOENT)
		return api_fail(c, "ClientException", "The specified task definition does not exist.");
	if (r < 0)
		return r;

	/* Deregistering an INACTIVE revision again changes nothing and returns
	 * it as it is. Tasks already running from it are left alone. */
	if (strcmp(td.status, "ACTIVE") == 0) {
		char *body = inactive_body(c, &td);
		if (!body)
			r = -EIO;
		if (r >= 0)
			r = store_taskdef_deregister(s, td.id, body, c->now_ms, &c->ierr);
		if (r >= 0)
			r = store_commit(s, &c->ierr);
		if (r >= 0) {
			free(td.body);
			td.body = TAKE_PTR(body);
		}
		free(body);
	}
	if (r >= 0)
		r = write_body(c, &td);
	store_taskdef_clear(&td);
	return r;
}

/* ---- ListTaskDefinitions ---- */

static const char *const status_names[] = { "ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS", NULL };
static const char *const sort_names[] = { "ASC", "DESC", NULL };

int api_list_task_definitions(struct api_call *c)
{
	const char *family;
	int status, sort;
	int64_t limit;
	_cleanup_free_ char *after = NULL;
	int r;

	if ((r = param_string(c, c->in, "familyPrefix", false, &family)) < 0 ||
	    (r = param_enum(c, c->in, "status", status_names, &status)) < 0 ||
	    (r = param_enum(c, c->in, "sort", sort_names, &sort)) < 0 ||
	    (r = param_page(c, 100, &limit, &after)) < 0)
		return r;

	/* ECS reads familyPrefix here as the whole family name. */
	struct store_taskdef_page q = {
		.status = status_names[status < 0 ? 0 : status],
		.family = family && family[0] ? family : NULL,
		.descending = sort == 1,
		.limit = (size_t)limit,
	};
	if (after) {
		/* The token's key is the last "family:revision" returned. */
		char *colon = strrchr(after, ':');
		if (!colon || !revision_parse(colon + 1, &q.after_revision))
			return api_fail(c, "InvalidParameterException", "Invalid nextToken");
		*colon = '\0';
		q.after_family = after;
	}

	struct store_strv arns;
	bool more;
	if ((r = store_taskdef_list(c->api->store, &q, &arns, &more, &c->ierr)) < 0)
		return r;
	r = api_w_page(c, "taskDefinitionArns", &arns, more, ":" TASKDEF_TYPE "/");
	store_strv_clear(&arns);
	return r;
}

/* ---- ListTaskDefinitionFamilies ---- */

static const char *const family_status_names[] = { "ACTIVE", "INACTIVE", "ALL", NULL };

int api_list_task_definition_families(struct api_call *c)
{
	const char *prefix;
	int status;
	int64_t limit;
	_cleanup_free_ char *after = NULL;
	int r;

	if ((r = param_string(c, c->in, "familyPrefix", false, &prefix)) < 0 ||
	    (r = param_enum(c, c->in, "status", family_status_names, &status)) < 0 ||
	    (r = param_page(c, 100, &limit, &after)) < 0)
		return r;

	/* The model: "By default, both ACTIVE and INACTIVE task definition
	 * families are listed." */
	enum store_family_filter filter = status == 0 ? STORE_FAMILIES_ACTIVE
					  : status == 1 ? STORE_FAMILIES_INACTIVE
							: STORE_FAMILIES_ALL;
	struct store_strv families;
	bool more;
	if ((r = store_taskdef_families(c->api->store, prefix, filter, after, (size_t)limit,
					&families, &more, &c->ierr)) < 0)
		return r;
	r = api_w_page(c, "families", &families, more, NULL);
	store_strv_clear(&families);
	return r;
}
