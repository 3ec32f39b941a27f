/* admit.c - per-agent limits on what a frame may make the collector keep, and
 * the samples agents lost (see admit.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/banned.h"

/* Store names admit refused, kept (with why) so that each is counted once
 * and the operator sees which they are; past this many, a refusal is
 * counted again and not listed. */
#define ADMIT_REFUSED_NAMES_MAX 256

/* Why one store of the agent is refused now (the value of ->refused). */
struct admit_refusal {
	char reason[ADMIT_REASON_MAX];
	int64_t since;    /* first refusal */
	uint64_t samples; /* samples of it dropped since */
};

struct admit_agent {
	struct admit_counts c;
	uint64_t seq_seen;     /* highest seq looked at (stored or refused) */
	int64_t seq_time;      /* wall clock of the last frame let through */
	double tokens;         /* new stores the agent may add now */
	int64_t tokens_at;     /* when tokens was last topped up */
	bool tokens_set;
	/* until then the bucket may hold more than new_stores_per_hour: an
	 * agent new to the collector brings its whole estate at once */
	int64_t estate_until;
	struct strmap added;   /* stores admitted this run, maybe not yet stored */
	struct strmap refused; /* name -> struct admit_refusal (at most ..._NAMES_MAX) */
};

void admit_init(struct admit *ad)
{
	memset(ad, 0, sizeof *ad);
	strmap_init(&ad->agents);
	ad->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 10);
	ad->gap_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 10);
}

void admit_release(struct admit *ad)
{
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(&ad->agents, &i, &k, &v);) {
		struct admit_agent *x = v;

		const char *rk;
		void *rv;

		for (size_t j = 0; strmap_next(&x->refused, &j, &rk, &rv);)
			free(rv);
		strmap_release(&x->added);
		strmap_release(&x->refused);
		free(x);
	}
	strmap_release(&ad->agents);
}

static struct admit_agent *agent_get(struct admit *ad, const char *name)
{
	struct admit_agent *x = strmap_get(&ad->agents, name);

	if (x)
		return x;
	x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	strmap_init(&x->added);
	strmap_init(&x->refused);
	if (strmap_put(&ad->agents, name, x)) {
		free(x);
		return NULL;
	}
	return x;
}

int admit_hello(struct admit *ad, const struct delivery_limits *lim, const struct sw_hello *h,
		char *why, size_t whylen)
{
	struct admit_agent *x;

	if (h->interval >= lim->min_interval_s)
		return 0;
	x = agent_get(ad, h->agent);
	if (!x)
		return -ENOMEM;
	x->c.hellos_refused++;
	snprintf(why, whylen, "interval %u s is below this collector's floor of %llu s: set "
		 "interval to %llu s or more in the agent's config (or lower min_interval in the "
		 "collector's [collector] section)", h->interval,
		 (unsigned long long)lim->min_interval_s, (unsigned long long)lim->min_interval_s);
	return -EPERM;
}

/* Seqs that will never arrive are history the collector does not have: the
 * agent's spool overflowed (it says so with SW_SAMPLE_GAP), or records were
 * lost or removed on the agent's side.  Either way an operator should know. */
static void count_gaps(struct admit *ad, struct admit_agent *x, const struct agent_rec *a,
		       const struct sw_sample *s, size_t n)
{
	uint64_t last = a->seq_accepted > x->seq_seen ? a->seq_accepted : x->seq_seen;

	for (size_t i = 0; i < n; i++) {
		uint64_t missing;

		if (s[i].seq <= last)
			continue; /* a resend */
		missing = last ? s[i].seq - last - 1 : 0;
		if (missing || (s[i].flags & SW_SAMPLE_GAP)) {
			x->c.gaps++;
			x->c.samples_lost += missing;
		}
		if (missing)
			log_ratelimited(&ad->gap_rl, LOG_WARNING,
					"admit: agent '%s': seqs %llu-%llu never arrived (lost or "
					"removed on the agent; %llu since start-up): the collector "
					"misses that history, and a loss within it shows only as "
					"one larger step", a->name, (unsigned long long)(last + 1),
					(unsigned long long)(s[i].seq - 1),
					(unsigned long long)x->c.samples_lost);
		if (s[i].flags & SW_SAMPLE_GAP)
			log_ratelimited(&ad->gap_rl, LOG_WARNING,
					"admit: agent '%s': its spool overflowed: samples before seq "
					"%llu were dropped on the agent", a->name,
					(unsigned long long)s[i].seq);
		last = s[i].seq;
	}
}

/* When the collector last heard of agent a's samples: when admit last let a
 * frame of it through, or (after a restart) its stores' last RRD updates;
 * 0 if never. */
