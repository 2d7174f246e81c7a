/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake-agent: a test agent that speaks the agent protocol (docs/protocol.md)
 * with libcurl and lib/wire, without running any container. The pytest
 * suites drive it; its `simulate` mode keeps many instances polling from
 * one process for the benchmarks.
 *
 *   fake-agent register  --endpoint URL --join-token T [--cluster C] [--identity ID]
 *                        [--hostname H] [--previous-arn ARN] [--cpu N] [--memory MIB]
 *                        [--ports 22,80] [--attribute NAME[=VALUE]]... [--tag K=V]...
 *   fake-agent poll      --endpoint URL --token T --arn ARN [--known-version N] [--wait S]
 *   fake-agent report    --endpoint URL --token T --arn ARN --changes JSON
 *   fake-agent telemetry --endpoint URL --token T --arn ARN [--health OK]
 *                        [--runtime-detail TEXT] [--task-stats TASK_ARN]...
 *   fake-agent simulate N --endpoint URL --join-token T [register options]
 *                        [--wait S] [--duration S] [--run-for-ms MS] [--exit-code N] [--quiet]
 *
 * Every command prints one JSON object per line: the HTTP status and the
 * decoded reply (or the ErrorResponse's code and message). The `report`
 * JSON is a list of snapshots:
 *   [{"taskArn": ..., "sequence": 1, "status": "RUNNING", "reason": ...,
 *     "stopCode": "EssentialContainerExited", "healthStatus": "HEALTHY",
 *     "pullStartedAt"/"pullStoppedAt"/"startedAt"/"executionStoppedAt"/
 *     "stoppedAt": epoch ms,
 *     "containers": [{"name": ..., "status": ..., "exitCode": 0, "reason": ...,
 *       "runtimeId": ..., "imageDigest": ..., "healthStatus": ...,
 *       "networkBindings": [{"bindIP", "containerPort", "hostPort",
 *         "protocol": "tcp"|"udp", "containerPortRange", "hostPortRange"}]}]}]
 * Exit status: 0 when the HTTP exchange happened (whatever its status),
 * 1 on a transport or usage error.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fake-agent.h"

/* ---- options ---- */

int fa_parse(int argc, char **argv, struct fa_cli *cli)
{
	enum { O_ENDPOINT = 256, O_TOKEN, O_ARN, O_CHANGES, O_KNOWN, O_WAIT, O_HEALTH, O_DETAIL,
	       O_STATS, O_DURATION, O_RUN_FOR, O_EXIT, O_QUIET, O_CLUSTER, O_JOIN, O_IDENTITY,
	       O_HOSTNAME, O_PREVIOUS, O_CPU, O_MEMORY, O_PORTS, O_ATTR, O_TAG };
	static const struct option opts[] = {
		{ "endpoint", required_argument, NULL, O_ENDPOINT },
		{ "token", required_argument, NULL, O_TOKEN },
		{ "arn", required_argument, NULL, O_ARN },
		{ "changes", required_argument, NULL, O_CHANGES },
		{ "known-version", required_argument, NULL, O_KNOWN },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "health", required_argument, NULL, O_HEALTH },
		{ "runtime-detail", required_argument, NULL, O_DETAIL },
		{ "task-stats", required_argument, NULL, O_STATS },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "run-for-ms", required_argument, NULL, O_RUN_FOR },
		{ "exit-code", required_argument, NULL, O_EXIT },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "cluster", required_argument, NULL, O_CLUSTER },
		{ "join-token", required_argument, NULL, O_JOIN },
		{ "identity", required_argument, NULL, O_IDENTITY },
		{ "hostname", required_argument, NULL, O_HOSTNAME },
		{ "previous-arn", required_argument, NULL, O_PREVIOUS },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "memory", required_argument, NULL, O_MEMORY },
		{ "ports", required_argument, NULL, O_PORTS },
		{ "attribute", required_argument, NULL, O_ATTR },
		{ "tag", required_argument, NULL, O_TAG },
		{ NULL, 0, NULL, 0 },
	};
	cli->reg.cpu = 2048;
	cli->reg.memory = 4096;
	cli->wait_seconds = 20;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case O_ENDPOINT: cli->endpoint = optarg; break;
		case O_TOKEN: cli->token = optarg; break;
		case O_ARN: cli->arn = optarg; break;
		case O_CHANGES: cli->changes = optarg; break;
		case O_KNOWN: cli->known_version = strtoull(optarg, NULL, 10); break;
		case O_WAIT: cli->wait_seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		case O_HEALTH: cli->health = optarg; break;
		case O_DETAIL: cli->runtime_detail = optarg; break;
		case O_DURATION: cli->duration_s = strtod(optarg, NULL); break;
		case O_RUN_FOR: cli->run_for_ms = strtoll(optarg, NULL, 10); break;
		case O_EXIT: cli->exit_code = (int)strtol(optarg, NULL, 10); break;
		case O_QUIET: cli->quiet = true; break;
		case O_CLUSTER: cli->reg.cluster = optarg; break;
		case O_JOIN: cli->reg.join_token = optarg; break;
		case O_IDENTITY: cli->reg.identity = optarg; break;
		case O_HOSTNAME: cli->reg.hostname = optarg; break;
		case O_PREVIOUS: cli->reg.previous_arn = optarg; break;
		case O_CPU: cli->reg.cpu = strtoll(optarg, NULL, 10); break;
		case O_MEMORY: cli->reg.memory = strtoll(optarg, NULL, 10); break;
		case O_PORTS: cli->reg.ports = optarg; break;
		case O_STATS:
		case O_ATTR:
		case O_TAG: {
			const char **list = opt == O_STATS ? cli->task_stats
					    : opt == O_ATTR ? cli->reg.attrs : cli->reg.tags;
			size_t *n = opt == O_STATS ? &cli->n_task_stats
				    : opt == O_ATTR ? &cli->reg.n_attrs : &cli->reg.n_tags;
			if (*n == FA_MAX_ATTRS) {
				fprintf(stderr, "fake-agent: too many %s options\n", argv[optind - 2]);
				return -1;
			}
			list[(*n)++] = optarg;
			break;
		}
		default:
			fprintf(stderr, "fake-agent: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (!cli->endpoint) {
		fprintf(stderr, "fake-agent: --endpoint is required\n");
		return -1;
	}
	return 0;
}


