# mk/manifest.mk - `make bench-manifest`: the cost of the exact accounts
# (issue 12) on a MANIFEST_FILES-file tree generated in a scratch directory
# and removed afterwards (bench/manifest.sh, bench/manifestbench.c).

MANIFEST_FILES ?= 1000000

.PHONY: bench-manifest
bench: bench-manifest

bench-manifest: $(BUILD)/bench/manifestbench $(GENTREE)
	@BUILD=$(abspath $(BUILD)) MANIFEST_FILES=$(MANIFEST_FILES) bench/manifest.sh
