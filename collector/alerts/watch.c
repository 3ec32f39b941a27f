/*
 * watch.c - the live detector (see watch.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lifecycle.h"
#include "collector/store/board.h"
#include "collector/ledger/ledger.h"
#include "collector/store/registry.h"
#include "collector/store/rrdread.h"
#include "collector/store/rrdstore.h"
#include "watch.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

void watch_explain_to_detect(const struct ledger_explain *e, struct detect_explain *d)
{
	memset(d, 0, sizeof *d);
	d->id = (uint32_t)e->id;
	d->start = e->start;
	d->end = e->end;
	d->allow_bytes = e->bytes < 0 ? -1 : (double)e->bytes;
	d->allow_objects = e->objects < 0 ? -1 : (double)e->objects;
	/* a path-scoped declaration allows nothing by totals: the agent's
	 * journal says which items it covers (pathhold.h) */
	if (e->prefix[0])
		d->allow_bytes = d->allow_objects = 0;
}

struct sync_ctx {
	struct watch *w;
	struct watch_store *only; /* NULL = every store */
	uint32_t active[DETECT_MAX_EXPLAIN * 4];
	unsigned nactive;
	int64_t now;
};

static int sync_one(void *ctx, const struct ledger_explain *e)
{
	struct sync_ctx *c = ctx;
	struct watch_store *ws = c->only;
	struct detect_explain d;
	struct detect_event ev;
	int r;

	if (ws && (strcmp(ws->agent, e->agent) || strcmp(ws->store, e->store)))
		return 0;
	if (!ws)
		ws = watch_get(c->w, e->agent, e->store, false);
	if (!ws)
		return 0;
	watch_explain_to_detect(e, &d);
	r = detect_explain_add(&ws->st, &d, &ev);
	if (r == 1)
		watch_events(c->w, ws, &ev, 1, e->id, c->now);
	else if (r < 0 && r != -EEXIST)
		log_warn("watch: explanation %lld of '%s/%s' does not fit the detector: %s",
			 (long long)e->id, e->agent, e->store, strerror(-r));
	if (r >= 0)
		ws->dirty = true;
	return 0;
}

/* Collects the ids of active explanations, to drop revoked ones from states. */
static int collect_active(void *ctx, const struct ledger_explain *e)
{
	struct sync_ctx *c = ctx;

	if (c->nactive < sizeof c->active / sizeof c->active[0])
		c->active[c->nactive++] = (uint32_t)e->id;
	return 0;
}

static void drop_revoked(struct sync_ctx *c, struct watch_store *ws)
{
	for (int i = (int)ws->st.nexplain - 1; i >= 0; i--) {
		uint32_t id = ws->st.explain[i].id;
		bool found = false;

		for (unsigned j = 0; j < c->nactive && !found; j++)
			found = c->active[j] == id;
		if (!found && detect_explain_revoke(&ws->st, id) == 0)
			ws->dirty = true;
	}
}

/* Makes the detector's explanations match the ledger's active ones. */
static void sync_explanations(struct watch *w, struct watch_store *only, int64_t now)
{
	struct sync_ctx c = { .w = w, .only = only, .now = now };
	const char *k;
	void *v;

	if (ledger_explain_each(w->ledger, now, collect_active, &c))
		return;
	if (only) {
		drop_revoked(&c, only);
	} else {
		for (size_t i = 0; strmap_next(&w->stores, &i, &k, &v);)
			drop_revoked(&c, v);
	}
	ledger_explain_each(w->ledger, now, sync_one, &c);
}

static struct watch_store *store_new(struct watch *w, const char *agent, const char *store)
{
	struct store_key key;
	struct watch_store *ws = calloc(1, sizeof *ws);

	if (!ws)
		return NULL;
	snprintf(ws->agent, sizeof ws->agent, "%s", agent);
	snprintf(ws->store, sizeof ws->store, "%s", store);
	store_key(&key, agent, store);
	detect_config_resolve(w->cfg, key.s, &ws->p);
	ws->cfg_interval = ws->p.interval;
	detect_state_init(&ws->st);
	if (strmap_put(&w->stores, key.s, ws)) {
		free(ws);
		return NULL;
	}
	return ws;
}

struct watch_store *watch_get(struct watch *w, const char *agent, const char *store,
			      bool create)
{
	struct store_key key;
	struct watch_store *ws;

	store_key(&key, agent, store);
	ws = strmap_get(&w->stores, key.s);
	if (ws || !create)
		return ws;
	ws = store_new(w, agent, store);
	if (ws)
		sync_explanations(w, ws, (int64_t)time(NULL));
	return ws;
}

