/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the JSON reader, and writing back what it read. */
#include <stdint.h>
#include <stdlib.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ecs_err err;
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse((const char *)data, size, &err);
	if (!doc)
		return 0;
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return 0;
	json_w_node(w, json_root(doc));
	free(json_writer_finish(w, NULL, &err));
	return 0;
}
