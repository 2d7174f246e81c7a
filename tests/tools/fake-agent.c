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
#include <time.h>

#include "cleanup.h"
#include "fake-agent.h"

int64_t fa_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fa_print(struct json_writer *w)
{
	size_t len;
	struct ecs_err err = { 0 };
	char *text = json_writer_finish(w, &len, &err);
	if (text) {
		fwrite(text, 1, len, stdout);
		fputc('\n', stdout);
	} else {
		fprintf(stderr, "fake-agent: %s\n", err_msg(&err));
	}
	fflush(stdout);
	free(text);
}

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

/* ---- requests ---- */

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fa_buf *b = userdata;
	size_t n = size * nmemb;
	uint8_t *grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->data = grown;
	b->len += n;
	return n;
}

int fa_request_init(struct fa_request *rq, const char *endpoint, const char *path,
		    const char *token, const ProtobufCMessage *msg, long timeout_s)
{
	memset(rq, 0, sizeof(*rq));
	struct ecs_err err = { 0 };
	rq->body = wire_encode(msg, &rq->body_len, &err);
	if (!rq->body) {
		fprintf(stderr, "fake-agent: %s\n", err_msg(&err));
		return -1;
	}
	char url[2048], auth[4200];
	snprintf(url, sizeof(url), "%s%s", endpoint, path);
	rq->easy = curl_easy_init();
	if (!rq->easy)
		return -1;
	rq->headers = curl_slist_append(NULL, "Content-Type: " WIRE_CONTENT_TYPE);
	rq->headers = curl_slist_append(rq->headers, "Expect:");
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		rq->headers = curl_slist_append(rq->headers, auth);
	}
	curl_easy_setopt(rq->easy, CURLOPT_URL, url);
	curl_easy_setopt(rq->easy, CURLOPT_HTTPHEADER, rq->headers);
	curl_easy_setopt(rq->easy, CURLOPT_USERAGENT, "ecs-agent/fake-agent");
	curl_easy_setopt(rq->easy, CURLOPT_POSTFIELDS, rq->body);
	curl_easy_setopt(rq->easy, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
	curl_easy_setopt(rq->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(rq->easy, CURLOPT_WRITEDATA, &rq->resp);
	curl_easy_setopt(rq->easy, CURLOPT_ERRORBUFFER, rq->error);
	curl_easy_setopt(rq->easy, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(rq->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rq->easy, CURLOPT_PRIVATE, rq);
	return 0;
}

void fa_request_clear(struct fa_request *rq)
{
	if (rq->easy)
		curl_easy_cleanup(rq->easy);
	curl_slist_free_all(rq->headers);
	free(rq->body);
	free(rq->resp.data);
	memset(rq, 0, sizeof(*rq));
}

long fa_request_status(const struct fa_request *rq)
{
	long status = 0;
	curl_easy_getinfo(rq->easy, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* ---- register ---- */

static char *dup_until(const char *s, char stop)
{
	const char *end = strchr(s, stop);
	return end ? strndup(s, (size_t)(end - s)) : strdup(s);
}

Ecsagent__RegisterRequest *fa_register_build(const struct fa_register_opts *o)
{
	Ecsagent__RegisterRequest *rq = calloc(1, sizeof(*rq));
	Ecsagent__VersionInfo *vi = calloc(1, sizeof(*vi));
	if (!rq || !vi) {
		free(rq);
		free(vi);
		return NULL;
	}
	*rq = (Ecsagent__RegisterRequest)ECSAGENT__REGISTER_REQUEST__INIT;
	*vi = (Ecsagent__VersionInfo)ECSAGENT__VERSION_INFO__INIT;
	vi->agent_version = (char *)"0.0.0-fake";
	vi->runtime_name = (char *)"fake";
	rq->version_info = vi;
	rq->cluster = (char *)(o->cluster ? o->cluster : "");
	rq->join_token = (char *)(o->join_token ? o->join_token : "");
	rq->instance_identity = (char *)(o->identity ? o->identity : "");
	rq->hostname = (char *)(o->hostname ? o->hostname : "");
	rq->previous_container_instance_arn = (char *)(o->previous_arn ? o->previous_arn : "");

	/* CPU, MEMORY and PORTS, as the real agent reports them. */
	Ecsagent__Resource *res = calloc(3, sizeof(*res));
	Ecsagent__Resource **resp = calloc(3, sizeof(*resp));
	rq->total_resources = resp;
	if (!res || !resp) {
		free(res);
		fa_register_free(rq);
		return NULL;
	}
	static const char *const names[] = { "CPU", "MEMORY", "PORTS" };
	for (size_t i = 0; i < 3; i++) {
		res[i] = (Ecsagent__Resource)ECSAGENT__RESOURCE__INIT;
		res[i].name = (char *)names[i];
		res[i].type = i < 2 ? ECSAGENT__RESOURCE_TYPE__INTEGER
				    : ECSAGENT__RESOURCE_TYPE__STRINGSET;
		resp[i] = &res[i];
	}
	res[0].integer_value = (int32_t)o->cpu;
	res[1].integer_value = (int32_t)o->memory;
	const char *ports = o->ports ? o->ports : "22";
	for (const char *p = ports; *p;) {
		char **grown = realloc(res[2].string_set_value,
				       (res[2].n_string_set_value + 1) * sizeof(*grown));
		if (!grown)
			break;
		res[2].string_set_value = grown;
		grown[res[2].n_string_set_value++] = dup_until(p, ',');
		p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p);
	}
	rq->n_total_resources = 3;

	rq->attributes = calloc(o->n_attrs + 1, sizeof(*rq->attributes));
	rq->tags = calloc(o->n_tags + 1, sizeof(*rq->tags));
	for (size_t i = 0; rq->attributes && i < o->n_attrs; i++) {
		Ecsagent__Attribute *a = calloc(1, sizeof(*a));
		if (!a)
			break;
		*a = (Ecsagent__Attribute)ECSAGENT__ATTRIBUTE__INIT;
		const char *eq = strchr(o->attrs[i], '=');
		a->name = dup_until(o->attrs[i], '=');
		a->value = strdup(eq ? eq + 1 : "");
		rq->attributes[rq->n_attributes++] = a;
	}
	for (size_t i = 0; rq->tags && i < o->n_tags; i++) {
		Ecsagent__Tag *t = calloc(1, sizeof(*t));
		if (!t)
			break;
		*t = (Ecsagent__Tag)ECSAGENT__TAG__INIT;
		const char *eq = strchr(o->tags[i], '=');
		t->key = dup_until(o->tags[i], '=');
		t->value = strdup(eq ? eq + 1 : "");
		rq->tags[rq->n_tags++] = t;
	}
	return rq;
}

void fa_register_free(Ecsagent__RegisterRequest *rq)
{
	if (!rq)
		return;
	free(rq->version_info);
	if (rq->total_resources) {
		Ecsagent__Resource *ports = rq->n_total_resources == 3 ? rq->total_resources[2] : NULL;
		for (size_t i = 0; ports && i < ports->n_string_set_value; i++)
			free(ports->string_set_value[i]);
		if (ports)
			free(ports->string_set_value);
		free(rq->n_total_resources ? rq->total_resources[0] : NULL);
		free(rq->total_resources);
	}
	for (size_t i = 0; i < rq->n_attributes; i++) {
		free(rq->attributes[i]->name);
		free(rq->attributes[i]->value);
		free(rq->attributes[i]);
	}
	free(rq->attributes);
	for (size_t i = 0; i < rq->n_tags; i++) {
		free(rq->tags[i]->key);
		free(rq->tags[i]->value);
		free(rq->tags[i]);
	}
	free(rq->tags);
	free(rq);
}

char **fa_container_names(const char *taskdef_json, size_t *n)
{
	*n = 0;
	_cleanup_(json_doc_freep) struct json_doc *doc =
		json_parse(taskdef_json, strlen(taskdef_json), NULL);
	const json_node *defs = doc ? json_get(json_root(doc), "containerDefinitions") : NULL;
	size_t count = json_array_size(defs);
	char **names = calloc(count + 1, sizeof(*names));
	for (size_t i = 0; names && i < count; i++) {
		const char *name = json_string(json_get(json_array_get(defs, i), "name"));
		if (name && (names[*n] = strdup(name)))
			(*n)++;
	}
	return names;
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

static Ecsagent__Status status_of(const json_node *n)
{
	Ecsagent__Status s = ECSAGENT__STATUS__STATUS_UNSPECIFIED;
	wire_status_parse(json_string(n), &s);
	return s;
}

static Ecsagent__HealthStatus health_of(const json_node *n)
{
	const char *s = json_string(n);
	if (s && strcmp(s, "HEALTHY") == 0)
		return ECSAGENT__HEALTH_STATUS__HEALTHY;
	if (s && strcmp(s, "UNHEALTHY") == 0)
		return ECSAGENT__HEALTH_STATUS__UNHEALTHY;
	return ECSAGENT__HEALTH_STATUS__HEALTH_UNKNOWN;
}

static Ecsagent__StopCode stop_code_of(const json_node *n)
{
	const char *s = json_string(n);
	for (int c = 1; s && c <= ECSAGENT__STOP_CODE__TERMINATION_NOTICE; c++)
		if (wire_stop_code_name((Ecsagent__StopCode)c) &&
		    strcmp(wire_stop_code_name((Ecsagent__StopCode)c), s) == 0)
			return (Ecsagent__StopCode)c;
	return ECSAGENT__STOP_CODE__STOP_CODE_UNSPECIFIED;
}

static char *str_of(const json_node *n)
{
	const char *s = json_string(n);
	return (char *)(s ? s : "");
}

static int64_t int_of(const json_node *n)
{
	int64_t v = 0;
	json_integer(n, &v);
	return v;
}

/* Everything a decoded --changes list needs, freed in one go. */
struct report_mem {
	Ecsagent__TaskStateChange *tasks, **taskp;
	Ecsagent__ContainerStateChange **containers; /* per task */
	Ecsagent__ContainerStateChange ***containerp;
	Ecsagent__NetworkBinding **bindings;         /* per task, all containers */
	Ecsagent__NetworkBinding ***bindingp;
	size_t n;
};

static void report_mem_clear(struct report_mem *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->containers ? m->containers[i] : NULL);
		free(m->containerp ? m->containerp[i] : NULL);
		free(m->bindings ? m->bindings[i] : NULL);
		free(m->bindingp ? m->bindingp[i] : NULL);
	}
	free(m->tasks);
	free(m->taskp);
	free(m->containers);
	free(m->containerp);
	free(m->bindings);
	free(m->bindingp);
}

static int build_container(struct report_mem *m, size_t ti, size_t ci, const json_node *c,
			   size_t *next_binding)
{
	Ecsagent__ContainerStateChange *x = &m->containers[ti][ci];
	*x = (Ecsagent__ContainerStateChange)ECSAGENT__CONTAINER_STATE_CHANGE__INIT;
	x->container_name = str_of(json_get(c, "name"));
	x->status = status_of(json_get(c, "status"));
	const json_node *code = json_get(c, "exitCode");
	if (code && json_type(code) != JSON_NULL)
		wire_set_exit_code(x, (int32_t)int_of(code));
	x->reason = str_of(json_get(c, "reason"));
	x->runtime_id = str_of(json_get(c, "runtimeId"));
	x->image_digest = str_of(json_get(c, "imageDigest"));
	x->health_status = health_of(json_get(c, "healthStatus"));
	x->created_at_ms = int_of(json_get(c, "createdAt"));
	x->started_at_ms = int_of(json_get(c, "startedAt"));
	x->finished_at_ms = int_of(json_get(c, "finishedAt"));
	const json_node *nb = json_get(c, "networkBindings");
	x->n_network_bindings = json_array_size(nb);
	x->network_bindings = &m->bindingp[ti][*next_binding];
	for (size_t k = 0; k < json_array_size(nb); k++) {
		const json_node *b = json_array_get(nb, k);
		Ecsagent__NetworkBinding *y = &m->bindings[ti][*next_binding];
		*y = (Ecsagent__NetworkBinding)ECSAGENT__NETWORK_BINDING__INIT;
		y->bind_ip = str_of(json_get(b, "bindIP"));
		y->container_port = (uint32_t)int_of(json_get(b, "containerPort"));
		y->host_port = (uint32_t)int_of(json_get(b, "hostPort"));
		const char *proto = json_string(json_get(b, "protocol"));
		y->protocol = proto && strcmp(proto, "udp") == 0 ? ECSAGENT__TRANSPORT_PROTOCOL__UDP
								 : ECSAGENT__TRANSPORT_PROTOCOL__TCP;
		y->container_port_range = str_of(json_get(b, "containerPortRange"));
		y->host_port_range = str_of(json_get(b, "hostPortRange"));
		m->bindingp[ti][(*next_binding)++] = y;
	}
	m->containerp[ti][ci] = x;
	return 0;
}

static int build_report(const json_node *list, struct report_mem *m,
			Ecsagent__StateChangeRequest *rq)
{
	size_t n = json_array_size(list);
	memset(m, 0, sizeof(*m));
	m->tasks = calloc(n + 1, sizeof(*m->tasks));
	m->taskp = calloc(n + 1, sizeof(*m->taskp));
	m->containers = calloc(n + 1, sizeof(*m->containers));
	m->containerp = calloc(n + 1, sizeof(*m->containerp));
	m->bindings = calloc(n + 1, sizeof(*m->bindings));
	m->bindingp = calloc(n + 1, sizeof(*m->bindingp));
	m->n = n;
	if (!m->tasks || !m->taskp || !m->containers || !m->containerp || !m->bindings ||
	    !m->bindingp)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const json_node *t = json_array_get(list, i);
		Ecsagent__TaskStateChange *x = &m->tasks[i];
		*x = (Ecsagent__TaskStateChange)ECSAGENT__TASK_STATE_CHANGE__INIT;
		x->task_arn = str_of(json_get(t, "taskArn"));
		x->sequence = (uint64_t)int_of(json_get(t, "sequence"));
		x->status = status_of(json_get(t, "status"));
		x->reason = str_of(json_get(t, "reason"));
		x->stop_code = stop_code_of(json_get(t, "stopCode"));
		x->health_status = health_of(json_get(t, "healthStatus"));
		x->pull_started_at_ms = int_of(json_get(t, "pullStartedAt"));
		x->pull_stopped_at_ms = int_of(json_get(t, "pullStoppedAt"));
		x->started_at_ms = int_of(json_get(t, "startedAt"));
		x->execution_stopped_at_ms = int_of(json_get(t, "executionStoppedAt"));
		x->stopped_at_ms = int_of(json_get(t, "stoppedAt"));
		const json_node *cs = json_get(t, "containers");
		size_t nc = json_array_size(cs), nb = 0;
		for (size_t k = 0; k < nc; k++)
			nb += json_array_size(json_get(json_array_get(cs, k), "networkBindings"));
		m->containers[i] = calloc(nc + 1, sizeof(**m->containers));
		m->containerp[i] = calloc(nc + 1, sizeof(**m->containerp));
		m->bindings[i] = calloc(nb + 1, sizeof(**m->bindings));
		m->bindingp[i] = calloc(nb + 1, sizeof(**m->bindingp));
		if (!m->containers[i] || !m->containerp[i] || !m->bindings[i] || !m->bindingp[i])
			return -1;
		size_t next = 0;
		for (size_t k = 0; k < nc; k++)
			build_container(m, i, k, json_array_get(cs, k), &next);
		x->n_containers = nc;
		x->containers = m->containerp[i];
		m->taskp[i] = x;
	}
	rq->n_tasks = n;
	rq->tasks = m->taskp;
	return 0;
}

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
	struct report_mem mem;
	int r = 1;
	if (build_report(json_root(doc), &mem, &rq) == 0)
		r = exchange(cli, WIRE_PATH_STATE, cli->token, &rq.base, report_ok, NULL);
	report_mem_clear(&mem);
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
