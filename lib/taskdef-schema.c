/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The descriptor tables: every member of RegisterTaskDefinitionRequest,
 * ContainerDefinition and their nested shapes, in the order of the botocore
 * ECS model (service-2.json, 2014-11-13), which is also the emit order.
 * Enum lists are the model's, verbatim.
 */
#include "taskdef-internal.h"

/* One table row. T is the struct the table describes, (re)defined above each
 * table. */
#define F(json, kind, m) { json, TD_K_##kind, offsetof(T, m), 0, NULL, NULL }
#define F_REQ(json, kind, m) { json, TD_K_##kind, offsetof(T, m), TD_F_REQUIRED, NULL, NULL }
#define F_STORED(json, kind, m) { json, TD_K_##kind, offsetof(T, m), TD_F_STORED, NULL, NULL }
#define F_ENUM(json, kind, m, e, fl) { json, TD_K_##kind, offsetof(T, m), fl, NULL, e }
#define F_SUB(json, kind, m, d, fl) { json, TD_K_##kind, offsetof(T, m), fl, &d, NULL }
#define DESC(name, shape, fields) \
	static const struct td_desc name = { shape, sizeof(T), fields, ARRAY_SIZE(fields) }

static const char *const network_modes[] = { "bridge", "host", "awsvpc", "none", NULL };
static const char *const compatibilities[] = { "EC2", "FARGATE", "EXTERNAL", NULL };
static const char *const pid_modes[] = { "host", "task", NULL };
static const char *const ipc_modes[] = { "host", "task", "none", NULL };
static const char *const transport_protocols[] = { "tcp", "udp", NULL };
static const char *const app_protocols[] = { "http", "http2", "grpc", NULL };
static const char *const env_file_types[] = { "s3", NULL };
static const char *const device_permissions[] = { "read", "write", "mknod", NULL };
static const char *const conditions[] = { "START", "COMPLETE", "SUCCESS", "HEALTHY", NULL };
static const char *const ulimit_names[] = {
	"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
	"nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", NULL,
};
static const char *const log_drivers[] = {
	"json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens", NULL,
};
static const char *const resource_types[] = { "GPU", "InferenceAccelerator", NULL };
static const char *const firelens_types[] = { "fluentd", "fluentbit", NULL };
static const char *const volume_scopes[] = { "task", "shared", NULL };
static const char *const enabled_disabled[] = { "ENABLED", "DISABLED", NULL };
static const char *const placement_types[] = { "memberOf", NULL };
static const char *const proxy_types[] = { "APPMESH", NULL };
static const char *const cpu_architectures[] = { "X86_64", "ARM64", NULL };
static const char *const os_families[] = {
	"WINDOWS_SERVER_2019_FULL", "WINDOWS_SERVER_2019_CORE", "WINDOWS_SERVER_2016_FULL",
	"WINDOWS_SERVER_2004_CORE", "WINDOWS_SERVER_2022_CORE", "WINDOWS_SERVER_2022_FULL",
	"WINDOWS_SERVER_20H2_CORE", "LINUX", NULL,
};
static const char *const task_statuses[] = { "ACTIVE", "INACTIVE", NULL };
static const char *const target_types[] = { "container-instance", NULL };

/* Container-level shapes */

#define T struct td_repository_credentials
static const struct td_field repository_credentials_fields[] = {
	F_REQ("credentialsParameter", STRING, credentials_parameter),
};
DESC(repository_credentials_desc, "RepositoryCredentials", repository_credentials_fields);
#undef T

#define T struct td_port_mapping
static const struct td_field port_mapping_fields[] = {
	F("containerPort", INT, container_port),
	F("hostPort", INT, host_port),
	F_ENUM("protocol", ENUM, protocol, transport_protocols, 0),
	F("name", STRING, name),
	F_ENUM("appProtocol", ENUM, app_protocol, app_protocols, 0),
	F("containerPortRange", STRING, container_port_range),
};
DESC(port_mapping_desc, "PortMapping", port_mapping_fields);
#undef T

