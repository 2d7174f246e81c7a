/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "mounts" of config.json: Docker's defaults (/proc, /dev, /dev/pts,
 * /dev/shm, /dev/mqueue, /sys, /sys/fs/cgroup), the generated /etc files,
 * the init at /dev/init, and linuxParameters.tmpfs.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "runtime/spec-internal.h"

/* Docker's tmpfs defaults; a user option naming the opposite wins. */
static const struct {
	const char *flag;
	const char *opposite;
} tmpfs_defaults[] = {
	{ "nosuid", "suid" },
	{ "nodev", "dev" },
	{ "noexec", "exec" },
};

#define DEFAULT_SHM_MIB 64

static void write_mount(struct json_writer *w, const char *dest, const char *type,
			const char *source, const char *const *opts, size_t n_opts)
{
	json_w_object_begin(w);
	json_w_key(w, "destination");
	json_w_string(w, dest);
	json_w_key(w, "type");
	json_w_string(w, type);
	json_w_key(w, "source");
	json_w_string(w, source);
	json_w_key(w, "options");
	json_w_array_begin(w);
	for (size_t i = 0; i < n_opts; i++)
		json_w_string(w, opts[i]);
	json_w_array_end(w);
	json_w_object_end(w);
}

static const struct td_linux_parameters *lp(const struct container_spec *s)
{
	return s->td ? s->td->linux_parameters : NULL;
}

/* Whether a tmpfs entry takes over a default mount's place. */
static bool user_tmpfs_at(const struct container_spec *s, const char *dest)
{
	const struct td_linux_parameters *l = lp(s);
	for (size_t i = 0; l && i < l->tmpfs.count; i++)
		if (l->tmpfs.items[i].container_path &&
		    strcmp(l->tmpfs.items[i].container_path, dest) == 0)
			return true;
	return false;
}

static int write_defaults(struct json_writer *w, const struct container_spec *s,
			  struct ecs_err *err)
{
	static const char *const proc_opts[] = { "nosuid", "noexec", "nodev" };
	static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
	static const char *const pts_opts[] = { "nosuid", "noexec", "newinstance",
						"ptmxmode=0666", "mode=0620", "gid=5" };
	static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev" };
	const bool priv = spec_privileged(s);
	const char *sys_opts[] = { "nosuid", "noexec", "nodev", "ro" };
	const char *cgroup_opts[] = { "nosuid", "noexec", "nodev", "ro" };
	/* A privileged container may write to /sys and its cgroups. */
	const size_t n_sys = priv ? 3 : 4;

	int64_t shm_mib = DEFAULT_SHM_MIB;
	if (lp(s) && lp(s)->shared_memory_size.set) {
		shm_mib = lp(s)->shared_memory_size.value;
		if (shm_mib <= 0 || shm_mib > INT64_MAX / 1024)
			return err_set(err, EINVAL,
				       "linuxParameters.sharedMemorySize: %" PRId64 " is not a valid size",
				       shm_mib);
	}
	char shm_size[48];
	snprintf(shm_size, sizeof(shm_size), "size=%" PRId64 "k", shm_mib * 1024);
	const char *shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", shm_size };

	if (!user_tmpfs_at(s, "/proc"))
		write_mount(w, "/proc", "proc", "proc", proc_opts, ARRAY_SIZE(proc_opts));
	if (!user_tmpfs_at(s, "/dev"))
		write_mount(w, "/dev", "tmpfs", "tmpfs", dev_opts, ARRAY_SIZE(dev_opts));
	if (!user_tmpfs_at(s, "/dev/pts"))
		write_mount(w, "/dev/pts", "devpts", "devpts", pts_opts, ARRAY_SIZE(pts_opts));
	if (!user_tmpfs_at(s, "/sys"))
		write_mount(w, "/sys", "sysfs", "sysfs", sys_opts, n_sys);
	if (!user_tmpfs_at(s, "/sys/fs/cgroup"))
		write_mount(w, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts, n_sys);
	if (!user_tmpfs_at(s, "/dev/mqueue"))
		write_mount(w, "/dev/mqueue", "mqueue", "mqueue", mqueue_opts,
			    ARRAY_SIZE(mqueue_opts));
	if (!user_tmpfs_at(s, "/dev/shm"))
		write_mount(w, "/dev/shm", "tmpfs", "shm", shm_opts, ARRAY_SIZE(shm_opts));
	return 0;
}

static int write_etc_binds(struct json_writer *w, const struct container_spec *s,
			   struct ecs_err *err)
{
	static const char *const files[] = { "hosts", "hostname", "resolv.conf" };
	static const char *const opts[] = { "rbind", "rprivate" };
	char src[PATH_MAX], dest[32];

