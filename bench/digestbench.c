/*
 * digestbench.c - the cost of the copy digests (issue 13) on a tree, the way
 * the agent computes them (agent/digests.h, from the manifest of a scan).
 *
 *   digestbench TREE STATE_DIR
 *
 * Scans TREE once with the exact accounts (which builds the manifest), then
 * times a build of the store's digests from that manifest, and encodes the
 * answers a collector's first look takes: the root's own digest (SW_DIG_SELF)
 * and the root's listing (one level).  Prints "name value" lines: files,
 * directories, scan_s, digest_build_s, peak RSS after the scan and after the
 * build, and the bytes of those answers on the wire (requests included).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/accounts.h"
#include "agent/digests.h"
#include "agent/scan.h"
#include "shrinkwatch/log.h"

static double db_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long db_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int db_count(void *ud, struct buf *frame)
{
	*(size_t *)ud += frame->len;
	buf_release(frame);
	return 0;
}

/* Bytes of one request and its answer on the wire. */
static size_t db_ask(struct digests *d, const char *dir, uint8_t flags)
{
	struct sw_digreq r = { .req_id = 1, .flags = flags };
	struct buf req;
	size_t n = 0;

	snprintf(r.store, sizeof r.store, "bench");
	snprintf(r.dir, sizeof r.dir, "%s", dir);
	buf_init(&req, 8192);
	if (proto_encode_digreq(&req, &r) || digests_answer(d, &r, db_count, &n)) {
		fprintf(stderr, "digestbench: cannot answer a request\n");
		exit(1);
	}
	n += req.len;
	buf_release(&req);
	return n;
}

int main(int argc, char **argv)
{
	struct scan_options opt = { 0 };
	struct accounts *acc;
	struct digests *d;
	struct sw_sample s;
	uint64_t dirs, files, disk;
	char ddir[4096];
	double t0, scan_s, build_s;
	long rss_scan;
	size_t self_b, list_b;

	if (argc != 3) {
		fprintf(stderr, "usage: digestbench TREE STATE_DIR\n");
		return 2;
	}
	log_set_level(LOG_ERR);
	if (accounts_open(argv[2], 86400, 1u << 30, 0, &acc)) {
		fprintf(stderr, "digestbench: cannot open the accounts in '%s'\n", argv[2]);
		return 1;
	}
	memset(&s, 0, sizeof s);
	snprintf(s.store, sizeof s.store, "bench");
	clock_gettime(CLOCK_REALTIME_COARSE, &opt.start);
	t0 = db_now();
	accounts_prepare(acc, "bench", &opt);
	if (!opt.manifest || scan_store(argv[1], &opt, &s) < 0) {
		fprintf(stderr, "digestbench: the scan failed\n");
		return 1;
	}
	/* settle commits the manifest (and builds the agent's own digests) */
	accounts_settle(acc, &opt, &s);
	scan_s = db_now() - t0;
	rss_scan = db_rss_kb();
	manifest_counts(opt.manifest, &dirs, &files, &disk);
	snprintf(ddir, sizeof ddir, "%s/bench", argv[2]);
	if (mkdir(ddir, 0700) < 0 || digests_open(ddir, 0, &d)) {
		fprintf(stderr, "digestbench: cannot prepare '%s'\n", ddir);
		return 1;
	}
	t0 = db_now();
	if (digests_refresh(d, "bench", opt.manifest, NULL)) {
		fprintf(stderr, "digestbench: cannot build the digests\n");
		return 1;
	}
	build_s = db_now() - t0;
	self_b = db_ask(d, "", SW_DIG_SELF);
	list_b = db_ask(d, "", 0);
	printf("files %llu\n", (unsigned long long)files);
	printf("dirs_with_files %llu\n", (unsigned long long)dirs);
	printf("scan_s %.3f\n", scan_s);
	printf("digest_build_s %.3f\n", build_s);
	printf("peak_rss_after_scan_kb %ld\n", rss_scan);
	printf("peak_rss_after_digests_kb %ld\n", db_rss_kb());
	printf("wire_root_self_bytes %zu\n", self_b);
	printf("wire_root_listing_bytes %zu\n", list_b);
	digests_close(d);
	accounts_close(acc);
	return 0;
}
