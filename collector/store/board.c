/* board.c - per-store status shared with other threads (see board.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "registry.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

int board_init(struct board *b)
{
	memset(b, 0, sizeof *b);
	strmap_init(&b->entries);
	strmap_init(&b->connected);
	return pthread_mutex_init(&b->mu, NULL) ? -ENOMEM : 0;
}

void board_release(struct board *b)
{
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(&b->entries, &i, &k, &v);)
		free(v);
	strmap_release(&b->entries);
	strmap_release(&b->connected);
	pthread_mutex_destroy(&b->mu);
}

/* The entry for agent/store, created if absent; call with mu held. */
static struct board_entry *entry(struct board *b, const char *agent, const char *store)
{
	struct store_key key;
	struct board_entry *e;

	e = strmap_get(&b->entries, store_key(&key, agent, store));
	if (e)
		return e;
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	snprintf(e->agent, sizeof e->agent, "%s", agent);
	snprintf(e->store, sizeof e->store, "%s", store);
	if (strmap_put(&b->entries, key.s, e)) {
		free(e);
		return NULL;
	}
	return e;
}

void board_observe_sample(void *board, struct agent_rec *a, struct store_rec *st,
			  const struct sw_sample *s)
{
	struct board *b = board;
	struct board_entry *e;

	pthread_mutex_lock(&b->mu);
	e = entry(b, a->name, st->name);
	if (e) {
		e->last = *s;
		e->have_last = true;
		e->interval = a->interval;
		e->samples++;
		if (s->flags & SW_SAMPLE_LISTING) {
			e->listed = true;
			e->list_requests += s->requests;
		}
		e->silent = false;
		b->version++;
	}
	pthread_mutex_unlock(&b->mu);
}

void board_seed(struct board *b, const char *agent, const char *store,
		const struct sw_sample *last, bool have_last, uint32_t interval)
{
	struct board_entry *e;

	pthread_mutex_lock(&b->mu);
	e = entry(b, agent, store);
	if (e) {
		if (have_last)
			e->last = *last;
		e->have_last = have_last;
		e->interval = interval;
		b->version++;
	}
	pthread_mutex_unlock(&b->mu);
}

void board_set_connected(struct board *b, const char *agent, bool connected)
{
	pthread_mutex_lock(&b->mu);
	if (!connected)
		strmap_del(&b->connected, agent);
	else if (strmap_put(&b->connected, agent, (void *)1))
		log_warn("board: out of memory; agent '%s' shows as disconnected", agent);
	b->version++;
	pthread_mutex_unlock(&b->mu);
}

/* A copy of e for a reader, with the agent's connection state; mu held. */
static struct board_entry copy_entry(const struct board *b, const struct board_entry *e)
{
	struct board_entry c = *e;

	c.agent_connected = strmap_get(&b->connected, e->agent) != NULL;
	return c;
}

void board_set_detector(struct board *b, const char *agent, const char *store,
			bool calibrated, bool silent)
{
	struct board_entry *e;

	pthread_mutex_lock(&b->mu);
	e = entry(b, agent, store);
	if (e) {
		e->calibrated = calibrated;
		e->silent = silent;
		b->version++;
	}
	pthread_mutex_unlock(&b->mu);
}

void board_set_floors(struct board *b, const char *agent, const char *store,
		      double min_bytes, double min_objects, double rel)
{
	struct board_entry *e;

	pthread_mutex_lock(&b->mu);
	e = entry(b, agent, store);
	if (e && (e->drop_min_bytes != min_bytes || e->drop_min_objects != min_objects ||
		  e->drop_rel != rel)) {
		e->drop_min_bytes = min_bytes;
		e->drop_min_objects = min_objects;
		e->drop_rel = rel;
		b->version++;
	}
	pthread_mutex_unlock(&b->mu);
}

void board_set_alerts(struct board *b, const char *agent, const char *store,
		      unsigned open_alerts, const char *worst_kind)
{
	struct board_entry *e;

	pthread_mutex_lock(&b->mu);
	e = entry(b, agent, store);
	if (e) {
		e->open_alerts = open_alerts;
		snprintf(e->worst_kind, sizeof e->worst_kind, "%s", worst_kind ? worst_kind : "");
		b->version++;
	}
	pthread_mutex_unlock(&b->mu);
}

static int by_alert_then_name(const void *pa, const void *pb)
{
	const struct board_entry *a = pa, *b = pb;
	int r;

	if ((a->open_alerts > 0) != (b->open_alerts > 0))
		return a->open_alerts > 0 ? -1 : 1;
	r = strcmp(a->agent, b->agent);
	return r ? r : strcmp(a->store, b->store);
}

long board_snapshot(struct board *b, struct board_entry **out)
{
	struct board_entry *copy;
	const char *k;
	void *v;
	size_t n = 0;

	pthread_mutex_lock(&b->mu);
	copy = malloc((b->entries.count ? b->entries.count : 1) * sizeof *copy);
	if (!copy) {
		pthread_mutex_unlock(&b->mu);
		return -ENOMEM;
	}
	for (size_t i = 0; strmap_next(&b->entries, &i, &k, &v);)
		copy[n++] = copy_entry(b, v);
	pthread_mutex_unlock(&b->mu);
	qsort(copy, n, sizeof *copy, by_alert_then_name);
	*out = copy;
	return (long)n;
}

int board_get(struct board *b, const char *agent, const char *store, struct board_entry *out)
{
	struct store_key key;
	struct board_entry *e;

	store_key(&key, agent, store);
	pthread_mutex_lock(&b->mu);
	e = strmap_get(&b->entries, key.s);
	if (e)
		*out = copy_entry(b, e);
	pthread_mutex_unlock(&b->mu);
	return e ? 0 : -ENOENT;
}

enum board_state board_entry_state(const struct board_entry *e)
{
	if (e->open_alerts)
		return BOARD_ALERT;
	if (e->silent)
		return BOARD_SILENT;
	if (e->have_last && e->last.status != SW_SCAN_COMPLETE)
		return BOARD_PARTIAL;
	if (!e->calibrated)
		return BOARD_UNCALIBRATED;
	return BOARD_OK;
}

const char *board_state_name(enum board_state s)
{
	switch (s) {
	case BOARD_OK:
		return "ok";
	case BOARD_UNCALIBRATED:
		return "uncalibrated";
	case BOARD_PARTIAL:
		return "partial";
	case BOARD_SILENT:
		return "silent";
	case BOARD_ALERT:
		return "alert";
	}
	return "unknown";
}
