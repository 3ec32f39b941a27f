/* copies.c - continuous checking of copy relations (see copies.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copies.h"
#include "lifecycle.h"
#include "collector/ledger/copyrel.h"
#include "collector/ledger/ledger.h"
#include "shrinkwatch/detect.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"


/* A change of the memory a walk hands back, written when the walk ends. */
struct memop {
	uint8_t *key; /* the directory's name hashes, klen bytes */
	size_t klen;
	bool forget;
	uint8_t digest[COPIES_DIGEST_LEN];
	uint8_t *packed; /* n entries of COPYREL_SEEN_ENTRY bytes */
	size_t n;
};

/* One walk in progress: a relation's comparison or an administrator's check. */
struct copies_walker {
	struct memop *ops; /* the memory's changes, in order */
	size_t nops, capops;
	struct copies_entry *scratch; /* remembered()'s answer */
	size_t scap;
	struct copies *c;
	const struct copies_relation *rel; /* the state's or the check's */
	struct copies_walk *w;
	bool done;
	struct copies_rel_state *st; /* a relation's comparison, else NULL */
	struct copies_check *check;  /* an administrator's check, else NULL */
};

struct copies_rel_state {
	const struct copies_relation *rel; /* in c->cfg */
	struct copies_walker *walker;      /* the comparison running, or NULL */
	int64_t last_start;
	uint32_t interval; /* the source agent's */
	bool memory_full;  /* over COPIES_SEEN_MAX: no copy_lost */
	/* the last episode numbered per kind (missing, differs, lost): a
	 * firing still waiting for the ledger is not in its alerts table */
	uint32_t last_episode[3];
	struct copyrel_rec rec;
};

/* A directory asked of an agent, its entries gathered until the last frame. */
struct copies_pending {
	uint64_t req_id;
	char agent[SW_NAME_MAX + 1];
	struct copies_walker *wk;
	uint64_t tag;
	enum copies_side side;
	int64_t sent;
	struct copies_listing l;
	struct copies_entry *e;
	size_t n, cap;
	size_t name_bytes; /* held in e's names */
	struct copies_pending *next;
};

static void pending_free(struct copies_pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		free((void *)p->e[i].name);
	free(p->e);
	free(p);
}

static struct copies_pending *pending_take(struct copies *c, uint64_t req_id, const char *agent)
{
	for (struct copies_pending **pp = &c->pending; *pp; pp = &(*pp)->next) {
		struct copies_pending *p = *pp;

		if (p->req_id == req_id && (!agent || !strcmp(p->agent, agent))) {
			*pp = p->next;
			return p;
		}
	}
	return NULL;
}

static void end_text(const struct copies_end *e, char *out, size_t len)
{
	snprintf(out, len, "%s/%s%s%s", e->agent, e->store, e->prefix[0] ? ":" : "", e->prefix);
}

/* ---- alerts ------------------------------------------------------------ */

/* Whether the copy_lost alert of episode was closed (acknowledged ones stay
 * open until closed; a closed one starts a new count).  One whose events
 * still wait for the ledger (alert_pending()) is open; so is one the ledger
 * cannot be asked about now. */
static bool alert_closed(struct copies *c, const struct copies_relation *rel, uint32_t episode)
{
	struct ledger_alert a;
	int rc;

	if (c->alerts && alert_pending(c->alerts, rel->destination.agent, rel->destination.store))
		return false;
	rc = ledger_alert_find(c->ledger, rel->destination.agent, rel->destination.store,
			       detect_kind_name(DETECT_COPY_LOST), episode, &a);
	if (rc)
		return rc == -ENOENT;
	return a.closed_at != 0;
}

/* An alert transition a comparison decided, raised once the relation's new
 * state is recorded. */
struct copy_event {
	bool due;
	unsigned kind;
	uint8_t state;      /* DETECT_FIRING, _UPDATED or _RESOLVED */
	uint8_t resolution; /* with DETECT_RESOLVED */
	uint64_t count, bytes;
	uint32_t episode;
};

/* Decides whether the alert of kind fires, is updated or resolves for count
 * (the state's episode says whether one is open; resolution says why it
 * resolves), into *out, and moves *episode on: a new episode for a firing, 0 after a resolution.  Raises
 * nothing: the caller records the state first (finding the episode needs
 * only a read).  An episode that cannot be numbered now leaves *episode 0,
 * so the next comparison fires it. */
