/* SPDX-License-Identifier: Apache-2.0 */
/* Preparing a container (image, rootfs, user, command, /etc files, bundle)
 * and handing it to a new shim. Every step is idempotent, so a restart
 * that finds a container half-prepared simply prepares it again. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "engine-internal.h"
#include "fsutil.h"
#include "image/image.h"
#include "log.h"
#include "runtime/shim-client.h"
#include "runtime/spec.h"
#include "volumes.h"

static bool driver_available(const struct agent_config *cfg, const char *driver)
{
	for (size_t i = 0; i < cfg->logging_drivers.n; i++)
		if (strcmp(cfg->logging_drivers.items[i], driver) == 0)
			return true;
	return false;
}

/* journald fields naming the task and container. */
struct log_fields {
	char *items[4];
	const char *ptrs[5];
};

static void log_fields_clear(struct log_fields *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(f->items); i++)
		free(f->items[i]);
}

static int log_setup(struct ectr *c, struct shim_log *log, struct log_fields *f,
		     char **log_path, struct ecs_err *err)
{
	const struct agent_config *cfg = c->task->engine->p.cfg;
	const struct td_log_configuration *lc = c->td->log_configuration;
	const char *driver = lc && lc->log_driver ? lc->log_driver : "json-file";
	static const struct td_map no_options = { 0 };
	if (!driver_available(cfg, driver))
		return err_set(err, ENOTSUP,
			       "log driver %s is not available on this instance "
			       "(ECS_AVAILABLE_LOGGING_DRIVERS)", driver);
	int r = shim_log_options(driver, lc ? &lc->options : &no_options, log, err);
	if (r < 0)
		return r;
	if (asprintf(log_path, "%s/%s-json.log", c->dir, ectr_runtime_id(c)) < 0)
		return err_set(err, ENOMEM, "log path");
	log->path = *log_path;
	if (asprintf(&f->items[0], "CONTAINER_NAME=%s", ectr_st(c)->name) < 0 ||
	    asprintf(&f->items[1], "CONTAINER_ID=%s", ectr_runtime_id(c)) < 0 ||
	    asprintf(&f->items[2], "ECS_TASK_ARN=%s", c->task->st.arn) < 0 ||
	    asprintf(&f->items[3], "ECS_TASK_DEFINITION=%s:%u", c->task->st.family,
		     c->task->st.revision) < 0)
		return err_set(err, ENOMEM, "log fields");
	for (size_t i = 0; i < 4; i++)
		f->ptrs[i] = f->items[i];
	f->ptrs[4] = NULL;
	log->fields = f->ptrs;
	return 0;
}

struct prepared {
	struct image img;
	char **args, **env;
	gid_t *gids;
	size_t n_gids;
	uid_t uid;
	gid_t gid;
	char *rootfs, *etc_dir, *log_path, *hostname;
	struct spec_bind *binds;
	size_t n_binds;
	struct log_fields fields;
	struct shim_log log;
};

static void prepared_clear(struct prepared *p)
{
	image_clear(&p->img);
	command_strv_free(p->args);
	command_strv_free(p->env);
	free(p->gids);
	free(p->rootfs);
	free(p->etc_dir);
	free(p->log_path);
	free(p->hostname);
	volumes_binds_free(p->binds, p->n_binds);
	log_fields_clear(&p->fields);
}

void prepared_free(struct prepared *p)
{
	if (!p)
		return;
	prepared_clear(p);
	free(p);
}

