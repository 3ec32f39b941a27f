/* accounts.c - the agent's exact accounts (accounts.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "pathcut.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

struct acc_store {
	char name[SW_NAME_MAX + 1];
	struct manifest *m; /* NULL: not opened yet, or unusable */
	int failed;         /* the manifest could not be opened: totals only */
	uint64_t retention;
};

struct accounts {
	char manifest_dir[4096 + 16];
	struct journal *j;
	struct digests *dig;
	struct hashes *hashes; /* the caller's, or NULL */
	unsigned depth;
	pthread_mutex_t lock; /* the stores' retention */
	struct acc_store *stores;
	size_t nstores, cap;
	/* recent deletion reports, a ring (under lock) */
	struct sw_deletion *reports;
	size_t rhead, rlen;
	uint64_t last_report;
};

/* The removal callback's context: one scan of one store. */
struct acc_scan {
	struct accounts *a;
	char store[SW_NAME_MAX + 1]; /* a copy: POLICY may grow the store table meanwhile */
	int64_t after, before;
	int err;
};

int accounts_open(const char *state_dir, uint64_t keep_s, uint64_t max_bytes, unsigned depth,
		  struct accounts **out)
{
	char jdir[4096 + 16];
	struct accounts *a = calloc(1, sizeof *a);
	int err;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	a->depth = depth;
	snprintf(a->manifest_dir, sizeof a->manifest_dir, "%s/manifest", state_dir);
	snprintf(jdir, sizeof jdir, "%s/journal", state_dir);
	err = journal_open(jdir, keep_s, max_bytes, &a->j);
	if (err) {
		log_err("accounts: cannot open the removal journal in '%s': %s", jdir,
			strerror(-err));
		accounts_close(a);
		return err;
	}
	err = digests_open(state_dir, depth, &a->dig);
	if (err) {
		accounts_close(a);
		return err;
	}
	*out = a;
	return 0;
}

void accounts_close(struct accounts *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nstores; i++)
		manifest_close(a->stores[i].m);
	free(a->stores);
	free(a->reports);
	journal_close(a->j);
	digests_close(a->dig);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* The store's entry, added if new; caller holds the lock. */
static struct acc_store *acc__store(struct accounts *a, const char *name)
{
	for (size_t i = 0; i < a->nstores; i++)
		if (!strcmp(a->stores[i].name, name))
			return &a->stores[i];
	if (!name_valid(name))
		return NULL;
	if (a->nstores == a->cap) {
		size_t n = a->cap ? a->cap * 2 : 8;
		struct acc_store *s = realloc(a->stores, n * sizeof *s);

		if (!s)
			return NULL;
		a->stores = s;
		a->cap = n;
	}
	memset(&a->stores[a->nstores], 0, sizeof a->stores[0]);
	snprintf(a->stores[a->nstores].name, sizeof a->stores[0].name, "%s", name);
	return &a->stores[a->nstores++];
}

void accounts_set_policy(struct accounts *a, const struct sw_policy *p, size_t n)
{
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < n; i++) {
		struct acc_store *s = acc__store(a, p[i].store);

		if (s && s->retention != p[i].retention) {
			log_info("accounts: store '%s': retention %llu s (from the collector)",
				 s->name, (unsigned long long)p[i].retention);
			s->retention = p[i].retention;
		}
	}
	pthread_mutex_unlock(&a->lock);
}

uint64_t accounts_retention(struct accounts *a, const char *store)
{
	uint64_t r = 0;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nstores; i++)
		if (!strcmp(a->stores[i].name, store))
			r = a->stores[i].retention;
	pthread_mutex_unlock(&a->lock);
	return r;
}

void accounts_note_deletions(struct accounts *a, const struct delqueue *q)
{
	struct sw_deletion batch[64];
	size_t n;

	if (!a->reports && !(a->reports = calloc(ACCOUNTS_REPORTS, sizeof *a->reports)))
		return;
	while ((n = delqueue_read(q, a->last_report, batch, 64)) > 0) {
		pthread_mutex_lock(&a->lock);
		for (size_t i = 0; i < n; i++) {
			a->reports[(a->rhead + a->rlen) % ACCOUNTS_REPORTS] = batch[i];
			if (a->rlen < ACCOUNTS_REPORTS)
				a->rlen++;
			else
				a->rhead = (a->rhead + 1) % ACCOUNTS_REPORTS;
		}
		pthread_mutex_unlock(&a->lock);
		a->last_report = batch[n - 1].id;
	}
}

/* The newest report of store that covers path (its directory prefix, or
 * "*") and overlaps [after, before]: who removed it, as far as the watch
 * saw.  Caller holds the lock. */
static const struct sw_deletion *acc__attribute(const struct accounts *a, const char *store,
						const char *path, size_t plen, int64_t after,
						int64_t before)
{
	for (size_t k = a->rlen; k-- > 0;) {
		const struct sw_deletion *d = &a->reports[(a->rhead + k) % ACCOUNTS_REPORTS];
		size_t dl = strlen(d->dir);

		if (strcmp(d->store, store) || d->last < after || d->first > before)
			continue;
		if (strcmp(d->dir, "*") && (dl > plen || memcmp(d->dir, path, dl)))
			continue;
		return d;
	}
	return NULL;
}

