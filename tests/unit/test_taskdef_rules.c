/* SPDX-License-Identifier: Apache-2.0 */
/* The ECS registration rules (taskdef_validate): for each rule a document
 * that breaks it, checked for the exact path and the key phrase, and usually
 * the nearest document that passes. */
#include "test_taskdef_util.h"

/* Wrap container definitions (and optional task members) in a document. */
#define TASK(extra, containers) \
	"{'family':'t'" extra ",'containerDefinitions':[" containers "]}"
#define C(name, extra) "{'name':'" name "','image':'busybox','memory':64" extra "}"

static void test_family(void **state)
{
	expect_only_problem("{'family':'my app','containerDefinitions':[" C("c", "") "]}", "family",
			    "letters, numbers, hyphens and underscores");
	expect_only_problem("{'family':'','containerDefinitions':[" C("c", "") "]}", "family",
			    "must be 1 to 255");
	expect_valid("{'family':'My_app-2','containerDefinitions':[" C("c", "") "]}");
}

static void test_container_name_and_image(void **state)
{
	expect_only_problem(TASK("", "{'name':'a.b','image':'i','memory':64}"),
			    "containerDefinitions[0].name", "letters, numbers, hyphens");
	expect_only_problem(TASK("", "{'image':'i','memory':64}"), "containerDefinitions[0].name",
			    "required");
	expect_only_problem(TASK("", "{'name':'c','memory':64}"), "containerDefinitions[0].image",
			    "required");
	expect_only_problem(TASK("", "{'name':'c','image':'bad image','memory':64}"),
			    "containerDefinitions[0].image", "without whitespace");
}

static void test_unique_container_names(void **state)
{
	expect_only_problem(TASK("", C("web", "") "," C("db", "") "," C("web", "")),
			    "containerDefinitions[2].name",
			    "container name \"web\" is already used by containerDefinitions[0]");
}

static void test_container_count(void **state)
{
	expect_only_problem(TASK("", ""), "containerDefinitions", "at least one container");
	expect_only_problem(TASK("", C("a", "") "," C("b", "") "," C("c", "") "," C("d", "") ","
				     C("e", "") "," C("f", "") "," C("g", "") "," C("h", "") ","
				     C("i", "") "," C("j", "") "," C("k", "")),
			    "containerDefinitions", "at most 10");
}

static void test_essential(void **state)
{
	expect_only_problem(TASK("", C("a", ",'essential':false") "," C("b", ",'essential':false")),
			    "containerDefinitions", "at least one container must be essential");
	expect_valid(TASK("", C("a", ",'essential':false") "," C("b", "")));
}

static void test_memory_required(void **state)
{
	expect_only_problem(TASK("", "{'name':'c','image':'i'}"), "containerDefinitions[0].memory",
			    "set memory or memoryReservation");
	expect_valid(TASK("", "{'name':'c','image':'i','memoryReservation':32}"));
	expect_valid(TASK(",'memory':'512'", "{'name':'c','image':'i'}"));
}

static void test_memory_limits(void **state)
{
	expect_only_problem(TASK("", "{'name':'c','image':'i','memory':4}"),
			    "containerDefinitions[0].memory", "at least 6 MiB");
	expect_only_problem(TASK("", "{'name':'c','image':'i','memory':64,'memoryReservation':128}"),
			    "containerDefinitions[0].memoryReservation",
			    "128 MiB is more than the container's memory limit (64 MiB)");
	expect_only_problem(TASK("", "{'name':'c','image':'i','memoryReservation':0}"),
			    "containerDefinitions[0].memoryReservation", "greater than 0");
	expect_valid(TASK("", "{'name':'c','image':'i','memory':64,'memoryReservation':64}"));
}

static void test_task_cpu_memory_strings(void **state)
{
	expect_only_problem(TASK(",'cpu':'lots'", C("c", "")), "cpu",
			    "\"lots\" is not a CPU size");
	expect_only_problem(TASK(",'memory':'2 TB'", C("c", "")), "memory",
			    "\"2 TB\" is not a memory size");
	expect_only_problem(TASK(",'cpu':'64'", C("c", "")), "cpu",
			    "outside the supported 128 to 196608");
	expect_valid(TASK(",'cpu':'1 vCPU','memory':'2 GB'", C("c", "")));
	expect_valid(TASK(",'cpu':'0.5 vcpu','memory':'1GB'", C("c", "")));
}

