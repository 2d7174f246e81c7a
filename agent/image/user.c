/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_resolve_user(): Docker/runc semantics for the container user spec
 * ("name", "uid", "name:group", "uid:gid", "name:gid", "uid:group") against
 * the image's /etc/passwd and /etc/group.
 *
 * - A user found in passwd (by name, or by uid when numeric) gives uid and
 *   primary gid; a numeric user not in passwd is that uid with gid 0; an
 *   unknown name is an error.
 * - An explicit group (name or gid) replaces the primary gid; a numeric
 *   group need not exist. Without one, the groups listing the user's name
 *   become supplementary groups, as runc does.
 * - The files are opened inside the root filesystem (RESOLVE_IN_ROOT), so a
 *   symlinked /etc/passwd in an image cannot point at the host's.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "image.h"
#include "image/image-internal.h"

void userdb_clear(struct userdb *db)
{
	for (size_t i = 0; i < db->n_users; i++)
		free(db->users[i].name);
	for (size_t i = 0; i < db->n_groups; i++) {
		free(db->groups[i].name);
		oci_strv_free(db->groups[i].members);
	}
	free(db->users);
	free(db->groups);
	*db = (struct userdb){ 0 };
}

/* A uid/gid: decimal digits only, below (uid_t)-1. */
static bool parse_id(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Split one line into at most `max` ':'-separated fields (pointers into the
 * line, lengths in len[]). Returns the number of fields. */
static size_t split_fields(const char *line, size_t n, const char **f, size_t *len, size_t max)
{
	size_t k = 0;
	const char *start = line;
	for (size_t i = 0; i <= n && k < max; i++) {
		if (i == n || line[i] == ':') {
			f[k] = start;
			len[k++] = (size_t)(line + i - start);
			start = line + i + 1;
		}
	}
	return k;
}

/* Iterate over lines, skipping blank ones, comments and NIS "+"/"-"
 * entries as the libc files backend does. */
static bool next_line(const char **cur, const char *end, const char **line, size_t *len)
{
	while (*cur < end) {
		const char *nl = memchr(*cur, '\n', (size_t)(end - *cur));
		const char *stop = nl ? nl : end;
		*line = *cur;
		*len = (size_t)(stop - *cur);
		*cur = nl ? nl + 1 : end;
		if (*len && (*line)[*len - 1] == '\r')
			(*len)--;
		if (*len == 0 || (*line)[0] == '#' || (*line)[0] == '+' || (*line)[0] == '-')
			continue;
		if (memchr(*line, '\0', *len))
			continue;
		return true;
	}
	return false;
}

static int parse_passwd(const char *buf, size_t size, struct userdb *db, struct ecs_err *err)
{
	const char *cur = buf, *end = buf + size, *line;
	size_t len, cap = 0;
	while (next_line(&cur, end, &line, &len)) {
		const char *f[4];
		size_t fl[4];
		uint32_t uid, gid;
		if (split_fields(line, len, f, fl, 4) < 4 || fl[0] == 0 || !parse_id(f[2], fl[2], &uid) ||
		    !parse_id(f[3], fl[3], &gid))
			continue;
		if (db->n_users == cap) {
			cap = cap ? cap * 2 : 16;
			struct pw_ent *n = realloc(db->users, cap * sizeof(*n));
			if (!n)
				return err_set(err, ENOMEM, "out of memory");
			db->users = n;
		}
		struct pw_ent *e = &db->users[db->n_users];
		e->name = strndup(f[0], fl[0]);
		if (!e->name)
			return err_set(err, ENOMEM, "out of memory");
		e->uid = uid;
		e->gid = gid;
		db->n_users++;
	}
	return 0;
}

static char **split_members(const char *s, size_t len)
{
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += s[i] == ',';
	char **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	size_t k = 0;
	const char *start = s;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		if (s + i > start) {
			v[k] = strndup(start, (size_t)(s + i - start));
			if (!v[k]) {
				oci_strv_free(v);
				return NULL;
			}
			k++;
		}
		start = s + i + 1;
	}
	return v;
}

static int parse_group(const char *buf, size_t size, struct userdb *db, struct ecs_err *err)
{
	const char *cur = buf, *end = buf + size, *line;
	size_t len, cap = 0;
	while (next_line(&cur, end, &line, &len)) {
		const char *f[4];
		size_t fl[4];
		uint32_t gid;
		size_t k = split_fields(line, len, f, fl, 4);
		if (k < 3 || fl[0] == 0 || !parse_id(f[2], fl[2], &gid))
			continue;
		if (db->n_groups == cap) {
			cap = cap ? cap * 2 : 16;
			struct gr_ent *n = realloc(db->groups, cap * sizeof(*n));
			if (!n)
				return err_set(err, ENOMEM, "out of memory");
			db->groups = n;
		}
		struct gr_ent *e = &db->groups[db->n_groups];
		e->name = strndup(f[0], fl[0]);
		e->members = split_members(k > 3 ? f[3] : "", k > 3 ? fl[3] : 0);
		e->gid = gid;
		if (!e->name || !e->members) {
			free(e->name);
			oci_strv_free(e->members);
			return err_set(err, ENOMEM, "out of memory");
		}
		db->n_groups++;
	}
	return 0;
}

