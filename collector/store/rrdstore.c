/* rrdstore.c - the RRD writer: sample batches and detector rows (see rrdstore.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <rrd.h>
#include <rrd_client.h>
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
#include "rrdsample.h"
#include "rrdspace.h"
#include "rrdstore.h"
#include "shrinkwatch/backoff.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/strmap.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

/* Longest command line we send rrdcached, with room to spare (its limit is
 * RRD_CMD_MAX bytes, the command and the path included). */
#define RRDSTORE_DAEMON_CMD (RRD_CMD_MAX - 128)
/* Most batches a writer takes off its queue at once. */
#define RRDSTORE_GROUP_MAX 256

/* The two kinds of rows (rrdstore.h); each worker writes one kind. */
enum row_kind {
	ROWS_SAMPLES, /* batches of samples, acknowledged once stored */
	ROWS_FIGURES, /* the detector's rows, for graphs */
};

/* A detector row waiting to be written. */
struct fig_row {
	struct fig_row *next;
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	uint32_t step;
	int64_t t;
	struct detect_figures fig;
};

/* Detector rows of one store held back by the worker (see "Holding"). */
struct held {
	struct fig_row *head, *tail;
	size_t n;
	int64_t since; /* monotonic seconds when the oldest was held */
	bool due;      /* on this turn's list of stores to write */
};

struct worker {
	struct rrdstore *rs;
	enum row_kind kind;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* work, a stop or a flush request (CLOCK_MONOTONIC) */
	int stop;
	/* ROWS_SAMPLES, under mu */
	struct rrd_batch *head, *tail;
	/* ROWS_FIGURES, under mu; mu also guards rs->stats and the two counts */
	struct fig_row *rhead, *rtail;
	size_t nrows;     /* rows in the queue */
	uint64_t force;   /* flush requests: write every held row */
	pthread_cond_t idle; /* rows completed */
	uint64_t rows_submitted, rows_completed;
	/* this thread only */
	struct rrdlast last_update; /* the files this thread writes, and only those */
	struct strmap agent_dirs;   /* "rrd/<agent>" or "detect/<agent>" -> (void *)1 */
	struct strmap failed_epoch; /* samples: agent -> (void *)(epoch + 1) of its last failure */
	struct strmap held;         /* figures: "agent/store" -> struct held * */
	struct strmap create_wait;  /* figures: path -> struct create_wait * (below) */
	struct backoff_rng rng;     /* figures: jitter of those waits */
	uint64_t nheld;             /* figures: rows in it */
	int64_t last_sweep;         /* figures: monotonic seconds */
};

struct rrdstore {
	uv_loop_t *loop;
	uv_async_t async;
	char data_dir[4096];
	bool sync;
	char daemon[256]; /* rrdcached address, "" = write files directly */
	uint64_t keep_free; /* rrdstore_config */
	unsigned nworkers; /* sample writers */
	/* nworkers sample writers, then the detector rows' worker */
	struct worker *workers;
	struct worker *figures;
	pthread_mutex_t done_mu;
	struct rrd_batch *done_head, *done_tail;
	size_t pending; /* loop thread only */
	struct rrdstore_stats stats; /* rows_*: under figures->mu */
	struct log_ratelimit drop_rl; /* submitting thread (the loop) */
	struct log_ratelimit fail_rl; /* the figures worker */
};

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

/* A reason in why, cut to whylen (a path in it may be long). */
static void set_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/*
 * Makes data_dir/<top>/<agent> (top: "rrd" or "detect") the first time the
 * worker writes for agent.  0, or a negative errno with the reason in why.
 */
static int ensure_dir(struct worker *w, const char *top, const char *agent, char *why,
		      size_t whylen)
{
	char path[4200], key[2 * SW_NAME_MAX + 16];
	int err;

	snprintf(key, sizeof key, "%s/%s", top, agent);
	if (strmap_get(&w->agent_dirs, key))
		return 0;
	snprintf(path, sizeof path, "%s/%s", w->rs->data_dir, top);
	if (mkdir(path, 0750) && errno != EEXIST)
		goto fail;
	snprintf(path, sizeof path, "%s/%s/%s", w->rs->data_dir, top, agent);
	if (mkdir(path, 0750) && errno != EEXIST)
		goto fail;
	strmap_put(&w->agent_dirs, key, (void *)1);
	return 0;
fail:
	err = -errno;
	set_why(why, whylen, "cannot create '%s': %s", path, strerror(-err));
	return err;
}

/*
 * The one creation path: path with kind's layout (rrdsample_layout() or
 * rrddetect_layout()), step seconds, first update after start.  0, or a
 * negative errno with the reason in why.
 */
