/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Shared by the engine's files; see engine.h for the contract. */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "engine.h"
#include "runtime/shim-spare.h"
#include "taskdef.h"

/* Wire status numbers (Ecsagent__Status), which the state stores too. */
#define ST_NONE     0
#define ST_PENDING  ECSAGENT__STATUS__PENDING
#define ST_RUNNING  ECSAGENT__STATUS__RUNNING
#define ST_STOPPED  ECSAGENT__STATUS__STOPPED

/* Task progress markers (state_task.step), persisted before the work. */
enum task_step {
	TASK_STEP_NEW = 0,       /* recorded, nothing acquired yet */
	TASK_STEP_ADMITTED,      /* resources reserved, cgroup may exist */
	TASK_STEP_STOPPING,      /* stop requested, containers being stopped */
	TASK_STEP_STOPPED,       /* all containers gone, reported STOPPED */
	TASK_STEP_CLEANED,       /* files, mounts, cgroups removed: a tombstone */
};

/* Container progress markers (state_container.step). */
enum ctr_step {
	CTR_STEP_NEW = 0,        /* nothing on disk yet */
	CTR_STEP_PREPARING,      /* rootfs/bundle may be partly there */
	CTR_STEP_SPAWNING,       /* shim may be running (see shim.pid) */
	CTR_STEP_SPAWNED,        /* shim pid recorded */
	CTR_STEP_DONE,           /* exit recorded */
};

struct etask;
struct telemetry_buf;
struct image_cache;
struct image_fetcher;
struct image_fetch;
struct prepared;

struct ectr {
	struct etask *task;
	size_t idx;                       /* into task->st.containers */
	const struct td_container *td;
	char *dir;                        /* TASKDIR/<name>: state, bundle, rootfs */
	sd_event_source *watch;           /* inotify on dir */
	sd_event_source *kill_timer;      /* SIGKILL after stop timeout */
	sd_event_source *start_timer;     /* ECS_CONTAINER_START_TIMEOUT */
	struct image_fetch *pull;         /* waiting for the image helper */
	struct prepared *ready;           /* prepared, waiting for a start slot */
	struct ectr *queue_next;          /* in engine->start_queue */
	bool queued;                      /* waiting for a start slot */
	bool starting;                    /* holds a start slot (shim spawned, not started) */
	bool kill_sent;
	/* repositoryCredentials resolved by the control plane (the poll's
	 * registry_credentials). Secrets: in memory only, never saved; after a
	 * restart they are NULL until the next full poll brings them again. */
	char *reg_username, *reg_password;
	char *reg_error;                  /* the control plane could not resolve them */
};

struct etask {
	struct engine *engine;
	struct state_task st;             /* the persisted record */
	struct taskdef *td;               /* NULL when the definition is unusable */
	char *id;                         /* last component of the ARN */
	char *dir;                        /* DATADIR/tasks/<id> */
	char *cgroup;                     /* CGROUP_PARENT/<id> */
	struct ectr *ctrs;                /* st.n_containers of them */
	sd_event_source *cleanup_timer;
	bool in_desired;                  /* seen in the latest desired list */
	uint64_t reported_key;            /* report_state_key last queued; 0: none
					   * since this agent started */
	struct etask *next;
};

struct engine {
	struct engine_params p;
	struct etask *tasks;              /* list, newest first */
	void (*report_fn)(void *ud);
	void *report_ud;
	char *tasks_dir;                  /* DATADIR/tasks */
	sd_event_source *liveness;        /* periodic shim liveness check */
	sd_event_source *image_gc;        /* ECS_IMAGE_CLEANUP_INTERVAL */
	struct image_cache *images;       /* resolved images */
	struct image_fetcher *fetcher;    /* helper runs in flight */
	/* Start slots (start-queue.c). */
	unsigned starting, max_starting;
	struct ectr *start_queue, *start_queue_tail;
	sd_event_source *dispatch;        /* deferred: start queued containers */
	/* The spare shim (spare.c). */
	struct shim_spare spare;
	sd_event_source *spare_refill;
	/* Telemetry arrays handed out by engine_fill_telemetry. */
	struct telemetry_buf *telemetry;
};

static inline struct state_container *ectr_st(const struct ectr *c)
{
	return &c->task->st.containers[c->idx];
}

int64_t engine_now_ms(void);

/* engine.c */
struct etask *engine_find(struct engine *e, const char *arn);
/* Persist the task as is (no report). On failure the error is logged. */
int etask_save(struct etask *t);
/* When the task's reportable state (report_state_key) differs from what
 * was last queued: bump the sequence, persist the task and queue its
 * snapshot, atomically, then poke the report hook. Otherwise nothing, not
 * even a save: timestamps, the image digest and unsaved steps ride along
 * with the next change (docs/agent.md, "Reporting"). */
