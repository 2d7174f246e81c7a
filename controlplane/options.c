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
	{ .name = "ECS_CP_JOIN_TOKEN", .type = CONFIG_STRING,
	  .offset = offsetof(struct cp_config_values, join_token) },
	{ .name = "ECS_CP_JOIN_TOKENS", .type = CONFIG_STRING_MAP,
	  .offset = offsetof(struct cp_config_values, join_tokens) },
	{ .name = "ECS_CP_POLL_TIMEOUT", .type = CONFIG_DURATION,
	  .offset = offsetof(struct cp_config_values, poll_timeout), .def = "20s",
	  .min = CONFIG_USEC_PER_SEC, .max = 300 * CONFIG_USEC_PER_SEC },
	{ .name = "ECS_CP_TELEMETRY_INTERVAL", .type = CONFIG_DURATION,
	  .offset = offsetof(struct cp_config_values, telemetry_interval), .def = "30s",
	  .min = 0, .max = 3600 * CONFIG_USEC_PER_SEC },
	{ .name = "ECS_CP_AGENT_DISCONNECT_TIMEOUT", .type = CONFIG_DURATION,
	  .offset = offsetof(struct cp_config_values, disconnect_timeout), .def = "60s",
	  .min = CONFIG_USEC_PER_SEC / 2, .max = 24 * 3600 * CONFIG_USEC_PER_SEC },
	{ .name = "ECS_CP_AGENT_LOST_TIMEOUT", .type = CONFIG_DURATION,
	  .offset = offsetof(struct cp_config_values, lost_timeout), .def = "10m",
	  .min = CONFIG_USEC_PER_SEC / 2, .max = 7 * 24 * 3600 * CONFIG_USEC_PER_SEC },
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
		"  --join-token TOKEN   join token agents of every cluster register with\n"
		"  --poll-timeout DUR   longest an agent poll is held (default 20s)\n"
		"  --agent-disconnect-timeout DUR\n"
		"                       silent agents count as disconnected (default 60s)\n"
		"  --agent-lost-timeout DUR\n"
		"                       silent agents' tasks are stopped (default 10m)\n"
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
	if (o->lost_timeout < o->disconnect_timeout)
		return err_set(err, EINVAL,
			       "ECS_CP_AGENT_LOST_TIMEOUT must not be shorter than ECS_CP_AGENT_DISCONNECT_TIMEOUT");
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

/* Long options; those before OPT_NO_AUTH take a value, kept in flag[]. */
enum { OPT_CONFIG = 256, OPT_LISTEN, OPT_DB, OPT_REGION, OPT_ACCOUNT, OPT_CREDS,
       OPT_LOG_LEVEL, OPT_JOIN_TOKEN, OPT_POLL_TIMEOUT, OPT_DISCONNECT, OPT_LOST,
       OPT_NO_AUTH, OPT_VERSION, OPT_HELP };

/* Duration flags go through the config parser, so they take exactly the
 * file's syntax and bounds ("500ms", "2m"). */
static int load_duration_flags(struct config *c, const char *const *flag, struct ecs_err *err)
{
	static const struct {
		int opt;
		const char *key;
	} durations[] = {
		{ OPT_POLL_TIMEOUT, "ECS_CP_POLL_TIMEOUT" },
		{ OPT_DISCONNECT, "ECS_CP_AGENT_DISCONNECT_TIMEOUT" },
		{ OPT_LOST, "ECS_CP_AGENT_LOST_TIMEOUT" },
	};
	char buf[512];
	size_t len = 0;
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		const char *v = flag[durations[i].opt - OPT_CONFIG];
		if (!v)
			continue;
		if (strpbrk(v, "\n#'\"") || strlen(v) > 64)
			return err_set(err, EINVAL, "invalid duration '%.64s'", v);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s=%s\n", durations[i].key, v);
	}
	return len ? config_load_buffer(c, "command line", buf, len, err) : 0;
}

int cp_options_load(struct cp_options *o, int argc, char **argv, FILE *diag,
		    struct ecs_err *err)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "db", required_argument, NULL, OPT_DB },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "account-id", required_argument, NULL, OPT_ACCOUNT },
		{ "credentials", required_argument, NULL, OPT_CREDS },
		{ "no-auth", no_argument, NULL, OPT_NO_AUTH },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "join-token", required_argument, NULL, OPT_JOIN_TOKEN },
		{ "poll-timeout", required_argument, NULL, OPT_POLL_TIMEOUT },
		{ "agent-disconnect-timeout", required_argument, NULL, OPT_DISCONNECT },
		{ "agent-lost-timeout", required_argument, NULL, OPT_LOST },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	/* Flags are remembered first and applied after the file and the
	 * environment, so they win whatever their position. */
	const char *flag[OPT_LOST - OPT_CONFIG + 1] = { 0 };
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
	if (r >= 0)
		r = load_duration_flags(o->config, flag, err);
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
	o->join_token = flag[OPT_JOIN_TOKEN - OPT_CONFIG] ? flag[OPT_JOIN_TOKEN - OPT_CONFIG]
							  : o->file.join_token;
	o->join_tokens = &o->file.join_tokens;
	o->poll_timeout = o->file.poll_timeout;
	o->telemetry_interval = o->file.telemetry_interval;
	o->disconnect_timeout = o->file.disconnect_timeout;
	o->lost_timeout = o->file.lost_timeout;
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
