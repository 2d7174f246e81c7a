/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layer unpacking, the agent's only user of libarchive.
 *
 * One pass over the blob: an outer archive reads the raw blob through a
 * callback that hashes every byte (the blob digest) and decompresses it with
 * the "raw" format; an inner tar reader pulls the decompressed stream
 * through a second callback that hashes it again (the diff ID). Both hashes
 * are complete only after the streams are drained to their ends, which is
 * done after the tar's end-of-archive marker.
 *
 * Entries are written with archive_write_disk under the absolute layer
 * directory. Because the names are rewritten to absolute paths,
 * ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS cannot be used; its job is done
 * here instead: leading '/' is stripped and any ".." component refuses the
 * layer, before the prefix is added. SECURE_SYMLINKS keeps libarchive from
 * writing through a symlink the layer itself created (the directory prefix
 * is canonical, so it holds none).
 */
#include "autoconf.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image/image-internal.h"
#include "log.h"

#define LAYER_BUF (128 * 1024)
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"

DEFINE_CLEANUP(struct archive, archive_read_free)

struct blob_src {
	int fd;
	struct digest *dg;
	uint64_t bytes;
	unsigned char buf[LAYER_BUF];
};

struct tar_src {
	struct archive *outer;
	struct digest *dg;
	unsigned char buf[LAYER_BUF];
};

static la_ssize_t blob_read(struct archive *a, void *data, const void **out)
{
	struct blob_src *s = data;
	for (;;) {
		ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			archive_set_error(a, errno, "reading layer blob");
			return -1;
		}
		digest_update(s->dg, s->buf, (size_t)n);
		s->bytes += (uint64_t)n;
		*out = s->buf;
		return n;
	}
}

/* Next chunk of the decompressed stream, hashed. 0 at its end. */
static la_ssize_t tar_pull(struct tar_src *s)
{
	la_ssize_t n = archive_read_data(s->outer, s->buf, sizeof(s->buf));
	if (n > 0)
		digest_update(s->dg, s->buf, (size_t)n);
	return n;
}

static la_ssize_t tar_read(struct archive *a, void *data, const void **out)
{
	struct tar_src *s = data;
	la_ssize_t n = tar_pull(s);
	if (n < 0) {
		archive_set_error(a, archive_errno(s->outer) ? archive_errno(s->outer) : EIO, "%s",
				  archive_error_string(s->outer) ? archive_error_string(s->outer)
								 : "decompression failed");
		return -1;
	}
	*out = s->buf;
	return n;
}

/* Normalize an entry name: strip leading '/', drop "." and empty
 * components; ".." anywhere refuses the entry. "" is the layer root. */
static int norm_path(const char *in, char *out, size_t size, struct ecs_err *err)
{
	size_t used = 0;
	const char *p = in;
	out[0] = '\0';
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return err_set(err, EINVAL, "\"%.200s\" has a \"..\" component", in);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (used + n + 2 > size)
				return err_set(err, ENAMETOOLONG, "\"%.200s\" is too long", in);
			if (used)
				out[used++] = '/';
			memcpy(out + used, p, n);
			used += n;
			out[used] = '\0';
		}
		p = *end ? end + 1 : end;
	}
	return (int)used;
}

/* Split "a/b/c" into "a/b" (written into `parent`) and a pointer to "c". */
static const char *split_parent(const char *rel, char *parent, size_t size)
{
	const char *slash = strrchr(rel, '/');
	if (!slash) {
		parent[0] = '\0';
		return rel;
	}
	size_t n = (size_t)(slash - rel);
	if (n >= size)
		n = size - 1;
	memcpy(parent, rel, n);
	parent[n] = '\0';
	return slash + 1;
}

/* ".wh.NAME": an overlayfs whiteout is a 0/0 character device NAME. */
static int make_whiteout(int rootfd, const char *parent, const char *name, struct ecs_err *err)
{
	_cleanup_close_ int dfd = fs_open_dir_beneath(rootfd, parent, true, err);
	if (dfd < 0)
		return dfd;
	if (mknodat(dfd, name, S_IFCHR | 0, makedev(0, 0)) < 0) {
		/* The same layer also ships NAME: its own file wins, and it
		 * hides the lower one anyway. */
		if (errno == EEXIST)
			return 0;
		return err_set_errno(err, errno, "creating whiteout for %.200s/%.200s", parent, name);
	}
	return 0;
}

