/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image records (records.h): DATADIR/images/<sha256 of name>.json.
 *
 * The file name is the hash of the name so that any name (registry ports,
 * '/', "oci-layout:/abs/path") maps to one safe file name. A record whose
 * stored name does not hash to its file name is treated as unreadable: it
 * could not be found, replaced or removed by name.
 *
 * Digests are validated on parse because the collector builds blob and
 * layer paths from them.
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
#include <time.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "image/records.h"
#include "json.h"
#include "log.h"

/* A record names at most a few hundred layers; anything bigger is not ours. */
#define RECORD_MAX (1u << 20)
#define RECORD_SUFFIX ".json"

void image_record_clear(struct image_record *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->manifest_digest);
	free(r->config_digest);
	oci_strv_free(r->layers);
	*r = (struct image_record){ 0 };
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "<sha256 hex of name>.json" */
static int record_file_name(const char *name, char out[DIGEST_HEX_LEN + sizeof(RECORD_SUFFIX)],
			    struct ecs_err *err)
{
	if (!name || !*name)
		return err_set(err, EINVAL, "image record without a name");
	if (digest_buf_hex(name, strlen(name), out) < 0)
		return err_set(err, EIO, "hashing image name failed");
	memcpy(out + DIGEST_HEX_LEN, RECORD_SUFFIX, sizeof(RECORD_SUFFIX));
	return 0;
}

static int images_dir(const char *datadir, char *out, size_t size, struct ecs_err *err)
{
	if ((size_t)snprintf(out, size, "%s/images", datadir) >= size)
		return err_set(err, ENAMETOOLONG, "data directory path too long");
	return 0;
}

static int parse_digest_member(const json_node *root, const char *key, char **out,
			       struct ecs_err *err)
{
	char hex[DIGEST_HEX_LEN + 1];
	const char *s = json_string(json_get(root, key));
	if (!s)
		return err_set(err, EINVAL, "image record: %s is missing or not a string", key);
	int r = digest_parse(s, hex, err);
	if (r < 0)
		return (err_wrap(err, "image record: %s", key), r);
	if (!(*out = strdup(s)))
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}

static int parse_int_member(const json_node *root, const char *key, int64_t *out,
			    struct ecs_err *err)
{
	if (!json_integer(json_get(root, key), out) || *out < 0)
		return err_set(err, EINVAL, "image record: %s is missing or not a non-negative integer",
			       key);
	return 0;
}

int image_record_parse(const char *json, size_t len, struct image_record *out,
		       struct ecs_err *err)
{
	*out = (struct image_record){ 0 };
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(json, len, err);
	if (!doc)
		return (err_wrap(err, "image record"), -EINVAL);
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_OBJECT)
		return err_set(err, EINVAL, "image record is not a JSON object");

	struct image_record r = { 0 };
	int rc;
	const char *name = json_string(json_get(root, "name"));
	if (!name || !*name)
		return err_set(err, EINVAL, "image record: name is missing or empty");
	if (!(r.name = strdup(name)))
		return err_set(err, ENOMEM, "out of memory");
	if ((rc = parse_digest_member(root, "manifestDigest", &r.manifest_digest, err)) < 0 ||
	    (rc = parse_digest_member(root, "configDigest", &r.config_digest, err)) < 0 ||
	    (rc = parse_int_member(root, "size", &r.size, err)) < 0 ||
	    (rc = parse_int_member(root, "pulledAt", &r.pulled_at_ms, err)) < 0 ||
	    (rc = parse_int_member(root, "lastUsedAt", &r.last_used_ms, err)) < 0)
		goto fail;

	const json_node *layers = json_get(root, "layers");
	if (json_type(layers) != JSON_ARRAY) {
		rc = err_set(err, EINVAL, "image record: layers is missing or not an array");
		goto fail;
	}
	size_t n = json_array_size(layers);
	if (!(r.layers = calloc(n + 1, sizeof(*r.layers)))) {
		rc = err_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		char hex[DIGEST_HEX_LEN + 1];
		const char *s = json_string(json_array_get(layers, i));
		if (!s) {
			rc = err_set(err, EINVAL, "image record: layer %zu is not a string", i);
			goto fail;
		}
		if ((rc = digest_parse(s, hex, err)) < 0) {
			err_wrap(err, "image record: layer %zu", i);
			goto fail;
		}
		if (!(r.layers[i] = strdup(s))) {
			rc = err_set(err, ENOMEM, "out of memory");
			goto fail;
		}
		r.n_layers = i + 1;
	}
	*out = r;
	return 0;
