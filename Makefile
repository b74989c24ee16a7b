# The one build. `make` builds the library and the program; `make test` builds and runs
# the tests; `make model` retrains the model SUT's networks; `make check` installs what is missing and runs the tests plain, under
# ASan+UBSan and under TSan, and the course's code blocks (`make doctest`); `make demo`
# installs, builds and runs the default benchmark; `make bench` runs the
# self-benchmarks. Objects go under $(BUILD).

VERSION   := 0.1.0
BUILD     ?= build
PREFIX    ?= /usr/local
CC        ?= cc
SAN       ?=
OPT       ?= -O2
# Extra arguments for the Criterion runners (e.g. --filter).
TESTARGS  ?=

GSL_CFLAGS := $(shell pkg-config --cflags gsl 2>/dev/null)
GSL_LIBS   := $(shell pkg-config --libs gsl 2>/dev/null || echo -lgsl -lgslcblas -lm)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread -fPIC $(WARN) $(CFLAGS) -I. $(GSL_CFLAGS) \
             -DLG_VERSION_STRING='"$(VERSION)"' \
             $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
ALL_LDFLAGS = -pthread $(if $(SAN),-fsanitize=$(SAN)) $(LDFLAGS)
LIBS     := $(GSL_LIBS) -ljansson -lm
# The program alone also hashes config files (SHA-256, nettle).
PROG_LIBS := -lnettle

