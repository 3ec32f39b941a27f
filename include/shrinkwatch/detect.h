/*
 * detect.h - the shrinkage detector: unexplained loss of bytes or objects.
 *
 * The same code runs live in the collector (one call per sample as it
 * arrives, plus a timer for silence) and offline in `shrinkwatchctl replay`,
 * so an operator can reproduce any alert from a trace.  It is pure
 * computation: no I/O, no allocation, no clock.  docs/detection.md explains
 * the model; in short, per store and metric:
 *
 *   residual  = previous total + added - total      (net-only: previous - total)
 *   unexplained = residual - retention purge allowance - declared allowance
 *
 * and alarms watch the unexplained part: a fast accumulator for drops over
 * one sample or a few minutes, a slow CUSUM for leaks over days, the purge
 * window against what ingest R days earlier explains, plus silence, vanished
 * stores, truncation and object loss.  Learning (noise scale, baseline,
 * purge ratio, retention lag, purge hour) freezes while any alarm statistic
 * is raised, so a leak is never learned as normal.
 *
 * The per-store state is a plain struct without pointers, at most 2 KB, so
 * the collector can store it as a blob tagged with DETECT_STATE_VERSION and
 * restore it after a restart.  A zeroed struct is not valid: call
 * detect_state_init().
 */
#ifndef SHRINKWATCH_DETECT_H
#define SHRINKWATCH_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped whenever struct detect_state changes layout or meaning.  Version 2
 * appended the exact-accounting part (struct detect_exact_state) and the
 * noise baseline's start (base_since); a version-1 state is their prefix
 * and is upgraded in place by detect_state_restore().  Version 3 appended
 * operator feedback (struct detect_feedback); a version-2 state is its
 * prefix. */
#define DETECT_STATE_VERSION 4
/* Days of ingest history kept for retention (the longest retention learned). */
#define DETECT_RING_DAYS 96
/* Active declared deletions per store. */
#define DETECT_MAX_EXPLAIN 8
/* Events one call can produce (every kind can transition at most once). */
#define DETECT_MAX_EVENTS 16
#define DETECT_SUMMARY_MAX 320

enum detect_kind {
	DETECT_DROP = 0,
	DETECT_LEAK,
	DETECT_OVERPURGE,
	DETECT_TRUNCATE,
	DETECT_OBJECT_LOSS,
	DETECT_VANISHED,
	DETECT_SILENCE,
	DETECT_KIND_COUNT,
};

/* Kinds the collector raises itself, from copy checking
 * (collector/alerts/copies.h), not the detector: numbered after
 * DETECT_KIND_COUNT so the detector's per-kind state keeps its layout. */
enum {
	DETECT_COPY_MISSING = DETECT_KIND_COUNT, /* at the source, past grace, not at the copy */
	DETECT_COPY_DIFFERS, /* at both, another size or content hash */
	DETECT_COPY_LOST,    /* was at both, now at neither */
	DETECT_ALL_KINDS,
};

enum detect_transition {
	DETECT_FIRING = 0,
	DETECT_UPDATED, /* an open alert's loss grew */
	DETECT_RESOLVED,
};

/* Why an alert resolved (DETECT_RESOLVED only). */
enum detect_resolution {
	DETECT_RES_NONE = 0,
	DETECT_RES_QUIET,     /* the loss stopped: no further unexplained loss */
	DETECT_RES_RECOVERED, /* the totals came back (store back, data restored) */
	DETECT_RES_EXPLAINED, /* a declared deletion filed after the fact covers it */
	DETECT_RES_SAMPLE,    /* silence: a sample arrived */
	DETECT_RES_NOT_A_LOSS, /* an operator said it was a normal event (detect_not_a_loss) */
	DETECT_RES_SOURCE_REMOVED, /* copy_missing: items left the source before reaching the copy */
};

