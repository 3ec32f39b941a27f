# throughput.mk - collector throughput and detector speed (issue 8).
#
#   make bench-ingest   the load generator against the collector (direct librrd
#                       writes, rrd_sync yes and no, and through rrdcached), an
#                       overload run, and the same load through collectd's
#                       network + rrdtool / rrdcached plugins; prints a table
#                       with the ratios (bench/ingest.sh)
#   make bench-ingest-estate
#                       2,000 agents x 2 stores (INGEST_ESTATE_*), durable
#                       over TLS, and the overload run over TLS: about
#                       38 GB of RRD files for a moment (checked first)
#   make bench-detect   detect_update() throughput over 100,000 series
#   make bench          both of these (other fragments add their own)
#
# Sizes (INGEST_*, not BENCH_*: mk/alerts.mk's BENCH_STORES is 10,000 and
# was silently taken here): INGEST_AGENTS x INGEST_STORES files, INGEST_ROUNDS samples per file.
# Each store takes about 9.5 MB at the default 300 s step (its RRD file and
# the detector's), so the defaults need about 10 GB of free space in INGEST_BENCH_DIR for a moment (one run at
# a time).

DEBS += rrdcached collectd-core

INGEST_AGENTS ?= 200
INGEST_STORES ?= 5
INGEST_ROUNDS ?= 1000
INGEST_INTERVAL ?= 300
INGEST_ESTATE_AGENTS ?= 2000
# 2 stores each, not 5: every store takes two preallocated RRD files (samples
# and detector, 9.5 MB together at 300 s), so 10,000 stores need 95 GB
INGEST_ESTATE_STORES ?= 2
INGEST_ESTATE_ROUNDS ?= 400
# scratch space for the RRD files (mk/bench.mk's BENCH_DIR keeps its tree)
INGEST_BENCH_DIR ?= /var/tmp

LOADGEN_BIN := $(BUILD)/bench/loadgen
DETECTBENCH_BIN := $(BUILD)/bench/detectbench

$(LOADGEN_BIN): $(call obj,$(sort $(wildcard bench/loadgen*.c))) $(COLL_A) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench bench-ingest bench-ingest-estate bench-detect bench-build-throughput

bench-build-throughput: $(LOADGEN_BIN) $(DETECTBENCH_BIN) $(COLL_BIN) $(CTL_BIN)

bench-ingest: bench-build-throughput
	@BUILD=$(abspath $(BUILD)) AGENTS=$(INGEST_AGENTS) STORES=$(INGEST_STORES) \
		ROUNDS=$(INGEST_ROUNDS) INTERVAL=$(INGEST_INTERVAL) BENCH_DIR=$(abspath $(INGEST_BENCH_DIR)) \
		bench/ingest.sh

bench-ingest-estate: bench-build-throughput
	@BUILD=$(abspath $(BUILD)) AGENTS=$(INGEST_ESTATE_AGENTS) STORES=$(INGEST_ESTATE_STORES) \
		ROUNDS=$(INGEST_ESTATE_ROUNDS) INTERVAL=$(INGEST_INTERVAL) \
		BENCH_DIR=$(abspath $(INGEST_BENCH_DIR)) SCENARIO=estate bench/ingest.sh

bench-detect: $(DETECTBENCH_BIN)
	@$(DETECTBENCH_BIN)

bench: bench-ingest bench-detect