# Two libraries: the core (libloadgen: statistics, the LoadGen, the SUT runtime and the
# QSLs; GSL and pthreads only) and the analysis side (libloadgen_report: run folders read
# back, reports, charts, the harness; adds jansson). An embedder who runs tests links
# the core alone.
CORE_SRC   := $(sort $(wildcard stats/*.c loadgen/*.c sut/*.c qsl/*.c))
REPORT_SRC := $(sort $(wildcard report/*.c plot/*.c harness/*.c))
# The test server (serve/: KServe v2 and OpenAI over HTTP, docs/serve.md) is a static
# library of its own that only the program and the tests link; it is not installed.
SERVE_SRC  := $(sort $(wildcard serve/*.c))
SERVE_OBJ  := $(SERVE_SRC:%.c=$(BUILD)/obj/%.o)
# The clients of real servers (net/: HTTP/1.1, KServe v2, OpenAI streaming, prompt
# datasets; docs/http.md): a static library of its own, linked by the program and the
# tests as serve/ is; it is not installed.
NET_SRC    := $(sort $(wildcard net/*.c))
NET_OBJ    := $(NET_SRC:%.c=$(BUILD)/obj/%.o)
# The model (model/: Fashion-MNIST over zlib, its QSL, MLPs on OpenBLAS, training, the
# model SUT; docs/model.md): a static library of its own, linked by the program, the
# tests and the benchmarks; the core library needs neither zlib nor OpenBLAS. Its
# libraries come first on a link line: GSL's own CBLAS (-lgslcblas) defines
# cblas_sgemm too, and the first library named wins.
MODEL_SRC  := $(sort $(wildcard model/*.c))
MODEL_OBJ  := $(MODEL_SRC:%.c=$(BUILD)/obj/%.o)
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS   := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
MODEL_LIBS  := $(BLAS_LIBS) -lz
# Distributed runs (mpi/: settings broadcast, clock offsets, the exact merge;
# docs/distributed.md): a static library of its own, built only when Debian's Open MPI
# (libopenmpi-dev: pkg-config's ompi-c) is there; the program then links it and takes
# --distributed, and says it was built without it otherwise. Nothing else needs MPI.
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null)
ifneq ($(MPI_LIBS),)
MPI_SRC    := $(sort $(wildcard mpi/*.c))
MPISTATIC  := $(BUILD)/lib/libloadgen_mpi.a
MPI_DEF    := -DLG_HAVE_MPI
else
MPI_SRC    :=
MPISTATIC  :=
MPI_DEF    :=
endif
MPI_OBJ    := $(MPI_SRC:%.c=$(BUILD)/obj/%.o)
CORE_OBJ   := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
REPORT_OBJ := $(REPORT_SRC:%.c=$(BUILD)/obj/%.o)
LIB_SRC    := $(CORE_SRC) $(REPORT_SRC)
PROG_SRC := $(sort $(wildcard cli/*.c))
PROG_OBJ := $(PROG_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
# TESTS_ONLY="ring pool" restricts the test run to tests/test_ring.c and tests/test_pool.c.
TEST_BIN := $(if $(TESTS_ONLY),$(TESTS_ONLY:%=$(BUILD)/tests/test_%),$(TEST_SRC:tests/%.c=$(BUILD)/tests/%))
TEST_HELPERS := $(filter-out tests/test_%.c,$(wildcard tests/*.c))
TEST_HELPER_OBJ := $(TEST_HELPERS:%.c=$(BUILD)/obj/%.o)

# Criterion's runner cannot start under ThreadSanitizer (Snaipe/Criterion#274), so the
# TSan build compiles the same test files against a small stand-in (tests/tsan/).
ifeq ($(SAN),thread)
TEST_CFLAGS := -Itests/tsan
TEST_RUNNER := $(BUILD)/obj/tests/tsan/runner.o
TEST_LIBS   :=
else
TEST_CFLAGS :=
TEST_RUNNER :=
TEST_LIBS   := -lcriterion
endif

STATIC   := $(BUILD)/lib/libloadgen.a
SHARED   := $(BUILD)/lib/libloadgen.so.$(VERSION)
RSTATIC  := $(BUILD)/lib/libloadgen_report.a
RSHARED  := $(BUILD)/lib/libloadgen_report.so.$(VERSION)
# What the program, the tests and the benchmarks link: the analysis library first.
STATICS  := $(RSTATIC) $(STATIC)
SSTATIC  := $(BUILD)/lib/libloadgen_serve.a
NSTATIC  := $(BUILD)/lib/libloadgen_net.a
MSTATIC  := $(BUILD)/lib/libloadgen_model.a
PROG     := $(BUILD)/bin/loadgen
# examples/plugin_*.c are SUT plugins (docs/plugins.md), built as shared libraries.
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(filter-out examples/plugin_%.c,\
              $(wildcard examples/*.c)))
PLUGINS  := $(patsubst examples/%.c,$(BUILD)/examples/%.so,$(wildcard examples/plugin_*.c))

Q := $(if $(V),,@)

# `make` alone builds everything: python/python.mk, included below, defines the first
# rule of the file otherwise.
.DEFAULT_GOAL := all

# The mlperf_loadgen Python module: $(PY_MOD), empty when python3-dev is missing.
include python/python.mk
# libloadgen_cpp, MLPerf's C++ API: $(CPP_STATIC), empty without a C++ compiler.
include cpp/cpp.mk

.PHONY: doctest course-outputs all lib test check demo bench soak install uninstall clean setup fuzz fuzz-build fuzz-replay model FORCE

all: lib $(PROG) $(EXAMPLES) $(PLUGINS) python cpp
lib: $(STATIC) $(SHARED) $(RSTATIC) $(RSHARED)

setup:
	$(Q)sh scripts/setup.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The git commit the build comes from, "-dirty" added when tracked files have changes
# (empty outside a checkout), for results.json and the detail log. $(BUILD)/gen/git.h is
# rewritten only when it changes, so that only loadgen/env.c rebuilds.
GIT_REV   := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
GIT_DIRTY := $(if $(GIT_REV),$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty))
GIT_DATE  := $(if $(GIT_REV),$(shell git log -1 --format=%cI HEAD 2>/dev/null))
$(BUILD)/gen/git.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define LG_GIT_REV "%s"\n#define LG_GIT_COMMIT_DATE "%s"\n' \
	  '$(GIT_REV)$(GIT_DIRTY)' '$(GIT_DATE)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/obj/loadgen/env.o: $(BUILD)/gen/git.h
$(BUILD)/obj/loadgen/env.o: ALL_CFLAGS += -I$(BUILD)/gen -DLG_HAVE_GIT_H
FORCE:

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(TEST_CFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(STATIC): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(SSTATIC): $(SERVE_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(NSTATIC): $(NET_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# OpenBLAS's cblas.h, for the model's sources only (the others call model_*).
$(MODEL_OBJ): ALL_CFLAGS += $(BLAS_CFLAGS)

$(MSTATIC): $(MODEL_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# MPI's headers for mpi/ only; the program's --distributed (cli/distributed.c) is
# compiled with LG_HAVE_MPI when the library is built.
$(MPI_OBJ): ALL_CFLAGS += $(MPI_CFLAGS)
$(BUILD)/obj/cli/distributed.o: ALL_CFLAGS += $(MPI_DEF)

$(BUILD)/lib/libloadgen_mpi.a: $(MPI_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(RSTATIC): $(REPORT_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# The shared libraries export only their public names (the .map files).
$(SHARED): $(CORE_OBJ) loadgen.map
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) -shared -Wl,-soname,libloadgen.so.0 -Wl,--version-script=loadgen.map \
	  $(ALL_LDFLAGS) -o $@ $(CORE_OBJ) $(GSL_LIBS) -lm
	$(Q)ln -sf libloadgen.so.$(VERSION) $(BUILD)/lib/libloadgen.so.0
	$(Q)ln -sf libloadgen.so.$(VERSION) $(BUILD)/lib/libloadgen.so

$(RSHARED): $(REPORT_OBJ) loadgen_report.map $(SHARED)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) -shared -Wl,-soname,libloadgen_report.so.0 \
	  -Wl,--version-script=loadgen_report.map $(ALL_LDFLAGS) -o $@ $(REPORT_OBJ) \
	  -L$(BUILD)/lib -lloadgen -ljansson $(GSL_LIBS) -lm
	$(Q)ln -sf libloadgen_report.so.$(VERSION) $(BUILD)/lib/libloadgen_report.so.0
	$(Q)ln -sf libloadgen_report.so.$(VERSION) $(BUILD)/lib/libloadgen_report.so

# The program exports the core library's public names (loadgen.dyn) for the SUT plugins
# it loads with dlopen: they call lg_complete() and the rest through it. The core is
# linked whole so that every public function is there, not only those the program uses.
$(PROG): $(PROG_OBJ) $(MPISTATIC) $(MSTATIC) $(NSTATIC) $(SSTATIC) $(STATICS) loadgen.dyn
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -Wl,--dynamic-list=loadgen.dyn -o $@ $(PROG_OBJ) $(MPISTATIC) \
	  $(MSTATIC) $(NSTATIC) $(SSTATIC) $(RSTATIC) -Wl,--whole-archive $(STATIC) \
	  -Wl,--no-whole-archive $(MODEL_LIBS) $(LIBS) $(PROG_LIBS) $(MPI_LIBS)

# Examples include <loadgen/loadgen.h> as an installed program would.
$(BUILD)/examples/%: examples/%.c $(STATICS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(STATICS) $(LIBS)

# The model comparison links the model library (OpenBLAS, zlib) as the program does.
$(BUILD)/examples/model_compare: examples/model_compare.c $(MSTATIC) $(STATICS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(BLAS_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(MSTATIC) $(STATICS) \
	  $(MODEL_LIBS) $(LIBS)

# A plugin is compiled -fPIC -shared and links no libloadgen: lg_complete() and the rest
# come from the program that loads it (docs/plugins.md).
$(BUILD)/examples/plugin_%.so: examples/plugin_%.c sut/plugin.h loadgen/loadgen.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -shared -o $@ $< $(ALL_LDFLAGS)

# The broken plugins tests/test_plugin.c loads (tests/plugins/bad.c, one -D each), and the
# echo plugin linked against libloadgen.so, whose lg_complete() must still be the
# program's.
BAD_PLUGINS := no_entry null_table abi2 small_table no_issue undefined
$(BUILD)/tests/plugins/bad_%.so: tests/plugins/bad.c sut/plugin.h loadgen/loadgen.h
	@mkdir -p $(dir $@)
	@echo "  CC      $< ($*)"
	$(Q)$(CC) $(ALL_CFLAGS) -DBAD_$* -shared -o $@ $< $(ALL_LDFLAGS)
$(BUILD)/tests/plugins/echo_linked.so: examples/plugin_echo.c $(SHARED)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (linked with libloadgen.so)"
	$(Q)$(CC) $(ALL_CFLAGS) -shared -o $@ $< $(ALL_LDFLAGS) -L$(BUILD)/lib \
	  -Wl,-rpath,$(abspath $(BUILD)/lib) -lloadgen
$(BUILD)/tests/test_plugin: $(PLUGINS) $(BAD_PLUGINS:%=$(BUILD)/tests/plugins/bad_%.so) \
  $(BUILD)/tests/plugins/echo_linked.so

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(MSTATIC) $(NSTATIC) $(SSTATIC) $(STATICS)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(MSTATIC) $(NSTATIC) $(SSTATIC) $(STATICS) $(MODEL_LIBS) \
	  $(LIBS) -lck

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_RUNNER) $(TEST_HELPER_OBJ) $(MSTATIC) $(NSTATIC) $(SSTATIC) $(STATICS) $(PROG)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_RUNNER) $(TEST_HELPER_OBJ) $(MSTATIC) $(NSTATIC) $(SSTATIC) $(STATICS) \
	  $(MODEL_LIBS) $(LIBS) $(TEST_LIBS) -ljansson

# The test and bench objects are made only by the link rules' patterns, which makes them
# intermediate: make would delete them after each build (the "rm build/obj/..." lines)
# and recompile them next time. Keep every target.
.SECONDARY:

# test_examples runs the examples built beside the program (with the same sanitizers).
$(BUILD)/tests/test_examples: $(EXAMPLES)

# Each test binary runs on its own so that one failure names its area. The tests find
# the program through LOADGEN_BIN.
test: $(TEST_BIN)
	$(Q)fail=0; for t in $(TEST_BIN); do \
	  echo "== $$t"; \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  TSAN_OPTIONS=halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  LOADGEN_BIN=$(abspath $(PROG)) LOADGEN_ROOT=$(CURDIR) $$t --jobs 2 $(TESTARGS) || fail=1; \
	done; exit $$fail

# The README's test command: install, then plain tests, the course's doc tests, ASan+UBSan
# and TSan builds. GCC's
# -fsanitize=undefined leaves out float-cast-overflow (a double converted to an integer
# it does not fit), which damaged run files can cause: the ASan build adds it. TSan
# covers the concurrent parts: the ring, the worker pool, the completion path, the
# report's second thread, the hostile SUTs, the test server, the closed loop, the
# HTTP client and the KServe SUT on it (its I/O threads complete samples through
# lg_complete_cb), the HDR recorder and several issue threads. The plain and ASan builds
# also replay the fuzz corpora (fuzz-replay, below).
TSAN_TESTS ?= ring pool complete report_threads hostile serve concurrency net kserve hdr issue_threads
check:
	$(Q)sh scripts/setup.sh test
	$(Q)sh scripts/check_deps.sh
	$(Q)sh scripts/check_refs.sh
	$(Q)$(MAKE) --no-print-directory test
	$(Q)$(MAKE) --no-print-directory fuzz-replay
	$(Q)$(MAKE) --no-print-directory doctest
	$(Q)$(MAKE) --no-print-directory test BUILD=build/asan SAN=address,undefined,float-cast-overflow OPT=-O1
	$(Q)$(MAKE) --no-print-directory fuzz-replay BUILD=build/asan SAN=address,undefined,float-cast-overflow OPT=-O1
	$(Q)$(MAKE) --no-print-directory test BUILD=build/tsan SAN=thread OPT=-O1 TESTS_ONLY="$(TSAN_TESTS)"
	@echo "check: all test builds passed"

# The course (docs/course/): every sh, c and python block of its chapters and solutions
# is run by scripts/doctest.py against the program, the library and the Python module,
# and its output compared with the output block shown after it; then the runner's own
# fixtures (tests/doctest/). `make course-outputs` rewrites the output blocks from real
# runs (when a change of the program's output is meant).
COURSE_MD := $(sort $(wildcard docs/course/*.md docs/course/solutions/*.md))
doctest: all
	$(Q)python3 scripts/doctest.py --self-test
	$(Q)python3 scripts/doctest.py -j 2 $(COURSE_MD)

course-outputs: all
	$(Q)python3 scripts/doctest.py --write -j 2 $(COURSE_MD)

# The networks the model SUT runs, retrained by the project's own code (`loadgen train`,
# docs/model.md): seeded, one OpenBLAS thread, about 15 s. The files are committed;
# this target rewrites them.
model: $(PROG)
	$(Q)mkdir -p models
	$(Q)$(PROG) train --out models/mlp.lgw --int8-out models/mlp-int8.lgw

demo: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(PROG) demo

# `make bench` runs every benchmark but the soak (10 minutes): `make soak` runs that.
BENCH_RUN := $(filter-out %/bench_soak,$(BENCH_BIN))
bench: $(BENCH_BIN) $(PROG)
	$(Q)sh scripts/setup.sh bench
	$(Q)for b in $(BENCH_RUN); do $$b || exit 1; done

SOAK_MINUTES ?= 10
soak: $(BUILD)/bench/bench_soak
	$(Q)$< --minutes $(SOAK_MINUTES)

# Fuzzing (libFuzzer, Debian's clang): every fuzz/fuzz_NAME.c is built with the whole
# library, the clients (net/) and the command-line parser, and run on its corpus
# fuzz/corpus/NAME/ for FUZZ_SECONDS each (new inputs it finds are added to the corpus).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_SRC     := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
FUZZ_FLAGS    = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -std=c11 -D_GNU_SOURCE -pthread -I. $(GSL_CFLAGS) \
                -DLG_VERSION_STRING='"$(VERSION)"'

# The command-line parser fuzz_cli.c reaches: the number grammar and the run options
# (with the network SUT's, the model SUT's, which bring model/ in, and the plugin SUT's);
# the network targets reach net/.
FUZZ_CLI_SRC := cli/flags.c cli/run_options.c cli/net_options.c cli/model_options.c \
                cli/plugin.c cli/arrival.c

build/fuzz/%: fuzz/%.c $(LIB_SRC) $(NET_SRC) $(MODEL_SRC) $(FUZZ_CLI_SRC) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(BLAS_CFLAGS) -o $@ $< $(LIB_SRC) $(NET_SRC) $(MODEL_SRC) \
	  $(FUZZ_CLI_SRC) $(MODEL_LIBS) $(LIBS)

fuzz-build: $(FUZZ_BIN)

# The corpora replayed in this build (fuzz/replay.c in place of libFuzzer; gcc and the
# build's sanitizers): `make check` runs it in the plain and ASan builds, so a target
# that stops building, or a seed that fails again, fails the tests and not only `make
# fuzz`.
FUZZ_CLI_OBJ := $(FUZZ_CLI_SRC:%.c=$(BUILD)/obj/%.o)
REPLAY_BIN   := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz-replay/%)
$(BUILD)/fuzz-replay/%: $(BUILD)/obj/fuzz/%.o $(BUILD)/obj/fuzz/replay.o $(FUZZ_CLI_OBJ) $(MSTATIC) $(NSTATIC) $(STATICS)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/obj/fuzz/replay.o $(FUZZ_CLI_OBJ) $(MSTATIC) \
	  $(NSTATIC) $(STATICS) $(MODEL_LIBS) $(LIBS) -ldl

fuzz-replay: $(REPLAY_BIN)
	$(Q)for f in $(REPLAY_BIN); do n=$${f##*/fuzz_}; printf '%s: ' "$$f"; \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 $$f fuzz/corpus/$$n || exit 1; done

fuzz: setup
	$(Q)sh scripts/setup.sh fuzz
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)for f in $(FUZZ_BIN); do n=$${f##*/fuzz_}; mkdir -p fuzz/corpus/$$n; \
	  echo "== $$f ($(FUZZ_SECONDS) s)"; \
	  if ! $$f -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=2 -print_final_stats=1 \
	      fuzz/corpus/$$n > build/fuzz/$$n.log 2>&1; then \
	    tail -40 build/fuzz/$$n.log; exit 1; fi; \
	  grep -E 'stat::number_of_executed_units' build/fuzz/$$n.log; \
	done

# Headers go under one folder, include/loadgen/, so that stats/, sut/ or report/ never
# collide with a user's own: the pkg-config files add -I$(PREFIX)/include/loadgen, and
# a program includes <loadgen/loadgen.h>, <report/report.h>, ... as in this tree.
INCDIR  = $(DESTDIR)$(PREFIX)/include/loadgen
# report/report.h includes the report library's parts, each installed beside it.
HEADERS = loadgen/loadgen.h loadgen/ring.h loadgen/config.h stats/stats.h sut/sut.h \
          sut/plugin.h qsl/qsl.h report/report.h report/run.h report/metrics.h \
          report/compare.h report/validate.h report/doc.h report/format.h plot/plot.h \
          harness/harness.h

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	for h in $(HEADERS); do install -d $(INCDIR)/$${h%/*} && \
	  install -m 644 $$h $(INCDIR)/$$h || exit 1; done
	install -m 644 $(STATIC) $(RSTATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(RSHARED) $(DESTDIR)$(PREFIX)/lib/
	for l in libloadgen libloadgen_report; do \
	  ln -sf $$l.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$$l.so.0 && \
	  ln -sf $$l.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$$l.so || exit 1; done
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/loadgen/models
	install -m 644 models/*.lgw $(DESTDIR)$(PREFIX)/share/loadgen/models/
	$(MAKE) --no-print-directory python-install
	$(MAKE) --no-print-directory cpp-install
	for pc in loadgen loadgen-report loadgen-static loadgen-report-static; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $$pc.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/$$pc.pc || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libloadgen.* $(DESTDIR)$(PREFIX)/lib/libloadgen_report.* \
	  $(DESTDIR)$(PREFIX)/bin/loadgen $(DESTDIR)$(PREFIX)/lib/pkgconfig/loadgen.pc \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/loadgen-report.pc \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/loadgen-static.pc \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/loadgen-report-static.pc \
	  $(DESTDIR)$(PREFIX)/lib/libloadgen_cpp.* $(DESTDIR)$(PREFIX)/lib/pkgconfig/loadgen-cpp.pc
	rm -rf $(INCDIR) $(DESTDIR)$(PREFIX)/share/loadgen
	rm -f $(DESTDIR)$(PREFIX)/lib/python3/dist-packages/mlperf_loadgen.*.so
	rm -rf $(DESTDIR)$(PREFIX)/lib/python3/dist-packages/loadgen

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
