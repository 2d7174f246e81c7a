/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The agent's configuration: /etc/ecs-agent.conf (or --config FILE), with
 * environment variables of the same names overriding the file. Key names
 * follow the ECS container agent where ECS has one; docs/config.md lists
 * every key, its default and unit. Parsing rules are lib/config.h's.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"

#define AGENT_DEFAULT_CONFIG_PATH "/etc/ecs-agent.conf"

enum agent_runtime_kind {
	AGENT_RUNTIME_RUNC = 0,
	AGENT_RUNTIME_CRUN = 1,
};

enum agent_auth_type {
	AGENT_AUTH_DOCKER = 0,
	AGENT_AUTH_DOCKERCFG = 1,
};

enum agent_pull_behavior {
	AGENT_PULL_DEFAULT = 0,
	AGENT_PULL_ALWAYS,
	AGENT_PULL_ONCE,
	AGENT_PULL_PREFER_CACHED,
};

struct agent_config {
	char *cluster;                       /* ECS_CLUSTER, "default" */
	char *datadir;                       /* ECS_DATADIR, /var/lib/ecs-agent */
	int64_t reserved_memory_mib;         /* ECS_RESERVED_MEMORY, 0 */
	struct config_ports reserved_ports;  /* ECS_RESERVED_PORTS, [22,2375,2376,51678,51679] */
	struct config_ports reserved_ports_udp; /* ECS_RESERVED_PORTS_UDP, [] */
	uint64_t container_stop_timeout;     /* ECS_CONTAINER_STOP_TIMEOUT, usec, 30s */
	uint64_t container_start_timeout;    /* ECS_CONTAINER_START_TIMEOUT, usec, 3m */
	uint64_t task_cleanup_wait;          /* ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION, usec, 3h */
	struct config_map instance_attributes; /* ECS_INSTANCE_ATTRIBUTES */
	struct config_map instance_tags;     /* ECS_CONTAINER_INSTANCE_TAGS */
	struct config_strv logging_drivers;  /* ECS_AVAILABLE_LOGGING_DRIVERS, ["json-file","journald","none"] */
	int loglevel;                        /* ECS_LOGLEVEL: index into crit,error,warn,info,debug; default info */
	char *controlplane_url;              /* ECS_CONTROLPLANE_URL (required to run the daemon) */
	char *join_token;                    /* ECS_JOIN_TOKEN */
	int runtime;                         /* ECS_RUNTIME: enum agent_runtime_kind, runc */
	char *runtime_path;                  /* ECS_RUNTIME_PATH: binary; unset = search PATH for the runtime's name */
	char *shim_path;                     /* ECS_SHIM_PATH: unset = ecs-agent-shim next to the agent binary, else PKGLIBEXECDIR */
	char *init_path;                     /* ECS_INIT_PATH: static init for initProcessEnabled; unset = ecs-agent-init next to the agent, else PKGLIBEXECDIR */
	char *image_helper_path;             /* ECS_IMAGE_HELPER_PATH: ecs-agent-image, which resolves and unpacks images; unset = next to the agent, else PKGLIBEXECDIR */
	char *cgroup_parent;                 /* ECS_CGROUP_PARENT, "/ecs": task cgroups are <parent>/<task id> */
	char *instance_identity;             /* ECS_INSTANCE_IDENTITY: unset = /etc/machine-id */
	bool enable_task_cpu_mem_limit;      /* ECS_ENABLE_TASK_CPU_MEM_LIMIT, true */
	uint64_t poll_wait;                  /* ECS_POLL_WAIT, usec, 20s: long-poll wait asked of the control plane */
	uint64_t reconnect_max_backoff;      /* ECS_RECONNECT_MAX_BACKOFF, usec, 30s */
	/* Images (docs/images.md). */
	int engine_auth_type;                /* ECS_ENGINE_AUTH_TYPE: enum agent_auth_type, -1 unset */
	char *engine_auth_data;              /* ECS_ENGINE_AUTH_DATA: JSON per the type (secret) */
	struct config_strv insecure_registries; /* ECS_INSECURE_REGISTRIES: host:port reached over plain http */
	char *registry_ca_file;              /* ECS_REGISTRY_CA_FILE: extra CA bundle for registries */
	int pull_behavior;                   /* ECS_IMAGE_PULL_BEHAVIOR: enum agent_pull_behavior, default */
	uint64_t pull_timeout;               /* ECS_IMAGE_PULL_TIMEOUT, usec, 2h */
	uint64_t pull_inactivity_timeout;    /* ECS_IMAGE_PULL_INACTIVITY_TIMEOUT, usec, 1m */
	bool disable_image_cleanup;          /* ECS_DISABLE_IMAGE_CLEANUP, false */
	uint64_t image_cleanup_interval;     /* ECS_IMAGE_CLEANUP_INTERVAL, usec, 30m */
	uint64_t image_min_cleanup_age;      /* ECS_IMAGE_MINIMUM_CLEANUP_AGE, usec, 1h */
	int64_t images_delete_per_cycle;     /* ECS_NUM_IMAGES_DELETE_PER_CYCLE, 5 */
	uint64_t watchdog_interval;          /* derived: 0 unless WATCHDOG_USEC asks (filled by the daemon) */
};

/* The key table, for config_write() and docs. */
const struct config_key *agent_config_keys(size_t *n);

/*
 * Load defaults, then `path` (NULL: AGENT_DEFAULT_CONFIG_PATH; a missing
 * default file is fine, a missing explicit file is an error), then the
 * environment. On success *out is a loaded config (free with
 * agent_config_free). Errors name file:line: KEY. Warnings (unknown keys)
 * are logged at warn level.
 */
int agent_config_load(const char *path, bool path_explicit, struct agent_config **out,
		      struct ecs_err *err);
void agent_config_free(struct agent_config *c);
DEFINE_CLEANUP(struct agent_config, agent_config_free)

/* Write the effective configuration as KEY=VALUE lines with origins
 * ("# default", "# /etc/ecs-agent.conf:3", "# environment"). */
int agent_config_print(const struct agent_config *c, FILE *f, struct ecs_err *err);

/* Cross-key checks the daemon needs before it starts (URL present and
 * http(s), datadir absolute, runtime binary found, shim found). Returns 0 or
 * -EINVAL with every problem joined by "; ". */
int agent_config_check_runnable(const struct agent_config *c, struct ecs_err *err);

/* Resolved paths (after check_runnable they are non-NULL). These, print and
 * check_runnable need a config from agent_config_load(), not a struct filled
 * by hand: the loader keeps the origins and resolved paths beside it. */
const char *agent_config_runtime_binary(const struct agent_config *c);
const char *agent_config_runtime_name(const struct agent_config *c); /* "runc" / "crun" */
/* The words of ECS_ENGINE_AUTH_TYPE (NULL when unset) and
 * ECS_IMAGE_PULL_BEHAVIOR, as the image helper's request spells them. */
const char *agent_config_auth_type_name(const struct agent_config *c);
const char *agent_config_pull_behavior_name(const struct agent_config *c);
const char *agent_config_shim_binary(const struct agent_config *c);
const char *agent_config_init_binary(const struct agent_config *c);
/* ecs-agent-image: next to the agent binary, else PKGLIBEXECDIR. */
const char *agent_config_image_binary(const struct agent_config *c);
