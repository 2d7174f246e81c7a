/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * What RegisterTaskDefinition adds to a parsed and validated request to make
 * the TaskDefinition that ECS stores and DescribeTaskDefinition shows: the
 * registration members (taskDefinitionArn, revision, status, registeredAt,
 * registeredBy), `compatibilities`, `requiresAttributes`, and the defaults
 * ECS writes out for members the user left out (docs/controlplane.md, "Task
 * definitions", lists them all).
 *
 * `requiresAttributes` is the contract with placement: a task of this
 * definition goes only to a container instance that has every attribute
 * listed (by name, and by value when one is given).
 */
#include <stdint.h>

#include "error.h"
#include "taskdef.h"

struct tdreg_info {
	const char *arn;
	int64_t revision;
	int64_t registered_ms;
	const char *registered_by;
};

/* Turn the request model `td` into the stored task definition, in place.
 * The request's `tags` are dropped from the model (they live in the tag
 * store). Returns 0; -EINVAL with the reason in err when the definition
 * asks for a combination ECS refuses at registration and the shared
 * validator does not know about (EXTERNAL with awsvpc); -ENOMEM. */
int tdreg_complete(struct taskdef *td, const struct tdreg_info *info, struct ecs_err *err);

/* Append to td->requires_attributes what the definition needs from a
 * container instance, each name once, in a stable order. 0 or -ENOMEM. */
int tdreg_requires_attributes(struct taskdef *td);

/* Set td->compatibilities to the launch types the definition is valid for:
 * EC2 always, EXTERNAL unless it uses awsvpc, FARGATE when it also passes
 * the FARGATE rules. 0 or -ENOMEM. */
int tdreg_compatibilities(struct taskdef *td);

/* Fill in the defaults ECS shows for omitted members. 0 or -ENOMEM. */
int tdreg_fill_defaults(struct taskdef *td);
