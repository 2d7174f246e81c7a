/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * OCI bundle generation: a container's config.json (OCI runtime spec 1.0.2),
 * written through lib/json's writer. Defaults are the ones Docker applies:
 * its default capability set, masked and read-only /proc paths, /dev, /dev/pts,
 * /dev/shm (64 MiB unless sharedMemorySize), /dev/mqueue, /sys (ro),
 * /sys/fs/cgroup (ro), the no-new-privileges flag only when asked
 * (dockerSecurityOptions "no-new-privileges"), and the generated
 * /etc/hosts, /etc/hostname, /etc/resolv.conf bind-mounted from the
 * container's directory.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "taskdef.h"

enum spec_net {
	SPEC_NET_NONE,  /* a new network namespace with only lo */
	SPEC_NET_HOST,  /* the host's network namespace */
	SPEC_NET_PATH,  /* join netns_path (bridge/awsvpc, later issues) */
};

/* A bind mount of a host path (a task volume) into the container. */
struct spec_bind {
	const char *source;            /* absolute host path */
	const char *destination;       /* absolute container path */
	bool readonly;
};

struct container_spec {
	const char *rootfs;            /* absolute path of the mounted rootfs */
	char **args;                   /* NULL-terminated, at least one */
	char **env;                    /* "K=V", NULL-terminated */
	const char *cwd;               /* "/" when NULL */
	uid_t uid;
	gid_t gid;
	const gid_t *gids;             /* supplementary */
	size_t n_gids;
	const char *hostname;          /* NULL: none set (host network) */
	enum spec_net net;
	const char *netns_path;
	const char *cgroups_path;      /* "/ecs/<task id>/<container>" */
	int64_t cpu_shares;            /* 0 = unset (runtime default) */
	int64_t memory_bytes;          /* 0 = unlimited */
	int64_t memory_soft_bytes;     /* 0 = unset */
	const char *init_path;         /* host path of the static init; used when initProcessEnabled */
	const char *etc_dir;           /* directory holding hosts, hostname, resolv.conf to bind */
	const struct td_container *td; /* linuxParameters, ulimits, privileged, readonlyRootFilesystem,
					* dockerLabels (annotations), dockerSecurityOptions,
					* systemControls, pseudoTerminal... */
	const struct spec_bind *binds; /* volumes (mountPoints, volumesFrom) */
	size_t n_binds;
	const char *task_arn;          /* annotations com.amazonaws.ecs.task-arn etc. */
	const char *container_name;
};

/* config.json text (malloc'd). -EINVAL with a named reason for what cannot
 * be honoured (an unknown capability, a device path that does not exist, a
 * sysctl not allowed in the container's namespaces). */
char *spec_to_json(const struct container_spec *s, struct ecs_err *err);
/* Write BUNDLE/config.json atomically (tmp + rename; not fsync'ed, see spec.c). */
int spec_write_bundle(const struct container_spec *s, const char *bundle_dir, struct ecs_err *err);

/* Write ETC_DIR/hosts, ETC_DIR/hostname and ETC_DIR/resolv.conf for the
 * container as Docker generates them: hosts holds localhost entries, the
 * hostname (non-host networks) and extraHosts; resolv.conf is the host's
 * /etc/resolv.conf (`host_resolv`, usually "/etc/resolv.conf") unless
 * dnsServers/dnsSearchDomains are given; in host mode hosts starts from the
 * host's /etc/hosts. */
int spec_write_etc_files(const struct td_container *td, const char *hostname, enum spec_net net,
			 const char *host_resolv, const char *host_hosts, const char *etc_dir,
			 struct ecs_err *err);
