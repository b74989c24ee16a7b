/* pkg_model.c: a Python model on the worker pool's threads. Each batch takes the GIL
 * once: the batch is made (a numpy array stacked from the dataset's rows with one
 * memcpy per sample, or a list of the dataset's objects), the model is called once, and
 * its outputs are read in C: as responses (their bytes, for the accuracy log) or as
 * predictions (class ids, or the argmax of rows of scores). Nothing in Python runs per
 * sample but the model itself. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "python/pkg.h"

/* ---------------------------------------------------------------- the GIL on pool threads */

/* A pool thread's Python thread state, made at its first batch and kept until the thread
 * ends: PyGILState_Ensure on a thread that has none makes one and PyGILState_Release
 * frees it, which cost about 40 us a batch here; keeping it makes the GIL's taking a
 * plain PyEval_RestoreThread. It stays registered as the thread's own, so code the model
 * calls may use PyGILState_Ensure. */
typedef struct pk_thread {
    PyGILState_STATE g;
    PyThreadState *ts; /* while the thread does not hold the GIL */
} pk_thread;

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

/* At the thread's end (the pool is destroyed with the GIL released): its state goes.
 * Not with PyGILState_Release: the C library may have emptied Python's own thread-local
 * slot already (the order of thread-local destructors is unspecified). */
static void thread_end(void *p)
{
    pk_thread *t = p;
    PyEval_RestoreThread(t->ts);
    PyThreadState_Clear(t->ts);
    PyThreadState_DeleteCurrent(); /* and the GIL is released */
    free(t);
}

static void thread_key_make(void)
{
    if (pthread_key_create(&thread_key, thread_end))
        abort(); /* only when the process is out of keys: nothing can run Python then */
}

/* Takes the GIL on the calling pool thread; *held says how, for gil_give. */
typedef struct pk_held {
    pk_thread *t;       /* the kept state, or NULL ... */
    PyGILState_STATE g; /* ... when memory ran out: PyGILState_Ensure's */
} pk_held;

static pk_held gil_take(void)
{
    pthread_once(&thread_once, thread_key_make);
    pk_held h = {pthread_getspecific(thread_key), PyGILState_UNLOCKED};
    if (h.t) {
        PyEval_RestoreThread(h.t->ts);
        return h;
    }
    h.t = malloc(sizeof *h.t);
    if (!h.t || pthread_setspecific(thread_key, h.t)) {
        free(h.t);
        h.t = NULL;
        h.g = PyGILState_Ensure();
        return h;
    }
    h.t->g = PyGILState_Ensure();
    return h;
}

static void gil_give(pk_held h)
{
    if (h.t)
        h.t->ts = PyEval_SaveThread();
    else
        PyGILState_Release(h.g);
}

/* ---------------------------------------------------------------- dataset */

int pk_data_init(pk_data *d, PyObject *data, uint64_t count, PyObject *batcher)
{
    memset(d, 0, sizeof *d);
    Py_INCREF(data);
    d->data = data;
    d->count = count;
    if (batcher == Py_None)
        return 0;
    if (!PyArg_ParseTuple(batcher, "OOO!;batcher: (frombuffer, dtype, shape)", &d->frombuffer,
                          &d->dtype, &PyTuple_Type, &d->shape)) {
        d->frombuffer = d->dtype = d->shape = NULL;
        pk_data_clear(d);
        return -1;
    }
    Py_INCREF(d->frombuffer);
    Py_INCREF(d->dtype);
    Py_INCREF(d->shape);
    if (PyObject_GetBuffer(data, &d->view, PyBUF_C_CONTIGUOUS) < 0) {
        pk_data_clear(d);
        return -1;
    }
    d->has_view = true;
    if (count == 0 || (size_t)d->view.len % count) {
        PyErr_Format(PyExc_ValueError, "the dataset's %zd bytes are not %llu equal samples",
                     d->view.len, (unsigned long long)count);
        pk_data_clear(d);
        return -1;
    }
    d->sample_size = (size_t)d->view.len / count;
    return 0;
}

void pk_data_clear(pk_data *d)
{
    if (d->has_view)
        PyBuffer_Release(&d->view);
    d->has_view = false;
    Py_CLEAR(d->data);
    Py_CLEAR(d->frombuffer);
    Py_CLEAR(d->dtype);
    Py_CLEAR(d->shape);
    d->count = 0;
    d->sample_size = 0;
}

/* The batch for samples idx[0..n-1] (rows: their bytes, or NULL to read them from the
 * dataset's buffer). New reference, or NULL with an exception. GIL held. */
