/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json generation: each feature's output is parsed back with
 * lib/json and checked member by member.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "runtime/spec-internal.h"
#include "runtime/spec.h"
#include "taskdef.h"
#include "test_agent_spec_util.h"

/* spec_to_json() must succeed; its output, parsed. */
static struct json_doc *gen(const struct container_spec *s)
{
	struct ecs_err err;
	_cleanup_free_ char *json = spec_to_json(s, &err);
	if (!json)
		fail_msg("spec_to_json: %s", err.msg);
	struct json_doc *doc = json_parse(json, strlen(json), &err);
	assert_non_null(doc);
	return doc;
}

/* spec_to_json() must fail with EINVAL and a message containing `needle`. */
static void gen_fails(const struct container_spec *s, const char *needle)
{
	struct ecs_err err;
	err_clear(&err);
	char *json = spec_to_json(s, &err);
	assert_null(json);
	assert_int_equal(err.code, EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err.msg, needle);
}

static const json_node *path(const json_node *n, const char *a, const char *b)
{
	n = json_get(n, a);
	return b ? json_get(n, b) : n;
}

static bool arr_has(const json_node *arr, const char *s)
{
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (json_string(json_array_get(arr, i)) &&
		    strcmp(json_string(json_array_get(arr, i)), s) == 0)
			return true;
	return false;
}

static const json_node *find_mount(const json_node *root, const char *dest)
{
	const json_node *m = json_get(root, "mounts");
	for (size_t i = 0; i < json_array_size(m); i++) {
		const char *d = json_string(json_get(json_array_get(m, i), "destination"));
		if (d && strcmp(d, dest) == 0)
			return json_array_get(m, i);
	}
	return NULL;
}

static size_t mount_index(const json_node *root, const char *dest)
{
	const json_node *m = json_get(root, "mounts");
	for (size_t i = 0; i < json_array_size(m); i++)
		if (strcmp(json_string(json_get(json_array_get(m, i), "destination")), dest) == 0)
			return i;
	fail_msg("no mount at %s", dest);
	return 0;
}

static const json_node *find_ns(const json_node *root, const char *type)
{
	const json_node *ns = path(root, "linux", "namespaces");
	for (size_t i = 0; i < json_array_size(ns); i++)
		if (strcmp(json_string(json_get(json_array_get(ns, i), "type")), type) == 0)
			return json_array_get(ns, i);
	return NULL;
}

static int64_t int_of(const json_node *n)
{
	int64_t v;
	assert_true(json_integer(n, &v));
	return v;
}

static bool bool_of(const json_node *n)
{
	bool v;
	assert_true(json_bool(n, &v));
	return v;
}

static const json_node *caps(const json_node *root, const char *set)
{
	return json_get(path(root, "process", "capabilities"), set);
}

static void assert_strv(const json_node *arr, const char *const *want, size_t n)
{
	assert_int_equal(json_array_size(arr), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string(json_array_get(arr, i)), want[i]);
}

