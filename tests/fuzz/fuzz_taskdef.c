/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the task-definition parser and validator, and the round-trip
 * guarantee. Whatever parses is emitted, parsed again and emitted again; the
 * two outputs must be identical, or abort() so the fuzzer records the input.
 * Shape-only parsing (with the stored members) is exercised too, since
 * validation would otherwise hide most of the walker behind its rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "taskdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const char *text, size_t size, unsigned flags)
{
	struct td_problems problems = { 0 };
	struct ecs_err err;
	struct taskdef *td = NULL;

	int rc = taskdef_parse_flags(text, size, flags, &td, &problems, &err);
	if (rc < 0) {
		/* A rejected document always says why. */
		if (rc == -EINVAL && problems.count == 0)
			abort();
		free(td_problems_join(&problems, "\n"));
		td_problems_free(&problems);
		return;
	}
	char *first = taskdef_to_json(td, false, &err);
	taskdef_free(td);
	if (!first)
		return; /* invalid UTF-8 in a string is refused by the writer */

	struct taskdef *again = NULL;
	if (taskdef_parse_flags(first, strlen(first), flags, &again, &problems, &err) < 0)
		abort();
	char *second = taskdef_to_json(again, false, &err);
	if (!second || strcmp(first, second) != 0)
		abort();
	free(second);
	free(first);
	taskdef_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip((const char *)data, size, 0);
	round_trip((const char *)data, size, TASKDEF_PARSE_STORED | TASKDEF_PARSE_NO_VALIDATE);
	return 0;
}
