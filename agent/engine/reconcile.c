/* SPDX-License-Identifier: Apache-2.0 */
/* Level-triggered reconciliation against the control plane's desired list
 * (docs/protocol.md, "Reconciliation"). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "log.h"
#include "memtrim.h"

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

void ectr_clear_registry_credentials(struct ectr *c)
{
	if (c->reg_password)
		explicit_bzero(c->reg_password, strlen(c->reg_password));
	free(c->reg_username);
	free(c->reg_password);
	free(c->reg_error);
	c->reg_username = c->reg_password = c->reg_error = NULL;
}

/* Take the registry credentials of the task's containers from the poll
 * entry, replacing what an earlier poll gave (a secret may have changed).
 * Kept in memory only; see struct ectr. */
static void take_registry_credentials(struct etask *t, const Ecsagent__Task *w)
{
	for (size_t i = 0; t->ctrs && i < t->st.n_containers; i++) {
		struct ectr *c = &t->ctrs[i];
		ectr_clear_registry_credentials(c);
		for (size_t k = 0; k < w->n_registry_credentials; k++) {
			const Ecsagent__RegistryCredential *rc = w->registry_credentials[k];
			if (!rc->container_name || strcmp(rc->container_name, ectr_st(c)->name) != 0)
				continue;
			bool oom = false;
			if (rc->error && *rc->error) {
				oom = !(c->reg_error = strdup(rc->error));
			} else if (rc->username && *rc->username && rc->password) {
				c->reg_username = strdup(rc->username);
				c->reg_password = strdup(rc->password);
				oom = !c->reg_username || !c->reg_password;
			}
			if (oom) {
				ectr_clear_registry_credentials(c);
				c->reg_error = strdup("out of memory");
			}
			break;
		}
	}
}

static struct etask *adopt_new(struct engine *e, const Ecsagent__Task *w)
{
	struct state_task st = { 0 };
	st.arn = strdup(w->task_arn);
	st.family = strdup(w->family);
	st.revision = w->revision;
	st.taskdef_json = strdup(w->task_definition_json);
	st.overrides_json = dup_or_null(w->overrides_json);
	st.desired_status = w->desired_status;
	st.desired_version = w->desired_version;
	st.created_ms = w->created_at_ms ? w->created_at_ms : engine_now_ms();
	if (!st.arn || !st.family || !st.taskdef_json) {
		state_task_clear(&st);
		return NULL;
	}
	char *why = NULL;
	struct etask *t = etask_from_state(e, &st, &why);
	state_task_clear(&st);
	if (!t) {
		free(why);
		return NULL;
	}
	if (why) {
		t->st.reason = why;
		t->st.stop_code = ECSAGENT__STOP_CODE__TASK_FAILED_TO_START;
	}
	t->next = e->tasks;
	e->tasks = t;
	/* Not saved yet: the caller starts or fails it at once, and both save
	 * it before anything is acquired for it. */
	return t;
}

void engine_apply_desired(struct engine *e, const Ecsagent__PollResponse *resp)
{
	for (struct etask *t = e->tasks; t; t = t->next)
		t->in_desired = false;

	for (size_t i = 0; i < resp->n_tasks; i++) {
		const Ecsagent__Task *w = resp->tasks[i];
		if (!w->task_arn || !*w->task_arn)
			continue;
		struct etask *t = engine_find(e, w->task_arn);
		if (!t) {
			t = adopt_new(e, w);
			if (!t) {
				log_error("Task %s: cannot record it (out of memory?)", w->task_arn);
				continue;
			}
			t->in_desired = true;
			take_registry_credentials(t, w);
			if (w->desired_status == ECSAGENT__STATUS__STOPPED)
				etask_fail(t, *w->stop_reason ? w->stop_reason
							       : "Task stopped before it started");
			else
				etask_start(t);
			continue;
		}
		t->in_desired = true;
		t->st.desired_version = w->desired_version;
		take_registry_credentials(t, w);
		if (w->desired_status == ECSAGENT__STATUS__STOPPED &&
		    t->st.step < TASK_STEP_STOPPING)
			etask_stop(t,
				   w->stop_code ? (int)w->stop_code
						: ECSAGENT__STOP_CODE__USER_INITIATED,
				   *w->stop_reason ? w->stop_reason : "Task stopped by the control plane");
	}

	struct etask *next;
	bool forgot = false;
	for (struct etask *t = e->tasks; t; t = next) {
		next = t->next;
		if (t->in_desired)
			continue;
		if (t->st.step < TASK_STEP_STOPPING) {
			etask_stop(t, ECSAGENT__STOP_CODE__USER_INITIATED,
				   "Task is no longer wanted by the control plane");
		} else if (t->st.step == TASK_STEP_CLEANED) {
			/* Reported, acknowledged and cleaned: forget it. */
			struct ecs_err err = { 0 };
			if (state_task_delete(e->p.state, t->st.arn, &err) < 0) {
				log_error("Task %s: forgetting it: %s", etask_name(t), err_msg(&err));
				continue;
			}
			engine_unlink(e, t);
			etask_free(t);
			forgot = true;
		}
	}
	if (forgot)
		memtrim_heap();
}

void engine_stop_all(struct engine *e, int stop_code, const char *reason)
{
	for (struct etask *t = e->tasks; t; t = t->next)
		etask_stop(t, stop_code, reason);
}
