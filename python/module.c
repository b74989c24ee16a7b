/* module.c: the mlperf_loadgen module's functions: SUT, QSL and QDL handles, StartTest,
 * QuerySamplesComplete and FirstTokenComplete, on libloadgen (docs/python.md).
 *
 * The GIL: StartTest releases it for the whole test, and the LoadGen's callbacks (issue,
 * flush, load, unload; the SUT's name) take it around each Python call, so that SUT
 * threads run Python while the LoadGen waits. The completion calls convert their
 * responses with the GIL and release it around lg_complete, so that any Python thread
 * may call them, inside an issue callback too. The first exception a callback raises
 * aborts the test (lg_abort) and StartTest raises it, traceback included. Everything
 * global here is read and written with the GIL held. */
#include "python/internal.h"

#include <stdio.h>
#include <string.h>

#include "loadgen/config.h"

/* ---------------------------------------------------------------- handles */

typedef enum box_kind { BOX_SUT, BOX_FAST_SUT, BOX_QDL, BOX_QSL } box_kind;

static const char *const kind_names[] = {"SUT", "FastSUT", "QDL", "QSL"};

/* What a handle stands for: the callbacks, and the lg_sut or lg_qsl built on them. The
 * handle is the box's address as an int, as MLPerf's is its object's; it is looked up
 * in the list of live boxes, so a wrong or destroyed handle is an error, not a crash. */
typedef struct box {
    struct box *next;
    box_kind kind;
    bool running;     /* in the test under way: not to be destroyed */
    PyObject *cb[3];  /* issue, flush, name (QDL); load, unload (QSL) */
    lg_sut sut;
    lg_qsl qsl;
    char name[128];   /* the SUT's name for the logs (a QDL's, asked at StartTest) */
} box;

static box *g_boxes;

/* The first exception a callback raised in the test under way (GIL held). */
static PyObject *g_exc_type, *g_exc_value, *g_exc_tb;
static bool g_running;

/* Keeps the pending exception as the test's (the first one wins; later ones are
 * reported as unraisable) and asks the LoadGen to stop. GIL held, exception set. */
static void test_failed(PyObject *where)
{
    if (g_exc_type) {
        /* The test's own exception passing through another callback (an issue callback
         * that let QuerySamplesComplete's go) is not news. */
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        bool same = v == g_exc_value;
        PyErr_Restore(t, v, tb);
        if (same)
            PyErr_Clear();
        else
            PyErr_WriteUnraisable(where);
        return;
    }
    PyErr_Fetch(&g_exc_type, &g_exc_value, &g_exc_tb);
    PyErr_NormalizeException(&g_exc_type, &g_exc_value, &g_exc_tb);
    if (g_exc_tb && g_exc_value)
        PyException_SetTraceback(g_exc_value, g_exc_tb);
    lg_abort();
}

static PyObject *handle_of(box *b)
{
    return PyLong_FromVoidPtr(b);
}

/* The live box of this kind that handle h names, or NULL with ValueError. */
static box *find_box(PyObject *h, bool qsl)
{
    void *p = PyLong_Check(h) ? PyLong_AsVoidPtr(h) : NULL;
    if (p == NULL && PyErr_Occurred())
        PyErr_Clear();
    for (box *b = g_boxes; b; b = b->next)
        if ((void *)b == p && (b->kind == BOX_QSL) == qsl)
            return b;
    PyErr_Format(PyExc_ValueError, "%R is not a live %s handle (from %s)", h,
                 qsl ? "QSL" : "SUT", qsl ? "ConstructQSL" : "ConstructSUT");
    return NULL;
}

static box *new_box(box_kind kind, PyObject *const *cb, int ncb)
{
    for (int i = 0; i < ncb; i++)
        if (!PyCallable_Check(cb[i])) {
            PyErr_Format(PyExc_TypeError, "Construct%s: argument %d is not callable",
                         kind_names[kind], i + 1);
            return NULL;
        }
    box *b = PyMem_Calloc(1, sizeof *b);
    if (!b) {
        PyErr_NoMemory();
        return NULL;
    }
    b->kind = kind;
    for (int i = 0; i < ncb; i++) {
        Py_INCREF(cb[i]);
        b->cb[i] = cb[i];
    }
    b->next = g_boxes;
    g_boxes = b;
    return b;
}

