/* rrdstore.c - RRD files written by writer threads (see rrdstore.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rrdstore.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/strmap.h"

const char *const rrdstore_ds_names[RRDSTORE_NDS] = {
	"bytes", "objects", "added_bytes", "added_objects", "fs_used", "fs_size", "fs_inodes",
};

struct worker {
	struct rrdstore *rs;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rrd_batch *head, *tail;
	int stop;
	/* file path -> last update time (int64_t *), only this thread's files */
	struct strmap last_update;
	/* agent -> (void *)1 once its directory exists */
	struct strmap agent_dirs;
	/* agent -> (void *)(epoch + 1) of its last failed batch */
	struct strmap failed_epoch;
};

struct rrdstore {
	uv_loop_t *loop;
	uv_async_t async;
	char data_dir[4096];
	bool sync;
	unsigned nworkers;
	struct worker *workers;
	pthread_mutex_t done_mu;
	struct rrd_batch *done_head, *done_tail;
	size_t pending; /* loop thread only */
	rrdstore_done_fn done;
	void *ctx;
};

/* ---- layout ----------------------------------------------------------- */

int rrdstore_layout(unsigned long step, const char **argv, int max, char *storage, size_t len)
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	/* seconds per point, seconds covered */
	static const struct {
		unsigned long res, span;
	} tiers[] = {
		{ 0, 3 * 86400 },          /* every sample for 3 days */
		{ 300, 35 * 86400 },       /* 5-minute points for 5 weeks */
		{ 3600, 400 * 86400 },     /* hourly points for 400 days */
		{ 86400, 3660ul * 86400 }, /* daily points for 10 years */
	};
	unsigned long pdps[4], rows[4];
	size_t ntiers = 0, used = 0;
	int argc = 0;

#define ADD(...)                                                                      \
	do {                                                                          \
		int n_ = snprintf(storage + used, len - used, __VA_ARGS__);           \
		if (n_ < 0 || (size_t)n_ >= len - used || argc >= max)                \
			return -ENOBUFS;                                              \
		argv[argc++] = storage + used;                                        \
		used += (size_t)n_ + 1;                                               \
	} while (0)

	/* A tier whose resolution rounds to the previous one's (a coarse agent
	 * step) merges into it, keeping the longer span. */
	for (size_t t = 0; t < sizeof tiers / sizeof tiers[0]; t++) {
		unsigned long pdp = tiers[t].res ? (tiers[t].res + step / 2) / step : 1;
		unsigned long r;

		if (pdp < 1)
			pdp = 1;
		r = tiers[t].span / (pdp * step);
		if (r < 2)
			r = 2;
		if (ntiers && pdp <= pdps[ntiers - 1]) {
			if (r > rows[ntiers - 1])
				rows[ntiers - 1] = r;
			continue;
		}
		pdps[ntiers] = pdp;
		rows[ntiers++] = r;
	}
	for (int i = 0; i < RRDSTORE_NDS; i++)
		ADD("DS:%s:GAUGE:%lu:0:U", rrdstore_ds_names[i], 2 * step);
	for (size_t t = 0; t < ntiers; t++)
		for (size_t c = 0; c < 3; c++)
			ADD("RRA:%s:0.5:%lu:%lu", cfs[c], pdps[t], rows[t]);
#undef ADD
	return argc;
}

static void put_value(char **p, char *end, int known, uint64_t v)
{
	int n = known ? snprintf(*p, (size_t)(end - *p), ":%" PRIu64, v)
		      : snprintf(*p, (size_t)(end - *p), ":U");
	*p += n > 0 && n < end - *p ? n : 0;
}

int rrdstore_format_update(const struct sw_sample *s, char *out, size_t outlen)
{
	char *p = out, *end = out + outlen;
	int totals = s->status == SW_SCAN_COMPLETE;
	int added = totals && (s->flags & SW_SAMPLE_HAS_ADDED);
	int fs = s->status != SW_SCAN_MISSING;
	int n = snprintf(p, outlen, "%" PRId64, s->time);

	if (n < 0 || (size_t)n >= outlen || outlen < 200)
		return -ENOBUFS;
	p += n;
	put_value(&p, end, totals, s->bytes);
	put_value(&p, end, totals, s->objects);
	put_value(&p, end, added, s->added_bytes);
	put_value(&p, end, added, s->added_objects);
	put_value(&p, end, fs, s->fs_used);
	put_value(&p, end, fs, s->fs_size);
	put_value(&p, end, fs, s->fs_inodes);
	return 0;
}

