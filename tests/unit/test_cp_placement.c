/* SPDX-License-Identifier: Apache-2.0 */
/* Task placement (controlplane/placement.c): fit checks, strategies,
 * constraints, pinned placement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "placement.h"

/* A deterministic generator, so "random" placements reproduce. */
static uint64_t lcg(void *userdata)
{
	uint64_t *x = userdata;
	*x = *x * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *x >> 33;
}

static struct placement_instance inst(const char *arn, int64_t cpu, int64_t mem)
{
	return (struct placement_instance){
		.arn = arn,
		.agent_connected = true,
		.member_of_ok = true,
		.cpu_remaining = cpu,
		.memory_remaining = mem,
	};
}

static struct placement_task task(int64_t cpu, int64_t mem)
{
	return (struct placement_task){ .cpu = cpu, .memory = mem };
}

static struct placement_strategy strategy(const char *type, const char *field)
{
	struct placement_strategy s;
	struct ecs_err err;
	assert_int_equal(placement_strategy_parse(type, field, &s, &err), 0);
	return s;
}

static void run(const struct placement_instance *in, size_t n, const struct placement_task *t,
		size_t count, const struct placement_strategy *st, size_t n_st,
		struct placement_result *res)
{
	uint64_t seed = 42;
	struct ecs_err err;
	assert_int_equal(placement_run(in, n, t, count, NULL, st, n_st, lcg, &seed, res, &err), 0);
}

static void test_strategy_parse(void **state)
{
	(void)state;
	struct placement_strategy s;
	struct ecs_err err;
	assert_int_equal(placement_strategy_parse("random", NULL, &s, &err), 0);
	assert_int_equal(s.type, PLACEMENT_RANDOM);
	assert_int_equal(placement_strategy_parse("spread", "host", &s, &err), 0);
	assert_int_equal(s.field, PLACEMENT_FIELD_INSTANCE_ID);
	assert_int_equal(placement_strategy_parse("spread", "instanceId", &s, &err), 0);
	assert_int_equal(s.field, PLACEMENT_FIELD_INSTANCE_ID);
	assert_int_equal(placement_strategy_parse("spread", "attribute:ecs.availability-zone", &s,
						  &err), 0);
	assert_int_equal(s.field, PLACEMENT_FIELD_ATTRIBUTE);
	assert_string_equal(s.attribute, "ecs.availability-zone");
	assert_int_equal(placement_strategy_parse("binpack", "memory", &s, &err), 0);
	assert_int_equal(s.field, PLACEMENT_FIELD_MEMORY);
	assert_int_equal(placement_strategy_parse("binpack", "cpu", &s, &err), 0);
	assert_int_equal(s.field, PLACEMENT_FIELD_CPU);

	assert_int_equal(placement_strategy_parse("random", "cpu", &s, &err), -EINVAL);
	assert_int_equal(placement_strategy_parse("spread", NULL, &s, &err), -EINVAL);
	assert_int_equal(placement_strategy_parse("spread", "cpu", &s, &err), -EINVAL);
	assert_int_equal(placement_strategy_parse("spread", "attribute:", &s, &err), -EINVAL);
	assert_int_equal(placement_strategy_parse("binpack", "instanceId", &s, &err), -EINVAL);
	assert_int_equal(placement_strategy_parse("binpack", NULL, &s, &err), -EINVAL);
	assert_int_equal(placement_strategy_parse("Binpack", "cpu", &s, &err), -EINVAL);
	assert_int_equal(placement_strategy_parse(NULL, NULL, &s, &err), -EINVAL);
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_null(placement_reason_name(PLACEMENT_FITS));
	assert_string_equal(placement_reason_name(PLACEMENT_AGENT), "AGENT");
	assert_string_equal(placement_reason_name(PLACEMENT_ATTRIBUTE), "ATTRIBUTE");
	assert_string_equal(placement_reason_name(PLACEMENT_MEMBER_OF),
			    "MemberOf placement constraint unsatisfied.");
	assert_string_equal(placement_reason_name(PLACEMENT_DISTINCT_INSTANCE),
			    "DistinctInstance placement constraint unsatisfied.");
	assert_string_equal(placement_reason_name(PLACEMENT_CPU), "RESOURCE:CPU");
	assert_string_equal(placement_reason_name(PLACEMENT_MEMORY), "RESOURCE:MEMORY");
	assert_string_equal(placement_reason_name(PLACEMENT_PORTS), "RESOURCE:PORTS");
	assert_string_equal(placement_reason_name(PLACEMENT_PORTS_UDP), "RESOURCE:PORTS_UDP");
}