static PyObject *destroy(PyObject *h, box_kind kind)
{
    box *b = find_box(h, kind == BOX_QSL);
    if (!b)
        return NULL;
    if (b->running) {
        PyErr_Format(PyExc_RuntimeError, "Destroy%s: the %s is in the test under way",
                     kind_names[kind], kind_names[b->kind]);
        return NULL;
    }
    for (box **p = &g_boxes; *p; p = &(*p)->next)
        if (*p == b) {
            *p = b->next;
            break;
        }
    for (int i = 0; i < 3; i++)
        Py_XDECREF(b->cb[i]);
    PyMem_Free(b);
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- LoadGen callbacks */

/* The samples as the callback wants them: a list of QuerySample, or (FastSUT) the
 * lists of ids and of indices. NULL with an exception. */
static PyObject *issue_args(const box *b, const lg_sample *s, size_t n)
{
    if (b->kind != BOX_FAST_SUT) {
        PyObject *list = PyList_New((Py_ssize_t)n);
        for (size_t i = 0; list && i < n; i++) {
            PyObject *q = py_sample_new(s[i].id, s[i].index);
            if (!q)
                Py_CLEAR(list);
            else
                PyList_SET_ITEM(list, (Py_ssize_t)i, q);
        }
        PyObject *args = list ? PyTuple_Pack(1, list) : NULL;
        Py_XDECREF(list);
        return args;
    }
    PyObject *ids = PyList_New((Py_ssize_t)n), *idx = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; ids && idx && i < n; i++) {
        PyObject *a = PyLong_FromUnsignedLongLong(s[i].id);
        PyObject *c = PyLong_FromUnsignedLongLong(s[i].index);
        if (a)
            PyList_SET_ITEM(ids, (Py_ssize_t)i, a);
        if (c)
            PyList_SET_ITEM(idx, (Py_ssize_t)i, c);
        if (!a || !c)
            Py_CLEAR(ids);
    }
    PyObject *args = ids && idx ? PyTuple_Pack(2, ids, idx) : NULL;
    Py_XDECREF(ids);
    Py_XDECREF(idx);
    return args;
}

static void sut_issue(void *ctx, const lg_sample *s, size_t n)
{
    box *b = ctx;
    PyGILState_STATE g = PyGILState_Ensure();
    /* After a failure nothing more goes to Python: the test is ending. */
    if (!g_exc_type) {
        PyObject *args = issue_args(b, s, n);
        PyObject *res = args ? PyObject_Call(b->cb[0], args, NULL) : NULL;
        Py_XDECREF(args);
        if (res)
            Py_DECREF(res);
        else
            test_failed(b->cb[0]);
    }
    PyGILState_Release(g);
}

static void sut_flush(void *ctx)
{
    box *b = ctx;
    PyGILState_STATE g = PyGILState_Ensure();
    if (!g_exc_type) {
        PyObject *res = PyObject_CallNoArgs(b->cb[1]);
        if (res)
            Py_DECREF(res);
        else
            test_failed(b->cb[1]);
    }
    PyGILState_Release(g);
}

/* load (which 0) or unload (which 1): a list of indices. Non-zero fails the test. */
static int qsl_call(box *b, int which, const uint64_t *idx, size_t n)
{
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = -1;
    if (!g_exc_type) {
        PyObject *list = PyList_New((Py_ssize_t)n);
        for (size_t i = 0; list && i < n; i++) {
            PyObject *v = PyLong_FromUnsignedLongLong(idx[i]);
            if (!v)
                Py_CLEAR(list);
            else
                PyList_SET_ITEM(list, (Py_ssize_t)i, v);
        }
        PyObject *res = list ? PyObject_CallOneArg(b->cb[which], list) : NULL;
        Py_XDECREF(list);
        if (res) {
            Py_DECREF(res);
            rc = 0;
        } else {
            test_failed(b->cb[which]);
        }
    }
    PyGILState_Release(g);
    return rc;
}

static int qsl_load(void *ctx, const uint64_t *idx, size_t n)
{
    return qsl_call(ctx, 0, idx, n);
}

static int qsl_unload(void *ctx, const uint64_t *idx, size_t n)
{
    return qsl_call(ctx, 1, idx, n);
}

/* ---------------------------------------------------------------- constructors */

static PyObject *construct_sut(box_kind kind, PyObject *args, const char *fmt)
{
    PyObject *cb[3] = {NULL, NULL, NULL};
    int ncb = kind == BOX_QDL ? 3 : 2;
    if (!PyArg_ParseTuple(args, fmt, &cb[0], &cb[1], &cb[2]))
        return NULL;
    box *b = new_box(kind, cb, ncb);
    if (!b)
        return NULL;
    snprintf(b->name, sizeof b->name, "%s", kind == BOX_FAST_SUT ? "PyFastSUT" : "PySUT");
    b->sut = (lg_sut){.name = b->name, .ctx = b, .issue = sut_issue, .flush = sut_flush};
    return handle_of(b);
}

