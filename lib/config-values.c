/* SPDX-License-Identifier: Apache-2.0 */
/* Typed config values: text -> storage type -> canonical text. */
#include "config-internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

size_t config_value_size(enum config_type t)
{
	switch (t) {
	case CONFIG_STRING: return sizeof(char *);
	case CONFIG_BOOL: return sizeof(bool);
	case CONFIG_INT: return sizeof(int64_t);
	case CONFIG_DURATION:
	case CONFIG_SIZE: return sizeof(uint64_t);
	case CONFIG_ENUM: return sizeof(int);
	case CONFIG_STRING_LIST: return sizeof(struct config_strv);
	case CONFIG_PORT_LIST: return sizeof(struct config_ports);
	case CONFIG_STRING_MAP: return sizeof(struct config_map);
	}
	return 0;
}

/* Numbers with units */

/* [digits][.digits], at least one digit. As Go's time.ParseDuration does,
 * the fraction is kept as an integer and a power-of-ten scale, so that
 * "0.000001s" is exactly one microsecond rather than 0.999... of one. */
struct decimal {
	uint64_t whole;
	uint64_t frac;
	double scale;
};

static int parse_decimal(const char **pp, struct decimal *d)
{
	const char *p = *pp;
	bool any = false;

	*d = (struct decimal){ .scale = 1 };
	for (; is_digit(*p); p++) {
		unsigned dig = (unsigned)(*p - '0');
		if (d->whole > (UINT64_MAX - dig) / 10)
			return -ERANGE;
		d->whole = d->whole * 10 + dig;
		any = true;
	}
	if (*p == '.') {
		/* Digits past double precision cannot change the result. */
		for (p++; is_digit(*p); p++) {
			any = true;
			if (d->frac < (UINT64_C(1) << 53) / 10) {
				d->frac = d->frac * 10 + (uint64_t)(*p - '0');
				d->scale *= 10;
			}
		}
	}
	if (!any)
		return -EINVAL;
	*pp = p;
	return 0;
}

/* d * unit, or -ERANGE. */
static int decimal_scale(const struct decimal *d, uint64_t unit, uint64_t *out)
{
	if (d->whole > UINT64_MAX / unit)
		return -ERANGE;
	uint64_t v = d->whole * unit;
	/* The fraction part is below `unit`, so it fits a uint64_t. */
	uint64_t f = (uint64_t)((double)d->frac * ((double)unit / d->scale));
	if (f > UINT64_MAX - v)
		return -ERANGE;
	*out = v + f;
	return 0;
}

static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 }, /* U+03BC Greek small letter mu */
	{ "ms", 1000 * 1000 },
	{ "s", UINT64_C(1000000000) },
	{ "m", UINT64_C(60) * 1000000000 },
	{ "h", UINT64_C(3600) * 1000000000 },
};

int config_parse_duration(const char *s, uint64_t *usec)
{
	const char *p = s;
	uint64_t total_ns = 0;

	if (!*p)
		return -EINVAL;
	for (bool first = true; *p; first = false) {
		struct decimal d;
		int r = parse_decimal(&p, &d);
		if (r < 0)
			return r;

		const char *unit = p;
		while (*p && !is_digit(*p) && *p != '.')
			p++;
		size_t unit_len = (size_t)(p - unit);

		uint64_t unit_ns = 0;
		if (unit_len == 0) {
			/* A bare number is seconds; "1h30" is a typo, not 1h30s. */
			if (!first || *p != '\0')
				return -EINVAL;
			unit_ns = UINT64_C(1000000000);
		}
		for (size_t i = 0; i < ARRAY_SIZE(duration_units) && unit_ns == 0; i++)
			if (strlen(duration_units[i].name) == unit_len &&
			    memcmp(duration_units[i].name, unit, unit_len) == 0)
				unit_ns = duration_units[i].ns;
		if (unit_ns == 0)
			return -EINVAL;

		uint64_t ns;
		r = decimal_scale(&d, unit_ns, &ns);
		if (r < 0)
			return r;
		if (ns > UINT64_MAX - total_ns)
			return -ERANGE;
		total_ns += ns;
	}
	*usec = total_ns / 1000;
	return 0;
}