void watch_set_interval(struct watch_store *ws, uint32_t interval)
{
	ws->interval = interval;
	if (!ws->cfg_interval)
		ws->p.interval = interval; /* 0: learned from the spacing again */
}

static void tell_board(struct watch *w, struct watch_store *ws)
{
	ws->silent = detect_silent(&ws->st);
	if (w->board) {
		board_set_detector(w->board, ws->agent, ws->store,
				   detect_calibrated(&ws->st, &ws->p), ws->silent);
		board_set_floors(w->board, ws->agent, ws->store, ws->p.drop_bytes,
				 ws->p.drop_objects, ws->p.drop_rel);
	}
}

void watch_events(struct watch *w, struct watch_store *ws, const struct detect_event *ev,
		  int n, int64_t explanation_id, int64_t now)
{
	for (int i = 0; i < n; i++) {
		w->events++;
		if (w->alerts)
			alert_on_event(w->alerts, ws->agent, ws->store, &ev[i], explanation_id,
				       now);
	}
}

/* The detector's figures of a sample to the detector RRD, with the agent's
 * interval as the file's step (the learned one until the agent is known). */
static void keep_figures(struct watch *w, struct watch_store *ws, int64_t t,
			 const struct detect_figures *fig)
{
	uint32_t step = ws->interval ? ws->interval : detect_interval(&ws->st, &ws->p);

	if (w->rrd)
		rrdstore_submit_figures(w->rrd, ws->agent, ws->store, step ? step : 60, t, fig);
}

/* One sample of ws through the detector, with what path-scoped declared
 * deletions explain of its young removal (pathhold.h); its events to the
 * lifecycle. */
static void feed(struct watch *w, struct watch_store *ws, const struct sw_sample *s,
		 const double explained[2], int64_t now)
{
	struct detect_event ev[DETECT_MAX_EVENTS];
	struct detect_figures fig;
	struct detect_input in;
	int n;

	/* the same conversion shrinkwatchctl replay uses, so a trace replays
	 * exactly as it was judged live */
	detect_input_from_sample(&in, s);
	in.explained_young[0] = explained[0];
	in.explained_young[1] = explained[1];
	n = detect_update_figures(&ws->st, &ws->p, &in, ev, &fig);
	versioned_note(&ws->versioned, s, ev, n);
	ws->arrived = now;
	keep_figures(w, ws, s->time, &fig);
	ws->dirty = true;
	w->samples++;
	watch_events(w, ws, ev, n, 0, now);
	tell_board(w, ws);
}

/* pathhold's judge: a held sample, now with its answer. */
static void judge_held(void *ud, const char *agent, const char *store, const struct sw_sample *s,
		       const double explained[2], int64_t now)
{
	struct watch *w = ud;
	struct watch_store *ws = watch_get(w, agent, store, true);

	if (ws)
		feed(w, ws, s, explained, now);
}

/* A sample with young removal on a store with a path-scoped declaration
 * waits for the agent's answer (pathhold.h); any other goes on at once. */
static void hold_or_feed(struct watch *w, struct watch_store *ws, const struct sw_sample *s,
			 int64_t now)
{
	static const double none[2];

	if (!pathhold_take(&w->hold, ws->agent, ws->store, s, ws->st.last_complete, now))
		feed(w, ws, s, none, now);
}

void watch_sample(struct watch *w, const char *agent, const char *store,
		  const struct sw_sample *s, int64_t now)
{
	struct watch_store *ws = watch_get(w, agent, store, true);

	if (!ws) {
		log_err("watch: out of memory for '%s/%s': sample not checked", agent, store);
		return;
	}
	hold_or_feed(w, ws, s, now);
}

void watch_observe(void *ctx, struct agent_rec *a, struct store_rec *st,
		   const struct sw_sample *s)
{
	struct watch *w = ctx;

	if (!st->user)
		st->user = watch_get(w, a->name, st->name, true);
	if (!st->user) {
		log_err("watch: out of memory for '%s/%s': sample not checked", a->name,
			st->name);
		return;
	}
	watch_set_interval(st->user, a->interval);
	hold_or_feed(w, st->user, s, (int64_t)time(NULL));
}

