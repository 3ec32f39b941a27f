/*
 * spool_outage.h - the rounds the spool could not take (state_dir full).
 *
 * When the spool cannot take a round's samples (ENOSPC, EIO), they are not
 * recorded and never sent.  Three rules keep that from hiding a loss
 * (issue 16): the stores' "previous scan" times do not move (main.c), so the
 * first sample recorded afterwards counts in added_* every file created since
 * the last *recorded* sample, and deletions during the outage cannot net out
 * against new files; the seqs of the outage's first failed round are not
 * handed out again, so the collector sees seqs missing ("never arrived"),
 * while later failed rounds reuse the seqs after them, so a long outage is
 * one small jump the collector's bound on seq jumps accepts; and the outage
 * is logged once when it begins and summarised when it ends, not on every
 * round (spool_outage_log()), and the service status says so meanwhile
 * (spool_outage_status()).
 *
 * Used by the round's work thread and, after it, by the loop thread; never
 * by both at once (uv_queue_work's after-callback runs after the work).
 */
#ifndef SHRINKWATCH_AGENT_SPOOL_OUTAGE_H
#define SHRINKWATCH_AGENT_SPOOL_OUTAGE_H

#include <stddef.h>
#include <stdint.h>

struct spool_outage {
	int active;         /* the last round could not be recorded */
	int err;            /* the first failure's negative errno */
	int64_t since;      /* wall-clock seconds of the first failed round */
	uint64_t rounds;    /* failed rounds in this outage */
	uint64_t samples;   /* samples not recorded in this outage */
	uint64_t skip_first, skip_last; /* seqs never handed out again; 0, 0: none */
	int began_logged;   /* the caller logged the outage's start */
	int ended;          /* the outage just ended: the caller owes a summary */
	uint64_t ended_secs; /* the ended outage's length */
	uint64_t total_rounds; /* failed rounds since the agent started */
};

/*
 * A round of n samples, seqs first_seq..first_seq+n-1, could not be
 * recorded (err, a negative errno).  Returns how many of those seqs stay
 * used: n for the first failed round of an outage, 0 for the later ones (the
 * caller hands them out again).
 */
uint64_t spool_outage_failed(struct spool_outage *o, uint64_t first_seq, size_t n, int err);

/* A round was recorded: an outage in progress ends (o->ended is set, with
 * the counts of the outage kept until the next one begins). */
void spool_outage_recorded(struct spool_outage *o);

/* After each round, on the loop thread: logs the outage's start once (what
 * is lost, what is not, and to free space in state_dir), each further failed
 * round at debug level only (last_err: that round's error), and once, when
 * it has ended, a summary of it. */
void spool_outage_log(struct spool_outage *o, const char *state_dir, int last_err);

/* While an outage lasts: 1 with a one-line service status (the error, the
 * rounds not recorded since when, in ISO time) in out; 0 otherwise. */
int spool_outage_status(const struct spool_outage *o, const char *state_dir, char *out,
			size_t len);

#endif
