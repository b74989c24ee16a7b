/* internal.h: what the parts of the mlperf_loadgen extension module share. The module
 * is MLPerf's Python binding (docs/python.md) written on the CPython C API over
 * libloadgen; every name here is internal to it. */
#ifndef PYTHON_INTERNAL_H
#define PYTHON_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdbool.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

/* The module's enums (enum.IntEnum classes made at import), strong references. */
extern PyObject *py_TestScenario, *py_TestMode, *py_LoggingMode;

/* MLPerf's TestMode value that ours has no lg_mode for. */
#define PY_MODE_FIND_PEAK 3

/* QuerySample: what an issue callback receives. */
typedef struct {
    PyObject_HEAD
    uint64_t id;
    uint64_t index;
} py_sample;

/* QuerySampleResponse: what QuerySamplesComplete takes. data is an address (an
 * integer), as MLPerf's. */
typedef struct {
    PyObject_HEAD
    uint64_t id;
    uintptr_t data;
    size_t size;
    int64_t n_tokens;
} py_response;

/* LogOutputSettings. */
typedef struct {
    PyObject_HEAD
    PyObject *outdir, *prefix, *suffix; /* str */
    bool prefix_with_datetime;
    bool copy_detail_to_stdout;
    bool copy_summary_to_stdout;
} py_log_output;

/* LogSettings: log_output is a LogOutputSettings it owns; reading the attribute gives
 * that object, so `ls.log_output.outdir = "x"` changes ls, as MLPerf's does. */
typedef struct {
    PyObject_HEAD
    py_log_output *log_output;
    PyObject *log_mode; /* a LoggingMode member */
    uint64_t log_mode_async_poll_interval_ms;
    bool enable_trace;
} py_log_settings;

/* TestSettings: ours, plus MLPerf's fields that ours has no room for. */
typedef struct {
    PyObject_HEAD
    lg_settings s;
    int mode_value; /* the TestMode value (0-3), lg_mode's (FindPeakPerformance 3) */
} py_settings;

extern PyTypeObject py_sample_type, py_response_type, py_log_output_type,
    py_log_settings_type, py_settings_type;

/* Readies the types and adds them, the enums and the Vector classes to m. Returns 0, or
 * -1 with an exception set. */
int py_types_init(PyObject *m);
int py_settings_init(PyObject *m);

/* The lg_settings a TestSettings asks for, checked (lg_settings_check). Returns 0, or -1
 * with TypeError (not a TestSettings) or ValueError (a value ours refuses, named;
 * FindPeakPerformance outside Server). */
int py_settings_to_lg(PyObject *obj, lg_settings *out);

/* A new QuerySample (no __init__ call): the issue path makes one per sample. */
PyObject *py_sample_new(uint64_t id, uint64_t index);

/* The value of an enum member given for `what`, which must be an instance of `type`
 * (MLPerf's enums refuse plain integers). Returns the value, or -1 with TypeError. */
long py_enum_value(PyObject *type, PyObject *v, const char *what);
/* The member of `type` with this value (new reference), or NULL with an exception. */
PyObject *py_enum_member(PyObject *type, long value);

/* Converters of attribute values with MLPerf's (pybind11's) rules: integers refuse
 * floats and negatives (TypeError), floats take integers, booleans take integers.
 * Return 0, or -1 with an exception naming the attribute. */
int py_get_u64(PyObject *v, const char *name, uint64_t *out);
int py_get_double(PyObject *v, const char *name, double *out);
int py_get_bool(PyObject *v, const char *name, bool *out);

#endif /* PYTHON_INTERNAL_H */
