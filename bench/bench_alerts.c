/*
 * bench_alerts.c - what the live alert pipeline costs, on this machine:
 *   1. samples/s through the detector as the collector runs it (watch_sample:
 *      detect_update, no ledger write unless an alert transition happens);
 *   2. alert transitions/s (each one ledger transaction: alert row, event,
 *      audit, outbox row; WAL, synchronous=FULL);
 *   3. the minute's detector-state save for N stores (one transaction);
 *   4. control requests/s ("status" and "alerts" answered from the ledger).
 * Usage: bench_alerts [STORES]   (default 10000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector/alerts/lifecycle.h"
#include "collector/control/control.h"
#include "collector/ledger/ledger.h"
#include "collector/alerts/watch.h"
#include "shrinkwatch/log.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long stores = argc > 1 ? atol(argv[1]) : 10000, i, rounds = 20, n;
	char dir[] = "/tmp/swbench.XXXXXX", path[128], name[32], cmd[160];
	struct detect_config_set cfg;
	struct ledger led;
	struct alerts al;
	struct watch w;
	struct control ctl;
	struct control_caller root;
	struct buf out;
	struct sw_sample s;
	double t0, t;

	log_init("bench_alerts", LOG_ERR);
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/ledger.db", dir);
	if (ledger_open(&led, path))
		return 1;
	detect_config_init(&cfg);
	alert_init(&al, NULL, &led, NULL, NULL, NULL);
	if (watch_init(&w, NULL, NULL, NULL, &al, &led, &cfg, NULL))
		return 1;

	memset(&s, 0, sizeof s);
	s.flags = SW_SAMPLE_HAS_ADDED;
	t0 = now_s();
	for (long r = 0; r < rounds; r++)
		for (i = 0; i < stores; i++) {
			snprintf(name, sizeof name, "store%ld", i);
			s.time = 1800000000 + r * 60;
			s.objects = 100000 + (uint64_t)r * 10;
			s.bytes = 1000000000000ull + (uint64_t)r * 10000000;
			s.added_objects = 10;
			s.added_bytes = 10000000;
			watch_sample(&w, "agent", name, &s, s.time);
		}
	t = now_s() - t0;
	printf("detector: %ld samples of %ld stores in %.3f s: %.0f samples/s, %.2f us/sample\n",
	       rounds * stores, stores, t, rounds * stores / t, t / (rounds * stores) * 1e6);

	t0 = now_s();
	watch_save(&w, 1800000000);
	printf("state save: %ld stores (%zu bytes each) in one transaction: %.3f s\n", stores,
	       sizeof(struct detect_state), now_s() - t0);

	n = 200;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		struct detect_event e;

		memset(&e, 0, sizeof e);
		e.time = 1800001000 + i;
		e.since = e.time - 60;
		e.episode = (uint32_t)(i + 1);
		e.kind = DETECT_DROP;
		e.state = DETECT_FIRING;
		e.lost_bytes = 1e9;
		snprintf(e.summary, sizeof e.summary, "bench");
		alert_on_event(&al, "agent", "store0", &e, 0, e.time);
	}
	t = now_s() - t0;
	printf("alert transitions: %ld firing alerts in %.3f s: %.0f/s, %.2f ms each\n", n, t,
	       n / t, t / n * 1e3);

	memset(&ctl, 0, sizeof ctl);
	control_config_default(&ctl.cfg);
	ctl.watch = &w;
	ctl.alerts = &al;
	ctl.ledger = &led;
	control_caller_init(&root, 0, 0, 1, ctl.cfg.admin_group);
	buf_init(&out, CONTROL_RESPONSE_MAX);
	n = 200;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		out.len = 0;
		control_handle(&ctl, &root, "{\"cmd\":\"alerts\"}", 16, 1800002000, &out);
	}
	t = now_s() - t0;
	printf("control 'alerts' with %d open alerts: %.0f requests/s (%zu bytes each)\n", 200,
	       n / t, out.len);
	buf_release(&out);

	watch_stop(&w);
	alert_stop(&al);
	ledger_close(&led);
	detect_config_release(&cfg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) != 0;
}
