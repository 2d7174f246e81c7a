/* SPDX-License-Identifier: Apache-2.0 */
/* The task-definition model: parsing, shape errors, emitting, round trips.
 * The registration rules are tested in test_taskdef_rules.c. */
#include "test_taskdef_util.h"

#include "json.h"
#include "taskdef-internal.h"

/* Every member of every shape, in the ECS API's order (the emit order), so
 * the emitted document equals the input byte for byte once both are compact.
 * Not a valid task definition (it mixes network modes' features), so it is
 * parsed without validation. */
static const char kitchen_sink[] =
	"{'taskDefinitionArn':'arn:aws:ecs:us-east-1:123456789012:task-definition/sink:3',"
	"'containerDefinitions':[{"
	"'name':'app','image':'busybox:latest',"
	"'repositoryCredentials':{'credentialsParameter':'arn:aws:secretsmanager:us-east-1:1:secret:x'},"
	"'cpu':0,'memory':128,'memoryReservation':64,'links':['db:database'],"
	"'portMappings':[{'containerPort':80,'hostPort':8080,'protocol':'tcp','name':'web',"
	"'appProtocol':'http','containerPortRange':'9000-9100'}],"
	"'essential':false,'entryPoint':['sh','-c'],'command':['echo hi'],"
	"'environment':[{'name':'A','value':'1'}],"
	"'environmentFiles':[{'value':'arn:aws:s3:::bucket/a.env','type':'s3'}],"
	"'mountPoints':[{'sourceVolume':'data','containerPath':'/data','readOnly':false}],"
	"'volumesFrom':[{'sourceContainer':'db','readOnly':true}],"
	"'linuxParameters':{'capabilities':{'add':['SYS_ADMIN'],'drop':['MKNOD']},"
	"'devices':[{'hostPath':'/dev/fuse','containerPath':'/dev/fuse','permissions':['read','write','mknod']}],"
	"'initProcessEnabled':true,'sharedMemorySize':64,"
	"'tmpfs':[{'containerPath':'/tmp','size':32,'mountOptions':['noexec']}],"
	"'maxSwap':0,'swappiness':60},"
	"'secrets':[{'name':'PASSWORD','valueFrom':'arn:aws:ssm:us-east-1:1:parameter/p'}],"
	"'dependsOn':[{'containerName':'db','condition':'HEALTHY'}],"
	"'startTimeout':30,'stopTimeout':10,'hostname':'app','user':'nobody',"
	"'workingDirectory':'/srv','disableNetworking':false,'privileged':false,"
	"'readonlyRootFilesystem':true,'dnsServers':['10.0.0.2'],'dnsSearchDomains':['example.com'],"
	"'extraHosts':[{'hostname':'db.local','ipAddress':'10.0.0.3'}],"
	"'dockerSecurityOptions':['no-new-privileges'],'interactive':true,'pseudoTerminal':false,"
	"'dockerLabels':{'team':'core','empty':''},"
	"'ulimits':[{'name':'nofile','softLimit':1024,'hardLimit':4096}],"
	"'logConfiguration':{'logDriver':'awsfirelens','options':{'Name':'cloudwatch'},"
	"'secretOptions':[{'name':'apikey','valueFrom':'arn:aws:ssm:us-east-1:1:parameter/k'}]},"
	"'healthCheck':{'command':['CMD-SHELL','true'],'interval':10,'timeout':3,'retries':2,'startPeriod':0},"
	"'systemControls':[{'namespace':'net.core.somaxconn','value':'1024'}],"
	"'resourceRequirements':[{'value':'1','type':'GPU'}],"
	"'firelensConfiguration':{'type':'fluentbit','options':{'enable-ecs-log-metadata':'true'}}"
	"},{'name':'db','image':'postgres','essential':true,'environment':[],'dockerLabels':{},"
	"'healthCheck':{'command':['CMD','pg_isready']}}],"
	"'family':'sink','taskRoleArn':'arn:aws:iam::1:role/task',"
	"'executionRoleArn':'arn:aws:iam::1:role/exec','networkMode':'bridge','revision':3,"
	"'volumes':[{'name':'data','host':{'sourcePath':'/srv/data'}},"
	"{'name':'dv','dockerVolumeConfiguration':{'scope':'shared','autoprovision':true,'driver':'local',"
	"'driverOpts':{'type':'tmpfs'},'labels':{'a':'b'}}},"
	"{'name':'efs','efsVolumeConfiguration':{'fileSystemId':'fs-1','rootDirectory':'/',"
	"'transitEncryption':'ENABLED','transitEncryptionPort':2049,"
	"'authorizationConfig':{'accessPointId':'fsap-1','iam':'ENABLED'}}},"
	"{'name':'fsx','fsxWindowsFileServerVolumeConfiguration':{'fileSystemId':'fs-2',"
	"'rootDirectory':'share','authorizationConfig':{'credentialsParameter':'arn:x','domain':'corp'}}}],"
	"'status':'ACTIVE',"
	"'requiresAttributes':[{'name':'com.amazonaws.ecs.capability.docker-remote-api.1.19',"
	"'value':'v','targetType':'container-instance','targetId':'id'}],"
	"'placementConstraints':[{'type':'memberOf','expression':'attribute:ecs.os-type == linux'}],"
	"'compatibilities':['EC2','EXTERNAL'],"
	"'runtimePlatform':{'cpuArchitecture':'X86_64','operatingSystemFamily':'LINUX'},"
	"'requiresCompatibilities':['EC2'],'cpu':'1 vCPU','memory':'2 GB',"
	"'inferenceAccelerators':[{'deviceName':'dev1','deviceType':'eia2.medium'}],"
	"'pidMode':'task','ipcMode':'none',"
	"'proxyConfiguration':{'type':'APPMESH','containerName':'app',"
	"'properties':[{'name':'AppPorts','value':'80'}]},"
	"'registeredAt':1700000000.5,'deregisteredAt':1700000100,"
	"'registeredBy':'arn:aws:iam::1:user/me','ephemeralStorage':{'sizeInGiB':30},"
	"'tags':[{'key':'env','value':'test'}]}";