static void plan_kind(struct copies *c, struct copies_rel_state *st, unsigned kind,
		      uint64_t count, uint64_t prev, uint64_t bytes, uint8_t resolution,
		      uint32_t *episode, struct copy_event *out)
{
	const struct copies_relation *rel = st->rel;

	memset(out, 0, sizeof *out);
	if (!c->alerts || (!count && !*episode) || (count && *episode && count == prev))
		return;
	if (count && !*episode) {
		uint32_t *last = &st->last_episode[kind - DETECT_COPY_MISSING];

		if (copyrel_next_episode(c->ledger->db, rel->destination.agent,
					 rel->destination.store, detect_kind_name(kind), episode))
			return;
		if (*episode <= *last) /* past those waiting in the lifecycle's queue */
			*episode = *last + 1;
		*last = *episode;
		out->state = DETECT_FIRING;
	} else {
		out->state = count ? DETECT_UPDATED : DETECT_RESOLVED;
	}
	out->due = true;
	out->kind = kind;
	out->count = count;
	out->bytes = bytes;
	out->episode = *episode;
	if (!count) {
		out->resolution = resolution;
		*episode = 0;
	}
}

/* Raises the transition e planned (no transaction open: alert_on_event()
 * records it in its own, or keeps it for a retry when the ledger refuses). */
static void raise_kind(struct copies *c, const struct copies_rel_state *st,
		       const struct copy_event *e, const struct copies_result *r, int64_t now)
{
	const struct copies_relation *rel = st->rel;
	struct detect_event ev;

	if (!e->due)
		return;
	memset(&ev, 0, sizeof ev);
	ev.time = now;
	ev.since = st->rec.since;
	ev.kind = (uint8_t)e->kind;
	ev.state = e->state;
	ev.resolution = e->resolution;
	ev.episode = e->episode;
	ev.lost_objects = (double)e->count;
	ev.lost_bytes = (double)e->bytes;
	ev.expected_objects = (double)r->src_files;
	ev.observed_objects = (double)r->dst_files;
	ev.expected_bytes = (double)r->src_bytes;
	ev.observed_bytes = (double)r->dst_bytes;
	if (e->kind == DETECT_COPY_LOST)
		snprintf(ev.summary, sizeof ev.summary,
			 "copy '%.64s': %llu items of %.32s/%.32s are at neither end (gone from "
			 "both, or from the source before they reached the copy)", rel->name,
			 (unsigned long long)e->count, rel->source.agent, rel->source.store);
	else if (e->kind == DETECT_COPY_MISSING)
		snprintf(ev.summary, sizeof ev.summary,
			 "copy '%.64s': %llu items of %.32s/%.32s older than %llds not at the copy",
			 rel->name, (unsigned long long)e->count, rel->source.agent,
			 rel->source.store, (long long)rel->grace);
	else
		snprintf(ev.summary, sizeof ev.summary,
			 "copy '%.64s': %llu items differ (compare = %s) from %.32s/%.32s", rel->name,
			 (unsigned long long)e->count, copies_compare_name(rel->compare),
			 rel->source.agent, rel->source.store);
	if (!e->count && e->resolution == DETECT_RES_SOURCE_REMOVED)
		snprintf(ev.summary, sizeof ev.summary, "copy '%.64s': nothing missing any more, "
			 "but %llu items left the source without reaching the copy (copy_lost)",
			 rel->name, (unsigned long long)r->unreceived);
	else if (!e->count)
		snprintf(ev.summary, sizeof ev.summary, "copy '%s': complete again", rel->name);
	alert_on_event(c->alerts, rel->destination.agent, rel->destination.store, &ev, 0, now);
}

static uint64_t item_bytes(const struct copies_result *r, enum copies_item_kind k)
{
	uint64_t b = 0;

	for (size_t i = 0; i < r->nitems; i++)
		if (r->items[i].kind == k)
			b += r->items[i].size;
	return b;
}

static int memory_write(struct copies_walker *wk);

/* Records the walk's memory changes and the relation's state rec in one
 * transaction: both or neither, so a comparison whose state the ledger
 * refused is derived again, lost items included, by the next one. */
