/*
 * main.c - shrinkwatch-agent: sample every configured store on an interval
 * and ship the samples to the collector.
 *
 * The loop thread owns the shippers (one per collector) and the timers.  A
 * scan round (every store, one after the other) runs on the libuv work queue
 * because a tree walk blocks for as long as the tree takes; while a round
 * runs, only that thread touches the agent state (sequence numbers, scan
 * times).  It appends the round's samples to the on-disk spool before it
 * saves the state, so a crash at any point loses no seq that was handed out;
 * the loop thread then kicks the shippers in round_done().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "delwatch_run.h"
#include "objstore_set.h"
#include "accounts.h"
#include "hashes_config.h"
#include "scan.h"
#include "scan_cache.h"
#include "ship.h"
#include "spool.h"
#include "spool_outage.h"
#include "shrinkwatch/daemon.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/sdnotify.h"
#include "shrinkwatch/version.h"
#include "state.h"
#include "shrinkwatch/banned.h"

struct agent {
	uv_loop_t *loop;
	const char *config_path;
	struct agent_config cfg;
	struct agent_state state;
	struct spool spool;
	struct tls_ctx *tls; /* NULL with insecure = yes */
	struct shipper shippers[AGENT_MAX_COLLECTORS];
	size_t nshippers;
	uv_timer_t tick;
	struct daemon_signals signals;
	uv_work_t round;
	int round_running;
	int stopping;
	uint64_t seq_floor; /* the collector has stored up to here */
	struct delqueue delq;      /* deletion reports until acknowledged */
	struct delwatch_run *dwr;  /* fanotify deletion watch (delwatch_run.h) */
	struct objstore_set *objstores; /* S3 and Azure listings (objstore_set.h) */
	struct accounts *acc;      /* manifests and removal journal, or NULL */
	struct hashes *hashes;     /* content hashes of hash_contents stores, or NULL */

	/* per store (parallel to cfg.stores): the incremental scan cache, or
	 * NULL when every scan is full */
	struct scan_cache **caches;

	/* one round's results, written by the work thread */
	struct sw_sample *results;
	size_t nresults;
	int state_save_err;
	int state_save_failing; /* the last save failed (logged once) */
	int spool_err;
	uint64_t round_ms;
	struct spool_outage outage; /* rounds the spool could not take (spool_outage.h) */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: shrinkwatch-agent [-c FILE] [-n | --once] [-v]\n"
		"Samples evidence stores and ships the samples to a shrinkwatch collector.\n\n"
		"  -c, --config FILE    configuration file (default %s)\n"
		"  -n, --check-config   validate the configuration and exit\n"
		"      --once           scan every store once, print one JSON object per\n"
		"                       store on stdout, and exit (sends nothing)\n"
		"  -v, --verbose        log debug messages\n"
		"  -h, --help           show this help\n"
		"  -V, --version        show the version\n\n"
		"See shrinkwatch-agent(8) and shrinkwatch-agent.conf(5).\n",
		AGENT_DEFAULT_CONFIG);
}

static void scan_options_for(const struct agent_state_store *prev, struct scan_options *opt)
{
	memset(opt, 0, sizeof *opt);
	/* The clock the kernel stamps files with (a tick coarse): a file made
	 * just after this start is then never stamped before it, so it is the
	 * next scan's addition, not a file this scan may miss and the next
	 * one counts without having "added" it. */
	clock_gettime(CLOCK_REALTIME_COARSE, &opt->start);
	if (prev)
		opt->prev_start = prev->last_start;
}

/* --once: scan, print, exit.  Uses the saved scan times for added_* but
 * writes nothing. */
