/* SPDX-License-Identifier: Apache-2.0 */
/* The agent protocol: routing, framing, tokens, Register, state changes and
 * telemetry. Polls are in agent-poll.c, the liveness sweep in
 * agent-liveness.c. */
#include "autoconf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent-internal.h"
#include "agent-token.h"
#include "api.h"
#include "arn.h"
#include "ids.h"
#include "json.h"
#include "log.h"
#include "resources.h"
#include "store-agent.h"

#define MAX_ATTRIBUTES 256
#define MAX_RESOURCES 32
#define MAX_TAGS 50
#define MAX_TEXT 256

int64_t agent_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void agent_fail(struct http_request *req, Ecsagent__ErrorCode code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("Agent %s from %s: %s: %s", http_request_path(req), http_request_peer(req),
		  wire_error_code_name(code), msg);
	size_t len;
	_cleanup_free_ uint8_t *body = wire_encode_error(code, msg, 0, &len, NULL);
	int status = wire_error_http_status(code);
	/* The protocol answers a wrong content type with 415 (BAD_REQUEST). */
	if (code == ECSAGENT__ERROR_CODE__BAD_REQUEST && strstr(msg, "Content-Type"))
		status = 415;
	if (!body)
		http_respond(req, status, NULL, "", 0, NULL, 0);
	else
		http_respond(req, status, WIRE_CONTENT_TYPE, body, len, NULL, 0);
}

void agent_reply(struct http_request *req, const ProtobufCMessage *msg)
{
	size_t len;
	struct ecs_err err = { 0 };
	_cleanup_free_ uint8_t *body = wire_encode(msg, &len, &err);
	if (!body) {
		log_error("Agent %s: cannot encode the reply: %s", http_request_path(req),
			  err_msg(&err));
		agent_fail(req, ECSAGENT__ERROR_CODE__INTERNAL, "Server error");
		return;
	}
	http_respond(req, 200, WIRE_CONTENT_TYPE, body, len, NULL, 0);
}

int agent_touch(struct agent_endpoint *ep, const struct store_instance *in, int64_t now_ms,
		struct ecs_err *err)
{
	if (in->agent_connected && now_ms - in->last_seen_ms < ep->touch_interval_ms)
		return 0;
	bool was;
	int r = store_instance_touch(ep->store, in->id, now_ms, &was, err);
	if (r >= 0 && !was)
		log_info("Container instance %s: agent connected", in->arn);
	return r;
}

static void server_error(struct http_request *req, const char *what, const struct ecs_err *err)
{
	log_error("Agent %s: %s: %s", http_request_path(req), what, err_msg(err));
	agent_fail(req, ECSAGENT__ERROR_CODE__INTERNAL, "Server error");
}

/* ---- framing and authentication ---- */