int userdb_parse(const char *passwd, size_t passwd_len, const char *group, size_t group_len,
		 struct userdb *db, struct ecs_err *err)
{
	*db = (struct userdb){ 0 };
	int r = 0;
	if (passwd)
		r = parse_passwd(passwd, passwd_len, db, err);
	if (r >= 0 && group)
		r = parse_group(group, group_len, db, err);
	if (r < 0)
		userdb_clear(db);
	return r;
}

static bool has_member(const struct gr_ent *g, const char *name)
{
	for (char **m = g->members; *m; m++)
		if (strcmp(*m, name) == 0)
			return true;
	return false;
}

int userdb_resolve(const struct userdb *db, const char *spec, uid_t *uid, gid_t *gid,
		   gid_t **gids, size_t *n_gids, struct ecs_err *err)
{
	*uid = 0;
	*gid = 0;
	*gids = NULL;
	*n_gids = 0;
	if (!spec)
		spec = "";
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	const char *user = ulen ? spec : "0";
	if (!ulen)
		ulen = 1;
	const char *grp = colon && colon[1] ? colon + 1 : NULL;

	uint32_t num;
	bool user_numeric = parse_id(user, ulen, &num);
	const struct pw_ent *pw = NULL;
	for (size_t i = 0; i < db->n_users && !pw; i++) {
		const struct pw_ent *e = &db->users[i];
		if ((strlen(e->name) == ulen && memcmp(e->name, user, ulen) == 0) ||
		    (user_numeric && e->uid == num))
			pw = e;
	}
	if (pw) {
		*uid = pw->uid;
		*gid = pw->gid;
	} else if (user_numeric) {
		*uid = num;
	} else {
		return err_set(err, ENOENT, "no user \"%.*s\" in the image's /etc/passwd",
			       (int)(ulen > 200 ? 200 : ulen), user);
	}

	if (grp) {
		bool grp_numeric = parse_id(grp, strlen(grp), &num);
		for (size_t i = 0; i < db->n_groups; i++) {
			const struct gr_ent *g = &db->groups[i];
			if (strcmp(g->name, grp) == 0 || (grp_numeric && g->gid == num)) {
				*gid = g->gid;
				return 0;
			}
		}
		if (!grp_numeric)
			return err_set(err, ENOENT, "no group \"%.200s\" in the image's /etc/group", grp);
		*gid = num;
		return 0;
	}
	if (!pw)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < db->n_groups; i++)
		n += has_member(&db->groups[i], pw->name);
	if (!n)
		return 0;
	gid_t *v = calloc(n, sizeof(*v));
	if (!v)
		return err_set(err, ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < db->n_groups; i++) {
		if (!has_member(&db->groups[i], pw->name))
			continue;
		bool dup = false;
		for (size_t j = 0; j < k; j++)
			dup |= v[j] == db->groups[i].gid;
		if (!dup)
			v[k++] = db->groups[i].gid;
	}
	*gids = v;
	*n_gids = k;
	return 0;
}

/* Open ROOT/etc/NAME without letting any symlink leave ROOT. */
static int open_in_root(int rootfd, const char *name, struct ecs_err *err)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "etc/%s", name);
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	/* No openat2 (kernel before 5.6, or a seccomp filter): refuse every
	 * symlink on the way instead of resolving it. */
	_cleanup_close_ int dfd = fs_open_dir_beneath(rootfd, "etc", false, err);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	return fd >= 0 ? (int)fd : -errno;
}

/* Read ROOT/etc/NAME; absent: 0 with *buf NULL. */
static int read_db_file(int rootfd, const char *name, char **buf, size_t *len, struct ecs_err *err)
{
	*buf = NULL;
	*len = 0;
	_cleanup_close_ int fd = open_in_root(rootfd, name, err);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return err_set_errno(err, -fd, "opening /etc/%s in the image", name);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_set_errno(err, errno, "/etc/%s", name);
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, "/etc/%s in the image is not a regular file", name);
	if ((uint64_t)st.st_size > IMAGE_USERDB_MAX)
		return err_set(err, EFBIG, "/etc/%s in the image is too large", name);
	size_t cap = (size_t)st.st_size + 1, used = 0;
	_cleanup_free_ char *b = malloc(cap);
	if (!b)
		return err_set(err, ENOMEM, "out of memory");
	/* A file that grows while read is cut at its size at open time. */
	while (used < cap - 1) {
		ssize_t n = read(fd, b + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(err, errno, "reading /etc/%s", name);
		if (n == 0)
			break;
		used += (size_t)n;
	}
	b[used] = '\0';
	*buf = TAKE_PTR(b);
	*len = used;
	return 0;
}

int image_resolve_user(const char *rootfs, const char *spec, uid_t *uid, gid_t *gid,
		       gid_t **gids, size_t *n_gids, struct ecs_err *err)
{
	*uid = 0;
	*gid = 0;
	*gids = NULL;
	*n_gids = 0;
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_set_errno(err, errno, "root filesystem %s", rootfs);
	_cleanup_free_ char *pw = NULL, *gr = NULL;
	size_t pw_len, gr_len;
	int r;
	if ((r = read_db_file(rootfd, "passwd", &pw, &pw_len, err)) < 0 ||
	    (r = read_db_file(rootfd, "group", &gr, &gr_len, err)) < 0)
		return r;
	struct userdb db;
	if ((r = userdb_parse(pw, pw_len, gr, gr_len, &db, err)) < 0)
		return r;
	r = userdb_resolve(&db, spec, uid, gid, gids, n_gids, err);
	userdb_clear(&db);
	return r;
}
