# mk/digests.mk - `make bench-digests`: the copy digests (issue 13) on a
# DIGEST_FILES-file tree generated in a scratch directory and removed
# afterwards (bench/digests.sh, bench/digestbench.c), against
# `find | sort | sha256sum` on the same tree; and content hashing
# (bench/hashbench.c) uncapped and at the 20 MB/s default cap against
# sha256sum on the same 128 MB of files.

DIGEST_FILES ?= 1000000

.PHONY: bench-digests
bench: bench-digests

bench-digests: $(BUILD)/bench/digestbench $(BUILD)/bench/hashbench $(GENTREE)
	@BUILD=$(abspath $(BUILD)) DIGEST_FILES=$(DIGEST_FILES) bench/digests.sh
