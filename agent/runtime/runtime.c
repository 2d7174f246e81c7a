/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI runtime's command line: `RUNTIME --root ROOT VERB ...`, run to
 * completion with its stdout captured (bounded) and its stderr kept for the
 * error message. runc and crun agree on these verbs and on their output;
 * they differ in how they word "no such container", so both wordings are
 * recognised.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "subprocess.h"
#include "runtime/runtime.h"


#define RT_LIST_MAX (8 * 1024 * 1024) /* runc list -q: ids, one a line */
#define RT_STDOUT_MAX (64 * 1024)       /* state, version, and chatter */
#define RT_STDERR_MAX 2048
#define RT_MAX_ARGS 8

struct rt_result {
	int status;                 /* exit code, 128+signal for a signal death */
	char *out;                  /* stdout, NUL-terminated (malloc'd) */
	size_t out_len;
	char err[RT_STDERR_MAX];    /* the start of stderr, NUL-terminated */
};

static void rt_result_clear(struct rt_result *res)
{
	free(res->out);
	res->out = NULL;
}

bool runtime_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-") == n;
}

/* Append what is readable on `fd` to buf (up to max, the rest drained and
 * dropped). Returns 1 at EOF, 0 otherwise, negative errno on failure. */
static int drain(int fd, char *buf, size_t *len, size_t max)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return 1;
	size_t take = (size_t)n < max - *len ? (size_t)n : max - *len;
	memcpy(buf + *len, chunk, take);
	*len += take;
	return 0;
}

/* Run the runtime with `args` (NULL-terminated), after `--root ROOT` when
 * with_root. Fails only when it cannot be run; its exit status is in
 * res->status. */
