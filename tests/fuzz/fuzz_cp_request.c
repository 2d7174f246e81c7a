/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: ECS API request decoding and dispatch. The input is a series
 * of calls separated by 0xff bytes; in each, the first byte picks the
 * operation and the rest is the JSON body. Every input starts from an empty
 * in-memory store, so findings reproduce. Every reply must be well-formed
 * JSON with a 200, 400 or 500 status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ops[] = {
	"CreateCluster", "DescribeClusters", "ListClusters", "DeleteCluster",
	"TagResource", "UntagResource", "ListTagsForResource", "NoSuchOperation",
};

static int64_t fixed_clock(void *userdata)
{
	(void)userdata;
	return INT64_C(1704164645000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ecs_err err;
	_cleanup_(store_freep) struct store *store = store_open(":memory:", &err);
	if (!store)
		abort();
	_cleanup_(api_freep) struct api *api = api_new(store, "us-east-1", "123456789012", &err);
	if (!api)
		abort();
	api_set_clock(api, fixed_clock, NULL);

	size_t pos = 0;
	for (int calls = 0; pos < size && calls < 16; calls++) {
		const uint8_t *end = memchr(data + pos, 0xff, size - pos);
		size_t len = end ? (size_t)(end - (data + pos)) : size - pos;
		if (len > 0) {
			const char *op = ops[data[pos] % (sizeof(ops) / sizeof(ops[0]))];
			struct api_reply reply;
			if (api_handle(api, op, (const char *)data + pos + 1, len - 1, &reply) == 0) {
				if (reply.status != 200 && reply.status != 400 && reply.status != 500)
					abort();
				struct json_doc *doc = json_parse(reply.body, reply.len, &err);
				if (!doc)
					abort();
				json_doc_free(doc);
			}
			api_reply_clear(&reply);
		}
		pos += len + 1;
	}
	return 0;
}
