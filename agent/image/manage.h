/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The operator verbs of ecs-agent-image (docs/images.md, "Operator
 * commands" and "Garbage collection"):
 *
 *   load --datadir DIR FILE.tar
 *   ls   --datadir DIR [--json]
 *   rm   --datadir DIR [--keep DIGEST]... REF...
 *   gc   --datadir DIR [--keep DIGEST]... [--min-age SEC] [--max N]
 *
 * They print for people on stdout (gc: one JSON line for the daemon) and
 * errors on stderr. Helper side (libimage).
 */
#include <stdint.h>

#include "error.h"

/* Run `verb` with its arguments (argv[0] is the verb). Returns the process
 * exit status (0 done, 1 failed, 2 usage), or -1 when `verb` is not one of
 * load, ls, rm, gc. */
int image_manage_main(const char *verb, int argc, char **argv);

/* ---- between manage.c and load.c ---- */

/* `load`: import every named image of the archive `file`; the exit status. */
int manage_load(const char *datadir, const char *file);
/* Apparent size in bytes of `name` below `dirfd` and everything under it,
 * never following symlinks (0 when absent). */
int64_t manage_tree_bytes(int dirfd, const char *name);
/* Remove every blob and layer no image record references, and leftovers of
 * loads; adds the bytes freed to *freed. The caller holds the store lock
 * exclusively. */
int manage_collect(const char *datadir, int64_t *freed, struct ecs_err *err);
