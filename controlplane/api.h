/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The ECS API (awsJson1_1), independent of HTTP and authentication.
 *
 * api_handle() takes the operation name (the part of X-Amz-Target after
 * "AmazonEC2ContainerServiceV20141113.") and the JSON request body, runs the
 * operation against the store and always produces a complete reply: a JSON
 * body in the botocore model's output shape, or an error
 * {"__type": "...", "message": "..."} with its HTTP status:
 *
 *   SerializationException        400  body is not JSON / not an object, or
 *                                      a member has the wrong JSON type
 *   UnknownOperationException     400  no such operation
 *   InvalidParameterException     400  a value breaks a rule (range, enum,
 *                                      pattern, unknown reference format)
 *   ClientException               400  the request is well formed but not
 *                                      allowed
 *   ClusterNotFoundException,
 *   ClusterContains*Exception,
 *   ResourceNotFoundException     400
 *   ServerException               500  the store failed; the detail goes to
 *                                      reply->internal for the log, never to
 *                                      the client
 *
 * Operations are listed in one dispatch table (api.c); each resource family
 * lives in its own api-<family>.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

struct store;
struct api;

/* The store stays owned by the caller and must outlive the api. `region`
 * and `account_id` are copied; they make every ARN this api hands out. */
struct api *api_new(struct store *store, const char *region, const char *account_id,
		    struct ecs_err *err);
void api_free(struct api *api);
DEFINE_CLEANUP(struct api, api_free)

/* Replace the wall clock (milliseconds since the epoch), for tests. */
void api_set_clock(struct api *api, int64_t (*now_ms)(void *userdata), void *userdata);

struct api_reply {
	int status;             /* HTTP status: 200, 400 or 500 */
	char *body;             /* malloc'd JSON text, NUL-terminated */
	size_t len;
	const char *error_type; /* static; NULL on success */
	char *internal;         /* malloc'd detail of a ServerException, else NULL */
};

void api_reply_clear(struct api_reply *r);

/* Run one operation. Returns 0 when `out` holds a reply (success or ECS
 * error), -ENOMEM when not even an error reply could be built. */
int api_handle(struct api *api, const char *operation, const char *body, size_t len,
	       struct api_reply *out);

/* The same for the Secrets Manager API (X-Amz-Target
 * "secretsmanager.<Operation>"; api-secrets.h lists the operations and
 * their errors). */
int api_handle_secrets(struct api *api, const char *operation, const char *body, size_t len,
		       struct api_reply *out);

/* Fill `out` with an error reply built outside an operation (authentication,
 * transport limits). Returns 0, or -ENOMEM. */
int api_reply_error(struct api_reply *out, int status, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Whether `operation` is in the dispatch table. */
bool api_operation_exists(const char *operation);

/* Desired-state notifications. Whoever changes the desired task list of a
 * container instance (RunTask, StartTask, StopTask, deregistration, the
 * liveness sweep) calls api_instance_changed() after its transaction has
 * committed; the agent endpoint registers the listener and answers the
 * instance's waiting long poll at once. No listener: nothing happens. */
typedef void (*api_instance_listener)(int64_t instance_id, void *userdata);
void api_set_instance_listener(struct api *api, api_instance_listener fn, void *userdata);
void api_instance_changed(struct api *api, int64_t instance_id);
