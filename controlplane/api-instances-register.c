/* SPDX-License-Identifier: Apache-2.0 */
/* RegisterContainerInstance, DeregisterContainerInstance,
 * UpdateContainerInstancesState. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-instances.h"
#include "arn.h"
#include "ids.h"
#include "resources.h"
#include "store-agent.h"

/* A registration may carry the agent's capabilities and host facts. */
#define MAX_REGISTER_ATTRIBUTES 256
#define MAX_RESOURCES 32
#define MAX_UPDATE_STATE 10

static const char *const resource_types[] = { "INTEGER", "LONG", "DOUBLE", "STRINGSET", NULL };

/* The attributes of a registration: the request's, then what the instance
 * identity document tells (when the request did not), then ecs.os-type. */
struct reg_attrs {
	struct store_kv items[MAX_REGISTER_ATTRIBUTES + 4];
	size_t n;
};

static bool has_attr(const struct reg_attrs *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].key, name) == 0)
			return true;
	return false;
}

static void add_default(struct reg_attrs *a, const char *name, const char *value)
{
	if (value && value[0] && !has_attr(a, name))
		a->items[a->n++] = (struct store_kv){ (char *)name, (char *)value };
}

static int parse_attributes(struct api_call *c, struct reg_attrs *a)
{
	const json_node *list;
	int r = param_list(c, c->in, "attributes", &list);
	if (r < 0)
		return r;
	if (json_array_size(list) > MAX_REGISTER_ATTRIBUTES)
		return api_fail(c, "InvalidParameterException",
				"A registration can have at most %d attributes",
				MAX_REGISTER_ATTRIBUTES);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_node *item = json_array_get(list, i);
		const char *name, *value;
		if (json_type(item) != JSON_OBJECT)
			return api_fail(c, "SerializationException",
					"Expected a list of Attribute objects for attributes");
		if ((r = param_string(c, item, "name", true, &name)) < 0 ||
		    (r = param_string(c, item, "value", false, &value)) < 0)
			return r;
		if (!api_attribute_name_ok(name))
			return api_fail(c, "InvalidParameterException",
					"Attribute name '%.128s' is invalid", name);
		if (value && !api_attribute_value_ok(value))
			return api_fail(c, "InvalidParameterException",
					"Attribute value '%.128s' is invalid", value);
		if (has_attr(a, name))
			return api_fail(c, "InvalidParameterException",
					"Attribute '%.128s' is listed twice", name);
		a->items[a->n++] = (struct store_kv){ (char *)name, (char *)value };
	}
	return 0;
}

static int parse_resources(struct api_call *c, char **json, int64_t *cpu, int64_t *memory)
{
	const json_node *list;
	int r = param_list(c, c->in, "totalResources", &list);
	if (r < 0)
		return r;
	size_t n = json_array_size(list);
	if (n > MAX_RESOURCES)
		return api_fail(c, "InvalidParameterException",
				"totalResources can have at most %d items", MAX_RESOURCES);
	struct resource res[MAX_RESOURCES];
	const char **sets[MAX_RESOURCES] = { 0 };
	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < n && r >= 0; i++) {
		const json_node *item = json_array_get(list, i);
		int type;
		bool given, bgiven;
		double d = 0;
		const json_node *dn;
		if (json_type(item) != JSON_OBJECT) {
			r = api_fail(c, "SerializationException",
				     "Expected a list of Resource objects for totalResources");
			break;
		}
		if ((r = param_string(c, item, "name", true, &res[i].name)) < 0 ||
		    (r = param_enum(c, item, "type", resource_types, &type)) < 0 ||
		    (r = param_int(c, item, "integerValue", INT32_MIN, INT32_MAX, &given,
				   &res[i].integer_value)) < 0 ||
		    (r = param_int(c, item, "longValue", INT64_MIN, INT64_MAX, &bgiven,
				   &res[i].long_value)) < 0 ||
		    (r = param_string_list(c, item, "stringSetValue", 65536, &sets[i],
					   &res[i].n_set, &bgiven)) < 0)
			break;
		dn = json_get(item, "doubleValue");
		if (dn && json_type(dn) != JSON_NULL && !json_number(dn, &d)) {
			r = api_fail(c, "SerializationException", "Expected a number for doubleValue");
			break;
		}
		res[i].double_value = d;
		res[i].type = type >= 0 ? resource_types[type] : NULL;
		res[i].set = sets[i];
	}
	if (r >= 0) {
		struct ecs_err rerr = { 0 };
		r = resources_to_json(res, n, json, cpu, memory, &rerr);
		if (r == -ENOMEM)
			r = err_set(&c->ierr, ENOMEM, "out of memory");
		else if (r < 0)
			r = api_fail(c, "InvalidParameterException", "totalResources: %s",
				     err_msg(&rerr));
	}
	for (size_t i = 0; i < n; i++)
		free(sets[i]);
	return r;
}