static int run_once(struct agent_config *cfg)
{
	struct agent_state st;
	struct buf out;
	int rc = 0, err;

	err = agent_state_load(cfg->state_dir, &st);
	if (err == -EBADMSG) {
		log_warn("agent: state in '%s' is malformed; added_* left out", cfg->state_dir);
		memset(&st, 0, sizeof st);
	} else if (err && err != -EACCES) {
		memset(&st, 0, sizeof st);
	}
	buf_init(&out, 1 << 20);
	for (size_t i = 0; i < cfg->nstores; i++) {
		struct sw_sample s;
		struct scan_options opt;
		struct agent_state_store *prev = NULL;

		for (unsigned j = 0; j < st.nstores; j++)
			if (!strcmp(st.stores[j].name, cfg->stores[i].name))
				prev = &st.stores[j];
		memset(&s, 0, sizeof s);
		snprintf(s.store, sizeof s.store, "%s", cfg->stores[i].name);
		scan_options_for(prev, &opt);
		if (cfg->stores[i].type != AGENT_STORE_DIR) {
			err = objstore_set_list_once(&cfg->stores[i],
						     prev ? (int64_t)prev->last_start.tv_sec : 0, &s);
			s.time = (int64_t)opt.start.tv_sec;
		} else {
			err = scan_store(cfg->stores[i].path, &opt, &s);
		}
		if (err) {
			log_err("scan: store '%s' at '%s': %s", s.store,
				cfg->stores[i].type == AGENT_STORE_DIR ? cfg->stores[i].path
								       : cfg->stores[i].os.endpoint,
				strerror(-err));
			rc = 1;
			continue;
		}
		out.len = 0;
		if (sample_to_json(&out, cfg->name, &s) == 0) {
			fwrite(out.data, 1, out.len, stdout);
			fputc('\n', stdout);
		}
	}
	buf_release(&out);
	return rc;
}

