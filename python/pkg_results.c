/* pkg_results.c: lg_results, the harness's comparison and accuracy as Python dicts with
 * every field under its C name (nested structs as nested dicts), for the package's
 * Results and Comparison objects. */
#include <math.h>

#include "loadgen/results_fields.h"
#include "python/pkg.h"

/* Sets d[key] = v, stealing v; false (exception set) when v is NULL or the set fails. */
static bool put(PyObject *d, const char *key, PyObject *v)
{
    if (!v)
        return false;
    int rc = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return rc == 0;
}

/* A str of s, "" for NULL (a static name that may be missing). */
static PyObject *text_of(const char *s)
{
    return PyUnicode_FromString(s ? s : "");
}

#define PUT_U64(d, k, v) put(d, k, PyLong_FromUnsignedLongLong((unsigned long long)(v)))
#define PUT_I64(d, k, v) put(d, k, PyLong_FromLongLong((long long)(v)))
#define PUT_DBL(d, k, v) put(d, k, PyFloat_FromDouble(v))
#define PUT_BOOL(d, k, v) put(d, k, PyBool_FromLong(v))
#define PUT_STR(d, k, v) put(d, k, text_of(v))

static PyObject *latency_dict(const lg_latency_stats *l)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    bool ok = PUT_U64(d, "count", l->count);
#define X(key, member) ok = ok && PUT_I64(d, #member, l->member);
    LG_RESULTS_LATENCY(X)
#undef X
    if (!ok)
        Py_CLEAR(d);
    return d;
}

static PyObject *early_dict(const lg_early_stopping *e)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    bool ok = true;
#define BOOL(d, k, v) PUT_BOOL(d, k, v)
#define DBL(d, k, v) PUT_DBL(d, k, v)
#define U64(d, k, v) PUT_U64(d, k, v)
#define I64(d, k, v) PUT_I64(d, k, v)
#define X(key, type, member) ok = ok && type(d, #member, e->member);
    LG_RESULTS_EARLY_STOPPING(X)
#undef X
    if (!ok)
        Py_CLEAR(d);
    return d;
}

static PyObject *tokens_dict(const lg_token_results *t)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    bool ok = PUT_BOOL(d, "applies", t->applies) && PUT_BOOL(d, "mlperf", t->mlperf) &&
              PUT_STR(d, "count_source", t->count_source) &&
              PUT_U64(d, "samples_with_tokens", t->samples_with_tokens) &&
              PUT_U64(d, "output_tokens", t->output_tokens) &&
              PUT_U64(d, "token_count", t->token_count) &&
              put(d, "ttft", latency_dict(&t->ttft)) && put(d, "tpot", latency_dict(&t->tpot)) &&
              put(d, "ttft_from_send", latency_dict(&t->ttft_from_send)) &&
              put(d, "latency_from_send", latency_dict(&t->latency_from_send)) &&
              PUT_DBL(d, "tokens_per_sec", t->tokens_per_sec) &&
              PUT_DBL(d, "completed_tokens_per_sec", t->completed_tokens_per_sec) &&
              PUT_DBL(d, "tokens_per_sec_with_loadgen_overhead",
                      t->tokens_per_sec_with_loadgen_overhead) &&
              PUT_DBL(d, "tokens_per_sec_without_loadgen_overhead",
                      t->tokens_per_sec_without_loadgen_overhead) &&
              PUT_DBL(d, "inferred_tokens_per_sec", t->inferred_tokens_per_sec) &&
              put(d, "ttft_early_stopping", early_dict(&t->ttft_early_stopping)) &&
              put(d, "tpot_early_stopping", early_dict(&t->tpot_early_stopping)) &&
              PUT_BOOL(d, "ttft_constraint_met", t->ttft_constraint_met) &&
              PUT_BOOL(d, "tpot_constraint_met", t->tpot_constraint_met) &&
              PUT_U64(d, "first_token_duplicates", t->first_token_duplicates) &&
              PUT_U64(d, "first_token_unknown", t->first_token_unknown) &&
              PUT_U64(d, "first_token_late", t->first_token_late) &&
              PUT_U64(d, "first_tokens_ignored", t->first_tokens_ignored) &&
              PUT_U64(d, "missing_first_token", t->missing_first_token) &&
              PUT_U64(d, "n_tokens_zero", t->n_tokens_zero) &&
              PUT_U64(d, "n_tokens_negative", t->n_tokens_negative) &&
              PUT_U64(d, "n_tokens_one", t->n_tokens_one) &&
              PUT_BOOL(d, "slo_applies", t->slo_applies) &&
              PUT_U64(d, "good_requests", t->good_requests) &&
              PUT_U64(d, "good_tokens", t->good_tokens) &&
              PUT_DBL(d, "request_goodput", t->request_goodput) &&
              PUT_DBL(d, "token_goodput", t->token_goodput) &&
              PUT_DBL(d, "output_tokens_per_sec", t->output_tokens_per_sec);
    if (!ok)
        Py_CLEAR(d);
    return d;
}

