/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "options.h"

#include <ctype.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "http.h"

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };

static const struct config_key keys[] = {
	{ .name = "ECS_CP_LISTEN", .type = CONFIG_STRING,
	  .offset = offsetof(struct cp_config_values, listen), .def = "127.0.0.1:8080" },
	{ .name = "ECS_CP_DB", .type = CONFIG_STRING,
	  .offset = offsetof(struct cp_config_values, db),
	  .def = "/var/lib/ecs-controlplane/state.db" },
	{ .name = "ECS_CP_REGION", .type = CONFIG_STRING,
	  .offset = offsetof(struct cp_config_values, region), .def = "us-east-1" },
	{ .name = "ECS_CP_ACCOUNT_ID", .type = CONFIG_STRING,
	  .offset = offsetof(struct cp_config_values, account_id), .def = "123456789012" },
	{ .name = "ECS_CP_CREDENTIALS_FILE", .type = CONFIG_STRING,
	  .offset = offsetof(struct cp_config_values, credentials_file),
	  .def = "/etc/ecs-controlplane/credentials" },
	{ .name = "ECS_CP_NO_AUTH", .type = CONFIG_BOOL,
	  .offset = offsetof(struct cp_config_values, no_auth), .def = "false" },
	{ .name = "ECS_CP_LOGLEVEL", .type = CONFIG_ENUM,
	  .offset = offsetof(struct cp_config_values, log_level), .def = "info",
	  .choices = log_levels },
	{ .name = "ECS_CP_MAX_REQUEST_BODY", .type = CONFIG_SIZE,
	  .offset = offsetof(struct cp_config_values, max_body), .def = "1m",
	  .min = 1024, .max = 64 * 1024 * 1024 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ecs-controlplane [OPTIONS]\n"
		"\n"
		"Serve the Amazon ECS API (aws CLI, boto3) and the agent protocol.\n"
		"\n"
		"  --config FILE        settings file (default " CP_DEFAULT_CONFIG ")\n"
		"  --listen ADDR:PORT   where to listen (default 127.0.0.1:8080; port 0 picks one)\n"
		"  --db PATH            SQLite database (default /var/lib/ecs-controlplane/state.db)\n"
		"  --region REGION      region in ARNs and SigV4 scopes (default us-east-1)\n"
		"  --account-id ID      12-digit account in ARNs (default 123456789012)\n"
		"  --credentials FILE   accepted access keys, 'AKID SECRET' per line\n"
		"  --no-auth            accept unsigned requests (development only)\n"
		"  --log-level LEVEL    error, warn, info or debug (default info)\n"
		"  --version            print the version\n"
		"  --help               this text\n");
}

static int validate(const struct cp_options *o, struct ecs_err *err)
{
	struct sockaddr_storage sa;
	socklen_t len;
	if (http_parse_listen(o->listen, &sa, &len, err) < 0)
		return err_wrap(err, "listen");
	size_t n = strlen(o->account_id);
	bool digits = n == 12;
	for (size_t i = 0; i < n && digits; i++)
		digits = isdigit((unsigned char)o->account_id[i]);
	if (!digits)
		return err_set(err, EINVAL, "account id '%s' must be 12 digits", o->account_id);
	n = strlen(o->region);
	bool region_ok = n > 0 && n <= 32;
	for (size_t i = 0; i < n && region_ok; i++)
		region_ok = islower((unsigned char)o->region[i]) ||
			    isdigit((unsigned char)o->region[i]) || o->region[i] == '-';
	if (!region_ok)
		return err_set(err, EINVAL, "region '%s' must be lower-case letters, digits and '-'",
			       o->region);
	if (!o->db || !o->db[0])
		return err_set(err, EINVAL, "no database path");
	return 0;
}

