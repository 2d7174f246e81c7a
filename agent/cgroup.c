/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Task cgroups through libcgroup: creation with limits, stats and OOM
 * counters. Removal lives in cgroup-remove.c, the pure parsing in
 * cgroup-parse.c.
 *
 * libcgroup keeps process-wide state (its mount table), so this module does
 * too: one `cgroup_ctx` filled by cgroup_setup().
 */
#include "autoconf.h"

#include "cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libcgroup.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"

struct cgroup_ctx cgroup_ctx = { .mounts = { .unified = -1 } };

static void cgroup_free_one(struct cgroup *c)
{
	cgroup_free(&c);
}
DEFINE_CLEANUP(struct cgroup, cgroup_free_one)

/* Translate a libcgroup status into the project's error convention. */
static int lcg_err(struct ecs_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int lcg_err(struct ecs_err *err, int code, const char *fmt, ...)
{
	int e;
	switch (code) {
	case ECGOTHER:
		e = cgroup_get_last_errno();
		break;
	case ECGROUPNOTEXIST:
		e = ENOENT;
		break;
	case ECGROUPNOTMOUNTED:
	case ECGROUPSUBSYSNOTMOUNTED:
		e = ENODEV;
		break;
	case ECGROUPNOTOWNER:
	case ECGROUPNOTALLOWED:
		e = EPERM;
		break;
	case ECGINVAL:
		e = EINVAL;
		break;
	case ECGNONEMPTY:
		e = EBUSY;
		break;
	default:
		e = EIO;
		break;
	}
	if (e <= 0)
		e = EIO;
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (code == ECGOTHER)
		return err_set_errno(err, e, "%s", what);
	return err_set(err, e, "%s: %s", what, cgroup_strerror(code));
}

/* libcgroup prints its own errors to stderr unless told otherwise; library
 * code logs at debug at most, and the error travels back as a value. */
static void lcg_logger(void *userdata, int level, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	if (msg[0])
		log_debug("libcgroup: %s", msg);
}

const struct cgroup_hierarchy *cgroup_hierarchy_of(const char *controller)
{
	if (cgroup_ctx.mounts.mode == CGROUP_MODE_V2)
		return cgroup_ctx.mounts.unified >= 0 ? &cgroup_ctx.mounts.h[cgroup_ctx.mounts.unified] : NULL;
	for (size_t i = 0; i < cgroup_ctx.mounts.n; i++)
		if (!cgroup_ctx.mounts.h[i].unified && cgroup_hierarchy_has(&cgroup_ctx.mounts.h[i], controller))
			return &cgroup_ctx.mounts.h[i];
	return NULL;
}

int cgroup_join(char *buf, size_t size, const char *mount, const char *path, const char *file,
		struct ecs_err *err)
{
	int n = snprintf(buf, size, "%s%s%s%s", mount, path, file ? "/" : "", file ? file : "");
	if (n < 0 || (size_t)n >= size)
		return err_set(err, ENAMETOOLONG, "cgroup path %s%s is too long", mount, path);
	return 0;
}

int cgroup_setup(struct ecs_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = file_read_all("/proc/self/mountinfo", 16 << 20, &text, &len, err);
	if (r < 0)
		return err_wrap(err, "detecting cgroups");
	struct cgroup_mounts m;
	r = cgroup_mounts_parse(text, len, &m, err);
	if (r < 0)
		return err_wrap(err, "detecting cgroups");
	cgroup_mounts_clear(&cgroup_ctx.mounts);
	cgroup_ctx.mounts = m;
	cgroup_ctx.ready = false;

	if (m.mode == CGROUP_MODE_V1 && (!cgroup_hierarchy_of("cpu") || !cgroup_hierarchy_of("memory")))
		return err_set(err, ENODEV, "cgroup v1 needs both the cpu and the memory hierarchy mounted");

	cgroup_set_logger(lcg_logger, CGROUP_LOG_DEBUG, NULL);
	r = cgroup_init();
	if (r)
		return lcg_err(err, r, "initialising libcgroup");
	cgroup_ctx.ready = true;
	log_debug("Cgroups: %s, %zu hierarchies", m.mode == CGROUP_MODE_V2 ? "v2" : "v1", m.n);
	return 0;
}

enum cgroup_mode cgroup_get_mode(void)
{
	return cgroup_ctx.mounts.mode;
}

int cgroup_check_ready(const char *path, struct ecs_err *err)
{
	if (!cgroup_ctx.ready)
		return err_set(err, ENODEV, "cgroups are not set up");
	if (!cgroup_path_valid(path))
		return err_set(err, EINVAL, "invalid cgroup path '%s'", path ? path : "(null)");
	return 0;
}

/* The controller object of `cgroup` that covers `name`'s hierarchy, added on
 * first use, so co-mounted v1 controllers (cpu,cpuacct) make one directory.
 * On v2 every controller shares the one tree and libcgroup wants each named. */
static struct cgroup_controller *controller_for(struct cgroup *c, const char *name)
{
	if (cgroup_ctx.mounts.mode == CGROUP_MODE_V2) {
		struct cgroup_controller *have = cgroup_get_controller(c, name);
		return have ? have : cgroup_add_controller(c, name);
	}
	const struct cgroup_hierarchy *h = cgroup_hierarchy_of(name);
	static const char *const names[] = { "cpu", "cpuacct", "memory" };
	for (size_t i = 0; h && i < ARRAY_SIZE(names); i++) {
		struct cgroup_controller *have = cgroup_get_controller(c, names[i]);
		if (have && cgroup_hierarchy_of(names[i]) == h)
			return have;
	}
	return cgroup_add_controller(c, name);
}

static int add_value(struct cgroup *c, const char *controller, const char *file,
		     const char *value, struct ecs_err *err)
{
	struct cgroup_controller *ctl = controller_for(c, controller);
	if (!ctl)
		return err_set(err, ENOMEM, "adding controller %s", controller);
	int r = cgroup_add_value_string(ctl, file, value);
	if (r)
		return lcg_err(err, r, "setting %s", file);
	return 0;
}

/* Every value is written, defaults included, so re-applying limits to an
 * existing cgroup also resets ones that became unset. */
static int add_limits(struct cgroup *c, const struct cgroup_limits *l, struct ecs_err *err)
{
	char v[3][32];
	int r;
	if (cgroup_ctx.mounts.mode == CGROUP_MODE_V1) {
		int64_t shares = l->cpu_shares <= 0 ? 1024 : l->cpu_shares < 2 ? 2 :
				 l->cpu_shares > 262144 ? 262144 : l->cpu_shares;
		snprintf(v[0], sizeof(v[0]), "%" PRId64, shares);
		snprintf(v[1], sizeof(v[1]), "%" PRId64, l->memory_bytes ? l->memory_bytes : -1);
		snprintf(v[2], sizeof(v[2]), "%" PRId64,
			 l->memory_soft_bytes ? l->memory_soft_bytes : -1);
		if ((r = add_value(c, "cpu", "cpu.shares", v[0], err)) < 0 ||
		    (r = add_value(c, "memory", "memory.limit_in_bytes", v[1], err)) < 0 ||
		    (r = add_value(c, "memory", "memory.soft_limit_in_bytes", v[2], err)) < 0)
			return r;
		/* cpuacct only for its usage counter; no values. */
		return controller_for(c, "cpuacct") ? 0 : err_set(err, ENOMEM, "adding cpuacct");
	}
	snprintf(v[0], sizeof(v[0]), "%" PRIu64, cgroup_shares_to_weight(l->cpu_shares));
	if (l->memory_bytes)
		snprintf(v[1], sizeof(v[1]), "%" PRId64, l->memory_bytes);
	else
		snprintf(v[1], sizeof(v[1]), "max");
	snprintf(v[2], sizeof(v[2]), "%" PRId64, l->memory_soft_bytes);
	if ((r = add_value(c, "cpu", "cpu.weight", v[0], err)) < 0 ||
	    (r = add_value(c, "memory", "memory.max", v[1], err)) < 0 ||
	    (r = add_value(c, "memory", "memory.low", v[2], err)) < 0)
		return r;
	return 0;
}

/*
 * v2 only exposes cpu.* and memory.* files in a cgroup whose parent lists
 * the controllers in cgroup.subtree_control. libcgroup 2.0 has no call for
 * an ancestor's subtree_control, so this writes the file directly. A cgroup
 * that already delegates both is left alone (no needless writes, and a
 * read-only delegation that already fits still works).
 */
static int v2_enable_subtree(const char *path, struct ecs_err *err)
{
	const struct cgroup_hierarchy *h = cgroup_hierarchy_of("memory");
	if (!h)
		return err_set(err, ENODEV, "no cgroup2 mount");
	char file[PATH_MAX];
	int r = cgroup_join(file, sizeof(file), h->mount, strcmp(path, "/") ? path : "",
			    "cgroup.subtree_control", err);
	if (r < 0)
		return r;
	_cleanup_free_ char *cur = NULL;
	size_t len;
	if (file_read_all(file, 4096, &cur, &len, NULL) == 0) {
		struct cgroup_hierarchy have = { .options = cur };
		for (char *p = cur; *p; p++)
			if (*p == ' ' || *p == '\n')
				*p = ',';
		if (cgroup_hierarchy_has(&have, "cpu") && cgroup_hierarchy_has(&have, "memory"))
			return 0;
	}
	_cleanup_close_ int fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "opening %s", file);
	static const char enable[] = "+cpu +memory";
	if (write(fd, enable, sizeof(enable) - 1) < 0)
		return err_set_errno(err, errno, "enabling cpu and memory in %s", file);
	return 0;
}

