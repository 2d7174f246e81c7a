/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: RunTask overrides as the agent receives them, applied to a
 * two-container definition, then the Docker command/environment merge and
 * the resource accounting over the result. Whatever the overrides say, the
 * engine's view of the task must stay consistent: a refusal names its
 * reason, and an accepted result serialises and parses back.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/command.h"
#include "engine/engine-internal.h"
#include "taskdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] =
	"{\"family\":\"f\",\"networkMode\":\"host\",\"containerDefinitions\":["
	"{\"name\":\"web\",\"image\":\"i\",\"memory\":64,\"command\":[\"a\"],"
	"\"environment\":[{\"name\":\"A\",\"value\":\"1\"}],"
	"\"portMappings\":[{\"containerPort\":80}]},"
	"{\"name\":\"side\",\"image\":\"i\",\"memoryReservation\":32,\"essential\":false}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = malloc(size + 1);
	if (!json)
		return 0;
	memcpy(json, data, size);
	json[size] = '\0';
	struct taskdef *td = NULL;
	struct ecs_err err = { 0 };
	if (taskdef_parse(base, strlen(base), &td, NULL, &err) < 0)
		abort();
	err_clear(&err);
	if (overrides_apply(td, json, &err) < 0) {
		if (!err.msg[0])
			abort();
		goto out;
	}
	for (size_t i = 0; i < td->containers.count; i++) {
		const struct td_container *c = &td->containers.items[i];
		char *img_cmd[] = { "sh", NULL };
		char **args = NULL, **env = NULL;
		if (command_args(NULL, img_cmd, &c->entry_point, &c->command, &args, &err) == 0) {
			if (!args[0])
				abort();
			command_strv_free(args);
		}
		if (command_env(NULL, c, "h", &env, &err) == 0)
			command_strv_free(env);
	}
	int64_t cpu, mem;
	char *ports = NULL;
	err_clear(&err);
	if (admit_requirements(td, &cpu, &mem, &ports, &err) < 0 && !err.msg[0])
		abort();
	free(ports);
	char *out = taskdef_to_json(td, false, &err);
	free(out);
out:
	taskdef_free(td);
	free(json);
	return 0;
}
