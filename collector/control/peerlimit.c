/* peerlimit.c - per-uid request budget and refusal summaries of the control
 * socket (see peerlimit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerlimit.h"
#include "shrinkwatch/banned.h"

/* Peers idle this long (and with nothing to summarise) are forgotten. */
#define PEERLIMIT_IDLE_S 600

struct peerlimit_peer {
	uid_t uid;
	char user[64];
	double tokens;
	uint64_t at_ms;   /* tokens as of this time */
	bool have_tokens;
	int64_t seen;     /* wall clock of the last request or refusal */
	/* the burst of refusals in progress: its first refusal had its own row */
	bool in_burst;
	int64_t first, last;
	uint64_t pending; /* refusals after the first, not yet in a row */
	char cmd[32];
};

void peerlimit_init(struct peerlimit *pl, unsigned rate, unsigned burst, unsigned window_s)
{
	memset(pl, 0, sizeof *pl);
	strmap_init(&pl->peers);
	pl->rate = rate;
	pl->burst = burst;
	pl->window_s = window_s;
}

void peerlimit_release(struct peerlimit *pl)
{
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(&pl->peers, &i, &k, &v);)
		free(v);
	strmap_release(&pl->peers);
}

/* The record under key (uid for the request budget, "uid/cmd" for a burst
 * of refusals), made on first use. */
static struct peerlimit_peer *peer_get(struct peerlimit *pl, const char *key, uid_t uid)
{
	struct peerlimit_peer *p = strmap_get(&pl->peers, key);

	if (p)
		return p;
	p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->uid = uid;
	if (strmap_put(&pl->peers, key, p)) {
		free(p);
		return NULL;
	}
	return p;
}

bool peerlimit_take(struct peerlimit *pl, uid_t uid, uint64_t now_ms)
{
	char key[24];
	struct peerlimit_peer *p;

	snprintf(key, sizeof key, "%u", (unsigned)uid);
	p = peer_get(pl, key, uid);
	if (!p)
		return false;
	if (!p->have_tokens || now_ms < p->at_ms) {
		p->tokens = pl->burst;
		p->have_tokens = true;
	} else {
		p->tokens += (double)(now_ms - p->at_ms) * pl->rate / 1000.0;
		if (p->tokens > pl->burst)
			p->tokens = pl->burst;
	}
	p->at_ms = now_ms;
	if (p->tokens < 1)
		return false;
	p->tokens -= 1;
	return true;
}

/* Hands the burst of p to fn if it has refusals to tell, and ends it. */
static void summarise(struct peerlimit_peer *p, peerlimit_summary_fn fn, void *ctx)
{
	struct peerlimit_summary s = { .uid = p->uid, .user = p->user, .cmd = p->cmd,
				       .count = p->pending, .first = p->first, .last = p->last };

	if (p->pending)
		fn(ctx, &s);
	p->in_burst = false;
	p->pending = 0;
}

bool peerlimit_refused(struct peerlimit *pl, uid_t uid, const char *user, const char *cmd,
		       int64_t now)
{
	char key[64];
	struct peerlimit_peer *p = NULL;

	snprintf(key, sizeof key, "%u/%.31s", (unsigned)uid, cmd);
	p = peer_get(pl, key, uid);
	if (!p)
		return false; /* out of memory: no row rather than unbounded rows */
	p->seen = now;
	snprintf(p->user, sizeof p->user, "%s", user);
	snprintf(p->cmd, sizeof p->cmd, "%s", cmd);
	if (p->in_burst) {
		p->pending++;
		p->last = now;
		return false;
	}
	p->in_burst = true;
	p->first = p->last = now;
	p->pending = 0;
	return true;
}

void peerlimit_flush(struct peerlimit *pl, int64_t now, uint64_t now_ms, bool all,
		     peerlimit_summary_fn fn, void *ctx)
{
	const char *k;
	void *v;
	char gone[64][64];
	size_t ngone = 0;

	for (size_t i = 0; strmap_next(&pl->peers, &i, &k, &v);) {
		struct peerlimit_peer *p = v;

		if (p->in_burst && (all || now - p->last >= (int64_t)pl->window_s ||
				    now - p->first >= (int64_t)pl->window_s))
			summarise(p, fn, ctx);
		if (!p->in_burst && now - p->seen >= PEERLIMIT_IDLE_S &&
		    (!p->have_tokens || now_ms - p->at_ms >= PEERLIMIT_IDLE_S * 1000) &&
		    ngone < 64)
			snprintf(gone[ngone++], sizeof gone[0], "%s", k);
	}
	for (size_t i = 0; i < ngone; i++)
		free(strmap_del(&pl->peers, gone[i]));
}
