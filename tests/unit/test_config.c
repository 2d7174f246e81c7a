/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config-internal.h"
#include "config.h"

struct cfg {
	char *cluster;
	bool privileged;
	int64_t tasks;
	uint64_t stop_timeout;
	uint64_t memory;
	int level;
	struct config_strv drivers;
	struct config_ports ports;
	struct config_map attrs;
	char *note;
	int mode;
};

static const char *const levels[] = { "debug", "info", "warn", "error", NULL };
static const char *const modes[] = { "bridge", "host", NULL };

static const struct config_key keys[] = {
	{ .name = "ECS_CLUSTER", .type = CONFIG_STRING, .offset = offsetof(struct cfg, cluster),
	  .def = "default" },
	{ .name = "ECS_PRIVILEGED", .type = CONFIG_BOOL, .offset = offsetof(struct cfg, privileged),
	  .def = "false" },
	{ .name = "ECS_NUM_TASKS", .type = CONFIG_INT, .offset = offsetof(struct cfg, tasks),
	  .def = "10", .min = 1, .max = 100 },
	{ .name = "ECS_CONTAINER_STOP_TIMEOUT", .type = CONFIG_DURATION,
	  .offset = offsetof(struct cfg, stop_timeout), .def = "30s",
	  .min = CONFIG_USEC_PER_SEC, .max = 3600 * CONFIG_USEC_PER_SEC },
	{ .name = "ECS_RESERVED_MEMORY", .type = CONFIG_SIZE, .offset = offsetof(struct cfg, memory),
	  .def = "0", .max = INT64_C(1) << 40 },
	{ .name = "ECS_LOGLEVEL", .type = CONFIG_ENUM, .offset = offsetof(struct cfg, level),
	  .def = "info", .choices = levels },
	{ .name = "ECS_AVAILABLE_LOGGING_DRIVERS", .type = CONFIG_STRING_LIST,
	  .offset = offsetof(struct cfg, drivers), .def = "[\"json-file\",\"none\"]" },
	{ .name = "ECS_RESERVED_PORTS", .type = CONFIG_PORT_LIST,
	  .offset = offsetof(struct cfg, ports), .def = "[22, 2375, 2376, 51678, 51679]" },
	{ .name = "ECS_INSTANCE_ATTRIBUTES", .type = CONFIG_STRING_MAP,
	  .offset = offsetof(struct cfg, attrs) },
	{ .name = "ECS_NOTE", .type = CONFIG_STRING, .offset = offsetof(struct cfg, note) },
	{ .name = "ECS_MODE", .type = CONFIG_ENUM, .offset = offsetof(struct cfg, mode),
	  .choices = modes },
};