static int64_t last_heard(const struct admit_agent *x, const struct agent_rec *a)
{
	int64_t t = x->seq_time;
	const char *k;
	void *v;

	if (t)
		return t;
	for (size_t i = 0; strmap_next(&a->stores, &i, &k, &v);) {
		const struct store_rec *st = v;

		if (st->have_last && st->last.time > t)
			t = st->last.time;
	}
	return t;
}

/*
 * Whether seq (the frame's last) reaches too far above what the collector
 * has from the agent; why says so.  The bound grows with the time since the
 * collector last heard of the agent: while the collector was away, an agent
 * went on taking at most max_stores samples every min_interval, and its
 * spool may have dropped the oldest of them (a gap, not an attack).
 */
static bool seq_jump(const struct delivery_limits *lim, const struct agent_rec *a,
		     const struct admit_agent *x, uint64_t seq, int64_t now, char *why,
		     size_t whylen)
{
	uint64_t base = a->seq_accepted > x->seq_seen ? a->seq_accepted : x->seq_seen;
	int64_t heard = last_heard(x, a);
	uint64_t away = heard && now > heard ? (uint64_t)(now - heard) : 0, bound;

	if (!base) {
		if (seq < ADMIT_SEQ_CEILING)
			return false;
		snprintf(why, whylen, "seq %llu is not a sequence number an agent reaches "
			 "(at most %llu for an agent this collector has no samples of)",
			 (unsigned long long)seq, (unsigned long long)ADMIT_SEQ_CEILING - 1);
		return true;
	}
	bound = lim->max_seq_jump + (uint64_t)lim->max_stores *
		(away / (lim->min_interval_s ? lim->min_interval_s : 1) + 1);
	if (seq <= base || seq - base <= bound)
		return false;
	snprintf(why, whylen, "seq %llu jumps %llu past seq %llu, the last this collector has "
		 "from the agent (at most %llu: max_seq_jump, plus max_stores_per_agent samples "
		 "per min_interval for the %llu s since the agent was last heard of)",
		 (unsigned long long)seq, (unsigned long long)(seq - base),
		 (unsigned long long)base, (unsigned long long)bound, (unsigned long long)away);
	return true;
}

/* Stores agent a has or was admitted to add: the registry's, and those
 * admitted this run that are not stored yet. */
static size_t store_count(const struct admit_agent *x, const struct agent_rec *a)
{
	size_t n = a->stores.count;
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(&x->added, &i, &k, &v);)
		n += strmap_get(&a->stores, k) == NULL;
	return n;
}

/*
 * Tops up agent x's bucket of new stores for now.  The first time admit
 * looks at an agent the registry has no store of (new to this collector),
 * the bucket holds max_stores for ADMIT_ESTATE_S: a genuine agent's whole
 * estate is admitted at once instead of new_stores_per_hour of it, the rest
 * blind for hours.  The excess goes when that time is over; from then on
 * (and for every agent the collector has stores of) the bucket holds at
 * most new_stores_per_hour and refills one every 3600/N s.
 */
static void tokens_refill(const struct delivery_limits *lim, struct admit_agent *x,
			  const struct agent_rec *a, int64_t now)
{
	double cap = lim->new_stores_per_hour;

	if (!x->tokens_set) {
		x->tokens = cap;
		if (!a->stores.count && lim->max_stores > cap) {
			x->tokens = lim->max_stores;
			x->estate_until = now + ADMIT_ESTATE_S;
		}
		x->tokens_set = true;
	} else if (now < x->tokens_at) {
		x->tokens = x->tokens < cap ? x->tokens : cap; /* the clock went back */
	} else {
		if (now >= x->estate_until && x->tokens > cap)
			x->tokens = cap;
		if (x->tokens < cap) {
			x->tokens += (double)(now - x->tokens_at) * cap / 3600.0;
			if (x->tokens > cap)
				x->tokens = cap;
		}
	}
	x->tokens_at = now;
}

