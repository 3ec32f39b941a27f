/*
 * main.c - shrinkwatch-collector: receive samples from agents, keep them in
 * RRD files, and watch them for unexplained drops.
 *
 * This file only wires the parts together and owns the process's life:
 * arguments, configuration, signals, systemd notifications and an orderly
 * shutdown (stop accepting, close sessions, let the RRD writers finish what
 * they hold, close every handle).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "collector/alerts/invrequest.h"
#include "collector/alerts/copies.h"
#include "collector/ledger/copyrel.h"
#include "collector/store/rrdcopies.h"
#include "collector/alerts/pipeline.h"
#include "collector/alerts/policy.h"
#include "collector/control/control.h"
#include "collector/net/admit.h"
#include "collector/store/board.h"
#include "collector/store/datalock.h"
#include "config.h"
#include "collector/net/delivery.h"
#include "collector/http/server.h"
#include "collector/net/ingest.h"
#include "collector/net/listen.h"
#include "collector/notify/notify.h"
#include "collector/store/registry.h"
#include "collector/store/rrdcached.h"
#include "collector/store/rrdstore.h"
#include "collector/net/session.h"
#include "shrinkwatch/daemon.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/sdnotify.h"
#include "shrinkwatch/version.h"
#include "shrinkwatch/banned.h"

#define STATUS_INTERVAL_MS 10000

struct collector {
	uv_loop_t *loop;
	const char *config_path;
	struct collector_config cfg;
	struct registry reg;
	struct board board;
	struct rrdstore *rrd; /* the RRD writer: samples and detector rows */
	struct ingest ingest;
	struct listener listener;
	struct alerting alerting; /* detector, alerts, ledger, outbox */
	struct control_config control_cfg;
	struct control control; /* the socket shrinkwatchctl talks to */
	struct delivery delivery; /* TLS, allow-list, connection limits */
	struct admit admit;       /* per-agent limits; samples agents lost */
	struct daemon_signals signals;
	uv_timer_t status_timer;
	uint64_t last_stored;
	/* dashboard, JSON API, /metrics (collector/http/server.h) */
	struct http_config http_cfg;
	struct http_server http;
	struct rrdcached_config rrdcached; /* [collector] rrdcached */
	struct invrequests inventories; /* loss inventories asked of agents */
	struct datalock lock; /* data_dir/collector.lock, held for the whole run */
	struct copies_config copies_cfg; /* [copy NAME] sections */
	struct copies copies;            /* copy relations checked continuously */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: shrinkwatch-collector [-c FILE] [-n] [-v]\n"
		"Receives samples from shrinkwatch agents, keeps them in RRD files and\n"
		"alerts on unexplained drops.\n\n"
		"  -c, --config FILE    configuration file (default %s)\n"
		"  -n, --check-config   validate the configuration and exit\n"
		"  -v, --verbose        log debug messages\n"
		"  -h, --help           show this help\n"
		"  -V, --version        show the version\n\n"
		"See shrinkwatch-collector(8) and shrinkwatch-collector.conf(5).\n",
		COLLECTOR_DEFAULT_CONFIG);
}

/*
 * Every module registers its own configuration hooks on cfg (which keys and
 * sections it owns is its own business); modules without a register function
 * get their one hook registered here.  Called for every load, so each module
 * starts from its defaults.
 */
static int register_config(struct collector *c, struct collector_config *cfg)
{
	int rc;

	rc = notify_config_register(cfg);
	if (!rc)
		rc = alerting_config_register(&c->alerting, cfg);
	if (!rc)
		rc = control_config_register(&c->control_cfg, cfg);
	/* http, dashboards, http_threads in [collector] (collector/http/server.h) */
	if (!rc)
		rc = http_config_register(&c->http_cfg, cfg);
	/* rrdcached: the address is handed to the RRD writer at start-up */
	if (!rc)
		rc = rrdcached_config_register(&c->rrdcached, cfg);
	/* delivery: tls_*, insecure, allow_agents, connection limits */
	if (!rc)
		rc = delivery_config_register(&c->delivery, cfg);
	/* [copy NAME]: copy relations (collector/alerts/copies_conf.h) */
	if (!rc) {
		const struct collector_config_hook copy_hook = { copies_config_key, &c->copies_cfg };

		copies_config_init(&c->copies_cfg);
		rc = collector_config_register(cfg, &copy_hook);
	}
	return rc;
}