struct fixture {
	struct cfg cfg;
	struct config *c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ecs_err err = { 0 };
	f->c = config_new(keys, ARRAY_SIZE(keys), &f->cfg, &err);
	if (!f->c) {
		fprintf(stderr, "config_new: %s\n", err.msg);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	config_free(f->c);
	free(f);
	return 0;
}

static int load(struct fixture *f, const char *text, struct ecs_err *err)
{
	return config_load_buffer(f->c, "test.conf", text, strlen(text), err);
}

/* Load text that must have exactly one error, and compare it. */
static void expect_error(struct fixture *f, const char *text, const char *msg)
{
	struct ecs_err err = { 0 };
	size_t before, n, total;
	config_errors(f->c, &n, &before);
	assert_int_equal(load(f, text, &err), -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.msg, msg);
	const char *const *errors = config_errors(f->c, &n, &total);
	assert_int_equal(total, before + 1);
	assert_string_equal(errors[n - 1], msg);
}

static char *text_of(struct fixture *f, const char *key)
{
	struct ecs_err err = { 0 };
	char *t = config_value_text(f->c, key, &err);
	assert_non_null(t);
	return t;
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	assert_string_equal(f->cfg.cluster, "default");
	assert_false(f->cfg.privileged);
	assert_int_equal(f->cfg.tasks, 10);
	assert_int_equal(f->cfg.stop_timeout, 30 * CONFIG_USEC_PER_SEC);
	assert_int_equal(f->cfg.memory, 0);
	assert_int_equal(f->cfg.level, 1);
	assert_int_equal(f->cfg.drivers.n, 2);
	assert_string_equal(f->cfg.drivers.items[1], "none");
	assert_int_equal(f->cfg.ports.n, 5);
	assert_int_equal(f->cfg.ports.ports[4], 51679);
	assert_int_equal(f->cfg.attrs.n, 0);
	assert_null(f->cfg.note);
	assert_int_equal(f->cfg.mode, -1);
	assert_int_equal(config_origin(f->c, "ECS_CLUSTER")->kind, CONFIG_ORIGIN_DEFAULT);
	assert_null(config_origin(f->c, "NOPE"));
	_cleanup_free_ char *note = text_of(f, "ECS_NOTE");
	assert_string_equal(note, "");
}

static void test_syntax_accepts(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	const char *text =
		"\xef\xbb\xbf# a comment\n"
		"\n"
		"   \t\n"
		"  # indented comment\n"
		"  ECS_CLUSTER \t=  prod cluster  \r\n"
		"export ECS_PRIVILEGED=YES\n"
		"ECS_NUM_TASKS=42 # trailing comment\n"
		"ECS_NOTE='it''s'\n";
	/* The last line is wrong on purpose: adjacent quotes are not joined. */
	assert_int_equal(load(f, text, &err), -EINVAL);
	assert_string_equal(err.msg, "test.conf:8: unexpected text after closing quote");
	assert_string_equal(f->cfg.cluster, "prod cluster");
	assert_true(f->cfg.privileged);
	assert_int_equal(f->cfg.tasks, 42);
	const struct config_origin *o = config_origin(f->c, "ECS_NUM_TASKS");
	assert_int_equal(o->kind, CONFIG_ORIGIN_FILE);
	assert_string_equal(o->file, "test.conf");
	assert_int_equal(o->line, 7);

	assert_int_equal(load(f, "ECS_NOTE='a \"b\" \\n #c' # comment\n", &err), 0);
	assert_string_equal(f->cfg.note, "a \"b\" \\n #c");
	assert_int_equal(load(f, "ECS_NOTE=\"q\\\" b\\\\ \\n\\t \\$HOME 'x'\"#c", &err), 0);
	assert_string_equal(f->cfg.note, "q\" b\\ \n\t $HOME 'x'");
	assert_int_equal(load(f, "ECS_NOTE=a#b", &err), 0);
	assert_string_equal(f->cfg.note, "a#b");
	assert_int_equal(load(f, "ECS_NOTE=a\\b $x", &err), 0);
	assert_string_equal(f->cfg.note, "a\\b $x");
	/* Quotes after the first character are literal: JSON needs no quoting. */
	assert_int_equal(load(f, "ECS_NOTE=it's {\"a\": \"b\"}", &err), 0);
	assert_string_equal(f->cfg.note, "it's {\"a\": \"b\"}");
	assert_int_equal(load(f, "ECS_NOTE=\t#only a comment", &err), 0);
	assert_null(f->cfg.note);
	/* No trailing newline, CR only before LF counts as line ending. */
	assert_int_equal(load(f, "ECS_CLUSTER=last", &err), 0);
	assert_string_equal(f->cfg.cluster, "last");
	/* "export" alone is a key name, not a prefix. */
	assert_int_equal(load(f, "export = 1\n", &err), 0);
	size_t n;
	const char *const *w = config_warnings(f->c, &n, NULL);
	assert_int_equal(n, 1);
	assert_string_equal(w[0], "test.conf:1: unknown key export");
}

static void test_empty_means_default(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_CLUSTER=x\nECS_NUM_TASKS=5\nECS_NOTE=n\n", &err), 0);
	assert_int_equal(load(f, "ECS_CLUSTER=\nECS_NUM_TASKS=\"\"\nECS_NOTE=''\n", &err), 0);
	assert_string_equal(f->cfg.cluster, "default");
	assert_int_equal(f->cfg.tasks, 10);
	assert_null(f->cfg.note);
	assert_int_equal(config_origin(f->c, "ECS_NUM_TASKS")->line, 2);
}

static void test_duplicate_last_wins(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_NUM_TASKS=3\nECS_NUM_TASKS=4\n", &err), 0);
	assert_int_equal(f->cfg.tasks, 4);
	assert_int_equal(config_origin(f->c, "ECS_NUM_TASKS")->line, 2);

	/* An invalid later value leaves the earlier one in place. */
	expect_error(f, "ECS_NUM_TASKS=5\nECS_NUM_TASKS=five\n",
		     "test.conf:2: ECS_NUM_TASKS: invalid integer \"five\"");
	assert_int_equal(f->cfg.tasks, 5);
}

static void test_syntax_rejects(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "\nECS_CLUSTER\n", "test.conf:2: expected KEY=VALUE, found no '='");
	expect_error(f, "1ECS=1", "test.conf:1: invalid key \"1ECS\"");
	expect_error(f, "ECS-X=1", "test.conf:1: invalid key \"ECS-X\"");
	expect_error(f, "ECS X=1", "test.conf:1: invalid key \"ECS X\"");
	expect_error(f, " = 1", "test.conf:1: missing key before '='");
	expect_error(f, "ECS_NOTE=\"abc", "test.conf:1: unterminated double-quoted value");
	expect_error(f, "ECS_NOTE=\"abc\\", "test.conf:1: unterminated double-quoted value");
	expect_error(f, "ECS_NOTE='abc", "test.conf:1: unterminated single-quoted value");
	expect_error(f, "ECS_NOTE=\"a\\qb\"", "test.conf:1: invalid escape \"\\q\"");
	expect_error(f, "ECS_NOTE=\"a\"b", "test.conf:1: unexpected text after closing quote");
	expect_error(f, "ECS_NOTE='a' b", "test.conf:1: unexpected text after closing quote");
	expect_error(f, "ECS_NOTE=a\x01", "test.conf:1: control character 0x01");
	expect_error(f, "ECS_NOTE=a\rb\n", "test.conf:1: control character 0x0d");
	/* A multi-line quoted value is not supported. */
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_NOTE=\"a\nb\"\n", &err), -EINVAL);
	assert_string_equal(err.msg, "test.conf:1: unterminated double-quoted value (and 1 more error)");
	size_t n;
	const char *const *e = config_errors(f->c, &n, NULL);
	assert_string_equal(e[n - 1], "test.conf:2: expected KEY=VALUE, found no '='");
}

