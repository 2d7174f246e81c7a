/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Leveled logging. Messages go to stderr, or straight to journald when the
 * process's stderr is the stream systemd connected (JOURNAL_STREAM names its
 * device and inode), so priorities and fields survive.
 *
 * Messages start with a capital letter, have no trailing period, and name
 * the task and container they concern. Library code logs at debug at most;
 * errors travel as values (see error.h) and are logged once at the boundary.
 */
#include <stdbool.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* `ident` prefixes stderr lines and becomes SYSLOG_IDENTIFIER in journald. */
void log_init(const char *ident);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parse "error", "warn", "info", "debug" (also "crit"/"warning" as ECS uses).
 * Returns 0 and sets *out, or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
