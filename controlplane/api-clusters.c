/* SPDX-License-Identifier: Apache-2.0 */
/* CreateCluster, DescribeClusters, ListClusters, DeleteCluster. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "api-internal.h"
#include "arn.h"
#include "paginate.h"

static const char *const include_names[] = {
	"ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS", NULL,
};

enum {
	SHOW_ATTACHMENTS = 1 << 0,
	SHOW_CONFIGURATION = 1 << 1,
	SHOW_SETTINGS = 1 << 2,
	SHOW_STATISTICS = 1 << 3,
	SHOW_TAGS = 1 << 4,
};

/* Up to 255 letters, numbers, hyphens and underscores. */
static bool cluster_name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len < 1 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

int api_cluster_arn(struct api_call *c, const char *ref, char **arn)
{
	*arn = NULL;
	if (strncmp(ref, "arn:", 4) == 0) {
		struct arn a;
		if (arn_parse(ref, &a, NULL) < 0)
			return -EINVAL;
		bool ours = api_arn_ours(c, &a, "cluster") && cluster_name_ok(a.resource_id);
		arn_clear(&a);
		if (!ours)
			return -EINVAL;
		*arn = strdup(ref);
	} else {
		if (!cluster_name_ok(ref))
			return -EINVAL;
		*arn = arn_build(c->api->region, c->api->account_id, "cluster", ref);
	}
	if (!*arn)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	return 0;
}

int api_cluster_lookup(struct api_call *c, const char *ref, struct store_cluster *out)
{
	_cleanup_free_ char *arn = NULL;
	memset(out, 0, sizeof(*out));
	int r = api_cluster_arn(c, ref && ref[0] ? ref : "default", &arn);
	if (r == -EINVAL)
		return api_fail(c, "ClusterNotFoundException", "Cluster not found.");
	if (r < 0)
		return r;
	r = store_cluster_get(c->api->store, arn, out, &c->ierr);
	if (r == -ENOENT || (r == 0 && strcmp(out->status, "ACTIVE") != 0)) {
		store_cluster_clear(out);
		return api_fail(c, "ClusterNotFoundException", "Cluster not found.");
	}
	return r;
}

