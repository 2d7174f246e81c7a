/* SPDX-License-Identifier: Apache-2.0 */
#include "oom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t used = 0;
	while (used + 1 < size) {
		ssize_t n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	return (ssize_t)used;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether the comma-separated list has `word`. */
static bool has_word(const char *list, size_t len, const char *word)
{
	size_t wl = strlen(word);
	for (size_t i = 0; i < len;) {
		size_t n = 0;
		while (i + n < len && list[i + n] != ',')
			n++;
		if (n == wl && memcmp(list + i, word, wl) == 0)
			return true;
		i += n + 1;
	}
	return false;
}

void oom_capture(struct shim_oom *o, const char *proc, const char *sys_cgroup, pid_t pid)
{
	/* Small buffers: this runs once, but the stack pages it touches stay
	 * in the shim's RSS for good. The v2 path waits in o->dir. */
	char path[PATH_MAX], buf[2048];
	bool v2 = false;

	o->dir[0] = '\0';
	o->v2 = false;
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc, (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	/* Lines are "ID:CONTROLLERS:PATH"; v2 is "0::PATH". A v1 memory
	 * hierarchy wins: on hybrid hosts that is where the controller is. */
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		const char *ctrl = c1 + 1;
		size_t clen = (size_t)(c2 - ctrl);
		const char *cg = c2 + 1;
		if (has_word(ctrl, clen, "memory")) {
			snprintf(path, sizeof(path), "%s/memory%s", sys_cgroup, cg);
			if (is_dir(path)) {
				memcpy(o->dir, path, sizeof(o->dir));
				return;
			}
		} else if (clen == 0 && c1 == line + 1 && line[0] == '0') {
			snprintf(o->dir, sizeof(o->dir), "%s", cg);
			v2 = true;
		}
	}
	if (!v2)
		return;
	char v2path[sizeof(o->dir)];
	memcpy(v2path, o->dir, sizeof(v2path));
	o->dir[0] = '\0';
	/* Pure v2 mounts at sys_cgroup itself; hybrid hosts mount the v2
	 * tree at unified/ (and then memory is usually in v1, seen above). */
	const char *roots[] = { "", "/unified" };
	for (size_t i = 0; i < 2; i++) {
		int n = snprintf(o->dir, sizeof(o->dir), "%s%s%s", sys_cgroup, roots[i], v2path);
		if (n < 0 || (size_t)n >= sizeof(o->dir) ||
		    snprintf(path, sizeof(path), "%s/memory.events", o->dir) >= (int)sizeof(path))
			continue;
		if (access(path, R_OK) == 0) {
			o->v2 = true;
			return;
		}
	}
	o->dir[0] = '\0';
}

long long oom_counter(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			char *end;
			errno = 0;
			long long v = strtoll(p + kl + 1, &end, 10);
			if (errno == 0 && end != p + kl + 1 && (*end == '\n' || *end == '\0'))
				return v;
			return -1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

bool oom_killed(const struct shim_oom *o)
{
	char path[PATH_MAX + 32], buf[1024];

	if (!o->dir[0])
		return false;
	if (o->v2) {
		snprintf(path, sizeof(path), "%s/memory.events", o->dir);
		return read_small(path, buf, sizeof(buf)) > 0 && oom_counter(buf, "oom_kill") > 0;
	}
	snprintf(path, sizeof(path), "%s/memory.oom_control", o->dir);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		long long n = oom_counter(buf, "oom_kill");
		if (n >= 0)
			return n > 0;
	}
	snprintf(path, sizeof(path), "%s/memory.failcnt", o->dir);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	return strtoll(buf, NULL, 10) > 0;
}
