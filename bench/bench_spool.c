/* bench_spool.c - how fast the agent's spool appends (per fsync policy) and
 * reads back: samples per second and bytes per sample.  An agent appends one
 * round (one sample per store) per interval, so what matters is the cost of a
 * round of N stores with fsync, and the read rate of a backlog after an
 * outage.  Usage: bench_spool [DIR] (default: a directory under /tmp). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/spool.h"
#include "shrinkwatch/log.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(struct sw_sample *s, uint64_t seq)
{
	memset(s, 0, sizeof *s);
	s->seq = seq;
	s->time = 1700000000 + (int64_t)seq;
	snprintf(s->store, sizeof s->store, "bodycam-%03llu", (unsigned long long)(seq % 100));
	s->objects = 1000000 + seq;
	s->bytes = 5000000000000ull + seq * 1000;
	s->fs_used = s->fs_size = s->fs_inodes = 123456789;
	s->flags = SW_SAMPLE_HAS_ADDED | SW_SAMPLE_BTIME;
}

static int run(const char *base, enum spool_fsync pol, const char *name, size_t rounds,
	       size_t per_round)
{
	char dir[512];
	struct spool sp;
	struct sw_sample *batch = calloc(per_round, sizeof *batch), *out = calloc(512, sizeof *out);
	uint64_t seq = 0, after = 0;
	size_t total = 0, got;
	double t0, t1, t2;

	snprintf(dir, sizeof dir, "%s/%s", base, name);
	if (!batch || !out || spool_open(&sp, dir, pol, 256ull << 20, 1))
		return 1;
	t0 = now();
	for (size_t r = 0; r < rounds; r++) {
		for (size_t i = 0; i < per_round; i++)
			fill(&batch[i], ++seq);
		if (spool_append(&sp, batch, per_round))
			return 1;
	}
	t1 = now();
	while ((got = spool_read(&sp, 0, after, out, 512)) > 0) {
		after = out[got - 1].seq;
		total += got;
	}
	t2 = now();
	printf("fsync=%-8s rounds of %4zu samples: %8.0f samples/s appended (%.3f ms per "
	       "round), %6.1f bytes/sample on disk; backlog read %9.0f samples/s (%zu read)\n",
	       name, per_round, (double)(rounds * per_round) / (t1 - t0),
	       (t1 - t0) * 1000 / (double)rounds, (double)sp.total_bytes / (double)seq,
	       (double)total / (t2 - t1), total);
	spool_close(&sp);
	free(batch);
	free(out);
	return total == seq ? 0 : 1;
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/swbench.XXXXXX", cmd[600];
	const char *base = argc > 1 ? argv[1] : mkdtemp(tmp);
	int rc = 0;

	log_init("bench_spool", LOG_WARNING);
	if (!base)
		return 1;
	rc |= run(base, SPOOL_FSYNC_ALWAYS, "always", 500, 10);
	rc |= run(base, SPOOL_FSYNC_INTERVAL, "interval", 500, 10);
	rc |= run(base, SPOOL_FSYNC_NEVER, "never", 5000, 100);
	if (argc < 2) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
		if (system(cmd))
			rc = 1;
	}
	return rc;
}
