/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * JSON, the only module that talks to yajl.
 *
 * Reading: json_parse() builds an immutable tree; nodes are borrowed from the
 * document and live until json_doc_free(). Accessors accept NULL nodes and
 * answer "absent", so chains like json_get(json_get(root, "a"), "b") are safe.
 *
 * Writing: a json_writer emits tokens in order; the first failure (bad
 * nesting, invalid UTF-8) sticks and is reported by json_writer_finish().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

/* Documents deeper than this are rejected before yajl sees them. */
#define JSON_MAX_DEPTH 64

enum json_type {
	JSON_NONE = 0, /* absent (NULL node) */
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_OBJECT,
	JSON_ARRAY,
};

struct json_doc;
typedef struct yajl_val_s json_node; /* opaque */

/* Parse `len` bytes (need not be NUL-terminated). Embedded NUL bytes,
 * nesting deeper than JSON_MAX_DEPTH and syntax errors are -EINVAL with
 * the parser's message. */
struct json_doc *json_parse(const char *text, size_t len, struct ecs_err *err);
void json_doc_free(struct json_doc *doc);
DEFINE_CLEANUP(struct json_doc, json_doc_free)
const json_node *json_root(const struct json_doc *doc);

enum json_type json_type(const json_node *n);
const char *json_type_name(enum json_type t);

/* NULL unless n is a string. */
const char *json_string(const json_node *n);
/* True when n is a number that is an exact 64-bit integer; sets *out. */
bool json_integer(const json_node *n, int64_t *out);
/* True when n is a number; sets *out. */
bool json_number(const json_node *n, double *out);
/* True when n is a boolean; sets *out. */
bool json_bool(const json_node *n, bool *out);

/* Objects keep their keys in document order. */
size_t json_object_size(const json_node *n);
const char *json_object_key(const json_node *n, size_t i);
const json_node *json_object_value(const json_node *n, size_t i);
/* First member named `key`, or NULL. */
const json_node *json_get(const json_node *n, const char *key);

size_t json_array_size(const json_node *n);
const json_node *json_array_get(const json_node *n, size_t i);

/* Writer */
struct json_writer;
struct json_writer *json_writer_new(bool pretty);
void json_writer_free(struct json_writer *w);
DEFINE_CLEANUP(struct json_writer, json_writer_free)

void json_w_object_begin(struct json_writer *w);
void json_w_object_end(struct json_writer *w);
void json_w_array_begin(struct json_writer *w);
void json_w_array_end(struct json_writer *w);
void json_w_key(struct json_writer *w, const char *key);
void json_w_string(struct json_writer *w, const char *s);
void json_w_string_len(struct json_writer *w, const char *s, size_t len);
void json_w_int(struct json_writer *w, int64_t v);
void json_w_double(struct json_writer *w, double v);
void json_w_bool(struct json_writer *w, bool v);
void json_w_null(struct json_writer *w);
/* "key": "s" in the current object; nothing at all when s is NULL. */
void json_w_member(struct json_writer *w, const char *key, const char *s);
/* Copy a parsed node (and everything below it) into the output. */
void json_w_node(struct json_writer *w, const json_node *n);

/* Return a malloc'd NUL-terminated copy of the output (length in *len when
 * non-NULL), or NULL with the first error that occurred while writing. */
char *json_writer_finish(struct json_writer *w, size_t *len, struct ecs_err *err);
