/* SPDX-License-Identifier: Apache-2.0 */
/* One container: prepared (image, rootfs, bundle), started through its
 * shim, watched through the shim's records, stopped through the runtime. */
#include "autoconf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "command.h"
#include "engine-internal.h"
#include "image/image.h"
#include "log.h"
#include "runtime/shim-client.h"
#include "runtime/spec.h"
#include "fsutil.h"

const char *ectr_runtime_id(const struct ectr *c)
{
	return ectr_st(c)->runtime_id;
}

void ectr_release(struct ectr *c)
{
	c->watch = sd_event_source_disable_unref(c->watch);
	c->kill_timer = sd_event_source_disable_unref(c->kill_timer);
	c->start_timer = sd_event_source_disable_unref(c->start_timer);
	image_fetch_cancel(c->pull);
	c->pull = NULL;
	ectr_start_done(c);
}

static void set_reason(struct state_container *sc, const char *reason)
{
	free(sc->reason);
	sc->reason = reason ? strdup(reason) : NULL;
}

void ectr_fail(struct ectr *c, const char *reason)
{
	struct state_container *sc = ectr_st(c);
	if (sc->status == ST_STOPPED)
		return;
	log_warn("Task %s container %s: %s", etask_name(c->task), sc->name, reason);
	ectr_release(c);
	sc->status = ST_STOPPED;
	sc->step = CTR_STEP_DONE;
	if (!sc->finished_ms)
		sc->finished_ms = engine_now_ms();
	set_reason(sc, reason);
}

/* The stop timeout of this container in microseconds. */
static uint64_t stop_timeout_usec(const struct ectr *c)
{
	if (c->td && c->td->stop_timeout.set && c->td->stop_timeout.value > 0)
		return (uint64_t)c->td->stop_timeout.value * 1000000u;
	return c->task->engine->p.cfg->container_stop_timeout;
}

static int on_kill_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	struct ectr *c = ud;
	struct ecs_err err = { 0 };
	c->kill_timer = sd_event_source_disable_unref(c->kill_timer);
	log_info("Task %s container %s: stop timeout passed, sending SIGKILL",
		 etask_name(c->task), ectr_st(c)->name);
	int r = runtime_kill(&c->task->engine->p.runtime, ectr_runtime_id(c), SIGKILL, &err);
	if (r < 0 && r != -ESRCH)
		log_warn("Task %s container %s: %s", etask_name(c->task), ectr_st(c)->name,
			 err_msg(&err));
	ectr_poll_records(c);
	return 0;
}

/* Arm the SIGKILL timer to fire `after` usec from now. */
static void arm_kill_timer(struct ectr *c, uint64_t after)
{
	sd_event *ev = c->task->engine->p.event;
	uint64_t now = 0;
	sd_event_now(ev, CLOCK_MONOTONIC, &now);
	c->kill_timer = sd_event_source_disable_unref(c->kill_timer);
	if (sd_event_add_time(ev, &c->kill_timer, CLOCK_MONOTONIC, now + after, 1000, on_kill_timer,
			      c) < 0)
		log_error("Task %s container %s: cannot arm the stop timer",
			  etask_name(c->task), ectr_st(c)->name);
}

void ectr_stop(struct ectr *c)
{
	struct state_container *sc = ectr_st(c);
	struct etask *t = c->task;
	if (sc->status == ST_STOPPED || c->kill_sent)
		return;
	if (sc->step < CTR_STEP_SPAWNING) {
		ectr_fail(c, "Task stopped before the container started");
		return;
	}
	c->kill_sent = true;
	int64_t now = engine_now_ms();
	uint64_t timeout = stop_timeout_usec(c);
	if (t->st.stop_sent_ms) {
		/* Resumed after a restart: only what is left of the timeout. */
		int64_t spent = (now - t->st.stop_sent_ms) * 1000;
		timeout = spent >= (int64_t)timeout ? 0 : timeout - (uint64_t)spent;
	} else {
		struct ecs_err err = { 0 };
		int r = runtime_kill(&t->engine->p.runtime, sc->runtime_id, SIGTERM, &err);
		if (r < 0 && r != -ESRCH)
			log_warn("Task %s container %s: %s", etask_name(t), sc->name,
				 err_msg(&err));
	}
	arm_kill_timer(c, timeout);
}

