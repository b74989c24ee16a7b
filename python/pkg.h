/* pkg.h: what the parts of the `loadgen._core` extension module share. `_core` is the C
 * side of the Pythonic `loadgen` package (python/loadgen/, docs/python.md): settings by
 * name through the settings table, a Python model run on the worker pool, results and
 * comparisons as dicts, the harness. Every name here is internal to the module (prefix
 * pk_); the module exports only PyInit__core. */
#ifndef PYTHON_PKG_H
#define PYTHON_PKG_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "harness/harness.h"
#include "loadgen/loadgen.h"

/* The status of the samples of a batch whose model call raised (EIO). */
#define PK_STATUS_ERROR 5

/* The dataset, in memory: a sequence of Python objects, or (the array path) one
 * C-contiguous buffer of `count` samples of sample_size bytes each, handed to the model
 * as numpy arrays made with frombuffer(bytearray, dtype).reshape((n,) + shape). */
typedef struct pk_data {
    PyObject *data;       /* the sequence or the array (a strong reference), or NULL */
    uint64_t count;
    PyObject *frombuffer; /* numpy.frombuffer on the array path, else NULL */
    PyObject *dtype;      /* the array's dtype */
    PyObject *shape;      /* a tuple: one sample's shape */
    Py_buffer view;       /* the array's bytes, held while data is */
    bool has_view;
    size_t sample_size;   /* bytes per sample on the array path, else 0 */
} pk_data;

/* The first exception a model raised during a run, shared by the models of a harness:
 * once set, later batches fail without calling Python, and the test is aborted. */
typedef struct pk_fail {
    _Atomic int failed;
    PyObject *type, *value, *tb; /* PyErr_Fetch's, owned; touched with the GIL held */
} pk_fail;

/* One worker thread's outputs of its last batch, kept alive until its next batch: the
 * pool's completion reads their bytes after process() returned. */
typedef struct pk_worker {
    PyObject *out;        /* the outputs (or PySequence_Fast of them) */
    Py_buffer whole;      /* out's buffer, when it is one array */
    bool has_whole;
    Py_buffer *views;     /* per output: its buffer, when it has one */
    bool *has_view;
    int64_t *ints;        /* per output: an int answer's bytes */
    double *reals;        /* per output: a float answer's bytes */
    uint64_t *idx;        /* the batch's dataset indices */
} pk_worker;

/* A Python model: fn(batch) -> outputs, called on the worker pool's threads. */
typedef struct pk_model {
    PyObject *fn;         /* strong reference */
    pk_data *data;        /* the dataset (not owned) */
    pk_fail *fail;        /* where an exception goes (not owned) */
    unsigned workers, max_batch;
    pk_worker *w;         /* workers of them */
} pk_model;

/* Dataset: fills d from the Python layer's description. batcher is None (a sequence:
 * the model gets lists) or a tuple (frombuffer, dtype, sample_shape) for a C-contiguous
 * array whose first dimension is count. Returns 0, or -1 with an exception. */
int pk_data_init(pk_data *d, PyObject *data, uint64_t count, PyObject *batcher);
/* Drops d's references and view (GIL held); d is then empty. */
void pk_data_clear(pk_data *d);

/* Binds fn to data and fail with per-worker slots. Returns 0, or -1 with MemoryError. */
int pk_model_init(pk_model *m, PyObject *fn, pk_data *data, pk_fail *fail,
                  unsigned workers, unsigned max_batch);
/* Drops the model's references and slots (GIL held). */
void pk_model_clear(pk_model *m);
/* Releases every worker's kept outputs (GIL held; after a run, when no worker runs). */
void pk_model_release_outputs(pk_model *m);

/* The worker pool's process function (sut_process_fn) of a model: one Python call per
 * batch; every output's bytes become its sample's response. Takes the GIL. */
void pk_model_process(void *ctx, unsigned worker, const lg_sample *samples, size_t n,
                      lg_response *responses);
/* The harness's model function (harness_model_fn) of a model: one Python call per batch;
 * class ids (or rows of scores, their argmax) become the predictions. Takes the GIL. */
int pk_model_harness(void *ctx, const harness_batch *b);

/* Before a run: no exception recorded. After it (GIL held): 1 with the model's exception
 * restored when one was raised, else 0. */
void pk_fail_reset(pk_fail *f);
int pk_fail_raise(pk_fail *f);

/* An exception for a failing loadgen call: ValueError for LG_EINVAL, RuntimeError
 * otherwise, with lg_last_error()'s text when there is one. Returns NULL. */
PyObject *pk_error(int rc, const char *what);

/* Dicts of every field of a result and of a comparison (new references, or NULL with an
 * exception). */
PyObject *pk_results_dict(const lg_results *r);
PyObject *pk_comparison_dict(const harness_model_comparison *c);
PyObject *pk_accuracy_dict(const harness_accuracy_result *a);

/* The Settings type: an lg_settings set and read by name through the settings table. */
typedef struct pk_settings {
    PyObject_HEAD
    lg_settings s;
} pk_settings;
extern PyTypeObject pk_settings_type;

/* Readies the types and adds them to m. Return 0, or -1 with an exception. */
int pk_settings_init(PyObject *m);
int pk_harness_init(PyObject *m);

/* _core.fields(): the settings table, one tuple per field. */
PyObject *pk_fields(PyObject *self, PyObject *unused);
/* _core.run(...): one test of a Python model on the worker pool. */
PyObject *pk_run(PyObject *self, PyObject *args, PyObject *kw);

#endif /* PYTHON_PKG_H */