void watch_tick(struct watch *w, int64_t now)
{
	struct detect_event ev;
	const char *k;
	void *v;

	pathhold_expire(&w->hold, now);
	for (size_t i = 0; strmap_next(&w->stores, &i, &k, &v);) {
		struct watch_store *ws = v;
		int n;

		if (!ws->arrived) {
			ws->arrived = now; /* known from the ledger: the grace starts now */
			continue;
		}
		/* the detector's clock is the samples' own: silence is the time
		 * since the last sample arrived, counted from its sample time */
		n = detect_tick(&ws->st, &ws->p, ws->st.last_time + (now - ws->arrived), &ev);
		if (n <= 0)
			continue;
		ws->dirty = true;
		watch_events(w, ws, &ev, n, 0, now);
		tell_board(w, ws);
	}
}

/*
 * Writes up to max dirty stores, starting where the previous chunk of this
 * round stopped, in one transaction.  Returns 1 when the round reached the
 * last store, 0 when stores remain, or a negative errno (the stores stay dirty
 * and the round starts again next time).
 */
static int save_chunk(struct watch *w, int64_t now, size_t max)
{
	struct watch_store **done = calloc(max < 4096 ? max : 4096, sizeof *done);
	size_t cap = max < 4096 ? max : 4096, n = 0, pos = w->save_pos;
	const char *k;
	void *v;
	int err, finished = 1;

	if (!done)
		return -ENOMEM;
	err = ledger_begin(w->ledger);
	if (err)
		goto out;
	for (size_t next = pos; strmap_next(&w->stores, &next, &k, &v); pos = next) {
		struct watch_store *ws = v;

		/* its events wait for the ledger: the saved state stays behind them,
		 * so a restart derives them again (rrdread.h) */
		if (!ws->dirty || (w->alerts && alert_pending(w->alerts, ws->agent, ws->store)))
			continue;
		if (n == max) {
			finished = 0; /* this one starts the next chunk */
			break;
		}
		if (n == cap) {
			struct watch_store **more = realloc(done, 2 * cap * sizeof *done);
			if (!more) {
				err = -ENOMEM;
				break;
			}
			done = more;
			cap *= 2;
		}
		err = ledger_state_save(w->ledger, ws->agent, ws->store, DETECT_STATE_VERSION,
					&ws->st, sizeof ws->st, now);
		if (err)
			break;
		done[n++] = ws;
	}
	if (err) {
		ledger_rollback(w->ledger);
		goto out;
	}
	err = ledger_commit(w->ledger);
	if (err)
		goto out;
	for (size_t i = 0; i < n; i++)
		done[i]->dirty = false;
	w->saved_in_round += n;
out:
	if (err) {
		log_err("watch: cannot save detector state: %s (will retry)", strerror(-err));
		finished = 1;
	}
	w->save_pos = finished ? 0 : pos;
	if (finished && w->saved_in_round) {
		log_debug("watch: saved the detector state of %zu stores", w->saved_in_round);
		w->saved_in_round = 0;
	}
	free(done);
	return err ? err : finished;
}

int watch_save(struct watch *w, int64_t now)
{
	int r;

	w->save_pos = 0;
	while ((r = save_chunk(w, now, WATCH_SAVE_CHUNK)) == 0)
		;
	return r < 0 ? r : 0;
}

static int restore_one(void *ctx, const char *agent, const char *store, uint32_t version,
		       const void *blob, size_t len)
{
	struct watch *w = ctx;
	struct watch_store *ws;
	struct store_key key;

	store_key(&key, agent, store);
	ws = strmap_get(&w->stores, key.s);
	if (!ws)
		ws = store_new(w, agent, store);
	if (!ws)
		return -ENOMEM;
	if (detect_state_restore(&ws->st, version, blob, len))
		log_warn("watch: saved detector state of '%s/%s' is version %u (%zu bytes), this "
			 "collector uses %u: learning it again",
			 agent, store, version, len, (unsigned)DETECT_STATE_VERSION);
	return 0;
}

struct replay_ctx {
	struct watch *w;
	struct watch_store *ws;
	int64_t now;
};

static int replay_one(void *ctx, const struct sw_sample *s)
{
	struct replay_ctx *rc = ctx;

	hold_or_feed(rc->w, rc->ws, s, rc->now);
	return 0;
}