int rrdstore_path(const char *data_dir, const char *agent, const char *store, char *out,
		  size_t outlen)
{
	int n = snprintf(out, outlen, "%s/rrd/%s/%s.rrd", data_dir, agent, store);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

uint64_t rrdstore_read_agent_seq(const char *data_dir, const char *agent)
{
	char path[4200];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/rrd/%s/agent.seq", data_dir, agent);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* ---- writing ---------------------------------------------------------- */

static void batch_fail(struct rrd_batch *b, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void batch_fail(struct rrd_batch *b, int err, const char *fmt, ...)
{
	va_list ap;

	if (b->err)
		return;
	b->err = err;
	va_start(ap, fmt);
	vsnprintf(b->errtext, sizeof b->errtext, fmt, ap);
	va_end(ap);
}

static int ensure_agent_dir(struct worker *w, const char *agent, struct rrd_batch *b)
{
	char path[4200];

	if (strmap_get(&w->agent_dirs, agent))
		return 0;
	snprintf(path, sizeof path, "%s/rrd", w->rs->data_dir);
	if (mkdir(path, 0750) && errno != EEXIST)
		goto fail;
	snprintf(path, sizeof path, "%s/rrd/%s", w->rs->data_dir, agent);
	if (mkdir(path, 0750) && errno != EEXIST)
		goto fail;
	strmap_put(&w->agent_dirs, agent, (void *)1);
	return 0;
fail:
	batch_fail(b, -errno, "cannot create '%s': %s", path, strerror(errno));
	return -1;
}

/* The file's last update time, from the cache or the file; 0 if the file
 * does not exist yet; -1 on error. */
static int64_t last_update(struct worker *w, const char *path)
{
	int64_t *cached = strmap_get(&w->last_update, path);
	time_t t;

	if (cached)
		return *cached;
	if (access(path, F_OK))
		return errno == ENOENT ? 0 : -1;
	rrd_clear_error();
	t = rrd_last_r(path);
	if (t <= 0)
		return -1;
	cached = malloc(sizeof *cached);
	if (cached) {
		*cached = t;
		if (strmap_put(&w->last_update, path, cached))
			free(cached);
	}
	return t;
}

static void remember_update(struct worker *w, const char *path, int64_t t)
{
	int64_t *cached = strmap_get(&w->last_update, path);

	if (!cached) {
		cached = malloc(sizeof *cached);
		if (!cached || strmap_put(&w->last_update, path, cached)) {
			free(cached);
			return;
		}
	}
	*cached = t;
}

static int create_file(const char *path, unsigned long step, time_t start,
		       struct rrd_batch *b)
{
	const char *argv[64];
	char storage[4096];
	int argc = rrdstore_layout(step, argv, 64, storage, sizeof storage);

	if (argc < 0) {
		batch_fail(b, argc, "rrd layout does not fit");
		return -1;
	}
	rrd_clear_error();
	if (rrd_create_r2(path, step, start, 1, NULL, NULL, argc, argv)) {
		batch_fail(b, -EIO, "cannot create '%s': %s", path, rrd_get_error());
		return -1;
	}
	return 0;
}

static int sync_file(const char *path, struct rrd_batch *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fdatasync(fd)) {
		batch_fail(b, -errno, "cannot sync '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Writes every sample of one store in the batch (those at idx[0..n)). */
static int write_store(struct worker *w, struct rrd_batch *b, const size_t *idx, size_t n)
{
	const char *store = b->samples[idx[0]].store;
	char path[4200];
	const char **argv = NULL;
	char *lines = NULL;
	int argc = 0, rc = -1;
	int64_t last;

	if (rrdstore_path(w->rs->data_dir, b->agent, store, path, sizeof path)) {
		batch_fail(b, -ENAMETOOLONG, "path too long for store '%s'", store);
		return -1;
	}
	last = last_update(w, path);
	if (last < 0) {
		batch_fail(b, -EIO, "cannot read '%s': %s", path, rrd_get_error());
		return -1;
	}
	argv = calloc(n, sizeof *argv);
	lines = malloc(n * 256);
	if (!argv || !lines) {
		batch_fail(b, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sw_sample *s = &b->samples[idx[i]];

		if (s->time <= last) {
			b->dropped_old++;
			b->dropped[idx[i]] = 1;
			continue;
		}
		if (last == 0 && argc == 0 &&
		    create_file(path, b->interval, (time_t)(s->time - 1), b))
			goto out;
		argv[argc] = lines + (size_t)argc * 256;
		rrdstore_format_update(s, lines + (size_t)argc * 256, 256);
		argc++;
		last = s->time;
	}
	if (argc == 0) {
		rc = 0;
		goto out;
	}
	rrd_clear_error();
	if (rrd_updatex_r(path, NULL, RRD_SKIP_PAST_UPDATES, argc, argv)) {
		/* the file may have been partly written: re-read its time next time */
		free(strmap_del(&w->last_update, path));
		batch_fail(b, -EIO, "cannot update '%s': %s", path, rrd_get_error());
		goto out;
	}
	remember_update(w, path, last);
	if (w->rs->sync && sync_file(path, b))
		goto out;
	b->stored += (size_t)argc;
	rc = 0;
out:
	free(argv);
	free(lines);
	return rc;
}

static int write_agent_seq(struct worker *w, struct rrd_batch *b)
{
	char path[4200], tmp[4200];
	uint64_t seq = b->samples[b->n - 1].seq;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof path, "%s/rrd/%s/agent.seq", w->rs->data_dir, b->agent);
	snprintf(tmp, sizeof tmp, "%s/rrd/%s/.agent.seq.tmp", w->rs->data_dir, b->agent);
	f = fopen(tmp, "we");
	if (!f)
		goto fail;
	fprintf(f, "%" PRIu64 "\n", seq);
	if (fflush(f) || (w->rs->sync && fdatasync(fileno(f))))
		err = errno;
	if (fclose(f) && !err)
		err = errno;
	if (err) {
		errno = err;
		goto fail;
	}
	if (rename(tmp, path))
		goto fail;
	return 0;
fail:
	batch_fail(b, -errno, "cannot write '%s': %s", path, strerror(errno));
	unlink(tmp);
	return -1;
}

static void write_batch(struct worker *w, struct rrd_batch *b)
{
	struct timespec t0, t1;
	size_t *idx = malloc(b->n * sizeof *idx);
	unsigned char *done = calloc(b->n, 1);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!idx || !done) {
		batch_fail(b, -ENOMEM, "out of memory");
		goto out;
	}
	if ((uintptr_t)strmap_get(&w->failed_epoch, b->agent) == (uintptr_t)b->epoch + 1) {
		batch_fail(b, -ECANCELED, "an earlier batch of this agent failed");
		goto out;
	}
	if (ensure_agent_dir(w, b->agent, b))
		goto out;
	/* One rrd update call per store, with that store's samples in order. */
	for (size_t i = 0; i < b->n && !b->err; i++) {
		size_t n = 0;

		if (done[i])
			continue;
		for (size_t j = i; j < b->n; j++)
			if (!done[j] && !strcmp(b->samples[j].store, b->samples[i].store)) {
				idx[n++] = j;
				done[j] = 1;
			}
		write_store(w, b, idx, n);
	}
	if (!b->err)
		write_agent_seq(w, b);
out:
	if (b->err && b->err != -ECANCELED)
		strmap_put(&w->failed_epoch, b->agent, (void *)((uintptr_t)b->epoch + 1));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	b->write_usec = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
				   (t1.tv_nsec - t0.tv_nsec) / 1000);
	free(idx);
	free(done);
}

static void hand_back(struct rrdstore *rs, struct rrd_batch *b)
{
	b->next = NULL;
	pthread_mutex_lock(&rs->done_mu);
	if (rs->done_tail)
		rs->done_tail->next = b;
	else
		rs->done_head = b;
	rs->done_tail = b;
	pthread_mutex_unlock(&rs->done_mu);
	uv_async_send(&rs->async);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		struct rrd_batch *b;

		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		b = w->head;
		if (b) {
			w->head = b->next;
			if (!w->head)
				w->tail = NULL;
		}
		pthread_mutex_unlock(&w->mu);
		if (!b)
			break; /* stopping and drained */
		write_batch(w, b);
		hand_back(w->rs, b);
	}
	return NULL;
}

static void drain_done(uv_async_t *a)
{
	struct rrdstore *rs = a->data;
	struct rrd_batch *b;

	pthread_mutex_lock(&rs->done_mu);
	b = rs->done_head;
	rs->done_head = rs->done_tail = NULL;
	pthread_mutex_unlock(&rs->done_mu);
	while (b) {
		struct rrd_batch *next = b->next;
		rs->pending--;
		rs->done(b, rs->ctx);
		b = next;
	}
}

static unsigned agent_hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

void rrdstore_submit(struct rrdstore *rs, struct rrd_batch *b)
{
	struct worker *w = &rs->workers[agent_hash(b->agent) % rs->nworkers];

	b->next = NULL;
	rs->pending++;
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = b;
	else
		w->head = b;
	w->tail = b;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

size_t rrdstore_pending(const struct rrdstore *rs)
{
	return rs->pending;
}

int rrdstore_start(struct rrdstore **out, uv_loop_t *loop, const char *data_dir,
		   unsigned threads, bool sync, rrdstore_done_fn done, void *ctx)
{
	struct rrdstore *rs = calloc(1, sizeof *rs);
	char path[4200];

	if (!rs)
		return -ENOMEM;
	snprintf(path, sizeof path, "%s/rrd", data_dir);
	if (mkdir(path, 0750) && errno != EEXIST) {
		int err = -errno;
		free(rs);
		return err;
	}
	rs->loop = loop;
	snprintf(rs->data_dir, sizeof rs->data_dir, "%s", data_dir);
	rs->sync = sync;
	rs->done = done;
	rs->ctx = ctx;
	rs->nworkers = threads ? threads : 1;
	rs->workers = calloc(rs->nworkers, sizeof *rs->workers);
	if (!rs->workers) {
		free(rs);
		return -ENOMEM;
	}
	pthread_mutex_init(&rs->done_mu, NULL);
	uv_async_init(loop, &rs->async, drain_done);
	rs->async.data = rs;
	for (unsigned i = 0; i < rs->nworkers; i++) {
		struct worker *w = &rs->workers[i];
		w->rs = rs;
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
		strmap_init(&w->last_update);
		strmap_init(&w->agent_dirs);
		strmap_init(&w->failed_epoch);
		if (pthread_create(&w->thread, NULL, worker_main, w))
			fatal("rrd: cannot start a writer thread");
	}
	*out = rs;
	return 0;
}

static void free_async(uv_handle_t *h)
{
	free(h->data);
}

void rrdstore_stop(struct rrdstore *rs)
{
	for (unsigned i = 0; i < rs->nworkers; i++) {
		struct worker *w = &rs->workers[i];
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	for (unsigned i = 0; i < rs->nworkers; i++) {
		struct worker *w = &rs->workers[i];
		const char *k;
		void *v;

		pthread_join(w->thread, NULL);
		for (size_t pos = 0; strmap_next(&w->last_update, &pos, &k, &v);)
			free(v);
		strmap_release(&w->last_update);
		strmap_release(&w->agent_dirs);
		strmap_release(&w->failed_epoch);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	drain_done(&rs->async);
	free(rs->workers);
	pthread_mutex_destroy(&rs->done_mu);
	uv_close((uv_handle_t *)&rs->async, free_async);
}

struct rrd_batch *rrd_batch_new(const char *agent, uint32_t interval, size_t n)
{
	struct rrd_batch *b = calloc(1, sizeof *b);

	if (!b)
		return NULL;
	b->samples = calloc(n ? n : 1, sizeof *b->samples);
	b->dropped = calloc(n ? n : 1, 1);
	if (!b->samples || !b->dropped) {
		free(b->samples);
		free(b->dropped);
		free(b);
		return NULL;
	}
	snprintf(b->agent, sizeof b->agent, "%s", agent);
	b->interval = interval;
	b->n = n;
	return b;
}

void rrd_batch_free(struct rrd_batch *b)
{
	if (!b)
		return;
	free(b->samples);
	free(b->dropped);
	free(b);
}
