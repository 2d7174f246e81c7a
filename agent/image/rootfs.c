/* SPDX-License-Identifier: Apache-2.0 */
/* A container's root filesystem: an overlay of the image layers. */
#include "autoconf.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "image/image-internal.h"

/* Decode the octal escapes (\040 for space...) of a mountinfo field. */
static void unescape_mountinfo(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

bool rootfs_is_mounted(const char *path)
{
	_cleanup_free_ char *canon = realpath(path, NULL);
	if (!canon)
		return false;
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mountpoint ... */
		char *save = NULL, *field = strtok_r(line, " ", &save);
		for (int i = 0; field && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		unescape_mountinfo(field);
		if (strcmp(field, canon) == 0)
			return true;
	}
	return false;
}

/* overlayfs splits its options at ',' and lowerdir at ':'; it has escapes
 * for neither on every kernel we support, so such paths are refused. */
static int check_option_path(const char *p, struct ecs_err *err)
{
	if (strpbrk(p, ",:\\"))
		return err_set(err, EINVAL, "path \"%.200s\" contains ',', ':' or '\\', which overlayfs cannot take", p);
	return 0;
}

static bool overlay_has_index_option(void)
{
	return access("/sys/module/overlay/parameters/index", F_OK) == 0;
}

static int build_options(const struct image *img, const char *upper, const char *work,
			 char **out, struct ecs_err *err)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t max = page > 0 ? (size_t)page : 4096;
	int r;
	if (!img->n_layers || !img->layer_dirs)
		return err_set(err, EINVAL, "image has no layers");
	if ((r = check_option_path(upper, err)) < 0 || (r = check_option_path(work, err)) < 0)
		return r;
	size_t need = 64 + strlen(upper) + strlen(work);
	for (size_t i = 0; i < img->n_layers; i++) {
		if ((r = check_option_path(img->layer_dirs[i], err)) < 0)
			return r;
		need += strlen(img->layer_dirs[i]) + 1;
	}
	_cleanup_free_ char *o = malloc(need);
	if (!o)
		return err_set(err, ENOMEM, "out of memory");
	/* The topmost layer comes first in lowerdir. */
	size_t used = (size_t)sprintf(o, "lowerdir=");
	for (size_t i = img->n_layers; i-- > 0;)
		used += (size_t)sprintf(o + used, "%s%s", img->layer_dirs[i], i ? ":" : "");
	/* index=off: the layers are shared by many overlays, which the inode
	 * index (on by default on some distributions) refuses. */
	used += (size_t)sprintf(o + used, ",upperdir=%s,workdir=%s%s", upper, work,
				overlay_has_index_option() ? ",index=off" : "");
	/* The kernel copies at most one page of mount data. */
	if (used >= max)
		return err_set(err, E2BIG,
			       "overlay options for %zu layers need %zu bytes, more than the %zu a mount takes",
			       img->n_layers, used + 1, max);
	*out = TAKE_PTR(o);
	return 0;
}

int rootfs_mount(const struct image *img, const char *dir, struct ecs_err *err)
{
	char upper[PATH_MAX], work[PATH_MAX], target[PATH_MAX];
	int r;
	if ((size_t)snprintf(upper, sizeof(upper), "%s/upper", dir) >= sizeof(upper) ||
	    (size_t)snprintf(work, sizeof(work), "%s/work", dir) >= sizeof(work) ||
	    (size_t)snprintf(target, sizeof(target), "%s/rootfs", dir) >= sizeof(target))
		return err_set(err, ENAMETOOLONG, "container directory path too long");
	if (rootfs_is_mounted(target))
		return 0;
	if ((r = fs_mkdir_p(dir, 0700, err)) < 0)
		return r;
	/* The upper directory's mode becomes that of the container's "/". */
	if ((mkdir(upper, 0755) < 0 && errno != EEXIST) || (mkdir(work, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(target, 0755) < 0 && errno != EEXIST))
		return err_set_errno(err, errno, "creating the directories of %s", dir);
	_cleanup_free_ char *opts = NULL;
	if ((r = build_options(img, upper, work, &opts, err)) < 0)
		return (err_wrap(err, "mounting %s", target), r);
	if (mount("overlay", target, "overlay", 0, opts) < 0)
		return err_set_errno(err, errno, "mounting overlay at %s", target);
	return 0;
}

int rootfs_remove(const char *dir, struct ecs_err *err)
{
	char target[PATH_MAX];
	int r;
	if ((size_t)snprintf(target, sizeof(target), "%s/rootfs", dir) >= sizeof(target))
		return err_set(err, ENAMETOOLONG, "container directory path too long");
	/* A path can carry stacked mounts; take them all off. */
	for (int i = 0; i < 16 && rootfs_is_mounted(target); i++) {
		if (umount2(target, UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == EBUSY && umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			break;
		return err_set_errno(err, errno, "unmounting %s", target);
	}
	if (rootfs_is_mounted(target))
		return err_set(err, EBUSY, "%s is still mounted", target);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : err_set_errno(err, errno, "%s", dir);
	static const char *const parts[] = { "rootfs", "upper", "work" };
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		if ((r = fs_rm_rf_at(dfd, parts[i], err)) < 0)
			return (err_wrap(err, "removing the root filesystem of %s", dir), r);
	return 0;
}