static int make_opaque(int rootfd, const char *parent, struct ecs_err *err)
{
	_cleanup_close_ int dfd = fs_open_dir_beneath(rootfd, parent, true, err);
	if (dfd < 0)
		return dfd;
	if (fsetxattr(dfd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return err_set_errno(err, errno, "marking %.200s opaque", *parent ? parent : "/");
	return 0;
}

/* A hardlink's target must already exist in this layer, reached without
 * following symlinks, and not be a directory. */
static int check_hardlink(int rootfd, const char *target, struct ecs_err *err)
{
	char parent[PATH_MAX];
	const char *base = split_parent(target, parent, sizeof(parent));
	if (!*base)
		return err_set(err, EINVAL, "hardlink to the layer root");
	_cleanup_close_ int dfd = fs_open_dir_beneath(rootfd, parent, false, err);
	if (dfd < 0)
		return (err_wrap(err, "hardlink target %.200s", target), dfd);
	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_set_errno(err, errno, "hardlink target %.200s", target);
	if (S_ISDIR(st.st_mode))
		return err_set(err, EINVAL, "hardlink target %.200s is a directory", target);
	return 0;
}

/* overlayfs interprets trusted.overlay.* itself; a layer must not be able to
 * plant redirects or metacopy markers. Opaque directories come only from
 * ".wh..wh..opq" entries. */
static int drop_overlay_xattrs(struct archive_entry *e, struct ecs_err *err)
{
	const char *name;
	const void *value;
	size_t size;
	int n = archive_entry_xattr_reset(e), bad = 0;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (strncmp(name, "trusted.overlay.", 16) == 0)
			bad++;
	if (!bad)
		return 0;
	struct kept {
		char *name;
		void *value;
		size_t size;
	} *kept = calloc((size_t)n, sizeof(*kept));
	if (!kept)
		return err_set(err, ENOMEM, "out of memory");
	size_t k = 0;
	int r = 0;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (strncmp(name, "trusted.overlay.", 16) == 0)
			continue;
		kept[k].name = strdup(name);
		kept[k].value = malloc(size ? size : 1);
		if (!kept[k].name || !kept[k].value) {
			free(kept[k].name);
			free(kept[k].value);
			r = err_set(err, ENOMEM, "out of memory");
			break;
		}
		memcpy(kept[k].value, value, size);
		kept[k++].size = size;
	}
	if (r == 0) {
		archive_entry_xattr_clear(e);
		for (size_t i = 0; i < k; i++)
			archive_entry_xattr_add_entry(e, kept[i].name, kept[i].value, kept[i].size);
	}
	for (size_t i = 0; i < k; i++) {
		free(kept[i].name);
		free(kept[i].value);
	}
	free(kept);
	return r;
}

static int copy_data(struct archive *in, struct archive *out, struct ecs_err *err)
{
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int r = archive_read_data_block(in, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return err_set(err, EINVAL, "reading layer: %s", archive_error_string(in));
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
			return err_set(err, EIO, "writing layer: %s", archive_error_string(out));
	}
}

static int extract_entry(struct archive *in, struct archive *out, struct archive_entry *e,
			 int rootfd, const char *dir, struct ecs_err *err)
{
	const char *name = archive_entry_pathname(e);
	if (!name)
		return err_set(err, EINVAL, "layer entry with an unreadable name");
	/* A copy: setting the pathname below frees the entry's string. */
	_cleanup_free_ char *raw = strdup(name);
	if (!raw)
		return err_set(err, ENOMEM, "out of memory");
	char rel[PATH_MAX], parent[PATH_MAX], full[PATH_MAX];
	int r = norm_path(raw, rel, sizeof(rel), err);
	if (r < 0)
		return (err_wrap(err, "layer entry"), r);

	const char *base = split_parent(rel, parent, sizeof(parent));
	if (strcmp(base, WHITEOUT_OPAQUE) == 0)
		return make_opaque(rootfd, parent, err);
	if (strncmp(base, WHITEOUT_PREFIX WHITEOUT_PREFIX, 8) == 0)
		return 0; /* other aufs metadata (.wh..wh.plnk...) means nothing here */
	if (strncmp(base, WHITEOUT_PREFIX, 4) == 0) {
		if (!base[4] || strcmp(base + 4, ".") == 0 || strcmp(base + 4, "..") == 0)
			return err_set(err, EINVAL, "layer entry \"%.200s\" is a bad whiteout", raw);
		return make_whiteout(rootfd, parent, base + 4, err);
	}

	const char *link = archive_entry_hardlink(e);
	if (link) {
		char lrel[PATH_MAX];
		if ((r = norm_path(link, lrel, sizeof(lrel), err)) < 0 ||
		    (r = check_hardlink(rootfd, lrel, err)) < 0)
			return (err_wrap(err, "layer entry \"%.200s\"", raw), r);
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, lrel) >= sizeof(full))
			return err_set(err, ENAMETOOLONG, "layer entry \"%.200s\" is too long", raw);
		archive_entry_set_hardlink(e, full);
	}
	if ((r = drop_overlay_xattrs(e, err)) < 0)
		return r;
	if ((size_t)snprintf(full, sizeof(full), "%s%s%s", dir, *rel ? "/" : "", rel) >= sizeof(full))
		return err_set(err, ENAMETOOLONG, "layer entry \"%.200s\" is too long", raw);
	archive_entry_set_pathname(e, full);

	r = archive_write_header(out, e);
	if (r < ARCHIVE_WARN)
		return err_set(err, archive_errno(out) > 0 ? archive_errno(out) : EINVAL,
			       "layer entry \"%.200s\": %s", raw, archive_error_string(out));
	if (r == ARCHIVE_WARN)
		log_debug("Layer entry %s: %s", raw, archive_error_string(out));
	if (archive_entry_size(e) > 0 && (r = copy_data(in, out, err)) < 0)
		return (err_wrap(err, "layer entry \"%.200s\"", raw), r);
	if (archive_write_finish_entry(out) < ARCHIVE_WARN)
		return err_set(err, EIO, "layer entry \"%.200s\": %s", raw, archive_error_string(out));
	return 0;
}

