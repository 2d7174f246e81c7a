/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The access keys the control plane accepts, from a credentials file:
 *
 *   # comment
 *   AKIDEXAMPLE  wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
 *
 * One access key id and its secret per line, separated by blanks; blank
 * lines and lines starting with '#' are ignored. Key ids are 1..128
 * characters of [A-Za-z0-9]; secrets 1..256 printable characters without
 * blanks. A key id listed twice is an error. The file holds secrets: the loader
 * tells the caller when group or others may read it.
 */
#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "error.h"

struct credentials;

struct credentials *credentials_new(void);
void credentials_free(struct credentials *c);
DEFINE_CLEANUP(struct credentials, credentials_free)

/* Load `path`. Errors name the file and line. *insecure_mode is set when the
 * file's mode lets group or others read it (the caller decides how loudly to
 * say so). */
int credentials_load_file(struct credentials *c, const char *path, bool *insecure_mode,
			  struct ecs_err *err);
/* The same for a buffer (`name` is used in messages). */
int credentials_load_buffer(struct credentials *c, const char *name, const char *buf,
			    size_t len, struct ecs_err *err);

/* Add one pair (copied). -EEXIST for a key id already present. */
int credentials_add(struct credentials *c, const char *akid, const char *secret,
		    struct ecs_err *err);

size_t credentials_count(const struct credentials *c);

/* The secret of `akid`, or NULL. Matches the sigv4_secret_fn signature with
 * the credentials as userdata. */
const char *credentials_secret(void *c, const char *akid);