static PyObject *make_batch(const pk_data *d, size_t n, const uint64_t *idx,
                            const void *const *rows)
{
    if (!d->frombuffer) {
        PyObject *list = PyList_New((Py_ssize_t)n);
        for (size_t i = 0; list && i < n; i++) {
            PyObject *item = PySequence_GetItem(d->data, (Py_ssize_t)idx[i]);
            if (!item) {
                Py_CLEAR(list);
                break;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)i, item);
        }
        return list;
    }
    size_t ss = d->sample_size;
    /* A bytearray, so that the model gets a writable array it may change in place. */
    PyObject *buf = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(n * ss));
    if (!buf)
        return NULL;
    char *p = PyByteArray_AS_STRING(buf);
    const char *base = d->view.buf;
    for (size_t i = 0; i < n; i++)
        memcpy(p + i * ss, rows ? rows[i] : base + idx[i] * ss, ss);
    PyObject *flat = PyObject_CallFunctionObjArgs(d->frombuffer, buf, d->dtype, NULL);
    Py_DECREF(buf);
    if (!flat)
        return NULL;
    Py_ssize_t dims = PyTuple_GET_SIZE(d->shape);
    PyObject *shape = PyTuple_New(dims + 1), *first = PyLong_FromSize_t(n);
    if (!shape || !first) {
        Py_XDECREF(shape);
        Py_XDECREF(first);
        Py_DECREF(flat);
        return NULL;
    }
    PyTuple_SET_ITEM(shape, 0, first);
    for (Py_ssize_t k = 0; k < dims; k++) {
        PyObject *v = PyTuple_GET_ITEM(d->shape, k);
        Py_INCREF(v);
        PyTuple_SET_ITEM(shape, k + 1, v);
    }
    PyObject *batch = PyObject_CallMethod(flat, "reshape", "(O)", shape);
    Py_DECREF(shape);
    Py_DECREF(flat);
    return batch;
}

/* ---------------------------------------------------------------- model */

int pk_model_init(pk_model *m, PyObject *fn, pk_data *data, pk_fail *fail,
                  unsigned workers, unsigned max_batch)
{
    memset(m, 0, sizeof *m);
    m->w = calloc(workers, sizeof *m->w);
    if (!m->w) {
        PyErr_NoMemory();
        return -1;
    }
    m->workers = workers;
    m->max_batch = max_batch;
    for (unsigned k = 0; k < workers; k++) {
        pk_worker *w = &m->w[k];
        w->views = calloc(max_batch, sizeof *w->views);
        w->has_view = calloc(max_batch, sizeof *w->has_view);
        w->ints = calloc(max_batch, sizeof *w->ints);
        w->reals = calloc(max_batch, sizeof *w->reals);
        w->idx = calloc(max_batch, sizeof *w->idx);
        if (!w->views || !w->has_view || !w->ints || !w->reals || !w->idx) {
            pk_model_clear(m);
            PyErr_NoMemory();
            return -1;
        }
    }
    Py_INCREF(fn);
    m->fn = fn;
    m->data = data;
    m->fail = fail;
    return 0;
}

static void worker_release(pk_worker *w, unsigned max_batch)
{
    if (w->has_whole)
        PyBuffer_Release(&w->whole);
    w->has_whole = false;
    for (unsigned i = 0; w->has_view && i < max_batch; i++)
        if (w->has_view[i]) {
            PyBuffer_Release(&w->views[i]);
            w->has_view[i] = false;
        }
    Py_CLEAR(w->out);
}

void pk_model_release_outputs(pk_model *m)
{
    for (unsigned k = 0; m->w && k < m->workers; k++)
        worker_release(&m->w[k], m->max_batch);
}

void pk_model_clear(pk_model *m)
{
    pk_model_release_outputs(m);
    for (unsigned k = 0; m->w && k < m->workers; k++) {
        pk_worker *w = &m->w[k];
        free(w->views);
        free(w->has_view);
        free(w->ints);
        free(w->reals);
        free(w->idx);
    }
    free(m->w);
    m->w = NULL;
    Py_CLEAR(m->fn);
}

/* ---------------------------------------------------------------- failures */

void pk_fail_reset(pk_fail *f)
{
    Py_CLEAR(f->type);
    Py_CLEAR(f->value);
    Py_CLEAR(f->tb);
    atomic_store(&f->failed, 0);
}

/* The model raised (the exception is set): keep the first one, end the test. GIL held. */
static void fail_now(pk_fail *f)
{
    if (!f->type)
        PyErr_Fetch(&f->type, &f->value, &f->tb);
    else
        PyErr_Clear();
    atomic_store(&f->failed, 1);
    lg_abort();
}

int pk_fail_raise(pk_fail *f)
{
    if (!f->type)
        return 0;
    PyErr_Restore(f->type, f->value, f->tb);
    f->type = f->value = f->tb = NULL;
    return 1;
}

/* ---------------------------------------------------------------- outputs as responses */

/* Points responses[i] at output i's bytes. out is stolen into w. Returns 0, or -1 with an
 * exception. */
