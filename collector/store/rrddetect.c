/* rrddetect.c - the per-store detector RRD and its writer thread (see rrddetect.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rrddetect.h"
#include "rrdlast.h"
#include "rrdstore.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/strmap.h"
#include "shrinkwatch/banned.h"

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
	uint64_t force;                /* flush requests: write every held row */
	int stop;
	struct rrddetect_stats stats;
	struct log_ratelimit drop_rl; /* loop thread */
	/* writer thread only */
	struct rrdlast last_update;
	struct strmap agent_dirs;  /* agent -> (void *)1 */
	struct strmap held;        /* "agent/store" -> struct held * */
	uint64_t nheld;            /* rows in it */
	int64_t last_sweep;        /* monotonic seconds */
	struct log_ratelimit fail_rl;
};

/* Rows of one store held back by the writer (see "holding" below). */
struct held {
	struct row *head, *tail;
	size_t n;
	int64_t since; /* monotonic seconds when the oldest was held */
	bool due;      /* on this turn's list of stores to write */
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
	last = rrdlast_get(&d->last_update, path);
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
		rrdlast_forget(&d->last_update, path); /* re-read its time next time */
		why = rrd_get_error();
		goto out;
	}
	rrdlast_set(&d->last_update, path, last);
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

/*
 * Holding.  A quiet store's row is all zeros (nothing removed) or unknowns,
 * and one rrd update call per row per store costs as much as the sample's
 * own RRD write: half the collector's write work for rows nobody looks at
 * until later.  So the writer holds a store's quiet rows and writes them
 * together, in one call, after RRDDETECT_HOLD_S seconds or
 * RRDDETECT_HOLD_ROWS rows; a row with anything in it (a removal, a purge
 * window, a declared or unexplained loss) is written at once with the rows
 * held before it.  Every row still reaches the file, in order, so the file
 * is the same as with one call per row; a graph of a quiet store lags by at
 * most RRDDETECT_HOLD_S, and a crash loses at most that much of quiet rows
 * (a gap, drawn as unknown).
 */
static bool row_matters(const struct row *r)
{
	const struct detect_figures *f = &r->fig;

	if (!f->judged)
		return false;
	for (int i = 0; i < 2; i++)
		if (f->removed[i] || f->purge_allow[i] || f->purge_done[i] || f->declared[i] ||
		    f->unexplained[i])
			return true;
	return false;
}

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Appends r to its store's held rows; returns the store's entry (NULL if out
 * of memory: r is then written alone, at once). */
static struct held *hold(struct rrddetect *d, struct row *r, int64_t now)
{
	char key[2 * SW_NAME_MAX + 2];
	struct held *h;

	snprintf(key, sizeof key, "%s/%s", r->agent, r->store);
	h = strmap_get(&d->held, key);
	if (!h) {
		h = calloc(1, sizeof *h);
		if (!h || strmap_put(&d->held, key, h)) {
			free(h);
			return NULL;
		}
	}
	r->next = NULL;
	if (h->tail)
		h->tail->next = r;
	else
		h->head = r;
	h->tail = r;
	if (!h->n++)
		h->since = now;
	d->nheld++;
	return h;
}

/* Writes a store's held rows with one update call and frees them; returns
 * how many there were. */
static size_t write_held(struct rrddetect *d, struct held *h, struct counts *c)
{
	struct row **v = malloc(h->n * sizeof *v);
	struct row *r = h->head;
	size_t n = h->n, i = 0;

	if (v) {
		for (; r; r = r->next)
			v[i++] = r;
		write_store(d, v, n, c);
		free(v);
	} else {
		c->failed += n;
		log_ratelimited(&d->fail_rl, LOG_ERR,
				"rrddetect: out of memory: %zu detector rows not written", n);
	}
	while (h->head) {
		r = h->head->next;
		free(h->head);
		h->head = r;
	}
	h->tail = NULL;
	h->n = 0;
	h->due = false;
	d->nheld -= n;
	return n;
}

/* Holds every row of list and writes the stores that are due: those with a
 * row that matters or enough rows now, and, on a sweep (every few seconds,
 * or all of them when flushing or stopping), those held long enough.
 * Returns the number of rows that left the writer (written, skipped or
 * failed). */
