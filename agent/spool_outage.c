/* spool_outage.c - the rounds the spool could not take (see spool_outage.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shrinkwatch/log.h"
#include "spool_outage.h"
#include "shrinkwatch/banned.h"

uint64_t spool_outage_failed(struct spool_outage *o, uint64_t first_seq, size_t n, int err)
{
	uint64_t kept = 0;

	if (!o->active) {
		/* a new outage: the counts of the last one go */
		o->active = 1;
		o->err = err;
		o->since = (int64_t)time(NULL);
		o->rounds = o->samples = 0;
		o->skip_first = o->skip_last = 0;
		o->began_logged = 0;
		o->ended = 0;
		if (n) {
			o->skip_first = first_seq;
			o->skip_last = first_seq + n - 1;
			kept = n;
		}
	} else if (!o->skip_first && n) {
		/* the outage's first rounds had no sample: these seqs mark it */
		o->skip_first = first_seq;
		o->skip_last = first_seq + n - 1;
		kept = n;
	}
	o->rounds++;
	o->total_rounds++;
	o->samples += n;
	return kept;
}

void spool_outage_recorded(struct spool_outage *o)
{
	int64_t now = (int64_t)time(NULL);

	if (!o->active)
		return;
	o->active = 0;
	o->ended = 1;
	o->ended_secs = now > o->since ? (uint64_t)(now - o->since) : 0;
}

void spool_outage_log(struct spool_outage *o, const char *state_dir, int last_err)
{
	if (o->active && !o->began_logged) {
		o->began_logged = 1;
		log_err("agent: cannot write samples to the spool in '%s/spool': %s.  Until it "
			"can, no sample is recorded or sent: the collector sees silence and seqs "
			"%llu-%llu missing, and the first sample recorded afterwards counts every "
			"file created since the last recorded one, so a loss meanwhile still "
			"shows.  Free space in '%s'",
			state_dir, strerror(-o->err), (unsigned long long)o->skip_first,
			(unsigned long long)o->skip_last, state_dir);
	} else if (o->active) {
		log_debug("agent: spool still not writable (%s); %llu rounds not recorded",
			  strerror(-last_err), (unsigned long long)o->rounds);
	}
	if (o->ended) {
		o->ended = 0;
		log_warn("agent: the spool in '%s/spool' takes samples again: %llu rounds "
			 "(%llu samples) over %llu s were not recorded (%s); seqs %llu-%llu "
			 "skipped; this round's samples count everything created since the last "
			 "recorded round", state_dir, (unsigned long long)o->rounds,
			 (unsigned long long)o->samples, (unsigned long long)o->ended_secs,
			 strerror(-o->err), (unsigned long long)o->skip_first,
			 (unsigned long long)o->skip_last);
	}
}

int spool_outage_status(const struct spool_outage *o, const char *state_dir, char *out,
			size_t len)
{
	char since[32];
	time_t t = (time_t)o->since;
	struct tm tm;

	if (!o->active)
		return 0;
	strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	snprintf(out, len, "SPOOL NOT WRITABLE (%s): %llu rounds not recorded since %s; free "
			   "space in %s", strerror(-o->err), (unsigned long long)o->rounds, since,
		 state_dir);
	return 1;
}
