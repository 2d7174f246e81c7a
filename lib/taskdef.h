/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The ECS task-definition model: the RegisterTaskDefinition request (and the
 * stored TaskDefinition that DescribeTaskDefinition returns) as C structs.
 *
 * Member names are the ECS JSON names in snake_case (containerDefinitions ->
 * containers, the one abbreviation). Every member keeps "was it present":
 *   - strings and enum strings are char * (NULL = absent), kept verbatim;
 *   - optional numbers and booleans are struct td_int / td_bool / td_time
 *     with a `set` flag, so an absent `cpu` is not 0;
 *   - lists and maps carry `set` too, so an empty [] or {} survives;
 *   - nested objects are pointers (NULL = absent).
 * That is what makes parse -> emit exact: every member present in the input
 * comes out again, in the ECS API's member order.
 *
 * Parsing checks the shape (types, enum values, required members, unknown
 * members); validation checks the rules ECS applies when it registers a task
 * definition. Every problem names its JSON path, e.g.
 *   containerDefinitions[1].portMappings[0].hostPort: must be between 0 and 65535
 * and all problems are collected, not just the first. docs/task-definition.md
 * lists the rules.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

struct td_int {
	int64_t value;
	bool set;
};

struct td_bool {
	bool value;
	bool set;
};

/* Seconds since the epoch, as the ECS JSON protocol writes timestamps. */
struct td_time {
	double value;
	bool set;
};

/* A list of T: items[0..count), `set` when the member was present. */
#define TD_LIST(T)           \
	struct {             \
		T *items;    \
		size_t count; \
		bool set;    \
	}

struct td_strv {
	char **items;
	size_t count;
	bool set;
};

struct td_map_entry {
	char *key;
	char *value;
};

/* A JSON object of strings, in document order. */
struct td_map {
	struct td_map_entry *items;
	size_t count;
	bool set;
};

struct td_repository_credentials {
	char *credentials_parameter;
};

struct td_port_mapping {
	struct td_int container_port;
	struct td_int host_port;
	char *protocol;             /* tcp | udp */
	char *name;
	char *app_protocol;         /* http | http2 | grpc */
	char *container_port_range; /* "a-b", newer ECS API member */
};

/* KeyValuePair: environment, proxy properties. */
struct td_key_value {
	char *name;
	char *value;
};

struct td_environment_file {
	char *value;
	char *type; /* s3 */
};

struct td_mount_point {
	char *source_volume;
	char *container_path;
	struct td_bool read_only;
};

struct td_volume_from {
	char *source_container;
	struct td_bool read_only;
};

struct td_kernel_capabilities {
	struct td_strv add;
	struct td_strv drop;
};

struct td_device {
	char *host_path;
	char *container_path;
	struct td_strv permissions; /* read | write | mknod */
};

struct td_tmpfs {
	char *container_path;
	struct td_int size; /* MiB */
	struct td_strv mount_options;
};

struct td_linux_parameters {
	struct td_kernel_capabilities *capabilities;
	TD_LIST(struct td_device) devices;
	struct td_bool init_process_enabled;
	struct td_int shared_memory_size; /* MiB */
	TD_LIST(struct td_tmpfs) tmpfs;
	struct td_int max_swap;   /* MiB */
	struct td_int swappiness; /* 0..100 */
};

struct td_secret {
	char *name;
	char *value_from;
};

struct td_container_dependency {
	char *container_name;
	char *condition; /* START | COMPLETE | SUCCESS | HEALTHY */
};

struct td_host_entry {
	char *hostname;
	char *ip_address;
};

struct td_ulimit {
	char *name;
	struct td_int soft_limit;
	struct td_int hard_limit;
};

struct td_log_configuration {
	char *log_driver;
	struct td_map options;
	TD_LIST(struct td_secret) secret_options;
};

struct td_health_check {
	struct td_strv command;
	struct td_int interval;     /* seconds, default 30 */
	struct td_int timeout;      /* seconds, default 5 */
	struct td_int retries;      /* default 3 */
	struct td_int start_period; /* seconds, default 0 */
};

struct td_system_control {
	char *namespace;
	char *value;
};

struct td_resource_requirement {
	char *value;
	char *type; /* GPU | InferenceAccelerator */
};

struct td_firelens_configuration {
	char *type; /* fluentd | fluentbit */
	struct td_map options;
};

