/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent-config.h"
#include "commands.h"
#include "log.h"

#define SEC UINT64_C(1000000)

struct fixture {
	char dir[64];
	char conf[128];
	char exe[128];   /* an executable file */
	char plain[128]; /* a file without execute permission */
	char *old_path;
};

static void unset_keys(void)
{
	size_t n;
	const struct config_key *keys = agent_config_keys(&n);
	for (size_t i = 0; i < n; i++)
		unsetenv(keys[i].name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/test_agent_config.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/ecs-agent.conf", f->dir);
	snprintf(f->exe, sizeof(f->exe), "%s/bin", f->dir);
	snprintf(f->plain, sizeof(f->plain), "%s/plain", f->dir);
	write_file(f->exe, "#!/bin/sh\n", 0755);
	write_file(f->plain, "data\n", 0644);
	const char *path = getenv("PATH");
	f->old_path = path ? strdup(path) : NULL;
	unset_keys();
	/* Unknown-key warnings would clutter the test output. */
	log_set_level(LOG_LVL_ERROR);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unset_keys();
	if (f->old_path)
		setenv("PATH", f->old_path, 1);
	free(f->old_path);
	unlink(f->conf);
	unlink(f->exe);
	unlink(f->plain);
	char p[160];
	snprintf(p, sizeof(p), "%s/crun", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/printed.conf", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/out", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/err", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct agent_config *load_ok(const char *path, bool explicit_path)
{
	struct ecs_err err = { 0 };
	struct agent_config *c = NULL;
	int r = agent_config_load(path, explicit_path, &c, &err);
	if (r < 0)
		fail_msg("agent_config_load: %s", err.msg);
	assert_non_null(c);
	return c;
}

static char *print_to_string(const struct agent_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(agent_config_print(c, m, NULL), 0);
	fclose(m);
	return buf;
}

/* The line of `key` in printed output, without its newline. */
static char *printed_line(const char *out, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = out; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
			return strndup(p, len);
		p = nl ? nl + 1 : NULL;
	}
	fail_msg("no line for %s in:\n%s", key, out);
	return NULL;
}

static void assert_printed(const char *out, const char *key, const char *expect)
{
	char *line = printed_line(out, key);
	if (strcmp(line, expect) != 0)
		fail_msg("printed \"%s\", expected \"%s\"", line, expect);
	free(line);
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	/* A missing default file is fine. */
	struct agent_config *c = load_ok(f->conf, false);

	assert_string_equal(c->cluster, "default");
	assert_string_equal(c->datadir, "/var/lib/ecs-agent");
	assert_int_equal(c->reserved_memory_mib, 0);
	assert_int_equal(c->reserved_ports.n, 5);
	static const uint16_t ports[] = { 22, 2375, 2376, 51678, 51679 };
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++)
		assert_int_equal(c->reserved_ports.ports[i], ports[i]);
	assert_int_equal(c->reserved_ports_udp.n, 0);
	assert_true(c->container_stop_timeout == 30 * SEC);
	assert_true(c->container_start_timeout == 180 * SEC);
	assert_true(c->task_cleanup_wait == 3 * 3600 * SEC);
	assert_int_equal(c->instance_attributes.n, 0);
	assert_int_equal(c->instance_tags.n, 0);
	assert_int_equal(c->logging_drivers.n, 3);
	assert_string_equal(c->logging_drivers.items[0], "json-file");
	assert_string_equal(c->logging_drivers.items[1], "journald");
	assert_string_equal(c->logging_drivers.items[2], "none");
	assert_int_equal(c->loglevel, 3); /* info */
	assert_null(c->controlplane_url);
	assert_null(c->join_token);
	assert_int_equal(c->runtime, AGENT_RUNTIME_RUNC);
	assert_string_equal(agent_config_runtime_name(c), "runc");
	assert_null(c->runtime_path);
	assert_null(c->shim_path);
	assert_null(c->init_path);
	assert_string_equal(c->cgroup_parent, "/ecs");
	assert_null(c->instance_identity);
	assert_true(c->enable_task_cpu_mem_limit);
	assert_true(c->poll_wait == 20 * SEC);
	assert_true(c->reconnect_max_backoff == 30 * SEC);
	assert_true(c->watchdog_interval == 0);

	char *out = print_to_string(c);
	assert_printed(out, "ECS_CLUSTER", "ECS_CLUSTER=default  # default");
	assert_printed(out, "ECS_CONTROLPLANE_URL", "ECS_CONTROLPLANE_URL=  # default");
	assert_printed(out, "ECS_CONTAINER_STOP_TIMEOUT", "ECS_CONTAINER_STOP_TIMEOUT=30s  # default");
	free(out);
	agent_config_free(c);
	agent_config_free(NULL);
}

static void test_missing_explicit_file(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	struct agent_config *c = NULL;
	assert_int_equal(agent_config_load(f->conf, true, &c, &err), -ENOENT);
	assert_null(c);
	assert_non_null(strstr(err.msg, f->conf));

	/* A directory is not a configuration file. */
	assert_int_equal(agent_config_load(f->dir, true, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_file_sets_every_key(void **state)
{
	struct fixture *f = *state;
	write_file(f->conf,
		   "# agent settings\n"
		   "ECS_CLUSTER=prod\n"
		   "ECS_DATADIR=/srv/ecs\n"
		   "ECS_RESERVED_MEMORY=256\n"
		   "ECS_RESERVED_PORTS=[22, 8080]\n"
		   "ECS_RESERVED_PORTS_UDP=53,123\n"
		   "ECS_CONTAINER_STOP_TIMEOUT=1m30s\n"
		   "ECS_CONTAINER_START_TIMEOUT=5m\n"
		   "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION=2s\n"
		   "ECS_INSTANCE_ATTRIBUTES={\"stack\":\"prod\",\"tier\":\"web\"}\n"
		   "ECS_CONTAINER_INSTANCE_TAGS={\"team\":\"core\"}\n"
		   "ECS_AVAILABLE_LOGGING_DRIVERS=[\"json-file\",\"none\"]\n"
		   "ECS_LOGLEVEL=DEBUG\n"
		   "ECS_CONTROLPLANE_URL=http://127.0.0.1:8080\n"
		   "ECS_JOIN_TOKEN='s3cr#t'\n"
		   "ECS_RUNTIME=crun\n"
		   "ECS_RUNTIME_PATH=/opt/crun\n"
		   "ECS_SHIM_PATH=/opt/shim\n"
		   "ECS_INIT_PATH=/opt/init\n"
		   "ECS_CGROUP_PARENT=/custom\n"
		   "ECS_INSTANCE_IDENTITY=host-1\n"
		   "ECS_ENABLE_TASK_CPU_MEM_LIMIT=off\n"
		   "ECS_POLL_WAIT=5s\n"
		   "ECS_RECONNECT_MAX_BACKOFF=10m\n"
		   "ECS_NOT_A_KEY=1\n",
		   0644);
	struct agent_config *c = load_ok(f->conf, true);

	assert_string_equal(c->cluster, "prod");
	assert_string_equal(c->datadir, "/srv/ecs");
	assert_int_equal(c->reserved_memory_mib, 256);
	assert_int_equal(c->reserved_ports.n, 2);
	assert_int_equal(c->reserved_ports.ports[1], 8080);
	assert_int_equal(c->reserved_ports_udp.n, 2);
	assert_int_equal(c->reserved_ports_udp.ports[0], 53);
	assert_int_equal(c->reserved_ports_udp.ports[1], 123);
	assert_true(c->container_stop_timeout == 90 * SEC);
	assert_true(c->container_start_timeout == 300 * SEC);
	assert_true(c->task_cleanup_wait == 2 * SEC);
	assert_int_equal(c->instance_attributes.n, 2);
	assert_string_equal(config_map_get(&c->instance_attributes, "tier"), "web");
	assert_string_equal(config_map_get(&c->instance_tags, "team"), "core");
	assert_int_equal(c->logging_drivers.n, 2);
	assert_false(config_strv_contains(&c->logging_drivers, "journald"));
	assert_int_equal(c->loglevel, 4); /* debug */
	assert_string_equal(c->controlplane_url, "http://127.0.0.1:8080");
	assert_string_equal(c->join_token, "s3cr#t");
	assert_int_equal(c->runtime, AGENT_RUNTIME_CRUN);
	assert_string_equal(agent_config_runtime_name(c), "crun");
	assert_string_equal(c->runtime_path, "/opt/crun");
	assert_string_equal(agent_config_runtime_binary(c), "/opt/crun");
	assert_string_equal(agent_config_shim_binary(c), "/opt/shim");
	assert_string_equal(agent_config_init_binary(c), "/opt/init");
	assert_string_equal(c->cgroup_parent, "/custom");
	assert_string_equal(c->instance_identity, "host-1");
	assert_false(c->enable_task_cpu_mem_limit);
	assert_true(c->poll_wait == 5 * SEC);
	assert_true(c->reconnect_max_backoff == 600 * SEC);

	/* Origins name the file and line. */
	char *out = print_to_string(c);
	char expect[256];
	snprintf(expect, sizeof(expect), "ECS_CLUSTER=prod  # %s:2", f->conf);
	assert_printed(out, "ECS_CLUSTER", expect);
	snprintf(expect, sizeof(expect), "ECS_RECONNECT_MAX_BACKOFF=10m  # %s:24", f->conf);
	assert_printed(out, "ECS_RECONNECT_MAX_BACKOFF", expect);
	snprintf(expect, sizeof(expect), "ECS_JOIN_TOKEN=<hidden>  # %s:15", f->conf);
	assert_printed(out, "ECS_JOIN_TOKEN", expect);
	free(out);
	agent_config_free(c);
}

static void test_env_overrides_file(void **state)
{
	struct fixture *f = *state;
	write_file(f->conf, "ECS_CLUSTER=from-file\nECS_POLL_WAIT=5s\nECS_LOGLEVEL=warn\n", 0644);
	setenv("ECS_CLUSTER", "from-env", 1);
	setenv("ECS_RESERVED_PORTS_UDP", "[5353]", 1);
	setenv("ECS_LOGLEVEL", "", 1); /* empty counts as unset */
	struct agent_config *c = load_ok(f->conf, true);

	assert_string_equal(c->cluster, "from-env");
	assert_true(c->poll_wait == 5 * SEC);
	assert_int_equal(c->loglevel, 2); /* warn, from the file */
	assert_int_equal(c->reserved_ports_udp.n, 1);
	assert_int_equal(c->reserved_ports_udp.ports[0], 5353);

	char *out = print_to_string(c);
	assert_printed(out, "ECS_CLUSTER", "ECS_CLUSTER=from-env  # environment");
	assert_printed(out, "ECS_RESERVED_PORTS_UDP", "ECS_RESERVED_PORTS_UDP=[5353]  # environment");
	char expect[256];
	snprintf(expect, sizeof(expect), "ECS_LOGLEVEL=warn  # %s:3", f->conf);
	assert_printed(out, "ECS_LOGLEVEL", expect);
	free(out);
	agent_config_free(c);

	/* The environment alone works too, with no file at all. */
	setenv("ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", "3s", 1);
	c = load_ok("/nonexistent/ecs-agent.conf", false);
	assert_string_equal(c->cluster, "from-env");
	assert_true(c->task_cleanup_wait == 3 * SEC);
	agent_config_free(c);
}

static void test_bad_values(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *key, *value, *why;
	} bad[] = {
		{ "ECS_RESERVED_MEMORY", "-1", NULL },
		{ "ECS_RESERVED_MEMORY", "1g", NULL },
		{ "ECS_RESERVED_PORTS", "[22, 70000]", NULL },
		{ "ECS_RESERVED_PORTS_UDP", "ssh", NULL },
		{ "ECS_CONTAINER_STOP_TIMEOUT", "500ms", NULL },
		{ "ECS_CONTAINER_STOP_TIMEOUT", "30x", "invalid duration" },
		{ "ECS_CONTAINER_START_TIMEOUT", "0", NULL },
		{ "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", "999ms", NULL },
		{ "ECS_INSTANCE_ATTRIBUTES", "[\"a\"]", NULL },
		{ "ECS_CONTAINER_INSTANCE_TAGS", "{\"a\":1}", NULL },
		{ "ECS_AVAILABLE_LOGGING_DRIVERS", "a,,b", NULL },
		{ "ECS_LOGLEVEL", "verbose", NULL },
		{ "ECS_RUNTIME", "docker", NULL },
		{ "ECS_ENABLE_TASK_CPU_MEM_LIMIT", "maybe", NULL },
		{ "ECS_POLL_WAIT", "61s", NULL },
		{ "ECS_POLL_WAIT", "0.5s", NULL },
		{ "ECS_RECONNECT_MAX_BACKOFF", "11m", NULL },
		{ "ECS_RECONNECT_MAX_BACKOFF", "500ms", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[256], prefix[256];
		snprintf(text, sizeof(text), "# line one\n%s=%s\n", bad[i].key, bad[i].value);
		write_file(f->conf, text, 0644);
		struct ecs_err err = { 0 };
		struct agent_config *c = (struct agent_config *)1;
		int r = agent_config_load(f->conf, true, &c, &err);
		if (r != -EINVAL)
			fail_msg("%s=%s: got %d", bad[i].key, bad[i].value, r);
		assert_null(c);
		snprintf(prefix, sizeof(prefix), "%s:2: %s: ", f->conf, bad[i].key);
		if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
			fail_msg("%s=%s: message \"%s\"", bad[i].key, bad[i].value, err.msg);
		if (bad[i].why)
			assert_non_null(strstr(err.msg, bad[i].why));
	}

	/* Several errors: the first is named and the rest counted; the
	 * environment's are included. */
	write_file(f->conf, "ECS_POLL_WAIT=2m\nECS_RUNTIME=lxc\n", 0644);
	setenv("ECS_RESERVED_MEMORY", "lots", 1);
	struct ecs_err err = { 0 };
	struct agent_config *c = NULL;
	assert_int_equal(agent_config_load(f->conf, true, &c, &err), -EINVAL);
	char prefix[256];
	snprintf(prefix, sizeof(prefix), "%s:1: ECS_POLL_WAIT: ", f->conf);
	assert_int_equal(strncmp(err.msg, prefix, strlen(prefix)), 0);
	assert_non_null(strstr(err.msg, "(and 2 more errors)"));

	/* An environment error alone. */
	unlink(f->conf);
	assert_int_equal(agent_config_load(f->conf, false, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "environment: ECS_RESERVED_MEMORY: "));
}

static void test_check_runnable(void **state)
{
	struct fixture *f = *state;
	char text[1024];
	struct ecs_err err = { 0 };

	/* Everything wrong at once: every problem is listed. */
	snprintf(text, sizeof(text),
		 "ECS_DATADIR=var/lib/ecs\n"
		 "ECS_CGROUP_PARENT=ecs\n"
		 "ECS_RUNTIME_PATH=%s/missing-runc\n"
		 "ECS_SHIM_PATH=%s\n"
		 "ECS_INIT_PATH=%s\n"
		 "ECS_IMAGE_HELPER_PATH=%s/missing-image\n",
		 f->dir, f->plain, f->dir, f->dir);
	write_file(f->conf, text, 0644);
	struct agent_config *c = load_ok(f->conf, true);
	assert_int_equal(agent_config_check_runnable(c, &err), -EINVAL);
	static const char *const expect[] = {
		"ECS_CONTROLPLANE_URL is not set",
		"ECS_DATADIR \"var/lib/ecs\" is not an absolute path",
		"ECS_CGROUP_PARENT \"ecs\" is not an absolute path",
		"missing-runc: not found",
		"plain: not an executable file",
		"missing-image: not found",
		"; ",
	};
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++)
		if (!strstr(err.msg, expect[i]))
			fail_msg("\"%s\" not in \"%s\"", expect[i], err.msg);
	char init_problem[160];
	snprintf(init_problem, sizeof(init_problem), "ECS_INIT_PATH %s: not an executable file",
		 f->dir);
	assert_non_null(strstr(err.msg, init_problem));
	agent_config_free(c);

	/* URL schemes and hosts. */
	static const struct {
		const char *url;
		bool ok;
	} urls[] = {
		{ "http://127.0.0.1:8080", true }, { "HTTPS://cp.example:443/base", true },
		{ "ftp://cp", false },            { "127.0.0.1:8080", false },
		{ "http://", false },             { "https:///path", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(urls); i++) {
		snprintf(text, sizeof(text),
			 "ECS_CONTROLPLANE_URL=%s\nECS_DATADIR=%s\nECS_RUNTIME_PATH=%s\n"
			 "ECS_SHIM_PATH=%s\nECS_INIT_PATH=%s\nECS_IMAGE_HELPER_PATH=%s\n",
			 urls[i].url, f->dir, f->exe, f->exe, f->exe, f->exe);
		write_file(f->conf, text, 0644);
		c = load_ok(f->conf, true);
		int r = agent_config_check_runnable(c, &err);
		if (urls[i].ok != (r == 0))
			fail_msg("%s: %d %s", urls[i].url, r, err.msg);
		if (!urls[i].ok)
			assert_non_null(strstr(err.msg, "ECS_CONTROLPLANE_URL"));
		else {
			assert_string_equal(agent_config_runtime_binary(c), f->exe);
			assert_string_equal(agent_config_shim_binary(c), f->exe);
			assert_string_equal(agent_config_init_binary(c), f->exe);
		}
		agent_config_free(c);
	}
}

static void test_runtime_path_search(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	char crun[160], text[512];
	snprintf(crun, sizeof(crun), "%s/crun", f->dir);
	write_file(crun, "#!/bin/sh\n", 0755);

	/* Empty and relative PATH entries are skipped, not trusted. */
	char path[256];
	snprintf(path, sizeof(path), ":relative:/nonexistent:%s", f->dir);
	setenv("PATH", path, 1);
	snprintf(text, sizeof(text),
		 "ECS_RUNTIME=crun\nECS_CONTROLPLANE_URL=http://h\nECS_DATADIR=/d\n"
		 "ECS_SHIM_PATH=%s\nECS_INIT_PATH=%s\nECS_IMAGE_HELPER_PATH=%s\n",
		 f->exe, f->exe, f->exe);
	write_file(f->conf, text, 0644);
	struct agent_config *c = load_ok(f->conf, true);
	assert_string_equal(agent_config_runtime_binary(c), crun);
	assert_int_equal(agent_config_check_runnable(c, &err), 0);
	agent_config_free(c);

	/* runc is not there: named in the problem. */
	setenv("ECS_RUNTIME", "runc", 1);
	c = load_ok(f->conf, true);
	assert_null(agent_config_runtime_binary(c));
	assert_int_equal(agent_config_check_runnable(c, &err), -EINVAL);
	assert_string_equal(err.msg, "runtime runc not found in PATH (set ECS_RUNTIME_PATH)");
	agent_config_free(c);
}

static void test_helpers_next_to_binary(void **state)
{
	struct fixture *f = *state;
	char self[PATH_MAX], init[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(init, sizeof(init), "%s/ecs-agent-init", self);

	/* No shim next to this test program: the installed location. */
	struct agent_config *c = load_ok(f->conf, false);
	const char *shim = agent_config_shim_binary(c);
	assert_non_null(shim);
	assert_true(strncmp(shim, self, strlen(self)) != 0);
	assert_string_equal(strrchr(shim, '/'), "/ecs-agent-shim");
	agent_config_free(c);

	/* An executable init beside the program wins over the installed one. */
	if (access(init, F_OK) == 0)
		skip();
	write_file(init, "#!/bin/sh\n", 0755);
	c = load_ok(f->conf, false);
	char resolved[PATH_MAX + 32];
	snprintf(resolved, sizeof(resolved), "%s", agent_config_init_binary(c));
	agent_config_free(c);
	unlink(init);
	assert_string_equal(resolved, init);
}

/* Printing then loading the output reproduces every value. */
static void test_print_round_trip(void **state)
{
	struct fixture *f = *state;
	write_file(f->conf,
		   "ECS_CLUSTER=\"with space # and \\\"quotes\\\"\"\n"
		   "ECS_INSTANCE_ATTRIBUTES=\"{\\\"k 1\\\":\\\"v # 1\\\",\\\"q\\\":\\\"it's\\\"}\"\n"
		   "ECS_AVAILABLE_LOGGING_DRIVERS=json-file, journald\n"
		   "ECS_CONTAINER_STOP_TIMEOUT=1.5s\n"
		   "ECS_JOIN_TOKEN=tab\there\n"
		   "ECS_RESERVED_PORTS=[]\n",
		   0644);
	struct agent_config *a = load_ok(f->conf, true);
	char *first = print_to_string(a);

	char printed[160];
	snprintf(printed, sizeof(printed), "%s/printed.conf", f->dir);
	write_file(printed, first, 0644);
	struct agent_config *b = load_ok(printed, true);
	char *second = print_to_string(b);

	assert_string_equal(b->cluster, "with space # and \"quotes\"");
	assert_string_equal(b->cluster, a->cluster);
	assert_string_equal(config_map_get(&b->instance_attributes, "k 1"), "v # 1");
	assert_string_equal(config_map_get(&b->instance_attributes, "q"), "it's");
	assert_int_equal(b->logging_drivers.n, 2);
	assert_true(b->container_stop_timeout == 1500000);
	/* A secret is not printed, so it does not survive the round trip. */
	assert_string_equal(a->join_token, "tab\there");
	assert_string_equal(b->join_token, CONFIG_HIDDEN);
	assert_int_equal(b->reserved_ports.n, 0);

	/* Line by line the values are equal; only the origins differ. */
	const char *p = first, *q = second;
	size_t lines = 0;
	while (*p && *q) {
		const char *pe = strchr(p, '\n'), *qe = strchr(q, '\n');
		assert_non_null(pe);
		assert_non_null(qe);
		const char *pc = strstr(p, "  # "), *qc = strstr(q, "  # ");
		/* The origin is the last "  # " of the line. */
		for (const char *t = pc; t && t < pe; t = strstr(t + 1, "  # "))
			pc = t;
		for (const char *t = qc; t && t < qe; t = strstr(t + 1, "  # "))
			qc = t;
		assert_true(pc && pc < pe && qc && qc < qe);
		assert_int_equal(pc - p, qc - q);
		assert_memory_equal(p, q, (size_t)(pc - p));
		p = pe + 1;
		q = qe + 1;
		lines++;
	}
	size_t n_keys;
	agent_config_keys(&n_keys);
	assert_int_equal(lines, n_keys);
	free(first);
	free(second);
	agent_config_free(a);
	agent_config_free(b);
}

/* Run cmd_check_config with stdout and stderr captured in files. */
static int run_check_config(struct fixture *f, char **argv, int argc, char **out, char **errs)
{
	char out_path[160], err_path[160];
	snprintf(out_path, sizeof(out_path), "%s/out", f->dir);
	snprintf(err_path, sizeof(err_path), "%s/err", f->dir);
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	int fo = open(out_path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	int fe = open(err_path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	dup2(fo, 1);
	dup2(fe, 2);
	close(fo);
	close(fe);

	int r = cmd_check_config(argc, argv);

	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);

	char *bufs[2] = { NULL, NULL };
	const char *paths[2] = { out_path, err_path };
	for (int i = 0; i < 2; i++) {
		FILE *in = fopen(paths[i], "r");
		assert_non_null(in);
		bufs[i] = calloc(1, 65536);
		size_t got = fread(bufs[i], 1, 65535, in);
		bufs[i][got] = '\0';
		fclose(in);
	}
	*out = bufs[0];
	*errs = bufs[1];
	return r;
}

static void test_cmd_check_config(void **state)
{
	struct fixture *f = *state;
	char text[1024], *out, *errs;
	char *argv[] = { "check-config", "--config", f->conf, NULL };

	snprintf(text, sizeof(text),
		 "ECS_CONTROLPLANE_URL=http://127.0.0.1:1\nECS_DATADIR=%s\n"
		 "ECS_RUNTIME_PATH=%s\nECS_SHIM_PATH=%s\nECS_INIT_PATH=%s\n"
		 "ECS_IMAGE_HELPER_PATH=%s\n",
		 f->dir, f->exe, f->exe, f->exe, f->exe);
	write_file(f->conf, text, 0644);
	assert_int_equal(run_check_config(f, argv, 3, &out, &errs), 0);
	char expect[256];
	snprintf(expect, sizeof(expect), "ECS_CONTROLPLANE_URL=http://127.0.0.1:1  # %s:1\n",
		 f->conf);
	assert_non_null(strstr(out, expect));
	assert_non_null(strstr(out, "ECS_CLUSTER=default  # default\n"));
	snprintf(expect, sizeof(expect), "# runtime runc: %s\n", f->exe);
	assert_non_null(strstr(out, expect));
	assert_string_equal(errs, "");
	free(out);
	free(errs);

	/* Not runnable: the configuration is printed, the problem goes to
	 * stderr, the status is 1. */
	write_file(f->conf, "ECS_DATADIR=relative\n", 0644);
	assert_int_equal(run_check_config(f, argv, 3, &out, &errs), 1);
	assert_non_null(strstr(out, "ECS_DATADIR=relative"));
	assert_non_null(strstr(errs, "ECS_CONTROLPLANE_URL is not set"));
	assert_non_null(strstr(errs, "ECS_DATADIR \"relative\" is not an absolute path"));
	free(out);
	free(errs);

	/* Invalid values: every error, each on its own line, and no output. */
	write_file(f->conf, "ECS_POLL_WAIT=2m\nECS_RUNTIME=lxc\n", 0644);
	assert_int_equal(run_check_config(f, argv, 3, &out, &errs), 1);
	assert_string_equal(out, "");
	snprintf(expect, sizeof(expect), "ecs-agent: %s:1: ECS_POLL_WAIT: ", f->conf);
	assert_non_null(strstr(errs, expect));
	snprintf(expect, sizeof(expect), "ecs-agent: %s:2: ECS_RUNTIME: ", f->conf);
	assert_non_null(strstr(errs, expect));
	free(out);
	free(errs);

	/* A missing explicit file. */
	unlink(f->conf);
	assert_int_equal(run_check_config(f, argv, 3, &out, &errs), 1);
	assert_non_null(strstr(errs, f->conf));
	free(out);
	free(errs);

	/* Usage. */
	char *bad[] = { "--check-config", "--bogus", NULL };
	assert_int_equal(run_check_config(f, bad, 2, &out, &errs), 2);
	assert_non_null(strstr(errs, "Usage"));
	free(out);
	free(errs);
	char *extra[] = { "--check-config", "file", NULL };
	assert_int_equal(run_check_config(f, extra, 2, &out, &errs), 2);
	free(out);
	free(errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_explicit_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_sets_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_overrides_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_runnable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runtime_path_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helpers_next_to_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_check_config, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