static void test_task_memory_totals(void **state)
{
	expect_only_problem(TASK(",'memory':'100'", C("a", "") "," C("b", "")), "memory",
			    "adds up to 128 MiB, more than the task's 100 MiB");
	expect_problem(TASK(",'memory':'100'", "{'name':'c','image':'i','memory':200,'memoryReservation':50}"),
		       "containerDefinitions[0].memory", "200 MiB is more than the task's memory (100 MiB)");
	/* Reservations count, not limits. */
	expect_valid(TASK(",'memory':'100'", "{'name':'a','image':'i','memory':90,'memoryReservation':50},"
					     "{'name':'b','image':'i','memory':90,'memoryReservation':50}"));
}

static void test_task_cpu_totals(void **state)
{
	expect_only_problem(TASK(",'cpu':'256'", C("a", ",'cpu':200") "," C("b", ",'cpu':100")), "cpu",
			    "adds up to 300 units, more than the task's 256");
	expect_only_problem(TASK("", C("a", ",'cpu':-1")), "containerDefinitions[0].cpu",
			    "must not be negative");
}

static void test_port_ranges(void **state)
{
	expect_only_problem(TASK("", C("c", ",'portMappings':[{'containerPort':80},{'containerPort':80,'hostPort':70000}]")),
			    "containerDefinitions[0].portMappings[1].hostPort", "must be between 0 and 65535");
	expect_only_problem(TASK("", C("c", ",'portMappings':[{'containerPort':0}]")),
			    "containerDefinitions[0].portMappings[0].containerPort", "must be between 1 and 65535");
	expect_only_problem(TASK("", C("c", ",'portMappings':[{'hostPort':80}]")),
			    "containerDefinitions[0].portMappings[0].containerPort", "required");
	expect_only_problem(TASK("", C("c", ",'portMappings':[{'containerPort':80,'protocol':'sctp'}]")),
			    "containerDefinitions[0].portMappings[0].protocol", "must be one of: tcp, udp");
}

/* An unknown networkMode is one problem, not a cascade of rules for some
 * other mode; the semantic rules that do not depend on it still run. */
static void test_unknown_network_mode(void **state)
{
	expect_only_problem(TASK(",'networkMode':'overlay'",
				 C("c", ",'portMappings':[{'containerPortRange':'81-82'}]")),
			    "networkMode", "must be one of");
	expect_problem(TASK(",'networkMode':'overlay'",
			    C("c", ",'dependsOn':[{'containerName':'db','condition':'START'}]")),
		       "containerDefinitions[0].dependsOn[0].containerName", "no container named");
}

static void test_port_same_in_awsvpc_host(void **state)
{
	expect_only_problem(TASK(",'networkMode':'awsvpc'", C("c", ",'portMappings':[{'containerPort':80,'hostPort':8080}]")),
			    "containerDefinitions[0].portMappings[0].hostPort",
			    "must equal containerPort (80) in awsvpc network mode");
	expect_only_problem(TASK(",'networkMode':'host'", C("c", ",'portMappings':[{'containerPort':80,'hostPort':81}]")),
			    "containerDefinitions[0].portMappings[0].hostPort", "in host network mode");
	expect_valid(TASK(",'networkMode':'awsvpc'", C("c", ",'portMappings':[{'containerPort':80,'hostPort':80}]")));
	expect_valid(TASK(",'networkMode':'host'", C("c", ",'portMappings':[{'containerPort':80}]")));
}

static void test_duplicate_host_ports(void **state)
{
	expect_only_problem(TASK("", C("a", ",'portMappings':[{'containerPort':80,'hostPort':8080}]") ","
				     C("b", ",'portMappings':[{'containerPort':81,'hostPort':8080}]")),
			    "containerDefinitions[1].portMappings[0].hostPort",
			    "host port 8080/tcp is already mapped by containerDefinitions[0].portMappings[0]");
	/* Same port, other protocol; and dynamic host ports never clash. */
	expect_valid(TASK("", C("a", ",'portMappings':[{'containerPort':80,'hostPort':8080},"
				  "{'containerPort':80,'hostPort':8080,'protocol':'udp'},{'containerPort':80},"
				  "{'containerPort':80,'hostPort':0}]")));
	expect_only_problem(TASK(",'networkMode':'awsvpc'", C("a", ",'portMappings':[{'containerPort':80}]") ","
				     C("b", ",'portMappings':[{'containerPort':80}]")),
			    "containerDefinitions[1].portMappings[0].containerPort", "host port 80/tcp");
}

