/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shim's pieces that need no container: JSON escaping, log entries and
 * rotation, line splitting, journald datagrams, options, records, OOM
 * counters, runtime error lines; and the agent's side (shim-client.c).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "fileio.h"
#include "json.h"
#include "runtime/shim-client.h"
#include "shim/escape.h"
#include "shim/logger.h"
#include "shim/oom.h"
#include "shim/options.h"
#include "shim/records.h"
#include "shim/runcmd.h"

/* ---- helpers ---- */

static char tmpdir[64];

static int setup_tmp(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_agent_shim.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown_tmp(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static char *path_in(const char *name)
{
	static char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	char *buf = NULL;
	size_t len;
	if (file_read_all(path, 1 << 24, &buf, &len, NULL) < 0)
		return NULL;
	return buf;
}

static char *escape(const char *in, size_t len)
{
	char *out = malloc(JSON_ESCAPE_MAX(len) + 1);
	assert_non_null(out);
	out[json_escape(out, in, len)] = '\0';
	return out;
}

/* ---- escaping ---- */

static void test_escape_basic(void **state)
{
	struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "plain text 123", 14, "plain text 123" },
		{ "a\"b\\c", 5, "a\\\"b\\\\c" },
		{ "l1\nl2\r\t", 7, "l1\\nl2\\r\\t" },
		{ "\x01\x1f\x7f", 3, "\\u0001\\u001f\x7f" },
		{ "\0x", 2, "\\u0000x" },
		{ "\b\f", 2, "\\u0008\\u000c" },
		{ "<a & b>", 7, "\\u003ca \\u0026 b\\u003e" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", 14,
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3" },
		{ "\xe2\x80\xa8\xe2\x80\xa9", 6, "\\u2028\\u2029" },
		/* Invalid UTF-8: one U+FFFD per byte, as Go's encoder does. */
		{ "\x80", 1, "\\ufffd" },
		{ "a\xffz", 3, "a\\ufffdz" },
		{ "\xc0\x80", 2, "\\ufffd\\ufffd" },             /* overlong NUL */
		{ "\xe0\x80\xaf", 3, "\\ufffd\\ufffd\\ufffd" },   /* overlong */
		{ "\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd" },   /* surrogate */
		{ "\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* > U+10FFFF */
		{ "\xf5\x80", 2, "\\ufffd\\ufffd" },
		{ "\xe2\x82", 2, "\\ufffd\\ufffd" },              /* truncated */
		{ "\xe2\x82" "A", 3, "\\ufffd\\ufffdA" },
		{ "\xf0\x9f\x90", 3, "\\ufffd\\ufffd\\ufffd" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = escape(cases[i].in, cases[i].len);
		assert_string_equal(got, cases[i].out);
	}
}

/* Whatever the bytes, the result in quotes is a JSON string; valid UTF-8
 * without NUL decodes back to the input. */
static void test_escape_random_is_json(void **state)
{
	srand(42);
	for (int round = 0; round < 2000; round++) {
		unsigned char in[64];
		size_t len = (size_t)(rand() % 64);
		bool ascii = round % 2;
		for (size_t i = 0; i < len; i++)
			in[i] = ascii ? (unsigned char)(1 + rand() % 127) : (unsigned char)rand();
		_cleanup_free_ char *esc = escape((char *)in, len);
		size_t el = strlen(esc);
		_cleanup_free_ char *doc = malloc(el + 16);
		sprintf(doc, "{\"s\":\"%s\"}", esc);
		struct ecs_err err = { 0 };
		struct json_doc *d = json_parse(doc, strlen(doc), &err);
		if (!d)
			fail_msg("not JSON: %s (%s)", doc, err.msg);
		const char *s = json_string(json_get(json_root(d), "s"));
		assert_non_null(s);
		if (ascii) {
			assert_int_equal(strlen(s), len);
			assert_memory_equal(s, in, len);
		}
		json_doc_free(d);
	}
}

static void test_utf8_cut(void **state)
{
	assert_int_equal(utf8_cut("abc", 3), 3);
	assert_int_equal(utf8_cut("ab\xe2\x82", 4), 2);       /* 3-byte char cut after 2 */
	assert_int_equal(utf8_cut("ab\xe2", 3), 2);
	assert_int_equal(utf8_cut("ab\xe2\x82\xac", 5), 5);   /* complete */
	assert_int_equal(utf8_cut("a\xf0\x9f\x90", 4), 1);
	assert_int_equal(utf8_cut("a\xc3", 2), 1);
	assert_int_equal(utf8_cut("a\x80\x80\x80\x80", 5), 5); /* garbage: no cut */
	assert_int_equal(utf8_cut("a\xff", 2), 2);
}

/* ---- json-file entries ---- */

static void test_json_time(void **state)
{
	char got[JSON_LOG_TIME_LEN + 1], want[64];
	struct timespec ts = { 0, 0 };
	json_log_time(got, &ts);
	assert_string_equal(got, "1970-01-01T00:00:00.000000000Z");
	ts = (struct timespec){ 1796054297, 123456789 };
	json_log_time(got, &ts);
	assert_string_equal(got, "2026-11-30T15:58:17.123456789Z");
	/* Against gmtime over 1970..2199, leap days and centuries included. */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		time_t t = (time_t)(((uint64_t)rand() << 16 ^ (uint64_t)rand()) % 7258118400ULL);
		if (i < 4)
			t = (time_t[]){ 951782400, 951868799, 4107542400, 4102444799 }[i];
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S.000000007Z", &tm);
		ts = (struct timespec){ t, 7 };
		json_log_time(got, &ts);
		assert_string_equal(got, want);
	}
}

static const struct shim_stream out_s = { .name = "stdout", .priority = 6, .fd = -1 };
static const struct shim_stream err_s = { .name = "stderr", .priority = 3, .fd = -1 };

static void test_json_format(void **state)
{
	static char buf[JSON_LOG_ENTRY_MAX];
	struct shim_entry e = {
		.stream = &out_s, .data = "hi \"x\"\n", .len = 7,
		.time = { 1796054297, 5 },
	};
	size_t n = json_log_format(buf, &e);
	buf[n] = '\0';
	assert_string_equal(buf, "{\"log\":\"hi \\\"x\\\"\\n\",\"stream\":\"stdout\","
				 "\"time\":\"2026-11-30T15:58:17.000000005Z\"}\n");
	e.stream = &err_s;
	e.data = "partial";
	e.len = 7;
	e.partial = true;
	n = json_log_format(buf, &e);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "{\"log\":\"partial\",\"stream\":\"stderr\""));

	/* The worst case fits the buffer. */
	static char worst[SHIM_LINE_MAX];
	memset(worst, 0x01, sizeof(worst));
	e.data = worst;
	e.len = sizeof(worst);
	n = json_log_format(buf, &e);
	assert_true(n <= JSON_LOG_ENTRY_MAX);
	assert_int_equal(n, SHIM_LINE_MAX * 6 + strlen("{\"log\":\"\",\"stream\":\"stderr\",\"time\":\"\"}\n") +
			     JSON_LOG_TIME_LEN);
}


