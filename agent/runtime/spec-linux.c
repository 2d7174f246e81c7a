/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "linux" section of config.json: namespaces, cgroup path and
 * resources, the device allow list and linuxParameters.devices, sysctls
 * from systemControls, and Docker's masked and read-only paths.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "runtime/spec-internal.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define MIB ((int64_t)1024 * 1024)

static const char *const masked_paths[] = {
	"/proc/asound",       "/proc/acpi",        "/proc/kcore",      "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",         "/sys/firmware",     "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* Docker's default device cgroup rules after "deny all": mknod of
 * anything, and the character devices every container gets. */
static const struct {
	char type;
	int64_t major, minor; /* -1: any */
	const char *access;
} default_devices[] = {
	{ 'c', -1, -1, "m" },    { 'b', -1, -1, "m" },    { 'c', 1, 3, "rwm" },  /* null */
	{ 'c', 1, 5, "rwm" },    /* zero */               { 'c', 1, 7, "rwm" },  /* full */
	{ 'c', 1, 8, "rwm" },    /* random */             { 'c', 1, 9, "rwm" },  /* urandom */
	{ 'c', 5, 0, "rwm" },    /* tty */                { 'c', 5, 1, "rwm" },  /* console */
	{ 'c', 5, 2, "rwm" },    /* ptmx */               { 'c', 136, -1, "rwm" }, /* pts */
};

static const struct td_linux_parameters *lp(const struct container_spec *s)
{
	return s->td ? s->td->linux_parameters : NULL;
}

static void write_ns(struct json_writer *w, const char *type, const char *path)
{
	json_w_object_begin(w);
	json_w_key(w, "type");
	json_w_string(w, type);
	if (path) {
		json_w_key(w, "path");
		json_w_string(w, path);
	}
	json_w_object_end(w);
}

static bool cgroup_v2_unified(void)
{
	struct statfs st;
	return statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static int write_namespaces(struct json_writer *w, const struct container_spec *s,
			    struct ecs_err *err)
{
	json_w_key(w, "namespaces");
	json_w_array_begin(w);
	write_ns(w, "pid", NULL);
	write_ns(w, "ipc", NULL);
	/* Docker keeps a UTS namespace with host networking too. */
	write_ns(w, "uts", NULL);
	write_ns(w, "mount", NULL);
	switch (s->net) {
	case SPEC_NET_NONE:
		write_ns(w, "network", NULL);
		break;
	case SPEC_NET_HOST:
		break;
	case SPEC_NET_PATH:
		if (!s->netns_path || s->netns_path[0] != '/')
			return err_set(err, EINVAL, "network namespace path missing");
		write_ns(w, "network", s->netns_path);
		break;
	}
	/* Docker's default on a unified hierarchy: the container sees its
	 * own cgroup as the root. */
	if (cgroup_v2_unified())
		write_ns(w, "cgroup", NULL);
	json_w_array_end(w);
	return 0;
}

static void write_device_rule(struct json_writer *w, bool allow, char type, int64_t major,
			      int64_t minor, const char *access)
{
	json_w_object_begin(w);
	json_w_key(w, "allow");
	json_w_bool(w, allow);
	if (type) {
		char t[2] = { type, '\0' };
		json_w_key(w, "type");
		json_w_string(w, t);
	}
	if (major >= 0) {
		json_w_key(w, "major");
		json_w_int(w, major);
	}
	if (minor >= 0) {
		json_w_key(w, "minor");
		json_w_int(w, minor);
	}
	json_w_key(w, "access");
	json_w_string(w, access);
	json_w_object_end(w);
}

struct host_device {
	const char *container_path;
	char type;
	int64_t major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	char access[4];
};

static int resolve_device(const struct td_device *d, size_t idx, struct host_device *out,
			  struct ecs_err *err)
{
	struct stat st;

	if (!d->host_path || d->host_path[0] != '/')
		return err_set(err, EINVAL,
			       "linuxParameters.devices[%zu].hostPath: must be an absolute path", idx);
	out->container_path = d->container_path ? d->container_path : d->host_path;
	if (out->container_path[0] != '/')
		return err_set(err, EINVAL,
			       "linuxParameters.devices[%zu].containerPath: must be an absolute path",
			       idx);
	if (stat(d->host_path, &st) < 0)
		return err_set(err, EINVAL, "device %s not found", d->host_path);
	if (S_ISCHR(st.st_mode))
		out->type = 'c';
	else if (S_ISBLK(st.st_mode))
		out->type = 'b';
	else
		return err_set(err, EINVAL, "device %s is not a character or block device",
			       d->host_path);
	out->major = major(st.st_rdev);
	out->minor = minor(st.st_rdev);
	out->mode = st.st_mode & 07777;
	out->uid = st.st_uid;
	out->gid = st.st_gid;

	/* No permissions listed: Docker's default, everything. */
	bool r = !d->permissions.count, wr = !d->permissions.count, m = !d->permissions.count;
	for (size_t i = 0; i < d->permissions.count; i++) {
		const char *p = d->permissions.items[i];
		if (strcmp(p, "read") == 0)
			r = true;
		else if (strcmp(p, "write") == 0)
			wr = true;
		else if (strcmp(p, "mknod") == 0)
			m = true;
		else
			return err_set(err, EINVAL,
				       "linuxParameters.devices[%zu].permissions: unknown permission \"%s\"",
				       idx, p);
	}
	char *a = out->access;
	if (r)
		*a++ = 'r';
	if (wr)
		*a++ = 'w';
	if (m)
		*a++ = 'm';
	*a = '\0';
	return 0;
}

/* "devices" (nodes to create) plus their cgroup rules, gathered first so a
 * missing device fails before anything about it is written. */
static int collect_devices(const struct container_spec *s, struct host_device **out, size_t *n,
			   struct ecs_err *err)
{
	const struct td_linux_parameters *l = lp(s);
	size_t count = l ? l->devices.count : 0;
	int r;

	*out = NULL;
	*n = 0;
	if (!count)
		return 0;
	_cleanup_free_ struct host_device *devs = calloc(count, sizeof(*devs));
	if (!devs)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++)
		if ((r = resolve_device(&l->devices.items[i], i, &devs[i], err)) < 0)
			return r;
	*out = TAKE_PTR(devs);
	*n = count;
	return 0;
}

static void write_resources(struct json_writer *w, const struct container_spec *s,
			    const struct host_device *devs, size_t n_devs)
{
	const struct td_linux_parameters *l = lp(s);

	json_w_key(w, "resources");
	json_w_object_begin(w);
	json_w_key(w, "devices");
	json_w_array_begin(w);
	if (spec_privileged(s)) {
		write_device_rule(w, true, 0, -1, -1, "rwm");
	} else {
		write_device_rule(w, false, 0, -1, -1, "rwm");
		for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++)
			write_device_rule(w, true, default_devices[i].type, default_devices[i].major,
					  default_devices[i].minor, default_devices[i].access);
		for (size_t i = 0; i < n_devs; i++)
			write_device_rule(w, true, devs[i].type, devs[i].major, devs[i].minor,
					  devs[i].access);
	}
	json_w_array_end(w);

	bool swap = l && l->max_swap.set && l->max_swap.value >= 0 && s->memory_bytes > 0 &&
		    l->max_swap.value <= (INT64_MAX - s->memory_bytes) / MIB;
	bool swappiness = l && l->swappiness.set && l->swappiness.value >= 0 &&
			  l->swappiness.value <= 100;
	if (s->memory_bytes > 0 || s->memory_soft_bytes > 0 || swap || swappiness) {
		json_w_key(w, "memory");
		json_w_object_begin(w);
		if (s->memory_bytes > 0) {
			json_w_key(w, "limit");
			json_w_int(w, s->memory_bytes);
		}
		if (s->memory_soft_bytes > 0) {
			json_w_key(w, "reservation");
			json_w_int(w, s->memory_soft_bytes);
		}
		/* OCI's swap is memory plus swap; ECS's maxSwap is swap alone. */
		if (swap) {
			json_w_key(w, "swap");
			json_w_int(w, s->memory_bytes + l->max_swap.value * MIB);
		}
		if (swappiness) {
			json_w_key(w, "swappiness");
			json_w_int(w, l->swappiness.value);
		}
		json_w_object_end(w);
	}
	if (s->cpu_shares > 0) {
		json_w_key(w, "cpu");
		json_w_object_begin(w);
		json_w_key(w, "shares");
		json_w_int(w, s->cpu_shares);
		json_w_object_end(w);
	}
	json_w_object_end(w);
}

