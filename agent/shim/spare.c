/* SPDX-License-Identifier: Apache-2.0 */
#include "spare.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "memtrim.h"

static char job[SHIM_JOB_MAX + 1];
static char *job_argv[SHIM_JOB_MAX_ARGS];

bool shim_spare_mode(int argc, char **argv)
{
	return argc == 3 && strcmp(argv[1], SHIM_SPARE_ARG) == 0;
}

/* To EOF; one byte more than a job may be, so an oversized one is seen. */
static ssize_t read_job(int fd)
{
	size_t used = 0;
	while (used < sizeof(job)) {
		ssize_t n = read(fd, job + used, sizeof(job) - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	return (ssize_t)used;
}

/* Write `text` (NUL-separated strings) over our own argument strings, which
 * the kernel shows as /proc/PID/cmdline, and NUL the rest of that area. */
static bool retitle(int argc, char **argv, const char *text, size_t len)
{
	char *start = argv[0];
	for (int i = 1; i < argc; i++)
		if (argv[i] != argv[i - 1] + strlen(argv[i - 1]) + 1)
			return false;
	char *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
	if (len > (size_t)(end - start))
		return false;
	memcpy(start, text, len);
	memset(start + len, 0, (size_t)(end - start) - len);
	return true;
}

int shim_spare_wait(int *argc, char ***argv)
{
	/* Idle until the next start, perhaps for hours: unmap what starting
	 * up mapped of the executable. */
	memtrim_self_idle();
	ssize_t n = read_job(SHIM_SPARE_FD);
	close(SHIM_SPARE_FD);
	if (n == 0)
		return 1;
	int jargc = n < 0 ? (int)n : shim_job_decode(job, (size_t)n, job_argv, SHIM_JOB_MAX_ARGS);
	if (jargc < 0) {
		fprintf(stderr, "ecs-agent-shim: spare: %s\n",
			n < 0 ? strerror((int)-n) : "malformed job from the agent");
		return -1;
	}
	size_t text_len;
	const char *text = shim_job_payload(job, (size_t)n, &text_len);
	if (!retitle(*argc, *argv, text, text_len)) {
		execv("/proc/self/exe", job_argv);
		fprintf(stderr, "ecs-agent-shim: spare: exec: %s\n", strerror(errno));
		return -1;
	}
	*argc = jargc;
	*argv = job_argv;
	return 0;
}
