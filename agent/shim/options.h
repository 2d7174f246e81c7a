/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The shim's command line, as shim_spawn() (agent/runtime/shim-client.c)
 * builds it:
 *
 *   ecs-agent-shim --runtime PATH --runtime-root DIR --id ID --bundle DIR
 *       --state-dir DIR --log-driver json-file|journald|none
 *       [--log-path FILE --log-max-size BYTES --log-max-file N]
 *       [--log-field KEY=VALUE ...]
 *
 * Paths must be absolute: the shim moves to / so it never pins the
 * agent's working directory.
 */
#include <stddef.h>
#include <stdint.h>

#include "runtime/shim-client.h"

#define SHIM_MAX_FIELDS 32

struct shim_opts {
	const char *runtime;
	const char *runtime_root;
	const char *id;
	const char *bundle;
	const char *state_dir;
	enum shim_log_driver log_driver;
	const char *log_path;
	uint64_t log_max_size;  /* 0 = never rotate */
	unsigned log_max_file;  /* >= 1 */
	const char *log_fields[SHIM_MAX_FIELDS + 1]; /* NULL-terminated */
	size_t n_fields;
};

/* Parse argv. Returns 0, or -EINVAL with a message in msg[0..msg_size). */
int shim_opts_parse(int argc, char **argv, struct shim_opts *o, char *msg, size_t msg_size);

/* A journald field name: [A-Z0-9_], 1..64 chars, not starting with '_'
 * (those are trusted fields only journald itself may set). */
int shim_field_name_valid(const char *s, size_t len);

/* Strict unsigned decimal: digits only, no sign or spaces, <= max. */
int shim_parse_u64(const char *s, uint64_t max, uint64_t *out);