/* VersionInfo with only the model's members. */
static int parse_version_info(struct api_call *c, char **json)
{
	static const char *const members[] = { "agentVersion", "agentHash", "dockerVersion" };
	const json_node *vi;
	int r;
	*json = NULL;
	if ((r = param_object(c, c->in, "versionInfo", &vi)) < 0 || !vi)
		return r;
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	json_w_object_begin(w);
	for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
		const char *v;
		if ((r = param_string(c, vi, members[i], false, &v)) < 0)
			return r;
		if (v) {
			json_w_key(w, members[i]);
			json_w_string(w, v);
		}
	}
	json_w_object_end(w);
	*json = json_writer_finish(w, NULL, &c->ierr);
	return *json ? 0 : -EIO;
}

static int parse_platform_devices(struct api_call *c)
{
	static const char *const types[] = { "GPU", NULL };
	const json_node *list;
	int r = param_list(c, c->in, "platformDevices", &list);
	for (size_t i = 0; r >= 0 && i < json_array_size(list); i++) {
		const json_node *item = json_array_get(list, i);
		const char *id;
		int type;
		if (json_type(item) != JSON_OBJECT)
			return api_fail(c, "SerializationException",
					"Expected a list of PlatformDevice objects for platformDevices");
		if ((r = param_string(c, item, "id", true, &id)) < 0 ||
		    (r = param_enum(c, item, "type", types, &type)) < 0)
			return r;
		if (type < 0)
			return api_fail(c, "InvalidParameterException", "platformDevices: type is required");
	}
	return r;
}