/* Scan status as in sample.h (SW_SCAN_*). */
struct detect_input {
	int64_t time; /* unix seconds */
	double bytes;
	double objects;
	double added_bytes;
	double added_objects;
	bool has_added; /* added_* are meaningful */
	uint8_t status; /* SW_SCAN_COMPLETE / PARTIAL / MISSING */
	uint64_t mount_id; /* 0 = unknown */
	/*
	 * Exact accounting (protocol version 3, SW_SAMPLE_EXACT): the agent's
	 * manifest says which files went, so the detector need not guess from
	 * totals.  exact: removed_* are exact; young_split: removed_young_*
	 * were split against retention (seconds) and are meaningful.  Removal
	 * of items younger than the retention is never a purge (exact.c).
	 * removed_min_age is UINT64_MAX when nothing was removed.
	 */
	bool exact;
	bool young_split;
	double removed[2];       /* bytes, objects */
	double removed_young[2]; /* bytes, objects younger than retention */
	uint64_t removed_min_age; /* seconds */
	uint64_t retention;       /* the split's retention, seconds; 0 = none */
	/*
	 * The fresh split (SW_SAMPLE_FRESH_SPLIT): of the removal, the part
	 * younger than fresh_age seconds (within removed_young with a young
	 * split), and the youngest age among the rest (UINT64_MAX: none).
	 * The settled young part is judged exactly whatever fresh removal
	 * came with it; the fresh part goes to the statistical model; the
	 * retention is learned from the settled ages only (exact.c).
	 */
	bool fresh_split;
	uint64_t fresh_age;
	double removed_fresh[2]; /* bytes, objects */
	uint64_t removed_min_settled_age;
	/*
	 * Of removed_young, what path-scoped declared deletions explain item
	 * for item (bytes, objects): the agent's journal, asked by the
	 * collector for this sample's bracket and a declaration's prefix,
	 * listed these young items under the prefix.  The collector fills it
	 * (collector/alerts/pathhold.h); 0 when nothing is declared by path or
	 * the agent did not answer -- then the young loss alerts.  Capped at
	 * removed_young by the detector.
	 */
	double explained_young[2];
};

struct detect_event {
	int64_t time;  /* the sample (or tick) that justified the transition */
	int64_t since; /* when the episode's loss started */
	uint32_t episode; /* per store, increasing; one alert per episode */
	uint8_t kind;     /* enum detect_kind */
	uint8_t state;    /* enum detect_transition */
	uint8_t resolution; /* enum detect_resolution */
	/* Unexplained loss over the episode (>= 0). */
	double lost_bytes, lost_objects;
	/* Change of the totals over the episode: what ingest, retention and
	 * declared deletions explain, and what was observed. */
	double expected_bytes, observed_bytes;
	double expected_objects, observed_objects;
	char summary[DETECT_SUMMARY_MAX];
};

/*
 * Tuning knobs.  detect_params_default() fills sensible defaults; the config
 * module (detect_config.h) overrides them per [detect] and [store KEY].
 */
struct detect_params {
	uint32_t interval;          /* seconds between samples; 0 = learn */
	uint32_t silence_intervals; /* silence after this many missed intervals */
	uint32_t retention_days;    /* 0 = learn from history */
	/* The configured retention in seconds (`retention`, any duration), 0 =
	 * not configured: exact stores then learn it (exact.c).
	 * retention_days is its whole days for the statistical model. */
	uint32_t retention_s;
	int32_t purge_at;           /* seconds after 00:00 UTC; -1 = learn */
	uint32_t purge_window;      /* seconds a purge may run after purge_at */
	uint32_t warmup;            /* seconds before an unconfigured purge hour is trusted */
	uint32_t resolve_after;     /* quiet samples before a loss alert resolves */
	double drop_rel;     /* fraction of the store a fast loss must reach */
	double drop_bytes;   /* ... and at least these bytes */
	double drop_objects; /* ... and at least these objects */
	double noise_mult;   /* ... and this many learned noise scales */
	double leak_rate;    /* fraction of the store per day the slow CUSUM targets */
	double leak_h;       /* slow CUSUM threshold, fraction of the store */
	double purge_tol;    /* extra purge ratio tolerated above the learned one */
	double overpurge_rel; /* excess over the purge allowance that alarms, fraction */
	double warmup_purge_cap; /* largest purge explained before anything is learned */
	double flat_ratio;   /* "stays flat": the other metric lost < this x relatively */
	double vanish_rel;   /* totals below this fraction of before = vanished */
	/* Expected false alerts per store per year: the noise multiples of the
	 * drop and leak alarms follow from it (docs/detection.md). */
	double false_alerts_year;
};