static void test_defaults(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td =
		parse_td("{\"name\":\"web\",\"image\":\"i\",\"memory\":64}");
	struct container_spec s;
	base_spec(&s, td);
	s.memory_bytes = 64 << 20;
	s.memory_soft_bytes = 32 << 20;
	s.cpu_shares = 512;
	s.uid = 1000;
	s.gid = 100;
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *r = json_root(doc);

	assert_string_equal(json_string(json_get(r, "ociVersion")), "1.0.2");
	assert_false(bool_of(path(r, "process", "terminal")));
	assert_strv(path(r, "process", "args"), (const char *const[]){ "sh", "-c", "exit 0" }, 3);
	assert_strv(path(r, "process", "env"), (const char *const[]){ "PATH=/bin", "A=b" }, 2);
	assert_string_equal(json_string(path(r, "process", "cwd")), "/");
	assert_int_equal(int_of(json_get(path(r, "process", "user"), "uid")), 1000);
	assert_int_equal(int_of(json_get(path(r, "process", "user"), "gid")), 100);
	assert_null(json_get(path(r, "process", "user"), "additionalGids"));
	assert_false(bool_of(path(r, "process", "noNewPrivileges")));
	assert_int_equal(int_of(path(r, "process", "oomScoreAdj")), 0);
	assert_int_equal(json_array_size(path(r, "process", "rlimits")), 0);

	/* Docker's default set, the same in bounding, effective, permitted. */
	const char *def[] = { "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER",      "CAP_FSETID",
			      "CAP_KILL",   "CAP_SETGID",       "CAP_SETUID",      "CAP_SETPCAP",
			      "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD",
			      "CAP_AUDIT_WRITE", "CAP_SETFCAP" };
	assert_strv(caps(r, "bounding"), def, ARRAY_SIZE(def));
	assert_strv(caps(r, "effective"), def, ARRAY_SIZE(def));
	assert_strv(caps(r, "permitted"), def, ARRAY_SIZE(def));
	assert_int_equal(json_array_size(caps(r, "inheritable")), 0);
	assert_int_equal(json_array_size(caps(r, "ambient")), 0);

	assert_string_equal(json_string(path(r, "root", "path")), "/var/lib/ecs-agent/rootfs/x");
	assert_false(bool_of(path(r, "root", "readonly")));
	assert_string_equal(json_string(json_get(r, "hostname")), "host1");

	/* Docker's default mounts. */
	assert_true(arr_has(json_get(find_mount(r, "/proc"), "options"), "nosuid"));
	assert_string_equal(json_string(json_get(find_mount(r, "/dev"), "type")), "tmpfs");
	assert_string_equal(json_string(json_get(find_mount(r, "/dev/pts"), "type")), "devpts");
	assert_string_equal(json_string(json_get(find_mount(r, "/dev/mqueue"), "type")), "mqueue");
	assert_true(arr_has(json_get(find_mount(r, "/dev/shm"), "options"), "size=65536k"));
	assert_true(arr_has(json_get(find_mount(r, "/sys"), "options"), "ro"));
	assert_true(arr_has(json_get(find_mount(r, "/sys/fs/cgroup"), "options"), "ro"));
	assert_null(find_mount(r, "/dev/init"));
	const json_node *hosts = find_mount(r, "/etc/hosts");
	assert_string_equal(json_string(json_get(hosts, "type")), "bind");
	assert_string_equal(json_string(json_get(hosts, "source")), "/var/lib/ecs-agent/etc/x/hosts");
	assert_true(arr_has(json_get(hosts, "options"), "rbind"));
	assert_false(arr_has(json_get(hosts, "options"), "ro"));
	assert_string_equal(json_string(json_get(find_mount(r, "/etc/resolv.conf"), "source")),
			    "/var/lib/ecs-agent/etc/x/resolv.conf");
	assert_non_null(find_mount(r, "/etc/hostname"));

	assert_string_equal(json_string(path(r, "annotations", "com.amazonaws.ecs.task-arn")),
			    "arn:aws:ecs:us-east-1:1:task/c/t1");
	assert_string_equal(json_string(path(r, "annotations", "com.amazonaws.ecs.container-name")),
			    "web");

	const json_node *lx = json_get(r, "linux");
	for (const char *const *t = (const char *const[]){ "pid", "ipc", "uts", "mount", NULL }; *t; t++)
		assert_non_null(find_ns(r, *t));
	assert_non_null(find_ns(r, "network"));
	assert_null(json_get(find_ns(r, "network"), "path"));
	assert_string_equal(json_string(json_get(lx, "cgroupsPath")), "/ecs/task1/web");
	const json_node *res = json_get(lx, "resources");
	assert_int_equal(int_of(path(res, "memory", "limit")), 64 << 20);
	assert_int_equal(int_of(path(res, "memory", "reservation")), 32 << 20);
	assert_null(path(res, "memory", "swap"));
	assert_int_equal(int_of(path(res, "cpu", "shares")), 512);
	/* Deny everything first, then allow /dev/null and friends. */
	const json_node *rules = json_get(res, "devices");
	assert_false(bool_of(json_get(json_array_get(rules, 0), "allow")));
	assert_string_equal(json_string(json_get(json_array_get(rules, 0), "access")), "rwm");
	bool null_allowed = false;
	for (size_t i = 1; i < json_array_size(rules); i++) {
		const json_node *d = json_array_get(rules, i);
		assert_true(bool_of(json_get(d, "allow")));
		int64_t maj, min;
		if (json_integer(json_get(d, "major"), &maj) && json_integer(json_get(d, "minor"), &min) &&
		    maj == 1 && min == 3)
			null_allowed = true;
	}
	assert_true(null_allowed);
	assert_int_equal(json_array_size(json_get(lx, "devices")), 0);
	assert_true(arr_has(json_get(lx, "maskedPaths"), "/proc/kcore"));
	assert_true(arr_has(json_get(lx, "maskedPaths"), "/sys/firmware"));
	assert_true(arr_has(json_get(lx, "readonlyPaths"), "/proc/sys"));
	assert_true(arr_has(json_get(lx, "readonlyPaths"), "/proc/sysrq-trigger"));
	assert_null(json_get(lx, "sysctl"));
}

