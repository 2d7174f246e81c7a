/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON documents of an OCI image layout: index, manifest and image
 * config (image-spec 1.0), plus the Docker schema2 equivalents, which share
 * their shape. Only the fields the agent uses are kept; unknown fields are
 * ignored as the spec asks, wrong types of known fields are errors.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image-internal.h"
#include "json.h"

static const struct {
	const char *media_type;
	enum oci_kind kind;
} media_types[] = {
	{ "application/vnd.oci.image.index.v1+json", OCI_INDEX },
	{ "application/vnd.docker.distribution.manifest.list.v2+json", OCI_INDEX },
	{ "application/vnd.oci.image.manifest.v1+json", OCI_MANIFEST },
	{ "application/vnd.docker.distribution.manifest.v2+json", OCI_MANIFEST },
	{ "application/vnd.oci.image.config.v1+json", OCI_CONFIG },
	{ "application/vnd.docker.container.image.v1+json", OCI_CONFIG },
	{ "application/vnd.oci.image.layer.v1.tar", OCI_LAYER_TAR },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", OCI_LAYER_GZIP },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", OCI_LAYER_ZSTD },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar", OCI_LAYER_TAR },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", OCI_LAYER_GZIP },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", OCI_LAYER_ZSTD },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", OCI_LAYER_GZIP },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", OCI_LAYER_GZIP },
};

enum oci_kind oci_media_kind(const char *media_type)
{
	if (!media_type)
		return OCI_UNKNOWN;
	for (size_t i = 0; i < ARRAY_SIZE(media_types); i++)
		if (strcmp(media_types[i].media_type, media_type) == 0)
			return media_types[i].kind;
	return OCI_UNKNOWN;
}

void oci_desc_clear(struct oci_desc *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->ref_name);
	free(d->os);
	free(d->arch);
	*d = (struct oci_desc){ .size = -1 };
}

void oci_index_clear(struct oci_index *idx)
{
	for (size_t i = 0; i < idx->n_manifests; i++)
		oci_desc_clear(&idx->manifests[i]);
	free(idx->manifests);
	*idx = (struct oci_index){ 0 };
}

void oci_manifest_clear(struct oci_manifest *m)
{
	oci_desc_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		oci_desc_clear(&m->layers[i]);
	free(m->layers);
	*m = (struct oci_manifest){ 0 };
}

void oci_config_clear(struct oci_config *c)
{
	oci_strv_free(c->entrypoint);
	oci_strv_free(c->cmd);
	oci_strv_free(c->env);
	free(c->working_dir);
	free(c->user);
	oci_strv_free(c->diff_ids);
	*c = (struct oci_config){ 0 };
}

/* An optional string member: absent or null leaves *out NULL. */
static int get_string(const json_node *obj, const char *key, const char *what, char **out,
		      struct ecs_err *err)
{
	const json_node *n = json_get(obj, key);
	*out = NULL;
	if (!n || json_type(n) == JSON_NULL)
		return 0;
	const char *s = json_string(n);
	if (!s)
		return err_set(err, EINVAL, "%s: \"%s\" is %s, not a string", what, key,
			       json_type_name(json_type(n)));
	*out = strdup(s);
	return *out ? 0 : err_set(err, ENOMEM, "out of memory");
}

/* An optional array of strings: absent or null leaves *out NULL. */
static int get_strv(const json_node *obj, const char *key, const char *what, char ***out,
		    size_t *count, struct ecs_err *err)
{
	const json_node *n = json_get(obj, key);
	*out = NULL;
	if (count)
		*count = 0;
	if (!n || json_type(n) == JSON_NULL)
		return 0;
	if (json_type(n) != JSON_ARRAY)
		return err_set(err, EINVAL, "%s: \"%s\" is %s, not an array", what, key,
			       json_type_name(json_type(n)));
	size_t len = json_array_size(n);
	char **v = calloc(len + 1, sizeof(*v));
	if (!v)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const char *s = json_string(json_array_get(n, i));
		if (!s) {
			oci_strv_free(v);
			return err_set(err, EINVAL, "%s: \"%s\"[%zu] is not a string", what, key, i);
		}
		v[i] = strdup(s);
		if (!v[i]) {
			oci_strv_free(v);
			return err_set(err, ENOMEM, "out of memory");
		}
	}
	*out = v;
	if (count)
		*count = len;
	return 0;
}

