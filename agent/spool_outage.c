/* spool_outage.c - the rounds the spool could not take (see spool_outage.h). */
#include <time.h>

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
