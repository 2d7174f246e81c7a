/* SPDX-License-Identifier: Apache-2.0 */
/* The task state machine: admission, start, essential-container semantics,
 * stop, and cleanup after ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "engine-internal.h"
#include "fsutil.h"
#include "log.h"
#include "volumes.h"

static void set_task_reason(struct etask *t, int stop_code, const char *reason)
{
	if (!t->st.stop_code)
		t->st.stop_code = stop_code;
	if (!t->st.reason && reason)
		t->st.reason = strdup(reason);
}

static const char *network_refusal(const struct taskdef *td)
{
	switch (taskdef_network_mode(td)) {
	case TD_NET_HOST:
	case TD_NET_NONE:
		return NULL;
	case TD_NET_BRIDGE:
		return "CannotStartContainerError: networkMode bridge is not supported by this "
		       "agent yet (host and none are)";
	case TD_NET_AWSVPC:
		return "CannotStartContainerError: networkMode awsvpc is not supported by this "
		       "agent yet (host and none are)";
	default:
		return "CannotStartContainerError: unknown networkMode";
	}
}

void etask_fail(struct etask *t, const char *reason)
{
	log_warn("Task %s: failed to start: %s", etask_name(t), reason);
	set_task_reason(t, ECSAGENT__STOP_CODE__TASK_FAILED_TO_START, reason);
	if (t->st.step < TASK_STEP_STOPPING) {
		t->st.step = TASK_STEP_STOPPING;
		/* Saved whether or not the update below has news to report. */
		etask_save(t);
	}
	for (size_t i = 0; i < t->st.n_containers; i++) {
		struct ectr *c = &t->ctrs[i];
		if (ectr_st(c)->step >= CTR_STEP_SPAWNING)
			ectr_stop(c);
		else
			ectr_fail(c, reason);
	}
	etask_update(t);
}

void ectr_fail_start(struct ectr *c, const char *reason)
{
	/* As ECS: a container that could not be pulled, created or started
	 * fails the whole task (TaskFailedToStart), not as an exit. */
	ectr_fail(c, reason);
	etask_fail(c->task, reason);
}

static int create_task_cgroup(struct etask *t, struct ecs_err *err)
{
	const struct agent_config *cfg = t->engine->p.cfg;
	struct cgroup_limits lim = { 0 };
	if (cfg->enable_task_cpu_mem_limit) {
		int64_t v;
		if (t->td->cpu && taskdef_cpu_units(t->td->cpu, &v) == 0)
			lim.cpu_shares = v < 2 ? 2 : v;
		if (t->td->memory && taskdef_memory_mib(t->td->memory, &v) == 0)
			lim.memory_bytes = v * 1024 * 1024;
	}
	return cgroup_create(t->cgroup, &lim, err);
}

void etask_start(struct etask *t)
{
	struct ecs_err err = { 0 };
	if (!t->td) {
		etask_fail(t, t->st.reason ? t->st.reason : "invalid task definition");
		return;
	}
	if (t->st.step == TASK_STEP_NEW) {
		const char *refusal = network_refusal(t->td);
		char why_feature[256];
		if (refusal) {
			etask_fail(t, refusal);
			return;
		}
		if (features_unsupported(t->td, why_feature, sizeof(why_feature))) {
			etask_fail(t, why_feature);
			return;
		}
		free(t->st.host_ports);
		t->st.host_ports = NULL;
		if (admit_requirements(t->td, &t->st.cpu_units, &t->st.memory_mib,
				       &t->st.host_ports, &err) < 0) {
			etask_fail(t, err_msg(&err));
			return;
		}
		_cleanup_free_ char *why = NULL;
		if (!admit_fits(t->engine, t, &why)) {
			etask_fail(t, why ? why : "RESOURCE");
			return;
		}
		t->st.step = TASK_STEP_ADMITTED;
		t->st.known_status = ST_PENDING;
		for (size_t i = 0; i < t->st.n_containers; i++)
			ectr_st(&t->ctrs[i])->status = ST_PENDING;
		/* Recorded before anything is acquired for it. Nothing to
		 * report: the control plane has had it PENDING since RunTask. */
		if (etask_save(t) < 0)
			return;
		log_info("Task %s: admitted (%lld CPU units, %lld MiB)", etask_name(t),
			 (long long)t->st.cpu_units, (long long)t->st.memory_mib);
	}
	if (create_task_cgroup(t, &err) < 0 || volumes_prepare(t, &err) < 0) {
		char *why = NULL;
		if (asprintf(&why, "CannotCreateContainerError: %s", err_msg(&err)) >= 0) {
			etask_fail(t, why);
			free(why);
		}
		return;
	}
	for (size_t i = 0; i < t->st.n_containers && t->st.step == TASK_STEP_ADMITTED; i++) {
		struct ectr *c = &t->ctrs[i];
		if (ectr_st(c)->step != CTR_STEP_NEW)
			continue;
		err_clear(&err);
		if (ectr_start(c, &err) < 0)
			ectr_fail_start(c, err_msg(&err));
	}
	etask_update(t);
}

