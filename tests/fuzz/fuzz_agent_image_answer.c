/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the image helper's answer as the daemon reads it
 * (image_from_json). An accepted answer has at least one layer and writes
 * back (image_to_json) to an answer that parses to the same image; a
 * refused one says why.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_strv(char **a, char **b)
{
	size_t i = 0;
	for (; a && b && a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return (!a && !b) || (a && b && !a[i] && !b[i]);
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image img, again;
	struct ecs_err err = { 0 };
	if (image_from_json((const char *)data, size, &img, &err) < 0) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (img.n_layers == 0 || !img.layer_dirs || !img.layer_dirs[0])
		abort();
	char *text = image_to_json(&img, &err);
	if (!text)
		abort();
	if (image_from_json(text, strlen(text), &again, &err) < 0)
		abort();
	if (!same_str(img.digest, again.digest) || !same_str(img.user, again.user) ||
	    !same_str(img.working_dir, again.working_dir) ||
	    !same_strv(img.entrypoint, again.entrypoint) || !same_strv(img.cmd, again.cmd) ||
	    !same_strv(img.env, again.env) || !same_strv(img.layer_dirs, again.layer_dirs) ||
	    img.n_layers != again.n_layers)
		abort();
	free(text);
	image_clear(&img);
	image_clear(&again);
	return 0;
}
