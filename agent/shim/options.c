/* SPDX-License-Identifier: Apache-2.0 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_RUNTIME = 1000,
	OPT_RUNTIME_ROOT,
	OPT_ID,
	OPT_BUNDLE,
	OPT_STATE_DIR,
	OPT_LOG_DRIVER,
	OPT_LOG_PATH,
	OPT_LOG_MAX_SIZE,
	OPT_LOG_MAX_FILE,
	OPT_LOG_FIELD,
};

static const struct option longopts[] = {
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT },
	{ "id", required_argument, NULL, OPT_ID },
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "log-driver", required_argument, NULL, OPT_LOG_DRIVER },
	{ "log-path", required_argument, NULL, OPT_LOG_PATH },
	{ "log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE },
	{ "log-max-file", required_argument, NULL, OPT_LOG_MAX_FILE },
	{ "log-field", required_argument, NULL, OPT_LOG_FIELD },
	{ NULL, 0, NULL, 0 },
};

__attribute__((format(printf, 3, 4)))
static int fail(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int shim_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int shim_field_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > 64 || s[0] == '_')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

int shim_opts_parse(int argc, char **argv, struct shim_opts *o, char *msg, size_t msg_size)
{
	const char *driver = NULL;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->log_max_file = 1;
	optind = 0; /* full re-initialisation, so tests may parse repeatedly */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RUNTIME: o->runtime = optarg; break;
		case OPT_RUNTIME_ROOT: o->runtime_root = optarg; break;
		case OPT_ID: o->id = optarg; break;
		case OPT_BUNDLE: o->bundle = optarg; break;
		case OPT_STATE_DIR: o->state_dir = optarg; break;
		case OPT_LOG_DRIVER: driver = optarg; break;
		case OPT_LOG_PATH: o->log_path = optarg; break;
		case OPT_LOG_MAX_SIZE:
			if (shim_parse_u64(optarg, UINT64_MAX, &v) < 0)
				return fail(msg, msg_size, "--log-max-size: not a byte count: %s", optarg);
			o->log_max_size = v;
			break;
		case OPT_LOG_MAX_FILE:
			if (shim_parse_u64(optarg, 1000, &v) < 0 || v < 1)
				return fail(msg, msg_size, "--log-max-file: need 1..1000: %s", optarg);
			o->log_max_file = (unsigned)v;
			break;
		case OPT_LOG_FIELD: {
			const char *eq = strchr(optarg, '=');
			if (!eq || !shim_field_name_valid(optarg, (size_t)(eq - optarg)))
				return fail(msg, msg_size, "--log-field: need KEY=VALUE with KEY of [A-Z0-9_]: %s",
					    optarg);
			if (o->n_fields == SHIM_MAX_FIELDS)
				return fail(msg, msg_size, "--log-field: more than %d fields", SHIM_MAX_FIELDS);
			o->log_fields[o->n_fields++] = optarg;
			break;
		}
		default:
			return fail(msg, msg_size, "unknown or incomplete option %s",
				    argv[optind - 1 > 0 ? optind - 1 : 0]);
		}
	}
	if (optind != argc)
		return fail(msg, msg_size, "unexpected argument %s", argv[optind]);

	const struct {
		const char *name;
		const char *value;
	} paths[] = {
		{ "--runtime", o->runtime },
		{ "--runtime-root", o->runtime_root },
		{ "--bundle", o->bundle },
		{ "--state-dir", o->state_dir },
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (!paths[i].value)
			return fail(msg, msg_size, "%s is required", paths[i].name);
		if (paths[i].value[0] != '/')
			return fail(msg, msg_size, "%s must be an absolute path", paths[i].name);
	}
	if (!o->id || !*o->id)
		return fail(msg, msg_size, "--id is required");
	if (!driver)
		return fail(msg, msg_size, "--log-driver is required");
	if (strcmp(driver, "json-file") == 0) {
		o->log_driver = SHIM_LOG_JSON_FILE;
		if (!o->log_path || o->log_path[0] != '/')
			return fail(msg, msg_size, "--log-driver json-file needs an absolute --log-path");
	} else if (strcmp(driver, "journald") == 0) {
		o->log_driver = SHIM_LOG_JOURNALD;
	} else if (strcmp(driver, "none") == 0) {
		o->log_driver = SHIM_LOG_NONE;
	} else {
		return fail(msg, msg_size, "--log-driver: unknown driver %s", driver);
	}
	return 0;
}
