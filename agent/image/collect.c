/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector behind rm and gc (manage.h): removes the blobs and layers
 * no image record references.
 *
 * It keeps what a remaining record names: its manifest (and, when that blob
 * is an index, every manifest the index lists: they are small and a resolve
 * may need the platform one), its config and its layers by diff ID.
 * Everything else under blobs/sha256 and layers/sha256 goes, except tmp-*
 * entries, which belong to pulls (none runs: the caller holds the store
 * lock exclusively, and pulls hold it shared).
 */
#include "autoconf.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "image/manage.h"
#include "image/records.h"

int64_t manage_tree_bytes(int at, const char *name)
{
	struct stat st;
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? (int64_t)st.st_size : 0;
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	int64_t total = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			total += manage_tree_bytes(dirfd(d), de->d_name);
	closedir(d);
	return total;
}

/* Temporary directories of loads that died: no load runs while the lock
 * is held exclusively. */
static void sweep_loads(const char *datadir)
{
	DIR *d = opendir(datadir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "tmp-load-", 9) == 0)
			(void)fs_rm_rf_at(dirfd(d), de->d_name, NULL);
	closedir(d);
}


struct hexset {
	char (*v)[DIGEST_HEX_LEN + 1];
	size_t n, cap;
};

static int hexset_add(struct hexset *s, const char *digest)
{
	char hex[DIGEST_HEX_LEN + 1];
	if (digest_parse(digest, hex, NULL) < 0)
		return 0; /* records are validated; an index may name odd things */
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *nv = realloc(s->v, cap * sizeof(*s->v));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	memcpy(s->v[s->n++], hex, sizeof(hex));
	return 0;
}

static bool hexset_has(const struct hexset *s, const char *hex)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], hex) == 0)
			return true;
	return false;
}

/* Read blobs/sha256/<hex> when it is a small regular file. */
static int read_blob_file(int blobs_fd, const char *hex, char **buf, size_t *len)
{
	*buf = NULL;
	_cleanup_close_ int fd = openat(blobs_fd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > IMAGE_JSON_MAX)
		return -EINVAL;
	_cleanup_free_ char *b = malloc((size_t)st.st_size + 1);
	if (!b)
		return -ENOMEM;
	size_t used = 0;
	while (used < (size_t)st.st_size) {
		ssize_t n = read(fd, b + used, (size_t)st.st_size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	b[used] = '\0';
	*buf = TAKE_PTR(b);
	*len = used;
	return 0;
}

/* The children of the index blob `digest`, if it is one. */
static int add_index_children(struct hexset *s, int blobs_fd, const char *digest)
{
	char hex[DIGEST_HEX_LEN + 1];
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (blobs_fd < 0 || digest_parse(digest, hex, NULL) < 0 ||
	    read_blob_file(blobs_fd, hex, &buf, &len) < 0)
		return 0;
	if (oci_document_kind(buf, len) != OCI_INDEX)
		return 0;
	struct oci_index idx;
	if (oci_index_parse(buf, len, &idx, NULL) < 0)
		return 0;
	int r = 0;
	for (size_t i = 0; i < idx.n_manifests && r == 0; i++)
		r = hexset_add(s, idx.manifests[i].digest);
	oci_index_clear(&idx);
	return r;
}

/* Delete every entry of DATADIR/SUB/sha256 not in `live`; adds the bytes
 * freed to *freed. Failures to delete one entry are reported and skipped. */
static int sweep_unreferenced(const char *datadir, const char *sub, const struct hexset *live,
			      int64_t *freed, struct ecs_err *err)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/sha256", datadir, sub) >= sizeof(path))
		return err_set(err, ENAMETOOLONG, "data directory path too long");
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_set_errno(err, errno, "%s", path);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_set_errno(err, errno, "%s", path);
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strncmp(n, "tmp-", 4) == 0)
			continue;
		if (hexset_has(live, n))
			continue;
		int64_t bytes = manage_tree_bytes(dirfd(d), n);
		struct ecs_err e = { 0 };
		if (fs_rm_rf_at(dirfd(d), n, &e) < 0) {
			fprintf(stderr, "Removing %s/%s: %s\n", path, n, err_msg(&e));
			r = -EIO;
			continue;
		}
		*freed += bytes;
	}
	closedir(d);
	if (r < 0)
		return err_set(err, EIO, "some unreferenced content in %s could not be removed", path);
	return 0;
}

int manage_collect(const char *datadir, int64_t *freed, struct ecs_err *err)
{
	struct image_record *v;
	size_t n;
	int r = image_record_list(datadir, &v, &n, err);
	if (r < 0)
		return (err_wrap(err, "collecting"), r);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/blobs/sha256", datadir);
	_cleanup_close_ int blobs_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct hexset blobs = { 0 }, layers = { 0 };
	for (size_t i = 0; i < n && r == 0; i++) {
		if ((r = hexset_add(&blobs, v[i].manifest_digest)) < 0 ||
		    (r = hexset_add(&blobs, v[i].config_digest)) < 0 ||
		    (r = add_index_children(&blobs, blobs_fd, v[i].manifest_digest)) < 0)
			break;
		for (size_t j = 0; j < v[i].n_layers && r == 0; j++)
			r = hexset_add(&layers, v[i].layers[j]);
	}
	image_record_list_free(v, n);
	if (r < 0)
		r = err_set(err, ENOMEM, "out of memory");
	sweep_loads(datadir);
	/* Both sweeps run even if the first fails: each frees what it can. */
	struct ecs_err e2 = { 0 };
	int r1 = r ? r : sweep_unreferenced(datadir, "layers", &layers, freed, err);
	int r2 = r ? r : sweep_unreferenced(datadir, "blobs", &blobs, freed, r1 < 0 ? &e2 : err);
	free(blobs.v);
	free(layers.v);
	return r1 < 0 ? r1 : r2;
}