static bool content_type_ok(const char *ct)
{
	size_t n = strlen(WIRE_CONTENT_TYPE);
	return ct && strncasecmp(ct, WIRE_CONTENT_TYPE, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Map a decoding failure to its protocol error. */
static void decode_failed(struct http_request *req, enum wire_msg type,
			  const struct ecs_err *err)
{
	switch (err->code) {
	case EMSGSIZE:
		agent_fail(req, ECSAGENT__ERROR_CODE__TOO_LARGE, "%s over %zu bytes",
			   wire_msg_name(type), wire_msg_max_size(type));
		break;
	case EPROTONOSUPPORT:
		agent_fail(req, ECSAGENT__ERROR_CODE__VERSION_NOT_SUPPORTED,
			   "protocol major version not supported (this server speaks %u.%u)",
			   WIRE_PROTOCOL_MAJOR, WIRE_PROTOCOL_MINOR);
		break;
	case ENOMEM:
		agent_fail(req, ECSAGENT__ERROR_CODE__UNAVAILABLE, "Out of memory");
		break;
	default:
		agent_fail(req, ECSAGENT__ERROR_CODE__BAD_REQUEST, "Invalid %s: %s",
			   wire_msg_name(type), err_msg(err));
		break;
	}
}

/* The instance whose token the request bears, checked against the ARN the
 * body names. Fails the request and returns < 0 otherwise. */
static int authenticate(struct agent_endpoint *ep, struct http_request *req, const char *arn,
			struct store_instance *out)
{
	const char *auth = http_request_header(req, "Authorization");
	memset(out, 0, sizeof(*out));
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
		agent_fail(req, ECSAGENT__ERROR_CODE__UNAUTHENTICATED,
			   "An instance token is required (Authorization: Bearer)");
		return -EACCES;
	}
	const char *token = auth + 7;
	while (*token == ' ')
		token++;
	char hash[AGENT_TOKEN_HASH_LEN + 1];
	struct ecs_err err = { 0 };
	if (agent_token_hash(token, hash) < 0) {
		agent_fail(req, ECSAGENT__ERROR_CODE__INTERNAL, "Server error");
		return -EIO;
	}
	/* Lookup by hash: the token itself is never compared byte by byte. */
	int r = store_instance_get_by_token(ep->store, hash, out, &err);
	if (r == -ENOENT) {
		agent_fail(req, ECSAGENT__ERROR_CODE__UNAUTHENTICATED,
			   "Unknown or expired instance token: register again");
		return r;
	}
	if (r < 0) {
		server_error(req, "reading container instance", &err);
		return r;
	}
	if (strcmp(out->arn, arn) != 0) {
		agent_fail(req, ECSAGENT__ERROR_CODE__FORBIDDEN,
			   "The instance token does not belong to container instance %.256s", arn);
		store_instance_clear(out);
		return -EPERM;
	}
	return 0;
}

/* ---- Register ---- */

/* The join token that admits agents to `cluster` (a name), or NULL. */
static const char *join_token_for(const struct agent_endpoint *ep, const char *cluster)
{
	for (size_t i = 0; i < ep->n_cluster_tokens; i++)
		if (strcmp(ep->cluster_tokens[i].cluster, cluster) == 0)
			return ep->cluster_tokens[i].token;
	return ep->join_token;
}

static bool text_ok(const char *s, size_t max)
{
	return strlen(s) <= max;
}

static bool attribute_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > 128)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_/\\.", *p)))
			return false;
	return true;
}

static int register_check(const Ecsagent__RegisterRequest *rq, char *msg, size_t size)
{
	if (!text_ok(rq->instance_identity, MAX_TEXT) || !text_ok(rq->hostname, MAX_TEXT)) {
		snprintf(msg, size, "instance_identity and hostname are at most %d bytes", MAX_TEXT);
		return -EINVAL;
	}
	if (rq->n_attributes > MAX_ATTRIBUTES || rq->n_tags > MAX_TAGS ||
	    rq->n_total_resources > MAX_RESOURCES) {
		snprintf(msg, size, "at most %d attributes, %d tags and %d resources",
			 MAX_ATTRIBUTES, MAX_TAGS, MAX_RESOURCES);
		return -EINVAL;
	}
	for (size_t i = 0; i < rq->n_attributes; i++) {
		const Ecsagent__Attribute *a = rq->attributes[i];
		if (!attribute_name_ok(a->name) || strlen(a->value) > 128) {
			snprintf(msg, size, "attribute '%.128s' has an invalid name or value", a->name);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(rq->attributes[j]->name, a->name) == 0) {
				snprintf(msg, size, "attribute '%.128s' is listed twice", a->name);
				return -EINVAL;
			}
	}
	for (size_t i = 0; i < rq->n_tags; i++) {
		size_t k = strlen(rq->tags[i]->key);
		if (k < 1 || k > 128 * 4 || strlen(rq->tags[i]->value) > 256 * 4 ||
		    strncasecmp(rq->tags[i]->key, "aws:", 4) == 0) {
			snprintf(msg, size, "tag '%.128s' is invalid", rq->tags[i]->key);
			return -EINVAL;
		}
	}
	return 0;
}

static const char *const resource_type_names[] = {
	[ECSAGENT__RESOURCE_TYPE__INTEGER] = "INTEGER",
	[ECSAGENT__RESOURCE_TYPE__LONG] = "LONG",
	[ECSAGENT__RESOURCE_TYPE__DOUBLE] = "DOUBLE",
	[ECSAGENT__RESOURCE_TYPE__STRINGSET] = "STRINGSET",
};

