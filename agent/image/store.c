/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The content store under DATADIR (docs/images.md, "The store"):
 *
 *   layers/sha256/<diff-id hex>/   one directory per unpacked layer, shared
 *   blobs/sha256/<hex>             manifests, indexes and configs
 *   blobs/tmp-*, layers/tmp-*      work in progress
 *   blobs/lock-<hex>               a download of blob <hex> in progress
 *
 * A layer is unpacked into layers/tmp-XXXXXX and renamed into place once
 * complete and synced, so a directory under sha256/ is always whole; blobs
 * likewise go through blobs/tmp-XXXXXX. Leftovers of a crash are removed by
 * the next request that finds no other running: every request holds
 * DATADIR/store.lock shared (records.h), and only a moment's exclusive hold
 * sweeps.
 */
#include "autoconf.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "image.h"
#include "image/image-internal.h"
#include "image/records.h"
#include "log.h"

static void sweep(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		struct ecs_err e = { 0 };
		if (fs_rm_rf_at(dirfd(d), de->d_name, &e) < 0)
			log_debug("Removing stale %s/%s: %s", dir, de->d_name, err_msg(&e));
	}
	closedir(d);
}

static int make_dir(const char *datadir, const char *sub, char **canon, struct ecs_err *err)
{
	char path[PATH_MAX];
	int r;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/sha256", datadir, sub) >= sizeof(path))
		return err_set(err, ENAMETOOLONG, "data directory path too long");
	/* 0700: layers hold setuid binaries and must not be reachable by
	 * unprivileged users of the host. */
	if ((r = fs_mkdir_p(path, 0700, err)) < 0)
		return (err_wrap(err, "image store"), r);
	snprintf(path, sizeof(path), "%s/%s", datadir, sub);
	/* Canonical, so that libarchive's symlink check sees no symlink in the
	 * prefix of the paths it writes. */
	*canon = realpath(path, NULL);
	if (!*canon)
		return err_set_errno(err, errno, "image store %s", path);
	return 0;
}

int store_open(const char *datadir, struct layer_store *st, struct ecs_err *err)
{
	int r;
	*st = (struct layer_store){ .lock_fd = -1 };
	if ((r = make_dir(datadir, "layers", &st->dir, err)) < 0 ||
	    (r = make_dir(datadir, "blobs", &st->blobs, err)) < 0)
		goto fail;
	if (!(st->datadir = strdup(datadir))) {
		r = err_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = st->lock_fd = image_store_lock(datadir, false, err)) < 0) {
		st->lock_fd = -1;
		goto fail;
	}
	/* A failed upgrade drops the shared lock (flock conversions are not
	 * atomic), so it is taken again below either way; until then this
	 * request has nothing in the store to lose. */
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0) {
		sweep(st->dir, "tmp-");
		sweep(st->blobs, "tmp-");
		sweep(st->blobs, "lock-");
	}
	while (flock(st->lock_fd, LOCK_SH) < 0) {
		if (errno == EINTR)
			continue;
		r = err_set_errno(err, errno, "locking %s/store.lock", datadir);
		goto fail;
	}
	return 0;
fail:
	store_close(st);
	return r;
}

void store_close(struct layer_store *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->dir);
	free(st->blobs);
	free(st->datadir);
	*st = (struct layer_store){ .lock_fd = -1 };
}

