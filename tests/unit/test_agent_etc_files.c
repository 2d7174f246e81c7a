/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing the bundle's config.json, and the container's /etc/hosts,
 * /etc/hostname and /etc/resolv.conf, read back from a temporary directory.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "json.h"
#include "runtime/spec.h"
#include "test_agent_spec_util.h"

static void test_write_bundle(void **state)
{
	_cleanup_free_ char *dir = tmpdir();
	struct container_spec s;
	struct ecs_err err;
	base_spec(&s, NULL);

	assert_int_equal(spec_write_bundle(&s, dir, &err), 0);
	_cleanup_free_ char *text = slurp(dir, "config.json");
	_cleanup_(json_doc_freep) struct json_doc *doc = json_parse(text, strlen(text), &err);
	assert_non_null(doc);
	assert_string_equal(json_string(json_get(json_get(json_root(doc), "root"), "path")), s.rootfs);

	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/config.json", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s/config.json.tmp", dir);
	assert_int_equal(access(p, F_OK), -1);

	/* A failing spec leaves the previous file alone. */
	s.rootfs = "relative";
	assert_int_equal(spec_write_bundle(&s, dir, &err), -EINVAL);
	assert_int_equal(spec_write_bundle(&s, dir, NULL), -EINVAL);
	_cleanup_free_ char *again = slurp(dir, "config.json");
	assert_string_equal(again, text);
	rm_rf(dir);
}

static void test_etc_files_none(void **state)
{
	_cleanup_free_ char *dir = tmpdir();
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"extraHosts\":[{\"hostname\":\"db\","
		"\"ipAddress\":\"10.1.2.3\"}]}");
	struct ecs_err err;
	char etc[512];
	snprintf(etc, sizeof(etc), "%s/etc", dir);
	put(dir, "host-resolv", "# host file\nnameserver 127.0.0.53\nsearch corp.example\n"
				"options ndots:2\n");

	char host_resolv[512];
	snprintf(host_resolv, sizeof(host_resolv), "%s/host-resolv", dir);
	assert_int_equal(spec_write_etc_files(&td->containers.items[0], "host1", SPEC_NET_NONE,
					      host_resolv, "/nonexistent", etc, &err), 0);
	_cleanup_free_ char *hosts = slurp(etc, "hosts");
	assert_non_null(strstr(hosts, "127.0.0.1\tlocalhost\n"));
	assert_non_null(strstr(hosts, "::1\tlocalhost ip6-localhost ip6-loopback\n"));
	assert_non_null(strstr(hosts, "10.1.2.3\tdb\n"));
	assert_non_null(strstr(hosts, "127.0.0.1\thost1\n"));
	_cleanup_free_ char *hostname = slurp(etc, "hostname");
	assert_string_equal(hostname, "host1\n");
	/* The loopback resolver is unreachable from a private network: Docker's
	 * fallback servers replace it; the rest of the file stays. */
	_cleanup_free_ char *resolv = slurp(etc, "resolv.conf");
	assert_string_equal(resolv, "# host file\nsearch corp.example\noptions ndots:2\n"
				    "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");

	/* Task DNS settings replace the host's. */
	_cleanup_(taskdef_freep) struct taskdef *dns = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"dnsServers\":[\"10.0.0.2\",\"10.0.0.3\"],"
		"\"dnsSearchDomains\":[\"a.example\",\"b.example\"]}");
	assert_int_equal(spec_write_etc_files(&dns->containers.items[0], "host1", SPEC_NET_NONE,
					      host_resolv, NULL, etc, &err), 0);
	_cleanup_free_ char *resolv2 = slurp(etc, "resolv.conf");
	assert_string_equal(resolv2, "# host file\noptions ndots:2\nsearch a.example b.example\n"
				     "nameserver 10.0.0.2\nnameserver 10.0.0.3\n");
	rm_rf(dir);
}

static void test_etc_files_host(void **state)
{
	_cleanup_free_ char *dir = tmpdir();
	_cleanup_(taskdef_freep) struct taskdef *td = parse_td(
		"{\"name\":\"web\",\"image\":\"i\",\"extraHosts\":[{\"hostname\":\"db\","
		"\"ipAddress\":\"10.1.2.3\"}]}");
	struct ecs_err err;
	char etc[512], host_resolv[512], host_hosts[512], me[256] = "";
	snprintf(etc, sizeof(etc), "%s/etc", dir);
	snprintf(host_resolv, sizeof(host_resolv), "%s/host-resolv", dir);
	snprintf(host_hosts, sizeof(host_hosts), "%s/host-hosts", dir);
	put(dir, "host-resolv", "nameserver 127.0.0.53\n");
	put(dir, "host-hosts", "127.0.0.1 localhost myhost"); /* no final newline */

	assert_int_equal(spec_write_etc_files(&td->containers.items[0], "ignored", SPEC_NET_HOST,
					      host_resolv, host_hosts, etc, &err), 0);
	_cleanup_free_ char *hosts = slurp(etc, "hosts");
	assert_string_equal(hosts, "127.0.0.1 localhost myhost\n10.1.2.3\tdb\n");
	_cleanup_free_ char *resolv = slurp(etc, "resolv.conf");
	assert_string_equal(resolv, "nameserver 127.0.0.53\n");
	_cleanup_free_ char *hostname = slurp(etc, "hostname");
	assert_int_equal(gethostname(me, sizeof(me) - 1), 0);
	assert_int_equal(strncmp(hostname, me, strlen(me)), 0);
	assert_string_equal(hostname + strlen(me), "\n");

	/* No host resolv.conf at all. */
	assert_int_equal(spec_write_etc_files(NULL, NULL, SPEC_NET_HOST, "/nonexistent",
					      "/nonexistent", etc, &err), 0);
	_cleanup_free_ char *empty = slurp(etc, "resolv.conf");
	assert_string_equal(empty, "");
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_bundle),
		cmocka_unit_test(test_etc_files_none),
		cmocka_unit_test(test_etc_files_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
