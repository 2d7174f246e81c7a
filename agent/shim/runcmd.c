/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "subprocess.h"

pid_t runcmd_spawn(char *const argv[], int in, int out, int err)
{
	/* posix_spawn, not fork: the child borrows the shim's memory until it
	 * execs. The callers' fds are all >= 3 (the shim keeps 0-2 open), so
	 * these dup2s cannot overwrite one another's sources. */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	pid_t pid = -1;
	int r = spawn_clean(&pid, argv[0], argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	return r ? -r : pid;
}

int runcmd_wait(pid_t pid)
{
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, 0);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int runcmd_capture(char *const argv[], int devnull, char *buf, size_t cap)
{
	int p[2];
	size_t used = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = runcmd_spawn(argv, devnull, devnull, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return pid;
	}
	/* Read to EOF (the runtime's exit) so it can never block on a full
	 * pipe; what does not fit is read and dropped. */
	for (;;) {
		char scratch[512];
		char *dst = used + 1 < cap ? buf + used : scratch;
		size_t room = used + 1 < cap ? cap - 1 - used : sizeof(scratch);
		ssize_t n = read(p[0], dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != scratch)
			used += (size_t)n;
	}
	close(p[0]);
	if (cap > 0)
		buf[used] = '\0';
	return runcmd_wait(pid);
}

int runcmd_parse_one_pid(const char *text, size_t len, pid_t *out)
{
	size_t n = 0;
	long pid = 0;
	for (size_t i = 0; i < len;) {
		if (text[i] == ' ' || text[i] == '\n') {
			i++;
			continue;
		}
		long v = 0;
		size_t start = i;
		while (i < len && text[i] >= '0' && text[i] <= '9') {
			v = v * 10 + (text[i] - '0');
			if (v > INT_MAX)
				return -EINVAL;
			i++;
		}
		if (i == start || v == 0 || (i < len && text[i] != ' ' && text[i] != '\n'))
			return -EINVAL;
		pid = v;
		n++;
	}
	if (n == 0)
		return -ESRCH;
	if (n > 1)
		return -E2BIG;
	*out = (pid_t)pid;
	return 0;
}

/* Go's strconv.Quote form inside msg="...": undo \" and \\, and turn the
 * other escapes into a space. Returns the bytes written. */
static size_t unquote(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len && s[i] != '"' && o + 1 < cap; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < len) {
			char e = s[++i];
			c = (e == '"' || e == '\\') ? e : ' ';
		}
		out[o++] = c;
	}
	return o;
}

static bool contains(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

void runcmd_error_line(const char *text, size_t len, char *line, size_t cap)
{
	const char *best = NULL, *last = NULL;
	size_t best_len = 0, last_len = 0;

	if (cap == 0)
		return;
	for (size_t pos = 0; pos < len;) {
		const char *p = text + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		pos += n + 1;
		bool blank = true;
		for (size_t i = 0; i < n; i++)
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
				blank = false;
		if (blank)
			continue;
		last = p;
		last_len = n;
		if (contains(p, n, "level=error") || contains(p, n, "level=fatal")) {
			best = p;
			best_len = n;
		}
	}
	if (!best) {
		best = last;
		best_len = last_len;
	}
	size_t o = 0;
	if (best) {
		const char *m = memmem(best, best_len, "msg=\"", 5);
		if (m && (m == best || m[-1] == ' ')) {
			size_t off = (size_t)(m + 5 - best);
			o = unquote(m + 5, best_len - off, line, cap);
		} else {
			o = best_len < cap - 1 ? best_len : cap - 1;
			memcpy(line, best, o);
		}
	}
	for (size_t i = 0; i < o; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			line[i] = ' ';
	}
	/* Trim. */
	size_t start = 0;
	while (start < o && line[start] == ' ')
		start++;
	while (o > start && line[o - 1] == ' ')
		o--;
	memmove(line, line + start, o - start);
	line[o - start] = '\0';
}

void runcmd_describe_status(int status, char *buf, size_t cap)
{
	if (WIFEXITED(status))
		snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, cap, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, cap, "wait status %#x", (unsigned)status);
}