#define T struct td_key_value
static const struct td_field key_value_fields[] = {
	F("name", STRING, name),
	F("value", STRING, value),
};
DESC(key_value_desc, "KeyValuePair", key_value_fields);
#undef T

#define T struct td_environment_file
static const struct td_field environment_file_fields[] = {
	F_REQ("value", STRING, value),
	F_ENUM("type", ENUM, type, env_file_types, TD_F_REQUIRED),
};
DESC(environment_file_desc, "EnvironmentFile", environment_file_fields);
#undef T

#define T struct td_mount_point
static const struct td_field mount_point_fields[] = {
	F("sourceVolume", STRING, source_volume),
	F("containerPath", STRING, container_path),
	F("readOnly", BOOL, read_only),
};
DESC(mount_point_desc, "MountPoint", mount_point_fields);
#undef T

#define T struct td_volume_from
static const struct td_field volume_from_fields[] = {
	F("sourceContainer", STRING, source_container),
	F("readOnly", BOOL, read_only),
};
DESC(volume_from_desc, "VolumeFrom", volume_from_fields);
#undef T

#define T struct td_kernel_capabilities
static const struct td_field kernel_capabilities_fields[] = {
	F("add", STRV, add),
	F("drop", STRV, drop),
};
DESC(kernel_capabilities_desc, "KernelCapabilities", kernel_capabilities_fields);
#undef T

#define T struct td_device
static const struct td_field device_fields[] = {
	F_REQ("hostPath", STRING, host_path),
	F("containerPath", STRING, container_path),
	F_ENUM("permissions", ENUMV, permissions, device_permissions, 0),
};
DESC(device_desc, "Device", device_fields);
#undef T

#define T struct td_tmpfs
static const struct td_field tmpfs_fields[] = {
	F_REQ("containerPath", STRING, container_path),
	F_REQ("size", INT, size),
	F("mountOptions", STRV, mount_options),
};
DESC(tmpfs_desc, "Tmpfs", tmpfs_fields);
#undef T

#define T struct td_linux_parameters
static const struct td_field linux_parameters_fields[] = {
	F_SUB("capabilities", OBJECT, capabilities, kernel_capabilities_desc, 0),
	F_SUB("devices", LIST, devices, device_desc, 0),
	F("initProcessEnabled", BOOL, init_process_enabled),
	F("sharedMemorySize", INT, shared_memory_size),
	F_SUB("tmpfs", LIST, tmpfs, tmpfs_desc, 0),
	F("maxSwap", INT, max_swap),
	F("swappiness", INT, swappiness),
};
DESC(linux_parameters_desc, "LinuxParameters", linux_parameters_fields);
#undef T

#define T struct td_secret
static const struct td_field secret_fields[] = {
	F_REQ("name", STRING, name),
	F_REQ("valueFrom", STRING, value_from),
};
DESC(secret_desc, "Secret", secret_fields);
#undef T

#define T struct td_container_dependency
static const struct td_field container_dependency_fields[] = {
	F_REQ("containerName", STRING, container_name),
	F_ENUM("condition", ENUM, condition, conditions, TD_F_REQUIRED),
};
DESC(container_dependency_desc, "ContainerDependency", container_dependency_fields);
#undef T

#define T struct td_host_entry
static const struct td_field host_entry_fields[] = {
	F_REQ("hostname", STRING, hostname),
	F_REQ("ipAddress", STRING, ip_address),
};
DESC(host_entry_desc, "HostEntry", host_entry_fields);
#undef T

#define T struct td_ulimit
static const struct td_field ulimit_fields[] = {
	F_ENUM("name", ENUM, name, ulimit_names, TD_F_REQUIRED),
	F_REQ("softLimit", INT, soft_limit),
	F_REQ("hardLimit", INT, hard_limit),
};
DESC(ulimit_desc, "Ulimit", ulimit_fields);
#undef T

#define T struct td_log_configuration
static const struct td_field log_configuration_fields[] = {
	F_ENUM("logDriver", ENUM, log_driver, log_drivers, TD_F_REQUIRED),
	F("options", MAP, options),
	F_SUB("secretOptions", LIST, secret_options, secret_desc, 0),
};
DESC(log_configuration_desc, "LogConfiguration", log_configuration_fields);
#undef T

