/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Whole-file reads with a size cap, for configuration and task definitions. */
#include <stddef.h>

#include "error.h"

/* Read `path` ("-" means standard input) into a malloc'd buffer that is
 * NUL-terminated (the NUL is not counted in *len). Files larger than
 * `max_size` are refused with -EFBIG rather than truncated. */
int file_read_all(const char *path, size_t max_size, char **out, size_t *len, struct ecs_err *err);