/* ---- rotation ---- */

static void test_should_rotate(void **state)
{
	assert_false(json_log_should_rotate(0, 100, 0));
	assert_false(json_log_should_rotate(1000, 100, 0));    /* no max-size */
	assert_false(json_log_should_rotate(900, 100, 1000));  /* exactly full */
	assert_true(json_log_should_rotate(901, 100, 1000));
	assert_false(json_log_should_rotate(0, 5000, 1000));   /* empty: write it anyway */
	assert_true(json_log_should_rotate(1, 5000, 1000));
	assert_true(json_log_should_rotate(UINT64_MAX - 1, 10, UINT64_MAX));
}

static void test_rotate_files(void **state)
{
	char *p = strdup(path_in("c.log"));
	char n1[PATH_MAX], n2[PATH_MAX], n3[PATH_MAX];
	snprintf(n1, sizeof(n1), "%s.1", p);
	snprintf(n2, sizeof(n2), "%s.2", p);
	snprintf(n3, sizeof(n3), "%s.3", p);

	write_file(p, "new");
	assert_int_equal(json_log_rotate(p, 3), 0); /* c.log -> c.log.1 */
	assert_int_equal(access(p, F_OK), -1);
	_cleanup_free_ char *a = read_file(n1);
	assert_string_equal(a, "new");

	write_file(p, "newer");
	assert_int_equal(json_log_rotate(p, 3), 0);
	write_file(p, "newest");
	assert_int_equal(json_log_rotate(p, 3), 0); /* "new" falls off */
	_cleanup_free_ char *b = read_file(n1);
	_cleanup_free_ char *c = read_file(n2);
	assert_string_equal(b, "newest");
	assert_string_equal(c, "newer");
	assert_int_equal(access(n3, F_OK), -1);

	write_file(p, "x");
	assert_int_equal(json_log_rotate(p, 1), 0); /* max-file 1: just removed */
	assert_int_equal(access(p, F_OK), -1);
	free(p);
}

/* The json-file driver as the shim runs it: max-size 1k, max-file 3. */
static void test_json_driver_rotates(void **state)
{
	char *p = strdup(path_in("d.log"));
	struct shim_logger lg;
	struct shim_stream *s = calloc(1, sizeof(*s));
	stream_init(s, "stdout", 6, -1);
	assert_int_equal(json_log_open(&lg, p, 1024, 3), 0);
	struct timespec now = { 1796054297, 0 };
	for (int i = 0; i < 200; i++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "line %03d\n", i);
		stream_feed(&lg, s, line, (size_t)n, &now);
	}
	assert_int_equal(lg.entries, 200);
	assert_int_equal(lg.dropped, 0);
	logger_close(&lg);

	char name[PATH_MAX];
	int last = -1, count = 0;
	for (int k = 2; k >= 0; k--) {
		if (k)
			snprintf(name, sizeof(name), "%s.%d", p, k);
		else
			snprintf(name, sizeof(name), "%s", p);
		struct stat st;
		assert_int_equal(stat(name, &st), 0);
		assert_true(st.st_size <= 1024);
		assert_true(st.st_size > 0);
		_cleanup_free_ char *text = read_file(name);
		/* Lines are in order across the files, oldest in .2. */
		for (char *l = text; *l; l = strchr(l, '\n') + 1) {
			int v;
			assert_int_equal(sscanf(l, "{\"log\":\"line %d\\n\",\"stream\":\"stdout\"", &v), 1);
			assert_int_equal(v, last < 0 ? v : last + 1);
			last = v;
			count++;
		}
	}
	assert_int_equal(last, 199);
	snprintf(name, sizeof(name), "%s.3", p);
	assert_int_equal(access(name, F_OK), -1);
	assert_true(count < 200 && count > 20);

	/* max-file 1: the one file is truncated and restarted. */
	assert_int_equal(json_log_open(&lg, p, 1024, 1), 0);
	for (int i = 0; i < 100; i++)
		stream_feed(&lg, s, "0123456789\n", 11, &now);
	logger_close(&lg);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_true(st.st_size <= 1024);
	snprintf(name, sizeof(name), "%s.1", p);
	_cleanup_free_ char *still = read_file(name); /* left from before, untouched */
	assert_non_null(still);
	free(s);
	free(p);
}

/* ---- line splitting ---- */

