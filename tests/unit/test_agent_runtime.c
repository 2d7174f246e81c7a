/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime wrapper and the static init against real runc containers
 * (root only). Each test builds a rootfs from the static busybox, writes the
 * bundle with spec_write_bundle(), and creates/starts the container itself
 * with `runc create` + `runc start`, as the shim does in production. The test
 * is a child subreaper, so a container's init becomes its child once runc
 * has exited and its exit status can be read with waitpid().
 *
 * Everything lives under one temporary directory (a private --root, the
 * bundles, the rootfs) and one cgroup parent; teardown deletes every
 * container and removes both.
 */
#include "autoconf.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/runtime.h"
#include "runtime/spec.h"
#include "cleanup.h"
#include "taskdef.h"

#define BUSYBOX "/bin/busybox"

struct env {
	char dir[256];
	char root[300];
	char rootfs[300];
	char etc[300];
	char cgroup_parent[64];
	struct runtime rt;
	struct taskdef *init_td; /* initProcessEnabled */
};

static const char *const applets[] = { "sh",    "sleep", "cat",      "pidof", "touch",
				       "grep",  "true",  "mount",    "df",    "hostname" };

static void xsystem(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	if (geteuid() != 0 || access("/usr/sbin/runc", X_OK) != 0 || access(BUSYBOX, X_OK) != 0) {
		fprintf(stderr, "# skipping: needs root, runc and %s\n", BUSYBOX);
		*state = NULL;
		return 0;
	}
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/test_agent_runtime.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->root, sizeof(e->root), "%s/root", e->dir);
	snprintf(e->rootfs, sizeof(e->rootfs), "%s/rootfs", e->dir);
	snprintf(e->etc, sizeof(e->etc), "%s/etc", e->dir);
	snprintf(e->cgroup_parent, sizeof(e->cgroup_parent), "ecs-test-runtime-%d", (int)getpid());
	e->rt.binary = "/usr/sbin/runc";
	e->rt.name = "runc";
	e->rt.root = e->root;

	xsystem("mkdir -p %s/bin %s/bundles && cp %s %s/bin/busybox", e->rootfs, e->dir, BUSYBOX,
		e->rootfs);
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
		xsystem("ln -s busybox %s/bin/%s", e->rootfs, applets[i]);

	struct ecs_err err;
	assert_int_equal(spec_write_etc_files(NULL, "box", SPEC_NET_NONE, "/etc/resolv.conf",
					      "/etc/hosts", e->etc, &err), 0);
	const char *doc = "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"c\","
			  "\"image\":\"i\",\"linuxParameters\":{\"initProcessEnabled\":true}}]}";
	assert_int_equal(taskdef_parse_flags(doc, strlen(doc), TASKDEF_PARSE_NO_VALIDATE,
					     &e->init_td, NULL, &err), 0);
	/* Orphaned container inits are re-parented here. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	if (!e)
		return 0;
	char **ids = NULL;
	size_t n = 0;
	if (runtime_list(&e->rt, &ids, &n, NULL) == 0) {
		for (size_t i = 0; i < n; i++) {
			runtime_delete(&e->rt, ids[i], NULL);
			free(ids[i]);
		}
		free(ids);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	/* runc removes each container's cgroup; the shared parent is ours. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "for c in /sys/fs/cgroup/*/%s /sys/fs/cgroup/%s; do [ -d $c ] && rmdir $c; done; "
		 "rm -rf %s",
		 e->cgroup_parent, e->cgroup_parent, e->dir);
	int rc = system(cmd);
	taskdef_free(e->init_td);
	free(e);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	return rc == 0 || WEXITSTATUS(rc) == 1 ? 0 : -1;
}

#define SKIP_UNLESS_READY(e)      \
	do {                      \
		if (!(e))         \
			skip();   \
	} while (0)

