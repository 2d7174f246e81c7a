/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_resolve_local() for OCI image layouts (image-spec 1.0 "image-layout"):
 * oci-layout, index.json, blobs/sha256/<hex>. Follows the index (and a
 * nested index, picking linux on the host architecture) to a manifest, reads
 * its config and makes sure every layer is unpacked in the layer store.
 * Every blob read is checked against its digest and size.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "image/image-internal.h"
#include "json.h"

/* Index nesting the resolver follows before giving up. */
#define MAX_INDEX_DEPTH 4

#if defined(__x86_64__)
#define HOST_ARCH "amd64"
#elif defined(__aarch64__)
#define HOST_ARCH "arm64"
#elif defined(__i386__)
#define HOST_ARCH "386"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ARCH "ppc64le"
#elif defined(__s390x__)
#define HOST_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH "riscv64"
#else
#define HOST_ARCH "unknown"
#endif


/* Read a JSON blob named by a descriptor, checking size and digest. */
static int read_blob(int layout_fd, const struct oci_desc *d, char **buf, size_t *len,
		     struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1], name[16 + DIGEST_HEX_LEN];
	int r = digest_parse(d->digest, hex, err);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "blobs/sha256/%s", hex);
	if ((r = fs_read_small_at(layout_fd, name, 0, IMAGE_JSON_MAX, buf, len, err)) < 0)
		return r == -ENOENT ? err_set(err, ENOENT, "blob %s is missing from the layout", d->digest)
				    : r;
	if (d->size >= 0 && (uint64_t)d->size != *len)
		r = err_set(err, EINVAL, "blob %s has %zu bytes, not %lld", d->digest, *len,
			    (long long)d->size);
	else if (digest_buf_hex(*buf, *len, got) < 0)
		r = err_set(err, EIO, "hashing blob %s failed", d->digest);
	else if (strcmp(got, hex) != 0)
		r = err_set(err, EINVAL, "blob %s has digest sha256:%s", d->digest, got);
	if (r < 0) {
		free(*buf);
		*buf = NULL;
	}
	return r;
}

static bool platform_matches(const struct oci_desc *d)
{
	return d->os && d->arch && strcmp(d->os, "linux") == 0 && strcmp(d->arch, HOST_ARCH) == 0;
}

/* Among the index entries `cand` (indices into idx, n of them), pick the one
 * for this host: the only one, or the only linux/HOST_ARCH one. */
static int pick_platform(const struct oci_index *idx, const size_t *cand, size_t n, size_t *pick,
			 const char *what, struct ecs_err *err)
{
	if (n == 1) {
		const struct oci_desc *d = &idx->manifests[cand[0]];
		if (d->arch && !platform_matches(d))
			return err_set(err, ENOENT, "%s holds only a %s/%s image, not linux/%s", what,
				       d->os ? d->os : "?", d->arch, HOST_ARCH);
		*pick = cand[0];
		return 0;
	}
	size_t found = 0;
	for (size_t i = 0; i < n; i++)
		if (platform_matches(&idx->manifests[cand[i]])) {
			*pick = cand[i];
			found++;
		}
	if (found == 1)
		return 0;
	if (found == 0)
		return err_set(err, ENOENT, "%s has no image for linux/%s", what, HOST_ARCH);
	return err_set(err, EINVAL, "%s has %zu images for linux/%s", what, found, HOST_ARCH);
}

int oci_index_pick_platform(const struct oci_index *idx, const char *what, size_t *pick,
			    struct ecs_err *err)
{
	if (!idx->n_manifests)
		return err_set(err, ENOENT, "index %s is empty", what);
	_cleanup_free_ size_t *cand = calloc(idx->n_manifests, sizeof(*cand));
	if (!cand)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < idx->n_manifests; i++)
		cand[i] = i;
	return pick_platform(idx, cand, idx->n_manifests, pick, what, err);
}

