/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Random identifiers: request ids, and the ids in task and instance ARNs. */
#include <stddef.h>

#define ID_UUID_LEN 36

/* A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
void id_uuid4(char out[ID_UUID_LEN + 1]);

/* `nbytes` random bytes as 2*nbytes lower-case hex digits (ECS task ids are
 * 16 bytes: 32 digits). `out` holds 2*nbytes+1 characters. */
void id_random_hex(char *out, size_t nbytes);

/* `n` random letters and digits ([A-Za-z0-9]) and a NUL: the suffix Secrets
 * Manager appends to a secret's name in its ARN (6 of them). */
void id_random_alnum(char *out, size_t n);