int api_register_container_instance(struct api_call *c)
{
	const char *cluster, *doc_text, *prev_ref, *sig;
	_cleanup_free_ struct store_kv *tags = NULL;
	_cleanup_free_ char *resources = NULL, *version_info = NULL;
	_cleanup_free_ struct reg_attrs *attrs = calloc(1, sizeof(*attrs));
	size_t n_tags;
	int64_t cpu, memory;
	int r;

	if (!attrs)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0 ||
	    (r = param_string(c, c->in, "instanceIdentityDocument", false, &doc_text)) < 0 ||
	    (r = param_string(c, c->in, "instanceIdentityDocumentSignature", false, &sig)) < 0 ||
	    (r = param_string(c, c->in, "containerInstanceArn", false, &prev_ref)) < 0 ||
	    (r = parse_resources(c, &resources, &cpu, &memory)) < 0 ||
	    (r = parse_version_info(c, &version_info)) < 0 ||
	    (r = parse_attributes(c, attrs)) < 0 ||
	    (r = parse_platform_devices(c)) < 0 ||
	    (r = param_tags(c, c->in, "tags", &tags, &n_tags)) < 0)
		return r;

	/* The EC2 instance identity document (JSON; its signature is not
	 * checked) names the instance and gives the host facts ECS shows as
	 * attributes. Anything else is taken as an opaque identity. */
	_cleanup_(json_doc_freep) struct json_doc *doc = NULL;
	const char *identity = NULL;
	if (doc_text && doc_text[0]) {
		doc = json_parse(doc_text, strlen(doc_text), NULL);
		const json_node *root = doc ? json_root(doc) : NULL;
		if (json_type(root) == JSON_OBJECT) {
			identity = json_string(json_get(root, "instanceId"));
			add_default(attrs, "ecs.instance-type",
				    json_string(json_get(root, "instanceType")));
			add_default(attrs, "ecs.availability-zone",
				    json_string(json_get(root, "availabilityZone")));
			add_default(attrs, "ecs.ami-id", json_string(json_get(root, "imageId")));
		} else if (strlen(doc_text) <= 256) {
			identity = doc_text;
		}
	}
	add_default(attrs, "ecs.os-type", "linux");

	struct store *s = c->api->store;
	struct store_cluster cl;
	if ((r = store_begin(s, &c->ierr)) < 0 || (r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;
	_cleanup_free_ char *prev_arn = NULL, *new_arn = NULL;
	if (prev_ref && prev_ref[0]) {
		r = api_instance_arn(c, &cl, prev_ref, &prev_arn);
		if (r == -EINVAL)
			r = api_fail(c, "InvalidParameterException",
				     "containerInstanceArn '%.256s' is not a container instance ARN",
				     prev_ref);
	}
	char id[33], path[512];
	id_random_hex(id, 16);
	snprintf(path, sizeof(path), "%s/%s", cl.name, id);
	if (r >= 0 && !(new_arn = arn_build(c->api->region, c->api->account_id,
					    "container-instance", path)))
		r = err_set(&c->ierr, ENOMEM, "out of memory");
	if (r < 0) {
		store_cluster_clear(&cl);
		return r;
	}

	struct store_instance_reg reg = {
		.cluster_id = cl.id,
		.new_arn = new_arn,
		.previous_arn = prev_arn,
		.identity = identity,
		.cpu = cpu,
		.memory = memory,
		.resources = resources,
		.version_info = version_info,
		.attributes = attrs->items,
		.n_attributes = attrs->n,
		.now_ms = c->now_ms,
	};
	int64_t iid;
	bool created;
	r = store_instance_register(s, &reg, &iid, &created, &c->ierr);
	store_cluster_clear(&cl);
	if (r == -ENOENT)
		return api_fail(c, "InvalidParameterException",
				"The referenced container instance was not found in this cluster.");
	if (r == -ESTALE)
		return api_fail(c, "ClientException",
				"The referenced container instance is INACTIVE and cannot register again.");
	struct store_instance in;
	if (r < 0 || (r = store_instance_get_by_id(s, iid, &in, &c->ierr)) < 0)
		return r;
	if ((r = store_tags_put(s, in.arn, tags, n_tags, &c->ierr)) < 0 ||
	    (r = store_commit(s, &c->ierr)) < 0) {
		store_instance_clear(&in);
		return r;
	}
	json_w_key(c->out, "containerInstance");
	r = api_write_instance(c, &in, INSTANCE_SHOW_TAGS);
	store_instance_clear(&in);
	return r;
}

/* ---- DeregisterContainerInstance ---- */

int api_deregister_container_instance(struct api_call *c)
{
	const char *cluster, *ref;
	bool given, force = false;
	int r;
	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0 ||
	    (r = param_string(c, c->in, "containerInstance", true, &ref)) < 0 ||
	    (r = param_bool(c, c->in, "force", &given, &force)) < 0)
		return r;

	struct store *s = c->api->store;
	struct store_cluster cl;
	if ((r = store_begin(s, &c->ierr)) < 0 || (r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;
	struct store_instance in;
	r = api_instance_lookup(c, &cl, ref, &in);
	store_cluster_clear(&cl);
	if (r == -ENOENT)
		return api_fail(c, "InvalidParameterException",
				"The referenced container instance was not found.");
	if (r < 0)
		return r;

	bool changed = false;
	if (strcmp(in.status, "INACTIVE") != 0) {
		struct store_instance_usage used;
		if ((r = store_instance_usage(s, in.id, &used, &c->ierr)) < 0)
			goto out;
		int64_t active = used.active_tasks;
		store_instance_usage_clear(&used);
		if (active > 0 && !force) {
			r = api_fail(c, "InvalidParameterException",
				     "Found running tasks on the instance.");
			goto out;
		}
		/* force: ECS orphans the tasks (they keep running on the host
		 * and no longer count); here the agent is told to stop them
		 * (its instance is DEREGISTERED) and they are recorded as
		 * STOPPED at once, so no waiter hangs on them. */
		int64_t n;
		if ((r = store_agent_stop_tasks(s, in.id,
						"Container instance deregistered", c->now_ms, &n,
						&c->ierr)) < 0 ||
		    (r = store_instance_set_status(s, in.id, "INACTIVE", NULL, c->now_ms,
						   &c->ierr)) < 0 ||
		    (r = store_commit(s, &c->ierr)) < 0)
			goto out;
		changed = true;
		int64_t id = in.id;
		store_instance_clear(&in);
		if ((r = store_instance_get_by_id(s, id, &in, &c->ierr)) < 0)
			return r;
	}
	json_w_key(c->out, "containerInstance");
	r = api_write_instance(c, &in, 0);
	if (changed)
		api_instance_changed(c->api, in.id);
out:
	store_instance_clear(&in);
	return r;
}

/* ---- UpdateContainerInstancesState ---- */

static const char *const settable[] = {
	"ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED", NULL,
};

int api_update_container_instances_state(struct api_call *c)
{
	const char *cluster;
	_cleanup_free_ const char **refs = NULL;
	size_t n;
	bool given;
	int status, r;
	if ((r = param_string(c, c->in, "cluster", false, &cluster)) < 0 ||
	    (r = param_string_list(c, c->in, "containerInstances", MAX_UPDATE_STATE, &refs, &n,
				   &given)) < 0 ||
	    (r = param_enum(c, c->in, "status", settable, &status)) < 0)
		return r;
	if (n == 0)
		return api_fail(c, "InvalidParameterException",
				"containerInstances must list 1 to %d container instances",
				MAX_UPDATE_STATE);
	if (status < 0)
		return api_fail(c, "InvalidParameterException", "status is required");
	if (status > 1)
		return api_fail(c, "InvalidParameterException",
				"Container instances can only be set to ACTIVE or DRAINING.");

	struct store *s = c->api->store;
	struct store_cluster cl;
	if ((r = store_begin(s, &c->ierr)) < 0 || (r = api_cluster_lookup(c, cluster, &cl)) < 0)
		return r;
	_cleanup_free_ int64_t *ids = calloc(n, sizeof(*ids));
	_cleanup_free_ const char **reasons = calloc(n, sizeof(*reasons));
	_cleanup_free_ bool *changed = calloc(n, sizeof(*changed));
	if (!ids || !reasons || !changed) {
		store_cluster_clear(&cl);
		return err_set(&c->ierr, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct store_instance in;
		r = api_instance_lookup(c, &cl, refs[i], &in);
		if (r == -ENOENT) {
			reasons[i] = "MISSING";
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		ids[i] = in.id;
		if (strcmp(in.status, "INACTIVE") == 0)
			reasons[i] = "INACTIVE";
		else if (strcmp(in.status, settable[status]) != 0)
			changed[i] = true;
		if (changed[i])
			r = store_instance_set_status(s, in.id, settable[status], NULL, c->now_ms,
						      &c->ierr);
		store_instance_clear(&in);
	}
	if (r >= 0)
		r = store_commit(s, &c->ierr);
	if (r < 0) {
		store_cluster_clear(&cl);
		return r;
	}

	json_w_key(c->out, "containerInstances");
	json_w_array_begin(c->out);
	for (size_t i = 0; i < n && r >= 0; i++) {
		if (reasons[i])
			continue;
		struct store_instance in;
		if ((r = store_instance_get_by_id(s, ids[i], &in, &c->ierr)) < 0)
			break;
		r = api_write_instance(c, &in, 0);
		store_instance_clear(&in);
	}
	json_w_array_end(c->out);
	if (r >= 0)
		r = api_w_failures(c, &cl, refs, reasons, n, api_instance_arn);
	store_cluster_clear(&cl);
	for (size_t i = 0; i < n; i++)
		if (changed[i])
			api_instance_changed(c->api, ids[i]);
	return r;
}
