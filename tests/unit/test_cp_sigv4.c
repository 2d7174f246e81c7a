/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV4 verification against requests signed by botocore's SigV4Auth
 * (python3-botocore 1.29, service "ecs", region us-east-1, clock fixed at
 * 2024-01-02T03:04:05Z), plus every way a request can be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sigv4.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SIGNED_AT 1704164645 /* 2024-01-02T03:04:05Z */

#define BODY1 "{\"clusterName\": \"demo\"}"
#define AUTH1                                                                              \
	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/ecs/aws4_request, "   \
	"SignedHeaders=content-type;host;x-amz-date;x-amz-target, "                       \
	"Signature=fcd4c0cb55206770980cfb4e02f17ca38b3ef2905fbf3625af2db056bb5c9a8b"

/* POST http://127.0.0.1:8080/some%20path/x?b=2&a=1&a=0&c=%2Fd, empty body. */
#define AUTH2                                                                              \
	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/ecs/aws4_request, "   \
	"SignedHeaders=content-type;host;x-amz-date;x-custom, "                           \
	"Signature=a9f9c87670b3fb522380b34a7a1dc8dcef235a96a36cd123e50077ac09e40ac2"

static const char *lookup(void *userdata, const char *akid)
{
	(void)userdata;
	return strcmp(akid, AKID) == 0 ? SECRET : NULL;
}

struct fixture {
	struct sigv4_pair headers[8];
	size_t n_headers;
	struct sigv4_request req;
	struct sigv4_verifier v;
};

static void request1(struct fixture *f, const char *auth)
{
	memset(f, 0, sizeof(*f));
	const struct sigv4_pair h[] = {
		{ "Host", "127.0.0.1:8080" },
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-Amz-Target", "AmazonEC2ContainerServiceV20141113.CreateCluster" },
		{ "X-Amz-Date", "20240102T030405Z" },
		{ "Authorization", auth },
	};
	memcpy(f->headers, h, sizeof(h));
	f->n_headers = 5;
	f->req = (struct sigv4_request){
		.method = "POST",
		.path = "/",
		.headers = f->headers,
		.n_headers = f->n_headers,
		.body = BODY1,
		.body_len = strlen(BODY1),
	};
	f->v = (struct sigv4_verifier){
		.region = "us-east-1",
		.service = "ecs",
		.now = SIGNED_AT,
		.max_skew = 900,
		.secret = lookup,
	};
}

static enum sigv4_status verify(struct fixture *f, struct ecs_err *err)
{
	f->req.n_headers = f->n_headers;
	return sigv4_verify(&f->v, &f->req, err);
}

static void test_botocore_vector(void **state)
{
	(void)state;
	struct fixture f;
	struct ecs_err err = { 0 };
	request1(&f, AUTH1);
	assert_int_equal(verify(&f, &err), SIGV4_OK);

	/* Header names are case-insensitive, extra unsigned headers are ignored. */
	f.headers[0].name = "host";
	f.headers[f.n_headers++] = (struct sigv4_pair){ "User-Agent", "whatever" };
	assert_int_equal(verify(&f, &err), SIGV4_OK);

	/* A correct x-amz-content-sha256 (the body's hash) is accepted. */
	f.headers[f.n_headers++] = (struct sigv4_pair){
		"X-Amz-Content-SHA256",
		"ba070dea05b7e0adef5ee14a7423fd5855f3f8ed87ccb34d5a913af2ef9cf039",
	};
	assert_int_equal(verify(&f, &err), SIGV4_OK);
}

static void test_path_and_query_encoding(void **state)
{
	(void)state;
	const struct sigv4_pair h[] = {
		{ "Host", "127.0.0.1:8080" },
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-Custom", "  a   b  " },
		{ "X-Amz-Date", "20240102T030405Z" },
		{ "Authorization", AUTH2 },
	};
	const struct sigv4_pair q[] = { { "b", "2" }, { "a", "1" }, { "a", "0" }, { "c", "/d" } };
	struct sigv4_request req = {
		.method = "POST",
		.path = "/some path/x",
		.query = q,
		.n_query = 4,
		.headers = h,
		.n_headers = 5,
		.body = "",
		.body_len = 0,
	};
	struct sigv4_verifier v = {
		.region = "us-east-1", .service = "ecs", .now = SIGNED_AT, .max_skew = 900,
		.secret = lookup,
	};
	struct ecs_err err = { 0 };
	assert_int_equal(sigv4_verify(&v, &req, &err), SIGV4_OK);

	const struct sigv4_pair q2[] = { { "b", "2" }, { "a", "1" }, { "c", "/d" } };
	req.query = q2;
	req.n_query = 3;
	assert_int_equal(sigv4_verify(&v, &req, &err), SIGV4_BAD_SIGNATURE);
}

static void test_tampering(void **state)
{
	(void)state;
	struct fixture f;
	struct ecs_err err = { 0 };

	request1(&f, AUTH1);
	f.req.body = "{\"clusterName\": \"other\"}";
	f.req.body_len = strlen(f.req.body);
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);

	request1(&f, AUTH1);
	f.headers[2].value = "AmazonEC2ContainerServiceV20141113.DeleteCluster";
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);

	request1(&f, AUTH1);
	f.req.method = "PUT";
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);

	request1(&f, AUTH1);
	f.headers[0].value = "evil.example:8080";
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);

	/* Wrong secret: same request, different key material. */
	request1(&f,
		 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/ecs/aws4_request, "
		 "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
		 "Signature=0000c0cb55206770980cfb4e02f17ca38b3ef2905fbf3625af2db056bb5c9a8b");
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);
	assert_non_null(strstr(err.msg, "signature we calculated"));

	/* A payload hash header that does not match the body. */
	request1(&f, AUTH1);
	f.headers[f.n_headers++] = (struct sigv4_pair){
		"X-Amz-Content-SHA256",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	};
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);
	assert_non_null(strstr(err.msg, "x-amz-content-sha256"));
}

