# mk/bench.mk - `make bench`: side-by-side benchmarks.  Each area appends its
# own target to `bench` (bench: bench-scan, bench: bench-ingest, ...).
#
#   make bench-scan     the agent's walker against du, find and collectd's
#                       filecount plugin on a generated 1,000,000-file tree
#                       (kept in $(BENCH_DIR) and reused); BENCH_FILES and
#                       BENCH_RUNS change its size and the runs per tool.

DEBS += collectd-core time bc

BENCH_DIR ?= $(BUILD)/bench
BENCH_FILES ?= 1000000
BENCH_RUNS ?= 5
SCANBENCH := $(BUILD)/bench/scanbench
GENTREE := $(BUILD)/bench/gentree

.PHONY: bench bench-scan
bench: bench-scan

$(GENTREE): bench/gentree.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench-scan: $(SCANBENCH) $(GENTREE)
	@BUILD=$(abspath $(BUILD)) BENCH_DIR=$(abspath $(BENCH_DIR)) \
		BENCH_FILES=$(BENCH_FILES) BENCH_RUNS=$(BENCH_RUNS) bench/scan.sh
