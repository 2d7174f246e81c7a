/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The daemon's settings: defaults, then /etc/ecs-controlplane.conf (or
 * --config FILE), then ECS_CP_* environment variables, then command-line
 * flags, each overriding the one before. docs/controlplane.md lists the keys;
 * the file format is docs/config-format.md (lib/config.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "error.h"

#define CP_DEFAULT_CONFIG "/etc/ecs-controlplane.conf"

struct config;

/* What the file and the environment set; owned by `config`. */
struct cp_config_values {
	char *listen;
	char *db;
	char *region;
	char *account_id;
	char *credentials_file;
	bool no_auth;
	int log_level; /* index into the level names: error, warn, info, debug */
	uint64_t max_body;
	/* the agent protocol */
	char *join_token;
	struct config_map join_tokens;    /* cluster name -> its own join token */
	uint64_t poll_timeout;            /* microseconds */
	uint64_t telemetry_interval;
	uint64_t disconnect_timeout;
	uint64_t lost_timeout;
};

/* The effective settings. Strings point into the config values or into
 * argv, so they live until cp_options_clear() (argv: the whole process). */
struct cp_options {
	const char *listen;           /* ADDR:PORT */
	const char *db;               /* SQLite file */
	const char *region;
	const char *account_id;
	const char *credentials_file; /* NULL or "": none */
	bool no_auth;
	int log_level;                /* same order as enum log_level */
	uint64_t max_body;            /* bytes */
	const char *join_token;       /* every cluster's; NULL: none */
	const struct config_map *join_tokens; /* per cluster */
	uint64_t poll_timeout;        /* microseconds, as the durations below */
	uint64_t telemetry_interval;
	uint64_t disconnect_timeout;
	uint64_t lost_timeout;
	const char *config_path;

	struct cp_config_values file;
	struct config *config;
};

enum cp_options_result {
	CP_OPTIONS_RUN = 0,
	CP_OPTIONS_EXIT_OK = 1, /* --help or --version was printed */
};

/* Fill `o` from every source. Returns CP_OPTIONS_RUN, CP_OPTIONS_EXIT_OK, or
 * a negative errno with `err` naming the problem (the config file's
 * messages are all printed to `diag` first). Warnings (unknown keys) go to
 * `diag` too. */
int cp_options_load(struct cp_options *o, int argc, char **argv, FILE *diag,
		    struct ecs_err *err);
void cp_options_clear(struct cp_options *o);
