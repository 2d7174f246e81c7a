/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Private interfaces between the files of agent/image/. The parsers take
 * plain buffers so the fuzz targets and unit tests can drive them directly.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"
#include "error.h"
#include "fsutil.h"

/* JSON blobs (index, manifests, configs) larger than this are refused. */
#define IMAGE_JSON_MAX (4u << 20)
/* /etc/passwd and /etc/group larger than this are refused. */
#define IMAGE_USERDB_MAX (4u << 20)

/* ---- digest.c: sha256 through libcrypto (the agent's only user of it) ---- */

#define DIGEST_HEX_LEN 64

struct digest;
struct digest *digest_new(void);
void digest_free(struct digest *d);
DEFINE_CLEANUP(struct digest, digest_free)
void digest_update(struct digest *d, const void *data, size_t len);
/* Finish and write the lowercase hex digest. -EIO if libcrypto failed at any
 * point (including an earlier update). */
int digest_final_hex(struct digest *d, char hex[DIGEST_HEX_LEN + 1]);
/* One-shot sha256 of a buffer. */
int digest_buf_hex(const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1]);
/* Check that `s` is "sha256:<64 lowercase hex>" and copy the hex part.
 * -ENOTSUP for another well-formed algorithm, -EINVAL otherwise. */
int digest_parse(const char *s, char hex[DIGEST_HEX_LEN + 1], struct ecs_err *err);

/* ---- oci-json.c: index, manifest and config documents ---- */

enum oci_kind {
	OCI_UNKNOWN = 0,
	OCI_INDEX,     /* OCI image index, Docker manifest list */
	OCI_MANIFEST,  /* OCI image manifest, Docker schema2 manifest */
	OCI_CONFIG,    /* OCI image config, Docker container image config */
	OCI_LAYER_TAR,
	OCI_LAYER_GZIP,
	OCI_LAYER_ZSTD,
};
enum oci_kind oci_media_kind(const char *media_type);

struct oci_desc {
	char *media_type; /* NULL when absent */
	char *digest;
	int64_t size;     /* -1 when absent */
	char *ref_name;   /* org.opencontainers.image.ref.name, NULL when absent */
	char *os, *arch;  /* platform, NULL when absent */
};

struct oci_index {
	struct oci_desc *manifests;
	size_t n_manifests;
};

struct oci_manifest {
	struct oci_desc config;
	struct oci_desc *layers;
	size_t n_layers;
};

struct oci_config {
	char **entrypoint, **cmd, **env; /* NULL-terminated, NULL when absent */
	char *working_dir, *user;
	char **diff_ids;                 /* NULL-terminated */
	size_t n_diff_ids;
};

/* Parse a document. On failure `out` is left empty (nothing to clear). */
int oci_index_parse(const char *buf, size_t len, struct oci_index *out, struct ecs_err *err);
int oci_manifest_parse(const char *buf, size_t len, struct oci_manifest *out, struct ecs_err *err);
int oci_config_parse(const char *buf, size_t len, struct oci_config *out, struct ecs_err *err);
/* The kind a manifest document declares for itself: its mediaType field,
 * else OCI_INDEX when it has "manifests", else OCI_MANIFEST. */
enum oci_kind oci_document_kind(const char *buf, size_t len);
void oci_desc_clear(struct oci_desc *d);
void oci_index_clear(struct oci_index *idx);
void oci_manifest_clear(struct oci_manifest *m);
void oci_config_clear(struct oci_config *c);
void oci_strv_free(char **v);

/* ---- client.c: running the helper (daemon side) ---- */

/* The helper's answer is a few KiB; more is not an image config. */
#define HELPER_OUTPUT_MAX (4u * 1024 * 1024)
/* Start `helper` with argv, stdout on a pipe (*stdout_fd, read end) and
 * stdin on a pipe (*stdin_fd, write end) when stdin_fd is non-NULL, else
 * /dev/null. Both fds are close-on-exec in the daemon. */
int image_helper_spawn(const char *helper, char *const argv[], int *stdin_fd, int *stdout_fd,
		       pid_t *pid, struct ecs_err *err);

/* ---- ref.c: "oci-layout:PATH[:TAG]" ---- */

/* Split a reference into its layout path and tag (NULL when none). The tag
 * starts at the first ':' after the last '/', so it may itself hold ':'
 * ("busybox:latest"); a layout directory whose last component contains ':'
 * cannot be named. PATH must be absolute. */
int oci_ref_parse(const char *ref, char **path, char **tag, struct ecs_err *err);

/* ---- layer.c: unpacking one layer blob ---- */

/* Unpack the blob at `blob_fd` (compressed per `kind`) into the directory
 * `dir` (an existing, empty, canonical absolute path), converting whiteouts.
 * Verifies that the raw bytes hash to `want_hex` (and number `want_size`
 * unless it is -1) and the uncompressed tar to `want_diff_hex`. The caller
 * removes `dir` on failure. */
