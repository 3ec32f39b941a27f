/*
 * purge.c - the retention model: what tonight's purge may remove.
 *
 * A nightly purge deletes footage older than R days except what is kept as
 * evidence, so it removes roughly ratio x (what was ingested R days earlier).
 * We keep a ring of daily ingest (one "purge-cycle day" starts where the
 * purge window starts, so a purge and the ingest it deletes line up), learn
 * the ratio and its spread from purges that looked normal, and learn R itself
 * by scoring every lag L by how steady log(purge / ingest L days earlier) is.
 * A missed night carries its expected purge over to the next one.  Until R
 * and the ratio are known, the allowance falls back to a generous multiple of
 * recent purges and recent daily ingest.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"
#include "shrinkwatch/banned.h"

#define CODE_UNKNOWN 0xffffu
#define LAG_SCALE 4096.0
#define LAG_MIN_N 10
/* Evidence retention is weeks to months: shorter lags only match the
 * weekly rhythm by chance.  Configure `retention` for shorter ones. */
#define LAG_FIRST 14

uint16_t detect__code(double v)
{
	double c;

	if (!(v > 0))
		return 0;
	c = log1p(v) * 1000.0 + 0.5;
	return c >= (double)(CODE_UNKNOWN - 1) ? CODE_UNKNOWN - 1 : (uint16_t)c;
}