static void test_caps_add_drop(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"capabilities\":"
		"{\"add\":[\"SYS_ADMIN\",\"cap_net_admin\"],\"drop\":[\"MKNOD\"]}}}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *r = json_root(doc);

	for (const char *const *set = (const char *const[]){ "bounding", "effective", "permitted", NULL };
	     *set; set++) {
		assert_true(arr_has(caps(r, *set), "CAP_SYS_ADMIN"));
		assert_true(arr_has(caps(r, *set), "CAP_NET_ADMIN"));
		assert_true(arr_has(caps(r, *set), "CAP_CHOWN"));
		assert_false(arr_has(caps(r, *set), "CAP_MKNOD"));
	}
	assert_int_equal(json_array_size(caps(r, "bounding")), 14 + 2 - 1);
}

static size_t popcount(uint64_t v)
{
	return (size_t)__builtin_popcountll(v);
}

static void test_caps_all(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *add_all = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"capabilities\":"
		"{\"add\":[\"ALL\"],\"drop\":[\"NET_RAW\"]}}}");
	_cleanup_(taskdef_freep) struct taskdef *drop_all = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"capabilities\":"
		"{\"add\":[\"CHOWN\"],\"drop\":[\"ALL\"]}}}");
	struct container_spec s;

	base_spec(&s, add_all);
	_cleanup_(json_doc_freep) struct json_doc *a = gen(&s);
	assert_int_equal(json_array_size(caps(json_root(a), "bounding")), popcount(spec_caps_all()) - 1);
	assert_false(arr_has(caps(json_root(a), "bounding"), "CAP_NET_RAW"));
	assert_true(arr_has(caps(json_root(a), "bounding"), "CAP_SYS_ADMIN"));

	base_spec(&s, drop_all);
	_cleanup_(json_doc_freep) struct json_doc *d = gen(&s);
	assert_strv(caps(json_root(d), "bounding"), (const char *const[]){ "CAP_CHOWN" }, 1);
	assert_strv(caps(json_root(d), "effective"), (const char *const[]){ "CAP_CHOWN" }, 1);
}

static void test_caps_unknown(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"capabilities\":"
		"{\"drop\":[\"NOT_A_CAP\"]}}}");
	struct container_spec s;
	base_spec(&s, td);
	gen_fails(&s, "unknown capability \"NOT_A_CAP\"");

	assert_int_equal(spec_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(spec_cap_from_name("sys_admin"), 21);
	assert_int_equal(spec_cap_from_name("ALL"), -1);
	assert_string_equal(spec_cap_name(0), "CHOWN");
	assert_null(spec_cap_name(99));
}

static void test_ulimits(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"ulimits\":[{\"name\":\"nofile\",\"softLimit\":123,"
		"\"hardLimit\":234},{\"name\":\"core\",\"softLimit\":0,\"hardLimit\":0}]}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *rl = path(json_root(doc), "process", "rlimits");

	assert_int_equal(json_array_size(rl), 2);
	assert_string_equal(json_string(json_get(json_array_get(rl, 0), "type")), "RLIMIT_NOFILE");
	assert_int_equal(int_of(json_get(json_array_get(rl, 0), "soft")), 123);
	assert_int_equal(int_of(json_get(json_array_get(rl, 0), "hard")), 234);
	assert_string_equal(json_string(json_get(json_array_get(rl, 1), "type")), "RLIMIT_CORE");

	/* Refused: soft above hard, and Docker's -1. */
	td->containers.items[0].ulimits.items[0].soft_limit.value = 500;
	gen_fails(&s, "exceeds hardLimit");
	td->containers.items[0].ulimits.items[0].soft_limit.value = -1;
	gen_fails(&s, "negative");
	/* A name the schema does not know (only reachable from C). */
	td->containers.items[0].ulimits.items[0].soft_limit.value = 1;
	free(td->containers.items[0].ulimits.items[0].name);
	td->containers.items[0].ulimits.items[0].name = strdup("bogus");
	gen_fails(&s, "unknown ulimit \"bogus\"");
}