static int relation_record(struct copies *c, struct copies_walker *wk,
			   const struct copyrel_rec *rec)
{
	int err = ledger_begin(c->ledger);

	if (err)
		return err;
	err = memory_write(wk);
	if (!err)
		err = copyrel_put(c->ledger->db, rec);
	if (err) {
		ledger_rollback(c->ledger);
		return err;
	}
	return ledger_commit(c->ledger);
}

/* A relation's comparison ended: its state and memory to the ledger, then
 * its alerts.  The alerts are raised only once the state that numbers their
 * episodes is recorded, and outside that transaction (a failed commit
 * would take them with it while the state in memory said they were open);
 * when the ledger refuses the state, the state in memory goes back to what
 * it was, so the next comparison decides (and raises) the same again. */
static void relation_done(struct copies *c, struct copies_walker *wk,
			  const struct copies_result *r, int64_t now)
{
	struct copies_rel_state *st = wk->st;
	struct copyrel_rec *rec = &st->rec, before = st->rec;
	enum copyrel_state s = r->outcome == COPIES_COMPLETE	 ? COPYREL_COMPLETE :
			       r->outcome == COPIES_INCOMPLETE ? COPYREL_INCOMPLETE :
								 COPYREL_UNKNOWN;
	uint64_t pm = rec->missing, pd = rec->differs, pl = rec->lost;
	struct copy_event ev[3];
	int err;

	memset(ev, 0, sizeof ev);
	c->comparisons++;
	if (s != rec->state)
		rec->since = now;
	rec->state = s;
	rec->checked_at = now;
	rec->unknown_dirs = r->unknown_dirs;
	if (s != COPYREL_UNKNOWN) {
		rec->missing = r->missing;
		rec->differs = r->differs;
		rec->young = r->young;
		rec->src_files = r->src_files;
		rec->src_bytes = r->src_bytes;
		rec->dst_files = r->dst_files;
		rec->dst_bytes = r->dst_bytes;
	}
	if (s == COPYREL_COMPLETE)
		rec->complete_at = now;
	if (s != COPYREL_UNKNOWN) {
		/* recovered only when the copy gained them: missing items that
		 * left the source instead are lost (copy_lost), not recovered */
		plan_kind(c, st, DETECT_COPY_MISSING, r->missing, pm,
			  item_bytes(r, COPIES_ITEM_MISSING),
			  r->unreceived ? DETECT_RES_SOURCE_REMOVED : DETECT_RES_RECOVERED,
			  &rec->missing_episode, &ev[0]);
		plan_kind(c, st, DETECT_COPY_DIFFERS, r->differs, pd,
			  item_bytes(r, COPIES_ITEM_DIFFERS), DETECT_RES_RECOVERED,
			  &rec->differs_episode, &ev[1]);
	}
	if (r->lost) { /* gone for good: counted until the alert is closed */
		if (rec->lost_episode && alert_closed(c, st->rel, rec->lost_episode))
			rec->lost_episode = 0, pl = rec->lost = 0;
		rec->lost += r->lost;
		plan_kind(c, st, DETECT_COPY_LOST, rec->lost, pl, 0, DETECT_RES_RECOVERED,
			  &rec->lost_episode, &ev[2]);
	}
	err = relation_record(c, wk, rec);
	if (c->ops.recorded && s != COPYREL_UNKNOWN)
		c->ops.recorded(c->ops.ud, rec);
	if (err) {
		log_err("copies: cannot record the state of copy '%s' (%s): its alerts are "
			"decided again by the next comparison", st->rel->name, strerror(-err));
		*rec = before;
	} else {
		for (size_t i = 0; i < 3; i++)
			raise_kind(c, st, &ev[i], r, now);
	}
	log_info("copies: copy '%s' %s: %llu missing, %llu differing, %llu lost, %llu in "
		 "transit, %llu directories unknown (%llu directories asked, %llu entries)",
		 st->rel->name, copyrel_state_name(s), (unsigned long long)r->missing,
		 (unsigned long long)r->differs, (unsigned long long)r->lost,
		 (unsigned long long)r->young,
		 (unsigned long long)r->unknown_dirs, (unsigned long long)r->requests,
		 (unsigned long long)r->entries);
}

/* ---- walks ------------------------------------------------------------- */