static int register_resources(const Ecsagent__RegisterRequest *rq, char **json, int64_t *cpu,
			      int64_t *memory, struct ecs_err *err)
{
	struct resource res[MAX_RESOURCES];
	for (size_t i = 0; i < rq->n_total_resources; i++) {
		const Ecsagent__Resource *x = rq->total_resources[i];
		unsigned t = (unsigned)x->type;
		res[i] = (struct resource){
			.name = x->name,
			.type = t < ARRAY_SIZE(resource_type_names) ? resource_type_names[t] : NULL,
			.double_value = x->double_value,
			.long_value = x->long_value,
			.integer_value = x->integer_value,
			.set = (const char *const *)x->string_set_value,
			.n_set = x->n_string_set_value,
		};
	}
	return resources_to_json(res, rq->n_total_resources, json, cpu, memory, err);
}

static char *version_info_json(const Ecsagent__VersionInfo *vi)
{
	if (!vi)
		return NULL;
	_cleanup_(json_writer_freep) struct json_writer *w = json_writer_new(false);
	if (!w)
		return NULL;
	json_w_object_begin(w);
	if (vi->agent_version[0]) {
		json_w_key(w, "agentVersion");
		json_w_string(w, vi->agent_version);
	}
	if (vi->agent_hash[0]) {
		json_w_key(w, "agentHash");
		json_w_string(w, vi->agent_hash);
	}
	/* ECS's VersionInfo names Docker; ours is the OCI runtime. */
	if (vi->runtime_name[0]) {
		char rt[600];
		snprintf(rt, sizeof(rt), "%.256s%s%.256s", vi->runtime_name,
			 vi->runtime_version[0] ? " " : "", vi->runtime_version);
		json_w_key(w, "dockerVersion");
		json_w_string(w, rt);
	}
	json_w_object_end(w);
	return json_writer_finish(w, NULL, NULL);
}

