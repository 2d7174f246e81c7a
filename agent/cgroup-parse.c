/* SPDX-License-Identifier: Apache-2.0 */
/* The pure parts of the cgroup module; see cgroup-internal.h. */
#include "autoconf.h"

#include "cgroup-internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* The kernel's v1 "no limit" is PAGE_COUNTER_MAX pages, printed as a byte
 * count just under 2^63 that depends on the page size; no real limit comes
 * near 2^62 (4 EiB), so everything above is "unlimited". */
#define CGROUP_V1_UNLIMITED_FLOOR (UINT64_C(1) << 62)

void cgroup_mounts_clear(struct cgroup_mounts *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->h[i].mount);
		free(m->h[i].options);
	}
	free(m->h);
	m->h = NULL;
	m->n = 0;
	m->unified = -1;
}

bool cgroup_hierarchy_has(const struct cgroup_hierarchy *h, const char *controller)
{
	size_t want = strlen(controller);
	for (const char *p = h->options; *p;) {
		size_t n = strcspn(p, ",");
		if (n == want && memcmp(p, controller, n) == 0)
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/* Split the next space-separated field of a mountinfo line. */
static const char *next_field(const char **cur, const char *end, size_t *len)
{
	const char *p = *cur;
	while (p < end && *p == ' ')
		p++;
	const char *start = p;
	while (p < end && *p != ' ')
		p++;
	*len = (size_t)(p - start);
	*cur = p;
	return *len ? start : NULL;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		/* \000 stays literal: a NUL cannot be part of a path. */
		if (s[i] == '\\' && i + 3 < len && memcmp(s + i + 1, "000", 3) != 0 &&
		    s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			out[o++] = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) |
					  (s[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static int add_hierarchy(struct cgroup_mounts *m, const char *mp, size_t mp_len,
			 const char *opts, size_t opts_len, bool unified)
{
	_cleanup_free_ char *mount = unescape(mp, mp_len);
	if (!mount)
		return -ENOMEM;
	if (mount[0] != '/')
		return 0;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->h[i].mount, mount) == 0)
			return 0;
	_cleanup_free_ char *options = unified ? strdup("") : strndup(opts, opts_len);
	if (!options)
		return -ENOMEM;
	struct cgroup_hierarchy *h = realloc(m->h, (m->n + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	m->h = h;
	h[m->n] = (struct cgroup_hierarchy){ .mount = TAKE_PTR(mount),
					      .options = TAKE_PTR(options),
					      .unified = unified };
	if (unified && m->unified < 0)
		m->unified = (int)m->n;
	m->n++;
	return 0;
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SRC SUPEROPTS". */
static int parse_line(struct cgroup_mounts *m, const char *line, const char *end)
{
	const char *cur = line, *f, *mp = NULL;
	size_t len, mp_len = 0;
	for (int i = 0; i < 6; i++) {
		f = next_field(&cur, end, &len);
		if (!f)
			return 0;
		if (i == 4) {
			mp = f;
			mp_len = len;
		}
	}
	/* Optional tagged fields up to the lone "-". */
	for (;;) {
		f = next_field(&cur, end, &len);
		if (!f)
			return 0;
		if (len == 1 && f[0] == '-')
			break;
	}
	const char *fstype = next_field(&cur, end, &len);
	size_t fstype_len = len;
	if (!fstype || !next_field(&cur, end, &len))
		return 0;
	const char *opts = next_field(&cur, end, &len);
	if (!opts)
		return 0;
	if (fstype_len == 7 && memcmp(fstype, "cgroup2", 7) == 0)
		return add_hierarchy(m, mp, mp_len, opts, len, true);
	if (fstype_len == 6 && memcmp(fstype, "cgroup", 6) == 0)
		return add_hierarchy(m, mp, mp_len, opts, len, false);
	return 0;
}

int cgroup_mounts_parse(const char *mountinfo, size_t len, struct cgroup_mounts *out,
			struct ecs_err *err)
{
	struct cgroup_mounts m = { .unified = -1 };
	const char *p = mountinfo, *end = mountinfo + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		int r = parse_line(&m, p, line_end);
		if (r < 0) {
			cgroup_mounts_clear(&m);
			return err_set_errno(err, -r, "parsing mountinfo");
		}
		p = line_end + 1;
	}
	bool v1 = false;
	for (size_t i = 0; i < m.n; i++)
		if (!m.h[i].unified &&
		    (cgroup_hierarchy_has(&m.h[i], "cpu") || cgroup_hierarchy_has(&m.h[i], "memory")))
			v1 = true;
	if (v1) {
		m.mode = CGROUP_MODE_V1;
	} else if (m.unified >= 0) {
		m.mode = CGROUP_MODE_V2;
	} else {
		cgroup_mounts_clear(&m);
		return err_set(err, ENOENT, "no cgroup hierarchy with the cpu or memory controller is mounted");
	}
	*out = m;
	return 0;
}

bool cgroup_path_valid(const char *path)
{
	size_t len = path ? strlen(path) : 0;
	if (len < 2 || len >= PATH_MAX || path[0] != '/' || path[len - 1] == '/')
		return false;
	for (const char *p = path + 1; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n + (p[n] == '/');
	}
	return true;
}

uint64_t cgroup_shares_to_weight(int64_t shares)
{
	if (shares <= 0)
		return 100;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((uint64_t)(shares - 2) * 9999) / 262142;
}

int cgroup_parse_u64(const char *text, bool max_is_zero, uint64_t *out)
{
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "max", 3) == 0) {
		p += 3;
		while (isspace((unsigned char)*p))
			p++;
		if (*p || !max_is_zero)
			return -EINVAL;
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	*out = max_is_zero && v >= CGROUP_V1_UNLIMITED_FLOOR ? 0 : (uint64_t)v;
	return 0;
}

int cgroup_parse_keyed(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > klen && memcmp(p, key, klen) == 0 && p[klen] == ' ') {
			char value[32];
			size_t vlen = n - klen - 1;
			if (vlen == 0 || vlen >= sizeof(value))
				return -EINVAL;
			memcpy(value, p + klen + 1, vlen);
			value[vlen] = '\0';
			return cgroup_parse_u64(value, false, out);
		}
		p += n + (p[n] == '\n');
	}
	return -ENOENT;
}

static int need_u64(const char *text, const char *file, bool max_is_zero, uint64_t *out,
		    struct ecs_err *err)
{
	if (!text)
		return err_set(err, EINVAL, "%s is missing", file);
	if (cgroup_parse_u64(text, max_is_zero, out) < 0)
		return err_set(err, EINVAL, "%s: not a number", file);
	return 0;
}

static int need_keyed(const char *text, const char *file, const char *key, uint64_t *out,
		      struct ecs_err *err)
{
	if (!text)
		return err_set(err, EINVAL, "%s is missing", file);
	int r = cgroup_parse_keyed(text, key, out);
	if (r < 0)
		return err_set(err, EINVAL, "%s: %s %s", file, key,
			       r == -ENOENT ? "is missing" : "is not a number");
	return 0;
}

static int stats_v1(const struct cgroup_stat_files *f, struct cgroup_stats *out,
		    struct ecs_err *err)
{
	int r = need_u64(f->cpu_usage, "cpuacct.usage", false, &out->cpu_usage_ns, err);
	if (r < 0)
		return r;
	/* Throttling is only accounted with CFS bandwidth control compiled in. */
	if (f->cpu_stat && cgroup_parse_keyed(f->cpu_stat, "throttled_time", &out->cpu_throttled_ns) < 0)
		out->cpu_throttled_ns = 0;
	r = need_u64(f->mem_usage, "memory.usage_in_bytes", false, &out->memory_usage_bytes, err);
	if (r < 0)
		return r;
	r = need_u64(f->mem_max_usage, "memory.max_usage_in_bytes", false,
		     &out->memory_max_usage_bytes, err);
	if (r < 0)
		return r;
	return need_u64(f->mem_limit, "memory.limit_in_bytes", true, &out->memory_limit_bytes, err);
}

static int stats_v2(const struct cgroup_stat_files *f, struct cgroup_stats *out,
		    struct ecs_err *err)
{
	uint64_t usec;
	int r = need_keyed(f->cpu_stat, "cpu.stat", "usage_usec", &usec, err);
	if (r < 0)
		return r;
	out->cpu_usage_ns = usec * 1000;
	/* throttled_usec appears only when the cpu controller is enabled. */
	if (f->cpu_stat && cgroup_parse_keyed(f->cpu_stat, "throttled_usec", &usec) == 0)
		out->cpu_throttled_ns = usec * 1000;
	r = need_u64(f->mem_usage, "memory.current", false, &out->memory_usage_bytes, err);
	if (r < 0)
		return r;
	/* memory.peak exists from Linux 5.19 on; before that the best
	 * available high-water mark is the current usage. */
	if (!f->mem_max_usage ||
	    cgroup_parse_u64(f->mem_max_usage, false, &out->memory_max_usage_bytes) < 0)
		out->memory_max_usage_bytes = out->memory_usage_bytes;
	return need_u64(f->mem_limit, "memory.max", true, &out->memory_limit_bytes, err);
}

int cgroup_stats_parse(enum cgroup_mode mode, const struct cgroup_stat_files *f,
		       struct cgroup_stats *out, struct ecs_err *err)
{
	memset(out, 0, sizeof(*out));
	int r = mode == CGROUP_MODE_V2 ? stats_v2(f, out, err) : stats_v1(f, out, err);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

bool cgroup_oom_parse(const char *text)
{
	uint64_t n;
	return text && cgroup_parse_keyed(text, "oom_kill", &n) == 0 && n > 0;
}
