/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The OCI runtime's command line (runc, or crun with the same verbs), with
 * the agent's own --root so its containers never mix with anyone else's.
 * Calls are synchronous: the runtime's own work for these verbs is a few
 * milliseconds. Creating and starting is the shim's job (shim-client.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct runtime {
	const char *binary;  /* absolute path */
	const char *name;    /* "runc" or "crun" */
	const char *root;    /* --root directory (DATADIR/runtime/<name>) */
};

/* OCI ids: [A-Za-z0-9_.+-], 1..1024. */
bool runtime_id_valid(const char *id);

/* Send `sig` to the container's init (runc kill ID SIG). A container that
 * does not exist or already stopped: -ESRCH. */
int runtime_kill(const struct runtime *rt, const char *id, int sig, struct ecs_err *err);
/* runc delete --force ID. Absent: 0. */
int runtime_delete(const struct runtime *rt, const char *id, struct ecs_err *err);

struct runtime_state {
	char status[16];  /* "creating", "created", "running", "paused", "stopped" */
	pid_t pid;
};
/* runc state ID. Absent: -ENOENT. */
int runtime_state(const struct runtime *rt, const char *id, struct runtime_state *out,
		  struct ecs_err *err);
/* Every container id under the root (runc list -q). */
int runtime_list(const struct runtime *rt, char ***ids, size_t *n, struct ecs_err *err);
/* "runc version 1.1.5" first line, malloc'd. */
char *runtime_version(const struct runtime *rt, struct ecs_err *err);
