/*
 * backoff.h - exponential backoff with jitter, drawn per process.
 *
 * A fleet of agents that lose their collector at the same moment must not
 * all come back at the same moment, and collectors retrying a notifier that
 * was down must not hit it in the same second.  Retries therefore wait an
 * exponentially growing delay with random jitter.  The randomness must differ
 * between processes: rand() without srand() draws the same sequence in every
 * process, which is exactly the lockstep jitter is meant to prevent.  So the
 * jitter comes from a small generator (xorshift64*) whose per-process state is
 * seeded once, on first use, with uv_random() (the kernel's getrandom()); if
 * that fails (a very early boot without entropy) the seed falls back to the
 * clock, the pid and an address, which still differ between processes.
 * Tests seed a generator of their own with backoff_rng_seed() to get a
 * repeatable sequence.  Not for cryptography.
 */
#ifndef SHRINKWATCH_BACKOFF_H
#define SHRINKWATCH_BACKOFF_H

#include <stdint.h>

/* A schedule: min doubling to max, then jittered to between below_pct
 * percent under and above_pct percent over that value. */
struct backoff_policy {
	uint64_t min, max; /* any unit (ms, s); min >= 1 */
	unsigned below_pct, above_pct; /* each at most 100 */
};

/* A jitter generator; the state is never 0. */
struct backoff_rng {
	uint64_t s;
};

/* Seeds r deterministically (tests); any seed, 0 included, is usable. */
void backoff_rng_seed(struct backoff_rng *r, uint64_t seed);
/* The next 64 random bits of r, or of the process's own state if r is NULL
 * (seeded on first use, see above; loop thread or a single thread only). */
uint64_t backoff_rng_next(struct backoff_rng *r);
/* The delay before retry number attempt (1-based; 0 counts as 1): p->min
 * doubled attempt - 1 times, capped at p->max, then jittered as
 * backoff_jitter().  rng NULL: the process's own state. */
uint64_t backoff_delay(const struct backoff_policy *p, unsigned attempt, struct backoff_rng *rng);
/* base jittered by p's percentages: uniform in [base - base * below_pct / 100,
 * base + base * above_pct / 100].  rng NULL: the process's own state. */
uint64_t backoff_jitter(const struct backoff_policy *p, uint64_t base, struct backoff_rng *rng);

#endif
