/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent/image pulls, the parts that need no registry: choosing the host's
 * manifest from an OCI index or a Docker manifest list, which failures are
 * retried, the registry's error text, the helper's request and its answer.
 * tests/integration/test_image_pull.py runs pulls against a real registry.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "image/image-internal.h"
#include "image/image.h"
#include "image/pull.h"
#include "image/registry.h"
#include "json.h"

#if defined(__x86_64__)
#define HOST "amd64"
#define OTHER "arm64"
#elif defined(__aarch64__)
#define HOST "arm64"
#define OTHER "amd64"
#endif

#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

#ifdef HOST
static void parse_index(const char *json, struct oci_index *idx)
{
	struct ecs_err err = { 0 };
	int r = oci_index_parse(json, strlen(json), idx, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
}

static void test_pick_docker_manifest_list(void **state)
{
	(void)state;
	/* Docker Hub's shape: a manifest list with platform objects, an
	 * arm variant and an attestation entry without a usable platform. */
	const char *json =
		"{\"schemaVersion\":2,"
		"\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
		"\"manifests\":["
		"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":527,"
		"\"digest\":\"" D("1") "\",\"platform\":{\"architecture\":\"" OTHER "\",\"os\":\"linux\"}},"
		"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,"
		"\"digest\":\"" D("2") "\",\"platform\":{\"architecture\":\"" HOST "\",\"os\":\"windows\"}},"
		"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":529,"
		"\"digest\":\"" D("3") "\",\"platform\":{\"architecture\":\"" HOST "\",\"os\":\"linux\"}},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":530,"
		"\"digest\":\"" D("4") "\",\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}"
		"]}";
	assert_int_equal(oci_document_kind(json, strlen(json)), OCI_INDEX);
	struct oci_index idx;
	parse_index(json, &idx);
	size_t pick = 99;
	struct ecs_err err = { 0 };
	assert_int_equal(oci_index_pick_platform(&idx, "list", &pick, &err), 0);
	assert_int_equal(pick, 2);
	assert_string_equal(idx.manifests[pick].digest, D("3"));
	assert_int_equal(oci_media_kind(idx.manifests[pick].media_type), OCI_MANIFEST);
	oci_index_clear(&idx);
}

static void test_pick_errors(void **state)
{
	(void)state;
	struct oci_index idx;
	struct ecs_err err = { 0 };
	size_t pick;
	/* Only another architecture: named in the message. */
	parse_index("{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D("1") "\","
		    "\"platform\":{\"architecture\":\"" OTHER "\",\"os\":\"linux\"}}]}",
		    &idx);
	assert_int_equal(oci_index_pick_platform(&idx, "idx", &pick, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "linux/" OTHER));
	oci_index_clear(&idx);
	/* One entry without a platform: taken. */
	parse_index("{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D("1") "\"}]}", &idx);
	assert_int_equal(oci_index_pick_platform(&idx, "idx", &pick, &err), 0);
	assert_int_equal(pick, 0);
	oci_index_clear(&idx);
	/* Empty. */
	parse_index("{\"schemaVersion\":2,\"manifests\":[]}", &idx);
	assert_int_equal(oci_index_pick_platform(&idx, "idx", &pick, &err), -ENOENT);
	oci_index_clear(&idx);
	/* Two for this host: ambiguous. */
	parse_index("{\"schemaVersion\":2,\"manifests\":["
		    "{\"digest\":\"" D("1") "\",\"platform\":{\"architecture\":\"" HOST "\",\"os\":\"linux\"}},"
		    "{\"digest\":\"" D("2") "\",\"platform\":{\"architecture\":\"" HOST "\",\"os\":\"linux\"}}]}",
		    &idx);
	assert_int_equal(oci_index_pick_platform(&idx, "idx", &pick, &err), -EINVAL);
	oci_index_clear(&idx);
}
#endif

static void test_media_kinds(void **state)
{
	(void)state;
	assert_int_equal(oci_media_kind("application/vnd.docker.distribution.manifest.list.v2+json"),
			 OCI_INDEX);
	assert_int_equal(oci_media_kind("application/vnd.docker.distribution.manifest.v2+json"),
			 OCI_MANIFEST);
	assert_int_equal(oci_media_kind("application/vnd.docker.container.image.v1+json"), OCI_CONFIG);
	assert_int_equal(oci_media_kind("application/vnd.docker.image.rootfs.diff.tar.gzip"),
			 OCI_LAYER_GZIP);
	/* A document without mediaType: by its shape. */
	const char *m = "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}";
	assert_int_equal(oci_document_kind(m, strlen(m)), OCI_MANIFEST);
}

static void test_retryable(void **state)
{
	(void)state;
	/* Transport failures a registry or network recovers from. */
	assert_true(registry_retryable(CURLE_COULDNT_CONNECT, 0));
	assert_true(registry_retryable(CURLE_OPERATION_TIMEDOUT, 0));
	assert_true(registry_retryable(CURLE_RECV_ERROR, 0));
	assert_true(registry_retryable(CURLE_PARTIAL_FILE, 0));
	assert_true(registry_retryable(CURLE_GOT_NOTHING, 0));
	/* Ones that will not get better. */
	assert_false(registry_retryable(CURLE_PEER_FAILED_VERIFICATION, 0));
	assert_false(registry_retryable(CURLE_UNSUPPORTED_PROTOCOL, 0));
	assert_false(registry_retryable(CURLE_TOO_MANY_REDIRECTS, 0));
	/* Statuses. */
	assert_true(registry_retryable(CURLE_OK, 500));
	assert_true(registry_retryable(CURLE_OK, 503));
	assert_true(registry_retryable(CURLE_OK, 429));
	assert_true(registry_retryable(CURLE_OK, 408));
	assert_false(registry_retryable(CURLE_OK, 404));
	assert_false(registry_retryable(CURLE_OK, 401));
	assert_false(registry_retryable(CURLE_OK, 403));
	assert_false(registry_retryable(CURLE_OK, 400));
	assert_false(registry_retryable(CURLE_OK, 200));

	assert_int_equal(registry_status_errno(404), ENOENT);
	assert_int_equal(registry_status_errno(401), EACCES);
	assert_int_equal(registry_status_errno(503), EAGAIN);
}

static void test_retry_delay(void **state)
{
	(void)state;
	assert_int_equal(registry_retry_delay_ms(300, 0), 300);
	assert_int_equal(registry_retry_delay_ms(300, -1), 300);
	/* Retry-After wins when longer, up to the cap. */
	assert_int_equal(registry_retry_delay_ms(300, 2), 2000);
	assert_int_equal(registry_retry_delay_ms(300, 3600), REGISTRY_RETRY_AFTER_MAX_MS);
	assert_int_equal(registry_retry_delay_ms(20000, 1), 20000);
}

static void test_error_text(void **state)
{
	(void)state;
	char buf[256];
	const char *one = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
			  "\"detail\":{\"Tag\":\"nope\"}}]}";
	registry_error_text(404, one, strlen(one), buf, sizeof(buf));
	assert_string_equal(buf, "manifest unknown (MANIFEST_UNKNOWN)");
	const char *two = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"},"
			  "{\"code\":\"DENIED\"}]}";
	registry_error_text(401, two, strlen(two), buf, sizeof(buf));
	assert_string_equal(buf, "authentication required (UNAUTHORIZED); DENIED");
	registry_error_text(502, "<html>Bad gateway</html>", 24, buf, sizeof(buf));
	assert_string_equal(buf, "HTTP 502");
	registry_error_text(500, NULL, 0, buf, sizeof(buf));
	assert_string_equal(buf, "HTTP 500");
	/* A small buffer truncates but terminates. */
	char small[8];
	registry_error_text(404, one, strlen(one), small, sizeof(small));
	assert_int_equal(strlen(small), 7);
}

static int parse(const char *json, struct pull_request *rq, struct ecs_err *err)
{
	return pull_request_parse(json, strlen(json), rq, err);
}

static void test_request_full(void **state)
{
	(void)state;
	struct pull_request rq;
	struct ecs_err err = { 0 };
	const char *json =
		"{\"op\":\"resolve\",\"datadir\":\"/var/lib/ecs-agent\","
		"\"reference\":\"127.0.0.1:5000/app:1.2\",\"pullBehavior\":\"prefer-cached\","
		"\"insecureRegistries\":[\"127.0.0.1:5000\",\"reg:80\"],"
		"\"engineAuth\":{\"type\":\"docker\",\"data\":\"{}\"},"
		"\"credentials\":{\"username\":\"u\",\"password\":\"p\"},"
		"\"caFile\":\"/ca.pem\",\"timeoutMs\":7200000,\"inactivityTimeoutMs\":60000}";
	assert_int_equal(parse(json, &rq, &err), 0);
	assert_string_equal(rq.datadir, "/var/lib/ecs-agent");
	assert_string_equal(rq.reference, "127.0.0.1:5000/app:1.2");
	assert_int_equal(rq.behavior, PULL_PREFER_CACHED);
	assert_string_equal(rq.insecure[0], "127.0.0.1:5000");
	assert_string_equal(rq.insecure[1], "reg:80");
	assert_null(rq.insecure[2]);
	assert_string_equal(rq.auth_type, "docker");
	assert_string_equal(rq.auth_data, "{}");
	assert_string_equal(rq.username, "u");
	assert_string_equal(rq.password, "p");
	assert_string_equal(rq.ca_file, "/ca.pem");
	assert_int_equal(rq.timeout_ms, 7200000);
	assert_int_equal(rq.inactivity_ms, 60000);
	pull_request_clear(&rq);
}

static void test_request_defaults(void **state)
{
	(void)state;
	struct pull_request rq;
	assert_int_equal(parse("{\"datadir\":\"/d\",\"reference\":\"busybox\"}", &rq, NULL), 0);
	assert_int_equal(rq.behavior, PULL_DEFAULT);
	assert_non_null(rq.insecure);
	assert_null(rq.insecure[0]);
	assert_null(rq.username);
	assert_null(rq.auth_type);
	assert_int_equal(rq.timeout_ms, PULL_TIMEOUT_MS_DEFAULT);
	assert_int_equal(rq.inactivity_ms, PULL_INACTIVITY_MS_DEFAULT);
	pull_request_clear(&rq);

	enum pull_behavior b;
	assert_int_equal(pull_behavior_parse("once", &b), 0);
	assert_int_equal(b, PULL_ONCE);
	assert_int_equal(pull_behavior_parse("always", &b), 0);
	assert_int_equal(b, PULL_ALWAYS);
	assert_int_equal(pull_behavior_parse("Always", &b), -EINVAL);
}

static void test_request_refused(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		const char *msg;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{\"datadir\":\"/d\"}", "\"reference\" is missing" },
		{ "{\"reference\":\"x\"}", "datadir" },
		{ "{\"datadir\":\"rel\",\"reference\":\"x\"}", "absolute" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"pullBehavior\":\"sometimes\"}", "sometimes" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"op\":\"delete\"}", "unknown op" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"colour\":1}", "unknown member \"colour\"" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"engineAuth\":{\"kind\":1}}", "engineAuth.kind" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"credentials\":{\"username\":\"u\"}}",
		  "username and a password" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"credentials\":{\"username\":\"u\",\"password\":7}}",
		  "\"password\" is number" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"timeoutMs\":-1}", "timeoutMs" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"timeoutMs\":1.5}", "timeoutMs" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"insecureRegistries\":[1]}", "insecureRegistries" },
		{ "{\"datadir\":\"/d\",\"reference\":\"x\",\"reference\":\"y\"}", "duplicate" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pull_request rq;
		struct ecs_err err = { 0 };
		assert_int_equal(parse(bad[i].json, &rq, &err), -EINVAL);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].json, err.msg, bad[i].msg);
	}
	/* A refused password never shows in the message. */
	struct pull_request rq;
	struct ecs_err err = { 0 };
	assert_int_equal(parse("{\"datadir\":\"/d\",\"reference\":\"x\",\"credentials\":"
			       "{\"password\":\"s3cret\",\"user\":\"u\"}}",
			       &rq, &err),
			 -EINVAL);
	assert_null(strstr(err.msg, "s3cret"));
}

