# delwatch.mk - deletion reports (issue 8, part): the agent's fanotify watch,
# protocol version 2 (DELETIONS, DELACK), the ledger's deletions table and
# alert attribution.
#
#   tests/unit/test_delwatch*.c, test_delqueue.c, test_deletions.c   unit
#   tests/integration/test_delwatch.sh          rm -rf by a known process is
#                                               named in the alert; a report
#                                               made while the collector is
#                                               down arrives after its restart
#   tests/integration/test_delwatch_compat.sh   a version-1 collector
#   tests/fuzz/fuzz_frame.c                     decodes DELETIONS and DELACK
#
#   make bench-delwatch   what the watch costs the deleting process, next to
#                         no watch and inotify, and how soon it attributes
BENCH_DELWATCH := $(BUILD)/bench/bench_delwatch
.PHONY: bench-delwatch
bench: bench-delwatch
bench-delwatch: $(BENCH_DELWATCH)
	$(BENCH_DELWATCH)