#define T struct td_health_check
static const struct td_field health_check_fields[] = {
	F_REQ("command", STRV, command),
	F("interval", INT, interval),
	F("timeout", INT, timeout),
	F("retries", INT, retries),
	F("startPeriod", INT, start_period),
};
DESC(health_check_desc, "HealthCheck", health_check_fields);
#undef T

#define T struct td_system_control
static const struct td_field system_control_fields[] = {
	F("namespace", STRING, namespace),
	F("value", STRING, value),
};
DESC(system_control_desc, "SystemControl", system_control_fields);
#undef T

#define T struct td_resource_requirement
static const struct td_field resource_requirement_fields[] = {
	F_REQ("value", STRING, value),
	F_ENUM("type", ENUM, type, resource_types, TD_F_REQUIRED),
};
DESC(resource_requirement_desc, "ResourceRequirement", resource_requirement_fields);
#undef T

#define T struct td_firelens_configuration
static const struct td_field firelens_configuration_fields[] = {
	F_ENUM("type", ENUM, type, firelens_types, TD_F_REQUIRED),
	F("options", MAP, options),
};
DESC(firelens_configuration_desc, "FirelensConfiguration", firelens_configuration_fields);
#undef T

#define T struct td_container
static const struct td_field container_fields[] = {
	F("name", STRING, name),
	F("image", STRING, image),
	F_SUB("repositoryCredentials", OBJECT, repository_credentials, repository_credentials_desc, 0),
	F("cpu", INT, cpu),
	F("memory", INT, memory),
	F("memoryReservation", INT, memory_reservation),
	F("links", STRV, links),
	F_SUB("portMappings", LIST, port_mappings, port_mapping_desc, 0),
	F("essential", BOOL, essential),
	F("entryPoint", STRV, entry_point),
	F("command", STRV, command),
	F_SUB("environment", LIST, environment, key_value_desc, 0),
	F_SUB("environmentFiles", LIST, environment_files, environment_file_desc, 0),
	F_SUB("mountPoints", LIST, mount_points, mount_point_desc, 0),
	F_SUB("volumesFrom", LIST, volumes_from, volume_from_desc, 0),
	F_SUB("linuxParameters", OBJECT, linux_parameters, linux_parameters_desc, 0),
	F_SUB("secrets", LIST, secrets, secret_desc, 0),
	F_SUB("dependsOn", LIST, depends_on, container_dependency_desc, 0),
	F("startTimeout", INT, start_timeout),
	F("stopTimeout", INT, stop_timeout),
	F("hostname", STRING, hostname),
	F("user", STRING, user),
	F("workingDirectory", STRING, working_directory),
	F("disableNetworking", BOOL, disable_networking),
	F("privileged", BOOL, privileged),
	F("readonlyRootFilesystem", BOOL, readonly_root_filesystem),
	F("dnsServers", STRV, dns_servers),
	F("dnsSearchDomains", STRV, dns_search_domains),
	F_SUB("extraHosts", LIST, extra_hosts, host_entry_desc, 0),
	F("dockerSecurityOptions", STRV, docker_security_options),
	F("interactive", BOOL, interactive),
	F("pseudoTerminal", BOOL, pseudo_terminal),
	F("dockerLabels", MAP, docker_labels),
	F_SUB("ulimits", LIST, ulimits, ulimit_desc, 0),
	F_SUB("logConfiguration", OBJECT, log_configuration, log_configuration_desc, 0),
	F_SUB("healthCheck", OBJECT, health_check, health_check_desc, 0),
	F_SUB("systemControls", LIST, system_controls, system_control_desc, 0),
	F_SUB("resourceRequirements", LIST, resource_requirements, resource_requirement_desc, 0),
	F_SUB("firelensConfiguration", OBJECT, firelens_configuration, firelens_configuration_desc, 0),
};
#undef T
/* td_walk_parse() tracks members it has seen in a 64-bit mask. */
_Static_assert(ARRAY_SIZE(container_fields) <= 64, "ContainerDefinition has too many members");
const struct td_desc td_desc_container = {
	"ContainerDefinition", sizeof(struct td_container), container_fields,
	ARRAY_SIZE(container_fields),
};