/* Fork and exec argv (stdio to `log`), return its exit status. */
static int run(char *const argv[], int log)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(log, 1);
		dup2(log, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Bundle for `id` running `args`, then runc create (not started). */
static void create(struct env *e, const char *id, char **args, const struct taskdef *td)
{
	char bundle[400], cgroups[128], logpath[400];
	struct ecs_err err;
	struct container_spec s = {
		.rootfs = e->rootfs,
		.args = args,
		.env = (char *[]){ "PATH=/bin", NULL },
		.hostname = "box",
		.net = SPEC_NET_NONE,
		.cgroups_path = cgroups,
		.memory_bytes = 64 << 20,
		.init_path = ECS_INIT_BINARY,
		.etc_dir = e->etc,
		.td = td ? &td->containers.items[0] : NULL,
		.container_name = id,
	};
	snprintf(cgroups, sizeof(cgroups), "/%s/%s", e->cgroup_parent, id);
	snprintf(bundle, sizeof(bundle), "%s/bundles/%s", e->dir, id);
	assert_int_equal(mkdir(bundle, 0700), 0);
	if (spec_write_bundle(&s, bundle, &err) < 0)
		fail_msg("spec_write_bundle: %s", err.msg);

	snprintf(logpath, sizeof(logpath), "%s/bundles/%s.log", e->dir, id);
	int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(log >= 0);
	char *argv[] = { "/usr/sbin/runc", "--root", e->root, "create", "--bundle", bundle,
			 (char *)id, NULL };
	int rc = run(argv, log);
	close(log);
	if (rc != 0) {
		xsystem("cat %s >&2", logpath);
		fail_msg("runc create %s: exit %d", id, rc);
	}
}

static void start(struct env *e, const char *id)
{
	char *argv[] = { "/usr/sbin/runc", "--root", e->root, "start", (char *)id, NULL };
	assert_int_equal(run(argv, 2), 0);
}

/* The container's init pid, as runtime_state() reports it. */
static pid_t state_pid(struct env *e, const char *id, const char *want_status)
{
	struct runtime_state st;
	struct ecs_err err;
	if (runtime_state(&e->rt, id, &st, &err) < 0)
		fail_msg("runtime_state %s: %s", id, err.msg);
	assert_string_equal(st.status, want_status);
	assert_true(st.pid > 0);
	return st.pid;
}

/* Wait (up to 10 s) for our re-parented child `pid`; its exit status. */
static int wait_exit(pid_t pid)
{
	for (int i = 0; i < 1000; i++) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		assert_true(r >= 0);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(10000);
	}
	fail_msg("pid %d did not exit", (int)pid);
	return -1;
}

static bool listed(struct env *e, const char *id)
{
	char **ids;
	size_t n;
	struct ecs_err err;
	bool found = false;
	if (runtime_list(&e->rt, &ids, &n, &err) < 0)
		fail_msg("runtime_list: %s", err.msg);
	for (size_t i = 0; i < n; i++) {
		found |= strcmp(ids[i], id) == 0;
		free(ids[i]);
	}
	free(ids);
	return found;
}

/* Wait (up to 5 s) for the container to create FILE in its rootfs. */
static void wait_file(struct env *e, const char *file)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/%s", e->rootfs, file);
	for (int i = 0; i < 500 && access(p, F_OK) != 0; i++)
		usleep(10000);
	assert_int_equal(access(p, F_OK), 0);
}

