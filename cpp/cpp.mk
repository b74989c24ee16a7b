# cpp/cpp.mk: libloadgen_cpp, MLPerf LoadGen's C++ API and "C API" on the core
# (docs/cpp.md), included by the Makefile. Built when a C++ compiler is there (Debian's
# g++, `sh scripts/setup.sh` installs it), skipped with a message when not. The headers
# (cpp/include/) keep MLPerf's names: a harness compiles with -Icpp/include (installed:
# -I$(PREFIX)/include/loadgen/mlperf, pkg-config loadgen-cpp) and links -lloadgen_cpp
# -lloadgen.

CXX_PATH     := $(shell command -v $(CXX) 2>/dev/null)
CXXWARN      := -Wall -Wextra -Werror -Wshadow
ALL_CXXFLAGS  = -std=c++17 -D_GNU_SOURCE -pthread -fPIC $(CXXWARN) $(CFLAGS) -I. \
                $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
CPP_SRC      := $(sort $(wildcard cpp/*.cc))
CPP_OBJ      := $(CPP_SRC:%.cc=$(BUILD)/obj/%.o)
CPP_HEADERS  := $(sort $(wildcard cpp/include/*.h cpp/include/bindings/*.h))
ifneq ($(CXX_PATH),)
CPP_STATIC   := $(BUILD)/lib/libloadgen_cpp.a
CPP_SHARED   := $(BUILD)/lib/libloadgen_cpp.so.$(VERSION)
# The MLPerf-style programs tests/test_cpp.c runs (tests/cpp/*.cc), built as a harness
# is: -Icpp/include, the C++ library and the core, with the build's sanitizers.
CPP_TEST_BIN := $(patsubst tests/cpp/%.cc,$(BUILD)/tests/cpp/%,$(wildcard tests/cpp/*.cc))
else
CPP_STATIC   :=
CPP_SHARED   :=
CPP_TEST_BIN :=
endif

.PHONY: cpp cpp-install cpp-skip
cpp: $(if $(CPP_STATIC),$(CPP_STATIC) $(CPP_SHARED),cpp-skip)

cpp-skip:
	@echo "  SKIP    libloadgen_cpp: no C++ compiler ($(CXX); install g++)"

$(BUILD)/obj/cpp/%.o: cpp/%.cc
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	$(Q)$(CXX) $(ALL_CXXFLAGS) -MMD -MP -c $< -o $@

$(CPP_STATIC): $(CPP_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# The shared library exports the mlperf:: names only (cpp/loadgen_cpp.map) and takes the
# core from libloadgen.so.
$(CPP_SHARED): $(CPP_OBJ) cpp/loadgen_cpp.map $(SHARED)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CXX) -shared -Wl,-soname,libloadgen_cpp.so.0 -Wl,--version-script=cpp/loadgen_cpp.map \
	  $(ALL_LDFLAGS) -o $@ $(CPP_OBJ) -L$(BUILD)/lib -lloadgen $(GSL_LIBS) -lm
	$(Q)ln -sf libloadgen_cpp.so.$(VERSION) $(BUILD)/lib/libloadgen_cpp.so.0
	$(Q)ln -sf libloadgen_cpp.so.$(VERSION) $(BUILD)/lib/libloadgen_cpp.so

$(BUILD)/tests/cpp/%: tests/cpp/%.cc $(CPP_HEADERS) $(CPP_STATIC) $(STATIC)
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	$(Q)$(CXX) $(ALL_CXXFLAGS) -Icpp/include -o $@ $< $(ALL_LDFLAGS) $(CPP_STATIC) $(STATIC) \
	  $(GSL_LIBS) -lm

# Headers go to include/loadgen/mlperf/ (bindings/c_api.h beside them), the libraries
# beside the core's, and loadgen-cpp.pc.
CPP_INCDIR = $(DESTDIR)$(PREFIX)/include/loadgen/mlperf
cpp-install: cpp
	$(if $(CPP_STATIC),install -d $(CPP_INCDIR)/bindings && \
	  install -m 644 $(filter-out cpp/include/bindings/%,$(CPP_HEADERS)) $(CPP_INCDIR)/ && \
	  install -m 644 cpp/include/bindings/*.h $(CPP_INCDIR)/bindings/ && \
	  install -m 644 $(CPP_STATIC) $(DESTDIR)$(PREFIX)/lib/ && \
	  install -m 755 $(CPP_SHARED) $(DESTDIR)$(PREFIX)/lib/ && \
	  ln -sf libloadgen_cpp.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libloadgen_cpp.so.0 && \
	  ln -sf libloadgen_cpp.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libloadgen_cpp.so && \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' cpp/loadgen-cpp.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/loadgen-cpp.pc,@echo "  SKIP    libloadgen_cpp not built")

# tests/test_cpp.c runs the programs above, from this folder (empty: skipped).
$(BUILD)/obj/tests/test_cpp.o: ALL_CFLAGS += \
  -DTEST_CPP_DIR='"$(if $(CPP_STATIC),$(abspath $(BUILD)/tests/cpp))"'
$(BUILD)/tests/test_cpp: $(CPP_TEST_BIN)
