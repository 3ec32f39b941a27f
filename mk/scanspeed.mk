# mk/scanspeed.mk - `make bench-scan-probe`: where a full scan's time goes.
#
#   make bench-scan-probe   walks the bench tree (mk/bench.mk's BENCH_DIR and
#                           BENCH_FILES; made once if missing) on one thread,
#                           stat'ing each getdents batch a different way in
#                           turn - statx as the agent does, a smaller mask,
#                           inode order, fstatat as du does, io_uring statx,
#                           a null system call - and prints the CPU
#                           nanoseconds per entry of each and of the bare walk
#                           (bench/scanprobe.c); PROBE_ROUNDS walks.
#
# The io_uring way is built when liburing is installed (liburing-dev); the
# agent itself does not use io_uring (docs/performance.md says why).

DEBS += liburing-dev

PROBE_ROUNDS ?= 4
SCANPROBE := $(BUILD)/bench/scanprobe
SCANPROBE_URING := $(shell pkg-config --exists liburing 2>/dev/null && echo 1)

.PHONY: bench-scan-probe
bench: bench-scan-probe

$(SCANPROBE): bench/scanprobe.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(if $(SCANPROBE_URING),-DHAVE_LIBURING) $(LDFLAGS) -o $@ $< \
		$(if $(SCANPROBE_URING),$(shell pkg-config --libs liburing))

bench-scan-probe: $(SCANPROBE) $(GENTREE)
	@tree=$(abspath $(BENCH_DIR))/tree-$(BENCH_FILES); \
	if [ "$$(cat $$tree.complete 2>/dev/null)" != "$(BENCH_FILES)" ]; then \
		echo "bench-scan-probe: generating $(BENCH_FILES) files in $$tree (once)"; \
		rm -rf "$$tree" "$$tree.complete" && $(GENTREE) "$$tree" $(BENCH_FILES) || exit 1; \
	fi; \
	find "$$tree" > /dev/null; \
	echo "load average before: $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	$(SCANPROBE) -r $(PROBE_ROUNDS) "$$tree" && \
	echo "load average after: $$(cut -d' ' -f1-3 /proc/loadavg)"