static int prepare(struct ectr *c, struct prepared *p, struct ecs_err *err)
{
	struct etask *t = c->task;
	struct engine *e = t->engine;
	const struct td_container *td = c->td;
	enum td_network_mode mode = taskdef_network_mode(t->td);
	int r;

	free(ectr_st(c)->image_digest);
	ectr_st(c)->image_digest = p->img.digest ? strdup(p->img.digest) : NULL;

	r = fs_mkdir_p(c->dir, 0700, err);
	if (r < 0)
		return err_wrap(err, "CannotCreateContainerError");
	r = rootfs_mount(&p->img, c->dir, err);
	if (r < 0)
		return err_wrap(err, "CannotCreateContainerError: mounting the root filesystem");
	if (asprintf(&p->rootfs, "%s/rootfs", c->dir) < 0 ||
	    asprintf(&p->etc_dir, "%s/etc", c->dir) < 0)
		return err_set(err, ENOMEM, "paths");

	const char *user = td->user ? td->user : p->img.user;
	r = image_resolve_user(p->rootfs, user, &p->uid, &p->gid, &p->gids, &p->n_gids, err);
	if (r < 0)
		return err_wrap(err, "CannotStartContainerError: user");

	if (mode != TD_NET_HOST) {
		const char *h = td->hostname;
		p->hostname = h ? strdup(h) : strndup(ectr_runtime_id(c) + 4, 12);
		if (!p->hostname)
			return err_set(err, ENOMEM, "hostname");
	}
	r = command_args(p->img.entrypoint, p->img.cmd, &td->entry_point, &td->command, &p->args,
			 err);
	if (r >= 0)
		r = command_env(p->img.env, td, p->hostname, &p->env, err);
	if (r < 0)
		return err_wrap(err, "CannotCreateContainerError");

	enum spec_net net = mode == TD_NET_HOST ? SPEC_NET_HOST : SPEC_NET_NONE;
	r = fs_mkdir_p(p->etc_dir, 0755, err);
	if (r >= 0)
		r = spec_write_etc_files(td, p->hostname, net, "/etc/resolv.conf", "/etc/hosts",
					 p->etc_dir, err);
	if (r < 0)
		return err_wrap(err, "CannotCreateContainerError");

	r = volumes_binds(t, td, &p->binds, &p->n_binds, err);
	if (r < 0)
		return err_wrap(err, "CannotCreateContainerError");

	_cleanup_free_ char *cg = NULL;
	if (asprintf(&cg, "%s/%s", t->cgroup, ectr_st(c)->name) < 0)
		return err_set(err, ENOMEM, "cgroup path");
	const char *cwd = td->working_directory ? td->working_directory : p->img.working_dir;
	struct container_spec s = {
		.rootfs = p->rootfs,
		.args = p->args,
		.env = p->env,
		.cwd = cwd && *cwd ? cwd : "/",
		.uid = p->uid,
		.gid = p->gid,
		.gids = p->gids,
		.n_gids = p->n_gids,
		.hostname = p->hostname,
		.net = net,
		.cgroups_path = cg,
		.cpu_shares = td->cpu.set && td->cpu.value >= 2 ? td->cpu.value : 2,
		.memory_bytes = td->memory.set ? td->memory.value * 1024 * 1024 : 0,
		.memory_soft_bytes =
			td->memory_reservation.set ? td->memory_reservation.value * 1024 * 1024 : 0,
		.init_path = e->p.init_binary,
		.etc_dir = p->etc_dir,
		.binds = p->binds,
		.n_binds = p->n_binds,
		.td = td,
		.task_arn = t->st.arn,
		.container_name = ectr_st(c)->name,
	};
	r = spec_write_bundle(&s, c->dir, err);
	if (r < 0)
		return err_wrap(err, "CannotCreateContainerError");
	return 0;
}

int ectr_spawn_prepared(struct ectr *c, struct prepared *p, struct ecs_err *err)
{
	struct etask *t = c->task;
	struct engine *e = t->engine;
	struct state_container *sc = ectr_st(c);
	/* Recorded before the spawn: a restart that finds SPAWNING looks for
	 * the shim's own pid file. */
	sc->step = CTR_STEP_SPAWNING;
	int r = etask_save(t);
	if (r < 0)
		return err_set(err, -r, "CannotStartContainerError: saving the container's state");
	struct shim_params sp = {
		.shim_binary = e->p.shim_binary,
		.runtime = &e->p.runtime,
		.id = sc->runtime_id,
		.bundle = c->dir,
		.state_dir = c->dir,
		.log = p->log,
		.spare = &e->spare,
	};
	pid_t pid = shim_spawn(&sp, err);
	if (pid < 0)
		return err_wrap(err, "CannotStartContainerError: starting the shim");
	/* Not saved here: a restart that finds SPAWNING adopts the shim through
	 * its own pid file, and the next save (the RUNNING report) records it. */
	sc->shim_pid = pid;
	sc->step = CTR_STEP_SPAWNED;
	arm_start_timer_for(c);
	ectr_watch(c);
	return 0;
}

/* The image is there: prepare the rest, then hand the container to a shim
 * now, or as soon as a start slot is free (start-queue.c). Preparing does
 * not wait for a slot, so it overlaps the runtime starts in flight. */