static int w_request(void *ud, enum copies_side side, const struct copies_dirpath *dir,
		     bool self_only, bool names, uint64_t tag)
{
	struct copies_walker *wk = ud;
	struct copies *c = wk->c;
	const struct copies_end *e = side == COPIES_SOURCE ? &wk->rel->source :
							      &wk->rel->destination;
	struct copies_pending *p;
	struct sw_digreq rq;
	int rc;

	memset(&rq, 0, sizeof rq);
	rq.req_id = ++c->next_req;
	snprintf(rq.store, sizeof rq.store, "%s", e->store);
	rc = copies_dirpath_wire(e->prefix, dir, rq.dir, sizeof rq.dir);
	if (rc)
		return rc;
	rq.flags = (uint8_t)((self_only ? SW_DIG_SELF : 0) |
			     (wk->rel->compare == COPIES_CONTENT ? SW_DIG_CONTENT : 0) |
			     (names ? SW_DIG_NAMES : 0) | (dir->depth ? SW_DIG_BYHASH : 0));
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->req_id = rq.req_id;
	snprintf(p->agent, sizeof p->agent, "%s", e->agent);
	p->wk = wk;
	p->tag = tag;
	p->side = side;
	p->sent = c->now;
	rc = c->ops.send ? c->ops.send(c->ops.ud, e->agent, &rq) : -ENOTCONN;
	if (rc) {
		pending_free(p);
		return rc;
	}
	p->next = c->pending;
	c->pending = p;
	c->requests++;
	return 0;
}

static void w_done(void *ud, struct copies_walk *w)
{
	struct copies_walker *wk = ud;

	(void)w;
	wk->done = true;
}

static void walker_free(struct copies_walker *wk);

/* After any call into wk's walk: a finished walk's result goes where it
 * belongs, and the walker goes. */
static void settle(struct copies_walker *wk, int64_t now)
{
	struct copies *c = wk->c;

	if (!wk->done)
		return;
	if (wk->st) {
		relation_done(c, wk, copies_walk_result(wk->w), now);
		wk->st->walker = NULL;
		copies_walk_free(wk->w);
	} else {
		const struct copies_result *r = copies_walk_result(wk->w);

		wk->check->state = COPIES_CHECK_DONE;
		wk->check->finished = now;
		wk->check->walker = NULL;
		log_info("copies: check %llu of copy '%s' by '%s' done: %llu missing, %llu "
			 "differing, %llu directories unknown", (unsigned long long)wk->check->id,
			 wk->rel->name, wk->check->who, (unsigned long long)r->missing,
			 (unsigned long long)r->differs, (unsigned long long)r->unknown_dirs);
	}
	walker_free(wk);
}

/* ---- the memory behind copy_lost ---------------------------------------- */

static int w_remembered(void *ud, const struct copies_dirpath *dir, struct copies_listing *out)
{
	struct copies_walker *wk = ud;
	uint8_t *packed = NULL;
	size_t n = 0;

	if (copyrel_seen_get(wk->c->ledger->db, wk->rel->name, dir->h[0],
			     dir->depth * COPIES_HASH_LEN, out->self, &packed, &n))
		return 0;
	if (n > wk->scap) {
		struct copies_entry *more = realloc(wk->scratch, n * sizeof *more);

		if (!more) {
			free(packed);
			return 0;
		}
		wk->scratch = more;
		wk->scap = n;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = packed + i * COPYREL_SEEN_ENTRY;
		struct copies_entry *x = &wk->scratch[i];

		memset(x, 0, sizeof *x);
		memcpy(x->name_hash, p, COPIES_HASH_LEN);
		x->kind = p[16];
		for (int b = 0; b < 8; b++)
			x->files = x->files << 8 | p[17 + b];
		memcpy(x->digest, p + 25, COPIES_DIGEST_LEN);
	}
	free(packed);
	out->e = wk->scratch;
	out->n = n;
	return 1;
}

static struct memop *memop_add(struct copies_walker *wk, const struct copies_dirpath *dir)
{
	struct memop *m;

