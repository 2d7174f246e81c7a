/* SPDX-License-Identifier: Apache-2.0 */
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int normalise(int code)
{
	if (code < 0)
		code = -code;
	return code == 0 ? EIO : code;
}

int err_setv(struct ecs_err *err, int code, const char *fmt, va_list ap)
{
	code = normalise(code);
	if (err) {
		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return -code;
}

int err_set(struct ecs_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = err_setv(err, code, fmt, ap);
	va_end(ap);
	return r;
}

int err_set_errno(struct ecs_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	code = normalise(code);
	va_start(ap, fmt);
	int r = err_setv(err, code, fmt, ap);
	va_end(ap);
	if (err) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(code));
	}
	return r;
}

int err_wrap(struct ecs_err *err, const char *fmt, ...)
{
	if (!err)
		return -EIO;
	if (err->code == 0)
		err->code = EIO;

	char prefix[ECS_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);

	/* Messages are truncated rather than failed: build "prefix: msg" by hand
	 * so the cut happens at the end, where it loses the least. */
	char joined[ECS_ERR_MSG_MAX];
	size_t n = strlen(prefix);
	memcpy(joined, prefix, n + 1);
	if (err->msg[0] && n + 2 < sizeof(joined)) {
		memcpy(joined + n, ": ", 2);
		n += 2;
		size_t rest = strlen(err->msg);
		if (rest > sizeof(joined) - 1 - n)
			rest = sizeof(joined) - 1 - n;
		memcpy(joined + n, err->msg, rest);
		joined[n + rest] = '\0';
	}
	memcpy(err->msg, joined, sizeof(err->msg));
	return -err->code;
}

void err_clear(struct ecs_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *err_msg(const struct ecs_err *err)
{
	if (!err || !err->msg[0])
		return "unknown error";
	return err->msg;
}
