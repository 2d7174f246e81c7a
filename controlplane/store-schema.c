/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The schema, as a list of migrations. Never edit a migration that has been
 * released: append a new one (ALTER TABLE, CREATE TABLE, data moves). A later
 * resource family (task definitions, instances, tasks, services) adds its
 * tables here as the next version.
 */
#include "autoconf.h"

#include "store-internal.h"

const char *const store_migrations[] = {
	/* 1: clusters, their settings, and tags of any resource */
	"CREATE TABLE clusters ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  arn TEXT NOT NULL UNIQUE,"
	"  status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE')),"
	"  configuration TEXT,"
	"  created_ms INTEGER NOT NULL"
	");"
	"CREATE TABLE cluster_settings ("
	"  cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (cluster_id, name)"
	");"
	/* rowid keeps the order in which keys were first set */
	"CREATE TABLE tags ("
	"  resource_arn TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  UNIQUE (resource_arn, key)"
	");",

	/* 2: task definitions (store-taskdefs.c). `body` is the whole
	 * taskDefinition as DescribeTaskDefinition returns it; the columns
	 * beside it are what queries and placement need. */
	"CREATE TABLE task_definitions ("
	"  id INTEGER PRIMARY KEY,"
	"  family TEXT NOT NULL,"
	"  revision INTEGER NOT NULL,"
	"  arn TEXT NOT NULL UNIQUE,"
	"  status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS')),"
	"  body TEXT NOT NULL,"
	"  registered_ms INTEGER NOT NULL,"
	"  deregistered_ms INTEGER,"
	"  UNIQUE (family, revision)"
	");"
	"CREATE INDEX task_definitions_status ON task_definitions (status, family, revision);",

	/* 3: container instances and attributes (store-instances.c). Resources
	 * are the registered totals; what remains is computed from the tasks
	 * placed on an instance, so no counter can drift. `desired_version`
	 * grows whenever the instance's desired task list changes: it is what
	 * the agent's long poll compares. */
	"CREATE TABLE container_instances ("
	"  id INTEGER PRIMARY KEY,"
	"  cluster_id INTEGER NOT NULL REFERENCES clusters(id),"
	"  arn TEXT NOT NULL UNIQUE,"
	"  ec2_instance_id TEXT,"
	"  hostname TEXT,"
	"  status TEXT NOT NULL,"
	"  status_reason TEXT,"
	"  token_hash TEXT,"
	"  agent_connected INTEGER NOT NULL DEFAULT 0,"
	"  last_seen_ms INTEGER,"
	"  cpu INTEGER NOT NULL DEFAULT 0,"
	"  memory INTEGER NOT NULL DEFAULT 0,"
	"  resources TEXT NOT NULL,"
	"  version_info TEXT,"
	"  capabilities TEXT,"
	"  desired_version INTEGER NOT NULL DEFAULT 1,"
	"  registered_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL,"
	/* ECS's ContainerInstance.version: grows with every visible change */
	"  version INTEGER NOT NULL DEFAULT 1,"
	/* the latest telemetry (InstanceHealth), no time series */
	"  health_overall TEXT,"
	"  health_runtime TEXT,"
	"  health_runtime_detail TEXT,"
	"  health_runtime_changed_ms INTEGER,"
	"  health_disk TEXT,"
	"  health_agent TEXT,"
	"  disk_total_bytes INTEGER,"
	"  disk_free_bytes INTEGER,"
	"  memory_available_bytes INTEGER,"
	"  reported_running_tasks INTEGER,"
	"  reported_task_stats INTEGER,"
	"  telemetry_ms INTEGER"
	");"
	/* covers placement's read of every candidate (store-placement.c) */
	"CREATE INDEX container_instances_cluster ON container_instances"
	"  (cluster_id, status, arn, agent_connected, cpu, memory);"
	"CREATE INDEX container_instances_identity ON container_instances (cluster_id, ec2_instance_id);"
	"CREATE INDEX container_instances_token ON container_instances (token_hash);"
	"CREATE INDEX container_instances_liveness ON container_instances (agent_connected, last_seen_ms);"
	/* target_id is the instance ARN. `source` tells what the agent
	 * reported at registration ('agent', replaced when it registers
	 * again) from what PutAttributes set ('user', kept). */
	"CREATE TABLE attributes ("
	"  cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,"
	"  target_type TEXT NOT NULL,"
	"  target_id TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  value TEXT,"
	"  source TEXT NOT NULL DEFAULT 'user' CHECK (source IN ('agent', 'user')),"
	"  PRIMARY KEY (cluster_id, target_id, name)"
	");"
	/* placement reads one attribute name across the cluster
	 * (requiresAttributes, spread by attribute) */
	"CREATE INDEX attributes_name ON attributes (cluster_id, name);",

	/* 4: tasks and their containers (store-tasks.c). A task holds its
	 * reservation (cpu, memory, host ports as JSON) on its instance until
	 * it is STOPPED. `sequence` is the highest agent state-change sequence
	 * applied, which makes reports idempotent. */
	"CREATE TABLE tasks ("
	"  id INTEGER PRIMARY KEY,"
	"  arn TEXT NOT NULL UNIQUE,"
	"  cluster_id INTEGER NOT NULL REFERENCES clusters(id),"
	"  instance_id INTEGER REFERENCES container_instances(id),"
	"  taskdef_id INTEGER NOT NULL REFERENCES task_definitions(id),"
	"  overrides TEXT,"
	"  started_by TEXT,"
	"  group_name TEXT,"
	"  launch_type TEXT,"
	"  last_status TEXT NOT NULL,"
	"  desired_status TEXT NOT NULL,"
	"  stop_code TEXT,"
	"  stopped_reason TEXT,"
	"  health_status TEXT,"
	"  cpu INTEGER NOT NULL DEFAULT 0,"
	"  memory INTEGER NOT NULL DEFAULT 0,"
	"  host_ports TEXT,"
	"  attachments TEXT,"
	"  sequence INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL,"
	"  pull_started_ms INTEGER,"
	"  pull_stopped_ms INTEGER,"
	"  started_ms INTEGER,"
	"  stopping_ms INTEGER,"
	"  execution_stopped_ms INTEGER,"
	"  stopped_ms INTEGER,"
	"  updated_ms INTEGER NOT NULL,"
	/* ECS's Task.version: grows with every visible change */
	"  version INTEGER NOT NULL DEFAULT 1,"
	/* the instance's desired_version when this task's desired state last
	 * changed (the agent protocol's Task.desired_version) */
	"  desired_version INTEGER NOT NULL DEFAULT 0,"
	"  enable_execute_command INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX tasks_cluster ON tasks (cluster_id, desired_status, last_status);"
	"CREATE INDEX tasks_instance ON tasks (instance_id, desired_status);"
	/* placement sums what the live tasks hold (the index covers it);
	 * stopped ones pile up */
	"CREATE INDEX tasks_live ON tasks (cluster_id, instance_id, cpu, memory, last_status, group_name)"
	"  WHERE last_status != 'STOPPED';"
	"CREATE TABLE task_containers ("
	"  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  arn TEXT NOT NULL,"
	"  image TEXT,"
	"  image_digest TEXT,"
	"  runtime_id TEXT,"
	"  last_status TEXT NOT NULL,"
	"  exit_code INTEGER,"
	"  reason TEXT,"
	"  health_status TEXT,"
	"  network_bindings TEXT,"
	"  cpu INTEGER,"
	"  memory INTEGER,"
	"  memory_reservation INTEGER,"
	"  PRIMARY KEY (task_id, name)"
	");",

	/* 5: Secrets Manager secrets (store-secrets.c), one current version
	 * each. `deleted_ms` is when DeleteSecret scheduled the deletion (NULL:
	 * live), `deletion_ms` when the row goes away for good. */
	"CREATE TABLE secrets ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  arn TEXT NOT NULL UNIQUE,"
	"  description TEXT,"
	"  secret_string TEXT,"
	"  version_id TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  changed_ms INTEGER NOT NULL,"
	"  deleted_ms INTEGER,"
	"  deletion_ms INTEGER"
	");",
};

const size_t store_n_migrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