struct captured {
	int n;
	char data[8][SHIM_LINE_MAX + 1];
	size_t len[8];
	bool partial[8];
	const char *stream[8];
};
static struct captured cap;

static void cap_write(struct shim_logger *lg, const struct shim_entry *e)
{
	assert_true(cap.n < 8);
	memcpy(cap.data[cap.n], e->data, e->len);
	cap.data[cap.n][e->len] = '\0';
	cap.len[cap.n] = e->len;
	cap.partial[cap.n] = e->partial;
	cap.stream[cap.n] = e->stream->name;
	cap.n++;
}

static void cap_close(struct shim_logger *lg)
{
}

static const struct shim_log_ops cap_ops = { .write = cap_write, .close = cap_close };

static void test_stream_lines(void **state)
{
	struct shim_logger lg;
	none_open(&lg);
	lg.ops = &cap_ops;
	static struct shim_stream s;
	stream_init(&s, "stderr", 3, -1);
	struct timespec now = { 0 };
	memset(&cap, 0, sizeof(cap));

	stream_feed(&lg, &s, "ab", 2, &now);
	assert_int_equal(cap.n, 0);
	stream_feed(&lg, &s, "c\nde\n\nf", 7, &now);
	assert_int_equal(cap.n, 3);
	assert_string_equal(cap.data[0], "abc\n");
	assert_string_equal(cap.data[1], "de\n");
	assert_string_equal(cap.data[2], "\n");
	assert_false(cap.partial[0]);
	assert_string_equal(cap.stream[0], "stderr");
	stream_flush(&lg, &s);
	assert_int_equal(cap.n, 4);
	assert_string_equal(cap.data[3], "f");
	assert_true(cap.partial[3]);
	stream_flush(&lg, &s); /* nothing left */
	assert_int_equal(cap.n, 4);
}

static void test_stream_long_line_split(void **state)
{
	struct shim_logger lg;
	none_open(&lg);
	lg.ops = &cap_ops;
	static struct shim_stream s;
	stream_init(&s, "stdout", 6, -1);
	struct timespec now = { 0 };
	memset(&cap, 0, sizeof(cap));

	/* 40000 bytes and a newline: 16 KiB + 16 KiB partial + the rest. */
	static char big[40001];
	memset(big, 'x', 40000);
	big[40000] = '\n';
	stream_feed(&lg, &s, big, sizeof(big), &now);
	assert_int_equal(cap.n, 3);
	assert_int_equal(cap.len[0], SHIM_LINE_MAX);
	assert_true(cap.partial[0]);
	assert_int_equal(cap.len[1], SHIM_LINE_MAX);
	assert_true(cap.partial[1]);
	assert_int_equal(cap.len[2], 40001 - 2 * SHIM_LINE_MAX);
	assert_false(cap.partial[2]);

	/* A 3-byte character across the 16 KiB mark moves whole to the
	 * next entry. */
	memset(&cap, 0, sizeof(cap));
	memset(big, 'y', SHIM_LINE_MAX - 1);
	memcpy(big + SHIM_LINE_MAX - 1, "\xe2\x82\xac\n", 4);
	stream_feed(&lg, &s, big, SHIM_LINE_MAX + 3, &now);
	assert_int_equal(cap.n, 2);
	assert_int_equal(cap.len[0], SHIM_LINE_MAX - 1);
	assert_string_equal(cap.data[1], "\xe2\x82\xac\n");
}

/* Reading from a real pipe: data, EAGAIN, EOF. */
static void test_stream_read_pipe(void **state)
{
	struct shim_logger lg;
	none_open(&lg);
	lg.ops = &cap_ops;
	static struct shim_stream s;
	int p[2];
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	stream_init(&s, "stdout", 6, p[0]);
	memset(&cap, 0, sizeof(cap));
	assert_int_equal(stream_read(&lg, &s), -EAGAIN);
	assert_int_equal(write(p[1], "one\ntw", 6), 6);
	assert_int_equal(stream_read(&lg, &s), 1);
	assert_int_equal(cap.n, 1);
	close(p[1]);
	assert_int_equal(stream_read(&lg, &s), 0);
	assert_int_equal(s.fd, -1);
	stream_flush(&lg, &s);
	assert_string_equal(cap.data[1], "tw");
}

/* ---- journald ---- */

static bool has_bytes(const char *buf, size_t len, const char *needle, size_t nlen)
{
	return memmem(buf, len, needle, nlen) != NULL;
}
#define HAS(buf, len, lit) has_bytes(buf, len, lit, sizeof(lit) - 1)

