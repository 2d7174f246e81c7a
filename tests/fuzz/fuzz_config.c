/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the KEY=VALUE parser with a schema holding every value type,
 * then the --check-config round trip: whatever the parser accepted, written
 * out and read back, must give the same output again, without errors.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct values {
	char *s;
	bool b;
	int64_t i;
	uint64_t d, z;
	int e;
	struct config_strv l;
	struct config_ports p;
	struct config_map m;
	char *s2;
};

static const char *const words[] = { "alpha", "beta", "gamma", NULL };

static const struct config_key keys[] = {
	{ .name = "S", .type = CONFIG_STRING, .offset = offsetof(struct values, s), .def = "x y" },
	{ .name = "B", .type = CONFIG_BOOL, .offset = offsetof(struct values, b) },
	{ .name = "I", .type = CONFIG_INT, .offset = offsetof(struct values, i), .min = -5,
	  .max = 1000000 },
	{ .name = "D", .type = CONFIG_DURATION, .offset = offsetof(struct values, d), .def = "30s" },
	{ .name = "Z", .type = CONFIG_SIZE, .offset = offsetof(struct values, z) },
	{ .name = "E", .type = CONFIG_ENUM, .offset = offsetof(struct values, e), .choices = words },
	{ .name = "L", .type = CONFIG_STRING_LIST, .offset = offsetof(struct values, l) },
	{ .name = "P", .type = CONFIG_PORT_LIST, .offset = offsetof(struct values, p),
	  .def = "[22]" },
	{ .name = "M", .type = CONFIG_STRING_MAP, .offset = offsetof(struct values, m) },
	{ .name = "S2", .type = CONFIG_STRING, .offset = offsetof(struct values, s2) },
};

static char *write_all(const struct config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int r = config_write(c, f, 0, NULL);
	fclose(f);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool lines_fit(const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > CONFIG_MAX_LINE)
			return false;
		p += n + (p[n] == '\n');
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct values v1, v2;
	_cleanup_(config_freep) struct config *c1 = config_new(keys, ARRAY_SIZE(keys), &v1, NULL);
	_cleanup_(config_freep) struct config *c2 = config_new(keys, ARRAY_SIZE(keys), &v2, NULL);
	if (!c1 || !c2)
		abort();

	config_load_buffer(c1, "fuzz", (const char *)data, size, NULL);
	_cleanup_free_ char *out1 = write_all(c1);
	if (!out1)
		abort();
	/* Quoting can lengthen a line past the limit; such values do not read
	 * back, by design. */
	if (!lines_fit(out1))
		return 0;

	struct ecs_err err = { 0 };
	if (config_load_buffer(c2, "again", out1, strlen(out1), &err) < 0) {
		fprintf(stderr, "written config does not read back: %s\n%s", err.msg, out1);
		abort();
	}
	size_t n_warn;
	config_warnings(c2, &n_warn, NULL);
	_cleanup_free_ char *out2 = write_all(c2);
	if (!out2 || n_warn != 0 || strcmp(out1, out2) != 0) {
		fprintf(stderr, "round trip differs:\n%s---\n%s", out1, out2 ? out2 : "(null)");
		abort();
	}
	return 0;
}
