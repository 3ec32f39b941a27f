/* rrdlast.c - each RRD file's last update time, cached (see rrdlast.h). */
#include <errno.h>
#include <rrd.h>
#include <stdlib.h>
#include <unistd.h>

#include "rrdlast.h"
#include "shrinkwatch/banned.h"

void rrdlast_init(struct rrdlast *c)
{
	strmap_init(&c->times);
}

void rrdlast_release(struct rrdlast *c)
{
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(&c->times, &i, &k, &v);)
		free(v);
	strmap_release(&c->times);
}

void rrdlast_set(struct rrdlast *c, const char *path, int64_t t)
{
	int64_t *cached = strmap_get(&c->times, path);

	if (!cached) {
		cached = malloc(sizeof *cached);
		if (!cached || strmap_put(&c->times, path, cached)) {
			free(cached);
			return;
		}
	}
	*cached = t;
}

int64_t rrdlast_get(struct rrdlast *c, const char *path)
{
	int64_t *cached = strmap_get(&c->times, path);
	time_t t;

	if (cached)
		return *cached;
	if (access(path, F_OK))
		return errno == ENOENT ? 0 : -1;
	rrd_clear_error();
	t = rrd_last_r(path);
	if (t <= 0)
		return -1;
	rrdlast_set(c, path, (int64_t)t);
	return (int64_t)t;
}

void rrdlast_forget(struct rrdlast *c, const char *path)
{
	free(strmap_del(&c->times, path));
}