static int open_outer(struct archive **out, enum oci_kind kind, struct blob_src *src,
		      struct ecs_err *err)
{
	struct archive *a = archive_read_new();
	if (!a)
		return err_set(err, ENOMEM, "out of memory");
	int r = ARCHIVE_OK;
	if (kind == OCI_LAYER_GZIP)
		r = archive_read_support_filter_gzip(a);
	else if (kind == OCI_LAYER_ZSTD)
		r = archive_read_support_filter_zstd(a);
	/* ARCHIVE_WARN would mean "through an external program": not wanted
	 * inside the daemon. */
	if (r != ARCHIVE_OK || archive_read_support_format_raw(a) != ARCHIVE_OK) {
		archive_read_free(a);
		return err_set(err, ENOTSUP, "this libarchive cannot decompress the layer");
	}
	if (archive_read_open(a, src, NULL, blob_read, NULL) != ARCHIVE_OK) {
		r = err_set(err, EINVAL, "layer blob: %s", archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	struct archive_entry *e;
	if (archive_read_next_header(a, &e) != ARCHIVE_OK) {
		r = err_set(err, EINVAL, "layer blob: %s", archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	*out = a;
	return 0;
}

/* One entry of an archive being copied to disk: a layer's (whiteouts,
 * owners, modes) or an image archive's (plain files and directories). */
struct entry_ctx {
	int rootfd;
	const char *dir;
	int (*fn)(struct archive *in, struct archive *out, struct archive_entry *e,
		  const struct entry_ctx *ctx, struct ecs_err *err);
};

static int layer_entry(struct archive *in, struct archive *out, struct archive_entry *e,
		       const struct entry_ctx *ctx, struct ecs_err *err)
{
	return extract_entry(in, out, e, ctx->rootfd, ctx->dir, err);
}

/* Every entry of `in` through ctx->fn into `out`, then close `out` (which
 * applies directory modes and times); `what` names the archive in errors. */
static int copy_entries(struct archive *in, struct archive *out, const char *what,
			const struct entry_ctx *ctx, struct ecs_err *err)
{
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(in, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN)
			return err_set(err, EINVAL, "%s: %s", what, archive_error_string(in));
		int r = ctx->fn(in, out, e, ctx, err);
		if (r < 0)
			return r;
	}
	if (archive_write_close(out) < ARCHIVE_WARN)
		return err_set(err, EIO, "finishing %s: %s", what, archive_error_string(out));
	return 0;
}

static int extract_all(struct tar_src *ts, int rootfd, const char *dir, struct ecs_err *err)
{
	_cleanup_(archive_read_freep) struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	int r = 0;
	if (!in || !out) {
		r = err_set(err, ENOMEM, "out of memory");
		goto done;
	}
	archive_read_support_format_tar(in);
	/* Numeric owners as stored (no name lookup on the host), modes with
	 * setuid bits, times, xattrs (file capabilities). */
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
						    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
						    ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						    ARCHIVE_EXTRACT_SECURE_NODOTDOT);
	if (archive_read_open(in, ts, NULL, tar_read, NULL) != ARCHIVE_OK) {
		r = err_set(err, EINVAL, "layer tar: %s", archive_error_string(in));
		goto done;
	}
	struct entry_ctx ctx = { .rootfd = rootfd, .dir = dir, .fn = layer_entry };
	r = copy_entries(in, out, "layer tar", &ctx, err);
done:
	archive_write_free(out);
	return r;
}

int layer_unpack(int blob_fd, enum oci_kind kind, const char *dir, const char *want_hex,
		 int64_t want_size, const char *want_diff_hex, struct ecs_err *err)
{
	if (kind != OCI_LAYER_TAR && kind != OCI_LAYER_GZIP && kind != OCI_LAYER_ZSTD)
		return err_set(err, ENOTSUP, "unsupported layer media type");
	_cleanup_(digest_freep) struct digest *blob_dg = digest_new();
	_cleanup_(digest_freep) struct digest *diff_dg = digest_new();
	_cleanup_free_ struct blob_src *src = calloc(1, sizeof(*src));
	_cleanup_free_ struct tar_src *ts = calloc(1, sizeof(*ts));
	if (!blob_dg || !diff_dg || !src || !ts)
		return err_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return err_set_errno(err, errno, "%s", dir);
	src->fd = blob_fd;
	src->dg = blob_dg;

	_cleanup_(archive_read_freep) struct archive *outer = NULL;
	int r = open_outer(&outer, kind, src, err);
	if (r < 0)
		return r;
	ts->outer = outer;
	ts->dg = diff_dg;
	if ((r = extract_all(ts, rootfd, dir, err)) < 0)
		return r;

	/* The tar reader stops at its end marker; the digests cover every
	 * byte, so drain both streams. */
	la_ssize_t n;
	while ((n = tar_pull(ts)) > 0)
		;
	if (n < 0)
		return err_set(err, EINVAL, "layer blob: %s", archive_error_string(outer));
	const void *unused;
	while ((n = blob_read(outer, src, &unused)) > 0)
		;
	if (n < 0)
		return err_set_errno(err, EIO, "reading layer blob");

	if (want_size >= 0 && src->bytes != (uint64_t)want_size)
		return err_set(err, EINVAL, "layer blob sha256:%s has %llu bytes, not %lld", want_hex,
			       (unsigned long long)src->bytes, (long long)want_size);
	char got[DIGEST_HEX_LEN + 1];
	if (digest_final_hex(blob_dg, got) < 0)
		return err_set(err, EIO, "hashing layer blob failed");
	if (strcmp(got, want_hex) != 0)
		return err_set(err, EINVAL, "layer blob sha256:%s has digest sha256:%s", want_hex, got);
	if (digest_final_hex(diff_dg, got) < 0)
		return err_set(err, EIO, "hashing layer failed");
	if (strcmp(got, want_diff_hex) != 0)
		return err_set(err, EINVAL, "layer blob sha256:%s: uncompressed digest sha256:%s is not the diff ID sha256:%s",
			       want_hex, got, want_diff_hex);
	return 0;
}

/* ---- image archives (ecs-agent-image load) ---- */

/* An archive entry allowed in an image archive: a plain file or a
 * directory. Links could redirect later reads, devices have no business in
 * `docker save` or oci-archive output. */
static int archive_entry_kind_ok(struct archive_entry *e, const char *raw, struct ecs_err *err)
{
	if (archive_entry_hardlink(e))
		return err_set(err, EINVAL, "archive entry \"%.200s\" is a hard link: refused", raw);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
	case AE_IFDIR:
		return 0;
	case AE_IFLNK:
		return err_set(err, EINVAL, "archive entry \"%.200s\" is a symbolic link: refused", raw);
	default:
		return err_set(err, EINVAL, "archive entry \"%.200s\" is not a file or directory: refused",
			       raw);
	}
}

static int extract_plain_entry(struct archive *in, struct archive *out, struct archive_entry *e,
			       const char *dir, struct ecs_err *err)
{
	const char *name = archive_entry_pathname(e);
	if (!name)
		return err_set(err, EINVAL, "archive entry with an unreadable name");
	_cleanup_free_ char *raw = strdup(name);
	if (!raw)
		return err_set(err, ENOMEM, "out of memory");
	char rel[PATH_MAX], full[PATH_MAX];
	int r = archive_entry_kind_ok(e, raw, err);
	if (r < 0)
		return r;
	if ((r = norm_path(raw, rel, sizeof(rel), err)) < 0)
		return (err_wrap(err, "archive entry"), r);
	if (!*rel)
		return 0; /* "./": the directory itself */
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, rel) >= sizeof(full))
		return err_set(err, ENAMETOOLONG, "archive entry \"%.200s\" is too long", raw);
	archive_entry_set_pathname(e, full);
	/* The content belongs to the agent, whatever the archive says. */
	archive_entry_set_perm(e, archive_entry_filetype(e) == AE_IFDIR ? 0700 : 0600);
	archive_entry_xattr_clear(e);
	archive_entry_acl_clear(e);
	r = archive_write_header(out, e);
	if (r < ARCHIVE_WARN)
		return err_set(err, archive_errno(out) > 0 ? archive_errno(out) : EINVAL,
			       "archive entry \"%.200s\": %s", raw, archive_error_string(out));
	if (archive_entry_size(e) > 0 && (r = copy_data(in, out, err)) < 0)
		return (err_wrap(err, "archive entry \"%.200s\"", raw), r);
	if (archive_write_finish_entry(out) < ARCHIVE_WARN)
		return err_set(err, EIO, "archive entry \"%.200s\": %s", raw, archive_error_string(out));
	return 0;
}

