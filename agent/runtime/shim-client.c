/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's side of the shim protocol (shim-client.h): spawning the shim
 * with its command line (agent/shim/options.h) and reading its records
 * (agent/shim/records.h has their format and the parsers).
 */
#define _GNU_SOURCE
#include "shim-client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "procfs.h"
#include "shim/records.h"
#include "subprocess.h"

#define SHIM_PROGRAM "ecs-agent-shim"

static const char *driver_name(enum shim_log_driver d)
{
	switch (d) {
	case SHIM_LOG_JSON_FILE: return "json-file";
	case SHIM_LOG_JOURNALD: return "journald";
	case SHIM_LOG_NONE: return "none";
	}
	return NULL;
}

pid_t shim_spawn(const struct shim_params *p, struct ecs_err *err)
{
	const struct shim_log *lg = &p->log;
	const char *driver = driver_name(lg->driver);

	if (!p->shim_binary || !p->runtime || !p->runtime->binary || !p->runtime->root || !p->id ||
	    !p->bundle || !p->state_dir || !driver)
		return err_set(err, EINVAL, "shim: incomplete parameters");
	if (lg->driver == SHIM_LOG_JSON_FILE && !lg->path)
		return err_set(err, EINVAL, "shim: json-file log without a path");

	size_t n_fields = 0;
	if (lg->driver == SHIM_LOG_JOURNALD && lg->fields)
		while (lg->fields[n_fields])
			n_fields++;

	char max_size[24], max_file[16];
	snprintf(max_size, sizeof(max_size), "%" PRIu64, lg->max_size);
	snprintf(max_file, sizeof(max_file), "%u", lg->max_file ? lg->max_file : 1);

	_cleanup_free_ const char **argv = calloc(20 + 2 * n_fields, sizeof(*argv));
	if (!argv)
		return err_set(err, ENOMEM, "shim: out of memory");
	size_t n = 0;
	argv[n++] = p->shim_binary;
	argv[n++] = "--runtime";
	argv[n++] = p->runtime->binary;
	argv[n++] = "--runtime-root";
	argv[n++] = p->runtime->root;
	argv[n++] = "--id";
	argv[n++] = p->id;
	argv[n++] = "--bundle";
	argv[n++] = p->bundle;
	argv[n++] = "--state-dir";
	argv[n++] = p->state_dir;
	argv[n++] = "--log-driver";
	argv[n++] = driver;
	if (lg->driver == SHIM_LOG_JSON_FILE) {
		argv[n++] = "--log-path";
		argv[n++] = lg->path;
		argv[n++] = "--log-max-size";
		argv[n++] = max_size;
		argv[n++] = "--log-max-file";
		argv[n++] = max_file;
	}
	for (size_t i = 0; i < n_fields; i++) {
		argv[n++] = "--log-field";
		argv[n++] = lg->fields[i];
	}
	argv[n] = NULL;

	if (p->spare) {
		/* Without one, with too long a line, or with one that died: a
		 * new shim. */
		pid_t pid = shim_spare_take(p->spare, (char *const *)argv);
		if (pid > 0)
			return pid;
	}

	/* stdin and stdout on /dev/null, stderr on ours (the shim's few
	 * messages reach the agent's log), nothing else: not our sockets,
	 * sd-event fds or database. */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	pid_t pid;
	int r = spawn_clean(&pid, p->shim_binary, (char *const *)argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return err_set_errno(err, r, "shim: executing %s", p->shim_binary);
	return pid;
}

/* Docker's size strings (go-units RAMInBytes): "1024", "100k", "10m",
 * "1.5g", "10MiB", "10 mb"; binary multiples, case-insensitive. */
static int parse_size(const char *s, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, frac_div = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++)
			if (frac_div < 1000000000) { /* finer digits cannot matter */
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
	}
	if (*p == ' ')
		p++;
	unsigned shift = 0;
	static const char units[] = "kmgtp";
	if (*p) {
		const char *u = strchr(units, *p | 0x20);
		if (u && *u) {
			shift = 10 * (unsigned)(u - units + 1);
			p++;
		}
	}
	if ((*p | 0x20) == 'i' && shift)
		p++;
	if ((*p | 0x20) == 'b')
		p++;
	if (*p)
		return -EINVAL;
	unsigned __int128 v = ((unsigned __int128)whole << shift) +
			      (((unsigned __int128)frac << shift) / frac_div);
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

int shim_log_options(const char *driver, const struct td_map *options, struct shim_log *log,
		     struct ecs_err *err)
{
	enum shim_log_driver d;

	if (!driver || strcmp(driver, "json-file") == 0)
		d = SHIM_LOG_JSON_FILE;
	else if (strcmp(driver, "journald") == 0)
		d = SHIM_LOG_JOURNALD;
	else if (strcmp(driver, "none") == 0)
		d = SHIM_LOG_NONE;
	else
		return err_set(err, EINVAL, "logConfiguration: log driver %s is not supported", driver);

	uint64_t max_size = 0;
	unsigned max_file = 1;
	size_t n = options ? options->count : 0;
	for (size_t i = 0; i < n; i++) {
		const char *key = options->items[i].key;
		const char *value = options->items[i].value ? options->items[i].value : "";
		if (d == SHIM_LOG_JSON_FILE && strcmp(key, "max-size") == 0) {
			if (parse_size(value, &max_size) < 0 || max_size == 0)
				return err_set(err, EINVAL,
					       "logConfiguration.options.max-size: not a positive size: %s",
					       value);
		} else if (d == SHIM_LOG_JSON_FILE && strcmp(key, "max-file") == 0) {
			char *end;
			errno = 0;
			long v = strtol(value, &end, 10);
			if (errno || end == value || *end || v < 1 || v > 1000)
				return err_set(err, EINVAL,
					       "logConfiguration.options.max-file: need 1..1000: %s", value);
			max_file = (unsigned)v;
		} else {
			return err_set(err, EINVAL,
				       "logConfiguration.options.%s: not supported by the %s log driver",
				       key, driver ? driver : "json-file");
		}
	}
	log->driver = d;
	log->max_size = max_size;
	log->max_file = max_file;
	return 0;
}

static int read_record(const char *state_dir, const char *name, char **buf, size_t *len,
		       struct ecs_err *err)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", state_dir, name) >= (int)sizeof(path))
		return err_set(err, ENAMETOOLONG, "%s/%s: name too long", state_dir, name);
	return file_read_all(path, SHIM_RECORD_MAX, buf, len, err);
}

