# python/python.mk: the mlperf_loadgen extension module (docs/python.md), included by
# the Makefile. Built against Debian's python3-dev when it is installed (skipped with a
# message when not) into $(BUILD)/python/, importable with PYTHONPATH=$(BUILD)/python.
# It links the core library (libloadgen.a, built -fPIC) into itself and exports only
# PyInit_mlperf_loadgen.

# Debian's interpreter when it is there (a python3 earlier in PATH may be another build).
PYTHON        ?= $(firstword $(wildcard /usr/bin/python3) python3)
PYTHON_CONFIG ?= $(PYTHON)-config
# -isystem: the warnings of Python's own headers are not ours to fix.
PY_CFLAGS     := $(patsubst -I%,-isystem %,$(sort $(shell $(PYTHON_CONFIG) --includes 2>/dev/null)))
PY_EXT        := $(shell $(PYTHON_CONFIG) --extension-suffix 2>/dev/null)
PY_SRC        := $(sort $(wildcard python/*.c))
PY_OBJ        := $(PY_SRC:%.c=$(BUILD)/obj/%.o)
PY_DIR        := $(DESTDIR)$(PREFIX)/lib/python3/dist-packages
ifneq ($(PY_CFLAGS),)
PY_MOD        := $(BUILD)/python/mlperf_loadgen$(PY_EXT)
else
PY_MOD        :=
endif

# A sanitizer build's module needs the sanitizer's runtime loaded first into an
# interpreter that was built without it: the test gives this path to LD_PRELOAD.
PY_PRELOAD := $(if $(findstring address,$(SAN)),$(shell $(CC) -print-file-name=libasan.so))

.PHONY: python python-install
python: $(if $(PY_MOD),$(PY_MOD),python-skip)

.PHONY: python-skip
python-skip:
	@echo "  SKIP    mlperf_loadgen: $(PYTHON_CONFIG) not found (install python3-dev)"

$(PY_OBJ): ALL_CFLAGS += $(PY_CFLAGS)

$(PY_MOD): $(PY_OBJ) $(STATIC) python/mlperf_loadgen.map
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) -shared -Wl,--version-script=python/mlperf_loadgen.map $(ALL_LDFLAGS) \
	  -o $@ $(PY_OBJ) $(STATIC) $(GSL_LIBS) -lm

python-install: $(PY_MOD)
	$(if $(PY_MOD),install -d $(PY_DIR) && install -m 644 $(PY_MOD) $(PY_DIR)/,@echo "  SKIP    mlperf_loadgen not built")

# tests/test_python.c runs the scripts of tests/python/ with this interpreter and module.
$(BUILD)/obj/tests/test_python.o: ALL_CFLAGS += -DTEST_PYTHON='"$(PYTHON)"' \
  -DTEST_PY_MODULE='"$(if $(PY_MOD),$(abspath $(PY_MOD)))"' \
  -DTEST_PY_PRELOAD='"$(PY_PRELOAD)"'
$(BUILD)/tests/test_python: $(PY_MOD)
