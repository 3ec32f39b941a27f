/*
 * pipeline.h - the alert pipeline as one part of the collector.
 *
 *   stored sample -> watch (detector) -> alerts (lifecycle, ledger)
 *                                      -> outbox -> notifiers
 *   shrinkwatchctl -> control socket -> alerts, explain, ledger
 *
 * main.c only registers the config hooks, starts the pipeline after ingest,
 * and stops it after ingest has finished what it accepted.  The notifiers
 * themselves (collector/notify/notify.h) are started and stopped by main.c.  The ledger lives
 * in data_dir/ledger.db.
 */
#ifndef SHRINKWATCH_COLLECTOR_ALERTING_H
#define SHRINKWATCH_COLLECTOR_ALERTING_H

#include <stddef.h>
#include <uv.h>

#include "lifecycle.h"
#include "collector/config.h"
#include "collector/control/control.h"
#include "deletion_reports.h"
#include "collector/ledger/ledger.h"
#include "outbox.h"
#include "watch.h"
#include "shrinkwatch/detect_config.h"

struct board;
struct ingest;
struct registry;

struct alerting {
	/* configuration, filled by the hooks */
	struct detect_config_set detect_cfg;
	struct alert_config alert_cfg;
	struct control_config control_cfg;
	bool configured;
	/* running parts */
	struct ledger ledger;
	struct outbox outbox;
	struct alerts alerts;
	struct watch watch;
	struct control control;
	struct deletions deletions; /* the agents' deletion reports */
	bool started;
};

/*
 * Adds the pipeline's config hooks ([detect], [store], and the [collector] keys repeat_interval, notify_expiry, control, control_mode,
 * admin_group) to hooks; returns how many were added (at most max).  Resets
 * the configuration to its defaults first, so call it once per load.
 */
size_t alerting_config_hooks(struct alerting *p, struct collector_config_hook *hooks,
			     size_t max);

/* Opens the ledger, starts the outbox, the lifecycle, the detector (an
 * observer of ing, handing its figures to rrd, the collector's RRD writer;
 * NULL: not kept) and the control socket.  0, or a negative errno after
 * logging what failed.  A control socket that cannot be created at its
 * default place (no /run/shrinkwatch outside the systemd unit) is a warning,
 * not a failure: detection and notification matter more than the operator
 * socket; an explicitly configured one that fails is an error. */
int alerting_start(struct alerting *p, uv_loop_t *loop, const struct collector_config *cfg,
		   struct registry *reg, struct board *board, struct ingest *ing,
		   struct rrdstore *rrd);
/* After a restart: tells the alertmanager notifiers which alerts are still
 * open, so they are re-sent at once instead of resolving at Alertmanager
 * for lack of refresh.  Call after notify_start(). */
void alerting_prime_notifiers(struct alerting *p);
/* Stops everything and saves the detector state; call after rrdstore_stop()
 * (the last samples it hands back still reach the detector). */
void alerting_stop(struct alerting *p);

#endif
