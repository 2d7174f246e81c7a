/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The layer store: DATADIR/layers/sha256/<diff-id hex>/, one directory per
 * unpacked layer, shared by every image and container.
 *
 * A layer is unpacked into DATADIR/layers/tmp-XXXXXX and renamed into place
 * once complete and synced, so a directory under sha256/ is always whole.
 * Leftover tmp- directories (a crash mid-unpack) are removed by the next
 * resolve that finds no other resolve running: resolves hold a shared flock
 * on DATADIR/layers/.lock while they unpack, and only the holder of the
 * exclusive lock sweeps.
 */
#include "autoconf.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "log.h"

static void sweep_tmp(const char *layers)
{
	DIR *d = opendir(layers);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "tmp-", 4) != 0)
			continue;
		struct ecs_err e = { 0 };
		if (fs_rm_rf_at(dirfd(d), de->d_name, &e) < 0)
			log_debug("Removing stale layer directory %s/%s: %s", layers, de->d_name,
				  err_msg(&e));
	}
	closedir(d);
}

int store_open(const char *datadir, struct layer_store *st, struct ecs_err *err)
{
	char path[PATH_MAX];
	int r;
	*st = (struct layer_store){ .lock_fd = -1 };
	if ((size_t)snprintf(path, sizeof(path), "%s/layers/sha256", datadir) >= sizeof(path))
		return err_set(err, ENAMETOOLONG, "data directory path too long");
	/* 0700: layers hold setuid binaries and must not be reachable by
	 * unprivileged users of the host. */
	if ((r = fs_mkdir_p(path, 0700, err)) < 0)
		return (err_wrap(err, "layer store"), r);
	snprintf(path, sizeof(path), "%s/layers", datadir);
	/* Canonical, so that libarchive's symlink check sees no symlink in the
	 * prefix of the paths it writes. */
	st->dir = realpath(path, NULL);
	if (!st->dir)
		return err_set_errno(err, errno, "layer store %s", path);
	snprintf(path, sizeof(path), "%s/.lock", st->dir);
	st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->lock_fd < 0) {
		r = err_set_errno(err, errno, "opening %s", path);
		store_close(st);
		return r;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0)
		sweep_tmp(st->dir);
	/* Converting to shared may briefly let another resolve sweep; this
	 * one has no tmp directory yet, so that is harmless. */
	while (flock(st->lock_fd, LOCK_SH) < 0) {
		if (errno == EINTR)
			continue;
		r = err_set_errno(err, errno, "locking %s", path);
		store_close(st);
		return r;
	}
	return 0;
}

void store_close(struct layer_store *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->dir);
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

int store_ensure_layer(const struct layer_store *st, int layout_fd, const struct oci_desc *layer,
		       const char *diff_id, char **out, struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1], diff_hex[DIGEST_HEX_LEN + 1];
	int r;
	*out = NULL;
	if ((r = digest_parse(layer->digest, hex, err)) < 0 ||
	    (r = digest_parse(diff_id, diff_hex, err)) < 0)
		return (err_wrap(err, "layer"), r);
	enum oci_kind kind = oci_media_kind(layer->media_type);
	if (kind != OCI_LAYER_TAR && kind != OCI_LAYER_GZIP && kind != OCI_LAYER_ZSTD)
		return err_set(err, ENOTSUP, "layer %s: unsupported media type %s", layer->digest,
			       layer->media_type ? layer->media_type : "(none)");
	_cleanup_free_ char *final = NULL;
	if ((r = store_layer_path(st, diff_hex, &final, err)) < 0)
		return r;
	struct stat sb;
	if (stat(final, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		*out = TAKE_PTR(final);
		return 0;
	}

	char blob[16 + DIGEST_HEX_LEN];
	snprintf(blob, sizeof(blob), "blobs/sha256/%s", hex);
	_cleanup_close_ int fd = openat(layout_fd, blob, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set_errno(err, errno, "layer blob %s", layer->digest);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return err_set(err, EINVAL, "layer blob %s is not a regular file", layer->digest);

	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s/tmp-XXXXXX", st->dir) < 0) {
		tmp = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	if (!mkdtemp(tmp))
		return err_set_errno(err, errno, "creating a directory in %s", st->dir);
	(void)chmod(tmp, 0755);
	r = layer_unpack(fd, kind, tmp, hex, layer->size, diff_hex, err);
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
