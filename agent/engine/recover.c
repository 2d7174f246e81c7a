/* SPDX-License-Identifier: Apache-2.0 */
/* Restart: re-adopt containers through their shims, apply exits that
 * happened while the agent was away, finish or roll back interrupted work,
 * and sweep whatever no task owns (runtime containers, mounts, cgroups,
 * directories). */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cgroup.h"
#include "engine-internal.h"
#include "fsutil.h"
#include "image/image.h"
#include "log.h"
#include "runtime/shim-client.h"

static void kill_shim(pid_t pid, const char *state_dir, void *ud)
{
	log_info("Sweep: killing shim %d of %s that no container owns", (int)pid, state_dir);
	kill(pid, SIGKILL);
}

/* A container found half-prepared or with a shim that never came up: undo
 * what may exist so it can be prepared again from scratch. A shim forked
 * just before the previous agent died may not have written shim.pid yet:
 * it is found by its command line. */
static void roll_back(struct ectr *c)
{
	struct engine *e = c->task->engine;
	struct state_container *sc = ectr_st(c);
	shim_find(c->dir, kill_shim, NULL);
	runtime_kill(&e->p.runtime, sc->runtime_id, SIGKILL, NULL);
	runtime_delete(&e->p.runtime, sc->runtime_id, NULL);
	rootfs_remove(c->dir, NULL);
	fs_rm_rf(c->dir, NULL);
	sc->step = CTR_STEP_NEW;
	sc->shim_pid = 0;
	sc->status = ST_PENDING;
}

static void recover_container(struct ectr *c, bool stopping)
{
	struct state_container *sc = ectr_st(c);
	struct shim_exit x;
	pid_t pid = 0;
	switch (sc->step) {
	case CTR_STEP_NEW:
		if (stopping)
			ectr_fail(c, "Task stopped before the container started");
		return;
	case CTR_STEP_PREPARING:
		roll_back(c);
		if (stopping)
			ectr_fail(c, "Task stopped before the container started");
		return;
	case CTR_STEP_SPAWNING:
		if (shim_read_exit(c->dir, &x, NULL) == 0 ||
		    (shim_read_pid(c->dir, &pid, NULL) == 0 && shim_alive(pid, c->dir))) {
			if (pid)
				sc->shim_pid = pid;
			sc->step = CTR_STEP_SPAWNED;
			break;
		}
		roll_back(c);
		if (stopping)
			ectr_fail(c, "Task stopped before the container started");
		return;
	case CTR_STEP_SPAWNED:
		break;
	default:
		return;
	}
	/* SPAWNED: the shim owns the container; read what it recorded. */
	ectr_watch(c);
	if (!ectr_check_alive(c) && sc->status == ST_PENDING)
		arm_start_timer_for(c);
}

bool ectr_check_alive(struct ectr *c)
{
	struct state_container *sc = ectr_st(c);
	if (sc->status == ST_STOPPED || sc->step != CTR_STEP_SPAWNED)
		return false;
	if (shim_alive((pid_t)sc->shim_pid, c->dir))
		return false;
	/* The shim is gone: it writes `exit` before it exits, so read again. */
	ectr_poll_records(c);
	if (sc->status == ST_STOPPED)
		return true;
	struct engine *e = c->task->engine;
	runtime_kill(&e->p.runtime, sc->runtime_id, SIGKILL, NULL);
	runtime_delete(&e->p.runtime, sc->runtime_id, NULL);
	ectr_fail(c, "ContainerLost: its shim exited without recording a status");
	etask_update(c->task);
	return true;
}