static void test_nul_and_limits(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };

	assert_int_equal(config_load_buffer(f->c, "t", "ECS_NUM_TASKS=7\nA=\0\nECS_NUM_TASKS=8\n", 32, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "t:2: NUL byte (not a text file)");
	assert_int_equal(f->cfg.tasks, 7); /* lines after the NUL are not applied */

	size_t len = CONFIG_MAX_LINE + 64;
	_cleanup_free_ char *big = malloc(len + 1);
	memset(big, 'x', len);
	memcpy(big, "ECS_NOTE=x\nECS_NOTE=", 20);
	big[len - 1] = '\n';
	big[len] = '\0';
	assert_int_equal(config_load_buffer(f->c, "t", big, len, &err), -EINVAL);
	assert_string_equal(err.msg, "t:2: line longer than 8192 bytes");
	assert_string_equal(f->cfg.note, "x");

	/* Exactly CONFIG_MAX_LINE bytes plus CRLF is fine. */
	memset(big, 'y', CONFIG_MAX_LINE);
	memcpy(big, "ECS_NOTE=", 9);
	memcpy(big + CONFIG_MAX_LINE, "\r\n", 2);
	assert_int_equal(config_load_buffer(f->c, "t", big, CONFIG_MAX_LINE + 2, &err), 0);
	assert_int_equal(strlen(f->cfg.note), CONFIG_MAX_LINE - 9);

	_cleanup_free_ char *huge = calloc(1, CONFIG_MAX_FILE + 1);
	memset(huge, '\n', CONFIG_MAX_FILE + 1);
	assert_int_equal(config_load_buffer(f->c, "t", huge, CONFIG_MAX_FILE + 1, &err), -EINVAL);
	assert_string_equal(err.msg, "t: file larger than 1048576 bytes");
	assert_int_equal(config_load_buffer(f->c, "t", huge, CONFIG_MAX_FILE, &err), 0);
}

static void test_collects_all_errors(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	const char *text = "ECS_NUM_TASKS=0\n"
			   "ECS_PRIVILEGED=maybe\n"
			   "ECS_CLUSTER=ok\n"
			   "ECS_UNKNOWN=1\n"
			   "ECS_CONTAINER_STOP_TIMEOUT=30x\n";
	assert_int_equal(load(f, text, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "test.conf:1: ECS_NUM_TASKS: integer 0 out of range [1, 100] (and 2 more errors)");
	size_t n, total;
	const char *const *e = config_errors(f->c, &n, &total);
	assert_int_equal(n, 3);
	assert_int_equal(total, 3);
	assert_string_equal(e[1], "test.conf:2: ECS_PRIVILEGED: invalid boolean \"maybe\" "
				  "(expected true/false, yes/no, on/off or 1/0)");
	assert_string_equal(e[2],
			    "test.conf:5: ECS_CONTAINER_STOP_TIMEOUT: invalid duration \"30x\"");
	const char *const *w = config_warnings(f->c, &n, &total);
	assert_int_equal(n, 1);
	assert_string_equal(w[0], "test.conf:4: unknown key ECS_UNKNOWN");
	assert_string_equal(f->cfg.cluster, "ok");

	/* Stored messages are capped, counting goes on. */
	char *many = malloc(200 * 20);
	char *p = many;
	for (int i = 0; i < 150; i++)
		p += sprintf(p, "BAD LINE %d\n", i);
	assert_int_equal(config_load_buffer(f->c, "m", many, strlen(many), &err), -EINVAL);
	free(many);
	assert_string_equal(err.msg, "m:1: expected KEY=VALUE, found no '=' (and 149 more errors)");
	config_errors(f->c, &n, &total);
	assert_int_equal(n, CONFIG_MAX_MESSAGES);
	assert_int_equal(total, 153);
}

static void test_bool(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	static const char *const yes[] = { "true", "TRUE", "1", "yes", "Yes", "on", "ON" };
	static const char *const no[] = { "false", "False", "0", "no", "NO", "off", "Off" };
	char line[64];
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		snprintf(line, sizeof(line), "ECS_PRIVILEGED=%s", yes[i]);
		assert_int_equal(load(f, line, &err), 0);
		assert_true(f->cfg.privileged);
		snprintf(line, sizeof(line), "ECS_PRIVILEGED=%s", no[i]);
		assert_int_equal(load(f, line, &err), 0);
		assert_false(f->cfg.privileged);
	}
	expect_error(f, "ECS_PRIVILEGED=2", "test.conf:1: ECS_PRIVILEGED: invalid boolean \"2\" "
					    "(expected true/false, yes/no, on/off or 1/0)");
}