static int load_config(struct collector *c, struct collector_config *cfg, char *err,
		       size_t errlen)
{
	int rc;

	collector_config_init(cfg);
	rc = register_config(c, cfg);
	if (rc) {
		snprintf(err, errlen, "%s: cannot register the modules' settings: %s",
			 c->config_path, strerror(-rc));
		return -1;
	}
	if (collector_config_read(c->config_path, cfg, err, errlen))
		return -1;
	return copies_config_finish(&c->copies_cfg, err, errlen);
}

/* What the modules' hooks kept of a configuration that will not run (it was
 * refused, or only checked with --check-config). */
static void forget_config(struct collector *c)
{
	delivery_release(&c->delivery);
	detect_config_release(&c->alerting.detect_cfg);
}

static void report_status(uv_timer_t *t)
{
	struct collector *c = t->data;
	const struct ingest_stats *st = &c->ingest.stats;
	double rate = (double)(st->samples_stored - c->last_stored) * 1000.0 / STATUS_INTERVAL_MS;

	c->last_stored = st->samples_stored;
	copies_tick(&c->copies, (int64_t)time(NULL));
	invrequest_expire(&c->inventories, (int64_t)time(NULL));
	sdnotify_status("%u agents connected, %zu known; %.1f samples/s stored; %zu batches "
			"queued",
			session_count(), c->reg.agents.count, rate, ingest_pending(&c->ingest));
}

static void on_stop(void *data)
{
	struct collector *c = data;

	uv_stop(c->loop);
}

/* SIGHUP (daemon_signals_start()): READY=1 "running" follows. */
static void on_hup(void *data, char *status, size_t len)
{
	struct collector *c = data;
	struct collector_config fresh;
	char err[1024];
	(void)status;
	(void)len;

	if (load_config(c, &fresh, err, sizeof err)) {
		log_err("collector: reload failed, keeping the running config: %s", err);
	} else {
		if (strcmp(fresh.listen_host, c->cfg.listen_host) ||
		    fresh.listen_port != c->cfg.listen_port ||
		    strcmp(fresh.data_dir, c->cfg.data_dir) ||
		    fresh.rrd_threads != c->cfg.rrd_threads || fresh.rrd_sync != c->cfg.rrd_sync)
			log_warn("collector: reload: listen, data_dir and rrd_* changes need a "
				 "restart");
		/* delivery: new certificates, CRL, allow-list and limits */
		if (delivery_reload(&c->delivery, err, sizeof err))
			log_err("collector: reload: keeping the running TLS settings and "
				"allow-list: %s", err);
		else
			session_reauthorize(); /* open sessions meet the new settings */
		c->cfg.max_connections = fresh.max_connections;
		listener_set_max_sessions(&c->listener, fresh.max_connections);
		/* version-3 agents hear their stores' retention again */
		ingest_policy_changed(&c->ingest);
		/* notifiers: the new set replaces the old one only if it starts */
		if (notify_start(c->loop, err, sizeof err))
			log_err("collector: reload: keeping the running notifiers: %s", err);
		log_info("collector: configuration reloaded");
	}
}

/* Every store known from disk appears on the board before any agent talks. */
static void seed_board(struct collector *c)
{
	const char *k, *sk;
	void *v, *sv;

	for (size_t i = 0; strmap_next(&c->reg.agents, &i, &k, &v);) {
		struct agent_rec *a = v;
		for (size_t j = 0; strmap_next(&a->stores, &j, &sk, &sv);) {
			struct store_rec *st = sv;
			board_seed(&c->board, a->name, st->name, &st->last, st->have_last,
				   a->interval);
		}
	}
}

/* ingest's hook for DELETIONS frames: into the pipeline's deletion reports. */
static int store_deletions(void *ctx, struct agent_rec *a, const struct sw_deletion *d, size_t n)
{
	return alerting_deletions(ctx, a->name, d, n, (int64_t)time(NULL));
}

/* Protocol version 3, between ingest and the pipeline: each store's
 * retention for POLICY, inventory requests out and their answers in. */
static size_t v3_policy(void *ctx, struct agent_rec *a, struct sw_policy *out, size_t max)
{
	struct collector *c = ctx;

	return policy_of_agent(&c->alerting.watch, a, out, max);
}

static void v3_inventory(void *ctx, struct agent_rec *a, const struct sw_inventory *hdr,
			 const struct sw_invitem *items, size_t n)
{
	struct collector *c = ctx;

	/* the detector's own questions (declared path prefixes) have their bit */
	if (hdr->req_id & PATHHOLD_REQ_BIT)
		pathhold_frame(&c->alerting.watch.hold, a->name, hdr, items, n,
			       (int64_t)time(NULL));
	else
		invrequest_frame(&c->inventories, a->name, hdr, items, n, (int64_t)time(NULL));
}

