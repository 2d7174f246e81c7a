/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * KEY=VALUE configuration files (/etc/ecs-agent.conf, /etc/ecs-controlplane.conf)
 * ------------------------------------------------------------------------------
 * The format is the one of the ECS agent's /etc/ecs/ecs.config and systemd's
 * EnvironmentFile, kept strict where those are vague. docs/config-format.md
 * is the user-facing version of these rules.
 *
 * Lines
 *   - Lines end with LF; a CR before the LF is dropped (CRLF files work).
 *     A UTF-8 byte-order mark at the start of the file is skipped.
 *   - Blank lines and lines whose first non-blank character is '#' are
 *     ignored.
 *   - Every other line is `KEY=VALUE`, optionally prefixed by `export `.
 *     Blanks (space, tab) around the key and the '=' are ignored. A line
 *     without '=' is an error.
 *   - Keys match [A-Za-z_][A-Za-z0-9_]* and are case-sensitive.
 *   - A line is at most CONFIG_MAX_LINE bytes, a file at most CONFIG_MAX_FILE
 *     bytes. Control characters other than tab are errors; a NUL byte is an
 *     error that ends the file (it is not a text file): the lines before it
 *     are applied, the rest is ignored.
 *   - There is no line continuation and no variable expansion ($ is literal).
 *
 * Values
 *   - Unquoted (not starting with a quote): the rest of the line with
 *     trailing blanks removed, taken literally: quotes after the first
 *     character and backslashes are ordinary characters, so JSON needs no
 *     quoting (`ECS_INSTANCE_ATTRIBUTES={"stack":"prod"}`). A '#' preceded by
 *     a blank starts a comment (`A=b # note` is "b", `A=b#c` is "b#c").
 *   - 'single-quoted': taken literally, up to the next single quote.
 *   - "double-quoted": backslash escapes \" \\ \n \t \$ and nothing else.
 *   - After a closing quote only blanks and a '#' comment may follow.
 *   - A quoted value must end on the line where it starts.
 *   - An empty value (`KEY=`, `KEY=""`) means "use the default", as an unset
 *     variable does for the ECS agent.
 *
 * Keys in the file
 *   - A key may appear more than once; the last valid assignment wins.
 *   - An unknown key is a warning, not an error, so a newer file still starts
 *     an older daemon.
 *   - An invalid value is an error naming the file, line and key
 *     (`/etc/ecs-agent.conf:12: ECS_CONTAINER_STOP_TIMEOUT: invalid duration "30x"`);
 *     the key keeps its previous value. Every error in a file is collected,
 *     not only the first.
 *
 * Typed values (see enum config_type for the storage of each)
 *   string       any text
 *   bool         true/false, 1/0, yes/no, on/off (any case)
 *   int          decimal, optional sign, within [min, max]
 *   duration     Go-style: one or more <number><unit>, unit h, m, s, ms, us
 *                (or µs), ns; numbers may have a fraction (`1.5h`); a bare
 *                number means seconds (`30` is `30s`). No sign.
 *   size         bytes: <number>[unit], unit b, k, m, g, t, p, e (any case,
 *                optionally followed by "b" or "ib"); every unit is a power of
 *                1024 as in Docker (`512m`, `2GiB`, `1.5g`).
 *   enum         one of the schema's words (any case)
 *   string list  comma-separated, items trimmed, or a JSON array of strings
 *                (`["json-file","awslogs"]`); empty items are errors
 *   port list    comma-separated integers 0..65535 or a JSON array (`[22, 2375]`)
 *   string map   a JSON object of strings (`{"stack":"prod"}`)
 *
 * Environment
 *   config_load_env() lets every known key's environment variable override
 *   the file. An empty variable counts as unset.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cleanup.h"
#include "error.h"

#define CONFIG_USEC_PER_MSEC UINT64_C(1000)
#define CONFIG_USEC_PER_SEC UINT64_C(1000000)

#define CONFIG_MAX_LINE 8192
#define CONFIG_MAX_FILE (1024 * 1024)
/* Messages kept per config object; further ones are counted, not stored. */
#define CONFIG_MAX_MESSAGES 100

/* What a key holds, and the C type it is stored as in the caller's struct. */
enum config_type {
	CONFIG_STRING,      /* char *, NULL when unset */
	CONFIG_BOOL,        /* bool */
	CONFIG_INT,         /* int64_t */
	CONFIG_DURATION,    /* uint64_t microseconds (sd-event's usec_t) */
	CONFIG_SIZE,        /* uint64_t bytes */
	CONFIG_ENUM,        /* int: index into choices, -1 when unset */
	CONFIG_STRING_LIST, /* struct config_strv */
	CONFIG_PORT_LIST,   /* struct config_ports */
	CONFIG_STRING_MAP,  /* struct config_map */
};

struct config_strv {
	char **items;
	size_t n;
};

struct config_ports {
	uint16_t *ports;
	size_t n;
};

struct config_pair {
	char *key;
	char *value;
};

