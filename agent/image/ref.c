/* SPDX-License-Identifier: Apache-2.0 */
/* Image references this build understands. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "image/image-internal.h"
#include "image/name.h"

#define OCI_LAYOUT_PREFIX "oci-layout:"

static bool is_layout_ref(const char *ref)
{
	return ref && strncmp(ref, OCI_LAYOUT_PREFIX, strlen(OCI_LAYOUT_PREFIX)) == 0;
}

bool image_ref_supported(const char *ref)
{
	if (!ref)
		return false;
	if (is_layout_ref(ref))
		return true;
	_cleanup_(image_name_clear) struct image_name n = { 0 };
	return image_name_parse(ref, &n, NULL) == 0;
}

int oci_ref_parse(const char *ref, char **path, char **tag, struct ecs_err *err)
{
	*path = *tag = NULL;
	if (!is_layout_ref(ref))
		return err_set(err, ENOTSUP, "unsupported image reference \"%.200s\"", ref ? ref : "");
	const char *rest = ref + strlen(OCI_LAYOUT_PREFIX);
	if (rest[0] != '/')
		return err_set(err, EINVAL, "image reference \"%.200s\": the layout path must be absolute", ref);
	const char *slash = strrchr(rest, '/');
	const char *colon = strchr(slash, ':');
	size_t plen = colon ? (size_t)(colon - rest) : strlen(rest);
	if (colon && !colon[1])
		return err_set(err, EINVAL, "image reference \"%.200s\": empty tag", ref);
	*path = strndup(rest, plen);
	if (colon)
		*tag = strdup(colon + 1);
	if (!*path || (colon && !*tag)) {
		free(*path);
		free(*tag);
		*path = *tag = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}
