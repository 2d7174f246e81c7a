/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rules about references: dependsOn, links and volumesFrom name other
 * containers, mountPoints name volumes, and the dependsOn graph must be
 * acyclic (a cycle would leave every container in it waiting forever).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskdef-internal.h"

/* Cycle search is skipped above this many containers: the task is already
 * rejected for having too many, and the search recurses once per container. */
#define MAX_CYCLE_SEARCH 64

static int container_index(const struct taskdef *td, const char *name)
{
	for (size_t i = 0; name && i < td->containers.count; i++)
		if (td->containers.items[i].name && strcmp(td->containers.items[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool is_volume(const struct taskdef *td, const char *name)
{
	for (size_t i = 0; i < td->volumes.count; i++)
		if (td->volumes.items[i].name && strcmp(td->volumes.items[i].name, name) == 0)
			return true;
	return false;
}

static void check_depends_on(struct td_vctx *v, size_t i, const char *base)
{
	const struct taskdef *td = v->td;
	const struct td_container *c = &td->containers.items[i];
	char path[TD_PATH_MAX];

	for (size_t k = 0; k < c->depends_on.count; k++) {
		const struct td_container_dependency *dep = &c->depends_on.items[k];
		td_pathf(path, sizeof(path), "%s.dependsOn[%zu]", base, k);
		if (!dep->container_name)
			continue;
		int target = container_index(td, dep->container_name);
		if (target < 0) {
			td_report(v, path, "containerName",
				  "no container named \"%s\" in this task definition",
				  dep->container_name);
			continue;
		}
		if ((size_t)target == i) {
			td_report(v, path, "containerName", "a container cannot depend on itself");
			continue;
		}
		const struct td_container *t = &td->containers.items[target];
		if (!dep->condition)
			continue;
		if (strcmp(dep->condition, "HEALTHY") == 0 && !t->health_check)
			td_report(v, path, "condition",
				  "HEALTHY needs a healthCheck on container \"%s\", which has none",
				  t->name);
		if ((strcmp(dep->condition, "COMPLETE") == 0 || strcmp(dep->condition, "SUCCESS") == 0) &&
		    td_container_essential(t))
			td_report(v, path, "condition",
				  "%s waits for \"%s\" to exit, so that container must have essential false",
				  dep->condition, t->name);
	}
}

struct cycle_search {
	struct td_vctx *v;
	unsigned char *state; /* 0 unvisited, 1 on the current path, 2 done */
	size_t *stack;
};

static void visit(struct cycle_search *s, size_t u, size_t depth)
{
	const struct taskdef *td = s->v->td;
	const struct td_container *c = &td->containers.items[u];

	s->state[u] = 1;
	s->stack[depth] = u;
	for (size_t k = 0; k < c->depends_on.count; k++) {
		int w = container_index(td, c->depends_on.items[k].container_name);
		if (w < 0 || (size_t)w == u)
			continue; /* reported by check_depends_on() */
		if (s->state[w] == 0) {
			visit(s, (size_t)w, depth + 1);
			continue;
		}
		if (s->state[w] != 1)
			continue;

		/* Back edge: the cycle is the path from w to u, then w again. */
		char cycle[1024] = "", path[TD_PATH_MAX];
		size_t len = 0, from = 0;
		while (s->stack[from] != (size_t)w)
			from++;
		for (size_t d = from; d <= depth && len < sizeof(cycle); d++) {
			int n = snprintf(cycle + len, sizeof(cycle) - len, "%s -> ",
					 td->containers.items[s->stack[d]].name);
			len += n > 0 ? (size_t)n : 0;
		}
		td_report(s->v, td_pathf(path, sizeof(path), "containerDefinitions[%zu].dependsOn[%zu]",
					 u, k),
			  "containerName", "dependency cycle: %s%s", cycle,
			  td->containers.items[w].name);
	}
	s->state[u] = 2;
}

static void check_cycles(struct td_vctx *v)
{
	size_t n = v->td->containers.count;
	if (n == 0 || n > MAX_CYCLE_SEARCH)
		return;
	unsigned char state[MAX_CYCLE_SEARCH] = { 0 };
	size_t stack[MAX_CYCLE_SEARCH];
	struct cycle_search s = { .v = v, .state = state, .stack = stack };
	for (size_t i = 0; i < n; i++)
		if (state[i] == 0)
			visit(&s, i, 0);
}

static void check_links(struct td_vctx *v, size_t i, const char *base)
{
	const struct td_container *c = &v->td->containers.items[i];
	char path[TD_PATH_MAX];

	if (c->links.count > 0 && v->mode != TD_NET_BRIDGE && v->mode != TD_NET_UNKNOWN) {
		td_report(v, base, "links", "links are only supported in bridge network mode");
		return;
	}
	for (size_t k = 0; k < c->links.count; k++) {
		/* "name" or "name:alias" */
		const char *link = c->links.items[k];
		size_t len = strcspn(link, ":");
		char name[256];
		td_pathf(path, sizeof(path), "%s.links[%zu]", base, k);
		if (len == 0 || len >= sizeof(name)) {
			td_report(v, path, NULL, "must be a container name, optionally with :alias");
			continue;
		}
		memcpy(name, link, len);
		name[len] = '\0';
		int target = container_index(v->td, name);
		if (target < 0)
			td_report(v, path, NULL, "no container named \"%s\" in this task definition", name);
		else if ((size_t)target == i)
			td_report(v, path, NULL, "a container cannot link to itself");
	}
}

static void check_volume_refs(struct td_vctx *v, size_t i, const char *base)
{
	const struct td_container *c = &v->td->containers.items[i];
	char path[TD_PATH_MAX];

	for (size_t k = 0; k < c->volumes_from.count; k++) {
		const char *src = c->volumes_from.items[k].source_container;
		td_pathf(path, sizeof(path), "%s.volumesFrom[%zu]", base, k);
		int target = container_index(v->td, src);
		if (!src)
			td_report(v, path, "sourceContainer", "required: the container to take volumes from");
		else if (target < 0)
			td_report(v, path, "sourceContainer",
				  "no container named \"%s\" in this task definition", src);
		else if ((size_t)target == i)
			td_report(v, path, "sourceContainer", "a container cannot take volumes from itself");
	}
	for (size_t k = 0; k < c->mount_points.count; k++) {
		const struct td_mount_point *mp = &c->mount_points.items[k];
		td_pathf(path, sizeof(path), "%s.mountPoints[%zu]", base, k);
		if (!mp->source_volume)
			td_report(v, path, "sourceVolume", "required: the name of a volume of this task");
		else if (!is_volume(v->td, mp->source_volume))
			td_report(v, path, "sourceVolume", "no volume named \"%s\" in volumes",
				  mp->source_volume);
		if (!mp->container_path || !mp->container_path[0])
			td_report(v, path, "containerPath", "required: where to mount the volume");
	}
}

void td_validate_references(struct td_vctx *v)
{
	char base[TD_PATH_MAX];
	for (size_t i = 0; i < v->td->containers.count; i++) {
		td_pathf(base, sizeof(base), "containerDefinitions[%zu]", i);
		check_depends_on(v, i, base);
		check_links(v, i, base);
		check_volume_refs(v, i, base);
	}
	check_cycles(v);
}
