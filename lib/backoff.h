/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Exponential backoff with jitter, for reconnect and retry loops.
 *
 * Delays are microseconds (uint64_t), the unit of sd-event's usec_t and of
 * config durations, so a delay goes straight into a timer.
 *
 * The ceiling grows geometrically: min, min*multiplier, ... capped at max.
 * Each delay is drawn uniformly from [max(min, ceiling * (1 - jitter)),
 * ceiling]. With jitter = 1 this is "full jitter" (with a floor of min): when
 * the control plane restarts, a whole fleet of agents reconnecting at once is
 * spread across the entire window instead of arriving in waves, and of the
 * usual schemes full jitter does the least total work for that. We prefer it
 * to "decorrelated jitter" because the bounds of the n-th delay depend only
 * on n, which makes them easy to reason about, log and test. A smaller
 * jitter trades spread for predictability; 0 gives plain exponential backoff.
 *
 * Arithmetic saturates: any number of attempts, and max up to UINT64_MAX,
 * never overflow.
 *
 * Randomness comes from a function the caller may inject (tests make it
 * deterministic); by default it is a xorshift64* generator per backoff,
 * seeded from getrandom(). It is not for cryptography, only for spreading
 * load.
 */
#include <stdint.h>

#include "error.h"

/* A uniformly distributed 64-bit value. */
typedef uint64_t (*backoff_rng_fn)(void *userdata);

/* Fields are private; the struct is public so it can be embedded. */
struct backoff {
	uint64_t min_usec;
	uint64_t max_usec;
	double multiplier;
	double jitter;
	uint64_t ceiling;  /* the cap of the next delay */
	unsigned attempts; /* delays handed out since the last reset (saturating) */
	backoff_rng_fn rng; /* NULL: the built-in generator */
	void *rng_data;
	uint64_t xorshift; /* default generator state, never 0 */
};

/* Set up `b`. Requires 0 < min <= max, multiplier >= 1 (finite) and jitter
 * in [0, 1]; otherwise -EINVAL and b is untouched. */
int backoff_init(struct backoff *b, uint64_t min_usec, uint64_t max_usec, double multiplier,
		 double jitter, struct ecs_err *err);

/* Use `fn(userdata)` instead of the built-in generator; NULL restores it. */
void backoff_set_rng(struct backoff *b, backoff_rng_fn fn, void *userdata);

/* The delay to wait before the next attempt; grows the ceiling. */
uint64_t backoff_next(struct backoff *b);

/* Start again from min, e.g. after a successful connection. */
void backoff_reset(struct backoff *b);

/* Delays handed out since init or the last reset (saturates at UINT_MAX). */
unsigned backoff_attempts(const struct backoff *b);