void detect_params_default(struct detect_params *p);

/* One declared deletion (an "explanation"). */
struct detect_explain {
	uint32_t id; /* nonzero; chosen by the caller (the ledger's row id) */
	int64_t start, end; /* window, unix seconds, inclusive */
	double allow_bytes;   /* < 0 = unlimited */
	double allow_objects; /* < 0 = unlimited */
	double used_bytes, used_objects; /* consumed so far (filled by the detector) */
};

/* Per metric (bytes, objects).  Internal; documented in detect/detect.c. */
struct detect_metric {
	double last;       /* last complete total */
	double base;       /* mean residual per sample outside purges (temp-file churn) */
	double var;        /* robust variance of the residual per sample */
	double fast;       /* fast accumulator of unexplained loss */
	double slow;       /* slow CUSUM */
	double ep_lost;    /* unexplained loss in the open loss episode */
	double ep_start;   /* total before the episode */
	double purge_cur;  /* removal in the current purge window */
	double purge_allow; /* allowance for the current purge window */
	double carry;      /* expected purge not yet done (a missed night) */
	double day_ingest; /* ingest in the current purge-cycle day */
	double day_removal; /* removal in the current purge-cycle day */
	double vanish_ref; /* total before a vanish */
	double fast_sum;   /* unexplained loss since fast last left 0 */
	double fast_start; /* total when fast last left 0 */
	double reported;   /* loss last reported in an event */
	double leak_sum;   /* unexplained loss since slow last left 0 */
	float ratio, ratio_dev; /* learned purge / ingest R days earlier */
	float recent_purge[4];
	uint16_t ring[DETECT_RING_DAYS]; /* log-coded daily ingest */
};

struct detect_state {
	uint32_t version;
	uint32_t episode;   /* last episode number handed out */
	int64_t first_time; /* first sample */
	int64_t last_time;  /* last sample of any status */
	int64_t last_complete;
	int64_t ep_since;   /* start of the open loss episode */
	int64_t day_index;  /* current purge-cycle day */
	int64_t first_day;
	int64_t purge_day;  /* cycle day whose purge window is open / done */
	int64_t leak_since;
	uint64_t mount_id;
	uint64_t nsamples;
	uint32_t spacing[7]; /* recent sample spacings, for the learned interval */
	uint32_t nspacing;
	uint32_t quiet;      /* samples without unexplained loss in the open episode */
	uint32_t npurges;    /* purges learned from */
	uint32_t leak_quiet;
	uint32_t ep_episode[DETECT_KIND_COUNT]; /* open episode per kind, 0 = none */
	uint8_t open_kind;   /* kind of the open loss episode, or 0xff */
	uint8_t has_prev;
	uint8_t has_added;   /* last sample had added_* */
	uint8_t in_purge;    /* current sample inside a purge window */
	uint8_t nexplain;
	uint16_t hour_votes[24]; /* learned purge hours (x16 per day) */
	int8_t hour_cur;     /* hour of day being summed, -1 = none */
	uint8_t late_ok;     /* per metric (bit 0 bytes, 1 objects): tonight's window
			      * closed with under half its allowance used
			      * (version 3: today's busiest hour) */
	uint8_t pending[2];  /* fast alarm waiting one sample for confirmation */
	uint8_t pending_purge;
	uint8_t unsettled;   /* the open episode lost more since its last report */
	uint8_t pad[2];
	double hour_sum;     /* removal in hour_cur so far */
	double purge_rm_time; /* last sample of the open window still deleting
			       * (version 3: the busiest hour's removal) */
	int64_t fast_since;
	uint32_t day_samples; /* complete samples in the current cycle day */
	uint8_t learned_r;    /* retention lag in days learned, 0 = not yet */
	uint8_t missed;       /* purge nights missed in a row */
	uint8_t pending_vanish; /* totals collapsed once: confirm on the next sample */
	uint8_t window_alarm;  /* a loss alarm was raised in the open purge window */
	int64_t vanish_since;
	int16_t lag_mean[DETECT_RING_DAYS]; /* log(purge/ingest L days before) x 4096 */
	uint16_t lag_dev[DETECT_RING_DAYS]; /* its mean squared deviation x 4096 */
	uint8_t lag_n[DETECT_RING_DAYS];
	struct detect_metric m[2]; /* 0 = bytes, 1 = objects */
	struct detect_explain explain[DETECT_MAX_EXPLAIN];
	/* Version 2: exact accounting (exact.c) and base_since, appended so a
	 * version-1 state is this struct's prefix. */
	struct detect_exact_state {
		uint64_t night_min;  /* smallest removed_min_age in the open purge window */
		int64_t night_day;   /* purge-cycle day night_min belongs to */
		uint32_t nights[7];  /* the last nights' smallest purged age, seconds */
		uint32_t learned;    /* retention learned from them, seconds; 0 = not yet */
		uint8_t nnights;     /* nights[] filled (ring position = nnights % 7) */
		uint8_t seen;        /* an exact sample was seen */
		uint8_t pad[6];
		uint64_t young_objects; /* young removal no declaration covered, ever */
	} x;
	int64_t base_since; /* when the noise baseline was (re)started; 0: before
			     * an upgrade from version 1, an established one */
	/* Version 3: what operators said was no loss (feedback.c). */
	struct detect_feedback {
		int64_t since;    /* sample time the feedback was given; 0 = none */
		int64_t win_open; /* when the last purge window opened */
		float night[2];   /* an acknowledged purge night's removal */
		float drop[2];    /* an acknowledged fast loss */
	} fb;
	/* Version 4: today's removal per hour of day (log-coded, purge.c), from
	 * which the night's purge hours are voted. */
	uint16_t day_hours[24];
};