static void test_missing_and_malformed(void **state)
{
	(void)state;
	struct fixture f;
	struct ecs_err err = { 0 };

	request1(&f, AUTH1);
	f.n_headers = 4; /* drop Authorization */
	assert_int_equal(verify(&f, &err), SIGV4_MISSING);
	assert_string_equal(sigv4_status_exception(SIGV4_MISSING),
			    "MissingAuthenticationTokenException");
	assert_int_equal(sigv4_status_http(SIGV4_MISSING), 403);

	const char *bad[] = {
		"AWS4-HMAC-SHA1 Credential=AKIDEXAMPLE/20240102/us-east-1/ecs/aws4_request, "
		"SignedHeaders=host;x-amz-date, Signature=00",
		"AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=00",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/ecs/aws4_request",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1, "
		"SignedHeaders=host;x-amz-date, Signature=00",
		"AWS4-HMAC-SHA256 Credential=/20240102/us-east-1/ecs/aws4_request, "
		"SignedHeaders=host;x-amz-date, Signature=00",
		/* host must be signed */
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/ecs/aws4_request, "
		"SignedHeaders=content-type;x-amz-date, Signature=00",
		"",
		"AWS4-HMAC-SHA256",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request1(&f, bad[i]);
		assert_int_equal(verify(&f, &err), SIGV4_INCOMPLETE);
	}
	assert_string_equal(sigv4_status_exception(SIGV4_INCOMPLETE),
			    "IncompleteSignatureException");

	/* No X-Amz-Date header at all. */
	request1(&f, AUTH1);
	f.headers[3] = f.headers[4];
	f.n_headers = 4;
	assert_int_equal(verify(&f, &err), SIGV4_INCOMPLETE);

	/* An X-Amz-Date that is not a date. */
	request1(&f, AUTH1);
	f.headers[3].value = "2024-01-02T03:04:05Z";
	assert_int_equal(verify(&f, &err), SIGV4_INCOMPLETE);

	/* A signed header missing from the request. */
	request1(&f,
		 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/ecs/aws4_request, "
		 "SignedHeaders=host;x-amz-date;x-not-there, Signature=00");
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);
}

static void test_unknown_key(void **state)
{
	(void)state;
	struct fixture f;
	struct ecs_err err = { 0 };
	request1(&f,
		 "AWS4-HMAC-SHA256 Credential=AKIDOTHER/20240102/us-east-1/ecs/aws4_request, "
		 "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
		 "Signature=fcd4c0cb55206770980cfb4e02f17ca38b3ef2905fbf3625af2db056bb5c9a8b");
	assert_int_equal(verify(&f, &err), SIGV4_UNKNOWN_KEY);
	assert_string_equal(sigv4_status_exception(SIGV4_UNKNOWN_KEY), "UnrecognizedClientException");
	assert_int_equal(sigv4_status_http(SIGV4_UNKNOWN_KEY), 400);
}

static void test_scope(void **state)
{
	(void)state;
	struct fixture f;
	struct ecs_err err = { 0 };

	request1(&f, AUTH1);
	f.v.region = "eu-west-1";
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);
	assert_non_null(strstr(err.msg, "region"));

	request1(&f, AUTH1);
	f.v.service = "sqs";
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);
	assert_non_null(strstr(err.msg, "service"));

	request1(&f,
		 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240103/us-east-1/ecs/aws4_request, "
		 "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00");
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);
	assert_non_null(strstr(err.msg, "Date in Credential scope"));

	request1(&f,
		 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/ecs/aws5_request, "
		 "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00");
	assert_int_equal(verify(&f, &err), SIGV4_BAD_SIGNATURE);
}

static void test_clock_skew(void **state)
{
	(void)state;
	struct fixture f;
	struct ecs_err err = { 0 };

	/* Exactly at the edges of the 15 minute window: still fine. */
	request1(&f, AUTH1);
	f.v.now = SIGNED_AT + 900;
	assert_int_equal(verify(&f, &err), SIGV4_OK);
	f.v.now = SIGNED_AT - 900;
	assert_int_equal(verify(&f, &err), SIGV4_OK);

	f.v.now = SIGNED_AT + 901;
	assert_int_equal(verify(&f, &err), SIGV4_EXPIRED);
	assert_non_null(strstr(err.msg, "Signature expired: 20240102T030405Z is now earlier than"));
	f.v.now = SIGNED_AT - 901;
	assert_int_equal(verify(&f, &err), SIGV4_EXPIRED);
	assert_non_null(strstr(err.msg, "Signature not yet current"));
	assert_string_equal(sigv4_status_exception(SIGV4_EXPIRED), "InvalidSignatureException");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_botocore_vector),
		cmocka_unit_test(test_path_and_query_encoding),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_missing_and_malformed),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_clock_skew),
	};
	return cmocka_run_group_tests_name("cp_sigv4", tests, NULL, NULL);
}