	if (wk->nops == wk->capops) {
		size_t cap = wk->capops ? 2 * wk->capops : 64;
		struct memop *more = realloc(wk->ops, cap * sizeof *more);

		if (!more)
			return NULL;
		wk->ops = more;
		wk->capops = cap;
	}
	m = &wk->ops[wk->nops];
	memset(m, 0, sizeof *m);
	m->klen = dir->depth * COPIES_HASH_LEN;
	m->key = malloc(m->klen ? m->klen : 1);
	if (!m->key)
		return NULL;
	memcpy(m->key, dir->h[0], m->klen);
	wk->nops++;
	return m;
}

static void w_remember(void *ud, const struct copies_dirpath *dir,
		       const uint8_t digest[COPIES_DIGEST_LEN], const struct copies_entry *e,
		       size_t n)
{
	struct copies_walker *wk = ud;
	struct memop *m = memop_add(wk, dir);

	if (!m)
		return; /* not remembered: the next walk descends there again */
	memcpy(m->digest, digest, COPIES_DIGEST_LEN);
	m->packed = malloc(n ? n * COPYREL_SEEN_ENTRY : 1);
	if (!m->packed) {
		free(m->key);
		wk->nops--;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = m->packed + i * COPYREL_SEEN_ENTRY;

		memcpy(p, e[i].name_hash, COPIES_HASH_LEN);
		p[16] = e[i].kind;
		for (int b = 0; b < 8; b++)
			p[17 + b] = (uint8_t)(e[i].files >> (56 - 8 * b));
		memcpy(p + 25, e[i].digest, COPIES_DIGEST_LEN);
	}
	m->n = n;
}

static void w_forget(void *ud, const struct copies_dirpath *dir)
{
	struct memop *m = memop_add(ud, dir);

	if (m)
		m->forget = true;
}

/* Writes the walk's memory changes (inside the caller's transaction).  0 or
 * the first error; the changes stay with the walker, freed with it. */
static int memory_write(struct copies_walker *wk)
{
	struct copies *c = wk->c;
	int err = 0;

	for (size_t i = 0; i < wk->nops && !err; i++) {
		const struct memop *m = &wk->ops[i];

		err = m->forget ? copyrel_seen_forget(c->ledger->db, wk->rel->name, m->key, m->klen) :
				  copyrel_seen_put(c->ledger->db, wk->rel->name, m->key, m->klen,
						   m->digest, m->packed, m->n);
	}
	if (err)
		log_err("copies: cannot remember what copy '%s' holds at both ends (copy_lost "
			"looks again next time)", wk->rel->name);
	return err;
}

static void walker_free(struct copies_walker *wk)
{
	for (size_t i = 0; i < wk->nops; i++) {
		free(wk->ops[i].key);
		free(wk->ops[i].packed);
	}
	free(wk->ops);
	free(wk->scratch);
	free(wk);
}

/* Whether relation st's comparison keeps the memory: once it was complete
 * or found items missing, and while the memory stays within
 * COPIES_SEEN_MAX. */
static bool keeps_memory(struct copies *c, struct copies_rel_state *st)
{
	uint64_t n = 0;

	/* once complete, and while items are missing (so items that leave
	 * the source before they reach the copy are found) */
	if (!st->rec.complete_at && st->rec.state != COPYREL_INCOMPLETE &&
	    !st->rec.missing_episode)
		return false;
	if (copyrel_seen_count(c->ledger->db, st->rel->name, &n) || n <= COPIES_SEEN_MAX)
		return true;
	if (!st->memory_full)
		log_warn("copies: copy '%s' holds more than %u items at both ends: checked "
			 "without copy_lost (the memory is bounded)", st->rel->name,
			 COPIES_SEEN_MAX);
	st->memory_full = true;
	copyrel_seen_forget(c->ledger->db, st->rel->name, NULL, 0);
	return false;
}

static int walker_start(struct copies *c, struct copies_walker *wk, bool names, int64_t now)
{
	struct copies_walk_ops ops = { .request = w_request, .done = w_done, .ud = wk };

	if (wk->st && keeps_memory(c, wk->st)) {
		ops.remembered = w_remembered;
		ops.remember = w_remember;
		ops.forget = w_forget;
	}
	int rc = copies_walk_start(wk->rel, names, now, &ops, &wk->w);

	if (rc)
		return rc;
	if (wk->check)
		wk->check->walk = wk->w;
	(void)c;
	settle(wk, now);
	return 0;
}