/* ---- one-shot commands ---- */

/* Run one request to completion; print {"status": N, ...} with the error
 * reply's code and message, or hand the 2xx body to `ok`. */
static int exchange(const struct fa_cli *cli, const char *path, const char *token,
		    const ProtobufCMessage *msg,
		    void (*ok)(struct json_writer *w, const struct fa_buf *body, void *ud),
		    void *ud)
{
	struct fa_request rq;
	if (fa_request_init(&rq, cli->endpoint, path, token, msg,
			    (long)cli->wait_seconds + 15) < 0)
		return 1;
	int64_t start = fa_now_ms();
	CURLcode cc = curl_easy_perform(rq.easy);
	if (cc != CURLE_OK) {
		fprintf(stderr, "fake-agent: %s: %s\n", path, rq.error[0] ? rq.error :
			curl_easy_strerror(cc));
		fa_request_clear(&rq);
		return 1;
	}
	long status = fa_request_status(&rq);
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	json_w_object_begin(w);
	json_w_key(w, "status");
	json_w_int(w, status);
	json_w_key(w, "elapsedMs");
	json_w_int(w, fa_now_ms() - start);
	if (status >= 200 && status < 300) {
		ok(w, &rq.resp, ud);
	} else {
		_cleanup_wire_ Ecsagent__ErrorResponse *e =
			wire_decode_error_response(rq.resp.data, rq.resp.len, NULL);
		if (e) {
			json_w_key(w, "code");
			json_w_string(w, wire_error_code_name(e->code));
			json_w_key(w, "message");
			json_w_string(w, e->message);
		}
	}
	json_w_object_end(w);
	fa_print(w);
	fa_request_clear(&rq);
	return 0;
}