/* Whether a sample of store (new to the agent) may be kept; why says why not. */
static bool admit_store(const struct delivery_limits *lim, struct admit_agent *x,
			const struct agent_rec *a, const char *store, int64_t now, char *why,
			size_t whylen)
{
	double per_s = lim->new_stores_per_hour / 3600.0;
	size_t have = store_count(x, a);

	tokens_refill(lim, x, a, now);
	if (have >= lim->max_stores) {
		snprintf(why, whylen, "agent '%s' has %zu stores, the most one agent may have "
			 "(max_stores_per_agent = %u)", a->name, have, lim->max_stores);
		return false;
	}
	if (x->tokens < 1) {
		if (per_s > 0)
			snprintf(why, whylen, "agent '%s' added %u stores within the hour, the "
				 "most it may (max_new_stores_per_hour = %u); the next one in "
				 "%.0f s", a->name, lim->new_stores_per_hour,
				 lim->new_stores_per_hour, (1 - x->tokens) / per_s);
		else
			snprintf(why, whylen, "agent '%s' may add no store "
				 "(max_new_stores_per_hour = 0)", a->name);
		return false;
	}
	if (strmap_put(&x->added, store, (void *)1)) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	x->tokens -= 1;
	return true;
}

/* Notes that store's sample was refused for reason: counted, and listed
 * (with the reason) once per store; logged, rate-limited. */
static void refused(struct admit *ad, struct admit_agent *x, const struct agent_rec *a,
		    const char *store, const char *reason, int64_t now)
{
	struct admit_refusal *r = strmap_get(&x->refused, store);

	x->c.samples_refused++;
	if (r) {
		r->samples++;
		snprintf(r->reason, sizeof r->reason, "%s", reason); /* the latest */
		return;
	}
	x->c.stores_refused++;
	if (x->refused.count < ADMIT_REFUSED_NAMES_MAX && (r = calloc(1, sizeof *r))) {
		snprintf(r->reason, sizeof r->reason, "%s", reason);
		r->since = now;
		r->samples = 1;
		if (strmap_put(&x->refused, store, r))
			free(r); /* counted again next time */
	}
	log_ratelimited(&ad->rl, LOG_WARNING, "admit: refusing store '%s' of agent '%s': %s; its "
			"samples are dropped (shrinkwatchctl status lists the refused stores), "
			"the agent's other stores are kept", store, a->name, reason);
}

int admit_samples(struct admit *ad, const struct delivery_limits *lim,
		  const struct agent_rec *a, struct sw_sample *s, size_t *n, int64_t now,
		  char *why, size_t whylen)
{
	struct admit_agent *x = agent_get(ad, a->name);
	uint64_t seen;
	size_t kept = 0;

	if (!x)
		return -ENOMEM;
	if (*n && seq_jump(lim, a, x, s[*n - 1].seq, now, why, whylen)) {
		x->c.frames_refused++; /* the session logs the refusal with why */
		return -ERANGE;
	}
	count_gaps(ad, x, a, s, *n);
	seen = x->seq_seen;
	for (size_t i = 0; i < *n; i++) {
		const char *store = s[i].store;
		char reason[ADMIT_REASON_MAX];

		/* a store refused before is asked again: the hour's budget
		 * refills, and a reload may raise the limits */
		if (strmap_get(&a->stores, store) || strmap_get(&x->added, store) ||
		    admit_store(lim, x, a, store, now, reason, sizeof reason)) {
			if (x->refused.count) /* refused before, admitted now */
				free(strmap_del(&x->refused, store));
			s[kept++] = s[i];
			continue;
		}
		if (s[i].seq <= seen)
			continue; /* refused and counted before: a resend */
		refused(ad, x, a, store, reason, now);
	}
	if (*n && s[*n - 1].seq > x->seq_seen)
		x->seq_seen = s[*n - 1].seq;
	x->seq_time = now;
	*n = kept;
	return 0;
}

static bool counts_any(const struct admit_counts *c)
{
	return c->samples_lost || c->gaps || c->samples_refused || c->stores_refused ||
	       c->frames_refused || c->hellos_refused;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct admit_agent_stats *)a)->agent,
		      ((const struct admit_agent_stats *)b)->agent);
}

long admit_snapshot(const struct admit *ad, struct admit_agent_stats **out)
{
	struct admit_agent_stats *v = NULL;
	size_t n = 0;
	const char *k;
	void *p;

	*out = NULL;
	if (!ad->agents.count)
		return 0;
	v = calloc(ad->agents.count, sizeof *v);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; strmap_next(&ad->agents, &i, &k, &p);) {
		const struct admit_agent *x = p;

		if (!counts_any(&x->c))
			continue;
		snprintf(v[n].agent, sizeof v[n].agent, "%s", k);
		v[n].c = x->c;
		n++;
	}
	qsort(v, n, sizeof *v, by_name);
	*out = v;
	return (long)n;
}