static void test_journald_datagram(void **state)
{
	char *sock_path = strdup(path_in("journal.sock"));
	int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, sock_path);
	assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);

	const char *fields[] = { "CONTAINER_NAME=web", "ECS_TASK_ARN=arn:aws:ecs:t/1",
				 "MULTI=a\nb", NULL };
	struct shim_logger lg;
	assert_int_equal(journald_open(&lg, sock_path, "cid-123", fields, 3), 0);
	struct shim_entry e = { .stream = &err_s, .data = "oops\n", .len = 5 };
	lg.ops->write(&lg, &e);
	assert_int_equal(lg.dropped, 0);

	char buf[4096];
	ssize_t n = recv(srv, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n > 0);
	/* MESSAGE in the binary form, without the newline. */
	assert_true(HAS(buf, n, "MESSAGE=oops\n"));
	assert_true(HAS(buf, n, "PRIORITY=3\n"));
	assert_true(HAS(buf, n, "CONTAINER_NAME=web\n"));
	assert_true(HAS(buf, n, "ECS_TASK_ARN=arn:aws:ecs:t/1\n"));
	assert_true(HAS(buf, n, "MULTI\n\x03\0\0\0\0\0\0\0a\nb\n"));
	assert_true(HAS(buf, n, "CONTAINER_ID_FULL=cid-123\n"));
	assert_true(HAS(buf, n, "SYSLOG_IDENTIFIER=web\n"));
	assert_false(HAS(buf, n, "CONTAINER_PARTIAL_MESSAGE"));

	e = (struct shim_entry){ .stream = &out_s, .data = "part", .len = 4, .partial = true };
	lg.ops->write(&lg, &e);
	n = recv(srv, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(HAS(buf, n, "PRIORITY=6\n"));
	assert_true(HAS(buf, n, "CONTAINER_PARTIAL_MESSAGE=true\n"));
	assert_true(HAS(buf, n, "MESSAGE=part\n"));
	logger_close(&lg);

	/* No CONTAINER_NAME: the identifier is the id. */
	assert_int_equal(journald_open(&lg, sock_path, "cid-9", NULL, 0), 0);
	lg.ops->write(&lg, &e);
	n = recv(srv, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(HAS(buf, n, "SYSLOG_IDENTIFIER=cid-9\n"));
	logger_close(&lg);
	close(srv);

	/* No socket (journald absent): dropped and counted, no error. */
	unlink(sock_path);
	assert_int_equal(journald_open(&lg, sock_path, "cid-123", NULL, 0), 0);
	lg.ops->write(&lg, &e);
	lg.ops->write(&lg, &e);
	assert_int_equal(lg.dropped, 2);
	assert_int_equal(lg.last_errno, ENOENT);
	logger_close(&lg);
	free(sock_path);
}

/* ---- options ---- */

static int parse(struct shim_opts *o, char *msg, ...)
{
	char *argv[64] = { "ecs-agent-shim" };
	int argc = 1;
	va_list ap;
	va_start(ap, msg);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	return shim_opts_parse(argc, argv, o, msg, 256);
}

#define BASE "--runtime", "/usr/sbin/runc", "--runtime-root", "/run/r", "--id", "c1", \
	"--bundle", "/b", "--state-dir", "/s"

static void test_options(void **state)
{
	struct shim_opts o;
	char msg[256];

	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "json-file", "--log-path", "/l",
			       "--log-max-size", "1024", "--log-max-file=3", NULL), 0);
	assert_string_equal(o.runtime, "/usr/sbin/runc");
	assert_string_equal(o.runtime_root, "/run/r");
	assert_string_equal(o.id, "c1");
	assert_string_equal(o.bundle, "/b");
	assert_string_equal(o.state_dir, "/s");
	assert_int_equal(o.log_driver, SHIM_LOG_JSON_FILE);
	assert_string_equal(o.log_path, "/l");
	assert_int_equal(o.log_max_size, 1024);
	assert_int_equal(o.log_max_file, 3);

	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "journald", "--log-field",
			       "CONTAINER_NAME=web", "--log-field", "ECS_TASK_ARN=a=b", NULL), 0);
	assert_int_equal(o.log_driver, SHIM_LOG_JOURNALD);
	assert_int_equal(o.n_fields, 2);
	assert_string_equal(o.log_fields[1], "ECS_TASK_ARN=a=b");
	assert_null(o.log_fields[2]);
	assert_int_equal(o.log_max_file, 1);

	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "none", NULL), 0);
	assert_int_equal(o.log_driver, SHIM_LOG_NONE);

	assert_int_equal(parse(&o, msg, BASE, NULL), -EINVAL);
	assert_string_equal(msg, "--log-driver is required");
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "awslogs", NULL), -EINVAL);
	assert_string_equal(msg, "--log-driver: unknown driver awslogs");
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "json-file", NULL), -EINVAL);
	assert_int_equal(parse(&o, msg, "--runtime", "runc", "--runtime-root", "/r", "--id", "c",
			       "--bundle", "/b", "--state-dir", "/s", "--log-driver", "none", NULL),
			 -EINVAL);
	assert_string_equal(msg, "--runtime must be an absolute path");
	assert_int_equal(parse(&o, msg, "--runtime", "/runc", "--log-driver", "none", NULL), -EINVAL);
	assert_string_equal(msg, "--runtime-root is required");
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "none", "--log-max-file", "0", NULL),
			 -EINVAL);
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "none", "--log-max-size", "1k", NULL),
			 -EINVAL);
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "journald", "--log-field", "lower=x",
			       NULL), -EINVAL);
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "journald", "--log-field", "_PID=1",
			       NULL), -EINVAL);
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "journald", "--log-field", "NOVALUE",
			       NULL), -EINVAL);
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "none", "--bogus", "x", NULL), -EINVAL);
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", "none", "extra", NULL), -EINVAL);
	assert_string_equal(msg, "unexpected argument extra");
	assert_int_equal(parse(&o, msg, BASE, "--log-driver", NULL), -EINVAL);
}

/* ---- records ---- */

