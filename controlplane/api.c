/* SPDX-License-Identifier: Apache-2.0 */
/* The ECS API: dispatch table, request decoding, replies. */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-instances.h"
#include "api-internal.h"
#include "api-secrets.h"
#include "api-taskdefs.h"
#include "api-tasks.h"

/* Every operation the control plane serves. A new one is a row here and a
 * handler in the api-<family>.c of its resource. */
static const struct {
	const char *name;
	api_handler fn;
} operations[] = {
	{ "CreateCluster", api_create_cluster },
	{ "DeleteCluster", api_delete_cluster },
	{ "DescribeClusters", api_describe_clusters },
	{ "ListClusters", api_list_clusters },
	{ "ListTagsForResource", api_list_tags_for_resource },
	{ "TagResource", api_tag_resource },
	{ "UntagResource", api_untag_resource },
	/* task definitions (api-taskdefs.c) */
	{ "DeregisterTaskDefinition", api_deregister_task_definition },
	{ "DescribeTaskDefinition", api_describe_task_definition },
	{ "ListTaskDefinitionFamilies", api_list_task_definition_families },
	{ "ListTaskDefinitions", api_list_task_definitions },
	{ "RegisterTaskDefinition", api_register_task_definition },
	/* container instances and attributes (api-instances.c, api-attributes.c) */
	{ "DeleteAttributes", api_delete_attributes },
	{ "DeregisterContainerInstance", api_deregister_container_instance },
	{ "DescribeContainerInstances", api_describe_container_instances },
	{ "ListAttributes", api_list_attributes },
	{ "ListContainerInstances", api_list_container_instances },
	{ "PutAttributes", api_put_attributes },
	{ "RegisterContainerInstance", api_register_container_instance },
	{ "UpdateContainerInstancesState", api_update_container_instances_state },
	/* tasks (api-tasks.c, api-tasks-run.c) */
	{ "DescribeTasks", api_describe_tasks },
	{ "ListTasks", api_list_tasks },
	{ "RunTask", api_run_task },
	{ "StartTask", api_start_task },
	{ "StopTask", api_stop_task },
};

/* The Secrets Manager operations (api-secrets.c), served on the same
 * listener under X-Amz-Target "secretsmanager.<Operation>". */
static const struct {
	const char *name;
	api_handler fn;
} secrets_operations[] = {
	{ "CreateSecret", api_sm_create_secret },
	{ "DeleteSecret", api_sm_delete_secret },
	{ "DescribeSecret", api_sm_describe_secret },
	{ "GetSecretValue", api_sm_get_secret_value },
	{ "ListSecrets", api_sm_list_secrets },
	{ "PutSecretValue", api_sm_put_secret_value },
	{ "RestoreSecret", api_sm_restore_secret },
};

static int64_t wall_clock_ms(void *userdata)
{
	(void)userdata;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct api *api_new(struct store *store, const char *region, const char *account_id,
		    struct ecs_err *err)
{
	_cleanup_(api_freep) struct api *api = calloc(1, sizeof(*api));
	if (!api || !(api->region = strdup(region)) || !(api->account_id = strdup(account_id))) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	api->store = store;
	api->now_ms = wall_clock_ms;
	return TAKE_PTR(api);
}

void api_free(struct api *api)
{
	if (!api)
		return;
	free(api->region);
	free(api->account_id);
	free(api);
}

void api_set_clock(struct api *api, int64_t (*now_ms)(void *userdata), void *userdata)
{
	api->now_ms = now_ms ? now_ms : wall_clock_ms;
	api->clock_data = userdata;
}

void api_set_instance_listener(struct api *api, api_instance_listener fn, void *userdata)
{
	api->instance_listener = fn;
	api->instance_listener_data = userdata;
}

void api_instance_changed(struct api *api, int64_t instance_id)
{
	if (api->instance_listener)
		api->instance_listener(instance_id, api->instance_listener_data);
}

void api_reply_clear(struct api_reply *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->internal);
	memset(r, 0, sizeof(*r));
}