static void v3_gone(void *ctx, struct agent_rec *a)
{
	struct collector *c = ctx;

	invrequest_agent_gone(&c->inventories, a->name, (int64_t)time(NULL));
	pathhold_agent_gone(&c->alerting.watch.hold, a->name, (int64_t)time(NULL));
	copies_agent_gone(&c->copies, a->name, (int64_t)time(NULL));
}

/* Copy checking (collector/alerts/copies.h): DIGREQ out, DIGESTS in, and
 * every stored sample to see which comparisons are due. */
static int send_digreq(void *ud, const char *agent, const struct sw_digreq *rq)
{
	struct collector *c = ud;

	return ingest_digreq(&c->ingest, agent, rq);
}

static void copies_recorded(void *ud, const struct copyrel_rec *r)
{
	struct collector *c = ud;
	const uint64_t v[RRDCOPIES_NDS] = { r->src_files, r->dst_files, r->src_bytes,
					    r->dst_bytes, r->missing, r->differs };

	if (rrdcopies_submit(c->loop, c->cfg.data_dir, r->name, r->checked_at, v))
		log_warn("collector: copy '%s': its graph misses a point", r->name);
}

static void on_digests(void *ctx, struct agent_rec *a, const struct sw_digests *hdr,
		       const struct sw_digentry *entries, size_t n)
{
	struct collector *c = ctx;

	copies_on_digests(&c->copies, a->name, hdr, entries, n, (int64_t)time(NULL));
}

static void copies_observe(void *ctx, struct agent_rec *a, struct store_rec *st,
			   const struct sw_sample *s)
{
	struct collector *c = ctx;
	(void)s;

	copies_on_sample(&c->copies, a->name, st->name, a->interval, (int64_t)time(NULL));
}

static int v3_send_invreq(void *ud, const char *agent, const struct sw_invreq *rq)
{
	struct collector *c = ud;

	return ingest_invreq(&c->ingest, agent, rq);
}

/*
 * The control socket on the pipeline's parts.  One that cannot be created at
 * its default place (no /run/shrinkwatch outside the systemd unit) is a
 * warning, not a failure: detection and notification matter more than the
 * operator socket; an explicitly configured one that fails is fatal.
 */
/* admit's counters for the status command and /metrics (admit.h). */
static int agents_json(void *ud, struct buf *out)
{
	return admit_put_json(ud, out);
}

static int agents_metrics(void *ud, struct buf *out)
{
	return admit_put_metrics(ud, out);
}

static void start_control(struct collector *c)
{
	const struct control_deps deps = {
		.watch = &c->alerting.watch,
		.alerts = &c->alerting.alerts,
		.ledger = &c->alerting.ledger,
		.board = &c->board,
		.outbox = &c->alerting.outbox,
		.agents = agents_json,
		.agents_ud = &c->admit,
		.inventories = &c->inventories,
		.copies = &c->copies,
	};

	control_init(&c->control, &c->control_cfg, &deps);
	if (control_start(&c->control, c->loop) == 0)
		return;
	if (c->control_cfg.path_set)
		fatal("collector: cannot start the control socket (see above)");
	/* the default place is the systemd unit's RuntimeDirectory= */
	log_warn("collector: running without a control socket: shrinkwatchctl's operator "
		 "commands need 'control' in [collector] or a writable '%s'",
		 c->control_cfg.path);
}

/* The counters /metrics shows (http_stats_fn, collector/http/server.h), on the
 * loop thread: ingest's, the sessions' and the RRD writer's. */
static void read_http_stats(void *data, struct http_stats *out)
{
	struct collector *c = data;
	const struct ingest_stats *st = &c->ingest.stats;
	struct rrdstore_stats rs;

	memset(out, 0, sizeof *out);
	out->samples_received = st->samples_received;
	out->samples_stored = st->samples_stored;
	out->samples_duplicate = st->samples_duplicate;
	out->samples_dropped_old = st->samples_dropped_old;
	out->batches = st->batches;
	out->batches_failed = st->batches_failed;
	out->write_usec_total = st->write_usec_total;
	out->write_usec_max = st->write_usec_max;
	out->agents_connected = session_count();
	if (!c->rrd)
		return;
	rrdstore_get_stats(c->rrd, &rs);
	out->batches_queued = rs.batches_queued;
	out->detector_rows_written = rs.rows_written;
	out->detector_rows_dropped = rs.rows_dropped;
	out->detector_rows_failed = rs.rows_failed;
	out->detector_rows_held = rs.rows_held;
}

