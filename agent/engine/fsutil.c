/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

/* Remove everything inside the directory `dfd` (same device `dev`). */
static int clear_dir(int dfd, dev_t dev, const char *path, struct ecs_err *err)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return err_set_errno(err, errno, "reading %s", path);
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev) {
				r = err_set(err, EBUSY, "%s/%s is a mount point", path, de->d_name);
				continue;
			}
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				continue;
			char child[PATH_MAX];
			snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
			int rr = clear_dir(sub, dev, child, err);
			if (rr < 0)
				r = rr;
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && rr >= 0)
				r = err_set_errno(err, errno, "removing %s", child);
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			r = err_set_errno(err, errno, "removing %s/%s", path, de->d_name);
		}
	}
	closedir(d);
	return r;
}

int remove_tree(const char *path, struct ecs_err *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_set_errno(err, errno, "examining %s", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return err_set_errno(err, errno, "removing %s", path);
		return 0;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "opening %s", path);
	int r = clear_dir(fd, st.st_dev, path, err);
	if (r < 0)
		return r;
	if (rmdir(path) < 0 && errno != ENOENT)
		return err_set_errno(err, errno, "removing %s", path);
	return 0;
}

int make_dirs(const char *path, unsigned mode, struct ecs_err *err)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return err_set(err, ENAMETOOLONG, "path too long: %s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return err_set_errno(err, errno, "creating %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return err_set_errno(err, errno, "creating %s", buf);
	return 0;
}