static int create_file(struct rrdstore *rs, enum row_kind kind, const char *path,
		       unsigned long step, int64_t start, char *why, size_t whylen)
{
	const char *argv[64];
	char storage[4096];
	int argc = kind == ROWS_SAMPLES ? rrdsample_layout(step, argv, 64, storage, sizeof storage)
					: rrddetect_layout(step, argv, 64, storage, sizeof storage);

	uint64_t need;
	int err;

	if (argc < 0) {
		set_why(why, whylen, "rrd layout does not fit");
		return argc;
	}
	/* librrd does not say "disk full" (rrdspace.h): ask first, and keep
	 * room for the ledger */
	need = rrdspace_needed(argv, argc);
	err = rrdspace_check(path, need, rs->keep_free, why, whylen);
	if (err)
		return err;
	rrd_clear_error();
	errno = 0;
	if (rrd_create_r2(path, step, (time_t)start, 1, NULL, NULL, argc, argv)) {
		/* the disk filled meanwhile: say so rather than librrd's text */
		if (rrdspace_check(path, need, 0, why, whylen))
			return -ENOSPC;
		set_why(why, whylen, "cannot create '%s': %s", path,
			*rrd_get_error() ? rrd_get_error() : strerror(errno ? errno : EIO));
		return -EIO;
	}
	return 0;
}

/* One sample of a run: its batch and its index there. */
struct sample_ref {
	struct rrd_batch *b;
	size_t i;
};

/*
 * Groups a run's samples by store, in arrival (= time) order within each
 * store: a stable counting sort over the run's distinct store names.  An
 * agent has a handful of stores and its frames list them in the same order
 * every scan, so the name lookup almost always hits on its first compare;
 * this replaced a qsort whose string compares cost the writers more than
 * formatting the updates.  Fills out (total refs) from in; 0 or -ENOMEM.
 */
static int group_by_store(const struct sample_ref *in, size_t total, struct sample_ref *out)
{
	const char **names = NULL;
	size_t *store_of = malloc(total * sizeof *store_of), *start = NULL;
	size_t nstores = 0, cap = 0, guess = 0;
	int err = -ENOMEM;

	if (!store_of)
		goto out;
	for (size_t k = 0; k < total; k++) {
		const char *name = in[k].b->samples[in[k].i].store;
		size_t st = nstores;

		for (size_t tries = 0; tries < nstores; tries++) {
			size_t c = (guess + tries) % nstores;
			if (!strcmp(names[c], name)) {
				st = c;
				break;
			}
		}
		if (st == nstores) {
			if (nstores == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				const char **p = realloc(names, ncap * sizeof *p);
				if (!p)
					goto out;
				names = p;
				cap = ncap;
			}
			names[nstores++] = name;
		}
		store_of[k] = st;
		guess = st + 1 < nstores ? st + 1 : 0;
	}
	start = calloc(nstores + 1, sizeof *start);
	if (!start)
		goto out;
	for (size_t k = 0; k < total; k++)
		start[store_of[k] + 1]++;
	for (size_t st = 0; st < nstores; st++)
		start[st + 1] += start[st];
	for (size_t k = 0; k < total; k++)
		out[start[store_of[k]]++] = in[k];
	err = 0;
out:
	free(names);
	free(store_of);
	free(start);
	return err;
}

/*
 * rrdcached: librrd exports only its simple client, one connection per
 * process behind a lock, so the writer threads share it.  0, or -1 with b
 * failed if the daemon cannot be reached.
 */
static int daemon_connect(struct worker *w, struct rrd_batch *b)
{
	rrd_clear_error();
	if (rrdc_connect(w->rs->daemon)) {
		batch_fail(b, -ECONNREFUSED, "cannot reach rrdcached at '%s': %s", w->rs->daemon,
			   rrd_get_error());
		return -1;
	}
	return 0;
}

/*
 * Writes argc update lines into path, or hands them to rrdcached when one is
 * configured and they are samples of batch b (b is NULL for detector rows,
 * which always go into their files directly).  0, or -1 with librrd's error
 * set (or b failed).
 */
static int update_file(struct worker *w, const char *path, int argc, const char **argv,
		       struct rrd_batch *b)
{
	rrd_clear_error();
	if (!b || !w->rs->daemon[0])
		return rrd_updatex_r(path, NULL, RRD_SKIP_PAST_UPDATES, argc, argv) ? -1 : 0;
	if (daemon_connect(w, b))
		return -1;
	/* rrdcached refuses a command line longer than RRD_CMD_MAX: send the updates
	 * in pieces that fit, in order */
	for (int i = 0; i < argc;) {
		size_t len = strlen(path) + 16;
		int n = 0, rc;

		while (i + n < argc && (n == 0 || len + strlen(argv[i + n]) + 1 < RRDSTORE_DAEMON_CMD))
			len += strlen(argv[i + n++]) + 1;
		rc = rrdc_update(path, n, argv + i);
		if (rc) {
			if (!*rrd_get_error())
				rrd_set_error("rrdcached refused the update (status %d)", rc);
			rrdc_disconnect(); /* reconnect on the next batch */
			return -1;
		}
		i += n;
	}
	return 0;
}

