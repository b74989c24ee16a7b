/* pkg_harness.c: _core.Harness, the harness (harness/harness.h) with Python models and a
 * dataset held in memory: every scenario, accuracy, two models compared with the C
 * side's statistics, and the report. The package's loadgen.Benchmark wraps it. Each call
 * that runs tests releases the GIL; the models take it per batch. */
#include <string.h>

#include "python/pkg.h"

#define PK_MODELS_MAX 8 /* the harness's own limit */

typedef struct pk_harness {
    PyObject_HEAD
    harness *h;
    unsigned workers, max_batch;
    pk_data data;
    pk_fail fail;
    pk_model models[PK_MODELS_MAX];
    char names[PK_MODELS_MAX][32];
    size_t n_models;
} pk_harness;

static int harness_init_py(PyObject *self, PyObject *args, PyObject *kw)
{
    pk_harness *ph = (pk_harness *)self;
    static char *kws[] = {"outdir", "workers", "max_batch", "repetitions", "seed", "quick",
                          "min_duration_ms", NULL};
    const char *outdir = NULL;
    unsigned workers = 2, max_batch = 1, reps = 0;
    unsigned long long seed = 0, min_ms = 0;
    int quick = 0;
    if (ph->h) {
        PyErr_SetString(PyExc_RuntimeError, "Harness is already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|zIIIKpK:Harness", kws, &outdir, &workers,
                                     &max_batch, &reps, &seed, &quick, &min_ms))
        return -1;
    harness_opts o;
    harness_opts_default(&o);
    o.outdir = outdir;
    o.workers = workers;
    o.max_batch = max_batch;
    o.repetitions = reps;
    o.seed = seed;
    o.quick = quick;
    o.min_duration_ms = min_ms;
    if (workers < 1 || workers > 256 || max_batch < 1 || max_batch > 65536) {
        PyErr_Format(PyExc_ValueError, "workers must be 1 to 256 and max_batch 1 to 65536 "
                     "(got %u and %u)", workers, max_batch);
        return -1;
    }
    int rc = harness_create(&o, &ph->h);
    if (rc) {
        pk_error(rc, "Harness");
        return -1;
    }
    ph->workers = workers;
    ph->max_batch = max_batch;
    return 0;
}

static void harness_dealloc(PyObject *self)
{
    pk_harness *ph = (pk_harness *)self;
    harness_destroy(ph->h);
    for (size_t i = 0; i < ph->n_models; i++)
        pk_model_clear(&ph->models[i]);
    pk_data_clear(&ph->data);
    pk_fail_reset(&ph->fail);
    Py_TYPE(self)->tp_free(self);
}

static bool ready(pk_harness *ph)
{
    if (!ph->h)
        PyErr_SetString(PyExc_RuntimeError, "Harness.__init__ was not called");
    return ph->h != NULL;
}

/* add_model(name, fn): adds or replaces a model. */
static PyObject *harness_add(PyObject *self, PyObject *args)
{
    pk_harness *ph = (pk_harness *)self;
    const char *name;
    PyObject *fn;
    if (!ready(ph) || !PyArg_ParseTuple(args, "sO:add_model", &name, &fn))
        return NULL;
    if (!PyCallable_Check(fn)) {
        PyErr_Format(PyExc_TypeError, "model '%s' is not callable", name);
        return NULL;
    }
    size_t i = 0;
    while (i < ph->n_models && strcmp(ph->names[i], name))
        i++;
    if (i == PK_MODELS_MAX || strlen(name) >= sizeof ph->names[0]) {
        PyErr_Format(PyExc_ValueError, i == PK_MODELS_MAX ? "at most %d models" :
                     "model name '%s' is longer than 31 characters", PK_MODELS_MAX, name);
        return NULL;
    }
    pk_model m;
    if (pk_model_init(&m, fn, &ph->data, &ph->fail, ph->workers, ph->max_batch) < 0)
        return NULL;
    int rc = harness_add_model(ph->h, name, pk_model_harness, &ph->models[i]);
    if (rc) {
        pk_model_clear(&m);
        PyErr_Format(PyExc_ValueError, "model name '%s': 1 to 31 letters, digits, '-', '_' "
                     "or '.', not '.' or '..'", name);
        return NULL;
    }
    if (i < ph->n_models)
        pk_model_clear(&ph->models[i]);
    else
        ph->n_models++;
    ph->models[i] = m;
    snprintf(ph->names[i], sizeof ph->names[i], "%s", name);
    Py_RETURN_NONE;
}