static int rt_run(const struct runtime *rt, bool with_root, const char *const *args,
		  size_t out_max, struct rt_result *res, struct ecs_err *err)
{
	const char *argv[RT_MAX_ARGS + 4];
	size_t argc = 0;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	memset(res, 0, sizeof(*res));
	argv[argc++] = rt->binary;
	if (with_root) {
		argv[argc++] = "--root";
		argv[argc++] = rt->root;
	}
	for (size_t i = 0; i < RT_MAX_ARGS && args[i]; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;

	res->out = malloc(out_max + 1);
	if (!res->out)
		return err_set(err, ENOMEM, "out of memory");
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r = err_set_errno(err, errno, "pipe");
		goto fail_pipes;
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	r = spawn_clean(&pid, rt->binary, (char *const *)argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	close(outp[1]);
	close(errp[1]);
	if (r != 0) {
		close(outp[0]);
		close(errp[0]);
		rt_result_clear(res);
		return err_set_errno(err, r, "running %s", rt->binary);
	}

	struct pollfd pfd[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
	size_t err_len = 0;
	int open_fds = 2;
	r = 0;
	while (open_fds > 0) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			int d = i == 0 ? drain(pfd[i].fd, res->out, &res->out_len, out_max)
				       : drain(pfd[i].fd, res->err, &err_len, RT_STDERR_MAX - 1);
			if (d != 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
				if (d < 0)
					r = d;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	res->out[res->out_len] = '\0';
	res->err[err_len] = '\0';

	/* Reap only our own child: the agent's loop owns every other one. */
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rt_result_clear(res);
			return err_set_errno(err, errno, "waiting for %s", rt->binary);
		}
	}
	if (r < 0) {
		rt_result_clear(res);
		return err_set_errno(err, -r, "reading from %s", rt->binary);
	}
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;

fail_pipes:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	rt_result_clear(res);
	return r;
}

/* The runtime's own words: runc logs `level=error msg="..."`, crun a
 * plain line. Rewritten in place to one line. */
static const char *rt_message(struct rt_result *res)
{
	char *m = res->err;
	char *msg = strstr(m, "msg=\"");
	if (msg) {
		m = msg + 5;
		char *end = m;
		while (*end && *end != '"' && *end != '\n')
			end += end[0] == '\\' && end[1] ? 2 : 1;
		*end = '\0';
	}
	for (char *p = m; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t n = strlen(m);
	while (n && m[n - 1] == ' ')
		m[--n] = '\0';
	return *m ? m : "no error message";
}

/* runc: "container does not exist", "container not running"; crun:
 * "error opening file `ROOT/ID/status`: No such file or directory". */
static bool rt_absent(const struct rt_result *res)
{
	return strstr(res->err, "does not exist") || strstr(res->err, "not found") ||
	       strstr(res->err, "No such file or directory");
}

static bool rt_not_running(const struct rt_result *res)
{
	return strstr(res->err, "not running") || strstr(res->err, "No such process") ||
	       strstr(res->err, "is stopped") || strstr(res->err, "container not started");
}

static int check_id(const char *id, struct ecs_err *err)
{
	return runtime_id_valid(id) ? 0 : err_set(err, EINVAL, "invalid container id \"%s\"", id ? id : "");
}

int runtime_kill(const struct runtime *rt, const char *id, int sig, struct ecs_err *err)
{
	struct rt_result res;
	char signum[16];
	int r;

	if ((r = check_id(id, err)) < 0)
		return r;
	snprintf(signum, sizeof(signum), "%d", sig);
	const char *args[] = { "kill", id, signum, NULL };
	if ((r = rt_run(rt, true, args, RT_STDOUT_MAX, &res, err)) < 0)
		return r;
	rt_result_clear(&res);
	if (res.status == 0)
		return 0;
	if (rt_absent(&res) || rt_not_running(&res))
		return err_set(err, ESRCH, "%s kill %s: %s", rt->name, id, rt_message(&res));
	return err_set(err, EIO, "%s kill %s: %s", rt->name, id, rt_message(&res));
}

int runtime_delete(const struct runtime *rt, const char *id, struct ecs_err *err)
{
	struct rt_result res;
	int r;

	if ((r = check_id(id, err)) < 0)
		return r;
	const char *args[] = { "delete", "--force", id, NULL };
	if ((r = rt_run(rt, true, args, RT_STDOUT_MAX, &res, err)) < 0)
		return r;
	rt_result_clear(&res);
	if (res.status == 0 || rt_absent(&res))
		return 0;
	return err_set(err, EIO, "%s delete %s: %s", rt->name, id, rt_message(&res));
}

int runtime_state(const struct runtime *rt, const char *id, struct runtime_state *out,
		  struct ecs_err *err)
{
	struct rt_result res;
	int r;

	if ((r = check_id(id, err)) < 0)
		return r;
	const char *args[] = { "state", id, NULL };
	if ((r = rt_run(rt, true, args, RT_STDOUT_MAX, &res, err)) < 0)
		return r;
	if (res.status != 0) {
		rt_result_clear(&res);
		if (rt_absent(&res))
			return err_set(err, ENOENT, "%s state %s: %s", rt->name, id, rt_message(&res));
		return err_set(err, EIO, "%s state %s: %s", rt->name, id, rt_message(&res));
	}

	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(res.out, res.out_len, err);
	rt_result_clear(&res);
	if (!doc)
		return err_wrap(err, "%s state %s: parsing its output", rt->name, id);
	const char *status = json_string(json_get(json_root(doc), "status"));
	int64_t pid;
	if (!status || strlen(status) >= sizeof(out->status) ||
	    !json_integer(json_get(json_root(doc), "pid"), &pid) || pid < 0 || pid > INT32_MAX)
		return err_set(err, EPROTO, "%s state %s: no status or pid in its output", rt->name, id);
	memset(out, 0, sizeof(*out));
	snprintf(out->status, sizeof(out->status), "%s", status);
	out->pid = (pid_t)pid;
	return 0;
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
}

int runtime_list(const struct runtime *rt, char ***ids, size_t *n, struct ecs_err *err)
{
	struct rt_result res;
	struct stat st;
	int r;

	*ids = NULL;
	*n = 0;
	/* Nothing was ever created under a root that does not exist yet;
	 * crun would report the missing directory as an error. */
	if (stat(rt->root, &st) < 0 && errno == ENOENT)
		return 0;
	const char *args[] = { "list", "-q", NULL };
	if ((r = rt_run(rt, true, args, RT_LIST_MAX, &res, err)) < 0)
		return r;
	if (res.status != 0) {
		rt_result_clear(&res);
		return err_set(err, EIO, "%s list: %s", rt->name, rt_message(&res));
	}
	if (res.out_len == RT_LIST_MAX) {
		rt_result_clear(&res);
		return err_set(err, EFBIG, "%s list: output larger than %d bytes", rt->name,
			       RT_LIST_MAX);
	}

	char **list = NULL;
	size_t count = 0;
	for (char *save = NULL, *line = strtok_r(res.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, " \t\r")] = '\0';
		if (!*line)
			continue;
		char **bigger = realloc(list, (count + 1) * sizeof(*list));
		char *copy = bigger ? strdup(line) : NULL;
		if (bigger)
			list = bigger;
		if (!copy) {
			free_ids(list, count);
			rt_result_clear(&res);
			return err_set(err, ENOMEM, "out of memory");
		}
		list[count++] = copy;
	}
	rt_result_clear(&res);
	*ids = list;
	*n = count;
	return 0;
}

char *runtime_version(const struct runtime *rt, struct ecs_err *err)
{
	struct rt_result res;
	const char *args[] = { "--version", NULL };

	if (rt_run(rt, false, args, RT_STDOUT_MAX, &res, err) < 0)
		return NULL;
	if (res.status != 0) {
		err_set(err, EIO, "%s --version: %s", rt->name, rt_message(&res));
		rt_result_clear(&res);
		return NULL;
	}
	res.out[strcspn(res.out, "\n")] = '\0';
	char *line = strdup(res.out);
	rt_result_clear(&res);
	if (!line)
		err_set(err, ENOMEM, "out of memory");
	return line;
}
