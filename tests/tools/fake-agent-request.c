/* SPDX-License-Identifier: Apache-2.0 */
/* The test agent's protocol plumbing, shared by the one-shot commands and
 * the simulation: HTTP requests through libcurl, the RegisterRequest it
 * sends, and its JSON-lines output. */
#include "autoconf.h"

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
	size_t base = strlen(endpoint);
	while (base > 0 && endpoint[base - 1] == '/')
		base--;
	snprintf(url, sizeof(url), "%.*s%s", (int)base, endpoint, path);
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

