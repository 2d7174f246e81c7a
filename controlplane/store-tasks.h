/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Store: tasks and their containers (the tasks and task_containers tables,
 * schema version 4).
 *
 * A task holds its reservation (cpu, memory, host ports) on its instance
 * until its lastStatus is STOPPED. host_ports is JSON text
 * {"tcp": [80, 443], "udp": [53]} (either member may be absent), the static
 * host ports the task binds; dynamic ports are not reserved.
 *
 * Conventions as in store.h: -ENOENT (err filled) when a lookup finds
 * nothing, other negative errnos for database failures, no transactions
 * opened here.
 */
#include "store.h"

/* Timestamps are milliseconds since the epoch, 0 = has not happened. */
struct store_task {
	int64_t id;
	char *arn;
	int64_t cluster_id;
	int64_t instance_id; /* 0: none */
	int64_t taskdef_id;
	char *overrides;     /* JSON TaskOverride, or NULL */
	char *started_by;
	char *group_name;
	char *launch_type;
	char *last_status;
	char *desired_status;
	char *stop_code;
	char *stopped_reason;
	char *health_status;
	int64_t cpu;         /* reserved CPU units */
	int64_t memory;      /* reserved MiB */
	char *host_ports;    /* JSON, see above, or NULL */
	char *attachments;   /* JSON list of Attachment, or NULL */
	int64_t sequence;
	int64_t version;
	int64_t desired_version;
	bool enable_execute_command;
	int64_t created_ms;
	int64_t pull_started_ms;
	int64_t pull_stopped_ms;
	int64_t started_ms;
	int64_t stopping_ms;
	int64_t execution_stopped_ms;
	int64_t stopped_ms;
	int64_t updated_ms;

	/* Read by store_task_get() from the rows the ids point at. */
	char *cluster_arn;
	char *taskdef_arn;
	char *instance_arn;  /* NULL: none */
	/* The instance's ecs.availability-zone and ecs.cpu-architecture
	 * attributes (NULL: none). */
	char *instance_az;
	char *instance_arch;
};

void store_task_clear(struct store_task *t);

/* A container of a task. Integers that may be absent are -1 when absent. */
struct store_task_container {
	char *name;
	char *arn;
	char *image;
	char *image_digest;
	char *runtime_id;
	char *last_status;
	int64_t exit_code;          /* -1: none; see has_exit_code */
	bool has_exit_code;
	char *reason;
	char *health_status;
	char *network_bindings;     /* JSON list of NetworkBinding, or NULL */
	int64_t cpu;                /* -1: not set */
	int64_t memory;             /* -1: not set */
	int64_t memory_reservation; /* -1: not set */
};

struct store_task_container_list {
	struct store_task_container *items;
	size_t n;
};

void store_task_container_list_clear(struct store_task_container_list *l);

/* Insert a task (every column of `t` but id and the joined ARNs) and its
 * containers; fills *id. An ARN that exists is -EEXIST. */
int store_task_insert(struct store *s, const struct store_task *t,
		      const struct store_task_container *containers, size_t n_containers,
		      int64_t *id, struct ecs_err *err);

/* One task by ARN, with the joined ARNs filled. */
int store_task_get(struct store *s, const char *arn, struct store_task *out,
		   struct ecs_err *err);

/* The containers of a task, in the task definition's order. */
int store_task_containers(struct store *s, int64_t task_id, struct store_task_container_list *out,
			  struct ecs_err *err);

/* Desired status STOPPED with the stop reason and code, stoppingAt = now;
 * bumps the task's version and records the instance's current
 * desired_version on the task (the caller bumped the instance first). */
int store_task_stop(struct store *s, int64_t id, const char *reason, const char *stop_code,
		    int64_t now_ms, struct ecs_err *err);

/* After an instance's desired_version was bumped for this task (RunTask,
 * StartTask): record that version on the task. */
int store_task_mark_desired(struct store *s, int64_t id, struct ecs_err *err);

/* ListTasks. NULL/0 members do not filter. */
struct store_task_filter {
	int64_t cluster_id;
	int64_t instance_id;        /* 0: any */
	const char *family;
	const char *started_by;
	const char *desired_status; /* required */
	const char *launch_type;
};

/* ARNs of matching tasks in ARN order, strictly after `after` (NULL: from
 * the start), at most `limit`. *more tells whether further ones exist. */
int store_task_list(struct store *s, const struct store_task_filter *f, const char *after,
		    size_t limit, struct store_strv *out, bool *more, struct ecs_err *err);
