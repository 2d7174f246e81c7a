/* SPDX-License-Identifier: Apache-2.0 */
/* Container instances: references, the ContainerInstance shape,
 * DescribeContainerInstances and ListContainerInstances. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-instances.h"
#include "arn.h"
#include "cql.h"
#include "paginate.h"

#define DESCRIBE_MAX 100
#define LIST_MAX 100

static const char *const include_names[] = { "TAGS", "CONTAINER_INSTANCE_HEALTH", NULL };

bool api_attribute_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > 128)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_/\\.", *p)))
			return false;
	return true;
}

bool api_attribute_value_ok(const char *value)
{
	size_t n = strlen(value);
	if (n < 1 || n > 128 || value[0] == ' ' || value[n - 1] == ' ')
		return false;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_.@/\\: ", *p)))
			return false;
	return true;
}

static bool id_ok(const char *id)
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

int api_instance_arn(struct api_call *c, const struct store_cluster *cl, const char *ref,
		     char **arn)
{
	*arn = NULL;
	if (strncmp(ref, "arn:", 4) != 0) {
		if (!id_ok(ref))
			return -EINVAL;
		char id[512];
		snprintf(id, sizeof(id), "%s/%s", cl->name, ref);
		*arn = arn_build(c->api->region, c->api->account_id, "container-instance", id);
		return *arn ? 0 : err_set(&c->ierr, ENOMEM, "out of memory");
	}
	struct arn a;
	if (arn_parse(ref, &a, NULL) < 0)
		return -EINVAL;
	bool ours = api_arn_ours(c, &a, "container-instance");
	const char *slash = strchr(a.resource_id, '/');
	int r = 0;
	if (!ours) {
		r = -EINVAL;
	} else if (!slash) {
		/* The old ARN format has no cluster: it means this one. */
		if (!id_ok(a.resource_id)) {
			r = -EINVAL;
		} else {
			char id[512];
			snprintf(id, sizeof(id), "%s/%s", cl->name, a.resource_id);
			*arn = arn_build(c->api->region, c->api->account_id, "container-instance", id);
			r = *arn ? 0 : err_set(&c->ierr, ENOMEM, "out of memory");
		}
	} else if (!id_ok(slash + 1)) {
		r = -EINVAL;
	} else {
		*arn = strdup(ref);
		r = *arn ? 0 : err_set(&c->ierr, ENOMEM, "out of memory");
	}
	arn_clear(&a);
	return r;
}

int api_instance_lookup(struct api_call *c, const struct store_cluster *cl, const char *ref,
			struct store_instance *out)
{
	_cleanup_free_ char *arn = NULL;
	memset(out, 0, sizeof(*out));
	int r = api_instance_arn(c, cl, ref, &arn);
	if (r == -EINVAL)
		return -ENOENT;
	if (r < 0)
		return r;
	r = store_instance_get(c->api->store, arn, out, &c->ierr);
	if (r == 0 && out->cluster_id != cl->id) {
		store_instance_clear(out);
		return -ENOENT;
	}
	return r;
}

int api_instance_exists(struct api_call *c, const char *arn)
{
	struct store_instance in;
	int r = store_instance_get(c->api->store, arn, &in, &c->ierr);
	store_instance_clear(&in);
	if (r == -ENOENT)
		return api_fail(c, "InvalidParameterException",
				"The specified container instance does not exist.");
	return r;
}

/* ---- the ContainerInstance shape ---- */

/* A STRINGSET of ports: the registered (reserved) ones, then those the
 * tasks hold, without duplicates. */
static void write_port_set(struct json_writer *w, const json_node *registered,
			   const uint16_t *used, size_t n_used)
{
	json_w_array_begin(w);
	for (size_t i = 0; i < json_array_size(registered); i++)
		json_w_string(w, json_string(json_array_get(registered, i)));
	for (size_t i = 0; i < n_used; i++) {
		bool listed = false;
		for (size_t j = 0; j < json_array_size(registered) && !listed; j++) {
			const char *s = json_string(json_array_get(registered, j));
			listed = s && strtol(s, NULL, 10) == used[i];
		}
		if (!listed) {
			char num[8];
			snprintf(num, sizeof(num), "%u", used[i]);
			json_w_string(w, num);
		}
	}
	json_w_array_end(w);
}