/* Volumes */

#define T struct td_host_volume
static const struct td_field host_volume_fields[] = {
	F("sourcePath", STRING, source_path),
};
DESC(host_volume_desc, "HostVolumeProperties", host_volume_fields);
#undef T

#define T struct td_docker_volume
static const struct td_field docker_volume_fields[] = {
	F_ENUM("scope", ENUM, scope, volume_scopes, 0),
	F("autoprovision", BOOL, autoprovision),
	F("driver", STRING, driver),
	F("driverOpts", MAP, driver_opts),
	F("labels", MAP, labels),
};
DESC(docker_volume_desc, "DockerVolumeConfiguration", docker_volume_fields);
#undef T

#define T struct td_efs_authorization
static const struct td_field efs_authorization_fields[] = {
	F("accessPointId", STRING, access_point_id),
	F_ENUM("iam", ENUM, iam, enabled_disabled, 0),
};
DESC(efs_authorization_desc, "EFSAuthorizationConfig", efs_authorization_fields);
#undef T

#define T struct td_efs_volume
static const struct td_field efs_volume_fields[] = {
	F_REQ("fileSystemId", STRING, file_system_id),
	F("rootDirectory", STRING, root_directory),
	F_ENUM("transitEncryption", ENUM, transit_encryption, enabled_disabled, 0),
	F("transitEncryptionPort", INT, transit_encryption_port),
	F_SUB("authorizationConfig", OBJECT, authorization_config, efs_authorization_desc, 0),
};
DESC(efs_volume_desc, "EFSVolumeConfiguration", efs_volume_fields);
#undef T

#define T struct td_fsx_authorization
static const struct td_field fsx_authorization_fields[] = {
	F_REQ("credentialsParameter", STRING, credentials_parameter),
	F_REQ("domain", STRING, domain),
};
DESC(fsx_authorization_desc, "FSxWindowsFileServerAuthorizationConfig", fsx_authorization_fields);
#undef T

#define T struct td_fsx_volume
static const struct td_field fsx_volume_fields[] = {
	F_REQ("fileSystemId", STRING, file_system_id),
	F_REQ("rootDirectory", STRING, root_directory),
	F_SUB("authorizationConfig", OBJECT, authorization_config, fsx_authorization_desc,
	      TD_F_REQUIRED),
};
DESC(fsx_volume_desc, "FSxWindowsFileServerVolumeConfiguration", fsx_volume_fields);
#undef T

#define T struct td_volume
static const struct td_field volume_fields[] = {
	F("name", STRING, name),
	F_SUB("host", OBJECT, host, host_volume_desc, 0),
	F_SUB("dockerVolumeConfiguration", OBJECT, docker_volume_configuration,
	      docker_volume_desc, 0),
	F_SUB("efsVolumeConfiguration", OBJECT, efs_volume_configuration, efs_volume_desc, 0),
	F_SUB("fsxWindowsFileServerVolumeConfiguration", OBJECT,
	      fsx_windows_file_server_volume_configuration, fsx_volume_desc, 0),
};
DESC(volume_desc, "Volume", volume_fields);
#undef T

/* Task-level shapes */

#define T struct td_placement_constraint
static const struct td_field placement_constraint_fields[] = {
	F_ENUM("type", ENUM, type, placement_types, 0),
	F("expression", STRING, expression),
};
DESC(placement_constraint_desc, "TaskDefinitionPlacementConstraint", placement_constraint_fields);
#undef T

#define T struct td_tag
static const struct td_field tag_fields[] = {
	F("key", STRING, key),
	F("value", STRING, value),
};
DESC(tag_desc, "Tag", tag_fields);
#undef T

#define T struct td_proxy_configuration
static const struct td_field proxy_configuration_fields[] = {
	F_ENUM("type", ENUM, type, proxy_types, 0),
	F_REQ("containerName", STRING, container_name),
	F_SUB("properties", LIST, properties, key_value_desc, 0),
};
DESC(proxy_configuration_desc, "ProxyConfiguration", proxy_configuration_fields);
#undef T