static void test_records_roundtrip(void **state)
{
	char buf[SHIM_RECORD_MAX];
	struct ecs_err err = { 0 };

	struct shim_started s = { .pid = 4242, .started_ms = 1796054297123 }, s2;
	int n = shim_record_format_started(buf, sizeof(buf), &s);
	assert_true(n > 0);
	assert_string_equal(buf, "pid=4242\nstarted_ms=1796054297123\n");
	assert_int_equal(shim_record_parse_started(buf, (size_t)n, &s2, &err), 0);
	assert_int_equal(s2.pid, 4242);
	assert_int_equal(s2.started_ms, 1796054297123);

	struct shim_exit e = { .exit_code = 137, .signal = 9, .oom_killed = true,
			       .finished_ms = 5 }, e2;
	n = shim_record_format_exit(buf, sizeof(buf), &e);
	assert_string_equal(buf, "exit_code=137\nsignal=9\noom_killed=1\nfinished_ms=5\n");
	assert_int_equal(shim_record_parse_exit(buf, (size_t)n, &e2, &err), 0);
	assert_int_equal(e2.exit_code, 137);
	assert_int_equal(e2.signal, 9);
	assert_true(e2.oom_killed);
	assert_string_equal(e2.error, "");

	e = (struct shim_exit){ .exit_code = -1, .finished_ms = 7 };
	strcpy(e.error, "exec: \"x\": not found\nsecond\tline");
	n = shim_record_format_exit(buf, sizeof(buf), &e);
	assert_string_equal(buf, "exit_code=-1\nsignal=0\noom_killed=0\nfinished_ms=7\n"
				 "error=exec: \"x\": not found second line\n");
	assert_int_equal(shim_record_parse_exit(buf, (size_t)n, &e2, &err), 0);
	assert_int_equal(e2.exit_code, -1);
	assert_string_equal(e2.error, "exec: \"x\": not found second line");

	/* The longest error still fits a record. */
	memset(e.error, 'E', sizeof(e.error) - 1);
	e.error[sizeof(e.error) - 1] = '\0';
	n = shim_record_format_exit(buf, sizeof(buf), &e);
	assert_true(n > 0);
	assert_int_equal(shim_record_parse_exit(buf, (size_t)n, &e2, &err), 0);
	assert_int_equal(strlen(e2.error), sizeof(e.error) - 1);

	pid_t pid;
	n = shim_record_format_pid(buf, sizeof(buf), 77);
	assert_string_equal(buf, "77\n");
	assert_int_equal(shim_record_parse_pid(buf, (size_t)n, &pid, &err), 0);
	assert_int_equal(pid, 77);
}

static void test_records_strict(void **state)
{
	struct ecs_err err = { 0 };
	struct shim_started s;
	struct shim_exit e;
	pid_t pid;
#define BAD_STARTED(text) \
	assert_int_equal(shim_record_parse_started(text, strlen(text), &s, &err), -EINVAL)
#define BAD_EXIT(text) \
	assert_int_equal(shim_record_parse_exit(text, strlen(text), &e, &err), -EINVAL)
#define BAD_PID(text) assert_int_equal(shim_record_parse_pid(text, strlen(text), &pid, &err), -EINVAL)

	BAD_STARTED("");
	BAD_STARTED("pid=1\nstarted_ms=2");          /* no final newline */
	BAD_STARTED("pid=1\n");                      /* missing key */
	assert_string_equal(err.msg, "started: started_ms missing");
	BAD_STARTED("pid=1\npid=1\nstarted_ms=2\n"); /* repeated */
	assert_string_equal(err.msg, "started: pid repeated");
	BAD_STARTED("pid=1\nstarted_ms=2\nx=1\n");   /* unknown */
	BAD_STARTED("pid=0\nstarted_ms=2\n");
	BAD_STARTED("pid=01\nstarted_ms=2\n");
	BAD_STARTED("pid=-1\nstarted_ms=2\n");
	BAD_STARTED("pid= 1\nstarted_ms=2\n");
	BAD_STARTED("pid=1\nstarted_ms=99999999999999999999\n");
	BAD_STARTED("pid=1\r\nstarted_ms=2\n");
	BAD_STARTED("pid\nstarted_ms=2\n");
	BAD_EXIT("exit_code=0\nsignal=0\noom_killed=0\n");
	BAD_EXIT("exit_code=256\nsignal=0\noom_killed=0\nfinished_ms=1\n");
	BAD_EXIT("exit_code=-2\nsignal=0\noom_killed=0\nfinished_ms=1\n");
	BAD_EXIT("exit_code=-0\nsignal=0\noom_killed=0\nfinished_ms=1\n");
	BAD_EXIT("exit_code=0\nsignal=0\noom_killed=2\nfinished_ms=1\n");
	BAD_EXIT("exit_code=0\nsignal=-1\noom_killed=0\nfinished_ms=1\n");
	BAD_EXIT("exit_code=0\nsignal=0\noom_killed=0\nfinished_ms=1\nerror=a\tb\n");
	BAD_PID("");
	BAD_PID("12");
	BAD_PID("12\n\n");
	BAD_PID("0\n");
	BAD_PID("x\n");
	BAD_PID("2147483648\n");
	/* The NUL byte is data, not an end. */
	static const char nul[] = "exit_code=0\nsignal=0\noom_killed=0\nfinished_ms=1\nerror=a\0b\n";
	assert_int_equal(shim_record_parse_exit(nul, sizeof(nul) - 1, &e, &err), -EINVAL);
	/* Order does not matter; error may be empty. */
	const char *ok = "finished_ms=1\nerror=\noom_killed=0\nsignal=15\nexit_code=143\n";
	assert_int_equal(shim_record_parse_exit(ok, strlen(ok), &e, &err), 0);
	assert_int_equal(e.exit_code, 143);
	assert_int_equal(e.signal, 15);
}