int layer_unpack(int blob_fd, enum oci_kind kind, const char *dir, const char *want_hex,
		 int64_t want_size, const char *want_diff_hex, struct ecs_err *err);
/* Extract an image archive (`docker save` output, an oci-archive; tar,
 * optionally gzip or zstd) from `archive_fd` into `dir` (an existing,
 * canonical absolute path). The archive is untrusted: only regular files and
 * directories are accepted (links and devices refuse it), ".." components
 * refuse it, leading '/' is stripped; files get mode 0600, directories 0700,
 * and owners, times and xattrs are ignored. The caller removes `dir` on
 * failure. */
int layer_extract_archive(int archive_fd, const char *dir, struct ecs_err *err);

/* ---- store.c: the content store (layers, blobs, records) ---- */
struct image;
struct layer_store {
	char *dir;     /* canonical DATADIR/layers */
	char *blobs;   /* canonical DATADIR/blobs */
	char *datadir; /* as given */
	int lock_fd;   /* DATADIR/store.lock, held shared while open */
};

/* Create DATADIR/layers/sha256 and DATADIR/blobs/sha256 as needed, take
 * the store lock shared (image_store_lock) until store_close(), and sweep
 * stale tmp- entries when no other request holds it. */
int store_open(const char *datadir, struct layer_store *st, struct ecs_err *err);
void store_close(struct layer_store *st);
/* "DIR/sha256/<hex>", malloc'd. */
int store_layer_path(const struct layer_store *st, const char *diff_hex, char **out,
		     struct ecs_err *err);
/* The unpacked directory of the layer with diff ID `diff_id` when it is in
 * the store (0), else -ENOENT (without touching err). */
int store_find_layer(const struct layer_store *st, const char *diff_id, char **out,
		     struct ecs_err *err);
/* Unpack the verified-on-the-fly blob at `blob_fd` (from its start) as
 * layer `layer` with diff ID `diff_id`; *out is its directory. */
int store_unpack_layer(const struct layer_store *st, int blob_fd, const struct oci_desc *layer,
		       const char *diff_id, char **out, struct ecs_err *err);
/* The unpacked directory of `layer` (whose diff ID is `diff_id`), unpacking
 * it from the layout at `layout_fd` if it is not in the store yet. */
int store_ensure_layer(const struct layer_store *st, int layout_fd, const struct oci_desc *layer,
		       const char *diff_id, char **out, struct ecs_err *err);
/* A new empty file blobs/tmp-XXXXXX (path in *path): returns its fd. */
int store_blob_tmp(const struct layer_store *st, char **path, struct ecs_err *err);
/* Read blobs/sha256/<hex> of `digest` and verify it; absent or damaged
 * (then deleted): -ENOENT without touching err. */
int store_blob_get(const struct layer_store *st, const char *digest, size_t max, char **buf,
		   size_t *len, struct ecs_err *err);
/* Store an already verified blob under its digest (no-op when present). */
int store_blob_put(const struct layer_store *st, const char *digest, const char *buf, size_t len,
		   struct ecs_err *err);
/* Lock the download of blob `hex` (blobs/lock-<hex>) without waiting: the fd
 * to pass to store_blob_unlock(), or -EWOULDBLOCK when another process holds
 * it (callers poll until their deadline). */
int store_blob_lock(const struct layer_store *st, const char *hex, struct ecs_err *err);
void store_blob_unlock(const struct layer_store *st, const char *hex, int fd);
/* Record that `name` resolved to `img` (records.h): a new record when the
 * name is new, its manifest changed or `pulled`; else lastUsedAt only. */
int store_record(const struct layer_store *st, const char *name, const struct image *img,
		 const char *config_digest, char *const *diff_ids, bool pulled, struct ecs_err *err);

/* ---- layout.c ---- */

/* The entry of `idx` for this host (linux + host architecture; the only
 * entry when it has no platform). `what` names the index in errors. */
int oci_index_pick_platform(const struct oci_index *idx, const char *what, size_t *pick,
			    struct ecs_err *err);
/* image_resolve_local() in an open store, recording the image. */
int layout_resolve(struct layer_store *st, const char *ref, struct image *out,
		   struct ecs_err *err);

/* ---- user.c: passwd/group parsing ---- */

struct pw_ent {
	char *name;
	uid_t uid;
	gid_t gid;
};
struct gr_ent {
	char *name;
	gid_t gid;
	char **members; /* NULL-terminated */
};
struct userdb {
	struct pw_ent *users;
	size_t n_users;
	struct gr_ent *groups;
	size_t n_groups;
};
/* Parse passwd/group text (either may be NULL: absent file). Malformed
 * lines are skipped as libc does. */
int userdb_parse(const char *passwd, size_t passwd_len, const char *group, size_t group_len,
		 struct userdb *db, struct ecs_err *err);
void userdb_clear(struct userdb *db);
/* image_resolve_user() on an already parsed database. */
int userdb_resolve(const struct userdb *db, const char *spec, uid_t *uid, gid_t *gid,
		   gid_t **gids, size_t *n_gids, struct ecs_err *err);
