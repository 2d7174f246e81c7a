/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * One fully populated message of every wire type, shared by the codec's unit
 * test (round trips; it also checks that every field of the .proto is set
 * here, so a field added later without a sample fails the test) and the
 * fuzz corpus generator.
 */
#include "cleanup.h"
#include "wire.h"

struct wire_samples {
	/* register */
	Ecsagent__VersionInfo version;
	Ecsagent__Resource res_cpu, res_mem, res_ports, res_long, res_double;
	Ecsagent__Resource *resources[5];
	char *ports[3];
	Ecsagent__Attribute attr_cap, attr_os;
	Ecsagent__Attribute *attributes[2];
	Ecsagent__Tag tag;
	Ecsagent__Tag *tags[1];
	Ecsagent__RegisterRequest register_request;
	Ecsagent__RegisterResponse register_response;
	/* poll */
	Ecsagent__PollRequest poll_request;
	Ecsagent__IpAddress ip4, ip6;
	Ecsagent__IpAddress *ip4s[1], *ip6s[1];
	char *dns_servers[2], *dns_search[1];
	Ecsagent__NetworkInterface eni;
	Ecsagent__NetworkInterface *enis[1];
	Ecsagent__RegistryCredential regcred;
	Ecsagent__RegistryCredential *regcreds[1];
	Ecsagent__Task task, task_stopped;
	Ecsagent__Task *tasks[2];
	Ecsagent__PollResponse poll_response;
	/* state */
	Ecsagent__NetworkBinding binding_udp, binding_range;
	Ecsagent__NetworkBinding *bindings[2];
	Ecsagent__ContainerStateChange container, container_running;
	Ecsagent__ContainerStateChange *containers[2];
	Ecsagent__TaskStateChange task_change;
	Ecsagent__TaskStateChange *task_changes[1];
	Ecsagent__StateChangeRequest state_request;
	Ecsagent__TaskAck ack;
	Ecsagent__TaskAck *acks[1];
	Ecsagent__StateChangeResponse state_response;
	/* telemetry */
	Ecsagent__CpuStats cpu;
	Ecsagent__MemoryStats mem;
	Ecsagent__NetworkStats net;
	Ecsagent__NetworkStats *nets[1];
	Ecsagent__BlockIoStats blk;
	Ecsagent__BlockIoStats *blks[1];
	Ecsagent__ContainerStats cstats;
	Ecsagent__ContainerStats *cstatss[1];
	Ecsagent__TaskStats tstats;
	Ecsagent__TaskStats *tstatss[1];
	Ecsagent__InstanceHealth health;
	Ecsagent__TelemetryRequest telemetry_request;
	Ecsagent__TelemetryResponse telemetry_response;
	Ecsagent__ErrorResponse error_response;
};

#define WS_TASK_ARN "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef"
#define WS_INSTANCE_ARN \
	"arn:aws:ecs:us-east-1:123456789012:container-instance/default/fedcba9876543210"
#define WS_TASKDEF_JSON                                                              \
	"{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"nginx\",\"image\":" \
	"\"nginx:1.25\",\"memory\":128,\"essential\":true}]}"