/* Through rrdcached, gets the file written before the group is synced:
 * FLUSH returns once the daemon wrote it. */
static int flush_daemon(struct worker *w, const char *path, struct rrd_batch *b)
{
	{
		if (daemon_connect(w, b))
			return -1;
		rrd_clear_error();
		if (rrdc_flush(path)) {
			batch_fail(b, -EIO, "rrdcached cannot flush '%s': %s", path,
				   rrd_get_error());
			rrdc_disconnect();
			return -1;
		}
	}
	return 0;
}

/* Whether s is what the file at path holds as its last update, time and
 * values: a sample sent again because the collector died between writing
 * the file and recording the agent's seq.  Only asked when s->time is the
 * file's last update (rare), so the extra read costs nothing in the common
 * case; a file it cannot read says no (the sample counts as not newer). */
static bool same_as_last(const char *path, const struct sw_sample *s)
{
	char line[256], *p;
	char **names = NULL, **values = NULL;
	unsigned long nds = 0, i;
	time_t t;
	bool same;

	rrdsample_format_update(s, line, sizeof line);
	if (rrd_lastupdate_r(path, &t, &nds, &names, &values)) {
		rrd_clear_error();
		return false;
	}
	p = strchr(line, ':');
	same = p && (int64_t)t == s->time;
	for (i = 0; same && i < nds; i++) {
		size_t len = strlen(values[i]);

		if (strncmp(p + 1, values[i], len) || (p[1 + len] != ':' && p[1 + len] != '\0'))
			same = false;
		else
			p += 1 + len;
	}
	if (same && *p)
		same = false; /* the file has fewer values than the sample */
	for (i = 0; i < nds; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(values[i]);
	}
	rrd_freemem(names);
	rrd_freemem(values);
	return same;
}

/* Writes every sample of one store of the run (refs[0..n), in time order)
 * with one update call.  Errors land in the first batch of the run. */
static int write_store(struct worker *w, struct rrd_batch *first, const struct sample_ref *refs,
		       size_t n)
{
	const char *store = refs[0].b->samples[refs[0].i].store;
	char path[4200];
	const char **argv = NULL;
	char *lines = NULL;
	int argc = 0, rc = -1;
	int64_t last;

	if (rrdsample_path(w->rs->data_dir, first->agent, store, path, sizeof path)) {
		batch_fail(first, -ENAMETOOLONG, "path too long for store '%s'", store);
		return -1;
	}
	last = rrdlast_get(&w->last_update, path);
	if (last < 0) {
		batch_fail(first, -EIO, "cannot read '%s': %s", path, rrd_get_error());
		return -1;
	}
	argv = calloc(n, sizeof *argv);
	lines = malloc(n * 256);
	if (!argv || !lines) {
		batch_fail(first, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		struct rrd_batch *b = refs[k].b;
		const struct sw_sample *s = &b->samples[refs[k].i];

		if (s->time <= last) {
			if (s->time == last && argc == 0 && same_as_last(path, s))
				b->already++;
			else
				b->dropped_old++;
			b->dropped[refs[k].i] = 1;
			continue;
		}
		if (last == 0 && argc == 0) {
			char why[sizeof first->errtext];
			int err = create_file(w->rs, ROWS_SAMPLES, path, first->interval, s->time - 1, why,
					      sizeof why);

			if (err) {
				batch_fail(first, err, "%s", why);
				goto out;
			}
		}
		argv[argc] = lines + (size_t)argc * 256;
		rrdsample_format_update(s, lines + (size_t)argc * 256, 256);
		argc++;
		last = s->time;
	}
	if (argc == 0) {
		rc = 0;
		goto out;
	}
	if (update_file(w, path, argc, argv, first)) {
		/* the file may have been partly written: re-read its time next time */
		rrdlast_forget(&w->last_update, path);
		batch_fail(first, -EIO, "cannot update '%s': %s", path, rrd_get_error());
		goto out;
	}
	rrdlast_set(&w->last_update, path, last);
	if (w->rs->sync && w->rs->daemon[0] && flush_daemon(w, path, first))
		goto out;
	for (size_t k = 0; k < n; k++)
		if (!refs[k].b->dropped[refs[k].i])
			refs[k].b->stored++;
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
	if (fflush(f))
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

/* The first batch of a failed run carries the error; the rest of the run is
 * cancelled with it, as later batches of a failed epoch are. */
static void run_fail(struct rrd_batch **run, size_t n)
{
	for (size_t k = 1; k < n; k++)
		batch_fail(run[k], -ECANCELED, "an earlier batch of this agent failed");
}

/*
 * Writes a run of batches of one agent and one failure epoch, in submission
 * order, as if they were one: one update call per file carries the samples of
 * every batch (batching across frames), each file is synced once, and
 * agent.seq is written once, with the last batch's seq.  If anything fails,
 * every batch of the run fails and nothing of it is acknowledged; the agent
 * sends it all again.
 */
static void write_run(struct worker *w, struct rrd_batch **run, size_t nrun)
{
	struct rrd_batch *first = run[0], *last = run[nrun - 1];
	struct sample_ref *refs = NULL, *in = NULL;
	size_t total = 0, pos = 0;

	if ((uintptr_t)strmap_get(&w->failed_epoch, first->agent) == (uintptr_t)first->epoch + 1) {
		for (size_t k = 0; k < nrun; k++)
			batch_fail(run[k], -ECANCELED, "an earlier batch of this agent failed");
		return;
	}
	for (size_t k = 0; k < nrun; k++)
		total += run[k]->n;
	refs = malloc(total * sizeof *refs);
	in = malloc(total * sizeof *in);
	if (!refs || !in) {
		batch_fail(first, -ENOMEM, "out of memory");
		goto out;
	}
	{
		char why[sizeof first->errtext];
		int err = ensure_dir(w, "rrd", first->agent, why, sizeof why);

		if (err) {
			batch_fail(first, err, "%s", why);
			goto out;
		}
	}
	for (size_t k = 0; k < nrun; k++)
		for (size_t i = 0; i < run[k]->n; i++, pos++)
			in[pos] = (struct sample_ref){ .b = run[k], .i = i };
	/* by store, and in arrival (= time) order within a store */
	if (group_by_store(in, total, refs)) {
		batch_fail(first, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < total && !first->err;) {
		size_t j = i + 1;

		while (j < total && !strcmp(refs[j].b->samples[refs[j].i].store,
					    refs[i].b->samples[refs[i].i].store))
			j++;
		write_store(w, first, refs + i, j - i);
		i = j;
	}
	/* with sync, agent.seq follows once the group's files are on disk */
	if (!first->err && !w->rs->sync && write_agent_seq(w, last)) {
		first->err = last->err;
		snprintf(first->errtext, sizeof first->errtext, "%s", last->errtext);
	}
out:
	free(refs);
	free(in);
	if (first->err) {
		run_fail(run, nrun);
		if (first->err != -ECANCELED)
			strmap_put(&w->failed_epoch, first->agent,
				   (void *)((uintptr_t)first->epoch + 1));
	}
}

/* Fails every batch of the group that had not failed, and poisons the epochs. */
static void group_fail(struct worker *w, struct rrd_batch **v, size_t n, int err,
		       const char *what)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i]->err)
			continue;
		batch_fail(v[i], err, "cannot sync %s in '%s/rrd': %s", what, w->rs->data_dir,
			   strerror(-err));
		strmap_put(&w->failed_epoch, v[i]->agent, (void *)((uintptr_t)v[i]->epoch + 1));
	}
}

