# eval.mk - the detector's evaluation suite (docs/detection.md).
#
#   make eval         simulate labelled traces, run replay and the two
#                     reference detectors, print the table and assert the
#                     targets (exit 1 when one is missed); then the wide
#                     evaluation (tests/scenarios/widegen.py, independent
#                     generator) on the DEV and the TEST seeds under three
#                     data contracts (totals only, added_*, exact figures of
#                     protocol 3; WIDE_CONTRACTS picks), which prints a table
#                     and the gaps to the issue-14 gates per contract
#   make eval-doc     rewrites the detectability table of docs/detection.md
#                     from the TEST seeds
#
# The simulator, the reference detectors and the scorer are test tools, built
# into $(BUILD)/eval/ and never installed.

EVAL_TOOLS := $(BUILD)/eval/simulate $(BUILD)/eval/refdetect $(BUILD)/eval/score
DEBS += librrd-dev rrdtool

.PHONY: eval eval-check eval-tools

$(BUILD)/eval/simulate: tests/scenarios/simulate.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=gnu11 $(WARN) -o $@ $< -lm

$(BUILD)/eval/score: tests/scenarios/score.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=gnu11 $(WARN) -o $@ $< -lm

$(BUILD)/eval/refdetect: tests/scenarios/refdetect.c $(CTL_A) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CTL_A) $(LIB_A) $(LDLIBS)

eval-tools: $(EVAL_TOOLS) $(CTL_BIN)

eval: eval-tools
	@tests/scenarios/eval.sh $(abspath $(BUILD)) --assert
	@tests/scenarios/wide_eval.sh $(abspath $(BUILD)) dev
	@tests/scenarios/wide_eval.sh $(abspath $(BUILD)) test $(WIDE_ASSERT)

# make check: the project targets (asserted) and the wide TEST set, the one
# reported to users; the DEV set is for whoever tunes the detector (make eval)
eval-check: eval-tools
	@tests/scenarios/eval.sh $(abspath $(BUILD)) --assert
	@tests/scenarios/wide_eval.sh $(abspath $(BUILD)) test $(WIDE_ASSERT)

# The issue-14 gates on the TEST seeds are reported, not yet asserted: the
# detector does not meet them yet (docs/detection.md, "Wide evaluation").
# `make eval WIDE_ASSERT=--assert` fails on them.
WIDE_ASSERT ?=

.PHONY: eval-doc
eval-doc: $(CTL_BIN)
	@tests/scenarios/wide_eval.sh $(abspath $(BUILD)) test --doc docs/detection.md

# A year of 60-second samples through replay (a benchmark: prints, never fails).
.PHONY: bench-replay
bench-replay: $(CTL_BIN)
	@tests/scenarios/bench_replay.sh $(abspath $(BUILD))

# make eval asserts every target of the project traces (about 25 s on 2 cores)
# and runs the wide DEV and TEST sets (about 30 s per set and contract);
# make check runs eval-check, without the DEV set.
CHECK_EXTRA += eval-check
DEBS += bc python3
