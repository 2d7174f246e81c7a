/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Directory helpers for the layer store, container root filesystems and the
 * engine's task trees. Everything works relative to directory fds with
 * O_NOFOLLOW, so content from an image (symlinks to /, to /etc...) can never
 * redirect a removal or a creation outside the tree it belongs to.
 */
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Remove `name` under `dirfd` and everything below it, never following
 * symlinks and never crossing into another mount. Absent: 0. */
int fs_rm_rf_at(int dirfd, const char *name, struct ecs_err *err);
int fs_rm_rf(const char *path, struct ecs_err *err);
/* mkdir -p with `mode` for the directories it creates. */
int fs_mkdir_p(const char *path, mode_t mode, struct ecs_err *err);
/* Open the directory `rel` (relative, '/'-separated, no ".." components)
 * below `rootfd` without following any symlink; with `create`, missing
 * components are created with mode 0755. Returns an O_DIRECTORY fd. */
int fs_open_dir_beneath(int rootfd, const char *rel, bool create, struct ecs_err *err);
/* Read the whole regular file `name` below `dirfd` (openat flags added to
 * O_RDONLY, e.g. O_NOFOLLOW) into a NUL-terminated malloc'd buffer. Larger
 * than `max` (also while it grows): -EFBIG. Not a regular file: -EINVAL. */
int fs_read_small_at(int dirfd, const char *name, int flags, size_t max, char **buf,
		     size_t *len, struct ecs_err *err);