static void handle_register(struct agent_endpoint *ep, struct http_request *req,
			    const Ecsagent__RegisterRequest *rq)
{
	struct ecs_err err = { 0 };
	char msg[256];
	if (register_check(rq, msg, sizeof(msg)) < 0) {
		agent_fail(req, ECSAGENT__ERROR_CODE__BAD_REQUEST, "%s", msg);
		return;
	}

	/* The cluster by name or ARN; its name picks the join token. */
	const char *ref = rq->cluster[0] ? rq->cluster : "default";
	_cleanup_free_ char *cluster_arn = NULL;
	char name[256] = "";
	if (strncmp(ref, "arn:", 4) == 0) {
		struct arn a;
		if (arn_parse(ref, &a, NULL) == 0 && strcmp(a.resource_type, "cluster") == 0 &&
		    strlen(a.resource_id) < sizeof(name))
			snprintf(name, sizeof(name), "%s", a.resource_id);
		arn_clear(&a);
		cluster_arn = strdup(ref);
	} else if (strlen(ref) < sizeof(name)) {
		snprintf(name, sizeof(name), "%s", ref);
		cluster_arn = arn_build(ep->region, ep->account_id, "cluster", ref);
	}
	if (!cluster_arn || !name[0]) {
		agent_fail(req, ECSAGENT__ERROR_CODE__NOT_FOUND, "Cluster %.256s not found", ref);
		return;
	}
	const char *expected = join_token_for(ep, name);
	if (!expected || !agent_token_equal(rq->join_token, expected)) {
		log_info("Agent registration from %s for cluster %s refused: %s",
			 http_request_peer(req), name, expected ? "wrong join token" :
			 "no join token is configured for this cluster");
		agent_fail(req, ECSAGENT__ERROR_CODE__FORBIDDEN, "Invalid join token");
		return;
	}
	struct store_cluster cl;
	int r = store_cluster_get(ep->store, cluster_arn, &cl, &err);
	if (r == 0 && strcmp(cl.status, "ACTIVE") != 0)
		r = -ENOENT;
	if (r == -ENOENT) {
		store_cluster_clear(&cl);
		agent_fail(req, ECSAGENT__ERROR_CODE__NOT_FOUND, "Cluster %.256s not found", ref);
		return;
	}
	if (r < 0) {
		server_error(req, "reading cluster", &err);
		return;
	}

	_cleanup_free_ char *resources = NULL, *version_info = version_info_json(rq->version_info);
	_cleanup_free_ char *new_arn = NULL;
	_cleanup_free_ struct store_kv *attrs = calloc(rq->n_attributes + 1, sizeof(*attrs));
	_cleanup_free_ struct store_kv *tags = calloc(rq->n_tags + 1, sizeof(*tags));
	int64_t cpu, memory;
	struct ecs_err rerr = { 0 };
	r = register_resources(rq, &resources, &cpu, &memory, &rerr);
	if (r < 0 && r != -ENOMEM) {
		store_cluster_clear(&cl);
		agent_fail(req, ECSAGENT__ERROR_CODE__BAD_REQUEST, "total_resources: %s",
			   err_msg(&rerr));
		return;
	}
	char id[33], path[512];
	id_random_hex(id, 16);
	snprintf(path, sizeof(path), "%s/%s", cl.name, id);
	new_arn = arn_build(ep->region, ep->account_id, "container-instance", path);
	if (r < 0 || !attrs || !tags || !new_arn || (rq->version_info && !version_info)) {
		store_cluster_clear(&cl);
		agent_fail(req, ECSAGENT__ERROR_CODE__UNAVAILABLE, "Out of memory");
		return;
	}
	size_t n_attrs = 0;
	bool os_type = false;
	for (size_t i = 0; i < rq->n_attributes; i++) {
		attrs[n_attrs++] = (struct store_kv){ rq->attributes[i]->name,
						      rq->attributes[i]->value[0]
							      ? rq->attributes[i]->value : NULL };
		os_type |= strcmp(rq->attributes[i]->name, "ecs.os-type") == 0;
	}
	/* attrs has room for one more: ECS always shows the OS type. */
	if (!os_type)
		attrs[n_attrs++] = (struct store_kv){ (char *)"ecs.os-type", (char *)"linux" };
	for (size_t i = 0; i < rq->n_tags; i++)
		tags[i] = (struct store_kv){ rq->tags[i]->key, rq->tags[i]->value };

	char token[AGENT_TOKEN_LEN + 1], hash[AGENT_TOKEN_HASH_LEN + 1];
	agent_token_new(token);
	if (agent_token_hash(token, hash) < 0) {
		store_cluster_clear(&cl);
		agent_fail(req, ECSAGENT__ERROR_CODE__INTERNAL, "Server error");
		return;
	}
	int64_t now = agent_now_ms();
	struct store_instance_reg reg = {
		.cluster_id = cl.id,
		.new_arn = new_arn,
		.previous_arn = rq->previous_container_instance_arn[0]
					? rq->previous_container_instance_arn : NULL,
		.identity = rq->instance_identity,
		.hostname = rq->hostname,
		.cpu = cpu,
		.memory = memory,
		.resources = resources,
		.version_info = version_info,
		.attributes = attrs,
		.n_attributes = n_attrs,
		.token_hash = hash,
		.now_ms = now,
	};
	int64_t iid;
	bool created;
	struct store_instance in = { 0 };
	r = store_begin(ep->store, &err);
	if (r >= 0)
		r = store_instance_register(ep->store, &reg, &iid, &created, &err);
	if (r >= 0)
		r = store_instance_get_by_id(ep->store, iid, &in, &err);
	if (r >= 0)
		r = store_tags_put(ep->store, in.arn, tags, rq->n_tags, &err);
	if (r >= 0) {
		/* A fresh registration counts as contact. */
		in.agent_connected = false;
		r = agent_touch(ep, &in, now, &err);
	}
	if (r >= 0)
		r = store_commit(ep->store, &err);
	store_rollback(ep->store);
	if (r == -ENOENT) {
		agent_fail(req, ECSAGENT__ERROR_CODE__NOT_FOUND,
			   "Container instance %.256s is not in cluster %.256s",
			   rq->previous_container_instance_arn, cl.name);
	} else if (r == -ESTALE) {
		agent_fail(req, ECSAGENT__ERROR_CODE__INSTANCE_INACTIVE,
			   "Container instance %.256s was deregistered",
			   rq->previous_container_instance_arn);
	} else if (r < 0) {
		server_error(req, "registering container instance", &err);
	} else {
		log_info("Container instance %s %s (%s)", in.arn,
			 created ? "registered" : "registered again", http_request_peer(req));
		Ecsagent__RegisterResponse resp = ECSAGENT__REGISTER_RESPONSE__INIT;
		resp.container_instance_arn = in.arn;
		resp.cluster_arn = cl.arn;
		resp.instance_token = token;
		resp.poll_timeout_seconds = (uint32_t)(ep->poll_timeout_usec / 1000000);
		resp.telemetry_interval_seconds = (uint32_t)(ep->telemetry_interval_usec / 1000000);
		agent_reply(req, &resp.base);
	}
	explicit_bzero(token, sizeof(token));
	store_instance_clear(&in);
	store_cluster_clear(&cl);
}

