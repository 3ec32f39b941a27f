/*
 * loadgen.h - the collector load generator's parts (bench/loadgen*.c).
 *
 * The load is the same in every mode so the numbers compare: `agents` agents
 * with `stores` stores each send `rounds` scans per store, one sample per
 * store and scan, scan r of every store at time t0 + r * interval.  Sample
 * values follow the round too, so the verifier can tell a stored row from a
 * lost one by counting rows in the RRD files afterwards.
 */
#ifndef SHRINKWATCH_BENCH_LOADGEN_H
#define SHRINKWATCH_BENCH_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/sample.h"

struct lg_load {
	unsigned agents;
	unsigned stores;
	unsigned rounds;    /* scans per store */
	unsigned interval;  /* seconds between scans, the RRD step */
	int64_t t0;         /* time of scan 0 */
	char prefix[32];    /* agent names are <prefix><number> */
};

/* Fills sample (agent a, store s, round r) as the shrinkwatch agent would. */
void lg_sample(const struct lg_load *l, unsigned s, unsigned r, struct sw_sample *out);
/* The "objects" value of store s in round r (unique per round). */
uint64_t lg_objects(unsigned s, unsigned r);
/* Agent and store names. */
void lg_agent_name(const struct lg_load *l, unsigned a, char *out, size_t len);
void lg_store_name(unsigned s, char *out, size_t len);
/* Monotonic clock in nanoseconds. */
uint64_t lg_now_ns(void);

/*
 * Counts what reached the RRD files: for every (agent, store) file under
 * path_fmt (printf format taking the data dir, agent and store names), the
 * rows of its finest AVERAGE archive that hold a value between t0 and the
 * last round.  Fills *stored and *files_missing; prints a line per file that
 * is short (up to 5).  0, or a negative errno.
 */
int lg_verify_rrd(const struct lg_load *l, const char *data_dir, const char *path_fmt,
		  uint64_t *stored, uint64_t *files_missing);

/*
 * Sends the load to collectd's network plugin over UDP (collectd's binary
 * protocol, type "shrinkwatch" with the seven data sources) at rate samples
 * per second (0 = as fast as the socket takes them).  Prints the send time.
 */
int lg_collectd_send(const struct lg_load *l, const char *host, unsigned port,
		     double rate);

/*
 * The ceiling: writes the load straight into RRD files under data_dir with
 * librrd on `threads` threads, per_frame updates per call, no sync; prints
 * the update rate (file creation not timed).  0 or a negative errno.
 */
int lg_librrd_run(const struct lg_load *l, const char *data_dir, unsigned per_frame,
		  unsigned threads);

#endif