void etask_stop(struct etask *t, int stop_code, const char *reason)
{
	if (t->st.step >= TASK_STEP_STOPPING)
		return;
	log_info("Task %s: stopping: %s", etask_name(t), reason ? reason : "");
	set_task_reason(t, stop_code, reason);
	t->st.step = TASK_STEP_STOPPING;
	t->st.desired_status = ST_STOPPED;
	etask_save(t);
	for (size_t i = 0; i < t->st.n_containers; i++)
		ectr_stop(&t->ctrs[i]);
	if (!t->st.stop_sent_ms) {
		t->st.stop_sent_ms = engine_now_ms();
		etask_save(t);
	}
	etask_update(t);
}

/* The first essential container that stopped, or NULL. */
static struct ectr *stopped_essential(struct etask *t)
{
	for (size_t i = 0; i < t->st.n_containers; i++) {
		struct ectr *c = &t->ctrs[i];
		if (ectr_st(c)->status == ST_STOPPED && (!c->td || td_container_essential(c->td)))
			return c;
	}
	return NULL;
}

void etask_update(struct etask *t)
{
	if (t->st.step >= TASK_STEP_STOPPED)
		return;
	size_t running = 0, stopped = 0, n = t->st.n_containers;
	for (size_t i = 0; i < n; i++) {
		int s = ectr_st(&t->ctrs[i])->status;
		running += s == ST_RUNNING;
		stopped += s == ST_STOPPED;
	}
	struct ectr *ess = t->st.step < TASK_STEP_STOPPING ? stopped_essential(t) : NULL;
	_cleanup_free_ char *why = NULL;
	if (ess) {
		struct state_container *sc = ectr_st(ess);
		int r = sc->has_exit
				? asprintf(&why, "Essential container in task exited: %s (exit code %d)",
					   sc->name, sc->exit_code)
				: asprintf(&why, "Essential container in task exited: %s (%s)", sc->name,
					   sc->reason ? sc->reason : "no exit code");
		if (r < 0)
			why = NULL;
	}
	if (stopped == n) {
		int64_t now = engine_now_ms();
		if (ess)
			set_task_reason(t, ECSAGENT__STOP_CODE__ESSENTIAL_CONTAINER_EXITED, why);
		t->st.known_status = ST_STOPPED;
		t->st.step = TASK_STEP_STOPPED;
		t->st.execution_stopped_ms = now;
		t->st.stopped_ms = now;
		if (!t->st.stop_code)
			t->st.stop_code = ECSAGENT__STOP_CODE__ESSENTIAL_CONTAINER_EXITED;
		etask_report(t);
		log_info("Task %s: stopped (%s)", etask_name(t), t->st.reason ? t->st.reason : "");
		etask_schedule_cleanup(t);
		return;
	}
	if (ess) {
		etask_stop(t, ECSAGENT__STOP_CODE__ESSENTIAL_CONTAINER_EXITED, why);
		return;
	}
	/* Running once no container is pending any more: a non-essential
	 * container may already have exited (even before its `started` record
	 * was read, e.g. both were found after a restart). */
	if (running > 0 && running + stopped == n && t->st.known_status != ST_RUNNING) {
		t->st.known_status = ST_RUNNING;
		t->st.started_ms = engine_now_ms();
		log_info("Task %s: running", etask_name(t));
	}
	etask_report(t);
}

static int on_cleanup(sd_event_source *s, uint64_t usec, void *ud)
{
	struct etask *t = ud;
	t->cleanup_timer = sd_event_source_disable_unref(t->cleanup_timer);
	etask_cleanup(t);
	return 0;
}

void etask_schedule_cleanup(struct etask *t)
{
	struct engine *e = t->engine;
	/* From the stop time and the current setting, so a restart with a
	 * changed ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION applies it to tasks
	 * already waiting. */
	int64_t since = t->st.stopped_ms ? t->st.stopped_ms : engine_now_ms();
	int64_t at = since + (int64_t)(e->p.cfg->task_cleanup_wait / 1000);
	if (t->st.cleanup_at_ms != at) {
		t->st.cleanup_at_ms = at;
		etask_save(t);
	}
	int64_t left_ms = t->st.cleanup_at_ms - engine_now_ms();
	uint64_t now = 0;
	sd_event_now(e->p.event, CLOCK_MONOTONIC, &now);
	t->cleanup_timer = sd_event_source_disable_unref(t->cleanup_timer);
	sd_event_add_time(e->p.event, &t->cleanup_timer, CLOCK_MONOTONIC,
			  now + (left_ms > 0 ? (uint64_t)left_ms * 1000 : 0), 0, on_cleanup, t);
}

void etask_cleanup(struct etask *t)
{
	struct ecs_err err = { 0 };
	if (t->st.step != TASK_STEP_STOPPED)
		return;
	for (size_t i = 0; i < t->st.n_containers; i++)
		ectr_cleanup(&t->ctrs[i]);
	volumes_cleanup(t);
	int r = cgroup_remove(t->cgroup, &err);
	if (r < 0)
		log_warn("Task %s: removing cgroup: %s", etask_name(t), err_msg(&err));
	err_clear(&err);
	if (fs_rm_rf(t->dir, &err) < 0)
		log_warn("Task %s: %s", etask_name(t), err_msg(&err));
	t->st.step = TASK_STEP_CLEANED;
	etask_save(t);
	log_info("Task %s: cleaned up", etask_name(t));
}
