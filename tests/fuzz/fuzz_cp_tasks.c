/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the task operations (RunTask, StartTask, StopTask,
 * DescribeTasks, ListTasks) and placement, against a cluster that has two
 * task definitions and two connected container instances. The input is a
 * series of calls separated by 0xff bytes; in each, the first byte picks the
 * operation and the rest is the JSON body (as in fuzz_cp_request). Every
 * reply must be well-formed JSON with a 200, 400 or 500 status.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json.h"
#include "store-instances.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ops[] = {
	"RunTask", "StartTask", "StopTask", "DescribeTasks", "ListTasks", "DescribeClusters",
	"UpdateContainerInstancesState", "PutAttributes",
};

static int64_t fixed_clock(void *userdata)
{
	(void)userdata;
	return INT64_C(1704164645000);
}

static void must(struct api *api, const char *op, const char *body)
{
	struct api_reply reply;
	if (api_handle(api, op, body, strlen(body), &reply) < 0 || reply.status != 200)
		abort();
	api_reply_clear(&reply);
}

/* The fixed world every input starts from. Instance ids are 1 and 2
 * (rowids of a fresh table). */
static void setup(struct api *api, struct store *store)
{
	must(api, "CreateCluster", "{}");
	must(api, "RegisterTaskDefinition",
	     "{\"family\": \"web\", \"containerDefinitions\": [{\"name\": \"app\","
	     " \"image\": \"nginx\", \"memory\": 256, \"cpu\": 128,"
	     " \"portMappings\": [{\"containerPort\": 80, \"hostPort\": 8080}]}]}");
	must(api, "RegisterTaskDefinition",
	     "{\"family\": \"batch\", \"networkMode\": \"host\", \"containerDefinitions\": ["
	     "{\"name\": \"a\", \"image\": \"busybox\", \"memory\": 64,"
	     " \"portMappings\": [{\"containerPort\": 53, \"protocol\": \"udp\"}]},"
	     "{\"name\": \"b\", \"image\": \"busybox\", \"memory\": 64}],"
	     " \"placementConstraints\": [{\"type\": \"memberOf\","
	     " \"expression\": \"attribute:zone != c\"}]}");
	for (int i = 0; i < 2; i++) {
		char body[512];
		snprintf(body, sizeof(body),
			 "{\"instanceIdentityDocument\": \"host-%d\", \"totalResources\": ["
			 "{\"name\": \"CPU\", \"type\": \"INTEGER\", \"integerValue\": 1024},"
			 "{\"name\": \"MEMORY\", \"type\": \"INTEGER\", \"integerValue\": 1024}],"
			 " \"attributes\": [{\"name\": \"zone\", \"value\": \"%c\"}]}",
			 i, 'a' + i);
		must(api, "RegisterContainerInstance", body);
		bool was;
		struct ecs_err err;
		if (store_instance_touch(store, i + 1, INT64_C(1704164645000), &was, &err) < 0)
			abort();
	}
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
	setup(api, store);

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
				/* A store failure would be a bug here: nothing fails
				 * underneath an in-memory database. */
				if (reply.status == 500)
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