static void write_statistics(struct json_writer *w, const struct store_cluster_counts *k)
{
	const struct {
		const char *name;
		int64_t value;
	} stats[] = {
		{ "runningEC2TasksCount", k->running_tasks },
		{ "runningFargateTasksCount", 0 },
		{ "pendingEC2TasksCount", k->pending_tasks },
		{ "pendingFargateTasksCount", 0 },
		{ "activeEC2ServiceCount", k->active_services },
		{ "activeFargateServiceCount", 0 },
		{ "drainingEC2ServiceCount", 0 },
		{ "drainingFargateServiceCount", 0 },
	};
	json_w_array_begin(w);
	for (size_t i = 0; i < ARRAY_SIZE(stats); i++) {
		char num[32];
		snprintf(num, sizeof(num), "%lld", (long long)stats[i].value);
		json_w_object_begin(w);
		json_w_key(w, "name");
		json_w_string(w, stats[i].name);
		json_w_key(w, "value");
		json_w_string(w, num);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

/* One Cluster object, as ECS shows it: the empty lists are always there;
 * settings, tags, configuration and statistics only when asked for. */
static int write_cluster(struct api_call *c, const struct store_cluster *cl, unsigned show)
{
	struct json_writer *w = c->out;
	struct store_cluster_counts counts;
	int r = store_cluster_counts(c->api->store, cl->id, &counts, &c->ierr);
	if (r < 0)
		return r;

	json_w_object_begin(w);
	json_w_key(w, "clusterArn");
	json_w_string(w, cl->arn);
	json_w_key(w, "clusterName");
	json_w_string(w, cl->name);
	if ((show & SHOW_CONFIGURATION) && cl->configuration) {
		_cleanup_(json_doc_freep) struct json_doc *doc =
			json_parse(cl->configuration, strlen(cl->configuration), &c->ierr);
		if (!doc)
			return err_wrap(&c->ierr, "stored configuration of %s", cl->arn);
		json_w_key(w, "configuration");
		json_w_node(w, json_root(doc));
	}
	json_w_key(w, "status");
	json_w_string(w, cl->status);
	json_w_key(w, "registeredContainerInstancesCount");
	json_w_int(w, counts.registered_instances);
	json_w_key(w, "runningTasksCount");
	json_w_int(w, counts.running_tasks);
	json_w_key(w, "pendingTasksCount");
	json_w_int(w, counts.pending_tasks);
	json_w_key(w, "activeServicesCount");
	json_w_int(w, counts.active_services);

	json_w_key(w, "statistics");
	if (show & SHOW_STATISTICS) {
		write_statistics(w, &counts);
	} else {
		json_w_array_begin(w);
		json_w_array_end(w);
	}

	struct store_kv_list list = { 0 };
	if (show & SHOW_TAGS) {
		r = store_tags_get(c->api->store, cl->arn, &list, &c->ierr);
		if (r < 0)
			return r;
	}
	api_w_kv_list(w, "tags", "key", "value", &list);
	store_kv_list_clear(&list);

	if (show & SHOW_SETTINGS) {
		r = store_cluster_settings_get(c->api->store, cl->id, &list, &c->ierr);
		if (r < 0)
			return r;
		api_w_kv_list(w, "settings", "name", "value", &list);
		store_kv_list_clear(&list);
	}
	json_w_key(w, "capacityProviders");
	json_w_array_begin(w);
	json_w_array_end(w);
	json_w_key(w, "defaultCapacityProviderStrategy");
	json_w_array_begin(w);
	json_w_array_end(w);
	if (show & SHOW_ATTACHMENTS) {
		json_w_key(w, "attachments");
		json_w_array_begin(w);
		json_w_array_end(w);
	}
	json_w_object_end(w);
	return 0;
}

/* ---- CreateCluster ---- */

static const char *const logging_names[] = { "NONE", "DEFAULT", "OVERRIDE", NULL };

/* Validate ClusterConfiguration and re-emit only the members ECS defines, so
 * what is stored (and echoed back) is exactly the model's shape. */
static int configuration_text(struct api_call *c, const json_node *cfg, char **out)
{
	const json_node *exec, *logcfg;
	const char *kms;
	int logging, r;
	*out = NULL;

	if ((r = param_object(c, cfg, "executeCommandConfiguration", &exec)) < 0)
		return r;
	if ((r = param_string(c, exec, "kmsKeyId", false, &kms)) < 0 ||
	    (r = param_enum(c, exec, "logging", logging_names, &logging)) < 0 ||
	    (r = param_object(c, exec, "logConfiguration", &logcfg)) < 0)
		return r;
	if (logging == 2 && !logcfg)
		return api_fail(c, "InvalidParameterException",
				"logConfiguration is required when logging is OVERRIDE");

	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return err_set(&c->ierr, ENOMEM, "out of memory");
	json_w_object_begin(w);
	if (exec) {
		json_w_key(w, "executeCommandConfiguration");
		json_w_object_begin(w);
		if (kms) {
			json_w_key(w, "kmsKeyId");
			json_w_string(w, kms);
		}
		if (logging >= 0) {
			json_w_key(w, "logging");
			json_w_string(w, logging_names[logging]);
		}
		if (logcfg) {
			static const char *const strs[] = { "cloudWatchLogGroupName", "s3BucketName",
							    "s3KeyPrefix" };
			static const char *const bools[] = { "cloudWatchEncryptionEnabled",
							     "s3EncryptionEnabled" };
			json_w_key(w, "logConfiguration");
			json_w_object_begin(w);
			for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
				const char *v;
				if ((r = param_string(c, logcfg, strs[i], false, &v)) < 0)
					return r;
				if (v) {
					json_w_key(w, strs[i]);
					json_w_string(w, v);
				}
			}
			for (size_t i = 0; i < ARRAY_SIZE(bools); i++) {
				bool given, v;
				if ((r = param_bool(c, logcfg, bools[i], &given, &v)) < 0)
					return r;
				if (given) {
					json_w_key(w, bools[i]);
					json_w_bool(w, v);
				}
			}
			json_w_object_end(w);
		}
		json_w_object_end(w);
	}
	json_w_object_end(w);
	*out = json_writer_finish(w, NULL, &c->ierr);
	return *out ? 0 : -EIO;
}

static const char *const setting_names[] = { "containerInsights", NULL };
static const char *const insights_values[] = { "enabled", "disabled", "enhanced", NULL };

/* The settings a new cluster gets: containerInsights=disabled unless given. */
static int parse_settings(struct api_call *c, struct store_kv *out)
{
	const json_node *list;
	int r = param_list(c, c->in, "settings", &list);
	if (r < 0)
		return r;
	out[0] = (struct store_kv){ .key = "containerInsights", .value = "disabled" };
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_node *item = json_array_get(list, i);
		int name, value;
		if (json_type(item) != JSON_OBJECT)
			return api_fail(c, "SerializationException",
					"Expected a list of ClusterSetting objects for settings");
		if ((r = param_enum(c, item, "name", setting_names, &name)) < 0 ||
		    (r = param_enum(c, item, "value", insights_values, &value)) < 0)
			return r;
		if (name < 0 || value < 0)
			return api_fail(c, "InvalidParameterException",
					"Cluster settings need a name and a value");
		out[0].value = (char *)insights_values[value];
	}
	return 0;
}