/* registeredResources as stored, or remainingResources: the same list
 * minus what the tasks reserve. */
static int write_resources(struct api_call *c, const char *member, const char *stored,
			   const struct store_instance_usage *used)
{
	struct json_writer *w = c->out;
	_cleanup_(json_doc_freep) struct json_doc *doc =
		json_parse(stored, strlen(stored), &c->ierr);
	if (!doc)
		return err_wrap(&c->ierr, "stored resources");
	const json_node *list = json_root(doc);
	json_w_key(w, member);
	if (!used) {
		json_w_node(w, list);
		return 0;
	}
	json_w_array_begin(w);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_node *res = json_array_get(list, i);
		const char *name = json_string(json_get(res, "name"));
		name = name ? name : "";
		json_w_object_begin(w);
		for (size_t k = 0; k < json_object_size(res); k++) {
			const char *key = json_object_key(res, k);
			const json_node *v = json_object_value(res, k);
			int64_t n;
			json_w_key(w, key);
			if (strcmp(key, "integerValue") == 0 && json_integer(v, &n) &&
			    (strcmp(name, "CPU") == 0 || strcmp(name, "MEMORY") == 0))
				json_w_int(w, n - (name[0] == 'C' ? used->cpu : used->memory));
			else if (strcmp(key, "stringSetValue") == 0 && strcmp(name, "PORTS") == 0)
				write_port_set(w, v, used->tcp_ports, used->n_tcp);
			else if (strcmp(key, "stringSetValue") == 0 && strcmp(name, "PORTS_UDP") == 0)
				write_port_set(w, v, used->udp_ports, used->n_udp);
			else
				json_w_node(w, v);
		}
		json_w_object_end(w);
	}
	json_w_array_end(w);
	return 0;
}

static void write_time(struct json_writer *w, const char *key, int64_t ms)
{
	json_w_key(w, key);
	json_w_double(w, (double)ms / 1000.0);
}

static void write_health(struct json_writer *w, const struct store_instance *in)
{
	json_w_key(w, "healthStatus");
	json_w_object_begin(w);
	json_w_key(w, "overallStatus");
	json_w_string(w, in->health_overall ? in->health_overall : "INSUFFICIENT_DATA");
	json_w_key(w, "details");
	json_w_array_begin(w);
	if (in->health_runtime) {
		json_w_object_begin(w);
		json_w_key(w, "type");
		json_w_string(w, "CONTAINER_RUNTIME");
		json_w_key(w, "status");
		json_w_string(w, in->health_runtime);
		write_time(w, "lastUpdated", in->telemetry_ms);
		write_time(w, "lastStatusChange", in->health_runtime_changed_ms);
		json_w_object_end(w);
	}
	json_w_array_end(w);
	json_w_object_end(w);
}

