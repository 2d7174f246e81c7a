/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs-agent-image: resolves an image reference and unpacks its layers into
 * the agent's layer store, on behalf of the agent (see image.h). One
 * request per process:
 *
 *   ecs-agent-image resolve --datadir DIR REFERENCE
 *
 * prints one JSON object on stdout, the image or {"error":{...}}, and exits
 * 0 or 1. Nothing else is ever written to stdout.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "image/image.h"
#include "json.h"

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

int main(int argc, char **argv)
{
	struct ecs_err err = { 0 };
	if (argc != 5 || strcmp(argv[1], "resolve") != 0 || strcmp(argv[2], "--datadir") != 0) {
		fprintf(stderr, "Usage: ecs-agent-image resolve --datadir DIR REFERENCE\n");
		return 2;
	}
	struct image img;
	if (image_resolve_local(argv[3], argv[4], &img, &err) < 0)
		return answer_error(&err);
	_cleanup_free_ char *text = image_to_json(&img, &err);
	image_clear(&img);
	if (!text)
		return answer_error(&err);
	fputs(text, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
