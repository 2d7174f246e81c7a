/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image references (agent/image/name.c) and registry authentication parsing
 * (agent/image/auth.c): Docker's normalisation, the error codes and the
 * messages, which must never carry a secret.
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

#include "image/auth.h"
#include "image/name.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- references ------------------------------------------------------- */

struct name_case {
	const char *ref;
	const char *registry, *repository, *tag, *digest;
	const char *canonical, *host, *manifest_ref;
};

static const struct name_case good_names[] = {
	{ "busybox", "docker.io", "library/busybox", "latest", NULL,
	  "docker.io/library/busybox:latest", "registry-1.docker.io", "latest" },
	{ "team/app:1", "docker.io", "team/app", "1", NULL, "docker.io/team/app:1",
	  "registry-1.docker.io", "1" },
	{ "127.0.0.1:5000/app", "127.0.0.1:5000", "app", "latest", NULL,
	  "127.0.0.1:5000/app:latest", "127.0.0.1:5000", "latest" },
	{ "localhost/app", "localhost", "app", "latest", NULL, "localhost/app:latest", "localhost",
	  "latest" },
	{ "localhost:5000/a/b:t", "localhost:5000", "a/b", "t", NULL, "localhost:5000/a/b:t",
	  "localhost:5000", "t" },
	{ "registry.example.com/a/b/c:v1.2", "registry.example.com", "a/b/c", "v1.2", NULL,
	  "registry.example.com/a/b/c:v1.2", "registry.example.com", "v1.2" },
	{ "busybox@sha256:" HEX64, "docker.io", "library/busybox", NULL, "sha256:" HEX64,
	  "docker.io/library/busybox@sha256:" HEX64, "registry-1.docker.io", "sha256:" HEX64 },
	{ "busybox:1.36@sha256:" HEX64, "docker.io", "library/busybox", "1.36", "sha256:" HEX64,
	  "docker.io/library/busybox@sha256:" HEX64, "registry-1.docker.io", "sha256:" HEX64 },
	{ "index.docker.io/x", "docker.io", "library/x", "latest", NULL,
	  "docker.io/library/x:latest", "registry-1.docker.io", "latest" },
	{ "registry-1.docker.io/x", "docker.io", "library/x", "latest", NULL,
	  "docker.io/library/x:latest", "registry-1.docker.io", "latest" },
	{ "docker.io/library/busybox:1", "docker.io", "library/busybox", "1", NULL,
	  "docker.io/library/busybox:1", "registry-1.docker.io", "1" },
	{ "docker.io/team/app", "docker.io", "team/app", "latest", NULL,
	  "docker.io/team/app:latest", "registry-1.docker.io", "latest" },
	{ "[::1]:5000/app", "[::1]:5000", "app", "latest", NULL, "[::1]:5000/app:latest",
	  "[::1]:5000", "latest" },
	{ "[fe80::1]/app:x", "[fe80::1]", "app", "x", NULL, "[fe80::1]/app:x", "[fe80::1]", "x" },
	/* Host names are case-insensitive; one spelling keys the cache. */
	{ "Registry.Example.COM:443/app", "registry.example.com:443", "app", "latest", NULL,
	  "registry.example.com:443/app:latest", "registry.example.com:443", "latest" },
	{ "INDEX.docker.io/x", "docker.io", "library/x", "latest", NULL,
	  "docker.io/library/x:latest", "registry-1.docker.io", "latest" },
	/* A first component without '.' or ':' is part of the repository. */
	{ "myhost/app", "docker.io", "myhost/app", "latest", NULL, "docker.io/myhost/app:latest",
	  "registry-1.docker.io", "latest" },
	/* Without a '/', "localhost:5000" is repository "localhost", tag "5000". */
	{ "localhost:5000", "docker.io", "library/localhost", "5000", NULL,
	  "docker.io/library/localhost:5000", "registry-1.docker.io", "5000" },
	{ "example.com", "docker.io", "library/example.com", "latest", NULL,
	  "docker.io/library/example.com:latest", "registry-1.docker.io", "latest" },
	{ "a__b-c---d/e_f.g:Tag_1.x-Y", "docker.io", "a__b-c---d/e_f.g", "Tag_1.x-Y", NULL,
	  "docker.io/a__b-c---d/e_f.g:Tag_1.x-Y", "registry-1.docker.io", "Tag_1.x-Y" },
	{ "my-reg.example:5000/x:_t", "my-reg.example:5000", "x", "_t", NULL,
	  "my-reg.example:5000/x:_t", "my-reg.example:5000", "_t" },
	{ "sha256:" HEX64, "docker.io", "library/sha256", HEX64, NULL,
	  "docker.io/library/sha256:" HEX64, "registry-1.docker.io", HEX64 },
};