static void register_ok(struct json_writer *w, const struct fa_buf *b, void *ud)
{
	(void)ud;
	struct ecs_err err = { 0 };
	_cleanup_wire_ Ecsagent__RegisterResponse *r =
		wire_decode_register_response(b->data, b->len, &err);
	if (!r) {
		json_w_key(w, "decodeError");
		json_w_string(w, err_msg(&err));
		return;
	}
	json_w_key(w, "containerInstanceArn");
	json_w_string(w, r->container_instance_arn);
	json_w_key(w, "clusterArn");
	json_w_string(w, r->cluster_arn);
	json_w_key(w, "token");
	json_w_string(w, r->instance_token);
	json_w_key(w, "pollTimeoutSeconds");
	json_w_int(w, r->poll_timeout_seconds);
	json_w_key(w, "telemetryIntervalSeconds");
	json_w_int(w, r->telemetry_interval_seconds);
}

static int cmd_register(const struct fa_cli *cli)
{
	Ecsagent__RegisterRequest *rq = fa_register_build(&cli->reg);
	if (!rq)
		return 1;
	int r = exchange(cli, WIRE_PATH_REGISTER, NULL, &rq->base, register_ok, NULL);
	fa_register_free(rq);
	return r;
}

static const char *instance_status_name(Ecsagent__InstanceStatus s)
{
	switch (s) {
	case ECSAGENT__INSTANCE_STATUS__ACTIVE: return "ACTIVE";
	case ECSAGENT__INSTANCE_STATUS__DRAINING: return "DRAINING";
	case ECSAGENT__INSTANCE_STATUS__DEREGISTERED: return "DEREGISTERED";
	default: return "UNSPECIFIED";
	}
}

/* A JSON text as a node, or as a string when it does not parse. */
static void write_json_text(struct json_writer *w, const char *text)
{
	_cleanup_(json_doc_freep) struct json_doc *doc =
		text && text[0] ? json_parse(text, strlen(text), NULL) : NULL;
	if (doc)
		json_w_node(w, json_root(doc));
	else if (text && text[0])
		json_w_string(w, text);
	else
		json_w_null(w);
}