/* [(code, text), ...] of the run's invalid reasons, with its counts where they explain. */
static PyObject *reasons_list(const lg_results *r)
{
    PyObject *l = PyList_New(0);
    char buf[512];
#define X(code, flag)                                                                       \
    if (l && (r->invalid_reasons & (flag))) {                                              \
        PyObject *t = Py_BuildValue("(ss)", code,                                          \
                                    lg_invalid_reason_describe(r, flag, buf, sizeof buf)); \
        if (!t || PyList_Append(l, t) < 0)                                                 \
            Py_CLEAR(l);                                                                   \
        Py_XDECREF(t);                                                                     \
    }
    LG_RESULTS_REASONS(X)
#undef X
    return l;
}

PyObject *pk_results_dict(const lg_results *r)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    char text[8192];
    lg_results_format(r, text, sizeof text);
    bool ok = PUT_STR(d, "scenario", lg_scenario_name(r->scenario)) &&
              PUT_STR(d, "mode", lg_mode_name(r->mode)) &&
              PUT_BOOL(d, "find_peak", r->find_peak) &&
              PUT_BOOL(d, "find_peak_passed", r->find_peak_passed) &&
              PUT_BOOL(d, "valid", r->valid) &&
              PUT_BOOL(d, "aborted", r->aborted) &&
              PUT_U64(d, "invalid_reasons", r->invalid_reasons) &&
              put(d, "invalid_reason_texts", reasons_list(r)) &&
              PUT_STR(d, "metric_name", r->metric_name) &&
              PUT_STR(d, "metric_unit", r->metric_unit) && PUT_DBL(d, "metric", r->metric);
#define X(key, member) ok = ok && PUT_U64(d, #member, r->member);
    LG_RESULTS_COUNTS(X)
#undef X
#define X(key, member) ok = ok && PUT_DBL(d, #member, r->member);
    LG_RESULTS_THROUGHPUT(X)
#undef X
    ok = ok && put(d, "latency", latency_dict(&r->latency)) &&
         put(d, "query_latency", latency_dict(&r->query_latency)) &&
         put(d, "issue_lag", latency_dict(&r->issue_lag)) &&
         put(d, "early_stopping", early_dict(&r->early_stopping)) &&
         PUT_I64(d, "duration_ns", r->duration_ns) &&
         PUT_I64(d, "final_issue_ns", r->final_issue_ns) &&
         PUT_I64(d, "final_scheduled_ns", r->final_scheduled_ns) &&
         PUT_U64(d, "overlatency_count", r->overlatency_count) &&
         PUT_U64(d, "performance_sample_count", r->performance_sample_count) &&
         PUT_U64(d, "accuracy_sample_count", r->accuracy_sample_count) &&
         PUT_U64(d, "samples_per_query", r->samples_per_query) &&
         put(d, "tokens", tokens_dict(&r->tokens)) && PUT_STR(d, "text", text);
    if (!ok)
        Py_CLEAR(d);
    return d;
}

static PyObject *side_dict(const rpt_side *s)
{
    return Py_BuildValue("{s:n,s:d,s:d,s:d,s:d,s:d,s:d}", "n", (Py_ssize_t)s->n, "mean",
                         s->mean, "sd", s->sd, "median", s->median, "min", s->min, "max",
                         s->max, "cv", s->cv);
}