static void test_container_port_range(void **state)
{
	expect_valid(TASK("", C("c", ",'portMappings':[{'containerPortRange':'8000-8010'}]")));
	expect_only_problem(TASK("", C("c", ",'portMappings':[{'containerPortRange':'8010-8000'}]")),
			    "containerDefinitions[0].portMappings[0].containerPortRange", "first < last");
	expect_only_problem(TASK("", C("c", ",'portMappings':[{'containerPortRange':'80'}]")),
			    "containerDefinitions[0].portMappings[0].containerPortRange", "not a port range");
	expect_problem(TASK("", C("c", ",'portMappings':[{'containerPortRange':'80-90','containerPort':80}]")),
		       "containerDefinitions[0].portMappings[0].containerPortRange", "not both");
	expect_only_problem(TASK(",'networkMode':'host'", C("c", ",'portMappings':[{'containerPortRange':'80-90'}]")),
			    "containerDefinitions[0].portMappings[0].containerPortRange", "bridge or awsvpc");
}

static void test_network_mode_none(void **state)
{
	expect_only_problem(TASK(",'networkMode':'none'", C("c", ",'portMappings':[{'containerPort':80}]")),
			    "containerDefinitions[0].portMappings", "networkMode none");
}

static void test_depends_on_target(void **state)
{
	expect_only_problem(TASK("", C("a", ",'dependsOn':[{'containerName':'ghost','condition':'START'}]")),
			    "containerDefinitions[0].dependsOn[0].containerName", "no container named \"ghost\"");
	expect_only_problem(TASK("", C("a", ",'dependsOn':[{'containerName':'a','condition':'START'}]")),
			    "containerDefinitions[0].dependsOn[0].containerName", "cannot depend on itself");
	expect_only_problem(TASK("", C("a", ",'dependsOn':[{'containerName':'b','condition':'READY'}]") "," C("b", "")),
			    "containerDefinitions[0].dependsOn[0].condition",
			    "must be one of: START, COMPLETE, SUCCESS, HEALTHY");
}

static void test_depends_on_healthy(void **state)
{
	expect_only_problem(TASK("", C("a", ",'dependsOn':[{'containerName':'b','condition':'HEALTHY'}]") "," C("b", "")),
			    "containerDefinitions[0].dependsOn[0].condition", "HEALTHY needs a healthCheck on container \"b\"");
	expect_valid(TASK("", C("a", ",'dependsOn':[{'containerName':'b','condition':'HEALTHY'}]") ","
			      C("b", ",'healthCheck':{'command':['CMD','true']}")));
}

static void test_depends_on_complete_needs_nonessential(void **state)
{
	expect_only_problem(TASK("", C("a", ",'dependsOn':[{'containerName':'b','condition':'SUCCESS'}]") "," C("b", "")),
			    "containerDefinitions[0].dependsOn[0].condition", "must have essential false");
	expect_valid(TASK("", C("a", ",'dependsOn':[{'containerName':'b','condition':'COMPLETE'}]") ","
			      C("b", ",'essential':false")));
}

static void test_depends_on_cycle(void **state)
{
	expect_only_problem(TASK("", C("a", ",'dependsOn':[{'containerName':'b','condition':'START'}]") ","
				     C("b", ",'dependsOn':[{'containerName':'c','condition':'START'}]") ","
				     C("c", ",'dependsOn':[{'containerName':'a','condition':'START'}]")),
			    "containerDefinitions[2].dependsOn[0].containerName", "dependency cycle: a -> b -> c -> a");
	/* A diamond is not a cycle. */
	expect_valid(TASK("", C("a", ",'dependsOn':[{'containerName':'b','condition':'START'},"
				  "{'containerName':'c','condition':'START'}]") ","
			      C("b", ",'dependsOn':[{'containerName':'d','condition':'START'}]") ","
			      C("c", ",'dependsOn':[{'containerName':'d','condition':'START'}]") "," C("d", "")));
}