fail:
	image_record_clear(&r);
	/* Every malformed record is -EINVAL to callers ("treat as absent"),
	 * including an unsupported digest algorithm. */
	return rc == -ENOMEM ? rc : -EINVAL;
}

char *image_record_to_json(const struct image_record *r, struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	json_w_object_begin(w);
	json_w_key(w, "name");
	json_w_string(w, r->name ? r->name : "");
	json_w_key(w, "manifestDigest");
	json_w_string(w, r->manifest_digest ? r->manifest_digest : "");
	json_w_key(w, "configDigest");
	json_w_string(w, r->config_digest ? r->config_digest : "");
	json_w_key(w, "layers");
	json_w_array_begin(w);
	for (size_t i = 0; r->layers && i < r->n_layers && r->layers[i]; i++)
		json_w_string(w, r->layers[i]);
	json_w_array_end(w);
	json_w_key(w, "size");
	json_w_int(w, r->size);
	json_w_key(w, "pulledAt");
	json_w_int(w, r->pulled_at_ms);
	json_w_key(w, "lastUsedAt");
	json_w_int(w, r->last_used_ms);
	json_w_object_end(w);
	return json_writer_finish(w, NULL, err);
}

/* Read and parse the record file `fname` below the images directory. The
 * stored name must hash to `fname`. */
static int read_record_at(int dirfd, const char *fname, struct image_record *out,
			  struct ecs_err *err)
{
	*out = (struct image_record){ 0 };
	_cleanup_close_ int fd = openat(dirfd, fname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : err_set_errno(err, errno, "image record %s", fname);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_set_errno(err, errno, "image record %s", fname);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > RECORD_MAX)
		return err_set(err, EINVAL, "image record %s is not a small regular file", fname);
	_cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return err_set(err, ENOMEM, "out of memory");
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(err, errno, "reading image record %s", fname);
		if (n == 0 || (used += (size_t)n) == (size_t)st.st_size)
			break;
	}
	int r = image_record_parse(buf, used, out, err);
	if (r < 0)
		return r == -ENOMEM ? r : (err_wrap(err, "%s", fname), -EINVAL);
	char want[DIGEST_HEX_LEN + sizeof(RECORD_SUFFIX)];
	if ((r = record_file_name(out->name, want, err)) < 0 || strcmp(want, fname) != 0) {
		image_record_clear(out);
		return r < 0 ? r : err_set(err, EINVAL, "image record %s holds another name", fname);
	}
	return 0;
}

static int open_images_dir(const char *datadir, bool create, struct ecs_err *err)
{
	char path[PATH_MAX];
	int r = images_dir(datadir, path, sizeof(path), err);
	if (r < 0)
		return r;
	if (create && (r = fs_mkdir_p(path, 0700, err)) < 0)
		return (err_wrap(err, "image records"), r);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT && !create ? -ENOENT
						  : err_set_errno(err, errno, "image records %s", path);
	return fd;
}

int image_record_load(const char *datadir, const char *name, struct image_record *out,
		      struct ecs_err *err)
{
	char fname[DIGEST_HEX_LEN + sizeof(RECORD_SUFFIX)];
	*out = (struct image_record){ 0 };
	int r = record_file_name(name, fname, err);
	if (r < 0)
		return r;
	_cleanup_close_ int dfd = open_images_dir(datadir, false, err);
	if (dfd == -ENOENT)
		return err_set(err, ENOENT, "no image record for %s", name);
	if (dfd < 0)
		return dfd;
	r = read_record_at(dfd, fname, out, err);
	if (r == -ENOENT)
		return err_set(err, ENOENT, "no image record for %s", name);
	if (r < 0)
		return (err_wrap(err, "image %s", name), r == -ENOMEM ? r : -EINVAL);
	return 0;
}

