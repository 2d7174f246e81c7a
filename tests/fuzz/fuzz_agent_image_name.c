/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: image reference parsing. Whatever parses must print a
 * canonical form that parses again to the same canonical form, so the
 * daemon's pull and cache keys are stable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *ref = malloc(size + 1);
	if (!ref)
		return 0;
	memcpy(ref, data, size);
	ref[size] = '\0';

	struct image_name n, again;
	struct ecs_err err;
	int r = image_name_parse(ref, &n, &err);
	if (r < 0) {
		if (r != -EINVAL && r != -ENOTSUP && r != -ENOMEM)
			abort();
		if (!err.msg[0])
			abort();
	} else {
		if (!n.registry || !*n.registry || !n.repository || !*n.repository ||
		    (!n.tag && !n.digest) || !image_name_host(&n) ||
		    !image_name_manifest_ref(&n))
			abort();
		char *c1 = image_name_canonical(&n);
		if (!c1)
			abort();
		if (image_name_parse(c1, &again, &err) < 0)
			abort();
		char *c2 = image_name_canonical(&again);
		if (!c2 || strcmp(c1, c2) != 0 || strcmp(n.registry, again.registry) != 0 ||
		    strcmp(n.repository, again.repository) != 0)
			abort();
		free(c1);
		free(c2);
		image_name_clear(&again);
		image_name_clear(&n);
	}
	free(ref);
	return 0;
}
