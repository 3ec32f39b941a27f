/*
 * scanbench.c - runs the agent's walker (agent/scan.c) on a tree for the
 * benchmark, the way the agent does, and prints one line per scan.
 *
 *   scanbench [-t THREADS] [-i RESCANS] DIR
 *
 * Without -i: one full walk, no cache.  With -i N: a full walk that fills a
 * cache, then N incremental rescans (the tree should have been left alone
 * for a few seconds, as an evidence store between two scans would be).
 * Each line: mode, seconds, objects, bytes, directories read and trusted;
 * the last line is the process's peak RSS in KB (getrusage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent/scan.h"
#include "agent/scan_cache.h"
#include "shrinkwatch/log.h"

static double scanbench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int scanbench_one(const char *dir, struct scan_options *opt, const char *mode)
{
	struct scan_stats st;
	struct sw_sample s;
	double t0, t1;
	int ret;

	memset(&s, 0, sizeof(s));
	opt->stats = &st;
	clock_gettime(CLOCK_REALTIME, &opt->start);
	t0 = scanbench_now();
	ret = scan_store(dir, opt, &s);
	t1 = scanbench_now();
	if (ret < 0 || s.status != SW_SCAN_COMPLETE) {
		fprintf(stderr, "scanbench: scan of '%s' failed: %s\n", dir,
			s.first_error[0] ? s.first_error : "out of memory");
		return 1;
	}
	printf("%s %.6f objects=%llu bytes=%llu dirs_read=%llu dirs_unchanged=%llu threads=%u\n",
	       st.full ? "full" : mode, t1 - t0, (unsigned long long)s.objects,
	       (unsigned long long)s.bytes, (unsigned long long)st.dirs_read,
	       (unsigned long long)st.dirs_unchanged, st.threads);
	opt->prev_start = opt->start;
	return 0;
}

int main(int argc, char **argv)
{
	struct scan_options opt = { 0 };
	struct rusage ru;
	unsigned rescans = 0, i;
	int c, ret = 0;

	log_init("scanbench", LOG_WARNING);
	while ((c = getopt(argc, argv, "t:i:")) != -1) {
		switch (c) {
		case 't':
			opt.threads = (unsigned)atoi(optarg);
			break;
		case 'i':
			rescans = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: scanbench [-t THREADS] [-i RESCANS] DIR\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: scanbench [-t THREADS] [-i RESCANS] DIR\n");
		return 2;
	}
	if (rescans > 0) {
		opt.cache = scan_cache_new(86400, 60);
		if (!opt.cache)
			return 1;
	}
	ret = scanbench_one(argv[optind], &opt, "full");
	for (i = 0; !ret && i < rescans; i++)
		ret = scanbench_one(argv[optind], &opt, "incremental");
	scan_cache_free(opt.cache);
	getrusage(RUSAGE_SELF, &ru);
	printf("maxrss_kb %ld\n", ru.ru_maxrss);
	return ret;
}
