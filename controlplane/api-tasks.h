/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Tasks: RunTask and StartTask (api-tasks-run.c), StopTask, DescribeTasks
 * and ListTasks (api-tasks.c), and what they share. */
#include "api-internal.h"
#include "store-tasks.h"
#include "taskdef.h"

/* ---- handlers (dispatch table in api.c) ---- */
int api_run_task(struct api_call *c);
int api_start_task(struct api_call *c);
int api_stop_task(struct api_call *c);
int api_describe_tasks(struct api_call *c);
int api_list_tasks(struct api_call *c);

/* For the taggable[] table of api-tags.c: fails the call with
 * InvalidParameterException when the task ARN is unknown. */
int api_task_exists(struct api_call *c, const char *arn);

/* The ARN a task reference (ARN, or the bare 32-digit id) names in cluster
 * `cl`, malloc'd; -EINVAL (call not failed) when it is neither. */
int api_task_arn(struct api_call *c, const struct store_cluster *cl, const char *ref,
		 char **arn);

/* Write one Task object in the botocore shape (tags when `with_tags`). */
int api_write_task(struct api_call *c, const struct store_task *t, bool with_tags);

/* ---- what a task of a definition needs (api-tasks-plan.c) ---- */

struct task_plan_container {
	const char *name;  /* borrowed from the task definition */
	const char *image;
	int64_t cpu;       /* after overrides; -1: not set */
	int64_t memory;
	int64_t memory_reservation;
};

struct task_plan {
	int64_t cpu;       /* reserved on the instance */
	int64_t memory;
	uint16_t *tcp_ports; /* static host ports, ascending, unique */
	size_t n_tcp;
	uint16_t *udp_ports;
	size_t n_udp;
	struct task_plan_container *containers;
	size_t n_containers;
	char *overrides;   /* the TaskOverride as Task.overrides shows it */
	char *host_ports;  /* {"tcp": [...], "udp": [...]}, NULL when none */
};

void task_plan_clear(struct task_plan *p);

/* Check the request's `overrides` (NULL: none) against the definition and
 * work out the reservation: task-level cpu/memory when set (overrides
 * first), otherwise the sum over containers (memoryReservation before
 * memory); static host ports of host and bridge mode. Fails the call with
 * SerializationException / InvalidParameterException on a bad override. */
int task_plan_build(struct api_call *c, const struct taskdef *td, const json_node *overrides,
		    struct task_plan *out);
