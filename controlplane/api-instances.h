/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Shared by api-instances.c, api-instances-list.c and api-attributes.c:
 * the container-instance and attribute handlers and their helpers. */
#include "api-internal.h"
#include "store-instances.h"

struct cql_instance;

/* ---- handlers (dispatch table in api.c) ---- */
int api_register_container_instance(struct api_call *c);
int api_deregister_container_instance(struct api_call *c);
int api_describe_container_instances(struct api_call *c);
int api_list_container_instances(struct api_call *c);
int api_update_container_instances_state(struct api_call *c);
int api_put_attributes(struct api_call *c);
int api_delete_attributes(struct api_call *c);
int api_list_attributes(struct api_call *c);

/* The taggable[] check of api-tags.c: fails with InvalidParameterException
 * when the instance ARN is unknown. */
int api_instance_exists(struct api_call *c, const char *arn);

/* The ARN an instance reference (ARN or bare id) names in `cl`, malloc'd.
 * -EINVAL (call not failed) when it is neither. */
int api_instance_arn(struct api_call *c, const struct store_cluster *cl, const char *ref,
		     char **arn);

/* Resolve an instance reference within `cl`: -ENOENT (call not failed) when
 * there is no such instance in that cluster. */
int api_instance_lookup(struct api_call *c, const struct store_cluster *cl, const char *ref,
			struct store_instance *out);

enum {
	INSTANCE_SHOW_TAGS = 1 << 0,
	INSTANCE_SHOW_HEALTH = 1 << 1,
};

/* Write one ContainerInstance object in the botocore shape. */
int api_write_instance(struct api_call *c, const struct store_instance *in, unsigned show);

/* Fill a cql_instance for matching `in` (attributes and usage are read
 * from the store into the caller's buffers, released with
 * api_cql_instance_clear()). */
struct api_cql_subject {
	struct store_attribute_list attrs;
	struct cql_attribute *cattrs;
	char *agent_version;
};
int api_cql_instance(struct api_call *c, const struct store_instance *in,
		     struct api_cql_subject *buf, struct cql_instance *out);
void api_cql_subject_clear(struct api_cql_subject *buf);

/* Attribute name and value rules (PutAttributes and registration):
 * names 1..128 of letters, digits, - _ / \ . ; values 1..128 of letters,
 * digits, - _ . @ / \ : and spaces, not starting or ending with a space. */
bool api_attribute_name_ok(const char *name);
bool api_attribute_value_ok(const char *value);