/* A realistic valid definition: two containers in bridge mode. */
static const char web_app[] =
	"{'family':'web-app','networkMode':'bridge','cpu':'512','memory':'1GB',"
	" 'containerDefinitions':["
	"  {'name':'web','image':'nginx:1.25','memory':256,'cpu':256,'essential':true,"
	"   'portMappings':[{'containerPort':80,'hostPort':8080,'protocol':'tcp'}],"
	"   'links':['api'],'dependsOn':[{'containerName':'api','condition':'HEALTHY'}]},"
	"  {'name':'api','image':'example/api:2','memoryReservation':128,'essential':false,"
	"   'environment':[{'name':'PORT','value':'3000'}],"
	"   'healthCheck':{'command':['CMD-SHELL','wget -q -O- localhost:3000/health'],"
	"                  'interval':10,'timeout':5,'retries':3,'startPeriod':5}}]}";

static void test_parse_minimal(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_ok(
		"{'family':'f','containerDefinitions':[{'name':'c','image':'busybox','memory':64}]}");
	assert_string_equal(td->family, "f");
	assert_int_equal(td->containers.count, 1);
	const struct td_container *c = &td->containers.items[0];
	assert_string_equal(c->name, "c");
	assert_true(c->memory.set);
	assert_int_equal(c->memory.value, 64);
	assert_false(c->cpu.set);
	assert_false(c->essential.set);
	assert_true(td_container_essential(c));
	assert_false(c->port_mappings.set);
	assert_null(td->cpu);
	assert_null(td->network_mode);
	assert_int_equal(taskdef_network_mode(td), TD_NET_BRIDGE);
	assert_ptr_equal(taskdef_container(td, "c"), c);
	assert_null(taskdef_container(td, "other"));
}

/* Presence is kept: 0, false, [] and {} survive and absent stays absent. */
static void test_presence_round_trip(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_ok(
		"{'family':'f','containerDefinitions':[{'name':'c','image':'i','cpu':0,'memory':64,"
		"'essential':true,'privileged':false,'portMappings':[],'environment':[],'command':[],"
		"'dockerLabels':{}}],'volumes':[],'placementConstraints':[]}");
	const struct td_container *c = &td->containers.items[0];
	assert_true(c->cpu.set);
	assert_int_equal(c->cpu.value, 0);
	assert_true(c->privileged.set);
	assert_false(c->privileged.value);
	assert_true(c->port_mappings.set);
	assert_int_equal(c->port_mappings.count, 0);

	_cleanup_free_ char *out = assert_round_trip(td, 0);
	_cleanup_free_ char *want = q(
		"{'containerDefinitions':[{'name':'c','image':'i','cpu':0,'memory':64,'portMappings':[],"
		"'essential':true,'command':[],'environment':[],'privileged':false,'dockerLabels':{}}],"
		"'family':'f','volumes':[],'placementConstraints':[]}");
	assert_string_equal(out, want);
}

