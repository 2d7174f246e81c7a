/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Amazon Resource Names in the formats ECS uses:
 *   arn:aws:ecs:REGION:ACCOUNT:cluster/NAME
 *   arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION
 *   arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID
 *   arn:aws:ecs:REGION:ACCOUNT:container-instance/CLUSTER/ID
 *   arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME
 */
#include "cleanup.h"
#include "error.h"

/* The parts of a parsed ARN; every pointer points into `buf`. */
struct arn {
	char *buf;
	const char *partition;
	const char *service;
	const char *region;
	const char *account;
	const char *resource;      /* everything after the fifth ':' */
	const char *resource_type; /* resource up to the first '/' (all of it when none) */
	const char *resource_id;   /* resource after the first '/' ("" when none) */
};

/* Split `text` into its parts. Anything that does not start with "arn:" or
 * has fewer than six ':'-separated fields, or an empty service or resource,
 * is -EINVAL. */
int arn_parse(const char *text, struct arn *out, struct ecs_err *err);
void arn_clear(struct arn *a);

/* "arn:aws:ecs:REGION:ACCOUNT:TYPE/ID", malloc'd (NULL on ENOMEM). */
char *arn_build(const char *region, const char *account, const char *type, const char *id);