double detect__decode(uint16_t c)
{
	return expm1((double)c / 1000.0);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * The learned purge window.  Each night votes for the hours its purge ran in
 * (roll_day below), so a purge of three hours, one that starts with a
 * jitter of half an hour or one that runs in two parts an hour or two apart
 * (a job that resumes, a second run) is one block of voted hours.  The block
 * grows from the hour with most votes over hours with at least a quarter of
 * its votes, across gaps of up to two hours, to at most MAX_BLOCK hours; it
 * is known once it holds most of the votes (a purge hour that keeps moving
 * is no window).  Sets *first and *n; false while unknown.
 */
#define MAX_BLOCK 8
#define MAX_GAP 2

/* Grows [*first, *first + *n) over hours with mark() true, both ways,
 * across gaps of up to MAX_GAP hours, to at most MAX_BLOCK hours. */
static void grow_block(const uint16_t *v, unsigned bar, int *first, int *n)
{
	bool grown = true;

	while (grown && *n < MAX_BLOCK) {
		grown = false;
		for (int g = 1; g <= MAX_GAP + 1 && *n + g <= MAX_BLOCK; g++)
			if (v[(*first + *n - 1 + g) % 24] >= bar) {
				*n += g;
				grown = true;
				break;
			}
		for (int g = 1; g <= MAX_GAP + 1 && *n + g <= MAX_BLOCK && !grown; g++)
			if (v[(*first - g + 24) % 24] >= bar) {
				*first = (*first - g + 24) % 24;
				*n += g;
				grown = true;
				break;
			}
	}
}

static bool learned_block(const struct detect_state *st, int *first, int *n)
{
	unsigned sum = 0, in = 0, top = 0;
	int h, hm = 0;

	for (h = 0; h < 24; h++) {
		sum += st->hour_votes[h];
		if (st->hour_votes[h] > top) {
			top = st->hour_votes[h];
			hm = h;
		}
	}
	/* one night is enough to place the window: a wrong first guess costs
	 * an alert, a long warm-up costs every loss of the first days */
	if (top < 16)
		return false;
	*first = hm;
	*n = 1;
	grow_block(st->hour_votes, top / 4 > 8 ? top / 4 : 8, first, n);
	for (h = 0; h < *n; h++)
		in += st->hour_votes[(*first + h) % 24];
	return in * 10 >= sum * 6;
}

bool detect__purge_hour_known(const struct detect_state *st, const struct detect_params *p)
{
	int first, n;

	return p->purge_at >= 0 || learned_block(st, &first, &n);
}

/* Start of the purge window as seconds after midnight UTC, and its length. */
static int64_t window_start(const struct detect_state *st, const struct detect_params *p,
			    int64_t *len)
{
	int first, n;

	if (p->purge_at >= 0) {
		/* purge jobs start up to half an hour off their hour (schedulers
		 * jitter, the previous job overruns): the window opens an hour
		 * early; only what retention explains is allowed inside it anyway */
		*len = 3600 + p->purge_window;
		return ((int64_t)p->purge_at - 3600 + DETECT__DAY) % DETECT__DAY;
	}
	if (learned_block(st, &first, &n)) {
		/* an hour early (a start's jitter moves the purge into the hour
		 * before the voted ones), the voted hours and the purge's run
		 * time late, less the hour of it the last voted hour holds.
		 * The block holds the hours the purge ran in, its start
		 * included: opening two hours early, as one busiest hour
		 * needed, took a drop an hour before the purge for purge
		 * (validation seed 3054) */
		*len = (int64_t)n * 3600 + p->purge_window;
		return ((int64_t)(first - 1) * 3600 + DETECT__DAY) % DETECT__DAY;
	}
	*len = DETECT__DAY;
	return 0;
}

/* Before the purge hour is known every removal up to warmup_purge_cap may be
 * the purge.  The warm-up lasts `warmup`, or twice that when purge-sized
 * removals were seen but not yet twice at the same hour (a missed night). */
static bool warming_up(const struct detect_state *st, const struct detect_params *p, int64_t t)
{
	unsigned h, votes = 0;

	if (detect__purge_hour_known(st, p))
		return false;
	if (t - st->first_time < (int64_t)p->warmup)
		return true;
	for (h = 0; h < 24; h++)
		votes += st->hour_votes[h];
	return votes > 0 && t - st->first_time < 2 * (int64_t)p->warmup;
}

static double ring_get(const struct detect_metric *m, const struct detect_state *st, int64_t day)
{
	uint16_t c;

	if (day <= st->first_day || day >= st->day_index || st->day_index - day >= DETECT_RING_DAYS)
		return -1;
	c = m->ring[day % DETECT_RING_DAYS];
	return c == CODE_UNKNOWN ? -1 : detect__decode(c);
}

/* The whole days of the retention exact accounting learned from the ages
 * the purges removed (exact.c), 0 while unknown or under a day. */
static unsigned exact_days(const struct detect_state *st)
{
	uint32_t d = st->x.learned / DETECT__DAY;

	return d > 0 && d < DETECT_RING_DAYS - 1 ? d : 0;
}

/* A retention the store's operator or its agent's ages state, as against a
 * lag learned from the totals alone. */
static bool retention_stated(const struct detect_state *st, const struct detect_params *p)
{
	return (p->retention_days > 0 && p->retention_days < DETECT_RING_DAYS - 1) ||
	       (!p->retention_s && exact_days(st));
}

/* The retention in days: configured, else what the ages the purges removed
 * say (an exact store: any retention, from the third night), else the lag
 * learned from the totals (14 days or more, after weeks). */
unsigned detect__retention(const struct detect_state *st, const struct detect_params *p)
{
	if (p->retention_days > 0 && p->retention_days < DETECT_RING_DAYS - 1)
		return p->retention_days;
	if (!p->retention_s && exact_days(st))
		return exact_days(st);
	return st->learned_r;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Picks the lag whose purge/ingest ratio has been steadiest, if it clearly
 * beats the typical lag (weekly rhythm makes several lags look alike). */
static void choose_lag(struct detect_state *st)
{
	uint16_t devs[DETECT_RING_DAYS];
	unsigned n = 0, L, best = 0;
	uint16_t bd = UINT16_MAX;

	for (L = LAG_FIRST; L < DETECT_RING_DAYS - 1; L++) {
		if (st->lag_n[L] < LAG_MIN_N)
			continue;
		devs[n++] = st->lag_dev[L];
		if (st->lag_dev[L] < bd) {
			bd = st->lag_dev[L];
			best = L;
		}
	}
	if (n < 3)
		return;
	qsort(devs, n, sizeof devs[0], cmp_u16);
	if ((double)bd < 0.5 * devs[n / 2] && bd / LAG_SCALE < 0.03)
		st->learned_r = (uint8_t)best;
}

/*
 * Ingest the coming purge deletes.  A learned lag L is exact (the scoring
 * found the cycle day that lines up).  A configured retention of R days, or
 * one the purged ages say, is read both ways: "older than R days" at tonight's purge means cycle day
 * n-R-1, "on day n-R" means cycle day n-R, so the larger of the two is
 * allowed.  -1 when unknown.
 */
static double expected_ingest(const struct detect_state *st, const struct detect_params *p,
			      const struct detect_metric *m)
{
	unsigned R = detect__retention(st, p);
	double a, b;

	if (!R)
		return -1;
	if (!retention_stated(st, p))
		return ring_get(m, st, st->day_index - (int64_t)R);
	a = ring_get(m, st, st->day_index - (int64_t)R);
	b = ring_get(m, st, st->day_index - (int64_t)R - 1);
	return a > b ? a : b;
}

static void open_window(struct detect_state *st, const struct detect_params *p, int64_t t)
{
	unsigned i, k, seen;
	bool warm = warming_up(st, p, t);

	for (i = 0; i < 2; i++) {
		struct detect_metric *m = &st->m[i];
		double E = expected_ingest(st, p, m);
		double floor_p = 0, recent_d = 0, allow, hi;

		for (k = 0; k < 4; k++)
			if (m->recent_purge[k] > floor_p)
				floor_p = m->recent_purge[k];
		/* a purge deletes at most about one day of earlier ingest per
		 * night, whichever day R points at: the largest day seen bounds it */
		for (k = 1; k < DETECT_RING_DAYS; k++) {
			double d = ring_get(m, st, st->day_index - (int64_t)k);
			if (d > recent_d)
				recent_d = d;
		}
		if (warm) {
			allow = p->warmup_purge_cap * m->last;
		} else if (E >= 0) {
			hi = 1.0 + p->purge_tol;
			if (st->npurges >= 3 && m->ratio + 3 * m->ratio_dev + p->purge_tol < hi)
				hi = m->ratio + 3 * m->ratio_dev + p->purge_tol;
			allow = hi * (E + m->carry);
			/* a night missed before R days of ingest were known left
			 * no carry: allow one more night's worth per missed night */
			if (st->missed && m->carry <= 0)
				allow += (st->missed < 3 ? st->missed : 3) *
					 (hi * E > 2.5 * floor_p ? hi * E : 2.5 * floor_p);
		} else if (floor_p > 0 || recent_d > 0) {
			/* R or the ingest R days ago unknown: the last four purges
			 * (half as much again; 2.5x while fewer were seen, as
			 * weekdays make purges vary) bound tonight's, and while
			 * fewer were seen the largest day of ingest too.  Missed
			 * nights add a night each. */
			for (k = 0, seen = 0; k < 4; k++)
				seen += m->recent_purge[k] > 0;
			allow = (seen >= 4 ? 1.5 : 2.5) * floor_p;
			/* a purge deletes about one day of earlier ingest: while
			 * fewer than four nights were seen (a store's first nights
			 * after deployment, all perhaps on a slow week's days) the
			 * largest day of ingest seen bounds it too */
			if (seen < 4 && 1.2 * recent_d > allow)
				allow = 1.2 * recent_d;
			allow *= 1 + (st->missed < 3 ? st->missed : 3);
		} else {
			allow = p->warmup_purge_cap * m->last;
		}
		/* recent purges vouch for tonight only while retention is not
		 * known: with it, their slack would hide an overpurge, or a drop
		 * inside the window, of up to half a night's purge */
		if ((warm || E < 0) && allow < 1.5 * floor_p)
			allow = 1.5 * floor_p;
		m->purge_allow = allow;
		m->purge_cur = 0;
	}
	st->purge_day = st->day_index;
	st->window_alarm = 0;
}

static void learn_lags(struct detect_state *st, double P)
{
	unsigned L;

	for (L = LAG_FIRST; L < DETECT_RING_DAYS - 1; L++) {
		double E = ring_get(&st->m[0], st, st->day_index - (int64_t)L);
		double x, mean, dev, a;

		if (E <= 0)
			continue;
		x = log((P + 1.0) / (E + 1.0));
		if (x > 7.9)
			x = 7.9;
		if (x < -7.9)
			x = -7.9;
		if (st->lag_n[L] < 255)
			st->lag_n[L]++;
		a = 1.0 / st->lag_n[L];
		if (a < 0.05)
			a = 0.05;
		mean = st->lag_mean[L] / LAG_SCALE;
		dev = st->lag_dev[L] / LAG_SCALE;
		if (st->lag_n[L] == 1) {
			mean = x;
			dev = 0.25; /* a neutral prior until a few nights are seen */
		} else {
			dev += a * ((x - mean) * (x - mean) - dev);
			mean += a * (x - mean);
		}
		if (dev > 15.9)
			dev = 15.9;
		st->lag_mean[L] = (int16_t)lrint(mean * LAG_SCALE);
		st->lag_dev[L] = (uint16_t)lrint(dev * LAG_SCALE);
	}
	choose_lag(st);
}

static double recent_max(const struct detect_metric *m)
{
	double x = 0;
	unsigned k;

	for (k = 0; k < 4; k++)
		if (m->recent_purge[k] > x)
			x = m->recent_purge[k];
	return x;
}

static void close_window(struct detect_state *st, const struct detect_params *p, int64_t t,
			 bool learn)
{
	unsigned R = detect__retention(st, p), i;
	bool warm = warming_up(st, p, t);
	int64_t len, opened = st->purge_day * DETECT__DAY + window_start(st, p, &len);

	st->late_ok = 0;
	for (i = 0; i < 2; i++)
		if (st->m[i].purge_cur < 0.5 * st->m[i].purge_allow)
			st->late_ok |= (uint8_t)(1u << i);
	/* a window the store's first sample fell into was seen in part: what
	 * it removed is no night's purge, and as the first "recent purge" it
	 * would set a tiny allowance for the nights to come */
	if (st->first_time > opened + 600)
		learn = false;
	/* a night during which a loss alarm fired is no normal purge, however
	 * soon the alert resolved: as a "recent purge" it made every normal
	 * night after it a missed one (under a quarter of it), and each missed
	 * night widened the allowance until the next overpurge went unseen */
	if (st->window_alarm)
		learn = false;
	for (i = 0; i < 2 && learn; i++) {
		struct detect_metric *m = &st->m[i];
		double P = m->purge_cur > 0 ? m->purge_cur : 0;
		double E = expected_ingest(st, p, m);
		bool normal;

		if (warm) /* the whole day's removal stands in for the purge */
			P = m->day_removal;
		/* a night purged when it removed a quarter of the recent purges
		 * or, with retention known, half of what it predicts (the carry
		 * below calls less a missed night): a night in the normal range
		 * ends the missed nights and refreshes the recent purges, whatever
		 * a larger night before it removed */
		normal = !warm && E >= 0 && P >= 0.5 * m->ratio * (E + m->carry);
		if (P > 0.0002 * m->last && (normal || P > 0.25 * recent_max(m))) {
			memmove(&m->recent_purge[1], &m->recent_purge[0], 3 * sizeof(float));
			m->recent_purge[0] = (float)P;
			if (i == 0)
				st->missed = 0;
		} else if (i == 0 && st->missed < 255) {
			st->missed++; /* a night without purge: the next may double */
		}
		if (warm || E < 0)
			continue;
		if (P < 0.5 * m->ratio * (E + m->carry)) {
			/* a missed (or partial) night: the rest is due tomorrow */
			m->carry = m->carry + E - P;
			if (m->carry < 0)
				m->carry = 0;
			if (m->carry > 3 * E + 1)
				m->carry = 3 * E + 1;
			continue;
		}
		if (E + m->carry > 0) {
			double x = P / (E + m->carry), a = 1.0 / (st->npurges + 1);

			if (a < 0.1)
				a = 0.1;
			if (x > 0.02 && x < 1.5) {
				if (st->npurges == 0)
					m->ratio = (float)x;
				m->ratio_dev += (float)(a * (fabs(x - m->ratio) - m->ratio_dev));
				m->ratio += (float)(a * (x - m->ratio));
			}
		}
		m->carry = 0;
	}
	if (learn && !warm && st->m[0].purge_cur > 0.0002 * st->m[0].last) {
		if (p->retention_days == 0)
			learn_lags(st, st->m[0].purge_cur);
		if (R && expected_ingest(st, p, &st->m[0]) >= 0)
			st->npurges++;
	}
}

/* Adds the hour being summed to today's profile. */
static void flush_hour(struct detect_state *st)
{
	if (st->hour_cur >= 0 && st->hour_sum > 0)
		st->day_hours[st->hour_cur] = detect__code(
			detect__decode(st->day_hours[st->hour_cur]) + st->hour_sum);
	st->hour_sum = 0;
}

/*
 * The day's purge votes for the hours it ran in: the block grown (as
 * learned_block() grows the window) from the busiest three hours over hours
 * with a fifth of the busiest hour's removal, each hour's removal counted
 * above the day's median hour (churn).  Only a purge-sized block (0.2% of
 * the store above that) votes: churn spread over the day, a leak or a day
 * without purge casts none.  Older
 * votes fade by an eighth a day, so a purge moved to another hour wins the
 * window within days.
 */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void vote_hours(struct detect_state *st)
{
	double v[24], sorted[24], med, top = 0, best = -1, s3;
	uint16_t mark[24];
	int h, first = 0, n = 3, k;

	for (h = 0; h < 24; h++) {
		v[h] = detect__decode(st->day_hours[h]);
		sorted[h] = v[h];
	}
	/* what every hour removes (temp files, churn) is no purge: the
	 * hours are judged by their removal above the day's median hour */
	qsort(sorted, 24, sizeof sorted[0], cmp_double);
	med = sorted[12];
	for (h = 0; h < 24; h++) {
		v[h] = v[h] > med ? v[h] - med : 0;
		if (v[h] > top)
			top = v[h];
	}
	for (h = 0; h < 24; h++) {
		s3 = v[h] + v[(h + 1) % 24] + v[(h + 2) % 24];
		if (s3 > best) {
			best = s3;
			first = h;
		}
	}
	if (!(best > 0.002 * st->m[0].last))
		return;
	for (h = 0; h < 24; h++)
		mark[h] = v[h] >= 0.2 * top;
	/* the busiest three hours, trimmed to their marked hours */
	while (n > 1 && !mark[first]) {
		first = (first + 1) % 24;
		n--;
	}
	while (n > 1 && !mark[(first + n - 1) % 24])
		n--;
	grow_block(mark, 1, &first, &n);
	for (h = 0; h < 24; h++)
		st->hour_votes[h] = (uint16_t)(st->hour_votes[h] * 7 / 8);
	for (k = 0; k < n; k++)
		if (mark[(first + k) % 24])
			st->hour_votes[(first + k) % 24] =
				(uint16_t)(st->hour_votes[(first + k) % 24] + 16);
}

/* Closes the cycle day: its ingest goes into the ring (unknown when the day
 * was not watched nearly completely) and the removal-hour vote is cast. */
static void roll_day(struct detect_state *st, const struct detect_params *p, bool learn)
{
	uint32_t iv = detect_interval(st, p);
	bool known = st->day_index > st->first_day && iv > 0 &&
		     st->day_samples * (double)iv >= 0.9 * DETECT__DAY;
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct detect_metric *m = &st->m[i];

		m->ring[st->day_index % DETECT_RING_DAYS] =
			known ? detect__code(m->day_ingest) : CODE_UNKNOWN;
		m->day_ingest = 0;
		m->day_removal = 0;
	}
	flush_hour(st);
	if (learn)
		vote_hours(st);
	memset(st->day_hours, 0, sizeof st->day_hours);
	st->hour_sum = 0;
	st->hour_cur = -1;
	st->day_samples = 0;
	st->day_index++;
}

/* How long a purge running past its window may pause before the window
 * closes. */
static double quiet_close(const struct detect_state *st, const struct detect_params *p)
{
	double q = 3.0 * detect_interval(st, p);

	return q > 1800 ? q : 1800;
}

bool detect__purge_begin(struct detect_state *st, const struct detect_params *p, int64_t t,
			 bool learn, bool removing)
{
	int64_t len, start = window_start(st, p, &len), day, tod;
	bool inw;
	unsigned rolls = 0;

	day = floor_div(t - start, DETECT__DAY);
	if (st->day_index == INT64_MIN) {
		st->day_index = st->first_day = day;
		st->purge_day = day - 1;
	}
	while (st->day_index < day) {
		if (st->in_purge) {
			close_window(st, p, t, learn);
			st->in_purge = 0;
		}
		if (++rolls > DETECT_RING_DAYS) { /* a long gap: forget the days */
			st->day_index = day;
			break;
		}
		roll_day(st, p, learn);
	}
	tod = (t - start) - floor_div(t - start, DETECT__DAY) * DETECT__DAY;
	inw = warming_up(st, p, t) || (detect__purge_hour_known(st, p) && tod < len);
	/* a long purge is still deleting: the window stays open (four hours
	 * at most) until it has removed nothing for half an hour, three
	 * samples at least -- one quiet sample between the purge's batches
	 * closed it, and the rest of the night's purge fired as a drop */
	if (!inw && st->in_purge && st->purge_day == st->day_index && tod < len + 4 * 3600 &&
	    (removing || (double)t - st->purge_rm_time < quiet_close(st, p)))
		inw = true;
	if (removing && (inw || st->in_purge))
		st->purge_rm_time = (double)t;
	if (inw && (st->purge_day != st->day_index || !st->in_purge))
		open_window(st, p, t);
	if (!inw && st->in_purge)
		close_window(st, p, t, learn);
	st->in_purge = inw;
	return inw;
}

double detect__purge_excess(struct detect_metric *m, double r)
{
	double before = m->purge_cur - m->purge_allow;
	double after;

	m->purge_cur += r;
	after = m->purge_cur - m->purge_allow;
	return (after > 0 ? after : 0) - (before > 0 ? before : 0);
}

void detect__purge_account(struct detect_state *st, int64_t t, const double ingest[2],
			   const double removal[2])
{
	int h = (int)((t % DETECT__DAY + DETECT__DAY) % DETECT__DAY / 3600), i;

	for (i = 0; i < 2; i++) {
		st->m[i].day_ingest += ingest[i];
		if (removal[i] > 0)
			st->m[i].day_removal += removal[i];
	}
	st->day_samples++;
	if (h != st->hour_cur) {
		flush_hour(st);
		st->hour_cur = (int8_t)h;
	}
	if (removal[0] > 0)
		st->hour_sum += removal[0];
}

double detect__purge_late(const struct detect_state *st, const struct detect_params *p,
			  struct detect_metric *m, int64_t t, double r, bool aged)
{
	int64_t len, start = window_start(st, p, &len), tod;
	double left, due, E;

	/* only in the four hours after tonight's window closed with less than
	 * half its allowance used: a purge that ran in two parts, started late
	 * or was interrupted */
	tod = (t - start) - floor_div(t - start, DETECT__DAY) * DETECT__DAY;
	if (st->in_purge || st->purge_day != st->day_index || r <= 0 || tod >= len + 4 * 3600)
		return 0;
	if (aged) {
		/* removal all past retention (exact accounting took the young
		 * part out): what a purge deletes.  Whether the window closed
		 * under half is kept at the close -- judged against the use so
		 * far, the late part itself pushed it past half, and the rest
		 * of a second run as large as the first was a drop -- and it
		 * is explained up to what retention explains tonight: the
		 * learned share of the ingest due, with its tolerance (the
		 * allowance while R is unknown) */
		if (!(st->late_ok & (1u << (m - st->m))))
			return 0;
		E = expected_ingest(st, p, m);
		due = E >= 0 ? m->ratio * (1 + p->purge_tol) * (E + m->carry) : m->purge_allow;
	} else {
		/* removal of any age: a drop after a complete purge (a masked
		 * drop in the morning's upload peak) looks just like the
		 * shortfall of a normal night's spread, so only while the night
		 * stays under half its allowance */
		if (m->purge_cur >= 0.5 * m->purge_allow)
			return 0;
		due = m->purge_allow;
	}
	left = (due < 0.9 * m->purge_allow ? due : 0.9 * m->purge_allow) - m->purge_cur;
	if (left <= 0)
		return 0;
	if (r > left)
		r = left;
	m->purge_cur += r;
	return r;
}