/* The harness's QSL load on the array path: copies one sample's bytes. */
static int load_row(void *ctx, uint64_t index, void *buf, size_t size)
{
    const pk_data *d = ctx;
    if (index >= d->count || size != d->sample_size)
        return -1;
    memcpy(buf, (const char *)d->view.buf + index * size, size);
    return 0;
}

/* set_dataset(data, count, batcher, labels): the dataset (and its labels, a sequence of
 * non-negative ints, or None). */
static PyObject *harness_dataset(PyObject *self, PyObject *args)
{
    pk_harness *ph = (pk_harness *)self;
    PyObject *data, *batcher, *labels;
    unsigned long long count;
    if (!ready(ph) || !PyArg_ParseTuple(args, "OKOO:set_dataset", &data, &count, &batcher,
                                        &labels))
        return NULL;
    pk_data d;
    if (pk_data_init(&d, data, count, batcher) < 0)
        return NULL;
    int rc = harness_set_dataset(ph->h, count, d.sample_size, d.has_view ? load_row : NULL,
                                 &ph->data);
    if (rc) {
        pk_data_clear(&d);
        return PyErr_Format(PyExc_ValueError, "dataset: %llu samples of %zu bytes: 1 to "
                            "4294967295 samples of at most 16 MB", count, d.sample_size);
    }
    pk_data_clear(&ph->data);
    ph->data = d; /* the models and load_row point at ph->data, which stays put */
    if (labels == Py_None)
        Py_RETURN_NONE;
    PyObject *seq = PySequence_Fast(labels, "labels must be a sequence of ints");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int32_t *l = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *l);
    for (Py_ssize_t i = 0; l && i < n; i++) {
        Py_ssize_t v = PyNumber_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i), NULL);
        if (v == -1 && PyErr_Occurred())
            break;
        l[i] = v < 0 || v > INT32_MAX ? -1 : (int32_t)v;
    }
    Py_DECREF(seq);
    rc = !l ? LG_ENOMEM : PyErr_Occurred() ? 1 : harness_set_labels(ph->h, l, (uint64_t)n);
    PyMem_Free(l);
    if (rc == LG_ENOMEM)
        return PyErr_NoMemory();
    if (rc == 1)
        return NULL;
    if (rc)
        return PyErr_Format(PyExc_ValueError, "labels: %zd non-negative class ids are "
                            "needed, one per sample of the %llu", n, count);
    Py_RETURN_NONE;
}

/* After a call that ran tests (GIL held again): the model's exception, or rc's. */
static bool finish(pk_harness *ph, int rc, const char *what)
{
    for (size_t i = 0; i < ph->n_models; i++)
        pk_model_release_outputs(&ph->models[i]);
    if (pk_fail_raise(&ph->fail))
        return false;
    if (rc)
        pk_error(rc, what);
    return rc == 0;
}

static const char *model_arg(pk_harness *ph, const char *name)
{
    for (size_t i = 0; i < ph->n_models; i++)
        if (!strcmp(ph->names[i], name))
            return name;
    PyErr_Format(PyExc_ValueError, "no model named '%s'", name);
    return NULL;
}

/* run_all(name) -> [4 result dicts], in lg_scenario order. */
static PyObject *harness_run_all_py(PyObject *self, PyObject *args)
{
    pk_harness *ph = (pk_harness *)self;
    const char *name;
    if (!ready(ph) || !PyArg_ParseTuple(args, "s:run_all", &name) || !model_arg(ph, name))
        return NULL;
    lg_results r[4];
    pk_fail_reset(&ph->fail);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = harness_run_all(ph->h, name, r);
    Py_END_ALLOW_THREADS
    if (!finish(ph, rc, "run_all_scenarios"))
        return NULL;
    PyObject *list = PyList_New(4);
    for (int i = 0; list && i < 4; i++) {
        PyObject *d = pk_results_dict(&r[i]);
        if (!d)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, d);
    }
    return list;
}

