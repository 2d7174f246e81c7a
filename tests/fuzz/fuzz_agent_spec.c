/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: task-definition JSON -> config.json. Every container of a
 * document that parses (shape only, so the spec code's own checks are
 * reached) goes through spec_to_json() in each network mode; a document it
 * accepts must be valid JSON, and a refusal must say why. The input is also
 * used as the host's resolv.conf and hosts for spec_write_etc_files(), which
 * parses them line by line.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "runtime/spec.h"
#include "taskdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tmpfs when there is one: the writes are fsync'ed, which on a disk would
 * make the target a hundred times slower. */
static char dir[64];
static char host_file[96];
static char etc_dir[96];

static void remove_dir(void)
{
	static const char *const files[] = { "hosts", "hostname", "resolv.conf" };
	char p[sizeof(etc_dir) + 16];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", etc_dir, files[i]);
		unlink(p);
	}
	rmdir(etc_dir);
	unlink(host_file);
	rmdir(dir);
}

static void spec_one(const struct td_container *c, enum spec_net net)
{
	static char *args[] = { "sh", "-c", "true", NULL };
	static char *env[] = { "PATH=/bin", NULL };
	static const gid_t gids[] = { 1, 2 };
	struct container_spec s = {
		.rootfs = "/rootfs",
		.args = args,
		.env = env,
		.gids = gids,
		.n_gids = 2,
		.hostname = c->hostname ? c->hostname : "h",
		.net = net,
		.netns_path = "/run/netns/x",
		.cgroups_path = "/ecs/t/c",
		.cpu_shares = c->cpu.value,
		.memory_bytes = c->memory.value > 0 && c->memory.value < (INT64_MAX >> 20)
					? c->memory.value << 20 : 0,
		.init_path = "/init",
		.etc_dir = "/etc-dir",
		.td = c,
		.task_arn = "arn",
		.container_name = c->name,
	};
	struct ecs_err err;
	err_clear(&err);
	char *json = spec_to_json(&s, &err);
	if (!json) {
		if (err.code == 0 || !err.msg[0])
			abort();
		return;
	}
	struct json_doc *doc = json_parse(json, strlen(json), &err);
	if (!doc)
		abort();
	json_doc_free(doc);
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct taskdef *td = NULL;
	struct ecs_err err;

	if (!host_file[0]) {
		snprintf(dir, sizeof(dir), "/dev/shm/fuzz_agent_spec.XXXXXX");
		if (!mkdtemp(dir)) {
			snprintf(dir, sizeof(dir), "/tmp/fuzz_agent_spec.XXXXXX");
			if (!mkdtemp(dir))
				abort();
		}
		snprintf(host_file, sizeof(host_file), "%s/host", dir);
		snprintf(etc_dir, sizeof(etc_dir), "%s/etc", dir);
		atexit(remove_dir);
	}

	if (taskdef_parse_flags((const char *)data, size, TASKDEF_PARSE_NO_VALIDATE, &td, NULL,
				&err) == 0) {
		for (size_t i = 0; i < td->containers.count; i++)
			for (int net = SPEC_NET_NONE; net <= SPEC_NET_PATH; net++)
				spec_one(&td->containers.items[i], (enum spec_net)net);
	}

	FILE *f = fopen(host_file, "w");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
		const struct td_container *c = td && td->containers.count ? &td->containers.items[0]
									 : NULL;
		spec_write_etc_files(c, "h", SPEC_NET_NONE, host_file, host_file, etc_dir, &err);
		spec_write_etc_files(c, NULL, SPEC_NET_HOST, host_file, host_file, etc_dir, &err);
	}
	taskdef_free(td);
	return 0;
}
