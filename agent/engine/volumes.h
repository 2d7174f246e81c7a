/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Task volumes and the bind mounts they give containers; see volumes.c. */
#include "engine-internal.h"
#include "runtime/spec.h"

/* Create (and for tmpfs volumes mount) every volume of the task.
 * Idempotent. A volume this agent cannot provide: -ENOTSUP naming it. */
int volumes_prepare(struct etask *t, struct ecs_err *err);
/* Unmount the task's tmpfs volumes (before its directory is removed). */
void volumes_cleanup(struct etask *t);
/* The container's binds: its mountPoints, then those of volumesFrom. */
int volumes_binds(const struct etask *t, const struct td_container *c, struct spec_bind **out,
		  size_t *n, struct ecs_err *err);
void volumes_binds_free(struct spec_bind *b, size_t n);