/* compare(a, b, scenario) -> comparison dict. */
static PyObject *harness_compare_py(PyObject *self, PyObject *args)
{
    pk_harness *ph = (pk_harness *)self;
    const char *a, *b, *scen;
    if (!ready(ph) || !PyArg_ParseTuple(args, "sss:compare", &a, &b, &scen) ||
        !model_arg(ph, a) || !model_arg(ph, b))
        return NULL;
    lg_scenario sc;
    if (lg_scenario_parse(scen, &sc))
        return PyErr_Format(PyExc_ValueError, "unknown scenario '%s': SingleStream, "
                            "MultiStream, Server or Offline", scen);
    harness_model_comparison c;
    pk_fail_reset(&ph->fail);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = harness_compare(ph->h, a, b, sc, &c);
    Py_END_ALLOW_THREADS
    return finish(ph, rc, "compare") ? pk_comparison_dict(&c) : NULL;
}

/* accuracy(name) -> accuracy dict. */
static PyObject *harness_accuracy_py(PyObject *self, PyObject *args)
{
    pk_harness *ph = (pk_harness *)self;
    const char *name;
    if (!ready(ph) || !PyArg_ParseTuple(args, "s:accuracy", &name) || !model_arg(ph, name))
        return NULL;
    harness_accuracy_result a;
    pk_fail_reset(&ph->fail);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = harness_accuracy(ph->h, name, &a);
    Py_END_ALLOW_THREADS
    return finish(ph, rc, "accuracy") ? pk_accuracy_dict(&a) : NULL;
}

/* report(path, html): the report of every run so far. */
static PyObject *harness_report_py(PyObject *self, PyObject *args)
{
    pk_harness *ph = (pk_harness *)self;
    const char *path;
    int html;
    if (!ready(ph) || !PyArg_ParseTuple(args, "sp:report", &path, &html))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = html ? harness_report_html(ph->h, path) : harness_report(ph->h, path);
    Py_END_ALLOW_THREADS
    if (rc == LG_EINVAL)
        return PyErr_Format(PyExc_ValueError, "report %s: nothing ran yet (or no output "
                            "folder)", path);
    if (rc)
        return pk_error(rc, path);
    Py_RETURN_NONE;
}

static PyObject *harness_quick_py(PyObject *self, PyObject *args)
{
    int quick;
    if (!ready((pk_harness *)self) || !PyArg_ParseTuple(args, "p:set_quick", &quick))
        return NULL;
    harness_set_quick(((pk_harness *)self)->h, quick);
    Py_RETURN_NONE;
}

static PyMethodDef harness_methods[] = {
    {"add_model", harness_add, METH_VARARGS, "add_model(name, fn)"},
    {"set_dataset", harness_dataset, METH_VARARGS, "set_dataset(data, count, batcher, labels)"},
    {"run_all", harness_run_all_py, METH_VARARGS, "run_all(name) -> [4 result dicts]"},
    {"compare", harness_compare_py, METH_VARARGS, "compare(a, b, scenario) -> dict"},
    {"accuracy", harness_accuracy_py, METH_VARARGS, "accuracy(name) -> dict"},
    {"report", harness_report_py, METH_VARARGS, "report(path, html)"},
    {"set_quick", harness_quick_py, METH_VARARGS, "set_quick(bool)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject pk_harness_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "loadgen._core.Harness",
    .tp_basicsize = sizeof(pk_harness),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The harness: Python models, one dataset, every scenario, comparisons.",
    .tp_new = PyType_GenericNew,
    .tp_init = harness_init_py,
    .tp_dealloc = harness_dealloc,
    .tp_methods = harness_methods,
};

int pk_harness_init(PyObject *m)
{
    if (PyType_Ready(&pk_harness_type) < 0)
        return -1;
    Py_INCREF(&pk_harness_type);
    if (PyModule_AddObject(m, "Harness", (PyObject *)&pk_harness_type) < 0) {
        Py_DECREF(&pk_harness_type);
        return -1;
    }
    return 0;
}