static void test_int(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_NUM_TASKS=+100", &err), 0);
	assert_int_equal(f->cfg.tasks, 100);
	assert_int_equal(load(f, "ECS_NUM_TASKS=007", &err), 0);
	assert_int_equal(f->cfg.tasks, 7);
	expect_error(f, "ECS_NUM_TASKS=101",
		     "test.conf:1: ECS_NUM_TASKS: integer 101 out of range [1, 100]");
	expect_error(f, "ECS_NUM_TASKS=-1",
		     "test.conf:1: ECS_NUM_TASKS: integer -1 out of range [1, 100]");
	expect_error(f, "ECS_NUM_TASKS=1.5", "test.conf:1: ECS_NUM_TASKS: invalid integer \"1.5\"");
	expect_error(f, "ECS_NUM_TASKS=0x10", "test.conf:1: ECS_NUM_TASKS: invalid integer \"0x10\"");
	expect_error(f, "ECS_NUM_TASKS=-", "test.conf:1: ECS_NUM_TASKS: invalid integer \"-\"");
	expect_error(f, "ECS_NUM_TASKS=\" 5\"", "test.conf:1: ECS_NUM_TASKS: invalid integer \" 5\"");
	expect_error(f, "ECS_NUM_TASKS=99999999999999999999",
		     "test.conf:1: ECS_NUM_TASKS: integer 99999999999999999999 out of range");
	assert_int_equal(f->cfg.tasks, 7);
}

