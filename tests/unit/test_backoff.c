/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "backoff.h"

static uint64_t rng_fixed(void *userdata)
{
	return *(const uint64_t *)userdata;
}

static void test_init_rejects(void **state)
{
	struct backoff b;
	struct ecs_err err = { 0 };
	assert_int_equal(backoff_init(&b, 0, 10, 2, 0, &err), -EINVAL);
	assert_string_equal(err.msg, "backoff: need 0 < min <= max");
	assert_int_equal(backoff_init(&b, 11, 10, 2, 0, &err), -EINVAL);
	assert_int_equal(backoff_init(&b, 1, 10, 0.5, 0, &err), -EINVAL);
	assert_string_equal(err.msg, "backoff: multiplier must be at least 1");
	assert_int_equal(backoff_init(&b, 1, 10, INFINITY, 0, &err), -EINVAL);
	assert_int_equal(backoff_init(&b, 1, 10, NAN, 0, &err), -EINVAL);
	assert_int_equal(backoff_init(&b, 1, 10, 2, 1.5, &err), -EINVAL);
	assert_string_equal(err.msg, "backoff: jitter must be within [0, 1]");
	assert_int_equal(backoff_init(&b, 1, 10, 2, -0.1, &err), -EINVAL);
	assert_int_equal(backoff_init(&b, 1, 10, 2, NAN, &err), -EINVAL);
	assert_int_equal(backoff_init(&b, 10, 10, 1, 1, &err), 0);
}

static void test_no_jitter_growth_and_cap(void **state)
{
	struct backoff b;
	assert_int_equal(backoff_init(&b, 100, 1000, 2, 0, NULL), 0);
	static const uint64_t want[] = { 100, 200, 400, 800, 1000, 1000, 1000 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(backoff_next(&b), want[i]);
	assert_int_equal(backoff_attempts(&b), 7);

	backoff_reset(&b);
	assert_int_equal(backoff_attempts(&b), 0);
	assert_int_equal(backoff_next(&b), 100);
	assert_int_equal(backoff_next(&b), 200);

	/* Fractional multipliers grow too. */
	assert_int_equal(backoff_init(&b, 1000, 5000, 1.5, 0, NULL), 0);
	assert_int_equal(backoff_next(&b), 1000);
	assert_int_equal(backoff_next(&b), 1500);
	assert_int_equal(backoff_next(&b), 2250);
	/* multiplier 1: constant delay */
	assert_int_equal(backoff_init(&b, 7, 50, 1, 0, NULL), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(backoff_next(&b), 7);
}

static void test_jitter_extremes(void **state)
{
	struct backoff b;
	uint64_t r;

	/* Full jitter: the window is [min, ceiling]. */
	assert_int_equal(backoff_init(&b, 100, 10000, 2, 1.0, NULL), 0);
	backoff_set_rng(&b, rng_fixed, &r);
	r = 0;
	assert_int_equal(backoff_next(&b), 100); /* ceiling 100 */
	assert_int_equal(backoff_next(&b), 100); /* ceiling 200, floor min */
	r = UINT64_MAX;
	/* ceiling 400: window [100, 400] has 301 values, UINT64_MAX % 301 = 15 */
	assert_int_equal(backoff_next(&b), 100 + UINT64_MAX % 301);
	r = 300;
	assert_int_equal(backoff_next(&b), 100 + 300 % 701); /* ceiling 800 */

	/* Half jitter: the window is [ceiling/2, ceiling]. */
	assert_int_equal(backoff_init(&b, 1000, 100000, 2, 0.5, NULL), 0);
	backoff_set_rng(&b, rng_fixed, &r);
	r = 0;
	assert_int_equal(backoff_next(&b), 1000); /* ceiling 1000, floor min */
	assert_int_equal(backoff_next(&b), 1000); /* ceiling 2000 */
	assert_int_equal(backoff_next(&b), 2000); /* ceiling 4000 */
	r = 2000;
	assert_int_equal(backoff_next(&b), 6000); /* ceiling 8000: 4000 + 2000 % 4001 */
}

static void test_jitter_within_bounds(void **state)
{
	struct backoff b;
	const uint64_t min = 500000, max = 60 * 1000000;
	assert_int_equal(backoff_init(&b, min, max, 2, 1.0, NULL), 0);

	/* The built-in generator: every delay within [min, ceiling], and the
	 * delays are not all the same. */
	for (int round = 0; round < 200; round++) {
		uint64_t ceiling = min, first = 0;
		bool varied = false;
		backoff_reset(&b);
		for (int i = 0; i < 20; i++) {
			uint64_t d = backoff_next(&b);
			assert_true(d >= min);
			assert_true(d <= ceiling);
			assert_true(d <= max);
			if (i == 0)
				first = d;
			else if (d != first)
				varied = true;
			ceiling = ceiling * 2 > max ? max : ceiling * 2;
		}
		assert_true(varied);
	}

	/* Full jitter is uniform: the mean of many draws is near the middle of
	 * [min, ceiling] (5% is many standard deviations; this never flakes). */
	assert_int_equal(backoff_init(&b, 1, 1000001, 1e9, 1.0, NULL), 0);
	backoff_next(&b);
	uint64_t sum = 0;
	for (int i = 0; i < 10000; i++)
		sum += backoff_next(&b);
	assert_true(sum / 10000 > 475000 && sum / 10000 < 525000);
}

static void test_huge_values_saturate(void **state)
{
	struct backoff b;
	uint64_t r = UINT64_MAX;

	assert_int_equal(backoff_init(&b, 1, UINT64_MAX, 1e300, 1.0, NULL), 0);
	backoff_set_rng(&b, rng_fixed, &r);
	assert_int_equal(backoff_next(&b), 1);
	/* The ceiling jumps to UINT64_MAX; the window is [1, UINT64_MAX]. */
	uint64_t d = backoff_next(&b);
	assert_true(d >= 1);
	assert_int_equal(b.ceiling, UINT64_MAX);

	/* Full-width window with no jitter. */
	assert_int_equal(backoff_init(&b, UINT64_MAX, UINT64_MAX, 2, 0, NULL), 0);
	assert_int_equal(backoff_next(&b), UINT64_MAX);
	assert_int_equal(backoff_next(&b), UINT64_MAX);

	/* Many attempts: stays capped, counter saturates instead of wrapping. */
	assert_int_equal(backoff_init(&b, 3, 1u << 30, 3, 0.25, NULL), 0);
	for (int i = 0; i < 100000; i++) {
		d = backoff_next(&b);
		assert_true(d >= 3 && d <= (1u << 30));
	}
	assert_int_equal(backoff_attempts(&b), 100000);
	b.attempts = UINT_MAX - 1;
	backoff_next(&b);
	backoff_next(&b);
	assert_int_equal(backoff_attempts(&b), UINT_MAX);
	/* After many attempts the un-jittered part is the cap. */
	d = backoff_next(&b);
	assert_true(d >= (1u << 30) - (1u << 28));
}

static void test_copy_keeps_default_rng(void **state)
{
	struct backoff a, b;
	assert_int_equal(backoff_init(&a, 10, 1000000, 2, 1.0, NULL), 0);
	for (int i = 0; i < 10; i++)
		backoff_next(&a);
	b = a;
	/* Same state, same sequence, independent of each other. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(backoff_next(&a), backoff_next(&b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_no_jitter_growth_and_cap),
		cmocka_unit_test(test_jitter_extremes),
		cmocka_unit_test(test_jitter_within_bounds),
		cmocka_unit_test(test_huge_values_saturate),
		cmocka_unit_test(test_copy_keeps_default_rng),
	};
	return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
