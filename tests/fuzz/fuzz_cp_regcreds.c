/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: registry credentials and the Secrets Manager API. The first
 * byte picks what the rest is fed to:
 *   0  regcred_from_taskdef (a registered taskDefinition's JSON)
 *   1  regcred_parse_secret (a SecretString)
 *   2+ a Secrets Manager operation (ops[(b - 2) % N]) on an in-memory store
 *      that already holds one secret named "s", then the same request's
 *      SecretId resolved as the agent poll does.
 * Every API reply must be JSON with status 200 or 400.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json.h"
#include "regcreds.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ops[] = {
	"CreateSecret", "GetSecretValue", "PutSecretValue", "DeleteSecret",
	"ListSecrets", "DescribeSecret", "RestoreSecret",
};

static void check_reply(const struct api_reply *r)
{
	assert(r->status == 200 || r->status == 400);
	struct ecs_err err = { 0 };
	struct json_doc *doc = json_parse(r->body, r->len, &err);
	assert(doc);
	json_doc_free(doc);
}

static void fuzz_api(uint8_t which, const char *body, size_t len)
{
	struct ecs_err err = { 0 };
	struct store *s = store_open(":memory:", &err);
	assert(s);
	struct api *api = api_new(s, "us-east-1", "123456789012", &err);
	assert(api);
	struct api_reply r;
	static const char seed[] =
		"{\"Name\":\"s\",\"SecretString\":\"{\\\"username\\\":\\\"u\\\",\\\"password\\\":\\\"p\\\"}\"}";
	assert(api_handle_secrets(api, "CreateSecret", seed, strlen(seed), &r) == 0);
	assert(r.status == 200);
	api_reply_clear(&r);
	if (api_handle_secrets(api, ops[which % (sizeof(ops) / sizeof(ops[0]))], body, len,
			       &r) == 0)
		check_reply(&r);
	api_reply_clear(&r);
	/* What the poll would send for a container naming the body's SecretId. */
	struct json_doc *doc = json_parse(body, len, &err);
	const char *id = doc ? json_string(json_get(json_root(doc), "SecretId")) : NULL;
	if (id) {
		struct regcred item = { .container_name = strdup("c"), .parameter = strdup(id) };
		struct regcred_list l = { .items = malloc(sizeof(item)), .n = 1 };
		assert(item.container_name && item.parameter && l.items);
		l.items[0] = item;
		assert(regcred_resolve(s, &l, &err) == 0);
		assert(!l.items[0].username == !l.items[0].password);
		assert(!l.items[0].username != !l.items[0].error);
		regcred_list_clear(&l);
	}
	json_doc_free(doc);
	api_free(api);
	store_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	struct ecs_err err = { 0 };
	if (data[0] == 0) {
		struct regcred_list l;
		if (regcred_from_taskdef(text, len, &l, &err) == 0) {
			for (size_t i = 0; i < l.n; i++)
				assert(l.items[i].container_name && l.items[i].parameter);
			regcred_list_clear(&l);
		}
	} else if (data[0] == 1) {
		char *u, *p;
		if (regcred_parse_secret(text, len, &u, &p, &err) == 0) {
			assert(u && *u && p && *p);
			free(u);
			free(p);
		} else {
			assert(!u && !p);
		}
	} else {
		fuzz_api((uint8_t)(data[0] - 2), text, len);
	}
	return 0;
}
