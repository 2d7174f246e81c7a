/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* One value from a "Key: value" file of /proc (meminfo, status). */
#include <stdbool.h>

/* Scan `path` line by line with `fmt`, a sscanf format with one conversion
 * ("MemTotal: %llu kB", "CapBnd: %llx"), until a line matches. False when
 * the file or the line is missing. */
bool procfs_field(const char *path, const char *fmt, ...) __attribute__((format(scanf, 2, 3)));