static int relation_start(struct copies *c, struct copies_rel_state *st, int64_t now)
{
	struct copies_walker *wk;
	int rc;

	if (st->walker)
		return -EBUSY;
	wk = calloc(1, sizeof *wk);
	if (!wk)
		return -ENOMEM;
	wk->c = c;
	wk->rel = st->rel;
	wk->st = st;
	st->walker = wk;
	st->last_start = now;
	rc = walker_start(c, wk, false, now);
	if (rc) {
		st->walker = NULL;
		walker_free(wk);
	}
	return rc;
}

int copies_compare_now(struct copies *c, const char *name, int64_t now)
{
	c->now = now;
	for (size_t i = 0; i < c->cfg.n; i++)
		if (!strcmp(c->cfg.rel[i].name, name))
			return relation_start(c, &c->st[i], now);
	return -ENOENT;
}

void copies_on_sample(struct copies *c, const char *agent, const char *store,
		      uint32_t interval, int64_t now)
{
	c->now = now;
	for (size_t i = 0; i < c->cfg.n; i++) {
		struct copies_rel_state *st = &c->st[i];
		const struct copies_relation *r = st->rel;
		bool src = !strcmp(r->source.agent, agent) && !strcmp(r->source.store, store);
		bool dst = !strcmp(r->destination.agent, agent) &&
			   !strcmp(r->destination.store, store);
		int64_t every;

		if (!src && !dst)
			continue;
		if (src)
			st->interval = interval;
		every = st->interval > COPIES_MIN_INTERVAL_S ? st->interval : COPIES_MIN_INTERVAL_S;
		if (st->walker || (st->last_start && now - st->last_start < every))
			continue;
		if (relation_start(c, st, now))
			log_warn("copies: cannot start comparing copy '%s'", r->name);
	}
}

/* ---- answers ----------------------------------------------------------- */

/* Hands p's answer (l, or unknown) to its walk and frees p. */
static void answer(struct copies_pending *p, enum copies_answer_status status, int64_t now)
{
	struct copies_walker *wk = p->wk;

	p->l.status = status;
	p->l.e = status == COPIES_ANSWER_OK ? p->e : NULL;
	p->l.n = status == COPIES_ANSWER_OK ? p->n : 0;
	copies_walk_answer(wk->w, p->tag, p->side, &p->l);
	pending_free(p);
	settle(wk, now);
}

/* Keeps n more entries of p's directory: 0, -ENOMEM, or -EFBIG past
 * COPIES_DIR_ENTRIES_MAX entries or COPIES_DIR_NAME_BYTES_MAX bytes of names
 * (an agent that never ends its answer must not exhaust the collector). */
static int keep_entries(struct copies_pending *p, const struct sw_digentry *en, size_t n)
{
	if (n > COPIES_DIR_ENTRIES_MAX - p->n)
		return -EFBIG;
	if (p->n + n > p->cap) {
		size_t cap = p->cap ? p->cap : 256;
		struct copies_entry *more;

		while (cap < p->n + n)
			cap *= 2;
		if (cap > COPIES_DIR_ENTRIES_MAX)
			cap = COPIES_DIR_ENTRIES_MAX;
		more = realloc(p->e, cap * sizeof *more);
		if (!more)
			return -ENOMEM;
		p->e = more;
		p->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		struct copies_entry *x = &p->e[p->n];
		size_t nl = strnlen(en[i].name, sizeof en[i].name);

		if (nl > COPIES_DIR_NAME_BYTES_MAX - p->name_bytes)
			return -EFBIG;
		memset(x, 0, sizeof *x);
		memcpy(x->name_hash, en[i].name_hash, COPIES_HASH_LEN);
		x->kind = en[i].kind;
		x->size = en[i].size;
		x->files = en[i].files;
		x->birth = en[i].birth;
		memcpy(x->digest, en[i].digest, COPIES_DIGEST_LEN);
		if (nl && !(x->name = strndup(en[i].name, nl)))
			return -ENOMEM;
		p->name_bytes += nl;
		p->n++;
	}
	return 0;
}

/* Lines an agent can cause at will: a few a minute. */
static struct log_ratelimit dropped_rl = LOG_RATELIMIT_INIT(60, 5);