static int parse_desc(const json_node *n, const char *what, struct oci_desc *d, struct ecs_err *err)
{
	int r;
	*d = (struct oci_desc){ .size = -1 };
	if (json_type(n) != JSON_OBJECT)
		return err_set(err, EINVAL, "%s is not an object", what);
	if ((r = get_string(n, "mediaType", what, &d->media_type, err)) < 0 ||
	    (r = get_string(n, "digest", what, &d->digest, err)) < 0)
		goto fail;
	if (!d->digest) {
		r = err_set(err, EINVAL, "%s has no digest", what);
		goto fail;
	}
	const json_node *size = json_get(n, "size");
	if (size && (!json_integer(size, &d->size) || d->size < 0)) {
		r = err_set(err, EINVAL, "%s: \"size\" is not a non-negative integer", what);
		goto fail;
	}
	const json_node *ann = json_get(n, "annotations");
	if (ann && json_type(ann) != JSON_OBJECT && json_type(ann) != JSON_NULL) {
		r = err_set(err, EINVAL, "%s: \"annotations\" is not an object", what);
		goto fail;
	}
	if ((r = get_string(ann, "org.opencontainers.image.ref.name", what, &d->ref_name, err)) < 0)
		goto fail;
	const json_node *plat = json_get(n, "platform");
	if (plat && json_type(plat) != JSON_OBJECT && json_type(plat) != JSON_NULL) {
		r = err_set(err, EINVAL, "%s: \"platform\" is not an object", what);
		goto fail;
	}
	if ((r = get_string(plat, "os", what, &d->os, err)) < 0 ||
	    (r = get_string(plat, "architecture", what, &d->arch, err)) < 0)
		goto fail;
	return 0;
fail:
	oci_desc_clear(d);
	return r;
}

/* Parse an array of descriptors into a malloc'd vector. */
static int parse_descs(const json_node *arr, const char *what, struct oci_desc **out, size_t *n,
		       struct ecs_err *err)
{
	*out = NULL;
	*n = 0;
	if (json_type(arr) != JSON_ARRAY)
		return err_set(err, EINVAL, "\"%s\" is missing or not an array", what);
	size_t len = json_array_size(arr);
	struct oci_desc *v = calloc(len ? len : 1, sizeof(*v));
	if (!v)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s[%zu]", what, i);
		int r = parse_desc(json_array_get(arr, i), name, &v[i], err);
		if (r < 0) {
			for (size_t j = 0; j < i; j++)
				oci_desc_clear(&v[j]);
			free(v);
			return r;
		}
	}
	*out = v;
	*n = len;
	return 0;
}

static int parse_root(const char *buf, size_t len, const char *what, struct json_doc **doc,
		      struct ecs_err *err)
{
	*doc = json_parse(buf, len, err);
	if (!*doc)
		return (err_wrap(err, "%s", what), -EINVAL);
	if (json_type(json_root(*doc)) != JSON_OBJECT)
		return err_set(err, EINVAL, "%s is not a JSON object", what);
	return 0;
}

static int check_schema_version(const json_node *root, const char *what, struct ecs_err *err)
{
	int64_t v;
	if (!json_integer(json_get(root, "schemaVersion"), &v) || v != 2)
		return err_set(err, EINVAL, "%s: schemaVersion is not 2", what);
	return 0;
}

