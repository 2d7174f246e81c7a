/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the cluster query language (ListContainerInstances' filter,
 * memberOf constraints). The input is the expression text; when it parses
 * it is matched against an instance with attributes and one without. A
 * parse must either succeed or fail with a message, never crash, hang or
 * leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cql_attribute attrs[] = {
	{ "ecs.instance-type", "t3.micro" },
	{ "ecs.availability-zone", "us-east-1a" },
	{ "stack", "prod" },
	{ "n", "12" },
	{ "flag", NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > CQL_MAX_LENGTH + 16)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct cql_expr *e = NULL;
	struct ecs_err err = { 0 };
	int r = cql_parse(text, &e, &err);
	if (r == 0) {
		const struct cql_instance full = {
			.ec2_instance_id = "i-0abc", .agent_version = "1.2.3",
			.registered_at_ms = 1529360908000, .agent_connected = true,
			.running_tasks_count = 2, .attributes = attrs,
			.n_attributes = sizeof(attrs) / sizeof(attrs[0]),
		};
		const struct cql_instance empty = { 0 };
		(void)cql_match(e, &full);
		(void)cql_match(e, &empty);
	} else if (!err_msg(&err)[0]) {
		abort(); /* every failure explains itself */
	}
	cql_free(e);
	free(text);
	return 0;
}
