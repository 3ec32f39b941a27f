# mk/objstore.mk - object stores (S3, Azure Blob): what their tests and the
# benchmark need.  The S3 and Azure emulators (s3rver, Azurite) are test-only
# and come from npm, pinned, installed by the tests themselves
# (tests/integration/objstore_servers.sh) into ~/.cache/shrinkwatch/npm.
#
#   make bench-objstore   the agent listing BENCH_OBJECTS objects (default
#                         100000) on a local s3rver against `rclone size`

# tests/install-deps skips Debian's npm where an npm is there already:
# NodeSource's nodejs bundles one and conflicts with Debian's npm package.
DEBS += nodejs npm rclone

BENCH_OBJECTS ?= 100000

.PHONY: bench-objstore
bench: bench-objstore

bench-objstore: $(AGENT_BIN)
	@BUILD=$(abspath $(BUILD)) BENCH_DIR=$(abspath $(BENCH_DIR)) \
		BENCH_OBJECTS=$(BENCH_OBJECTS) BENCH_RUNS=$(BENCH_RUNS) bench/objstore.sh
