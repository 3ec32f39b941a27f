/*
 * manifestbench.c - the cost of the exact accounts (issue 12) on a tree, the
 * way the agent runs them (agent/accounts.h: manifest, journal, scan cache).
 *
 *   manifestbench [-t THREADS] [-I] TREE STATE_DIR
 *
 * Prints "name value" lines: the full scan without a manifest (today's),
 * the first full scan that builds the manifest, the manifest's size on disk,
 * an unchanged incremental rescan, then deletes 10,000 files in 500
 * directories and times today's rescan (scan cache, no manifest), then
 * 10,000 more and times the rescan with the manifest that finds them
 * (checking it reports exactly 10,000 removed), and last the process's peak
 * RSS.  With -I it then deletes up to 100,000 more files (100 in each of
 * 1,000 directories) and times the agent's side of their
 * inventory (journal read and INVENTORY frames encoded).  TREE is modified:
 * give it a scratch copy.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/accounts.h"
#include "agent/scan.h"
#include "agent/scan_cache.h"
#include "shrinkwatch/log.h"

static double mb_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct mb {
	const char *tree;
	struct accounts *acc;
	struct scan_cache *cache;
	struct timespec prev;
	unsigned threads;
	struct sw_sample s;
	struct scan_stats st;
	double settle_s; /* of the last scan: journal and manifest commits */
};

/* One scan as the agent runs it; returns seconds. */
static double mb_scan(struct mb *m, int with_accounts, int with_cache)
{
	struct scan_options opt = { 0 };
	double t0, t1;

	clock_gettime(CLOCK_REALTIME_COARSE, &opt.start);
	opt.prev_start = m->prev;
	opt.threads = m->threads;
	opt.cache = with_cache ? m->cache : NULL;
	opt.stats = &m->st;
	memset(&m->s, 0, sizeof m->s);
	snprintf(m->s.store, sizeof m->s.store, "bench");
	t0 = mb_now();
	if (with_accounts)
		accounts_prepare(m->acc, "bench", &opt);
	if (scan_store(m->tree, &opt, &m->s) < 0) {
		fprintf(stderr, "manifestbench: scan failed\n");
		exit(1);
	}
	t1 = mb_now();
	if (with_accounts)
		accounts_settle(m->acc, &opt, &m->s);
	m->settle_s = mb_now() - t1;
	t1 = mb_now();
	if (with_accounts)
		m->prev = opt.start;
	return t1 - t0;
}

/* Deletes per_dir files in each of ndirs leaf directories (depth-first,
 * sorted names, so the choice is the same every run).  Returns how many. */
static unsigned mb_skip; /* leaf directories to pass over first */

/* Deletes per_dir files in each of *ndirs directories holding files
 * (depth-first, sorted names, so the choice is the same every run), after
 * passing over mb_skip of them.  Returns how many files it deleted. */
