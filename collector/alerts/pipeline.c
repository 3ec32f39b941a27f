/*
 * pipeline.c - wiring of the alert pipeline (see pipeline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "collector/store/rrdspace.h"
#include "collector/notify/alertmanager.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

int alerting_config_register(struct alerting *p, struct collector_config *cfg)
{
	const struct collector_config_hook detect = { detect_config_hook, &p->detect_cfg };
	const struct collector_config_hook alert = { alert_config_key, &p->alert_cfg };
	int rc;

	/* a reload (SIGHUP) offers the keys again: they must be accepted, but the
	 * running pipeline keeps the values it started with */
	if (!p->started) {
		if (p->configured)
			detect_config_release(&p->detect_cfg);
		detect_config_init(&p->detect_cfg);
		alert_config_default(&p->alert_cfg);
		p->configured = true;
	}
	rc = collector_config_register(cfg, &detect);
	if (!rc)
		rc = collector_config_register(cfg, &alert);
	return rc;
}

int alerting_deletions(struct alerting *p, const char *agent, const struct sw_deletion *d,
		       size_t n, int64_t now)
{
	if (!p->started)
		return -ESHUTDOWN;
	return deletions_store(&p->deletions, agent, d, n, now);
}

/* Every few seconds: the ledger's reserve made again once space is back. */
#define RESERVE_REFILL_MS 5000

static void on_reserve_timer(uv_timer_t *t)
{
	struct alerting *p = t->data;

	ledger_reserve_refill(&p->reserve);
}

int alerting_start(struct alerting *p, uv_loop_t *loop, const struct collector_config *cfg,
		   struct registry *reg, struct board *board, struct rrdstore *rrd)
{
	char path[PATH_MAX + 16];
	struct watch_deps deps;
	int rc;

	/* the space the ledger falls back on when the disk fills (reserve.h) */
	rc = ledger_reserve_init(&p->reserve, cfg->data_dir, 0);
	if (rc) {
		log_err("alerting: cannot place the ledger's reserve in '%s': %s", cfg->data_dir,
			strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof path, "%s/ledger.db", cfg->data_dir);
	rc = ledger_open(&p->ledger, path);
	/* a full disk: the ledger may use the reserve (a start while full) */
	if ((rc == -ENOSPC || rc == -EIO) && ledger_reserve_release(&p->reserve))
		rc = ledger_open(&p->ledger, path);
	if (rc && rrdspace_free(path) >= 0 && rrdspace_free(path) < 1024 * 1024) {
		log_err("alerting: cannot open the ledger '%s': its disk is full (%s); free space "
			"in '%s' and start again: the samples stored meanwhile are judged then "
			"(collector/store/rrdread.h), no alert is lost", path, strerror(-rc),
			cfg->data_dir);
		return rc;
	}
	if (rc) {
		log_err("alerting: cannot open the ledger '%s': %s", path, strerror(-rc));
		return rc;
	}
	outbox_init(&p->outbox, loop, &p->ledger, p->alert_cfg.notify_expiry);
	alert_init(&p->alerts, loop, &p->ledger, board, reg, &p->outbox, &p->alert_cfg);
	p->alerts.reserve = &p->reserve;
	deletions_init(&p->deletions, &p->ledger, reg, p->alert_cfg.deletions_keep);
	/* the detector's figures per sample go to rrd, for the expected-purge graphs */
	deps = (struct watch_deps){
		.data_dir = cfg->data_dir,
		.ledger = &p->ledger,
		.cfg = &p->detect_cfg,
		.board = board,
		.alerts = &p->alerts,
		.rrd = rrd,
	};
	rc = watch_init(&p->watch, loop, reg, &deps);
	if (rc) {
		log_err("alerting: cannot start the detector: %s", strerror(-rc));
		goto fail;
	}
	alert_seed_board(&p->alerts);
	if (loop) {
		uv_timer_init(loop, &p->reserve_timer);
		p->reserve_timer.data = p;
		uv_timer_start(&p->reserve_timer, on_reserve_timer, RESERVE_REFILL_MS,
			       RESERVE_REFILL_MS);
		p->reserve_timer_on = true;
	}
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
	if (p->reserve_timer_on) {
		uv_timer_stop(&p->reserve_timer);
		uv_close((uv_handle_t *)&p->reserve_timer, NULL);
		p->reserve_timer_on = false;
	}
	outbox_stop(&p->outbox);
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
	if (alert_to_json(&json, a, ALERT_JSON_NOTICE) == 0 && buf_put_u8(&json, 0) == 0) {
		outbox_message(&pc->p->outbox, a, a->state, false, a->updated_at,
			       (char *)json.data, url, sizeof url, &m);
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
	/* the samples the saved detector states missed, now that the notifiers
	 * run (their alerts are routed to them) and before any new sample */
	watch_replay(&p->watch, (int64_t)time(NULL));
	ledger_alert_each(&p->ledger, false, prime_one, &pc);
	if (pc.primed)
		log_info("alerting: %u open alerts handed to the alertmanager notifiers to re-send",
			 pc.primed);
}
