/* rrddetect.c - the per-store detector RRD and its writer thread (see rrddetect.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rrddetect.h"
#include "rrdstore.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/strmap.h"

const char *const rrddetect_ds_names[RRDDETECT_NDS] = {
	"removed",	   "purge_allow",     "purge_done",    "declared",
	"unexplained",	   "removed_obj",     "purge_allow_obj", "purge_done_obj",
	"declared_obj",	   "unexplained_obj",
};

/* Longest update line: a time and ten numbers of at most ~25 characters. */
#define LINE_MAX_LEN 320

struct row {
	struct row *next;
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	uint32_t step;
	int64_t t;
	size_t order;
	struct detect_figures fig;
};

struct rrddetect {
	char data_dir[4096];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	struct row *head, *tail;
	size_t nqueued;                /* rows in the queue */
	uint64_t submitted, completed; /* for rrddetect_flush() */
	int stop;
	struct rrddetect_stats stats;
	struct log_ratelimit drop_rl; /* loop thread */
	/* writer thread only */
	struct strmap last_update; /* path -> int64_t * */
	struct strmap agent_dirs;  /* agent -> (void *)1 */
	struct log_ratelimit fail_rl;
};

/* ---- layout and format ------------------------------------------------ */

int rrddetect_path(const char *data_dir, const char *agent, const char *store, char *out,
		   size_t outlen)
{
	int n = snprintf(out, outlen, "%s/detect/%s/%s.rrd", data_dir, agent, store);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int rrddetect_layout(unsigned long step, const char **argv, int max, char *storage,
		     size_t len)
{
	const char *sv[64];
	char tmp[4096];
	size_t used = 0;
	int n = rrdstore_layout(step, sv, 64, tmp, sizeof tmp), argc = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < RRDDETECT_NDS; i++) {
		/* removal and the unexplained part are negative when a store grows
		 * by more than was "added" (a rename into the store) */
		bool signed_ds = !strncmp(rrddetect_ds_names[i], "removed", 7) ||
				 !strncmp(rrddetect_ds_names[i], "unexplained", 11);
		int k = snprintf(storage + used, len - used, "DS:%s:GAUGE:%lu:%s:U",
				 rrddetect_ds_names[i], 2 * step, signed_ds ? "U" : "0");

		if (k < 0 || (size_t)k >= len - used || argc >= max)
			return -ENOBUFS;
		argv[argc++] = storage + used;
		used += (size_t)k + 1;
	}
	/* the store RRD's archives, so both files consolidate alike */
	for (int i = 0; i < n; i++) {
		size_t k = strlen(sv[i]);

		if (strncmp(sv[i], "RRA:", 4))
			continue;
		if (k + 1 > len - used || argc >= max)
			return -ENOBUFS;
		memcpy(storage + used, sv[i], k + 1);
		argv[argc++] = storage + used;
		used += k + 1;
	}
	return argc;
}

static void put_num(char **p, char *end, bool known, double v)
{
	int n = known && isfinite(v) ? snprintf(*p, (size_t)(end - *p), ":%.17g", v)
				     : snprintf(*p, (size_t)(end - *p), ":U");

	*p += n > 0 && n < end - *p ? n : 0;
}

int rrddetect_format_update(int64_t t, const struct detect_figures *fig, char *out,
			    size_t outlen)
{
	char *p = out, *end = out + outlen;
	int n = snprintf(p, outlen, "%" PRId64, t);
	bool k = fig->judged;

	if (n < 0 || (size_t)n >= outlen || outlen < LINE_MAX_LEN)
		return -ENOBUFS;
	p += n;
	for (int i = 0; i < 2; i++) {
		put_num(&p, end, k, fig->removed[i]);
		put_num(&p, end, k, fig->purge_allow[i]);
		put_num(&p, end, k, fig->purge_done[i]);
		put_num(&p, end, k, fig->declared[i]);
		put_num(&p, end, k, fig->unexplained[i]);
	}
	return 0;
}

/* ---- the writer thread ------------------------------------------------ */

static int ensure_dirs(struct rrddetect *d, const char *agent)
{
	char path[4200];

	if (strmap_get(&d->agent_dirs, agent))
		return 0;
	snprintf(path, sizeof path, "%s/detect", d->data_dir);
	if (mkdir(path, 0750) && errno != EEXIST)
		goto fail;
	snprintf(path, sizeof path, "%s/detect/%s", d->data_dir, agent);
	if (mkdir(path, 0750) && errno != EEXIST)
		goto fail;
	strmap_put(&d->agent_dirs, agent, (void *)1);
	return 0;
fail:
	log_ratelimited(&d->fail_rl, LOG_ERR, "rrddetect: cannot create '%s': %s", path,
			strerror(errno));
	return -1;
}