static int outputs_to_responses(pk_worker *w, PyObject *out, size_t n, lg_response *r)
{
    w->out = out;
    if (out == Py_None)
        return 0;
    bool bytes_like = PyBytes_Check(out) || PyByteArray_Check(out);
    if (!bytes_like && PyObject_CheckBuffer(out) &&
        PyObject_GetBuffer(out, &w->whole, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) == 0) {
        w->has_whole = true;
        Py_ssize_t first = w->whole.ndim ? w->whole.shape[0] : 1;
        if ((size_t)first != n) {
            PyErr_Format(PyExc_ValueError, "the model returned an array of %zd outputs for "
                         "a batch of %zu samples", first, n);
            return -1;
        }
        size_t row = (size_t)w->whole.len / n;
        for (size_t i = 0; i < n; i++) {
            r[i].data = (const char *)w->whole.buf + i * row;
            r[i].size = row;
        }
        return 0;
    }
    PyErr_Clear(); /* not one contiguous array: a sequence of outputs */
    if (bytes_like && n == 1) {
        r[0].data = PyBytes_Check(out) ? PyBytes_AS_STRING(out) : PyByteArray_AS_STRING(out);
        r[0].size = (size_t)Py_SIZE(out);
        return 0;
    }
    PyObject *seq = PySequence_Fast(out, "the model must return None, an array or a "
                                         "sequence with one output per sample");
    if (!seq)
        return -1;
    Py_SETREF(w->out, seq);
    if ((size_t)PySequence_Fast_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_ValueError, "the model returned %zd outputs for a batch of %zu "
                     "samples", PySequence_Fast_GET_SIZE(seq), n);
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (size_t i = 0; i < n; i++) {
        PyObject *e = items[i];
        if (e == Py_None)
            continue;
        if (PyLong_Check(e)) {
            w->ints[i] = PyLong_AsLongLong(e);
            if (w->ints[i] == -1 && PyErr_Occurred())
                return -1;
            r[i].data = &w->ints[i];
            r[i].size = sizeof w->ints[i];
        } else if (PyFloat_Check(e)) {
            w->reals[i] = PyFloat_AS_DOUBLE(e);
            r[i].data = &w->reals[i];
            r[i].size = sizeof w->reals[i];
        } else if (PyUnicode_Check(e)) {
            Py_ssize_t len;
            const char *s = PyUnicode_AsUTF8AndSize(e, &len);
            if (!s)
                return -1;
            r[i].data = s;
            r[i].size = (size_t)len;
        } else if (PyObject_GetBuffer(e, &w->views[i], PyBUF_C_CONTIGUOUS) == 0) {
            w->has_view[i] = true;
            r[i].data = w->views[i].buf;
            r[i].size = (size_t)w->views[i].len;
        } else {
            PyErr_Format(PyExc_TypeError, "output %zu of the batch is a %.100s: an output "
                         "is None, an int, a float, a str or a bytes-like object (a numpy "
                         "array)", i, Py_TYPE(e)->tp_name);
            return -1;
        }
    }
    return 0;
}

void pk_model_process(void *ctx, unsigned worker, const lg_sample *samples, size_t n,
                      lg_response *responses)
{
    pk_model *m = ctx;
    if (atomic_load_explicit(&m->fail->failed, memory_order_relaxed)) {
        for (size_t i = 0; i < n; i++)
            responses[i].status = PK_STATUS_ERROR;
        return;
    }
    pk_held g = gil_take();
    pk_worker *w = &m->w[worker];
    worker_release(w, m->max_batch);
    for (size_t i = 0; i < n; i++)
        w->idx[i] = samples[i].index;
    PyObject *batch = make_batch(m->data, n, w->idx, NULL);
    PyObject *out = batch ? PyObject_CallOneArg(m->fn, batch) : NULL;
    Py_XDECREF(batch);
    if (!out || outputs_to_responses(w, out, n, responses) < 0) {
        fail_now(m->fail);
        for (size_t i = 0; i < n; i++) {
            responses[i].data = NULL;
            responses[i].size = 0;
            responses[i].status = PK_STATUS_ERROR;
        }
    }
    gil_give(g);
}

/* ---------------------------------------------------------------- outputs as predictions */

/* Element k of a buffer of format fmt (struct module codes, byte order prefix allowed) as
 * a double; false when the format is not a number's. */