/* rpt_metric_cmp: every statistic of the comparison of one metric. */
static PyObject *metric_dict(const rpt_metric_cmp *c)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    bool ok = PUT_STR(d, "name", c->name) && PUT_STR(d, "unit", c->unit) &&
              PUT_STR(d, "direction", c->direction == RPT_LOWER_IS_BETTER ? "lower_is_better"
                                                                          : "higher_is_better") &&
              put(d, "a", side_dict(&c->a)) && put(d, "b", side_dict(&c->b)) &&
              PUT_DBL(d, "welch_t", c->welch_t) && PUT_DBL(d, "welch_df", c->welch_df) &&
              PUT_DBL(d, "welch_p", c->welch_p) && PUT_DBL(d, "mw_u", c->mw_u) &&
              PUT_DBL(d, "mw_p", c->mw_p) && PUT_BOOL(d, "mw_exact", c->mw_exact) &&
              PUT_DBL(d, "cohens_d", c->cohens_d) && PUT_DBL(d, "hedges_g", c->hedges_g) &&
              PUT_DBL(d, "ratio", c->ratio) && PUT_DBL(d, "ratio_lo", c->ratio_lo) &&
              PUT_DBL(d, "ratio_hi", c->ratio_hi) && PUT_DBL(d, "change", c->change) &&
              PUT_DBL(d, "change_lo", c->change_lo) && PUT_DBL(d, "change_hi", c->change_hi) &&
              PUT_STR(d, "interval", rpt_interval_method_id(c->interval)) &&
              PUT_U64(d, "interval_resamples", c->interval_resamples) &&
              PUT_STR(d, "interval_text", c->interval_text) &&
              PUT_DBL(d, "confidence", c->confidence) &&
              PUT_BOOL(d, "significant", c->significant) &&
              PUT_STR(d, "verdict", rpt_change_id(c->verdict)) &&
              PUT_STR(d, "verdict_text", rpt_change_name(c->verdict)) &&
              PUT_BOOL(d, "few_values", c->few_values) && PUT_STR(d, "note", c->note);
    if (!ok)
        Py_CLEAR(d);
    return d;
}

PyObject *pk_comparison_dict(const harness_model_comparison *c)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    bool ok = PUT_BOOL(d, "is_significant", c->is_significant) &&
              PUT_DBL(d, "p_value", c->p_value) && PUT_DBL(d, "effect_size", c->effect_size) &&
              put(d, "confidence_interval", Py_BuildValue("(dd)", c->confidence_interval[0],
                                                          c->confidence_interval[1])) &&
              PUT_STR(d, "metric", c->metric) &&
              PUT_STR(d, "recommendation", c->recommendation) &&
              put(d, "detail", metric_dict(&c->detail)) &&
              PUT_DBL(d, "speed_ratio", c->speed_ratio) &&
              put(d, "speed_ratio_ci",
                  Py_BuildValue("(dd)", c->speed_ratio_ci[0], c->speed_ratio_ci[1])) &&
              PUT_BOOL(d, "has_accuracy", c->has_accuracy) &&
              PUT_DBL(d, "accuracy_a", c->accuracy_a) && PUT_DBL(d, "accuracy_b", c->accuracy_b) &&
              PUT_DBL(d, "accuracy_change", c->accuracy_change) &&
              put(d, "accuracy_ci", Py_BuildValue("(dd)", c->accuracy_ci[0], c->accuracy_ci[1])) &&
              PUT_DBL(d, "accuracy_p", c->accuracy_p) &&
              PUT_U64(d, "only_a_right", c->only_a_right) &&
              PUT_U64(d, "only_b_right", c->only_b_right) && PUT_STR(d, "tradeoff", c->tradeoff);
    if (!ok)
        Py_CLEAR(d);
    return d;
}

PyObject *pk_accuracy_dict(const harness_accuracy_result *a)
{
    return Py_BuildValue("{s:K,s:K,s:K,s:d}", "samples", (unsigned long long)a->samples,
                         "answered", (unsigned long long)a->answered, "correct",
                         (unsigned long long)a->correct, "top1", a->top1);
}