static PyObject *m_construct_sut(PyObject *self, PyObject *args)
{
    (void)self;
    return construct_sut(BOX_SUT, args, "OO:ConstructSUT");
}

static PyObject *m_construct_fast_sut(PyObject *self, PyObject *args)
{
    (void)self;
    return construct_sut(BOX_FAST_SUT, args, "OO:ConstructFastSUT");
}

static PyObject *m_construct_qdl(PyObject *self, PyObject *args)
{
    (void)self;
    return construct_sut(BOX_QDL, args, "OOO:ConstructQDL");
}

static PyObject *m_construct_qsl(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *total, *perf, *cb[2];
    if (!PyArg_ParseTuple(args, "OOOO:ConstructQSL", &total, &perf, &cb[0], &cb[1]))
        return NULL;
    uint64_t t, p;
    if (py_get_u64(total, "ConstructQSL: total_sample_count", &t) < 0 ||
        py_get_u64(perf, "ConstructQSL: performance_sample_count", &p) < 0)
        return NULL;
    box *b = new_box(BOX_QSL, cb, 2);
    if (!b)
        return NULL;
    b->qsl = (lg_qsl){.name = "PyQSL", .ctx = b, .total_sample_count = t,
                      .performance_sample_count = p, .load = qsl_load,
                      .unload = qsl_unload};
    return handle_of(b);
}

static PyObject *m_destroy_sut(PyObject *self, PyObject *h)
{
    (void)self;
    return destroy(h, BOX_SUT);
}

static PyObject *m_destroy_qsl(PyObject *self, PyObject *h)
{
    (void)self;
    return destroy(h, BOX_QSL);
}

/* ---------------------------------------------------------------- StartTest */

/* The log settings of a test: MLPerf's defaults when ls is NULL. outdir, prefix and
 * suffix are copied (PyMem, into strs[0..2]) so that nothing the test reads can change
 * while the GIL is released. Returns 0 or -1 with an exception. */
static int log_settings(PyObject *obj, lg_log_settings *l, char *strs[3])
{
    lg_log_settings_default(l);
    l->overwrite = true; /* MLPerf's rewrites the folder's logs, run after run */
    PyObject *src[3] = {NULL, NULL, NULL};
    const char *dflt[3] = {".", "mlperf_log_", ""};
    if (obj) {
        if (!PyObject_TypeCheck(obj, &py_log_settings_type)) {
            PyErr_Format(PyExc_TypeError, "a LogSettings is needed, not %s",
                         Py_TYPE(obj)->tp_name);
            return -1;
        }
        py_log_output *o = ((py_log_settings *)obj)->log_output;
        src[0] = o->outdir;
        src[1] = o->prefix;
        src[2] = o->suffix;
        l->prefix_with_datetime = o->prefix_with_datetime;
        l->copy_summary_to_stdout = o->copy_summary_to_stdout;
        l->copy_detail_to_stdout = o->copy_detail_to_stdout;
    }
    for (int i = 0; i < 3; i++) {
        Py_ssize_t n = 0;
        const char *v = src[i] ? PyUnicode_AsUTF8AndSize(src[i], &n) : dflt[i];
        if (!v)
            return -1;
        n = (Py_ssize_t)strlen(v);
        if (!(strs[i] = PyMem_Malloc((size_t)n + 1))) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(strs[i], v, (size_t)n + 1);
    }
    l->outdir = strs[0];
    l->prefix = strs[1];
    l->suffix = strs[2];
    return 0;
}

/* MLPerf applies the audit config in the current folder (the compliance tests' file)
 * when there is one, with model "*": lg_config_apply_audit. Returns 1 (applied), 0
 * (none) or -1 with ValueError or OSError naming the file and line. */
static int apply_audit(const char *path, lg_settings *s)
{
    if (!path || !*path)
        return 0;
    char err[512] = "";
    int rc = lg_config_apply_audit(path, NULL, s, err, sizeof err);
    if (rc == 1)
        PySys_FormatStderr("mlperf_loadgen: applied %s (an audit config in the current "
                           "folder)\n", path);
    else if (rc == LG_ENOMEM)
        PyErr_NoMemory();
    else if (rc < 0)
        PyErr_Format(rc == LG_EIO ? PyExc_OSError : PyExc_ValueError, "%s", err);
    return rc < 0 ? -1 : rc;
}