static void apply_exit(struct ectr *c, const struct shim_exit *x)
{
	struct state_container *sc = ectr_st(c);
	ectr_release(c);
	sc->status = ST_STOPPED;
	sc->step = CTR_STEP_DONE;
	sc->finished_ms = x->finished_ms ? x->finished_ms : engine_now_ms();
	sc->oom_killed = x->oom_killed;
	if (x->exit_code >= 0) {
		sc->has_exit = true;
		sc->exit_code = x->exit_code;
	}
	if (x->error[0]) {
		char *why = NULL;
		if (asprintf(&why, "CannotStartContainerError: %s", x->error) >= 0) {
			free(sc->reason);
			sc->reason = why;
		}
	} else if (x->oom_killed) {
		set_reason(sc, "OutOfMemoryError: Container killed due to memory usage");
	}
	log_info("Task %s container %s: exited (code %d%s)", etask_name(c->task), sc->name,
		 x->exit_code, x->oom_killed ? ", OOM killed" : "");
}

void ectr_poll_records(struct ectr *c)
{
	struct state_container *sc = ectr_st(c);
	if (sc->status == ST_STOPPED || sc->step < CTR_STEP_SPAWNING)
		return;
	struct shim_exit x;
	struct shim_started s;
	bool changed = false;
	/* `started` first: when both records are found at once (after a
	 * restart, or a container that exits at once) the start time and pid
	 * are still recorded. */
	if (sc->status != ST_RUNNING && shim_read_started(c->dir, &s, NULL) == 0) {
		c->start_timer = sd_event_source_disable_unref(c->start_timer);
		sc->status = ST_RUNNING;
		sc->started_ms = s.started_ms;
		sc->container_pid = s.pid;
		ectr_start_done(c);
		log_info("Task %s container %s: running (pid %d)", etask_name(c->task), sc->name,
			 (int)s.pid);
		changed = true;
	}
	if (shim_read_exit(c->dir, &x, NULL) == 0) {
		apply_exit(c, &x);
		changed = true;
	}
	if (changed)
		etask_update(c->task);
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *ud)
{
	struct ectr *c = ud;
	if (ev->len && (strcmp(ev->name, "exit") == 0 || strcmp(ev->name, "started") == 0))
		ectr_poll_records(c);
	return 0;
}

static int on_start_timeout(sd_event_source *s, uint64_t usec, void *ud)
{
	struct ectr *c = ud;
	struct engine *e = c->task->engine;
	c->start_timer = sd_event_source_disable_unref(c->start_timer);
	ectr_poll_records(c);
	if (ectr_st(c)->status != ST_NONE && ectr_st(c)->status != ST_PENDING)
		return 0;
	runtime_kill(&e->p.runtime, ectr_runtime_id(c), SIGKILL, NULL);
	runtime_delete(&e->p.runtime, ectr_runtime_id(c), NULL);
	ectr_fail(c, "CannotStartContainerError: the container did not start within "
		     "ECS_CONTAINER_START_TIMEOUT");
	etask_update(c->task);
	return 0;
}

int ectr_watch(struct ectr *c)
{
	struct engine *e = c->task->engine;
	if (!c->watch) {
		int r = sd_event_add_inotify(e->p.event, &c->watch, c->dir,
					     IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR, on_inotify, c);
		if (r < 0)
			log_warn("Task %s container %s: watching %s: %s", etask_name(c->task),
				 ectr_st(c)->name, c->dir, strerror(-r));
	}
	/* Records written before the watch existed. */
	ectr_poll_records(c);
	return 0;
}

void arm_start_timer_for(struct ectr *c)
{
	struct engine *e = c->task->engine;
	uint64_t now = 0;
	sd_event_now(e->p.event, CLOCK_MONOTONIC, &now);
	sd_event_add_time(e->p.event, &c->start_timer, CLOCK_MONOTONIC,
			  now + e->p.cfg->container_start_timeout, 0, on_start_timeout, c);
}

void ectr_cleanup(struct ectr *c)
{
	struct engine *e = c->task->engine;
	struct ecs_err err = { 0 };
	ectr_release(c);
	if (runtime_delete(&e->p.runtime, ectr_runtime_id(c), &err) < 0)
		log_warn("Task %s container %s: %s", etask_name(c->task), ectr_st(c)->name,
			 err_msg(&err));
	if (rootfs_remove(c->dir, &err) < 0)
		log_warn("Task %s container %s: %s", etask_name(c->task), ectr_st(c)->name,
			 err_msg(&err));
	if (fs_rm_rf(c->dir, &err) < 0)
		log_warn("Task %s container %s: %s", etask_name(c->task), ectr_st(c)->name,
			 err_msg(&err));
}
