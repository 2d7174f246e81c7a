/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent state database's schema, as a list of migrations: migration i
 * brings the schema to version i+1. A released migration is never edited;
 * changes are appended as new ones, so an agent upgraded in place keeps its
 * tasks. state.c applies them.
 */
#include "autoconf.h"

#include "state-internal.h"

const char *const state_migrations[] = {
	/* 1: facts, tasks, containers, the outbox. Unsigned 64-bit counters
	 * (desired_version, sequence) are stored bit for bit in INTEGER
	 * columns. */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  value TEXT NOT NULL"
	");"
	"CREATE TABLE tasks ("
	"  arn TEXT PRIMARY KEY NOT NULL,"
	"  family TEXT,"
	"  revision INTEGER NOT NULL DEFAULT 0,"
	"  taskdef_json TEXT,"
	"  overrides_json TEXT,"
	"  desired_status INTEGER NOT NULL DEFAULT 0,"
	"  known_status INTEGER NOT NULL DEFAULT 0,"
	"  stop_code INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT,"
	"  desired_version INTEGER NOT NULL DEFAULT 0,"
	"  sequence INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL DEFAULT 0,"
	"  pull_started_ms INTEGER NOT NULL DEFAULT 0,"
	"  pull_stopped_ms INTEGER NOT NULL DEFAULT 0,"
	"  started_ms INTEGER NOT NULL DEFAULT 0,"
	"  execution_stopped_ms INTEGER NOT NULL DEFAULT 0,"
	"  stopped_ms INTEGER NOT NULL DEFAULT 0,"
	"  stop_sent_ms INTEGER NOT NULL DEFAULT 0,"
	"  cleanup_at_ms INTEGER NOT NULL DEFAULT 0,"
	"  cpu_units INTEGER NOT NULL DEFAULT 0,"
	"  memory_mib INTEGER NOT NULL DEFAULT 0,"
	"  host_ports TEXT,"
	"  step INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX tasks_order ON tasks (created_ms, arn);"
	/* `position` keeps the task definition's container order. */
	"CREATE TABLE containers ("
	"  task_arn TEXT NOT NULL REFERENCES tasks(arn) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  position INTEGER NOT NULL,"
	"  runtime_id TEXT,"
	"  status INTEGER NOT NULL DEFAULT 0,"
	"  has_exit INTEGER NOT NULL DEFAULT 0,"
	"  exit_code INTEGER NOT NULL DEFAULT 0,"
	"  oom_killed INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT,"
	"  image_digest TEXT,"
	"  shim_pid INTEGER NOT NULL DEFAULT 0,"
	"  container_pid INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL DEFAULT 0,"
	"  started_ms INTEGER NOT NULL DEFAULT 0,"
	"  finished_ms INTEGER NOT NULL DEFAULT 0,"
	"  step INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (task_arn, name)"
	");"
	/* AUTOINCREMENT: ids never go back, even after the newest item is
	 * acked and deleted, so "oldest first" is "lowest id first". */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  task_arn TEXT NOT NULL,"
	"  sequence INTEGER NOT NULL,"
	"  payload BLOB NOT NULL"
	");"
	"CREATE INDEX outbox_task ON outbox (task_arn, sequence);",
};

const size_t state_n_migrations = sizeof(state_migrations) / sizeof(state_migrations[0]);