static unsigned mb_delete(const char *dir, unsigned *ndirs, unsigned per_dir, unsigned depth)
{
	struct dirent **names;
	unsigned done = 0, files = 0;
	int n = scandir(dir, &names, NULL, alphasort), has_files = 0, skip = -1;

	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		char p[4096];
		struct stat st;

		if (names[i]->d_name[0] == '.' || *ndirs == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, names[i]->d_name);
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < 8) {
			done += mb_delete(p, ndirs, per_dir, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (skip < 0) {
			skip = mb_skip > 0;
			if (skip)
				mb_skip--;
		}
		has_files = 1;
		if (!skip && files < per_dir && unlink(p) == 0)
			files++;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (has_files && !skip && files && *ndirs)
		(*ndirs)--;
	return done + files;
}

static int mb_count(void *ud, struct buf *frame)
{
	*(size_t *)ud += frame->len;
	buf_release(frame);
	return 0;
}

int main(int argc, char **argv)
{
	struct mb m = { 0 };
	char path[4200];
	struct stat st;
	struct rusage ru;
	int opt, inventory = 0;
	unsigned ndirs, gone;
	double t;

	while ((opt = getopt(argc, argv, "t:I")) != -1) {
		if (opt == 't')
			m.threads = (unsigned)atoi(optarg);
		else if (opt == 'I')
			inventory = 1;
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: manifestbench [-t THREADS] [-I] TREE STATE_DIR\n");
		return 2;
	}
	m.tree = argv[optind];
	log_init("manifestbench", LOG_WARNING);
	log_force_stderr(true);
	if (accounts_open(argv[optind + 1], 400 * 86400, 256u << 20, 0, &m.acc) < 0)
		return 1;
	m.cache = scan_cache_new(86400, 1);

	mb_scan(&m, 0, 0); /* warm the inode cache, as du's run is warm too */
	t = mb_scan(&m, 0, 0);
	printf("full_scan_plain_s %.3f\nobjects %llu\n", t, (unsigned long long)m.s.objects);
	t = mb_scan(&m, 1, 1);
	printf("full_scan_manifest_s %.3f\n", t);
	snprintf(path, sizeof path, "%s/manifest/bench.swm", argv[optind + 1]);
	if (stat(path, &st) == 0)
		printf("manifest_bytes %lld\n", (long long)st.st_size);
	sleep(SCAN_CACHE_SLACK_S + 1);
	mb_scan(&m, 1, 1);
	t = mb_scan(&m, 1, 1);
	printf("unchanged_rescan_s %.4f\nunchanged_dirs_read %llu\n", t,
	       (unsigned long long)m.st.dirs_read);
	/* today's incremental rescan after 10,000 deletions in 500 directories
	 * (cache only: the next manifest scan is then a full one, which finds
	 * these deletions too) */
	ndirs = 500;
	gone = mb_delete(m.tree, &ndirs, 20, 0);
	sleep(SCAN_CACHE_SLACK_S + 1);
	{
		struct timespec keep = m.prev;

		m.prev = m.cache->last_start;
		t = mb_scan(&m, 0, 1);
		m.prev = keep;
	}
	printf("deleted %u in %u dirs\nrescan_after_deletions_plain_s %.4f\n", gone, 500 - ndirs, t);
	mb_scan(&m, 1, 1); /* full: catches up */
	sleep(SCAN_CACHE_SLACK_S + 1);
	mb_scan(&m, 1, 1);
	ndirs = 500;
	mb_skip = 500; /* other directories than the first batch's */
	gone = mb_delete(m.tree, &ndirs, 20, 0);
	printf("deleted %u in %u dirs\n", gone, 500 - ndirs);
	sleep(SCAN_CACHE_SLACK_S + 1);
	t = mb_scan(&m, 1, 1);
	printf("rescan_after_deletions_commit_s %.4f\n", m.settle_s);
	printf("rescan_after_deletions_s %.4f\nremoved_reported %llu\nexact %d\n", t,
	       (unsigned long long)m.s.removed_objects, !!(m.s.flags & SW_SAMPLE_EXACT));
	if (inventory) {
		struct sw_invreq r = { .req_id = 1, .from = 0, .to = INT64_MAX };
		size_t bytes = 0;

		ndirs = 1000;
		mb_skip = 1000;
		gone = mb_delete(m.tree, &ndirs, 100, 0);
		mb_scan(&m, 1, 1);
		printf("deleted_for_inventory %u\nremoved_reported %llu\n", gone,
		       (unsigned long long)m.s.removed_objects);
		snprintf(r.store, sizeof r.store, "bench");
		r.from = m.prev.tv_sec - 1;
		t = mb_now();
		accounts_inventory(m.acc, &r, mb_count, &bytes);
		printf("inventory_s %.3f\ninventory_bytes %zu\n", mb_now() - t, bytes);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("peak_rss_kb %ld\n", ru.ru_maxrss);
	accounts_close(m.acc);
	scan_cache_free(m.cache);
	return 0;
}