static int create_one(const char *path, const struct cgroup_limits *limits, struct ecs_err *err)
{
	_cleanup_(cgroup_free_onep) struct cgroup *c = cgroup_new_cgroup(path);
	if (!c)
		return err_set(err, ENOMEM, "creating cgroup %s", path);
	int r;
	if (limits) {
		r = add_limits(c, limits, err);
		if (r < 0)
			return err_wrap(err, "cgroup %s", path);
	} else if (!controller_for(c, "cpu") || !controller_for(c, "memory")) {
		return err_set(err, ENOMEM, "creating cgroup %s", path);
	}
	/* Creates missing parents and writes the values, also when the
	 * cgroup exists already. ignore_ownership=1: the files stay root's,
	 * which they are already, and libcgroup skips a chown and chmod of
	 * every control file (a measurable share of a task's start). */
	r = cgroup_create_cgroup(c, 1);
	if (r)
		return lcg_err(err, r, "creating cgroup %s", path);
	return 0;
}

static int create_v2(const char *path, const struct cgroup_limits *limits, struct ecs_err *err)
{
	int r = v2_enable_subtree("/", err);
	if (r < 0)
		return r;
	char prefix[PATH_MAX];
	size_t len = strlen(path);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		bool leaf = i == len;
		r = create_one(prefix, leaf ? limits : NULL, err);
		if (r < 0)
			return r;
		/* The leaf delegates too: the runtime puts each container
		 * in a child of the task cgroup. */
		r = v2_enable_subtree(prefix, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_create(const char *path, const struct cgroup_limits *limits, struct ecs_err *err)
{
	int r = cgroup_check_ready(path, err);
	if (r < 0)
		return r;
	static const struct cgroup_limits none = { 0 };
	if (!limits)
		limits = &none;
	if (limits->cpu_shares < 0 || limits->memory_bytes < 0 || limits->memory_soft_bytes < 0)
		return err_set(err, EINVAL, "cgroup %s: negative limit", path);
	if (cgroup_ctx.mounts.mode == CGROUP_MODE_V2)
		return create_v2(path, limits, err);
	return create_one(path, limits, err);
}

bool cgroup_exists(const char *path)
{
	if (cgroup_check_ready(path, NULL) < 0)
		return false;
	const struct cgroup_hierarchy *h = cgroup_hierarchy_of("memory");
	char dir[PATH_MAX];
	struct stat st;
	return h && cgroup_join(dir, sizeof(dir), h->mount, path, NULL, NULL) == 0 &&
	       stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strv_free_n(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* A plain readdir: libcgroup's tree walk also returns every control file
 * and, in 2.0, frees its handle twice at the end of a walk. */
int cgroup_children(const char *path, char ***names, size_t *n, struct ecs_err *err)
{
	*names = NULL;
	*n = 0;
	int r = cgroup_check_ready(path, err);
	if (r < 0)
		return r;
	const struct cgroup_hierarchy *h = cgroup_hierarchy_of("memory");
	char dir[PATH_MAX];
	r = cgroup_join(dir, sizeof(dir), h->mount, path, NULL, err);
	if (r < 0)
		return r;
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_set_errno(err, errno, "listing cgroup %s", path);
	}
	char **v = NULL;
	size_t count = 0;
	struct dirent *de;
	r = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!cgroup_dirent_is_dir(d, de))
			continue;
		char **grown = realloc(v, (count + 1) * sizeof(*v));
		if (!grown || !(grown[count] = strdup(de->d_name))) {
			v = grown ? grown : v;
			r = err_set(err, ENOMEM, "listing cgroup %s", path);
			break;
		}
		v = grown;
		count++;
	}
	closedir(d);
	if (r < 0) {
		strv_free_n(v, count);
		return r;
	}
	if (count)
		qsort(v, count, sizeof(*v), name_cmp);
	*names = v;
	*n = count;
	return 0;
}

static int lcg_read(const char *controller, const char *path, const char *file, char *buf,
	     size_t size, struct ecs_err *err)
{
	char line[256];
	void *h = NULL;
	size_t len = 0;
	buf[0] = '\0';
	int r = cgroup_read_value_begin(controller, path, (char *)file, &h, line, sizeof(line));
	/* After a failed begin there is no handle: libcgroup 2.0's end would
	 * fclose(NULL). */
	if (r != 0 && r != ECGEOF)
		return lcg_err(err, r, "reading %s of cgroup %s", file, path);
	while (r == 0) {
		size_t l = strlen(line);
		if (len + l >= size) {
			r = ECGMAXVALUESEXCEEDED;
			break;
		}
		memcpy(buf + len, line, l + 1);
		len += l;
		r = cgroup_read_value_next(&h, line, sizeof(line));
	}
	cgroup_read_value_end(&h);
	if (r != ECGEOF)
		return lcg_err(err, r, "reading %s of cgroup %s", file, path);
	return 0;
}

int cgroup_read_stats(const char *path, struct cgroup_stats *out, struct ecs_err *err)
{
	memset(out, 0, sizeof(*out));
	int r = cgroup_check_ready(path, err);
	if (r < 0)
		return r;
	if (!cgroup_exists(path))
		return err_set(err, ENOENT, "cgroup %s does not exist", path);
	bool v2 = cgroup_ctx.mounts.mode == CGROUP_MODE_V2;
	static const struct {
		const char *controller, *v1, *v2;
	} files[] = {
		{ "cpuacct", "cpuacct.usage", NULL },
		{ "cpu", "cpu.stat", "cpu.stat" },
		{ "memory", "memory.usage_in_bytes", "memory.current" },
		{ "memory", "memory.max_usage_in_bytes", "memory.peak" },
		{ "memory", "memory.limit_in_bytes", "memory.max" },
	};
	char text[ARRAY_SIZE(files)][1024];
	const char *got[ARRAY_SIZE(files)] = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		const char *name = v2 ? files[i].v2 : files[i].v1;
		/* A missing file is the parser's business: some are optional. */
		if (name && lcg_read(files[i].controller, path, name, text[i], sizeof(text[i]),
				     NULL) == 0)
			got[i] = text[i];
	}
	struct cgroup_stat_files f = { .cpu_usage = got[0], .cpu_stat = got[1], .mem_usage = got[2],
				       .mem_max_usage = got[3], .mem_limit = got[4] };
	r = cgroup_stats_parse(cgroup_ctx.mounts.mode, &f, out, err);
	if (r < 0)
		return err_wrap(err, "stats of cgroup %s", path);
	return 0;
}

bool cgroup_oom_killed(const char *path)
{
	if (cgroup_check_ready(path, NULL) < 0)
		return false;
	char text[1024];
	const char *file = cgroup_ctx.mounts.mode == CGROUP_MODE_V2 ? "memory.events" : "memory.oom_control";
	return lcg_read("memory", path, file, text, sizeof(text), NULL) == 0 && cgroup_oom_parse(text);
}
