/* SPDX-License-Identifier: Apache-2.0 */
/* ecs-agent: entry point. Dispatches to the operator subcommands. */
#include <stdio.h>
#include <string.h>

#include "autoconf.h" /* PACKAGE_VERSION; lib/config.h is the config-file parser */
#include "commands.h"
#include "log.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "validate-task-definition", cmd_validate_task_definition,
	  "check ECS task definition files and print every problem" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: ecs-agent COMMAND [ARGS...]\n       ecs-agent --version\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-26s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	log_init("ecs-agent");

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
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
