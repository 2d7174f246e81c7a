/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Per-container registry credentials (ECS's repositoryCredentials): which
 * containers of a registered task definition name a secret, and that
 * secret's username and password, resolved from the control plane's
 * Secrets Manager store for the agent that runs the task. The results are
 * secrets: they go into the agent's poll response and nowhere else.
 */
#include <stddef.h>

#include "error.h"

struct store;

struct regcred {
	char *container_name;
	char *parameter;  /* credentialsParameter as the definition gives it */
	char *username, *password;  /* both set, or both NULL and ... */
	char *error;      /* ... why there are none */
};

struct regcred_list {
	struct regcred *items;
	size_t n;
};

void regcred_list_clear(struct regcred_list *l);

/* The containers of `taskdef_json` (a taskDefinition object as
 * DescribeTaskDefinition returns it) with repositoryCredentials, with their
 * credentialsParameter only (username, password and error NULL). Members
 * of the wrong type are skipped: the definition was validated when it was
 * registered. -EINVAL when the text is not a JSON object. */
int regcred_from_taskdef(const char *taskdef_json, size_t len, struct regcred_list *out,
			 struct ecs_err *err);

/* A SecretString that holds registry credentials: the JSON object
 * {"username": "...", "password": "..."} (other members are ignored), both
 * non-empty strings. -EINVAL with a message fit for a task's stop reason
 * (it never quotes the value) otherwise. */
int regcred_parse_secret(const char *text, size_t len, char **username, char **password,
			 struct ecs_err *err);

/* Fill username/password, or error, of every entry from the store. Only a
 * store failure or ENOMEM is < 0. */
int regcred_resolve(struct store *s, struct regcred_list *l, struct ecs_err *err);
