/* types.c: the module's small types (QuerySample, QuerySampleResponse,
 * LogOutputSettings, LogSettings), its enums (TestScenario, TestMode, LoggingMode) and
 * the Vector* names, with MLPerf's attribute rules: no other attributes (a misspelled
 * one raises AttributeError), integers refuse floats and negatives, booleans take
 * integers. */
#include "python/internal.h"

#include <stddef.h>
#include <string.h>

/* The address and size fields are 64-bit integers here, as MLPerf's on LP64. */
_Static_assert(sizeof(uintptr_t) == sizeof(uint64_t), "64-bit addresses");
_Static_assert(sizeof(size_t) == sizeof(uint64_t), "64-bit sizes");

PyObject *py_TestScenario, *py_TestMode, *py_LoggingMode;

/* ---------------------------------------------------------------- value rules */

int py_get_u64(PyObject *v, const char *name, uint64_t *out)
{
    if (v == NULL) {
        PyErr_Format(PyExc_AttributeError, "%s cannot be deleted", name);
        return -1;
    }
    /* Integers, and objects that are integers (numpy's) by __index__; never a float. */
    if (PyLong_CheckExact(v)) { /* the common case, without __index__'s new reference */
        unsigned long long x = PyLong_AsUnsignedLongLong(v);
        if (x == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s: %R is not an integer from 0 to 2**64-1",
                         name, v);
            return -1;
        }
        *out = x;
        return 0;
    }
    if (PyFloat_Check(v) || !PyIndex_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s: an integer is needed, not %s", name,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    PyObject *i = PyNumber_Index(v);
    if (!i)
        return -1;
    unsigned long long x = PyLong_AsUnsignedLongLong(i);
    Py_DECREF(i);
    if (x == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: %R is not an integer from 0 to 2**64-1", name, v);
        return -1;
    }
    *out = x;
    return 0;
}

