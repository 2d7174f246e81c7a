/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Store: the task_definitions table (store-taskdefs.c).
 *
 * One row per registered revision. Rows are never deleted, so the highest
 * revision of a family only grows: a revision number is never handed out
 * twice, even after deregistration. `body` is the complete taskDefinition
 * object exactly as DescribeTaskDefinition returns it (status and
 * deregisteredAt included), so readers never rebuild it; the columns beside
 * it are what queries and placement need.
 *
 * Conventions as in store.h: -ENOENT (err filled) when a lookup finds
 * nothing, other negative errnos for database failures, no transactions
 * opened here.
 */
#include "store.h"

struct store_taskdef {
	int64_t id;
	char *family;
	int64_t revision;
	char *arn;
	char *status;            /* ACTIVE, INACTIVE or DELETE_IN_PROGRESS */
	char *body;              /* JSON text of the TaskDefinition */
	int64_t registered_ms;
	int64_t deregistered_ms; /* 0 while ACTIVE */
};

/* Free the strings and zero *td. NULL allowed. */
void store_taskdef_clear(struct store_taskdef *td);

/* The revision the next registration in `family` gets: one more than the
 * highest ever registered (1 for a new family). */
int store_taskdef_next_revision(struct store *s, const char *family, int64_t *out,
				struct ecs_err *err);

/* Insert a new revision (family, revision, arn, status, body, registered_ms
 * of `td`); fills *id. A (family, revision) or ARN that exists is -EEXIST. */
int store_taskdef_insert(struct store *s, const struct store_taskdef *td, int64_t *id,
			 struct ecs_err *err);

/* One revision by family and number, any status. */
int store_taskdef_get(struct store *s, const char *family, int64_t revision,
		      struct store_taskdef *out, struct ecs_err *err);
/* One revision by row id (tasks.taskdef_id), any status. */
int store_taskdef_get_by_id(struct store *s, int64_t id, struct store_taskdef *out,
			    struct ecs_err *err);
/* The highest ACTIVE revision of `family`; -ENOENT when it has none. */
int store_taskdef_latest_active(struct store *s, const char *family, struct store_taskdef *out,
				struct ecs_err *err);

/* Mark a revision INACTIVE at `when_ms` and replace its body (which the
 * caller rewrote with the new status and deregisteredAt). -ENOENT when
 * there is no row `id`. */
int store_taskdef_deregister(struct store *s, int64_t id, const char *body, int64_t when_ms,
			     struct ecs_err *err);

/* A page of ListTaskDefinitions: ARNs of revisions with `status`, of one
 * `family` (NULL: every family), ordered by family then revision (reversed
 * when `descending`), strictly after (ascending) or before (descending) the
 * position (after_family, after_revision) when after_family is not NULL; at
 * most `limit`. *more tells whether further ones exist. */
struct store_taskdef_page {
	const char *status;
	const char *family;
	bool descending;
	const char *after_family;
	int64_t after_revision;
	size_t limit;
};

int store_taskdef_list(struct store *s, const struct store_taskdef_page *q,
		       struct store_strv *out, bool *more, struct ecs_err *err);

/* Which families ListTaskDefinitionFamilies shows. */
enum store_family_filter {
	STORE_FAMILIES_ACTIVE,   /* with at least one ACTIVE revision */
	STORE_FAMILIES_INACTIVE, /* with no ACTIVE revision */
	STORE_FAMILIES_ALL,
};

/* Family names starting with `prefix` (NULL or "": all) that pass `filter`,
 * in name order, strictly after `after` (NULL: from the start), at most
 * `limit`. */
int store_taskdef_families(struct store *s, const char *prefix, enum store_family_filter filter,
			   const char *after, size_t limit, struct store_strv *out, bool *more,
			   struct ecs_err *err);