/* Makes a fresh state. */
void detect_state_init(struct detect_state *st);
/*
 * Takes a saved state blob of the given version into st: the current
 * version as is, a version-1 state (the prefix of this one) upgraded with a
 * fresh exact-accounting part, so an upgrade keeps what was learned.
 * 0, or -EPROTO for any other version or size (st is then fresh).
 */
int detect_state_restore(struct detect_state *st, uint32_t version, const void *blob,
			 size_t len);
/*
 * The retention exact accounting uses for a store, in seconds: the
 * configured one (p->retention_s), else the one learned from what nightly
 * purges removed (0 until three nights were seen).  The collector sends it
 * to the agent (POLICY) and shows it (`shrinkwatchctl status`).  *learned
 * (may be NULL) says whether it was learned.
 */
uint64_t detect_retention(const struct detect_state *st, const struct detect_params *p,
			  bool *learned);

/*
 * Feeds one sample.  Fills up to DETECT_MAX_EVENTS events into ev and returns
 * how many.  Samples must come in time order; an older or equal time is
 * ignored (returns 0).  A partial scan is never a loss: it only keeps the
 * store alive for silence.
 */
int detect_update(struct detect_state *st, const struct detect_params *p,
		  const struct detect_input *in, struct detect_event *ev);

/*
 * What the detector made of one sample, per metric (0 = bytes, 1 = objects),
 * so the collector can keep the detector's expectation beside the samples
 * (the per-store detector RRD, docs/design.md) and graphs can show removal
 * against what retention and declared deletions explain.  judged is false
 * when the sample was not judged at all (the first one, a partial or missing
 * scan, a vanished store, a sample not newer than the last): then the other
 * fields are zero and mean nothing.  For a judged sample,
 *   removed = declared + unexplained + the part the retention purge explains,
 * exactly (the purge part is removed - declared - unexplained).
 */
struct detect_figures {
	bool judged;
	bool in_purge;         /* the sample lies in a purge window */
	double removed[2];     /* previous total + added - total (net-only: previous - total) */
	double purge_allow[2]; /* the open purge window's retention allowance; 0 outside */
	double purge_done[2];  /* removal so far in the open purge window; 0 outside */
	double declared[2];    /* what declared deletions consumed of this sample's loss */
	double unexplained[2]; /* what the alarms were fed (before their churn tolerance) */
};

/* detect_update() that also fills fig (may be NULL). */
int detect_update_figures(struct detect_state *st, const struct detect_params *p,
			  const struct detect_input *in, struct detect_event *ev,
			  struct detect_figures *fig);

/*
 * The silence check, called on a timer.  Fires DETECT_SILENCE when no sample
 * arrived for silence_intervals intervals; the next sample resolves it.
 * Returns the number of events (0 or 1).
 */
