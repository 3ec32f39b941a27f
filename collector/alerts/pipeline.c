/*
 * pipeline.c - wiring of the alert pipeline (see pipeline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "collector/notify/alertmanager.h"
#include "collector/store/rrddetect.h"
#include "collector/net/ingest.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

size_t alerting_config_hooks(struct alerting *p, struct collector_config_hook *hooks,
			     size_t max)
{
	size_t n = 0;

	/* a reload (SIGHUP) offers the keys again: they must be accepted, but the
	 * running pipeline keeps the values it started with */
	if (!p->started) {
		if (p->configured)
			detect_config_release(&p->detect_cfg);
		detect_config_init(&p->detect_cfg);
		alert_config_default(&p->alert_cfg);
		control_config_default(&p->control_cfg);
		p->configured = true;
	}
#define ADD(f, c)                                    \
	do {                                         \
		if (n < max) {                       \
			hooks[n].fn = (f);           \
			hooks[n].ctx = (c);          \
			n++;                         \
		}                                    \
	} while (0)
	ADD(detect_config_hook, &p->detect_cfg);
	ADD(alert_config_key, &p->alert_cfg);
	ADD(control_config_key, &p->control_cfg);
#undef ADD
	return n;
}

/* ingest's hook for DELETIONS frames. */
static int store_deletions(void *ctx, struct agent_rec *a, const struct sw_deletion *d, size_t n)
{
	struct alerting *p = ctx;

	if (!p->started)
		return -ESHUTDOWN;
	return deletions_store(&p->deletions, a->name, d, n, (int64_t)time(NULL));
}

int alerting_start(struct alerting *p, uv_loop_t *loop, const struct collector_config *cfg,
		   struct registry *reg, struct board *board, struct ingest *ing)
{
	char path[PATH_MAX + 16];
	int rc;

	snprintf(path, sizeof path, "%s/ledger.db", cfg->data_dir);
	rc = ledger_open(&p->ledger, path);
	if (rc) {
		log_err("alerting: cannot open the ledger '%s': %s", path, strerror(-rc));
		return rc;
	}
	outbox_init(&p->outbox, loop, &p->ledger, p->alert_cfg.notify_expiry);
	alert_init(&p->alerts, loop, &p->ledger, board, &p->outbox, &p->alert_cfg);
	p->alerts.reg = reg;
	deletions_init(&p->deletions, &p->ledger, reg);
	p->deletions.keep = p->alert_cfg.deletions_keep;
	ing->on_deletions = store_deletions;
	ing->deletions_ctx = p;
	rc = watch_init(&p->watch, loop, reg, board, &p->alerts, &p->ledger, &p->detect_cfg);
	if (rc) {
		log_err("alerting: cannot start the detector: %s", strerror(-rc));
		goto fail;
	}
	/* the detector's figures per sample, for the expected-purge graphs */
	rc = rrddetect_start(&p->watch.rrd, cfg->data_dir);
	if (rc) {
		log_err("alerting: cannot start the detector RRD writer: %s", strerror(-rc));
		goto fail;
	}
	alert_seed_board(&p->alerts);
	rc = ingest_observe(ing, watch_observe, &p->watch);
	if (rc) {
		log_err("alerting: cannot observe stored samples: %s", strerror(-rc));
		goto fail;
	}
	p->control.watch = &p->watch;
	p->control.alerts = &p->alerts;
	p->control.ledger = &p->ledger;
	p->control.board = board;
	p->control.outbox = &p->outbox;
	rc = control_start(&p->control, loop, &p->control_cfg);
	if (rc && p->control_cfg.path_set)
		goto fail;
	if (rc) /* the default place is the systemd unit's RuntimeDirectory= */
		log_warn("alerting: running without a control socket: shrinkwatchctl's operator "
			 "commands need 'control' in [collector] or a writable '%s'",
			 p->control_cfg.path);
	p->started = true;
	return 0;
fail:
	p->started = true;
	alerting_stop(p);
	return rc;
}

void alerting_stop(struct alerting *p)
{
	if (!p->started)
		return;
	p->started = false;
	control_stop(&p->control);
	outbox_stop(&p->outbox);
	rrddetect_stop(p->watch.rrd); /* ingest has stopped: no more rows come */
	p->watch.rrd = NULL;
	watch_stop(&p->watch);
	alert_stop(&p->alerts);
	ledger_close(&p->ledger);
	detect_config_release(&p->detect_cfg);
	p->configured = false;
}

struct prime_ctx {
	struct alerting *p;
	unsigned primed;
};

static int prime_one(void *ctx, const struct ledger_alert *a)
{
	struct prime_ctx *pc = ctx;
	struct notify_message m;
	struct buf json;
	char url[512];

	buf_init(&json, 64 * 1024);
	if (alert_to_json(&json, a, a->state, 0) == 0 && buf_put_u8(&json, 0) == 0) {
		outbox_message(&pc->p->outbox, a, a->state, a->updated_at, (char *)json.data, url,
			       sizeof url, &m);
		if (notify_alertmanager_prime(&m) > 0)
			pc->primed++;
	}
	buf_release(&json);
	return 0;
}

void alerting_prime_notifiers(struct alerting *p)
{
	struct prime_ctx pc = { .p = p };

	if (!p->started)
		return;
	ledger_alert_each(&p->ledger, false, prime_one, &pc);
	if (pc.primed)
		log_info("alerting: %u open alerts handed to the alertmanager notifiers to re-send",
			 pc.primed);
}