void copies_on_digests(struct copies *c, const char *agent, const struct sw_digests *hdr,
		       const struct sw_digentry *entries, size_t n, int64_t now)
{
	struct copies_pending *p = pending_take(c, hdr->req_id, agent);
	char text[SW_TEXT_MAX + 1];
	int rc;

	c->now = now;
	c->frames++;
	if (!p) {
		log_ratelimited(&dropped_rl, LOG_INFO, "copies: agent '%s' answered digest request "
				"%llu, which is not pending (timed out, given up, or asked before a "
				"restart): dropped", agent, (unsigned long long)hdr->req_id);
		return;
	}
	p->l.scan_time = hdr->scan_time;
	memcpy(p->l.self, hdr->self, COPIES_DIGEST_LEN);
	p->l.files = hdr->files;
	p->l.bytes = hdr->bytes;
	switch (hdr->status) {
	case SW_DIG_REFUSED:
		name_printable(hdr->text, text, sizeof text);
		log_warn("copies: agent '%s' refused the digests of copy '%s': %s", agent,
			 p->wk->rel->name, text);
		answer(p, COPIES_ANSWER_UNKNOWN, now);
		return;
	case SW_DIG_NO_DIR:
		answer(p, COPIES_ANSWER_NO_DIR, now);
		return;
	default:
		break;
	}
	rc = keep_entries(p, entries, n);
	if (rc == -EFBIG)
		log_warn("copies: agent '%s' sent more than %u entries (or %u bytes of names) for "
			 "one directory of copy '%s': the directory is not compared and counts as "
			 "unknown (the relation cannot be complete); check the agent", agent,
			 COPIES_DIR_ENTRIES_MAX, COPIES_DIR_NAME_BYTES_MAX, p->wk->rel->name);
	if (rc) {
		answer(p, COPIES_ANSWER_UNKNOWN, now);
		return;
	}
	if (hdr->status == SW_DIG_LAST) {
		answer(p, COPIES_ANSWER_OK, now);
		return;
	}
	p->next = c->pending; /* more frames come */
	c->pending = p;
}

/* Ends as unknown every pending request match() accepts. */
static void fail_pending(struct copies *c, bool (*match)(const struct copies_pending *p,
							 const void *arg),
			 const void *arg, int64_t now)
{
	for (;;) {
		struct copies_pending *p = NULL;

		for (struct copies_pending **pp = &c->pending; *pp; pp = &(*pp)->next)
			if (match(*pp, arg)) {
				p = *pp;
				*pp = p->next;
				break;
			}
		if (!p)
			return;
		answer(p, COPIES_ANSWER_UNKNOWN, now); /* may add pending requests */
	}
}

static bool of_agent(const struct copies_pending *p, const void *agent)
{
	return !strcmp(p->agent, agent);
}

static bool older(const struct copies_pending *p, const void *before)
{
	return p->sent < *(const int64_t *)before;
}

void copies_agent_gone(struct copies *c, const char *agent, int64_t now)
{
	c->now = now;
	fail_pending(c, of_agent, agent, now);
}

void copies_tick(struct copies *c, int64_t now)
{
	int64_t before = now - COPIES_REQUEST_TIMEOUT_S;

	c->now = now;
	fail_pending(c, older, &before, now);
}

/* ---- administrator's checks -------------------------------------------- */

static struct copies_check *check_slot(struct copies *c)
{
	struct copies_check *oldest = NULL;

	for (size_t i = 0; i < COPIES_CHECKS_KEEP; i++) {
		struct copies_check *k = &c->checks[i];

		if (!k->id)
			return k;
		if (k->state == COPIES_CHECK_DONE && (!oldest || k->finished < oldest->finished))
			oldest = k;
	}
	if (oldest) {
		copies_walk_free(oldest->walk);
		memset(oldest, 0, sizeof *oldest);
	}
	return oldest;
}