int image_record_save(const char *datadir, const struct image_record *r, struct ecs_err *err)
{
	char fname[DIGEST_HEX_LEN + sizeof(RECORD_SUFFIX)];
	int rc = record_file_name(r->name, fname, err);
	if (rc < 0)
		return rc;
	_cleanup_free_ char *text = image_record_to_json(r, err);
	if (!text)
		return (err_wrap(err, "image record %s", r->name), -EINVAL);
	/* What we write must read back: refuse bad digests here rather than
	 * leave a record every reader skips. */
	struct image_record check;
	if ((rc = image_record_parse(text, strlen(text), &check, err)) < 0)
		return (err_wrap(err, "saving image %s", r->name), rc);
	image_record_clear(&check);

	_cleanup_close_ int dfd = open_images_dir(datadir, true, err);
	if (dfd < 0)
		return dfd;
	char dir[PATH_MAX], tmp[PATH_MAX];
	images_dir(datadir, dir, sizeof(dir), NULL);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/tmp-XXXXXX", dir) >= sizeof(tmp))
		return err_set(err, ENAMETOOLONG, "data directory path too long");
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "creating a file in %s", dir);
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(err, errno, "writing %s", tmp);
			goto fail;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
		rc = err_set_errno(err, errno, "writing %s", tmp);
		goto fail;
	}
	if (renameat(dfd, strrchr(tmp, '/') + 1, dfd, fname) < 0) {
		rc = err_set_errno(err, errno, "renaming %s into place", tmp);
		goto fail;
	}
	/* The rename itself must survive a crash too. */
	if (fsync(dfd) < 0)
		return err_set_errno(err, errno, "syncing %s", dir);
	return 0;
fail:
	unlink(tmp);
	return rc;
}

int image_record_touch(const char *datadir, const char *name, struct ecs_err *err)
{
	struct image_record r;
	int rc = image_record_load(datadir, name, &r, err);
	if (rc < 0)
		return rc;
	r.last_used_ms = now_ms();
	rc = image_record_save(datadir, &r, err);
	image_record_clear(&r);
	return rc;
}

int image_record_remove(const char *datadir, const char *name, struct ecs_err *err)
{
	char fname[DIGEST_HEX_LEN + sizeof(RECORD_SUFFIX)];
	int r = record_file_name(name, fname, err);
	if (r < 0)
		return r;
	_cleanup_close_ int dfd = open_images_dir(datadir, false, err);
	if (dfd == -ENOENT)
		return err_set(err, ENOENT, "no image record for %s", name);
	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, fname, 0) < 0)
		return errno == ENOENT ? err_set(err, ENOENT, "no image record for %s", name)
				       : err_set_errno(err, errno, "removing the record of %s", name);
	if (fsync(dfd) < 0)
		return err_set_errno(err, errno, "syncing the image records");
	return 0;
}

static bool is_record_file(const char *s)
{
	return strlen(s) == DIGEST_HEX_LEN + strlen(RECORD_SUFFIX) &&
	       strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN &&
	       strcmp(s + DIGEST_HEX_LEN, RECORD_SUFFIX) == 0;
}

void image_record_list_free(struct image_record *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		image_record_clear(&v[i]);
	free(v);
}

int image_record_list(const char *datadir, struct image_record **out, size_t *n,
		      struct ecs_err *err)
{
	*out = NULL;
	*n = 0;
	int dfd = open_images_dir(datadir, false, err);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	DIR *d = fdopendir(dfd);
	if (!d) {
		int r = err_set_errno(err, errno, "reading the image records");
		close(dfd);
		return r;
	}
	struct image_record *v = NULL;
	size_t used = 0, cap = 0;
	int r = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				r = err_set_errno(err, errno, "reading the image records");
			break;
		}
		if (!is_record_file(de->d_name))
			continue;
		if (used == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct image_record *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				r = err_set(err, ENOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = ncap;
		}
		struct ecs_err e = { 0 };
		int rr = read_record_at(dirfd(d), de->d_name, &v[used], &e);
		if (rr == -ENOMEM) {
			r = err_set(err, ENOMEM, "out of memory");
			break;
		}
		if (rr < 0) {
			if (rr != -ENOENT) /* removed while listing: not an error */
				log_debug("Skipping image record: %s", err_msg(&e));
			continue;
		}
		used++;
	}
	closedir(d);
	if (r < 0) {
		image_record_list_free(v, used);
		return r;
	}
	*out = v;
	*n = used;
	return 0;
}

int image_store_lock(const char *datadir, bool exclusive, struct ecs_err *err)
{
	char path[PATH_MAX];
	int r;
	if ((r = fs_mkdir_p(datadir, 0700, err)) < 0)
		return (err_wrap(err, "store lock"), r);
	if ((size_t)snprintf(path, sizeof(path), "%s/store.lock", datadir) >= sizeof(path))
		return err_set(err, ENAMETOOLONG, "data directory path too long");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return err_set_errno(err, errno, "opening %s", path);
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno == EINTR)
			continue;
		r = err_set_errno(err, errno, "locking %s", path);
		close(fd);
		return r;
	}
	return fd;
}
