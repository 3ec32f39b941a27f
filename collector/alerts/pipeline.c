/*
 * pipeline.c - wiring of the alert pipeline (see pipeline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
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

int alerting_start(struct alerting *p, uv_loop_t *loop, const struct collector_config *cfg,
		   struct registry *reg, struct board *board, struct rrdstore *rrd)
{
	char path[PATH_MAX + 16];
	struct watch_deps deps;
	int rc;

	snprintf(path, sizeof path, "%s/ledger.db", cfg->data_dir);
	rc = ledger_open(&p->ledger, path);
	if (rc) {
		log_err("alerting: cannot open the ledger '%s': %s", path, strerror(-rc));
		return rc;
	}
	outbox_init(&p->outbox, loop, &p->ledger, p->alert_cfg.notify_expiry);
	alert_init(&p->alerts, loop, &p->ledger, board, reg, &p->outbox, &p->alert_cfg);
	deletions_init(&p->deletions, &p->ledger, reg, p->alert_cfg.deletions_keep);
	/* the detector's figures per sample go to rrd, for the expected-purge graphs */
	deps = (struct watch_deps){
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
	ledger_alert_each(&p->ledger, false, prime_one, &pc);
	if (pc.primed)
		log_info("alerting: %u open alerts handed to the alertmanager notifiers to re-send",
			 pc.primed);
}
