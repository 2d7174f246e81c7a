/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "logger.h"
#include "memtrim.h"
#include "oom.h"
#include "records.h"
#include "runcmd.h"

/* How long to keep reading the pipes after the init exited: normally EOF
 * comes at once, but a process outside the container's pid namespace may
 * hold them open, and the exit must still be recorded. */
#define DRAIN_MS 1000

struct shim {
	const struct shim_opts *o;
	int devnull;
	int sigfd;
	struct shim_logger log;
	pid_t init;           /* the container's init */
	bool by_children;     /* init from our children list, not a pid file */
	struct shim_oom *oom;
	bool exited;
	int status;           /* init's wait status */
	int64_t started_ms;   /* when `run --detach` returned: the container runs */
	int64_t finished_ms;
};

/* Fixed buffers outside the stack; see logger.h. */
static struct shim_stream out_stream, err_stream;
static struct shim_oom oom_state;

int64_t shim_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const struct shim *s, const char *what, int r)
{
	dprintf(STDERR_FILENO, "ecs-agent-shim: %s: %s: %s\n", s->o->id, what, strerror(-r));
}

static void rt_delete(struct shim *s)
{
	char *argv[] = { (char *)s->o->runtime, "--root", (char *)s->o->runtime_root, "delete",
			 "--force", (char *)s->o->id, NULL };
	char buf[1024];
	int st = runcmd_capture(argv, s->devnull, buf, sizeof(buf));
	if (st < 0)
		say(s, "running delete", st);
}

/* Reap every child that is gone; note the init's status. */
static void reap(struct shim *s)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p <= 0)
			return;
		if (p == s->init && !s->exited) {
			s->exited = true;
			s->status = st;
			s->finished_ms = shim_now_ms();
		}
	}
}

static void write_exit(struct shim *s, const struct shim_exit *e)
{
	char text[SHIM_RECORD_MAX];
	int n = shim_record_format_exit(text, sizeof(text), e);
	int r = n < 0 ? n : shim_record_write(s->o->state_dir, SHIM_EXIT_FILE, text, (size_t)n,
							   true);
	if (r < 0)
		say(s, "writing exit record", r);
}

/* The container never ran: record why, clean up what the runtime left. */
static int fail_start(struct shim *s, const char *error)
{
	struct shim_exit e = { .exit_code = -1, .finished_ms = shim_now_ms() };
	snprintf(e.error, sizeof(e.error), "%s", error);
	write_exit(s, &e);
	rt_delete(s);
	/* `delete --force` killed a created init, if there was one. */
	reap(s);
	return 1;
}

/* /proc/self/task/PID/children (CONFIG_PROC_CHILDREN): how the shim
 * learns its container's init without a pid file. */
static void children_path(char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/task/%d/children", (int)getpid());
}

static int read_small(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, cap);
	close(fd);
	if (n < 0)
		return -EIO;
	*len = (size_t)n;
	return 0;
}

/* The container's init. `run --detach` exits once the init runs, and the
 * kernel reparents the init to us (a subreaper): it is our one child, live
 * or a zombie we have not reaped. Read from our children list, else from
 * the runtime's pid file. */