static void test_duration_parse(void **state)
{
	static const struct {
		const char *text;
		uint64_t usec;
	} ok[] = {
		{ "0", 0 },
		{ "30", 30000000 },
		{ "1.5", 1500000 },
		{ "30s", 30000000 },
		{ "3m", 180000000 },
		{ "1h30m", 5400000000 },
		{ "500ms", 500000 },
		{ "1.5h", 5400000000 },
		{ ".5s", 500000 },
		{ "1.s", 1000000 },
		{ "0.000001s", 1 },
		{ "1h1m1s1ms1us", 3661001001 },
		{ "2us", 2 },
		{ "2\xc2\xb5s", 2 },
		{ "2\xce\xbcs", 2 },
		{ "1999ns", 1 },
		{ "1m1m", 120000000 },
		{ "5124095h", UINT64_C(5124095) * 3600000000 },
	};
	static const char *const bad[] = {
		"", "30x", "s", "-1s", "+1s", "1h30", "1 s", " 1s", "1s ", ".", ".s", "1..5s",
		"1.5.3", "1S", "1H", "1d", "ms", "1e3s",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		uint64_t us = 12345;
		assert_int_equal(config_parse_duration(ok[i].text, &us), 0);
		if (us != ok[i].usec)
			fail_msg("%s: %llu != %llu", ok[i].text, (unsigned long long)us,
				 (unsigned long long)ok[i].usec);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t us;
		if (config_parse_duration(bad[i], &us) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	uint64_t us;
	assert_int_equal(config_parse_duration("99999999999999999999s", &us), -ERANGE);
	assert_int_equal(config_parse_duration("5124096h", &us), -ERANGE);
	assert_int_equal(config_parse_duration("5124095h5124095h", &us), -ERANGE);
}

static void test_duration_format(void **state)
{
	static const struct {
		uint64_t usec;
		const char *text;
	} cases[] = {
		{ 0, "0s" },
		{ 1, "1us" },
		{ 1500000, "1s500ms" },
		{ 5400000000, "1h30m" },
		{ 3661001001, "1h1m1s1ms1us" },
		{ UINT64_MAX, "5124095576h1m49s551ms615us" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[CONFIG_FMT_MAX];
		config_format_duration(cases[i].usec, buf);
		assert_string_equal(buf, cases[i].text);
		/* Everything up to the parser's nanosecond range reads back. */
		if (cases[i].usec <= UINT64_MAX / 1000) {
			uint64_t back;
			assert_int_equal(config_parse_duration(buf, &back), 0);
			assert_int_equal(back, cases[i].usec);
		}
	}
}

static void test_duration_value(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_CONTAINER_STOP_TIMEOUT=2m30s", &err), 0);
	assert_int_equal(f->cfg.stop_timeout, 150 * CONFIG_USEC_PER_SEC);
	_cleanup_free_ char *t = text_of(f, "ECS_CONTAINER_STOP_TIMEOUT");
	assert_string_equal(t, "2m30s");
	expect_error(f, "ECS_CONTAINER_STOP_TIMEOUT=30x",
		     "test.conf:1: ECS_CONTAINER_STOP_TIMEOUT: invalid duration \"30x\"");
	expect_error(f, "ECS_CONTAINER_STOP_TIMEOUT=500ms",
		     "test.conf:1: ECS_CONTAINER_STOP_TIMEOUT: duration 500ms out of range [1s, 1h]");
	expect_error(f, "ECS_CONTAINER_STOP_TIMEOUT=1h1us",
		     "test.conf:1: ECS_CONTAINER_STOP_TIMEOUT: duration 1h1us out of range [1s, 1h]");
	expect_error(f, "ECS_CONTAINER_STOP_TIMEOUT=99999999999h",
		     "test.conf:1: ECS_CONTAINER_STOP_TIMEOUT: duration \"99999999999h\" too large");
	assert_int_equal(f->cfg.stop_timeout, 150 * CONFIG_USEC_PER_SEC);
}

static void test_size(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	static const struct {
		const char *text;
		uint64_t bytes;
	} ok[] = {
		{ "0", 0 },        { "1024", 1024 },      { "10b", 10 },
		{ "1k", 1024 },    { "1K", 1024 },        { "1kb", 1024 },
		{ "1KiB", 1024 },  { "512m", 512 << 20 }, { "2GiB", UINT64_C(2) << 30 },
		{ "2gB", UINT64_C(2) << 30 }, { "1.5g", UINT64_C(3) << 29 },
		{ "1t", UINT64_C(1) << 40 }, { "1p", UINT64_C(1) << 50 },
		{ "15e", UINT64_C(15) << 60 }, { "0.5k", 512 },
	};
	static const char *const bad[] = { "", "k", "1x", "1kk", "1kibb", "1 k", "-1", "1i", "1ib",
					   "1.2.3k" };
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		uint64_t b = 1;
		assert_int_equal(config_parse_size(ok[i].text, &b), 0);
		if (b != ok[i].bytes)
			fail_msg("%s: %llu", ok[i].text, (unsigned long long)b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t b;
		if (config_parse_size(bad[i], &b) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	uint64_t b;
	assert_int_equal(config_parse_size("16e", &b), -ERANGE);
	assert_int_equal(config_parse_size("18446744073709551616", &b), -ERANGE);

	char buf[CONFIG_FMT_MAX];
	config_format_size(0, buf);
	assert_string_equal(buf, "0");
	config_format_size(1536, buf);
	assert_string_equal(buf, "1536");
	config_format_size(UINT64_C(3) << 30, buf);
	assert_string_equal(buf, "3GiB");
	config_format_size(UINT64_MAX, buf);
	assert_string_equal(buf, "18446744073709551615");

	assert_int_equal(load(f, "ECS_RESERVED_MEMORY=512m", &err), 0);
	assert_int_equal(f->cfg.memory, 512 << 20);
	_cleanup_free_ char *t = text_of(f, "ECS_RESERVED_MEMORY");
	assert_string_equal(t, "512MiB");
	expect_error(f, "ECS_RESERVED_MEMORY=2t",
		     "test.conf:1: ECS_RESERVED_MEMORY: size 2TiB out of range [0, 1TiB]");
	expect_error(f, "ECS_RESERVED_MEMORY=12q",
		     "test.conf:1: ECS_RESERVED_MEMORY: invalid size \"12q\"");
	expect_error(f, "ECS_RESERVED_MEMORY=99999999999e",
		     "test.conf:1: ECS_RESERVED_MEMORY: size \"99999999999e\" too large");
}

static void test_enum(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_LOGLEVEL=DEBUG\nECS_MODE=host", &err), 0);
	assert_int_equal(f->cfg.level, 0);
	assert_int_equal(f->cfg.mode, 1);
	_cleanup_free_ char *t = text_of(f, "ECS_LOGLEVEL");
	assert_string_equal(t, "debug");
	expect_error(f, "ECS_LOGLEVEL=verbose",
		     "test.conf:1: ECS_LOGLEVEL: invalid value \"verbose\" "
		     "(expected one of: debug, info, warn, error)");
	assert_int_equal(f->cfg.level, 0);
	assert_int_equal(load(f, "ECS_MODE=", &err), 0);
	assert_int_equal(f->cfg.mode, -1);
}

static void test_string_list(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_AVAILABLE_LOGGING_DRIVERS= a , b\tc ,d", &err), 0);
	assert_int_equal(f->cfg.drivers.n, 3);
	assert_string_equal(f->cfg.drivers.items[0], "a");
	assert_string_equal(f->cfg.drivers.items[1], "b\tc");
	assert_string_equal(f->cfg.drivers.items[2], "d");
	assert_true(config_strv_contains(&f->cfg.drivers, "d"));
	assert_false(config_strv_contains(&f->cfg.drivers, "e"));

	assert_int_equal(load(f, "ECS_AVAILABLE_LOGGING_DRIVERS='[\"json-file\", \"a,b\", \" x\"]'",
			      &err),
			 0);
	assert_int_equal(f->cfg.drivers.n, 3);
	assert_string_equal(f->cfg.drivers.items[1], "a,b");
	_cleanup_free_ char *t = text_of(f, "ECS_AVAILABLE_LOGGING_DRIVERS");
	assert_string_equal(t, "'[\"json-file\",\"a,b\",\" x\"]'");

	assert_int_equal(load(f, "ECS_AVAILABLE_LOGGING_DRIVERS=[]", &err), 0);
	assert_int_equal(f->cfg.drivers.n, 0);

	expect_error(f, "ECS_AVAILABLE_LOGGING_DRIVERS=a,,b",
		     "test.conf:1: ECS_AVAILABLE_LOGGING_DRIVERS: invalid list: item 2 is empty");
	expect_error(f, "ECS_AVAILABLE_LOGGING_DRIVERS=a,",
		     "test.conf:1: ECS_AVAILABLE_LOGGING_DRIVERS: invalid list: item 2 is empty");
	expect_error(f, "ECS_AVAILABLE_LOGGING_DRIVERS=[\"a\",1]",
		     "test.conf:1: ECS_AVAILABLE_LOGGING_DRIVERS: invalid list: item 2 is number, "
		     "expected a string");
	expect_error(f, "ECS_AVAILABLE_LOGGING_DRIVERS=[\"\"]",
		     "test.conf:1: ECS_AVAILABLE_LOGGING_DRIVERS: invalid list: item 1 is empty");
	struct ecs_err e2 = { 0 };
	assert_int_equal(load(f, "ECS_AVAILABLE_LOGGING_DRIVERS=[a", &e2), -EINVAL);
	assert_non_null(strstr(e2.msg, "test.conf:1: ECS_AVAILABLE_LOGGING_DRIVERS: invalid list: "
				       "invalid JSON"));
}

static void test_port_list(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_RESERVED_PORTS=0, 80 ,65535", &err), 0);
	assert_int_equal(f->cfg.ports.n, 3);
	assert_int_equal(f->cfg.ports.ports[2], 65535);
	assert_true(config_ports_contains(&f->cfg.ports, 80));
	assert_false(config_ports_contains(&f->cfg.ports, 81));
	_cleanup_free_ char *t = text_of(f, "ECS_RESERVED_PORTS");
	assert_string_equal(t, "[0,80,65535]");
	assert_int_equal(load(f, "ECS_RESERVED_PORTS=[22, 2375]", &err), 0);
	assert_int_equal(f->cfg.ports.n, 2);
	assert_int_equal(f->cfg.ports.ports[1], 2375);

	expect_error(f, "ECS_RESERVED_PORTS=22,65536",
		     "test.conf:1: ECS_RESERVED_PORTS: invalid port \"65536\"");
	expect_error(f, "ECS_RESERVED_PORTS=22,-1",
		     "test.conf:1: ECS_RESERVED_PORTS: invalid port \"-1\"");
	expect_error(f, "ECS_RESERVED_PORTS=22,http",
		     "test.conf:1: ECS_RESERVED_PORTS: invalid port \"http\"");
	expect_error(f, "ECS_RESERVED_PORTS=1 2",
		     "test.conf:1: ECS_RESERVED_PORTS: invalid port \"1 2\"");
	expect_error(f, "ECS_RESERVED_PORTS=[22, 70000]",
		     "test.conf:1: ECS_RESERVED_PORTS: invalid port list: item 2 is not a port number");
	expect_error(f, "ECS_RESERVED_PORTS=[22, \"80\"]",
		     "test.conf:1: ECS_RESERVED_PORTS: invalid port list: item 2 is not a port number");
	expect_error(f, "ECS_RESERVED_PORTS=[1.5]",
		     "test.conf:1: ECS_RESERVED_PORTS: invalid port list: item 1 is not a port number");
	assert_int_equal(f->cfg.ports.n, 2);
}

static void test_string_map(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_INSTANCE_ATTRIBUTES={\"stack\": \"prod\", \"team\":\"a b\"}",
			      &err),
			 0);
	assert_int_equal(f->cfg.attrs.n, 2);
	assert_string_equal(config_map_get(&f->cfg.attrs, "team"), "a b");
	assert_null(config_map_get(&f->cfg.attrs, "x"));
	_cleanup_free_ char *t = text_of(f, "ECS_INSTANCE_ATTRIBUTES");
	assert_string_equal(t, "'{\"stack\":\"prod\",\"team\":\"a b\"}'");

	expect_error(f, "ECS_INSTANCE_ATTRIBUTES={\"a\":1}",
		     "test.conf:1: ECS_INSTANCE_ATTRIBUTES: invalid map: value of \"a\" is number, "
		     "expected a string");
	expect_error(f, "ECS_INSTANCE_ATTRIBUTES={\"a\":\"1\",\"a\":\"2\"}",
		     "test.conf:1: ECS_INSTANCE_ATTRIBUTES: invalid map: duplicate key \"a\"");
	expect_error(f, "ECS_INSTANCE_ATTRIBUTES=[]",
		     "test.conf:1: ECS_INSTANCE_ATTRIBUTES: invalid map: expected a JSON object, not array");
	expect_error(f, "ECS_INSTANCE_ATTRIBUTES=a=b",
		     "test.conf:1: ECS_INSTANCE_ATTRIBUTES: invalid map: invalid JSON: "
		     "lexical error: invalid char in json text.");
	assert_int_equal(f->cfg.attrs.n, 2);
}

static void test_env(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	assert_int_equal(load(f, "ECS_CLUSTER=file\nECS_NUM_TASKS=5\nECS_LOGLEVEL=warn\n", &err), 0);
	setenv("ECS_CLUSTER", "env", 1);
	setenv("ECS_NUM_TASKS", "x", 1);
	setenv("ECS_LOGLEVEL", "", 1); /* empty: as if unset */
	setenv("ECS_NOTE", "line1\nline2\t", 1);
	setenv("ECS_PRIVILEGED", "true\r", 1);
	assert_int_equal(config_load_env(f->c, &err), -EINVAL);
	assert_string_equal(err.msg, "environment: ECS_PRIVILEGED: control character 0x0d "
				     "(and 1 more error)");
	size_t n;
	const char *const *e = config_errors(f->c, &n, NULL);
	assert_int_equal(n, 2);
	assert_string_equal(e[1], "environment: ECS_NUM_TASKS: invalid integer \"x\"");
	assert_string_equal(f->cfg.cluster, "env");
	assert_int_equal(config_origin(f->c, "ECS_CLUSTER")->kind, CONFIG_ORIGIN_ENV);
	assert_int_equal(f->cfg.tasks, 5);
	assert_int_equal(config_origin(f->c, "ECS_NUM_TASKS")->kind, CONFIG_ORIGIN_FILE);
	assert_int_equal(f->cfg.level, 2);
	assert_string_equal(f->cfg.note, "line1\nline2\t");
	_cleanup_free_ char *t = text_of(f, "ECS_NOTE");
	assert_string_equal(t, "\"line1\\nline2\\t\"");
	unsetenv("ECS_CLUSTER");
	unsetenv("ECS_NUM_TASKS");
	unsetenv("ECS_LOGLEVEL");
	unsetenv("ECS_NOTE");
	unsetenv("ECS_PRIVILEGED");
	assert_int_equal(config_load_env(f->c, &err), 0);
}

static void test_quote(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "a\\b$c", "a\\b$c" },
		{ "a b", "'a b'" },
		{ " lead", "' lead'" },
		{ "x#y", "'x#y'" },
		{ "say \"hi\"", "'say \"hi\"'" },
		{ "it's", "it's" },
		{ "'lead", "\"'lead\"" },
		{ "\"lead", "'\"lead'" },
		{ "{\"k\":\"v\"}", "{\"k\":\"v\"}" },
		{ "it's \"x\" \\ $", "\"it's \\\"x\\\" \\\\ $\"" },
		{ "nl\nx", "\"nl\\nx\"" },
		{ "tab\tx", "'tab\tx'" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *q = config_quote(cases[i].in);
		assert_string_equal(q, cases[i].out);
	}
}

static char *write_config(struct config *c, unsigned flags)
{
	char *buf = NULL;
	size_t len = 0;
	struct ecs_err err = { 0 };
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(config_write(c, m, flags, &err), 0);
	fclose(m);
	return buf;
}

static void test_write_round_trip(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	const char *text = "ECS_CLUSTER=\"it's \\\"x\\\" # \\\\ $HOME\"\n"
			   "ECS_PRIVILEGED=on\n"
			   "ECS_CONTAINER_STOP_TIMEOUT=90\n"
			   "ECS_RESERVED_MEMORY=1.5g\n"
			   "ECS_AVAILABLE_LOGGING_DRIVERS=json-file , awslogs\n"
			   "ECS_RESERVED_PORTS=22\n"
			   "ECS_INSTANCE_ATTRIBUTES={\"k\":\"it's \\\"q\\\"\",\"t\":\"\\u0001\"}\n"
			   "ECS_NOTE=\"two\\nlines\"\n";
	assert_int_equal(load(f, text, &err), 0);

	_cleanup_free_ char *out = write_config(f->c, CONFIG_WRITE_ORIGIN);
	assert_string_equal(out,
			    "ECS_CLUSTER=\"it's \\\"x\\\" # \\\\ $HOME\"  # test.conf:1\n"
			    "ECS_PRIVILEGED=true  # test.conf:2\n"
			    "ECS_NUM_TASKS=10  # default\n"
			    "ECS_CONTAINER_STOP_TIMEOUT=1m30s  # test.conf:3\n"
			    "ECS_RESERVED_MEMORY=1536MiB  # test.conf:4\n"
			    "ECS_LOGLEVEL=info  # default\n"
			    "ECS_AVAILABLE_LOGGING_DRIVERS=json-file,awslogs  # test.conf:5\n"
			    "ECS_RESERVED_PORTS=[22]  # test.conf:6\n"
			    "ECS_INSTANCE_ATTRIBUTES=\"{\\\"k\\\":\\\"it's \\\\\\\"q\\\\\\\"\\\",\\\"t\\\":\\\"\\\\u0001\\\"}\"  # test.conf:7\n"
			    "ECS_NOTE=\"two\\nlines\"  # test.conf:8\n"
			    "ECS_MODE=  # default\n");

	/* Read it back into a fresh config: same values, same output. */
	struct cfg cfg2;
	_cleanup_(config_freep) struct config *c2 = config_new(keys, ARRAY_SIZE(keys), &cfg2, &err);
	assert_non_null(c2);
	assert_int_equal(config_load_buffer(c2, "out", out, strlen(out), &err), 0);
	_cleanup_free_ char *plain1 = write_config(f->c, 0);
	_cleanup_free_ char *plain2 = write_config(c2, 0);
	assert_string_equal(plain1, plain2);
	assert_string_equal(cfg2.attrs.pairs[1].value, "\x01");
	assert_string_equal(cfg2.cluster, f->cfg.cluster);
}

static void test_schema_errors(void **state)
{
	struct cfg cfg;
	struct ecs_err err = { 0 };
	static const char *const none[] = { NULL };
	const struct {
		struct config_key key;
		const char *msg;
	} cases[] = {
		{ { .name = "1X", .type = CONFIG_STRING }, "config schema: invalid key name \"1X\"" },
		{ { .name = NULL, .type = CONFIG_STRING }, "config schema: invalid key name \"(null)\"" },
		{ { .name = "E", .type = CONFIG_ENUM }, "config schema: E: enum without choices" },
		{ { .name = "E", .type = CONFIG_ENUM, .choices = none },
		  "config schema: E: enum without choices" },
		{ { .name = "I", .type = CONFIG_INT, .min = 5, .max = 1 }, "config schema: I: min > max" },
		{ { .name = "D", .type = CONFIG_DURATION, .min = -1, .max = 1 },
		  "config schema: D: negative minimum" },
		{ { .name = "T", .type = (enum config_type)99 }, "config schema: T: unknown type 99" },
		{ { .name = "I", .type = CONFIG_INT, .def = "0", .min = 1, .max = 2 },
		  "config schema: I: invalid default: integer 0 out of range [1, 2]" },
		{ { .name = "B", .type = CONFIG_BOOL, .def = "perhaps" },
		  "config schema: B: invalid default: invalid boolean \"perhaps\" "
		  "(expected true/false, yes/no, on/off or 1/0)" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_null(config_new(&cases[i].key, 1, &cfg, &err));
		assert_int_equal(err.code, EINVAL);
		assert_string_equal(err.msg, cases[i].msg);
	}
	const struct config_key dup[] = {
		{ .name = "A", .type = CONFIG_STRING, .offset = offsetof(struct cfg, cluster), .def = "x" },
		{ .name = "A", .type = CONFIG_STRING, .offset = offsetof(struct cfg, note) },
	};
	assert_null(config_new(dup, 2, &cfg, &err));
	assert_string_equal(err.msg, "config schema: A: declared twice");

	/* A bad default after a good one frees what was already stored. */
	const struct config_key late[] = {
		{ .name = "A", .type = CONFIG_STRING, .offset = offsetof(struct cfg, cluster), .def = "x" },
		{ .name = "L", .type = CONFIG_STRING_LIST, .offset = offsetof(struct cfg, drivers),
		  .def = "a,b" },
		{ .name = "P", .type = CONFIG_PORT_LIST, .offset = offsetof(struct cfg, ports),
		  .def = "1,x" },
	};
	assert_null(config_new(late, 3, &cfg, &err));
	assert_string_equal(err.msg, "config schema: P: invalid default: invalid port \"x\"");
	assert_null(cfg.cluster);
	assert_null(cfg.drivers.items);
}

static void test_load_file(void **state)
{
	struct fixture *f = *state;
	struct ecs_err err = { 0 };
	char path[] = "/tmp/test_config_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "ECS_CLUSTER=from-file\nECS_CONTAINER_STOP_TIMEOUT=30x\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	assert_int_equal(config_load_file(f->c, path, &err), -EINVAL);
	char want[128];
	snprintf(want, sizeof(want), "%s:2: ECS_CONTAINER_STOP_TIMEOUT: invalid duration \"30x\"",
		 path);
	assert_string_equal(err.msg, want);
	assert_string_equal(f->cfg.cluster, "from-file");
	assert_string_equal(config_origin(f->c, "ECS_CLUSTER")->file, path);
	unlink(path);

	assert_int_equal(config_load_file(f->c, path, &err), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(config_load_file(f->c, "/tmp", &err), -EINVAL);
	assert_string_equal(err.msg, "/tmp: not a regular file");
	/* The origin's file name outlives the load. */
	assert_string_equal(config_origin(f->c, "ECS_CLUSTER")->file, path);

	assert_null(config_value_text(f->c, "NOPE", &err));
	assert_int_equal(err.code, ENOENT);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_syntax_accepts),
		T(test_empty_means_default),
		T(test_duplicate_last_wins),
		T(test_syntax_rejects),
		T(test_nul_and_limits),
		T(test_collects_all_errors),
		T(test_bool),
		T(test_int),
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_duration_format),
		T(test_duration_value),
		T(test_size),
		T(test_enum),
		T(test_string_list),
		T(test_port_list),
		T(test_string_map),
		T(test_env),
		cmocka_unit_test(test_quote),
		T(test_write_round_trip),
		cmocka_unit_test(test_schema_errors),
		T(test_load_file),
	};
#undef T
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
