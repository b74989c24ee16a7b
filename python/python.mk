# python/python.mk: the mlperf_loadgen extension module and the loadgen package
# (docs/python.md), included by the Makefile. Built against Debian's python3-dev when it
# is installed (skipped with a message when not) into $(BUILD)/python/, importable with
# PYTHONPATH=$(BUILD)/python. Each module links the libraries it needs (built -fPIC)
# into itself and exports only its PyInit_ function.

# Debian's interpreter when it is there (a python3 earlier in PATH may be another build).
PYTHON        ?= $(firstword $(wildcard /usr/bin/python3) python3)
PYTHON_CONFIG ?= $(PYTHON)-config
# -isystem: the warnings of Python's own headers are not ours to fix.
PY_CFLAGS     := $(patsubst -I%,-isystem %,$(sort $(shell $(PYTHON_CONFIG) --includes 2>/dev/null)))
PY_EXT        := $(shell $(PYTHON_CONFIG) --extension-suffix 2>/dev/null)
# python/pkg_*.c are the loadgen package's _core module, below.
PY_SRC        := $(sort $(filter-out python/pkg_%.c,$(wildcard python/*.c)))
PY_OBJ        := $(PY_SRC:%.c=$(BUILD)/obj/%.o)
PY_DIR        := $(DESTDIR)$(PREFIX)/lib/python3/dist-packages
# The Pythonic package `loadgen` (python/loadgen/*.py) over its C module loadgen._core
# (python/pkg_*.c), which links the harness and the reports too (libloadgen_report.a,
# jansson): built into $(BUILD)/python/loadgen/, importable with the same PYTHONPATH.
PKG_SRC       := $(sort $(wildcard python/pkg_*.c))
PKG_OBJ       := $(PKG_SRC:%.c=$(BUILD)/obj/%.o)
PKG_PY        := $(patsubst python/%,$(BUILD)/python/%,$(wildcard python/loadgen/*.py))
ifneq ($(PY_CFLAGS),)
PY_MOD        := $(BUILD)/python/mlperf_loadgen$(PY_EXT)
PKG_MOD       := $(BUILD)/python/loadgen/_core$(PY_EXT)
else
PY_MOD        :=
PKG_MOD       :=
endif

# A sanitizer build's module needs the sanitizer's runtime loaded first into an
# interpreter that was built without it: the test gives this path to LD_PRELOAD.
PY_PRELOAD := $(if $(findstring address,$(SAN)),$(shell $(CC) -print-file-name=libasan.so))

.PHONY: python python-install
python: $(if $(PY_MOD),$(PY_MOD) $(PKG_MOD) $(PKG_PY),python-skip)

.PHONY: python-skip
python-skip:
	@echo "  SKIP    mlperf_loadgen: $(PYTHON_CONFIG) not found (install python3-dev)"

$(PY_OBJ) $(PKG_OBJ): ALL_CFLAGS += $(PY_CFLAGS)

$(PY_MOD): $(PY_OBJ) $(STATIC) python/mlperf_loadgen.map
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) -shared -Wl,--version-script=python/mlperf_loadgen.map $(ALL_LDFLAGS) \
	  -o $@ $(PY_OBJ) $(STATIC) $(GSL_LIBS) -lm

$(PKG_MOD): $(PKG_OBJ) $(RSTATIC) $(STATIC) python/loadgen_core.map
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) -shared -Wl,--version-script=python/loadgen_core.map $(ALL_LDFLAGS) \
	  -o $@ $(PKG_OBJ) $(RSTATIC) $(STATIC) $(LIBS)

$(BUILD)/python/loadgen/%.py: python/loadgen/%.py
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

python-install: $(PY_MOD) $(PKG_MOD) $(PKG_PY)
	$(if $(PY_MOD),install -d $(PY_DIR) && install -m 644 $(PY_MOD) $(PY_DIR)/,@echo "  SKIP    mlperf_loadgen not built")
	$(if $(PKG_MOD),install -d $(PY_DIR)/loadgen && install -m 644 $(PKG_MOD) $(PKG_PY) $(PY_DIR)/loadgen/,@echo "  SKIP    loadgen package not built")

# tests/test_python.c runs the scripts of tests/python/ with this interpreter and module.
$(BUILD)/obj/tests/test_python.o: ALL_CFLAGS += -DTEST_PYTHON='"$(PYTHON)"' \
  -DTEST_PY_MODULE='"$(if $(PY_MOD),$(abspath $(PY_MOD)))"' \
  -DTEST_PY_PRELOAD='"$(PY_PRELOAD)"'
$(BUILD)/tests/test_python: $(PY_MOD) $(PKG_MOD) $(PKG_PY)
