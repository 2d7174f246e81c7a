/* SPDX-License-Identifier: Apache-2.0 */
/* StopTask, DescribeTasks, ListTasks, and the Task object they show. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-instances.h"
#include "api-tasks.h"
#include "arn.h"
#include "paginate.h"

#define DESCRIBE_MAX 100
#define LIST_MAX 100
#define MAX_STOP_REASON 255

/* ---- references ---- */

/* Task ids are 32 hex digits; older ones were UUIDs. */
static bool task_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 1 || n > 64)
		return false;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

static char *task_arn_build(struct api_call *c, const char *cluster, const char *id)
{
	char res[512];
	snprintf(res, sizeof(res), "%s/%s", cluster, id);
	return arn_build(c->api->region, c->api->account_id, "task", res);
}

int api_task_arn(struct api_call *c, const struct store_cluster *cl, const char *ref,
		 char **arn)
{
	*arn = NULL;
	if (strncmp(ref, "arn:", 4) != 0) {
		if (!task_id_ok(ref))
			return -EINVAL;
		*arn = task_arn_build(c, cl->name, ref);
		return *arn ? 0 : err_set(&c->ierr, ENOMEM, "out of memory");
	}
	struct arn a;
	if (arn_parse(ref, &a, NULL) < 0)
		return -EINVAL;
	bool ours = api_arn_ours(c, &a, "task");
	const char *slash = strchr(a.resource_id, '/');
	int r = 0;
	if (!ours) {
		r = -EINVAL;
	} else if (!slash) {
		/* The old format (task/ID) has no cluster: it means this one. */
		if (!task_id_ok(a.resource_id))
			r = -EINVAL;
		else if (!(*arn = task_arn_build(c, cl->name, a.resource_id)))
			r = err_set(&c->ierr, ENOMEM, "out of memory");
	} else if (!task_id_ok(slash + 1)) {
		r = -EINVAL;
	} else if (!(*arn = strdup(ref))) {
		r = err_set(&c->ierr, ENOMEM, "out of memory");
	}
	arn_clear(&a);
	return r;
}

/* The task `ref` names in `cl`: -ENOENT (call not failed) when there is
 * none there. */
static int task_lookup(struct api_call *c, const struct store_cluster *cl, const char *ref,
		       struct store_task *out)
{
	_cleanup_free_ char *arn = NULL;
	memset(out, 0, sizeof(*out));
	int r = api_task_arn(c, cl, ref, &arn);
	if (r == -EINVAL)
		return -ENOENT;
	if (r < 0)
		return r;
	r = store_task_get(c->api->store, arn, out, &c->ierr);
	if (r == 0 && out->cluster_id != cl->id) {
		store_task_clear(out);
		r = -ENOENT;
	}
	return r;
}

int api_task_exists(struct api_call *c, const char *arn)
{
	struct arn a;
	if (arn_parse(arn, &a, NULL) < 0)
		return api_fail(c, "InvalidParameterException", "Invalid task ARN");
	const char *slash = strchr(a.resource_id, '/');
	_cleanup_free_ char *cluster = slash ? strndup(a.resource_id, (size_t)(slash - a.resource_id))
					     : strdup("default");
	arn_clear(&a);
	if (!cluster)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	struct store_cluster cl;
	int r = api_cluster_lookup(c, cluster, &cl);
	if (r < 0)
		return r;
	struct store_task t;
	r = task_lookup(c, &cl, arn, &t);
	store_cluster_clear(&cl);
	store_task_clear(&t);
	if (r == -ENOENT)
		return api_fail(c, "InvalidParameterException", "The specified task was not found.");
	return r;
}

/* ---- the Task object ---- */

static void w_time(struct json_writer *w, const char *key, int64_t ms)
{
	if (!ms)
		return;
	json_w_key(w, key);
	json_w_double(w, (double)ms / 1000.0);
}

static void w_num_str(struct json_writer *w, const char *key, int64_t v)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", (long long)v);
	json_w_key(w, key);
	json_w_string(w, num);
}

/* A stored JSON member, or `fallback` (a literal) when it is absent or
 * does not parse. */
static void w_json(struct json_writer *w, const char *key, const char *text, const char *fallback)
{
	_cleanup_(json_doc_freep) struct json_doc *doc = NULL;
	if (text)
		doc = json_parse(text, strlen(text), NULL);
	if (!doc)
		doc = json_parse(fallback, strlen(fallback), NULL);
	json_w_key(w, key);
	json_w_node(w, json_root(doc));
}

