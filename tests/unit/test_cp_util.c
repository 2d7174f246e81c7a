/* SPDX-License-Identifier: Apache-2.0 */
/* Control-plane helpers: ARNs, page tokens, credentials files, listen
 * addresses, identifiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "arn.h"
#include "credentials.h"
#include "crypto.h"
#include "agent-token.h"
#include "http.h"
#include "ids.h"
#include "paginate.h"

static void test_arn(void **state)
{
	(void)state;
	struct arn a;
	struct ecs_err err;
	assert_int_equal(arn_parse("arn:aws:ecs:us-east-1:123456789012:cluster/prod", &a, &err), 0);
	assert_string_equal(a.partition, "aws");
	assert_string_equal(a.service, "ecs");
	assert_string_equal(a.region, "us-east-1");
	assert_string_equal(a.account, "123456789012");
	assert_string_equal(a.resource, "cluster/prod");
	assert_string_equal(a.resource_type, "cluster");
	assert_string_equal(a.resource_id, "prod");
	arn_clear(&a);

	assert_int_equal(arn_parse("arn:aws:ecs:r:1:task-definition/web:12", &a, &err), 0);
	assert_string_equal(a.resource, "task-definition/web:12");
	assert_string_equal(a.resource_id, "web:12");
	arn_clear(&a);

	assert_int_equal(arn_parse("arn:aws:ecs:r:1:task/c/abc", &a, &err), 0);
	assert_string_equal(a.resource_type, "task");
	assert_string_equal(a.resource_id, "c/abc");
	arn_clear(&a);

	assert_int_equal(arn_parse("arn:aws:iam::1:root", &a, &err), 0);
	assert_string_equal(a.region, "");
	assert_string_equal(a.resource_type, "root");
	assert_string_equal(a.resource_id, "");
	arn_clear(&a);

	const char *bad[] = { "", "arn", "arn:", "arn:aws:ecs:r:1", "arn::ecs:r:1:x", "arn:aws::r:1:x",
			      "arn:aws:ecs:r:1:", "nope:aws:ecs:r:1:x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(arn_parse(bad[i], &a, &err), -EINVAL);

	char *s = arn_build("eu-west-1", "111122223333", "cluster", "x");
	assert_string_equal(s, "arn:aws:ecs:eu-west-1:111122223333:cluster/x");
	free(s);
}

static void test_page_tokens(void **state)
{
	(void)state;
	struct ecs_err err;
	char *key;
	char *tok = page_token_encode("ListClusters", "arn:aws:ecs:r:1:cluster/é");
	assert_non_null(tok);
	assert_int_equal(page_token_decode("ListClusters", tok, &key, &err), 0);
	assert_string_equal(key, "arn:aws:ecs:r:1:cluster/é");
	free(key);
	assert_int_equal(page_token_decode("ListTasks", tok, &key, &err), -EINVAL);
	free(tok);

	const char *bad[] = { "", "0", "zz", "4c", "00", "4c6973744300" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(page_token_decode("ListClusters", bad[i], &key, &err), -EINVAL);
}

static void test_credentials(void **state)
{
	(void)state;
	struct ecs_err err;
	struct credentials *c = credentials_new();
	const char text[] = "# keys\n\nAKID1 secret/one+x\r\n  AKID2\tsecret2  # not a comment\n";
	assert_int_equal(credentials_load_buffer(c, "creds", text, sizeof(text) - 1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "creds:4"));
	credentials_free(c);

	c = credentials_new();
	const char ok[] = "# keys\n\nAKID1 secret/one+x\r\n  AKID2\tsecret2  \n";
	assert_int_equal(credentials_load_buffer(c, "creds", ok, sizeof(ok) - 1, &err), 0);
	assert_int_equal(credentials_count(c), 2);
	assert_string_equal(credentials_secret(c, "AKID1"), "secret/one+x");
	assert_string_equal(credentials_secret(c, "AKID2"), "secret2");
	assert_null(credentials_secret(c, "AKID3"));
	const char dup[] = "AKID1 other\n";
	assert_int_equal(credentials_load_buffer(c, "more", dup, sizeof(dup) - 1, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "more:1"));
	credentials_free(c);

	const char *bad[] = { "AKID\n", "AK-ID secret\n", "AKID sec ret\n", "AKID s\0x\n" };
	size_t lens[] = { 5, 12, 13, 9 };
	for (size_t i = 0; i < 4; i++) {
		c = credentials_new();
		assert_int_equal(credentials_load_buffer(c, "bad", bad[i], lens[i], &err), -EINVAL);
		credentials_free(c);
	}
	credentials_free(NULL);
}

static void test_listen(void **state)
{
	(void)state;
	struct sockaddr_storage sa;
	socklen_t len;
	struct ecs_err err;
	assert_int_equal(http_parse_listen("127.0.0.1:8080", &sa, &len, &err), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 8080);
	assert_int_equal(http_parse_listen("[::1]:0", &sa, &len, &err), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(http_parse_listen(":9000", &sa, &len, &err), 0);
	const char *bad[] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "host:80", "[::1:80",
			      "1.2.3.4:8x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(http_parse_listen(bad[i], &sa, &len, &err), -EINVAL);
}

static void test_ids(void **state)
{
	(void)state;
	char a[ID_UUID_LEN + 1], b[ID_UUID_LEN + 1], h[33];
	id_uuid4(a);
	id_uuid4(b);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_true(strchr("89ab", a[19]) != NULL);
	assert_string_not_equal(a, b);
	id_random_hex(h, 16);
	assert_int_equal(strlen(h), 32);
	assert_int_equal(strspn(h, "0123456789abcdef"), 32);
}

/* Known answers: FIPS 180-2 ("abc", empty) and RFC 4231 test case 2. */
static void test_crypto(void **state)
{
	(void)state;
	char hex[CRYPTO_SHA256_HEX_LEN + 1];
	assert_int_equal(crypto_sha256_hex("abc", 3, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(crypto_sha256_hex(NULL, 0, hex), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	static const unsigned char want[CRYPTO_SHA256_LEN] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
		0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
		0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
	};
	const char *msg = "what do ya want for nothing?";
	unsigned char mac[CRYPTO_SHA256_LEN];
	assert_int_equal(crypto_hmac_sha256("Jefe", 4, msg, strlen(msg), mac), 0);
	assert_memory_equal(mac, want, sizeof(want));

	/* In place, as SigV4's key derivation chains it. */
	unsigned char k[CRYPTO_SHA256_LEN];
	memcpy(k, want, sizeof(k));
	unsigned char expect[CRYPTO_SHA256_LEN];
	assert_int_equal(crypto_hmac_sha256(want, sizeof(want), "x", 1, expect), 0);
	assert_int_equal(crypto_hmac_sha256(k, sizeof(k), "x", 1, k), 0);
	assert_memory_equal(k, expect, sizeof(k));

	assert_true(crypto_equal("abcd", "abcd", 4));
	assert_false(crypto_equal("abcd", "abce", 4));
	assert_true(crypto_equal("", "", 0));
	crypto_wipe(k, sizeof(k));
	for (size_t i = 0; i < sizeof(k); i++)
		assert_int_equal(k[i], 0);

	char token[AGENT_TOKEN_LEN + 1], hash[AGENT_TOKEN_HASH_LEN + 1];
	agent_token_new(token);
	assert_int_equal(strlen(token), AGENT_TOKEN_LEN);
	assert_int_equal(agent_token_hash("abc", hash), 0);
	assert_string_equal(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(agent_token_equal(token, token));
	assert_false(agent_token_equal(token, "abc"));
	assert_false(agent_token_equal("", "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arn),
		cmocka_unit_test(test_page_tokens),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_crypto),
	};
	return cmocka_run_group_tests_name("cp_util", tests, NULL, NULL);
}
