/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The project's one error convention
 * ----------------------------------
 * A function that can fail returns an int: >= 0 on success, a negative errno
 * value on failure. When it fails it also fills the caller's `struct ecs_err`
 * (if the caller passed one; NULL is allowed and means "I only want the code")
 * with that errno and a human message saying what failed and why.
 *
 * Callers add context on the way up with err_wrap(), which prefixes the
 * existing message ("registering instance: connect: Connection refused"), and
 * return its result. The message is printed exactly once, at the boundary
 * (main(), a request handler, a task's failure reason). Library code never
 * logs above debug level and never exits: a bad task or a bad message is an
 * error value, not a crash.
 *
 * Functions returning pointers return NULL on failure and fill the error the
 * same way. Functions that cannot fail return void.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>

#define ECS_ERR_MSG_MAX 1024

struct ecs_err {
	int code;                   /* positive errno, 0 when unset */
	char msg[ECS_ERR_MSG_MAX];  /* NUL-terminated, "" when unset */
};

/* Set `err` to `code` (either sign accepted) and a formatted message.
 * Returns -abs(code), or -EIO if code is 0, so callers can write
 * `return err_set(err, EINVAL, "bad %s", what);`. */
int err_set(struct ecs_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int err_setv(struct ecs_err *err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like err_set() with ": strerror(code)" appended. */
int err_set_errno(struct ecs_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "context: ". Returns the stored negative
 * code (or -EIO when the error was never set). With err == NULL nothing was
 * stored and the result is -EIO: a function that accepts a NULL err must
 * return the callee's code itself rather than err_wrap()'s. */
int err_wrap(struct ecs_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reset to "no error". */
void err_clear(struct ecs_err *err);

/* The message, or "unknown error" when nothing was set. */
const char *err_msg(const struct ecs_err *err);
