/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* The test agent (tests/tools/fake-agent): shared by the one-shot commands
 * (fake-agent.c) and the many-instance simulation (fake-agent-sim.c); the
 * plumbing is in fake-agent-request.c, the report JSON in fake-agent-report.c. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "json.h"
#include "wire.h"

#define FA_MAX_ATTRS 64

/* What `register` and `simulate` register with. */
struct fa_register_opts {
	const char *cluster;
	const char *join_token;
	const char *identity;
	const char *hostname;
	const char *previous_arn;
	int64_t cpu;
	int64_t memory;
	const char *ports; /* "22,2375" */
	const char *attrs[FA_MAX_ATTRS]; /* "NAME" or "NAME=VALUE" */
	size_t n_attrs;
	const char *tags[FA_MAX_ATTRS];  /* "KEY=VALUE" */
	size_t n_tags;
};

/* Every option of every command; each command reads the ones it uses. */
struct fa_cli {
	const char *endpoint;
	const char *token;
	const char *arn;
	const char *changes;      /* report: JSON list of task snapshots */
	uint64_t known_version;   /* poll */
	unsigned wait_seconds;    /* poll, simulate */
	const char *health;       /* telemetry: overall and runtime status */
	const char *runtime_detail;
	const char *task_stats[FA_MAX_ATTRS]; /* telemetry: task ARNs */
	size_t n_task_stats;
	double duration_s;        /* simulate: 0 = until SIGTERM */
	int64_t run_for_ms;       /* simulate: tasks exit on their own after this */
	int exit_code;            /* simulate: exit code of stopped containers */
	bool quiet;               /* simulate: no per-task event lines */
	struct fa_register_opts reg;
};

/* Parse options from argv[optind...]; -1 on a bad option (message
 * printed). */
int fa_parse(int argc, char **argv, struct fa_cli *cli);

/* A response body being received. */
struct fa_buf {
	uint8_t *data;
	size_t len;
};

/* One request: a curl easy handle with its headers, body and response. */
struct fa_request {
	CURL *easy;
	struct curl_slist *headers;
	uint8_t *body;
	size_t body_len;
	struct fa_buf resp;
	char error[CURL_ERROR_SIZE];
};

/* Prepare `rq` to POST `msg` to endpoint + path (token NULL: no
 * Authorization). Trailing slashes of `endpoint` are dropped, so
 * "http://host:port/" reaches "/v1/agent/..." and not "//v1/agent/...".
 * 0 or -1 (message printed). */
int fa_request_init(struct fa_request *rq, const char *endpoint, const char *path,
		    const char *token, const ProtobufCMessage *msg, long timeout_s);
void fa_request_clear(struct fa_request *rq);
long fa_request_status(const struct fa_request *rq);

/* Encode a RegisterRequest from `o` (wire_encode the result's .base; free
 * with fa_register_free). */
Ecsagent__RegisterRequest *fa_register_build(const struct fa_register_opts *o);
void fa_register_free(Ecsagent__RegisterRequest *rq);

/* The container names of a task definition JSON (malloc'd array of
 * malloc'd strings). */
char **fa_container_names(const char *taskdef_json, size_t *n);

/* A StateChangeRequest decoded from `report --changes` JSON
 * (fake-agent-report.c), and everything it points into. */
struct fa_report {
	Ecsagent__TaskStateChange *tasks, **taskp;
	Ecsagent__ContainerStateChange **containers; /* per task */
	Ecsagent__ContainerStateChange ***containerp;
	Ecsagent__NetworkBinding **bindings;         /* per task, all containers */
	Ecsagent__NetworkBinding ***bindingp;
	size_t n;
};

/* Fill `rq->tasks` from the JSON list of task snapshots `list`, keeping the
 * messages in `m`. 0, or -1 when out of memory; fa_report_clear(m) either
 * way. */
int fa_report_build(const json_node *list, struct fa_report *m,
		    Ecsagent__StateChangeRequest *rq);
void fa_report_clear(struct fa_report *m);

/* Print one JSON line built by `w` to stdout and flush. */
void fa_print(struct json_writer *w);

int64_t fa_now_ms(void);

/* `fake-agent simulate N ...` (fake-agent-sim.c). */
int fa_simulate(int argc, char **argv);