static void round_work(uv_work_t *req)
{
	struct agent *a = req->data;
	struct timespec t0, t1;
	/* each sample's scan start and its store's entry: a store's "previous
	 * scan" moves only once its sample is in the spool */
	struct timespec *starts = calloc(a->cfg.nstores ? a->cfg.nstores : 1, sizeof *starts);
	struct agent_state_store **prevs = calloc(a->cfg.nstores ? a->cfg.nstores : 1,
						  sizeof *prevs);
	uint64_t seq0 = a->state.seq;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	a->nresults = 0;
	a->spool_err = 0;
	if (!starts || !prevs) {
		a->spool_err = -ENOMEM;
		spool_outage_failed(&a->outage, seq0 + 1, 0, a->spool_err);
		goto out;
	}
	for (size_t i = 0; i < a->cfg.nstores && !a->stopping; i++) {
		const struct agent_store_config *sc = &a->cfg.stores[i];
		struct agent_state_store *prev = agent_state_store(&a->state, sc->name);
		struct sw_sample *s = &a->results[a->nresults];
		struct scan_options opt;
		int err;

		memset(s, 0, sizeof *s);
		snprintf(s->store, sizeof s->store, "%s", sc->name);
		scan_options_for(prev, &opt);
		opt.cache = a->caches[i];
		err = objstore_set_sample(a->objstores, i, s, prev);
		if (err == 0)
			continue; /* an object store not listed yet: nothing to say */
		if (err < 0) {
			if (a->acc)
				accounts_prepare(a->acc, sc->name, &opt);
			err = scan_store(sc->path, &opt, s);
			if (a->acc)
				accounts_settle(a->acc, &opt, s);
		} else {
			err = 0;
		}
		if (err) {
			log_err("scan: store '%s' at '%s': %s", sc->name, sc->path, strerror(-err));
			continue;
		}
		/* the nearest second: the boundary the scan was scheduled for */
		s->time = scan_second(&opt.start);
		s->seq = ++a->state.seq;
		starts[a->nresults] = opt.start;
		/* an object store's listing keeps its own times (objstore_set.h) */
		prevs[a->nresults] = sc->type == AGENT_STORE_DIR ? prev : NULL;
		a->nresults++;
	}
	/* The samples are in the spool before the state (seq, scan times) is
	 * saved, and both before any sample leaves: a restart takes the higher
	 * of the two seqs, so it never reuses a seq it delivered. */
	a->spool_err = spool_append(&a->spool, a->results, a->nresults);
	if (a->spool_err) {
		/* Not recorded: the scan times stay at the last recorded round,
		 * so the next sample's added_* covers everything created since
		 * (a loss during the outage cannot net out against new files),
		 * and the collector sees the seqs of the outage's first round
		 * missing (spool_outage.h). */
		a->state.seq = seq0 + spool_outage_failed(&a->outage, seq0 + 1, a->nresults,
							   a->spool_err);
		a->nresults = 0;
	} else {
		for (size_t i = 0; i < a->nresults; i++)
			if (prevs[i])
				prevs[i]->last_start = starts[i];
		spool_outage_recorded(&a->outage);
	}
	a->state_save_err = agent_state_save(a->cfg.state_dir, &a->state);
out:
	free(starts);
	free(prevs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	a->round_ms = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
}

static void round_done(uv_work_t *req, int status)
{
	struct agent *a = req->data;
	char status_text[PATH_MAX + 256];

	a->round_running = 0;
	if (status == UV_ECANCELED)
		return;
	spool_outage_log(&a->outage, a->cfg.state_dir, a->spool_err);
	if (a->state_save_err && !a->state_save_failing && !a->outage.active)
		/* the spool holds the seqs, so nothing is reused after a crash;
		 * only the scan times may be older than they should.  Said
		 * once until a save succeeds (while the spool is not writable
		 * either, report_outage() speaks). */
		log_err("agent: cannot save state in '%s': %s (the spool keeps the seqs; "
			"said once until it can)", a->cfg.state_dir, strerror(-a->state_save_err));
	else if (!a->state_save_err && a->state_save_failing)
		log_info("agent: state in '%s' saved again", a->cfg.state_dir);
	a->state_save_failing = a->state_save_err != 0;
	for (size_t i = 0; i < a->nresults; i++) {
		const struct sw_sample *s = &a->results[i];
		if (s->status != SW_SCAN_COMPLETE)
			log_warn("scan: store '%s': %s scan, %u errors, first: %s", s->store,
				 sample_status_name(s->status), s->error_count, s->first_error);
		else
			log_debug("scan: store '%s': %llu objects, %llu bytes, +%llu objects in "
				  "%u ms", s->store, (unsigned long long)s->objects,
				  (unsigned long long)s->bytes, (unsigned long long)s->added_objects,
				  s->scan_ms);
	}
	if (spool_outage_status(&a->outage, a->cfg.state_dir, status_text, sizeof status_text)) {
		sdnotify_status("%s", status_text);
	} else {
		char os[160];

		objstore_set_status(a->objstores, os, sizeof os);
		sdnotify_status("scanned %zu stores in %llu ms; %llu samples waiting; collector %s"
				"; %llu rounds not recorded since start%s%s",
				a->nresults, (unsigned long long)a->round_ms,
				(unsigned long long)spool_pending(&a->spool, 0),
				a->shippers[0].connected ? "connected" : "not connected",
				(unsigned long long)a->outage.total_rounds, os[0] ? "; " : "", os);
	}
	if (a->round_ms > (uint64_t)a->cfg.interval * 1000)
		log_warn("agent: a scan round took %llu ms, longer than the %u s interval",
			 (unsigned long long)a->round_ms, a->cfg.interval);
	for (size_t i = 0; i < a->nshippers; i++)
		shipper_kick(&a->shippers[i]);
	if (a->stopping)
		uv_stop(a->loop);
}

/* Milliseconds until the next wall-clock multiple of the interval.  Scans
 * start on those boundaries so each sample's time (whole seconds) is a step
 * boundary of its RRD file, where RRD stores the value as is instead of
 * interpolating between two samples. */
static uint64_t ms_to_boundary(uint32_t interval)
{
	struct timespec now;
	uint64_t now_ms, period = (uint64_t)interval * 1000;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	return period - now_ms % period;
}

static void tick(uv_timer_t *t);

static void arm_tick(struct agent *a)
{
	uint64_t ms = ms_to_boundary(a->cfg.interval);

	/* a timer that fired a hair early sits just before its boundary: the
	 * next scan is one interval later, not in a few milliseconds */
	if (ms < 100)
		ms += (uint64_t)a->cfg.interval * 1000;
	uv_timer_start(&a->tick, tick, ms, 0);
}

static void tick(uv_timer_t *t)
{
	struct agent *a = t->data;

	arm_tick(a);
	if (a->round_running) {
		log_warn("agent: previous scan round still running; skipping this interval");
		return;
	}
	/* ship.c believes no floor above SHIP_SEQ_TRUST_MAX: seqs never wrap */
	if (a->seq_floor > a->state.seq && a->seq_floor <= SHIP_SEQ_TRUST_MAX) {
		log_warn("agent: collector has stored seq %llu, above our %llu (state_dir reset?); "
			 "continuing above it", (unsigned long long)a->seq_floor,
			 (unsigned long long)a->state.seq);
		a->state.seq = a->seq_floor;
	}
	/* the deletion watch lost events: those stores' next scans are full */
	for (size_t i = 0; i < a->cfg.nstores; i++)
		if (delwatch_run_take_rescan(a->dwr, a->cfg.stores[i].name) && a->caches[i])
			scan_cache_reset(a->caches[i]);
	/* object store listings run on the loop; the round takes their latest */
	objstore_set_tick(a->objstores, &a->state);
	a->round.data = a;
	if (uv_queue_work(a->loop, &a->round, round_work, round_done) == 0)
		a->round_running = 1;
}

static void collector_seq(void *ctx, uint64_t seq)
{
	struct agent *a = ctx;

	if (seq > a->seq_floor)
		a->seq_floor = seq;
}

static void kick_shippers(void *ctx)
{
	struct agent *a = ctx;

	if (a->acc)
		accounts_note_deletions(a->acc, &a->delq);
	for (size_t i = 0; i < a->nshippers; i++)
		shipper_kick(&a->shippers[i]);
}

static void on_stop(void *data)
{
	struct agent *a = data;

	a->stopping = 1;
	uv_timer_stop(&a->tick);
	if (!a->round_running)
		uv_stop(a->loop);
	/* else round_done() stops the loop once the walk in progress ends */
}

/* Caches for cfg's stores: kept from old (by name and path) where possible,
 * new otherwise; old's leftovers are freed.  old may be NULL. */
static struct scan_cache **caches_for(const struct agent_config *cfg,
				      const struct agent_config *oldcfg,
				      struct scan_cache **old)
{
	struct scan_cache **c = calloc(cfg->nstores ? cfg->nstores : 1, sizeof *c);
	unsigned hot = cfg->interval * 2 > 600 ? cfg->interval * 2 : 600;

	if (!c)
		return NULL;
	for (size_t i = 0; i < cfg->nstores && cfg->full_scan_interval; i++) {
		for (size_t j = 0; old && j < oldcfg->nstores; j++)
			if (old[j] && !strcmp(oldcfg->stores[j].name, cfg->stores[i].name) &&
			    !strcmp(oldcfg->stores[j].path, cfg->stores[i].path)) {
				c[i] = old[j];
				old[j] = NULL;
			}
		if (!c[i])
			c[i] = scan_cache_new(cfg->full_scan_interval, hot);
		/* without a cache the scan is simply full: slower, never wrong */
	}
	for (size_t j = 0; old && j < oldcfg->nstores; j++)
		scan_cache_free(old[j]);
	free(old);
	return c;
}

/* SIGHUP: re-read the config.  Store list and interval take effect at the
 * next round; a changed identity or collector needs a restart.  The status
 * goes with the READY=1 that daemon_signals_start() sends after it. */
static void on_hup(void *data, char *status, size_t len)
{
	struct agent *a = data;
	struct agent_config fresh;
	char err[1024];

	if (agent_config_load(a->config_path, &fresh, err, sizeof err)) {
		log_err("agent: reload failed, keeping the running config: %s", err);
		goto out;
	}
	if (strcmp(fresh.name, a->cfg.name) || fresh.ncollectors != a->cfg.ncollectors ||
	    memcmp(fresh.collectors, a->cfg.collectors, sizeof fresh.collectors) ||
	    memcmp(&fresh.tls, &a->cfg.tls, sizeof fresh.tls) ||
	    strcmp(fresh.state_dir, a->cfg.state_dir) || fresh.spool_max != a->cfg.spool_max ||
	    fresh.spool_fsync != a->cfg.spool_fsync) {
		log_warn("agent: reload: name, collector, TLS, spool and state_dir changes need a "
			 "restart; keeping the running config");
		agent_config_release(&fresh);
		goto out;
	}
	if (a->round_running) {
		log_warn("agent: reload: a scan round is running; send SIGHUP again after it");
		agent_config_release(&fresh);
		goto out;
	}
	struct sw_sample *r = realloc(a->results, (fresh.nstores ? fresh.nstores : 1) * sizeof *r);
	if (r && objstore_set_update(a->objstores, &fresh)) {
		a->results = r;
		r = NULL;
	}
	struct scan_cache **caches = r ? caches_for(&fresh, &a->cfg, a->caches) : NULL;
	if (!r || !caches) {
		log_err("agent: reload: out of memory");
		if (r)
			a->results = r;
		agent_config_release(&fresh);
		goto out;
	}
	a->results = r;
	a->caches = caches;
	agent_config_release(&a->cfg);
	a->cfg = fresh;
	{
		char why[1024];

		/* the deletion watch follows the new store list */
		delwatch_run_stop(a->dwr);
		if (delwatch_run_start(&a->dwr, a->loop, &a->cfg, &a->delq, kick_shippers, a, why,
				       sizeof why))
			log_err("agent: reload: %s; no deletions are watched until the next reload", why);
	}
	arm_tick(a);
	log_info("agent: configuration reloaded: %zu stores, interval %u s", a->cfg.nstores,
		 a->cfg.interval);
out:
	snprintf(status, len, "running; %zu stores", a->cfg.nstores);
}

static int run_daemon(void *data, uv_loop_t *loop)
{
	struct agent *a = data;
	struct sw_hello hello;
	int err;

	a->loop = loop;
	err = daemon_ensure_dir(a->cfg.state_dir, W_OK);
	if (err)
		fatal("agent: state_dir '%s' is not usable: %s", a->cfg.state_dir, strerror(-err));
	err = agent_state_load(a->cfg.state_dir, &a->state);
	if (err)
		fatal("agent: cannot read state in '%s': %s (refusing to start: sequence numbers "
		      "must never be reused; move the file away to start afresh)",
		      a->cfg.state_dir, strerror(-err));
	{
		char sdir[PATH_MAX + 8];

		snprintf(sdir, sizeof sdir, "%s/spool", a->cfg.state_dir);
		err = spool_open(&a->spool, sdir, a->cfg.spool_fsync, a->cfg.spool_max,
				 (unsigned)a->cfg.ncollectors);
		if (err)
			fatal("agent: cannot open the spool in '%s': %s", sdir, strerror(-err));
	}
	if (a->state.seq > SHIP_SEQ_TRUST_MAX) {
		/* an older agent believed a forged "stored up to 2^64-1" and
		 * saved it: start again from the spool, the last seq we made */
		log_err("agent: the saved seq %llu in '%s/agent.state' is beyond any this agent "
			"hands out (a forged acknowledgement raised it); continuing from the "
			"spool's seq %llu", (unsigned long long)a->state.seq, a->cfg.state_dir,
			(unsigned long long)spool_last_seq(&a->spool));
		a->state.seq = spool_last_seq(&a->spool);
	}
	if (spool_last_seq(&a->spool) > a->state.seq) {
		log_info("agent: the spool holds seq %llu, above the saved %llu; continuing above "
			 "it", (unsigned long long)spool_last_seq(&a->spool),
			 (unsigned long long)a->state.seq);
		a->state.seq = spool_last_seq(&a->spool);
	}
	if (!a->cfg.tls.insecure) {
		char why[1024];

		if (tls_ctx_new(&a->tls, &a->cfg.tls, false, why, sizeof why))
			fatal("agent: TLS: %s", why);
	}
	err = accounts_open(a->cfg.state_dir, a->cfg.removal_journal_keep,
			    a->cfg.removal_journal_max, a->cfg.inventory_depth, &a->acc);
	if (err)
		log_err("agent: no exact accounts (manifest, removal journal) in '%s': %s; "
			"samples carry totals only", a->cfg.state_dir, strerror(-err));
	if (a->acc && hashes_from_config(&a->cfg, &a->hashes) == 0 && a->hashes)
		accounts_set_hashes(a->acc, a->hashes);
	a->results = calloc(a->cfg.nstores, sizeof *a->results);
	a->caches = caches_for(&a->cfg, NULL, NULL);
	if (!a->results || !a->caches || objstore_set_new(a->loop, &a->cfg, &a->objstores))
		fatal("agent: out of memory");

	memset(&hello, 0, sizeof hello);
	snprintf(hello.agent, sizeof hello.agent, "%s", a->cfg.name);
	snprintf(hello.software, sizeof hello.software, "shrinkwatch-agent %s",
		 SHRINKWATCH_VERSION);
	uv_random(NULL, NULL, &hello.instance_id, sizeof hello.instance_id, 0, NULL);
	hello.interval = a->cfg.interval;

	a->nshippers = a->cfg.ncollectors;
	if (delqueue_init(&a->delq, DELQUEUE_DEFAULT_MAX, (unsigned)a->nshippers))
		fatal("agent: out of memory");
	{
		char jpath[PATH_MAX + 32];

		/* deletion reports survive a restart (deljournal.h) */
		snprintf(jpath, sizeof jpath, "%s/deletions.journal", a->cfg.state_dir);
		if (delqueue_persist(&a->delq, jpath))
			log_err("agent: deletion reports are kept in memory only: a restart loses "
				"those not yet delivered");
	}
	for (size_t i = 0; i < a->nshippers; i++) {
		struct shipper *sh = &a->shippers[i];

		shipper_init(sh, a->loop, a->cfg.collectors[i].host, a->cfg.collectors[i].port,
			     &hello, &a->spool, (unsigned)i, a->tls);
		sh->on_collector_seq = collector_seq;
		sh->ctx = a;
		sh->delq = &a->delq;
		sh->acc = a->acc;
	}
	{
		char why[1024];

		if (delwatch_run_start(&a->dwr, a->loop, &a->cfg, &a->delq, kick_shippers, a, why,
				       sizeof why))
			fatal("agent: %s", why);
	}

	uv_timer_init(a->loop, &a->tick);
	a->tick.data = a;
	daemon_signals_start(&a->signals, a->loop, "agent", on_stop, on_hup, a);

	log_info("agent: '%s' starting: %zu stores, every %u s, %zu collectors (first %s:%u), "
		 "%s, seq %llu, %llu samples spooled",
		 a->cfg.name, a->cfg.nstores, a->cfg.interval, a->cfg.ncollectors,
		 a->cfg.collector_host, a->cfg.collector_port,
		 a->tls ? "TLS" : "PLAINTEXT (insecure = yes)", (unsigned long long)a->state.seq,
		 (unsigned long long)spool_pending(&a->spool, 0));
	for (size_t i = 0; i < a->nshippers; i++)
		shipper_start(&a->shippers[i]);
	/* the first scan now (the operator wants to see it work), then on
	 * interval boundaries */
	uv_timer_start(&a->tick, tick, 0, 0);
	sdnotify_watchdog_start(a->loop);
	sdnotify_ready("running; %zu stores", a->cfg.nstores);

	uv_run(a->loop, UV_RUN_DEFAULT);

	/* Orderly shutdown: close every handle and let their callbacks run. */
	sdnotify_watchdog_stop();
	delwatch_run_stop(a->dwr);
	objstore_set_free(a->objstores);
	for (size_t i = 0; i < a->nshippers; i++)
		shipper_stop(&a->shippers[i]);
	daemon_close_loop(a->loop);
	delqueue_release(&a->delq);
	spool_close(&a->spool);
	accounts_close(a->acc);
	hashes_close(a->hashes);
	tls_ctx_free(a->tls);
	free(a->results);
	for (size_t i = 0; i < a->cfg.nstores; i++)
		scan_cache_free(a->caches[i]);
	free(a->caches);
	log_info("agent: stopped");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct daemon_program prog = {
		.name = "shrinkwatch-agent",
		.default_config = AGENT_DEFAULT_CONFIG,
		.has_once = true,
		.usage = usage,
	};
	struct daemon_args args;
	struct agent a;
	char err[1024];
	int rc = daemon_parse_args(&prog, argc, argv, &args);

	if (rc >= 0)
		return rc;
	memset(&a, 0, sizeof a);
	a.config_path = args.config_path;
	if (agent_config_load(a.config_path, &a.cfg, err, sizeof err)) {
		fprintf(stderr, "shrinkwatch-agent: %s\n", err);
		return 1;
	}
	if (!args.once && (agent_config_check_transport(&a.cfg, a.config_path, err, sizeof err) ||
			   agent_config_check_files(&a.cfg, a.config_path, err, sizeof err))) {
		fprintf(stderr, "shrinkwatch-agent: %s\n", err);
		agent_config_release(&a.cfg);
		return 1;
	}
	if (args.check_config) {
		printf("%s: configuration OK: agent '%s', %zu stores, collector %s:%u%s, %s\n",
		       a.config_path, a.cfg.name, a.cfg.nstores, a.cfg.collector_host,
		       a.cfg.collector_port, a.cfg.ncollectors > 1 ? " (and more)" : "",
		       a.cfg.tls.insecure ? "plaintext (insecure = yes)" : "TLS");
		agent_config_release(&a.cfg);
		return 0;
	}
	if (args.once) {
		rc = run_once(&a.cfg);
		agent_config_release(&a.cfg);
		return rc;
	}
	rc = daemon_run(run_daemon, &a);
	agent_config_release(&a.cfg);
	return rc;
}