static void test_ids_and_version(void **state)
{
	struct env *e = *state;
	SKIP_UNLESS_READY(e);
	struct ecs_err err;

	assert_true(runtime_id_valid("abc-1.2_3+x"));
	assert_false(runtime_id_valid(""));
	assert_false(runtime_id_valid(".."));
	assert_false(runtime_id_valid("a/b"));
	assert_false(runtime_id_valid("a b"));
	assert_int_equal(runtime_kill(&e->rt, "../x", SIGTERM, &err), -EINVAL);
	assert_int_equal(runtime_delete(&e->rt, NULL, &err), -EINVAL);

	char *v = runtime_version(&e->rt, &err);
	assert_non_null(v);
	assert_int_equal(strncmp(v, "runc version ", 13), 0);
	assert_null(strchr(v, '\n'));
	free(v);

	struct runtime bad = { "/nonexistent/runc", "runc", e->root };
	assert_null(runtime_version(&bad, &err));
	assert_int_equal(err.code, ENOENT);

	/* Nothing under a root that was never used. */
	char **ids;
	size_t n;
	assert_int_equal(runtime_list(&e->rt, &ids, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void test_lifecycle(void **state)
{
	struct env *e = *state;
	SKIP_UNLESS_READY(e);
	struct runtime_state st;
	struct ecs_err err;

	create(e, "life", (char *[]){ "sleep", "100", NULL }, NULL);
	pid_t pid = state_pid(e, "life", "created");
	assert_true(listed(e, "life"));
	start(e, "life");
	assert_int_equal(state_pid(e, "life", "running"), pid);

	/* PID 1 without a handler ignores SIGTERM; SIGKILL ends it. */
	assert_int_equal(runtime_kill(&e->rt, "life", SIGKILL, &err), 0);
	assert_int_equal(wait_exit(pid), 128 + SIGKILL);
	assert_int_equal(runtime_state(&e->rt, "life", &st, &err), 0);
	assert_string_equal(st.status, "stopped");
	assert_int_equal(runtime_kill(&e->rt, "life", SIGTERM, &err), -ESRCH);

	assert_int_equal(runtime_delete(&e->rt, "life", &err), 0);
	assert_int_equal(runtime_state(&e->rt, "life", &st, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "does not exist"));
	assert_false(listed(e, "life"));
	/* Absent ids. */
	assert_int_equal(runtime_delete(&e->rt, "life", &err), 0);
	assert_int_equal(runtime_kill(&e->rt, "life", SIGTERM, &err), -ESRCH);
	assert_int_equal(runtime_state(&e->rt, "never-was", &st, &err), -ENOENT);

	/* delete --force takes a running container down. */
	create(e, "forced", (char *[]){ "sleep", "100", NULL }, NULL);
	start(e, "forced");
	pid = state_pid(e, "forced", "running");
	assert_int_equal(runtime_delete(&e->rt, "forced", &err), 0);
	assert_int_equal(wait_exit(pid), 128 + SIGKILL);
	assert_false(listed(e, "forced"));
}

static void test_init_exit_code(void **state)
{
	struct env *e = *state;
	SKIP_UNLESS_READY(e);
	struct ecs_err err;

	/* As the conformance test checks: the init is PID 1 and named init;
	 * the command's exit code becomes the container's. */
	create(e, "initexit",
	       (char *[]){ "sh", "-c", "[ \"$(pidof init)\" = 1 ] && [ $$ != 1 ] && exit 3; exit 1",
			   NULL },
	       e->init_td);
	pid_t pid = state_pid(e, "initexit", "created");
	start(e, "initexit");
	assert_int_equal(wait_exit(pid), 3);
	assert_int_equal(runtime_delete(&e->rt, "initexit", &err), 0);

	/* Orphans are reaped: a double-forked sleep exits while the command
	 * still runs, and no zombie is left behind. */
	create(e, "initreap",
	       (char *[]){ "sh", "-c",
			   "sh -c 'sleep 0.2 &'; sleep 1; "
			   "for s in /proc/[0-9]*/stat; do grep -q ') Z ' $s && exit 5; done; exit 0",
			   NULL },
	       e->init_td);
	pid = state_pid(e, "initreap", "created");
	start(e, "initreap");
	assert_int_equal(wait_exit(pid), 0);
	assert_int_equal(runtime_delete(&e->rt, "initreap", &err), 0);
}

static void test_init_forwards_signals(void **state)
{
	struct env *e = *state;
	SKIP_UNLESS_READY(e);
	struct ecs_err err;

	/* The command traps SIGTERM: what init forwards, it handles. */
	create(e, "initterm",
	       (char *[]){ "sh", "-c",
			   "trap 'exit 7' TERM; touch /trapped; while true; do sleep 0.05; done",
			   NULL },
	       e->init_td);
	pid_t pid = state_pid(e, "initterm", "created");
	start(e, "initterm");
	wait_file(e, "trapped");
	assert_int_equal(runtime_kill(&e->rt, "initterm", SIGTERM, &err), 0);
	assert_int_equal(wait_exit(pid), 7);
	assert_int_equal(runtime_delete(&e->rt, "initterm", &err), 0);

	/* A command killed by the forwarded signal: 128 + SIGTERM. */
	create(e, "initkill", (char *[]){ "sh", "-c", "touch /started; exec sleep 100", NULL },
	       e->init_td);
	pid = state_pid(e, "initkill", "created");
	start(e, "initkill");
	wait_file(e, "started");
	usleep(50000); /* until the exec has happened */
	assert_int_equal(runtime_kill(&e->rt, "initkill", SIGTERM, &err), 0);
	assert_int_equal(wait_exit(pid), 128 + SIGTERM);
	assert_int_equal(runtime_delete(&e->rt, "initkill", &err), 0);
}

/* The task-definition features that only a running container shows, each
 * checked from inside as the ECS conformance tests do; the exit code names
 * the first check that failed. */
static void test_features_inside(void **state)
{
	struct env *e = *state;
	SKIP_UNLESS_READY(e);
	struct ecs_err err;
	const char *doc =
		"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"c\",\"image\":\"i\","
		"\"readonlyRootFilesystem\":true,"
		"\"ulimits\":[{\"name\":\"nofile\",\"softLimit\":123,\"hardLimit\":234}],"
		"\"linuxParameters\":{\"sharedMemorySize\":100,"
		"\"capabilities\":{\"add\":[\"SYS_ADMIN\"],\"drop\":[\"MKNOD\"]},"
		"\"tmpfs\":[{\"containerPath\":\"/dev/tmpfs\",\"size\":100,"
		"\"mountOptions\":[\"ro\",\"noexec\"]}]}}]}";
	_cleanup_(taskdef_freep) struct taskdef *td = NULL;
	assert_int_equal(taskdef_parse_flags(doc, strlen(doc), TASKDEF_PARSE_NO_VALIDATE, &td, NULL,
					     &err), 0);
	const char *script =
		"mount | grep -q 'tmpfs on /dev/tmpfs type tmpfs "
		"(ro,nosuid,nodev,noexec,relatime,size=102400k)' || exit 10; "
		"mount | grep -q 'on /dev/shm type tmpfs .*size=102400k' || exit 11; "
		"[ \"$(grep '^Max open files' /proc/self/limits | "
		"while read a b c s h u; do echo $s $h; done)\" = '123 234' ] || exit 12; "
		"touch /readonly 2>/dev/null && exit 13; "
		"[ \"$(hostname)\" = box ] || exit 14; "
		"grep -q box /etc/hosts || exit 15; "
		"grep -q 'CapBnd:.*00000000a02425fb' /proc/self/status || exit 16; "
		"grep -q '^NoNewPrivs:.*0' /proc/self/status || exit 17; "
		"[ -z \"$(cat /proc/kcore 2>/dev/null)\" ] || exit 18; "
		"exit 42";
	create(e, "features", (char *[]){ "sh", "-c", (char *)script, NULL }, td);
	pid_t pid = state_pid(e, "features", "created");
	start(e, "features");
	int rc = wait_exit(pid);
	if (rc != 42) {
		xsystem("cat %s/bundles/features.log >&2", e->dir);
		fail_msg("in-container check failed: exit %d", rc);
	}
	assert_int_equal(runtime_delete(&e->rt, "features", &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_version),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_init_exit_code),
		cmocka_unit_test(test_init_forwards_signals),
		cmocka_unit_test(test_features_inside),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