int api_write_instance(struct api_call *c, const struct store_instance *in, unsigned show)
{
	struct json_writer *w = c->out;
	struct store *s = c->api->store;
	struct store_instance_usage used;
	int r = store_instance_usage(s, in->id, &used, &c->ierr);
	if (r < 0)
		return r;

	json_w_object_begin(w);
	json_w_key(w, "containerInstanceArn");
	json_w_string(w, in->arn);
	if (in->ec2_instance_id) {
		json_w_key(w, "ec2InstanceId");
		json_w_string(w, in->ec2_instance_id);
	}
	json_w_key(w, "version");
	json_w_int(w, in->version);
	if (in->version_info) {
		_cleanup_(json_doc_freep) struct json_doc *doc =
			json_parse(in->version_info, strlen(in->version_info), &c->ierr);
		if (!doc) {
			store_instance_usage_clear(&used);
			return err_wrap(&c->ierr, "stored versionInfo of %s", in->arn);
		}
		json_w_key(w, "versionInfo");
		json_w_node(w, json_root(doc));
	}
	if ((r = write_resources(c, "remainingResources", in->resources, &used)) < 0 ||
	    (r = write_resources(c, "registeredResources", in->resources, NULL)) < 0) {
		store_instance_usage_clear(&used);
		return r;
	}
	json_w_key(w, "status");
	json_w_string(w, in->status);
	if (in->status_reason) {
		json_w_key(w, "statusReason");
		json_w_string(w, in->status_reason);
	}
	json_w_key(w, "agentConnected");
	json_w_bool(w, in->agent_connected);
	json_w_key(w, "runningTasksCount");
	json_w_int(w, used.running_tasks);
	json_w_key(w, "pendingTasksCount");
	json_w_int(w, used.pending_tasks);
	store_instance_usage_clear(&used);

	struct store_attribute_list attrs;
	if ((r = store_attributes_get(s, in->cluster_id, in->arn, &attrs, &c->ierr)) < 0)
		return r;
	json_w_key(w, "attributes");
	json_w_array_begin(w);
	for (size_t i = 0; i < attrs.n; i++) {
		json_w_object_begin(w);
		json_w_key(w, "name");
		json_w_string(w, attrs.items[i].name);
		if (attrs.items[i].value) {
			json_w_key(w, "value");
			json_w_string(w, attrs.items[i].value);
		}
		json_w_object_end(w);
	}
	json_w_array_end(w);
	store_attribute_list_clear(&attrs);

	write_time(w, "registeredAt", in->registered_ms);
	json_w_key(w, "attachments");
	json_w_array_begin(w);
	json_w_array_end(w);
	if (show & INSTANCE_SHOW_TAGS) {
		struct store_kv_list tags;
		if ((r = store_tags_get(s, in->arn, &tags, &c->ierr)) < 0)
			return r;
		api_w_kv_list(w, "tags", "key", "value", &tags);
		store_kv_list_clear(&tags);
	}
	if (show & INSTANCE_SHOW_HEALTH)
		write_health(w, in);
	json_w_object_end(w);
	return 0;
}

/* ---- matching ---- */

void api_cql_subject_clear(struct api_cql_subject *buf)
{
	store_attribute_list_clear(&buf->attrs);
	free(buf->cattrs);
	free(buf->agent_version);
	memset(buf, 0, sizeof(*buf));
}

int api_cql_instance(struct api_call *c, const struct store_instance *in,
		     struct api_cql_subject *buf, struct cql_instance *out)
{
	memset(buf, 0, sizeof(*buf));
	struct store_instance_usage used;
	int r = store_instance_usage(c->api->store, in->id, &used, &c->ierr);
	if (r < 0)
		return r;
	int64_t running = used.running_tasks;
	store_instance_usage_clear(&used);
	if ((r = store_attributes_get(c->api->store, in->cluster_id, in->arn, &buf->attrs,
				      &c->ierr)) < 0)
		return r;
	buf->cattrs = calloc(buf->attrs.n + 1, sizeof(*buf->cattrs));
	if (!buf->cattrs)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	for (size_t i = 0; i < buf->attrs.n; i++)
		buf->cattrs[i] = (struct cql_attribute){ buf->attrs.items[i].name,
							 buf->attrs.items[i].value };
	if (in->version_info) {
		_cleanup_(json_doc_freep) struct json_doc *doc =
			json_parse(in->version_info, strlen(in->version_info), NULL);
		const char *v = doc ? json_string(json_get(json_root(doc), "agentVersion")) : NULL;
		if (v && !(buf->agent_version = strdup(v)))
			return err_set(&c->ierr, ENOMEM, "out of memory");
	}
	*out = (struct cql_instance){
		.ec2_instance_id = in->ec2_instance_id,
		.agent_version = buf->agent_version,
		.registered_at_ms = in->registered_ms,
		.agent_connected = in->agent_connected,
		.running_tasks_count = running,
		.attributes = buf->cattrs,
		.n_attributes = buf->attrs.n,
	};
	return 0;
}

/* ---- DescribeContainerInstances ---- */

static int describe_one(struct api_call *c, const struct store_cluster *cl, const char *ref,
			void *show)
{
	struct store_instance in;
	int r = api_instance_lookup(c, cl, ref, &in);
	if (r < 0)
		return r;
	r = api_write_instance(c, &in, *(const unsigned *)show);
	store_instance_clear(&in);
	return r;
}

