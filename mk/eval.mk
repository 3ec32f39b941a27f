# eval.mk - the detector's evaluation suite (docs/detection.md).
#
#   make eval         simulate labelled traces, run replay and the two
#                     reference detectors, print the table and assert the
#                     targets (exit 1 when one is missed)
#
# The simulator, the reference detectors and the scorer are test tools, built
# into $(BUILD)/eval/ and never installed.

EVAL_TOOLS := $(BUILD)/eval/simulate $(BUILD)/eval/refdetect $(BUILD)/eval/score
DEBS += librrd-dev rrdtool

.PHONY: eval eval-tools

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

# A year of 60-second samples through replay (a benchmark: prints, never fails).
.PHONY: bench-replay
bench-replay: $(CTL_BIN)
	@tests/scenarios/bench_replay.sh $(abspath $(BUILD))

# make eval asserts every target and takes well under a minute on 2 cores.
CHECK_EXTRA += eval
DEBS += bc
