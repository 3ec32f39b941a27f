/* loadgen_load.c - the synthetic load: names and samples (see loadgen.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "loadgen.h"

void lg_agent_name(const struct lg_load *l, unsigned a, char *out, size_t len)
{
	snprintf(out, len, "%s%05u", l->prefix, a);
}

void lg_store_name(unsigned s, char *out, size_t len)
{
	snprintf(out, len, "store%u", s);
}

/*
 * A healthy store that grows by 40 files (84 MB) a scan and loses nothing:
 * each sample's added_* is exactly its growth, so the detector sees a zero
 * residual, as it does for almost every store of a real estate.  (A load
 * that lost files at every scan would raise an alert on every store and
 * measure the alert path instead of ingest.)  "objects" is 1,000,000 +
 * 40 x round (+ a store offset), so every RRD row carries a value that names
 * its round: the verifier can tell a row written by its own update from one a
 * later update filled in after a loss (a GAUGE update covers the time since
 * the previous one, so a lost sample does not leave an empty row behind).
 */
void lg_sample(const struct lg_load *l, unsigned s, unsigned r, struct sw_sample *out)
{
	memset(out, 0, sizeof *out);
	out->seq = (uint64_t)r * l->stores + s + 1;
	out->time = l->t0 + (int64_t)r * l->interval;
	lg_store_name(s, out->store, sizeof out->store);
	out->objects = lg_objects(s, r);
	out->bytes = out->objects * 2100000u;
	out->added_objects = 40;
	out->added_bytes = 40u * 2100000u;
	out->fs_used = out->bytes + 500000000u;
	out->fs_size = 40ull << 40;
	out->fs_inodes = out->objects + 12000;
	out->mount_id = 0x803;
	out->flags = SW_SAMPLE_HAS_ADDED | SW_SAMPLE_BTIME;
	out->status = SW_SCAN_COMPLETE;
	out->scan_ms = 900;
}

uint64_t lg_objects(unsigned s, unsigned r)
{
	return 1000000u + 100000000ull * s + 40ull * r;
}

uint64_t lg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
