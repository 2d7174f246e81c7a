/* SPDX-License-Identifier: Apache-2.0 */
/* ecs-agent check-config (also --check-config): load the configuration the
 * daemon would use, print it with where each value came from, and say whether
 * the daemon could start with it. */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-config.h"
#include "commands.h"

enum { VALID = 0, INVALID = 1, USAGE = 2 };

static void usage(FILE *out)
{
	fputs("Usage: ecs-agent check-config [--config FILE]\n"
	      "       ecs-agent --check-config [--config FILE]\n"
	      "\n"
	      "Load the agent's configuration (" AGENT_DEFAULT_CONFIG_PATH " or FILE, then\n"
	      "ECS_* environment variables), print the effective value of every key with\n"
	      "its origin, and check that the agent can start with it. Errors and\n"
	      "warnings go to standard error. Exit status 0 when valid, 1 when not.\n"
	      "\n"
	      "  --config FILE   configuration file to check\n",
	      out);
}

/*
 * agent_config_load() reports only the first of several errors. To show all
 * of them, load once more into a scratch struct with the same key table: the
 * config object keeps every message. Warnings were already logged by the
 * first load.
 */
static void print_all_errors(const char *path, const struct ecs_err *first)
{
	struct agent_config scratch = { 0 };
	size_t n_keys;
	const struct config_key *keys = agent_config_keys(&n_keys);
	_cleanup_(config_freep) struct config *cfg = config_new(keys, n_keys, &scratch, NULL);
	size_t n = 0, total = 0;
	const char *const *errors = NULL;
	if (cfg) {
		(void)config_load_file(cfg, path, NULL);
		(void)config_load_env(cfg, NULL);
		errors = config_errors(cfg, &n, &total);
	}
	/* Not an error inside the file (say, the file is a directory). */
	if (total == 0) {
		fprintf(stderr, "ecs-agent: %s\n", err_msg(first));
		return;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "ecs-agent: %s\n", errors[i]);
	if (total > n)
		fprintf(stderr, "ecs-agent: ... and %zu more errors\n", total - n);
}

int cmd_check_config(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return VALID;
		default:
			usage(stderr);
			return USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ecs-agent: check-config: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return USAGE;
	}

	bool path_explicit = path != NULL;
	if (!path)
		path = AGENT_DEFAULT_CONFIG_PATH;

	struct ecs_err err = { 0 };
	_cleanup_(agent_config_freep) struct agent_config *c = NULL;
	int r = agent_config_load(path, path_explicit, &c, &err);
	if (r == -EINVAL) {
		print_all_errors(path, &err);
		return INVALID;
	}
	if (r < 0) {
		fprintf(stderr, "ecs-agent: %s\n", err_msg(&err));
		return INVALID;
	}

	if (agent_config_print(c, stdout, &err) < 0) {
		fprintf(stderr, "ecs-agent: %s\n", err_msg(&err));
		return INVALID;
	}
	/* What the unset path keys resolve to, as comments so the output still
	 * reads back as a configuration file. */
	const char *runtime = agent_config_runtime_binary(c);
	printf("# runtime %s: %s\n", agent_config_runtime_name(c), runtime ? runtime : "(not found)");
	printf("# shim: %s\n", agent_config_shim_binary(c));
	printf("# init: %s\n", agent_config_init_binary(c));
	printf("# image helper: %s\n", agent_config_image_binary(c));
	fflush(stdout);

	r = agent_config_check_runnable(c, &err);
	if (r < 0) {
		/* One problem per line; they come joined by "; ". */
		const char *p = err_msg(&err);
		for (;;) {
			const char *end = strstr(p, "; ");
			int len = end ? (int)(end - p) : (int)strlen(p);
			fprintf(stderr, "ecs-agent: cannot start: %.*s\n", len, p);
			if (!end)
				break;
			p = end + 2;
		}
		return INVALID;
	}
	return VALID;
}