/* binpack memory: the instance with the least memory left that still fits. */
static void test_binpack_memory(void **state)
{
	(void)state;
	struct placement_instance in[] = {
		inst("a", 4096, 4000), inst("b", 4096, 700), inst("c", 4096, 1500),
		inst("d", 4096, 400),
	};
	struct placement_task t = task(128, 512);
	struct placement_strategy st = strategy("binpack", "memory");
	struct placement_result res;
	run(in, 4, &t, 1, &st, 1, &res);
	assert_int_equal(res.n_placed, 1);
	assert_int_equal(res.chosen[0], 1); /* b: 700 left; d is too small */
	placement_result_clear(&res);

	/* Three in a row: b (700 -> 188), then c twice (1500 -> 988 -> 476). */
	run(in, 4, &t, 3, &st, 1, &res);
	assert_int_equal(res.n_placed, 3);
	assert_int_equal(res.chosen[0], 1);
	assert_int_equal(res.chosen[1], 2);
	assert_int_equal(res.chosen[2], 2);
	placement_result_clear(&res);
}

static void test_binpack_cpu(void **state)
{
	(void)state;
	struct placement_instance in[] = {
		inst("a", 2048, 4000), inst("b", 300, 4000), inst("c", 1024, 4000),
	};
	struct placement_task t = task(512, 128);
	struct placement_strategy st = strategy("binpack", "cpu");
	struct placement_result res;
	run(in, 3, &t, 2, &st, 1, &res);
	assert_int_equal(res.n_placed, 2);
	assert_int_equal(res.chosen[0], 2); /* c: 1024 -> 512 */
	assert_int_equal(res.chosen[1], 2); /* c again: 512 -> 0 */
	placement_result_clear(&res);
}

/* spread by instance: each instance gets its share, existing group tasks
 * included. */
static void test_spread_instance(void **state)
{
	(void)state;
	struct placement_instance in[] = {
		inst("a", 8192, 8192), inst("b", 8192, 8192), inst("c", 8192, 8192),
	};
	in[0].group_tasks = 2;
	struct placement_task t = task(128, 128);
	struct placement_strategy st = strategy("spread", "instanceId");
	struct placement_result res;
	run(in, 3, &t, 7, &st, 1, &res);
	assert_int_equal(res.n_placed, 7);
	size_t per[3] = { 0 };
	for (size_t i = 0; i < res.n_placed; i++)
		per[res.chosen[i]]++;
	/* 2 + 7 = 9 tasks in the group: three each. */
	assert_int_equal(per[0], 1);
	assert_int_equal(per[1], 3);
	assert_int_equal(per[2], 3);
	placement_result_clear(&res);
}

/* spread by attribute balances the values, not the instances. */
static void test_spread_attribute(void **state)
{
	(void)state;
	static const struct placement_attr az_a[] = { { "ecs.availability-zone", "us-east-1a" } };
	static const struct placement_attr az_b[] = { { "ecs.availability-zone", "us-east-1b" } };
	struct placement_instance in[] = {
		inst("a1", 8192, 8192), inst("a2", 8192, 8192), inst("b1", 8192, 8192),
	};
	in[0].attrs = az_a;
	in[0].n_attrs = 1;
	in[1].attrs = az_a;
	in[1].n_attrs = 1;
	in[2].attrs = az_b;
	in[2].n_attrs = 1;
	struct placement_task t = task(128, 128);
	struct placement_strategy st[] = {
		strategy("spread", "attribute:ecs.availability-zone"),
		strategy("spread", "instanceId"),
	};
	struct placement_result res;
	run(in, 3, &t, 4, st, 2, &res);
	assert_int_equal(res.n_placed, 4);
	size_t per[3] = { 0 };
	for (size_t i = 0; i < res.n_placed; i++)
		per[res.chosen[i]]++;
	assert_int_equal(per[0] + per[1], 2); /* zone a */
	assert_int_equal(per[2], 2);          /* zone b */
	assert_int_equal(per[0], 1);          /* then spread inside zone a */
	placement_result_clear(&res);
}