static void test_record_files(void **state)
{
	struct ecs_err err = { 0 };
	struct shim_started s;
	struct shim_exit e;
	pid_t pid;

	assert_int_equal(shim_read_started(tmpdir, &s, &err), -ENOENT);
	assert_int_equal(shim_read_exit(tmpdir, &e, &err), -ENOENT);
	assert_int_equal(shim_read_pid(tmpdir, &pid, &err), -ENOENT);

	const char *text = "pid=10\nstarted_ms=20\n";
	assert_int_equal(shim_record_write(tmpdir, SHIM_STARTED_FILE, text, strlen(text), false), 0);
	assert_int_equal(shim_read_started(tmpdir, &s, &err), 0);
	assert_int_equal(s.pid, 10);
	assert_int_equal(s.started_ms, 20);
	/* No temporary file is left behind. */
	assert_int_equal(access(path_in(".started.tmp"), F_OK), -1);

	text = "exit_code=3\nsignal=0\noom_killed=0\nfinished_ms=30\n";
	assert_int_equal(shim_record_write(tmpdir, SHIM_EXIT_FILE, text, strlen(text), true), 0);
	assert_int_equal(shim_read_exit(tmpdir, &e, &err), 0);
	assert_int_equal(e.exit_code, 3);

	assert_int_equal(shim_record_write(tmpdir, SHIM_PID_FILE, "99\n", 3, false), 0);
	assert_int_equal(shim_read_pid(tmpdir, &pid, &err), 0);
	assert_int_equal(pid, 99);

	write_file(path_in(SHIM_EXIT_FILE), "garbage\n");
	assert_int_equal(shim_read_exit(tmpdir, &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, tmpdir));

	assert_true(shim_record_write("/nonexistent-dir", "x", "1", 1, true) < 0);
}

/* ---- logConfiguration options (agent side) ---- */

static int log_opts(const char *driver, struct shim_log *log, struct ecs_err *err, ...)
{
	struct td_map_entry items[8];
	struct td_map m = { .items = items, .set = true };
	va_list ap;
	va_start(ap, err);
	for (const char *k; (k = va_arg(ap, const char *));) {
		items[m.count].key = (char *)k;
		items[m.count].value = va_arg(ap, char *);
		m.count++;
	}
	va_end(ap);
	return shim_log_options(driver, &m, log, err);
}

