/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Container images, as far as the agent core needs them: an OCI image layout
 * on disk named by `oci-layout:PATH[:TAG]` (TAG matches the
 * org.opencontainers.image.ref.name annotation of index.json; without TAG
 * the index must hold exactly one manifest). Registry pulls come later
 * (issue 5) behind the same image_resolve().
 *
 * Resolving and unpacking run in a helper process, ecs-agent-image, which
 * alone links libarchive and libcrypto: untrusted archives and manifests are
 * never parsed inside the daemon, and the daemon does not carry those
 * libraries (a few MiB of its RSS). image_resolve() runs the helper;
 * image_resolve_local() is the work itself (the helper and the tests).
 *
 * Layers are unpacked once (libarchive; gzip, zstd and plain tar), keyed by
 * their diff ID, under DATADIR/layers/sha256/<hex>/ and shared by every
 * image and container; an unpack goes to a temporary directory renamed into
 * place, so a crash never leaves a half-unpacked layer that looks complete.
 * Whiteouts are converted for overlayfs. The container's root filesystem is
 * an overlay of the layers plus a per-container upper directory.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "error.h"

/* The parts of an image the agent uses. Strings are malloc'd. */
struct image {
	char *reference;        /* as given */
	char *digest;           /* manifest digest, "sha256:<hex>" */
	char **entrypoint;      /* NULL-terminated; NULL when the config has none */
	char **cmd;             /* NULL-terminated; NULL when none */
	char **env;             /* "K=V", NULL-terminated; NULL when none */
	char *working_dir;      /* NULL when unset */
	char *user;             /* NULL when unset */
	char **layer_dirs;      /* unpacked layers, lowest first, NULL-terminated */
	size_t n_layers;
};
void image_clear(struct image *img);
/* A deep copy (on failure *dst is empty). */
int image_copy(const struct image *src, struct image *dst, struct ecs_err *err);

/* Whether `ref` names an image source this build can read: "oci-layout:..."
 * or a well-formed registry reference (name.h). */
bool image_ref_supported(const char *ref);

/* Read the image named by `ref`, verifying every blob's sha256, and unpack
 * any layer not yet in DATADIR/layers. -ENOENT: no such layout/tag;
 * -ENOTSUP: unsupported reference or media type; -EINVAL: malformed layout
 * or digest mismatch (the message says which blob). */
int image_resolve_local(const char *datadir, const char *ref, struct image *out,
			struct ecs_err *err);
/* The same through the helper program `helper` (ecs-agent-image): errors
 * keep their code and message. */
int image_resolve(const char *helper, const char *datadir, const char *ref, struct image *out,
		  struct ecs_err *err);

/* Resolved images kept in memory by the daemon: a reference whose source
 * (the layout's index.json) is unchanged and whose layers are all present
 * is answered without running the helper. */
struct image_cache;
struct image_cache *image_cache_new(void);
void image_cache_free(struct image_cache *c);
int image_resolve_cached(struct image_cache *c, const char *helper, const char *datadir,
			 const char *ref, struct image *out, struct ecs_err *err);
/* The cache's parts: a hit copies the image into *out and returns 1, a miss
 * returns 0. Registry images are trusted only when `trust_registry` (the pull
 * behaviour is once or prefer-cached); layouts are checked by their index. */
int image_cache_lookup(struct image_cache *c, const char *ref, bool trust_registry,
		       struct image *out, struct ecs_err *err);
void image_cache_store(struct image_cache *c, const char *ref, const struct image *img);

/* One request to the helper (docs/images.md, "Helper protocol"). Strings may
 * be NULL (absent); credentials are sent on the helper's stdin only. */
struct image_request {
	const char *reference;
	const char *datadir;
	const char *pull_behavior;          /* "default", "always", "once", "prefer-cached" */
	const char *const *insecure_registries;
	size_t n_insecure_registries;
	const char *auth_type, *auth_data;  /* ECS_ENGINE_AUTH_TYPE / _DATA */
	const char *username, *password;    /* per-task credentials */
	const char *ca_file;
	uint64_t timeout_ms, inactivity_timeout_ms; /* 0: helper's default */
};
char *image_request_to_json(const struct image_request *rq, struct ecs_err *err);

/* Images resolved or pulled by the helper without blocking the daemon's
 * event loop. Requests for a reference already in flight wait for that one;
 * answers go into the cache. */
struct image_fetcher;
struct image_fetch;
typedef void (*image_fetch_fn)(void *ud, const struct image *img, const struct ecs_err *err);
struct image_fetcher *image_fetcher_new(sd_event *ev, const char *helper,
					struct image_cache *cache);
/* Kills helpers still running and drops their waiters without calling them. */
void image_fetcher_free(struct image_fetcher *f);
/* Answer from the cache (1, *out filled) or start/join a helper run (0,
 * *handle set; `fn` is called once, later, from the event loop, unless the
 * handle is cancelled first). */
int image_fetch(struct image_fetcher *f, const struct image_request *rq, struct image *out,
		image_fetch_fn fn, void *ud, struct image_fetch **handle, struct ecs_err *err);
/* Whether a helper run is in flight. */
bool image_fetcher_busy(const struct image_fetcher *f);
/* Whether image_fetch() may answer from the cache (on by default; off while
 * an image collection runs). */
void image_fetcher_use_cache(struct image_fetcher *f, bool on);
/* Stop waiting (NULL is fine). The helper keeps running for other waiters,
 * or finishes on its own and is reaped by the daemon's SIGCHLD handler. */
void image_fetch_cancel(struct image_fetch *h);

/* The helper's output for `img` (JSON, malloc'd), and its parser: the
 * protocol between ecs-agent-image and image_resolve(). An error travels as
 * {"error":{"code":ERRNO,"message":TEXT}}. */
char *image_to_json(const struct image *img, struct ecs_err *err);
int image_from_json(const char *json, size_t len, struct image *out, struct ecs_err *err);

/* Mount the container's root filesystem at DIR/rootfs as an overlay of the
 * image layers with DIR/upper and DIR/work (created as needed). Already
 * mounted: 0. */
int rootfs_mount(const struct image *img, const char *dir, struct ecs_err *err);
/* Unmount DIR/rootfs (MNT_DETACH if busy) and remove DIR/upper, DIR/work and
 * DIR/rootfs. Nothing mounted/present: 0. */
int rootfs_remove(const char *dir, struct ecs_err *err);
/* Whether `path` is a mount point (per /proc/self/mountinfo). */
bool rootfs_is_mounted(const char *path);

/* Resolve a Docker-style user spec ("name", "uid", "name:group",
 * "uid:gid", "name:gid"...) against ROOTFS/etc/passwd and ROOTFS/etc/group
 * (read without following symlinks out of the rootfs). A numeric uid not in
 * passwd is allowed (gid 0); a name not found is -ENOENT with a message
 * naming it. Supplementary groups are the groups listing the user.
 * *gids is malloc'd (may be NULL with *n_gids 0). NULL/empty spec: root. */
int image_resolve_user(const char *rootfs, const char *spec, uid_t *uid, gid_t *gid,
		       gid_t **gids, size_t *n_gids, struct ecs_err *err);
