/* SPDX-License-Identifier: Apache-2.0 */
/* The ecs-agent daemon: one sd-event loop holding the engine and the
 * control-plane session. READY=1 is sent only after state recovery. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cgroup.h"
#include "daemon.h"
#include "fsutil.h"
#include "fileio.h"
#include "log.h"
#include "memtrim.h"
#include "memtrim-zero.h"
#include "procfs.h"

static void status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void status(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
	log_info("%s", buf);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct daemon *d = ud;
	log_info("Received %s: exiting; containers keep running under their shims",
		 strsignal((int)si->ssi_signo));
	sd_notify(0, "STOPPING=1");
	return sd_event_exit(d->event, 0);
}

/* The agent is a child subreaper: shims it spawned are its children, and
 * anything orphaned below it is reparented here rather than to PID 1. Reap
 * them all; the engine learns about exits from the shims' records. */
static int on_sigchld(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	int st;
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
	return 0;
}

static int on_watchdog(sd_event_source *s, uint64_t usec, void *ud)
{
	struct daemon *d = ud;
	sd_notify(0, "WATCHDOG=1");
	sd_event_source_set_time_relative(s, d->cfg->watchdog_interval / 2);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

static int64_t host_memory_mib(void)
{
	unsigned long long kb;
	return procfs_field("/proc/meminfo", "MemTotal: %llu kB", &kb) ? (int64_t)(kb / 1024) : 0;
}

static char *read_identity(const struct agent_config *cfg)
{
	if (cfg->instance_identity)
		return strdup(cfg->instance_identity);
	char *buf = NULL;
	size_t len = 0;
	if (file_read_all("/etc/machine-id", 4096, &buf, &len, NULL) < 0)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/* cp-client callbacks */
static int cb_fill_register(void *ud, Ecsagent__RegisterRequest *req, struct ecs_err *err)
{
	return registration_fill(ud, req, err);
}

static void cb_registered(void *ud, const char *arn)
{
	struct daemon *d = ud;
	status("Registered as %s", arn);
	/* Start-up is over: recovery, the TLS back end and the first
	 * exchange have run. Unmap what they alone touched. */
	if (!d->trimmed) {
		d->trimmed = true;
		long kb = memtrim_self();
		if (kb < 0)
			log_warn("Unmapping start-up library pages: %s", strerror((int)-kb));
		else
			log_debug("Unmapped %ld kB of library pages used only at start-up", kb);
		kb = memtrim_zero_bss();
		if (kb < 0)
			log_debug("Not dropping zero .bss pages: %s", strerror((int)-kb));
		else
			log_debug("Dropped %ld kB of all-zero .bss pages", kb);
	}
}

static void cb_desired(void *ud, const Ecsagent__PollResponse *resp)
{
	struct daemon *d = ud;
	engine_apply_desired(d->engine, resp);
}

static void cb_deregistered(void *ud)
{
	struct daemon *d = ud;
	status("%s", "Container instance deregistered: stopping every task");
	engine_stop_all(d->engine, ECSAGENT__STOP_CODE__USER_INITIATED,
			"Container instance deregistered");
}

static int cb_fill_telemetry(void *ud, Ecsagent__TelemetryRequest *req, struct ecs_err *err)
{
	struct daemon *d = ud;
	return engine_fill_telemetry(d->engine, req, err);
}

static void cb_connection(void *ud, bool connected, const char *detail)
{
	if (connected)
		status("Connected to the control plane");
	else
		status("Control plane unreachable: %s", detail ? detail : "");
}

static void kick_reports(void *ud)
{
	struct daemon *d = ud;
	if (d->cp)
		cp_client_kick_reports(d->cp);
}

static const struct cp_client_ops cp_ops = {
	.fill_register = cb_fill_register,
	.registered = cb_registered,
	.desired = cb_desired,
	.deregistered = cb_deregistered,
	.fill_telemetry = cb_fill_telemetry,
	.connection = cb_connection,
};

static void daemon_clear(struct daemon *d)
{
	cp_client_free(d->cp);
	engine_free(d->engine);
	state_close(d->state);
	registration_free(d->reg);
	sd_event_unref(d->event);
	agent_config_free(d->cfg);
	free(d->runtime_root);
	free(d->runtime_version);
	free(d->hostname);
	free(d->identity);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
}

/* One agent per data directory: a second one would fight over the
 * containers. The lock dies with the process, kill -9 included. */
static int take_lock(struct daemon *d, struct ecs_err *err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/agent.lock", d->cfg->datadir) < 0)
		return err_set(err, ENOMEM, "lock path");
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0)
		return err_set_errno(err, errno, "opening %s", path);
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return err_set(err, EBUSY, "another ecs-agent is using %s (%s is locked)",
			       d->cfg->datadir, path);
	return 0;
}

static int setup(struct daemon *d, struct ecs_err *err)
{
	const struct agent_config *cfg = d->cfg;
	int r;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return err_set_errno(err, errno, "becoming a child subreaper");
	if ((r = fs_mkdir_p(cfg->datadir, 0700, err)) < 0)
		return r;
	if ((r = take_lock(d, err)) < 0)
		return r;
	if (asprintf(&d->runtime_root, "%s/runtime/%s", cfg->datadir,
		     agent_config_runtime_name(cfg)) < 0)
		return err_set(err, ENOMEM, "paths");
	if ((r = fs_mkdir_p(d->runtime_root, 0700, err)) < 0)
		return r;
	if ((r = cgroup_setup(err)) < 0)
		return err_wrap(err, "cgroups");
	if ((r = state_open(cfg->datadir, &d->state, err)) < 0)
		return r;

	if ((r = sd_event_default(&d->event)) < 0)
		return err_set(err, -r, "creating the event loop");
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sd_event_add_signal(d->event, NULL, SIGTERM, on_signal, d);
	sd_event_add_signal(d->event, NULL, SIGINT, on_signal, d);
	sd_event_add_signal(d->event, NULL, SIGCHLD, on_sigchld, d);

	struct engine_params ep = {
		.event = d->event,
		.cfg = cfg,
		.state = d->state,
		.runtime = { .binary = agent_config_runtime_binary(cfg),
			     .name = agent_config_runtime_name(cfg),
			     .root = d->runtime_root },
		.shim_binary = agent_config_shim_binary(cfg),
		.init_binary = agent_config_init_binary(cfg),
		.image_helper = agent_config_image_binary(cfg),
		.cpu_units = sysconf(_SC_NPROCESSORS_ONLN) * 1024,
		.memory_mib = host_memory_mib() - cfg->reserved_memory_mib,
	};
	if ((r = engine_new(&ep, &d->engine, err)) < 0)
		return r;
	d->runtime_version = runtime_version(&ep.runtime, NULL);
	return 0;
}

static int run(struct daemon *d, struct ecs_err *err)
{
	int r;
	status("Recovering tasks from %s", d->cfg->datadir);
	if ((r = engine_recover(d->engine, err)) < 0)
		return err_wrap(err, "recovering state");

	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	d->hostname = strdup(host);
	d->identity = read_identity(d->cfg);
	struct cp_client_params cpp = {
		.url = d->cfg->controlplane_url,
		.cluster = d->cfg->cluster,
		.join_token = d->cfg->join_token,
		.instance_identity = d->identity ? d->identity : host,
		.hostname = d->hostname,
		.poll_wait_usec = d->cfg->poll_wait,
		.max_backoff_usec = d->cfg->reconnect_max_backoff,
	};
	if ((r = cp_client_new(d->event, d->state, &cpp, &cp_ops, d, &d->cp, err)) < 0)
		return r;
	engine_set_report_hook(d->engine, kick_reports, d);

	uint64_t wd = 0;
	if (sd_watchdog_enabled(0, &wd) > 0 && wd > 0) {
		d->cfg->watchdog_interval = wd;
		sd_event_add_time_relative(d->event, NULL, CLOCK_MONOTONIC, wd / 2, 0, on_watchdog,
					   d);
	}
	sd_notifyf(0, "READY=1\nSTATUS=Running %u task(s); registering with %s",
		   engine_active_tasks(d->engine), d->cfg->controlplane_url);
	if ((r = cp_client_start(d->cp, err)) < 0)
		return r;
	r = sd_event_loop(d->event);
	if (r < 0)
		return err_set(err, -r, "event loop");
	return 0;
}

int cmd_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (ch != 'c') {
			fprintf(stderr, "Usage: ecs-agent [--config FILE]\n");
			return 2;
		}
		path = optarg;
	}
	struct daemon d = { .lock_fd = -1 };
	struct ecs_err err = { 0 };
	int r = agent_config_load(path, path != NULL, &d.cfg, &err);
	if (r >= 0) {
		enum log_level lvl;
		static const char *const names[] = { "crit", "error", "warn", "info", "debug" };
		if (d.cfg->loglevel >= 0 && d.cfg->loglevel < 5 &&
		    log_level_parse(names[d.cfg->loglevel], &lvl) == 0)
			log_set_level(lvl);
		r = agent_config_check_runnable(d.cfg, &err);
	}
	if (r >= 0)
		r = setup(&d, &err);
	if (r >= 0)
		r = run(&d, &err);
	if (r < 0) {
		log_error("%s", err_msg(&err));
		sd_notifyf(0, "STATUS=Failed: %s", err_msg(&err));
	}
	daemon_clear(&d);
	return r < 0 ? 1 : 0;
}
