/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The helper's `request` (docs/images.md, "Helper protocol" and "Pull
 * behaviour"): parse the JSON the daemon writes on stdin and resolve the
 * image from a layout, the store or a registry.
 *
 * The request is strict (unknown members are refused): the daemon and the
 * helper ship together, so a member one of them does not know is a bug
 * worth a clear message rather than a silently ignored setting.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "image/auth.h"
#include "image/image-internal.h"
#include "image/name.h"
#include "image/pull.h"
#include "image/records.h"
#include "json.h"
#include "log.h"

#define OCI_LAYOUT_PREFIX "oci-layout:"

static const char *const behaviors[] = {
	[PULL_DEFAULT] = "default",
	[PULL_ALWAYS] = "always",
	[PULL_ONCE] = "once",
	[PULL_PREFER_CACHED] = "prefer-cached",
};

int pull_behavior_parse(const char *s, enum pull_behavior *out)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(behaviors); i++)
		if (strcmp(s, behaviors[i]) == 0) {
			*out = (enum pull_behavior)i;
			return 0;
		}
	return -EINVAL;
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void pull_request_clear(struct pull_request *rq)
{
	if (!rq)
		return;
	free(rq->datadir);
	free(rq->reference);
	oci_strv_free(rq->insecure);
	free(rq->auth_type);
	free_secret(rq->auth_data);
	free(rq->username);
	free_secret(rq->password);
	free(rq->ca_file);
	*rq = (struct pull_request){ 0 };
}

/* A string member (null: absent). Set twice: refused. */
static int get_str(const json_node *v, const char *key, char **out, struct ecs_err *err)
{
	if (*out)
		return err_set(err, EINVAL, "image request: duplicate \"%s\"", key);
	if (json_type(v) == JSON_NULL)
		return 0;
	const char *s = json_string(v);
	if (!s)
		return err_set(err, EINVAL, "image request: \"%s\" is %s, not a string", key,
			       json_type_name(json_type(v)));
	*out = strdup(s);
	return *out ? 0 : err_set(err, ENOMEM, "out of memory");
}

static int get_ms(const json_node *v, const char *key, int64_t *out, struct ecs_err *err)
{
	int64_t n;
	if (!json_integer(v, &n) || n < 0 || n > INT64_MAX / 4)
		return err_set(err, EINVAL, "image request: \"%s\" is not a non-negative integer", key);
	*out = n;
	return 0;
}

static int get_insecure(const json_node *v, struct pull_request *rq, struct ecs_err *err)
{
	if (json_type(v) == JSON_NULL)
		return 0;
	if (json_type(v) != JSON_ARRAY)
		return err_set(err, EINVAL, "image request: \"insecureRegistries\" is not a list");
	size_t n = json_array_size(v);
	char **list = calloc(n + 1, sizeof(*list));
	if (!list)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string(json_array_get(v, i));
		if (!s || !*s) {
			oci_strv_free(list);
			return err_set(err, EINVAL,
				       "image request: \"insecureRegistries\"[%zu] is not a registry", i);
		}
		if (!(list[i] = strdup(s))) {
			oci_strv_free(list);
			return err_set(err, ENOMEM, "out of memory");
		}
	}
	oci_strv_free(rq->insecure);
	rq->insecure = list;
	return 0;
}

/* engineAuth {type, data} or credentials {username, password}. */
static int get_pair(const json_node *v, const char *key, const char *k1, char **v1,
		    const char *k2, char **v2, struct ecs_err *err)
{
	if (json_type(v) == JSON_NULL)
		return 0;
	if (json_type(v) != JSON_OBJECT)
		return err_set(err, EINVAL, "image request: \"%s\" is not an object", key);
	for (size_t i = 0; i < json_object_size(v); i++) {
		const char *k = json_object_key(v, i);
		const json_node *m = json_object_value(v, i);
		int r;
		if (strcmp(k, k1) == 0)
			r = get_str(m, k1, v1, err);
		else if (strcmp(k, k2) == 0)
			r = get_str(m, k2, v2, err);
		else
			r = err_set(err, EINVAL, "image request: unknown member \"%s.%.64s\"", key, k);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_members(const json_node *root, struct pull_request *rq, struct ecs_err *err)
{
	_cleanup_free_ char *op = NULL, *behavior = NULL;
	int r = 0;
	for (size_t i = 0; i < json_object_size(root) && r == 0; i++) {
		const char *k = json_object_key(root, i);
		const json_node *v = json_object_value(root, i);
		if (strcmp(k, "op") == 0)
			r = get_str(v, k, &op, err);
		else if (strcmp(k, "datadir") == 0)
			r = get_str(v, k, &rq->datadir, err);
		else if (strcmp(k, "reference") == 0)
			r = get_str(v, k, &rq->reference, err);
		else if (strcmp(k, "pullBehavior") == 0)
			r = get_str(v, k, &behavior, err);
		else if (strcmp(k, "insecureRegistries") == 0)
			r = get_insecure(v, rq, err);
		else if (strcmp(k, "engineAuth") == 0)
			r = get_pair(v, k, "type", &rq->auth_type, "data", &rq->auth_data, err);
		else if (strcmp(k, "credentials") == 0)
			r = get_pair(v, k, "username", &rq->username, "password", &rq->password, err);
		else if (strcmp(k, "caFile") == 0)
			r = get_str(v, k, &rq->ca_file, err);
		else if (strcmp(k, "timeoutMs") == 0)
			r = get_ms(v, k, &rq->timeout_ms, err);
		else if (strcmp(k, "inactivityTimeoutMs") == 0)
			r = get_ms(v, k, &rq->inactivity_ms, err);
		else
			r = err_set(err, EINVAL, "image request: unknown member \"%.64s\"", k);
	}
	if (r < 0)
		return r;
	if (op && strcmp(op, "resolve") != 0)
		return err_set(err, EINVAL, "image request: unknown op \"%.64s\"", op);
	if (behavior && pull_behavior_parse(behavior, &rq->behavior) < 0)
		return err_set(err, EINVAL, "image request: unknown pullBehavior \"%.64s\"", behavior);
	if (!rq->datadir || rq->datadir[0] != '/')
		return err_set(err, EINVAL, "image request: \"datadir\" must be an absolute path");
	if (!rq->reference || !*rq->reference)
		return err_set(err, EINVAL, "image request: \"reference\" is missing");
	if (!rq->username != !rq->password)
		return err_set(err, EINVAL, "image request: credentials need a username and a password");
	if (rq->ca_file && !*rq->ca_file)
		return err_set(err, EINVAL, "image request: \"caFile\" is empty");
	return 0;
}

int pull_request_parse(const char *json, size_t len, struct pull_request *out,
			struct ecs_err *err)
{
	*out = (struct pull_request){ 0 };
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(json, len, err);
	if (!doc)
		return (err_wrap(err, "image request"), -EINVAL);
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_OBJECT)
		return err_set(err, EINVAL, "image request is not a JSON object");
	int r = parse_members(root, out, err);
	if (r == 0 && !out->insecure && !(out->insecure = calloc(1, sizeof(char *))))
		r = err_set(err, ENOMEM, "out of memory");
	if (r < 0)
		pull_request_clear(out);
	if (r == 0 && !out->timeout_ms)
		out->timeout_ms = PULL_TIMEOUT_MS_DEFAULT;
	if (r == 0 && !out->inactivity_ms)
		out->inactivity_ms = PULL_INACTIVITY_MS_DEFAULT;
	return r;
}

/* ---- running it ---- */

static bool listed(char *const *list, const char *registry)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], registry) == 0)
			return true;
	return false;
}

