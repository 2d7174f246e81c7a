/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent/cgroup*: the pure parsers for both v1 and v2 on any host, then (as
 * root) real cgroups under /ecs-test-<pid>: limits in the files, a process's
 * stats, an OOM kill, -EBUSY with a live process, and removal of the nested
 * container cgroups runc makes in every hierarchy. Everything made is
 * removed by the group teardown, also after a failure.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup-internal.h"
#include "cgroup.h"
#include "cleanup.h"
#include "fileio.h"

static char parent[64];
static pid_t children[4];
static size_t n_children;

/* ---- pure parts ---- */

static const char hybrid[] =
	"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
	"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	"41 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	"garbage line\n";

static void test_mounts_hybrid_is_v1(void **state)
{
	struct cgroup_mounts m;
	assert_int_equal(cgroup_mounts_parse(hybrid, strlen(hybrid), &m, NULL), 0);
	assert_int_equal(m.mode, CGROUP_MODE_V1);
	assert_int_equal(m.n, 5); /* the repeated unified mount counts once */
	assert_string_equal(m.h[0].mount, "/sys/fs/cgroup/cpu,cpuacct");
	assert_true(cgroup_hierarchy_has(&m.h[0], "cpu"));
	assert_true(cgroup_hierarchy_has(&m.h[0], "cpuacct"));
	assert_false(cgroup_hierarchy_has(&m.h[0], "cpuset"));
	assert_true(cgroup_hierarchy_has(&m.h[3], "name=systemd"));
	assert_int_equal(m.unified, 4);
	assert_true(m.h[4].unified);
	assert_string_equal(m.h[4].mount, "/sys/fs/cgroup/unified");
	cgroup_mounts_clear(&m);
}