static int sync_fs(struct worker *w)
{
	char path[4200];
	int fd, err = 0;

	snprintf(path, sizeof path, "%s/rrd", w->rs->data_dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd))
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/*
 * rrd_sync: a group commit.  One syncfs() makes every file the group wrote
 * durable (one device flush for hundreds of files instead of an fdatasync
 * each); only then does each agent's agent.seq move on, and a second syncfs()
 * makes that durable before anything is acknowledged.  The order matters: a
 * crash must never leave agent.seq ahead of the RRD files, or a restarted
 * collector would tell an agent to drop samples it never stored.
 */
static void sync_group(struct worker *w, struct rrd_batch **v, size_t n)
{
	int err = sync_fs(w);

	if (err) {
		group_fail(w, v, n, err, "the RRD files");
		return;
	}
	/* the last batch of each agent in the group carries its highest seq */
	for (size_t i = 0; i < n; i++) {
		int later = 0;

		if (v[i]->err)
			continue;
		for (size_t j = i + 1; j < n && !later; j++)
			later = !v[j]->err && !strcmp(v[j]->agent, v[i]->agent);
		if (!later && write_agent_seq(w, v[i])) {
			/* its agent's other batches of the group fail with it */
			strmap_put(&w->failed_epoch, v[i]->agent,
				   (void *)((uintptr_t)v[i]->epoch + 1));
			for (size_t j = 0; j < i; j++)
				if (!strcmp(v[j]->agent, v[i]->agent))
					batch_fail(v[j], v[i]->err, "%s", v[i]->errtext);
		}
	}
	err = sync_fs(w);
	if (err)
		group_fail(w, v, n, err, "agent.seq");
}

