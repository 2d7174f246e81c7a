/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs-agent-init: the init of containers with initProcessEnabled, in the
 * manner of tini and catatonit. Bound read-only at /dev/init and started as
 *
 *     /dev/init -- COMMAND [ARG...]
 *
 * it runs COMMAND as its only direct child, passes on the signals a
 * container is asked to handle, reaps every orphan that the kernel
 * re-parents to it (a shell's background jobs, daemons that double-fork),
 * and exits with the child's status: its exit code, or 128+N when signal N
 * killed it. Everything else in the container dies with it, as PID 1.
 *
 * Static and libc-only: it must run in any image, whatever its libc. Its
 * comm is "init" (the basename of /dev/init), so `pidof init` finds it.
 */
#include "autoconf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Signals that report a fault of this very process: never blocked, so a
 * bug still kills it with a core rather than hanging. */
static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT };

/* Background reads/writes on a terminal would stop PID 1; nothing to pass. */
static const int ignored_signals[] = { SIGTTIN, SIGTTOU };

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Every signal is blocked and collected with sigtimedwait(): as PID 1 of a
 * PID namespace a signal with the default action would be discarded, while
 * a blocked one stays pending until taken. */
static void block_signals(sigset_t *blocked, sigset_t *orig)
{
	sigfillset(blocked);
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigdelset(blocked, fault_signals[i]);
	/* Left unblocked so SIG_IGN discards them (a blocked one would queue). */
	for (size_t i = 0; i < sizeof(ignored_signals) / sizeof(ignored_signals[0]); i++) {
		sigdelset(blocked, ignored_signals[i]);
		signal(ignored_signals[i], SIG_IGN);
	}
	sigprocmask(SIG_SETMASK, blocked, orig);
}

static pid_t spawn(char **argv, const sigset_t *orig)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;

	/* The command starts with the mask and handlers init was given. */
	for (size_t i = 0; i < sizeof(ignored_signals) / sizeof(ignored_signals[0]); i++)
		signal(ignored_signals[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, orig, NULL);
	execvp(argv[0], argv);
	int e = errno;
	fprintf(stderr, "init: cannot run %s: %s\n", argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

/* Reap everything that has exited. Returns 1 once the main child is among
 * them (its status in *status). */
static int reap(pid_t child, int *status)
{
	int done = 0, st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == child) {
			*status = st;
			done = 1;
		}
	return done;
}

int main(int argc, char **argv)
{
	sigset_t blocked, orig;
	int status = 0;

	int first = 1;
	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc) {
		fprintf(stderr, "usage: %s -- COMMAND [ARG...]\n", argv[0]);
		return 2;
	}

	block_signals(&blocked, &orig);
	pid_t child = spawn(argv + first, &orig);
	if (child < 0) {
		fprintf(stderr, "init: fork: %s\n", strerror(errno));
		return 1;
	}

	for (;;) {
		/* The timeout is a safety net: every exit is seen through
		 * SIGCHLD, but a reap pass costs nothing. */
		struct timespec timeout = { .tv_sec = 1, .tv_nsec = 0 };
		siginfo_t info;
		int sig = sigtimedwait(&blocked, &info, &timeout);

		if (sig > 0 && sig != SIGCHLD) {
			/* SIGKILL and SIGSTOP never arrive here; everything
			 * else is the command's business. */
			if (kill(child, sig) < 0 && errno != ESRCH)
				fprintf(stderr, "init: forwarding signal %d: %s\n", sig, strerror(errno));
			continue;
		}
		if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "init: sigtimedwait: %s\n", strerror(errno));
			return 1;
		}
		if (reap(child, &status))
			return exit_code(status);
	}
}