static int pull_registry(const struct pull_request *rq, struct layer_store *st,
			 const struct image_name *name, const char *canonical, struct image *out,
			 bool *pulled, struct ecs_err *err)
{
	struct image_record rec = { 0 };
	bool have_rec = image_record_load(rq->datadir, canonical, &rec, NULL) == 0;
	int r;
	if (have_rec && (rq->behavior == PULL_ONCE || rq->behavior == PULL_PREFER_CACHED)) {
		r = image_from_record(st, rq->reference, &rec, out, err);
		if (r != -ENOENT) {
			image_record_clear(&rec);
			*pulled = false;
			return r;
		}
	}

	struct registry_creds creds = { 0 };
	struct pull_opts o = {
		.reference = rq->reference,
		.name = name,
		.insecure = listed(rq->insecure, name->registry),
		.ca_file = rq->ca_file,
		.username = rq->username,
		.password = rq->password,
		.timeout_ms = rq->timeout_ms,
		.inactivity_ms = rq->inactivity_ms,
	};
	if (!o.username) {
		if ((r = registry_creds_parse(rq->auth_type, rq->auth_data, &creds, err)) < 0) {
			image_record_clear(&rec);
			return (err_wrap(err, "engine auth data"), r);
		}
		const struct registry_cred *c = registry_creds_find(&creds, name->registry);
		if (c) {
			o.username = c->username;
			o.password = c->password;
		}
	}
	r = image_pull(st, &o, out, err);
	registry_creds_clear(&creds);
	*pulled = r == 0;
	if (r < 0 && have_rec && rq->behavior == PULL_DEFAULT) {
		struct ecs_err e2 = { 0 };
		if (image_from_record(st, rq->reference, &rec, out, &e2) == 0) {
			log_debug("Pulling %s failed, using the stored image: %s", canonical, err_msg(err));
			err_clear(err);
			r = 0;
		}
	}
	image_record_clear(&rec);
	return r;
}

int pull_request_run(const struct pull_request *rq, struct image *out, bool *pulled,
		      struct ecs_err *err)
{
	struct layer_store st;
	int r;
	*pulled = false;
	*out = (struct image){ 0 };
	if (strncmp(rq->reference, OCI_LAYOUT_PREFIX, strlen(OCI_LAYOUT_PREFIX)) == 0) {
		if ((r = store_open(rq->datadir, &st, err)) < 0)
			return r;
		r = layout_resolve(&st, rq->reference, out, err);
		store_close(&st);
		return r;
	}
	_cleanup_(image_name_clear) struct image_name name = { 0 };
	if ((r = image_name_parse(rq->reference, &name, err)) < 0)
		return r;
	_cleanup_free_ char *canonical = image_name_canonical(&name);
	if (!canonical)
		return err_set(err, ENOMEM, "out of memory");
	if ((r = store_open(rq->datadir, &st, err)) < 0)
		return r;
	r = pull_registry(rq, &st, &name, canonical, out, pulled, err);
	store_close(&st);
	return r;
}

char *pull_answer_json(const struct image *img, bool pulled, struct ecs_err *err)
{
	_cleanup_free_ char *text = image_to_json(img, err);
	if (!text)
		return NULL;
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(text, strlen(text), err);
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!doc || !w) {
		if (doc)
			err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	const json_node *root = json_root(doc);
	json_w_object_begin(w);
	for (size_t i = 0; i < json_object_size(root); i++) {
		json_w_key(w, json_object_key(root, i));
		json_w_node(w, json_object_value(root, i));
	}
	json_w_key(w, "pulled");
	json_w_bool(w, pulled);
	json_w_object_end(w);
	return json_writer_finish(w, NULL, err);
}