/* spread by attribute with the values interleaved, instances without the
 * attribute (one more bucket), and group tasks already placed: the bucket
 * sums decide, then spread by instance inside the winning buckets. */
static void test_spread_attribute_buckets(void **state)
{
	(void)state;
	static const struct placement_attr zx[] = { { "zone", "x" } };
	static const struct placement_attr zy[] = { { "zone", "y" } };
	static const struct placement_attr other[] = { { "rack", "1" } };
	struct placement_instance in[] = {
		inst("a", 8192, 8192), inst("b", 8192, 8192), inst("c", 8192, 8192),
		inst("d", 8192, 8192), inst("e", 8192, 8192),
	};
	in[0].attrs = zx, in[0].n_attrs = 1, in[0].group_tasks = 2;
	in[1].attrs = other, in[1].n_attrs = 1; /* no zone */
	in[2].attrs = zy, in[2].n_attrs = 1, in[2].group_tasks = 1;
	in[3].attrs = zx, in[3].n_attrs = 1;
	in[4].group_tasks = 1; /* no zone, no attributes at all */
	struct placement_task t = task(128, 128);
	struct placement_strategy st[] = {
		strategy("spread", "attribute:zone"),
		strategy("spread", "instanceId"),
	};
	struct placement_result res;
	run(in, ARRAY_SIZE(in), &t, 3, st, 2, &res);
	assert_int_equal(res.n_placed, 3);
	/* x = 2, none = 1, y = 1: b (none, fewest on the instance) */
	assert_int_equal(res.chosen[0], 1);
	/* x = 2, none = 2, y = 1: c */
	assert_int_equal(res.chosen[1], 2);
	/* all 2: the instance with the fewest, d */
	assert_int_equal(res.chosen[2], 3);
	placement_result_clear(&res);
}

/* A thousand candidates, spread over 3 zones: even, and quick (the bucket
 * sums are not made by comparing every pair). */
static void test_spread_attribute_many(void **state)
{
	(void)state;
	enum { N = 1000 };
	static const struct placement_attr zones[3][1] = {
		{ { "zone", "a" } }, { { "zone", "b" } }, { { "zone", "c" } },
	};
	struct placement_instance *in = calloc(N, sizeof(*in));
	assert_non_null(in);
	for (size_t i = 0; i < N; i++) {
		in[i] = inst("i", 8192, 8192);
		in[i].attrs = zones[i % 3];
		in[i].n_attrs = 1;
	}
	struct placement_task t = task(128, 128);
	struct placement_strategy st[] = { strategy("spread", "attribute:zone") };
	struct placement_result res;
	run(in, N, &t, 9, st, 1, &res);
	assert_int_equal(res.n_placed, 9);
	size_t per[3] = { 0 };
	for (size_t i = 0; i < res.n_placed; i++)
		per[res.chosen[i] % 3]++;
	assert_int_equal(per[0], 3);
	assert_int_equal(per[1], 3);
	assert_int_equal(per[2], 3);
	placement_result_clear(&res);

	/* Nothing fits: one failure per candidate, each once. */
	t = task(100000, 128);
	run(in, N, &t, 1, st, 1, &res);
	assert_int_equal(res.n_placed, 0);
	assert_int_equal(res.n_failures, N);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(res.failures[i].instance, i);
		assert_int_equal(res.failures[i].reason, PLACEMENT_CPU);
	}
	placement_result_clear(&res);
	free(in);
}