static void flush_stdout(void)
{
    PyObject *out = PySys_GetObject("stdout");
    PyObject *r = out ? PyObject_CallMethod(out, "flush", NULL) : NULL;
    if (!r)
        PyErr_Clear();
    Py_XDECREF(r);
}

/* The SUT's name: a QDL's from its name callback, asked now. */
static int sut_name(box *b)
{
    if (b->kind != BOX_QDL)
        return 0;
    PyObject *n = PyObject_CallNoArgs(b->cb[2]);
    const char *s = n && PyUnicode_Check(n) ? PyUnicode_AsUTF8(n) : NULL;
    if (s)
        snprintf(b->name, sizeof b->name, "%s", s);
    else if (n && !PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "the QDL's name callback must return a str");
    Py_XDECREF(n);
    return s ? 0 : -1;
}

/* The exception for a run that lg_run_test refused or could not finish. */
static PyObject *run_error(int rc)
{
    PyObject *type = rc == LG_EINVAL ? PyExc_ValueError
                   : rc == LG_ENOMEM ? PyExc_MemoryError
                   : rc == LG_EIO || rc == LG_EEXIST ? PyExc_OSError
                   : PyExc_RuntimeError;
    const char *why = lg_last_error();
    PyErr_Format(type, "StartTest: %s", *why ? why : lg_strerror(rc));
    return NULL;
}

static PyObject *start_test(PyObject *sut_h, PyObject *qsl_h, PyObject *settings_obj,
                            PyObject *log_obj, const char *audit)
{
    if (g_running)
        return PyErr_Format(PyExc_RuntimeError, "StartTest: a test is already running");
    box *sb = find_box(sut_h, false), *qb = sb ? find_box(qsl_h, true) : NULL;
    lg_settings s;
    int audited = 0;
    if (!qb || py_settings_to_lg(settings_obj, &s) < 0 ||
        (audited = apply_audit(audit, &s)) < 0 || sut_name(sb) < 0)
        return NULL;
    lg_log_settings l;
    char *strs[3] = {NULL, NULL, NULL};
    if (log_settings(log_obj, &l, strs) < 0) {
        for (int i = 0; i < 3; i++)
            PyMem_Free(strs[i]);
        return NULL;
    }
    l.audit_config = audited ? audit : NULL;
    flush_stdout(); /* what Python printed comes before the summary */
    sb->running = qb->running = g_running = true;
    lg_results r;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = lg_run_test(&s, &sb->sut, &qb->qsl, &l, &r);
    Py_END_ALLOW_THREADS
    sb->running = qb->running = g_running = false;
    for (int i = 0; i < 3; i++)
        PyMem_Free(strs[i]);
    if (g_exc_type) {
        /* The callback's own exception, traceback and all, hands back ownership. */
        PyErr_Restore(g_exc_type, g_exc_value, g_exc_tb);
        g_exc_type = g_exc_value = g_exc_tb = NULL;
        return NULL;
    }
    if (rc != 0)
        return run_error(rc);
    Py_RETURN_NONE;
}

static PyObject *m_start_test(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"sut", "qsl", "test_settings", "audit_config_filename", NULL};
    PyObject *sut, *qsl, *settings;
    const char *audit = "audit.config";
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|s:StartTest", kwlist, &sut, &qsl,
                                     &settings, &audit))
        return NULL;
    return start_test(sut, qsl, settings, NULL, audit);
}

static PyObject *m_start_test_log(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"sut", "qsl", "test_settings", "log_settings",
                             "audit_config_filename", NULL};
    PyObject *sut, *qsl, *settings, *log;
    const char *audit = "audit.config";
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOO|s:StartTestWithLogSettings", kwlist,
                                     &sut, &qsl, &settings, &log, &audit))
        return NULL;
    return start_test(sut, qsl, settings, log, audit);
}

/* ---------------------------------------------------------------- completions */

/* Responses are converted and completed this many at a time, from the stack: an
 * Offline query of a million samples then needs no 40 MB block (whose page faults were a
 * tenth of a Python null SUT's time), and the GIL is free between chunks. */
#define CHUNK_RESPONSES 512