static void test_request_daemon_encoding(void **state)
{
	(void)state;
	/* What the daemon writes (image_request_to_json) is what the helper
	 * reads. */
	const char *insecure[] = { "127.0.0.1:5000" };
	struct image_request out = {
		.reference = "127.0.0.1:5000/app:1",
		.datadir = "/var/lib/ecs-agent",
		.pull_behavior = "once",
		.insecure_registries = insecure,
		.n_insecure_registries = 1,
		.auth_type = "dockercfg",
		.auth_data = "{}",
		.username = "u",
		.password = "p",
		.ca_file = "/ca.pem",
		.timeout_ms = 1000,
		.inactivity_timeout_ms = 2000,
	};
	struct ecs_err err = { 0 };
	_cleanup_free_ char *json = image_request_to_json(&out, &err);
	assert_non_null(json);
	struct pull_request rq;
	assert_int_equal(parse(json, &rq, &err), 0);
	assert_string_equal(rq.reference, out.reference);
	assert_int_equal(rq.behavior, PULL_ONCE);
	assert_string_equal(rq.insecure[0], "127.0.0.1:5000");
	assert_string_equal(rq.auth_type, "dockercfg");
	assert_string_equal(rq.password, "p");
	assert_int_equal(rq.timeout_ms, 1000);
	assert_int_equal(rq.inactivity_ms, 2000);
	pull_request_clear(&rq);
}

