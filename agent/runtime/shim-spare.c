/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "shim-spare.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "shim/job.h"
#include "subprocess.h"

int shim_spare_start(struct shim_spare *s, const char *shim_binary, struct ecs_err *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_set(err, errno, "spare shim: pipe");
	/* A job is one write into an empty pipe: it never blocks; should it
	 * ever, the agent's loop must not. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);

	char blank[SHIM_SPARE_TITLE];
	memset(blank, ' ', sizeof(blank) - 1);
	blank[sizeof(blank) - 1] = '\0';
	char *const argv[] = { (char *)shim_binary, SHIM_SPARE_ARG, blank, NULL };

	/* As shim_spawn() places them, plus the job pipe. */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[0], SHIM_SPARE_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, SHIM_SPARE_FD + 1);
	pid_t pid;
	int r = spawn_clean(&pid, shim_binary, argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (r != 0) {
		close(p[1]);
		return err_set_errno(err, r, "spare shim: executing %s", shim_binary);
	}
	s->pid = pid;
	s->fd = p[1];
	return 0;
}

pid_t shim_spare_take(struct shim_spare *s, char *const argv[])
{
	if (s->fd < 0)
		return -ENOENT;
	char job[SHIM_JOB_MAX];
	ssize_t n = shim_job_encode(argv, job, sizeof(job));
	if (n < 0)
		return (pid_t)n;
	ssize_t w;
	do
		w = write(s->fd, job, (size_t)n);
	while (w < 0 && errno == EINTR);
	pid_t pid = s->pid;
	shim_spare_drop(s);
	if (w != n)
		return -EPIPE;
	/* The spare was woken, likely onto this CPU: let it go ahead of the
	 * caller's bookkeeping, since it is on the container's critical path
	 * and the caller is not. */
	sched_yield();
	return pid;
}

void shim_spare_drop(struct shim_spare *s)
{
	if (s->fd >= 0)
		close(s->fd);
	*s = SHIM_SPARE_NONE;
}
