/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Task definitions (api-taskdefs.c): the operations, and the lookup other
 * families use to resolve a `taskDefinition` member (RunTask, StartTask,
 * tags). */
#include "api-internal.h"
#include "store-taskdefs.h"

/* Resolve `ref` as the ECS API takes a task definition:
 *   "family"            the latest ACTIVE revision (refused when
 *                       `need_revision`, as DeregisterTaskDefinition does)
 *   "family:revision"   that revision, whatever its status
 *   an ARN              arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY[:REV]
 *                       of this api's region and account, read as above
 * Returns 0 with *out filled (store_taskdef_clear() it); -ENOENT when nothing
 * matches, without failing the call, so each operation words its own
 * ClientException; -EINVAL when the call has been failed (no revision where
 * one is needed, a revision that is not a positive number); another negative
 * errno on store failure (detail in c->ierr). */
int api_taskdef_lookup(struct api_call *c, const char *ref, bool need_revision,
		       struct store_taskdef *out);

/* For the taggable[] table: whether the revision ARN exists; fails the call
 * with ClientException when it does not. */
int api_taskdef_exists(struct api_call *c, const char *arn);

int api_register_task_definition(struct api_call *c);
int api_describe_task_definition(struct api_call *c);
int api_deregister_task_definition(struct api_call *c);
int api_list_task_definitions(struct api_call *c);
int api_list_task_definition_families(struct api_call *c);