static void test_links(void **state)
{
	expect_valid(TASK("", C("a", ",'links':['b:db','b']") "," C("b", "")));
	expect_only_problem(TASK(",'networkMode':'awsvpc'", C("a", ",'links':['b']") "," C("b", "")),
			    "containerDefinitions[0].links", "only supported in bridge network mode");
	expect_only_problem(TASK("", C("a", ",'links':['ghost:g']")), "containerDefinitions[0].links[0]",
			    "no container named \"ghost\"");
	expect_only_problem(TASK("", C("a", ",'links':['a']")), "containerDefinitions[0].links[0]",
			    "cannot link to itself");
}

static void test_mount_points(void **state)
{
	expect_only_problem(TASK(",'volumes':[{'name':'data'}]", C("a", ",'mountPoints':[{'sourceVolume':'date','containerPath':'/d'}]")),
			    "containerDefinitions[0].mountPoints[0].sourceVolume", "no volume named \"date\"");
	expect_only_problem(TASK(",'volumes':[{'name':'data'}]", C("a", ",'mountPoints':[{'sourceVolume':'data'}]")),
			    "containerDefinitions[0].mountPoints[0].containerPath", "required");
	expect_valid(TASK(",'volumes':[{'name':'data'}]", C("a", ",'mountPoints':[{'sourceVolume':'data','containerPath':'/d'}]")));
}

static void test_volumes_from(void **state)
{
	expect_only_problem(TASK("", C("a", ",'volumesFrom':[{'sourceContainer':'b'}]")),
			    "containerDefinitions[0].volumesFrom[0].sourceContainer", "no container named \"b\"");
	expect_only_problem(TASK("", C("a", ",'volumesFrom':[{'sourceContainer':'a'}]")),
			    "containerDefinitions[0].volumesFrom[0].sourceContainer", "itself");
	expect_valid(TASK("", C("a", ",'volumesFrom':[{'sourceContainer':'b','readOnly':true}]") "," C("b", "")));
}

static void test_volumes(void **state)
{
	expect_only_problem(TASK(",'volumes':[{'name':'v'},{'name':'v'}]", C("a", "")), "volumes[1].name",
			    "volume name \"v\" is already used by volumes[0]");
	expect_only_problem(TASK(",'volumes':[{'host':{}}]", C("a", "")), "volumes[0].name", "required");
	expect_only_problem(TASK(",'volumes':[{'name':'v','host':{},'dockerVolumeConfiguration':{}}]", C("a", "")),
			    "volumes[0]", "set only one of host, dockerVolumeConfiguration");
	expect_only_problem(TASK(",'volumes':[{'name':'v','dockerVolumeConfiguration':{'scope':'task','autoprovision':true}}]", C("a", "")),
			    "volumes[0].dockerVolumeConfiguration.autoprovision", "scope \"shared\"");
}

static void test_efs_volume(void **state)
{
	expect_only_problem(TASK(",'volumes':[{'name':'v','efsVolumeConfiguration':{'fileSystemId':'fs-1',"
				 "'authorizationConfig':{'iam':'ENABLED'}}}]", C("a", "")),
			    "volumes[0].efsVolumeConfiguration.authorizationConfig.iam", "transitEncryption ENABLED");
	expect_problem(TASK(",'volumes':[{'name':'v','efsVolumeConfiguration':{'fileSystemId':'fs-1',"
			    "'rootDirectory':'/x','transitEncryption':'ENABLED','authorizationConfig':{'accessPointId':'fsap-1'}}}]",
			    C("a", "")),
		       "volumes[0].efsVolumeConfiguration.rootDirectory", "access point");
	expect_valid(TASK(",'volumes':[{'name':'v','efsVolumeConfiguration':{'fileSystemId':'fs-1',"
			  "'transitEncryption':'ENABLED','authorizationConfig':{'accessPointId':'fsap-1','iam':'ENABLED'}}}]",
			  C("a", "")));
}

