/* change24.c - the 24-hour reference totals, cached (see change24.h). */
#include <errno.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change24.h"
#include "collector/store/rrdsample.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/banned.h"

struct change24_entry {
	int64_t read_at;   /* wall clock of the file read */
	int64_t last_time; /* the last sample's time then */
	bool have;
	double bytes, objects;
};

int change24_cache_init(struct change24_cache *c, unsigned ttl)
{
	memset(c, 0, sizeof *c);
	strmap_init(&c->m);
	c->ttl = ttl;
	return pthread_mutex_init(&c->mu, NULL) ? -ENOMEM : 0;
}

void change24_cache_release(struct change24_cache *c)
{
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(&c->m, &i, &k, &v);)
		free(v);
	strmap_release(&c->m);
	pthread_mutex_destroy(&c->mu);
}

/* bytes and objects of the first known row in the hour from 24 hours before
 * last_time, from the RRD's AVERAGE archive.  A fetched row ends at its
 * time, so the fetch starts just before: the first row is the one ending 24
 * hours before last_time. */
static int read_file(const char *data_dir, const char *agent, const char *store,
		     int64_t last_time, struct change24_entry *e)
{
	char path[4200];
	time_t start = (time_t)last_time - 86400 - 1, end = start + 3600;
	unsigned long step = 0, nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	int ib = -1, io = -1;

	e->have = false;
	if (rrdsample_path(data_dir, agent, store, path, sizeof path))
		return -ENAMETOOLONG;
	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names, &data))
		return -ENOENT;
	for (unsigned long i = 0; i < nds; i++) {
		if (!strcmp(names[i], "bytes"))
			ib = (int)i;
		if (!strcmp(names[i], "objects"))
			io = (int)i;
	}
	for (time_t t = start; ib >= 0 && io >= 0 && step && t < end; t += (time_t)step) {
		const rrd_value_t *row = data + (size_t)((t - start) / (time_t)step) * nds;

		if (!isnan(row[ib]) && !isnan(row[io])) {
			e->have = true;
			e->bytes = row[ib];
			e->objects = row[io];
			break;
		}
	}
	for (unsigned long i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return 0;
}

int change24_lookup(struct change24_cache *c, const char *data_dir, const char *agent,
		    const char *store, int64_t last_time, int64_t now, double *bytes,
		    double *objects)
{
	struct store_key key;
	struct change24_entry *e, fresh;

	store_key(&key, agent, store);
	pthread_mutex_lock(&c->mu);
	e = strmap_get(&c->m, key.s);
	if (e && now >= e->read_at && now - e->read_at < (int64_t)c->ttl &&
	    last_time >= e->last_time) {
		fresh = *e;
		c->hits++;
		pthread_mutex_unlock(&c->mu);
		goto answer;
	}
	c->reads++;
	pthread_mutex_unlock(&c->mu);

	memset(&fresh, 0, sizeof fresh);
	read_file(data_dir, agent, store, last_time, &fresh);
	fresh.read_at = now;
	fresh.last_time = last_time;
	pthread_mutex_lock(&c->mu);
	e = strmap_get(&c->m, key.s);
	if (!e) {
		e = malloc(sizeof *e);
		if (e && strmap_put(&c->m, key.s, e)) {
			free(e);
			e = NULL;
		}
	}
	if (e) /* without memory the answer is still right, only not kept */
		*e = fresh;
	pthread_mutex_unlock(&c->mu);
answer:
	if (!fresh.have)
		return -ENOENT;
	*bytes = fresh.bytes;
	*objects = fresh.objects;
	return 0;
}