#define T struct td_inference_accelerator
static const struct td_field inference_accelerator_fields[] = {
	F_REQ("deviceName", STRING, device_name),
	F_REQ("deviceType", STRING, device_type),
};
DESC(inference_accelerator_desc, "InferenceAccelerator", inference_accelerator_fields);
#undef T

#define T struct td_ephemeral_storage
static const struct td_field ephemeral_storage_fields[] = {
	F_REQ("sizeInGiB", INT, size_in_gib),
};
DESC(ephemeral_storage_desc, "EphemeralStorage", ephemeral_storage_fields);
#undef T

#define T struct td_runtime_platform
static const struct td_field runtime_platform_fields[] = {
	F_ENUM("cpuArchitecture", ENUM, cpu_architecture, cpu_architectures, 0),
	F_ENUM("operatingSystemFamily", ENUM, operating_system_family, os_families, 0),
};
DESC(runtime_platform_desc, "RuntimePlatform", runtime_platform_fields);
#undef T

#define T struct td_attribute
static const struct td_field attribute_fields[] = {
	F_REQ("name", STRING, name),
	F("value", STRING, value),
	F_ENUM("targetType", ENUM, target_type, target_types, 0),
	F("targetId", STRING, target_id),
};
DESC(attribute_desc, "Attribute", attribute_fields);
#undef T

#define T struct taskdef
static const struct td_field taskdef_fields[] = {
	F_STORED("taskDefinitionArn", STRING, task_definition_arn),
	F_SUB("containerDefinitions", LIST, containers, td_desc_container, TD_F_REQUIRED),
	F_REQ("family", STRING, family),
	F("taskRoleArn", STRING, task_role_arn),
	F("executionRoleArn", STRING, execution_role_arn),
	F_ENUM("networkMode", ENUM, network_mode, network_modes, 0),
	F_STORED("revision", INT, revision),
	F_SUB("volumes", LIST, volumes, volume_desc, 0),
	F_ENUM("status", ENUM, status, task_statuses, TD_F_STORED),
	F_SUB("requiresAttributes", LIST, requires_attributes, attribute_desc, TD_F_STORED),
	F_SUB("placementConstraints", LIST, placement_constraints, placement_constraint_desc, 0),
	F_ENUM("compatibilities", ENUMV, compatibilities, compatibilities, TD_F_STORED),
	F_SUB("runtimePlatform", OBJECT, runtime_platform, runtime_platform_desc, 0),
	F_ENUM("requiresCompatibilities", ENUMV, requires_compatibilities, compatibilities, 0),
	F("cpu", STRING, cpu),
	F("memory", STRING, memory),
	F_SUB("inferenceAccelerators", LIST, inference_accelerators, inference_accelerator_desc, 0),
	F_ENUM("pidMode", ENUM, pid_mode, pid_modes, 0),
	F_ENUM("ipcMode", ENUM, ipc_mode, ipc_modes, 0),
	F_SUB("proxyConfiguration", OBJECT, proxy_configuration, proxy_configuration_desc, 0),
	F_STORED("registeredAt", TIME, registered_at),
	F_STORED("deregisteredAt", TIME, deregistered_at),
	F_STORED("registeredBy", STRING, registered_by),
	F_SUB("ephemeralStorage", OBJECT, ephemeral_storage, ephemeral_storage_desc, 0),
	/* Not in TaskDefinition (DescribeTaskDefinition returns tags beside it),
	 * but part of the request and worth keeping with the stored copy. */
	F_SUB("tags", LIST, tags, tag_desc, 0),
};
#undef T
_Static_assert(ARRAY_SIZE(taskdef_fields) <= 64, "RegisterTaskDefinitionRequest has too many members");
const struct td_desc td_desc_taskdef = {
	"RegisterTaskDefinitionRequest", sizeof(struct taskdef), taskdef_fields,
	ARRAY_SIZE(taskdef_fields),
};