struct td_container {
	char *name;
	char *image;
	struct td_repository_credentials *repository_credentials;
	struct td_int cpu;
	struct td_int memory;             /* MiB, hard limit */
	struct td_int memory_reservation; /* MiB, soft limit */
	struct td_strv links;
	TD_LIST(struct td_port_mapping) port_mappings;
	struct td_bool essential; /* absent means true */
	struct td_strv entry_point;
	struct td_strv command;
	TD_LIST(struct td_key_value) environment;
	TD_LIST(struct td_environment_file) environment_files;
	TD_LIST(struct td_mount_point) mount_points;
	TD_LIST(struct td_volume_from) volumes_from;
	struct td_linux_parameters *linux_parameters;
	TD_LIST(struct td_secret) secrets;
	TD_LIST(struct td_container_dependency) depends_on;
	struct td_int start_timeout;
	struct td_int stop_timeout;
	char *hostname;
	char *user;
	char *working_directory;
	struct td_bool disable_networking;
	struct td_bool privileged;
	struct td_bool readonly_root_filesystem;
	struct td_strv dns_servers;
	struct td_strv dns_search_domains;
	TD_LIST(struct td_host_entry) extra_hosts;
	struct td_strv docker_security_options;
	struct td_bool interactive;
	struct td_bool pseudo_terminal;
	struct td_map docker_labels;
	TD_LIST(struct td_ulimit) ulimits;
	struct td_log_configuration *log_configuration;
	struct td_health_check *health_check;
	TD_LIST(struct td_system_control) system_controls;
	TD_LIST(struct td_resource_requirement) resource_requirements;
	struct td_firelens_configuration *firelens_configuration;
};

struct td_host_volume {
	char *source_path;
};

struct td_docker_volume {
	char *scope; /* task | shared */
	struct td_bool autoprovision;
	char *driver;
	struct td_map driver_opts;
	struct td_map labels;
};

struct td_efs_authorization {
	char *access_point_id;
	char *iam; /* ENABLED | DISABLED */
};

struct td_efs_volume {
	char *file_system_id;
	char *root_directory;
	char *transit_encryption; /* ENABLED | DISABLED */
	struct td_int transit_encryption_port;
	struct td_efs_authorization *authorization_config;
};

struct td_fsx_authorization {
	char *credentials_parameter;
	char *domain;
};

struct td_fsx_volume {
	char *file_system_id;
	char *root_directory;
	struct td_fsx_authorization *authorization_config;
};

struct td_volume {
	char *name;
	struct td_host_volume *host;
	struct td_docker_volume *docker_volume_configuration;
	struct td_efs_volume *efs_volume_configuration;
	struct td_fsx_volume *fsx_windows_file_server_volume_configuration;
};

struct td_placement_constraint {
	char *type; /* memberOf */
	char *expression;
};

struct td_tag {
	char *key;
	char *value;
};

struct td_proxy_configuration {
	char *type; /* APPMESH */
	char *container_name;
	TD_LIST(struct td_key_value) properties;
};

struct td_inference_accelerator {
	char *device_name;
	char *device_type;
};

struct td_ephemeral_storage {
	struct td_int size_in_gib;
};

struct td_runtime_platform {
	char *cpu_architecture;        /* X86_64 | ARM64 */
	char *operating_system_family; /* LINUX | WINDOWS_SERVER_... */
};

/* requiresAttributes entries of a stored task definition. */
struct td_attribute {
	char *name;
	char *value;
	char *target_type;
	char *target_id;
};

struct taskdef {
	/* RegisterTaskDefinitionRequest */
	char *family;
	char *task_role_arn;
	char *execution_role_arn;
	char *network_mode; /* bridge | host | awsvpc | none; see taskdef_network_mode() */
	TD_LIST(struct td_container) containers; /* "containerDefinitions" */
	TD_LIST(struct td_volume) volumes;
	TD_LIST(struct td_placement_constraint) placement_constraints;
	struct td_strv requires_compatibilities; /* EC2 | FARGATE | EXTERNAL */
	char *cpu;    /* as written: "256", "1 vCPU"; see taskdef_cpu_units() */
	char *memory; /* as written: "512", "2 GB"; see taskdef_memory_mib() */
	TD_LIST(struct td_tag) tags;
	char *pid_mode; /* host | task */
	char *ipc_mode; /* host | task | none */
	struct td_proxy_configuration *proxy_configuration;
	TD_LIST(struct td_inference_accelerator) inference_accelerators;
	struct td_ephemeral_storage *ephemeral_storage;
	struct td_runtime_platform *runtime_platform;

	/* Members of a registered TaskDefinition (DescribeTaskDefinition output).
	 * Accepted only with TASKDEF_PARSE_STORED. */
	char *task_definition_arn;
	struct td_int revision;
	char *status; /* ACTIVE | INACTIVE */
	TD_LIST(struct td_attribute) requires_attributes;
	struct td_strv compatibilities;
	struct td_time registered_at;
	char *registered_by;
	struct td_time deregistered_at;
};

