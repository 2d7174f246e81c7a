/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconf.h"

#include "ecs-endpoint.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "cleanup.h"
#include "credentials.h"
#include "ids.h"
#include "log.h"
#include "sigv4.h"

#define CONTENT_TYPE "application/x-amz-json-1.1"

static void send_reply(struct http_request *req, const char *request_id,
		       const struct api_reply *reply, const char *operation)
{
	const struct http_pair headers[] = {
		{ "x-amzn-RequestId", request_id },
	};
	if (reply->internal)
		log_error("Request %s (%s) failed: %s", request_id, operation, reply->internal);
	else if (reply->error_type)
		log_debug("Request %s %s from %s: %d %s", request_id, operation,
			  http_request_peer(req), reply->status, reply->error_type);
	else
		log_debug("Request %s %s from %s: %d", request_id, operation,
			  http_request_peer(req), reply->status);
	if (http_respond(req, reply->status, CONTENT_TYPE, reply->body, reply->len, headers,
			 ARRAY_SIZE(headers)) < 0)
		log_error("Request %s: cannot build the HTTP reply", request_id);
}

static void send_error(struct http_request *req, const char *request_id, int status,
		       const char *type, const char *message, const char *operation)
{
	struct api_reply reply = { 0 };
	if (api_reply_error(&reply, status, type, "%s", message) < 0) {
		http_respond(req, 500, NULL, "", 0, NULL, 0);
		return;
	}
	send_reply(req, request_id, &reply, operation);
	api_reply_clear(&reply);
}

static bool authenticate(struct ecs_endpoint *ep, struct http_request *req,
			 const char *request_id, const char *service)
{
	const struct http_pair *headers, *query;
	size_t n_headers, n_query, body_len;
	if (http_request_headers(req, &headers, &n_headers) < 0 ||
	    http_request_query(req, &query, &n_query) < 0) {
		send_error(req, request_id, 500, "ServerException", "Server error.", "auth");
		return false;
	}
	const void *body = http_request_body(req, &body_len);

	/* Copied so that neither http nor sigv4 depends on the other. */
	_cleanup_free_ struct sigv4_pair *hbuf = calloc(n_headers + 1, sizeof(*hbuf));
	_cleanup_free_ struct sigv4_pair *qbuf = calloc(n_query + 1, sizeof(*qbuf));
	if (!hbuf || !qbuf) {
		send_error(req, request_id, 500, "ServerException", "Server error.", "auth");
		return false;
	}
	for (size_t i = 0; i < n_headers; i++)
		hbuf[i] = (struct sigv4_pair){ headers[i].name, headers[i].value };
	for (size_t i = 0; i < n_query; i++)
		qbuf[i] = (struct sigv4_pair){ query[i].name, query[i].value };

	struct sigv4_request sreq = {
		.method = http_request_method(req),
		.path = http_request_path(req),
		.query = qbuf,
		.n_query = n_query,
		.headers = hbuf,
		.n_headers = n_headers,
		.body = body,
		.body_len = body_len,
	};
	struct sigv4_verifier v = {
		.region = ep->region,
		.service = service,
		.now = (int64_t)time(NULL),
		.max_skew = ECS_MAX_SKEW_SECONDS,
		.secret = credentials_secret,
		.userdata = ep->credentials,
	};
	struct ecs_err err = { 0 };
	enum sigv4_status st = sigv4_verify(&v, &sreq, &err);
	if (st == SIGV4_OK)
		return true;
	log_info("Request %s from %s refused: %s: %s", request_id, http_request_peer(req),
		 sigv4_status_exception(st), err_msg(&err));
	send_error(req, request_id, sigv4_status_http(st), sigv4_status_exception(st),
		   err_msg(&err), "auth");
	return false;
}

/* application/x-amz-json-1.1 (what the SDKs send) or application/json, with
 * or without parameters such as "; charset=utf-8". */
static bool content_type_ok(const char *ct)
{
	static const char *const accepted[] = { CONTENT_TYPE, "application/json" };
	if (!ct)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++) {
		size_t n = strlen(accepted[i]);
		if (strncasecmp(ct, accepted[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';' ||
							     ct[n] == ' '))
			return true;
	}
	return false;
}

void ecs_endpoint_handle(void *userdata, struct http_request *req)
{
	struct ecs_endpoint *ep = userdata;
	char request_id[ID_UUID_LEN + 1];
	id_uuid4(request_id);

	if (http_request_body_too_large(req)) {
		char msg[128];
		snprintf(msg, sizeof(msg), "Request body exceeds the limit of %zu bytes",
			 ep->max_body);
		send_error(req, request_id, 413, "RequestEntityTooLargeException", msg, "-");
		return;
	}
	if (strcmp(http_request_method(req), "POST") != 0) {
		send_error(req, request_id, 405, "UnknownOperationException",
			   "The ECS API is served by POST /", "-");
		return;
	}
	/* The target picks the service, and so the credential scope the
	 * signature must carry. */
	const char *target = http_request_header(req, "X-Amz-Target");
	size_t slen = strlen(SECRETS_TARGET_PREFIX);
	bool secrets = target && strncmp(target, SECRETS_TARGET_PREFIX, slen) == 0;
	if (ep->credentials &&
	    !authenticate(ep, req, request_id, secrets ? "secretsmanager" : "ecs"))
		return;

	if (!content_type_ok(http_request_header(req, "Content-Type"))) {
		send_error(req, request_id, 400, "UnknownOperationException",
			   "Content-Type must be " CONTENT_TYPE, "-");
		return;
	}
	size_t plen = strlen(ECS_TARGET_PREFIX);
	if (!secrets && (!target || strncmp(target, ECS_TARGET_PREFIX, plen) != 0)) {
		send_error(req, request_id, 400, "UnknownOperationException",
			   "X-Amz-Target must be " ECS_TARGET_PREFIX "<Operation>", "-");
		return;
	}
	const char *operation = target + (secrets ? slen : plen);

	size_t len;
	const char *body = http_request_body(req, &len);
	struct api_reply reply;
	int r = secrets ? api_handle_secrets(ep->api, operation, body, len, &reply)
			: api_handle(ep->api, operation, body, len, &reply);
	if (r < 0) {
		api_reply_clear(&reply);
		send_error(req, request_id, 500, "ServerException", "Server error.", operation);
		return;
	}
	send_reply(req, request_id, &reply, operation);
	api_reply_clear(&reply);
}

void ecs_endpoint_not_found(void *userdata, struct http_request *req)
{
	(void)userdata;
	char request_id[ID_UUID_LEN + 1];
	id_uuid4(request_id);
	send_error(req, request_id, 404, "UnknownOperationException",
		   "No such endpoint: the ECS API is served by POST /", "-");
}