int oci_index_parse(const char *buf, size_t len, struct oci_index *out, struct ecs_err *err)
{
	_cleanup_(json_doc_freep) struct json_doc *doc = NULL;
	int r;
	*out = (struct oci_index){ 0 };
	if ((r = parse_root(buf, len, "image index", &doc, err)) < 0)
		return r;
	const json_node *root = json_root(doc);
	if ((r = check_schema_version(root, "image index", err)) < 0)
		return r;
	return parse_descs(json_get(root, "manifests"), "manifests", &out->manifests,
			   &out->n_manifests, err);
}

int oci_manifest_parse(const char *buf, size_t len, struct oci_manifest *out, struct ecs_err *err)
{
	_cleanup_(json_doc_freep) struct json_doc *doc = NULL;
	int r;
	*out = (struct oci_manifest){ .config.size = -1 };
	if ((r = parse_root(buf, len, "image manifest", &doc, err)) < 0)
		return r;
	const json_node *root = json_root(doc);
	if ((r = check_schema_version(root, "image manifest", err)) < 0)
		return r;
	if ((r = parse_desc(json_get(root, "config"), "manifest config", &out->config, err)) < 0)
		return r;
	r = parse_descs(json_get(root, "layers"), "layers", &out->layers, &out->n_layers, err);
	if (r < 0)
		oci_manifest_clear(out);
	return r;
}

int oci_config_parse(const char *buf, size_t len, struct oci_config *out, struct ecs_err *err)
{
	_cleanup_(json_doc_freep) struct json_doc *doc = NULL;
	int r;
	*out = (struct oci_config){ 0 };
	if ((r = parse_root(buf, len, "image config", &doc, err)) < 0)
		return r;
	const json_node *root = json_root(doc);
	const json_node *cfg = json_get(root, "config");
	if (cfg && json_type(cfg) != JSON_OBJECT && json_type(cfg) != JSON_NULL)
		return err_set(err, EINVAL, "image config: \"config\" is not an object");
	const json_node *rootfs = json_get(root, "rootfs");
	if (json_type(rootfs) != JSON_OBJECT)
		return err_set(err, EINVAL, "image config: \"rootfs\" is missing");
	const char *type = json_string(json_get(rootfs, "type"));
	if (!type || strcmp(type, "layers") != 0)
		return err_set(err, EINVAL, "image config: rootfs.type is not \"layers\"");
	if (json_type(json_get(rootfs, "diff_ids")) != JSON_ARRAY)
		return err_set(err, EINVAL, "image config: rootfs.diff_ids is missing");

	const char *what = "image config";
	if ((r = get_strv(cfg, "Entrypoint", what, &out->entrypoint, NULL, err)) < 0 ||
	    (r = get_strv(cfg, "Cmd", what, &out->cmd, NULL, err)) < 0 ||
	    (r = get_strv(cfg, "Env", what, &out->env, NULL, err)) < 0 ||
	    (r = get_string(cfg, "WorkingDir", what, &out->working_dir, err)) < 0 ||
	    (r = get_string(cfg, "User", what, &out->user, err)) < 0 ||
	    (r = get_strv(rootfs, "diff_ids", "rootfs", &out->diff_ids, &out->n_diff_ids, err)) < 0) {
		oci_config_clear(out);
		return r;
	}
	/* Docker writes "" for unset strings; the agent treats both alike. */
	if (out->working_dir && !*out->working_dir) {
		free(out->working_dir);
		out->working_dir = NULL;
	}
	if (out->user && !*out->user) {
		free(out->user);
		out->user = NULL;
	}
	return 0;
}

enum oci_kind oci_document_kind(const char *buf, size_t len)
{
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(buf, len, NULL);
	const json_node *root = json_root(doc);
	enum oci_kind k = oci_media_kind(json_string(json_get(root, "mediaType")));
	if (k != OCI_UNKNOWN)
		return k;
	return json_get(root, "manifests") ? OCI_INDEX : OCI_MANIFEST;
}
