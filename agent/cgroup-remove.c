/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup_remove(): a task cgroup and everything beneath it, in every mounted
 * hierarchy.
 *
 * This walks the file system itself instead of going through libcgroup:
 * runc creates PARENT/<task>/<container> in every v1 hierarchy it finds,
 * named ones (name=systemd) and, on hybrid hosts, the unified mount included,
 * and libcgroup 2.0 knows only the hierarchies of real controllers. Its
 * recursive delete also moves leftover processes to the parent, where the
 * agent must refuse instead (a live process means a container still runs).
 */
#include "autoconf.h"

#include "cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

bool cgroup_dirent_is_dir(DIR *d, const struct dirent *de)
{
	struct stat st;
	if (de->d_type == DT_DIR)
		return true;
	return de->d_type == DT_UNKNOWN && fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
	       S_ISDIR(st.st_mode);
}

typedef int (*visit_fn)(char *dir, size_t len, void *data);

/* Call `fn` on every cgroup below dir[0..len) (children before their
 * parent), then on dir itself. `dir` is a PATH_MAX buffer the walk extends
 * in place. A directory that vanished meanwhile is skipped. */
static int walk_post(char *dir, size_t len, visit_fn fn, void *data)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!cgroup_dirent_is_dir(d, de))
			continue;
		size_t n = strlen(de->d_name);
		if (len + 1 + n >= PATH_MAX) {
			r = -ENAMETOOLONG;
			break;
		}
		dir[len] = '/';
		memcpy(dir + len + 1, de->d_name, n + 1);
		r = walk_post(dir, len + 1 + n, fn, data);
		dir[len] = '\0';
	}
	closedir(d);
	return r < 0 ? r : fn(dir, len, data);
}

struct busy {
	char where[PATH_MAX];
	long pid;
};

static int find_process(char *dir, size_t len, void *data)
{
	struct busy *b = data;
	char file[PATH_MAX];
	if (snprintf(file, sizeof(file), "%s/cgroup.procs", dir) >= (int)sizeof(file))
		return -ENAMETOOLONG;
	_cleanup_free_ char *procs = NULL;
	size_t n;
	int r = file_read_all(file, 1 << 20, &procs, &n, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	char *end;
	long pid = strtol(procs, &end, 10);
	if (end == procs)
		return 0;
	snprintf(b->where, sizeof(b->where), "%s", dir);
	b->pid = pid;
	return -EBUSY;
}

static int remove_dir(char *dir, size_t len, void *data)
{
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int cgroup_remove(const char *path, struct ecs_err *err)
{
	int r = cgroup_check_ready(path, err);
	if (r < 0)
		return r;
	const struct cgroup_mounts *m = &cgroup_ctx.mounts;
	char dir[PATH_MAX];

	/* Look for processes everywhere first, so a busy task keeps all of
	 * its hierarchies rather than losing some. */
	for (size_t i = 0; i < m->n; i++) {
		r = cgroup_join(dir, sizeof(dir), m->h[i].mount, path, NULL, err);
		if (r < 0)
			return r;
		struct busy b = { .pid = 0 };
		r = walk_post(dir, strlen(dir), find_process, &b);
		if (r == -EBUSY)
			return err_set(err, EBUSY, "cgroup %s still holds process %ld", b.where, b.pid);
		if (r < 0)
			return err_set_errno(err, -r, "removing cgroup %s from %s", path,
					     m->h[i].mount);
	}
	for (size_t i = 0; i < m->n; i++) {
		r = cgroup_join(dir, sizeof(dir), m->h[i].mount, path, NULL, err);
		if (r < 0)
			return r;
		r = walk_post(dir, strlen(dir), remove_dir, NULL);
		if (r < 0)
			return err_set_errno(err, -r, "removing cgroup %s from %s", path,
					     m->h[i].mount);
	}
	return 0;
}