/* Chained: spread over zones first, then binpack memory inside the zone. */
static void test_chained_strategies(void **state)
{
	(void)state;
	static const struct placement_attr az_a[] = { { "zone", "a" } };
	static const struct placement_attr az_b[] = { { "zone", "b" } };
	struct placement_instance in[] = {
		inst("a-big", 8192, 8000), inst("a-small", 8192, 1000), inst("b", 8192, 8000),
	};
	in[0].attrs = az_a;
	in[0].n_attrs = 1;
	in[1].attrs = az_a;
	in[1].n_attrs = 1;
	in[2].attrs = az_b;
	in[2].n_attrs = 1;
	in[2].group_tasks = 1; /* zone b already has one */
	struct placement_task t = task(128, 512);
	struct placement_strategy st[] = {
		strategy("spread", "attribute:zone"),
		strategy("binpack", "memory"),
	};
	struct placement_result res;
	run(in, 3, &t, 1, st, 2, &res);
	assert_int_equal(res.n_placed, 1);
	assert_int_equal(res.chosen[0], 1); /* zone a, and the fuller instance */
	placement_result_clear(&res);
}

/* random picks among the instances that fit, and not always the same. */
static void test_random_valid(void **state)
{
	(void)state;
	struct placement_instance in[] = {
		inst("a", 8192, 100000), inst("small", 8192, 100), inst("b", 8192, 100000),
		inst("c", 8192, 100000),
	};
	struct placement_task t = task(10, 512);
	struct placement_strategy st = strategy("random", NULL);
	struct placement_result res;
	run(in, 4, &t, 10, &st, 1, &res);
	assert_int_equal(res.n_placed, 10);
	bool seen[4] = { false };
	for (size_t i = 0; i < res.n_placed; i++) {
		assert_int_not_equal(res.chosen[i], 1);
		seen[res.chosen[i]] = true;
	}
	assert_true(seen[0] + seen[2] + seen[3] >= 2);
	placement_result_clear(&res);

	/* No strategy at all means random too. */
	run(in, 4, &t, 10, NULL, 0, &res);
	assert_int_equal(res.n_placed, 10);
	for (size_t i = 0; i < res.n_placed; i++)
		assert_int_not_equal(res.chosen[i], 1);
	placement_result_clear(&res);
}

static void test_distinct_instance(void **state)
{
	(void)state;
	struct placement_instance in[] = {
		inst("a", 8192, 8192), inst("b", 8192, 8192), inst("c", 8192, 8192),
	};
	struct placement_task t = task(128, 128);
	t.distinct_instance = true;
	struct placement_result res;
	run(in, 3, &t, 4, NULL, 0, &res);
	assert_int_equal(res.n_placed, 3);
	assert_int_not_equal(res.chosen[0], res.chosen[1]);
	assert_int_not_equal(res.chosen[1], res.chosen[2]);
	assert_int_not_equal(res.chosen[0], res.chosen[2]);
	assert_int_equal(res.n_failures, 3);
	for (size_t i = 0; i < res.n_failures; i++)
		assert_int_equal(res.failures[i].reason, PLACEMENT_DISTINCT_INSTANCE);
	placement_result_clear(&res);

	/* A group task already on b keeps b out. */
	in[1].group_tasks = 1;
	run(in, 3, &t, 2, NULL, 0, &res);
	assert_int_equal(res.n_placed, 2);
	assert_int_not_equal(res.chosen[0], 1);
	assert_int_not_equal(res.chosen[1], 1);
	placement_result_clear(&res);
}