/* The same document serialised by the generic JSON writer (document order). */
static char *reserialise(const char *json)
{
	struct ecs_err err;
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(json, strlen(json), &err);
	assert_non_null(doc);
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	json_w_node(w, json_root(doc));
	char *out = json_writer_finish(w, NULL, &err);
	assert_non_null(out);
	return out;
}

static void test_kitchen_sink_round_trip(void **state)
{
	_cleanup_free_ char *json = q(kitchen_sink);
	_cleanup_(taskdef_freep) struct taskdef *td =
		parse_ok_flags(kitchen_sink, TASKDEF_PARSE_STORED | TASKDEF_PARSE_NO_VALIDATE);

	_cleanup_free_ char *out =
		assert_round_trip(td, TASKDEF_PARSE_STORED | TASKDEF_PARSE_NO_VALIDATE);
	_cleanup_free_ char *want = reserialise(json);
	assert_string_equal(out, want);

	/* Pretty output is the same document. */
	struct ecs_err err;
	_cleanup_free_ char *pretty = taskdef_to_json(td, true, &err);
	assert_non_null(pretty);
	assert_non_null(strchr(pretty, '\n'));
	_cleanup_free_ char *compact = reserialise(pretty);
	assert_string_equal(compact, want);
}

/* Check that every described member is present in at least one of `objs`
 * (n structs of shape d), recursing into nested shapes: proves the kitchen
 * sink, and so the round-trip test, covers the whole schema. */
static void assert_all_present(const struct td_desc *d, const void *const *objs, size_t n,
			       const char *where)
{
	for (size_t i = 0; i < d->n_fields; i++) {
		const struct td_field *f = &d->fields[i];
		const void **subs = NULL;
		size_t n_subs = 0;
		bool present = false;

		for (size_t k = 0; k < n; k++) {
			const char *m = (const char *)objs[k] + f->offset;
			switch (f->kind) {
			case TD_K_STRING:
			case TD_K_ENUM: present |= *(char *const *)m != NULL; break;
			case TD_K_INT: present |= ((const struct td_int *)m)->set; break;
			case TD_K_BOOL: present |= ((const struct td_bool *)m)->set; break;
			case TD_K_TIME: present |= ((const struct td_time *)m)->set; break;
			case TD_K_STRV:
			case TD_K_ENUMV: present |= ((const struct td_strv *)m)->count > 0; break;
			case TD_K_MAP: present |= ((const struct td_map *)m)->count > 0; break;
			case TD_K_OBJECT: {
				const void *sub;
				memcpy(&sub, m, sizeof(sub));
				if (!sub)
					break;
				subs = realloc(subs, (n_subs + 1) * sizeof(*subs));
				assert_non_null(subs);
				subs[n_subs++] = sub;
				present = true;
				break;
			}
			case TD_K_LIST: {
				struct td_list_any l;
				memcpy(&l, m, sizeof(l));
				for (size_t e = 0; e < l.count; e++) {
					subs = realloc(subs, (n_subs + 1) * sizeof(*subs));
					assert_non_null(subs);
					subs[n_subs++] = (const char *)l.items + e * f->sub->size;
					present = true;
				}
				break;
			}
			}
		}
		if (!present)
			fail_msg("kitchen sink lacks %s.%s", where, f->name);
		if (n_subs)
			assert_all_present(f->sub, subs, n_subs, f->name);
		free(subs);
	}
}

static void test_kitchen_sink_covers_schema(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td =
		parse_ok_flags(kitchen_sink, TASKDEF_PARSE_STORED | TASKDEF_PARSE_NO_VALIDATE);
	const void *root = td;
	assert_all_present(&td_desc_taskdef, &root, 1, "taskdef");
	/* The botocore model: RegisterTaskDefinitionRequest has 17 members, plus
	 * 8 of a registered TaskDefinition; ContainerDefinition has 39. */
	size_t stored = 0;
	for (size_t i = 0; i < td_desc_taskdef.n_fields; i++)
		stored += !!(td_desc_taskdef.fields[i].flags & TD_F_STORED);
	assert_int_equal(td_desc_taskdef.n_fields - stored, 17);
	assert_int_equal(stored, 8);
	assert_int_equal(td_desc_container.n_fields, 39);
}

static void test_valid_app_round_trip(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_ok(web_app);
	assert_int_equal(td->containers.count, 2);
	assert_string_equal(td->containers.items[0].depends_on.items[0].condition, "HEALTHY");
	assert_int_equal(td->containers.items[1].health_check->start_period.value, 5);
	free(assert_round_trip(td, 0));
}

