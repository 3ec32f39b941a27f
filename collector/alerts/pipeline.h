/*
 * pipeline.h - the alert pipeline as one part of the collector.
 *
 *   stored sample -> watch (detector) -> alerts (lifecycle, ledger)
 *                                      -> outbox -> notifiers
 *   DELETIONS frames -> deletion reports (ledger)
 *
 * main.c registers the config hooks (alerting_config_register()), starts the
 * pipeline after ingest, connects ingest to it (watch_observe() as an
 * observer of stored samples, alerting_deletions() for DELETIONS frames),
 * starts the control socket on its parts, and stops it after ingest has
 * finished what it accepted.  The pipeline knows neither ingest nor the
 * control socket.  The notifiers themselves (collector/notify/notify.h) are
 * started and stopped by main.c.  The ledger lives in data_dir/ledger.db.
 */
#ifndef SHRINKWATCH_COLLECTOR_ALERTING_H
#define SHRINKWATCH_COLLECTOR_ALERTING_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lifecycle.h"
#include "collector/config.h"
#include "deletion_reports.h"
#include "collector/ledger/ledger.h"
#include "collector/ledger/reserve.h"
#include "outbox.h"
#include "watch.h"
#include "shrinkwatch/detect_config.h"

struct board;
struct registry;
struct rrdstore;

struct alerting {
	/* configuration, filled by the hooks */
	struct detect_config_set detect_cfg;
	struct alert_config alert_cfg;
	bool configured;
	/* running parts */
	struct ledger ledger;
	struct ledger_reserve reserve; /* data_dir/ledger.reserve */
	uv_timer_t reserve_timer;      /* makes it again once there is room */
	bool reserve_timer_on;
	struct outbox outbox;
	struct alerts alerts;
	struct watch watch;
	struct deletions deletions; /* the agents' deletion reports */
	bool started;
};

/*
 * Registers the pipeline's config hooks on cfg: [detect], [store] (the
 * detector) and the [collector] keys repeat_interval, notify_expiry and
 * deletion_reports_keep (the lifecycle).  Resets the configuration to its
 * defaults first, unless the pipeline runs: a reload (SIGHUP) offers the keys
 * again, they must be accepted, but the running pipeline keeps the values it
 * started with.  Call it once per load.  0 or a negative errno from
 * collector_config_register().
 */
int alerting_config_register(struct alerting *p, struct collector_config *cfg);

/* Opens the ledger, starts the outbox, the lifecycle and the detector, which
 * hands its figures to rrd, the collector's RRD writer (NULL: not kept; the
 * caller's, stopped after the last sample reached the detector).  0, or a
 * negative errno after logging what failed (then everything started is
 * stopped again). */
int alerting_start(struct alerting *p, uv_loop_t *loop, const struct collector_config *cfg,
		   struct registry *reg, struct board *board, struct rrdstore *rrd);
/* Stores n deletion reports of agent (a DELETIONS frame) at now: 0, a
 * negative errno, -ESHUTDOWN when the pipeline is not running. */
int alerting_deletions(struct alerting *p, const char *agent, const struct sw_deletion *d,
		       size_t n, int64_t now);
/* After a restart: judges the stored samples the saved detector states
 * missed (watch_replay()), then tells the alertmanager notifiers which
 * alerts are still open, so they are re-sent at once instead of resolving
 * at Alertmanager for lack of refresh.  Call after notify_start(), before
 * the loop runs. */
void alerting_prime_notifiers(struct alerting *p);
/* Stops everything and saves the detector state; call after rrdstore_stop()
 * (the last samples it hands back still reach the detector). */
void alerting_stop(struct alerting *p);

#endif