static int run(void *data, uv_loop_t *loop)
{
	struct collector *c = data;
	int err, stores;
	char err_text[1024];

	c->loop = loop;
	err = daemon_ensure_dir(c->cfg.data_dir, R_OK | W_OK | X_OK);
	if (err)
		fatal("collector: data_dir '%s' is not usable: %s", c->cfg.data_dir,
		      strerror(-err));
	/* before anything in data_dir or the control socket is touched */
	{
		pid_t holder;

		err = datalock_take(&c->lock, c->cfg.data_dir, &holder);
		if (err == -EWOULDBLOCK && holder)
			fatal("collector: data_dir '%s' is in use by another shrinkwatch-collector "
			      "(pid %ld): stop it first, or give this one its own data_dir",
			      c->cfg.data_dir, (long)holder);
		if (err == -EWOULDBLOCK)
			fatal("collector: data_dir '%s' is in use by another shrinkwatch-collector: "
			      "stop it first, or give this one its own data_dir", c->cfg.data_dir);
		if (err)
			fatal("collector: cannot lock '%s/%s': %s", c->cfg.data_dir, DATALOCK_NAME,
			      strerror(-err));
	}
	registry_init(&c->reg);
	stores = registry_load(&c->reg, c->cfg.data_dir);
	if (stores < 0)
		fatal("collector: cannot read '%s/rrd': %s", c->cfg.data_dir, strerror(-stores));
	if (board_init(&c->board))
		fatal("collector: out of memory");
	seed_board(c);
	{
		const struct rrdstore_config rc = {
			.data_dir = c->cfg.data_dir,
			.threads = c->cfg.rrd_threads,
			.sync = c->cfg.rrd_sync,
			.daemon = c->rrdcached.address,
		};

		err = rrdstore_start(&c->rrd, c->loop, &rc);
	}
	if (err)
		fatal("collector: cannot start the RRD writers in '%s': %s", c->cfg.data_dir,
		      strerror(-err));
	if (c->rrdcached.address[0])
		log_info("collector: RRD updates go through rrdcached at '%s'",
			 c->rrdcached.address);
	admit_init(&c->admit);
	err = ingest_init(&c->ingest, c->loop, &c->cfg, &c->reg, &c->board, c->rrd);
	if (err)
		fatal("collector: cannot start ingest: %s", strerror(-err));
	ingest_observe(&c->ingest, board_observe_sample, &c->board);
	if (alerting_start(&c->alerting, c->loop, &c->cfg, &c->reg, &c->board, c->rrd))
		fatal("collector: cannot start the alert pipeline (see above)");
	/* the pipeline hears of every stored sample and every deletion report */
	ingest_on_deletions(&c->ingest, store_deletions, &c->alerting);
	err = ingest_observe(&c->ingest, watch_observe, &c->alerting.watch);
	if (err)
		fatal("collector: cannot observe stored samples: %s", strerror(-err));
	{
		const struct invrequest_ops inv_ops = { .send = v3_send_invreq, .ud = c };

		invrequest_init(&c->inventories, &c->alerting.ledger, &inv_ops,
				(int64_t)time(NULL));
		pathhold_set_sender(&c->alerting.watch.hold, v3_send_invreq, c);
		ingest_on_v3(&c->ingest, v3_policy, v3_inventory, v3_gone, c);
	}
	{
		const struct copies_ops copy_ops = { .send = send_digreq,
						     .recorded = copies_recorded, .ud = c };

		err = copies_init(&c->copies, &c->copies_cfg, &c->alerting.ledger,
				  &c->alerting.alerts, &copy_ops);
		if (err)
			fatal("collector: cannot set up the copy relations: %s", strerror(-err));
		ingest_on_digests(&c->ingest, on_digests, c);
		err = ingest_observe(&c->ingest, copies_observe, c);
		if (err)
			fatal("collector: cannot observe stored samples: %s", strerror(-err));
	}
	start_control(c);
	/* delivery: TLS and the limits, before the first connection */
	{
		char why[1024];

		if (delivery_start(&c->delivery, why, sizeof why))
			fatal("collector: TLS: %s", why);
	}
	if (listener_start(&c->listener, c->loop, c->cfg.listen_host, c->cfg.listen_port,
			   &c->ingest, &c->admit, &c->delivery, c->cfg.max_connections))
		fatal("collector: cannot listen for agents");
	/* the dashboard: its own threads, read-only; our counters, the samples stored */
	{
		char herr[1024];

		if (http_start(&c->http, &c->http_cfg, &c->cfg, c->loop, &c->board,
			       read_http_stats, c, herr, sizeof herr))
			fatal("collector: %s", herr);
		http_add_metrics(&c->http, agents_metrics, &c->admit);
		err = ingest_observe(&c->ingest, http_observe_sample, &c->http);
		if (err)
			fatal("collector: cannot observe stored samples: %s", strerror(-err));
	}

	/* notifiers */
	if (notify_start(c->loop, err_text, sizeof err_text))
		fatal("collector: %s", err_text);
	alerting_prime_notifiers(&c->alerting);

	daemon_signals_start(&c->signals, c->loop, "collector", on_stop, on_hup, c);
	uv_timer_init(c->loop, &c->status_timer);
	c->status_timer.data = c;
	uv_timer_start(&c->status_timer, report_status, STATUS_INTERVAL_MS, STATUS_INTERVAL_MS);

	log_info("collector: listening on %s (port %u); data in '%s'; %zu agents and %d stores "
		 "known",
		 c->listener.where, c->listener.port, c->cfg.data_dir, c->reg.agents.count, stores);
	sdnotify_watchdog_start(c->loop);
	sdnotify_ready("listening on %s; %zu agents known", c->listener.where,
		       c->reg.agents.count);

	uv_run(c->loop, UV_RUN_DEFAULT);

	/* Shutdown: no new work, then finish what was accepted. */
	sdnotify_watchdog_stop();
	listener_stop(&c->listener);
	session_close_all();
	notify_stop(); /* notifiers */
	/* the last batches reach ingest and the detector, then its rows are written */
	rrdstore_stop(c->rrd);
	c->rrd = NULL;
	ingest_release(&c->ingest);
	control_stop(&c->control);
	invrequest_release(&c->inventories);
	copies_release(&c->copies);
	alerting_stop(&c->alerting);
	http_stop(&c->http);
	daemon_close_loop(c->loop);
	registry_release(&c->reg);
	board_release(&c->board);
	delivery_release(&c->delivery);
	admit_release(&c->admit);
	datalock_release(&c->lock);
	log_info("collector: stopped");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct daemon_program prog = {
		.name = "shrinkwatch-collector",
		.default_config = COLLECTOR_DEFAULT_CONFIG,
		.usage = usage,
	};
	struct daemon_args args;
	struct collector c;
	char err[1024];
	int rc = daemon_parse_args(&prog, argc, argv, &args);
	bool check = args.check_config;

	if (rc >= 0)
		return rc;
	memset(&c, 0, sizeof c);
	c.config_path = args.config_path;
	rc = 1;
	if (load_config(&c, &c.cfg, err, sizeof err)) {
		fprintf(stderr, "shrinkwatch-collector: %s\n", err);
		goto out;
	}
	if (check && notify_start(NULL, err, sizeof err)) { /* notifiers */
		fprintf(stderr, "shrinkwatch-collector: %s: %s\n", c.config_path, err);
		goto out;
	}
	if (check && http_check(&c.http_cfg, err, sizeof err)) {
		fprintf(stderr, "shrinkwatch-collector: %s: [collector]: %s\n", c.config_path, err);
		goto out;
	}
	/* delivery: TLS files, or insecure = yes on loopback only */
	if (delivery_check(&c.delivery, c.cfg.listen_host, err, sizeof err)) {
		fprintf(stderr, "shrinkwatch-collector: %s: [collector]: %s\n", c.config_path, err);
		goto out;
	}
	if (delivery_check_files(&c.delivery, err, sizeof err)) {
		fprintf(stderr, "shrinkwatch-collector: %s: [collector]: %s\n", c.config_path, err);
		return 1;
	}
	if (check && collector_config_check(&c.cfg, err, sizeof err)) {
		fprintf(stderr, "shrinkwatch-collector: %s: [collector]: %s\n", c.config_path, err);
		return 1;
	}
	if (check && !c.control_cfg.path_set &&
	    collector_config_check_socket(c.control_cfg.path, err, sizeof err))
		fprintf(stderr, "shrinkwatch-collector: %s: warning: %s\n", c.config_path, err);
	if (check) {
		printf("%s: configuration OK: listen %s:%u, data_dir %s\n", c.config_path,
		       c.cfg.listen_host, c.cfg.listen_port, c.cfg.data_dir);
		rc = 0;
		goto out;
	}
	return daemon_run(run, &c);
out:
	forget_config(&c);
	return rc;
}
