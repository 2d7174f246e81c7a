/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs-agent-image: resolves an image reference (a layout, the store or a
 * registry pull) and unpacks its layers into the agent's store, on behalf
 * of the agent (see image.h, docs/images.md). One request per process:
 *
 *   ecs-agent-image request                          # JSON request on stdin
 *   ecs-agent-image resolve --datadir DIR REFERENCE  # the same, defaults
 *
 * prints one JSON object on stdout, the image or {"error":{...}}, and exits
 * 0 or 1. Nothing else is ever written to stdout. The operator verbs (load,
 * ls, rm, gc) are manage.c's.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fileio.h"
#include "image/image.h"
#include "image/manage.h"
#include "image/pull.h"
#include "json.h"

/* A request is a few KiB (engine auth data included). */
#define REQUEST_MAX (1u << 20)

static int answer_error(const struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return 1;
	json_w_object_begin(w);
	json_w_key(w, "error");
	json_w_object_begin(w);
	json_w_key(w, "code");
	json_w_int(w, err->code ? err->code : 5);
	json_w_key(w, "message");
	json_w_string(w, err_msg(err));
	json_w_object_end(w);
	json_w_object_end(w);
	_cleanup_free_ char *text = json_writer_finish(w, NULL, NULL);
	if (text)
		fputs(text, stdout);
	return 1;
}

static int run_request(const struct pull_request *rq)
{
	struct ecs_err err = { 0 };
	struct image img;
	bool pulled = false;
	if (pull_request_run(rq, &img, &pulled, &err) < 0)
		return answer_error(&err);
	_cleanup_free_ char *text = pull_answer_json(&img, pulled, &err);
	image_clear(&img);
	if (!text)
		return answer_error(&err);
	fputs(text, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int verb_request(void)
{
	struct ecs_err err = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	_cleanup_(pull_request_clear) struct pull_request rq = { 0 };
	if (file_read_all("-", REQUEST_MAX, &buf, &len, &err) < 0) {
		err_wrap(&err, "reading the request");
		return answer_error(&err);
	}
	int r = pull_request_parse(buf, len, &rq, &err);
	explicit_bzero(buf, len); /* it may hold credentials */
	if (r < 0)
		return answer_error(&err);
	return run_request(&rq);
}

static int verb_resolve(char *datadir, char *ref)
{
	struct pull_request rq = {
		.datadir = datadir,
		.reference = ref,
		.timeout_ms = PULL_TIMEOUT_MS_DEFAULT,
		.inactivity_ms = PULL_INACTIVITY_MS_DEFAULT,
	};
	return run_request(&rq);
}

static int usage(void)
{
	fprintf(stderr, "Usage: ecs-agent-image request < REQUEST.json\n"
			"       ecs-agent-image resolve --datadir DIR REFERENCE\n"
			"       ecs-agent-image load|ls|rm|gc --datadir DIR ...\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "request") == 0)
		return argc == 2 ? verb_request() : usage();
	if (strcmp(argv[1], "resolve") == 0) {
		if (argc != 5 || strcmp(argv[2], "--datadir") != 0)
			return usage();
		return verb_resolve(argv[3], argv[4]);
	}
	int r = image_manage_main(argv[1], argc - 1, argv + 1);
	return r < 0 ? usage() : r;
}