static void test_tmpfs(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"tmpfs\":["
		"{\"containerPath\":\"/data/cache\",\"size\":10,\"mountOptions\":[\"exec\"]},"
		"{\"containerPath\":\"/dev/tmpfs\",\"size\":100,\"mountOptions\":[\"ro\",\"noexec\"]},"
		"{\"containerPath\":\"/data\",\"size\":20}]}}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *r = json_root(doc);

	/* The conformance test expects "ro,nosuid,nodev,noexec,...,size=102400k". */
	const json_node *t = find_mount(r, "/dev/tmpfs");
	assert_string_equal(json_string(json_get(t, "type")), "tmpfs");
	assert_strv(json_get(t, "options"),
		    (const char *const[]){ "nosuid", "nodev", "ro", "noexec", "size=102400k" }, 5);
	/* "exec" overrides the noexec default. */
	assert_strv(json_get(find_mount(r, "/data/cache"), "options"),
		    (const char *const[]){ "nosuid", "nodev", "exec", "size=10240k" }, 4);
	assert_strv(json_get(find_mount(r, "/data"), "options"),
		    (const char *const[]){ "nosuid", "nodev", "noexec", "size=20480k" }, 4);
	/* Parents first, and after /dev which holds /dev/tmpfs. */
	assert_true(mount_index(r, "/data") < mount_index(r, "/data/cache"));
	assert_true(mount_index(r, "/dev") < mount_index(r, "/dev/tmpfs"));

	free(td->containers.items[0].linux_parameters->tmpfs.items[2].container_path);
	td->containers.items[0].linux_parameters->tmpfs.items[2].container_path = strdup("rel");
	gen_fails(&s, "tmpfs[2].containerPath");
}

/* Volumes become rbind mounts, parents before children, read-only when
 * asked; a relative path is refused. */
static void test_binds(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td("{\"name\":\"web\",\"image\":\"i\"}");
	struct spec_bind binds[] = {
		{ .source = "/var/lib/x/logs", .destination = "/data/logs", .readonly = false },
		{ .source = "/var/lib/x/data", .destination = "/data", .readonly = true },
	};
	struct container_spec s;
	base_spec(&s, td);
	s.binds = binds;
	s.n_binds = 2;
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *r = json_root(doc);
	const json_node *m = find_mount(r, "/data");
	assert_string_equal(json_string(json_get(m, "type")), "bind");
	assert_string_equal(json_string(json_get(m, "source")), "/var/lib/x/data");
	assert_strv(json_get(m, "options"), (const char *const[]){ "rbind", "rprivate", "ro" }, 3);
	assert_strv(json_get(find_mount(r, "/data/logs"), "options"),
		    (const char *const[]){ "rbind", "rprivate", "rw" }, 3);
	assert_true(mount_index(r, "/data") < mount_index(r, "/data/logs"));

	binds[1].destination = "data";
	gen_fails(&s, "paths must be absolute");
}

static void test_shm_size(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"sharedMemorySize\":100}}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *shm = find_mount(json_root(doc), "/dev/shm");
	assert_true(arr_has(json_get(shm, "options"), "size=102400k"));
	assert_false(arr_has(json_get(shm, "options"), "size=65536k"));

	/* A tmpfs at /dev/shm replaces the default one. */
	_cleanup_(taskdef_freep) struct taskdef *td2 = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"tmpfs\":["
		"{\"containerPath\":\"/dev/shm\",\"size\":8}]}}");
	base_spec(&s, td2);
	_cleanup_(json_doc_freep) struct json_doc *doc2 = gen(&s);
	const json_node *m = json_get(json_root(doc2), "mounts");
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(m); i++)
		n += strcmp(json_string(json_get(json_array_get(m, i), "destination")), "/dev/shm") == 0;
	assert_int_equal(n, 1);
	assert_true(arr_has(json_get(find_mount(json_root(doc2), "/dev/shm"), "options"), "size=8192k"));
}

