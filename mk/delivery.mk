# delivery.mk - trustworthy delivery (issue 6): mutual TLS, the agent's
# on-disk spool, hostile-input limits and their fault tests.
#
#   tests/integration/test_faults.sh   run by `make integration` (so by
#                                      `make check`): kill -9 either side,
#                                      outages, refused certificates,
#                                      hostile bytes, clock skew, a full disk
#   tests/fuzz/fuzz_spool.c            the spool record reader, in
#                                      `make fuzz` and `make fuzz-smoke`
#
# The fault tests talk TLS with openssl s_client and Python's ssl module,
# move an agent's clock with libfaketime, and mount a tmpfs (as root).
DEBS += openssl faketime python3 util-linux

#   make faults-asan                   the fault tests again with both daemons
#                                      built with ASan/UBSan (TLS, spool and
#                                      session code under kill -9, hostile
#                                      bytes and a full disk); part of check
CHECK_EXTRA += faults-asan
.PHONY: faults-asan
faults-asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 all
	@BUILD=$(abspath build/asan) tests/run-suite faults-asan tests/integration/test_faults.sh

#   make bench-delivery                spool append (per fsync policy) and
#                                      backlog read rates; TLS handshakes per
#                                      second and bulk throughput
.PHONY: bench-delivery
bench: bench-delivery
bench-delivery: $(BUILD)/bench/bench_spool $(BUILD)/bench/bench_tls
	$(BUILD)/bench/bench_spool
	$(BUILD)/bench/bench_tls