void config_format_duration(uint64_t usec, char buf[static CONFIG_FMT_MAX])
{
	static const struct {
		const char *suffix;
		uint64_t us;
	} parts[] = {
		{ "h", UINT64_C(3600000000) }, { "m", UINT64_C(60000000) },
		{ "s", UINT64_C(1000000) },    { "ms", 1000 },
		{ "us", 1 },
	};
	size_t n = 0;

	buf[0] = '\0';
	if (usec == 0) {
		snprintf(buf, CONFIG_FMT_MAX, "0s");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		uint64_t q = usec / parts[i].us;
		usec %= parts[i].us;
		if (q)
			n += (size_t)snprintf(buf + n, CONFIG_FMT_MAX - n, "%" PRIu64 "%s", q,
					      parts[i].suffix);
	}
}

int config_parse_size(const char *s, uint64_t *bytes)
{
	static const char prefixes[] = "kmgtpe";
	const char *p = s;
	struct decimal d;
	int r = parse_decimal(&p, &d);
	if (r < 0)
		return r;

	unsigned shift = 0;
	if (*p && strcasecmp(p, "b") != 0) {
		const char *u = strchr(prefixes, p[0] | 0x20);
		if (!u)
			return -EINVAL;
		shift = 10 * (unsigned)(u - prefixes + 1);
		const char *rest = p + 1;
		if (*rest && strcasecmp(rest, "b") != 0 && strcasecmp(rest, "ib") != 0)
			return -EINVAL;
	}
	return decimal_scale(&d, UINT64_C(1) << shift, bytes);
}

void config_format_size(uint64_t bytes, char buf[static CONFIG_FMT_MAX])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

	for (size_t i = ARRAY_SIZE(units); i > 0; i--) {
		uint64_t unit = UINT64_C(1) << (10 * i);
		if (bytes != 0 && bytes % unit == 0) {
			snprintf(buf, CONFIG_FMT_MAX, "%" PRIu64 "%s", bytes / unit, units[i - 1]);
			return;
		}
	}
	snprintf(buf, CONFIG_FMT_MAX, "%" PRIu64, bytes);
}

/* Bounds */

static bool has_bounds(const struct config_key *k)
{
	return k->min != 0 || k->max != 0;
}

static uint64_t bound_u64(int64_t v)
{
	return v < 0 ? 0 : (uint64_t)v;
}

typedef void (*format_fn)(uint64_t v, char buf[static CONFIG_FMT_MAX]);

static int check_unsigned_range(const struct config_key *k, const char *what, uint64_t v,
				format_fn fmt, struct ecs_err *err)
{
	if (!has_bounds(k) || (v >= bound_u64(k->min) && v <= bound_u64(k->max)))
		return 0;
	char val[CONFIG_FMT_MAX], lo[CONFIG_FMT_MAX], hi[CONFIG_FMT_MAX];
	fmt(v, val);
	fmt(bound_u64(k->min), lo);
	fmt(bound_u64(k->max), hi);
	return err_set(err, ERANGE, "%s %s out of range [%s, %s]", what, val, lo, hi);
}

/* Scalars */

static int parse_bool(const char *text, bool *out, struct ecs_err *err)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return err_set(err, EINVAL,
		       "invalid boolean \"%s\" (expected true/false, yes/no, on/off or 1/0)", text);
}

static int parse_int(const struct config_key *k, const char *text, int64_t *out,
		     struct ecs_err *err)
{
	const char *digits = text + (text[0] == '-' || text[0] == '+');
	if (!is_digit(*digits) || digits[strspn(digits, "0123456789")] != '\0')
		return err_set(err, EINVAL, "invalid integer \"%s\"", text);

	errno = 0;
	long long v = strtoll(text, NULL, 10);
	if (errno == ERANGE)
		return err_set(err, ERANGE, "integer %s out of range", text);
	if (has_bounds(k) && (v < k->min || v > k->max))
		return err_set(err, ERANGE, "integer %lld out of range [%" PRId64 ", %" PRId64 "]",
			       v, k->min, k->max);
	*out = v;
	return 0;
}

static int parse_duration_value(const struct config_key *k, const char *text, uint64_t *out,
				struct ecs_err *err)
{
	int r = config_parse_duration(text, out);
	if (r == -ERANGE)
		return err_set(err, ERANGE, "duration \"%s\" too large", text);
	if (r < 0)
		return err_set(err, EINVAL, "invalid duration \"%s\"", text);
	return check_unsigned_range(k, "duration", *out, config_format_duration, err);
}