static int plain_entry(struct archive *in, struct archive *out, struct archive_entry *e,
		       const struct entry_ctx *ctx, struct ecs_err *err)
{
	return extract_plain_entry(in, out, e, ctx->dir, err);
}

int layer_extract_archive(int archive_fd, const char *dir, struct ecs_err *err)
{
	_cleanup_(archive_read_freep) struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	int r = 0;
	if (!in || !out) {
		r = err_set(err, ENOMEM, "out of memory");
		goto done;
	}
	archive_read_support_format_tar(in);
	/* `docker save | gzip` is common; an external decompressor is not
	 * wanted (ARCHIVE_WARN), so only the built-in filters count. */
	(void)archive_read_support_filter_gzip(in);
	(void)archive_read_support_filter_zstd(in);
	/* Neither owners nor modes nor times from the archive. */
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						    ARCHIVE_EXTRACT_NO_OVERWRITE);
	if (archive_read_open_fd(in, archive_fd, LAYER_BUF) != ARCHIVE_OK) {
		r = err_set(err, EINVAL, "image archive: %s", archive_error_string(in));
		goto done;
	}
	struct entry_ctx ctx = { .rootfd = -1, .dir = dir, .fn = plain_entry };
	r = copy_entries(in, out, "image archive", &ctx, err);
done:
	archive_write_free(out);
	return r;
}
