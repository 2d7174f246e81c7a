/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Store: Secrets Manager secrets (the secrets table). A secret has one
 * current version (AWSCURRENT); older versions are not kept. A secret
 * scheduled for deletion stays, marked, until its deletion date; a forced
 * deletion removes the row at once. Same conventions as store.h: -ENOENT
 * when nothing matches, callers own transactions.
 */
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct store_secret {
	int64_t id;
	char *name;
	char *arn;
	char *description;    /* NULL: none */
	char *secret_string;  /* NULL: no value */
	char *version_id;
	int64_t created_ms;
	int64_t changed_ms;
	int64_t deleted_ms;   /* 0: live; else when DeleteSecret was called */
	int64_t deletion_ms;  /* scheduled deletion date (deleted_ms != 0) */
};

void store_secret_clear(struct store_secret *s);

struct store_secret_list {
	struct store_secret *items;
	size_t n;
};

void store_secret_list_clear(struct store_secret_list *l);

/* The secret `ref` names: its full ARN, its ARN without the random
 * "-XXXXXX" suffix (a partial ARN), or its name. Marked ones count. */
int store_secret_find(struct store *s, const char *ref, struct store_secret *out,
		      struct ecs_err *err);

/* Insert a new secret (out->id filled). A secret with that name (live or
 * marked for deletion) is -EEXIST. */
int store_secret_insert(struct store *s, const struct store_secret *sec, int64_t *id,
			struct ecs_err *err);

/* Replace the value and version of secret `id`. */
int store_secret_put_value(struct store *s, int64_t id, const char *secret_string,
			   const char *version_id, int64_t now_ms, struct ecs_err *err);

/* Schedule deletion (deleted_ms = now_ms, deletion_ms as given). */
int store_secret_mark_deleted(struct store *s, int64_t id, int64_t now_ms, int64_t deletion_ms,
			      struct ecs_err *err);

/* Cancel a scheduled deletion. */
int store_secret_restore(struct store *s, int64_t id, int64_t now_ms, struct ecs_err *err);

/* Remove secret `id` now. */
int store_secret_delete(struct store *s, int64_t id, struct ecs_err *err);

/* Remove the marked secrets whose deletion date is at or before now_ms. */
int store_secret_purge(struct store *s, int64_t now_ms, struct ecs_err *err);

/* Secrets in name order, strictly after `after` (NULL: from the start), at
 * most `limit`; marked ones only when `include_deleted`. *more tells
 * whether further ones exist. */
int store_secret_list(struct store *s, const char *after, size_t limit, bool include_deleted,
		      struct store_secret_list *out, bool *more, struct ecs_err *err);