/* ---- state changes ---- */

static void handle_state(struct agent_endpoint *ep, struct http_request *req,
			 const Ecsagent__StateChangeRequest *rq, struct store_instance *in)
{
	struct ecs_err err = { 0 };
	for (size_t i = 0; i < rq->n_tasks; i++) {
		const Ecsagent__TaskStateChange *t = rq->tasks[i];
		if (!t->task_arn[0] || t->sequence == 0) {
			agent_fail(req, ECSAGENT__ERROR_CODE__BAD_REQUEST,
				   "tasks[%zu]: task_arn and a sequence >= 1 are required", i);
			return;
		}
	}
	_cleanup_free_ Ecsagent__TaskAck *acks = calloc(rq->n_tasks + 1, sizeof(*acks));
	_cleanup_free_ Ecsagent__TaskAck **ackp = calloc(rq->n_tasks + 1, sizeof(*ackp));
	if (!acks || !ackp) {
		agent_fail(req, ECSAGENT__ERROR_CODE__UNAVAILABLE, "Out of memory");
		return;
	}
	int64_t now = agent_now_ms();
	bool any_stopped = false;
	int r = store_begin(ep->store, &err);
	for (size_t i = 0; i < rq->n_tasks && r >= 0; i++) {
		uint64_t acked;
		bool stopped;
		r = store_agent_apply(ep->store, in->id, rq->tasks[i], now, &acked, &stopped, &err);
		acks[i] = (Ecsagent__TaskAck)ECSAGENT__TASK_ACK__INIT;
		acks[i].task_arn = rq->tasks[i]->task_arn;
		acks[i].sequence = acked;
		ackp[i] = &acks[i];
		any_stopped |= stopped;
	}
	/* A stopped task leaves the instance's desired list. */
	if (r >= 0 && any_stopped)
		r = store_instance_bump_desired(ep->store, in->id, now, &err);
	if (r >= 0)
		r = agent_touch(ep, in, now, &err);
	if (r >= 0)
		r = store_commit(ep->store, &err);
	store_rollback(ep->store);
	if (r < 0) {
		server_error(req, "applying state changes", &err);
		return;
	}
	if (any_stopped)
		api_instance_changed(ep->api, in->id);
	Ecsagent__StateChangeResponse resp = ECSAGENT__STATE_CHANGE_RESPONSE__INIT;
	resp.n_acks = rq->n_tasks;
	resp.acks = ackp;
	agent_reply(req, &resp.base);
}

/* ---- telemetry ---- */

static bool cpu_ok(const Ecsagent__CpuStats *c)
{
	return !c || (isfinite(c->utilization_percent) && c->utilization_percent >= 0);
}

