/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The json-file driver: Docker's format, one JSON object per line,
 *   {"log":"text\n","stream":"stdout","time":"2026-11-30T12:00:00.123456789Z"}
 * so tools that read Docker's logs read ours. Rotation follows Docker's
 * max-size/max-file: FILE, FILE.1 (newest rotated), ... FILE.(max-file-1).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "logger.h"

/* Holds the worst case (every byte escaped to six); only the pages a line
 * needs are ever touched, so ordinary lines cost one page of RSS. */
static char entry_buf[JSON_LOG_ENTRY_MAX];

static char *put2(char *o, unsigned v)
{
	*o++ = (char)('0' + v / 10 % 10);
	*o++ = (char)('0' + v % 10);
	return o;
}

/* gmtime_r would do, but glibc's reads the time zone database on first use
 * (malloc, file reads) just to answer in UTC; this is the civil calendar
 * from a day count (proleptic Gregorian, 400-year eras). */
void json_log_time(char out[JSON_LOG_TIME_LEN + 1], const struct timespec *ts)
{
	int64_t secs = ts->tv_sec;
	int64_t days = secs / 86400;
	int64_t rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	days += 719468; /* shift the epoch to 0000-03-01 */
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;                                   /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
	unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	int64_t year = yoe + era * 400 + (month <= 2);

	char *o = out;
	unsigned y = (unsigned)(year < 0 ? 0 : year > 9999 ? 9999 : year);
	o = put2(o, y / 100);
	o = put2(o, y % 100);
	*o++ = '-';
	o = put2(o, month);
	*o++ = '-';
	o = put2(o, day);
	*o++ = 'T';
	o = put2(o, (unsigned)(rem / 3600));
	*o++ = ':';
	o = put2(o, (unsigned)(rem / 60 % 60));
	*o++ = ':';
	o = put2(o, (unsigned)(rem % 60));
	*o++ = '.';
	/* Docker writes all nine digits (RFC3339NanoFixed). */
	long ns = ts->tv_nsec;
	for (int i = 8; i >= 0; i--) {
		o[i] = (char)('0' + ns % 10);
		ns /= 10;
	}
	o += 9;
	*o++ = 'Z';
	*o = '\0';
}

static char *put_str(char *o, const char *s)
{
	size_t n = strlen(s);
	memcpy(o, s, n);
	return o + n;
}

size_t json_log_format(char *out, const struct shim_entry *e)
{
	char *o = out;
	char tbuf[JSON_LOG_TIME_LEN + 1];

	o = put_str(o, "{\"log\":\"");
	o += json_escape(o, e->data, e->len < SHIM_LINE_MAX ? e->len : SHIM_LINE_MAX);
	o = put_str(o, "\",\"stream\":\"");
	o = put_str(o, e->stream->name);
	o = put_str(o, "\",\"time\":\"");
	json_log_time(tbuf, &e->time);
	o = put_str(o, tbuf);
	o = put_str(o, "\"}\n");
	return (size_t)(o - out);
}

bool json_log_should_rotate(uint64_t size, uint64_t add, uint64_t max_size)
{
	if (max_size == 0 || size == 0)
		return false;
	return add > max_size || size > max_size - add;
}

int json_log_rotate(const char *path, unsigned max_file)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (max_file <= 1)
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	/* Drop the oldest, then shift each one up. */
	if (snprintf(to, sizeof(to), "%s.%u", path, max_file - 1) >= (int)sizeof(to))
		return -ENAMETOOLONG;
	if (unlink(to) < 0 && errno != ENOENT)
		return -errno;
	for (unsigned i = max_file - 1; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", path);
		else
			snprintf(from, sizeof(from), "%s.%u", path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

static int json_reopen(struct shim_logger *lg)
{
	int fd = open(lg->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (lg->fd >= 0)
		close(lg->fd);
	lg->fd = fd;
	lg->size = (uint64_t)st.st_size;
	return 0;
}

static int json_rotate_now(struct shim_logger *lg)
{
	if (lg->max_file <= 1) {
		/* Keep the one file: start it over. O_APPEND writes land at
		 * the new end. */
		if (ftruncate(lg->fd, 0) < 0)
			return -errno;
		lg->size = 0;
		return 0;
	}
	int r = json_log_rotate(lg->path, lg->max_file);
	if (r < 0)
		return r;
	return json_reopen(lg);
}

static void json_write(struct shim_logger *lg, const struct shim_entry *e)
{
	size_t n = json_log_format(entry_buf, e);
	int r;

	if (lg->fd < 0 && (r = json_reopen(lg)) < 0)
		goto drop;
	if (json_log_should_rotate(lg->size, n, lg->max_size) && (r = json_rotate_now(lg)) < 0)
		goto drop;
	/* One write per entry: with O_APPEND a reader never sees half a
	 * line from us, short of a full disk. */
	for (size_t off = 0; off < n;) {
		ssize_t w = write(lg->fd, entry_buf + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto drop;
		}
		off += (size_t)w;
		lg->size += (uint64_t)w;
	}
	return;
drop:
	lg->dropped++;
	lg->last_errno = -r;
}

static void json_close(struct shim_logger *lg)
{
	if (lg->fd >= 0)
		close(lg->fd);
	lg->fd = -1;
}

static const struct shim_log_ops json_ops = {
	.write = json_write,
	.close = json_close,
};

int json_log_open(struct shim_logger *lg, const char *path, uint64_t max_size, unsigned max_file)
{
	memset(lg, 0, sizeof(*lg));
	lg->fd = lg->sock = -1;
	lg->path = path;
	lg->max_size = max_size;
	lg->max_file = max_file ? max_file : 1;
	lg->ops = &json_ops;
	return json_reopen(lg);
}