static int acc__removed(void *ud, const struct manifest_removed *r)
{
	struct acc_scan *sc = ud;
	struct journal_entry e = {
		.store = sc->store, .path = r->path, .pathlen = r->pathlen, .size = r->size,
		.birth = r->birth, .removed_after = sc->after, .removed_before = sc->before,
		.pid = 0, .uid = -1, .exe = "?",
	};
	char exe[SW_TEXT_MAX + 1];
	const struct sw_deletion *d;
	int err;

	pthread_mutex_lock(&sc->a->lock);
	d = acc__attribute(sc->a, sc->store, r->path, r->pathlen, sc->after, sc->before);
	if (d) {
		e.pid = d->pid;
		e.uid = d->uid;
		snprintf(exe, sizeof exe, "%s", d->exe);
		e.exe = exe;
	}
	pthread_mutex_unlock(&sc->a->lock);
	err = journal_append(sc->a->j, &e);

	if (err)
		sc->err = err;
	return 0; /* keep counting: the figures stay right, the sample not exact */
}

void accounts_prepare(struct accounts *a, const char *store, struct scan_options *opt)
{
	struct acc_store *s;
	struct acc_scan *sc;

	pthread_mutex_lock(&a->lock);
	s = acc__store(a, store);
	if (s && !s->m && !s->failed) {
		int err = manifest_open(a->manifest_dir, store, &s->m);

		if (err) {
			log_err("accounts: store '%s': cannot open its manifest in '%s': %s; its "
				"samples carry totals only", store, a->manifest_dir, strerror(-err));
			s->failed = 1;
		} else {
			/* a batch the journal committed but the manifest never did */
			journal_rollback(a->j, store, manifest_last_scan(s->m));
		}
	}
	opt->manifest = s ? s->m : NULL;
	opt->retention = s ? s->retention : 0;
	opt->fresh_age = manifest_fresh_age(opt->retention);
	pthread_mutex_unlock(&a->lock);
	if (!opt->manifest)
		return;
	sc = calloc(1, sizeof *sc);
	if (!sc) {
		opt->manifest = NULL;
		return;
	}
	sc->a = a;
	snprintf(sc->store, sizeof sc->store, "%s", store);
	sc->after = opt->prev_time;
	sc->before = opt->time;
	opt->removed = acc__removed;
	opt->removed_ud = sc;
}

void accounts_prepare_listing(struct accounts *a, const char *store, struct scan_options *opt,
			      int64_t removed_before)
{
	struct acc_scan *sc;

	accounts_prepare(a, store, opt);
	sc = opt->removed_ud;
	if (opt->manifest && sc && removed_before > sc->before)
		sc->before = removed_before;
}

void accounts_settle(struct accounts *a, const struct scan_options *opt, struct sw_sample *s)
{
	struct acc_scan *sc = opt->removed_ud;
	int err;

	s->journal_dropped = journal_dropped(a->j);
	if (!opt->manifest || !sc)
		return;
	err = sc->err;
	if (err)
		journal_abort(a->j);
	else
		/* the batch carries the manifest's scan time (journal_rollback()) */
		err = journal_commit(a->j, sc->store, (int64_t)opt->start.tv_sec);
	if (!err)
		err = manifest_commit(opt->manifest);
	if (!err)
		digests_refresh(a->dig, sc->store, opt->manifest, a->hashes); /* logs failures */
	if (err) {
		log_err("accounts: store '%s': cannot keep this scan's removals: %s; its sample "
			"carries totals only", sc->store, strerror(-err));
		s->flags &= ~(uint32_t)(SW_SAMPLE_EXACT | SW_SAMPLE_YOUNG_SPLIT);
	}
	free(sc);
}

struct digests *accounts_digests(struct accounts *a)
{
	return a->dig;
}

void accounts_set_hashes(struct accounts *a, struct hashes *h)
{
	a->hashes = h;
}

/* Items per INVENTORY frame (of SW_INVENTORY_MAX allowed): 1024 items of
 * 4.4 KB each is the answer's working memory. */
#define ACC_FRAME_ITEMS 1024

/* One inventory answer in progress. */
struct acc_inv {
	struct accounts *a;
	const struct sw_invreq *r;
	accounts_send_fn send;
	void *ud;
	struct sw_invitem *items; /* one frame's worth */
	size_t n, wire;
	uint64_t total;
	uint32_t truncated;
	uint32_t max;
	int send_failed;
};

static int acc__flush(struct acc_inv *v, uint8_t status)
{
	struct sw_inventory hdr = { .req_id = v->r->req_id, .status = status };
	struct buf frame;
	int err;

	if (status == SW_INV_LAST) {
		hdr.total_items = v->total;
		hdr.truncated = v->truncated;
	}
	buf_init(&frame, SW_FRAME_HEADER + SW_FRAME_MAX);
	err = proto_encode_inventory(&frame, &hdr, v->items, v->n);
	if (err) {
		buf_release(&frame);
		return err;
	}
	v->n = 0;
	v->wire = SW_INVENTORY_FIXED;
	err = v->send(v->ud, &frame);
	if (err)
		v->send_failed = 1;
	return err;
}

