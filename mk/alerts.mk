# alerts.mk - the live alert pipeline (collector/alerts/, collector/ledger/,
# collector/control/; shrinkwatchctl's ctl/ops.c and ctl/client.c).
#
# tests/integration/test_alerts.sh runs shrinkwatchctl as nobody through
# setpriv (util-linux) and reads JSON answers with python3; the ledger is
# SQLite (libsqlite3-dev, core DEBS) and inspected with sqlite3.

DEBS += util-linux python3 sqlite3

BENCH_STORES ?= 10000
# make bench-alerts: what the live pipeline costs here (bench/bench_alerts.c)
.PHONY: bench-alerts
bench-alerts: $(BUILD)/bench/bench_alerts
	$(BUILD)/bench/bench_alerts $(BENCH_STORES)
