/* SPDX-License-Identifier: Apache-2.0 */
/* ecs-agent image load|ls|rm: the operator's view of the image store, for
 * air-gapped hosts. The work is the image helper's (which alone parses
 * archives); this command adds the configuration and, for rm, the images
 * tasks on this host still use, so one in use is never removed. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-config.h"
#include "commands.h"
#include "engine/engine.h"
#include "state.h"

static void usage(FILE *out)
{
	fputs("Usage: ecs-agent image [--config FILE] load FILE.tar\n"
	      "       ecs-agent image [--config FILE] ls [--json]\n"
	      "       ecs-agent image [--config FILE] rm REFERENCE|DIGEST...\n"
	      "\n"
	      "load   import an OCI image layout archive or a `docker save` archive\n"
	      "ls     list the images in ECS_DATADIR\n"
	      "rm     remove images no task on this host uses, and their unshared layers\n",
	      out);
}

/* argv for the helper: HELPER VERB --datadir DIR [--keep DIGEST]... ARGS... */
static char **helper_argv(const char *helper, const char *verb, const char *datadir,
			  char **keep, size_t n_keep, char **args, int n_args)
{
	size_t n = 4 + 2 * n_keep + (size_t)n_args + 1, k = 0;
	char **v = calloc(n, sizeof(*v));
	if (!v)
		return NULL;
	v[k++] = (char *)helper;
	v[k++] = (char *)verb;
	v[k++] = (char *)"--datadir";
	v[k++] = (char *)datadir;
	for (size_t i = 0; i < n_keep; i++) {
		v[k++] = (char *)"--keep";
		v[k++] = keep[i];
	}
	for (int i = 0; i < n_args; i++)
		v[k++] = args[i];
	v[k] = NULL;
	return v;
}

int cmd_image(int argc, char **argv)
{
	const char *path = NULL;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
		path = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	const char *verb = argv[i++];
	if (strcmp(verb, "load") != 0 && strcmp(verb, "ls") != 0 && strcmp(verb, "rm") != 0) {
		fprintf(stderr, "ecs-agent image: unknown command '%s'\n", verb);
		usage(stderr);
		return 2;
	}
	struct ecs_err err = { 0 };
	_cleanup_(agent_config_freep) struct agent_config *cfg = NULL;
	if (agent_config_load(path, path != NULL, &cfg, &err) < 0) {
		fprintf(stderr, "ecs-agent: %s\n", err_msg(&err));
		return 1;
	}
	const char *helper = agent_config_image_binary(cfg);
	if (!helper) {
		fprintf(stderr, "ecs-agent: the image helper ecs-agent-image was not found "
				"(ECS_IMAGE_HELPER_PATH)\n");
		return 1;
	}
	char **keep = NULL;
	size_t n_keep = 0;
	if (strcmp(verb, "rm") == 0 &&
	    engine_images_in_use(cfg->datadir, &keep, &n_keep, &err) < 0) {
		fprintf(stderr, "ecs-agent: reading the agent's state: %s\n", err_msg(&err));
		return 1;
	}
	char **v = helper_argv(helper, verb, cfg->datadir, keep, n_keep, argv + i, argc - i);
	if (!v) {
		fprintf(stderr, "ecs-agent: out of memory\n");
		return 1;
	}
	fflush(stdout);
	execv(helper, v);
	fprintf(stderr, "ecs-agent: running %s: %s\n", helper, strerror(errno));
	return 1;
}