/* One thing wrong with a document. `path` is the JSON path of the offending
 * member ("containerDefinitions[1].portMappings[0].hostPort"), "" for the
 * document itself. */
struct td_problem {
	char *path;
	char *message;
};

struct td_problems {
	struct td_problem *items;
	size_t count;
};

/* Free every problem and reset *p to empty. NULL allowed. */
void td_problems_free(struct td_problems *p);

/* Append a problem. Returns 0, or -ENOMEM (nothing appended). */
int td_problems_add(struct td_problems *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "path: message" lines joined with `sep` (malloc'd), or NULL on ENOMEM.
 * An empty list gives "". */
char *td_problems_join(const struct td_problems *p, const char *sep);

enum {
	/* Also accept the members only a registered task definition has
	 * (taskDefinitionArn, revision, status, requiresAttributes,
	 * compatibilities, registeredAt, registeredBy, deregisteredAt), as in
	 * DescribeTaskDefinition's `taskDefinition`. For the control plane's
	 * store. */
	TASKDEF_PARSE_STORED = 1 << 0,
	/* Check the shape only; skip taskdef_validate(). */
	TASKDEF_PARSE_NO_VALIDATE = 1 << 1,
};

/* Parse + validate a RegisterTaskDefinition JSON document (`len` bytes, need
 * not be NUL-terminated). Returns 0 and a new model in *out on success;
 * -EINVAL with every problem appended to *problems (each with its JSON path)
 * and a one-line summary in err when the document is invalid; another
 * negative errno (err filled) for resource failures. `problems` may be NULL
 * when the summary is enough. Validation runs only on a document whose shape
 * is right, so shape problems come first and alone. */
int taskdef_parse(const char *json, size_t len, struct taskdef **out,
		  struct td_problems *problems, struct ecs_err *err);
/* taskdef_parse() with TASKDEF_PARSE_* flags. */
int taskdef_parse_flags(const char *json, size_t len, unsigned flags, struct taskdef **out,
			struct td_problems *problems, struct ecs_err *err);

/* Check the ECS registration rules (docs/task-definition.md). Returns 0, or
 * -EINVAL with every broken rule appended to *problems, or -ENOMEM. */
int taskdef_validate(const struct taskdef *td, struct td_problems *problems);

enum {
	/* Leave out the registered-task-definition members (see
	 * TASKDEF_PARSE_STORED), giving a valid RegisterTaskDefinition request. */
	TASKDEF_EMIT_REQUEST = 1 << 0,
	TASKDEF_EMIT_PRETTY = 1 << 1,
};

/* Serialise to JSON (malloc'd, NUL-terminated), members in the ECS API's
 * order. Parsing the output gives back an identical model. NULL with err
 * filled on failure. */
char *taskdef_to_json(const struct taskdef *td, bool pretty, struct ecs_err *err);
char *taskdef_to_json_flags(const struct taskdef *td, unsigned flags, struct ecs_err *err);

void taskdef_free(struct taskdef *td);
DEFINE_CLEANUP(struct taskdef, taskdef_free)

/* Task-level cpu as ECS accepts it: CPU units ("256", "1024") or vCPUs
 * ("1 vCPU", "0.5 vcpu", "2vcpu"). Sets *out to CPU units (1 vCPU = 1024).
 * Returns 0 or -EINVAL. */
int taskdef_cpu_units(const char *s, int64_t *out);
/* Task-level memory: MiB ("512") or GB ("1 GB", "2GB", "0.5 GB"; GiB, MB
 * and MiB suffixes too). Sets *out to MiB (1 GB = 1024 MiB). Returns 0 or
 * -EINVAL. */
int taskdef_memory_mib(const char *s, int64_t *out);

enum td_network_mode {
	TD_NET_BRIDGE,
	TD_NET_HOST,
	TD_NET_AWSVPC,
	TD_NET_NONE,
	TD_NET_UNKNOWN, /* a value ECS does not know (already reported as a problem) */
};

/* The effective network mode: networkMode, or bridge when absent (the ECS
 * default on Linux; FARGATE task definitions must say awsvpc). Rules that
 * depend on the mode skip TD_NET_UNKNOWN, so a misspelt mode is reported
 * once rather than as a cascade of mode-specific errors. */
enum td_network_mode taskdef_network_mode(const struct taskdef *td);

/* Whether requiresCompatibilities lists `compat` ("FARGATE", "EC2", ...). */
bool taskdef_requires(const struct taskdef *td, const char *compat);

/* essential, with ECS's default of true. */
bool td_container_essential(const struct td_container *c);

/* The container named `name`, or NULL. */
const struct td_container *taskdef_container(const struct taskdef *td, const char *name);

/* The value stored under `key`, or NULL. */
const char *td_map_get(const struct td_map *m, const char *key);
