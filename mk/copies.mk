# mk/copies.mk - `make bench-copies`: the collector's side of a copy
# comparison (issue 13, bench/copiesbench.c): collector time and wire bytes
# of one walk between two synthetic 1,000,000-file stores (1,000 directories
# of 1,000 files), equal, then with 1,000 files missing over 200
# directories, answered by a scripted agent from precomputed digests.

COPIES_BENCH_DIRS ?= 1000
COPIES_BENCH_FILES ?= 1000

.PHONY: bench-copies
bench: bench-copies

bench-copies: $(BUILD)/bench/copiesbench
	@$(BUILD)/bench/copiesbench $(COPIES_BENCH_DIRS) $(COPIES_BENCH_FILES) 200 5
