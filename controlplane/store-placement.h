/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Store: what placement needs to know about a cluster's container
 * instances, read in a handful of cluster-wide queries (not one per
 * instance): registration, attributes, and what the live tasks (lastStatus
 * not STOPPED) hold on each instance.
 *
 * RunTask reads every candidate of the cluster on every call, so the caller
 * says what it needs (struct store_candidates_want) and nothing else is
 * read: with a thousand instances, copying and parsing what a request does
 * not look at was most of the cost of a RunTask.
 */
#include "store.h"

struct store_candidate {
	/* Always filled. */
	int64_t id;
	char *arn;
	char *status;          /* ACTIVE or DRAINING */
	bool agent_connected;
	int64_t cpu;           /* registered CPU units */
	int64_t memory;        /* registered MiB */
	int64_t cpu_used;      /* by live tasks */
	int64_t memory_used;
	int64_t live_tasks;
	int64_t running_tasks; /* lastStatus RUNNING */
	int64_t group_tasks;   /* live tasks of the group asked about */
	/* want.details */
	char *ec2_instance_id; /* may be NULL */
	int64_t registered_ms;
	char *version_info;    /* JSON VersionInfo, or NULL */
	/* want.ports */
	char *resources;       /* JSON list of registered Resource objects */
	struct store_strv host_ports; /* tasks.host_ports texts of the live tasks */
	/* want.all_attributes or want.attributes: name order, value NULL when
	 * none */
	struct store_kv *attrs;
	size_t n_attrs;
};

struct store_candidates {
	struct store_candidate *items; /* ARN order */
	size_t n;
};

void store_candidates_clear(struct store_candidates *c);

/* What to read beyond the fields that are always filled. */
struct store_candidates_want {
	bool only_active;   /* only ACTIVE instances (else ACTIVE and DRAINING) */
	const char *group;  /* group_tasks counts this group's live tasks (NULL: 0) */
	bool details;       /* ec2_instance_id, registered_ms, version_info */
	bool ports;         /* resources and the live tasks' host_ports */
	bool all_attributes;
	/* Without all_attributes: only the attributes of these names (none when
	 * n_attributes is 0). Duplicates are allowed. */
	const char *const *attributes;
	size_t n_attributes;
};

/* The cluster's ACTIVE and DRAINING instances (only the ACTIVE ones with
 * want->only_active), with what `want` asks for. */
int store_candidates_load(struct store *s, int64_t cluster_id,
			  const struct store_candidates_want *want, struct store_candidates *out,
			  struct ecs_err *err);
