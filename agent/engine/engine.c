/* SPDX-License-Identifier: Apache-2.0 */
/* The engine object, its task list and the persistence of tasks. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine-internal.h"
#include "image/image.h"
#include "log.h"

int64_t engine_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *path_join(const char *a, const char *b)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

int engine_new(const struct engine_params *p, struct engine **out, struct ecs_err *err)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (!e)
		return err_set(err, ENOMEM, "allocating the engine");
	e->p = *p;
	e->spare = SHIM_SPARE_NONE;
	e->tasks_dir = path_join(p->cfg->datadir, "tasks");
	e->images = image_cache_new();
	if (e->images)
		e->fetcher = image_fetcher_new(p->event, p->image_helper, e->images);
	if (!e->tasks_dir || !e->images || !e->fetcher) {
		engine_free(e);
		return err_set(err, ENOMEM, "allocating the engine");
	}
	if (mkdir(e->tasks_dir, 0700) < 0 && errno != EEXIST) {
		int r = err_set_errno(err, errno, "creating %s", e->tasks_dir);
		engine_free(e);
		return r;
	}
	*out = e;
	return 0;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	while (e->tasks) {
		struct etask *t = e->tasks;
		e->tasks = t->next;
		etask_free(t);
	}
	sd_event_source_disable_unref(e->liveness);
	sd_event_source_disable_unref(e->image_gc);
	sd_event_source_disable_unref(e->dispatch);
	engine_spare_free(e);
	/* After the tasks, which cancel their waits on it. */
	image_fetcher_free(e->fetcher);
	image_cache_free(e->images);
	engine_telemetry_free(e);
	free(e->tasks_dir);
	free(e);
}

void engine_set_report_hook(struct engine *e, void (*fn)(void *ud), void *ud)
{
	e->report_fn = fn;
	e->report_ud = ud;
}

int64_t engine_cpu_units(const struct engine *e)
{
	return e->p.cpu_units;
}

int64_t engine_memory_mib(const struct engine *e)
{
	return e->p.memory_mib;
}

unsigned engine_active_tasks(const struct engine *e)
{
	unsigned n = 0;
	for (const struct etask *t = e->tasks; t; t = t->next)
		if (t->st.known_status != ST_STOPPED)
			n++;
	return n;
}

struct etask *engine_find(struct engine *e, const char *arn)
{
	for (struct etask *t = e->tasks; t; t = t->next)
		if (strcmp(t->st.arn, arn) == 0)
			return t;
	return NULL;
}

void engine_unlink(struct engine *e, struct etask *t)
{
	for (struct etask **pp = &e->tasks; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			t->next = NULL;
			return;
		}
}

const char *etask_name(const struct etask *t)
{
	return t->id;
}

void etask_free(struct etask *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->ctrs && i < t->st.n_containers; i++) {
		ectr_release(&t->ctrs[i]);
		ectr_clear_registry_credentials(&t->ctrs[i]);
		free(t->ctrs[i].dir);
	}
	free(t->ctrs);
	sd_event_source_disable_unref(t->cleanup_timer);
	taskdef_free(t->td);
	state_task_clear(&t->st);
	free(t->id);
	free(t->dir);
	free(t->cgroup);
	free(t);
}

int etask_save(struct etask *t)
{
	struct ecs_err err = { 0 };
	int r = state_task_put(t->engine->p.state, &t->st, &err);
	if (r < 0)
		log_error("Task %s: saving state: %s", etask_name(t), err_msg(&err));
	return r;
}