static void test_name_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good_names); i++) {
		const struct name_case *c = &good_names[i];
		struct image_name n;
		struct ecs_err err;
		err_clear(&err);
		int r = image_name_parse(c->ref, &n, &err);
		if (r != 0)
			fail_msg("%s: %d %s", c->ref, r, err.msg);
		assert_string_equal(n.registry, c->registry);
		assert_string_equal(n.repository, c->repository);
		if (c->tag)
			assert_string_equal(n.tag, c->tag);
		else
			assert_null(n.tag);
		if (c->digest)
			assert_string_equal(n.digest, c->digest);
		else
			assert_null(n.digest);
		_cleanup_free_ char *canon = image_name_canonical(&n);
		assert_string_equal(canon, c->canonical);
		assert_string_equal(image_name_host(&n), c->host);
		assert_string_equal(image_name_manifest_ref(&n), c->manifest_ref);

		/* The canonical form is a fixed point. */
		struct image_name again;
		assert_int_equal(image_name_parse(canon, &again, NULL), 0);
		_cleanup_free_ char *canon2 = image_name_canonical(&again);
		assert_string_equal(canon2, canon);
		image_name_clear(&again);
		image_name_clear(&n);
		assert_null(n.registry);
	}
}

struct bad_name {
	const char *ref;
	int code;
	const char *msg; /* substring of the message */
};

