/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int arn_parse(const char *text, struct arn *out, struct ecs_err *err)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(text, "arn:", 4) != 0)
		return err_set(err, EINVAL, "not an ARN");

	/* Two copies in one buffer: the first is cut at the ':' separators, the
	 * second holds the resource cut at its first '/'. */
	size_t len = strlen(text);
	out->buf = malloc(2 * (len + 1));
	if (!out->buf)
		return err_set(err, ENOMEM, "out of memory");
	memcpy(out->buf, text, len + 1);

	/* "arn:" then partition, service, region, account; the resource is the
	 * rest and may itself contain ':' (task-definition revisions). */
	const char *fields[4];
	char *p = out->buf + 4;
	for (int i = 0; i < 4; i++) {
		fields[i] = p;
		p = strchr(p, ':');
		if (!p) {
			arn_clear(out);
			return err_set(err, EINVAL, "ARN has too few fields");
		}
		*p++ = '\0';
	}
	out->partition = fields[0];
	out->service = fields[1];
	out->region = fields[2];
	out->account = fields[3];
	out->resource = p;
	if (!out->partition[0] || !out->service[0] || !out->resource[0]) {
		arn_clear(out);
		return err_set(err, EINVAL, "ARN has an empty partition, service or resource");
	}

	char *type = out->buf + len + 1;
	strcpy(type, out->resource);
	char *slash = strchr(type, '/');
	out->resource_type = type;
	if (slash) {
		*slash = '\0';
		out->resource_id = slash + 1;
	} else {
		out->resource_id = type + strlen(type); /* "" */
	}
	return 0;
}

void arn_clear(struct arn *a)
{
	if (!a)
		return;
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

char *arn_build(const char *region, const char *account, const char *type, const char *id)
{
	char *out = NULL;
	if (asprintf(&out, "arn:aws:ecs:%s:%s:%s/%s", region, account, type, id) < 0)
		return NULL;
	return out;
}