int etask_report(struct etask *t)
{
	struct engine *e = t->engine;
	struct ecs_err err = { 0 };
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0;

	uint64_t key = report_state_key(t);
	if (key == t->reported_key || (!t->reported_key && report_state_is_initial(t)))
		return 0;
	t->st.sequence++;
	int r = report_encode(t, &buf, &len, &err);
	if (r < 0)
		goto fail;
	r = state_begin(e->p.state, &err);
	if (r < 0)
		goto fail;
	r = state_task_put(e->p.state, &t->st, &err);
	if (r >= 0)
		r = state_outbox_add(e->p.state, t->st.arn, t->st.sequence, buf, len, &err);
	if (r >= 0)
		r = state_commit(e->p.state, &err);
	if (r < 0) {
		state_rollback(e->p.state);
		goto fail;
	}
	t->reported_key = key;
	if (e->report_fn)
		e->report_fn(e->report_ud);
	return 0;
fail:
	log_error("Task %s: queueing state change: %s", etask_name(t), err_msg(&err));
	return r;
}

/* The OCI id of a container: unique per agent, readable in `runc list`. */
static char *runtime_id_for(const char *task_id, const char *name)
{
	char *s = NULL;
	if (asprintf(&s, "ecs-%s-%s", task_id, name) < 0)
		return NULL;
	return s;
}

static int build_containers(struct etask *t)
{
	struct state_task *st = &t->st;
	if (st->n_containers == 0 && t->td) {
		size_t n = t->td->containers.count;
		st->containers = calloc(n ? n : 1, sizeof(*st->containers));
		if (!st->containers)
			return -ENOMEM;
		st->n_containers = n;
		for (size_t i = 0; i < n; i++) {
			struct state_container *sc = &st->containers[i];
			sc->name = strdup(t->td->containers.items[i].name);
			sc->runtime_id = runtime_id_for(t->id, sc->name);
			sc->status = ST_NONE;
			if (!sc->name || !sc->runtime_id)
				return -ENOMEM;
		}
	}
	t->ctrs = calloc(st->n_containers ? st->n_containers : 1, sizeof(*t->ctrs));
	if (!t->ctrs)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_containers; i++) {
		struct ectr *c = &t->ctrs[i];
		c->task = t;
		c->idx = i;
		c->td = t->td ? taskdef_container(t->td, st->containers[i].name) : NULL;
		c->dir = path_join(t->dir, st->containers[i].name);
		if (!c->dir)
			return -ENOMEM;
	}
	return 0;
}

static int parse_definition(struct etask *t, char **why)
{
	struct ecs_err err = { 0 };
	struct td_problems problems = { 0 };
	const char *json = t->st.taskdef_json ? t->st.taskdef_json : "";
	int r = taskdef_parse_flags(json, strlen(json), TASKDEF_PARSE_STORED, &t->td, &problems,
				    &err);
	if (r < 0) {
		_cleanup_free_ char *all = td_problems_join(&problems, "; ");
		if (asprintf(why, "invalid task definition: %s",
			     all && *all ? all : err_msg(&err)) < 0)
			*why = NULL;
		td_problems_free(&problems);
		return r;
	}
	if (t->st.overrides_json && *t->st.overrides_json) {
		r = overrides_apply(t->td, t->st.overrides_json, &err);
		if (r < 0) {
			if (asprintf(why, "invalid overrides: %s", err_msg(&err)) < 0)
				*why = NULL;
			taskdef_free(t->td);
			t->td = NULL;
			return r;
		}
	}
	return 0;
}

struct etask *etask_from_state(struct engine *e, struct state_task *st, char **why)
{
	struct etask *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->engine = e;
	t->st = *st;
	memset(st, 0, sizeof(*st));
	const char *slash = strrchr(t->st.arn, '/');
	t->id = strdup(slash ? slash + 1 : t->st.arn);
	if (!t->id)
		goto oom;
	t->dir = path_join(e->tasks_dir, t->id);
	if (asprintf(&t->cgroup, "%s/%s", e->p.cfg->cgroup_parent, t->id) < 0)
		t->cgroup = NULL;
	if (!t->dir || !t->cgroup)
		goto oom;
	*why = NULL;
	if (t->st.step < TASK_STEP_CLEANED)
		parse_definition(t, why);
	if (build_containers(t) < 0)
		goto oom;
	return t;
oom:
	etask_free(t);
	return NULL;
}
