/* SPDX-License-Identifier: Apache-2.0 */
/* ecs-agent: entry point. Dispatches to the operator subcommands. */
#include <stdio.h>
#include <string.h>

#include "autoconf.h" /* PACKAGE_VERSION; lib/config.h is the config-file parser */
#include "commands.h"
#include "daemon.h"
#include "log.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "validate-task-definition", cmd_validate_task_definition,
	  "check ECS task definition files and print every problem" },
	{ "check-config", cmd_check_config,
	  "print the effective configuration and check it (also --check-config)" },
	{ "image", cmd_image, "load, list and remove images in the local store" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: ecs-agent [--config FILE]       run the agent daemon\n"
		     "       ecs-agent --check-config [--config FILE]\n"
		     "       ecs-agent --version\n"
		     "       ecs-agent COMMAND [ARGS...]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-26s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	log_init("ecs-agent");

	/* --check-config anywhere among the options: the config command with
	 * the remaining options. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--check-config") == 0) {
			for (int k = i; k > 1; k--)
				argv[k] = argv[k - 1];
			argv[1] = (char *)"check-config";
			return cmd_check_config(argc - 1, argv + 1);
		}
	if (argc < 2 || strncmp(argv[1], "--config", 8) == 0 || strcmp(argv[1], "-c") == 0)
		return cmd_daemon(argc, argv);
	if (strcmp(argv[1], "--version") == 0) {
		printf("ecs-agent %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);

	fprintf(stderr, "ecs-agent: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
