/* SPDX-License-Identifier: Apache-2.0 */
/* Directory helpers; see fsutil.h. */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

/* Depth bound: layer trees deeper than this are not removed but reported. */
#define RM_MAX_DEPTH 256

static int rm_children(int dfd, dev_t dev, int depth, struct ecs_err *err);

static int rm_entry(int dirfd, const char *name, dev_t dev, int depth, struct ecs_err *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_set_errno(err, errno, "stat %s", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return err_set_errno(err, errno, "removing %s", name);
		return 0;
	}
	if (st.st_dev != dev)
		return err_set(err, EBUSY, "%s is on another mount; not removing it", name);
	if (depth > RM_MAX_DEPTH)
		return err_set(err, ELOOP, "%s: directory tree too deep", name);
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_set_errno(err, errno, "opening %s", name);
	/* Removal needs write+search permission on the directory; an image may
	 * ship 0555 directories and overlayfs' work dir has mode 0000. */
	(void)fchmod(fd, 0700);
	int r = rm_children(fd, dev, depth + 1, err); /* closes fd */
	if (r < 0)
		return (err_wrap(err, "%s", name), r);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return err_set_errno(err, errno, "removing %s", name);
	return 0;
}

static int rm_children(int dfd, dev_t dev, int depth, struct ecs_err *err)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = errno;
		close(dfd);
		return err_set_errno(err, e, "fdopendir");
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = rm_entry(dirfd(d), de->d_name, dev, depth, err);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int fs_rm_rf_at(int dirfd, const char *name, struct ecs_err *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_set_errno(err, errno, "stat %s", name);
	return rm_entry(dirfd, name, st.st_dev, 0, err);
}

int fs_rm_rf(const char *path, struct ecs_err *err)
{
	return fs_rm_rf_at(AT_FDCWD, path, err);
}

/* mkdir, creating missing parents first; EEXIST is success. The common
 * cases (the directory exists, or only it is missing) cost one call. */
static int mkdir_parents(char *buf, size_t len, mode_t mode)
{
	if (mkdir(buf, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	while (len > 1 && buf[len - 1] != '/')
		len--;
	while (len > 1 && buf[len - 1] == '/')
		len--;
	if (len <= 1)
		return -ENOENT;
	char c = buf[len];
	buf[len] = '\0';
	int r = mkdir_parents(buf, len, mode);
	buf[len] = c;
	if (r < 0)
		return r;
	return mkdir(buf, mode) == 0 || errno == EEXIST ? 0 : -errno;
}

int fs_mkdir_p(const char *path, mode_t mode, struct ecs_err *err)
{
	size_t len = strlen(path);
	if (len == 0 || len >= PATH_MAX)
		return err_set(err, EINVAL, "bad directory path");
	char buf[PATH_MAX];
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	int r = mkdir_parents(buf, len, mode);
	if (r < 0)
		return err_set_errno(err, -r, "creating %s", path);
	struct stat st;
	if (stat(path, &st) < 0)
		return err_set_errno(err, errno, "%s", path);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "%s is not a directory", path);
	return 0;
}

int fs_open_dir_beneath(int rootfd, const char *rel, bool create, struct ecs_err *err)
{
	int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return err_set_errno(err, errno, "dup");
	const char *p = rel;
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p = *end ? end + 1 : end;
			continue;
		}
		char name[NAME_MAX + 1];
		if (n > NAME_MAX || (n == 2 && p[0] == '.' && p[1] == '.')) {
			close(fd);
			return err_set(err, EINVAL, "bad path component in \"%.200s\"", rel);
		}
		memcpy(name, p, n);
		name[n] = '\0';
		if (create && mkdirat(fd, name, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			close(fd);
			return err_set_errno(err, e, "creating %.200s", rel);
		}
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		if (next < 0)
			return err_set_errno(err, e == ELOOP ? ENOTDIR : e,
					     "opening %.200s without following symlinks", rel);
		fd = next;
		p = *end ? end + 1 : end;
	}
	return fd;
}

int fs_read_small_at(int dirfd, const char *name, int flags, size_t max, char **buf,
		     size_t *len, struct ecs_err *err)
{
	*buf = NULL;
	*len = 0;
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | flags);
	if (fd < 0)
		return err_set_errno(err, errno, "%s", name);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_set_errno(err, errno, "%s", name);
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, "%s is not a regular file", name);
	if ((uint64_t)st.st_size > max)
		return err_set(err, EFBIG, "%s is larger than %zu bytes", name, max);
	size_t cap = (size_t)st.st_size + 1, used = 0;
	_cleanup_free_ char *b = malloc(cap);
	if (!b)
		return err_set(err, ENOMEM, "out of memory");
	for (;;) {
		/* The file may grow while read: stop at the cap, not at EOF. */
		if (used + 1 >= cap) {
			if (cap > max)
				return err_set(err, EFBIG, "%s is larger than %zu bytes", name, max);
			char *nb = realloc(b, cap * 2 > max + 1 ? max + 1 : cap * 2);
			if (!nb)
				return err_set(err, ENOMEM, "out of memory");
			b = nb;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if (used + 1 >= cap)
				return err_set(err, EFBIG, "%s is larger than %zu bytes", name, max);
		}
		ssize_t n = read(fd, b + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(err, errno, "reading %s", name);
		if (n == 0)
			break;
		used += (size_t)n;
	}
	b[used] = '\0';
	*buf = TAKE_PTR(b);
	*len = used;
	return 0;
}
