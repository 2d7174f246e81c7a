/* SPDX-License-Identifier: Apache-2.0 */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

struct json_doc {
	yajl_val root;
};

/* The index of the last byte of the comment that starts at text[i] ("/" "*"
 * or "//"), or len when it does not end (yajl then reports the error). */
static size_t comment_end(const char *text, size_t len, size_t i)
{
	if (text[i + 1] == '/') {
		const char *nl = memchr(text + i + 2, '\n', len - i - 2);
		return nl ? (size_t)(nl - text) : len;
	}
	for (size_t j = i + 2; j + 1 < len; j++)
		if (text[j] == '*' && text[j + 1] == '/')
			return j + 1;
	return len;
}

/* yajl's tree builder and its free are recursive; bound the depth first so
 * hostile input cannot exhaust the stack. Strings and comments (which
 * yajl_tree_parse() accepts) are skipped as yajl's lexer skips them, so
 * brackets inside them do not count and a quote inside a comment cannot
 * hide the brackets after it. */
static int check_depth(const char *text, size_t len, struct ecs_err *err)
{
	int depth = 0;
	bool in_string = false;

	/* yajl reads a NUL-terminated copy: an embedded NUL would cut it. */
	const char *nul = memchr(text, '\0', len);
	if (nul)
		return err_set(err, EINVAL, "NUL byte at offset %zu", (size_t)(nul - text));

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '/' && i + 1 < len && (text[i + 1] == '*' || text[i + 1] == '/')) {
			i = comment_end(text, len, i);
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > JSON_MAX_DEPTH)
				return err_set(err, EINVAL, "nesting deeper than %d at offset %zu",
					       JSON_MAX_DEPTH, i);
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

struct json_doc *json_parse(const char *text, size_t len, struct ecs_err *err)
{
	char errbuf[256] = "";

	if (check_depth(text, len, err) < 0)
		return NULL;

	_cleanup_free_ char *copy = malloc(len + 1);
	if (!copy) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';

	yajl_val root = yajl_tree_parse(copy, errbuf, sizeof(errbuf));
	if (!root) {
		/* yajl's message spans lines and quotes the input; keep its first line. */
		errbuf[strcspn(errbuf, "\n")] = '\0';
		err_set(err, EINVAL, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
		return NULL;
	}

	struct json_doc *doc = calloc(1, sizeof(*doc));
	if (!doc) {
		yajl_tree_free(root);
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	doc->root = root;
	return doc;
}

void json_doc_free(struct json_doc *doc)
{
	if (!doc)
		return;
	yajl_tree_free(doc->root);
	free(doc);
}

const json_node *json_root(const struct json_doc *doc)
{
	return doc ? doc->root : NULL;
}

enum json_type json_type(const json_node *n)
{
	if (!n)
		return JSON_NONE;
	switch (n->type) {
	case yajl_t_string: return JSON_STRING;
	case yajl_t_number: return JSON_NUMBER;
	case yajl_t_object: return JSON_OBJECT;
	case yajl_t_array: return JSON_ARRAY;
	case yajl_t_true:
	case yajl_t_false: return JSON_BOOL;
	case yajl_t_null: return JSON_NULL;
	default: return JSON_NONE;
	}
}

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL: return "null";
	case JSON_BOOL: return "boolean";
	case JSON_NUMBER: return "number";
	case JSON_STRING: return "string";
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	default: return "nothing";
	}
}

const char *json_string(const json_node *n)
{
	return json_type(n) == JSON_STRING ? n->u.string : NULL;
}

bool json_integer(const json_node *n, int64_t *out)
{
	if (json_type(n) != JSON_NUMBER)
		return false;
	if (YAJL_IS_INTEGER(n)) {
		*out = n->u.number.i;
		return true;
	}
	/* 1.0 or 1e3 are integers too, as long as they are exact. */
	double d = n->u.number.d;
	if (!YAJL_IS_DOUBLE(n) || !isfinite(d) || d != floor(d) || d < -9.2e18 || d > 9.2e18)
		return false;
	*out = (int64_t)d;
	return true;
}

bool json_number(const json_node *n, double *out)
{
	if (json_type(n) != JSON_NUMBER)
		return false;
	if (YAJL_IS_INTEGER(n))
		*out = (double)n->u.number.i;
	else if (YAJL_IS_DOUBLE(n))
		*out = n->u.number.d;
	else
		return false;
	return true;
}

bool json_bool(const json_node *n, bool *out)
{
	if (json_type(n) != JSON_BOOL)
		return false;
	*out = n->type == yajl_t_true;
	return true;
}

size_t json_object_size(const json_node *n)
{
	return json_type(n) == JSON_OBJECT ? n->u.object.len : 0;
}

const char *json_object_key(const json_node *n, size_t i)
{
	return i < json_object_size(n) ? n->u.object.keys[i] : NULL;
}

const json_node *json_object_value(const json_node *n, size_t i)
{
	return i < json_object_size(n) ? n->u.object.values[i] : NULL;
}

const json_node *json_get(const json_node *n, const char *key)
{
	size_t len = json_object_size(n);
	for (size_t i = 0; i < len; i++)
		if (strcmp(n->u.object.keys[i], key) == 0)
			return n->u.object.values[i];
	return NULL;
}

