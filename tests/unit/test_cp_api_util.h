/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The fixture the control-plane API tests share: an in-memory store, an api
 * over it whose clock the test holds, and the last reply, parsed. A file that
 * needs more per-test state defines CP_CTX_EXTRA (member declarations) before
 * including this; one that drives another handler than api_handle builds its
 * ctx with cp_ctx_new(that handler) in its own setup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "json.h"
#include "store.h"

/* Where every test's clock starts: 2024-01-02T03:04:05Z. */
#define CP_T0 INT64_C(1704164645000)

typedef int (*cp_handler)(struct api *api, const char *operation, const char *body, size_t len,
			  struct api_reply *reply);

struct ctx {
	struct store *store;
	struct api *api;
	cp_handler handle;	 /* what call() sends operations to */
	struct api_reply reply;	 /* of the last call() */
	struct json_doc *doc;	 /* reply.body, parsed */
	int64_t now_ms;		 /* what the api's clock reads; tests may move it */
#ifdef CP_CTX_EXTRA
	CP_CTX_EXTRA
#endif
};

static inline int64_t cp_clock(void *userdata)
{
	return ((struct ctx *)userdata)->now_ms;
}

/* A fresh in-memory store and api, the clock at CP_T0. */
static inline struct ctx *cp_ctx_new(cp_handler handle)
{
	struct ctx *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	struct ecs_err err;
	c->store = store_open(":memory:", &err);
	assert_non_null(c->store);
	c->api = api_new(c->store, "us-east-1", "123456789012", &err);
	assert_non_null(c->api);
	c->handle = handle;
	c->now_ms = CP_T0;
	api_set_clock(c->api, cp_clock, c);
	return c;
}

static inline void cp_ctx_free(struct ctx *c)
{
	api_reply_clear(&c->reply);
	json_doc_free(c->doc);
	api_free(c->api);
	store_free(c->store);
	free(c);
}

/* cmocka setup and teardown for tests of api_handle. */
static inline int cp_setup(void **state)
{
	*state = cp_ctx_new(api_handle);
	return 0;
}

static inline int cp_teardown(void **state)
{
	cp_ctx_free(*state);
	return 0;
}

/* Run an operation; returns the parsed reply root (valid until the next call). */
static inline const json_node *call(struct ctx *c, const char *op, const char *body)
{
	api_reply_clear(&c->reply);
	json_doc_free(c->doc);
	c->doc = NULL;
	assert_int_equal(c->handle(c->api, op, body, strlen(body), &c->reply), 0);
	struct ecs_err err;
	c->doc = json_parse(c->reply.body, c->reply.len, &err);
	assert_non_null(c->doc);
	return json_root(c->doc);
}

/* call(), failing the test unless the operation succeeds. */
static inline const json_node *ok(struct ctx *c, const char *op, const char *body)
{
	const json_node *root = call(c, op, body);
	if (c->reply.status != 200)
		fail_msg("%s %s: got %d %s", op, body, c->reply.status, c->reply.body);
	return root;
}