static size_t take_rows(struct rrddetect *d, struct row *list, bool write_all,
			struct counts *c)
{
	struct held **due = NULL;
	size_t ndue = 0, cap = 0, done = 0;
	int64_t now = mono_now();
	const char *k;
	void *v;

	while (list) {
		struct row *r = list;
		struct held *h;

		list = r->next;
		h = hold(d, r, now);
		if (!h) {
			write_store(d, &r, 1, c);
			free(r);
			done++;
			continue;
		}
		if (h->due || (!row_matters(r) && h->n < RRDDETECT_HOLD_ROWS))
			continue;
		if (ndue == cap) {
			struct held **bigger = realloc(due, (cap ? cap * 2 : 64) * sizeof *due);
			if (!bigger) {
				done += write_held(d, h, c);
				continue;
			}
			due = bigger;
			cap = cap ? cap * 2 : 64;
		}
		h->due = true;
		due[ndue++] = h;
	}
	for (size_t i = 0; i < ndue; i++)
		done += write_held(d, due[i], c);
	free(due);
	if (write_all || now - d->last_sweep >= RRDDETECT_SWEEP_S) {
		d->last_sweep = now;
		for (size_t i = 0; strmap_next(&d->held, &i, &k, &v);) {
			struct held *h = v;
			if (h->n && (write_all || now - h->since >= RRDDETECT_HOLD_S))
				done += write_held(d, h, c);
		}
	}
	return done;
}

static void *writer_main(void *arg)
{
	struct rrddetect *d = arg;
	uint64_t forced = 0;

	d->last_sweep = mono_now();
	/* Lowest CPU priority for this thread only (Linux nice is per thread):
	 * these rows are for graphs, the store writers' are what agents wait
	 * for.  Under a backlog the queue fills and drops rows (logged) rather
	 * than halving ingest; in steady state the thread is idle anyway. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RRDDETECT_NICE))
		log_info("rrddetect: cannot lower the writer's priority: %s", strerror(errno));
	for (;;) {
		struct row *list;
		struct counts c = { 0, 0, 0 };
		struct timespec until;
		bool write_all, stopping;
		size_t done;

		pthread_mutex_lock(&d->mu);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += RRDDETECT_SWEEP_S;
		while (!d->head && !d->stop && d->force == forced &&
		       pthread_cond_timedwait(&d->work, &d->mu, &until) != ETIMEDOUT)
			;
		list = d->head;
		d->head = d->tail = NULL;
		d->nqueued = 0;
		stopping = d->stop;
		write_all = stopping || d->force != forced;
		forced = d->force;
		pthread_mutex_unlock(&d->mu);
		done = take_rows(d, list, write_all, &c);
		pthread_mutex_lock(&d->mu);
		d->stats.written += c.written;
		d->stats.skipped += c.skipped;
		d->stats.failed += c.failed;
		d->completed += done;
		d->stats.held = d->nheld;
		d->stats.turns++;
		pthread_cond_broadcast(&d->idle);
		pthread_mutex_unlock(&d->mu);
		if (stopping && !list)
			break; /* drained, nothing held */
	}
	return NULL;
}

/* ---- the loop thread's side ------------------------------------------- */

int rrddetect_start(struct rrddetect **out, const char *data_dir)
{
	struct rrddetect *d = calloc(1, sizeof *d);
	pthread_condattr_t ca;
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
	rrdlast_init(&d->last_update);
	strmap_init(&d->agent_dirs);
	strmap_init(&d->held);
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->work, &ca);
	pthread_condattr_destroy(&ca);
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
	d->force++; /* held rows too */
	pthread_cond_signal(&d->work);
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
	if (d->stats.dropped || d->stats.failed)
		log_notice("rrddetect: %" PRIu64 " detector rows written, %" PRIu64 " dropped (writer "
			   "behind), %" PRIu64 " failed since start; graphs miss those points",
			   d->stats.written, d->stats.dropped, d->stats.failed);
	rrdlast_release(&d->last_update);
	for (size_t i = 0; strmap_next(&d->held, &i, &k, &v);)
		free(v); /* empty: stopping wrote every held row */
	strmap_release(&d->held);
	strmap_release(&d->agent_dirs);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->work);
	pthread_cond_destroy(&d->idle);
	free(d);
}