static void poll_ok(struct json_writer *w, const struct fa_buf *b, void *ud)
{
	(void)ud;
	struct ecs_err err = { 0 };
	_cleanup_wire_ Ecsagent__PollResponse *r = wire_decode_poll_response(b->data, b->len, &err);
	if (!r) {
		json_w_key(w, "decodeError");
		json_w_string(w, err_msg(&err));
		return;
	}
	json_w_key(w, "version");
	json_w_int(w, (int64_t)r->version);
	json_w_key(w, "unchanged");
	json_w_bool(w, r->unchanged);
	json_w_key(w, "instanceStatus");
	json_w_string(w, instance_status_name(r->instance_status));
	json_w_key(w, "pollDelayMs");
	json_w_int(w, r->poll_delay_ms);
	json_w_key(w, "tasks");
	json_w_array_begin(w);
	for (size_t i = 0; i < r->n_tasks; i++) {
		const Ecsagent__Task *t = r->tasks[i];
		json_w_object_begin(w);
		json_w_key(w, "taskArn");
		json_w_string(w, t->task_arn);
		json_w_key(w, "taskDefinitionArn");
		json_w_string(w, t->task_definition_arn);
		json_w_key(w, "family");
		json_w_string(w, t->family);
		json_w_key(w, "revision");
		json_w_int(w, t->revision);
		json_w_key(w, "desiredStatus");
		json_w_string(w, wire_status_name(t->desired_status));
		json_w_key(w, "startedBy");
		json_w_string(w, t->started_by);
		json_w_key(w, "group");
		json_w_string(w, t->group);
		json_w_key(w, "desiredVersion");
		json_w_int(w, (int64_t)t->desired_version);
		json_w_key(w, "createdAtMs");
		json_w_int(w, t->created_at_ms);
		json_w_key(w, "stopReason");
		json_w_string(w, t->stop_reason);
		json_w_key(w, "stopCode");
		json_w_string(w, wire_stop_code_name(t->stop_code));
		json_w_key(w, "taskDefinition");
		write_json_text(w, t->task_definition_json);
		json_w_key(w, "overrides");
		write_json_text(w, t->overrides_json);
		json_w_key(w, "tags");
		json_w_array_begin(w);
		for (size_t k = 0; k < t->n_tags; k++) {
			json_w_object_begin(w);
			json_w_key(w, "key");
			json_w_string(w, t->tags[k]->key);
			json_w_key(w, "value");
			json_w_string(w, t->tags[k]->value);
			json_w_object_end(w);
		}
		json_w_array_end(w);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

static int need(const char *what, const char *v)
{
	if (!v)
		fprintf(stderr, "fake-agent: --%s is required\n", what);
	return v ? 0 : -1;
}

static int cmd_poll(const struct fa_cli *cli)
{
	if (need("token", cli->token) < 0 || need("arn", cli->arn) < 0)
		return 1;
	Ecsagent__PollRequest rq = ECSAGENT__POLL_REQUEST__INIT;
	rq.container_instance_arn = (char *)cli->arn;
	rq.known_version = cli->known_version;
	rq.wait_seconds = cli->wait_seconds;
	return exchange(cli, WIRE_PATH_POLL, cli->token, &rq.base, poll_ok, NULL);
}


/* ---- report ---- */

static void report_ok(struct json_writer *w, const struct fa_buf *b, void *ud)
{
	(void)ud;
	struct ecs_err err = { 0 };
	_cleanup_wire_ Ecsagent__StateChangeResponse *r =
		wire_decode_state_response(b->data, b->len, &err);
	if (!r) {
		json_w_key(w, "decodeError");
		json_w_string(w, err_msg(&err));
		return;
	}
	json_w_key(w, "acks");
	json_w_array_begin(w);
	for (size_t i = 0; i < r->n_acks; i++) {
		json_w_object_begin(w);
		json_w_key(w, "taskArn");
		json_w_string(w, r->acks[i]->task_arn);
		json_w_key(w, "sequence");
		json_w_int(w, (int64_t)r->acks[i]->sequence);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

static int cmd_report(const struct fa_cli *cli)
{
	if (need("token", cli->token) < 0 || need("arn", cli->arn) < 0 ||
	    need("changes", cli->changes) < 0)
		return 1;
	struct ecs_err err = { 0 };
	_cleanup_(json_doc_freep) struct json_doc *doc =
		json_parse(cli->changes, strlen(cli->changes), &err);
	if (!doc || json_type(json_root(doc)) != JSON_ARRAY) {
		fprintf(stderr, "fake-agent: --changes must be a JSON list: %s\n", err_msg(&err));
		return 1;
	}
	Ecsagent__StateChangeRequest rq = ECSAGENT__STATE_CHANGE_REQUEST__INIT;
	rq.container_instance_arn = (char *)cli->arn;
	struct fa_report mem;
	int r = 1;
	if (fa_report_build(json_root(doc), &mem, &rq) == 0)
		r = exchange(cli, WIRE_PATH_STATE, cli->token, &rq.base, report_ok, NULL);
	fa_report_clear(&mem);
	return r;
}

/* ---- telemetry ---- */

static Ecsagent__ComponentStatus component_of(const char *s)
{
	if (!s || strcmp(s, "OK") == 0)
		return ECSAGENT__COMPONENT_STATUS__OK;
	if (strcmp(s, "IMPAIRED") == 0)
		return ECSAGENT__COMPONENT_STATUS__IMPAIRED;
	if (strcmp(s, "INITIALIZING") == 0)
		return ECSAGENT__COMPONENT_STATUS__INITIALIZING;
	return ECSAGENT__COMPONENT_STATUS__INSUFFICIENT_DATA;
}

static void telemetry_ok(struct json_writer *w, const struct fa_buf *b, void *ud)
{
	(void)ud;
	_cleanup_wire_ Ecsagent__TelemetryResponse *r =
		wire_decode_telemetry_response(b->data, b->len, NULL);
	json_w_key(w, "telemetryIntervalSeconds");
	json_w_int(w, r ? (int64_t)r->telemetry_interval_seconds : -1);
}

static int cmd_telemetry(const struct fa_cli *cli)
{
	if (need("token", cli->token) < 0 || need("arn", cli->arn) < 0)
		return 1;
	Ecsagent__InstanceHealth h = ECSAGENT__INSTANCE_HEALTH__INIT;
	h.timestamp_ms = fa_now_ms();
	h.overall = h.runtime = component_of(cli->health);
	h.disk = h.agent = ECSAGENT__COMPONENT_STATUS__OK;
	h.runtime_detail = (char *)(cli->runtime_detail ? cli->runtime_detail : "");
	h.disk_total_bytes = 100ull << 30;
	h.disk_free_bytes = 50ull << 30;
	h.running_tasks = (uint32_t)cli->n_task_stats;
	h.memory_available_bytes = 2ull << 30;
	Ecsagent__TaskStats stats[FA_MAX_ATTRS];
	Ecsagent__TaskStats *statp[FA_MAX_ATTRS];
	Ecsagent__CpuStats cpu = ECSAGENT__CPU_STATS__INIT;
	Ecsagent__MemoryStats mem = ECSAGENT__MEMORY_STATS__INIT;
	cpu.usage_ns = 123456789;
	cpu.utilization_percent = 12.5;
	mem.usage_bytes = 64ull << 20;
	for (size_t i = 0; i < cli->n_task_stats; i++) {
		stats[i] = (Ecsagent__TaskStats)ECSAGENT__TASK_STATS__INIT;
		stats[i].task_arn = (char *)cli->task_stats[i];
		stats[i].timestamp_ms = h.timestamp_ms;
		stats[i].cpu = &cpu;
		stats[i].memory = &mem;
		statp[i] = &stats[i];
	}
	Ecsagent__TelemetryRequest rq = ECSAGENT__TELEMETRY_REQUEST__INIT;
	rq.container_instance_arn = (char *)cli->arn;
	rq.instance_health = &h;
	rq.n_tasks = cli->n_task_stats;
	rq.tasks = statp;
	return exchange(cli, WIRE_PATH_TELEMETRY, cli->token, &rq.base, telemetry_ok, NULL);
}

static void usage(void)
{
	fprintf(stderr, "usage: fake-agent register|poll|report|telemetry|simulate N [options]\n"
			"(the options are described at the top of tests/tools/fake-agent.c)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 1;
	}
	const char *cmd = argv[1];
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	int r;
	if (strcmp(cmd, "simulate") == 0) {
		r = fa_simulate(argc - 1, argv + 1);
	} else {
		struct fa_cli cli = { 0 };
		optind = 1;
		if (fa_parse(argc - 1, argv + 1, &cli) < 0) {
			usage();
			r = 1;
		} else if (strcmp(cmd, "register") == 0) {
			r = cmd_register(&cli);
		} else if (strcmp(cmd, "poll") == 0) {
			r = cmd_poll(&cli);
		} else if (strcmp(cmd, "report") == 0) {
			r = cmd_report(&cli);
		} else if (strcmp(cmd, "telemetry") == 0) {
			r = cmd_telemetry(&cli);
		} else {
			usage();
			r = 1;
		}
	}
	curl_global_cleanup();
	return r;
}