static inline void wire_samples_init(struct wire_samples *s)
{
	/* Register */
	s->version = (Ecsagent__VersionInfo)ECSAGENT__VERSION_INFO__INIT;
	s->version.agent_version = "0.1.0";
	s->version.agent_hash = "8c5b884";
	s->version.runtime_name = "runc";
	s->version.runtime_version = "1.1.5";
	s->version.kernel_version = "6.1.0-18-amd64";

	s->res_cpu = (Ecsagent__Resource)ECSAGENT__RESOURCE__INIT;
	s->res_cpu.name = "CPU";
	s->res_cpu.type = ECSAGENT__RESOURCE_TYPE__INTEGER;
	s->res_cpu.integer_value = 2048;
	s->res_mem = (Ecsagent__Resource)ECSAGENT__RESOURCE__INIT;
	s->res_mem.name = "MEMORY";
	s->res_mem.type = ECSAGENT__RESOURCE_TYPE__INTEGER;
	s->res_mem.integer_value = 3928;
	s->ports[0] = "22";
	s->ports[1] = "2375";
	s->ports[2] = "51678";
	s->res_ports = (Ecsagent__Resource)ECSAGENT__RESOURCE__INIT;
	s->res_ports.name = "PORTS";
	s->res_ports.type = ECSAGENT__RESOURCE_TYPE__STRINGSET;
	s->res_ports.n_string_set_value = 3;
	s->res_ports.string_set_value = s->ports;
	s->res_long = (Ecsagent__Resource)ECSAGENT__RESOURCE__INIT;
	s->res_long.name = "EPHEMERAL_STORAGE";
	s->res_long.type = ECSAGENT__RESOURCE_TYPE__LONG;
	s->res_long.long_value = 64424509440LL;
	s->res_double = (Ecsagent__Resource)ECSAGENT__RESOURCE__INIT;
	s->res_double.name = "WEIGHT";
	s->res_double.type = ECSAGENT__RESOURCE_TYPE__DOUBLE;
	s->res_double.double_value = 0.75;
	/* The "every field set" check looks at the first element of each
	 * repeated field, so that one carries every value. */
	s->res_cpu.long_value = 1;
	s->res_cpu.double_value = 1.5;
	s->res_cpu.n_string_set_value = 1;
	s->res_cpu.string_set_value = s->ports;
	s->resources[0] = &s->res_cpu;
	s->resources[1] = &s->res_mem;
	s->resources[2] = &s->res_ports;
	s->resources[3] = &s->res_long;
	s->resources[4] = &s->res_double;

	s->attr_cap = (Ecsagent__Attribute)ECSAGENT__ATTRIBUTE__INIT;
	s->attr_cap.name = "ecs.capability.task-eni";
	s->attr_cap.value = "true";
	s->attr_cap.target_type = "container-instance";
	s->attr_cap.target_id = WS_INSTANCE_ARN;
	s->attr_os = (Ecsagent__Attribute)ECSAGENT__ATTRIBUTE__INIT;
	s->attr_os.name = "ecs.os-type";
	s->attr_os.value = "linux";
	s->attributes[0] = &s->attr_cap;
	s->attributes[1] = &s->attr_os;
	s->tag = (Ecsagent__Tag)ECSAGENT__TAG__INIT;
	s->tag.key = "team";
	s->tag.value = "platform";
	s->tags[0] = &s->tag;

	s->register_request = (Ecsagent__RegisterRequest)ECSAGENT__REGISTER_REQUEST__INIT;
	s->register_request.protocol_major = WIRE_PROTOCOL_MAJOR;
	s->register_request.protocol_minor = 7;
	s->register_request.cluster = "default";
	s->register_request.join_token = "join-5ecr3t";
	s->register_request.instance_identity = "i-0abcdef1234567890";
	s->register_request.hostname = "node-1.example.internal";
	s->register_request.version_info = &s->version;
	s->register_request.n_total_resources = ARRAY_SIZE(s->resources);
	s->register_request.total_resources = s->resources;
	s->register_request.n_attributes = ARRAY_SIZE(s->attributes);
	s->register_request.attributes = s->attributes;
	s->register_request.n_tags = 1;
	s->register_request.tags = s->tags;
	s->register_request.previous_container_instance_arn = WS_INSTANCE_ARN;

	s->register_response = (Ecsagent__RegisterResponse)ECSAGENT__REGISTER_RESPONSE__INIT;
	s->register_response.protocol_major = WIRE_PROTOCOL_MAJOR;
	s->register_response.protocol_minor = 7;
	s->register_response.container_instance_arn = WS_INSTANCE_ARN;
	s->register_response.cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/default";
	s->register_response.instance_token = "tok-0123456789";
	s->register_response.poll_timeout_seconds = 20;
	s->register_response.telemetry_interval_seconds = 30;

	/* Poll */
	s->poll_request = (Ecsagent__PollRequest)ECSAGENT__POLL_REQUEST__INIT;
	s->poll_request.protocol_major = WIRE_PROTOCOL_MAJOR;
	s->poll_request.protocol_minor = 7;
	s->poll_request.container_instance_arn = WS_INSTANCE_ARN;
	s->poll_request.known_version = 41;
	s->poll_request.wait_seconds = 20;

	s->ip4 = (Ecsagent__IpAddress)ECSAGENT__IP_ADDRESS__INIT;
	s->ip4.address = "10.0.1.23";
	s->ip4.prefix_length = 24;
	s->ip4.primary = 1;
	s->ip6 = (Ecsagent__IpAddress)ECSAGENT__IP_ADDRESS__INIT;
	s->ip6.address = "2001:db8::17";
	s->ip6.prefix_length = 64;
	s->ip6.primary = 1;
	s->ip4s[0] = &s->ip4;
	s->ip6s[0] = &s->ip6;
	s->dns_servers[0] = "10.0.0.2";
	s->dns_servers[1] = "10.0.0.3";
	s->dns_search[0] = "ec2.internal";
	s->eni = (Ecsagent__NetworkInterface)ECSAGENT__NETWORK_INTERFACE__INIT;
	s->eni.attachment_arn = "arn:aws:ecs:us-east-1:123456789012:attachment/1111";
	s->eni.interface_id = "eni-0123456789abcdef0";
	s->eni.mac_address = "0a:1b:2c:3d:4e:5f";
	s->eni.n_ipv4_addresses = 1;
	s->eni.ipv4_addresses = s->ip4s;
	s->eni.n_ipv6_addresses = 1;
	s->eni.ipv6_addresses = s->ip6s;
	s->eni.ipv4_gateway = "10.0.1.1";
	s->eni.ipv6_gateway = "2001:db8::1";
	s->eni.n_dns_servers = 2;
	s->eni.dns_servers = s->dns_servers;
	s->eni.n_dns_search_domains = 1;
	s->eni.dns_search_domains = s->dns_search;
	s->eni.private_dns_name = "ip-10-0-1-23.ec2.internal";
	s->eni.mtu = 9001;
	s->eni.subnet_id = "subnet-0abc";
	s->enis[0] = &s->eni;

	s->task = (Ecsagent__Task)ECSAGENT__TASK__INIT;
	s->task.task_arn = WS_TASK_ARN;
	s->task.task_definition_arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";
	s->task.family = "web";
	s->task.revision = 3;
	s->task.task_definition_json = WS_TASKDEF_JSON;
	s->task.overrides_json = "{\"containerOverrides\":[{\"name\":\"nginx\",\"command\":[\"sh\"]}]}";
	s->task.desired_status = ECSAGENT__STATUS__RUNNING;
	s->task.started_by = "ecs-svc/1234";
	s->task.group = "service:web";
	s->task.n_network_interfaces = 1;
	s->task.network_interfaces = s->enis;
	s->task.desired_version = 42;
	s->task.created_at_ms = 1700000000123LL;
	s->task.stop_reason = "Scaling activity initiated by deployment";
	s->task.stop_code = ECSAGENT__STOP_CODE__SERVICE_SCHEDULER_INITIATED;
	s->task.n_tags = 1;
	s->task.tags = s->tags;
	/* A real entry has either username/password or error; the sample sets
	 * every field. */
	s->regcred = (Ecsagent__RegistryCredential)ECSAGENT__REGISTRY_CREDENTIAL__INIT;
	s->regcred.container_name = "nginx";
	s->regcred.credentials_parameter =
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:reg-AbCdEf";
	s->regcred.username = "alice";
	s->regcred.password = "s3cret";
	s->regcred.error = "the secret has no password string";
	s->regcreds[0] = &s->regcred;
	s->task.n_registry_credentials = 1;
	s->task.registry_credentials = s->regcreds;
	s->task_stopped = (Ecsagent__Task)ECSAGENT__TASK__INIT;
	s->task_stopped.task_arn = WS_TASK_ARN "ff";
	s->task_stopped.family = "batch";
	s->task_stopped.revision = 1;
	s->task_stopped.task_definition_json = "{\"family\":\"batch\",\"containerDefinitions\":[]}";
	s->task_stopped.desired_status = ECSAGENT__STATUS__STOPPED;
	s->task_stopped.desired_version = 40;
	s->tasks[0] = &s->task;
	s->tasks[1] = &s->task_stopped;

	s->poll_response = (Ecsagent__PollResponse)ECSAGENT__POLL_RESPONSE__INIT;
	s->poll_response.protocol_major = WIRE_PROTOCOL_MAJOR;
	s->poll_response.protocol_minor = 7;
	s->poll_response.version = 42;
	s->poll_response.unchanged = 1; /* nonsense with tasks, but sets the field */
	s->poll_response.n_tasks = 2;
	s->poll_response.tasks = s->tasks;
	s->poll_response.instance_status = ECSAGENT__INSTANCE_STATUS__DRAINING;
	s->poll_response.poll_delay_ms = 250;

	/* State changes */
	s->binding_udp = (Ecsagent__NetworkBinding)ECSAGENT__NETWORK_BINDING__INIT;
	s->binding_udp.bind_ip = "0.0.0.0";
	s->binding_udp.container_port = 53;
	s->binding_udp.host_port = 32768;
	s->binding_udp.protocol = ECSAGENT__TRANSPORT_PROTOCOL__UDP;
	s->binding_udp.container_port_range = "53-54";
	s->binding_udp.host_port_range = "32768-32769";
	s->binding_range = (Ecsagent__NetworkBinding)ECSAGENT__NETWORK_BINDING__INIT;
	s->binding_range.bind_ip = "::";
	s->binding_range.container_port_range = "8000-8010";
	s->binding_range.host_port_range = "40000-40010";
	s->bindings[0] = &s->binding_udp;
	s->bindings[1] = &s->binding_range;

	s->container = (Ecsagent__ContainerStateChange)ECSAGENT__CONTAINER_STATE_CHANGE__INIT;
	s->container.container_name = "nginx";
	s->container.status = ECSAGENT__STATUS__STOPPED;
	wire_set_exit_code(&s->container, 137);
	s->container.reason = "OutOfMemoryError: container killed due to memory usage";
	s->container.runtime_id = "0123456789abcdef0123456789abcdef-nginx";
	s->container.image_digest =
		"sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31";
	s->container.n_network_bindings = 2;
	s->container.network_bindings = s->bindings;
	s->container.health_status = ECSAGENT__HEALTH_STATUS__UNHEALTHY;
	s->container.created_at_ms = 1700000001000LL;
	s->container.started_at_ms = 1700000002000LL;
	s->container.finished_at_ms = 1700000003000LL;
	s->container_running = (Ecsagent__ContainerStateChange)ECSAGENT__CONTAINER_STATE_CHANGE__INIT;
	s->container_running.container_name = "sidecar";
	s->container_running.status = ECSAGENT__STATUS__RUNNING;
	s->containers[0] = &s->container;
	s->containers[1] = &s->container_running;

	s->task_change = (Ecsagent__TaskStateChange)ECSAGENT__TASK_STATE_CHANGE__INIT;
	s->task_change.task_arn = WS_TASK_ARN;
	s->task_change.sequence = 9;
	s->task_change.status = ECSAGENT__STATUS__STOPPED;
	s->task_change.reason = "Essential container in task exited";
	s->task_change.stop_code = ECSAGENT__STOP_CODE__ESSENTIAL_CONTAINER_EXITED;
	s->task_change.health_status = ECSAGENT__HEALTH_STATUS__HEALTHY;
	s->task_change.n_containers = 2;
	s->task_change.containers = s->containers;
	s->task_change.pull_started_at_ms = 1700000000500LL;
	s->task_change.pull_stopped_at_ms = 1700000000900LL;
	s->task_change.started_at_ms = 1700000002000LL;
	s->task_change.execution_stopped_at_ms = 1700000003000LL;
	s->task_change.stopped_at_ms = 1700000003500LL;
	s->task_changes[0] = &s->task_change;

	s->state_request = (Ecsagent__StateChangeRequest)ECSAGENT__STATE_CHANGE_REQUEST__INIT;
	s->state_request.protocol_major = WIRE_PROTOCOL_MAJOR;
	s->state_request.protocol_minor = 7;
	s->state_request.container_instance_arn = WS_INSTANCE_ARN;
	s->state_request.n_tasks = 1;
	s->state_request.tasks = s->task_changes;

	s->ack = (Ecsagent__TaskAck)ECSAGENT__TASK_ACK__INIT;
	s->ack.task_arn = WS_TASK_ARN;
	s->ack.sequence = 9;
	s->acks[0] = &s->ack;
	s->state_response = (Ecsagent__StateChangeResponse)ECSAGENT__STATE_CHANGE_RESPONSE__INIT;
	s->state_response.protocol_major = WIRE_PROTOCOL_MAJOR;
	s->state_response.protocol_minor = 7;
	s->state_response.n_acks = 1;
	s->state_response.acks = s->acks;

	/* Telemetry */
	s->cpu = (Ecsagent__CpuStats)ECSAGENT__CPU_STATS__INIT;
	s->cpu.usage_ns = 123456789012ULL;
	s->cpu.utilization_percent = 37.5;
	s->cpu.throttled_ns = 1000;
	s->mem = (Ecsagent__MemoryStats)ECSAGENT__MEMORY_STATS__INIT;
	s->mem.usage_bytes = 50ULL << 20;
	s->mem.max_usage_bytes = 60ULL << 20;
	s->mem.limit_bytes = 128ULL << 20;
	s->net = (Ecsagent__NetworkStats)ECSAGENT__NETWORK_STATS__INIT;
	s->net.interface = "eth0";
	s->net.rx_bytes = 1000000;
	s->net.rx_packets = 1000;
	s->net.rx_errors = 1;
	s->net.rx_dropped = 2;
	s->net.tx_bytes = 2000000;
	s->net.tx_packets = 2000;
	s->net.tx_errors = 3;
	s->net.tx_dropped = 4;
	s->nets[0] = &s->net;
	s->blk = (Ecsagent__BlockIoStats)ECSAGENT__BLOCK_IO_STATS__INIT;
	s->blk.device = "259:0";
	s->blk.read_bytes = 4096;
	s->blk.write_bytes = 8192;
	s->blk.read_ops = 1;
	s->blk.write_ops = 2;
	s->blks[0] = &s->blk;
	s->cstats = (Ecsagent__ContainerStats)ECSAGENT__CONTAINER_STATS__INIT;
	s->cstats.container_name = "nginx";
	s->cstats.runtime_id = "0123456789abcdef0123456789abcdef-nginx";
	s->cstats.timestamp_ms = 1700000005000LL;
	s->cstats.cpu = &s->cpu;
	s->cstats.memory = &s->mem;
	s->cstats.n_network = 1;
	s->cstats.network = s->nets;
	s->cstats.n_block_io = 1;
	s->cstats.block_io = s->blks;
	s->cstatss[0] = &s->cstats;
	s->tstats = (Ecsagent__TaskStats)ECSAGENT__TASK_STATS__INIT;
	s->tstats.task_arn = WS_TASK_ARN;
	s->tstats.timestamp_ms = 1700000005000LL;
	s->tstats.cpu = &s->cpu;
	s->tstats.memory = &s->mem;
	s->tstats.n_network = 1;
	s->tstats.network = s->nets;
	s->tstats.n_block_io = 1;
	s->tstats.block_io = s->blks;
	s->tstats.n_containers = 1;
	s->tstats.containers = s->cstatss;
	s->tstatss[0] = &s->tstats;
	s->health = (Ecsagent__InstanceHealth)ECSAGENT__INSTANCE_HEALTH__INIT;
	s->health.timestamp_ms = 1700000005000LL;
	s->health.overall = ECSAGENT__COMPONENT_STATUS__IMPAIRED;
	s->health.runtime = ECSAGENT__COMPONENT_STATUS__OK;
	s->health.runtime_detail = "runc 1.1.5";
	s->health.disk = ECSAGENT__COMPONENT_STATUS__IMPAIRED;
	s->health.disk_total_bytes = 20ULL << 30;
	s->health.disk_free_bytes = 1ULL << 28;
	s->health.agent = ECSAGENT__COMPONENT_STATUS__OK;
	s->health.running_tasks = 1;
	s->health.memory_available_bytes = 3ULL << 30;

	s->telemetry_request = (Ecsagent__TelemetryRequest)ECSAGENT__TELEMETRY_REQUEST__INIT;
	s->telemetry_request.protocol_major = WIRE_PROTOCOL_MAJOR;
	s->telemetry_request.protocol_minor = 7;
	s->telemetry_request.container_instance_arn = WS_INSTANCE_ARN;
	s->telemetry_request.instance_health = &s->health;
	s->telemetry_request.n_tasks = 1;
	s->telemetry_request.tasks = s->tstatss;
	s->telemetry_response = (Ecsagent__TelemetryResponse)ECSAGENT__TELEMETRY_RESPONSE__INIT;
	s->telemetry_response.protocol_major = WIRE_PROTOCOL_MAJOR;
	s->telemetry_response.protocol_minor = 7;
	s->telemetry_response.telemetry_interval_seconds = 60;

	s->error_response = (Ecsagent__ErrorResponse)ECSAGENT__ERROR_RESPONSE__INIT;
	s->error_response.protocol_major = WIRE_PROTOCOL_MAJOR;
	s->error_response.protocol_minor = 7;
	s->error_response.code = ECSAGENT__ERROR_CODE__THROTTLED;
	s->error_response.message = "Too many polls from this instance";
	s->error_response.retry_after_ms = 1500;
}

/* The sample of `type`, for iterating over all of them. */
static inline ProtobufCMessage *wire_sample(struct wire_samples *s, enum wire_msg type)
{
	switch (type) {
	case WIRE_REGISTER_REQUEST:
		return &s->register_request.base;
	case WIRE_REGISTER_RESPONSE:
		return &s->register_response.base;
	case WIRE_POLL_REQUEST:
		return &s->poll_request.base;
	case WIRE_POLL_RESPONSE:
		return &s->poll_response.base;
	case WIRE_STATE_REQUEST:
		return &s->state_request.base;
	case WIRE_STATE_RESPONSE:
		return &s->state_response.base;
	case WIRE_TELEMETRY_REQUEST:
		return &s->telemetry_request.base;
	case WIRE_TELEMETRY_RESPONSE:
		return &s->telemetry_response.base;
	case WIRE_ERROR_RESPONSE:
		return &s->error_response.base;
	default:
		return NULL;
	}
}
