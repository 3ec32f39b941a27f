/*
 * state.c - the bottom of the detector: default parameters, a fresh state,
 * and the sample interval in use (configured, or learned from the spacing of
 * recent samples).  The other files of the detector call into this one;
 * it calls none of them.
 */
#include <string.h>

#include "detect_int.h"
#include "shrinkwatch/banned.h"

void detect_params_default(struct detect_params *p)
{
	memset(p, 0, sizeof *p);
	p->interval = 0;
	p->silence_intervals = 3;
	p->retention_days = 0;
	p->purge_at = -1;
	p->purge_window = 7200;
	p->warmup = 3 * DETECT__DAY;
	p->resolve_after = 30;
	p->drop_rel = 0.0025;
	p->drop_bytes = 16.0 * 1024 * 1024;
	p->drop_objects = 10;
	p->noise_mult = 8;
	p->leak_rate = 0.0005;
	p->leak_h = 0.001;
	p->purge_tol = 0.15;
	p->overpurge_rel = 0.004;
	p->warmup_purge_cap = 0.1;
	p->flat_ratio = 0.1;
	p->vanish_rel = 0.05;
	p->false_alerts_year = 0.1;
}

void detect_state_init(struct detect_state *st)
{
	memset(st, 0, sizeof *st);
	st->version = DETECT_STATE_VERSION;
	st->open_kind = DETECT__NO_EPISODE;
	st->hour_cur = -1;
	st->day_index = INT64_MIN;
	st->m[0].ratio = 1.0f;
	st->m[1].ratio = 1.0f;
	detect__exact_init(st);
}

uint32_t detect_interval(const struct detect_state *st, const struct detect_params *p)
{
	uint32_t v[7], n, i, j, t;

	if (p->interval)
		return p->interval;
	n = st->nspacing < 7 ? st->nspacing : 7;
	if (n == 0)
		return 0;
	memcpy(v, st->spacing, sizeof v);
	for (i = 1; i < n; i++) /* insertion sort of at most 7 */
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}
