/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Store: container instances and their attributes (the container_instances
 * and attributes tables, schema version 3), and the resource usage of an
 * instance computed from the tasks placed on it.
 *
 * Conventions as in store.h: -ENOENT when a lookup finds nothing, other
 * negative values are database failures; functions that change several rows
 * expect the caller to hold a transaction.
 */
#include "store.h"

/* One container_instances row. */
struct store_instance {
	int64_t id;
	int64_t cluster_id;
	char *arn;
	char *ec2_instance_id;  /* instance identity (EC2 id or machine id); may be NULL */
	char *hostname;
	char *status;           /* ACTIVE, DRAINING, INACTIVE */
	char *status_reason;
	bool agent_connected;
	int64_t last_seen_ms;   /* 0: never */
	int64_t cpu;            /* registered CPU units */
	int64_t memory;         /* registered MiB */
	char *resources;        /* JSON list of ECS Resource objects, as registered */
	char *version_info;     /* JSON ECS VersionInfo object, or NULL */
	int64_t desired_version;
	int64_t version;        /* ECS ContainerInstance.version */
	int64_t registered_ms;
	int64_t updated_ms;

	/* latest telemetry; NULL/0 until the agent sends some */
	char *health_overall;
	char *health_runtime;
	char *health_runtime_detail;
	int64_t health_runtime_changed_ms;
	int64_t telemetry_ms;
};

void store_instance_clear(struct store_instance *i);

/* By ARN (any status, any cluster). */
int store_instance_get(struct store *s, const char *arn, struct store_instance *out,
		       struct ecs_err *err);
int store_instance_get_by_id(struct store *s, int64_t id, struct store_instance *out,
			     struct ecs_err *err);
/* The instance whose agent holds the token with this hash (any status). */
int store_instance_get_by_token(struct store *s, const char *token_hash,
				struct store_instance *out, struct ecs_err *err);

/* What a registration (ECS RegisterContainerInstance or the agent
 * protocol's Register) asks for. Strings are borrowed. */
struct store_instance_reg {
	int64_t cluster_id;
	const char *new_arn;      /* the ARN a new instance gets */
	const char *previous_arn; /* re-register this one; NULL: none */
	const char *identity;     /* NULL: none (no identity match) */
	const char *hostname;
	int64_t cpu, memory;
	const char *resources;    /* JSON list of Resource */
	const char *version_info; /* JSON or NULL */
	const struct store_kv *attributes; /* the agent-reported attributes */
	size_t n_attributes;
	const char *token_hash;   /* NULL: leave the stored one */
	int64_t now_ms;
};

/*
 * Register, inside the caller's transaction: with previous_arn, re-register
 * that instance (-ENOENT if it is not in this cluster, -ESTALE if it is
 * INACTIVE); otherwise re-register the ACTIVE or DRAINING instance of the
 * cluster with the same identity, or create one with new_arn. A
 * re-registration keeps the ARN, status and tasks and replaces resources,
 * version info, the agent-reported attributes and (when given) the token.
 * *id is the instance's id, *created whether it is new.
 */
int store_instance_register(struct store *s, const struct store_instance_reg *reg, int64_t *id,
			    bool *created, struct ecs_err *err);

/* Set status (and statusReason, NULL to clear); bumps version and
 * desired_version (the agent's poll shows the instance status). */
int store_instance_set_status(struct store *s, int64_t id, const char *status,
			      const char *reason, int64_t now_ms, struct ecs_err *err);

/* Bump desired_version (and version): the instance's desired task list
 * changed. Callers notify api_instance_changed() after commit. */
int store_instance_bump_desired(struct store *s, int64_t id, int64_t now_ms,
				struct ecs_err *err);

/* Record that the agent was seen at now_ms. *was_connected tells whether it
 * already counted as connected (the flip to connected bumps version). */
int store_instance_touch(struct store *s, int64_t id, int64_t now_ms, bool *was_connected,
			 struct ecs_err *err);

/* ARNs of the cluster's instances in ARN order, strictly after `after`
 * (NULL: from the start); `status` NULL means every status but INACTIVE.
 * limit 0: no limit. *more tells whether further ones exist. */
int store_instance_list(struct store *s, int64_t cluster_id, const char *status,
			const char *after, size_t limit, struct store_strv *out, bool *more,
			struct ecs_err *err);

/* ---- resources in use ----
 * What the tasks placed on an instance reserve: every task whose lastStatus
 * is not STOPPED holds its cpu, memory and host ports. The host_ports
 * column of tasks is read leniently (see store-instances.c). */
struct store_instance_usage {
	int64_t cpu;
	int64_t memory;
	uint16_t *tcp_ports;   /* sorted, unique */
	size_t n_tcp;
	uint16_t *udp_ports;
	size_t n_udp;
	int64_t running_tasks; /* lastStatus RUNNING */
	int64_t pending_tasks; /* lastStatus PROVISIONING, PENDING or ACTIVATING */
	int64_t active_tasks;  /* lastStatus not STOPPED */
};

void store_instance_usage_clear(struct store_instance_usage *u);
int store_instance_usage(struct store *s, int64_t id, struct store_instance_usage *out,
			 struct ecs_err *err);

/* Parse a host_ports JSON text into the usage's port sets (exported for
 * tests and for the scheduler). Unknown shapes are ignored. */
int store_host_ports_add(struct store_instance_usage *u, const char *json);

/* ---- attributes ---- */

struct store_attribute {
	char *target_id; /* the instance ARN */
	char *name;
	char *value;     /* NULL: no value */
	bool from_agent;
};

struct store_attribute_list {
	struct store_attribute *items;
	size_t n;
};

void store_attribute_list_clear(struct store_attribute_list *l);

/* Attributes of one target, in name order. */
int store_attributes_get(struct store *s, int64_t cluster_id, const char *target_id,
			 struct store_attribute_list *out, struct ecs_err *err);
/* Set (insert or overwrite) user attributes. An attribute the agent
 * reported becomes a user one when set this way. */
int store_attribute_put(struct store *s, int64_t cluster_id, const char *target_id,
			const char *name, const char *value, struct ecs_err *err);
/* Remove one attribute; an absent one is not an error. */
int store_attribute_delete(struct store *s, int64_t cluster_id, const char *target_id,
			   const char *name, struct ecs_err *err);
/* How many user-set attributes a target has. */
int store_attribute_count_user(struct store *s, int64_t cluster_id, const char *target_id,
			       int64_t *out, struct ecs_err *err);
/* Attributes of the cluster's container instances in (target_id, name)
 * order, strictly after (after_target, after_name) when given; filtered by
 * name and value when those are non-NULL. limit+1 rows are read so *more
 * can be told. */
int store_attributes_list(struct store *s, int64_t cluster_id, const char *name,
			  const char *value, const char *after_target, const char *after_name,
			  size_t limit, struct store_attribute_list *out, bool *more,
			  struct ecs_err *err);