static void test_ports(void **state)
{
	(void)state;
	static const uint16_t used_a[] = { 22, 80, 51678 };
	static const uint16_t want[] = { 80 };
	static const uint16_t want_udp[] = { 53 };
	static const uint16_t used_udp[] = { 53 };
	struct placement_instance in[] = { inst("a", 8192, 8192), inst("b", 8192, 8192) };
	in[0].tcp_used = (struct placement_ports){ used_a, 3 };
	struct placement_task t = task(128, 128);
	t.tcp_ports = (struct placement_ports){ want, 1 };
	struct placement_result res;

	/* Port 80 is taken on a: b gets the first, nobody the second (the
	 * first one holds 80 on b). */
	run(in, 2, &t, 2, NULL, 0, &res);
	assert_int_equal(res.n_placed, 1);
	assert_int_equal(res.chosen[0], 1);
	assert_int_equal(res.n_failures, 2);
	assert_int_equal(res.failures[0].instance, 0);
	assert_int_equal(res.failures[0].reason, PLACEMENT_PORTS);
	assert_int_equal(res.failures[1].instance, 1);
	assert_int_equal(res.failures[1].reason, PLACEMENT_PORTS);
	placement_result_clear(&res);

	/* UDP ports are their own resource. */
	struct placement_task u = task(128, 128);
	u.udp_ports = (struct placement_ports){ want_udp, 1 };
	in[1].udp_used = (struct placement_ports){ used_udp, 1 };
	run(in, 2, &u, 2, NULL, 0, &res);
	assert_int_equal(res.n_placed, 1);
	assert_int_equal(res.chosen[0], 0);
	assert_int_equal(res.failures[0].reason, PLACEMENT_PORTS_UDP);
	assert_int_equal(res.failures[1].reason, PLACEMENT_PORTS_UDP);
	placement_result_clear(&res);

	/* No static ports: any number of tasks per instance. */
	struct placement_task d = task(128, 128);
	run(in, 1, &d, 5, NULL, 0, &res);
	assert_int_equal(res.n_placed, 5);
	placement_result_clear(&res);
}

static void test_resources(void **state)
{
	(void)state;
	struct placement_instance in[] = { inst("a", 1024, 1000), inst("b", 256, 4000) };
	struct placement_task t = task(512, 2048);
	struct placement_result res;
	run(in, 2, &t, 1, NULL, 0, &res);
	assert_int_equal(res.n_placed, 0);
	assert_int_equal(res.n_failures, 2);
	assert_string_equal(placement_reason_name(res.failures[0].reason), "RESOURCE:MEMORY");
	assert_string_equal(placement_reason_name(res.failures[1].reason), "RESOURCE:CPU");
	placement_result_clear(&res);

	/* Exactly full fits; the next does not. */
	struct placement_task full = task(1024, 1000);
	run(in, 1, &full, 2, NULL, 0, &res);
	assert_int_equal(res.n_placed, 1);
	assert_int_equal(res.failures[0].reason, PLACEMENT_CPU);
	placement_result_clear(&res);

	/* A task that reserves no CPU fits on an overcommitted instance. */
	in[0].cpu_remaining = -10;
	struct placement_task nocpu = task(0, 100);
	run(in, 1, &nocpu, 1, NULL, 0, &res);
	assert_int_equal(res.n_placed, 1);
	placement_result_clear(&res);
}

/* The first reason that applies is the one reported. */
static void test_reason_order(void **state)
{
	(void)state;
	static const struct placement_attr need[] = { { "ecs.capability.task-eni", NULL } };
	static const struct placement_attr have[] = { { "ecs.capability.task-eni", NULL } };
	struct placement_instance in[] = {
		inst("down", 0, 0), inst("noattr", 0, 0), inst("notmember", 0, 0),
		inst("full", 0, 0),
	};
	in[0].agent_connected = false;
	in[2].attrs = have;
	in[2].n_attrs = 1;
	in[2].member_of_ok = false;
	in[3].attrs = have;
	in[3].n_attrs = 1;
	struct placement_task t = task(10, 10);
	t.required = need;
	t.n_required = 1;
	struct placement_result res;
	run(in, 4, &t, 3, NULL, 0, &res);
	assert_int_equal(res.n_placed, 0);
	assert_int_equal(res.n_failures, 4);
	assert_int_equal(res.failures[0].reason, PLACEMENT_AGENT);
	assert_int_equal(res.failures[1].reason, PLACEMENT_ATTRIBUTE);
	assert_int_equal(res.failures[2].reason, PLACEMENT_MEMBER_OF);
	assert_int_equal(res.failures[3].reason, PLACEMENT_CPU);
	placement_result_clear(&res);
}