static int parse_size_value(const struct config_key *k, const char *text, uint64_t *out,
			    struct ecs_err *err)
{
	int r = config_parse_size(text, out);
	if (r == -ERANGE)
		return err_set(err, ERANGE, "size \"%s\" too large", text);
	if (r < 0)
		return err_set(err, EINVAL, "invalid size \"%s\"", text);
	return check_unsigned_range(k, "size", *out, config_format_size, err);
}

static int parse_enum(const struct config_key *k, const char *text, int *out, struct ecs_err *err)
{
	char expected[512] = "";
	size_t n = 0;

	for (int i = 0; k->choices && k->choices[i]; i++) {
		if (strcasecmp(text, k->choices[i]) == 0) {
			*out = i;
			return 0;
		}
		if (n < sizeof(expected))
			n += (size_t)snprintf(expected + n, sizeof(expected) - n, "%s%s",
					      i ? ", " : "", k->choices[i]);
	}
	return err_set(err, EINVAL, "invalid value \"%s\" (expected one of: %s)", text, expected);
}

/* Lists and maps */

static int strv_push(struct config_strv *v, const char *s, size_t len)
{
	char **items = realloc(v->items, (v->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	v->items = items;
	items[v->n] = strndup(s, len);
	if (!items[v->n])
		return -ENOMEM;
	v->n++;
	return 0;
}

static int parse_strv_json(const char *text, struct config_strv *out, struct ecs_err *err)
{
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(text, strlen(text), err);
	if (!doc)
		return err_wrap(err, "invalid list");
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_ARRAY)
		return err_set(err, EINVAL, "invalid list: a JSON list must be an array, not %s",
			       json_type_name(json_type(root)));
	for (size_t i = 0; i < json_array_size(root); i++) {
		const json_node *item = json_array_get(root, i);
		const char *s = json_string(item);
		if (!s)
			return err_set(err, EINVAL, "invalid list: item %zu is %s, expected a string",
				       i + 1, json_type_name(json_type(item)));
		if (!*s)
			return err_set(err, EINVAL, "invalid list: item %zu is empty", i + 1);
		if (strv_push(out, s, strlen(s)) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* Calls fn for each comma-separated item of text, trimmed of blanks. */
static int split_commas(const char *text, int (*fn)(const char *item, size_t len, void *data),
			void *data, struct ecs_err *err)
{
	const char *p = text;
	for (size_t i = 1;; i++) {
		size_t len = strcspn(p, ",");
		const char *start = p, *end = p + len;
		while (start < end && is_blank(*start))
			start++;
		while (end > start && is_blank(end[-1]))
			end--;
		if (start == end)
			return err_set(err, EINVAL, "invalid list: item %zu is empty", i);
		int r = fn(start, (size_t)(end - start), data);
		if (r < 0)
			return r;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int strv_item(const char *item, size_t len, void *data)
{
	return strv_push(data, item, len);
}

static int parse_strv(const char *text, struct config_strv *out, struct ecs_err *err)
{
	if (text[0] == '[')
		return parse_strv_json(text, out, err);
	int r = split_commas(text, strv_item, out, err);
	if (r == -ENOMEM)
		return err_set(err, ENOMEM, "out of memory");
	return r;
}

struct ports_ctx {
	struct config_ports *out;
	struct ecs_err *err;
};

static int ports_push(struct config_ports *p, uint16_t port)
{
	uint16_t *ports = realloc(p->ports, (p->n + 1) * sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	p->ports = ports;
	ports[p->n++] = port;
	return 0;
}

static int port_item(const char *item, size_t len, void *data)
{
	struct ports_ctx *ctx = data;
	unsigned v = 0;

	for (size_t i = 0; i < len; i++) {
		if (!is_digit(item[i]) || (v = v * 10 + (unsigned)(item[i] - '0')) > 65535)
			return err_set(ctx->err, EINVAL, "invalid port \"%.*s\"", (int)len, item);
	}
	if (ports_push(ctx->out, (uint16_t)v) < 0)
		return err_set(ctx->err, ENOMEM, "out of memory");
	return 0;
}

static int parse_ports(const char *text, struct config_ports *out, struct ecs_err *err)
{
	if (text[0] != '[') {
		struct ports_ctx ctx = { out, err };
		return split_commas(text, port_item, &ctx, err);
	}

	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(text, strlen(text), err);
	if (!doc)
		return err_wrap(err, "invalid port list");
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_ARRAY)
		return err_set(err, EINVAL, "invalid port list: expected a JSON array, not %s",
			       json_type_name(json_type(root)));
	for (size_t i = 0; i < json_array_size(root); i++) {
		int64_t v;
		if (!json_integer(json_array_get(root, i), &v) || v < 0 || v > 65535)
			return err_set(err, EINVAL, "invalid port list: item %zu is not a port number",
				       i + 1);
		if (ports_push(out, (uint16_t)v) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_map(const char *text, struct config_map *out, struct ecs_err *err)
{
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(text, strlen(text), err);
	if (!doc)
		return err_wrap(err, "invalid map");
	const json_node *root = json_root(doc);
	if (json_type(root) != JSON_OBJECT)
		return err_set(err, EINVAL, "invalid map: expected a JSON object, not %s",
			       json_type_name(json_type(root)));

	size_t n = json_object_size(root);
	if (n == 0)
		return 0;
	out->pairs = calloc(n, sizeof(*out->pairs));
	if (!out->pairs)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *key = json_object_key(root, i);
		const json_node *val = json_object_value(root, i);
		if (!json_string(val))
			return err_set(err, EINVAL, "invalid map: value of \"%s\" is %s, expected a string",
				       key, json_type_name(json_type(val)));
		if (config_map_get(out, key))
			return err_set(err, EINVAL, "invalid map: duplicate key \"%s\"", key);
		out->pairs[i].key = strdup(key);
		out->pairs[i].value = strdup(json_string(val));
		out->n++;
		if (!out->pairs[i].key || !out->pairs[i].value)
			return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int config_value_parse(const struct config_key *k, const char *text, union config_value *out,
		       struct ecs_err *err)
{
	int r = 0;

	memset(out, 0, sizeof(*out));
	switch (k->type) {
	case CONFIG_STRING:
		out->s = strdup(text);
		if (!out->s)
			r = err_set(err, ENOMEM, "out of memory");
		break;
	case CONFIG_BOOL: r = parse_bool(text, &out->b, err); break;
	case CONFIG_INT: r = parse_int(k, text, &out->i, err); break;
	case CONFIG_DURATION: r = parse_duration_value(k, text, &out->u, err); break;
	case CONFIG_SIZE: r = parse_size_value(k, text, &out->u, err); break;
	case CONFIG_ENUM: r = parse_enum(k, text, &out->e, err); break;
	case CONFIG_STRING_LIST: r = parse_strv(text, &out->strv, err); break;
	case CONFIG_PORT_LIST: r = parse_ports(text, &out->ports, err); break;
	case CONFIG_STRING_MAP: r = parse_map(text, &out->map, err); break;
	default: r = err_set(err, EINVAL, "unknown value type %d", (int)k->type); break;
	}
	if (r < 0)
		config_value_free(k->type, out);
	return r;
}

void config_value_free(enum config_type t, void *slot)
{
	union config_value v;
	size_t size = config_value_size(t);

	memcpy(&v, slot, size);
	switch (t) {
	case CONFIG_STRING:
		free(v.s);
		break;
	case CONFIG_STRING_LIST:
		for (size_t i = 0; i < v.strv.n; i++)
			free(v.strv.items[i]);
		free(v.strv.items);
		break;
	case CONFIG_PORT_LIST:
		free(v.ports.ports);
		break;
	case CONFIG_STRING_MAP:
		for (size_t i = 0; i < v.map.n; i++) {
			free(v.map.pairs[i].key);
			free(v.map.pairs[i].value);
		}
		free(v.map.pairs);
		break;
	default:
		break;
	}
	memset(slot, 0, size);
}

/* Formatting */

/* Comma form is used when it reads back as the same items. Items that came
 * from a comma-separated value always qualify, so the JSON form (which needs
 * valid UTF-8) is only used for items that came from JSON. */
static bool strv_comma_safe(const struct config_strv *v)
{
	if (v->n == 0 || v->items[0][0] == '[')
		return false;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = v->items[i];
		size_t len = strlen(s);
		if (len == 0 || is_blank(s[0]) || is_blank(s[len - 1]))
			return false;
		for (const char *p = s; *p; p++)
			if (*p == ',' || ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n'))
				return false;
	}
	return true;
}

static char *format_strv(const struct config_strv *v, struct ecs_err *err)
{
	if (strv_comma_safe(v)) {
		size_t len = 0;
		for (size_t i = 0; i < v->n; i++)
			len += strlen(v->items[i]) + 1;
		char *out = malloc(len);
		if (!out) {
			err_set(err, ENOMEM, "out of memory");
			return NULL;
		}
		char *p = out;
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				*p++ = ',';
			p = stpcpy(p, v->items[i]);
		}
		return out;
	}
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	json_w_array_begin(w);
	for (size_t i = 0; i < v->n; i++)
		json_w_string(w, v->items[i]);
	json_w_array_end(w);
	return json_writer_finish(w, NULL, err);
}

static char *format_ports(const struct config_ports *p, struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	json_w_array_begin(w);
	for (size_t i = 0; i < p->n; i++)
		json_w_int(w, p->ports[i]);
	json_w_array_end(w);
	return json_writer_finish(w, NULL, err);
}

static char *format_map(const struct config_map *m, struct ecs_err *err)
{
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	json_w_object_begin(w);
	for (size_t i = 0; i < m->n; i++) {
		json_w_key(w, m->pairs[i].key);
		json_w_string(w, m->pairs[i].value);
	}
	json_w_object_end(w);
	return json_writer_finish(w, NULL, err);
}

char *config_value_format(const struct config_key *k, const void *slot, struct ecs_err *err)
{
	union config_value v;
	char buf[CONFIG_FMT_MAX];
	const char *text = buf;

	memcpy(&v, slot, config_value_size(k->type));
	switch (k->type) {
	case CONFIG_STRING: text = v.s ? v.s : ""; break;
	case CONFIG_BOOL: text = v.b ? "true" : "false"; break;
	case CONFIG_INT: snprintf(buf, sizeof(buf), "%" PRId64, v.i); break;
	case CONFIG_DURATION: config_format_duration(v.u, buf); break;
	case CONFIG_SIZE: config_format_size(v.u, buf); break;
	case CONFIG_ENUM: text = v.e >= 0 && k->choices ? k->choices[v.e] : ""; break;
	case CONFIG_STRING_LIST: return format_strv(&v.strv, err);
	case CONFIG_PORT_LIST: return format_ports(&v.ports, err);
	case CONFIG_STRING_MAP: return format_map(&v.map, err);
	}
	char *out = strdup(text);
	if (!out)
		err_set(err, ENOMEM, "out of memory");
	return out;
}

/* Quoting */

char *config_quote(const char *s)
{
	bool bare = true, single = true;
	size_t escapes = 0;

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == '#')
			bare = false;
		if (c == '\'' || (c < ' ' && c != '\t'))
			single = false;
		if (c == '"' || c == '\\' || c == '\n' || c == '\t')
			escapes++;
	}
	/* Only a leading quote starts a quoted value (JSON stays readable). */
	if (bare && s[0] != '"' && s[0] != '\'')
		return strdup(s);

	size_t len = strlen(s);
	char *out = malloc(len + escapes + 3);
	if (!out)
		return NULL;
	char *w = out;
	if (single) {
		*w++ = '\'';
		w = stpcpy(w, s);
		*w++ = '\'';
		*w = '\0';
		return out;
	}
	*w++ = '"';
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '"': w = stpcpy(w, "\\\""); break;
		case '\\': w = stpcpy(w, "\\\\"); break;
		case '\n': w = stpcpy(w, "\\n"); break;
		case '\t': w = stpcpy(w, "\\t"); break;
		default: *w++ = *p; break;
		}
	}
	*w++ = '"';
	*w = '\0';
	return out;
}

/* Helpers for loaded values */

const char *config_map_get(const struct config_map *m, const char *key)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (m->pairs[i].key && strcmp(m->pairs[i].key, key) == 0)
			return m->pairs[i].value;
	return NULL;
}

bool config_strv_contains(const struct config_strv *v, const char *item)
{
	for (size_t i = 0; v && i < v->n; i++)
		if (strcmp(v->items[i], item) == 0)
			return true;
	return false;
}

bool config_ports_contains(const struct config_ports *p, uint16_t port)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (p->ports[i] == port)
			return true;
	return false;
}
