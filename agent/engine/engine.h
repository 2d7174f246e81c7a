/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The task engine: ECS task and container state machines on this host.
 *
 * Level-triggered: engine_apply_desired() takes the control plane's complete
 * desired list and starts what is missing, stops what is no longer wanted
 * (docs/protocol.md, "Reconciliation"). Every transition is written to the
 * state database, together with the state change that reports it, *before*
 * the engine acts on it, so a kill -9 at any point loses nothing:
 * engine_recover() re-adopts running containers through their shims, reads
 * the exits that happened while the agent was away, finishes or rolls back
 * half-done work and removes whatever no task owns.
 *
 * Statuses follow ECS: a task is PENDING while its containers are being
 * prepared and started, RUNNING when all are running, STOPPED when all have
 * exited. An essential container's exit stops the task
 * (EssentialContainerExited). Stopping sends SIGTERM, then SIGKILL after the
 * container's stopTimeout (or ECS_CONTAINER_STOP_TIMEOUT). A stopped task's
 * files, mounts and cgroups go after ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION.
 *
 * The engine's per-container steps (prepare, start, watch, stop) are
 * separate functions so that dependsOn conditions and health checks (a
 * later issue) can gate them without a rewrite.
 */
#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "agent-config.h"
#include "cleanup.h"
#include "error.h"
#include "runtime/runtime.h"
#include "state.h"
#include "wire.h"

struct engine;

struct engine_params {
	sd_event *event;
	const struct agent_config *cfg;
	struct state *state;
	struct runtime runtime;      /* binary, name, root */
	const char *shim_binary;
	const char *init_binary;
	const char *image_helper;     /* ecs-agent-image */
	int64_t cpu_units;           /* host total: cores x 1024 */
	int64_t memory_mib;          /* host total minus ECS_RESERVED_MEMORY */
};

int engine_new(const struct engine_params *p, struct engine **out, struct ecs_err *err);
void engine_free(struct engine *e);
DEFINE_CLEANUP(struct engine, engine_free)

/* Load the state, re-adopt containers, apply exits that happened while the
 * agent was down, finish interrupted transitions and sweep leaked runtime
 * containers, mounts, cgroups and directories. Call once before the first
 * engine_apply_desired(). */
int engine_recover(struct engine *e, struct ecs_err *err);

/* Called whenever a state change was queued in the outbox. */
void engine_set_report_hook(struct engine *e, void (*fn)(void *ud), void *ud);

/* Reconcile against a poll response's complete task list. */
void engine_apply_desired(struct engine *e, const Ecsagent__PollResponse *resp);

/* Stop every task (the instance was deregistered, or the agent is asked to
 * drain on shutdown). */
void engine_stop_all(struct engine *e, int stop_code, const char *reason);

/* Number of tasks not yet STOPPED. */
unsigned engine_active_tasks(const struct engine *e);

/* The manifest digests that containers of tasks not yet cleaned up use, read
 * from the state in DATADIR (none when there is no state yet); the strings
 * and the array are malloc'd. For `ecs-agent image rm`. */
int engine_images_in_use(const char *datadir, char ***out, size_t *n, struct ecs_err *err);

/* Host resources and ports, for registration. */
int64_t engine_cpu_units(const struct engine *e);
int64_t engine_memory_mib(const struct engine *e);

/* Telemetry: per-task cgroup stats. The arrays stay owned by the engine
 * until the next call or engine_free(). */
int engine_fill_telemetry(struct engine *e, Ecsagent__TelemetryRequest *req,
			  struct ecs_err *err);
