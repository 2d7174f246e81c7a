/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict readers of the shim's records. They are small files written in one
 * piece by a process we trust, so anything unexpected means corruption or a
 * version mismatch, and is an error rather than a guess.
 */
#include "records.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Canonical decimal: "0", or [1-9][0-9]*, with '-' only when allowed and
 * never as "-0". */
static int parse_int(const char *s, size_t len, bool allow_neg, int64_t min, int64_t max,
		     int64_t *out)
{
	bool neg = false;
	if (allow_neg && len > 0 && s[0] == '-') {
		neg = true;
		s++;
		len--;
	}
	if (len == 0 || len > 19 || (s[0] == '0' && (len > 1 || neg)))
		return -EINVAL;
	int64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		int d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

struct field {
	const char *key;
	bool allow_neg;
	int64_t min, max;
	bool required;
	bool text;      /* value is a line of text, not a number */
	bool seen;
	int64_t value;
	const char *str;
	size_t str_len;
};

/* Split buf into "key=value\n" lines and fill `fields`. */
static int parse_lines(const char *what, const char *buf, size_t len, struct field *fields,
		       size_t n_fields, struct ecs_err *err)
{
	if (len == 0)
		return err_set(err, EINVAL, "%s: empty", what);
	if (len > SHIM_RECORD_MAX)
		return err_set(err, EINVAL, "%s: longer than %d bytes", what, SHIM_RECORD_MAX);
	if (buf[len - 1] != '\n')
		return err_set(err, EINVAL, "%s: no final newline", what);

	for (size_t pos = 0, line = 1; pos < len; line++) {
		const char *p = buf + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t n = (size_t)(nl - p);
		pos += n + 1;
		const char *eq = memchr(p, '=', n);
		if (!eq)
			return err_set(err, EINVAL, "%s: line %zu: not KEY=VALUE", what, line);
		size_t klen = (size_t)(eq - p);
		struct field *f = NULL;
		for (size_t i = 0; i < n_fields; i++)
			if (strlen(fields[i].key) == klen && memcmp(fields[i].key, p, klen) == 0)
				f = &fields[i];
		if (!f)
			return err_set(err, EINVAL, "%s: line %zu: unknown key", what, line);
		if (f->seen)
			return err_set(err, EINVAL, "%s: %s repeated", what, f->key);
		f->seen = true;
		const char *v = eq + 1;
		size_t vlen = n - klen - 1;
		if (f->text) {
			for (size_t i = 0; i < vlen; i++) {
				unsigned char c = (unsigned char)v[i];
				if (c < 0x20 || c == 0x7f)
					return err_set(err, EINVAL, "%s: %s: control character", what,
						       f->key);
			}
			f->str = v;
			f->str_len = vlen;
		} else if (parse_int(v, vlen, f->allow_neg, f->min, f->max, &f->value) < 0) {
			return err_set(err, EINVAL, "%s: %s: not a number in %" PRId64 "..%" PRId64, what,
				       f->key, f->min, f->max);
		}
	}
	for (size_t i = 0; i < n_fields; i++)
		if (fields[i].required && !fields[i].seen)
			return err_set(err, EINVAL, "%s: %s missing", what, fields[i].key);
	return 0;
}

int shim_record_parse_pid(const char *buf, size_t len, pid_t *out, struct ecs_err *err)
{
	int64_t v;
	if (len < 2 || buf[len - 1] != '\n' || parse_int(buf, len - 1, false, 1, INT_MAX, &v) < 0)
		return err_set(err, EINVAL, "%s: not a pid", SHIM_PID_FILE);
	*out = (pid_t)v;
	return 0;
}

int shim_record_parse_started(const char *buf, size_t len, struct shim_started *out,
			      struct ecs_err *err)
{
	struct field f[] = {
		{ .key = "pid", .min = 1, .max = INT_MAX, .required = true },
		{ .key = "started_ms", .min = 0, .max = INT64_MAX, .required = true },
	};
	int r = parse_lines(SHIM_STARTED_FILE, buf, len, f, 2, err);
	if (r < 0)
		return r;
	out->pid = (pid_t)f[0].value;
	out->started_ms = f[1].value;
	return 0;
}

int shim_record_parse_exit(const char *buf, size_t len, struct shim_exit *out,
			   struct ecs_err *err)
{
	struct field f[] = {
		{ .key = "exit_code", .allow_neg = true, .min = -1, .max = 255, .required = true },
		{ .key = "signal", .min = 0, .max = 127, .required = true },
		{ .key = "oom_killed", .min = 0, .max = 1, .required = true },
		{ .key = "finished_ms", .min = 0, .max = INT64_MAX, .required = true },
		{ .key = "error", .text = true },
	};
	int r = parse_lines(SHIM_EXIT_FILE, buf, len, f, 5, err);
	if (r < 0)
		return r;
	if (f[4].str_len >= sizeof(out->error))
		return err_set(err, EINVAL, "%s: error longer than %zu bytes", SHIM_EXIT_FILE,
			       sizeof(out->error) - 1);
	out->exit_code = (int)f[0].value;
	out->signal = (int)f[1].value;
	out->oom_killed = f[2].value == 1;
	out->finished_ms = f[3].value;
	memcpy(out->error, f[4].str ? f[4].str : "", f[4].str_len);
	out->error[f[4].str_len] = '\0';
	return 0;
}
