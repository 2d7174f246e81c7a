/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The HTTP face of the ECS API: `POST /` with
 * `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>` (or
 * `secretsmanager.<Operation>` for the Secrets Manager API) and an
 * application/x-amz-json-1.1 body. In order it checks the body size (413
 * RequestEntityTooLargeException), the method, the SigV4 signature (unless
 * auth is off), the content type and target (UnknownOperationException), then
 * hands the body to api_handle(). Every reply carries x-amzn-RequestId.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define ECS_TARGET_PREFIX "AmazonEC2ContainerServiceV20141113."
/* The Secrets Manager API (api_handle_secrets) on the same listener, signed
 * for service "secretsmanager". */
#define SECRETS_TARGET_PREFIX "secretsmanager."
#define ECS_MAX_BODY_DEFAULT (1024 * 1024)
/* The clock skew SigV4 allows, as AWS does. */
#define ECS_MAX_SKEW_SECONDS (15 * 60)

struct api;
struct credentials;

struct ecs_endpoint {
	struct api *api;
	/* NULL disables authentication (--no-auth). */
	struct credentials *credentials;
	const char *region;
	size_t max_body;
};

/* Route handler for "/" (userdata: struct ecs_endpoint). */
void ecs_endpoint_handle(void *userdata, struct http_request *req);
/* Catch-all route handler: an ECS-style 404 for any other path. */
void ecs_endpoint_not_found(void *userdata, struct http_request *req);
