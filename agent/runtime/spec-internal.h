/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Shared between the spec*.c files that build config.json section by
 * section. Every writer returns 0 or a negative errno with `err` filled; the
 * caller discards the half-written document on failure, so a section may
 * fail after it has emitted tokens.
 */
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "json.h"
#include "runtime/spec.h"

/* Capability numbers (CAP_CHOWN = 0 ...) as bits of a uint64_t. */
int spec_cap_from_name(const char *name);
const char *spec_cap_name(int cap);
/* Docker's default set for an unprivileged container. */
uint64_t spec_caps_default(void);
/* Every capability the running kernel knows (cap_last_cap). */
uint64_t spec_caps_all(void);
/* The container's set: all when privileged, else Docker's default adjusted
 * by linuxParameters.capabilities (add/drop, "ALL" in either). Unknown names
 * are -EINVAL naming them. */
int spec_caps_compute(const struct td_container *td, uint64_t *out, struct ecs_err *err);
/* A JSON array of "CAP_..." names. */
void spec_write_cap_array(struct json_writer *w, uint64_t caps);

bool spec_privileged(const struct container_spec *s);

/* The "mounts" member. */
int spec_write_mounts(struct json_writer *w, const struct container_spec *s, struct ecs_err *err);
/* The "linux" member. */
int spec_write_linux(struct json_writer *w, const struct container_spec *s, struct ecs_err *err);

/* Replace `path` with `len` bytes: PATH.tmp, then rename, so a reader (or
 * an agent restarted after kill -9) sees the old file or the new one, never
 * a mix. Not flushed to disk: see spec.c. */
int spec_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
			   struct ecs_err *err);