void watch_replay(struct watch *w, int64_t now)
{
	const char *k;
	void *v;

	for (size_t i = 0; w->data_dir && strmap_next(&w->stores, &i, &k, &v);) {
		struct replay_ctx rc = { .w = w, .ws = v, .now = now };
		int64_t after = rc.ws->st.last_time;
		int n;

		/* only what a saved state missed: a store never judged here (an
		 * RRD from elsewhere, a first start) is not judged on history,
		 * which would raise again what was alerted before */
		if (!after)
			continue;
		if (after < now - WATCH_REPLAY_MAX)
			after = now - WATCH_REPLAY_MAX;
		n = rrdread_since(w->data_dir, rc.ws->agent, rc.ws->store, after, replay_one, &rc);
		if (n == -ENOENT || n == 0)
			continue;
		if (n < 0) {
			log_warn("watch: cannot read back the samples of '%s/%s' newer than its "
				 "saved detector state: %s", rc.ws->agent, rc.ws->store,
				 strerror(-n));
			continue;
		}
		w->replayed += (uint64_t)n;
		log_notice("watch: '%s/%s': %d stored samples newer than the saved detector state "
			   "judged again", rc.ws->agent, rc.ws->store, n);
	}
}

static void on_tick(uv_timer_t *t)
{
	watch_tick(t->data, (int64_t)time(NULL));
}

/* One chunk per loop turn, so saving thousands of stores never holds the
 * loop for long; the next round starts a save interval after this one ends. */
static void on_save(uv_timer_t *t)
{
	struct watch *w = t->data;
	int r = save_chunk(w, (int64_t)time(NULL), WATCH_SAVE_CHUNK);

	uv_timer_start(&w->save, on_save, r == 0 ? 1 : WATCH_SAVE_INTERVAL_MS, 0);
}

int watch_init(struct watch *w, uv_loop_t *loop, struct registry *reg,
	       const struct watch_deps *deps)
{
	const char *k, *sk;
	void *v, *sv;
	int err;

	memset(w, 0, sizeof *w);
	w->loop = loop;
	w->board = deps->board;
	w->alerts = deps->alerts;
	w->ledger = deps->ledger;
	w->cfg = deps->cfg;
	w->rrd = deps->rrd;
	w->data_dir = deps->data_dir;
	strmap_init(&w->stores);
	{
		const struct pathhold_ops ho = { .judge = judge_held, .judge_ud = w };

		pathhold_init(&w->hold, w->ledger, &ho);
	}
	err = ledger_state_each(w->ledger, restore_one, w);
	if (err)
		return err;
	for (size_t i = 0; reg && strmap_next(&reg->agents, &i, &k, &v);) {
		struct agent_rec *a = v;

		for (size_t j = 0; strmap_next(&a->stores, &j, &sk, &sv);) {
			struct store_rec *st = sv;
			struct store_key key;

			store_key(&key, a->name, st->name);
			st->user = strmap_get(&w->stores, key.s);
			if (!st->user)
				st->user = store_new(w, a->name, st->name);
			if (!st->user)
				return -ENOMEM;
			/* the RRD step until the agent says HELLO again */
			watch_set_interval(st->user, a->interval);
		}
	}
	sync_explanations(w, NULL, (int64_t)time(NULL));
	for (size_t i = 0; strmap_next(&w->stores, &i, &k, &v);)
		tell_board(w, v);
	if (loop) {
		uv_timer_init(loop, &w->tick);
		uv_timer_init(loop, &w->save);
		w->tick.data = w->save.data = w;
		uv_timer_start(&w->tick, on_tick, 1000, 1000);
		uv_timer_start(&w->save, on_save, WATCH_SAVE_INTERVAL_MS, 0);
		w->timers_on = true;
	}
	log_info("watch: watching %zu stores", w->stores.count);
	return 0;
}

void watch_stop(struct watch *w)
{
	const char *k;
	void *v;

	w->rrd = NULL; /* may be stopped already (watch_deps) */
	/* held samples are judged, without the answers still missing */
	pathhold_stop(&w->hold, (int64_t)time(NULL));
	if (w->timers_on) {
		uv_timer_stop(&w->tick);
		uv_timer_stop(&w->save);
		uv_close((uv_handle_t *)&w->tick, NULL);
		uv_close((uv_handle_t *)&w->save, NULL);
		w->timers_on = false;
	}
	if (w->ledger && w->ledger->db)
		watch_save(w, (int64_t)time(NULL));
	for (size_t i = 0; strmap_next(&w->stores, &i, &k, &v);)
		free(v);
	strmap_release(&w->stores);
}