/* The file's last update: cached, read, 0 if it does not exist, -1 on error. */
static int64_t last_update(struct rrddetect *d, const char *path)
{
	int64_t *c = strmap_get(&d->last_update, path);
	time_t t;

	if (c)
		return *c;
	if (access(path, F_OK))
		return errno == ENOENT ? 0 : -1;
	rrd_clear_error();
	t = rrd_last_r(path);
	return t > 0 ? (int64_t)t : -1;
}

static void remember(struct rrddetect *d, const char *path, int64_t t)
{
	int64_t *c = strmap_get(&d->last_update, path);

	if (!c) {
		c = malloc(sizeof *c);
		if (!c || strmap_put(&d->last_update, path, c)) {
			free(c);
			return;
		}
	}
	*c = t;
}

static int create_file(const char *path, unsigned long step, int64_t start)
{
	const char *argv[64];
	char storage[4096];
	int argc = rrddetect_layout(step, argv, 64, storage, sizeof storage);

	if (argc < 0) {
		rrd_set_error("layout does not fit");
		return -1;
	}
	rrd_clear_error();
	return rrd_create_r2(path, step, (time_t)start, 1, NULL, NULL, argc, argv) ? -1 : 0;
}

struct counts {
	uint64_t written, skipped, failed;
};

/* Writes rows v[0..n) of one store (in time order) with one update call. */
static void write_store(struct rrddetect *d, struct row **v, size_t n, struct counts *c)
{
	char path[4200];
	const char **argv = calloc(n, sizeof *argv);
	char *lines = malloc(n * LINE_MAX_LEN);
	int64_t last;
	int argc = 0;
	const char *why = NULL;

	if (!argv || !lines) {
		why = "out of memory";
		goto out;
	}
	if (rrddetect_path(d->data_dir, v[0]->agent, v[0]->store, path, sizeof path)) {
		why = "path too long";
		goto out;
	}
	if (ensure_dirs(d, v[0]->agent)) {
		c->failed += n;
		goto done;
	}
	errno = 0;
	rrd_clear_error();
	last = last_update(d, path);
	if (last < 0) {
		why = rrd_test_error() ? rrd_get_error() : strerror(errno ? errno : EIO);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i]->t <= last) {
			c->skipped++;
			continue;
		}
		if (last == 0 && argc == 0 &&
		    create_file(path, v[i]->step ? v[i]->step : 60, v[i]->t - 1)) {
			why = rrd_get_error();
			goto out;
		}
		argv[argc] = lines + (size_t)argc * LINE_MAX_LEN;
		rrddetect_format_update(v[i]->t, &v[i]->fig, lines + (size_t)argc * LINE_MAX_LEN,
					LINE_MAX_LEN);
		argc++;
		last = v[i]->t;
	}
	if (!argc)
		goto done;
	rrd_clear_error();
	if (rrd_updatex_r(path, NULL, RRD_SKIP_PAST_UPDATES, argc, argv)) {
		free(strmap_del(&d->last_update, path)); /* re-read its time next time */
		why = rrd_get_error();
		goto out;
	}
	remember(d, path, last);
	c->written += (uint64_t)argc;
	goto done;
out:
	c->failed += argc ? (uint64_t)argc : n;
	log_ratelimited(&d->fail_rl, LOG_ERR,
			"rrddetect: cannot write the detector RRD of '%s/%s': %s (graphs miss "
			"these points; samples are not affected)",
			v[0]->agent, v[0]->store, why && *why ? why : "unknown error");
done:
	free(argv);
	free(lines);
}

static int cmp_row(const void *x, const void *y)
{
	const struct row *a = *(const struct row *const *)x, *b = *(const struct row *const *)y;
	int r = strcmp(a->agent, b->agent);

	if (!r)
		r = strcmp(a->store, b->store);
	if (!r)
		r = a->order < b->order ? -1 : a->order > b->order;
	return r;
}