static int on_liveness(sd_event_source *s, uint64_t usec, void *ud)
{
	struct engine *e = ud;
	for (struct etask *t = e->tasks; t; t = t->next)
		for (size_t i = 0; t->st.step < TASK_STEP_STOPPED && i < t->st.n_containers; i++)
			ectr_check_alive(&t->ctrs[i]);
	sd_event_source_set_time_relative(s, 5 * 1000000u);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

static void recover_task(struct etask *t)
{
	switch (t->st.step) {
	case TASK_STEP_CLEANED:
		return;
	case TASK_STEP_STOPPED:
		etask_schedule_cleanup(t);
		return;
	case TASK_STEP_NEW:
		if (t->st.desired_status == ST_STOPPED)
			etask_fail(t, t->st.reason ? t->st.reason : "Task stopped before it started");
		else
			etask_start(t);
		return;
	default:
		break;
	}
	bool stopping = t->st.step == TASK_STEP_STOPPING;
	for (size_t i = 0; i < t->st.n_containers; i++)
		recover_container(&t->ctrs[i], stopping);
	etask_save(t);
	if (stopping) {
		for (size_t i = 0; i < t->st.n_containers; i++)
			ectr_stop(&t->ctrs[i]);
		etask_update(t);
	} else {
		/* Containers rolled back to NEW are prepared again. */
		etask_start(t);
	}
}

int engine_recover(struct engine *e, struct ecs_err *err)
{
	struct state_task *list = NULL;
	size_t n = 0;
	int r = state_tasks_load(e->p.state, &list, &n, err);
	if (r < 0)
		return err_wrap(err, "loading tasks");
	for (size_t i = 0; i < n; i++) {
		char *why = NULL;
		struct etask *t = etask_from_state(e, &list[i], &why);
		if (!t) {
			state_tasks_free(list, n);
			return err_set(err, ENOMEM, "loading tasks");
		}
		if (why && !t->st.reason)
			t->st.reason = why;
		else
			free(why);
		t->next = e->tasks;
		e->tasks = t;
	}
	state_tasks_free(list, n);
	unsigned adopted = 0;
	for (struct etask *t = e->tasks; t; t = t->next) {
		if (t->st.step < TASK_STEP_STOPPED)
			adopted++;
		recover_task(t);
	}
	recover_sweep(e);
	/* A shim that dies without writing `exit` (it was killed) is noticed
	 * here; exits themselves arrive through inotify. */
	sd_event_add_time_relative(e->p.event, &e->liveness, CLOCK_MONOTONIC, 5 * 1000000u, 0,
				   on_liveness, e);
	image_gc_arm(e);
	engine_spare_refill(e);
	log_info("Recovered %u active task(s) from %s", adopted, e->p.cfg->datadir);
	return 0;
}

/* Whether a runtime id belongs to a container the engine still runs. */
static bool id_in_use(struct engine *e, const char *id)
{
	for (struct etask *t = e->tasks; t; t = t->next)
		for (size_t i = 0; i < t->st.n_containers; i++) {
			const struct state_container *sc = &t->st.containers[i];
			if (strcmp(sc->runtime_id, id) == 0)
				return sc->step >= CTR_STEP_SPAWNING && sc->step < CTR_STEP_DONE;
		}
	return false;
}

static struct etask *task_by_id(struct engine *e, const char *id)
{
	for (struct etask *t = e->tasks; t; t = t->next)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

static void sweep_runtime(struct engine *e)
{
	char **ids = NULL;
	size_t n = 0;
	struct ecs_err err = { 0 };
	if (runtime_list(&e->p.runtime, &ids, &n, &err) < 0) {
		log_warn("Sweep: listing runtime containers: %s", err_msg(&err));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (strncmp(ids[i], "ecs-", 4) == 0 && !id_in_use(e, ids[i])) {
			log_info("Sweep: removing runtime container %s that no task owns", ids[i]);
			runtime_kill(&e->p.runtime, ids[i], SIGKILL, NULL);
			runtime_delete(&e->p.runtime, ids[i], NULL);
		}
		free(ids[i]);
	}
	free(ids);
}

/* Unmount rootfs mounts under the tasks directory that no running
 * container owns. mountinfo field 5 is the mount point, octal-escaped. */
static void sweep_mounts(struct engine *e)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	char line[4096];
	size_t plen = strlen(e->tasks_dir);
	while (fgets(line, sizeof(line), f)) {
		char mnt[4096];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (strncmp(mnt, e->tasks_dir, plen) != 0 || mnt[plen] != '/')
			continue;
		/* tasks/<task id>/...: container rootfs overlays and tmpfs
		 * volumes. A task that is not cleaned up yet keeps them all. */
		char tid[256];
		if (sscanf(mnt + plen + 1, "%255[^/]", tid) != 1)
			continue;
		struct etask *t = task_by_id(e, tid);
		if (!t || t->st.step >= TASK_STEP_CLEANED) {
			log_info("Sweep: unmounting %s that no task owns", mnt);
			umount2(mnt, MNT_DETACH);
		}
	}
}

static void sweep_dirs_and_cgroups(struct engine *e)
{
	DIR *d = opendir(e->tasks_dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		struct etask *t = task_by_id(e, de->d_name);
		if (t && t->st.step < TASK_STEP_CLEANED)
			continue;
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/%s", e->tasks_dir, de->d_name) < 0)
			continue;
		struct ecs_err err = { 0 };
		log_info("Sweep: removing %s that no task owns", path);
		if (fs_rm_rf(path, &err) < 0)
			log_warn("Sweep: %s", err_msg(&err));
	}
	if (d)
		closedir(d);

	char **names = NULL;
	size_t n = 0;
	if (cgroup_children(e->p.cfg->cgroup_parent, &names, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct etask *t = task_by_id(e, names[i]);
		if (!t || t->st.step >= TASK_STEP_CLEANED) {
			_cleanup_free_ char *path = NULL;
			struct ecs_err err = { 0 };
			if (asprintf(&path, "%s/%s", e->p.cfg->cgroup_parent, names[i]) >= 0) {
				log_info("Sweep: removing cgroup %s that no task owns", path);
				if (cgroup_remove(path, &err) < 0)
					log_warn("Sweep: %s", err_msg(&err));
			}
		}
		free(names[i]);
	}
	free(names);
}

/* Shims of containers that are not running any more (the task is gone, or
 * the container is recorded as done) are killed. */
static void sweep_shim(pid_t pid, const char *state_dir, void *ud)
{
	struct engine *e = ud;
	for (struct etask *t = e->tasks; t; t = t->next)
		for (size_t i = 0; t->st.step < TASK_STEP_CLEANED && i < t->st.n_containers; i++)
			if (strcmp(t->ctrs[i].dir, state_dir) == 0 &&
			    t->st.containers[i].step >= CTR_STEP_SPAWNING &&
			    t->st.containers[i].step < CTR_STEP_DONE)
				return;
	kill_shim(pid, state_dir, NULL);
}

void recover_sweep(struct engine *e)
{
	shim_find(e->tasks_dir, sweep_shim, e);
	sweep_runtime(e);
	sweep_mounts(e);
	sweep_dirs_and_cgroups(e);
}