static int write_containers(struct api_call *c, const struct store_task *t)
{
	struct json_writer *w = c->out;
	struct store_task_container_list list;
	int r = store_task_containers(c->api->store, t->id, &list, &c->ierr);
	if (r < 0)
		return r;
	json_w_key(w, "containers");
	json_w_array_begin(w);
	for (size_t i = 0; i < list.n; i++) {
		const struct store_task_container *ct = &list.items[i];
		json_w_object_begin(w);
		json_w_member(w, "containerArn", ct->arn);
		json_w_member(w, "taskArn", t->arn);
		json_w_member(w, "name", ct->name);
		json_w_member(w, "image", ct->image);
		json_w_member(w, "imageDigest", ct->image_digest);
		json_w_member(w, "runtimeId", ct->runtime_id);
		json_w_member(w, "lastStatus", ct->last_status);
		if (ct->has_exit_code) {
			json_w_key(w, "exitCode");
			json_w_int(w, ct->exit_code);
		}
		json_w_member(w, "reason", ct->reason);
		w_json(w, "networkBindings", ct->network_bindings, "[]");
		json_w_key(w, "networkInterfaces");
		json_w_array_begin(w);
		json_w_array_end(w);
		json_w_member(w, "healthStatus", ct->health_status ? ct->health_status : "UNKNOWN");
		w_num_str(w, "cpu", ct->cpu > 0 ? ct->cpu : 0);
		if (ct->memory >= 0)
			w_num_str(w, "memory", ct->memory);
		if (ct->memory_reservation >= 0)
			w_num_str(w, "memoryReservation", ct->memory_reservation);
		json_w_object_end(w);
	}
	json_w_array_end(w);
	store_task_container_list_clear(&list);
	return 0;
}

int api_write_task(struct api_call *c, const struct store_task *t, bool with_tags)
{
	struct json_writer *w = c->out;
	const char *az = t->instance_az, *arch = t->instance_arch;
	int r;

	json_w_object_begin(w);
	w_json(w, "attachments", t->attachments, "[]");
	json_w_key(w, "attributes");
	json_w_array_begin(w);
	if (arch) {
		json_w_object_begin(w);
		json_w_member(w, "name", "ecs.cpu-architecture");
		json_w_member(w, "value", arch);
		json_w_object_end(w);
	}
	json_w_array_end(w);
	json_w_member(w, "availabilityZone", az);
	json_w_member(w, "clusterArn", t->cluster_arn);
	/* Connected once an agent has reported on the task. */
	if (t->sequence > 0) {
		json_w_member(w, "connectivity", "CONNECTED");
		w_time(w, "connectivityAt",
		       t->pull_started_ms ? t->pull_started_ms
		       : t->started_ms    ? t->started_ms
					  : t->updated_ms);
	}
	json_w_member(w, "containerInstanceArn", t->instance_arn);
	if ((r = write_containers(c, t)) < 0)
		return r;
	w_num_str(w, "cpu", t->cpu);
	w_time(w, "createdAt", t->created_ms);
	json_w_member(w, "desiredStatus", t->desired_status);
	json_w_key(w, "enableExecuteCommand");
	json_w_bool(w, t->enable_execute_command);
	w_time(w, "executionStoppedAt", t->execution_stopped_ms);
	json_w_member(w, "group", t->group_name);
	json_w_member(w, "healthStatus", t->health_status ? t->health_status : "UNKNOWN");
	json_w_key(w, "inferenceAccelerators");
	json_w_array_begin(w);
	json_w_array_end(w);
	json_w_member(w, "lastStatus", t->last_status);
	json_w_member(w, "launchType", t->launch_type);
	w_num_str(w, "memory", t->memory);
	w_json(w, "overrides", t->overrides,
	       "{\"containerOverrides\": [], \"inferenceAcceleratorOverrides\": []}");
	w_time(w, "pullStartedAt", t->pull_started_ms);
	w_time(w, "pullStoppedAt", t->pull_stopped_ms);
	w_time(w, "startedAt", t->started_ms);
	json_w_member(w, "startedBy", t->started_by);
	json_w_member(w, "stopCode", t->stop_code);
	w_time(w, "stoppedAt", t->stopped_ms);
	json_w_member(w, "stoppedReason", t->stopped_reason);
	w_time(w, "stoppingAt", t->stopping_ms);
	if (with_tags) {
		struct store_kv_list tags;
		if ((r = store_tags_get(c->api->store, t->arn, &tags, &c->ierr)) < 0)
			return r;
		api_w_kv_list(w, "tags", "key", "value", &tags);
		store_kv_list_clear(&tags);
	}
	json_w_member(w, "taskArn", t->arn);
	json_w_member(w, "taskDefinitionArn", t->taskdef_arn);
	json_w_key(w, "version");
	json_w_int(w, t->version);
	json_w_object_end(w);
	return 0;
}

/* ---- StopTask ---- */