static int start_with_image(struct ectr *c, struct prepared *p, struct ecs_err *err)
{
	int r = prepare(c, p, err);
	if (r < 0)
		return r;
	r = log_setup(c, &p->log, &p->fields, &p->log_path, err);
	if (r < 0)
		return err_wrap(err, "CannotStartContainerError");
	if (start_slot_take(c))
		return ectr_spawn_prepared(c, p, err);
	struct prepared *keep = malloc(sizeof(*keep));
	if (!keep)
		return err_set(err, ENOMEM, "out of memory");
	*keep = *p;
	*p = (struct prepared){ 0 };
	/* The journald field pointers point into the struct itself. */
	for (size_t i = 0; i < ARRAY_SIZE(keep->fields.items); i++)
		keep->fields.ptrs[i] = keep->fields.items[i];
	if (keep->log.fields)
		keep->log.fields = keep->fields.ptrs;
	start_queue_push(c, keep);
	return 0;
}

static void on_image(void *ud, const struct image *img, const struct ecs_err *why)
{
	struct ectr *c = ud;
	struct etask *t = c->task;
	struct ecs_err err = { 0 };
	struct prepared p = { 0 };
	int r;
	c->pull = NULL; /* the handle dies with this call */
	t->st.pull_stopped_ms = engine_now_ms();
	if (!img)
		r = err_set(&err, why->code ? why->code : EIO, "CannotPullContainerError: %s",
			    err_msg(why));
	else if ((r = image_copy(img, &p.img, &err)) >= 0)
		r = start_with_image(c, &p, &err);
	prepared_clear(&p);
	if (r < 0)
		ectr_fail_start(c, err_msg(&err));
	else
		etask_update(t);
}

static struct image_request image_request_for(const struct ectr *c)
{
	const struct agent_config *cfg = c->task->engine->p.cfg;
	return (struct image_request){
		.reference = c->td->image,
		.datadir = cfg->datadir,
		.pull_behavior = agent_config_pull_behavior_name(cfg),
		.insecure_registries = (const char *const *)cfg->insecure_registries.items,
		.n_insecure_registries = cfg->insecure_registries.n,
		.auth_type = agent_config_auth_type_name(cfg),
		.auth_data = cfg->engine_auth_data,
		/* NULL until a poll delivered them (after a restart): engine
		 * credentials only, as docs/protocol.md says */
		.username = c->reg_username,
		.password = c->reg_password,
		.ca_file = cfg->registry_ca_file,
		.timeout_ms = cfg->pull_timeout / 1000,
		.inactivity_timeout_ms = cfg->pull_inactivity_timeout / 1000,
	};
}

int ectr_start(struct ectr *c, struct ecs_err *err)
{
	struct etask *t = c->task;
	struct engine *e = t->engine;
	struct state_container *sc = ectr_st(c);
	struct prepared p = { 0 };
	int r;

	if (!c->td)
		return err_set(err, EINVAL, "CannotCreateContainerError: no definition for %s",
			       sc->name);
	if (!image_ref_supported(c->td->image))
		return err_set(err, EINVAL, "CannotPullContainerError: %s: invalid reference format",
			       c->td->image);
	if (c->reg_error && c->td->repository_credentials)
		return err_set(err, EACCES,
			       "CannotPullContainerError: %s: repository credentials %s: %s",
			       c->td->image,
			       c->td->repository_credentials->credentials_parameter, c->reg_error);
	/* PREPARING is not saved: preparing is idempotent, so a restart that
	 * finds the container NEW prepares it again over whatever exists, and a
	 * stopped task's cleanup removes it. One fsync less per container. */
	sc->step = CTR_STEP_PREPARING;
	sc->status = ST_PENDING;
	sc->created_ms = engine_now_ms();
	if (!t->st.pull_started_ms)
		t->st.pull_started_ms = engine_now_ms();
	struct image_request rq = image_request_for(c);
	r = image_fetch(e->fetcher, &rq, &p.img, on_image, c, &c->pull, err);
	if (r == 0)
		return 0; /* on_image goes on */
	if (r > 0) {
		t->st.pull_stopped_ms = engine_now_ms();
		r = start_with_image(c, &p, err);
	} else {
		err_wrap(err, "CannotPullContainerError: %s", c->td->image);
	}
	prepared_clear(&p);
	return r;
}