static void test_answer(void **state)
{
	(void)state;
	char *layers[] = { "/d/layers/sha256/aa", NULL };
	char *cmd[] = { "sh", NULL };
	struct image img = { .reference = "busybox", .digest = D("a"), .cmd = cmd,
			     .layer_dirs = layers, .n_layers = 1 };
	struct ecs_err err = { 0 };
	_cleanup_free_ char *text = pull_answer_json(&img, true, &err);
	assert_non_null(text);
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(text, strlen(text), &err);
	assert_non_null(doc);
	bool pulled = false;
	assert_true(json_bool(json_get(json_root(doc), "pulled"), &pulled));
	assert_true(pulled);
	/* The daemon's reader takes it as the image. */
	struct image back;
	assert_int_equal(image_from_json(text, strlen(text), &back, &err), 0);
	assert_string_equal(back.digest, D("a"));
	assert_string_equal(back.layer_dirs[0], "/d/layers/sha256/aa");
	image_clear(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef HOST
		cmocka_unit_test(test_pick_docker_manifest_list),
		cmocka_unit_test(test_pick_errors),
#endif
		cmocka_unit_test(test_media_kinds),
		cmocka_unit_test(test_retryable),
		cmocka_unit_test(test_retry_delay),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_request_full),
		cmocka_unit_test(test_request_defaults),
		cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_request_daemon_encoding),
		cmocka_unit_test(test_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
