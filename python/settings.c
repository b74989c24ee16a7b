/* settings.c: TestSettings, MLPerf's field names and defaults over lg_settings, and
 * FromConfig on our config reader (loadgen/config.h). */
#include "python/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <unistd.h>

#include "loadgen/config.h"

/* How a field is read and written from Python. */
typedef enum field_kind {
    K_U64,      /* uint64_t */
    K_I64,      /* int64_t in ours, an unsigned integer in MLPerf's */
    K_DOUBLE,
    K_BOOL,
    K_SCENARIO, /* lg_scenario, as a TestScenario member */
    K_MODE,     /* mode_value, as a TestMode member */
} field_kind;

typedef struct row {
    const char *name; /* MLPerf's Python attribute name */
    field_kind k;
    size_t off;       /* in py_settings */
} row;

#define S(m) offsetof(py_settings, s.m)
#define X(m) offsetof(py_settings, m)

/* Every field of MLPerf's Python TestSettings, in its order. ttft_latency and
 * tpot_latency are its Python names for server_ttft_latency and server_tpot_latency. */
static const row rows[] = {
    {"scenario", K_SCENARIO, S(scenario)},
    {"mode", K_MODE, X(mode_value)},
    {"single_stream_expected_latency_ns", K_DOUBLE, S(single_stream_expected_latency_ns)},
    {"single_stream_target_latency_percentile", K_DOUBLE,
     S(single_stream_target_latency_percentile)},
    {"multi_stream_expected_latency_ns", K_DOUBLE, S(multi_stream_expected_latency_ns)},
    {"multi_stream_target_latency_percentile", K_DOUBLE,
     S(multi_stream_target_latency_percentile)},
    {"multi_stream_samples_per_query", K_U64, S(multi_stream_samples_per_query)},
    {"server_target_qps", K_DOUBLE, S(server_target_qps)},
    {"server_target_latency_ns", K_I64, S(server_target_latency_ns)},
    {"server_target_latency_percentile", K_DOUBLE, S(server_target_latency_percentile)},
    {"server_coalesce_queries", K_BOOL, S(server_coalesce_queries)},
    {"server_find_peak_qps_decimals_of_precision", K_U64,
     S(server_find_peak_qps_decimals_of_precision)},
    {"server_find_peak_qps_boundary_step_size", K_DOUBLE,
     S(server_find_peak_qps_boundary_step_size)},
    {"server_max_async_queries", K_U64, S(server_max_async_queries)},
    {"server_num_issue_query_threads", K_U64, S(server_num_issue_query_threads)},
    {"offline_expected_qps", K_DOUBLE, S(offline_expected_qps)},
    {"sample_concatenate_permutation", K_BOOL, S(sample_concatenate_permutation)},
    {"min_duration_ms", K_U64, S(min_duration_ms)},
    {"max_duration_ms", K_U64, S(max_duration_ms)},
    {"min_query_count", K_U64, S(min_query_count)},
    {"max_query_count", K_U64, S(max_query_count)},
    {"qsl_rng_seed", K_U64, S(qsl_rng_seed)},
    {"sample_index_rng_seed", K_U64, S(sample_index_rng_seed)},
    {"schedule_rng_seed", K_U64, S(schedule_rng_seed)},
    {"accuracy_log_rng_seed", K_U64, S(accuracy_log_rng_seed)},
    {"accuracy_log_probability", K_DOUBLE, S(accuracy_log_probability)},
    {"accuracy_log_sampling_target", K_U64, S(accuracy_log_sampling_target)},
    {"print_timestamps", K_BOOL, S(print_timestamps)},
    {"performance_issue_unique", K_BOOL, S(performance_issue_unique)},
    {"performance_issue_same", K_BOOL, S(performance_issue_same)},
    {"performance_issue_same_index", K_U64, S(performance_issue_same_index)},
    {"performance_sample_count_override", K_U64, S(performance_sample_count_override)},
    {"accuracy_sample_count_override", K_U64, S(accuracy_sample_count_override)},
    {"test05", K_BOOL, S(test05)},
    {"test05_qsl_rng_seed", K_U64, S(test05_qsl_rng_seed)},
    {"test05_sample_index_rng_seed", K_U64, S(test05_sample_index_rng_seed)},
    {"test05_schedule_rng_seed", K_U64, S(test05_schedule_rng_seed)},
    {"use_token_latencies", K_BOOL, S(use_token_latencies)},
    {"ttft_latency", K_I64, S(server_ttft_latency_ns)},
    {"tpot_latency", K_I64, S(server_tpot_latency_ns)},
    {"infer_token_latencies", K_BOOL, S(infer_token_latencies)},
    {"token_latency_scaling_factor", K_U64, S(token_latency_scaling_factor)},
    /* Ours, after MLPerf's (docs/python.md): the module's defaults are MLPerf's
     * behaviour, no sample timeout and max limits that do not make a run INVALID. */
    {"sample_timeout_ns", K_I64, S(sample_timeout_ns)},
    {"no_sample_timeout", K_BOOL, S(no_sample_timeout)},
    {"mlperf_max_limits", K_BOOL, S(mlperf_max_limits)},
};
#define NROWS (sizeof rows / sizeof *rows)

#define AT(self, r, T) ((T *)((char *)(self) + (r)->off))

static PyObject *field_get(PyObject *self, void *c)
{
    const row *r = c;
    switch (r->k) {
    case K_U64:
        return PyLong_FromUnsignedLongLong(*AT(self, r, uint64_t));
    case K_I64:
        return PyLong_FromLongLong(*AT(self, r, int64_t));
    case K_DOUBLE:
        return PyFloat_FromDouble(*AT(self, r, double));
    case K_BOOL:
        return PyBool_FromLong(*AT(self, r, bool));
    case K_SCENARIO:
        return py_enum_member(py_TestScenario, (long)*AT(self, r, lg_scenario));
    case K_MODE:
        return py_enum_member(py_TestMode, *AT(self, r, int));
    }
    return NULL;
}