static void test_required_attribute_value(void **state)
{
	(void)state;
	static const struct placement_attr need[] = { { "ecs.os-type", "linux" } };
	static const struct placement_attr win[] = { { "ecs.os-type", "windows" } };
	static const struct placement_attr lin[] = { { "other", "x" }, { "ecs.os-type", "linux" } };
	struct placement_instance in[] = { inst("w", 1024, 1024), inst("l", 1024, 1024) };
	in[0].attrs = win;
	in[0].n_attrs = 1;
	in[1].attrs = lin;
	in[1].n_attrs = 2;
	struct placement_task t = task(10, 10);
	t.required = need;
	t.n_required = 1;
	struct placement_result res;
	run(in, 2, &t, 2, NULL, 0, &res);
	assert_int_equal(res.n_placed, 2);
	assert_int_equal(res.chosen[0], 1);
	assert_int_equal(res.chosen[1], 1);
	placement_result_clear(&res);
}

/* Pinned (StartTask): each task on its instance, independently. */
static void test_pinned(void **state)
{
	(void)state;
	struct placement_instance in[] = {
		inst("a", 1024, 1024), inst("b", 1024, 100), inst("c", 1024, 1024),
	};
	in[2].agent_connected = false;
	struct placement_task t = task(100, 512);
	size_t pins[] = { 0, 1, 2, 0, 0 };
	struct placement_result res;
	struct ecs_err err;
	assert_int_equal(placement_run(in, 3, &t, 5, pins, NULL, 0, NULL, NULL, &res, &err), 0);
	assert_int_equal(res.n_placed, 2); /* a twice (1024 MiB = 2 x 512) */
	assert_true(res.placed[0]);
	assert_false(res.placed[1]);
	assert_false(res.placed[2]);
	assert_true(res.placed[3]);
	assert_false(res.placed[4]);
	assert_int_equal(res.chosen[0], 0);
	assert_int_equal(res.chosen[1], 0);
	/* One failure per instance that refused: b, c, then a (memory). */
	assert_int_equal(res.n_failures, 3);
	assert_int_equal(res.failures[0].instance, 1);
	assert_int_equal(res.failures[0].reason, PLACEMENT_MEMORY);
	assert_int_equal(res.failures[1].instance, 2);
	assert_int_equal(res.failures[1].reason, PLACEMENT_AGENT);
	assert_int_equal(res.failures[2].instance, 0);
	assert_int_equal(res.failures[2].reason, PLACEMENT_MEMORY);
	placement_result_clear(&res);

	size_t bad[] = { 7 };
	assert_int_equal(placement_run(in, 3, &t, 1, bad, NULL, 0, NULL, NULL, &res, &err), -EINVAL);
}

static void test_no_instances_and_limits(void **state)
{
	(void)state;
	struct placement_task t = task(1, 1);
	struct placement_result res;
	run(NULL, 0, &t, 2, NULL, 0, &res);
	assert_int_equal(res.n_placed, 0);
	assert_int_equal(res.n_failures, 0);
	placement_result_clear(&res);
	placement_result_clear(NULL);

	struct placement_strategy st[PLACEMENT_MAX_STRATEGIES + 1];
	for (size_t i = 0; i < ARRAY_SIZE(st); i++)
		st[i] = strategy("random", NULL);
	struct placement_instance in[] = { inst("a", 10, 10) };
	struct ecs_err err;
	assert_int_equal(placement_run(in, 1, &t, 1, NULL, st, ARRAY_SIZE(st), NULL, NULL, &res,
				       &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strategy_parse),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_binpack_memory),
		cmocka_unit_test(test_binpack_cpu),
		cmocka_unit_test(test_spread_instance),
		cmocka_unit_test(test_spread_attribute),
		cmocka_unit_test(test_spread_attribute_buckets),
		cmocka_unit_test(test_spread_attribute_many),
		cmocka_unit_test(test_chained_strategies),
		cmocka_unit_test(test_random_valid),
		cmocka_unit_test(test_distinct_instance),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_reason_order),
		cmocka_unit_test(test_required_attribute_value),
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_no_instances_and_limits),
	};
	return cmocka_run_group_tests_name("cp_placement", tests, NULL, NULL);
}