int etask_report(struct etask *t);
void etask_free(struct etask *t);
void engine_unlink(struct engine *e, struct etask *t);
/* Build the in-memory task from a state record (takes ownership of *st):
 * parses the definition, derives paths. A definition that cannot be used
 * leaves t->td NULL and *why set. */
struct etask *etask_from_state(struct engine *e, struct state_task *st, char **why);
const char *etask_name(const struct etask *t); /* "family:rev (id)" for logs */

/* report.c: encode the task's snapshot as a StateChangeRequest. */
int report_encode(const struct etask *t, uint8_t **out, size_t *len, struct ecs_err *err);
/* A hash of what a report changes at the control plane: the statuses,
 * exit codes, reasons and stop code of the task and its containers. */
uint64_t report_state_key(const struct etask *t);
/* Everything PENDING, no reason: what the control plane has recorded
 * since RunTask, so there is nothing to tell it. */
bool report_state_is_initial(const struct etask *t);

/* spare.c: start a spare shim soon, unless there is one or a container is
 * starting; free it with the engine. */
void engine_spare_refill(struct engine *e);
void engine_spare_free(struct engine *e);

/* admit.c: host resource accounting. */
int admit_requirements(const struct taskdef *td, int64_t *cpu, int64_t *mem, char **ports,
		       struct ecs_err *err);
/* Whether the task fits next to every other admitted, not-stopped task; on
 * refusal a reason such as "RESOURCE:MEMORY (needs 512 MiB, 256 free)". */
bool admit_fits(struct engine *e, const struct etask *t, char **reason);

/* reconcile.c: forget a container's registry credentials (wiping them). */
void ectr_clear_registry_credentials(struct ectr *c);

/* features.c: the first member this agent cannot honour, as a reason. */
bool features_unsupported(const struct taskdef *td, char *why, size_t size);

/* overrides.c: apply a TaskOverride JSON to a definition. */
int overrides_apply(struct taskdef *td, const char *json, struct ecs_err *err);

/* container.c: prepare and start through a shim. */
int ectr_start(struct ectr *c, struct ecs_err *err);
/* Watch DIR for the shim's records, and apply any present now. */
int ectr_watch(struct ectr *c);
/* Read started/exit records and apply them. */
void ectr_poll_records(struct ectr *c);
/* Mark a container stopped without it ever running (reason given). */
void ectr_fail(struct ectr *c, const char *reason);
/* Send SIGTERM (arming the SIGKILL timer), or SIGKILL now. */
void ectr_stop(struct ectr *c);
/* Remove the container's rootfs, bundle and runtime record. */
void ectr_cleanup(struct ectr *c);
void ectr_release(struct ectr *c); /* drop event sources */
/* container-start.c: a prepared container (rootfs, bundle, log settings)
 * handed to a new shim; freeing what preparing made. */
int ectr_spawn_prepared(struct ectr *c, struct prepared *p, struct ecs_err *err);
void prepared_free(struct prepared *p);

/* start-queue.c: start slots. Take one for `c` (false: none free). */
bool start_slot_take(struct ectr *c);
/* Wait for a slot with `ready` (taken over), in order. */
void start_queue_push(struct ectr *c, struct prepared *ready);
/* The container's runtime start finished (it runs or it exited) or was
 * abandoned: give its slot to the next queued container, and drop it from
 * the queue if it waits there. */
void ectr_start_done(struct ectr *c);
/* Fail the container if it has not started within ECS_CONTAINER_START_TIMEOUT. */
void arm_start_timer_for(struct ectr *c);
const char *ectr_runtime_id(const struct ectr *c);

/* task.c: lifecycle. */
void etask_start(struct etask *t);
/* Ask the task to stop (idempotent); the first stop code/reason wins. */
void etask_stop(struct etask *t, int stop_code, const char *reason);
/* Re-evaluate the task after a container changed. */
void etask_update(struct etask *t);
/* Fail a task that never started: every container STOPPED with `reason`. */
void etask_fail(struct etask *t, const char *reason);
/* Container `c` could not be started (pull, create, spawn): it stops with
 * `reason` and the task fails to start. */
void ectr_fail_start(struct ectr *c, const char *reason);
void etask_schedule_cleanup(struct etask *t);
void etask_cleanup(struct etask *t);

/* telemetry.c */
void engine_telemetry_free(struct engine *e);

/* image-gc.c: start the periodic image cleanup (unless disabled). */
void image_gc_arm(struct engine *e);

/* recover.c */
/* Whether the container's shim died without a record (the container is then
 * failed as lost): true when something changed. */
bool ectr_check_alive(struct ectr *c);
void recover_sweep(struct engine *e);
