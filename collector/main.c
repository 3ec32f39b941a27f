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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "collector/alerts/pipeline.h"
#include "collector/store/board.h"
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
	struct ingest ingest;
	struct listener listener;
	struct alerting alerting; /* detector, alerts, ledger, outbox, control */
	struct delivery delivery; /* TLS, allow-list, connection limits */
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t status_timer;
	uint64_t last_stored;
	/* dashboard, JSON API, /metrics (collector/http/server.h) */
	struct http_config http_cfg;
	struct http_server http;
	struct rrdcached_config rrdcached; /* [collector] rrdcached */
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

/* The configuration hooks of the modules that own sections of the file. */
static size_t config_hooks(struct collector *c, struct collector_config_hook *hooks, size_t max)
{
	size_t n = 0;

	/* notifiers: [notify NAME] sections */
	if (n < max)
		hooks[n++] = (struct collector_config_hook){ notify_config_key, NULL };
	/* the alert pipeline: [detect], [store] and its [collector] keys */
	n += alerting_config_hooks(&c->alerting, hooks + n, max - n);
	/* http, dashboards, http_threads in [collector] (collector/http/server.h) */
	if (n < max) {
		http_config_defaults(&c->http_cfg);
		hooks[n++] = (struct collector_config_hook){ http_config_hook, &c->http_cfg };
	}
	/* rrdcached: the address is copied into the writers at start-up */
	memset(&c->rrdcached, 0, sizeof c->rrdcached);
	if (n < max)
		hooks[n++] = (struct collector_config_hook){ rrdcached_config_hook, &c->rrdcached };
	/* delivery: tls_*, insecure, allow_agents, connection limits */
	if (n < max)
		delivery_config_hook(&c->delivery, &hooks[n++]);
	return n;
}

static int load_config(struct collector *c, struct collector_config *cfg, char *err,
		       size_t errlen)
{
	struct collector_config_hook hooks[8];
	size_t n = config_hooks(c, hooks, 8);

	notify_config_reset(); /* notifiers: forget sections of an earlier load */
	return collector_config_load(c->config_path, cfg, hooks, n, err, errlen);
}

static void report_status(uv_timer_t *t)
{
	struct collector *c = t->data;
	const struct ingest_stats *st = &c->ingest.stats;
	double rate = (double)(st->samples_stored - c->last_stored) * 1000.0 / STATUS_INTERVAL_MS;

	c->last_stored = st->samples_stored;
	sdnotify_status("%u agents connected, %zu known; %.1f samples/s stored; %zu batches "
			"queued",
			session_count(), c->reg.agents.count, rate, ingest_pending(&c->ingest));
}

static void on_stop_signal(uv_signal_t *s, int signum)
{
	struct collector *c = s->data;

	log_info("collector: %s received, stopping", strsignal(signum));
	sdnotify_stopping();
	uv_stop(c->loop);
}

static void on_hup(uv_signal_t *s, int signum)
{
	struct collector *c = s->data;
	struct collector_config fresh;
	char err[1024];
	(void)signum;

	sdnotify_reloading();
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
		c->cfg.max_connections = fresh.max_connections;
		c->listener.max_sessions = fresh.max_connections;
		/* notifiers: the new set replaces the old one only if it starts */
		if (notify_start(c->loop, err, sizeof err))
			log_err("collector: reload: keeping the running notifiers: %s", err);
		log_info("collector: configuration reloaded");
	}
	sdnotify_ready("running");
}

static int ensure_data_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0750) && errno != EEXIST)
		return -errno;
	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return access(dir, R_OK | W_OK | X_OK) ? -errno : 0;
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