static void test_health_check(void **state)
{
	expect_only_problem(TASK("", C("a", ",'healthCheck':{'command':['curl','localhost']}")),
			    "containerDefinitions[0].healthCheck.command", "must start with CMD, CMD-SHELL or NONE");
	expect_only_problem(TASK("", C("a", ",'healthCheck':{'command':['CMD-SHELL']}")),
			    "containerDefinitions[0].healthCheck.command", "needs a command after CMD-SHELL");
	expect_only_problem(TASK("", C("a", ",'healthCheck':{'command':[]}")),
			    "containerDefinitions[0].healthCheck.command", "must not be empty");
	expect_only_problem(TASK("", C("a", ",'healthCheck':{'command':['CMD','true'],'interval':4}")),
			    "containerDefinitions[0].healthCheck.interval", "between 5 and 300");
	expect_only_problem(TASK("", C("a", ",'healthCheck':{'command':['CMD','true'],'timeout':61}")),
			    "containerDefinitions[0].healthCheck.timeout", "between 2 and 60");
	expect_only_problem(TASK("", C("a", ",'healthCheck':{'command':['CMD','true'],'retries':0}")),
			    "containerDefinitions[0].healthCheck.retries", "between 1 and 10");
	expect_only_problem(TASK("", C("a", ",'healthCheck':{'command':['CMD','true'],'startPeriod':301}")),
			    "containerDefinitions[0].healthCheck.startPeriod", "between 0 and 300");
	expect_valid(TASK("", C("a", ",'healthCheck':{'command':['NONE']}")));
}

static void test_ulimits(void **state)
{
	expect_only_problem(TASK("", C("a", ",'ulimits':[{'name':'nofile','softLimit':2048,'hardLimit':1024}]")),
			    "containerDefinitions[0].ulimits[0].softLimit", "2048 is more than hardLimit (1024)");
	expect_only_problem(TASK("", C("a", ",'ulimits':[{'name':'nofile','softLimit':1,'hardLimit':1},"
				       "{'name':'nofile','softLimit':2,'hardLimit':2}]")),
			    "containerDefinitions[0].ulimits[1].name", "already set by ulimits[0]");
}

static void test_linux_parameters(void **state)
{
	expect_only_problem(TASK("", C("a", ",'linuxParameters':{'tmpfs':[{'containerPath':'/t','size':0}]}")),
			    "containerDefinitions[0].linuxParameters.tmpfs[0].size", "greater than 0");
	expect_only_problem(TASK("", C("a", ",'linuxParameters':{'tmpfs':[{'containerPath':'t','size':1}]}")),
			    "containerDefinitions[0].linuxParameters.tmpfs[0].containerPath", "absolute");
	expect_only_problem(TASK("", C("a", ",'linuxParameters':{'swappiness':101}")),
			    "containerDefinitions[0].linuxParameters.swappiness", "between 0 and 100");
	expect_only_problem(TASK("", C("a", ",'linuxParameters':{'sharedMemorySize':0}")),
			    "containerDefinitions[0].linuxParameters.sharedMemorySize", "greater than 0");
	expect_only_problem(TASK("", C("a", ",'linuxParameters':{'capabilities':{'add':['CAP_SYS_ADMIN']}}")),
			    "containerDefinitions[0].linuxParameters.capabilities.add[0]", "unknown Linux capability");
}

static void test_timeouts(void **state)
{
	expect_only_problem(TASK("", C("a", ",'stopTimeout':121")), "containerDefinitions[0].stopTimeout",
			    "between 0 and 120");
	expect_only_problem(TASK("", C("a", ",'startTimeout':-1")), "containerDefinitions[0].startTimeout",
			    "must not be negative");
	expect_valid(TASK("", C("a", ",'startTimeout':0,'stopTimeout':120")));
}

static void test_tags(void **state)
{
	expect_only_problem(TASK(",'tags':[{'value':'x'}]", C("a", "")), "tags[0].key", "1 to 128 characters");
	expect_only_problem(TASK(",'tags':[{'key':'aws:owner','value':'x'}]", C("a", "")), "tags[0].key",
			    "reserved");
	expect_only_problem(TASK(",'tags':[{'key':'k','value':'" "x" "'},{'key':'k'}]", C("a", "")), "tags[1].key",
			    "already set by tags[0]");
	char value[400];
	memset(value, 'v', 257);
	value[257] = '\0';
	char doc[1024];
	snprintf(doc, sizeof(doc), TASK(",'tags':[{'key':'k','value':'%s'}]", C("a", "")), value);
	expect_only_problem(doc, "tags[0].value", "at most 256");

	/* The limits are in characters: 128 two-byte characters (256 bytes) is
	 * a valid key, 256 of them a valid value; one more is not. */
	char key[2 * 129 + 1] = "", wide[2 * 257 + 1] = "";
	for (int i = 0; i < 128; i++)
		strcat(key, "\xc3\xa9");
	for (int i = 0; i < 256; i++)
		strcat(wide, "\xc3\xa9");
	char big[2048];
	snprintf(big, sizeof(big), TASK(",'tags':[{'key':'%s','value':'%s'}]", C("a", "")), key, wide);
	expect_valid(big);
	strcat(key, "\xc3\xa9");
	snprintf(big, sizeof(big), TASK(",'tags':[{'key':'%s','value':'x'}]", C("a", "")), key);
	expect_only_problem(big, "tags[0].key", "1 to 128 characters");
}