/* Choose the top-level entry by tag (or the only one) and copy it. */
static int pick_top(const struct oci_index *idx, const char *path, const char *tag,
		    struct oci_desc *out, struct ecs_err *err)
{
	_cleanup_free_ size_t *cand = calloc(idx->n_manifests + 1, sizeof(*cand));
	size_t n = 0, pick = 0;
	if (!cand)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < idx->n_manifests; i++)
		if (!tag || (idx->manifests[i].ref_name && strcmp(idx->manifests[i].ref_name, tag) == 0))
			cand[n++] = i;
	if (n == 0)
		return tag ? err_set(err, ENOENT, "no image tagged \"%s\" in %s", tag, path)
			   : err_set(err, ENOENT, "%s/index.json lists no image", path);
	int r = pick_platform(idx, cand, n, &pick, path, err);
	if (r < 0) {
		if (!tag && n > 1)
			return err_set(err, EINVAL, "%s holds %zu images; name one with :TAG", path, n);
		return r;
	}
	const struct oci_desc *d = &idx->manifests[pick];
	*out = (struct oci_desc){ .size = d->size };
	out->digest = strdup(d->digest);
	out->media_type = d->media_type ? strdup(d->media_type) : NULL;
	if (!out->digest || (d->media_type && !out->media_type)) {
		oci_desc_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int check_layout_marker(int layout_fd, const char *path, struct ecs_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = fs_read_small_at(layout_fd, "oci-layout", 0, 64 * 1024, &buf, &len, err);
	if (r == -ENOENT)
		return err_set(err, ENOENT, "%s is not an OCI image layout (no oci-layout file)", path);
	if (r < 0)
		return (err_wrap(err, "%s", path), r);
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(buf, len, err);
	if (!doc)
		return (err_wrap(err, "%s/oci-layout", path), -EINVAL);
	const char *v = json_string(json_get(json_root(doc), "imageLayoutVersion"));
	if (!v || strncmp(v, "1.", 2) != 0)
		return err_set(err, ENOTSUP, "%s: unsupported imageLayoutVersion", path);
	return 0;
}

/* Follow `desc` through nested indexes to a manifest; on return `desc`
 * names the manifest and *buf holds it. */
static int find_manifest(int layout_fd, const char *path, struct oci_desc *desc, char **buf,
			 size_t *len, struct ecs_err *err)
{
	for (int depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
		int r = read_blob(layout_fd, desc, buf, len, err);
		if (r < 0)
			return (err_wrap(err, "%s", path), r);
		enum oci_kind kind = desc->media_type ? oci_media_kind(desc->media_type)
						      : oci_document_kind(*buf, *len);
		if (kind == OCI_MANIFEST)
			return 0;
		if (kind != OCI_INDEX)
			return err_set(err, ENOTSUP, "%s: %s has unsupported media type %s", path,
				       desc->digest, desc->media_type);
		struct oci_index idx;
		r = oci_index_parse(*buf, *len, &idx, err);
		free(*buf);
		*buf = NULL;
		if (r < 0)
			return (err_wrap(err, "%s: %s", path, desc->digest), r);
		size_t pick = 0;
		r = oci_index_pick_platform(&idx, desc->digest, &pick, err);
		if (r < 0) {
			oci_index_clear(&idx);
			return (err_wrap(err, "%s", path), r);
		}
		oci_desc_clear(desc);
		*desc = idx.manifests[pick];
		idx.manifests[pick] = (struct oci_desc){ .size = -1 };
		oci_index_clear(&idx);
	}
	return err_set(err, EINVAL, "%s: image indexes nested too deeply", path);
}

static int load_config(int layout_fd, const char *path, const struct oci_manifest *m,
		       struct oci_config *cfg, struct ecs_err *err)
{
	if (m->config.media_type && oci_media_kind(m->config.media_type) != OCI_CONFIG)
		return err_set(err, ENOTSUP, "%s: unsupported config media type %s", path,
			       m->config.media_type);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_blob(layout_fd, &m->config, &buf, &len, err);
	if (r < 0)
		return (err_wrap(err, "%s: config", path), r);
	if ((r = oci_config_parse(buf, len, cfg, err)) < 0)
		return (err_wrap(err, "%s: config %s", path, m->config.digest), r);
	if (cfg->n_diff_ids != m->n_layers) {
		oci_config_clear(cfg);
		return err_set(err, EINVAL, "%s: manifest has %zu layers but its config %zu diff IDs",
			       path, m->n_layers, cfg->n_diff_ids);
	}
	return 0;
}

static int unpack_layers(struct layer_store *st, int layout_fd, const struct oci_manifest *m,
			 const struct oci_config *cfg, char ***dirs, struct ecs_err *err)
{
	int r = 0;
	char **v = calloc(m->n_layers + 1, sizeof(*v));
	if (!v)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < m->n_layers && r >= 0; i++)
		r = store_ensure_layer(st, layout_fd, &m->layers[i], cfg->diff_ids[i], &v[i], err);
	if (r < 0) {
		oci_strv_free(v);
		return r;
	}
	*dirs = v;
	return 0;
}

