/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Crash-safe agent state: one SQLite database, ECS_DATADIR/state.db, in WAL
 * mode. Every committed write survives kill -9 of the agent. A durable
 * commit (synchronous=FULL) also survives power loss; a relaxed one may roll
 * back on power loss, never on a crash of the agent, and never leaves the
 * database inconsistent. Relaxed is for what only matters while the host
 * stays up (task and container steps, acknowledged reports, the poll
 * version): a power loss takes the containers, mounts and cgroups such a
 * record describes with it. What the control plane may already have seen
 * (the registration, every queued state change and its sequence number) is
 * always durable. Everything the agent needs after a restart lives here: the
 * instance registration, every task and container it knows, and the queue
 * of state changes not yet acknowledged by the control plane.
 *
 * The engine writes a record *before* acting on it (see ARCHITECTURE.md,
 * "Nothing only in memory"). This module is the only sqlite3 user in the
 * agent. All functions are synchronous; the database is local and small.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

struct state;

/* Open (creating if needed) DATADIR/state.db, apply migrations. DATADIR
 * must exist. */
int state_open(const char *datadir, struct state **out, struct ecs_err *err);
void state_close(struct state *s);
DEFINE_CLEANUP(struct state, state_close)

/* Transactions nest by counting: only the outermost commit writes. An inner
 * begin is a savepoint: an inner rollback undoes only the work since that
 * begin, and the outer transaction stays open. Every write function below
 * joins the caller's transaction when one is open. */
int state_begin(struct state *s, struct ecs_err *err);
/* Like state_begin; when it opens the outermost transaction, that one
 * commits relaxed (see above). Inside an open transaction it is a plain
 * savepoint, durable or not as that transaction is; a durable begin inside
 * a relaxed transaction is refused (EINVAL). */
int state_begin_relaxed(struct state *s, struct ecs_err *err);
int state_commit(struct state *s, struct ecs_err *err);
void state_rollback(struct state *s);

/* Small key/value facts: "instance_arn", "cluster_arn", "instance_token",
 * "poll_version". get: -ENOENT when absent (*value NULL). set: a NULL
 * value removes the key. */
int state_meta_get(struct state *s, const char *key, char **value, struct ecs_err *err);
int state_meta_set(struct state *s, const char *key, const char *value, struct ecs_err *err);

/* Statuses use the wire enum's numbers (Ecsagent__Status): 0 none/unknown,
 * 2 PENDING, 4 RUNNING, 6 STOPPING, 8 STOPPED. */
struct state_container {
	char *name;
	char *runtime_id;       /* OCI container id, unique per agent */
	int status;             /* known status */
	bool has_exit;
	int exit_code;
	bool oom_killed;
	char *reason;           /* NULL or a reason for the last transition */
	char *image_digest;     /* "sha256:..." or NULL */
	int64_t shim_pid;       /* 0 = no shim spawned yet */
	int64_t container_pid;  /* 0 = unknown */
	int64_t created_ms, started_ms, finished_ms;
	uint32_t step;          /* engine's progress marker for half-done work */
};

struct state_task {
	char *arn;
	char *family;
	uint32_t revision;
	char *taskdef_json;     /* the task definition as the control plane sent it */
	char *overrides_json;   /* NULL or "" when none */
	int desired_status;
	int known_status;
	int stop_code;          /* Ecsagent__StopCode */
	char *reason;           /* stoppedReason */
	uint64_t desired_version;
	uint64_t sequence;      /* of the last state change queued */
	int64_t created_ms, pull_started_ms, pull_stopped_ms, started_ms;
	int64_t execution_stopped_ms, stopped_ms;
	int64_t stop_sent_ms;   /* when SIGTERM was sent, 0 = not yet */
	int64_t cleanup_at_ms;  /* when the stopped task's files go, 0 = not scheduled */
	int64_t cpu_units;      /* reserved on this host */
	int64_t memory_mib;     /* reserved on this host */
	char *host_ports;       /* reserved host ports, "tcp:80,udp:53", NULL when none */
	uint32_t step;          /* engine's progress marker */
	struct state_container *containers;
	size_t n_containers;
};

/* Insert or replace the task and all its containers, in one transaction:
 * relaxed on its own, as durable as the caller's transaction inside one. */
int state_task_put(struct state *s, const struct state_task *t, struct ecs_err *err);
/* Remove a task and its containers (and nothing from the outbox), relaxed
 * (a removal lost to power loss is done again). Absent task: 0. */
int state_task_delete(struct state *s, const char *arn, struct ecs_err *err);
/* Every task, ordered by created_ms then arn; *out is an array of *n (free
 * each with state_task_clear, then the array). */
int state_tasks_load(struct state *s, struct state_task **out, size_t *n, struct ecs_err *err);
/* Free what the task owns (containers included) and zero it. NULL ok. */
void state_task_clear(struct state_task *t);
void state_tasks_free(struct state_task *tasks, size_t n);
/* Deep copy (for tests and the engine's snapshots). */
int state_task_copy(const struct state_task *src, struct state_task *dst, struct ecs_err *err);

/* The outbox: encoded state changes waiting for the control plane's ack,
 * delivered oldest first. `payload` is opaque here (the engine stores an
 * encoded StateChangeRequest holding one TaskStateChange). */
struct state_outbox_item {
	int64_t id;             /* increasing */
	char *task_arn;
	uint64_t sequence;
	uint8_t *payload;
	size_t len;
};
int state_outbox_add(struct state *s, const char *task_arn, uint64_t sequence,
		     const uint8_t *payload, size_t len, struct ecs_err *err);
/* Up to `max` oldest items. */
int state_outbox_peek(struct state *s, size_t max, struct state_outbox_item **out, size_t *n,
		      struct ecs_err *err);
void state_outbox_items_free(struct state_outbox_item *items, size_t n);
/* Drop every item of `task_arn` with sequence <= `sequence`, relaxed (an
 * item that comes back after power loss is sent again, and the control
 * plane acknowledges a sequence it has seen without applying it). */
int state_outbox_ack(struct state *s, const char *task_arn, uint64_t sequence,
		     struct ecs_err *err);
/* Number of queued items. */
int state_outbox_count(struct state *s, size_t *n, struct ecs_err *err);