static void write_rows(struct rrddetect *d, struct row *list, size_t n, struct counts *c)
{
	struct row **v = malloc(n * sizeof *v);
	size_t i = 0;

	if (!v) {
		c->failed += n;
		log_ratelimited(&d->fail_rl, LOG_ERR,
				"rrddetect: out of memory: %zu detector rows not written", n);
		return;
	}
	for (struct row *r = list; r; r = r->next, i++) {
		r->order = i;
		v[i] = r;
	}
	qsort(v, n, sizeof *v, cmp_row);
	for (i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && !strcmp(v[j]->agent, v[i]->agent) &&
		       !strcmp(v[j]->store, v[i]->store))
			j++;
		write_store(d, v + i, j - i, c);
		i = j;
	}
	free(v);
}

static void *writer_main(void *arg)
{
	struct rrddetect *d = arg;

	for (;;) {
		struct row *list;
		size_t n;
		struct counts c = { 0, 0, 0 };

		pthread_mutex_lock(&d->mu);
		while (!d->head && !d->stop)
			pthread_cond_wait(&d->work, &d->mu);
		list = d->head;
		n = d->nqueued;
		d->head = d->tail = NULL;
		d->nqueued = 0;
		pthread_mutex_unlock(&d->mu);
		if (!list)
			break; /* stopping and drained */
		write_rows(d, list, n, &c);
		while (list) {
			struct row *next = list->next;
			free(list);
			list = next;
		}
		pthread_mutex_lock(&d->mu);
		d->stats.written += c.written;
		d->stats.skipped += c.skipped;
		d->stats.failed += c.failed;
		d->completed += n;
		pthread_cond_broadcast(&d->idle);
		pthread_mutex_unlock(&d->mu);
	}
	return NULL;
}

/* ---- the loop thread's side ------------------------------------------- */

int rrddetect_start(struct rrddetect **out, const char *data_dir)
{
	struct rrddetect *d = calloc(1, sizeof *d);
	int n, err;

	if (!d)
		return -ENOMEM;
	n = snprintf(d->data_dir, sizeof d->data_dir, "%s", data_dir);
	if (n < 0 || (size_t)n >= sizeof d->data_dir - 200) {
		free(d);
		return -ENAMETOOLONG;
	}
	d->drop_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 1);
	d->fail_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 1);
	strmap_init(&d->last_update);
	strmap_init(&d->agent_dirs);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->idle, NULL);
	err = pthread_create(&d->thread, NULL, writer_main, d);
	if (err) {
		pthread_mutex_destroy(&d->mu);
		pthread_cond_destroy(&d->work);
		pthread_cond_destroy(&d->idle);
		free(d);
		return -err;
	}
	*out = d;
	return 0;
}

int rrddetect_submit(struct rrddetect *d, const char *agent, const char *store,
		     uint32_t step, int64_t t, const struct detect_figures *fig)
{
	struct row *r;
	uint64_t dropped;

	pthread_mutex_lock(&d->mu);
	if (d->nqueued >= RRDDETECT_QUEUE_MAX) {
		dropped = ++d->stats.dropped;
		pthread_mutex_unlock(&d->mu);
		log_ratelimited(&d->drop_rl, LOG_WARNING,
				"rrddetect: the writer is behind: row of '%s/%s' dropped (%" PRIu64
				" so far; graphs miss these points)",
				agent, store, dropped);
		return -ENOBUFS;
	}
	pthread_mutex_unlock(&d->mu);
	r = malloc(sizeof *r);
	if (!r)
		return -ENOMEM;
	r->next = NULL;
	snprintf(r->agent, sizeof r->agent, "%s", agent);
	snprintf(r->store, sizeof r->store, "%s", store);
	r->step = step;
	r->t = t;
	r->fig = *fig;
	pthread_mutex_lock(&d->mu);
	if (d->tail)
		d->tail->next = r;
	else
		d->head = r;
	d->tail = r;
	d->nqueued++;
	d->submitted++;
	d->stats.queued++;
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

void rrddetect_flush(struct rrddetect *d)
{
	pthread_mutex_lock(&d->mu);
	for (uint64_t target = d->submitted; d->completed < target;)
		pthread_cond_wait(&d->idle, &d->mu);
	pthread_mutex_unlock(&d->mu);
}

void rrddetect_get_stats(struct rrddetect *d, struct rrddetect_stats *out)
{
	pthread_mutex_lock(&d->mu);
	*out = d->stats;
	pthread_mutex_unlock(&d->mu);
}

void rrddetect_stop(struct rrddetect *d)
{
	const char *k;
	void *v;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	for (size_t i = 0; strmap_next(&d->last_update, &i, &k, &v);)
		free(v);
	strmap_release(&d->last_update);
	strmap_release(&d->agent_dirs);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->work);
	pthread_cond_destroy(&d->idle);
	free(d);
}