/* Capacity providers, their strategies and Service Connect need resources
 * this control plane does not have; refuse rather than pretend. */
static int refuse_unsupported(struct api_call *c)
{
	static const char *const lists[] = { "capacityProviders", "defaultCapacityProviderStrategy" };
	const json_node *n;
	int r;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		if ((r = param_list(c, c->in, lists[i], &n)) < 0)
			return r;
		if (json_array_size(n) > 0)
			return api_fail(c, "InvalidParameterException",
					"%s: capacity providers are not supported", lists[i]);
	}
	if ((r = param_object(c, c->in, "serviceConnectDefaults", &n)) < 0)
		return r;
	if (n)
		return api_fail(c, "InvalidParameterException",
				"serviceConnectDefaults: Service Connect is not supported");
	return 0;
}

int api_create_cluster(struct api_call *c)
{
	const char *name;
	const json_node *cfg;
	struct store_kv settings[1];
	_cleanup_free_ struct store_kv *tags = NULL;
	size_t n_tags;
	int r;

	if ((r = param_string(c, c->in, "clusterName", false, &name)) < 0 ||
	    (r = param_tags(c, c->in, "tags", &tags, &n_tags)) < 0 ||
	    (r = parse_settings(c, settings)) < 0 ||
	    (r = param_object(c, c->in, "configuration", &cfg)) < 0 ||
	    (r = refuse_unsupported(c)) < 0)
		return r;
	if (!name || !name[0])
		name = "default";
	if (!cluster_name_ok(name))
		return api_fail(c, "InvalidParameterException",
				"Cluster names can have up to 255 letters, numbers, hyphens and underscores");

	_cleanup_free_ char *config = NULL;
	if (cfg && (r = configuration_text(c, cfg, &config)) < 0)
		return r;
	_cleanup_free_ char *arn = arn_build(c->api->region, c->api->account_id, "cluster", name);
	if (!arn)
		return err_set(&c->ierr, ENOMEM, "out of memory");

	struct store *s = c->api->store;
	if ((r = store_begin(s, &c->ierr)) < 0)
		return r;
	struct store_cluster cl = {
		.name = (char *)name,
		.arn = arn,
		.configuration = config,
		.created_ms = c->now_ms,
	};
	int64_t id;
	r = store_cluster_activate(s, &cl, &id, &c->ierr);
	if (r == 0) {
		/* New or revived: it starts from what this request says. */
		if ((r = store_cluster_settings_set(s, id, settings, 1, &c->ierr)) < 0 ||
		    (r = store_tags_clear(s, arn, &c->ierr)) < 0 ||
		    (r = store_tags_put(s, arn, tags, n_tags, &c->ierr)) < 0)
			return r;
	} else if (r != -EEXIST) {
		return r;
	}
	/* -EEXIST: CreateCluster of an ACTIVE cluster is idempotent and returns
	 * it unchanged. */
	if ((r = store_commit(s, &c->ierr)) < 0)
		return r;

	struct store_cluster stored;
	if ((r = store_cluster_get(s, arn, &stored, &c->ierr)) < 0)
		return r;
	json_w_key(c->out, "cluster");
	r = write_cluster(c, &stored, SHOW_CONFIGURATION | SHOW_SETTINGS | SHOW_TAGS);
	store_cluster_clear(&stored);
	return r;
}

/* ---- DescribeClusters ---- */