static int run(struct collector *c)
{
	int err, stores;
	char err_text[1024];

	err = ensure_data_dir(c->cfg.data_dir);
	if (err)
		fatal("collector: data_dir '%s' is not usable: %s", c->cfg.data_dir,
		      strerror(-err));
	registry_init(&c->reg);
	stores = registry_load(&c->reg, c->cfg.data_dir);
	if (stores < 0)
		fatal("collector: cannot read '%s/rrd': %s", c->cfg.data_dir, strerror(-stores));
	if (board_init(&c->board))
		fatal("collector: out of memory");
	seed_board(c);
	err = ingest_init(&c->ingest, c->loop, &c->cfg, &c->reg);
	if (err)
		fatal("collector: cannot start the RRD writers in '%s': %s", c->cfg.data_dir,
		      strerror(-err));
	if (c->rrdcached.address[0]) {
		rrdstore_use_daemon(c->ingest.rrd, c->rrdcached.address);
		log_info("collector: RRD updates go through rrdcached at '%s'",
			 c->rrdcached.address);
	}
	c->ingest.board = &c->board;
	ingest_observe(&c->ingest, board_observe_sample, &c->board);
	if (alerting_start(&c->alerting, c->loop, &c->cfg, &c->reg, &c->board, &c->ingest))
		fatal("collector: cannot start the alert pipeline (see above)");
	/* delivery: TLS and the limits, before the first connection */
	{
		char why[1024];

		if (delivery_start(&c->delivery, why, sizeof why))
			fatal("collector: TLS: %s", why);
	}
	if (listener_start(&c->listener, c->loop, c->cfg.listen_host, c->cfg.listen_port,
			   &c->ingest, c->cfg.max_connections))
		fatal("collector: cannot listen for agents");
	/* the dashboard: its own threads, read-only */
	{
		char herr[1024];

		if (http_start(&c->http, &c->http_cfg, &c->cfg, c->loop, &c->board, &c->ingest,
			       herr, sizeof herr))
			fatal("collector: %s", herr);
		c->http.detect_rrd = c->alerting.watch.rrd;
	}

	/* notifiers */
	if (notify_start(c->loop, err_text, sizeof err_text))
		fatal("collector: %s", err_text);
	alerting_prime_notifiers(&c->alerting);

	uv_signal_init(c->loop, &c->sigterm);
	uv_signal_init(c->loop, &c->sigint);
	uv_signal_init(c->loop, &c->sighup);
	c->sigterm.data = c->sigint.data = c->sighup.data = c;
	uv_signal_start(&c->sigterm, on_stop_signal, SIGTERM);
	uv_signal_start(&c->sigint, on_stop_signal, SIGINT);
	uv_signal_start(&c->sighup, on_hup, SIGHUP);
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
	ingest_stop(&c->ingest);
	alerting_stop(&c->alerting);
	http_stop(&c->http);
	daemon_close_loop(c->loop);
	registry_release(&c->reg);
	board_release(&c->board);
	delivery_release(&c->delivery);
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
	log_init("shrinkwatch-collector", args.log_level);
	if (load_config(&c, &c.cfg, err, sizeof err)) {
		fprintf(stderr, "shrinkwatch-collector: %s\n", err);
		return 1;
	}
	if (check && notify_start(NULL, err, sizeof err)) { /* notifiers */
		fprintf(stderr, "shrinkwatch-collector: %s: %s\n", c.config_path, err);
		return 1;
	}
	if (check && http_check(&c.http_cfg, err, sizeof err)) {
		fprintf(stderr, "shrinkwatch-collector: %s\n", err);
		return 1;
	}
	/* delivery: TLS files, or insecure = yes on loopback only */
	if (delivery_check(&c.delivery, c.cfg.listen_host, err, sizeof err)) {
		fprintf(stderr, "shrinkwatch-collector: %s: [collector]: %s\n", c.config_path, err);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK: listen %s:%u, data_dir %s\n", c.config_path,
		       c.cfg.listen_host, c.cfg.listen_port, c.cfg.data_dir);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	c.loop = uv_default_loop();
	rc = run(&c);
	uv_loop_close(c.loop);
	return rc;
}
