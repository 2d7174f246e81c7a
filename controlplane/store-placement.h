/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Store: what placement needs to know about a cluster's container
 * instances, read in a handful of cluster-wide queries (not one per
 * instance): registration, attributes, and what the live tasks (lastStatus
 * not STOPPED) hold on each instance.
 */
#include "store.h"

struct store_candidate {
	int64_t id;
	char *arn;
	char *status;          /* ACTIVE or DRAINING */
	char *ec2_instance_id; /* may be NULL */
	bool agent_connected;
	int64_t registered_ms;
	int64_t cpu;           /* registered CPU units */
	int64_t memory;        /* registered MiB */
	char *resources;       /* JSON list of registered Resource objects */
	char *version_info;    /* JSON VersionInfo, or NULL */
	int64_t cpu_used;      /* by live tasks */
	int64_t memory_used;
	int64_t live_tasks;
	int64_t running_tasks; /* lastStatus RUNNING */
	int64_t group_tasks;   /* live tasks of the group asked about */
	struct store_strv host_ports; /* tasks.host_ports texts of the live tasks */
	struct store_strv groups;     /* distinct groups of the live tasks */
	struct store_kv *attrs;       /* name order; value NULL when none */
	size_t n_attrs;
};

struct store_candidates {
	struct store_candidate *items; /* ARN order */
	size_t n;
};

void store_candidates_clear(struct store_candidates *c);

/* Every ACTIVE and DRAINING instance of the cluster (only the ACTIVE ones
 * when `only_active`); group_tasks counts the live tasks whose group is
 * `group` (NULL: none counted). */
int store_candidates_load(struct store *s, int64_t cluster_id, const char *group,
			  bool only_active, struct store_candidates *out, struct ecs_err *err);