static void test_log_options(void **state)
{
	struct shim_log log = { 0 };
	struct ecs_err err = { 0 };
	struct {
		const char *in;
		uint64_t bytes;
	} sizes[] = {
		{ "1024", 1024 }, { "100k", 102400 }, { "10m", 10485760 }, { "1g", 1073741824 },
		{ "10M", 10485760 }, { "10mb", 10485760 }, { "10MiB", 10485760 }, { "1.5k", 1536 },
		{ "2 m", 2097152 }, { "1kb", 1024 }, { "1t", 1099511627776ULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		assert_int_equal(log_opts("json-file", &log, &err, "max-size", sizes[i].in, NULL), 0);
		assert_int_equal(log.driver, SHIM_LOG_JSON_FILE);
		assert_int_equal(log.max_size, sizes[i].bytes);
		assert_int_equal(log.max_file, 1);
	}
	const char *bad_sizes[] = { "", "0", "k", "-1", "10x", "1.k", "1e3", "1 0", "99999999999p" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		assert_int_equal(log_opts("json-file", &log, &err, "max-size", bad_sizes[i], NULL),
				 -EINVAL);
		assert_non_null(strstr(err.msg, "max-size"));
	}
	assert_int_equal(log_opts("json-file", &log, &err, "max-size", "10m", "max-file", "3", NULL), 0);
	assert_int_equal(log.max_size, 10485760);
	assert_int_equal(log.max_file, 3);
	assert_int_equal(log_opts("json-file", &log, &err, "max-file", "0", NULL), -EINVAL);
	assert_int_equal(log_opts("json-file", &log, &err, "max-file", "x", NULL), -EINVAL);
	assert_int_equal(log_opts("json-file", &log, &err, "max-file", "2x", NULL), -EINVAL);
	assert_int_equal(log_opts("json-file", &log, &err, "labels", "a", NULL), -EINVAL);
	assert_string_equal(err.msg, "logConfiguration.options.labels: not supported by the json-file log driver");
	assert_int_equal(log_opts(NULL, &log, &err, NULL), 0); /* Docker's default driver */
	assert_int_equal(log.driver, SHIM_LOG_JSON_FILE);
	assert_int_equal(log.max_size, 0);

	assert_int_equal(log_opts("journald", &log, &err, NULL), 0);
	assert_int_equal(log.driver, SHIM_LOG_JOURNALD);
	assert_int_equal(log_opts("journald", &log, &err, "tag", "x", NULL), -EINVAL);
	assert_non_null(strstr(err.msg, "tag"));
	assert_int_equal(log_opts("journald", &log, &err, "max-size", "1m", NULL), -EINVAL);
	assert_int_equal(log_opts("none", &log, &err, NULL), 0);
	assert_int_equal(log.driver, SHIM_LOG_NONE);
	assert_int_equal(log_opts("none", &log, &err, "max-size", "1m", NULL), -EINVAL);
	assert_int_equal(log_opts("awslogs", &log, &err, NULL), -EINVAL);
	assert_string_equal(err.msg, "logConfiguration: log driver awslogs is not supported");
	assert_int_equal(shim_log_options("none", NULL, &log, &err), 0);
}

/* ---- OOM ---- */

static void mkdirs(const char *rel)
{
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", tmpdir, rel);
	assert_int_equal(system(cmd), 0);
}

static void test_oom_counter(void **state)
{
	assert_int_equal(oom_counter("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill"), 3);
	assert_int_equal(oom_counter("low 0\nhigh 0\nmax 5\noom 2\noom_kill 0\n", "oom_kill"), 0);
	assert_int_equal(oom_counter("oom 2\noom_group_kill 1\n", "oom_kill"), -1);
	assert_int_equal(oom_counter("oom_kill x\n", "oom_kill"), -1);
	assert_int_equal(oom_counter("", "oom_kill"), -1);
}

static void test_oom_capture(void **state)
{
	struct shim_oom o;
	char proc[PATH_MAX], sys[PATH_MAX], f[PATH_MAX];
	snprintf(proc, sizeof(proc), "%s/proc", tmpdir);
	snprintf(sys, sizeof(sys), "%s/sys", tmpdir);

	/* Hybrid v1: the memory hierarchy (named with others) wins. */
	mkdirs("proc/100");
	mkdirs("sys/memory/ecs/t1/c1");
	mkdirs("sys/unified/ecs/t1/c1");
	write_file(strcat(strcpy(f, proc), "/100/cgroup"),
		   "12:pids:/ecs/t1/c1\n5:memory,hugetlb:/ecs/t1/c1\n1:name=systemd:/x\n0::/ecs/t1/c1\n");
	oom_capture(&o, proc, sys, 100);
	assert_false(o.v2);
	assert_string_equal(o.dir, strcat(strcpy(f, sys), "/memory/ecs/t1/c1"));
	assert_false(oom_killed(&o)); /* no files at all */
	write_file(strcat(strcpy(f, o.dir), "/memory.oom_control"),
		   "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
	write_file(strcat(strcpy(f, o.dir), "/memory.failcnt"), "12\n");
	assert_false(oom_killed(&o)); /* oom_kill present and 0: failcnt not used */
	write_file(strcat(strcpy(f, o.dir), "/memory.oom_control"),
		   "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	assert_true(oom_killed(&o));
	/* Old kernels: no oom_kill line, the fail count decides. */
	write_file(strcat(strcpy(f, o.dir), "/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\n");
	assert_true(oom_killed(&o));
	write_file(strcat(strcpy(f, o.dir), "/memory.failcnt"), "0\n");
	assert_false(oom_killed(&o));

	/* Pure v2. */
	mkdirs("proc/200");
	mkdirs("sys/ecs/t2/c2");
	write_file(strcat(strcpy(f, proc), "/200/cgroup"), "0::/ecs/t2/c2\n");
	write_file(strcat(strcpy(f, sys), "/ecs/t2/c2/memory.events"),
		   "low 0\nhigh 0\nmax 9\noom 1\noom_kill 0\n");
	oom_capture(&o, proc, sys, 200);
	assert_true(o.v2);
	assert_string_equal(o.dir, strcat(strcpy(f, sys), "/ecs/t2/c2"));
	assert_false(oom_killed(&o));
	write_file(strcat(strcpy(f, sys), "/ecs/t2/c2/memory.events"),
		   "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n");
	assert_true(oom_killed(&o));

	/* Unknown pid: detection off, never a false positive. */
	oom_capture(&o, proc, sys, 999);
	assert_string_equal(o.dir, "");
	assert_false(oom_killed(&o));
}

/* ---- runtime error lines ---- */

static void test_error_line(void **state)
{
	char line[512];
	const char *runc = "time=\"2026-11-30T15:52:51Z\" level=warning msg=\"cgroup: ignored\"\n"
			   "time=\"2026-11-30T15:52:51Z\" level=error msg=\"runc create failed: unable "
			   "to start container process: exec: \\\"/bin/nosuch\\\": stat /bin/nosuch: no "
			   "such file or directory\"\n";
	runcmd_error_line(runc, strlen(runc), line, sizeof(line));
	assert_string_equal(line, "runc create failed: unable to start container process: exec: "
				  "\"/bin/nosuch\": stat /bin/nosuch: no such file or directory");
	const char *plain = "\n  first\n  crun: executable file `nosuch` not found in $PATH: "
			    "No such file or directory \n\n";
	runcmd_error_line(plain, strlen(plain), line, sizeof(line));
	assert_string_equal(line, "crun: executable file `nosuch` not found in $PATH: No such file "
				  "or directory");
	runcmd_error_line("", 0, line, sizeof(line));
	assert_string_equal(line, "");
	runcmd_error_line("a\tb\x01" "c", 5, line, sizeof(line));
	assert_string_equal(line, "a b c");
	char small[8];
	runcmd_error_line("0123456789", 10, small, sizeof(small));
	assert_string_equal(small, "0123456");

	char how[64];
	runcmd_describe_status(3 << 8, how, sizeof(how));
	assert_string_equal(how, "exited with status 3");
	runcmd_describe_status(9, how, sizeof(how));
	assert_string_equal(how, "killed by signal 9");
}

/* ---- spawning (agent side) and liveness ---- */

static void test_parse_children(void **state)
{
	(void)state;
	pid_t pid = 0;
	assert_int_equal(runcmd_parse_one_pid("4242 ", 5, &pid), 0);
	assert_int_equal(pid, 4242);
	assert_int_equal(runcmd_parse_one_pid("17", 2, &pid), 0);
	assert_int_equal(pid, 17);
	assert_int_equal(runcmd_parse_one_pid("", 0, &pid), -ESRCH);
	assert_int_equal(runcmd_parse_one_pid(" \n", 2, &pid), -ESRCH);
	assert_int_equal(runcmd_parse_one_pid("12 13 ", 6, &pid), -E2BIG);
	assert_int_equal(runcmd_parse_one_pid("12x ", 4, &pid), -EINVAL);
	assert_int_equal(runcmd_parse_one_pid("0 ", 2, &pid), -EINVAL);
	assert_int_equal(runcmd_parse_one_pid("-3 ", 3, &pid), -EINVAL);
	assert_int_equal(runcmd_parse_one_pid("99999999999 ", 12, &pid), -EINVAL);
	/* The length is honoured: nothing past it is read. */
	assert_int_equal(runcmd_parse_one_pid("12 13", 2, &pid), 0);
	assert_int_equal(pid, 12);
}

static void test_spawn_args(void **state)
{
	/* A stand-in shim that writes its arguments next to itself. */
	char *fake = strdup(path_in("fake-shim"));
	write_file(fake, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\n"
			 "ls /proc/self/fd > \"$(dirname \"$0\")/fds\"\n");
	chmod(fake, 0755);
	struct runtime rt = { .binary = "/usr/sbin/runc", .name = "runc", .root = "/run/rr" };
	const char *fields[] = { "CONTAINER_NAME=web", "ECS_TASK_ARN=arn:x", NULL };
	struct shim_params p = {
		.shim_binary = fake, .runtime = &rt, .id = "task-c1", .bundle = "/b/c1",
		.state_dir = "/s/c1",
		.log = { .driver = SHIM_LOG_JSON_FILE, .path = "/l/c1.log", .max_size = 1048576,
			 .max_file = 3, .fields = fields },
	};
	struct ecs_err err = { 0 };
	/* An fd the child must not inherit. */
	int leak = open("/dev/null", O_RDONLY);
	pid_t pid = shim_spawn(&p, &err);
	assert_true(pid > 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	_cleanup_free_ char *args = read_file(path_in("args"));
	assert_string_equal(args, "--runtime\n/usr/sbin/runc\n--runtime-root\n/run/rr\n--id\ntask-c1\n"
				  "--bundle\n/b/c1\n--state-dir\n/s/c1\n--log-driver\njson-file\n"
				  "--log-path\n/l/c1.log\n--log-max-size\n1048576\n--log-max-file\n3\n");
	/* 0, 1, 2 and the one ls opened for the directory listing. */
	_cleanup_free_ char *fds = read_file(path_in("fds"));
	assert_string_equal(fds, "0\n1\n2\n3\n");
	close(leak);

	p.log = (struct shim_log){ .driver = SHIM_LOG_JOURNALD, .fields = fields };
	pid = shim_spawn(&p, &err);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	_cleanup_free_ char *args2 = read_file(path_in("args"));
	assert_string_equal(args2, "--runtime\n/usr/sbin/runc\n--runtime-root\n/run/rr\n--id\ntask-c1\n"
				   "--bundle\n/b/c1\n--state-dir\n/s/c1\n--log-driver\njournald\n"
				   "--log-field\nCONTAINER_NAME=web\n--log-field\nECS_TASK_ARN=arn:x\n");

	/* exec failure is reported synchronously. */
	p.shim_binary = "/nonexistent/ecs-agent-shim";
	assert_int_equal(shim_spawn(&p, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/ecs-agent-shim"));
	while (waitpid(-1, &st, 0) > 0)
		;
	p.log = (struct shim_log){ .driver = SHIM_LOG_JSON_FILE };
	assert_int_equal(shim_spawn(&p, &err), -EINVAL);
	free(fake);
}

static void test_alive(void **state)
{
	/* A process whose argv looks like a shim's: /bin/sh with argv[0]
	 * "…/ecs-agent-shim"; its $0 and $1 are "--state-dir" DIR. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = { "/usr/libexec/ecs-agent/ecs-agent-shim", "-c", "sleep 5; true",
				 "--state-dir", "/s/c1", NULL };
		execv("/bin/sh", argv);
		_exit(127);
	}
	/* Wait for the exec. */
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	for (int i = 0; i < 200; i++) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0 && strstr(buf, "ecs-agent-shim"))
			break;
		usleep(10000);
	}
	assert_true(shim_alive(pid, "/s/c1"));
	assert_false(shim_alive(pid, "/s/c2"));
	assert_false(shim_alive(pid, "/s/c"));
	assert_false(shim_alive(getpid(), "/s/c1"));
	assert_false(shim_alive(0, "/s/c1"));
	kill(pid, SIGKILL);
	/* A zombie is not alive. */
	usleep(50000);
	assert_false(shim_alive(pid, "/s/c1"));
	waitpid(pid, NULL, 0);
	assert_false(shim_alive(pid, "/s/c1"));
}

/* shim_find: shims are found by their command line, under a prefix, even
 * before they write shim.pid (a process stands in for one here). */
struct found {
	pid_t pids[4];
	int n;
};

static void on_found(pid_t pid, const char *dir, void *ud)
{
	struct found *f = ud;
	if (f->n < 4)
		f->pids[f->n++] = pid;
	assert_string_equal(dir, "/tmp/ecs-find-test/tasks/t1/web");
}

static void test_find(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* "; :" keeps sh from exec'ing sleep, so the name stays. */
		execl("/bin/sh", "ecs-agent-shim", "-c", "sleep 30; :", "--state-dir",
		      "/tmp/ecs-find-test/tasks/t1/web", (char *)NULL);
		_exit(127);
	}
	struct found f = { 0 };
	for (int i = 0; i < 100 && f.n == 0; i++) {
		usleep(10000);
		shim_find("/tmp/ecs-find-test/tasks", on_found, &f);
	}
	assert_int_equal(f.n, 1);
	assert_int_equal(f.pids[0], pid);
	assert_true(shim_alive(pid, "/tmp/ecs-find-test/tasks/t1/web"));
	/* A prefix must end at a path component. */
	struct found g = { 0 };
	shim_find("/tmp/ecs-find-test/task", on_found, &g);
	assert_int_equal(g.n, 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_basic),
		cmocka_unit_test(test_escape_random_is_json),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_json_time),
		cmocka_unit_test(test_json_format),
		cmocka_unit_test(test_should_rotate),
		cmocka_unit_test_setup_teardown(test_rotate_files, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_json_driver_rotates, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_stream_lines),
		cmocka_unit_test(test_stream_long_line_split),
		cmocka_unit_test(test_stream_read_pipe),
		cmocka_unit_test_setup_teardown(test_journald_datagram, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_records_roundtrip),
		cmocka_unit_test(test_records_strict),
		cmocka_unit_test_setup_teardown(test_record_files, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_log_options),
		cmocka_unit_test(test_parse_children),
		cmocka_unit_test(test_oom_counter),
		cmocka_unit_test_setup_teardown(test_oom_capture, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_error_line),
		cmocka_unit_test_setup_teardown(test_spawn_args, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_alive),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
