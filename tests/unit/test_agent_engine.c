/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's pure parts: Docker's command and environment merge, RunTask
 * overrides, resource accounting and admission, unsupported members. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/command.h"
#include "engine/engine-internal.h"
#include "fsutil.h"

static struct taskdef *parse(const char *json)
{
	struct taskdef *td = NULL;
	struct ecs_err err = { 0 };
	if (taskdef_parse(json, strlen(json), &td, NULL, &err) < 0)
		fail_msg("parse: %s", err_msg(&err));
	return td;
}

static const char *const *v(char **x)
{
	return (const char *const *)x;
}

static void assert_argv(char **got, const char *const *want)
{
	size_t i = 0;
	for (; want[i]; i++) {
		assert_non_null(got[i]);
		assert_string_equal(got[i], want[i]);
	}
	assert_null(got[i]);
}

static void test_command_merge(void **state)
{
	char *ep[] = { "/entry", "-x", NULL };
	char *cmd[] = { "serve", NULL };
	struct td_strv none = { 0 };
	char *c1[] = { "run", "fast" }, *e1[] = { "/other" };
	struct td_strv td_cmd = { .items = c1, .count = 2, .set = true };
	struct td_strv td_ep = { .items = e1, .count = 1, .set = true };
	char **out = NULL;

	/* Image only. */
	assert_int_equal(command_args(ep, cmd, &none, &none, &out, NULL), 0);
	assert_argv(out, (const char *const[]){ "/entry", "-x", "serve", NULL });
	command_strv_free(out);
	/* command replaces Cmd, keeps Entrypoint. */
	assert_int_equal(command_args(ep, cmd, &none, &td_cmd, &out, NULL), 0);
	assert_argv(out, (const char *const[]){ "/entry", "-x", "run", "fast", NULL });
	command_strv_free(out);
	/* entryPoint replaces Entrypoint and drops the image's Cmd. */
	assert_int_equal(command_args(ep, cmd, &td_ep, &none, &out, NULL), 0);
	assert_argv(out, (const char *const[]){ "/other", NULL });
	command_strv_free(out);
	assert_int_equal(command_args(ep, cmd, &td_ep, &td_cmd, &out, NULL), 0);
	assert_argv(out, (const char *const[]){ "/other", "run", "fast", NULL });
	command_strv_free(out);
	/* Nothing to run at all. */
	struct ecs_err err = { 0 };
	assert_int_equal(command_args(NULL, NULL, &none, &none, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no command"));
	(void)v;
}

static void test_env_merge(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse(
		"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"c\",\"image\":\"i\","
		"\"memory\":8,\"environment\":[{\"name\":\"B\",\"value\":\"td\"},"
		"{\"name\":\"C\",\"value\":\"\"}]}]}");
	char *img_env[] = { "A=img", "B=img", "PATH=/img/bin", "broken", NULL };
	char **out = NULL;
	assert_int_equal(command_env(img_env, &td->containers.items[0], "host1", &out, NULL), 0);
	assert_argv(out, (const char *const[]){ "A=img", "B=td", "PATH=/img/bin", "C=",
						"HOSTNAME=host1", NULL });
	command_strv_free(out);
	/* No image env: PATH is Docker's default; no hostname in host mode. */
	assert_int_equal(command_env(NULL, &td->containers.items[0], NULL, &out, NULL), 0);
	assert_string_equal(out[2],
			    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_null(out[3]);
	command_strv_free(out);
}

static void test_overrides(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse(
		"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"c\",\"image\":\"i\","
		"\"memory\":8,\"command\":[\"a\"],\"environment\":[{\"name\":\"A\",\"value\":\"1\"}]}]}");
	struct ecs_err err = { 0 };
	assert_int_equal(overrides_apply(td,
					 "{\"containerOverrides\":[{\"name\":\"c\",\"command\":[\"x\",\"y\"],"
					 "\"environment\":[{\"name\":\"A\",\"value\":\"2\"},{\"name\":\"B\","
					 "\"value\":\"3\"}],\"memory\":16,\"cpu\":5}],\"memory\":\"1 GB\"}",
					 &err),
			 0);
	const struct td_container *c = &td->containers.items[0];
	assert_int_equal(c->command.count, 2);
	assert_string_equal(c->command.items[1], "y");
	assert_int_equal(c->environment.count, 2);
	assert_string_equal(c->environment.items[0].value, "2");
	assert_string_equal(c->environment.items[1].name, "B");
	assert_int_equal(c->memory.value, 16);
	assert_int_equal(c->cpu.value, 5);
	assert_string_equal(td->memory, "1 GB");

	assert_true(overrides_apply(td, "{\"containerOverrides\":[{\"name\":\"zz\"}]}", &err) < 0);
	assert_non_null(strstr(err.msg, "no container named zz"));
	assert_true(overrides_apply(td, "{\"containerOverrides\":[{\"name\":\"c\",\"memory\":-1}]}",
				    &err) < 0);
	assert_true(overrides_apply(td, "[", &err) < 0);
}

static void test_requirements(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse(
		"{\"family\":\"f\",\"networkMode\":\"host\",\"containerDefinitions\":["
		"{\"name\":\"a\",\"image\":\"i\",\"cpu\":100,\"memory\":64,"
		"\"portMappings\":[{\"containerPort\":80},{\"containerPort\":53,\"protocol\":\"udp\"}]},"
		"{\"name\":\"b\",\"image\":\"i\",\"cpu\":20,\"memoryReservation\":32}]}");
	int64_t cpu = 0, mem = 0;
	_cleanup_free_ char *ports = NULL;
	assert_int_equal(admit_requirements(td, &cpu, &mem, &ports, NULL), 0);
	assert_int_equal(cpu, 120);
	assert_int_equal(mem, 96);
	assert_string_equal(ports, "tcp:80,udp:53");

	/* Task-level sizes win; host ports only exist in host mode. */
	_cleanup_(taskdef_freep) struct taskdef *t2 = parse(
		"{\"family\":\"f\",\"cpu\":\"1 vCPU\",\"memory\":\"2 GB\",\"networkMode\":\"bridge\","
		"\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\",\"memory\":64,"
		"\"portMappings\":[{\"containerPort\":80}]}]}");
	_cleanup_free_ char *p2 = NULL;
	assert_int_equal(admit_requirements(t2, &cpu, &mem, &p2, NULL), 0);
	assert_int_equal(cpu, 1024);
	assert_int_equal(mem, 2048);
	assert_null(p2);
}

struct fixture {
	char dir[64];
	struct agent_config cfg;
	struct engine *e;
	uint16_t reserved[1];
};

static struct etask *add_task(struct engine *e, const char *arn, const char *json,
			      enum task_step step)
{
	struct state_task st = { 0 };
	st.arn = strdup(arn);
	st.family = strdup("f");
	st.taskdef_json = strdup(json);
	char *why = NULL;
	struct etask *t = etask_from_state(e, &st, &why);
	assert_non_null(t);
	assert_null(why);
	struct ecs_err err = { 0 };
	assert_int_equal(admit_requirements(t->td, &t->st.cpu_units, &t->st.memory_mib,
					    &t->st.host_ports, &err), 0);
	t->st.step = step;
	t->next = e->tasks;
	e->tasks = t;
	return t;
}

#define HOST_TD(port, mem)                                                                       \
	"{\"family\":\"f\",\"networkMode\":\"host\",\"containerDefinitions\":[{\"name\":\"a\","       \
	"\"image\":\"i\",\"cpu\":512,\"memory\":" #mem ",\"portMappings\":[{\"containerPort\":" #port \
	"}]}]}"

static void test_admission(void **state)
{
	struct fixture f = { .reserved = { 22 } };
	strcpy(f.dir, "/tmp/ecs-engine-test-XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	f.cfg.datadir = f.dir;
	f.cfg.cgroup_parent = (char *)"/ecs-unit";
	f.cfg.reserved_ports.ports = f.reserved;
	f.cfg.reserved_ports.n = 1;
	struct engine_params p = { .cfg = &f.cfg, .cpu_units = 1024, .memory_mib = 1000 };
	assert_int_equal(engine_new(&p, &f.e, NULL), 0);

	add_task(f.e, "arn:t/1", HOST_TD(80, 600), TASK_STEP_ADMITTED);
	char *why = NULL;
	struct etask *t = add_task(f.e, "arn:t/2", HOST_TD(81, 600), TASK_STEP_NEW);
	assert_false(admit_fits(f.e, t, &why));
	assert_non_null(strstr(why, "RESOURCE:MEMORY"));
	free(why);
	t = add_task(f.e, "arn:t/3", HOST_TD(80, 100), TASK_STEP_NEW);
	assert_false(admit_fits(f.e, t, &why));
	assert_non_null(strstr(why, "RESOURCE:PORTS (host port tcp:80 in use by task 1)"));
	free(why);
	t = add_task(f.e, "arn:t/4", HOST_TD(22, 100), TASK_STEP_NEW);
	assert_false(admit_fits(f.e, t, &why));
	assert_non_null(strstr(why, "reserved by ECS_RESERVED_PORTS"));
	free(why);
	t = add_task(f.e, "arn:t/5", HOST_TD(8080, 400), TASK_STEP_NEW);
	assert_true(admit_fits(f.e, t, &why));
	t = add_task(f.e, "arn:t/6", HOST_TD(8081, 100), TASK_STEP_NEW);
	t->st.cpu_units = 600;
	assert_false(admit_fits(f.e, t, &why));
	assert_non_null(strstr(why, "RESOURCE:CPU"));
	free(why);
	/* A stopped task frees what it held. */
	engine_find(f.e, "arn:t/1")->st.step = TASK_STEP_STOPPED;
	t = add_task(f.e, "arn:t/7", HOST_TD(80, 900), TASK_STEP_NEW);
	assert_true(admit_fits(f.e, t, &why));

	engine_free(f.e);
	assert_int_equal(fs_rm_rf(f.dir, NULL), 0);
}

/* What a state change must carry decides whether one is queued: statuses,
 * exit codes, reasons, the stop code; not timestamps or the image digest. */
static void test_report_key(void **state)
{
	struct fixture f = { 0 };
	strcpy(f.dir, "/tmp/ecs-engine-test-XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	f.cfg.datadir = f.dir;
	f.cfg.cgroup_parent = (char *)"/ecs-unit";
	struct engine_params p = { .cfg = &f.cfg, .cpu_units = 1024, .memory_mib = 1000 };
	assert_int_equal(engine_new(&p, &f.e, NULL), 0);
	struct etask *t = add_task(f.e, "arn:t/1", HOST_TD(80, 100), TASK_STEP_ADMITTED);
	struct state_container *sc = &t->st.containers[0];

	/* Just admitted: what the control plane has had since RunTask. */
	sc->status = ST_PENDING;
	t->st.known_status = ST_PENDING;
	assert_true(report_state_is_initial(t));
	uint64_t pending = report_state_key(t);
	t->st.pull_started_ms = 1000;
	t->st.pull_stopped_ms = 1001;
	sc->created_ms = 1002;
	sc->image_digest = strdup("sha256:abc");
	assert_true(report_state_is_initial(t));
	assert_true(report_state_key(t) == pending);

	sc->status = ST_RUNNING;
	sc->started_ms = 1003;
	assert_false(report_state_is_initial(t));
	uint64_t ctr_running = report_state_key(t);
	assert_true(ctr_running != pending);
	t->st.known_status = ST_RUNNING;
	uint64_t running = report_state_key(t);
	assert_true(running != ctr_running);

	/* A stop reason alone is news; so are the exit code and its reason. */
	t->st.reason = strdup("Task stopped by the control plane");
	uint64_t stopping = report_state_key(t);
	assert_true(stopping != running);
	sc->status = ST_STOPPED;
	sc->has_exit = true;
	sc->exit_code = 0;
	uint64_t exited0 = report_state_key(t);
	assert_true(exited0 != stopping);
	sc->exit_code = 1;
	assert_true(report_state_key(t) != exited0);
	sc->reason = strdup("OutOfMemoryError: Container killed due to memory usage");
	uint64_t oom = report_state_key(t);
	sc->finished_ms = 2000;
	t->st.stopped_ms = 2001;
	assert_true(report_state_key(t) == oom);
	t->st.stop_code = 2;
	assert_true(report_state_key(t) != oom);

	engine_free(f.e);
	assert_int_equal(fs_rm_rf(f.dir, NULL), 0);
}

static void test_unsupported(void **state)
{
	char why[256];
	_cleanup_(taskdef_freep) struct taskdef *ok = parse(
		"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"c\",\"image\":\"i\","
		"\"memory\":8}]}");
	assert_false(features_unsupported(ok, why, sizeof(why)));
	_cleanup_(taskdef_freep) struct taskdef *hc = parse(
		"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"c\",\"image\":\"i\","
		"\"memory\":8,\"healthCheck\":{\"command\":[\"CMD\",\"true\"]}}]}");
	assert_true(features_unsupported(hc, why, sizeof(why)));
	assert_string_equal(why, "CannotCreateContainerError: container c: healthCheck is not "
				 "supported by this agent");
	_cleanup_(taskdef_freep) struct taskdef *pid = parse(
		"{\"family\":\"f\",\"pidMode\":\"host\",\"containerDefinitions\":[{\"name\":\"c\","
		"\"image\":\"i\",\"memory\":8}]}");
	assert_true(features_unsupported(pid, why, sizeof(why)));
	assert_non_null(strstr(why, "pidMode"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_merge),
		cmocka_unit_test(test_env_merge),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_requirements),
		cmocka_unit_test(test_admission),
		cmocka_unit_test(test_report_key),
		cmocka_unit_test(test_unsupported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
