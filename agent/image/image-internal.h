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

/* ---- store.c: the layer store ---- */
struct layer_store {
	char *dir;   /* canonical DATADIR/layers */
	int lock_fd; /* shared flock held while open */
};

/* Create DATADIR/layers/sha256 as needed, sweep stale tmp- directories when
 * no other resolve runs, and hold the store's shared lock until
 * store_close(). */
int store_open(const char *datadir, struct layer_store *st, struct ecs_err *err);
void store_close(struct layer_store *st);
/* "DIR/sha256/<hex>", malloc'd. */
int store_layer_path(const struct layer_store *st, const char *diff_hex, char **out,
		     struct ecs_err *err);
/* The unpacked directory of `layer` (whose diff ID is `diff_id`), unpacking
 * it from the layout at `layout_fd` if it is not in the store yet. */
int store_ensure_layer(const struct layer_store *st, int layout_fd, const struct oci_desc *layer,
		       const char *diff_id, char **out, struct ecs_err *err);

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