/* Writes a list of batches taken off the queue: per agent, runs of one epoch. */
static void write_batches(struct worker *w, struct rrd_batch **v, size_t n)
{
	struct timespec t0, t1;
	struct rrd_batch **run = malloc(n * sizeof *run);
	unsigned char *taken = calloc(n, 1);
	uint64_t usec;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		size_t nrun = 0;

		if (taken && taken[i])
			continue;
		if (!run || !taken) { /* no memory to group: one batch at a time */
			write_run(w, &v[i], 1);
			continue;
		}
		for (size_t j = i; j < n; j++) {
			if (taken[j] || strcmp(v[j]->agent, v[i]->agent))
				continue;
			if (v[j]->epoch != v[i]->epoch)
				break; /* a later epoch waits for the next round */
			run[nrun++] = v[j];
			taken[j] = 1;
		}
		write_run(w, run, nrun);
	}
	/* a later epoch's batches left over (rare: after a failure) */
	for (size_t i = 0; taken && run && i < n; i++)
		if (!taken[i])
			write_run(w, &v[i], 1);
	if (w->rs->sync)
		sync_group(w, v, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	usec = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
	for (size_t i = 0; i < n; i++)
		v[i]->write_usec = usec;
	free(run);
	free(taken);
}

/* Hands back a list of batches in order with one wake-up of the loop. */
static void hand_back(struct rrdstore *rs, struct rrd_batch **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i]->next = i + 1 < n ? v[i + 1] : NULL;
	pthread_mutex_lock(&rs->done_mu);
	if (rs->done_tail)
		rs->done_tail->next = v[0];
	else
		rs->done_head = v[0];
	rs->done_tail = v[n - 1];
	pthread_mutex_unlock(&rs->done_mu);
	uv_async_send(&rs->async);
}

/* ---- detector rows ---------------------------------------------------- */

struct counts {
	uint64_t written, skipped, failed, create_failed;
};

/*
 * A detector RRD whose creation failed is not tried again on every row: a
 * multi-megabyte creation on a full disk fills it for a moment each time
 * (and fails every other writer then).  It waits CREATE_WAIT's backoff,
 * from 10 s to 10 minutes; rows meanwhile are lost from the graph (counted
 * as failed), never a sample.
 */
struct create_wait {
	unsigned failures;
	int64_t until; /* monotonic seconds */
};

static const struct backoff_policy CREATE_WAIT = { 10, 600, 0, 25 };

static int64_t mono_now(void);

/* Whether path's creation waits; remembers a failure (failed) or forgets
 * the file's waits (created).  Returns the seconds still to wait, 0 if none. */
static int64_t create_waits(struct worker *w, const char *path)
{
	struct create_wait *cw = strmap_get(&w->create_wait, path);
	int64_t now = mono_now();

	return cw && now < cw->until ? cw->until - now : 0;
}

static int64_t create_failed(struct worker *w, const char *path)
{
	struct create_wait *cw = strmap_get(&w->create_wait, path);
	uint64_t delay;

	if (!cw) {
		cw = calloc(1, sizeof *cw);
		if (!cw || strmap_put(&w->create_wait, path, cw)) {
			free(cw);
			return 0;
		}
	}
	delay = backoff_delay(&CREATE_WAIT, ++cw->failures, &w->rng);
	cw->until = mono_now() + (int64_t)delay;
	return (int64_t)delay;
}

static void create_done(struct worker *w, const char *path)
{
	free(strmap_del(&w->create_wait, path));
}

/* Writes detector rows v[0..n) of one store (in time order) with one update
 * call; a failure costs points of a graph, logged at most once a minute. */
static void write_rows(struct worker *w, struct fig_row **v, size_t n, struct counts *c)
{
	char path[4200], why[512] = "";
	const char **argv = calloc(n, sizeof *argv);
	char *lines = malloc(n * RRDDETECT_LINE_MAX);
	int64_t last;
	int argc = 0;

	if (!argv || !lines) {
		snprintf(why, sizeof why, "out of memory");
		goto fail;
	}
	if (rrddetect_path(w->rs->data_dir, v[0]->agent, v[0]->store, path, sizeof path)) {
		snprintf(why, sizeof why, "path too long");
		goto fail;
	}
	if (ensure_dir(w, "detect", v[0]->agent, why, sizeof why))
		goto fail;
	errno = 0;
	rrd_clear_error();
	last = rrdlast_get(&w->last_update, path);
	if (last < 0) {
		snprintf(why, sizeof why, "%s",
			 rrd_test_error() ? rrd_get_error() : strerror(errno ? errno : EIO));
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i]->t <= last) {
			c->skipped++;
			continue;
		}
		if (last == 0 && argc == 0) {
			int64_t wait = create_waits(w, path);

			if (wait) {
				snprintf(why, sizeof why, "the file could not be created; next try "
					 "in %" PRId64 " s", wait);
				goto fail;
			}
			if (create_file(w->rs, ROWS_FIGURES, path, v[i]->step ? v[i]->step : 60,
					v[i]->t - 1, why, sizeof why)) {
				size_t l = strlen(why);

				wait = create_failed(w, path);
				c->create_failed++;
				snprintf(why + l, sizeof why - l, "; next try in %" PRId64 " s", wait);
				goto fail;
			}
			create_done(w, path);
		}
		argv[argc] = lines + (size_t)argc * RRDDETECT_LINE_MAX;
		rrddetect_format_update(v[i]->t, &v[i]->fig, lines + (size_t)argc * RRDDETECT_LINE_MAX,
					RRDDETECT_LINE_MAX);
		argc++;
		last = v[i]->t;
	}
	if (!argc)
		goto out;
	if (update_file(w, path, argc, argv, NULL)) {
		rrdlast_forget(&w->last_update, path); /* re-read its time next time */
		snprintf(why, sizeof why, "%s", rrd_get_error());
		goto fail;
	}
	rrdlast_set(&w->last_update, path, last);
	c->written += (uint64_t)argc;
	goto out;