static void write_device_nodes(struct json_writer *w, const struct host_device *devs, size_t n)
{
	json_w_key(w, "devices");
	json_w_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		char t[2] = { devs[i].type, '\0' };
		json_w_object_begin(w);
		json_w_key(w, "path");
		json_w_string(w, devs[i].container_path);
		json_w_key(w, "type");
		json_w_string(w, t);
		json_w_key(w, "major");
		json_w_int(w, devs[i].major);
		json_w_key(w, "minor");
		json_w_int(w, devs[i].minor);
		json_w_key(w, "fileMode");
		json_w_int(w, devs[i].mode);
		json_w_key(w, "uid");
		json_w_int(w, devs[i].uid);
		json_w_key(w, "gid");
		json_w_int(w, devs[i].gid);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Only sysctls that belong to a namespace the container has on its own
 * may be set: the IPC ones (always private here) and net.* when the
 * network namespace is not the host's. Anything else would change the
 * host. */
static int check_sysctl(const struct container_spec *s, const char *key, size_t idx,
			struct ecs_err *err)
{
	if (has_prefix(key, "kernel.shm") || has_prefix(key, "kernel.msg") ||
	    strcmp(key, "kernel.sem") == 0 || has_prefix(key, "fs.mqueue."))
		return 0;
	if (has_prefix(key, "net.")) {
		if (s->net != SPEC_NET_HOST)
			return 0;
		return err_set(err, EINVAL,
			       "systemControls[%zu]: %s needs a private network namespace "
			       "(not networkMode host)",
			       idx, key);
	}
	return err_set(err, EINVAL,
		       "systemControls[%zu]: %s is not a namespaced sysctl a container may set", idx,
		       key);
}

static int write_sysctl(struct json_writer *w, const struct container_spec *s,
			struct ecs_err *err)
{
	int r;

	if (!s->td || !s->td->system_controls.count)
		return 0;
	for (size_t i = 0; i < s->td->system_controls.count; i++) {
		const char *key = s->td->system_controls.items[i].namespace;
		if (!key || !*key)
			return err_set(err, EINVAL, "systemControls[%zu].namespace: missing", i);
		if ((r = check_sysctl(s, key, i, err)) < 0)
			return r;
	}
	json_w_key(w, "sysctl");
	json_w_object_begin(w);
	for (size_t i = 0; i < s->td->system_controls.count; i++) {
		const char *value = s->td->system_controls.items[i].value;
		json_w_key(w, s->td->system_controls.items[i].namespace);
		json_w_string(w, value ? value : "");
	}
	json_w_object_end(w);
	return 0;
}

static void write_paths(struct json_writer *w, const char *key, const char *const *paths,
			size_t n)
{
	json_w_key(w, key);
	json_w_array_begin(w);
	for (size_t i = 0; i < n; i++)
		json_w_string(w, paths[i]);
	json_w_array_end(w);
}

int spec_write_linux(struct json_writer *w, const struct container_spec *s, struct ecs_err *err)
{
	_cleanup_free_ struct host_device *devs = NULL;
	size_t n_devs;
	int r;

	if ((r = collect_devices(s, &devs, &n_devs, err)) < 0)
		return r;

	json_w_key(w, "linux");
	json_w_object_begin(w);
	if ((r = write_namespaces(w, s, err)) < 0)
		return r;
	if (s->cgroups_path) {
		json_w_key(w, "cgroupsPath");
		json_w_string(w, s->cgroups_path);
	}
	write_resources(w, s, devs, n_devs);
	write_device_nodes(w, devs, n_devs);
	if ((r = write_sysctl(w, s, err)) < 0)
		return r;
	/* Privileged containers see /proc and /sys as the host does. */
	if (!spec_privileged(s)) {
		write_paths(w, "maskedPaths", masked_paths, ARRAY_SIZE(masked_paths));
		write_paths(w, "readonlyPaths", readonly_paths, ARRAY_SIZE(readonly_paths));
	}
	json_w_object_end(w);
	return 0;
}
