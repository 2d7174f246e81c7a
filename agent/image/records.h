/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Image records: DATADIR/images/<sha256 of canonical name>.json, one per
 * image name the store holds (docs/images.md, "The store"). Written to a
 * temp file and renamed. Also the store lock (DATADIR/store.lock): shared
 * while resolving or pulling, exclusive while deleting, so a pull and a
 * delete of the same content never overlap. Helper side (libimage).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct image_record {
	char *name;             /* canonical name, or "oci-layout:PATH[:TAG]" */
	char *manifest_digest;  /* "sha256:..." */
	char *config_digest;
	char **layers;          /* diff IDs, lowest first, NULL-terminated */
	size_t n_layers;
	int64_t size;           /* bytes of the unpacked layers (approximate) */
	int64_t pulled_at_ms;
	int64_t last_used_ms;
};
void image_record_clear(struct image_record *r);

/* Read the record of `name`: -ENOENT when there is none, -EINVAL when it
 * is unreadable (the message says so; callers treat it as absent). */
int image_record_load(const char *datadir, const char *name, struct image_record *out,
		      struct ecs_err *err);
/* Write (create or replace) the record of r->name. */
int image_record_save(const char *datadir, const struct image_record *r, struct ecs_err *err);
/* Set last_used_ms of `name` to now (missing record: -ENOENT). */
int image_record_touch(const char *datadir, const char *name, struct ecs_err *err);
int image_record_remove(const char *datadir, const char *name, struct ecs_err *err);
/* Every record, in no particular order (unreadable ones skipped). */
int image_record_list(const char *datadir, struct image_record **out, size_t *n,
		      struct ecs_err *err);
void image_record_list_free(struct image_record *v, size_t n);
/* Parse/print one record (the fuzz target and tests use these). */
int image_record_parse(const char *json, size_t len, struct image_record *out,
		       struct ecs_err *err);
char *image_record_to_json(const struct image_record *r, struct ecs_err *err);

/* DATADIR/store.lock held shared (exclusive = false) or exclusive; returns
 * the fd to close to release it. Blocks until granted. */
int image_store_lock(const char *datadir, bool exclusive, struct ecs_err *err);