fail:
	c->failed += argc ? (uint64_t)argc : n;
	log_ratelimited(&w->rs->fail_rl, LOG_ERR,
			"rrdstore: cannot write the detector RRD of '%s/%s': %s (graphs miss "
			"these points; samples are not affected)",
			v[0]->agent, v[0]->store, *why ? why : "unknown error");
out:
	free(argv);
	free(lines);
}

/*
 * Holding.  A quiet store's row is all zeros (nothing removed) or unknowns,
 * and one rrd update call per row per store costs as much as the sample's
 * own RRD write: half the collector's write work for rows nobody looks at
 * until later.  So the worker holds a store's quiet rows and writes them
 * together, in one call, after RRDSTORE_HOLD_S seconds or RRDSTORE_HOLD_ROWS
 * rows; a row with anything in it (rrddetect_row_matters()) is written at
 * once with the rows held before it.  Every row still reaches the file, in
 * order, so the file is the same as with one call per row; a graph of a
 * quiet store lags by at most RRDSTORE_HOLD_S, and a crash loses at most that
 * much of quiet rows (a gap, drawn as unknown).
 */
static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Appends r to its store's held rows; returns the store's entry (NULL if out
 * of memory: r is then written alone, at once). */
static struct held *hold(struct worker *w, struct fig_row *r, int64_t now)
{
	struct store_key key;
	struct held *h;

