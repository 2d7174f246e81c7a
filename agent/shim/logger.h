/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The container's stdout and stderr, cut into log entries and handed to one
 * log driver (json-file, journald or none) through a small ops table.
 *
 * Each stream has one fixed buffer of SHIM_LINE_MAX bytes: a line is an
 * entry when its newline arrives; a line that fills the buffer first is
 * written as a partial entry (Docker does the same at 16 KiB), cut at a
 * UTF-8 character boundary. Nothing is allocated per line, so the shim's
 * memory does not grow with the output.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "options.h"

#define SHIM_LINE_MAX (16 * 1024)
#define SHIM_JOURNAL_SOCKET "/run/systemd/journal/socket"

struct shim_stream {
	const char *name;  /* "stdout" or "stderr" */
	int priority;      /* journald PRIORITY: 6 info, 3 err */
	int fd;            /* read end of the pipe, -1 after EOF */
	size_t len;
	char buf[SHIM_LINE_MAX];
};

struct shim_entry {
	const struct shim_stream *stream;
	const char *data;
	size_t len;        /* with the final '\n' unless partial */
	bool partial;
	struct timespec time;
};

struct shim_logger;

struct shim_log_ops {
	void (*write)(struct shim_logger *lg, const struct shim_entry *e);
	void (*close)(struct shim_logger *lg);
};

struct shim_logger {
	const struct shim_log_ops *ops;
	uint64_t entries;
	uint64_t dropped;     /* entries that could not be written/sent */
	int last_errno;       /* why the last one was dropped */
	/* json-file */
	int fd;
	const char *path;
	uint64_t size;
	uint64_t max_size;
	unsigned max_file;
	/* journald */
	int sock;
	const char *socket_path;
	const char *id;
	const char *const *fields;
	size_t n_fields;
};

/* Set up the driver chosen in `o`. Returns 0 or a negative errno with a
 * message in msg. */
int logger_open(struct shim_logger *lg, const struct shim_opts *o, char *msg, size_t msg_size);
void logger_close(struct shim_logger *lg);

void stream_init(struct shim_stream *s, const char *name, int priority, int fd);
/* One read() from the stream's pipe; complete lines become entries.
 * Returns > 0 after data, 0 at EOF (the fd is then closed and set to -1),
 * -EAGAIN when nothing was there, or another negative errno. */
int stream_read(struct shim_logger *lg, struct shim_stream *s);
/* Feed bytes as if read from the pipe (stream_read's second half). */
void stream_feed(struct shim_logger *lg, struct shim_stream *s, const char *data, size_t len,
		 const struct timespec *now);
/* Write out what is left of an unterminated line, as a partial entry. */
void stream_flush(struct shim_logger *lg, struct shim_stream *s);

/* Drivers (log-json.c, log-journald.c, logger.c). */
int json_log_open(struct shim_logger *lg, const char *path, uint64_t max_size, unsigned max_file);
int journald_open(struct shim_logger *lg, const char *socket_path, const char *id,
		  const char *const *fields, size_t n_fields);
void none_open(struct shim_logger *lg);

/* json-file pieces, exposed for the unit tests. */
#define JSON_LOG_TIME_LEN 30 /* 2026-11-30T12:00:00.123456789Z */
#define JSON_LOG_ENTRY_MAX (SHIM_LINE_MAX * 6 + 128)
void json_log_time(char out[JSON_LOG_TIME_LEN + 1], const struct timespec *ts);
/* Format one entry (a JSON object and '\n') into out[JSON_LOG_ENTRY_MAX];
 * returns its length. */
size_t json_log_format(char *out, const struct shim_entry *e);
/* Whether writing `add` more bytes to a file of `size` bytes must rotate
 * first: when it would pass max_size (0: never), unless the file is empty
 * (an entry larger than max_size still gets written, alone). */
bool json_log_should_rotate(uint64_t size, uint64_t add, uint64_t max_size);
/* Shift PATH -> PATH.1 -> ... -> PATH.(max_file-1), dropping the oldest;
 * with max_file 1 just remove PATH. Missing files are skipped. Returns 0
 * or a negative errno. */
int json_log_rotate(const char *path, unsigned max_file);