int py_get_double(PyObject *v, const char *name, double *out)
{
    if (v == NULL) {
        PyErr_Format(PyExc_AttributeError, "%s cannot be deleted", name);
        return -1;
    }
    PyNumberMethods *nb = Py_TYPE(v)->tp_as_number;
    if (!PyFloat_Check(v) && !PyIndex_Check(v) && !(nb && nb->nb_float)) {
        PyErr_Format(PyExc_TypeError, "%s: a number is needed, not %s", name,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    double d = PyFloat_AsDouble(v);
    if (d == -1.0 && PyErr_Occurred())
        return -1;
    *out = d;
    return 0;
}

int py_get_bool(PyObject *v, const char *name, bool *out)
{
    if (v == NULL) {
        PyErr_Format(PyExc_AttributeError, "%s cannot be deleted", name);
        return -1;
    }
    /* As pybind11 converts: True/False, None, and numbers (numpy's bool_, 0, 1, 2). */
    PyNumberMethods *nb = Py_TYPE(v)->tp_as_number;
    if (v != Py_None && !PyBool_Check(v) && !(nb && nb->nb_bool)) {
        PyErr_Format(PyExc_TypeError, "%s: a bool is needed, not %s", name,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    int t = PyObject_IsTrue(v);
    if (t < 0)
        return -1;
    *out = t;
    return 0;
}

long py_enum_value(PyObject *type, PyObject *v, const char *what)
{
    int is = v ? PyObject_IsInstance(v, type) : 0;
    if (is < 0)
        return -1;
    if (!is) {
        PyErr_Format(PyExc_TypeError, "%s: a %s member is needed, not %s", what,
                     ((PyTypeObject *)type)->tp_name, v ? Py_TYPE(v)->tp_name : "nothing");
        return -1;
    }
    return PyLong_AsLong(v);
}

PyObject *py_enum_member(PyObject *type, long value)
{
    return PyObject_CallFunction(type, "l", value);
}

/* ---------------------------------------------------------------- generic fields */

/* One attribute: where it is in the object and its name for messages. */
typedef struct field {
    size_t off;
    const char *name;
} field;

#define AT(self, c, T) ((T *)((char *)(self) + ((const field *)(c))->off))

static PyObject *u64_get(PyObject *self, void *c)
{
    return PyLong_FromUnsignedLongLong(*AT(self, c, uint64_t));
}

static int u64_set(PyObject *self, PyObject *v, void *c)
{
    return py_get_u64(v, ((const field *)c)->name, AT(self, c, uint64_t));
}

static PyObject *i64_get(PyObject *self, void *c)
{
    return PyLong_FromLongLong(*AT(self, c, int64_t));
}

static int i64_set(PyObject *self, PyObject *v, void *c)
{
    const char *name = ((const field *)c)->name;
    if (v == NULL || PyFloat_Check(v) || !PyIndex_Check(v)) {
        PyErr_Format(v ? PyExc_TypeError : PyExc_AttributeError,
                     "%s: an integer is needed", name);
        return -1;
    }
    PyObject *i = PyNumber_Index(v);
    if (!i)
        return -1;
    long long x = PyLong_AsLongLong(i);
    Py_DECREF(i);
    if (x == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: %R is not a 64-bit integer", name, v);
        return -1;
    }
    *AT(self, c, int64_t) = x;
    return 0;
}

static PyObject *bool_get(PyObject *self, void *c)
{
    return PyBool_FromLong(*AT(self, c, bool));
}

static int bool_set(PyObject *self, PyObject *v, void *c)
{
    return py_get_bool(v, ((const field *)c)->name, AT(self, c, bool));
}

static PyObject *str_get(PyObject *self, void *c)
{
    PyObject *s = *AT(self, c, PyObject *);
    Py_INCREF(s);
    return s;
}

static int str_set(PyObject *self, PyObject *v, void *c)
{
    if (v == NULL || !PyUnicode_Check(v)) {
        PyErr_Format(v ? PyExc_TypeError : PyExc_AttributeError, "%s: a str is needed",
                     ((const field *)c)->name);
        return -1;
    }
    PyObject **slot = AT(self, c, PyObject *);
    Py_INCREF(v);
    Py_SETREF(*slot, v);
    return 0;
}

#define FLD(T, m, cls) (&(field){offsetof(T, m), cls "." #m})
#define GS(kind, T, m, cls) {#m, kind##_get, kind##_set, NULL, FLD(T, m, cls)}

/* ---------------------------------------------------------------- QuerySample */

PyObject *py_sample_new(uint64_t id, uint64_t index)
{
    py_sample *s = PyObject_New(py_sample, &py_sample_type);
    if (s) {
        s->id = id;
        s->index = index;
    }
    return (PyObject *)s;
}

static int sample_init(PyObject *self, PyObject *args, PyObject *kw)
{
    py_sample *s = (py_sample *)self;
    PyObject *id = NULL, *index = NULL;
    if (kw && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError, "QuerySample() takes positional arguments only");
        return -1;
    }
    if (!PyArg_UnpackTuple(args, "QuerySample", 0, 2, &id, &index))
        return -1;
    if (id && !index) {
        PyErr_SetString(PyExc_TypeError, "QuerySample() takes no argument or (id, index)");
        return -1;
    }
    s->id = s->index = 0;
    if (id && (py_get_u64(id, "QuerySample.id", &s->id) < 0 ||
               py_get_u64(index, "QuerySample.index", &s->index) < 0))
        return -1;
    return 0;
}

static PyObject *sample_reduce(PyObject *self, PyObject *unused)
{
    (void)unused;
    py_sample *s = (py_sample *)self;
    return Py_BuildValue("O(KK)", (PyObject *)Py_TYPE(self), (unsigned long long)s->id,
                         (unsigned long long)s->index);
}

static PyObject *sample_repr(PyObject *self)
{
    py_sample *s = (py_sample *)self;
    return PyUnicode_FromFormat("QuerySample(id=%llu, index=%llu)",
                                (unsigned long long)s->id, (unsigned long long)s->index);
}

static PyGetSetDef sample_getset[] = {
    GS(u64, py_sample, id, "QuerySample"),
    GS(u64, py_sample, index, "QuerySample"),
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef sample_methods[] = {
    {"__reduce__", sample_reduce, METH_NOARGS, "Pickles as (id, index)."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject py_sample_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mlperf_loadgen.QuerySample",
    .tp_basicsize = sizeof(py_sample),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "QuerySample(id, index): one sample of a query, as the issue callback "
              "receives it.",
    .tp_new = PyType_GenericNew,
    .tp_init = sample_init,
    .tp_repr = sample_repr,
    .tp_getset = sample_getset,
    .tp_methods = sample_methods,
};

/* ---------------------------------------------------------------- QuerySampleResponse */

/* Fills r from 0, 3 or 4 arguments (a[k] NULL when not given). */
static int response_fill(py_response *r, PyObject *const a[4])
{
    if (a[0] && !a[2]) {
        PyErr_SetString(PyExc_TypeError, "QuerySampleResponse() takes no argument, "
                                         "(id, data, size) or (id, data, size, n_tokens)");
        return -1;
    }
    memset((char *)r + offsetof(py_response, id), 0, sizeof *r - offsetof(py_response, id));
    if (a[0] && (py_get_u64(a[0], "QuerySampleResponse.id", &r->id) < 0 ||
                 py_get_u64(a[1], "QuerySampleResponse.data", (uint64_t *)&r->data) < 0 ||
                 py_get_u64(a[2], "QuerySampleResponse.size", (uint64_t *)&r->size) < 0))
        return -1;
    if (a[3]) {
        static field f = {offsetof(py_response, n_tokens), "QuerySampleResponse.n_tokens"};
        return i64_set((PyObject *)r, a[3], &f);
    }
    return 0;
}

static int response_init(PyObject *self, PyObject *args, PyObject *kw)
{
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    if (kw && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError,
                        "QuerySampleResponse() takes positional arguments only");
        return -1;
    }
    if (!PyArg_UnpackTuple(args, "QuerySampleResponse", 0, 4, &a[0], &a[1], &a[2], &a[3]))
        return -1;
    return response_fill((py_response *)self, a);
}

/* QuerySampleResponse(...) through vectorcall: a harness makes one per sample, and the
 * generic path (an argument tuple, tp_new, then tp_init unpacking it) cost about a third
 * of a Python null SUT's time per sample. Same rules and messages as response_init. */
static PyObject *response_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf,
                                     PyObject *kwnames)
{
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
    if (kwnames && PyTuple_GET_SIZE(kwnames)) {
        PyErr_SetString(PyExc_TypeError,
                        "QuerySampleResponse() takes positional arguments only");
        return NULL;
    }
    if (n > 4) {
        PyErr_Format(PyExc_TypeError, "QuerySampleResponse expected at most 4 arguments, "
                     "got %zd", n);
        return NULL;
    }
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    for (Py_ssize_t i = 0; i < n; i++)
        a[i] = args[i];
    py_response *r = PyObject_New(py_response, (PyTypeObject *)type);
    if (!r)
        return NULL;
    if (response_fill(r, a) < 0) {
        Py_DECREF(r);
        return NULL;
    }
    return (PyObject *)r;
}

static PyObject *response_reduce(PyObject *self, PyObject *unused)
{
    (void)unused;
    py_response *r = (py_response *)self;
    return Py_BuildValue("O(KKKL)", (PyObject *)Py_TYPE(self), (unsigned long long)r->id,
                         (unsigned long long)r->data, (unsigned long long)r->size,
                         (long long)r->n_tokens);
}

static PyObject *response_repr(PyObject *self)
{
    py_response *r = (py_response *)self;
    return PyUnicode_FromFormat("QuerySampleResponse(id=%llu, data=%llu, size=%llu, "
                                "n_tokens=%lld)", (unsigned long long)r->id,
                                (unsigned long long)r->data, (unsigned long long)r->size,
                                (long long)r->n_tokens);
}

static PyGetSetDef response_getset[] = {
    GS(u64, py_response, id, "QuerySampleResponse"),
    GS(u64, py_response, data, "QuerySampleResponse"),
    GS(u64, py_response, size, "QuerySampleResponse"),
    GS(i64, py_response, n_tokens, "QuerySampleResponse"),
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef response_methods[] = {
    {"__reduce__", response_reduce, METH_NOARGS, "Pickles as (id, data, size, n_tokens)."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject py_response_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mlperf_loadgen.QuerySampleResponse",
    .tp_basicsize = sizeof(py_response),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "QuerySampleResponse(id, data, size[, n_tokens]): a completed sample; data "
              "is the address of the output (an integer) and size its bytes.",
    .tp_new = PyType_GenericNew,
    .tp_init = response_init,
    .tp_vectorcall = response_vectorcall,
    .tp_repr = response_repr,
    .tp_getset = response_getset,
    .tp_methods = response_methods,
};

/* ---------------------------------------------------------------- LogOutputSettings */

/* MLPerf's defaults: the current folder, "mlperf_log_" names, nothing to stdout. */
static int log_output_defaults(py_log_output *o)
{
    Py_XSETREF(o->outdir, PyUnicode_FromString("."));
    Py_XSETREF(o->prefix, PyUnicode_FromString("mlperf_log_"));
    Py_XSETREF(o->suffix, PyUnicode_FromString(""));
    o->prefix_with_datetime = o->copy_detail_to_stdout = o->copy_summary_to_stdout = false;
    return o->outdir && o->prefix && o->suffix ? 0 : -1;
}

static PyObject *log_output_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args, (void)kw;
    py_log_output *o = (py_log_output *)type->tp_alloc(type, 0);
    if (o && log_output_defaults(o) < 0)
        Py_CLEAR(o);
    return (PyObject *)o;
}

static int no_args_init(PyObject *self, PyObject *args, PyObject *kw)
{
    if (PyTuple_GET_SIZE(args) || (kw && PyDict_GET_SIZE(kw))) {
        PyErr_Format(PyExc_TypeError, "%s() takes no arguments", Py_TYPE(self)->tp_name);
        return -1;
    }
    return 0;
}

static void log_output_dealloc(PyObject *self)
{
    py_log_output *o = (py_log_output *)self;
    Py_XDECREF(o->outdir);
    Py_XDECREF(o->prefix);
    Py_XDECREF(o->suffix);
    Py_TYPE(self)->tp_free(self);
}

static PyGetSetDef log_output_getset[] = {
    GS(str, py_log_output, outdir, "LogOutputSettings"),
    GS(str, py_log_output, prefix, "LogOutputSettings"),
    GS(str, py_log_output, suffix, "LogOutputSettings"),
    GS(bool, py_log_output, prefix_with_datetime, "LogOutputSettings"),
    GS(bool, py_log_output, copy_detail_to_stdout, "LogOutputSettings"),
    GS(bool, py_log_output, copy_summary_to_stdout, "LogOutputSettings"),
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject py_log_output_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mlperf_loadgen.LogOutputSettings",
    .tp_basicsize = sizeof(py_log_output),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Where the logs go: outdir ('.'), prefix ('mlperf_log_'), suffix, "
              "prefix_with_datetime, copy_detail_to_stdout, copy_summary_to_stdout.",
    .tp_new = log_output_new,
    .tp_init = no_args_init,
    .tp_dealloc = log_output_dealloc,
    .tp_getset = log_output_getset,
};

/* ---------------------------------------------------------------- LogSettings */

static PyObject *log_settings_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args, (void)kw;
    py_log_settings *l = (py_log_settings *)type->tp_alloc(type, 0);
    if (!l)
        return NULL;
    l->log_output = (py_log_output *)log_output_new(&py_log_output_type, NULL, NULL);
    l->log_mode = py_enum_member(py_LoggingMode, 0);
    l->log_mode_async_poll_interval_ms = 1000;
    l->enable_trace = true;
    if (!l->log_output || !l->log_mode)
        Py_CLEAR(l);
    return (PyObject *)l;
}

static void log_settings_dealloc(PyObject *self)
{
    py_log_settings *l = (py_log_settings *)self;
    Py_XDECREF(l->log_output);
    Py_XDECREF(l->log_mode);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *log_output_attr_get(PyObject *self, void *c)
{
    (void)c;
    PyObject *o = (PyObject *)((py_log_settings *)self)->log_output;
    Py_INCREF(o);
    return o;
}

/* Assignment copies the values, as MLPerf's (a C++ member assigned from Python). */
static int log_output_attr_set(PyObject *self, PyObject *v, void *c)
{
    (void)c;
    if (!v || !PyObject_TypeCheck(v, &py_log_output_type)) {
        PyErr_SetString(v ? PyExc_TypeError : PyExc_AttributeError,
                        "LogSettings.log_output: a LogOutputSettings is needed");
        return -1;
    }
    py_log_output *dst = ((py_log_settings *)self)->log_output, *src = (py_log_output *)v;
    if (dst == src)
        return 0;
    Py_INCREF(src->outdir);
    Py_SETREF(dst->outdir, src->outdir);
    Py_INCREF(src->prefix);
    Py_SETREF(dst->prefix, src->prefix);
    Py_INCREF(src->suffix);
    Py_SETREF(dst->suffix, src->suffix);
    dst->prefix_with_datetime = src->prefix_with_datetime;
    dst->copy_detail_to_stdout = src->copy_detail_to_stdout;
    dst->copy_summary_to_stdout = src->copy_summary_to_stdout;
    return 0;
}

static PyObject *log_mode_get(PyObject *self, void *c)
{
    (void)c;
    PyObject *m = ((py_log_settings *)self)->log_mode;
    Py_INCREF(m);
    return m;
}

static int log_mode_set(PyObject *self, PyObject *v, void *c)
{
    (void)c;
    if (py_enum_value(py_LoggingMode, v, "LogSettings.log_mode") < 0 && PyErr_Occurred())
        return -1;
    Py_INCREF(v);
    Py_SETREF(((py_log_settings *)self)->log_mode, v);
    return 0;
}

static PyGetSetDef log_settings_getset[] = {
    {"log_output", log_output_attr_get, log_output_attr_set, NULL, NULL},
    {"log_mode", log_mode_get, log_mode_set, NULL, NULL},
    GS(u64, py_log_settings, log_mode_async_poll_interval_ms, "LogSettings"),
    GS(bool, py_log_settings, enable_trace, "LogSettings"),
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject py_log_settings_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mlperf_loadgen.LogSettings",
    .tp_basicsize = sizeof(py_log_settings),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Log settings: log_output (a LogOutputSettings), log_mode, "
              "log_mode_async_poll_interval_ms, enable_trace (accepted; no trace file is "
              "written).",
    .tp_new = log_settings_new,
    .tp_init = no_args_init,
    .tp_dealloc = log_settings_dealloc,
    .tp_getset = log_settings_getset,
};

/* ---------------------------------------------------------------- enums, module */

/* An enum.IntEnum class named `name` with these members, its __module__ the module's. */
static PyObject *make_enum(PyObject *m, PyObject *intenum, PyObject *enum_base,
                           const char *name,
                           const char *const *names, int n)
{
    PyObject *members = PyList_New(n);
    if (!members)
        return NULL;
    for (int i = 0; i < n; i++)
        PyList_SET_ITEM(members, i, Py_BuildValue("(si)", names[i], i));
    PyObject *kw = Py_BuildValue("{s:s,s:s}", "module", "mlperf_loadgen", "qualname", name);
    PyObject *args = Py_BuildValue("(sO)", name, members);
    PyObject *e = kw && args ? PyObject_Call(intenum, args, kw) : NULL;
    Py_XDECREF(kw);
    Py_XDECREF(args);
    Py_DECREF(members);
    /* str() names the member ("TestScenario.Server"), as MLPerf's enums do; an
     * IntEnum would print the number. */
    PyObject *str = e ? PyObject_GetAttrString(enum_base, "__str__") : NULL;
    if (!str || PyObject_SetAttrString(e, "__str__", str) < 0 ||
        PyModule_AddObjectRef(m, name, e) < 0)
        Py_CLEAR(e);
    Py_XDECREF(str);
    return e;
}

/* A list subclass under this name (MLPerf's bound vectors; calls take plain lists). */
static int add_vector(PyObject *m, const char *name)
{
    PyObject *t = PyObject_CallFunction((PyObject *)&PyType_Type, "s(O){s:s}", name,
                                        (PyObject *)&PyList_Type, "__module__",
                                        "mlperf_loadgen");
    if (!t)
        return -1;
    int rc = PyModule_AddObjectRef(m, name, t);
    Py_DECREF(t);
    return rc;
}

int py_types_init(PyObject *m)
{
    static const char *const scen[] = {"SingleStream", "MultiStream", "Server", "Offline"};
    static const char *const mode[] = {"SubmissionRun", "AccuracyOnly", "PerformanceOnly",
                                       "FindPeakPerformance"};
    static const char *const logm[] = {"AsyncPoll", "EndOfTestOnly", "Synchronous"};
    PyObject *enum_mod = PyImport_ImportModule("enum");
    PyObject *intenum = enum_mod ? PyObject_GetAttrString(enum_mod, "IntEnum") : NULL;
    PyObject *base = enum_mod ? PyObject_GetAttrString(enum_mod, "Enum") : NULL;
    Py_XDECREF(enum_mod);
    if (intenum && base) {
        py_TestScenario = make_enum(m, intenum, base, "TestScenario", scen, 4);
        py_TestMode = py_TestScenario ? make_enum(m, intenum, base, "TestMode", mode, 4)
                                      : NULL;
        py_LoggingMode = py_TestMode ? make_enum(m, intenum, base, "LoggingMode", logm, 3)
                                     : NULL;
    }
    Py_XDECREF(intenum);
    Py_XDECREF(base);
    if (!py_LoggingMode)
        return -1;
    PyTypeObject *types[] = {&py_sample_type, &py_response_type, &py_log_output_type,
                             &py_log_settings_type};
    const char *names[] = {"QuerySample", "QuerySampleResponse", "LogOutputSettings",
                           "LogSettings"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (PyType_Ready(types[i]) < 0 ||
            PyModule_AddObjectRef(m, names[i], (PyObject *)types[i]) < 0)
            return -1;
    if (add_vector(m, "VectorQuerySample") < 0 ||
        add_vector(m, "VectorQuerySampleResponse") < 0)
        return -1;
    return 0;
}
