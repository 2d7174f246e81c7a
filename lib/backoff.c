/* SPDX-License-Identifier: Apache-2.0 */
#include "backoff.h"

#include <limits.h>
#include <math.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t seed(void)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		/* Early boot or no getrandom: good enough to spread a fleet. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
		    ((uint64_t)getpid() << 32);
	}
	return s ? s : UINT64_C(0x9e3779b97f4a7c15);
}

/* xorshift64* (Vigna): tiny, fast, and statistically fine for jitter. */
static uint64_t xorshift_next(void *userdata)
{
	uint64_t *x = userdata;
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(2685821657736338717);
}

int backoff_init(struct backoff *b, uint64_t min_usec, uint64_t max_usec, double multiplier,
		 double jitter, struct ecs_err *err)
{
	if (min_usec == 0 || min_usec > max_usec)
		return err_set(err, EINVAL, "backoff: need 0 < min <= max");
	if (!isfinite(multiplier) || multiplier < 1.0)
		return err_set(err, EINVAL, "backoff: multiplier must be at least 1");
	if (!(jitter >= 0.0 && jitter <= 1.0))
		return err_set(err, EINVAL, "backoff: jitter must be within [0, 1]");

	*b = (struct backoff){
		.min_usec = min_usec,
		.max_usec = max_usec,
		.multiplier = multiplier,
		.jitter = jitter,
		.ceiling = min_usec,
		.xorshift = seed(),
	};
	return 0;
}

void backoff_set_rng(struct backoff *b, backoff_rng_fn fn, void *userdata)
{
	b->rng = fn;
	b->rng_data = userdata;
}

/* Uniform in [lo, hi]; the modulo bias is irrelevant for jitter. */
static uint64_t uniform(struct backoff *b, uint64_t lo, uint64_t hi)
{
	/* The default generator is found through b, not a stored pointer, so
	 * a struct backoff may be copied. */
	uint64_t r = b->rng ? b->rng(b->rng_data) : xorshift_next(&b->xorshift);
	uint64_t span = hi - lo;
	if (span == UINT64_MAX)
		return r;
	return lo + r % (span + 1);
}

uint64_t backoff_next(struct backoff *b)
{
	uint64_t ceiling = b->ceiling;

	/* ceiling * (1 - jitter) <= ceiling, so the conversion back is safe. */
	double low = (double)ceiling * (1.0 - b->jitter);
	uint64_t lo = low >= (double)ceiling ? ceiling : (uint64_t)low;
	if (lo < b->min_usec)
		lo = b->min_usec;
	uint64_t delay = uniform(b, lo, ceiling);

	/* Compare in double before converting: (double)max may round up to
	 * 2^64, which does not fit a uint64_t. */
	double grown = (double)ceiling * b->multiplier;
	if (grown >= (double)b->max_usec)
		b->ceiling = b->max_usec;
	else if ((uint64_t)grown > ceiling) /* rounding must not shrink it */
		b->ceiling = (uint64_t)grown;
	if (b->attempts < UINT_MAX)
		b->attempts++;
	return delay;
}

void backoff_reset(struct backoff *b)
{
	b->ceiling = b->min_usec;
	b->attempts = 0;
}

unsigned backoff_attempts(const struct backoff *b)
{
	return b->attempts;
}