int detect_tick(struct detect_state *st, const struct detect_params *p, int64_t now,
		struct detect_event *ev);
/* When detect_tick() would fire next (INT64_MAX if it cannot yet). */
int64_t detect_silence_deadline(const struct detect_state *st, const struct detect_params *p);
/*
 * Whether the store is calibrated: a day of samples seen and the purge hour
 * known (configured, learned, or the warm-up over without purges).  Until
 * then purge-like losses are taken on trust (docs/detection.md).
 */
bool detect_calibrated(const struct detect_state *st, const struct detect_params *p);
/* Whether a silence alert is open. */
bool detect_silent(const struct detect_state *st);
/* The interval in use (configured or learned), 0 while unknown. */
uint32_t detect_interval(const struct detect_state *st, const struct detect_params *p);

/*
 * Declared deletions.  detect_explain_add() copies e (id nonzero, unique) into
 * the state: -EEXIST if the id is present, -ENOSPC when DETECT_MAX_EXPLAIN are
 * active (expired ones are dropped first).  If e covers the open loss
 * episode's loss, the alert resolves as explained: the event is filled into
 * ev and 1 returned; otherwise 0.
 */
int detect_explain_add(struct detect_state *st, const struct detect_explain *e,
		       struct detect_event *ev);
/* Removes explanation id; -ENOENT if it is not there. */
int detect_explain_revoke(struct detect_state *st, uint32_t id);
/*
 * "Explain after the fact": whether e covers the alert a (a FIRING or UPDATED
 * event): the episode's loss started inside e's window and the remaining
 * allowances are at least the lost bytes and objects (so a loss that went on
 * growing past what was declared stays unexplained).
 */
bool detect_explain_covers(const struct detect_event *a, const struct detect_explain *e);

/*
 * Operator feedback: the loss of alert a (its kind, episode, since, time --
 * when its loss was last measured, for a leak's rate -- and lost figures, as
 * the ledger keeps them) was a normal event -- a known surge, a
 * new purge job -- so the store's baseline learns it (docs/detection.md,
 * "Not a loss").  If a's episode is still open it closes like an episode a
 * declared deletion explains after the fact: the RESOLVED event (resolution
 * DETECT_RES_NOT_A_LOSS) is filled into ev and 1 returned; 0 when the
 * detector had closed it already (what it teaches is learned all the same,
 * so the ledger's word and the detector never disagree).  What it teaches
 * is bounded: an overpurge raises the next purge windows' allowance to the
 * acknowledged night, a drop raises the fast alarm's threshold to the
 * acknowledged loss, both at most 1.5x and halving every week, gone after
 * four weeks; a leak moves the noise baseline by the leak's rate, which
 * the baseline's two-week memory forgets if the leak stops.  -EINVAL for
 * silence (no loss to learn: it resolves with the next sample) or an
 * unknown kind.
 */
int detect_not_a_loss(struct detect_state *st, const struct detect_params *p,
		      const struct detect_event *a, struct detect_event *ev);
/* How much of what feedback taught still counts at sample time t: 1.5 at
 * the time it was given, halving every 7 days, 0 after 28 days (0 with no
 * feedback).  Exposed so tests and `shrinkwatchctl status` can show it. */
double detect_feedback_weight(const struct detect_state *st, int64_t t);

struct sw_sample;
struct buf;
/* The detector's input for a protocol sample (has_added from
 * SW_SAMPLE_HAS_ADDED, status and mount identity as sent). */
void detect_input_from_sample(struct detect_input *in, const struct sw_sample *s);
/*
 * Appends the event as one JSON object (no newline) naming the store:
 * time, store, kind, state, episode, since, [resolution], lost_*,
 * expected_*, observed_*, summary.  The format `shrinkwatchctl replay`
 * prints.  0 or -ENOBUFS when b's cap is reached.
 */
int detect_event_json(struct buf *b, const char *store, const struct detect_event *e);

/* "drop", "leak", ... / "firing", "updated", "resolved"; NULL-safe names. */
const char *detect_kind_name(unsigned kind);
const char *detect_state_name(unsigned state);
const char *detect_resolution_name(unsigned res);

#endif