int image_resolve_local(const char *datadir, const char *ref, struct image *out,
			struct ecs_err *err)
{
	struct layer_store st;
	_cleanup_free_ char *path = NULL, *tag = NULL;
	*out = (struct image){ 0 };
	/* Before the store is opened (and created): a reference that is not a
	 * layout leaves no trace. */
	int r = oci_ref_parse(ref, &path, &tag, err);
	if (r < 0)
		return r;
	if ((r = store_open(datadir, &st, err)) < 0)
		return r;
	r = layout_resolve(&st, ref, out, err);
	store_close(&st);
	return r;
}

int layout_resolve(struct layer_store *st, const char *ref, struct image *out,
		   struct ecs_err *err)
{
	_cleanup_free_ char *path = NULL, *tag = NULL, *buf = NULL;
	struct oci_index idx = { 0 };
	struct oci_desc desc = { .size = -1 };
	struct oci_manifest m = { .config.size = -1 };
	struct oci_config cfg = { 0 };
	size_t len;
	int r;

	*out = (struct image){ 0 };
	if ((r = oci_ref_parse(ref, &path, &tag, err)) < 0)
		return r;
	_cleanup_close_ int layout_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layout_fd < 0)
		return err_set_errno(err, errno, "image layout %s", path);
	if ((r = check_layout_marker(layout_fd, path, err)) < 0)
		return r;
	if ((r = fs_read_small_at(layout_fd, "index.json", 0, IMAGE_JSON_MAX, &buf, &len, err)) < 0)
		return (err_wrap(err, "%s", path), r);
	if ((r = oci_index_parse(buf, len, &idx, err)) < 0)
		return (err_wrap(err, "%s/index.json", path), r);
	free(TAKE_PTR(buf));
	r = pick_top(&idx, path, tag, &desc, err);
	oci_index_clear(&idx);
	if (r < 0)
		return r;

	if ((r = find_manifest(layout_fd, path, &desc, &buf, &len, err)) < 0)
		goto done;
	if ((r = oci_manifest_parse(buf, len, &m, err)) < 0) {
		err_wrap(err, "%s: manifest %s", path, desc.digest);
		goto done;
	}
	if ((r = load_config(layout_fd, path, &m, &cfg, err)) < 0)
		goto done;
	char **dirs = NULL;
	if ((r = unpack_layers(st, layout_fd, &m, &cfg, &dirs, err)) < 0) {
		err_wrap(err, "%s", ref);
		goto done;
	}

	out->reference = strdup(ref);
	out->digest = TAKE_PTR(desc.digest);
	out->entrypoint = TAKE_PTR(cfg.entrypoint);
	out->cmd = TAKE_PTR(cfg.cmd);
	out->env = TAKE_PTR(cfg.env);
	out->working_dir = TAKE_PTR(cfg.working_dir);
	out->user = TAKE_PTR(cfg.user);
	out->layer_dirs = dirs;
	out->n_layers = m.n_layers;
	if (!out->reference) {
		image_clear(out);
		r = err_set(err, ENOMEM, "out of memory");
	} else if ((r = store_record(st, ref, out, m.config.digest, cfg.diff_ids, false, err)) < 0) {
		/* Without a record the collector would see its layers as unused. */
		image_clear(out);
		err_wrap(err, "%s: recording the image", ref);
	}
done:
	oci_desc_clear(&desc);
	oci_manifest_clear(&m);
	oci_config_clear(&cfg);
	return r;
}