	h = strmap_get(&w->held, store_key(&key, r->agent, r->store));
	if (!h) {
		h = calloc(1, sizeof *h);
		if (!h || strmap_put(&w->held, key.s, h)) {
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
	w->nheld++;
	return h;
}

/* Writes a store's held rows with one update call and frees them; returns
 * how many there were. */
static size_t write_held(struct worker *w, struct held *h, struct counts *c)
{
	struct fig_row **v = malloc(h->n * sizeof *v);
	struct fig_row *r = h->head;
	size_t n = h->n, i = 0;

	if (v) {
		for (; r; r = r->next)
			v[i++] = r;
		write_rows(w, v, n, c);
		free(v);
	} else {
		c->failed += n;
		log_ratelimited(&w->rs->fail_rl, LOG_ERR,
				"rrdstore: out of memory: %zu detector rows not written", n);
	}
	while (h->head) {
		r = h->head->next;
		free(h->head);
		h->head = r;
	}
	h->tail = NULL;
	h->n = 0;
	h->due = false;
	w->nheld -= n;
	return n;
}

/* Holds every row of list and writes the stores that are due: those with a
 * row that matters or enough rows now, and, on a sweep (every few seconds,
 * or all of them when flushing or stopping), those held long enough.
 * Returns the number of rows that left the worker (written, skipped or
 * failed). */
static size_t take_rows(struct worker *w, struct fig_row *list, bool write_all,
			struct counts *c)
{
	struct held **due = NULL;
	size_t ndue = 0, cap = 0, done = 0;
	int64_t now = mono_now();
	const char *k;
	void *v;

	while (list) {
		struct fig_row *r = list;
		struct held *h;

		list = r->next;
		h = hold(w, r, now);
		if (!h) {
			write_rows(w, &r, 1, c);
			free(r);
			done++;
			continue;
		}
		if (h->due || (!rrddetect_row_matters(&r->fig) && h->n < RRDSTORE_HOLD_ROWS))
			continue;
		if (ndue == cap) {
			struct held **bigger = realloc(due, (cap ? cap * 2 : 64) * sizeof *due);
			if (!bigger) {
				done += write_held(w, h, c);
				continue;
			}
			due = bigger;
			cap = cap ? cap * 2 : 64;
		}
		h->due = true;
		due[ndue++] = h;
	}
	for (size_t i = 0; i < ndue; i++)
		done += write_held(w, due[i], c);
	free(due);
	if (write_all || now - w->last_sweep >= RRDSTORE_SWEEP_S) {
		w->last_sweep = now;
		for (size_t i = 0; strmap_next(&w->held, &i, &k, &v);) {
			struct held *h = v;
			if (h->n && (write_all || now - h->since >= RRDSTORE_HOLD_S))
				done += write_held(w, h, c);
		}
	}
	return done;
}

/* ---- the workers ------------------------------------------------------ */

/*
 * One turn of a sample writer, with w->mu held on entry and released on
 * return: takes everything queued (up to RRDSTORE_GROUP_MAX batches) at
 * once, so that under load the batches of one agent that piled up while the
 * thread was writing are merged into one write per file, writes them and
 * hands them back.  false once stopping and drained.
 */
static bool samples_turn(struct worker *w)
{
	struct rrd_batch *v[RRDSTORE_GROUP_MAX];
	size_t n = 0;

	while (!w->head && !w->stop)
		pthread_cond_wait(&w->cv, &w->mu);
	while (w->head && n < RRDSTORE_GROUP_MAX) {
		v[n++] = w->head;
		w->head = w->head->next;
	}
	if (!w->head)
		w->tail = NULL;
	pthread_mutex_unlock(&w->mu);
	if (!n)
		return false;
	write_batches(w, v, n);
	hand_back(w->rs, v, n);
	return true;
}

/*
 * One turn of the detector rows' worker, with w->mu held on entry and
 * released on return: waits for rows, a flush or the next sweep, takes the
 * whole queue, holds or writes it and counts.  *forced is the last flush
 * request served.  false once stopping, drained and nothing held.
 */
static bool figures_turn(struct worker *w, uint64_t *forced)
{
	struct rrdstore *rs = w->rs;
	struct counts c = { 0, 0, 0, 0 };
	struct timespec until;
	struct fig_row *list;
	bool write_all, stopping;
	size_t done;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += RRDSTORE_SWEEP_S;
	while (!w->rhead && !w->stop && w->force == *forced &&
	       pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT)
		;
	list = w->rhead;
	w->rhead = w->rtail = NULL;
	w->nrows = 0;
	stopping = w->stop;
	write_all = stopping || w->force != *forced;
	*forced = w->force;
	pthread_mutex_unlock(&w->mu);
	done = take_rows(w, list, write_all, &c);
	pthread_mutex_lock(&w->mu);
	rs->stats.rows_written += c.written;
	rs->stats.rows_skipped += c.skipped;
	rs->stats.rows_failed += c.failed;
	rs->stats.rows_create_failed += c.create_failed;
	rs->stats.rows_held = w->nheld;
	rs->stats.rows_turns++;
	w->rows_completed += done;
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->mu);
	return !(stopping && !list); /* when stopping, write_all left nothing held */
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t forced = 0;
	bool more = true;

	if (w->kind == ROWS_FIGURES) {
		w->last_sweep = mono_now();
		/* Lowest CPU priority for this thread only (Linux nice is per
		 * thread): detector rows are for graphs, samples are what agents
		 * wait for (rrdstore.h, "Detector rows"). */
		if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RRDSTORE_FIGURES_NICE))
			log_info("rrdstore: cannot lower the detector rows' writer's priority: %s",
				 strerror(errno));
	}
	while (more) {
		pthread_mutex_lock(&w->mu);
		more = w->kind == ROWS_SAMPLES ? samples_turn(w) : figures_turn(w, &forced);
	}
	return NULL;
}

/* ---- the loop thread's side ------------------------------------------- */

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
		b->done(b, b->done_ctx);
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

