/* SPDX-License-Identifier: Apache-2.0 */
/* The KEY=VALUE config object: schema, file syntax, environment, output.
 * The rules are in config.h; typed values are in config-values.c. */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-internal.h"

struct msg_list {
	char **v;
	size_t n;     /* stored, at most CONFIG_MAX_MESSAGES */
	size_t total; /* occurred */
};

struct key_state {
	struct config_origin origin;
	bool unset; /* zero value because nothing set it and there is no default */
};

struct config {
	const struct config_key *keys;
	size_t n_keys;
	char *target;
	struct key_state *state;
	/* Names given to the loaders; origins point into these. */
	char **names;
	size_t n_names;
	struct msg_list errors, warnings;
};

/* One load: where messages point and the first error, returned to the caller. */
struct load {
	struct config *c;
	const char *name;
	size_t errors_before;
	struct ecs_err first;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool key_name_valid(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_' ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static void msg_list_clear(struct msg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct msg_list){ 0 };
}

__attribute__((format(printf, 2, 0)))
static void msg_list_addv(struct msg_list *l, const char *fmt, va_list ap)
{
	l->total++;
	if (l->n >= CONFIG_MAX_MESSAGES)
		return;
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return;
	l->v = v;
	va_list again;
	va_copy(again, ap);
	int len = vsnprintf(NULL, 0, fmt, ap);
	/* Losing a message to ENOMEM is acceptable: the count still tells. */
	char *msg = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (msg) {
		vsnprintf(msg, (size_t)len + 1, fmt, again);
		v[l->n++] = msg;
	}
	va_end(again);
}

__attribute__((format(printf, 2, 3)))
static void load_error(struct load *ld, const char *fmt, ...)
{
	va_list ap;
	if (ld->first.code == 0) {
		va_start(ap, fmt);
		err_setv(&ld->first, EINVAL, fmt, ap);
		va_end(ap);
	}
	va_start(ap, fmt);
	msg_list_addv(&ld->c->errors, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static void load_warning(struct load *ld, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	msg_list_addv(&ld->c->warnings, fmt, ap);
	va_end(ap);
}

/* The loaders' return value: 0, or -EINVAL with the first error and a count. */
static int load_finish(struct load *ld, struct ecs_err *err)
{
	size_t n = ld->c->errors.total - ld->errors_before;
	if (n == 0)
		return 0;
	if (n == 1)
		return err_set(err, EINVAL, "%s", ld->first.msg);
	return err_set(err, EINVAL, "%s (and %zu more error%s)", ld->first.msg, n - 1,
		       n == 2 ? "" : "s");
}

static ssize_t key_index(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_keys; i++)
		if (strcmp(c->keys[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* Replace key i's value by `text` parsed (the default when text is empty). On
 * failure the old value stays and err holds the reason. */
static int set_value(struct config *c, size_t i, const char *text,
		     const struct config_origin *origin, struct ecs_err *err)
{
	const struct config_key *k = &c->keys[i];
	union config_value v;
	bool unset = false;

	if (!*text)
		text = k->def ? k->def : "";
	if (*text) {
		int r = config_value_parse(k, text, &v, err);
		if (r < 0)
			return r;
	} else {
		memset(&v, 0, sizeof(v));
		if (k->type == CONFIG_ENUM)
			v.e = -1;
		unset = true;
	}
	void *slot = c->target + k->offset;
	config_value_free(k->type, slot);
	memcpy(slot, &v, config_value_size(k->type));
	c->state[i].origin = *origin;
	c->state[i].unset = unset;
	return 0;
}

static int check_schema(const struct config_key *keys, size_t n, struct ecs_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];
		if (!k->name || !key_name_valid(k->name))
			return err_set(err, EINVAL, "config schema: invalid key name \"%s\"",
				       k->name ? k->name : "(null)");
		for (size_t j = 0; j < i; j++)
			if (strcmp(keys[j].name, k->name) == 0)
				return err_set(err, EINVAL, "config schema: %s: declared twice",
					       k->name);
		if (config_value_size(k->type) == 0)
			return err_set(err, EINVAL, "config schema: %s: unknown type %d", k->name,
				       (int)k->type);
		if (k->type == CONFIG_ENUM && (!k->choices || !k->choices[0]))
			return err_set(err, EINVAL, "config schema: %s: enum without choices",
				       k->name);
		if (k->min > k->max && (k->type == CONFIG_INT || k->type == CONFIG_DURATION ||
					k->type == CONFIG_SIZE))
			return err_set(err, EINVAL, "config schema: %s: min > max", k->name);
		if (k->min < 0 && (k->type == CONFIG_DURATION || k->type == CONFIG_SIZE))
			return err_set(err, EINVAL, "config schema: %s: negative minimum", k->name);
	}
	return 0;
}

struct config *config_new(const struct config_key *keys, size_t n_keys, void *target,
			  struct ecs_err *err)
{
	if (check_schema(keys, n_keys, err) < 0)
		return NULL;

	_cleanup_(config_freep) struct config *c = calloc(1, sizeof(*c));
	if (!c || !(c->state = calloc(n_keys ? n_keys : 1, sizeof(*c->state)))) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	c->keys = keys;
	c->n_keys = n_keys;
	c->target = target;
	/* The caller's fields may hold anything; nothing in them is ours yet. */
	for (size_t i = 0; i < n_keys; i++)
		memset(c->target + keys[i].offset, 0, config_value_size(keys[i].type));

	const struct config_origin def = { .kind = CONFIG_ORIGIN_DEFAULT };
	for (size_t i = 0; i < n_keys; i++) {
		struct ecs_err why = { 0 };
		if (set_value(c, i, "", &def, &why) < 0) {
			err_set(err, EINVAL, "config schema: %s: invalid default: %s", keys[i].name,
				why.msg);
			return NULL;
		}
	}
	return TAKE_PTR(c);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	if (c->state)
		for (size_t i = 0; i < c->n_keys; i++)
			config_value_free(c->keys[i].type, c->target + c->keys[i].offset);
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	free(c->state);
	msg_list_clear(&c->errors);
	msg_list_clear(&c->warnings);
	free(c);
}

static const char *remember_name(struct config *c, const char *name)
{
	char **names = realloc(c->names, (c->n_names + 1) * sizeof(*names));
	if (!names)
		return NULL;
	c->names = names;
	names[c->n_names] = strdup(name);
	return names[c->n_names] ? names[c->n_names++] : NULL;
}

/* File syntax */

/*
 * Split one line (NUL-terminated, without line ending, free of control
 * characters but tab) into key and value, in place. Returns 0 for a blank
 * or comment line, 1 with *key and *value set, or -EINVAL.
 */
static int parse_line(char *line, char **key, char **value, struct ecs_err *err)
{
	char *p = line;

	while (is_blank(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (strncmp(p, "export", 6) == 0 && is_blank(p[6])) {
		char *after = p + 6;
		while (is_blank(*after))
			after++;
		if (*after != '=') /* "export = 1" assigns a key named export */
			p = after;
	}

	char *eq = strchr(p, '=');
	if (!eq)
		return err_set(err, EINVAL, "expected KEY=VALUE, found no '='");
	char *key_end = eq;
	while (key_end > p && is_blank(key_end[-1]))
		key_end--;
	*key_end = '\0';
	if (!*p)
		return err_set(err, EINVAL, "missing key before '='");
	if (!key_name_valid(p))
		return err_set(err, EINVAL, "invalid key \"%s\"", p);
	*key = p;

	for (p = eq + 1; is_blank(*p); p++)
		;
	char *rest;
	if (*p == '"') {
		char *r = p + 1, *w = p;
		*value = p;
		for (; *r != '"'; r++) {
			if (*r == '\0')
				return err_set(err, EINVAL, "unterminated double-quoted value");
			if (*r != '\\') {
				*w++ = *r;
				continue;
			}
			switch (*++r) {
			case '"': case '\\': case '$': *w++ = *r; break;
			case 'n': *w++ = '\n'; break;
			case 't': *w++ = '\t'; break;
			case '\0': return err_set(err, EINVAL, "unterminated double-quoted value");
			default: return err_set(err, EINVAL, "invalid escape \"\\%c\"", *r);
			}
		}
		*w = '\0';
		rest = r + 1;
	} else if (*p == '\'') {
		char *close = strchr(p + 1, '\'');
		if (!close)
			return err_set(err, EINVAL, "unterminated single-quoted value");
		*close = '\0';
		*value = p + 1;
		rest = close + 1;
	} else {
		char *q = p;
		/* q[-1] is in the line: at worst the '=' or a blank before p. */
		while (*q && !(*q == '#' && is_blank(q[-1])))
			q++;
		while (q > p && is_blank(q[-1]))
			q--;
		*q = '\0';
		*value = p;
		return 1;
	}
	while (is_blank(*rest))
		rest++;
	if (*rest && *rest != '#')
		return err_set(err, EINVAL, "unexpected text after closing quote");
	return 1;
}

static void apply_line(struct load *ld, char *line, unsigned lineno)
{
	struct ecs_err err = { 0 };
	char *key = NULL, *value = NULL;

	int r = parse_line(line, &key, &value, &err);
	if (r < 0) {
		load_error(ld, "%s:%u: %s", ld->name, lineno, err.msg);
		return;
	}
	if (r == 0)
		return;

	ssize_t i = key_index(ld->c, key);
	if (i < 0) {
		load_warning(ld, "%s:%u: unknown key %s", ld->name, lineno, key);
		return;
	}
	const struct config_origin origin = {
		.kind = CONFIG_ORIGIN_FILE, .file = ld->name, .line = lineno
	};
	if (set_value(ld->c, (size_t)i, value, &origin, &err) < 0)
		load_error(ld, "%s:%u: %s: %s", ld->name, lineno, key, err.msg);
}

int config_load_buffer(struct config *c, const char *name, const char *buf, size_t len,
		       struct ecs_err *err)
{
	struct load ld = { .c = c, .errors_before = c->errors.total };

	ld.name = remember_name(c, name);
	if (!ld.name)
		return err_set(err, ENOMEM, "out of memory");
	if (len > CONFIG_MAX_FILE) {
		load_error(&ld, "%s: file larger than %d bytes", name, CONFIG_MAX_FILE);
		return load_finish(&ld, err);
	}
	_cleanup_free_ char *line = malloc(CONFIG_MAX_LINE + 1);
	if (!line)
		return err_set(err, ENOMEM, "out of memory");

	size_t pos = 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	for (unsigned lineno = 1; pos < len; lineno++) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		pos += n + (nl != NULL);
		if (n > 0 && start[n - 1] == '\r')
			n--;

		if (memchr(start, '\0', n)) {
			load_error(&ld, "%s:%u: NUL byte (not a text file)", name, lineno);
			break;
		}
		if (n > CONFIG_MAX_LINE) {
			load_error(&ld, "%s:%u: line longer than %d bytes", name, lineno,
				   CONFIG_MAX_LINE);
			continue;
		}
		size_t bad = 0;
		while (bad < n && ((unsigned char)start[bad] >= 0x20 || start[bad] == '\t'))
			bad++;
		if (bad < n) {
			load_error(&ld, "%s:%u: control character 0x%02x", name, lineno,
				   (unsigned char)start[bad]);
			continue;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		apply_line(&ld, line, lineno);
	}
	return load_finish(&ld, err);
}

int config_load_file(struct config *c, const char *path, struct ecs_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set_errno(err, errno, "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_set_errno(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, "%s: not a regular file", path);

	/* Read one byte past the limit so an oversized file is recognised even
	 * if it grew after fstat(). */
	_cleanup_free_ char *buf = malloc(CONFIG_MAX_FILE + 1);
	if (!buf)
		return err_set(err, ENOMEM, "out of memory");
	size_t len = 0;
	while (len < CONFIG_MAX_FILE + 1) {
		ssize_t n = read(fd, buf + len, CONFIG_MAX_FILE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(err, errno, "%s", path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return config_load_buffer(c, path, buf, len, err);
}

int config_load_env(struct config *c, struct ecs_err *err)
{
	struct load ld = { .c = c, .name = "environment", .errors_before = c->errors.total };
	const struct config_origin origin = { .kind = CONFIG_ORIGIN_ENV };

	for (size_t i = 0; i < c->n_keys; i++) {
		const char *name = c->keys[i].name;
		const char *v = getenv(name);
		if (!v || !*v)
			continue;
		/* Values must stay writable by config_write(): no control
		 * characters but the tab and newline a quoted value can hold. */
		const char *bad = v;
		while (*bad && ((unsigned char)*bad >= 0x20 || *bad == '\t' || *bad == '\n'))
			bad++;
		if (*bad) {
			load_error(&ld, "environment: %s: control character 0x%02x", name,
				   (unsigned char)*bad);
			continue;
		}
		struct ecs_err e = { 0 };
		if (set_value(c, i, v, &origin, &e) < 0)
			load_error(&ld, "environment: %s: %s", name, e.msg);
	}
	return load_finish(&ld, err);
}

const char *const *config_errors(const struct config *c, size_t *n, size_t *total)
{
	*n = c->errors.n;
	if (total)
		*total = c->errors.total;
	return (const char *const *)c->errors.v;
}

const char *const *config_warnings(const struct config *c, size_t *n, size_t *total)
{
	*n = c->warnings.n;
	if (total)
		*total = c->warnings.total;
	return (const char *const *)c->warnings.v;
}

const struct config_origin *config_origin(const struct config *c, const char *key)
{
	ssize_t i = key_index(c, key);
	return i < 0 ? NULL : &c->state[i].origin;
}

static char *value_text(const struct config *c, size_t i, struct ecs_err *err)
{
	if (c->state[i].unset) {
		char *empty = strdup("");
		if (!empty)
			err_set(err, ENOMEM, "out of memory");
		return empty;
	}
	const struct config_key *k = &c->keys[i];
	_cleanup_free_ char *raw = config_value_format(k, c->target + k->offset, err);
	if (!raw)
		return NULL;
	char *quoted = config_quote(raw);
	if (!quoted)
		err_set(err, ENOMEM, "out of memory");
	return quoted;
}

char *config_value_text(const struct config *c, const char *key, struct ecs_err *err)
{
	ssize_t i = key_index(c, key);
	if (i < 0) {
		err_set(err, ENOENT, "unknown key %s", key);
		return NULL;
	}
	return value_text(c, (size_t)i, err);
}

/* A file name in a comment must not end the line early. */
static void write_name(FILE *out, const char *name)
{
	for (const char *p = name; *p; p++)
		fputc((unsigned char)*p < 0x20 ? '?' : *p, out);
}

int config_write(const struct config *c, FILE *out, unsigned flags, struct ecs_err *err)
{
	for (size_t i = 0; i < c->n_keys; i++) {
		struct ecs_err why = { 0 };
		_cleanup_free_ char *text = value_text(c, i, &why);
		if (!text)
			return err_set(err, why.code, "%s: %s", c->keys[i].name, why.msg);
		bool hide = c->keys[i].secret && *text;
		fprintf(out, "%s=%s", c->keys[i].name, hide ? CONFIG_HIDDEN : text);
		if (flags & CONFIG_WRITE_ORIGIN) {
			const struct config_origin *o = &c->state[i].origin;
			fputs("  # ", out);
			switch (o->kind) {
			case CONFIG_ORIGIN_DEFAULT: fputs("default", out); break;
			case CONFIG_ORIGIN_ENV: fputs("environment", out); break;
			case CONFIG_ORIGIN_FILE:
				write_name(out, o->file);
				fprintf(out, ":%u", o->line);
				break;
			}
		}
		fputc('\n', out);
	}
	if (fflush(out) != 0 || ferror(out))
		return err_set_errno(err, errno ? errno : EIO, "writing configuration");
	return 0;
}