static void test_mounts_v2(void **state)
{
	static const char v2[] =
		"24 1 0:22 / /sys/fs/cgroup rw,nosuid shared:4 master:1 - cgroup2 cgroup2 rw,nsdelegate\n"
		"25 1 0:23 / /sys/fs/bpf rw - bpf bpf rw\n";
	struct cgroup_mounts m;
	assert_int_equal(cgroup_mounts_parse(v2, strlen(v2), &m, NULL), 0);
	assert_int_equal(m.mode, CGROUP_MODE_V2);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.unified, 0);
	assert_string_equal(m.h[0].mount, "/sys/fs/cgroup");
	cgroup_mounts_clear(&m);

	/* Only a named v1 hierarchy beside cgroup2 (systemd's "unified"
	 * layout with legacy name=systemd): the controllers are on v2. */
	static const char named[] =
		"1 0 0:1 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
		"2 0 0:2 / /sys/fs/cgroup/my\\040tree rw - cgroup2 none rw\n";
	assert_int_equal(cgroup_mounts_parse(named, strlen(named), &m, NULL), 0);
	assert_int_equal(m.mode, CGROUP_MODE_V2);
	assert_string_equal(m.h[m.unified].mount, "/sys/fs/cgroup/my tree");
	cgroup_mounts_clear(&m);

	struct ecs_err err = { 0 };
	static const char none[] = "25 1 0:23 / /sys/fs/bpf rw - bpf bpf rw\n";
	assert_int_equal(cgroup_mounts_parse(none, strlen(none), &m, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no cgroup hierarchy"));
	assert_int_equal(cgroup_mounts_parse("", 0, &m, NULL), -ENOENT);
}

static void test_paths(void **state)
{
	assert_true(cgroup_path_valid("/ecs"));
	assert_true(cgroup_path_valid("/ecs/abc/web-1.x"));
	assert_false(cgroup_path_valid(NULL));
	assert_false(cgroup_path_valid(""));
	assert_false(cgroup_path_valid("/"));
	assert_false(cgroup_path_valid("ecs/a"));
	assert_false(cgroup_path_valid("/ecs/"));
	assert_false(cgroup_path_valid("/ecs//a"));
	assert_false(cgroup_path_valid("/ecs/../a"));
	assert_false(cgroup_path_valid("/ecs/./a"));
	assert_false(cgroup_path_valid("/.."));
}

static void test_shares_to_weight(void **state)
{
	assert_int_equal(cgroup_shares_to_weight(0), 100);
	assert_int_equal(cgroup_shares_to_weight(1), 1);
	assert_int_equal(cgroup_shares_to_weight(2), 1);
	assert_int_equal(cgroup_shares_to_weight(1024), 39);
	assert_int_equal(cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_shares_to_weight(1 << 30), 10000);
	assert_int_equal(cgroup_shares_to_weight(512), 1 + (510 * 9999) / 262142);
}

static void test_parse_numbers(void **state)
{
	uint64_t v = 7;
	assert_int_equal(cgroup_parse_u64("123\n", false, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(cgroup_parse_u64("max\n", true, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cgroup_parse_u64("max\n", false, &v), -EINVAL);
	assert_int_equal(cgroup_parse_u64("9223372036854771712\n", true, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cgroup_parse_u64("9223372036854771712\n", false, &v), 0);
	assert_int_equal(v, UINT64_C(9223372036854771712));
	assert_int_equal(cgroup_parse_u64("", false, &v), -EINVAL);
	assert_int_equal(cgroup_parse_u64("-1", false, &v), -EINVAL);
	assert_int_equal(cgroup_parse_u64("12 13", false, &v), -EINVAL);
	assert_int_equal(cgroup_parse_u64("maximum", true, &v), -EINVAL);
	assert_int_equal(cgroup_parse_u64("99999999999999999999999", false, &v), -EINVAL);

	static const char oom[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
	assert_int_equal(cgroup_parse_keyed(oom, "oom_kill", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(cgroup_parse_keyed(oom, "under_oom", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cgroup_parse_keyed(oom, "oom", &v), -ENOENT);
	assert_int_equal(cgroup_parse_keyed("oom_kill x\n", "oom_kill", &v), -EINVAL);
	assert_true(cgroup_oom_parse(oom));
	assert_false(cgroup_oom_parse("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"));
	assert_false(cgroup_oom_parse("low 0\nhigh 0\nmax 0\noom 0\n")); /* old kernel: no oom_kill */
	assert_true(cgroup_oom_parse("low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 0\n"));
	assert_false(cgroup_oom_parse(NULL));
}

static void test_stats_v1(void **state)
{
	struct cgroup_stat_files f = {
		.cpu_usage = "5000000\n",
		.cpu_stat = "nr_periods 4\nnr_throttled 1\nthrottled_time 250\n",
		.mem_usage = "4096\n",
		.mem_max_usage = "8192\n",
		.mem_limit = "9223372036854771712\n",
	};
	struct cgroup_stats st;
	assert_int_equal(cgroup_stats_parse(CGROUP_MODE_V1, &f, &st, NULL), 0);
	assert_int_equal(st.cpu_usage_ns, 5000000);
	assert_int_equal(st.cpu_throttled_ns, 250);
	assert_int_equal(st.memory_usage_bytes, 4096);
	assert_int_equal(st.memory_max_usage_bytes, 8192);
	assert_int_equal(st.memory_limit_bytes, 0);

	f.mem_limit = "67108864\n";
	f.cpu_stat = NULL;
	assert_int_equal(cgroup_stats_parse(CGROUP_MODE_V1, &f, &st, NULL), 0);
	assert_int_equal(st.memory_limit_bytes, 67108864);
	assert_int_equal(st.cpu_throttled_ns, 0);

	struct ecs_err err = { 0 };
	f.mem_max_usage = NULL;
	assert_int_equal(cgroup_stats_parse(CGROUP_MODE_V1, &f, &st, &err), -EINVAL);
	assert_string_equal(err.msg, "memory.max_usage_in_bytes is missing");
	assert_int_equal(st.cpu_usage_ns, 0);
}

static void test_stats_v2(void **state)
{
	struct cgroup_stat_files f = {
		.cpu_stat = "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"
			    "nr_periods 3\nnr_throttled 1\nthrottled_usec 20\n",
		.mem_usage = "12288\n",
		.mem_max_usage = "20480\n",
		.mem_limit = "max\n",
	};
	struct cgroup_stats st;
	assert_int_equal(cgroup_stats_parse(CGROUP_MODE_V2, &f, &st, NULL), 0);
	assert_int_equal(st.cpu_usage_ns, 1500000);
	assert_int_equal(st.cpu_throttled_ns, 20000);
	assert_int_equal(st.memory_usage_bytes, 12288);
	assert_int_equal(st.memory_max_usage_bytes, 20480);
	assert_int_equal(st.memory_limit_bytes, 0);

	/* No memory.peak (before 5.19), no cpu controller (no throttling). */
	f.cpu_stat = "usage_usec 7\nuser_usec 7\nsystem_usec 0\n";
	f.mem_max_usage = NULL;
	f.mem_limit = "1048576\n";
	assert_int_equal(cgroup_stats_parse(CGROUP_MODE_V2, &f, &st, NULL), 0);
	assert_int_equal(st.cpu_usage_ns, 7000);
	assert_int_equal(st.cpu_throttled_ns, 0);
	assert_int_equal(st.memory_max_usage_bytes, 12288);
	assert_int_equal(st.memory_limit_bytes, 1048576);

	struct ecs_err err = { 0 };
	f.cpu_stat = "user_usec 7\n";
	assert_int_equal(cgroup_stats_parse(CGROUP_MODE_V2, &f, &st, &err), -EINVAL);
	assert_string_equal(err.msg, "cpu.stat: usage_usec is missing");
}

/* ---- real cgroups (root) ---- */

static bool have_root(void)
{
	return geteuid() == 0 && access("/sys/fs/cgroup", W_OK) == 0;
}

static void cpath(char *buf, size_t size, const char *sub)
{
	snprintf(buf, size, "%s%s%s", parent, sub[0] ? "/" : "", sub);
}

/* The contents of `file` in `controller`'s hierarchy, trimmed. */
static char *read_cg(const char *controller, const char *path, const char *file)
{
	const struct cgroup_hierarchy *h = cgroup_hierarchy_of(controller);
	assert_non_null(h);
	char full[4096];
	snprintf(full, sizeof(full), "%s%s/%s", h->mount, path, file);
	char *text = NULL;
	size_t len;
	struct ecs_err err = { 0 };
	if (file_read_all(full, 1 << 20, &text, &len, &err) < 0)
		fail_msg("%s", err.msg);
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	return text;
}

static bool dir_in(const struct cgroup_hierarchy *h, const char *path)
{
	char full[4096];
	struct stat st;
	snprintf(full, sizeof(full), "%s%s", h->mount, path);
	return stat(full, &st) == 0 && S_ISDIR(st.st_mode);
}

static void write_pid(const char *controller, const char *path, pid_t pid)
{
	const struct cgroup_hierarchy *h = cgroup_hierarchy_of(controller);
	char full[4096];
	snprintf(full, sizeof(full), "%s%s/cgroup.procs", h->mount, path);
	FILE *f = fopen(full, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", (int)pid);
	assert_int_equal(fclose(f), 0);
}

/* Fork a child that runs `body` once released through *go. */
static pid_t spawn(void (*body)(void), int *go)
{
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		close(ready[1]);
		/* Wait until the parent has moved us into the cgroup. */
		if (read(ready[0], &c, 1) != 1)
			_exit(1);
		body();
		_exit(0);
	}
	close(ready[0]);
	children[n_children++] = pid;
	*go = ready[1];
	return pid;
}

static void release(int fd)
{
	assert_int_equal(write(fd, "g", 1), 1);
	close(fd);
}

static void reap(pid_t pid, int *status)
{
	assert_int_equal(waitpid(pid, status, 0), pid);
	for (size_t i = 0; i < n_children; i++)
		if (children[i] == pid)
			children[i] = 0;
}

static void burn_then_sleep(void)
{
	/* 30 ms of CPU time and a few touched pages, then wait to be killed. */
	volatile uint64_t x = 0;
	struct timespec used;
	do {
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
	} while (used.tv_sec == 0 && used.tv_nsec < 30000000L);
	char *mem = malloc(4 << 20);
	if (mem)
		memset(mem, 1, 4 << 20);
	/* Keep the compiler from dropping the unused buffer. */
	__asm__ volatile("" : : "r"(mem) : "memory");
	for (;;)
		pause();
}

static void eat_memory(void)
{
	for (;;) {
		char *mem = malloc(1 << 20);
		if (!mem)
			_exit(2);
		memset(mem, 1, 1 << 20);
		__asm__ volatile("" : : "r"(mem) : "memory");
	}
}

static void test_setup_detects_mode(void **state)
{
	if (!have_root())
		skip();
	assert_int_equal(cgroup_get_mode(), cgroup_ctx.mounts.mode);
	assert_non_null(cgroup_hierarchy_of("memory"));
	assert_non_null(cgroup_hierarchy_of("cpu"));
}

static void test_invalid_paths(void **state)
{
	if (!have_root())
		skip();
	struct ecs_err err = { 0 };
	struct cgroup_limits l = { 0 };
	assert_int_equal(cgroup_create("/", &l, &err), -EINVAL);
	assert_int_equal(cgroup_create("/a/../b", &l, NULL), -EINVAL);
	assert_int_equal(cgroup_remove("/", &err), -EINVAL);
	assert_int_equal(cgroup_remove("relative", NULL), -EINVAL);
	l.memory_bytes = -5;
	char p[128];
	cpath(p, sizeof(p), "neg");
	assert_int_equal(cgroup_create(p, &l, &err), -EINVAL);
	assert_false(cgroup_exists(p));
}

static void test_create_limits_and_reapply(void **state)
{
	if (!have_root())
		skip();
	char p[128];
	cpath(p, sizeof(p), "limits");
	struct cgroup_limits l = { .cpu_shares = 512, .memory_bytes = 64 << 20,
				   .memory_soft_bytes = 32 << 20 };
	struct ecs_err err = { 0 };
	if (cgroup_create(p, &l, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(cgroup_exists(p));
	_cleanup_free_ char *shares = NULL, *max = NULL, *soft = NULL;
	if (cgroup_get_mode() == CGROUP_MODE_V1) {
		shares = read_cg("cpu", p, "cpu.shares");
		max = read_cg("memory", p, "memory.limit_in_bytes");
		soft = read_cg("memory", p, "memory.soft_limit_in_bytes");
		assert_string_equal(shares, "512");
		assert_true(dir_in(cgroup_hierarchy_of("cpuacct"), p));
	} else {
		shares = read_cg("cpu", p, "cpu.weight");
		max = read_cg("memory", p, "memory.max");
		soft = read_cg("memory", p, "memory.low");
		assert_int_equal(strtoull(shares, NULL, 10), cgroup_shares_to_weight(512));
	}
	assert_string_equal(max, "67108864");
	assert_string_equal(soft, "33554432");

	/* Existing cgroup: the new limits replace the old, unset ones reset. */
	struct cgroup_limits none = { 0 };
	if (cgroup_create(p, &none, &err) < 0)
		fail_msg("%s", err.msg);
	_cleanup_free_ char *shares2 = read_cg("cpu", p, cgroup_get_mode() == CGROUP_MODE_V1 ?
					       "cpu.shares" : "cpu.weight");
	assert_string_equal(shares2, cgroup_get_mode() == CGROUP_MODE_V1 ? "1024" : "100");
	struct cgroup_stats st;
	if (cgroup_read_stats(p, &st, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st.memory_limit_bytes, 0);

	assert_int_equal(cgroup_remove(p, &err), 0);
	assert_false(cgroup_exists(p));
	assert_int_equal(cgroup_read_stats(p, &st, &err), -ENOENT);
}

static void test_stats_busy_and_remove(void **state)
{
	if (!have_root())
		skip();
	char p[128];
	cpath(p, sizeof(p), "busy");
	struct cgroup_limits l = { .cpu_shares = 256, .memory_bytes = 64 << 20 };
	struct ecs_err err = { 0 };
	if (cgroup_create(p, &l, &err) < 0)
		fail_msg("%s", err.msg);
	int go;
	pid_t pid = spawn(burn_then_sleep, &go);
	write_pid("memory", p, pid);
	write_pid("cpu", p, pid);
	if (cgroup_get_mode() == CGROUP_MODE_V1)
		write_pid("cpuacct", p, pid);
	release(go);

	struct cgroup_stats st = { 0 };
	for (int i = 0; i < 200; i++) { /* up to 2 s for the burn and the pages */
		if (cgroup_read_stats(p, &st, &err) < 0)
			fail_msg("%s", err.msg);
		if (st.cpu_usage_ns >= 20000000 && st.memory_usage_bytes >= (4 << 20))
			break;
		usleep(10000);
	}
	assert_true(st.cpu_usage_ns >= 20000000);
	assert_true(st.memory_usage_bytes >= (4 << 20));
	assert_true(st.memory_max_usage_bytes >= st.memory_usage_bytes);
	assert_int_equal(st.memory_limit_bytes, 64 << 20);
	assert_false(cgroup_oom_killed(p));

	/* A live process: refused, and no hierarchy loses the cgroup. */
	assert_int_equal(cgroup_remove(p, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "still holds process"));
	assert_true(cgroup_exists(p));
	assert_true(dir_in(cgroup_hierarchy_of("cpu"), p));

	kill(pid, SIGKILL);
	int status;
	reap(pid, &status);
	if (cgroup_remove(p, &err) < 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < cgroup_ctx.mounts.n; i++)
		assert_false(dir_in(&cgroup_ctx.mounts.h[i], p));
}

static bool swap_on(void)
{
	_cleanup_free_ char *swaps = NULL;
	size_t len;
	if (file_read_all("/proc/swaps", 1 << 20, &swaps, &len, NULL) < 0)
		return false;
	return strchr(swaps, '\n') && strchr(swaps, '\n')[1] != '\0';
}

static void test_oom_kill_recorded(void **state)
{
	/* With swap the child pages out instead of being killed. */
	if (!have_root() || swap_on())
		skip();
	char p[128];
	cpath(p, sizeof(p), "oom");
	struct cgroup_limits l = { .memory_bytes = 16 << 20 };
	struct ecs_err err = { 0 };
	if (cgroup_create(p, &l, &err) < 0)
		fail_msg("%s", err.msg);
	int go;
	pid_t pid = spawn(eat_memory, &go);
	write_pid("memory", p, pid);
	release(go);
	int status;
	reap(pid, &status);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_true(cgroup_oom_killed(p));
	if (cgroup_remove(p, &err) < 0)
		fail_msg("%s", err.msg);
}

/* runc makes <task>/<container> in every hierarchy it finds, named and
 * unified ones included; removal must find them all. */
static void test_remove_nested_everywhere(void **state)
{
	if (!have_root())
		skip();
	char task[128], ctr[160];
	cpath(task, sizeof(task), "nested");
	snprintf(ctr, sizeof(ctr), "%s/web/sidecar", task);
	struct ecs_err err = { 0 };
	if (cgroup_create(task, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	const struct cgroup_mounts *m = &cgroup_ctx.mounts;
	assert_true(m->n >= 1);
	for (size_t i = 0; i < m->n; i++) {
		char full[4096];
		snprintf(full, sizeof(full), "%s%s", m->h[i].mount, parent);
		mkdir(full, 0755);
		snprintf(full, sizeof(full), "%s%s", m->h[i].mount, task);
		mkdir(full, 0755);
		snprintf(full, sizeof(full), "%s%s/web", m->h[i].mount, task);
		assert_int_equal(mkdir(full, 0755), 0);
		snprintf(full, sizeof(full), "%s%s", m->h[i].mount, ctr);
		assert_int_equal(mkdir(full, 0755), 0);
	}
	char **names;
	size_t n;
	assert_int_equal(cgroup_children(task, &names, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "web");
	free(names[0]);
	free(names);

	if (cgroup_remove(task, &err) < 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < m->n; i++)
		assert_false(dir_in(&m->h[i], task));
	/* Absent: nothing to do. */
	assert_int_equal(cgroup_remove(task, &err), 0);
	assert_false(cgroup_oom_killed(task));
}

static void test_children_sorted_and_absent(void **state)
{
	if (!have_root())
		skip();
	char a[128], b[128], gone[128];
	cpath(a, sizeof(a), "sweep/task-b");
	cpath(b, sizeof(b), "sweep/task-a");
	cpath(gone, sizeof(gone), "nothing-here");
	struct ecs_err err = { 0 };
	if (cgroup_create(a, NULL, &err) < 0 || cgroup_create(b, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	char sweep[128];
	cpath(sweep, sizeof(sweep), "sweep");
	char **names;
	size_t n;
	assert_int_equal(cgroup_children(sweep, &names, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "task-a");
	assert_string_equal(names[1], "task-b");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);

	assert_int_equal(cgroup_children(gone, &names, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(names);
	assert_int_equal(cgroup_remove(sweep, &err), 0);
	assert_false(cgroup_exists(a));
}

static int group_setup(void **state)
{
	snprintf(parent, sizeof(parent), "/ecs-test-%d", (int)getpid());
	if (!have_root())
		return 0;
	struct ecs_err err = { 0 };
	if (cgroup_setup(&err) < 0) {
		fprintf(stderr, "cgroup_setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	for (size_t i = 0; i < n_children; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
	}
	if (!have_root())
		return 0;
	struct ecs_err err = { 0 };
	if (cgroup_remove(parent, &err) < 0) {
		fprintf(stderr, "cleanup of %s: %s\n", parent, err.msg);
		return -1;
	}
	for (size_t i = 0; i < cgroup_ctx.mounts.n; i++)
		if (dir_in(&cgroup_ctx.mounts.h[i], parent))
			return -1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mounts_hybrid_is_v1),
		cmocka_unit_test(test_mounts_v2),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_shares_to_weight),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_stats_v1),
		cmocka_unit_test(test_stats_v2),
		cmocka_unit_test(test_setup_detects_mode),
		cmocka_unit_test(test_invalid_paths),
		cmocka_unit_test(test_create_limits_and_reapply),
		cmocka_unit_test(test_stats_busy_and_remove),
		cmocka_unit_test(test_oom_kill_recorded),
		cmocka_unit_test(test_remove_nested_everywhere),
		cmocka_unit_test(test_children_sorted_and_absent),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
