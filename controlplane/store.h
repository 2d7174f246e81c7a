/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The control plane's state, in SQLite. The only module family that talks to
 * sqlite: store.c (open, schema migrations, transactions, statement cache)
 * plus one store-<group>.c per group of tables.
 *
 * The database runs in WAL mode with foreign keys on and synchronous=FULL, so
 * a reply is only sent for state that is on disk: a crash or restart of the
 * daemon loses nothing it acknowledged. The one exception is bookkeeping in
 * store_begin_relaxed() transactions, which only a power loss can undo.
 *
 * A store is used from one thread (the daemon's event loop). Functions that
 * change several rows do not open transactions themselves; a caller that
 * needs several changes to be atomic wraps them in store_begin() /
 * store_commit() (store_rollback() on failure).
 *
 * Lookups that find nothing return -ENOENT (with `err` filled); any other
 * negative value is a database failure.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

struct store;

/* Open (creating if needed) the database at `path` (":memory:" for a private
 * in-memory one) and bring its schema up to date. A database written by a
 * newer binary (higher schema version) is refused with -EPROTO. */
struct store *store_open(const char *path, struct ecs_err *err);
void store_free(struct store *s);
DEFINE_CLEANUP(struct store, store_free)

/* The schema version the database is at, and the newest this binary knows. */
int store_schema_version(struct store *s, struct ecs_err *err);
int store_schema_latest(void);

/* One write transaction at a time (BEGIN IMMEDIATE); nesting is an error
 * (-EBUSY). store_rollback() accepts "no transaction open". */
int store_begin(struct store *s, struct ecs_err *err);
/* The same with synchronous=NORMAL for this one transaction: its commit
 * survives a crash of the daemon (it is in the WAL when the commit
 * returns) but not necessarily a power loss, and costs no fdatasync. Only
 * for bookkeeping whose loss nobody was told about (an agent's last
 * contact). */
int store_begin_relaxed(struct store *s, struct ecs_err *err);
int store_commit(struct store *s, struct ecs_err *err);
void store_rollback(struct store *s);

/* Name/value pairs (tags, settings), in a stable order. */
struct store_kv {
	char *key;
	char *value;
};

struct store_kv_list {
	struct store_kv *items;
	size_t n;
};

void store_kv_list_clear(struct store_kv_list *l);

/* A list of strings (ARNs, names). */
struct store_strv {
	char **items;
	size_t n;
};

void store_strv_clear(struct store_strv *v);

/* ---- clusters (store-clusters.c) ---- */

struct store_cluster {
	int64_t id;
	char *name;
	char *arn;
	char *status;         /* "ACTIVE" or "INACTIVE" */
	char *configuration;  /* JSON text of ClusterConfiguration, or NULL */
	int64_t created_ms;
};

void store_cluster_clear(struct store_cluster *c);

/* Look a cluster up by ARN (any status). -ENOENT when there is none. */
int store_cluster_get(struct store *s, const char *arn, struct store_cluster *out,
		      struct ecs_err *err);

/* Create the cluster, or turn an INACTIVE one with the same ARN ACTIVE again
 * with the new configuration (its settings are then replaced by the caller).
 * Fills out->id. An ACTIVE cluster with that ARN is -EEXIST. */
int store_cluster_activate(struct store *s, const struct store_cluster *c, int64_t *id,
			   struct ecs_err *err);

/* Set the status of an existing cluster. -ENOENT when there is none. */
int store_cluster_set_status(struct store *s, int64_t id, const char *status,
			     struct ecs_err *err);

/* ARNs of ACTIVE clusters in ARN order, strictly after `after` (NULL: from
 * the start), at most `limit`. *more tells whether further ones exist. */
int store_cluster_list(struct store *s, const char *after, size_t limit,
		       struct store_strv *out, bool *more, struct ecs_err *err);

/* Settings (name -> value) of a cluster, in name order. */
int store_cluster_settings_get(struct store *s, int64_t id, struct store_kv_list *out,
			       struct ecs_err *err);
/* Replace all settings of a cluster. */
int store_cluster_settings_set(struct store *s, int64_t id, const struct store_kv *items,
			       size_t n, struct ecs_err *err);

/* What a cluster holds. Computed from the tables of the other resource
 * families; a family that does not exist yet contributes 0. */
struct store_cluster_counts {
	int64_t registered_instances;
	int64_t running_tasks;
	int64_t pending_tasks;
	int64_t active_services;
};

int store_cluster_counts(struct store *s, int64_t id, struct store_cluster_counts *out,
			 struct ecs_err *err);

/* ---- tags (store-tags.c) ----
 * Tags belong to a resource ARN of any kind, so every resource family shares
 * them. They keep the order in which keys were first set. */

int store_tags_get(struct store *s, const char *arn, struct store_kv_list *out,
		   struct ecs_err *err);
/* Add or overwrite keys. */
int store_tags_put(struct store *s, const char *arn, const struct store_kv *tags, size_t n,
		   struct ecs_err *err);
/* Remove keys; keys that are not set are ignored. */
int store_tags_delete(struct store *s, const char *arn, const char *const *keys, size_t n,
		      struct ecs_err *err);
/* Remove every tag of the resource. */
int store_tags_clear(struct store *s, const char *arn, struct ecs_err *err);