static bool element(const char *fmt, const char *p, size_t k, double *out)
{
    if (fmt && (*fmt == '@' || *fmt == '=' || *fmt == '<'))
        fmt++;
    switch (fmt ? *fmt : 'B') {
    case 'b': *out = ((const signed char *)p)[k]; return true;
    case 'B': *out = ((const unsigned char *)p)[k]; return true;
    case '?': *out = ((const bool *)p)[k]; return true;
    case 'h': *out = ((const short *)p)[k]; return true;
    case 'H': *out = ((const unsigned short *)p)[k]; return true;
    case 'i': *out = ((const int *)p)[k]; return true;
    case 'I': *out = ((const unsigned *)p)[k]; return true;
    case 'l': *out = (double)((const long *)p)[k]; return true;
    case 'L': *out = (double)((const unsigned long *)p)[k]; return true;
    case 'q': *out = (double)((const long long *)p)[k]; return true;
    case 'Q': *out = (double)((const unsigned long long *)p)[k]; return true;
    case 'f': *out = ((const float *)p)[k]; return true;
    case 'd': *out = ((const double *)p)[k]; return true;
    default: return false;
    }
}

static int32_t as_class(double v)
{
    return v >= 0 && v <= INT32_MAX && v == (double)(int32_t)v ? (int32_t)v : -1;
}

/* Class ids (n ints) or scores (n rows: their argmax) from one array. Returns 0, or -1
 * with an exception. */
static int array_predictions(const Py_buffer *v, size_t n, int32_t *pred)
{
    Py_ssize_t first = v->ndim ? v->shape[0] : 1;
    if ((size_t)first != n) {
        PyErr_Format(PyExc_ValueError, "the model returned an array of %zd outputs for a "
                     "batch of %zu samples", first, n);
        return -1;
    }
    size_t per = n ? (size_t)(v->len / v->itemsize) / n : 0;
    double x;
    if (!element(v->format, v->buf, 0, &x))
        return 0; /* not numbers: no predictions */
    for (size_t i = 0; i < n; i++) {
        if (v->ndim <= 1) {
            element(v->format, v->buf, i, &x);
            pred[i] = as_class(x);
            continue;
        }
        size_t best = 0;
        double top = 0;
        for (size_t k = 0; k < per; k++) {
            element(v->format, v->buf, i * per + k, &x);
            if (k == 0 || x > top) {
                top = x;
                best = k;
            }
        }
        pred[i] = per ? (int32_t)best : -1;
    }
    return 0;
}

/* pred[i] from the model's outputs: class ids, rows of scores, or anything else (no
 * prediction). Returns 0, or -1 with an exception. */
static int outputs_to_predictions(PyObject *out, size_t n, int32_t *pred)
{
    if (out == Py_None)
        return 0;
    Py_buffer v;
    if (!PyBytes_Check(out) && !PyByteArray_Check(out) && PyObject_CheckBuffer(out) &&
        PyObject_GetBuffer(out, &v, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) == 0) {
        int rc = array_predictions(&v, n, pred);
        PyBuffer_Release(&v);
        return rc;
    }
    PyErr_Clear();
    PyObject *seq = PySequence_Fast(out, "the model must return None, an array or a "
                                         "sequence with one output per sample");
    if (!seq)
        return -1;
    if ((size_t)PySequence_Fast_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_ValueError, "the model returned %zd outputs for a batch of %zu "
                     "samples", PySequence_Fast_GET_SIZE(seq), n);
        Py_DECREF(seq);
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (size_t i = 0; i < n; i++)
        if (PyIndex_Check(items[i]) && !PyBool_Check(items[i])) {
            Py_ssize_t c = PyNumber_AsSsize_t(items[i], NULL);
            pred[i] = c >= 0 && c <= INT32_MAX ? (int32_t)c : -1;
        }
    Py_DECREF(seq);
    return 0;
}

int pk_model_harness(void *ctx, const harness_batch *b)
{
    pk_model *m = ctx;
    if (atomic_load_explicit(&m->fail->failed, memory_order_relaxed)) {
        lg_abort(); /* the harness's next tests end at once too */
        return PK_STATUS_ERROR;
    }
    pk_held g = gil_take();
    PyObject *batch = make_batch(m->data, b->n, b->indices,
                                 m->data->frombuffer ? b->inputs : NULL);
    PyObject *out = batch ? PyObject_CallOneArg(m->fn, batch) : NULL;
    Py_XDECREF(batch);
    int rc = out ? outputs_to_predictions(out, b->n, b->predictions) : -1;
    Py_XDECREF(out);
    if (rc < 0)
        fail_now(m->fail);
    gil_give(g);
    return rc < 0 ? PK_STATUS_ERROR : 0;
}

PyObject *pk_error(int rc, const char *what)
{
    const char *why = lg_last_error();
    PyObject *type = rc == LG_EINVAL ? PyExc_ValueError
                     : rc == LG_ENOMEM ? PyExc_MemoryError
                                       : PyExc_RuntimeError;
    if (why && *why)
        PyErr_Format(type, "%s: %s (%s)", what, why, lg_strerror(rc));
    else
        PyErr_Format(type, "%s: %s", what, lg_strerror(rc));
    return NULL;
}
