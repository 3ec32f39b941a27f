# shrinkwatch - storage-shrinkage anomaly monitor.  See README.md.
#
#   make            build the three programs into $(BUILD)/
#   make deps       install the Debian packages the build and the tests need
#   make check      deps, the layout checks, build, unit tests, integration
#                   tests, sanitizer unit tests, short fuzz runs (and what
#                   mk/*.mk add)
#   make demo       a collector and an agent on a sample store, on 127.0.0.1
#   make fuzz       every fuzz target for FUZZ_SECONDS each
#
# Sources are found by directory (docs/design.md draws the rooms): lib/*.c
# make libshrinkwatch.a, agent/*.c the agent, detect/*.c the detector (shared
# by the collector and shrinkwatchctl), ctl/*.c shrinkwatchctl, collector/*.c
# and collector/*/*.c the collector.  Includes name their file from the top of
# the tree ("collector/store/registry.h") unless it sits in the same folder,
# and tests/layout/check-rooms says which room may include which.  Every
# tests/unit/test_*.c is a cmocka test program.

.DEFAULT_GOAL := all
SHELL := /bin/bash

BUILD ?= build
CC ?= cc
PREFIX ?= /usr/local
SANITIZE ?=
FUZZ ?=
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 8
# V=1 shows every command
V ?=
Q := $(if $(V),,@)

