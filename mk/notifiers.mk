# notifiers.mk - what the notifiers (collector/notify/) need beyond the core.
#
# The unit tests of the notifiers run real receivers: a real Prometheus
# Alertmanager (tests/unit/test_notify_alertmanager.c), python3's http.server
# as a webhook receiver in tests/integration/test_pipeline.sh, libmicrohttpd
# (core DEBS) as one in test_notify_webhook.c with an openssl-made certificate,
# a stand-in sendmail script (test_notify_email.c).  The journal notifier
# needs libsystemd (core DEBS).

DEBS += prometheus-alertmanager python3 openssl

# make bench-notify: delivery rate of the webhook and exec notifiers and the
# worst stall of the loop meanwhile (bench/notify_bench.c; numbers, no verdict).
BENCH_N ?= 2000
BENCH_WINDOW ?= 64
.PHONY: bench-notify
bench: bench-notify
bench-notify: $(BUILD)/bench/notify_bench
	$(BUILD)/bench/notify_bench $(BENCH_N) $(BENCH_WINDOW)
