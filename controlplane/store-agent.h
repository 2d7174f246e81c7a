/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Store: what the agent protocol reads and writes in the tasks,
 * task_containers and container_instances tables (docs/protocol.md):
 * an instance's desired task list, idempotent state reports, telemetry, and
 * the liveness sweep. Conventions as in store.h.
 */
#include "store.h"
#include "wire.h"

/* One entry of a poll's full state. */
struct store_agent_task {
	char *arn;
	char *taskdef_arn;
	char *family;
	int64_t revision;
	char *taskdef_body;   /* the taskDefinition JSON */
	char *overrides;      /* TaskOverride JSON or NULL */
	char *desired_status; /* RUNNING or STOPPED */
	char *started_by;
	char *group;
	char *stopped_reason;
	char *stop_code;      /* ECS spelling, e.g. UserInitiated */
	int64_t created_ms;
};

struct store_agent_task_list {
	struct store_agent_task *items;
	size_t n;
};

void store_agent_task_list_clear(struct store_agent_task_list *l);

/* The tasks the agent of `instance_id` must know about: desired RUNNING,
 * or desired STOPPED and not yet reported STOPPED. In placement order. */
int store_agent_desired_tasks(struct store *s, int64_t instance_id,
			      struct store_agent_task_list *out, struct ecs_err *err);

/*
 * Apply one task snapshot from the agent of `instance_id` (inside the
 * caller's transaction). A snapshot whose sequence is not above the stored
 * one, or for a task not on this instance, changes nothing. Statuses never
 * move backwards; a reason or stop code set earlier (StopTask's) is kept.
 * *acked is the sequence to acknowledge; *stopped tells that the task has
 * just become STOPPED (its instance's desired list changed).
 */
int store_agent_apply(struct store *s, int64_t instance_id, const Ecsagent__TaskStateChange *ch,
		      int64_t now_ms, uint64_t *acked, bool *stopped, struct ecs_err *err);

/* Keep the latest instance health from telemetry. */
int store_agent_telemetry(struct store *s, int64_t instance_id, const Ecsagent__InstanceHealth *h,
			  size_t n_task_stats, int64_t now_ms, struct ecs_err *err);

/* Mark every task of the instance that is not STOPPED as STOPPED (desired
 * and last status, and their containers), with `reason`. *n is how many. */
int store_agent_stop_tasks(struct store *s, int64_t instance_id, const char *reason,
			   int64_t now_ms, int64_t *n, struct ecs_err *err);

/* Ids of instances counted as connected whose agent was last seen before
 * `before_ms`. */
int store_agent_stale(struct store *s, int64_t before_ms, int64_t **ids, size_t *n,
		      struct ecs_err *err);
/* Mark an instance's agent disconnected (bumps version). */
int store_agent_disconnect(struct store *s, int64_t id, int64_t now_ms, struct ecs_err *err);
/* Ids of instances whose agent has not been seen since before `before_ms`
 * (never-seen instances count from their registration) and that still have
 * tasks that are not STOPPED. */
int store_agent_lost(struct store *s, int64_t before_ms, int64_t **ids, size_t *n,
		     struct ecs_err *err);
