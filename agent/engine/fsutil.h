/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Directory helpers for the engine's per-task trees. */
#include "error.h"

/* rm -rf PATH without following symlinks and without crossing into other
 * file systems (a still-mounted rootfs is left alone and reported). Absent:
 * 0. */
int remove_tree(const char *path, struct ecs_err *err);
/* mkdir -p with `mode` for the directories it creates. */
int make_dirs(const char *path, unsigned mode, struct ecs_err *err);