static void test_devices(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"devices\":["
		"{\"hostPath\":\"/dev/null\",\"containerPath\":\"/dev/mynull\",\"permissions\":[\"read\"]},"
		"{\"hostPath\":\"/dev/zero\"}]}}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *lx = json_get(json_root(doc), "linux");
	const json_node *devs = json_get(lx, "devices");

	assert_int_equal(json_array_size(devs), 2);
	const json_node *d0 = json_array_get(devs, 0);
	assert_string_equal(json_string(json_get(d0, "path")), "/dev/mynull");
	assert_string_equal(json_string(json_get(d0, "type")), "c");
	assert_int_equal(int_of(json_get(d0, "major")), 1);
	assert_int_equal(int_of(json_get(d0, "minor")), 3);
	assert_string_equal(json_string(json_get(json_array_get(devs, 1), "path")), "/dev/zero");

	/* Their cgroup rules come last: read only, then the default rwm. */
	const json_node *rules = path(lx, "resources", "devices");
	size_t n = json_array_size(rules);
	assert_string_equal(json_string(json_get(json_array_get(rules, n - 2), "access")), "r");
	assert_int_equal(int_of(json_get(json_array_get(rules, n - 2), "minor")), 3);
	assert_string_equal(json_string(json_get(json_array_get(rules, n - 1), "access")), "rwm");
	assert_int_equal(int_of(json_get(json_array_get(rules, n - 1), "minor")), 5);

	free(td->containers.items[0].linux_parameters->devices.items[1].host_path);
	td->containers.items[0].linux_parameters->devices.items[1].host_path =
		strdup("/dev/xvda-not-here");
	gen_fails(&s, "device /dev/xvda-not-here not found");

	free(td->containers.items[0].linux_parameters->devices.items[1].host_path);
	td->containers.items[0].linux_parameters->devices.items[1].host_path = strdup("/etc/passwd");
	gen_fails(&s, "not a character or block device");
}

static void test_sysctl(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"systemControls\":["
		"{\"namespace\":\"net.core.somaxconn\",\"value\":\"1024\"},"
		"{\"namespace\":\"kernel.shmmax\",\"value\":\"68719476736\"},"
		"{\"namespace\":\"fs.mqueue.msg_max\",\"value\":\"20\"}]}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *sc = path(json_root(doc), "linux", "sysctl");
	assert_int_equal(json_object_size(sc), 3);
	assert_string_equal(json_string(json_get(sc, "net.core.somaxconn")), "1024");
	assert_string_equal(json_string(json_get(sc, "kernel.shmmax")), "68719476736");

	/* net.* belongs to the host when the network is the host's. */
	s.net = SPEC_NET_HOST;
	gen_fails(&s, "net.core.somaxconn needs a private network namespace");

	/* IPC sysctls stay fine in host networking. */
	td->containers.items[0].system_controls.count = 2;
	td->containers.items[0].system_controls.items[0].namespace[0] = 'X'; /* "Xet.core..." */
	gen_fails(&s, "Xet.core.somaxconn is not a namespaced sysctl");
	free(td->containers.items[0].system_controls.items[0].namespace);
	td->containers.items[0].system_controls.items[0].namespace = strdup("kernel.msgmax");
	_cleanup_(json_doc_freep) struct json_doc *doc2 = gen(&s);
	assert_non_null(json_get(path(json_root(doc2), "linux", "sysctl"), "kernel.msgmax"));
	td->containers.items[0].system_controls.count = 3;

	free(td->containers.items[0].system_controls.items[0].namespace);
	td->containers.items[0].system_controls.items[0].namespace = strdup("vm.swappiness");
	s.net = SPEC_NET_NONE;
	gen_fails(&s, "vm.swappiness");
}

static void test_labels(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"dockerLabels\":{\"team\":\"blue\","
		"\"com.amazonaws.ecs.container-name\":\"spoof\"}}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *an = json_get(json_root(doc), "annotations");
	assert_int_equal(json_object_size(an), 3);
	assert_string_equal(json_string(json_get(an, "team")), "blue");
	assert_string_equal(json_string(json_get(an, "com.amazonaws.ecs.container-name")), "web");
}

static void test_privileged(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"privileged\":true,"
		"\"linuxParameters\":{\"capabilities\":{\"drop\":[\"CHOWN\"]}}}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *r = json_root(doc);

	assert_int_equal(json_array_size(caps(r, "bounding")), popcount(spec_caps_all()));
	assert_true(arr_has(caps(r, "effective"), "CAP_SYS_ADMIN"));
	assert_null(path(r, "linux", "maskedPaths"));
	assert_null(path(r, "linux", "readonlyPaths"));
	const json_node *rules = path(json_get(r, "linux"), "resources", "devices");
	assert_int_equal(json_array_size(rules), 1);
	assert_true(bool_of(json_get(json_array_get(rules, 0), "allow")));
	assert_false(arr_has(json_get(find_mount(r, "/sys"), "options"), "ro"));
	assert_false(arr_has(json_get(find_mount(r, "/sys/fs/cgroup"), "options"), "ro"));
}

