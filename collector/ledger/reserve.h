/*
 * reserve.h - disk space held back for the ledger.
 *
 * The ledger is where an alert becomes durable and where its notifications
 * wait (the outbox): on a full data_dir an alert could be neither recorded
 * nor sent.  RRD files take their space once, when they are created, and
 * their writer keeps RRDSPACE_KEEP_FREE free (collector/store/rrdspace.h);
 * but anything else can fill the file system (another program, a log).  So
 * the collector keeps a preallocated file, data_dir/ledger.reserve, of
 * LEDGER_RESERVE_BYTES.  When the ledger cannot write for lack of space,
 * the caller releases the reserve (unlinks it: its blocks are free at once)
 * and tries again, which gives the ledger room for thousands of alerts; the
 * reserve is made again once the file system has room for it and more.
 * docs/operations.md, "A full data directory", says what to do then.
 */
#ifndef SHRINKWATCH_COLLECTOR_LEDGER_RESERVE_H
#define SHRINKWATCH_COLLECTOR_LEDGER_RESERVE_H

#include <stdbool.h>
#include <stdint.h>

#define LEDGER_RESERVE_NAME "ledger.reserve"
#define LEDGER_RESERVE_BYTES (8ull * 1024 * 1024)

struct ledger_reserve {
	char path[4200];
	uint64_t bytes;
	bool held;      /* the file exists at its full size */
	uint64_t released; /* times it was given up */
};

/* Makes (or finds) data_dir/ledger.reserve of bytes (0 = the default).  A
 * disk without room for it is logged, not an error: the reserve is made
 * later by ledger_reserve_refill().  0, or a negative errno for a path that
 * does not fit. */
int ledger_reserve_init(struct ledger_reserve *r, const char *data_dir, uint64_t bytes);
/* Gives the reserve's space back to the file system, for the ledger's next
 * try: 1 if it was held (logged), 0 if there was none to give. */
int ledger_reserve_release(struct ledger_reserve *r);
/* Makes the reserve again if it is not held and the file system has room
 * for it and as much again; cheap when held (one flag).  1 if made. */
int ledger_reserve_refill(struct ledger_reserve *r);

#endif
