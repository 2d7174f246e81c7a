/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The `request` verb of ecs-agent-image (docs/images.md, "Helper
 * protocol"): one JSON request on stdin, resolved from the store or pulled
 * from a registry according to the pull behaviour. Helper side (libimage).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct image;
struct image_name;
struct image_record;
struct layer_store;

enum pull_behavior {
	PULL_DEFAULT = 0,   /* pull; on failure use the stored image if any */
	PULL_ALWAYS,        /* pull; a failure is final */
	PULL_ONCE,          /* pull only when the name has no record */
	PULL_PREFER_CACHED, /* the record when there is one, else pull */
};

/* Defaults when the request leaves them out (ECS_IMAGE_PULL_TIMEOUT and
 * ECS_IMAGE_PULL_INACTIVITY_TIMEOUT's defaults). */
#define PULL_TIMEOUT_MS_DEFAULT (2 * 3600 * 1000LL)
#define PULL_INACTIVITY_MS_DEFAULT (60 * 1000LL)

struct pull_request {
	char *datadir;   /* absolute */
	char *reference;
	enum pull_behavior behavior;
	char **insecure; /* "host:port", NULL-terminated (never NULL) */
	char *auth_type, *auth_data;  /* engineAuth, NULL when absent */
	char *username, *password;    /* credentials, NULL when absent */
	char *ca_file;
	int64_t timeout_ms, inactivity_ms;
};

/* Parse a request. Unknown members, wrong types, a relative datadir or an
 * unknown pullBehavior are -EINVAL naming the member (never a secret). */
int pull_request_parse(const char *json, size_t len, struct pull_request *out,
			struct ecs_err *err);
/* Usable as _cleanup_(pull_request_clear); wipes the secrets. */
void pull_request_clear(struct pull_request *rq);
int pull_behavior_parse(const char *s, enum pull_behavior *out);

/* Resolve the request's reference: an "oci-layout:" reference from its
 * layout, a registry name per the pull behaviour. *pulled tells whether
 * the registry was consulted (false: served from the store). Holds the
 * store lock shared throughout. */
int pull_request_run(const struct pull_request *rq, struct image *out, bool *pulled,
		      struct ecs_err *err);
/* The answer: the image object (image_to_json) plus "pulled". */
char *pull_answer_json(const struct image *img, bool pulled, struct ecs_err *err);

/* ---- pull.c ---- */

struct pull_opts {
	const char *reference; /* as requested: the answer's "reference" */
	const struct image_name *name;
	bool insecure;
	const char *ca_file;
	const char *username, *password; /* NULL: anonymous */
	int64_t timeout_ms, inactivity_ms;
};

/* Pull `o->name` into the store and record it under its canonical name. */
int image_pull(struct layer_store *st, const struct pull_opts *o, struct image *out,
	       struct ecs_err *err);
/* The image of a record when the store holds everything it needs (config
 * blob, every layer): 0 and lastUsedAt updated; -ENOENT when something is
 * missing. */
int image_from_record(struct layer_store *st, const char *reference,
		      const struct image_record *rec, struct image *out, struct ecs_err *err);
