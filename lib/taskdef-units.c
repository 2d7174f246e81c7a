/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Task-level cpu and memory strings, as ECS converts them at registration:
 * "1024" or "1 vCPU" -> 1024 CPU units, "2048" or "2 GB" -> 2048 MiB.
 * Decimals are computed exactly ("0.25 vCPU" is 256); a value that is not a
 * whole number of units ("0.1 vCPU") is rejected rather than rounded.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "taskdef-internal.h"

/* Bounds the digits so the arithmetic below cannot overflow. */
#define MAX_WHOLE 100000000LL
#define MAX_FRACTION_DIGITS 6

/* Parse "12", "0.5", "1.25" at *s, multiplied by `scale`; advances *s. */
static int parse_scaled(const char **s, int64_t scale, int64_t *out)
{
	const char *p = *s;
	int64_t whole = 0, frac = 0, denom = 1;
	bool digits = false;

	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > MAX_WHOLE)
			return -EINVAL;
		digits = true;
	}
	if (*p == '.') {
		p++;
		for (; isdigit((unsigned char)*p); p++) {
			if (denom >= 1000000)
				return -EINVAL;
			frac = frac * 10 + (*p - '0');
			denom *= 10;
			digits = true;
		}
	}
	if (!digits)
		return -EINVAL;
	int64_t scaled = (whole * denom + frac) * scale;
	if (scaled % denom != 0)
		return -EINVAL;
	*out = scaled / denom;
	*s = p;
	return 0;
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

struct unit {
	const char *suffix;
	int64_t scale;
};

/* A number, optionally followed by one of `units`; a bare number uses
 * `bare_scale`. */
static int parse_quantity(const char *s, const struct unit *units, size_t n_units,
			  int64_t bare_scale, int64_t *out)
{
	if (!s)
		return -EINVAL;
	const char *num = skip_spaces(s);
	const char *p = num;
	int64_t v;

	/* Find the unit first: whether the number is exact depends on its scale. */
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	const char *unit = skip_spaces(p);
	int64_t scale = bare_scale;
	if (*unit) {
		size_t i;
		for (i = 0; i < n_units; i++) {
			size_t len = strlen(units[i].suffix);
			if (strncasecmp(unit, units[i].suffix, len) == 0 && !*skip_spaces(unit + len))
				break;
		}
		if (i == n_units)
			return -EINVAL;
		scale = units[i].scale;
	}
	if (parse_scaled(&num, scale, &v) < 0 || num != p)
		return -EINVAL;
	*out = v;
	return 0;
}

int taskdef_cpu_units(const char *s, int64_t *out)
{
	static const struct unit units[] = { { "vcpu", 1024 } };
	int64_t v;
	if (parse_quantity(s, units, ARRAY_SIZE(units), 1, &v) < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int taskdef_memory_mib(const char *s, int64_t *out)
{
	static const struct unit units[] = {
		{ "GiB", 1024 }, { "GB", 1024 }, { "MiB", 1 }, { "MB", 1 },
	};
	int64_t v;
	if (parse_quantity(s, units, ARRAY_SIZE(units), 1, &v) < 0)
		return -EINVAL;
	*out = v;
	return 0;
}
