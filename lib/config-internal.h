/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Typed values of the config parser: parsing one value's text into its
 * storage type, formatting it back, quoting for a KEY=VALUE line. Shared by
 * config.c and the unit tests; not for other modules.
 */
#include "config.h"

/* A value of any config_type, as parsed before it replaces the one stored in
 * the caller's struct (which holds only the member for its type). */
union config_value {
	char *s;
	bool b;
	int64_t i;
	uint64_t u;
	int e;
	struct config_strv strv;
	struct config_ports ports;
	struct config_map map;
};

/* Size of the C type a config_type is stored as in the caller's struct. */
size_t config_value_size(enum config_type t);

/* Parse non-empty `text` as k's type, checking k's bounds and choices.
 * Fills *out (free it with config_value_free on the union) or returns
 * -EINVAL/-ERANGE/-ENOMEM with a reason that does not name the key
 * ("invalid duration \"30x\""). */
int config_value_parse(const struct config_key *k, const char *text, union config_value *out,
		       struct ecs_err *err);

/* Free what a stored value of type t owns and zero it. `slot` points at the
 * caller's field (or at a union config_value). */
void config_value_free(enum config_type t, void *slot);

/* The canonical text of the value stored at `slot` (unquoted; parsing it
 * gives the same value). malloc'd, NULL with err on failure. */
char *config_value_format(const struct config_key *k, const void *slot, struct ecs_err *err);

/* `s` as a VALUE that reads back as `s`: bare when that is unambiguous,
 * otherwise single- or double-quoted. malloc'd, NULL on ENOMEM. */
char *config_quote(const char *s);

/* Unit parsers and formatters, exposed for the tests. Parsers return 0,
 * -EINVAL for bad syntax or -ERANGE for overflow. */
#define CONFIG_FMT_MAX 64
int config_parse_duration(const char *s, uint64_t *usec);
void config_format_duration(uint64_t usec, char buf[static CONFIG_FMT_MAX]);
int config_parse_size(const char *s, uint64_t *bytes);
void config_format_size(uint64_t bytes, char buf[static CONFIG_FMT_MAX]);