/* The counters, one table for JSON and Prometheus. */
static const struct {
	const char *json, *metric, *help;
	size_t off;
} fields[] = {
#define F(j, m, h) { #j, m, h, offsetof(struct admit_counts, j) }
	F(samples_lost, "shrinkwatch_agent_samples_lost_total",
	  "Samples an agent lost before they reached the collector (seqs that never arrived)."),
	F(gaps, "shrinkwatch_agent_sample_gaps_total",
	  "Episodes of samples lost on an agent (a seq gap or a spool overflow)."),
	F(samples_refused, "shrinkwatch_agent_samples_refused_total",
	  "Samples dropped because their store is over max_stores_per_agent or "
	  "max_new_stores_per_hour."),
	F(stores_refused, "shrinkwatch_agent_stores_refused_total",
	  "Store names refused for max_stores_per_agent or max_new_stores_per_hour."),
	F(frames_refused, "shrinkwatch_agent_frames_refused_total",
	  "SAMPLES frames refused for a seq jump above max_seq_jump."),
	F(hellos_refused, "shrinkwatch_agent_hellos_refused_total",
	  "HELLOs refused for an interval below min_interval."),
#undef F
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static uint64_t field(const struct admit_counts *c, size_t f)
{
	uint64_t v;

	memcpy(&v, (const char *)c + fields[f].off, sizeof v);
	return v;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends ,"refused_stores":[...] for agent x: the stores refused now, by
 * name, with why, since when and how many samples were dropped. */
static int put_refused(const struct admit_agent *x, struct buf *out)
{
	const char **names;
	const char *k;
	void *v;
	size_t n = 0;

	json_put_raw(out, ",");
	json_put_key(out, "refused_stores");
	if (!x->refused.count)
		return json_put_raw(out, "[]");
	names = calloc(x->refused.count, sizeof *names);
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; strmap_next(&x->refused, &i, &k, &v) && n < x->refused.count;)
		names[n++] = k;
	qsort(names, n, sizeof *names, by_key);
	json_put_raw(out, "[");
	for (size_t i = 0; i < n; i++) {
		const struct admit_refusal *r = strmap_get(&x->refused, names[i]);

		json_put_raw(out, i ? ",{" : "{");
		json_put_key(out, "store");
		json_put_str(out, names[i]);
		json_put_raw(out, ",");
		json_put_key(out, "reason");
		json_put_str(out, r->reason);
		json_put_raw(out, ",");
		json_put_key(out, "since");
		json_put_i64(out, r->since);
		json_put_raw(out, ",");
		json_put_key(out, "samples");
		json_put_u64(out, r->samples);
		json_put_raw(out, "}");
	}
	free(names);
	return json_put_raw(out, "]");
}

int admit_put_json(const struct admit *ad, struct buf *out)
{
	struct admit_agent_stats *v;
	long n = admit_snapshot(ad, &v);
	int err = 0;

	if (n < 0)
		return (int)n;
	json_put_raw(out, "[");
	for (long i = 0; i < n; i++) {
		json_put_raw(out, i ? ",{" : "{");
		json_put_key(out, "agent");
		json_put_str(out, v[i].agent);
		for (size_t f = 0; f < NFIELDS; f++) {
			json_put_raw(out, ",");
			json_put_key(out, fields[f].json);
			json_put_u64(out, field(&v[i].c, f));
		}
		err = put_refused(strmap_get(&ad->agents, v[i].agent), out);
		if (err)
			goto out;
		json_put_raw(out, "}");
	}
	err = json_put_raw(out, "]");
out:
	free(v);
	return err;
}

int admit_put_metrics(const struct admit *ad, struct buf *out)
{
	struct admit_agent_stats *v;
	long n = admit_snapshot(ad, &v);
	int err = 0;

	if (n < 0)
		return (int)n;
	for (size_t f = 0; f < NFIELDS && !err; f++) {
		err = buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", fields[f].metric,
				 fields[f].help, fields[f].metric);
		/* agent names are [A-Za-z0-9._-] (names.h): nothing to escape */
		for (long i = 0; i < n && !err; i++)
			err = buf_printf(out, "%s{agent=\"%s\"} %llu\n", fields[f].metric,
					 v[i].agent, (unsigned long long)field(&v[i].c, f));
	}
	if (!err)
		err = buf_printf(out, "# HELP shrinkwatch_agent_stores_refused Stores of the agent "
				 "whose samples are being refused now (shrinkwatchctl status "
				 "names them and says why).\n"
				 "# TYPE shrinkwatch_agent_stores_refused gauge\n");
	for (long i = 0; i < n && !err; i++) {
		const struct admit_agent *x = strmap_get(&ad->agents, v[i].agent);

		err = buf_printf(out, "shrinkwatch_agent_stores_refused{agent=\"%s\"} %zu\n",
				 v[i].agent, x->refused.count);
	}
	free(v);
	return err;
}