static void test_stored_members(void **state)
{
	static const char doc[] =
		"{'family':'f','revision':4,'status':'ACTIVE','registeredAt':1700000000,"
		"'containerDefinitions':[{'name':'c','image':'i','memory':64}]}";

	struct td_problems p = parse_bad_flags(doc, 0);
	assert_int_equal(p.count, 3);
	assert_non_null(find_problem(&p, "revision", "registered task definition"));
	assert_non_null(find_problem(&p, "status", "registered task definition"));
	td_problems_free(&p);

	_cleanup_(taskdef_freep) struct taskdef *td = parse_ok_flags(doc, TASKDEF_PARSE_STORED);
	assert_int_equal(td->revision.value, 4);
	assert_true(td->registered_at.set);

	struct ecs_err err;
	_cleanup_free_ char *req = taskdef_to_json_flags(td, TASKDEF_EMIT_REQUEST, &err);
	assert_non_null(req);
	assert_null(strstr(req, "revision"));
	assert_null(strstr(req, "registeredAt"));
	expect_valid(req);
}

static void test_shape_errors_collected(void **state)
{
	struct td_problems p = parse_bad_flags(
		"{'family':'f','networkMode':'bridged','containerDefinitions':[{'name':'a','image':'i',"
		"'memory':'64','cpu':1.5,'essential':'yes','Memory':1,'memroy':2,'portBindings':[],"
		"'command':['ok',7],'dockerLabels':{'x':1},'portMappings':[{'containerPort':99999999999}],"
		"'ulimits':[{'name':'files','softLimit':1}],'logConfiguration':{'logDriver':'awslogs',"
		"'options':{'a':'b','a':'c'}},'healthCheck':null},{'name':'b','image':'i','memory':64,"
		"'memory':65,'unknownThing':1}],'volumes':{},'tags':[7]}",
		0);
	static const struct {
		const char *path, *phrase;
	} want[] = {
		{ "networkMode", "must be one of: bridge, host, awsvpc, none (got \"bridged\")" },
		{ "containerDefinitions[0].memory", "expected an integer, got string" },
		{ "containerDefinitions[0].cpu", "expected an integer, got 1.5" },
		{ "containerDefinitions[0].essential", "expected a boolean, got string" },
		{ "containerDefinitions[0].Memory", "did you mean \"memory\"?" },
		{ "containerDefinitions[0].memroy", "did you mean \"memory\"?" },
		{ "containerDefinitions[0].portBindings", "did you mean \"portMappings\"?" },
		{ "containerDefinitions[0].command[1]", "expected a string, got number" },
		{ "containerDefinitions[0].dockerLabels.x", "expected a string, got number" },
		{ "containerDefinitions[0].portMappings[0].containerPort", "out of range for a 32-bit integer" },
		{ "containerDefinitions[0].ulimits[0].name", "must be one of: core, cpu" },
		{ "containerDefinitions[0].ulimits[0].hardLimit", "required parameter is missing" },
		{ "containerDefinitions[0].logConfiguration.options.a", "duplicate key" },
		{ "containerDefinitions[0].healthCheck", "expected an object, got null" },
		{ "containerDefinitions[1].memory", "appears more than once" },
		{ "containerDefinitions[1].unknownThing", "ContainerDefinition has no member \"unknownThing\"" },
		{ "volumes", "expected an array, got object" },
		{ "tags[0]", "expected an object, got number" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		if (!find_problem(&p, want[i].path, want[i].phrase)) {
			print_problems(&p);
			fail_msg("missing %s: %s", want[i].path, want[i].phrase);
		}
	}
	assert_int_equal(p.count, ARRAY_SIZE(want));
	td_problems_free(&p);
}

static void test_document_errors(void **state)
{
	expect_only_problem("{'family':", "", "invalid JSON");
	expect_only_problem("[1,2]", "", "expected an object, got array");
	expect_problem("{}", "containerDefinitions", "required parameter is missing");
	expect_problem("{}", "family", "required parameter is missing");
	/* Shape problems come alone: validation waits for a well-formed model. */
	expect_only_problem("{'family':'f','containerDefinitions':[{'name':'c','image':'i','memory':true}]}",
			    "containerDefinitions[0].memory", "expected an integer");
}

static void test_error_summary(void **state)
{
	_cleanup_free_ char *json = q("{'family':'f','containerDefinitions':[{'name':1,'image':2}]}");
	struct ecs_err err = { 0 };
	struct taskdef *td = NULL;
	/* problems may be NULL: the summary still says what is wrong. */
	assert_int_equal(taskdef_parse(json, strlen(json), &td, NULL, &err), -EINVAL);
	assert_null(td);
	assert_string_equal(err.msg, "invalid task definition: containerDefinitions[0].name: "
				     "expected a string, got number (and 1 more)");

	struct td_problems p = { 0 };
	assert_int_equal(taskdef_parse(json, strlen(json), &td, &p, &err), -EINVAL);
	_cleanup_free_ char *joined = td_problems_join(&p, "\n");
	assert_string_equal(joined, "containerDefinitions[0].name: expected a string, got number\n"
				    "containerDefinitions[0].image: expected a string, got number");
	td_problems_free(&p);
	assert_int_equal(p.count, 0);
	td_problems_free(NULL);
	taskdef_free(NULL);
}

static void test_cpu_units(void **state)
{
	static const struct {
		const char *in;
		int64_t units;
	} good[] = {
		{ "256", 256 }, { "1024", 1024 }, { "1 vCPU", 1024 }, { "1 vcpu", 1024 },
		{ "0.5 vcpu", 512 }, { "0.25 vCPU", 256 }, { "2vCPU", 2048 }, { " 4 VCPU ", 4096 },
		{ "0.125 vCPU", 128 }, { "16 vCPU", 16384 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int64_t v = -1;
		assert_int_equal(taskdef_cpu_units(good[i].in, &v), 0);
		assert_int_equal(v, good[i].units);
	}
	static const char *const bad[] = { "", "vCPU", "1 GB", "-1", "1.5", "0.1 vCPU", "1e3", "one",
					   "1 vCPUs", "99999999999" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t v;
		assert_int_equal(taskdef_cpu_units(bad[i], &v), -EINVAL);
	}
	int64_t v;
	assert_int_equal(taskdef_cpu_units(NULL, &v), -EINVAL);
}

static void test_memory_mib(void **state)
{
	static const struct {
		const char *in;
		int64_t mib;
	} good[] = {
		{ "512", 512 }, { "1 GB", 1024 }, { "2GB", 2048 }, { "0.5 GB", 512 }, { "1gb", 1024 },
		{ "3 GiB", 3072 }, { "512 MiB", 512 }, { "30720", 30720 }, { "120 GB", 122880 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int64_t v = -1;
		assert_int_equal(taskdef_memory_mib(good[i].in, &v), 0);
		assert_int_equal(v, good[i].mib);
	}
	static const char *const bad[] = { "", "GB", "1 TB", "1.5", "0.0001 GB", "1 vCPU", "2 G B" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t v;
		assert_int_equal(taskdef_memory_mib(bad[i], &v), -EINVAL);
	}
}

static void test_accessors(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_ok(
		"{'family':'f','networkMode':'awsvpc','requiresCompatibilities':['EC2','FARGATE'],"
		"'cpu':'256','memory':'512','containerDefinitions':[{'name':'c','image':'i',"
		"'dockerLabels':{'a':'1','b':'2'}}]}");
	assert_int_equal(taskdef_network_mode(td), TD_NET_AWSVPC);
	assert_true(taskdef_requires(td, "FARGATE"));
	assert_false(taskdef_requires(td, "EXTERNAL"));
	assert_string_equal(td_map_get(&td->containers.items[0].docker_labels, "b"), "2");
	assert_null(td_map_get(&td->containers.items[0].docker_labels, "c"));
}

/* A model built in code (not parsed) emits lists even without `set`. */
static void test_emit_built_model(void **state)
{
	struct td_container c = { .name = (char *)"c", .image = (char *)"i",
				  .memory = { .value = 64, .set = true } };
	struct taskdef td = { .family = (char *)"built" };
	td.containers.items = &c;
	td.containers.count = 1;
	struct ecs_err err;
	_cleanup_free_ char *out = taskdef_to_json(&td, false, &err);
	assert_non_null(out);
	_cleanup_free_ char *want =
		q("{'containerDefinitions':[{'name':'c','image':'i','memory':64}],'family':'built'}");
	assert_string_equal(out, want);
	assert_int_equal(taskdef_validate(&td, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_minimal),
		cmocka_unit_test(test_presence_round_trip),
		cmocka_unit_test(test_kitchen_sink_round_trip),
		cmocka_unit_test(test_kitchen_sink_covers_schema),
		cmocka_unit_test(test_valid_app_round_trip),
		cmocka_unit_test(test_stored_members),
		cmocka_unit_test(test_shape_errors_collected),
		cmocka_unit_test(test_document_errors),
		cmocka_unit_test(test_error_summary),
		cmocka_unit_test(test_cpu_units),
		cmocka_unit_test(test_memory_mib),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_emit_built_model),
	};
	return cmocka_run_group_tests_name("taskdef", tests, NULL, NULL);
}