static int read_container_pid(struct shim *s, pid_t *out)
{
	char path[PATH_MAX], buf[256];
	size_t n = 0;
	if (s->by_children)
		children_path(path, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s/%s", s->o->state_dir, SHIM_CONTAINER_PID_FILE);
	int r = read_small(path, buf, sizeof(buf), &n);
	return r < 0 ? r : runcmd_parse_one_pid(buf, n, out);
}

/* `RUNTIME run --detach` with the pipes as the container's stdout/stderr:
 * one runtime start-up instead of two (create, then start) halves the
 * time to a running container, which is the runtime's Go start-up. The
 * runtime passes its stdio to the container when there is no terminal. */
static int run_detached(struct shim *s, int out_w, int err_r, int err_w)
{
	/* No --pid-file where our children list tells the init: runc writes
	 * the pid file with O_SYNC, a disk flush in every start (over a
	 * millisecond here). runc only: its `run --detach` has reaped its
	 * intermediate processes when it exits, leaving the init our one
	 * child; crun's may outlive crun for a moment. */
	char path[PATH_MAX];
	children_path(path, sizeof(path));
	const char *base = strrchr(s->o->runtime, '/');
	base = base ? base + 1 : s->o->runtime;
	s->by_children = strcmp(base, "runc") == 0 && access(path, R_OK) == 0;
	char pidfile[PATH_MAX];
	snprintf(pidfile, sizeof(pidfile), "%s/%s", s->o->state_dir, SHIM_CONTAINER_PID_FILE);
	unlink(pidfile);
	char *argv[] = { (char *)s->o->runtime, "--root", (char *)s->o->runtime_root, "run",
			 "--detach", "--bundle", (char *)s->o->bundle, "--pid-file", pidfile,
			 (char *)s->o->id, NULL };
	if (s->by_children) {
		argv[7] = (char *)s->o->id;
		argv[8] = NULL;
	}
	pid_t pid = runcmd_spawn(argv, s->devnull, out_w, err_w);
	if (pid < 0) {
		say(s, "starting the runtime", pid);
		return fail_start(s, "cannot run the runtime");
	}
	int st = runcmd_wait(pid);
	if (st == 0) {
		s->started_ms = shim_now_ms();
		return 0;
	}

	/* The runtime's complaint is in the stderr pipe: the container has
	 * not run, so nothing else wrote there. */
	char text[4096], line[sizeof(((struct shim_exit *)0)->error)];
	ssize_t n = read(err_r, text, sizeof(text));
	runcmd_error_line(text, n > 0 ? (size_t)n : 0, line, sizeof(line));
	if (!line[0]) {
		char how[64];
		runcmd_describe_status(st, how, sizeof(how));
		snprintf(line, sizeof(line), "runtime run %s", how);
	}
	return fail_start(s, line);
}

static void drain_signals(struct shim *s)
{
	struct signalfd_siginfo si[8];
	while (read(s->sigfd, si, sizeof(si)) > 0)
		;
}

static void pump(struct shim *s, struct shim_stream *st, short revents)
{
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	int r = stream_read(&s->log, st);
	if (r < 0 && r != -EAGAIN) {
		say(s, "reading container output", r);
		close(st->fd);
		st->fd = -1;
	}
}

/* Until the init is gone and its output read (or DRAIN_MS passed). */
static void run_loop(struct shim *s)
{
	int64_t deadline = 0;

	reap(s);
	for (;;) {
		if (s->exited && out_stream.fd < 0 && err_stream.fd < 0)
			break;
		int timeout = -1;
		if (s->exited) {
			if (!deadline)
				deadline = mono_ms() + DRAIN_MS;
			int64_t left = deadline - mono_ms();
			if (left <= 0)
				break;
			timeout = (int)left;
		}
		struct pollfd p[3] = {
			{ .fd = s->sigfd, .events = POLLIN },
			{ .fd = out_stream.fd, .events = POLLIN },
			{ .fd = err_stream.fd, .events = POLLIN },
		};
		int n = poll(p, 3, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			say(s, "poll", -errno);
			break;
		}
		if (p[0].revents & POLLIN) {
			drain_signals(s);
			reap(s);
		}
		pump(s, &out_stream, p[1].revents);
		pump(s, &err_stream, p[2].revents);
	}
	stream_flush(&s->log, &out_stream);
	stream_flush(&s->log, &err_stream);
}

static void record_exit(struct shim *s)
{
	struct shim_exit e = { .finished_ms = s->finished_ms };
	if (WIFSIGNALED(s->status)) {
		e.signal = WTERMSIG(s->status);
		e.exit_code = 128 + e.signal;
	} else {
		e.exit_code = WEXITSTATUS(s->status);
	}
	e.oom_killed = s->oom && oom_killed(s->oom);
	write_exit(s, &e);
}

static int make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	/* Only our end is non-blocking; the container's stays blocking, so
	 * a chatty container waits for us instead of getting EAGAIN. */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	return 0;
}

int shim_supervise(const struct shim_opts *o)
{
	struct shim s = { .o = o, .sigfd = -1, .init = -1 };
	char msg[256];
	int r;

	s.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (s.devnull < 0) {
		say(&s, "/dev/null", -errno);
		return 1;
	}
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	s.sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s.sigfd < 0) {
		say(&s, "signalfd", -errno);
		return fail_start(&s, "shim: signalfd failed");
	}
	none_open(&s.log);
	if ((r = logger_open(&s.log, o, msg, sizeof(msg))) < 0)
		return fail_start(&s, msg);

	int out[2], err[2];
	if ((r = make_pipe(out)) < 0 || (r = make_pipe(err)) < 0) {
		snprintf(msg, sizeof(msg), "shim: pipe: %s", strerror(-r));
		return fail_start(&s, msg);
	}
	stream_init(&out_stream, "stdout", 6, out[0]);
	stream_init(&err_stream, "stderr", 3, err[0]);

	r = run_detached(&s, out[1], err[0], err[1]);
	/* Only the container holds the write ends now: EOF means it (and
	 * whatever inherited them) is gone. */
	close(out[1]);
	close(err[1]);
	if (r != 0)
		return r;
	if ((r = read_container_pid(&s, &s.init)) < 0) {
		snprintf(msg, sizeof(msg), "the container's init pid (%s): %s",
			 s.by_children ? "our children" : SHIM_CONTAINER_PID_FILE, strerror(-r));
		return fail_start(&s, msg);
	}
	/* The cgroup is known once the init exists, and can be looked up until
	 * it is reaped (an init that already exited is a zombie of ours). */
	oom_capture(&oom_state, "/proc", "/sys/fs/cgroup", s.init);
	s.oom = &oom_state;

	struct shim_started st = { .pid = s.init, .started_ms = s.started_ms };
	char text[SHIM_RECORD_MAX];
	int n = shim_record_format_started(text, sizeof(text), &st);
	r = n < 0 ? n : shim_record_write(o->state_dir, SHIM_STARTED_FILE, text, (size_t)n, false);
	if (r < 0)
		say(&s, "writing started record", r);

	/* Setup is over: let the kernel map in only what the loop uses. */
	memtrim_self();
	run_loop(&s);
	record_exit(&s);
	if (s.log.dropped > 0)
		dprintf(STDERR_FILENO, "ecs-agent-shim: %s: %llu of %llu log entries dropped (%s)\n",
			o->id, (unsigned long long)s.log.dropped, (unsigned long long)s.log.entries,
			strerror(s.log.last_errno));
	logger_close(&s.log);
	rt_delete(&s);
	reap(&s);
	return 0;
}