static int acc__item(void *ud, const struct journal_entry *e)
{
	struct acc_inv *v = ud;
	struct sw_invitem *it;
	size_t len;
	int err;

	v->total++;
	if (v->total > v->max) {
		v->truncated++;
		return 0;
	}
	it = &v->items[v->n];
	len = pathcut_cut(e->path, e->pathlen, v->a->depth);
	if (len > SW_PATH_WIRE_MAX)
		len = SW_PATH_WIRE_MAX;
	memcpy(it->path, e->path, len);
	it->path[len] = '\0';
	it->flags = len < e->pathlen ? SW_INV_CUT : 0;
	it->size = e->size;
	it->birth = e->birth;
	it->removed_after = e->removed_after;
	it->removed_before = e->removed_before;
	it->pid = e->pid;
	it->uid = e->uid;
	snprintf(it->exe, sizeof it->exe, "%s", e->exe);
	if (v->wire + proto_invitem_wire_size(it) > SW_FRAME_MAX) {
		struct sw_invitem keep = *it;

		err = acc__flush(v, SW_INV_MORE);
		if (err)
			return err;
		v->items[0] = keep;
		it = &v->items[0];
	}
	v->wire += proto_invitem_wire_size(it);
	v->n++;
	if (v->n == ACC_FRAME_ITEMS && (err = acc__flush(v, SW_INV_MORE)) < 0)
		return err;
	return 0;
}

/* A window reaching back to entries the journal no longer holds (dropped
 * for removal_journal_max or past removal_journal_keep, before or since the
 * agent started): the answer counts them as left out, so it never reads as
 * complete. */
static void acc__coverage(struct acc_inv *v)
{
	uint64_t lost = 0, t;
	int64_t gone = journal_coverage(v->a->j, v->r->store, v->r->from, &lost);

	if (!gone)
		return;
	t = (uint64_t)v->truncated + (lost ? lost : 1);
	v->truncated = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
	log_notice("accounts: inventory request %llu for store '%s' reaches back to %lld, but the "
		   "journal no longer holds %llu of the store's entries removed up to %lld "
		   "(removal_journal_max or removal_journal_keep): the answer says it is "
		   "incomplete", (unsigned long long)v->r->req_id, v->r->store,
		   (long long)v->r->from, (unsigned long long)lost, (long long)gone);
}

static int acc__refuse(const struct sw_invreq *r, const char *why, accounts_send_fn send,
		       void *ud)
{
	static struct sw_invitem item;
	struct sw_inventory hdr = { .req_id = r->req_id, .status = SW_INV_REFUSED };
	struct buf frame;
	int err;

	memset(&item, 0, sizeof item);
	snprintf(item.path, sizeof item.path, "%s", why);
	item.uid = -1;
	snprintf(item.exe, sizeof item.exe, "?");
	buf_init(&frame, SW_FRAME_HEADER + SW_FRAME_MAX);
	err = proto_encode_inventory(&frame, &hdr, &item, 1);
	if (err) {
		buf_release(&frame);
		return err;
	}
	return send(ud, &frame);
}

int accounts_inventory(struct accounts *a, const struct sw_invreq *r, accounts_send_fn send,
		       void *ud)
{
	struct acc_inv v = { .a = a, .r = r, .send = send, .ud = ud, .wire = SW_INVENTORY_FIXED };
	int known = 0, err;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nstores; i++)
		if (!strcmp(a->stores[i].name, r->store) && (a->stores[i].m || a->stores[i].failed))
			known = 1;
	pthread_mutex_unlock(&a->lock);
	log_notice("accounts: inventory request %llu for store '%s' [%lld, %lld]%s",
		   (unsigned long long)r->req_id, r->store, (long long)r->from, (long long)r->to,
		   r->prefix[0] ? " under a path prefix" : "");
	if (!known)
		return acc__refuse(r, "unknown store: this agent has not scanned it", send, ud);
	v.max = r->max_items && r->max_items < ACCOUNTS_INVENTORY_MAX ? r->max_items
								       : ACCOUNTS_INVENTORY_MAX;
	v.items = calloc(ACC_FRAME_ITEMS, sizeof *v.items);
	if (!v.items)
		return acc__refuse(r, "agent out of memory", send, ud);
	err = journal_query(a->j, r->store, r->from, r->to, r->prefix, strlen(r->prefix),
			    acc__item, &v);
	if (!err)
		acc__coverage(&v);
	if (!err) {
		err = acc__flush(&v, SW_INV_LAST);
	} else if (!v.send_failed) {
		log_err("accounts: inventory request %llu: reading the journal: %s",
			(unsigned long long)r->req_id, strerror(-err));
		acc__refuse(r, "journal unreadable on the agent", send, ud);
	}
	free(v.items);
	return err;
}
