/* scan_pool.c - the walker's thread pool (scan_pool.h). */
#include <errno.h>
#include <stdlib.h>

#include "scan_pool.h"
#include "shrinkwatch/banned.h"

int scan_pool_init(struct scan_pool *p, unsigned nthreads, scan_pool_fn fn, void *arg)
{
	p->nthreads = nthreads ? nthreads : 1;
	p->cap = p->nthreads > 1 ? SCAN_POOL_DEPTH * p->nthreads : 1;
	p->ring = calloc(p->cap, sizeof(*p->ring));
	if (!p->ring)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->head = p->count = p->idle = p->busy = 0;
	p->fn = fn;
	p->arg = arg;
	return 0;
}

void scan_pool_release(struct scan_pool *p)
{
	free(p->ring);
	p->ring = NULL;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

bool scan_pool_offer(struct scan_pool *p, const struct scan_task *t)
{
	bool taken = false;

	if (p->nthreads < 2)
		return false;
	pthread_mutex_lock(&p->lock);
	if (p->count < p->cap) {
		p->ring[(p->head + p->count) % p->cap] = *t;
		p->count++;
		taken = true;
		if (p->idle > 0)
			pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return taken;
}

struct scan_pool__thread {
	struct scan_pool *pool;
	unsigned worker;
};

static void scan_pool__work(struct scan_pool *p, unsigned worker)
{
	struct scan_task t;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->count == 0 && p->busy > 0) {
			p->idle++;
			pthread_cond_wait(&p->cond, &p->lock);
			p->idle--;
		}
		if (p->count == 0)
			break; /* nothing queued and nobody can queue more */
		t = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->count--;
		p->busy++;
		pthread_mutex_unlock(&p->lock);
		p->fn(p->arg, worker, &t);
		pthread_mutex_lock(&p->lock);
		p->busy--;
		if (p->busy == 0 && p->count == 0)
			pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
}

static void *scan_pool__main(void *arg)
{
	struct scan_pool__thread *th = arg;

	scan_pool__work(th->pool, th->worker);
	return NULL;
}

int scan_pool_run(struct scan_pool *p, struct scan_task *first)
{
	struct scan_pool__thread *th = NULL;
	pthread_t *tids = NULL;
	unsigned started = 0, i;
	int ret = 0;

	/* The first task counts as running before any thread starts, so that
	 * no thread sees an empty, idle pool and leaves at once. */
	p->busy = 1;
	if (p->nthreads > 1) {
		th = calloc(p->nthreads, sizeof(*th));
		tids = calloc(p->nthreads, sizeof(*tids));
		if (!th || !tids) {
			ret = -ENOMEM;
		} else {
			for (i = 1; i < p->nthreads; i++) {
				th[i].pool = p;
				th[i].worker = i;
				if (pthread_create(&tids[i], NULL, scan_pool__main, &th[i]) != 0) {
					ret = -EAGAIN;
					break;
				}
				started++;
			}
		}
	}
	p->fn(p->arg, 0, first);
	pthread_mutex_lock(&p->lock);
	p->busy--;
	if (p->busy == 0 && p->count == 0)
		pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	scan_pool__work(p, 0);
	for (i = 1; i <= started; i++)
		pthread_join(tids[i], NULL);
	free(th);
	free(tids);
	if (ret < 0 && started > 0)
		ret = 0; /* fewer threads than asked: still a complete walk */
	return ret;
}
