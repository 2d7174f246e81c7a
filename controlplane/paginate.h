/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Pagination tokens for the List* operations.
 *
 * A token names the operation it belongs to and the sort key of the last
 * item returned; the next page starts strictly after that key, so items
 * created or deleted between pages neither repeat nor shift the rest. Tokens
 * are opaque to clients (hex text); a token from another operation or one
 * that does not decode is -EINVAL, which the API reports as
 * InvalidParameterException.
 */
#include "error.h"

/* Largest key a token carries; longer keys are refused when decoding. */
#define PAGE_KEY_MAX 2048

/* malloc'd token for resuming `op` after `key`; NULL on ENOMEM. */
char *page_token_encode(const char *op, const char *key);

/* The key inside `token`, malloc'd into *key. */
int page_token_decode(const char *op, const char *token, char **key, struct ecs_err *err);
