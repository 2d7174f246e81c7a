/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "fileio.h"
#include "taskdef.h"

/* ECS itself caps a RegisterTaskDefinition request at 64 KiB; allow headroom
 * for pretty-printed files. */
#define TASKDEF_FILE_MAX (1024 * 1024)

enum { VALID = 0, INVALID = 1, UNREADABLE = 2 };

static void usage(FILE *out)
{
	fputs("Usage: ecs-agent validate-task-definition [--print] FILE...\n"
	      "\n"
	      "Check ECS task definitions (RegisterTaskDefinition JSON, as given to\n"
	      "`aws ecs register-task-definition --cli-input-json`) the way ECS does.\n"
	      "Prints FILE: OK, or every problem as FILE: json.path: message.\n"
	      "FILE may be - for standard input.\n"
	      "\n"
	      "  --print   also print each valid definition as parsed (normalised JSON)\n",
	      out);
}

static int validate_one(const char *path, bool print)
{
	struct ecs_err err = { 0 };
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (file_read_all(path, TASKDEF_FILE_MAX, &text, &len, &err) < 0) {
		fprintf(stderr, "%s: %s\n", path, err_msg(&err));
		return UNREADABLE;
	}

	struct td_problems problems = { 0 };
	_cleanup_(taskdef_freep) struct taskdef *td = NULL;
	int r = taskdef_parse(text, len, &td, &problems, &err);
	if (r == -EINVAL) {
		for (size_t i = 0; i < problems.count; i++) {
			const struct td_problem *p = &problems.items[i];
			if (p->path && p->path[0])
				printf("%s: %s: %s\n", path, p->path, p->message);
			else
				printf("%s: %s\n", path, p->message);
		}
		if (problems.count == 0)
			printf("%s: %s\n", path, err_msg(&err));
		td_problems_free(&problems);
		return INVALID;
	}
	td_problems_free(&problems);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, err_msg(&err));
		return UNREADABLE;
	}

	printf("%s: OK\n", path);
	if (print) {
		_cleanup_free_ char *json = taskdef_to_json(td, true, &err);
		if (!json) {
			fprintf(stderr, "%s: %s\n", path, err_msg(&err));
			return UNREADABLE;
		}
		printf("%s\n", json);
	}
	return VALID;
}

int cmd_validate_task_definition(int argc, char **argv)
{
	static const struct option options[] = {
		{ "print", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool print = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ph", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			print = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return UNREADABLE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return UNREADABLE;
	}

	int worst = VALID;
	for (int i = optind; i < argc; i++) {
		int r = validate_one(argv[i], print);
		if (r > worst)
			worst = r;
	}
	fflush(stdout);
	return worst;
}
