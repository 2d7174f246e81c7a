/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Shared by the config.json and /etc-file unit tests (cmocka included
 * first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "runtime/spec.h"
#include "taskdef.h"

static char *args_sh[] = { "sh", "-c", "exit 0", NULL };
static char *env_default[] = { "PATH=/bin", "A=b", NULL };

/* One container definition (JSON object text) in a minimal task
 * definition, parsed without the registration rules so the spec code's own
 * checks are what is exercised. */
static inline struct taskdef *parse_td(const char *container_json)
{
	char doc[4096];
	struct ecs_err err;
	struct taskdef *td = NULL;

	snprintf(doc, sizeof(doc), "{\"family\":\"f\",\"containerDefinitions\":[%s]}",
		 container_json);
	int r = taskdef_parse_flags(doc, strlen(doc), TASKDEF_PARSE_NO_VALIDATE, &td, NULL, &err);
	if (r < 0)
		fail_msg("task definition: %s", err.msg);
	return td;
}

static inline void base_spec(struct container_spec *s, const struct taskdef *td)
{
	memset(s, 0, sizeof(*s));
	s->rootfs = "/var/lib/ecs-agent/rootfs/x";
	s->args = args_sh;
	s->env = env_default;
	s->hostname = "host1";
	s->net = SPEC_NET_NONE;
	s->cgroups_path = "/ecs/task1/web";
	s->init_path = "/usr/libexec/ecs-agent/ecs-agent-init";
	s->etc_dir = "/var/lib/ecs-agent/etc/x";
	s->td = td ? &td->containers.items[0] : NULL;
	s->task_arn = "arn:aws:ecs:us-east-1:1:task/c/t1";
	s->container_name = "web";
}

/* A fresh temporary directory (malloc'd path). */
static inline char *tmpdir(void)
{
	char *d = strdup("/tmp/test_agent_spec.XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static inline void rm_rf(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static inline char *slurp(const char *dir, const char *name)
{
	char p[1024];
	char *text;
	struct ecs_err err;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (file_read_all(p, 1 << 20, &text, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}

static inline void put(const char *dir, const char *name, const char *text)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