	if (!s->etc_dir)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if ((size_t)snprintf(src, sizeof(src), "%s/%s", s->etc_dir, files[i]) >= sizeof(src))
			return err_set(err, ENAMETOOLONG, "%s: path too long", s->etc_dir);
		snprintf(dest, sizeof(dest), "/etc/%s", files[i]);
		write_mount(w, dest, "bind", src, opts, ARRAY_SIZE(opts));
	}
	return 0;
}

static bool has_option(const struct td_strv *v, const char *opt)
{
	for (size_t i = 0; i < v->count; i++)
		if (strcmp(v->items[i], opt) == 0)
			return true;
	return false;
}

static size_t path_depth(const char *p)
{
	size_t d = 0;
	for (; *p; p++)
		d += *p == '/';
	return d;
}

static int write_tmpfs(struct json_writer *w, const struct td_tmpfs *t, size_t idx,
		       struct ecs_err *err)
{
	if (!t->container_path || t->container_path[0] != '/')
		return err_set(err, EINVAL,
			       "linuxParameters.tmpfs[%zu].containerPath: must be an absolute path",
			       idx);
	if (t->size.set && (t->size.value <= 0 || t->size.value > INT64_MAX / 1024))
		return err_set(err, EINVAL,
			       "linuxParameters.tmpfs[%zu].size: %" PRId64 " is not a valid size", idx,
			       t->size.value);

	json_w_object_begin(w);
	json_w_key(w, "destination");
	json_w_string(w, t->container_path);
	json_w_key(w, "type");
	json_w_string(w, "tmpfs");
	json_w_key(w, "source");
	json_w_string(w, "tmpfs");
	json_w_key(w, "options");
	json_w_array_begin(w);
	for (size_t i = 0; i < ARRAY_SIZE(tmpfs_defaults); i++)
		if (!has_option(&t->mount_options, tmpfs_defaults[i].flag) &&
		    !has_option(&t->mount_options, tmpfs_defaults[i].opposite))
			json_w_string(w, tmpfs_defaults[i].flag);
	for (size_t i = 0; i < t->mount_options.count; i++)
		json_w_string(w, t->mount_options.items[i]);
	if (t->size.set) {
		char size[48];
		snprintf(size, sizeof(size), "size=%" PRId64 "k", t->size.value * 1024);
		json_w_string(w, size);
	}
	json_w_array_end(w);
	json_w_object_end(w);
	return 0;
}

/* Volumes, parents before children like the tmpfs entries. */
static int write_binds(struct json_writer *w, const struct container_spec *s,
		       struct ecs_err *err)
{
	size_t n = s->n_binds;
	_cleanup_free_ size_t *order = calloc(n ? n : 1, sizeof(*order));
	if (!order)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct spec_bind *b = &s->binds[i];
		if (!b->source || b->source[0] != '/' || !b->destination ||
		    b->destination[0] != '/')
			return err_set(err, EINVAL, "mount point %s: paths must be absolute",
				       b->destination ? b->destination : "(none)");
		size_t j = i;
		for (; j > 0 && path_depth(s->binds[order[j - 1]].destination) >
				       path_depth(b->destination); j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (size_t k = 0; k < n; k++) {
		const struct spec_bind *b = &s->binds[order[k]];
		const char *opts[] = { "rbind", "rprivate", b->readonly ? "ro" : "rw" };
		write_mount(w, b->destination, "bind", b->source, opts, ARRAY_SIZE(opts));
	}
	return 0;
}

int spec_write_mounts(struct json_writer *w, const struct container_spec *s, struct ecs_err *err)
{
	const struct td_linux_parameters *l = lp(s);
	int r;

	json_w_key(w, "mounts");
	json_w_array_begin(w);
	if ((r = write_defaults(w, s, err)) < 0)
		return r;
	if (l && l->init_process_enabled.value && s->init_path) {
		static const char *const opts[] = { "bind", "ro" };
		write_mount(w, "/dev/init", "bind", s->init_path, opts, ARRAY_SIZE(opts));
	}
	if ((r = write_etc_binds(w, s, err)) < 0)
		return r;

	/* Parents before children, whatever order the task definition lists
	 * them in, so a deeper tmpfs is not hidden by a later shallower one.
	 * A stable insertion sort keeps equal depths in their given order. */
	size_t n = l ? l->tmpfs.count : 0;
	_cleanup_free_ size_t *order = calloc(n ? n : 1, sizeof(*order));
	_cleanup_free_ size_t *depth = calloc(n ? n : 1, sizeof(*depth));
	if (!order || !depth)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *p = l->tmpfs.items[i].container_path;
		depth[i] = p ? path_depth(p) : 0;
		size_t j = i;
		for (; j > 0 && depth[order[j - 1]] > depth[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (size_t k = 0; k < n; k++)
		if ((r = write_tmpfs(w, &l->tmpfs.items[order[k]], order[k], err)) < 0)
			return r;
	if ((r = write_binds(w, s, err)) < 0)
		return r;
	json_w_array_end(w);
	return 0;
}