int store_layer_path(const struct layer_store *st, const char *diff_hex, char **out,
		     struct ecs_err *err)
{
	if (asprintf(out, "%s/sha256/%s", st->dir, diff_hex) < 0) {
		*out = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int store_find_layer(const struct layer_store *st, const char *diff_id, char **out,
		     struct ecs_err *err)
{
	char diff_hex[DIGEST_HEX_LEN + 1];
	int r;
	*out = NULL;
	if ((r = digest_parse(diff_id, diff_hex, err)) < 0)
		return (err_wrap(err, "layer"), r);
	_cleanup_free_ char *path = NULL;
	if ((r = store_layer_path(st, diff_hex, &path, err)) < 0)
		return r;
	struct stat sb;
	if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return -ENOENT;
	*out = TAKE_PTR(path);
	return 0;
}

static int check_layer_desc(const struct oci_desc *layer, const char *diff_id, char *hex,
			    char *diff_hex, enum oci_kind *kind, struct ecs_err *err)
{
	int r;
	if ((r = digest_parse(layer->digest, hex, err)) < 0 ||
	    (r = digest_parse(diff_id, diff_hex, err)) < 0)
		return (err_wrap(err, "layer"), r);
	*kind = oci_media_kind(layer->media_type);
	if (*kind != OCI_LAYER_TAR && *kind != OCI_LAYER_GZIP && *kind != OCI_LAYER_ZSTD)
		return err_set(err, ENOTSUP, "layer %s: unsupported media type %s", layer->digest,
			       layer->media_type ? layer->media_type : "(none)");
	return 0;
}

int store_unpack_layer(const struct layer_store *st, int blob_fd, const struct oci_desc *layer,
		       const char *diff_id, char **out, struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1], diff_hex[DIGEST_HEX_LEN + 1];
	enum oci_kind kind;
	int r;
	*out = NULL;
	if ((r = check_layer_desc(layer, diff_id, hex, diff_hex, &kind, err)) < 0)
		return r;
	_cleanup_free_ char *final = NULL, *tmp = NULL;
	if ((r = store_layer_path(st, diff_hex, &final, err)) < 0)
		return r;
	if (asprintf(&tmp, "%s/tmp-XXXXXX", st->dir) < 0) {
		tmp = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	if (!mkdtemp(tmp))
		return err_set_errno(err, errno, "creating a directory in %s", st->dir);
	(void)chmod(tmp, 0755);
	r = layer_unpack(blob_fd, kind, tmp, hex, layer->size, diff_hex, err);
	if (r == 0) {
		_cleanup_close_ int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (tfd < 0 || syncfs(tfd) < 0)
			r = err_set_errno(err, errno, "syncing %s", tmp);
	}
	if (r == 0 && rename(tmp, final) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			log_debug("Layer %s was unpacked concurrently", diff_id);
		else
			r = err_set_errno(err, errno, "renaming %s to %s", tmp, final);
		fs_rm_rf(tmp, NULL);
	}
	if (r < 0) {
		fs_rm_rf(tmp, NULL);
		return (err_wrap(err, "unpacking layer %s", layer->digest), r);
	}
	*out = TAKE_PTR(final);
	return 0;
}

int store_ensure_layer(const struct layer_store *st, int layout_fd, const struct oci_desc *layer,
		       const char *diff_id, char **out, struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1], diff_hex[DIGEST_HEX_LEN + 1];
	enum oci_kind kind;
	int r;
	*out = NULL;
	if ((r = check_layer_desc(layer, diff_id, hex, diff_hex, &kind, err)) < 0)
		return r;
	if ((r = store_find_layer(st, diff_id, out, err)) != -ENOENT)
		return r;

	char blob[16 + DIGEST_HEX_LEN];
	struct stat sb;
	snprintf(blob, sizeof(blob), "blobs/sha256/%s", hex);
	_cleanup_close_ int fd = openat(layout_fd, blob, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set_errno(err, errno, "layer blob %s", layer->digest);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return err_set(err, EINVAL, "layer blob %s is not a regular file", layer->digest);
	return store_unpack_layer(st, fd, layer, diff_id, out, err);
}

/* ---- blobs ---- */

int store_blob_tmp(const struct layer_store *st, char **path, struct ecs_err *err)
{
	if (asprintf(path, "%s/tmp-XXXXXX", st->blobs) < 0) {
		*path = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	int fd = mkostemp(*path, O_CLOEXEC);
	if (fd < 0) {
		int r = err_set_errno(err, errno, "creating a file in %s", st->blobs);
		free(*path);
		*path = NULL;
		return r;
	}
	return fd;
}

int store_blob_get(const struct layer_store *st, const char *digest, size_t max, char **buf,
		   size_t *len, struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1], path[PATH_MAX];
	int r;
	*buf = NULL;
	*len = 0;
	if ((r = digest_parse(digest, hex, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/sha256/%s", st->blobs, hex);
	_cleanup_free_ char *b = NULL;
	size_t n = 0;
	if ((r = file_read_all(path, max, &b, &n, NULL)) < 0)
		return r == -ENOENT ? -ENOENT : err_set_errno(err, -r, "reading blob %s", digest);
	if (digest_buf_hex(b, n, got) < 0)
		return err_set(err, EIO, "hashing blob %s failed", digest);
	if (strcmp(got, hex) != 0) {
		/* Damaged on disk: forget it, the caller fetches it again. */
		log_debug("Blob %s in the store has digest sha256:%s; removing it", digest, got);
		(void)unlink(path);
		return -ENOENT;
	}
	*buf = TAKE_PTR(b);
	*len = n;
	return 0;
}

int store_blob_put(const struct layer_store *st, const char *digest, const char *buf, size_t len,
		   struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1], path[PATH_MAX];
	int r;
	if ((r = digest_parse(digest, hex, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/sha256/%s", st->blobs, hex);
	if (access(path, F_OK) == 0)
		return 0;
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = store_blob_tmp(st, &tmp, err);
	if (fd < 0)
		return fd;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = err_set_errno(err, errno, "writing blob %s", digest);
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		r = err_set_errno(err, errno, "storing blob %s", digest);
		goto fail;
	}
	return 0;
fail:
	(void)unlink(tmp);
	return r;
}

/* The lock file of a blob download. It is unlinked by its holder when done
 * (so they do not pile up); a waiter that then gets the lock of the unlinked
 * file notices the inode changed and locks the new one. */
int store_blob_lock(const struct layer_store *st, const char *hex, struct ecs_err *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/lock-%s", st->blobs, hex);
	for (;;) {
		_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return err_set_errno(err, errno, "opening %s", path);
		while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EWOULDBLOCK)
				return -EWOULDBLOCK;
			return err_set_errno(err, errno, "locking %s", path);
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return TAKE_FD(fd);
	}
}

void store_blob_unlock(const struct layer_store *st, const char *hex, int fd)
{
	if (fd < 0)
		return;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/lock-%s", st->blobs, hex);
	(void)unlink(path);
	close(fd);
}

/* ---- records ---- */

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __thread int64_t du_total;

static int du_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	du_total += (int64_t)sb->st_blocks * 512;
	return 0;
}

/* Disk usage of the unpacked layers (hard links inside a layer counted
 * each time: an estimate for `image ls`, not an accounting). */
static int64_t layers_size(char *const *dirs)
{
	int64_t total = 0;
	for (size_t i = 0; dirs && dirs[i]; i++) {
		du_total = 0;
		if (nftw(dirs[i], du_one, 16, FTW_PHYS | FTW_MOUNT) == 0)
			total += du_total;
	}
	return total;
}

int store_record(const struct layer_store *st, const char *name, const struct image *img,
		 const char *config_digest, char *const *diff_ids, bool pulled, struct ecs_err *err)
{
	struct image_record old = { 0 };
	int64_t now = wall_ms();
	int r = image_record_load(st->datadir, name, &old, NULL);
	if (r == 0 && !pulled && old.manifest_digest && strcmp(old.manifest_digest, img->digest) == 0) {
		old.last_used_ms = now;
		r = image_record_save(st->datadir, &old, err);
		image_record_clear(&old);
		return r;
	}
	image_record_clear(&old);
	size_t n = 0;
	while (diff_ids && diff_ids[n])
		n++;
	struct image_record rec = {
		.name = (char *)name,
		.manifest_digest = img->digest,
		.config_digest = (char *)config_digest,
		.layers = (char **)diff_ids,
		.n_layers = n,
		.size = layers_size(img->layer_dirs),
		.pulled_at_ms = now,
		.last_used_ms = now,
	};
	return image_record_save(st->datadir, &rec, err);
}