PKGS := libuv librrd libsystemd inih sqlite3 libmicrohttpd libcurl openssl libxml-2.0
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla
CPPFLAGS += -D_GNU_SOURCE -I. -Iinclude
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -fno-strict-aliasing -MMD -MP
LDFLAGS += -Wl,--as-needed
LDLIBS += $(PKG_LIBS) -lm -lpthread

ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ifneq ($(FUZZ),)
CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DSW_FUZZING=1
LDFLAGS += -fsanitize=address,undefined
endif
CFLAGS += $(PKG_CFLAGS)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_SRCS := $(sort $(wildcard lib/*.c))
AGENT_SRCS := $(sort $(wildcard agent/*.c))
DETECT_SRCS := $(sort $(wildcard detect/*.c))
CTL_SRCS := $(sort $(wildcard ctl/*.c))
COLL_SRCS := $(sort $(wildcard collector/*.c collector/*/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
# The integration tests mostly wait on daemons (about a third of a core in
# all), so INTEGRATION_JOBS of them run at once; the slowest start first, so
# that the last ones end together.
INTEGRATION_JOBS ?= 3
INTEGRATION_FIRST := $(wildcard $(addprefix tests/integration/,test_exact_e2e.sh \
	test_copy_digests.sh test_objstore_azure.sh test_readme.sh test_objstore_s3.sh \
	test_full_data_dir.sh test_faults.sh test_accounts_compat.sh))
INTEGRATION_TESTS := $(INTEGRATION_FIRST) \
	$(filter-out $(INTEGRATION_FIRST),$(sort $(wildcard tests/integration/test_*.sh)))
# ar keeps one member per file name: two sources of one archive must not share one.
$(foreach v,LIB_SRCS AGENT_SRCS DETECT_SRCS CTL_SRCS COLL_SRCS,$(if $(filter-out \
	$(words $($(v))),$(words $(sort $(notdir $($(v)))))),$(error $(v): two sources share a file name)))

LIB_A := $(BUILD)/libshrinkwatch.a
AGENT_A := $(BUILD)/libagent.a
DETECT_A := $(BUILD)/libdetect.a
COLL_A := $(BUILD)/libcollector.a
CTL_A := $(BUILD)/libctl.a
ALL_A := $(CTL_A) $(AGENT_A) $(COLL_A) $(DETECT_A) $(LIB_A)

AGENT_BIN := $(BUILD)/shrinkwatch-agent
COLL_BIN := $(BUILD)/shrinkwatch-collector
CTL_BIN := $(BUILD)/shrinkwatchctl
BINS := $(AGENT_BIN) $(COLL_BIN) $(CTL_BIN)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

# Debian packages the build and every test need; mk/*.mk may add to DEBS and
# to CHECK_EXTRA (targets make check runs after the core steps).
DEBS := build-essential clang libclang-rt-14-dev pkg-config \
	libuv1-dev librrd-dev libsystemd-dev libcmocka-dev libinih-dev \
	libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev libxml2-dev \
	rrdtool sqlite3 procps psmisc strace
CHECK_EXTRA :=

-include $(sort $(wildcard mk/*.mk))

.PHONY: all deps check layout unit integration sanitize fuzz fuzz-build fuzz-smoke \
	demo clean install

all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB_A): $(call obj,$(LIB_SRCS))
$(AGENT_A): $(call obj,$(filter-out agent/main.c,$(AGENT_SRCS)))
$(DETECT_A): $(call obj,$(DETECT_SRCS))
$(COLL_A): $(call obj,$(filter-out collector/main.c,$(COLL_SRCS)))
$(CTL_A): $(call obj,$(filter-out ctl/main.c,$(CTL_SRCS)))
$(ALL_A):
	@mkdir -p $(@D)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^ $(if $^,,$(BUILD)/empty.o)

# An archive of no members still has to exist for the link lines below.
$(BUILD)/empty.o:
	@mkdir -p $(@D)
	$(Q)echo 'extern int shrinkwatch__empty_unit; int shrinkwatch__empty_unit;' | \
		$(CC) -x c -c -o $@ -
$(ALL_A): | $(BUILD)/empty.o

$(AGENT_BIN): $(call obj,agent/main.c) $(AGENT_A) $(LIB_A)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(COLL_BIN): $(call obj,collector/main.c) $(COLL_A) $(DETECT_A) $(LIB_A)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(CTL_BIN): $(call obj,ctl/main.c) $(CTL_A) $(DETECT_A) $(LIB_A)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(ALL_A)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_A) $(LDLIBS) \
		$(shell pkg-config --libs cmocka 2>/dev/null)

# A single-file benchmark or tool in bench/ links against every archive;
# mk/*.mk name only what they run (bench/*.c with a rule of their own, such as
# the load generator's several files, are linked there).
$(BUILD)/bench/%: bench/%.c $(ALL_A)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_A) $(LDLIBS)

# ---- tests ---------------------------------------------------------------

unit: $(UNIT_BINS)
	@tests/run-suite unit $(UNIT_BINS)

integration: $(BINS) $(BUILD)/bench/sendtrace
	@BUILD=$(abspath $(BUILD)) SUITE_JOBS=$(INTEGRATION_JOBS) tests/run-suite integration \
		$(INTEGRATION_TESTS)

# The unit tests, and the daemons through the core integration test and the
# refused configurations (leaks on an error path), under ASan/UBSan (a report
# or a leak at exit fails).
sanitize:
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 unit all
	@BUILD=$(abspath build/asan) tests/run-suite integration-asan tests/integration/test_core.sh \
		tests/integration/test_config_refused.sh

# The tree's shape: which room may include which, no circles (docs/design.md,
# "Rooms"), and banned.h last in every source file.
layout:
	@tests/layout/check-rooms
	@tests/layout/check-banned

check: deps
	@$(MAKE) --no-print-directory layout
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory sanitize
	@$(MAKE) --no-print-directory fuzz-smoke
	$(if $(strip $(CHECK_EXTRA)),@$(MAKE) --no-print-directory $(CHECK_EXTRA))
	@echo "check: every step passed"

# ---- fuzzing -------------------------------------------------------------

$(BUILD)/fuzz/%: tests/fuzz/%.c $(ALL_A)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
		$(ALL_A) $(LDLIBS)

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang FUZZ=1 $(patsubst tests/fuzz/%.c,build/fuzz/fuzz/%,$(FUZZ_SRCS))

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(patsubst tests/fuzz/%.c,build/fuzz/fuzz/%,$(FUZZ_SRCS))

fuzz-smoke: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) tests/fuzz/run $(patsubst tests/fuzz/%.c,build/fuzz/fuzz/%,$(FUZZ_SRCS))

# ---- running -------------------------------------------------------------

demo: deps
	$(MAKE) all $(BUILD)/bench/sendtrace
	@BUILD=$(abspath $(BUILD)) packaging/demo/demo.sh

deps:
	@tests/install-deps $(DEBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(AGENT_BIN) $(COLL_BIN) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 $(CTL_BIN) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
