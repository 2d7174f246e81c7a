/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "credentials.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

#define CREDENTIALS_MAX_FILE (1024 * 1024)

struct credential {
	char *akid;
	char *secret;
};

struct credentials {
	struct credential *items;
	size_t n;
};

struct credentials *credentials_new(void)
{
	return calloc(1, sizeof(struct credentials));
}

void credentials_free(struct credentials *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].akid);
		if (c->items[i].secret) {
			/* Do not leave secrets in freed memory. */
			explicit_bzero(c->items[i].secret, strlen(c->items[i].secret));
			free(c->items[i].secret);
		}
	}
	free(c->items);
	free(c);
}

size_t credentials_count(const struct credentials *c)
{
	return c->n;
}

const char *credentials_secret(void *userdata, const char *akid)
{
	const struct credentials *c = userdata;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->items[i].akid, akid) == 0)
			return c->items[i].secret;
	return NULL;
}

int credentials_add(struct credentials *c, const char *akid, const char *secret,
		    struct ecs_err *err)
{
	if (credentials_secret(c, akid))
		return err_set(err, EEXIST, "access key id %s is listed twice", akid);
	struct credential *grown = realloc(c->items, (c->n + 1) * sizeof(*grown));
	if (!grown)
		return err_set(err, ENOMEM, "out of memory");
	c->items = grown;
	struct credential *e = &c->items[c->n];
	e->akid = strdup(akid);
	e->secret = strdup(secret);
	if (!e->akid || !e->secret) {
		free(e->akid);
		free(e->secret);
		return err_set(err, ENOMEM, "out of memory");
	}
	c->n++;
	return 0;
}

static bool akid_ok(const char *s, size_t len)
{
	if (len < 1 || len > 128)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

static bool secret_ok(const char *s, size_t len)
{
	if (len < 1 || len > 256)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_line(struct credentials *c, const char *name, unsigned lineno, char *line,
		      struct ecs_err *err)
{
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return 0;

	char *akid = p;
	size_t akid_len = strcspn(p, " \t");
	p += akid_len;
	while (*p == ' ' || *p == '\t')
		p++;
	char *secret = p;
	size_t secret_len = strcspn(p, " \t");
	p += secret_len;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p || secret_len == 0)
		return err_set(err, EINVAL, "%s:%u: expected 'ACCESS_KEY_ID SECRET'", name, lineno);
	akid[akid_len] = '\0';
	secret[secret_len] = '\0';
	if (!akid_ok(akid, akid_len))
		return err_set(err, EINVAL, "%s:%u: invalid access key id", name, lineno);
	if (!secret_ok(secret, secret_len))
		return err_set(err, EINVAL, "%s:%u: invalid secret", name, lineno);
	int r = credentials_add(c, akid, secret, err);
	if (r < 0)
		return err_wrap(err, "%s:%u", name, lineno);
	return 0;
}

int credentials_load_buffer(struct credentials *c, const char *name, const char *buf,
			    size_t len, struct ecs_err *err)
{
	_cleanup_free_ char *copy = malloc(len + 1);
	if (!copy)
		return err_set(err, ENOMEM, "out of memory");
	memcpy(copy, buf, len);
	copy[len] = '\0';
	if (memchr(buf, '\0', len))
		return err_set(err, EINVAL, "%s: not a text file", name);

	unsigned lineno = 0;
	int r = 0;
	char *p = copy;
	while (r >= 0 && p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		size_t l = strlen(p);
		if (l && p[l - 1] == '\r')
			p[l - 1] = '\0';
		r = parse_line(c, name, lineno, p, err);
		p = nl ? nl + 1 : NULL;
	}
	explicit_bzero(copy, len);
	return r;
}

int credentials_load_file(struct credentials *c, const char *path, bool *insecure_mode,
			  struct ecs_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	struct stat st;

	*insecure_mode = false;
	int r = file_read_all(path, CREDENTIALS_MAX_FILE, &buf, &len, err);
	if (r < 0)
		return r;
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		*insecure_mode = true;
	r = credentials_load_buffer(c, path, buf, len, err);
	explicit_bzero(buf, len);
	return r;
}