bool api_operation_exists(const char *operation)
{
	for (size_t i = 0; i < ARRAY_SIZE(operations); i++)
		if (strcmp(operations[i].name, operation) == 0)
			return true;
	return false;
}

int api_fail(struct api_call *c, const char *type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err_msg, sizeof(c->err_msg), fmt, ap);
	va_end(ap);
	c->err_type = type;
	return -EINVAL;
}

static int reply_error_text(struct api_reply *out, int status, const char *type, const char *msg)
{
	api_reply_clear(out);
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return -ENOMEM;
	json_w_object_begin(w);
	json_w_key(w, "__type");
	json_w_string(w, type);
	json_w_key(w, "message");
	json_w_string(w, msg);
	json_w_object_end(w);
	out->body = json_writer_finish(w, &out->len, NULL);
	if (!out->body) {
		/* Only a message that is not UTF-8 can get here (the request echoed
		 * into it); say so without the echo. */
		return reply_error_text(out, status, type, "Invalid characters in request");
	}
	out->status = status;
	out->error_type = type;
	return 0;
}

int api_reply_error(struct api_reply *out, int status, const char *type, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply_error_text(out, status, type, msg);
}

static int server_error(struct api_reply *out, const char *op, const struct ecs_err *ierr)
{
	int r = reply_error_text(out, 500, "ServerException", "Server error.");
	if (r < 0)
		return r;
	if (asprintf(&out->internal, "%s: %s", op, err_msg(ierr)) < 0)
		out->internal = NULL;
	return 0;
}

static int run(struct api *api, api_handler fn, const char *operation, const char *body,
	       size_t len, struct api_reply *out);

int api_handle(struct api *api, const char *operation, const char *body, size_t len,
	       struct api_reply *out)
{
	memset(out, 0, sizeof(*out));
	api_handler fn = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(operations) && !fn; i++)
		if (strcmp(operations[i].name, operation) == 0)
			fn = operations[i].fn;
	if (!fn)
		return api_reply_error(out, 400, "UnknownOperationException",
				       "Unknown operation %.100s", operation);
	return run(api, fn, operation, body, len, out);
}

int api_handle_secrets(struct api *api, const char *operation, const char *body, size_t len,
		       struct api_reply *out)
{
	memset(out, 0, sizeof(*out));
	api_handler fn = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(secrets_operations) && !fn; i++)
		if (strcmp(secrets_operations[i].name, operation) == 0)
			fn = secrets_operations[i].fn;
	if (!fn)
		return api_reply_error(out, 400, "UnknownOperationException",
				       "Unknown operation %.100s", operation);
	return run(api, fn, operation, body, len, out);
}

static int run(struct api *api, api_handler fn, const char *operation, const char *body,
	       size_t len, struct api_reply *out)
{

	/* The CLI always sends at least "{}"; an empty body means the same. */
	if (len == 0) {
		body = "{}";
		len = 2;
	}
	struct ecs_err perr = { 0 };
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(body, len, &perr);
	if (!doc)
		return api_reply_error(out, 400, "SerializationException", "%s", err_msg(&perr));
	if (json_type(json_root(doc)) != JSON_OBJECT)
		return api_reply_error(out, 400, "SerializationException",
				       "Request body must be a JSON object, not %s",
				       json_type_name(json_type(json_root(doc))));

	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return -ENOMEM;
	struct api_call call = {
		.api = api,
		.op = operation,
		.in = json_root(doc),
		.out = w,
		.now_ms = api->now_ms(api->clock_data),
	};

	json_w_object_begin(w);
	int r = fn(&call);
	/* A handler never leaves a transaction open, whatever its path out. */
	store_rollback(api->store);
	if (r < 0) {
		if (call.err_type)
			return reply_error_text(out, 400, call.err_type, call.err_msg);
		return server_error(out, operation, &call.ierr);
	}
	json_w_object_end(w);

	struct ecs_err werr = { 0 };
	out->body = json_writer_finish(w, &out->len, &werr);
	if (!out->body)
		return server_error(out, operation, &werr);
	out->status = 200;
	return 0;
}