/* Pairs keep the order of the JSON object; keys are unique. */
struct config_map {
	struct config_pair *pairs;
	size_t n;
};

/*
 * One known key. Callers declare a static table of these, e.g.
 *   { .name = "ECS_CONTAINER_STOP_TIMEOUT", .type = CONFIG_DURATION,
 *     .offset = offsetof(struct agent_config, stop_timeout), .def = "30s",
 *     .min = CONFIG_USEC_PER_SEC, .max = 3600 * CONFIG_USEC_PER_SEC },
 */
struct config_key {
	const char *name;
	enum config_type type;
	/* Where the value lives in the caller's struct (offsetof). */
	size_t offset;
	/* Default, written as in a file. NULL or "": the zero value (NULL string,
	 * false, 0, -1 enum index, empty list or map), reported as unset. */
	const char *def;
	/* Inclusive bounds [min, max] for CONFIG_INT, CONFIG_DURATION
	 * (microseconds) and CONFIG_SIZE (bytes); both 0 means unbounded (for
	 * "at least" write max = INT64_MAX). Ignored for the other types. */
	int64_t min, max;
	/* CONFIG_ENUM: the allowed words, NULL-terminated. */
	const char *const *choices;
	/* A credential: config_write() shows a set value as CONFIG_HIDDEN. */
	bool secret;
};

#define CONFIG_HIDDEN "<hidden>"

enum config_origin_kind {
	CONFIG_ORIGIN_DEFAULT,
	CONFIG_ORIGIN_FILE,
	CONFIG_ORIGIN_ENV,
};

/* Where a key's effective value came from. `file` is the name given to the
 * load function and lives as long as the config. */
struct config_origin {
	enum config_origin_kind kind;
	const char *file;
	unsigned line;
};

struct config;

/* Check the schema and store every key's default into `target`. A bad schema
 * (invalid or duplicate name, unparsable default, enum without choices,
 * min > max) is -EINVAL naming the key: a programming error, caught at the
 * first start. `keys` and `target` must outlive the config; the config owns
 * the strings, lists and maps it stores in `target` until config_free(). */
struct config *config_new(const struct config_key *keys, size_t n_keys, void *target,
			  struct ecs_err *err);
/* Free the config and every value it stored in target (the target's
 * pointers are reset to NULL). Accepts NULL. */
void config_free(struct config *c);
DEFINE_CLEANUP(struct config, config_free)

/* Read a file and apply its assignments. Returns 0 when the file has no
 * errors (it may have warnings); -EINVAL when it has errors, with `err`
 * holding the first one and the count; -errno when the file cannot be read
 * (e.g. -ENOENT, which callers may choose to tolerate). Valid lines are
 * applied even when others are wrong. */
int config_load_file(struct config *c, const char *path, struct ecs_err *err);
/* The same for `len` bytes in memory; `name` is used in messages (e.g. the
 * path). */
int config_load_buffer(struct config *c, const char *name, const char *buf, size_t len,
		       struct ecs_err *err);
/* Apply getenv(name) over the current value of every known key, in schema
 * order. Messages start with "environment: KEY: ". Returns as the loaders. */
int config_load_env(struct config *c, struct ecs_err *err);

/* Errors and warnings from every load so far, oldest first, as complete
 * lines without trailing newline ("path:3: unknown key FOO"); the caller
 * prints them (warnings at warn level). `n` is required. At most
 * CONFIG_MAX_MESSAGES of each are kept; *total (when non-NULL) is the number
 * that occurred. The array lives until the next load or config_free(). */
const char *const *config_errors(const struct config *c, size_t *n, size_t *total);
const char *const *config_warnings(const struct config *c, size_t *n, size_t *total);

/* Where `key`'s value came from, or NULL for a key not in the schema. */
const struct config_origin *config_origin(const struct config *c, const char *key);

/* The effective value of `key` as it would be written in a file, quoted if
 * needed ("" when unset). malloc'd; NULL with -ENOENT for an unknown key or
 * -ENOMEM. */
char *config_value_text(const struct config *c, const char *key, struct ecs_err *err);

enum {
	CONFIG_WRITE_ORIGIN = 1 << 0, /* append "  # default" / "  # file:line" / "  # environment" */
};

/* Write every key as a KEY=VALUE line in schema order, for --check-config.
 * Reading the output back with config_load_buffer() reproduces the same
 * values, provided each line stays within CONFIG_MAX_LINE (quoting can
 * lengthen a value that was near the limit), except that a set secret key
 * is written as `KEY=<hidden>`. Unset keys are written as `KEY=`. */
int config_write(const struct config *c, FILE *out, unsigned flags, struct ecs_err *err);

/* Value helpers for code holding a loaded struct. */
/* The value for `key`, or NULL. */
const char *config_map_get(const struct config_map *m, const char *key);
bool config_strv_contains(const struct config_strv *v, const char *item);
bool config_ports_contains(const struct config_ports *p, uint16_t port);