static void test_name_bad(void **state)
{
	(void)state;
	char long_tag[200], long_name[300], max_name[300], over_name[300];
	snprintf(long_tag, sizeof(long_tag), "app:%0129d", 0);
	memset(long_name, 'a', 256);
	long_name[256] = '\0';
	/* 255 with "docker.io/library/" counted in, then one more. */
	size_t prefix = strlen("docker.io/library/");
	memset(max_name, 'a', 255 - prefix);
	max_name[255 - prefix] = '\0';
	memset(over_name, 'a', 256 - prefix);
	over_name[256 - prefix] = '\0';

	const struct bad_name cases[] = {
		{ "", -EINVAL, "empty reference" },
		{ NULL, -EINVAL, "empty reference" },
		{ "Busybox", -EINVAL, "repository name must be lowercase" },
		{ "team/App:1", -EINVAL, "repository name must be lowercase" },
		{ "example.com/Team/app", -EINVAL, "repository name must be lowercase" },
		{ "a//b", -EINVAL, "empty path component" },
		{ "example.com/", -EINVAL, "empty repository" },
		{ "a/b/", -EINVAL, "empty path component" },
		{ "/a", -EINVAL, "empty path component" },
		{ "busybox:", -EINVAL, "invalid tag" },
		{ "busybox@", -EINVAL, "invalid digest" },
		{ "busybox:@sha256:" HEX64, -EINVAL, "invalid tag" },
		{ ":tag", -EINVAL, "empty repository" },
		{ "@sha256:" HEX64, -EINVAL, "empty repository" },
		{ long_tag, -EINVAL, "invalid tag" },
		{ "app:.x", -EINVAL, "invalid tag" },
		{ "app:-x", -EINVAL, "invalid tag" },
		{ "app:a+b", -EINVAL, "invalid tag" },
		{ long_name, -EINVAL, "longer than 255" },
		{ over_name, -EINVAL, "longer than 255" },
		{ "busybox@sha512:" HEX64 HEX64, -ENOTSUP, "sha512" },
		{ "busybox@md5:0123", -ENOTSUP, "md5" },
		{ "busybox@sha256:" HEX64 "0", -EINVAL, "invalid digest" },
		{ "busybox@sha256:0123", -EINVAL, "invalid digest" },
		{ "busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		  -EINVAL, "invalid digest" },
		{ "busybox@sha256:" HEX64 "@sha256:" HEX64, -EINVAL, "invalid digest" },
		{ "busybox@1sha:" HEX64, -EINVAL, "invalid digest" },
		{ "busybox@:" HEX64, -EINVAL, "invalid digest" },
		{ "busybox@sha256", -EINVAL, "invalid digest" },
		{ "oci-layout:/x", -EINVAL, "OCI layout" },
		{ "oci-layout:/x:tag", -EINVAL, "OCI layout" },
		{ "host:port/app", -EINVAL, "invalid registry" },
		{ "host:/app", -EINVAL, "invalid registry" },
		{ "host:99999/app", -EINVAL, "invalid registry" },
		{ "host:0/app", -EINVAL, "invalid registry" },
		{ "-bad.example/app", -EINVAL, "invalid registry" },
		{ "bad-.example/app", -EINVAL, "invalid registry" },
		{ "a..b/app", -EINVAL, "invalid registry" },
		/* A first component with '.' is a host, as in Docker. */
		{ "a__b.c/app", -EINVAL, "invalid registry" },
		{ "[::1/app", -EINVAL, "invalid registry" },
		{ "[zz::1]:5000/app", -EINVAL, "invalid registry" },
		{ "[::1]x/app", -EINVAL, "invalid registry" },
		{ "a..b", -EINVAL, "invalid path component" },
		{ "a.-b", -EINVAL, "invalid path component" },
		{ "a___b", -EINVAL, "invalid path component" },
		{ "-a", -EINVAL, "invalid path component" },
		{ "a-", -EINVAL, "invalid path component" },
		{ "a b", -EINVAL, "invalid path component" },
		{ "caf\xc3\xa9", -EINVAL, "invalid path component" },
		{ HEX64, -EINVAL, "image ID" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct image_name n = { .registry = (char *)"garbage" };
		struct ecs_err err;
		err_clear(&err);
		int r = image_name_parse(cases[i].ref, &n, &err);
		if (r != cases[i].code || !strstr(err.msg, cases[i].msg))
			fail_msg("\"%.60s\": got %d \"%s\", want %d \"%s\"",
				 cases[i].ref ? cases[i].ref : "(null)", r, err.msg, cases[i].code,
				 cases[i].msg);
		assert_int_equal(-err.code, cases[i].code);
		/* A failed parse leaves nothing to free. */
		assert_null(n.registry);
		assert_null(n.repository);
		assert_null(n.tag);
		assert_null(n.digest);
		image_name_clear(&n);
	}

	/* Exactly 255 characters after normalisation is accepted. */
	struct image_name n;
	assert_int_equal(image_name_parse(max_name, &n, NULL), 0);
	_cleanup_free_ char *canon = image_name_canonical(&n);
	assert_int_equal(strlen(canon), 255 + strlen(":latest"));
	image_name_clear(&n);
	/* So is a 128-character tag. */
	snprintf(long_tag, sizeof(long_tag), "app:%0128d", 0);
	assert_int_equal(image_name_parse(long_tag, &n, NULL), 0);
	assert_int_equal(strlen(n.tag), 128);
	image_name_clear(&n);
}

/* ---- credentials -------------------------------------------------------- */

static void test_key_normalise(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "https://index.docker.io/v1/", "docker.io" },
		{ "index.docker.io", "docker.io" },
		{ "registry-1.docker.io", "docker.io" },
		{ "docker.io", "docker.io" },
		{ "http://Docker.IO/v2/", "docker.io" },
		{ "https://host:5000/v2/", "host:5000" },
		{ "HTTPS://Reg.Example.com", "reg.example.com" },
		{ "reg:5000", "reg:5000" },
		{ "reg:5000/path/more", "reg:5000" },
		{ "[::1]:5000", "[::1]:5000" },
		{ "ftp://x/y", "ftp:" },
		{ "", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *k = registry_key_normalise(cases[i][0]);
		assert_non_null(k);
		if (strcmp(k, cases[i][1]) != 0)
			fail_msg("%s: got %s, want %s", cases[i][0], k, cases[i][1]);
	}
	assert_null(registry_key_normalise(NULL));
}

static void test_creds_docker(void **state)
{
	(void)state;
	struct registry_creds c;
	struct ecs_err err;
	assert_int_equal(registry_creds_parse(
				 "docker",
				 "{\"https://index.docker.io/v1/\":{\"username\":\"u\",\"password\":"
				 "\"p\",\"email\":\"e\"},\"Registry:5000\":{\"username\":\"v\","
				 "\"password\":\"q:r\"},\"http://10.0.0.1/v2/\":{\"username\":\"w\","
				 "\"password\":\"\"}}",
				 &c, &err),
			 0);
	assert_int_equal(c.n, 3);
	const struct registry_cred *hub = registry_creds_find(&c, "docker.io");
	assert_non_null(hub);
	assert_string_equal(hub->registry, "docker.io");
	assert_string_equal(hub->username, "u");
	assert_string_equal(hub->password, "p");
	const struct registry_cred *reg = registry_creds_find(&c, "registry:5000");
	assert_non_null(reg);
	assert_string_equal(reg->username, "v");
	assert_string_equal(reg->password, "q:r");
	assert_ptr_equal(registry_creds_find(&c, "REGISTRY:5000"), reg);
	const struct registry_cred *ip = registry_creds_find(&c, "10.0.0.1");
	assert_non_null(ip);
	assert_string_equal(ip->password, "");
	assert_null(registry_creds_find(&c, "registry"));
	assert_null(registry_creds_find(&c, "other:5000"));
	assert_null(registry_creds_find(&c, NULL));
	assert_null(registry_creds_find(NULL, "docker.io"));
	registry_creds_clear(&c);
	assert_int_equal(c.n, 0);
	assert_null(c.items);

	/* The first of two keys naming the same registry wins. */
	assert_int_equal(registry_creds_parse(
				 "docker",
				 "{\"docker.io\":{\"username\":\"a\",\"password\":\"1\"},"
				 "\"https://index.docker.io/v1/\":{\"username\":\"b\",\"password\":\"2\"}}",
				 &c, NULL),
			 0);
	assert_string_equal(registry_creds_find(&c, "docker.io")->username, "a");
	registry_creds_clear(&c);

	/* Empty object: no credentials. */
	assert_int_equal(registry_creds_parse("docker", "{}", &c, NULL), 0);
	assert_int_equal(c.n, 0);
	registry_creds_clear(&c);
}

static void test_creds_dockercfg(void **state)
{
	(void)state;
	struct registry_creds c;
	struct ecs_err err;
	/* "u:p", "user:pa:ss" (unpadded), "x:" (empty password). */
	assert_int_equal(registry_creds_parse("dockercfg",
					      "{\"reg:5000\":{\"auth\":\"dTpw\",\"email\":\"\"},"
					      "\"https://index.docker.io/v1/\":{\"auth\":"
					      "\"dXNlcjpwYTpzcw\"},\"other\":{\"auth\":\"eDo=\"}}",
					      &c, &err),
			 0);
	assert_int_equal(c.n, 3);
	const struct registry_cred *r = registry_creds_find(&c, "reg:5000");
	assert_non_null(r);
	assert_string_equal(r->username, "u");
	assert_string_equal(r->password, "p");
	r = registry_creds_find(&c, "docker.io");
	assert_non_null(r);
	assert_string_equal(r->username, "user");
	assert_string_equal(r->password, "pa:ss");
	r = registry_creds_find(&c, "other");
	assert_non_null(r);
	assert_string_equal(r->username, "x");
	assert_string_equal(r->password, "");
	registry_creds_clear(&c);
}

struct bad_creds {
	const char *type, *data;
	const char *msg;
};

static void test_creds_bad(void **state)
{
	(void)state;
	/* Every secret below contains "SECRET" (or is its base64 "U0VDUkVU"):
	 * no message may show it. */
	const struct bad_creds cases[] = {
		{ "kerberos", "{}", "expected \"docker\" or \"dockercfg\"" },
		{ NULL, "{\"a\":{}}", "ECS_ENGINE_AUTH_TYPE is not" },
		{ "", "{\"a\":{}}", "ECS_ENGINE_AUTH_TYPE is not" },
		{ "docker", "{\"reg\":{\"username\":\"u\",\"password\":\"SECRET\"", "invalid JSON" },
		{ "docker", "[\"SECRET\"]", "expected a JSON object" },
		{ "docker", "{\"reg\":\"SECRET\"}", "entry \"reg\": not an object" },
		{ "docker", "{\"reg\":{\"password\":\"SECRET\"}}", "entry \"reg\": no \"username\"" },
		{ "docker", "{\"reg\":{\"username\":\"\",\"password\":\"SECRET\"}}",
		  "entry \"reg\": no \"username\"" },
		{ "docker", "{\"reg\":{\"username\":\"u\"}}", "entry \"reg\": no \"password\"" },
		{ "docker", "{\"reg\":{\"username\":\"u\",\"password\":5}}",
		  "entry \"reg\": no \"password\"" },
		{ "docker", "{\"ok\":{\"username\":\"u\",\"password\":\"p\"},\"bad\":{}}",
		  "entry \"bad\"" },
		{ "docker", "{\"https:///v1/\":{\"username\":\"u\",\"password\":\"SECRET\"}}",
		  "no registry host" },
		{ "dockercfg", "{\"reg\":{\"username\":\"u\",\"password\":\"SECRET\"}}",
		  "entry \"reg\": no \"auth\"" },
		{ "dockercfg", "{\"reg\":{\"auth\":\"U0VDUkVU\"}}", "base64 of \"user:password\"" },
		{ "dockercfg", "{\"reg\":{\"auth\":\"OlNFQ1JFVA==\"}}", "base64 of \"user:password\"" },
		{ "dockercfg", "{\"reg\":{\"auth\":\"U0VDUkVU!\"}}", "entry \"reg\": \"auth\" is not base64" },
		{ "dockercfg", "{\"reg\":{\"auth\":\"U0VDUkVUx\"}}", "is not base64" },
		{ "dockercfg", "{\"reg\":{\"auth\":\"U0VDUkVU=\"}}", "is not base64" },
		{ "dockercfg", "{\"reg\":{\"auth\":\"dQB4OlNFQ1JFVA==\"}}", "is not base64" },
		{ "dockercfg", "{\"reg\":{\"auth\":5}}", "no \"auth\"" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct registry_creds c = { .n = 7 };
		struct ecs_err err;
		err_clear(&err);
		int r = registry_creds_parse(cases[i].type, cases[i].data, &c, &err);
		if (r != -EINVAL || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, r, err.msg, cases[i].msg);
		assert_null(strstr(err.msg, "SECRET"));
		assert_null(strstr(err.msg, "U0VDUkVU"));
		assert_int_equal(c.n, 0);
		assert_null(c.items);
		assert_int_equal(registry_creds_parse(cases[i].type, cases[i].data, &c, NULL),
				 -EINVAL);
	}

	/* Nothing configured is fine, and so is a type without data. */
	struct registry_creds c;
	assert_int_equal(registry_creds_parse(NULL, NULL, &c, NULL), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(registry_creds_parse("", "", &c, NULL), 0);
	assert_int_equal(registry_creds_parse("docker", "", &c, NULL), 0);
	assert_int_equal(c.n, 0);
	assert_null(registry_creds_find(&c, "docker.io"));
	registry_creds_clear(&c);
	registry_creds_clear(NULL);
}

/* ---- WWW-Authenticate --------------------------------------------------- */

struct challenge_case {
	const char *value;
	enum auth_scheme scheme;
	const char *realm, *service, *scope;
};

static void assert_opt_str(const char *got, const char *want, const char *what, const char *v)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(got, want) != 0)
		fail_msg("%s: %s is \"%s\", want \"%s\"", v, what, got ? got : "(null)",
			 want ? want : "(null)");
}

static void test_challenge_good(void **state)
{
	(void)state;
	static const struct challenge_case cases[] = {
		{ "Bearer realm=\"https://auth/token\",service=\"registry\",scope=\"repository:a:pull\"",
		  AUTH_BEARER, "https://auth/token", "registry", "repository:a:pull" },
		{ "bearer SCOPE=\"s\" , Service = \"svc\",\tREALM= \"https://r/t\"", AUTH_BEARER,
		  "https://r/t", "svc", "s" },
		{ "  BEARER realm=\"a\\\"b\\\\c\\d\", foo=bar, baz=\"q,\\\"x\"", AUTH_BEARER,
		  "a\"b\\cd", NULL, NULL },
		{ "Bearer realm=https://unquoted/token,service=registry.docker.io", AUTH_BEARER,
		  "https://unquoted/token", "registry.docker.io", NULL },
		{ "Bearer realm=\"x\",,, service=\"y\",", AUTH_BEARER, "x", "y", NULL },
		{ "Bearer realm=\"first\",realm=\"second\"", AUTH_BEARER, "second", NULL, NULL },
		{ "Bearer realm=\"r\",scope=\"repository:a:pull repository:b:pull\"", AUTH_BEARER,
		  "r", NULL, "repository:a:pull repository:b:pull" },
		{ "Basic realm=\"x\"", AUTH_BASIC, "x", NULL, NULL },
		{ "basic", AUTH_BASIC, NULL, NULL, NULL },
		{ "Basic dXNlcjpwYXNz", AUTH_BASIC, NULL, NULL, NULL },
		{ "Basic dXNlcjpwYQ==", AUTH_BASIC, NULL, NULL, NULL },
		{ "Basic abc=, Bearer realm=\"t\"", AUTH_BEARER, "t", NULL, NULL },
		{ "Basic realm=\"b\", Bearer realm=\"t\",service=\"s\"", AUTH_BEARER, "t", "s", NULL },
		{ "Bearer realm=\"t\", Basic realm=\"b\"", AUTH_BEARER, "t", NULL, NULL },
		{ "Negotiate, Basic realm=\"b\"", AUTH_BASIC, "b", NULL, NULL },
		{ "Negotiate abc==, Digest realm=\"d\", nonce=\"n\", Bearer realm=\"t\"", AUTH_BEARER,
		  "t", NULL, NULL },
		{ "Basic, Negotiate", AUTH_BASIC, NULL, NULL, NULL },
		{ "Bearer realm=\"\ttab\"", AUTH_BEARER, "\ttab", NULL, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct auth_challenge ch;
		struct ecs_err err;
		err_clear(&err);
		int r = auth_challenge_parse(cases[i].value, &ch, &err);
		if (r != 0)
			fail_msg("%s: %d %s", cases[i].value, r, err.msg);
		assert_int_equal(ch.scheme, cases[i].scheme);
		assert_opt_str(ch.realm, cases[i].realm, "realm", cases[i].value);
		assert_opt_str(ch.service, cases[i].service, "service", cases[i].value);
		assert_opt_str(ch.scope, cases[i].scope, "scope", cases[i].value);
		auth_challenge_clear(&ch);
		assert_null(ch.realm);
		assert_int_equal(ch.scheme, AUTH_NONE);
	}
}

static void test_challenge_bad(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		int code;
		const char *msg;
	} cases[] = {
		{ NULL, -EINVAL, "empty" },
		{ "", -EINVAL, "empty" },
		{ "  , ", -EINVAL, "empty" },
		{ "Negotiate", -ENOTSUP, "no supported" },
		{ "Digest realm=\"x\", nonce=\"y\"", -ENOTSUP, "no supported" },
		{ "Bearer", -EINVAL, "without a realm" },
		{ "Bearer service=\"x\"", -EINVAL, "without a realm" },
		{ "Bearer realm=\"\"", -EINVAL, "without a realm" },
		{ "Bearer realm=\"x", -EINVAL, "unterminated" },
		{ "Bearer realm=\"x\\", -EINVAL, "unterminated" },
		{ "Bearer realm=\"a\nb\"", -EINVAL, "control character" },
		/* "realm=" alone reads as a token68. */
		{ "Bearer realm=", -EINVAL, "without a realm" },
		{ "Bearer realm=,service=x", -EINVAL, "scheme" },
		{ "Bearer service=\"s\", realm=", -EINVAL, "no value" },
		{ "Bearer service=s,realm=,scope=x", -EINVAL, "no value" },
		{ "Bearer realm=\"x\" service=\"y\"", -EINVAL, "expected ','" },
		{ "Bearer realm=x\"y\"", -EINVAL, "expected ','" },
		{ "Bearer \"realm\"=x", -EINVAL, "parameter name" },
		{ "Bearer realm=\"x\", =y", -EINVAL, "parameter name" },
		{ "\"Bearer\" realm=x", -EINVAL, "scheme" },
		{ "Bearer(x) realm=x", -EINVAL, "scheme" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct auth_challenge ch = { .realm = (char *)"garbage" };
		struct ecs_err err;
		err_clear(&err);
		int r = auth_challenge_parse(cases[i].value, &ch, &err);
		if (r != cases[i].code || !strstr(err.msg, cases[i].msg))
			fail_msg("%s: got %d \"%s\", want %d \"%s\"",
				 cases[i].value ? cases[i].value : "(null)", r, err.msg,
				 cases[i].code, cases[i].msg);
		assert_null(ch.realm);
		assert_null(ch.service);
		assert_null(ch.scope);
		assert_int_equal(auth_challenge_parse(cases[i].value, &ch, NULL), cases[i].code);
	}
}

/* ---- token answer ------------------------------------------------------- */

static void test_token(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		int code;
		const char *want; /* token, or a substring of the message */
	} cases[] = {
		{ "{\"token\":\"abc\"}", 0, "abc" },
		{ "{\"access_token\":\"def\"}", 0, "def" },
		{ "{\"access_token\":\"def\",\"token\":\"abc\"}", 0, "abc" },
		{ "{\"token\":\"abc\",\"access_token\":\"def\",\"expires_in\":300,"
		  "\"issued_at\":\"2024-01-01T00:00:00Z\",\"refresh_token\":\"r\"}",
		  0, "abc" },
		{ "{\"token\":\"\",\"access_token\":\"def\"}", 0, "def" },
		{ "{\"token\":\"a\\\"b\\u00e9\"}", 0, "a\"b\xc3\xa9" },
		{ "{}", -EINVAL, "no \"token\" or \"access_token\"" },
		{ "{\"expires_in\":300}", -EINVAL, "no \"token\"" },
		{ "{\"token\":\"\"}", -EINVAL, "no \"token\"" },
		{ "{\"token\":null,\"access_token\":\"x\"}", -EINVAL, "\"token\" is not a string" },
		{ "{\"access_token\":5}", -EINVAL, "\"access_token\" is not a string" },
		{ "[\"token\"]", -EINVAL, "expected a JSON object" },
		{ "\"token\"", -EINVAL, "expected a JSON object" },
		{ "{\"token\":\"abc\"", -EINVAL, "token answer: invalid JSON" },
		{ "", -EINVAL, "token answer:" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *token = (char *)"garbage";
		struct ecs_err err;
		err_clear(&err);
		int r = auth_token_parse(cases[i].json, strlen(cases[i].json), &token, &err);
		if (r != cases[i].code)
			fail_msg("%s: got %d \"%s\"", cases[i].json, r, err.msg);
		if (r == 0) {
			assert_string_equal(token, cases[i].want);
			free(token);
		} else {
			assert_null(token);
			if (!strstr(err.msg, cases[i].want))
				fail_msg("%s: message \"%s\", want \"%s\"", cases[i].json, err.msg,
					 cases[i].want);
			assert_int_equal(auth_token_parse(cases[i].json, strlen(cases[i].json),
							  &token, NULL),
					 cases[i].code);
		}
	}
	/* The length is honoured: the input need not be NUL-terminated. */
	char *token = NULL;
	const char *text = "{\"token\":\"abc\"}trailing";
	assert_int_equal(auth_token_parse(text, strlen("{\"token\":\"abc\"}"), &token, NULL), 0);
	assert_string_equal(token, "abc");
	free(token);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_good),
		cmocka_unit_test(test_name_bad),
		cmocka_unit_test(test_key_normalise),
		cmocka_unit_test(test_creds_docker),
		cmocka_unit_test(test_creds_dockercfg),
		cmocka_unit_test(test_creds_bad),
		cmocka_unit_test(test_challenge_good),
		cmocka_unit_test(test_challenge_bad),
		cmocka_unit_test(test_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
