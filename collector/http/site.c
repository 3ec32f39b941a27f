/* site.c - what the web interface's handlers share (see site.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

int http_site_load_graphs(const char *dashboards, struct graphdefs *gs, char *err,
			  size_t errlen)
{
	int rc = graphdefs_load(dashboards, gs, err, errlen);

	if (rc == -ENOENT) {
		log_warn("http: no graphs: %s", err);
		return 0;
	}
	return rc ? -1 : 0;
}

int http_site_init(struct http_site *s, const char *data_dir, struct board *board,
		   const char *dashboards, char *err, size_t errlen)
{
	bool mu = false, cache = false, change24 = false;
	int rc = -1;

	memset(s, 0, sizeof *s);
	snprintf(s->data_dir, sizeof s->data_dir, "%s", data_dir);
	s->board = board;
	strmap_init(&s->deltas);
	mu = pthread_mutex_init(&s->mu, NULL) == 0;
	cache = mu && graph_cache_init(&s->cache) == 0;
	change24 = cache && change24_cache_init(&s->change24, HTTP_CHANGE24_TTL) == 0;
	if (!change24) {
		snprintf(err, errlen, "http: out of memory");
		goto out;
	}
	if (http_site_load_graphs(dashboards, &s->graphs, err, errlen))
		goto out;
	rc = 0;
out:
	if (rc) {
		if (change24)
			change24_cache_release(&s->change24);
		if (cache)
			graph_cache_release(&s->cache);
		if (mu)
			pthread_mutex_destroy(&s->mu);
		strmap_release(&s->deltas);
	}
	return rc;
}

void http_site_release(struct http_site *s)
{
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(&s->deltas, &i, &k, &v);)
		free(v);
	strmap_release(&s->deltas);
	buf_release(&s->extra_metrics);
	graphdefs_release(&s->graphs);
	graph_cache_release(&s->cache);
	change24_cache_release(&s->change24);
	pthread_mutex_destroy(&s->mu);
}

void http_site_set_stats(struct http_site *s, const struct http_stats *st)
{
	pthread_mutex_lock(&s->mu);
	s->stats = *st;
	pthread_mutex_unlock(&s->mu);
}

void http_site_set_extra_metrics(struct http_site *s, struct buf *text)
{
	struct buf old;

	pthread_mutex_lock(&s->mu);
	old = s->extra_metrics;
	s->extra_metrics = *text;
	pthread_mutex_unlock(&s->mu);
	buf_release(&old);
	buf_init(text, text->cap);
}

int http_site_extra_metrics(struct http_site *s, struct buf *out)
{
	int err = 0;

	pthread_mutex_lock(&s->mu);
	if (s->extra_metrics.len)
		err = buf_append(out, s->extra_metrics.data, s->extra_metrics.len);
	pthread_mutex_unlock(&s->mu);
	return err;
}

void http_site_stats(struct http_site *s, struct http_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}

void http_site_note_sample(struct http_site *s, const char *agent, const char *store,
			   const struct sw_sample *x)
{
	struct store_key key;
	struct http_delta *d;

	store_key(&key, agent, store);
	pthread_mutex_lock(&s->mu);
	d = strmap_get(&s->deltas, key.s);
	if (!d) {
		d = calloc(1, sizeof *d);
		if (!d || strmap_put(&s->deltas, key.s, d)) {
			free(d);
			goto out;
		}
	}
	if (x->status != SW_SCAN_COMPLETE) {
		/* totals unknown: no removal can be computed across this sample */
		d->have_prev = d->have_removed = false;
		goto out;
	}
	d->have_removed = d->have_prev && (x->flags & SW_SAMPLE_HAS_ADDED);
	if (d->have_removed) {
		d->removed_bytes =
			(double)d->prev_bytes + (double)x->added_bytes - (double)x->bytes;
		d->removed_objects =
			(double)d->prev_objects + (double)x->added_objects - (double)x->objects;
	}
	d->prev_bytes = x->bytes;
	d->prev_objects = x->objects;
	d->have_prev = true;
out:
	pthread_mutex_unlock(&s->mu);
}

bool http_site_delta(struct http_site *s, const char *agent, const char *store,
		     struct http_delta *out)
{
	struct store_key key;
	struct http_delta *d;

	store_key(&key, agent, store);
	pthread_mutex_lock(&s->mu);
	d = strmap_get(&s->deltas, key.s);
	if (d)
		*out = *d;
	else
		memset(out, 0, sizeof *out);
	pthread_mutex_unlock(&s->mu);
	return d != NULL;
}