int api_describe_container_instances(struct api_call *c)
{
	const char *cluster;
	_cleanup_free_ const char **refs = NULL, **include = NULL;
	size_t n_refs, n_include;
	bool given;
	unsigned show;
	int r;

	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0 ||
	    (r = param_string_list(c, c->in, "containerInstances", DESCRIBE_MAX, &refs, &n_refs,
				   &given)) < 0 ||
	    (r = param_string_list(c, c->in, "include", 8, &include, &n_include, &given)) < 0)
		return r;
	if (n_refs == 0)
		return api_fail(c, "InvalidParameterException",
				"containerInstances must list 1 to %d container instances",
				DESCRIBE_MAX);
	if ((r = param_include(c, include, n_include, include_names, &show)) < 0)
		return r;
	struct store_cluster cl;
	if ((r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;

	r = api_w_describe(c, &cl, "containerInstances", refs, n_refs, describe_one, &show,
			   api_instance_arn);
	store_cluster_clear(&cl);
	return r;
}

/* ---- ListContainerInstances ---- */

static const char *const status_names[] = {
	"ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED", NULL,
};

/* The instances of `all` (ARN order) that match `filter`, up to `limit`. */
static int filter_instances(struct api_call *c, const struct cql_expr *filter,
			    struct store_strv *all, size_t limit, struct store_strv *out,
			    bool *more)
{
	int r = 0;
	*more = false;
	memset(out, 0, sizeof(*out));
	out->items = calloc(limit + 1, sizeof(*out->items));
	if (!out->items)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	for (size_t i = 0; i < all->n && r >= 0; i++) {
		struct store_instance in;
		if ((r = store_instance_get(c->api->store, all->items[i], &in, &c->ierr)) < 0)
			break;
		struct api_cql_subject buf;
		struct cql_instance ci;
		r = api_cql_instance(c, &in, &buf, &ci);
		bool hit = r >= 0 && cql_match(filter, &ci);
		api_cql_subject_clear(&buf);
		store_instance_clear(&in);
		if (!hit)
			continue;
		if (out->n == limit) {
			*more = true;
			break;
		}
		out->items[out->n++] = TAKE_PTR(all->items[i]);
	}
	return r;
}

int api_list_container_instances(struct api_call *c)
{
	const char *cluster, *filter_text;
	int status, r;
	int64_t limit;
	_cleanup_free_ char *after = NULL;
	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0 ||
	    (r = param_string(c, c->in, "filter", false, &filter_text)) < 0 ||
	    (r = param_enum(c, c->in, "status", status_names, &status)) < 0 ||
	    (r = param_page(c, LIST_MAX, &limit, &after)) < 0)
		return r;

	_cleanup_(cql_freep) struct cql_expr *filter = NULL;
	if (filter_text && filter_text[0]) {
		struct ecs_err perr = { 0 };
		r = cql_parse(filter_text, &filter, &perr);
		if (r == -ENOMEM)
			return err_set(&c->ierr, ENOMEM, "out of memory");
		if (r < 0)
			return api_fail(c, "InvalidParameterException", "filter: %s", err_msg(&perr));
	}
	struct store_cluster cl;
	if ((r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;

	/* Without a filter the store pages; with one every candidate after the
	 * token is matched here, in ARN order, so the pages stay stable. */
	struct store_strv all, page;
	bool more;
	r = store_instance_list(c->api->store, cl.id, status >= 0 ? status_names[status] : NULL,
				after, filter ? 0 : (size_t)limit, &all, &more, &c->ierr);
	store_cluster_clear(&cl);
	if (r < 0)
		return r;
	if (filter) {
		r = filter_instances(c, filter, &all, (size_t)limit, &page, &more);
		store_strv_clear(&all);
		if (r < 0) {
			store_strv_clear(&page);
			return r;
		}
	} else {
		page = all;
	}

	r = api_w_page(c, "containerInstanceArns", &page, more, NULL);
	store_strv_clear(&page);
	return r;
}