int api_stop_task(struct api_call *c)
{
	const char *cluster, *ref, *reason;
	int r;
	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0 ||
	    (r = param_string(c, c->in, "task", true, &ref)) < 0 ||
	    (r = param_string(c, c->in, "reason", false, &reason)) < 0)
		return r;
	if (reason && strlen(reason) > MAX_STOP_REASON)
		return api_fail(c, "InvalidParameterException",
				"reason can be at most %d characters", MAX_STOP_REASON);

	struct store *s = c->api->store;
	struct store_cluster cl;
	struct store_task t;
	if ((r = store_begin(s, &c->ierr)) < 0 || (r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;
	r = task_lookup(c, &cl, ref, &t);
	store_cluster_clear(&cl);
	if (r == -ENOENT)
		return api_fail(c, "InvalidParameterException", "The referenced task was not found.");
	if (r < 0)
		return r;

	/* Stopping a stopped (or stopping) task changes nothing. */
	bool change = strcmp(t.desired_status, "STOPPED") != 0;
	if (change) {
		if (t.instance_id)
			r = store_instance_bump_desired(s, t.instance_id, c->now_ms, &c->ierr);
		if (r >= 0)
			r = store_task_stop(s, t.id, reason ? reason : "Task stopped by user",
					    "UserInitiated", c->now_ms, &c->ierr);
		if (r >= 0)
			r = store_commit(s, &c->ierr);
		if (r >= 0 && t.instance_id)
			api_instance_changed(c->api, t.instance_id);
	}
	if (r >= 0 && change) {
		char *arn = TAKE_PTR(t.arn);
		store_task_clear(&t);
		r = store_task_get(s, arn, &t, &c->ierr);
		free(arn);
	}
	if (r >= 0) {
		json_w_key(c->out, "task");
		r = api_write_task(c, &t, false);
	}
	store_task_clear(&t);
	return r;
}

/* ---- DescribeTasks ---- */

static const char *const include_names[] = { "TAGS", NULL };

static int describe_one(struct api_call *c, const struct store_cluster *cl, const char *ref,
			void *with_tags)
{
	struct store_task t;
	int r = task_lookup(c, cl, ref, &t);
	if (r >= 0)
		r = api_write_task(c, &t, *(const bool *)with_tags);
	store_task_clear(&t);
	return r;
}

int api_describe_tasks(struct api_call *c)
{
	const char *cluster;
	_cleanup_free_ const char **refs = NULL, **include = NULL;
	size_t n_refs, n_include;
	bool given;
	unsigned show;
	int r;

	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0 ||
	    (r = param_string_list(c, c->in, "tasks", DESCRIBE_MAX, &refs, &n_refs, &given)) < 0 ||
	    (r = param_string_list(c, c->in, "include", 8, &include, &n_include, &given)) < 0)
		return r;
	if (n_refs == 0)
		return api_fail(c, "InvalidParameterException",
				"tasks must list 1 to %d tasks", DESCRIBE_MAX);
	if ((r = param_include(c, include, n_include, include_names, &show)) < 0)
		return r;
	bool tags = show != 0;

	/* One transaction for all the reads: the tasks come from one snapshot,
	 * and SQLite takes its WAL read lock once rather than per statement
	 * (which was a fifth of the time of a 100-task call). Nothing is
	 * written; api_handle() rolls it back. */
	struct store_cluster cl;
	if ((r = store_begin(c->api->store, &c->ierr)) < 0 ||
	    (r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;
	r = api_w_describe(c, &cl, "tasks", refs, n_refs, describe_one, &tags, api_task_arn);
	store_cluster_clear(&cl);
	return r;
}

/* ---- ListTasks ---- */

static const char *const desired_names[] = { "RUNNING", "PENDING", "STOPPED", NULL };
static const char *const launch_types[] = { "EC2", "FARGATE", "EXTERNAL", NULL };

int api_list_tasks(struct api_call *c)
{
	const char *cluster, *instance, *family, *started_by, *service;
	int desired, launch_type;
	int64_t limit;
	_cleanup_free_ char *after = NULL;
	int r;
	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0 ||
	    (r = param_string(c, c->in, "containerInstance", false, &instance)) < 0 ||
	    (r = param_string(c, c->in, "family", false, &family)) < 0 ||
	    (r = param_string(c, c->in, "startedBy", false, &started_by)) < 0 ||
	    (r = param_string(c, c->in, "serviceName", false, &service)) < 0 ||
	    (r = param_enum(c, c->in, "desiredStatus", desired_names, &desired)) < 0 ||
	    (r = param_enum(c, c->in, "launchType", launch_types, &launch_type)) < 0 ||
	    (r = param_page(c, LIST_MAX, &limit, &after)) < 0)
		return r;

	struct store_cluster cl;
	if ((r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;
	struct store_task_filter f = {
		.cluster_id = cl.id,
		.family = family,
		.started_by = started_by,
		.desired_status = desired_names[desired < 0 ? 0 : desired],
		.launch_type = launch_type < 0 ? NULL : launch_types[launch_type],
	};
	/* There are no services (yet), so no service can be named. */
	if (service)
		r = api_fail(c, "ServiceNotFoundException", "Service not found.");
	if (r >= 0 && instance) {
		struct store_instance in;
		r = api_instance_lookup(c, &cl, instance, &in);
		if (r == -ENOENT)
			r = api_fail(c, "InvalidParameterException",
				     "The referenced container instance was not found.");
		f.instance_id = in.id;
		store_instance_clear(&in);
	}
	struct store_strv arns = { 0 };
	bool more = false;
	if (r >= 0)
		r = store_task_list(c->api->store, &f, after, (size_t)limit, &arns, &more, &c->ierr);
	store_cluster_clear(&cl);
	if (r < 0)
		return r;
	r = api_w_page(c, "taskArns", &arns, more, NULL);
	store_strv_clear(&arns);
	return r;
}
