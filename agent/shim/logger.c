/* SPDX-License-Identifier: Apache-2.0 */
#include "logger.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"

static void none_write(struct shim_logger *lg, const struct shim_entry *e)
{
}

static void none_close(struct shim_logger *lg)
{
}

static const struct shim_log_ops none_ops = {
	.write = none_write,
	.close = none_close,
};

void none_open(struct shim_logger *lg)
{
	memset(lg, 0, sizeof(*lg));
	lg->fd = lg->sock = -1;
	lg->ops = &none_ops;
}

int logger_open(struct shim_logger *lg, const struct shim_opts *o, char *msg, size_t msg_size)
{
	int r = 0;

	switch (o->log_driver) {
	case SHIM_LOG_JSON_FILE:
		r = json_log_open(lg, o->log_path, o->log_max_size, o->log_max_file);
		if (r < 0)
			snprintf(msg, msg_size, "opening log %s: %s", o->log_path, strerror(-r));
		break;
	case SHIM_LOG_JOURNALD:
		r = journald_open(lg, SHIM_JOURNAL_SOCKET, o->id, o->log_fields, o->n_fields);
		if (r < 0)
			snprintf(msg, msg_size, "journald socket: %s", strerror(-r));
		break;
	case SHIM_LOG_NONE:
		none_open(lg);
		break;
	}
	return r;
}

void logger_close(struct shim_logger *lg)
{
	if (lg->ops)
		lg->ops->close(lg);
	lg->ops = NULL;
}

void stream_init(struct shim_stream *s, const char *name, int priority, int fd)
{
	s->name = name;
	s->priority = priority;
	s->fd = fd;
	s->len = 0;
}

static void emit(struct shim_logger *lg, const struct shim_stream *s, const char *data,
		 size_t len, bool partial, const struct timespec *now)
{
	struct shim_entry e = {
		.stream = s, .data = data, .len = len, .partial = partial, .time = *now,
	};
	lg->entries++;
	lg->ops->write(lg, &e);
}

/* Emit every complete line in the buffer, and the buffer itself when it is
 * full without one. Leaves room for the next read. */
static void stream_scan(struct shim_logger *lg, struct shim_stream *s, const struct timespec *now)
{
	size_t start = 0;
	for (;;) {
		char *nl = memchr(s->buf + start, '\n', s->len - start);
		if (!nl)
			break;
		size_t n = (size_t)(nl - (s->buf + start)) + 1;
		emit(lg, s, s->buf + start, n, false, now);
		start += n;
	}
	if (start == 0 && s->len == sizeof(s->buf)) {
		/* A partial entry, cut where no UTF-8 character is split
		 * (utf8_cut looks back three bytes at most, so this makes
		 * progress). */
		size_t n = utf8_cut(s->buf, s->len);
		emit(lg, s, s->buf, n, true, now);
		start = n;
	}
	if (start > 0) {
		memmove(s->buf, s->buf + start, s->len - start);
		s->len -= start;
	}
}

void stream_feed(struct shim_logger *lg, struct shim_stream *s, const char *data, size_t len,
		 const struct timespec *now)
{
	while (len > 0) {
		size_t room = sizeof(s->buf) - s->len;
		size_t take = len < room ? len : room;
		memcpy(s->buf + s->len, data, take);
		s->len += take;
		data += take;
		len -= take;
		stream_scan(lg, s, now);
	}
}

int stream_read(struct shim_logger *lg, struct shim_stream *s)
{
	ssize_t n;

	if (s->fd < 0)
		return 0;
	/* Straight into the line buffer: stream_scan always leaves room. */
	do
		n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0) {
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	s->len += (size_t)n;
	stream_scan(lg, s, &now);
	return 1;
}

void stream_flush(struct shim_logger *lg, struct shim_stream *s)
{
	if (s->len == 0)
		return;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	emit(lg, s, s->buf, s->len, true, &now);
	s->len = 0;
}
