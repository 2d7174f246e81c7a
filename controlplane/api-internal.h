/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Shared by the api*.c files only: the call context, request-field helpers,
 * and the handlers in the dispatch table. */
#include "api.h"
#include "json.h"
#include "store.h"

struct api {
	struct store *store;
	char *region;
	char *account_id;
	int64_t (*now_ms)(void *userdata);
	void *clock_data;
	api_instance_listener instance_listener;
	void *instance_listener_data;
};

/* One operation in flight. */
struct api_call {
	struct api *api;
	const char *op;
	const json_node *in;      /* the request object */
	struct json_writer *out;  /* the response, already inside its top object */
	int64_t now_ms;

	/* Set by api_fail(); a handler returning < 0 without it is a
	 * ServerException with `ierr` as the logged detail. */
	const char *err_type;
	char err_msg[512];
	struct ecs_err ierr;
};

/* Handlers write their output members into c->out and return 0, or fail:
 *   return api_fail(c, "ClusterNotFoundException", "Cluster not found.");
 *   return r;   (r < 0 from the store, detail in c->ierr) -> ServerException */
typedef int (*api_handler)(struct api_call *c);

/* Record a client error (HTTP 400) and return -EINVAL. */
int api_fail(struct api_call *c, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- request fields (api-params.c) ----
 * Each helper looks up member `name` of `obj`. An absent member or JSON null
 * counts as "not given". A member of the wrong JSON type fails the call with
 * SerializationException; a value that breaks a rule with
 * InvalidParameterException. Strings are borrowed from the request. */

int param_string(struct api_call *c, const json_node *obj, const char *name, bool required,
		 const char **out);
/* Integer in [min, max]; *given tells whether it was present. */
int param_int(struct api_call *c, const json_node *obj, const char *name, int64_t min,
	      int64_t max, bool *given, int64_t *out);
int param_bool(struct api_call *c, const json_node *obj, const char *name, bool *given,
	       bool *out);
/* One of `choices` (NULL-terminated, exact case as ECS); *out is the index or
 * -1 when not given. */
int param_enum(struct api_call *c, const json_node *obj, const char *name,
	       const char *const *choices, int *out);
/* The node of an object member (NULL when not given). */
int param_object(struct api_call *c, const json_node *obj, const char *name,
		 const json_node **out);
/* A list of strings: *out is a malloc'd array of borrowed strings (NULL
 * when not given; *given tells absent from empty), at most `max` items. */
int param_string_list(struct api_call *c, const json_node *obj, const char *name, size_t max,
		      const char ***out, size_t *n, bool *given);
/* The node of a list member (NULL when not given). */
int param_list(struct api_call *c, const json_node *obj, const char *name,
	       const json_node **out);

/* A Tags list, validated as ECS does (key 1..128, value 0..256 characters of
 * the allowed set, no "aws:" prefix, no duplicate keys, at most 50). The
 * malloc'd array borrows its strings from the request. */
int param_tags(struct api_call *c, const json_node *obj, const char *name,
	       struct store_kv **out, size_t *n);
/* One TagKey, validated as in param_tags(). */
int param_check_tag_key(struct api_call *c, const char *key);

/* maxResults in [1, max] (default `max`) and nextToken decoded for this
 * operation (*after NULL when not given; malloc'd). */
int param_page(struct api_call *c, int64_t max, int64_t *limit, char **after);

struct arn;
/* Whether a parsed ARN is an ECS one of this region and account, with
 * resource type `type` (any type when NULL). */
bool api_arn_ours(const struct api_call *c, const struct arn *a, const char *type);

/* The include list of a Describe* request: bit k of *show is set for
 * names[k] (NULL-terminated); an unknown name fails the call. */
int param_include(struct api_call *c, const char *const *include, size_t n,
		  const char *const *names, unsigned *show);

/* Write {"key": ..., "value": ...} items as a JSON list under `member`. */
void api_w_kv_list(struct json_writer *w, const char *member, const char *key_name,
		   const char *value_name, const struct store_kv_list *l);

/* Write one page of a List* reply: the strings of `v` as a list under
 * `member` and, when `more` says a next page follows, the nextToken naming
 * the last item (with `key_after`, the part of it after the first
 * `key_after`). Fails (-ENOMEM, detail in c->ierr) when there is no token. */
int api_w_page(struct api_call *c, const char *member, const struct store_strv *v, bool more,
	       const char *key_after);

/* Write one Failure object: {"arn", "reason"} and "detail" when not NULL. */
void api_w_failure(struct json_writer *w, const char *arn, const char *reason,
		   const char *detail);

/* The ARN a reference (ARN or bare id) names in cluster `cl`, malloc'd;
 * -EINVAL (call not failed) when it names none. */
typedef int (*api_ref_arn_fn)(struct api_call *c, const struct store_cluster *cl,
			      const char *ref, char **arn);

/* Write "failures": one for each refs[i] whose reasons[i] is set, named by
 * the ARN `arn_of` makes of it (refs[i] itself when it names none). */
int api_w_failures(struct api_call *c, const struct store_cluster *cl, const char *const *refs,
		   const char *const *reasons, size_t n, api_ref_arn_fn arn_of);

/* Write the object a reference names in cluster `cl`; -ENOENT (call not
 * failed) when it names none there. */
typedef int (*api_describe_fn)(struct api_call *c, const struct store_cluster *cl,
			       const char *ref, void *data);

/* The reply of a Describe* of resources in `cl`: under `member` what
 * `write_one` finds of refs, then the others as MISSING failures. */
int api_w_describe(struct api_call *c, const struct store_cluster *cl, const char *member,
		   const char *const *refs, size_t n, api_describe_fn write_one, void *data,
		   api_ref_arn_fn arn_of);

/* ---- clusters (api-clusters.c) ---- */

/* Resolve a cluster given by name or ARN (NULL or "": "default"); only an
 * ACTIVE cluster counts. Fails the call with ClusterNotFoundException. */
int api_cluster_lookup(struct api_call *c, const char *ref, struct store_cluster *out);
/* Whether `ref` (name or ARN) names a cluster of this region and account,
 * and its ARN (malloc'd) when it does. -EINVAL without failing the call
 * otherwise. */
int api_cluster_arn(struct api_call *c, const char *ref, char **arn);

int api_create_cluster(struct api_call *c);
int api_describe_clusters(struct api_call *c);
int api_list_clusters(struct api_call *c);
int api_delete_cluster(struct api_call *c);

/* ---- tags (api-tags.c) ---- */
int api_tag_resource(struct api_call *c);
int api_untag_resource(struct api_call *c);
int api_list_tags_for_resource(struct api_call *c);
