/* pkg_module.c: the `loadgen._core` extension module: run() (one test of a Python model
 * on the worker pool, its dataset held in memory), fields() (the settings table), the
 * Settings and Harness types, and the library's version. */
#include <string.h>

#include "python/pkg.h"
#include "sut/sut.h"

/* run(settings, fn, data, count, batcher, workers, max_batch, outdir, name, overwrite)
 * -> result dict. */
PyObject *pk_run(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"settings", "fn", "data", "count", "batcher", "workers",
                          "max_batch", "outdir", "name", "overwrite", NULL};
    PyObject *settings, *fn, *data, *batcher;
    unsigned long long count;
    unsigned workers = 2, max_batch = 1;
    const char *outdir = NULL, *name = "python-model";
    int overwrite = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!OOKO|IIzsp:run", kws, &pk_settings_type,
                                     &settings, &fn, &data, &count, &batcher, &workers,
                                     &max_batch, &outdir, &name, &overwrite))
        return NULL;
    if (!PyCallable_Check(fn))
        return PyErr_Format(PyExc_TypeError, "the model is a %.100s, not a callable",
                            Py_TYPE(fn)->tp_name);
    if (workers < 1 || workers > 256 || max_batch < 1 || max_batch > 65536)
        return PyErr_Format(PyExc_ValueError, "workers must be 1 to 256 and max_batch 1 to "
                            "65536 (got %u and %u)", workers, max_batch);
    lg_settings s = ((pk_settings *)settings)->s;
    lg_qsl qsl = {.name = "python-dataset", .total_sample_count = count,
                  .performance_sample_count = count};
    char msg[512];
    if (count == 0)
        return PyErr_Format(PyExc_ValueError, "the dataset is empty");
    if (lg_settings_check(&s, &qsl, msg, sizeof msg)) {
        PyErr_SetString(PyExc_ValueError, msg);
        return NULL;
    }
    pk_data d;
    pk_fail fail = {0};
    pk_model m;
    if (pk_data_init(&d, data, count, batcher) < 0)
        return NULL;
    if (pk_model_init(&m, fn, &d, &fail, workers, max_batch) < 0) {
        pk_data_clear(&d);
        return NULL;
    }
    sut_pool_config pc = {.name = name, .process = pk_model_process, .ctx = &m,
                          .workers = workers, .max_batch = max_batch};
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = outdir;
    log.overwrite = overwrite;
    lg_results r;
    memset(&r, 0, sizeof r);
    sut_pool *pool = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = sut_pool_create(&pc, &pool);
    if (!rc) {
        lg_sut sut = sut_pool_sut(pool);
        rc = lg_run_test(&s, &sut, &qsl, &log, &r);
    }
    sut_pool_destroy(pool);
    Py_END_ALLOW_THREADS
    pk_model_clear(&m);
    pk_data_clear(&d);
    if (pk_fail_raise(&fail))
        return NULL;
    /* A run that ended INVALID for the QSL or memory still has its results. */
    if (rc && rc != LG_ESUT && !(rc == LG_ENOMEM && r.invalid_reasons))
        return pk_error(rc, outdir ? outdir : "run");
    return pk_results_dict(&r);
}

static PyObject *pk_version(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return Py_BuildValue("(ss)", lg_version(), lg_build_commit());
}

static PyMethodDef pk_methods[] = {
    {"run", (PyCFunction)(void (*)(void))pk_run, METH_VARARGS | METH_KEYWORDS,
     "run(settings, fn, data, count, batcher, workers=2, max_batch=1, outdir=None, "
     "name='python-model', overwrite=False) -> dict: one test on the worker pool"},
    {"fields", pk_fields, METH_NOARGS, "fields() -> the settings table, one dict per field"},
    {"version", pk_version, METH_NOARGS, "version() -> (version, build commit)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pk_module = {
    PyModuleDef_HEAD_INIT, "loadgen._core",
    "The C side of the loadgen package (docs/python.md); use the package, not this.", -1,
    pk_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void);

PyMODINIT_FUNC PyInit__core(void)
{
    PyObject *m = PyModule_Create(&pk_module);
    if (!m)
        return NULL;
    if (pk_settings_init(m) < 0 || pk_harness_init(m) < 0 ||
        PyModule_AddIntConstant(m, "STATUS_ERROR", PK_STATUS_ERROR) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
