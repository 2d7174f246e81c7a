/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Image references as Docker resolves them (docs/images.md, "References"):
 * `[REGISTRY/]REPOSITORY[:TAG][@sha256:HEX]`, with Docker Hub's default
 * registry and `library/` prefix. Pure string work: the daemon uses it to
 * key pulls and its cache, the helper to reach the registry.
 */
#include <stdbool.h>

#include "cleanup.h"
#include "error.h"

/* Docker Hub as a registry name, and its API endpoint host. */
#define IMAGE_HUB_NAME "docker.io"
#define IMAGE_HUB_HOST "registry-1.docker.io"

struct image_name {
	char *registry;   /* "docker.io", "127.0.0.1:5000", "localhost" */
	char *repository; /* "library/busybox", "team/app" */
	char *tag;        /* NULL only when a digest was given without a tag */
	char *digest;     /* "sha256:<64 hex>" or NULL */
};

/* Parse `ref`. "oci-layout:..." is not a registry name: -EINVAL. A malformed
 * reference is -EINVAL with a message naming the bad part ("invalid
 * reference format: repository name must be lowercase"). An algorithm other
 * than sha256: -ENOTSUP. */
int image_name_parse(const char *ref, struct image_name *out, struct ecs_err *err);
/* Usable as _cleanup_(image_name_clear) on a struct image_name. */
void image_name_clear(struct image_name *n);

/* "REGISTRY/REPOSITORY:TAG", or "REGISTRY/REPOSITORY@DIGEST" when there is a
 * digest (malloc'd; NULL on ENOMEM). */
char *image_name_canonical(const struct image_name *n);
/* Host[:port] to connect to: IMAGE_HUB_HOST for Docker Hub, else registry. */
const char *image_name_host(const struct image_name *n);
/* What GET /v2/<repo>/manifests/<ref> asks for: the digest if any, else the
 * tag. */
const char *image_name_manifest_ref(const struct image_name *n);