size_t json_array_size(const json_node *n)
{
	return json_type(n) == JSON_ARRAY ? n->u.array.len : 0;
}

const json_node *json_array_get(const json_node *n, size_t i)
{
	return i < json_array_size(n) ? n->u.array.values[i] : NULL;
}

/* Writer */

struct json_writer {
	yajl_gen gen;
	yajl_gen_status status; /* first failure, sticky */
};

struct json_writer *json_writer_new(bool pretty)
{
	struct json_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->gen = yajl_gen_alloc(NULL);
	if (!w->gen) {
		free(w);
		return NULL;
	}
	yajl_gen_config(w->gen, yajl_gen_validate_utf8, 1);
	if (pretty) {
		yajl_gen_config(w->gen, yajl_gen_beautify, 1);
		yajl_gen_config(w->gen, yajl_gen_indent_string, "  ");
	}
	w->status = yajl_gen_status_ok;
	return w;
}

void json_writer_free(struct json_writer *w)
{
	if (!w)
		return;
	yajl_gen_free(w->gen);
	free(w);
}

static void track(struct json_writer *w, yajl_gen_status s)
{
	if (w->status == yajl_gen_status_ok && s != yajl_gen_status_ok)
		w->status = s;
}

#define EMIT(w, call)                                   \
	do {                                            \
		if ((w)->status == yajl_gen_status_ok) \
			track((w), (call));            \
	} while (0)

void json_w_object_begin(struct json_writer *w) { EMIT(w, yajl_gen_map_open(w->gen)); }
void json_w_object_end(struct json_writer *w) { EMIT(w, yajl_gen_map_close(w->gen)); }
void json_w_array_begin(struct json_writer *w) { EMIT(w, yajl_gen_array_open(w->gen)); }
void json_w_array_end(struct json_writer *w) { EMIT(w, yajl_gen_array_close(w->gen)); }
void json_w_null(struct json_writer *w) { EMIT(w, yajl_gen_null(w->gen)); }
void json_w_bool(struct json_writer *w, bool v) { EMIT(w, yajl_gen_bool(w->gen, v)); }
void json_w_int(struct json_writer *w, int64_t v) { EMIT(w, yajl_gen_integer(w->gen, (long long)v)); }

void json_w_double(struct json_writer *w, double v)
{
	EMIT(w, yajl_gen_double(w->gen, v));
}

void json_w_string_len(struct json_writer *w, const char *s, size_t len)
{
	EMIT(w, yajl_gen_string(w->gen, (const unsigned char *)s, len));
}

void json_w_string(struct json_writer *w, const char *s)
{
	json_w_string_len(w, s ? s : "", s ? strlen(s) : 0);
}

void json_w_key(struct json_writer *w, const char *key)
{
	json_w_string(w, key);
}

void json_w_member(struct json_writer *w, const char *key, const char *s)
{
	if (!s)
		return;
	json_w_key(w, key);
	json_w_string(w, s);
}

void json_w_node(struct json_writer *w, const json_node *n)
{
	int64_t i;
	double d;
	bool b;

	switch (json_type(n)) {
	case JSON_STRING:
		json_w_string(w, json_string(n));
		break;
	case JSON_NUMBER:
		/* Copy the number's own text: it round-trips exactly, including
		 * values such as 1e999 that do not fit a double. */
		if (n->u.number.r)
			EMIT(w, yajl_gen_number(w->gen, n->u.number.r, strlen(n->u.number.r)));
		else if (json_integer(n, &i))
			json_w_int(w, i);
		else if (json_number(n, &d))
			json_w_double(w, d);
		break;
	case JSON_BOOL:
		json_bool(n, &b);
		json_w_bool(w, b);
		break;
	case JSON_OBJECT:
		json_w_object_begin(w);
		for (size_t k = 0; k < json_object_size(n); k++) {
			json_w_key(w, json_object_key(n, k));
			json_w_node(w, json_object_value(n, k));
		}
		json_w_object_end(w);
		break;
	case JSON_ARRAY:
		json_w_array_begin(w);
		for (size_t k = 0; k < json_array_size(n); k++)
			json_w_node(w, json_array_get(n, k));
		json_w_array_end(w);
		break;
	default:
		json_w_null(w);
		break;
	}
}

static const char *gen_status_text(yajl_gen_status s)
{
	switch (s) {
	case yajl_gen_keys_must_be_strings: return "object key expected";
	case yajl_max_depth_exceeded: return "nesting too deep";
	case yajl_gen_in_error_state: return "writer in error state";
	case yajl_gen_generation_complete: return "value after the document ended";
	case yajl_gen_invalid_number: return "invalid number (NaN or infinity)";
	case yajl_gen_no_buf: return "no buffer";
	case yajl_gen_invalid_string: return "string is not valid UTF-8";
	default: return "generation error";
	}
}

char *json_writer_finish(struct json_writer *w, size_t *len, struct ecs_err *err)
{
	const unsigned char *buf;
	size_t n;

	if (w->status != yajl_gen_status_ok) {
		err_set(err, EINVAL, "writing JSON: %s", gen_status_text(w->status));
		return NULL;
	}
	yajl_gen_get_buf(w->gen, &buf, &n);
	char *out = malloc(n + 1);
	if (!out) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (n)
		memcpy(out, buf, n);
	out[n] = '\0';
	if (len)
		*len = n;
	return out;
}