/* What the response callback needs: the Python responses, in the order of the array. */
typedef struct cb_ctx {
    PyObject *items;  /* a tuple: stays as it is while the GIL is released */
    Py_ssize_t first; /* the tuple's index of arr[0] */
    PyObject *cb;
    lg_response *arr;
    bool failed;
    PyObject *exc[3]; /* the callback's exception: type, value, traceback */
} cb_ctx;

/* MLPerf's response callback, on a sample the accuracy log records: the Python response
 * object is handed over and its data and size read back, so that the callback may
 * provide the output only now. */
static void response_cb(void *ctx, lg_response *r)
{
    cb_ctx *c = ctx;
    PyGILState_STATE g = PyGILState_Ensure();
    if (!c->failed) {
        py_response *obj =
            (py_response *)PyTuple_GET_ITEM(c->items, c->first + (r - c->arr));
        PyObject *res = PyObject_CallOneArg(c->cb, (PyObject *)obj);
        if (res) {
            Py_DECREF(res);
            r->data = (const void *)obj->data;
            r->size = obj->size;
        } else {
            /* The test stops, and QuerySamplesComplete raises it too. */
            c->failed = true;
            PyErr_Fetch(&c->exc[0], &c->exc[1], &c->exc[2]);
            PyErr_NormalizeException(&c->exc[0], &c->exc[1], &c->exc[2]);
            if (c->exc[1] && c->exc[2])
                PyException_SetTraceback(c->exc[1], c->exc[2]);
            if (g_running) {
                for (int i = 0; i < 3; i++)
                    Py_XINCREF(c->exc[i]);
                PyErr_Restore(c->exc[0], c->exc[1], c->exc[2]);
                test_failed(c->cb);
            }
        }
    }
    PyGILState_Release(g);
}

/* Checks that items[from, to) are QuerySampleResponse objects; -1 with TypeError. */
static int check_responses(PyObject *const *items, Py_ssize_t from, Py_ssize_t to)
{
    for (Py_ssize_t i = from; i < to; i++)
        if (!PyObject_TypeCheck(items[i], &py_response_type)) {
            PyErr_Format(PyExc_TypeError, "responses[%zd]: a QuerySampleResponse is "
                         "needed, not %s", i, Py_TYPE(items[i])->tp_name);
            return -1;
        }
    return 0;
}

/* Converts items[from, from + n) (checked) into arr. */
static void convert(PyObject *const *items, Py_ssize_t from, Py_ssize_t n, lg_response *arr)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        const py_response *p = (const py_response *)items[from + i];
        arr[i] = (lg_response){.id = p->id, .data = (const void *)p->data, .size = p->size,
                               .status = LG_STATUS_OK, .n_tokens = p->n_tokens};
    }
}

/* QuerySamplesComplete (first false) and FirstTokenComplete (first true). Every response
 * is checked before any is completed; then they go to the LoadGen a chunk at a time with
 * the GIL released. A list that another thread shortens meanwhile ends the call with
 * RuntimeError (what was already completed stays completed). */