static void print_messages(const struct config *c, FILE *diag)
{
	size_t n, total;
	const char *const *w = config_warnings(c, &n, &total);
	for (size_t i = 0; i < n; i++)
		fprintf(diag, "ecs-controlplane: warning: %s\n", w[i]);
	const char *const *e = config_errors(c, &n, &total);
	for (size_t i = 0; i < n; i++)
		fprintf(diag, "ecs-controlplane: %s\n", e[i]);
}

int cp_options_load(struct cp_options *o, int argc, char **argv, FILE *diag,
		    struct ecs_err *err)
{
	enum { OPT_CONFIG = 256, OPT_LISTEN, OPT_DB, OPT_REGION, OPT_ACCOUNT, OPT_CREDS,
	       OPT_NO_AUTH, OPT_LOG_LEVEL, OPT_VERSION, OPT_HELP };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "db", required_argument, NULL, OPT_DB },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "account-id", required_argument, NULL, OPT_ACCOUNT },
		{ "credentials", required_argument, NULL, OPT_CREDS },
		{ "no-auth", no_argument, NULL, OPT_NO_AUTH },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	/* Flags are remembered first and applied after the file and the
	 * environment, so they win whatever their position. */
	const char *flag[OPT_LOG_LEVEL - OPT_CONFIG + 1] = { 0 };
	bool no_auth_flag = false;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_VERSION:
			printf("ecs-controlplane %s\n", PACKAGE_VERSION);
			return CP_OPTIONS_EXIT_OK;
		case OPT_HELP:
			usage(stdout);
			return CP_OPTIONS_EXIT_OK;
		case OPT_NO_AUTH:
			no_auth_flag = true;
			break;
		case '?':
			usage(diag);
			return err_set(err, EINVAL, "unknown or incomplete option '%s'",
				       argv[optind - 1]);
		default:
			flag[opt - OPT_CONFIG] = optarg;
			break;
		}
	}
	if (optind < argc) {
		usage(diag);
		return err_set(err, EINVAL, "unexpected argument '%s'", argv[optind]);
	}

	o->config = config_new(keys, ARRAY_SIZE(keys), &o->file, err);
	if (!o->config)
		return -EINVAL;
	o->config_path = flag[0] ? flag[0] : CP_DEFAULT_CONFIG;
	int r = config_load_file(o->config, o->config_path, err);
	/* The default file is optional; one named on the command line is not. */
	if (r == -ENOENT && !flag[0])
		r = 0;
	if (r >= 0)
		r = config_load_env(o->config, err);
	print_messages(o->config, diag);
	if (r < 0)
		return r;

	o->listen = flag[OPT_LISTEN - OPT_CONFIG] ? flag[OPT_LISTEN - OPT_CONFIG] : o->file.listen;
	o->db = flag[OPT_DB - OPT_CONFIG] ? flag[OPT_DB - OPT_CONFIG] : o->file.db;
	o->region = flag[OPT_REGION - OPT_CONFIG] ? flag[OPT_REGION - OPT_CONFIG] : o->file.region;
	o->account_id = flag[OPT_ACCOUNT - OPT_CONFIG] ? flag[OPT_ACCOUNT - OPT_CONFIG]
						       : o->file.account_id;
	o->credentials_file = flag[OPT_CREDS - OPT_CONFIG] ? flag[OPT_CREDS - OPT_CONFIG]
							   : o->file.credentials_file;
	o->no_auth = o->file.no_auth;
	o->log_level = o->file.log_level;
	o->max_body = o->file.max_body;
	if (no_auth_flag)
		o->no_auth = true;
	const char *level = flag[OPT_LOG_LEVEL - OPT_CONFIG];
	if (level) {
		int k = 0;
		while (log_levels[k] && strcasecmp(log_levels[k], level) != 0)
			k++;
		if (!log_levels[k])
			return err_set(err, EINVAL, "unknown log level '%s'", level);
		o->log_level = k;
	}
	return validate(o, err);
}

void cp_options_clear(struct cp_options *o)
{
	if (!o)
		return;
	config_free(o->config);
	memset(o, 0, sizeof(*o));
}