int copies_check_start(struct copies *c, const struct copies_relation *r, const char *who,
		       const char *reason, int64_t now, uint64_t *id, char *err, size_t errlen)
{
	struct copies_check *k = check_slot(c);
	struct copies_walker *wk;
	char src[COPYREL_END_MAX], dst[COPYREL_END_MAX], detail[LEDGER_TEXT_MAX],
		target[COPIES_NAME_MAX + 16];
	int rc;

	*id = 0;
	c->now = now;
	if (!k) {
		snprintf(err, errlen, "%d copy checks are running already; ask again when one "
				      "is done", COPIES_CHECKS_KEEP);
		return -EBUSY;
	}
	end_text(&r->source, src, sizeof src);
	end_text(&r->destination, dst, sizeof dst);
	snprintf(target, sizeof target, "copy %s", r->name);
	snprintf(detail, sizeof detail, "names of the items of %.400s not (the same) at %.400s: "
		 "%s", src, dst, reason);
	rc = ledger_begin(c->ledger);
	if (!rc) {
		rc = ledger_audit_add(c->ledger, now, who, "copy-check", target, detail);
		if (rc)
			ledger_rollback(c->ledger);
		rc = ledger_commit(c->ledger);
	}
	if (rc) {
		snprintf(err, errlen, "the ledger cannot record the request: %s", strerror(-rc));
		return rc;
	}
	wk = calloc(1, sizeof *wk);
	if (!wk) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memset(k, 0, sizeof *k);
	k->id = ++c->next_check;
	k->rel = *r;
	snprintf(k->who, sizeof k->who, "%s", who);
	snprintf(k->reason, sizeof k->reason, "%s", reason);
	k->started = now;
	k->walker = wk;
	wk->c = c;
	wk->rel = &k->rel;
	wk->check = k;
	*id = k->id;
	rc = walker_start(c, wk, true, now);
	if (rc) {
		walker_free(wk);
		memset(k, 0, sizeof *k);
		*id = 0;
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	log_info("copies: check %llu of copy '%s' asked by '%s'", (unsigned long long)*id,
		 r->name, who);
	return 0;
}

const struct copies_check *copies_check_get(const struct copies *c, uint64_t id)
{
	for (size_t i = 0; i < COPIES_CHECKS_KEEP; i++)
		if (id && c->checks[i].id == id)
			return &c->checks[i];
	return NULL;
}

/* ---- set-up ------------------------------------------------------------ */

static int configured(void *ctx, const char *name)
{
	return copies_config_find(ctx, name) != NULL;
}

int copies_init(struct copies *c, const struct copies_config *cfg, struct ledger *l,
		struct alerts *al, const struct copies_ops *ops)
{
	int rc;

	memset(c, 0, sizeof *c);
	c->cfg = *cfg;
	c->ledger = l;
	c->alerts = al;
	c->ops = *ops;
	c->next_check = 0;
	c->next_req = 0;
	rc = copyrel_schema(l->db);
	if (rc)
		return rc;
	if (copyrel_prune(l->db, configured, &c->cfg))
		log_warn("copies: cannot forget the relations no longer configured");
	c->st = calloc(cfg->n ? cfg->n : 1, sizeof *c->st);
	if (!c->st)
		return -ENOMEM;
	for (size_t i = 0; i < c->cfg.n; i++) {
		struct copies_rel_state *st = &c->st[i];
		const struct copies_relation *r = &c->cfg.rel[i];

		st->rel = r;
		if (copyrel_get(l->db, r->name, &st->rec)) {
			memset(&st->rec, 0, sizeof st->rec);
			snprintf(st->rec.name, sizeof st->rec.name, "%s", r->name);
		}
		end_text(&r->source, st->rec.source, sizeof st->rec.source);
		end_text(&r->destination, st->rec.destination, sizeof st->rec.destination);
		if (st->rec.state == COPYREL_NEVER && copyrel_put(l->db, &st->rec))
			log_warn("copies: cannot record copy '%s'", r->name);
	}
	return 0;
}

void copies_release(struct copies *c)
{
	while (c->pending) {
		struct copies_pending *p = c->pending;

		c->pending = p->next;
		pending_free(p);
	}
	for (size_t i = 0; i < c->cfg.n; i++)
		if (c->st && c->st[i].walker) {
			copies_walk_free(c->st[i].walker->w);
			walker_free(c->st[i].walker);
		}
	for (size_t i = 0; i < COPIES_CHECKS_KEEP; i++) {
		copies_walk_free(c->checks[i].walk);
		if (c->checks[i].walker)
			walker_free(c->checks[i].walker);
	}
	free(c->st);
	memset(c, 0, sizeof *c);
}