void rrdstore_submit(struct rrdstore *rs, struct rrd_batch *b, rrdstore_done_fn done, void *ctx)
{
	struct worker *w = &rs->workers[agent_hash(b->agent) % rs->nworkers];

	b->next = NULL;
	b->done = done;
	b->done_ctx = ctx;
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

int rrdstore_submit_figures(struct rrdstore *rs, const char *agent, const char *store,
			    uint32_t step, int64_t t, const struct detect_figures *fig)
{
	struct worker *w = rs->figures;
	struct fig_row *r;
	uint64_t dropped;

	pthread_mutex_lock(&w->mu);
	if (w->nrows >= RRDSTORE_FIGURES_QUEUE_MAX) {
		dropped = ++rs->stats.rows_dropped;
		pthread_mutex_unlock(&w->mu);
		log_ratelimited(&rs->drop_rl, LOG_WARNING,
				"rrdstore: the detector rows' writer is behind: row of '%s/%s' "
				"dropped (%" PRIu64 " so far; graphs miss these points)",
				agent, store, dropped);
		return -ENOBUFS;
	}
	pthread_mutex_unlock(&w->mu);
	r = malloc(sizeof *r);
	if (!r)
		return -ENOMEM;
	r->next = NULL;
	snprintf(r->agent, sizeof r->agent, "%s", agent);
	snprintf(r->store, sizeof r->store, "%s", store);
	r->step = step;
	r->t = t;
	r->fig = *fig;
	pthread_mutex_lock(&w->mu);
	if (w->rtail)
		w->rtail->next = r;
	else
		w->rhead = r;
	w->rtail = r;
	w->nrows++;
	w->rows_submitted++;
	rs->stats.rows_queued++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void rrdstore_flush_figures(struct rrdstore *rs)
{
	struct worker *w = rs->figures;

	pthread_mutex_lock(&w->mu);
	w->force++; /* held rows too */
	pthread_cond_signal(&w->cv);
	for (uint64_t target = w->rows_submitted; w->rows_completed < target;)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void rrdstore_get_stats(struct rrdstore *rs, struct rrdstore_stats *out)
{
	pthread_mutex_lock(&rs->figures->mu);
	*out = rs->stats;
	pthread_mutex_unlock(&rs->figures->mu);
	out->batches_queued = rs->pending;
}

static void worker_init(struct worker *w, struct rrdstore *rs, enum row_kind kind)
{
	pthread_condattr_t ca;

	w->rs = rs;
	w->kind = kind;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->idle, NULL);
	rrdlast_init(&w->last_update);
	strmap_init(&w->agent_dirs);
	strmap_init(&w->failed_epoch);
	strmap_init(&w->held);
	strmap_init(&w->create_wait);
	backoff_rng_seed(&w->rng, (uint64_t)(uintptr_t)w ^ (uint64_t)time(NULL));
}

/* Stops w's thread once it has written everything it was given, and frees
 * what the worker holds. */
static void worker_stop(struct worker *w)
{
	const char *k;
	void *v;

	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	rrdlast_release(&w->last_update);
	strmap_release(&w->agent_dirs);
	strmap_release(&w->failed_epoch);
	for (size_t i = 0; strmap_next(&w->held, &i, &k, &v);)
		free(v); /* empty: stopping wrote every held row */
	strmap_release(&w->held);
	for (size_t i = 0; strmap_next(&w->create_wait, &i, &k, &v);)
		free(v);
	strmap_release(&w->create_wait);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->idle);
}

static void free_async(uv_handle_t *h)
{
	free(h->data);
}

int rrdstore_start(struct rrdstore **out, uv_loop_t *loop, const struct rrdstore_config *cfg)
{
	struct rrdstore *rs = calloc(1, sizeof *rs);
	const char *daemon = cfg->daemon ? cfg->daemon : "";
	char path[4200];
	int n, err = 0;

	if (!rs)
		return -ENOMEM;
	n = snprintf(rs->data_dir, sizeof rs->data_dir, "%s", cfg->data_dir);
	if (n < 0 || (size_t)n >= sizeof rs->data_dir - 200) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	n = snprintf(rs->daemon, sizeof rs->daemon, "%s", daemon);
	if (n < 0 || (size_t)n >= sizeof rs->daemon) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	snprintf(path, sizeof path, "%s/rrd", cfg->data_dir);
	if (mkdir(path, 0750) && errno != EEXIST) {
		err = -errno;
		goto fail;
	}
	rs->loop = loop;
	rs->sync = cfg->sync;
	rs->keep_free = cfg->keep_free ? cfg->keep_free : RRDSPACE_KEEP_FREE;
	rs->drop_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 1);
	rs->fail_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 1);
	rs->nworkers = cfg->threads ? cfg->threads : 1;
	rs->workers = calloc(rs->nworkers + 1, sizeof *rs->workers);
	if (!rs->workers) {
		err = -ENOMEM;
		goto fail;
	}
	rs->figures = &rs->workers[rs->nworkers];
	pthread_mutex_init(&rs->done_mu, NULL);
	uv_async_init(loop, &rs->async, drain_done);
	rs->async.data = rs;
	for (unsigned i = 0; i <= rs->nworkers; i++)
		worker_init(&rs->workers[i], rs, i < rs->nworkers ? ROWS_SAMPLES : ROWS_FIGURES);
	for (unsigned i = 0; i <= rs->nworkers && !err; i++) {
		struct worker *w = &rs->workers[i];

		err = -pthread_create(&w->thread, NULL, worker_main, w);
		w->started = !err;
	}
	if (err) {
		for (unsigned i = 0; i <= rs->nworkers; i++)
			worker_stop(&rs->workers[i]);
		free(rs->workers);
		pthread_mutex_destroy(&rs->done_mu);
		uv_close((uv_handle_t *)&rs->async, free_async);
		return err;
	}
	*out = rs;
	return 0;
fail:
	free(rs);
	return err;
}

void rrdstore_stop(struct rrdstore *rs)
{
	if (!rs)
		return;
	/* samples first: their hand-back runs the detector, which queues rows */
	for (unsigned i = 0; i < rs->nworkers; i++)
		worker_stop(&rs->workers[i]);
	drain_done(&rs->async);
	worker_stop(rs->figures);
	if (rs->stats.rows_dropped || rs->stats.rows_failed)
		log_notice("rrdstore: %" PRIu64 " detector rows written, %" PRIu64 " dropped (writer "
			   "behind), %" PRIu64 " failed since start; graphs miss those points",
			   rs->stats.rows_written, rs->stats.rows_dropped, rs->stats.rows_failed);
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
