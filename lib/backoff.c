/* backoff.c - exponential backoff with per-process jitter (see backoff.h). */
#include <stdbool.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "shrinkwatch/backoff.h"
#include "shrinkwatch/banned.h"

/* splitmix64: spreads any seed (0, a small counter) over the whole state. */
static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void backoff_rng_seed(struct backoff_rng *r, uint64_t seed)
{
	r->s = mix(seed);
	if (!r->s)
		r->s = 0x9e3779b97f4a7c15ULL; /* xorshift never leaves 0 */
}

/* The process's own state, seeded on first use. */
static struct backoff_rng *process_rng(void)
{
	static struct backoff_rng rng;
	static bool seeded;
	uint64_t seed;

	if (!seeded) {
		if (uv_random(NULL, NULL, &seed, sizeof seed, 0, NULL)) {
			struct timespec ts;

			/* no entropy yet: still different per process and start */
			clock_gettime(CLOCK_REALTIME, &ts);
			seed = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
			seed ^= (uint64_t)getpid() << 32;
			seed ^= (uint64_t)(uintptr_t)&seed;
		}
		backoff_rng_seed(&rng, seed);
		seeded = true;
	}
	return &rng;
}

uint64_t backoff_rng_next(struct backoff_rng *r)
{
	if (!r)
		r = process_rng();
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

uint64_t backoff_jitter(const struct backoff_policy *p, uint64_t base, struct backoff_rng *rng)
{
	uint64_t below = base * p->below_pct / 100, span = base * (p->below_pct + p->above_pct) / 100;

	return base - below + backoff_rng_next(rng) % (span + 1);
}

uint64_t backoff_delay(const struct backoff_policy *p, unsigned attempt, struct backoff_rng *rng)
{
	uint64_t d = p->min;

	for (unsigned i = 1; i < attempt && d < p->max; i++)
		d *= 2;
	if (d > p->max)
		d = p->max;
	return backoff_jitter(p, d, rng);
}