static void test_firelens(void **state)
{
	expect_only_problem(TASK("", C("a", ",'logConfiguration':{'logDriver':'awsfirelens'}")),
			    "containerDefinitions[0].logConfiguration.logDriver", "needs a container with a firelensConfiguration");
	expect_only_problem(TASK("", C("r", ",'firelensConfiguration':{'type':'fluentbit'}") ","
				     C("s", ",'firelensConfiguration':{'type':'fluentd'}")),
			    "containerDefinitions[1].firelensConfiguration", "only one container");
	expect_only_problem(TASK("", C("r", ",'firelensConfiguration':{'type':'logstash'}")),
			    "containerDefinitions[0].firelensConfiguration.type", "must be one of: fluentd, fluentbit");
	expect_only_problem(TASK("", C("r", ",'firelensConfiguration':{'type':'fluentbit','options':{'config-file-type':'http','config-file-value':'x'}}")),
			    "containerDefinitions[0].firelensConfiguration.options.config-file-type", "s3 or file");
	expect_valid(TASK("", C("r", ",'firelensConfiguration':{'type':'fluentbit'}") ","
			      C("a", ",'logConfiguration':{'logDriver':'awsfirelens','options':{'Name':'stdout'}}")));
}

static void test_log_driver_enum(void **state)
{
	expect_only_problem(TASK("", C("a", ",'logConfiguration':{'logDriver':'loki'}")),
			    "containerDefinitions[0].logConfiguration.logDriver", "must be one of: json-file");
}

static void test_proxy_configuration(void **state)
{
	expect_only_problem(TASK(",'networkMode':'awsvpc','proxyConfiguration':{'containerName':'envoy'}", C("a", "")),
			    "proxyConfiguration.containerName", "no container named \"envoy\"");
	expect_only_problem(TASK(",'proxyConfiguration':{'containerName':'a'}", C("a", "")), "proxyConfiguration",
			    "needs networkMode awsvpc");
}

static void test_ephemeral_storage(void **state)
{
	expect_only_problem(TASK(",'ephemeralStorage':{'sizeInGiB':20}", C("a", "")), "ephemeralStorage.sizeInGiB",
			    "between 21 and 200");
	expect_valid(TASK(",'ephemeralStorage':{'sizeInGiB':21}", C("a", "")));
}

static void test_placement_constraints(void **state)
{
	expect_only_problem(TASK(",'placementConstraints':[{'type':'memberOf'}]", C("a", "")),
			    "placementConstraints[0].expression", "needs an expression");
	expect_only_problem(TASK(",'placementConstraints':[{'type':'distinctInstance'}]", C("a", "")),
			    "placementConstraints[0].type", "must be one of: memberOf");
}

static void test_system_controls(void **state)
{
	expect_only_problem(TASK(",'networkMode':'host'", C("a", ",'systemControls':[{'namespace':'net.core.somaxconn','value':'1'}]")),
			    "containerDefinitions[0].systemControls[0].namespace", "host network mode");
	expect_only_problem(TASK(",'ipcMode':'host'", C("a", ",'systemControls':[{'namespace':'kernel.shmmax','value':'1'}]")),
			    "containerDefinitions[0].systemControls[0].namespace", "ipcMode host");
	expect_valid(TASK(",'ipcMode':'task'", C("a", ",'systemControls':[{'namespace':'kernel.shmmax','value':'1'}]")));
}

static void test_resource_requirements(void **state)
{
	expect_only_problem(TASK("", C("a", ",'resourceRequirements':[{'type':'GPU','value':'two'}]")),
			    "containerDefinitions[0].resourceRequirements[0].value", "whole number of GPUs");
	expect_only_problem(TASK("", C("a", ",'resourceRequirements':[{'type':'InferenceAccelerator','value':'d1'}]")),
			    "containerDefinitions[0].resourceRequirements[0].value", "no inferenceAccelerators entry");
	expect_valid(TASK(",'inferenceAccelerators':[{'deviceName':'d1','deviceType':'eia2.medium'}]",
			  C("a", ",'resourceRequirements':[{'type':'InferenceAccelerator','value':'d1'},{'type':'GPU','value':'1'}]")));
}

