/* SPDX-License-Identifier: Apache-2.0 */
#include "records.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int finish(int n, size_t cap)
{
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int shim_record_format_pid(char *buf, size_t cap, pid_t pid)
{
	return finish(snprintf(buf, cap, "%d\n", (int)pid), cap);
}

int shim_record_format_started(char *buf, size_t cap, const struct shim_started *s)
{
	return finish(snprintf(buf, cap, "pid=%d\nstarted_ms=%" PRId64 "\n", (int)s->pid,
			       s->started_ms), cap);
}

int shim_record_format_exit(char *buf, size_t cap, const struct shim_exit *e)
{
	char text[sizeof(e->error)];
	size_t n = strnlen(e->error, sizeof(e->error) - 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)e->error[i];
		text[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	text[n] = '\0';
	int r = snprintf(buf, cap, "exit_code=%d\nsignal=%d\noom_killed=%d\nfinished_ms=%" PRId64 "\n",
			 e->exit_code, e->signal, e->oom_killed ? 1 : 0, e->finished_ms);
	r = finish(r, cap);
	if (r < 0 || n == 0)
		return r;
	return finish(r + snprintf(buf + r, cap - (size_t)r, "error=%s\n", text), cap);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int shim_record_write(const char *dir, const char *name, const char *text, size_t len,
		      bool durable)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= (int)sizeof(dst))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, len);
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, dst) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	if (!durable)
		return 0;
	/* The rename is durable only once the directory is synced: without
	 * this a power cut could lose an exit record the agent already
	 * acted upon. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = fsync(dfd) < 0 ? -errno : 0;
	close(dfd);
	return r;
}