static int telemetry_check(const Ecsagent__TelemetryRequest *rq, char *msg, size_t size)
{
	const Ecsagent__InstanceHealth *h = rq->instance_health;
	if (h && h->timestamp_ms < 0) {
		snprintf(msg, size, "instance_health.timestamp_ms is negative");
		return -EINVAL;
	}
	for (size_t i = 0; i < rq->n_tasks; i++) {
		const Ecsagent__TaskStats *t = rq->tasks[i];
		bool ok = t->task_arn[0] && t->timestamp_ms >= 0 && cpu_ok(t->cpu);
		for (size_t j = 0; ok && j < t->n_containers; j++)
			ok = t->containers[j]->timestamp_ms >= 0 && cpu_ok(t->containers[j]->cpu);
		if (!ok) {
			snprintf(msg, size,
				 "tasks[%zu]: a task ARN, timestamps >= 0 and utilization >= 0 are required",
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

static void handle_telemetry(struct agent_endpoint *ep, struct http_request *req,
			     const Ecsagent__TelemetryRequest *rq, struct store_instance *in)
{
	struct ecs_err err = { 0 };
	char msg[256];
	if (telemetry_check(rq, msg, sizeof(msg)) < 0) {
		agent_fail(req, ECSAGENT__ERROR_CODE__BAD_REQUEST, "%s", msg);
		return;
	}
	int64_t now = agent_now_ms();
	int r = store_begin(ep->store, &err);
	if (r >= 0)
		r = store_agent_telemetry(ep->store, in->id, rq->instance_health, rq->n_tasks, now,
					  &err);
	if (r >= 0)
		r = agent_touch(ep, in, now, &err);
	if (r >= 0)
		r = store_commit(ep->store, &err);
	store_rollback(ep->store);
	if (r < 0) {
		server_error(req, "storing telemetry", &err);
		return;
	}
	Ecsagent__TelemetryResponse resp = ECSAGENT__TELEMETRY_RESPONSE__INIT;
	agent_reply(req, &resp.base);
}

/* ---- routing ---- */

size_t agent_endpoint_max_body(void)
{
	return WIRE_MAX_TELEMETRY_REQUEST;
}

void agent_endpoint_handle(void *userdata, struct http_request *req)
{
	struct agent_endpoint *ep = userdata;
	static const struct {
		const char *path;
		enum wire_msg type;
	} rpcs[] = {
		{ WIRE_PATH_REGISTER, WIRE_REGISTER_REQUEST },
		{ WIRE_PATH_POLL, WIRE_POLL_REQUEST },
		{ WIRE_PATH_STATE, WIRE_STATE_REQUEST },
		{ WIRE_PATH_TELEMETRY, WIRE_TELEMETRY_REQUEST },
	};
	size_t k = 0;
	while (k < ARRAY_SIZE(rpcs) && strcmp(rpcs[k].path, http_request_path(req)) != 0)
		k++;
	if (k == ARRAY_SIZE(rpcs)) {
		agent_fail(req, ECSAGENT__ERROR_CODE__NOT_FOUND, "No such agent endpoint");
		return;
	}
	if (strcmp(http_request_method(req), "POST") != 0) {
		size_t len;
		_cleanup_free_ uint8_t *body = wire_encode_error(
			ECSAGENT__ERROR_CODE__BAD_REQUEST, "Only POST is defined", 0, &len, NULL);
		const struct http_pair allow[] = { { "Allow", "POST" } };
		http_respond(req, 405, WIRE_CONTENT_TYPE, body ? body : (uint8_t *)"",
			     body ? len : 0, allow, 1);
		return;
	}
	enum wire_msg type = rpcs[k].type;
	size_t len;
	const void *body = http_request_body(req, &len);
	if (http_request_body_too_large(req) || len > wire_msg_max_size(type)) {
		agent_fail(req, ECSAGENT__ERROR_CODE__TOO_LARGE, "%s over %zu bytes",
			   wire_msg_name(type), wire_msg_max_size(type));
		return;
	}
	if (!content_type_ok(http_request_header(req, "Content-Type"))) {
		agent_fail(req, ECSAGENT__ERROR_CODE__BAD_REQUEST,
			   "Content-Type must be " WIRE_CONTENT_TYPE);
		return;
	}
	const char *enc = http_request_header(req, "Content-Encoding");
	if (enc && strcasecmp(enc, "identity") != 0) {
		agent_fail(req, ECSAGENT__ERROR_CODE__BAD_REQUEST,
			   "Compressed bodies are not accepted (Content-Type stays " WIRE_CONTENT_TYPE ")");
		return;
	}

	struct ecs_err err = { 0 };
	_cleanup_wire_ ProtobufCMessage *msg = wire_decode(type, body, len, &err);
	if (!msg) {
		decode_failed(req, type, &err);
		return;
	}
	if (type == WIRE_REGISTER_REQUEST) {
		handle_register(ep, req, (const Ecsagent__RegisterRequest *)msg);
		return;
	}

	const char *arn = type == WIRE_POLL_REQUEST
				  ? ((Ecsagent__PollRequest *)msg)->container_instance_arn
			  : type == WIRE_STATE_REQUEST
				  ? ((Ecsagent__StateChangeRequest *)msg)->container_instance_arn
				  : ((Ecsagent__TelemetryRequest *)msg)->container_instance_arn;
	struct store_instance in;
	if (authenticate(ep, req, arn, &in) < 0)
		return;
	if (type == WIRE_POLL_REQUEST) {
		agent_poll(ep, req, (const Ecsagent__PollRequest *)msg, &in);
		return;
	}
	if (strcmp(in.status, "INACTIVE") == 0)
		agent_fail(req, ECSAGENT__ERROR_CODE__INSTANCE_INACTIVE,
			   "Container instance %.256s was deregistered", in.arn);
	else if (type == WIRE_STATE_REQUEST)
		handle_state(ep, req, (const Ecsagent__StateChangeRequest *)msg, &in);
	else
		handle_telemetry(ep, req, (const Ecsagent__TelemetryRequest *)msg, &in);
	store_instance_clear(&in);
}

/* ---- lifetime ---- */

struct agent_endpoint *agent_endpoint_new(sd_event *event, struct api *api, struct store *store,
					  const struct agent_settings *s, struct ecs_err *err)
{
	_cleanup_(agent_endpoint_freep) struct agent_endpoint *ep = calloc(1, sizeof(*ep));
	if (!ep)
		goto oom;
	ep->event = sd_event_ref(event);
	ep->api = api;
	ep->store = store;
	if (!(ep->region = strdup(s->region)) || !(ep->account_id = strdup(s->account_id)) ||
	    (s->join_token && !(ep->join_token = strdup(s->join_token))))
		goto oom;
	if (s->n_cluster_tokens &&
	    !(ep->cluster_tokens = calloc(s->n_cluster_tokens, sizeof(*ep->cluster_tokens))))
		goto oom;
	for (size_t i = 0; i < s->n_cluster_tokens; i++) {
		struct agent_cluster_token *t = &ep->cluster_tokens[ep->n_cluster_tokens++];
		if (!(t->cluster = strdup(s->cluster_tokens[i].cluster)) ||
		    !(t->token = strdup(s->cluster_tokens[i].token)))
			goto oom;
	}
	ep->poll_timeout_usec = s->poll_timeout_usec < 1000000 ? 1000000 : s->poll_timeout_usec;
	ep->telemetry_interval_usec = s->telemetry_interval_usec;
	ep->disconnect_timeout_usec = s->disconnect_timeout_usec;
	ep->lost_timeout_usec = s->lost_timeout_usec;
	int64_t touch = (int64_t)(s->disconnect_timeout_usec / 4000);
	ep->touch_interval_ms = touch > 5000 ? 5000 : touch;

	int r = agent_poll_init(ep);
	if (r >= 0)
		r = agent_liveness_init(ep);
	if (r < 0) {
		err_set_errno(err, r, "adding the agent endpoint to the event loop");
		return NULL;
	}
	api_set_instance_listener(api, agent_poll_changed, ep);
	return TAKE_PTR(ep);
oom:
	err_set(err, ENOMEM, "out of memory");
	return NULL;
}

void agent_endpoint_free(struct agent_endpoint *ep)
{
	if (!ep)
		return;
	if (ep->api)
		api_set_instance_listener(ep->api, NULL, NULL);
	agent_poll_release(ep);
	sd_event_source_disable_unref(ep->wake);
	sd_event_source_disable_unref(ep->liveness);
	sd_event_unref(ep->event);
	free(ep->region);
	free(ep->account_id);
	if (ep->join_token)
		explicit_bzero(ep->join_token, strlen(ep->join_token));
	free(ep->join_token);
	for (size_t i = 0; i < ep->n_cluster_tokens; i++) {
		free((char *)ep->cluster_tokens[i].cluster);
		free((char *)ep->cluster_tokens[i].token);
	}
	free(ep->cluster_tokens);
	free(ep);
}