static void test_environment_files(void **state)
{
	expect_only_problem(TASK("", C("a", ",'environmentFiles':[{'type':'s3','value':'https://bucket/x.env'}]")),
			    "containerDefinitions[0].environmentFiles[0].value", "ARN of an S3 object");
}

#define FARGATE(extra, containers) \
	TASK(",'requiresCompatibilities':['FARGATE'],'networkMode':'awsvpc'" extra, containers)

static void test_fargate_network_mode(void **state)
{
	expect_only_problem(TASK(",'requiresCompatibilities':['FARGATE'],'cpu':'256','memory':'512'", C("a", "")),
			    "networkMode", "FARGATE requires networkMode awsvpc");
	expect_valid(FARGATE(",'cpu':'256','memory':'512'", C("a", "")));
}

static void test_fargate_sizes(void **state)
{
	expect_problem(FARGATE("", C("a", "")), "cpu", "required for FARGATE");
	expect_problem(FARGATE("", C("a", "")), "memory", "required for FARGATE");
	expect_only_problem(FARGATE(",'cpu':'300','memory':'512'", C("a", "")), "cpu", "not a FARGATE size");
	expect_only_problem(FARGATE(",'cpu':'256','memory':'3GB'", C("a", "")), "memory",
			    "not a valid FARGATE memory size for 256 CPU units");
	expect_only_problem(FARGATE(",'cpu':'8 vCPU','memory':'18 GB'", C("a", "")), "memory",
			    "not a valid FARGATE memory size");
	static const char *const good[][2] = {
		{ "256", "512" }, { "256", "2GB" }, { ".5 vCPU", "4 GB" }, { "1024", "5GB" },
		{ "2048", "16 GB" }, { "4096", "30GB" }, { "8192", "20GB" }, { "16384", "120 GB" },
		{ "16 vCPU", "32GB" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char doc[512];
		snprintf(doc, sizeof(doc), FARGATE(",'cpu':'%s','memory':'%s'", C("a", "")), good[i][0],
			 good[i][1]);
		expect_valid(doc);
	}
}

static void test_fargate_host_access(void **state)
{
	expect_only_problem(FARGATE(",'cpu':'256','memory':'512'", C("a", ",'privileged':true")),
			    "containerDefinitions[0].privileged", "not supported on FARGATE");
	expect_only_problem(FARGATE(",'cpu':'256','memory':'512'", C("a", ",'linuxParameters':{'devices':[{'hostPath':'/dev/fuse'}]}")),
			    "containerDefinitions[0].linuxParameters.devices", "not supported on FARGATE");
	expect_only_problem(FARGATE(",'cpu':'256','memory':'512','volumes':[{'name':'v','host':{'sourcePath':'/srv'}}]", C("a", "")),
			    "volumes[0].host.sourcePath", "not supported on FARGATE");
	expect_only_problem(FARGATE(",'cpu':'256','memory':'512','volumes':[{'name':'v','dockerVolumeConfiguration':{}}]", C("a", "")),
			    "volumes[0].dockerVolumeConfiguration", "not supported on FARGATE");
	expect_only_problem(FARGATE(",'cpu':'256','memory':'512','pidMode':'host'", C("a", "")), "pidMode",
			    "only supports pidMode task");
	expect_only_problem(FARGATE(",'cpu':'256','memory':'512'", C("a", ",'linuxParameters':{'capabilities':{'add':['NET_ADMIN']}}")),
			    "containerDefinitions[0].linuxParameters.capabilities.add[0]", "only allows adding SYS_PTRACE");
	/* Task storage without a host path is fine. */
	expect_valid(FARGATE(",'cpu':'256','memory':'512','volumes':[{'name':'v','host':{}}]", C("a", "")));
}

static void test_size_limit(void **state)
{
	/* 3000 environment variables of ~30 bytes: over ECS's 64 KiB. */
	size_t cap = 200000, len = 0;
	char *doc = malloc(cap);
	assert_non_null(doc);
	len += (size_t)snprintf(doc, cap, "{'family':'big','containerDefinitions':[{'name':'c',"
					  "'image':'i','memory':64,'environment':[");
	for (int i = 0; i < 3000; i++)
		len += (size_t)snprintf(doc + len, cap - len, "%s{'name':'V%04d','value':'x'}",
					i ? "," : "", i);
	snprintf(doc + len, cap - len, "]}]}");
	expect_only_problem(doc, "", "ECS allows at most 65536");
	free(doc);
}

/* The limit applies to the request: the members ECS adds on registration do
 * not count, or a stored copy of an accepted definition could not be read
 * back. */
static void test_size_limit_ignores_stored_members(void **state)
{
	size_t cap = 200000, len = 0;
	char *doc = malloc(cap);
	assert_non_null(doc);
	len += (size_t)snprintf(doc, cap, "{'family':'big','revision':1,'taskDefinitionArn':'arn:");
	memset(doc + len, 'a', 3000); /* request ~64 KB, with the ARN ~67 KB */
	len += 3000;
	len += (size_t)snprintf(doc + len, cap - len, "','containerDefinitions':[{'name':'c',"
						      "'image':'i','memory':64,'environment':[");
	for (int i = 0; i < 2200; i++)
		len += (size_t)snprintf(doc + len, cap - len, "%s{'name':'V%04d','value':'x'}",
					i ? "," : "", i);
	snprintf(doc + len, cap - len, "]}]}");
	struct taskdef *td = parse_ok_flags(doc, TASKDEF_PARSE_STORED);
	taskdef_free(td);
	free(doc);
}

/* All broken rules are reported, not just the first. */
static void test_collects_all(void **state)
{
	struct td_problems p = parse_bad_flags(
		TASK(",'memory':'bogus'", "{'name':'a','image':'i','memory':1,'stopTimeout':500},"
					  "{'name':'a','image':'i','essential':false,'links':['zz']}"),
		0);
	assert_non_null(find_problem(&p, "memory", "not a memory size"));
	assert_non_null(find_problem(&p, "containerDefinitions[0].memory", "at least 6 MiB"));
	assert_non_null(find_problem(&p, "containerDefinitions[0].stopTimeout", "between 0 and 120"));
	assert_non_null(find_problem(&p, "containerDefinitions[1].name", "already used"));
	assert_non_null(find_problem(&p, "containerDefinitions[1].links[0]", "no container named \"zz\""));
	td_problems_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_container_name_and_image),
		cmocka_unit_test(test_unique_container_names),
		cmocka_unit_test(test_container_count),
		cmocka_unit_test(test_essential),
		cmocka_unit_test(test_memory_required),
		cmocka_unit_test(test_memory_limits),
		cmocka_unit_test(test_task_cpu_memory_strings),
		cmocka_unit_test(test_task_memory_totals),
		cmocka_unit_test(test_task_cpu_totals),
		cmocka_unit_test(test_port_ranges),
		cmocka_unit_test(test_unknown_network_mode),
		cmocka_unit_test(test_port_same_in_awsvpc_host),
		cmocka_unit_test(test_duplicate_host_ports),
		cmocka_unit_test(test_container_port_range),
		cmocka_unit_test(test_network_mode_none),
		cmocka_unit_test(test_depends_on_target),
		cmocka_unit_test(test_depends_on_healthy),
		cmocka_unit_test(test_depends_on_complete_needs_nonessential),
		cmocka_unit_test(test_depends_on_cycle),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_mount_points),
		cmocka_unit_test(test_volumes_from),
		cmocka_unit_test(test_volumes),
		cmocka_unit_test(test_efs_volume),
		cmocka_unit_test(test_health_check),
		cmocka_unit_test(test_ulimits),
		cmocka_unit_test(test_linux_parameters),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_firelens),
		cmocka_unit_test(test_log_driver_enum),
		cmocka_unit_test(test_proxy_configuration),
		cmocka_unit_test(test_ephemeral_storage),
		cmocka_unit_test(test_placement_constraints),
		cmocka_unit_test(test_system_controls),
		cmocka_unit_test(test_resource_requirements),
		cmocka_unit_test(test_environment_files),
		cmocka_unit_test(test_fargate_network_mode),
		cmocka_unit_test(test_fargate_sizes),
		cmocka_unit_test(test_fargate_host_access),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_size_limit_ignores_stored_members),
		cmocka_unit_test(test_collects_all),
	};
	return cmocka_run_group_tests_name("taskdef_rules", tests, NULL, NULL);
}
