/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Task volumes, as ECS gives them to containers through mountPoints and
 * volumesFrom:
 *   - host.sourcePath: that host directory (created if missing, as Docker
 *     does for a bind source);
 *   - host without sourcePath, or a dockerVolumeConfiguration of scope
 *     "task" with the local driver: an empty directory owned by the task,
 *     TASKDIR/volumes/<name>, removed with the task; driverOpts type=tmpfs
 *     mounts a tmpfs there (option "o" passed as mount data);
 *   - dockerVolumeConfiguration scope "shared": DATADIR/volumes/<name>,
 *     kept across tasks.
 * Other drivers, EFS and FSx are refused with a named reason (the control
 * plane only places such tasks on instances advertising them, which this
 * agent does not).
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "engine-internal.h"
#include "fsutil.h"
#include "image/image.h"
#include "volumes.h"

static const struct td_volume *find_volume(const struct taskdef *td, const char *name)
{
	for (size_t i = 0; name && i < td->volumes.count; i++)
		if (td->volumes.items[i].name && strcmp(td->volumes.items[i].name, name) == 0)
			return &td->volumes.items[i];
	return NULL;
}

static bool tmpfs_volume(const struct td_volume *v, const char **data)
{
	const struct td_docker_volume *d = v->docker_volume_configuration;
	const char *type = d ? td_map_get(&d->driver_opts, "type") : NULL;
	*data = d ? td_map_get(&d->driver_opts, "o") : NULL;
	return type && strcmp(type, "tmpfs") == 0;
}

/* Host path of volume `v` (malloc'd), or NULL with err. */
static char *volume_path(const struct etask *t, const struct td_volume *v, struct ecs_err *err)
{
	const struct td_docker_volume *d = v->docker_volume_configuration;
	char *p = NULL;
	if (v->efs_volume_configuration || v->fsx_windows_file_server_volume_configuration) {
		err_set(err, ENOTSUP, "volume %s: EFS and FSx volumes are not supported by this agent",
			v->name);
		return NULL;
	}
	if (d) {
		if (d->driver && strcmp(d->driver, "local") != 0) {
			err_set(err, ENOTSUP, "volume %s: volume driver %s is not available", v->name,
				d->driver);
			return NULL;
		}
		bool shared = d->scope && strcmp(d->scope, "shared") == 0;
		if (shared && asprintf(&p, "%s/volumes/%s", t->engine->p.cfg->datadir, v->name) < 0)
			p = NULL;
		if (!shared && asprintf(&p, "%s/volumes/%s", t->dir, v->name) < 0)
			p = NULL;
	} else if (v->host && v->host->source_path) {
		p = strdup(v->host->source_path);
	} else if (asprintf(&p, "%s/volumes/%s", t->dir, v->name) < 0) {
		p = NULL;
	}
	if (!p)
		err_set(err, ENOMEM, "volume path");
	return p;
}

int volumes_prepare(struct etask *t, struct ecs_err *err)
{
	for (size_t i = 0; i < t->td->volumes.count; i++) {
		const struct td_volume *v = &t->td->volumes.items[i];
		_cleanup_free_ char *path = volume_path(t, v, err);
		if (!path)
			return -ENOTSUP;
		if (path[0] != '/')
			return err_set(err, EINVAL, "volume %s: sourcePath must be absolute", v->name);
		int r = fs_mkdir_p(path, 0755, err);
		if (r < 0)
			return err_wrap(err, "volume %s", v->name);
		const char *data = NULL;
		if (tmpfs_volume(v, &data) && !rootfs_is_mounted(path) &&
		    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0)
			return err_set_errno(err, errno, "volume %s: mounting tmpfs", v->name);
	}
	return 0;
}

void volumes_cleanup(struct etask *t)
{
	_cleanup_free_ char *dir = NULL;
	if (!t->td || asprintf(&dir, "%s/volumes", t->dir) < 0)
		return;
	for (size_t i = 0; i < t->td->volumes.count; i++) {
		const struct td_volume *v = &t->td->volumes.items[i];
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, v->name) >= 0 && rootfs_is_mounted(path))
			umount2(path, MNT_DETACH);
	}
}

struct bind_list {
	struct spec_bind *items;
	size_t n;
};

static int add_bind(struct bind_list *l, char *source, const char *dest, bool ro)
{
	struct spec_bind *grown = realloc(l->items, (l->n + 1) * sizeof(*grown));
	if (!grown) {
		free(source);
		return -ENOMEM;
	}
	l->items = grown;
	grown[l->n++] = (struct spec_bind){ .source = source, .destination = dest, .readonly = ro };
	return 0;
}

/* mountPoints of `c`, then those it takes from volumesFrom (at most `depth`
 * levels, so a cycle cannot loop). `force_ro`: volumesFrom readOnly. */
static int collect(const struct etask *t, const struct td_container *c, bool force_ro,
		   int depth, struct bind_list *l, struct ecs_err *err)
{
	if (depth > 8)
		return err_set(err, ELOOP, "volumesFrom of %s is nested too deeply (a cycle?)",
			       c->name);
	for (size_t i = 0; i < c->mount_points.count; i++) {
		const struct td_mount_point *mp = &c->mount_points.items[i];
		const struct td_volume *v = find_volume(t->td, mp->source_volume);
		if (!v)
			return err_set(err, EINVAL, "%s: mountPoints[%zu]: no volume named %s",
				       c->name, i, mp->source_volume ? mp->source_volume : "");
		if (!mp->container_path || mp->container_path[0] != '/')
			return err_set(err, EINVAL, "%s: mountPoints[%zu].containerPath must be absolute",
				       c->name, i);
		char *src = volume_path(t, v, err);
		if (!src)
			return -ENOTSUP;
		bool ro = force_ro || (mp->read_only.set && mp->read_only.value);
		if (add_bind(l, src, mp->container_path, ro) < 0)
			return err_set(err, ENOMEM, "mount points");
	}
	for (size_t i = 0; i < c->volumes_from.count; i++) {
		const struct td_volume_from *vf = &c->volumes_from.items[i];
		const struct td_container *src = taskdef_container(t->td, vf->source_container);
		if (!src)
			return err_set(err, EINVAL, "%s: volumesFrom[%zu]: no container named %s",
				       c->name, i, vf->source_container ? vf->source_container : "");
		bool ro = force_ro || (vf->read_only.set && vf->read_only.value);
		int r = collect(t, src, ro, depth + 1, l, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int volumes_binds(const struct etask *t, const struct td_container *c, struct spec_bind **out,
		  size_t *n, struct ecs_err *err)
{
	struct bind_list l = { 0 };
	int r = collect(t, c, false, 0, &l, err);
	if (r < 0) {
		volumes_binds_free(l.items, l.n);
		return r;
	}
	*out = l.items;
	*n = l.n;
	return 0;
}

void volumes_binds_free(struct spec_bind *b, size_t n)
{
	for (size_t i = 0; b && i < n; i++)
		free((char *)b[i].source);
	free(b);
}