int api_describe_clusters(struct api_call *c)
{
	_cleanup_free_ const char **refs = NULL, **include = NULL;
	size_t n_refs, n_include;
	bool given;
	unsigned show;
	int r;

	if ((r = param_string_list(c, c->in, "clusters", 100, &refs, &n_refs, &given)) < 0 ||
	    (r = param_string_list(c, c->in, "include", 16, &include, &n_include, &given)) < 0 ||
	    (r = param_include(c, include, n_include, include_names, &show)) < 0)
		return r;
	static const char *const default_ref[] = { "default" };
	const char *const *list = n_refs ? refs : default_ref;
	size_t n = n_refs ? n_refs : 1;

	/* Clusters first, then failures: collect which is which. */
	_cleanup_free_ char **arns = calloc(n, sizeof(*arns));
	_cleanup_free_ bool *found = calloc(n, sizeof(*found));
	if (!arns || !found)
		return err_set(&c->ierr, ENOMEM, "out of memory");

	json_w_key(c->out, "clusters");
	json_w_array_begin(c->out);
	for (size_t i = 0; i < n && r >= 0; i++) {
		r = api_cluster_arn(c, list[i], &arns[i]);
		if (r == -EINVAL) {
			/* Not a name or ARN of ours: still reported by the ARN it
			 * would have. */
			r = 0;
			if (strncmp(list[i], "arn:", 4) == 0)
				arns[i] = strdup(list[i]);
			else
				arns[i] = arn_build(c->api->region, c->api->account_id, "cluster",
						    list[i]);
			if (!arns[i])
				r = err_set(&c->ierr, ENOMEM, "out of memory");
			continue;
		}
		if (r < 0)
			break;
		struct store_cluster cl;
		r = store_cluster_get(c->api->store, arns[i], &cl, &c->ierr);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r == 0) {
			found[i] = true;
			r = write_cluster(c, &cl, show);
			store_cluster_clear(&cl);
		}
	}
	json_w_array_end(c->out);

	if (r >= 0) {
		json_w_key(c->out, "failures");
		json_w_array_begin(c->out);
		for (size_t i = 0; i < n; i++) {
			if (found[i])
				continue;
			api_w_failure(c->out, arns[i], "MISSING", NULL);
		}
		json_w_array_end(c->out);
	}
	for (size_t i = 0; i < n; i++)
		free(arns[i]);
	return r;
}

/* ---- ListClusters ---- */

int api_list_clusters(struct api_call *c)
{
	int64_t limit;
	_cleanup_free_ char *after = NULL;
	int r = param_page(c, 100, &limit, &after);
	if (r < 0)
		return r;

	struct store_strv arns;
	bool more;
	r = store_cluster_list(c->api->store, after, (size_t)limit, &arns, &more, &c->ierr);
	if (r < 0)
		return r;
	r = api_w_page(c, "clusterArns", &arns, more, NULL);
	store_strv_clear(&arns);
	return r;
}

/* ---- DeleteCluster ---- */

int api_delete_cluster(struct api_call *c)
{
	const char *ref;
	struct store *s = c->api->store;
	int r = param_string(c, c->in, "cluster", true, &ref);
	if (r < 0)
		return r;

	if ((r = store_begin(s, &c->ierr)) < 0)
		return r;
	struct store_cluster cl;
	if ((r = api_cluster_lookup(c, ref, &cl)) < 0)
		return r;

	struct store_cluster_counts k;
	r = store_cluster_counts(s, cl.id, &k, &c->ierr);
	if (r >= 0 && k.registered_instances > 0)
		r = api_fail(c, "ClusterContainsContainerInstancesException",
			     "The Cluster cannot be deleted while Container Instances are active or draining.");
	else if (r >= 0 && k.active_services > 0)
		r = api_fail(c, "ClusterContainsServicesException",
			     "The Cluster cannot be deleted while Services are active.");
	else if (r >= 0 && k.running_tasks + k.pending_tasks > 0)
		r = api_fail(c, "ClusterContainsTasksException",
			     "The Cluster cannot be deleted while Tasks are active.");
	if (r >= 0)
		r = store_cluster_set_status(s, cl.id, "INACTIVE", &c->ierr);
	if (r >= 0)
		r = store_commit(s, &c->ierr);
	if (r >= 0) {
		free(cl.status);
		cl.status = strdup("INACTIVE");
		if (!cl.status)
			r = err_set(&c->ierr, ENOMEM, "out of memory");
	}
	if (r >= 0) {
		json_w_key(c->out, "cluster");
		r = write_cluster(c, &cl, 0);
	}
	store_cluster_clear(&cl);
	return r;
}