int shim_read_started(const char *state_dir, struct shim_started *out, struct ecs_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_record(state_dir, SHIM_STARTED_FILE, &buf, &len, err);
	if (r < 0)
		return r;
	r = shim_record_parse_started(buf, len, out, err);
	return r < 0 ? (err_wrap(err, "%s", state_dir), r) : 0;
}

int shim_read_exit(const char *state_dir, struct shim_exit *out, struct ecs_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_record(state_dir, SHIM_EXIT_FILE, &buf, &len, err);
	if (r < 0)
		return r;
	r = shim_record_parse_exit(buf, len, out, err);
	return r < 0 ? (err_wrap(err, "%s", state_dir), r) : 0;
}

int shim_read_pid(const char *state_dir, pid_t *out, struct ecs_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_record(state_dir, SHIM_PID_FILE, &buf, &len, err);
	if (r < 0)
		return r;
	r = shim_record_parse_pid(buf, len, out, err);
	return r < 0 ? (err_wrap(err, "%s", state_dir), r) : 0;
}

/* The --state-dir of the ecs-agent-shim running as `pid` into `out`
 * (size bytes); false when `pid` is not a live shim. */
static bool shim_state_dir(pid_t pid, char *out, size_t size)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	/* A zombie's cmdline is empty: it counts as gone. */
	if (file_read_all(path, 256 * 1024, &buf, &len, NULL) < 0 || len == 0)
		return false;

	/* argv[0]'s base name, then "--state-dir DIR" or "--state-dir=DIR". */
	const char *arg0 = buf;
	const char *base = strrchr(arg0, '/');
	base = base ? base + 1 : arg0;
	if (strcmp(base, SHIM_PROGRAM) != 0)
		return false;
	for (const char *a = buf + strlen(buf) + 1; a < buf + len; a += strlen(a) + 1) {
		const char *v = NULL;
		if (strcmp(a, "--state-dir") == 0)
			v = a + strlen(a) + 1;
		else if (strncmp(a, "--state-dir=", 12) == 0)
			v = a + 12;
		if (v)
			return v < buf + len && (size_t)snprintf(out, size, "%s", v) < size;
	}
	return false;
}

/* A live, non-zombie process whose executable is the shim but whose
 * command line reads empty: one in the middle of its execve. Between the
 * point of no return and the setup of the new arguments the kernel shows
 * no cmdline, and posix_spawn returns to the agent at that point already
 * (the vfork release), so a shim just spawned can look like this. */
static bool shim_execing(pid_t pid)
{
	char path[64], state = 0, exe[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!procfs_field(path, "State: %c", &state) || state == 'Z' || state == 'X')
		return false;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	const char *base = strrchr(exe, '/');
	return strcmp(base ? base + 1 : exe, SHIM_PROGRAM) == 0;
}

bool shim_alive(pid_t pid, const char *state_dir)
{
	char dir[PATH_MAX];
	if (pid <= 0 || !state_dir)
		return false;
	if (shim_state_dir(pid, dir, sizeof(dir)))
		return strcmp(dir, state_dir) == 0;
	/* The pid is the caller's own record of this shim: mid-exec it cannot
	 * show its state directory yet, but it is alive. */
	return shim_execing(pid);
}

int shim_find(const char *prefix, void (*fn)(pid_t pid, const char *state_dir, void *ud),
	      void *ud)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	size_t pl = strlen(prefix);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		char dir[PATH_MAX];
		if (*end || pid <= 0 || !shim_state_dir((pid_t)pid, dir, sizeof(dir)))
			continue;
		if (strncmp(dir, prefix, pl) != 0 || (dir[pl] != '\0' && dir[pl] != '/'))
			continue;
		fn((pid_t)pid, dir, ud);
		n++;
	}
	closedir(d);
	return n;
}
