/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs-agent-image load: images from an archive file into the store.
 *
 * The archive (untrusted) is extracted into DATADIR/tmp-load-XXXXXX by
 * layer_extract_archive(), which admits only plain files and directories,
 * so nothing below that directory can be a link. Two formats:
 *
 *  - an OCI image layout (oci-layout, index.json, blobs/), as written by
 *    `skopeo copy ... oci-archive:F.tar:NAME:TAG`: every index entry with an
 *    org.opencontainers.image.ref.name annotation is imported under that
 *    name, normalised. A bare tag ("1.0") names no image and is refused.
 *  - `docker save` output (manifest.json: [{Config, RepoTags, Layers}]),
 *    checked first because Docker 25 writes both and its layout
 *    annotations hold bare tags. The layers are linked into the temporary
 *    directory's blobs/sha256 under their digests and an OCI manifest is
 *    written for them, so both formats then take the same path.
 *
 * That path verifies every blob against its digest (layers while they are
 * unpacked, and against the config's diff IDs) through the layer store,
 * copies manifest and config into DATADIR/blobs and writes the records.
 * The store is held open (its lock shared) throughout, like a pull.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "image/manage.h"
#include "image/name.h"
#include "image/records.h"
#include "json.h"

#define MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define REF_NAME_MAX_DEPTH 4

struct loader {
	struct layer_store st;
	int tmpfd;  /* the extracted archive */
	int blobfd; /* its blobs/sha256 */
	int failed; /* entries that could not be imported */
	int loaded;
};

/* The JSON blob `d` from the extracted archive, size and digest checked. */
static int read_blob(const struct loader *l, const struct oci_desc *d, char **buf, size_t *len,
		     struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	int r = digest_parse(d->digest, hex, err);
	if (r < 0)
		return r;
	if ((r = fs_read_small_at(l->blobfd, hex, O_NOFOLLOW, IMAGE_JSON_MAX, buf, len, err)) < 0)
		return (err_wrap(err, "blob %s", d->digest), r);
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

/* Follow `desc` through indexes (this host's platform) to a manifest. */
static int find_manifest(const struct loader *l, struct oci_desc *desc, char **buf, size_t *len,
			 struct ecs_err *err)
{
	for (int depth = 0; depth < REF_NAME_MAX_DEPTH; depth++) {
		int r = read_blob(l, desc, buf, len, err);
		if (r < 0)
			return r;
		enum oci_kind kind = desc->media_type ? oci_media_kind(desc->media_type)
						      : oci_document_kind(*buf, *len);
		if (kind == OCI_MANIFEST)
			return 0;
		if (kind != OCI_INDEX)
			return err_set(err, ENOTSUP, "%s has unsupported media type %s", desc->digest,
				       desc->media_type ? desc->media_type : "(none)");
		struct oci_index idx;
		r = oci_index_parse(*buf, *len, &idx, err);
		free(TAKE_PTR(*buf));
		if (r < 0)
			return (err_wrap(err, "index %s", desc->digest), r);
		size_t pick = 0;
		if ((r = oci_index_pick_platform(&idx, desc->digest, &pick, err)) < 0) {
			oci_index_clear(&idx);
			return r;
		}
		oci_desc_clear(desc);
		*desc = idx.manifests[pick];
		idx.manifests[pick] = (struct oci_desc){ .size = -1 };
		oci_index_clear(&idx);
	}
	return err_set(err, EINVAL, "image indexes nested too deeply");
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Unpack and record the image `desc` (consumed) under `names`. */
static int import_image(struct loader *l, struct oci_desc *desc, char **names, size_t n_names,
			struct ecs_err *err)
{
	_cleanup_free_ char *mbuf = NULL, *cbuf = NULL;
	size_t mlen, clen;
	struct oci_manifest m = { .config.size = -1 };
	struct oci_config cfg = { 0 };
	int64_t size = 0;
	int r;
	if ((r = find_manifest(l, desc, &mbuf, &mlen, err)) < 0)
		goto done;
	if ((r = oci_manifest_parse(mbuf, mlen, &m, err)) < 0) {
		err_wrap(err, "manifest %s", desc->digest);
		goto done;
	}
	if (m.config.media_type && oci_media_kind(m.config.media_type) != OCI_CONFIG) {
		r = err_set(err, ENOTSUP, "unsupported config media type %s", m.config.media_type);
		goto done;
	}
	if ((r = read_blob(l, &m.config, &cbuf, &clen, err)) < 0 ||
	    (r = oci_config_parse(cbuf, clen, &cfg, err)) < 0) {
		err_wrap(err, "config %s", m.config.digest);
		goto done;
	}
	if (cfg.n_diff_ids != m.n_layers) {
		r = err_set(err, EINVAL, "manifest has %zu layers but its config %zu diff IDs",
			    m.n_layers, cfg.n_diff_ids);
		goto done;
	}
	for (size_t i = 0; i < m.n_layers; i++) {
		_cleanup_free_ char *dir = NULL;
		if ((r = store_ensure_layer(&l->st, l->tmpfd, &m.layers[i], cfg.diff_ids[i], &dir,
					    err)) < 0)
			goto done;
		size += manage_tree_bytes(AT_FDCWD, dir);
	}
	if ((r = store_blob_put(&l->st, desc->digest, mbuf, mlen, err)) < 0 ||
	    (r = store_blob_put(&l->st, m.config.digest, cbuf, clen, err)) < 0)
		goto done;
	int64_t now = now_ms();
	for (size_t i = 0; i < n_names; i++) {
		struct image_record rec = {
			.name = names[i],
			.manifest_digest = desc->digest,
			.config_digest = m.config.digest,
			.layers = cfg.diff_ids,
			.n_layers = cfg.n_diff_ids,
			.size = size,
			.pulled_at_ms = now,
			.last_used_ms = now,
		};
		if ((r = image_record_save(l->st.datadir, &rec, err)) < 0)
			goto done;
		printf("Loaded %s %s\n", names[i], desc->digest);
		l->loaded++;
	}
done:
	oci_desc_clear(desc);
	oci_manifest_clear(&m);
	oci_config_clear(&cfg);
	return r;
}

/* The canonical name for a name in the archive, or NULL (reported). */
static char *canonical_name(struct loader *l, const char *ref)
{
	struct ecs_err err = { 0 };
	/* A bare tag ("1.0", "latest") parses as a repository on Docker Hub,
	 * which is not what the archive's writer meant. */
	if (!strpbrk(ref, "/:@")) {
		fprintf(stderr, "ecs-agent-image load: \"%s\" is a bare tag, not an image name: skipped "
				"(write the archive with NAME:TAG)\n", ref);
		l->failed++;
		return NULL;
	}
	struct image_name nm;
	if (image_name_parse(ref, &nm, &err) < 0) {
		fprintf(stderr, "ecs-agent-image load: %s: %s\n", ref, err_msg(&err));
		l->failed++;
		return NULL;
	}
	char *canon = image_name_canonical(&nm);
	image_name_clear(&nm);
	if (!canon) {
		fprintf(stderr, "ecs-agent-image load: out of memory\n");
		l->failed++;
	}
	return canon;
}

static int load_oci(struct loader *l, struct ecs_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;
	r = fs_read_small_at(l->tmpfd, "index.json", O_NOFOLLOW, IMAGE_JSON_MAX, &buf, &len, err);
	if (r < 0)
		return r;
	struct oci_index idx;
	if ((r = oci_index_parse(buf, len, &idx, err)) < 0)
		return (err_wrap(err, "index.json"), r);
	for (size_t i = 0; i < idx.n_manifests; i++) {
		struct oci_desc *d = &idx.manifests[i];
		if (!d->ref_name) {
			fprintf(stderr, "ecs-agent-image load: image %s has no name: skipped\n", d->digest);
			continue;
		}
		_cleanup_free_ char *name = canonical_name(l, d->ref_name);
		if (!name)
			continue;
		struct ecs_err e = { 0 };
		/* import_image consumes the descriptor. */
		struct oci_desc copy = *d;
		*d = (struct oci_desc){ .size = -1 };
		if (import_image(l, &copy, &name, 1, &e) < 0) {
			fprintf(stderr, "ecs-agent-image load: %s: %s\n", name, err_msg(&e));
			l->failed++;
		}
	}
	oci_index_clear(&idx);
	return 0;
}

/* A path inside the archive as manifest.json names it. */
static bool archive_path_ok(const char *p)
{
	if (!p || !*p || *p == '/')
		return false;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return false;
		s += n;
		s += *s == '/';
	}
	return true;
}

static int make_desc(struct oci_desc *out, const char *media, const char *hex, int64_t size,
		     struct ecs_err *err)
{
	*out = (struct oci_desc){ .size = size };
	if (asprintf(&out->digest, "sha256:%s", hex) < 0) {
		out->digest = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	if (!(out->media_type = strdup(media))) {
		oci_desc_clear(out);
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* Hash the file `path`, link it as blobs/sha256/<hex>, describe it. */
static int add_docker_blob(struct loader *l, const char *path, bool layer, struct oci_desc *out,
			   struct ecs_err *err)
{
	*out = (struct oci_desc){ .size = -1 };
	if (!archive_path_ok(path))
		return err_set(err, EINVAL, "bad path \"%.200s\" in manifest.json", path);
	_cleanup_close_ int fd = openat(l->tmpfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_set_errno(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, "%s is not a regular file", path);
	_cleanup_(digest_freep) struct digest *dg = digest_new();
	_cleanup_free_ unsigned char *buf = malloc(128 * 1024);
	if (!dg || !buf)
		return err_set(err, ENOMEM, "out of memory");
	unsigned char magic[4] = { 0 };
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, 128 * 1024);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(err, errno, "reading %s", path);
		if (n == 0)
			break;
		if (total < sizeof(magic))
			memcpy(magic + total, buf,
			       (size_t)n < sizeof(magic) - total ? (size_t)n : sizeof(magic) - total);
		digest_update(dg, buf, (size_t)n);
		total += (uint64_t)n;
	}
	char hex[DIGEST_HEX_LEN + 1];
	if (digest_final_hex(dg, hex) < 0)
		return err_set(err, EIO, "hashing %s failed", path);
	if (linkat(l->tmpfd, path, l->blobfd, hex, 0) < 0 && errno != EEXIST)
		return err_set_errno(err, errno, "linking %s", path);
	/* `docker save` writes plain tars; an archive built from a containerd
	 * store carries the registry's compressed blobs. */
	const char *media = MEDIA_CONFIG;
	if (layer) {
		if (magic[0] == 0x1f && magic[1] == 0x8b)
			media = "application/vnd.oci.image.layer.v1.tar+gzip";
		else if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
			media = "application/vnd.oci.image.layer.v1.tar+zstd";
		else
			media = "application/vnd.oci.image.layer.v1.tar";
	}
	return make_desc(out, media, hex, (int64_t)total, err);
}

static void write_desc(struct json_writer *w, const struct oci_desc *d)
{
	json_w_object_begin(w);
	json_w_key(w, "mediaType");
	json_w_string(w, d->media_type);
	json_w_key(w, "digest");
	json_w_string(w, d->digest);
	json_w_key(w, "size");
	json_w_int(w, d->size);
	json_w_object_end(w);
}

/* An OCI manifest for one manifest.json entry, stored in the temporary
 * blobs; *out describes it. */
static int synthesize_manifest(struct loader *l, const json_node *entry, struct oci_desc *out,
			       struct ecs_err *err)
{
	*out = (struct oci_desc){ .size = -1 };
	const json_node *layers = json_get(entry, "Layers");
	if (json_type(layers) != JSON_ARRAY)
		return err_set(err, EINVAL, "manifest.json entry without Layers");
	size_t n = json_array_size(layers);
	struct oci_desc config;
	int r = add_docker_blob(l, json_string(json_get(entry, "Config")), false, &config, err);
	if (r < 0)
		return (err_wrap(err, "Config"), r);
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w) {
		oci_desc_clear(&config);
		return err_set(err, ENOMEM, "out of memory");
	}
	json_w_object_begin(w);
	json_w_key(w, "schemaVersion");
	json_w_int(w, 2);
	json_w_key(w, "mediaType");
	json_w_string(w, MEDIA_MANIFEST);
	json_w_key(w, "config");
	write_desc(w, &config);
	oci_desc_clear(&config);
	json_w_key(w, "layers");
	json_w_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		struct oci_desc d;
		if ((r = add_docker_blob(l, json_string(json_array_get(layers, i)), true, &d, err)) < 0)
			return (err_wrap(err, "layer %zu", i), r);
		write_desc(w, &d);
		oci_desc_clear(&d);
	}
	json_w_array_end(w);
	json_w_object_end(w);
	size_t len;
	_cleanup_free_ char *text = json_writer_finish(w, &len, err);
	char hex[DIGEST_HEX_LEN + 1];
	if (!text)
		return -EINVAL;
	if (digest_buf_hex(text, len, hex) < 0)
		return err_set(err, EIO, "hashing a manifest failed");
	_cleanup_close_ int fd = openat(l->blobfd, hex, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return err_set_errno(err, errno, "writing a manifest");
	if (fd >= 0 && write(fd, text, len) != (ssize_t)len)
		return err_set_errno(err, errno ? errno : EIO, "writing a manifest");
	return make_desc(out, MEDIA_MANIFEST, hex, (int64_t)len, err);
}

static void load_docker_entry(struct loader *l, const json_node *entry, size_t i)
{
	struct ecs_err err = { 0 };
	const json_node *tags = json_get(entry, "RepoTags");
	size_t n_tags = json_array_size(tags), n_names = 0;
	char **names = calloc(n_tags + 1, sizeof(*names));
	if (!names) {
		l->failed++;
		return;
	}
	for (size_t t = 0; t < n_tags; t++) {
		const char *tag = json_string(json_array_get(tags, t));
		if (!tag) {
			fprintf(stderr, "ecs-agent-image load: manifest.json entry %zu: a tag is not a string\n",
				i);
			l->failed++;
			continue;
		}
		char *name = canonical_name(l, tag);
		if (name)
			names[n_names++] = name;
	}
	struct oci_desc desc;
	if (n_tags == 0)
		fprintf(stderr, "ecs-agent-image load: manifest.json entry %zu has no tag: skipped\n", i);
	else if (n_names > 0 && (synthesize_manifest(l, entry, &desc, &err) < 0 ||
				 import_image(l, &desc, names, n_names, &err) < 0)) {
		fprintf(stderr, "ecs-agent-image load: %s: %s\n", names[0], err_msg(&err));
		l->failed++;
	}
	oci_strv_free(names);
}

static int load_docker(struct loader *l, struct ecs_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = fs_read_small_at(l->tmpfd, "manifest.json", O_NOFOLLOW, IMAGE_JSON_MAX, &buf, &len, err);
	if (r < 0)
		return r;
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(buf, len, err);
	if (!doc)
		return (err_wrap(err, "manifest.json"), -EINVAL);
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_ARRAY)
		return err_set(err, EINVAL, "manifest.json is not a list");
	for (size_t i = 0; i < json_array_size(root); i++) {
		const json_node *entry = json_array_get(root, i);
		if (json_type(entry) != JSON_OBJECT) {
			fprintf(stderr, "ecs-agent-image load: manifest.json entry %zu is not an object\n", i);
			l->failed++;
			continue;
		}
		load_docker_entry(l, entry, i);
	}
	return 0;
}

static int load_extracted(struct loader *l, struct ecs_err *err)
{
	int r;
	l->blobfd = fs_open_dir_beneath(l->tmpfd, "blobs/sha256", true, err);
	if (l->blobfd < 0)
		return l->blobfd;
	if (faccessat(l->tmpfd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		r = load_docker(l, err);
	else if (faccessat(l->tmpfd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
		 faccessat(l->tmpfd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		r = load_oci(l, err);
	else
		return err_set(err, EINVAL, "neither a docker save archive (manifest.json) nor an OCI "
					    "image layout (oci-layout, index.json)");
	if (r == 0 && l->loaded == 0 && l->failed == 0)
		r = err_set(err, ENOENT, "the archive holds no named image");
	return r;
}

int manage_load(const char *datadir, const char *file)
{
	struct ecs_err err = { 0 };
	struct loader l = { .tmpfd = -1, .blobfd = -1 };
	_cleanup_free_ char *tmp = NULL, *canon = NULL;
	int r;
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "ecs-agent-image load: %s: %m\n", file);
		return 1;
	}
	if ((r = store_open(datadir, &l.st, &err)) < 0)
		goto out;
	/* 0700 (mkdtemp): the archive may hold anything until verified. */
	if (asprintf(&tmp, "%s/tmp-load-XXXXXX", datadir) < 0) {
		tmp = NULL;
		r = err_set(&err, ENOMEM, "out of memory");
		goto out;
	}
	if (!mkdtemp(tmp)) {
		r = err_set_errno(&err, errno, "creating a directory in %s", datadir);
		free(TAKE_PTR(tmp));
		goto out;
	}
	/* Canonical, for libarchive's symlink check on the prefix. */
	if (!(canon = realpath(tmp, NULL))) {
		r = err_set_errno(&err, errno, "%s", tmp);
		goto out;
	}
	if ((r = layer_extract_archive(fd, canon, &err)) < 0) {
		err_wrap(&err, "%s", file);
		goto out;
	}
	if ((l.tmpfd = open(canon, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = err_set_errno(&err, errno, "%s", canon);
		goto out;
	}
	if ((r = load_extracted(&l, &err)) < 0)
		err_wrap(&err, "%s", file);
out:
	if (l.blobfd >= 0)
		close(l.blobfd);
	if (l.tmpfd >= 0)
		close(l.tmpfd);
	if (tmp)
		fs_rm_rf(tmp, NULL);
	store_close(&l.st);
	if (r < 0)
		fprintf(stderr, "ecs-agent-image load: %s\n", err_msg(&err));
	if (fflush(stdout) != 0)
		return 1;
	return r < 0 || l.failed ? 1 : 0;
}
