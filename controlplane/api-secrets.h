/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* The Secrets Manager operations (api-secrets.c), in api.c's second
 * dispatch table. Errors use Secrets Manager's names:
 * ResourceNotFoundException, ResourceExistsException,
 * InvalidParameterException, InvalidRequestException (the secret is marked
 * for deletion, or the request contradicts itself). */
#include "api-internal.h"

int api_sm_create_secret(struct api_call *c);
int api_sm_delete_secret(struct api_call *c);
int api_sm_describe_secret(struct api_call *c);
int api_sm_get_secret_value(struct api_call *c);
int api_sm_list_secrets(struct api_call *c);
int api_sm_put_secret_value(struct api_call *c);
int api_sm_restore_secret(struct api_call *c);
