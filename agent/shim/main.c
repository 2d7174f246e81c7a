/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs-agent-shim: one per container, in the manner of conmon. It owns the
 * container's stdio and log, reaps its init, and records the exit in the
 * state directory; it outlives the agent that started it. See
 * runtime/shim-client.h for the protocol and options.h for the command line;
 * started as a spare (spare.h) it takes its command line from the agent
 * later, when there is a container for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "options.h"
#include "records.h"
#include "spare.h"
#include "supervise.h"

int main(int argc, char **argv)
{
	struct shim_opts o = { .id = "(spare)" };
	char msg[256], text[64];
	int r;

	/* The agent stops containers through the runtime, never by
	 * signalling the shim: a SIGTERM/SIGINT meant for the agent's group
	 * (systemctl restart, Ctrl-C) must not take the log and the exit
	 * status with it. SIGPIPE: a vanished reader is an error value. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* Blocked from the start so no child's exit is missed before the
	 * signalfd exists. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	bool spare = shim_spare_mode(argc, argv);
	if (!spare && shim_opts_parse(argc, argv, &o, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "ecs-agent-shim: %s\n", msg);
		return 2;
	}
	/* Keep 0-2 taken so no pipe or log lands there by accident. */
	int fd;
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);

	/* Own session: no terminal signals, no part in the agent's process
	 * group. A subreaper: the container's init is re-parented to us when
	 * `runtime create` exits, and we reap it. */
	setsid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fprintf(stderr, "ecs-agent-shim: %s: subreaper: %s\n", o.id, strerror(errno));
		return 1;
	}
	if (chdir("/") < 0)
		return 1;
	if (spare) {
		r = shim_spare_wait(&argc, &argv);
		if (r != 0)
			return r > 0 ? 0 : 1;
		if (shim_opts_parse(argc, argv, &o, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "ecs-agent-shim: %s\n", msg);
			return 2;
		}
	}
	r = shim_record_format_pid(text, sizeof(text), getpid());
	if (r > 0)
		r = shim_record_write(o.state_dir, SHIM_PID_FILE, text, (size_t)r, false);
	if (r < 0) {
		fprintf(stderr, "ecs-agent-shim: %s: writing %s/%s: %s\n", o.id, o.state_dir,
			SHIM_PID_FILE, strerror(-r));
		return 1;
	}
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	return shim_supervise(&o);
}
