/*
 * detectbench.c - detect_update() throughput: sample updates per second on
 * one core over many series (default 100,000), each with its own state, fed
 * round-robin as a collector would see them (one sample of every store per
 * interval), so the states do not sit in the CPU cache.
 *
 * The series are realistic enough to take the detector's real paths: ingest
 * that varies per sample, a nightly retention purge of what came in R days
 * earlier, and one series in a thousand losing 30% of its bytes halfway
 * through (those raise alarms).  The first WARM rounds train the states and
 * are not timed.
 *
 *   detectbench [--series N] [--rounds R] [--interval S]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shrinkwatch/detect.h"
#include "shrinkwatch/sample.h"

struct series {
	double bytes, objects;
	double day_added[8]; /* ingest per day, for the purge 7 days later */
};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static double frand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The next sample of series i at round r. */
static void next_input(struct series *s, size_t i, unsigned r, unsigned rounds, unsigned interval,
		       int64_t t0, struct detect_input *in)
{
	int64_t t = t0 + (int64_t)r * interval;
	unsigned day = (unsigned)(t / 86400), hour = (unsigned)(t % 86400 / 3600);
	double added = 2e9 * (0.5 + frand()), added_obj = added / 2e6;

	s->day_added[day % 8] += added;
	/* the nightly purge at 02:00 removes what came in 7 days ago */
	if (hour == 2 && t % 3600 < interval) {
		double purge = s->day_added[(day + 1) % 8];
		s->bytes -= purge;
		s->objects -= purge / 2e6;
		s->day_added[(day + 1) % 8] = 0;
	}
	if (i % 1000 == 7 && r == rounds / 2) {
		s->bytes *= 0.7; /* an unexplained loss */
		s->objects *= 0.7;
	}
	s->bytes += added;
	s->objects += added_obj;
	*in = (struct detect_input){ .time = t, .bytes = s->bytes, .objects = s->objects,
				     .added_bytes = added, .added_objects = added_obj,
				     .has_added = true, .status = SW_SCAN_COMPLETE,
				     .mount_id = 0x803 };
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "series", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ 0 },
	};
	size_t nseries = 100000;
	unsigned rounds = 240, warm = 48, interval = 3600;
	int64_t t0 = 1700000000 - 1700000000 % 86400;
	struct detect_state *st;
	struct series *ser;
	struct detect_params p;
	struct detect_event ev[DETECT_MAX_EVENTS];
	uint64_t updates = 0, events = 0, firing = 0, by_kind[DETECT_KIND_COUNT] = { 0 };
	double t_start, c_start, secs, cpu;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': nseries = strtoul(optarg, NULL, 10); break;
		case 'r': rounds = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': interval = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "Usage: detectbench [--series N] [--rounds R] [--interval S]\n");
			return 2;
		}
	}
	if (!nseries || rounds <= warm || !interval) {
		fprintf(stderr, "detectbench: need series > 0, rounds > %u, interval > 0\n", warm);
		return 2;
	}
	st = malloc(nseries * sizeof *st);
	ser = calloc(nseries, sizeof *ser);
	if (!st || !ser) {
		fprintf(stderr, "detectbench: out of memory\n");
		return 1;
	}
	detect_params_default(&p);
	p.interval = interval;
	p.purge_at = 2 * 3600; /* the purge schedule is declared, as an operator would */
	p.retention_days = 7;
	for (size_t i = 0; i < nseries; i++) {
		detect_state_init(&st[i]);
		ser[i].bytes = 5e12 * (0.2 + frand());
		ser[i].objects = ser[i].bytes / 2e6;
	}
	t_start = clock_s(CLOCK_MONOTONIC);
	c_start = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (unsigned r = 0; r < rounds; r++) {
		if (r == warm) {
			t_start = clock_s(CLOCK_MONOTONIC);
			c_start = clock_s(CLOCK_THREAD_CPUTIME_ID);
		}
		for (size_t i = 0; i < nseries; i++) {
			struct detect_input in;
			int n;

			next_input(&ser[i], i, r, rounds, interval, t0, &in);
			n = detect_update(&st[i], &p, &in, ev);
			if (r >= warm) {
				updates++;
				events += (uint64_t)n;
				for (int k = 0; k < n; k++)
					if (ev[k].state == DETECT_FIRING) {
						firing++;
						by_kind[ev[k].kind]++;
					}
			}
		}
	}
	secs = clock_s(CLOCK_MONOTONIC) - t_start;
	cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c_start;
	/* per core = per second of this thread's CPU time; the wall-clock rate
	 * is lower when the machine is shared */
	printf("\nDetector throughput: detect_update() over %zu series, one thread\n", nseries);
	printf("  %-34s %14" PRIu64 "\n", "timed updates", updates);
	printf("  %-34s %14.2f\n", "CPU seconds (thread)", cpu);
	printf("  %-34s %14.2f\n", "wall seconds", secs);
	printf("  %-34s %14.0f\n", "updates/s per core (CPU time)", (double)updates / cpu);
	printf("  %-34s %14.0f\n", "updates/s wall clock", (double)updates / secs);
	printf("  %-34s %14.0f\n", "target (issue 8)", 2e6);
	printf("  %-34s %13.2fx\n", "per core / target", (double)updates / cpu / 2e6);
	printf("  %-34s %14.0f\n", "ns per update (CPU)", cpu * 1e9 / (double)updates);
	printf("  %-34s %14zu\n", "state bytes per series", sizeof *st);
	printf("  %-34s %14" PRIu64 "\n", "events", events);
	for (unsigned k = 0; k < DETECT_KIND_COUNT; k++)
		if (by_kind[k])
			printf("  %-34s %14" PRIu64 "\n", detect_kind_name(k), by_kind[k]);
	free(st);
	free(ser);
	return 0;
}