static PyObject *completion(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                           bool first, const char *fname)
{
    /* Fast-call arguments, (responses, response_cb=None) by position or name: a
     * harness calls this once per query, and an argument tuple and dict cost more than
     * the completion itself. */
    PyObject *a[2] = {NULL, NULL};
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs > 2)
        return PyErr_Format(PyExc_TypeError, "%s() takes at most 2 arguments (%zd given)",
                            fname, nargs + nkw);
    for (Py_ssize_t i = 0; i < nargs; i++)
        a[i] = args[i];
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        int k = PyUnicode_CompareWithASCIIString(name, "responses") == 0     ? 0
                : PyUnicode_CompareWithASCIIString(name, "response_cb") == 0 ? 1
                                                                              : -1;
        if (k < 0)
            return PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword "
                                "argument '%U'", fname, name);
        if (a[k])
            return PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument "
                                "'%U'", fname, name);
        a[k] = args[nargs + i];
    }
    if (!a[0])
        return PyErr_Format(PyExc_TypeError, "%s() missing required argument 'responses' "
                            "(pos 1)", fname);
    PyObject *responses = a[0], *cb = a[1] ? a[1] : Py_None;
    if (cb != Py_None && !PyCallable_Check(cb))
        return PyErr_Format(PyExc_TypeError, "response_cb must be callable or None");
    /* A tuple: the callback finds its objects by position with the GIL released. */
    PyObject *seq = cb != Py_None ? PySequence_Tuple(responses)
                                  : PySequence_Fast(responses, "responses must be a list");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (check_responses(PySequence_Fast_ITEMS(seq), 0, n) < 0) {
        Py_DECREF(seq);
        return NULL;
    }
    lg_response arr[CHUNK_RESPONSES];
    /* MLPerf calls no response callback for first tokens. */
    cb_ctx c = {.items = seq, .cb = cb, .arr = arr};
    for (Py_ssize_t from = 0; from < n; from += CHUNK_RESPONSES) {
        Py_ssize_t k = n - from < CHUNK_RESPONSES ? n - from : CHUNK_RESPONSES;
        if (PySequence_Fast_GET_SIZE(seq) < from + k) {
            Py_DECREF(seq);
            return PyErr_Format(PyExc_RuntimeError, "the list of responses was shortened "
                                "while QuerySamplesComplete read it");
        }
        PyObject *const *items = PySequence_Fast_ITEMS(seq);
        if (from > 0 && check_responses(items, from, from + k) < 0) { /* changed meanwhile */
            Py_DECREF(seq);
            return NULL;
        }
        convert(items, from, k, arr);
        c.first = from;
        Py_BEGIN_ALLOW_THREADS
        if (first)
            lg_first_token(arr, (size_t)k);
        else if (cb == Py_None)
            lg_complete(arr, (size_t)k);
        else
            lg_complete_cb(arr, (size_t)k, response_cb, &c);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(seq);
    if (c.failed) {
        PyErr_Restore(c.exc[0], c.exc[1], c.exc[2]);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *m_complete(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames)
{
    (void)self;
    return completion(args, nargs, kwnames, false, "QuerySamplesComplete");
}

static PyObject *m_first_token(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames)
{
    (void)self;
    return completion(args, nargs, kwnames, true, "FirstTokenComplete");
}

/* ---------------------------------------------------------------- the module */

#define FN(f) ((PyCFunction)(void (*)(void))(f))

static PyMethodDef functions[] = {
    {"ConstructSUT", m_construct_sut, METH_VARARGS,
     "ConstructSUT(issue_cb, flush_cb) -> handle: issue_cb(list of QuerySample)."},
    {"DestroySUT", m_destroy_sut, METH_O, "DestroySUT(handle)."},
    {"ConstructFastSUT", m_construct_fast_sut, METH_VARARGS,
     "ConstructFastSUT(fast_issue_cb, flush_cb) -> handle: fast_issue_cb(ids, indices)."},
    {"DestroyFastSUT", m_destroy_sut, METH_O, "DestroyFastSUT(handle)."},
    {"ConstructQDL", m_construct_qdl, METH_VARARGS,
     "ConstructQDL(issue_cb, flush_cb, name_cb) -> handle: a SUT named by name_cb()."},
    {"DestroyQDL", m_destroy_sut, METH_O, "DestroyQDL(handle)."},
    {"ConstructQSL", m_construct_qsl, METH_VARARGS,
     "ConstructQSL(total_sample_count, performance_sample_count, load_cb, unload_cb) -> "
     "handle: load_cb and unload_cb receive lists of sample indices."},
    {"DestroyQSL", m_destroy_qsl, METH_O, "DestroyQSL(handle)."},
    {"StartTest", FN(m_start_test), METH_VARARGS | METH_KEYWORDS,
     "StartTest(sut, qsl, test_settings, audit_config_filename='audit.config'): runs a "
     "test, logs in the current folder. Raises the exception a callback raised."},
    {"StartTestWithLogSettings", FN(m_start_test_log), METH_VARARGS | METH_KEYWORDS,
     "StartTestWithLogSettings(sut, qsl, test_settings, log_settings, "
     "audit_config_filename='audit.config')."},
    {"QuerySamplesComplete", FN(m_complete), METH_FASTCALL | METH_KEYWORDS,
     "QuerySamplesComplete(responses, response_cb=None): any thread; response_cb(response) "
     "runs on each response the accuracy log records, before its data is copied."},
    {"FirstTokenComplete", FN(m_first_token), METH_FASTCALL | METH_KEYWORDS,
     "FirstTokenComplete(responses, response_cb=None): the first token of each sample "
     "arrived; any thread. response_cb is accepted and not called, as MLPerf's."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mlperf_loadgen",
    .m_doc = "MLPerf Inference load generator.",
    .m_size = -1,
    .m_methods = functions,
};

PyMODINIT_FUNC PyInit_mlperf_loadgen(void);

PyMODINIT_FUNC PyInit_mlperf_loadgen(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m && (py_types_init(m) < 0 || py_settings_init(m) < 0))
        Py_CLEAR(m);
    return m;
}