static int field_set(PyObject *self, PyObject *v, void *c)
{
    const row *r = c;
    char name[96];
    snprintf(name, sizeof name, "TestSettings.%s", r->name);
    uint64_t u;
    long e;
    switch (r->k) {
    case K_U64:
        return py_get_u64(v, name, AT(self, r, uint64_t));
    case K_I64:
        if (py_get_u64(v, name, &u) < 0)
            return -1;
        if (u > INT64_MAX) {
            PyErr_Format(PyExc_OverflowError, "%s: %llu is beyond 2**63-1 ns", name,
                         (unsigned long long)u);
            return -1;
        }
        *AT(self, r, int64_t) = (int64_t)u;
        return 0;
    case K_DOUBLE:
        return py_get_double(v, name, AT(self, r, double));
    case K_BOOL:
        return py_get_bool(v, name, AT(self, r, bool));
    case K_SCENARIO:
        if ((e = py_enum_value(py_TestScenario, v, name)) < 0)
            return -1;
        *AT(self, r, lg_scenario) = (lg_scenario)e;
        return 0;
    case K_MODE:
        if ((e = py_enum_value(py_TestMode, v, name)) < 0)
            return -1;
        *AT(self, r, int) = (int)e;
        /* TestMode's values are lg_mode's, FindPeakPerformance (3) included. */
        ((py_settings *)self)->s.mode = (lg_mode)e;
        return 0;
    }
    return -1;
}

static PyObject *settings_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args, (void)kw;
    py_settings *t = (py_settings *)type->tp_alloc(type, 0);
    if (!t)
        return NULL;
    lg_settings_default(&t->s);
    t->mode_value = (int)t->s.mode;
    /* MLPerf's C++ leaves this field uninitialised; its Python object reads 0. */
    t->s.token_latency_scaling_factor = 0;
    /* MLPerf's LoadGen waits for every sample and judges a run that a max limit ended on
     * the other rules: a harness written for it gets the same verdicts. */
    t->s.no_sample_timeout = true;
    t->s.mlperf_max_limits = true;
    return (PyObject *)t;
}

static int settings_init(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    if (PyTuple_GET_SIZE(args) || (kw && PyDict_GET_SIZE(kw))) {
        PyErr_SetString(PyExc_TypeError, "TestSettings() takes no arguments");
        return -1;
    }
    return 0;
}

/* FromConfig(path, model, scenario, conf_type=1) -> int: MLPerf's return codes (0,
 * -ENOENT, -EINVAL). Ours reads the file strictly: the reason of a refusal goes to
 * stderr, naming the file and line. conf_type 0 reads `path` as an mlperf.conf (ours
 * embeds none), 1 as the kind its name says, 2 (audit.config) as an mlperf.conf. */
static PyObject *settings_from_config(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"path", "model", "scenario", "conf_type", NULL};
    const char *path, *model, *scen_name;
    int conf_type = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "sss|i:FromConfig", kwlist, &path, &model,
                                     &scen_name, &conf_type))
        return NULL;
    py_settings *t = (py_settings *)self;
    char err[512];
    lg_settings s = t->s;
    int rc = lg_config_from_mlperf(&s, path, model, scen_name, conf_type, err, sizeof err);
    if (rc == 0) {
        if (s.mode != t->s.mode)
            t->mode_value = (int)s.mode;
        t->s = s;
    } else {
        PySys_FormatStderr("mlperf_loadgen: FromConfig: %s\n", err);
    }
    return PyLong_FromLong(rc);
}

int py_settings_to_lg(PyObject *obj, lg_settings *out)
{
    if (!PyObject_TypeCheck(obj, &py_settings_type)) {
        PyErr_Format(PyExc_TypeError, "a TestSettings is needed, not %s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    py_settings *t = (py_settings *)obj;
    *out = t->s;
    /* A timeout asked for turns ours on: no_sample_timeout is the module's default. */
    if (out->sample_timeout_ns > 0)
        out->no_sample_timeout = false;
    /* Python's default 0 means "not set": ours wants at least 1 unless it is used. */
    if (out->token_latency_scaling_factor == 0 && !out->infer_token_latencies)
        out->token_latency_scaling_factor = 1;
    char msg[512];
    if (lg_settings_check(out, NULL, msg, sizeof msg) != 0) {
        PyErr_Format(PyExc_ValueError, "TestSettings: %s", msg);
        return -1;
    }
    return 0;
}

static PyGetSetDef getset[NROWS + 1];

static PyMethodDef methods[] = {
    {"FromConfig", (PyCFunction)(void (*)(void))settings_from_config,
     METH_VARARGS | METH_KEYWORDS,
     "FromConfig(path, model, scenario, conf_type=1) -> int: applies a config file's "
     "lines for this model and scenario; 0, -ENOENT or -EINVAL."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject py_settings_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mlperf_loadgen.TestSettings",
    .tp_basicsize = sizeof(py_settings),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "MLPerf's TestSettings, with its field names and defaults.",
    .tp_new = settings_new,
    .tp_init = settings_init,
    .tp_getset = getset,
    .tp_methods = methods,
};

int py_settings_init(PyObject *m)
{
    for (size_t i = 0; i < NROWS; i++)
        getset[i] = (PyGetSetDef){(char *)rows[i].name, field_get, field_set, NULL,
                                  (void *)&rows[i]};
    if (PyType_Ready(&py_settings_type) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "TestSettings", (PyObject *)&py_settings_type);
}