static void test_readonly_user(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"readonlyRootFilesystem\":true}");
	struct container_spec s;
	const gid_t gids[] = { 10, 20 };
	base_spec(&s, td);
	s.uid = 65534;
	s.gid = 65534;
	s.gids = gids;
	s.n_gids = 2;
	s.cwd = "/srv";
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *r = json_root(doc);

	assert_true(bool_of(path(r, "root", "readonly")));
	const json_node *user = path(r, "process", "user");
	assert_int_equal(int_of(json_get(user, "uid")), 65534);
	assert_int_equal(int_of(json_get(user, "gid")), 65534);
	assert_int_equal(json_array_size(json_get(user, "additionalGids")), 2);
	assert_int_equal(int_of(json_array_get(json_get(user, "additionalGids"), 1)), 20);
	assert_string_equal(json_string(path(r, "process", "cwd")), "/srv");

	s.cwd = "srv";
	gen_fails(&s, "not an absolute path");
	s.cwd = NULL;
	char *none[] = { NULL };
	s.args = none;
	gen_fails(&s, "no command");
}

static void test_init(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"initProcessEnabled\":true}}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *r = json_root(doc);

	assert_strv(path(r, "process", "args"),
		    (const char *const[]){ "/dev/init", "--", "sh", "-c", "exit 0" }, 5);
	const json_node *m = find_mount(r, "/dev/init");
	assert_string_equal(json_string(json_get(m, "source")), s.init_path);
	assert_string_equal(json_string(json_get(m, "type")), "bind");
	assert_true(arr_has(json_get(m, "options"), "ro"));
	assert_true(mount_index(r, "/dev") < mount_index(r, "/dev/init"));

	s.init_path = NULL;
	gen_fails(&s, "initProcessEnabled");
}

static void test_networks(void **state)
{
	struct container_spec s;
	base_spec(&s, NULL);

	s.net = SPEC_NET_HOST;
	_cleanup_(json_doc_freep) struct json_doc *host = gen(&s);
	assert_null(find_ns(json_root(host), "network"));
	assert_non_null(find_ns(json_root(host), "uts"));
	assert_null(json_get(json_root(host), "hostname"));

	s.net = SPEC_NET_PATH;
	s.netns_path = "/run/netns/t1";
	_cleanup_(json_doc_freep) struct json_doc *joined = gen(&s);
	assert_string_equal(json_string(json_get(find_ns(json_root(joined), "network"), "path")),
			    "/run/netns/t1");
	assert_string_equal(json_string(json_get(json_root(joined), "hostname")), "host1");

	s.netns_path = NULL;
	gen_fails(&s, "network namespace path");
}

static void test_security_options(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"dockerSecurityOptions\":"
		"[\"no-new-privileges\",\"seccomp=unconfined\"]}");
	struct container_spec s;
	base_spec(&s, td);
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	assert_true(bool_of(path(json_root(doc), "process", "noNewPrivileges")));

	free(td->containers.items[0].docker_security_options.items[1]);
	td->containers.items[0].docker_security_options.items[1] = strdup("apparmor:my-profile");
	gen_fails(&s, "\"apparmor:my-profile\" is not supported");
	free(td->containers.items[0].docker_security_options.items[1]);
	td->containers.items[0].docker_security_options.items[1] = strdup("label:type:svirt_t");
	gen_fails(&s, "not supported");
}

static void test_swap(void **state)
{
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"linuxParameters\":{\"maxSwap\":16,\"swappiness\":10}}");
	struct container_spec s;
	base_spec(&s, td);
	s.memory_bytes = 64 << 20;
	_cleanup_(json_doc_freep) struct json_doc *doc = gen(&s);
	const json_node *mem = path(path(json_root(doc), "linux", "resources"), "memory", NULL);
	assert_int_equal(int_of(json_get(mem, "swap")), 80 << 20);
	assert_int_equal(int_of(json_get(mem, "swappiness")), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_caps_add_drop),
		cmocka_unit_test(test_caps_all),
		cmocka_unit_test(test_caps_unknown),
		cmocka_unit_test(test_ulimits),
		cmocka_unit_test(test_tmpfs),
		cmocka_unit_test(test_shm_size),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_privileged),
		cmocka_unit_test(test_readonly_user),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_security_options),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_binds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
