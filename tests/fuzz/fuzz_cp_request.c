/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: ECS API request decoding and dispatch. The input is a series
 * of calls separated by 0xff bytes; in each, the first byte picks the
 * operation (modulo the table below, which only ever grows at the end so
 * that the seeds keep their meaning) and the rest is the JSON body. Every
 * input starts from an empty in-memory store. Every reply must be
 * well-formed JSON with a 200, 400 or 500 status, and 500 (a store failure)
 * must not happen underneath an in-memory database.
 *
 * Instance and task ids are random, so a body cannot name them: "@I" in a
 * body stands for the ARN of the container instance registered last and
 * "@T" for the task started last. Registered instances count as connected
 * (as if their agent polled), so RunTask can place tasks on them.
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

#define NOW_MS INT64_C(1704164645000)

static const char *const ops[] = {
	"CreateCluster", "DescribeClusters", "ListClusters", "DeleteCluster",
	"TagResource", "UntagResource", "ListTagsForResource", "NoSuchOperation",
	/* 8: task definitions */
	"RegisterTaskDefinition", "DescribeTaskDefinition", "ListTaskDefinitions",
	"ListTaskDefinitionFamilies", "DeregisterTaskDefinition",
	/* 13: container instances */
	"RegisterContainerInstance", "DescribeContainerInstances", "ListContainerInstances",
	"UpdateContainerInstancesState", "DeregisterContainerInstance",
	/* 18: attributes */
	"PutAttributes", "ListAttributes", "DeleteAttributes",
	/* 21: tasks */
	"RunTask", "StartTask", "StopTask", "DescribeTasks", "ListTasks",
};

struct refs {
	char instance[256];
	char task[256];
};

static int64_t fixed_clock(void *userdata)
{
	(void)userdata;
	return NOW_MS;
}

/* `body` with "@I" and "@T" replaced by the ARNs in `refs` (malloc'd). */
static char *substitute(const char *body, size_t len, const struct refs *refs, size_t *out_len)
{
	size_t cap = len + 1, n = 0;
	for (size_t i = 0; i + 1 < len; i++)
		if (body[i] == '@' && (body[i + 1] == 'I' || body[i + 1] == 'T'))
			cap += sizeof(refs->instance);
	char *out = malloc(cap);
	if (!out)
		abort();
	for (size_t i = 0; i < len; i++) {
		if (body[i] == '@' && i + 1 < len && (body[i + 1] == 'I' || body[i + 1] == 'T')) {
			const char *ref = body[i + 1] == 'I' ? refs->instance : refs->task;
			memcpy(out + n, ref, strlen(ref));
			n += strlen(ref);
			i++;
		} else {
			out[n++] = body[i];
		}
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

static void remember(struct refs *refs, const struct json_doc *doc)
{
	const json_node *root = json_root(doc);
	const char *ci = json_string(json_get(json_get(root, "containerInstance"),
					      "containerInstanceArn"));
	const char *task = json_string(json_get(json_array_get(json_get(root, "tasks"), 0),
						"taskArn"));
	if (ci)
		snprintf(refs->instance, sizeof(refs->instance), "%s", ci);
	if (task)
		snprintf(refs->task, sizeof(refs->task), "%s", task);
}

/* Every instance is connected, as if its agent had just polled (rowids of
 * a fresh table count from 1). */
static void connect_instances(struct store *store)
{
	struct ecs_err err;
	bool was;
	for (int64_t id = 1; store_instance_touch(store, id, NOW_MS, &was, &err) == 0; id++)
		;
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
	struct refs refs = { "none", "none" };

	size_t pos = 0;
	for (int calls = 0; pos < size && calls < 16; calls++) {
		const uint8_t *end = memchr(data + pos, 0xff, size - pos);
		size_t len = end ? (size_t)(end - (data + pos)) : size - pos;
		if (len > 0) {
			const char *op = ops[data[pos] % (sizeof(ops) / sizeof(ops[0]))];
			size_t body_len;
			char *body = substitute((const char *)data + pos + 1, len - 1, &refs,
						&body_len);
			struct api_reply reply;
			if (api_handle(api, op, body, body_len, &reply) == 0) {
				if (reply.status != 200 && reply.status != 400)
					abort();
				struct json_doc *doc = json_parse(reply.body, reply.len, &err);
				if (!doc)
					abort();
				if (reply.status == 200)
					remember(&refs, doc);
				json_doc_free(doc);
				if (reply.status == 200 && strcmp(op, "RegisterContainerInstance") == 0)
					connect_instances(store);
			}
			api_reply_clear(&reply);
			free(body);
		}
		pos += len + 1;
	}
	return 0;
}
