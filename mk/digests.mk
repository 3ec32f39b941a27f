# mk/digests.mk - `make bench-digests`: the copy digests (issue 13) on a
# DIGEST_FILES-file tree generated in a scratch directory and removed
# afterwards (bench/digests.sh, bench/digestbench.c), against
# `find | sort | sha256sum` on the same tree.

DIGEST_FILES ?= 1000000

.PHONY: bench-digests
bench: bench-digests

bench-digests: $(BUILD)/bench/digestbench $(GENTREE)
	@BUILD=$(abspath $(BUILD)) DIGEST_FILES=$(DIGEST_FILES) bench/digests.sh
