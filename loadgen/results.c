/* results.c: turns the records of a finished pass into lg_results in four steps: collect
 * (counts, latencies from the scheduled time, MLPerf's percentiles), the scenario's own
 * figures (early stopping and the metric, from scenario.c's table), the issue lag, and
 * the validity. */
#include <stdlib.h>
#include <string.h>

#include "loadgen/internal.h"
#include "stats/stats.h"

void lg__latency_stats(int64_t *v, size_t n, int64_t *scratch, double target,
                       lg_latency_stats *out)
{
    memset(out, 0, sizeof *out);
    out->count = n;
    if (n == 0)
        return;
    stats_sort_i64(v, n, scratch);
    stats_summary sm;
    stats_summary_i64(v, n, target, &sm);
    out->min_ns = sm.min;
    out->max_ns = sm.max;
    out->mean_ns = sm.mean;
    out->p50_ns = sm.p50;
    out->p90_ns = sm.p90;
    out->p95_ns = sm.p95;
    out->p97_ns = sm.p97;
    out->p99_ns = sm.p99;
    out->p999_ns = sm.p999;
    out->target_ns = sm.target;
}

/* The scenario's metric, as MLPerf names it. */
static void set_metric_name(lg_scenario sc, lg_results *r)
{
    r->metric_name = lg__scenario(sc)->metric_name;
    r->metric_unit = lg__scenario(sc)->metric_unit;
}

/* The reasons that come from how the pass ended rather than from its latencies. An
 * abort counts when it changed what was measured: it stopped the issuing or cut the
 * wait for outstanding samples. */
static unsigned end_reasons(const lg__pass_counts *p, const lg_results *r)
{
    unsigned why = 0;
    if (r->samples_failed)
        why |= LG_INVALID_FAILED_SAMPLES;
    if (r->samples_timed_out)
        why |= LG_INVALID_TIMED_OUT;
    if (p->ended_abort || p->abort_cut)
        why |= LG_INVALID_ABORTED;
    if (p->ended_max_queries || p->ended_max_duration || p->ended_async)
        why |= LG_INVALID_MAX_LIMIT;
    if (r->duplicate_completions || r->unknown_completions || r->bad_responses)
        why |= LG_INVALID_COMPLETION_ERRORS;
    if (p->ended_oom || r->accuracy_samples_dropped)
        why |= LG_INVALID_OUT_OF_MEMORY;
    if (p->qsl_failed)
        why |= LG_INVALID_QSL_FAILURE;
    const lg_token_results *k = &r->tokens;
    if (k->first_token_duplicates || k->first_token_unknown || k->first_token_late)
        why |= LG_INVALID_TOKEN_ERRORS;
    /* MLPerf logs these as errors in token mode; a missing first token only where it
     * needs one (not Offline). */
    if (k->mlperf && (k->n_tokens_zero || k->n_tokens_negative || k->n_tokens_one ||
                      (k->missing_first_token && lg__scenario(r->scenario)->needs_first_token)))
        why |= LG_INVALID_TOKEN_ERRORS;
    return why;
}

/* When there is no memory left to sort the latencies: the counts, which need none, and
 * INVALID for want of memory. The latency figures stay zero. */
static void count_only(const lg__eff *e, const lg__store *records, const lg__pass_counts *p,
                       lg_results *r)
{
    for (uint64_t s = 0; s < records->count; s++) {
        const lg__rec *rec = lg__store_at(records, s);
        int64_t c = atomic_load_explicit(&rec->completed_ns, memory_order_relaxed);
        if (c == LG__TIMED_OUT || c == 0) {
            r->samples_timed_out++;
            continue;
        }
        r->samples_completed++;
        r->samples_failed += rec->status != LG_STATUS_OK;
    }
    set_metric_name(e->scenario, r);
    lg_token_results *k = &r->tokens;
    k->count_source = "none";
    k->first_token_duplicates = p->first_token_duplicates;
    k->first_token_unknown = p->first_token_unknown;
    k->first_token_late = p->first_token_late;
    k->first_tokens_ignored = p->first_tokens_ignored;
    r->invalid_reasons = end_reasons(p, r) | LG_INVALID_OUT_OF_MEMORY;
    r->aborted = (r->invalid_reasons & LG_INVALID_ABORTED) != 0;
    r->valid = false;
}

/* One pass over the records: the counts, the latencies of the successful samples (from
 * the scheduled time, or for a one-query scenario from the pass's start) sorted with
 * their figures, the last sample's times and the duration. */
static void collect(lg__collected *c, lg_results *r)
{
    const lg__store *records = c->records;
    bool one_query = lg__scenario(c->e->scenario)->one_query;
    uint64_t n = records->count;
    int64_t origin = c->counts->start_ns, max_done = origin, last_done = origin;
    size_t nok = 0;
    for (uint64_t s = 0; s < n; s++) {
        const lg__rec *rec = lg__store_at(records, s);
        int64_t done = atomic_load_explicit(&rec->completed_ns, memory_order_relaxed);
        int64_t sched = one_query ? origin : rec->scheduled_ns;
        if (done == LG__TIMED_OUT || done == 0) {
            r->samples_timed_out++;
            continue;
        }
        r->samples_completed++;
        if (done > max_done)
            max_done = done;
        if (rec->status != LG_STATUS_OK) {
            r->samples_failed++;
            continue;
        }
        c->lat[nok++] = done - sched;
    }
    if (n) {
        const lg__rec *last = lg__store_at(records, n - 1);
        int64_t done = atomic_load_explicit(&last->completed_ns, memory_order_relaxed);
        last_done = done > 0 ? done : max_done;
        r->final_issue_ns = one_query ? 0
                                      : atomic_load_explicit(&last->issued_ns,
                                                             memory_order_relaxed) - origin;
        r->final_scheduled_ns = one_query ? 0 : last->scheduled_ns - origin;
    }
    r->duration_ns = max_done - origin;
    lg__latency_stats(c->lat, nok, c->scratch, c->e->target_latency_percentile, &r->latency);
    c->nok = nok;
    c->secs_done = (double)(last_done - origin) / 1e9;
}

/* The issue lag: actual issue time minus scheduled time (none for a one-query
 * scenario), with lat and scratch as room for the records' count. */
static void issue_lag(const lg__eff *e, const lg__store *records, int64_t *lat,
                      int64_t *scratch, lg_results *r)
{
    size_t nlag = 0;
    if (!lg__scenario(e->scenario)->one_query)
        for (uint64_t s = 0; s < records->count; s++) {
            const lg__rec *rec = lg__store_at(records, s);
            lat[nlag++] = atomic_load_explicit(&rec->issued_ns, memory_order_relaxed) -
                          rec->scheduled_ns;
        }
    lg__latency_stats(lat, nlag, scratch, 0.99, &r->issue_lag);
}

/* Validity, MLPerf's rules first (the scenario's duration, the counts, its performance
 * constraint, early stopping), then ours. */
static unsigned invalid_reasons(const lg__eff *e, const lg__pass_counts *p,
                                const lg_results *r)
{
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    unsigned why = 0;
    if (sc->measured_ns(r) < (int64_t)e->min_duration_ms * 1000000)
        why |= LG_INVALID_MIN_DURATION;
    if (p->queries < e->min_query_count || r->samples_issued < e->min_sample_count)
        why |= LG_INVALID_MIN_QUERIES;
    /* MLPerf's token mode replaces the latency bound by the TTFT and TPOT bounds. */
    bool over_bound = r->tokens.mlperf
                          ? !r->tokens.ttft_constraint_met || !r->tokens.tpot_constraint_met
                          : r->latency.count == 0 || r->latency.target_ns > e->target_latency_ns;
    if (sc->perf_constraint && (over_bound || r->samples_failed + r->samples_timed_out > 0))
        why |= LG_INVALID_PERF_CONSTRAINT;
    if (!r->early_stopping.met)
        why |= LG_INVALID_EARLY_STOPPING;
    why |= end_reasons(p, r);
    /* MLPerf's LoadGen stops issuing at a max limit and logs an error, but its verdict
     * looks at the rules above only. */
    if (e->mlperf_max_limits)
        why &= ~(unsigned)LG_INVALID_MAX_LIMIT;
    return why;
}

/* What every performance pass's results start from, exact or HDR: the pass's counts and
 * the effective settings, the rest zero. */
static void results_head(const lg__eff *e, const lg__pass_counts *p, uint64_t samples,
                         lg_results *r)
{
    memset(r, 0, sizeof *r);
    r->scenario = e->scenario;
    r->mode = LG_MODE_PERFORMANCE;
    r->queries_issued = p->queries;
    r->samples_issued = samples;
    r->samples_per_query = e->samples_per_query;
    r->performance_sample_count = e->performance_sample_count;
    r->accuracy_sample_count = e->accuracy_sample_count;
    r->duplicate_completions = p->duplicates;
    r->unknown_completions = p->unknown;
    r->late_completions = p->late;
    r->accuracy_samples_logged = p->accuracy_logged;
    r->warmup_queries = p->warmup_queries;
    r->bad_responses = p->bad_responses;
    r->accuracy_samples_dropped = p->accuracy_dropped;
    set_metric_name(e->scenario, r);
}

int lg__results(const lg__eff *e, const lg__store *records, const lg__pass_counts *p,
                lg_results *r)
{
    uint64_t n = records->count;
    results_head(e, p, n, r);

    int64_t *lat = malloc((n ? n : 1) * sizeof *lat);
    int64_t *scratch = malloc((n ? n : 1) * sizeof *scratch);
    if (!lat || !scratch) {
        free(lat);
        free(scratch);
        count_only(e, records, p, r);
        return LG_ENOMEM;
    }

    lg__collected c = {.e = e, .records = records, .counts = p, .lat = lat,
                       .scratch = scratch};
    collect(&c, r);
    lg__scenario(e->scenario)->figures(&c, r);
    lg__token_figures(&c, r);
    issue_lag(e, records, lat, scratch, r);
    free(lat);
    free(scratch);
    r->invalid_reasons = invalid_reasons(e, p, r);
    r->aborted = (r->invalid_reasons & LG_INVALID_ABORTED) != 0;
    r->valid = r->invalid_reasons == 0;
    return 0;
}

/* A record_hdr pass: the scenario's figures from the merged histograms, as collect()
 * and the scenario's figures compute them from the records. Only the scenarios
 * record_hdr takes (SingleStream, Server, Offline; lg_settings_check refuses
 * MultiStream) have a rule here; the percentiles are the histogram's, within
 * record_relative_error of the exact ones. */
static void hdr_figures(const lg__eff *e, const lg__hdr_pass *h, const lg__pass_counts *c,
                        uint64_t n, lg_results *r)
{
    double nm1 = n ? (double)(n - 1) : 0.0;
    lg_early_stopping *es = &r->early_stopping;
    switch (e->scenario) {
    case LG_SERVER: {
        uint64_t over = h->over + r->samples_failed + r->samples_timed_out;
        r->overlatency_count = over;
        lg__es_server(c->queries, over, e->target_latency_percentile, es);
        int64_t last = h->last_done_ns > 0 ? h->last_done_ns : h->max_done_ns;
        double secs = last > c->start_ns ? (double)(last - c->start_ns) / 1e9 : 0.0;
        r->completed_samples_per_sec = secs > 0 ? nm1 / secs : 0.0;
        r->scheduled_samples_per_sec =
            r->final_scheduled_ns > 0 ? nm1 / ((double)r->final_scheduled_ns / 1e9) : 0.0;
        r->metric = r->completed_samples_per_sec;
        break;
    }
    case LG_OFFLINE:
        es->applies = false;
        es->met = true;
        r->samples_per_sec = r->latency.max_ns > 0
                                 ? (double)n / ((double)r->latency.max_ns / 1e9)
                                 : 0.0;
        r->metric = r->samples_per_sec;
        break;
    default: { /* SingleStream: early stopping on the histogram's order statistics */
        uint64_t k = h->lat.total;
        double p = e->target_latency_percentile;
        es->applies = true;
        es->percentile = p;
        es->queries = k;
        es->min_queries = stats_es_min_h(1, p, LG__ES_CONFIDENCE) + 1;
        if (k >= es->min_queries) {
            uint64_t tt = stats_es_max_t(k, p, LG__ES_CONFIDENCE);
            es->met = tt >= 1;
            es->overlatency = tt;
            es->estimate_ns = tt >= 1 ? lg__hdr_value_at_rank(&h->lat, k - tt) : 0;
        }
        if (k >= stats_es_min_h(1, 0.99, LG__ES_CONFIDENCE) + 1) {
            uint64_t t99 = stats_es_max_t(k, 0.99, LG__ES_CONFIDENCE);
            es->estimate99_ns = t99 >= 1 ? lg__hdr_value_at_rank(&h->lat, k - t99) : 0;
        }
        r->qps_with_loadgen_overhead =
            r->final_issue_ns > 0 ? nm1 / ((double)r->final_issue_ns / 1e9) : 0.0;
        r->qps_without_loadgen_overhead =
            r->latency.mean_ns > 0 ? 1e9 / (double)r->latency.mean_ns : 0.0;
        r->metric = (double)es->estimate_ns;
        break;
    }
    }
}

void lg__results_hdr(const lg__eff *e, const lg__hdr_pass *h, const lg__pass_counts *p,
                     uint64_t samples, lg_results *r)
{
    results_head(e, p, samples, r);
    r->record_hdr = true;
    r->record_relative_error = lg__hdr_relative_error(e->hdr_digits);
    r->tokens.count_source = "none";
    r->tokens.first_token_duplicates = p->first_token_duplicates;
    r->tokens.first_token_unknown = p->first_token_unknown;
    r->tokens.first_token_late = p->first_token_late;
    r->tokens.first_tokens_ignored = p->first_tokens_ignored;

    r->samples_completed = h->completed + h->lost;
    r->samples_failed = h->failed;
    r->samples_timed_out = samples > r->samples_completed ? samples - r->samples_completed
                                                          : 0;
    bool one_query = lg__scenario(e->scenario)->one_query;
    int64_t origin = p->start_ns;
    r->duration_ns = (h->max_done_ns > origin ? h->max_done_ns : origin) - origin;
    if (samples && !one_query) {
        r->final_issue_ns = h->last_issued_ns - origin;
        r->final_scheduled_ns = h->last_scheduled_ns - origin;
    }
    lg__hdr_stats(&h->lat, e->target_latency_percentile, &r->latency);
    if (!one_query)
        lg__hdr_stats(&h->lag, 0.99, &r->issue_lag);
    hdr_figures(e, h, p, samples, r);
    r->invalid_reasons = invalid_reasons(e, p, r) | LG_INVALID_HDR_RECORDING;
    if (h->lost)
        r->invalid_reasons |= LG_INVALID_OUT_OF_MEMORY;
    r->aborted = (r->invalid_reasons & LG_INVALID_ABORTED) != 0;
    r->valid = false;
}

/* Merges the recorders of a record_hdr pass (every lg_complete call has returned) and
 * computes its results. */
static int hdr_pass_results(lg__test *t, lg__pass *p, const lg__pass_counts *c,
                            lg_results *r)
{
    lg__hdr_pass h = {0};
    int rc = lg__hdr_init(&h.lat, p->hdr_digits);
    if (!rc)
        rc = lg__hdr_init(&h.lag, p->hdr_digits);
    for (lg__hrec *x = atomic_load(&p->hdr_recs); !rc && x; x = x->next) {
        lg__hdr_merge(&h.lat, &x->lat);
        if (x->lag.counts)
            lg__hdr_merge(&h.lag, &x->lag);
        h.completed += x->completed;
        h.failed += x->failed;
        h.over += x->over;
        if (x->max_done_ns > h.max_done_ns)
            h.max_done_ns = x->max_done_ns;
    }
    h.lost = atomic_load(&p->hdr_lost);
    h.timed_out = p->timed_out + atomic_load(&p->hdr_timed_out);
    h.peak_chunks = atomic_load(&p->hdr_peak_chunks);
    uint64_t n = p->store.count;
    if (n) {
        const lg__rec *last = lg__store_at(&p->store, n - 1);
        int64_t done = atomic_load_explicit(&last->completed_ns, memory_order_relaxed);
        h.last_done_ns = done > 0 ? done : 0;
        h.last_issued_ns = atomic_load_explicit(&last->issued_ns, memory_order_relaxed);
        h.last_scheduled_ns = last->scheduled_ns;
    }
    if (rc) {
        lg__hdr_fini(&h.lat);
        lg__hdr_fini(&h.lag);
        return rc;
    }
    lg__results_hdr(&t->eff, &h, c, n, r);
    lg__hdr_fini(&h.lat);
    lg__hdr_fini(&h.lag);
    return 0;
}

int lg__compute_results(lg__test *t, lg__pass *p, lg_results *r)
{
    lg__pass_counts c = {
        .queries = p->queries,
        .start_ns = p->start_ns,
        .duplicates = atomic_load(&t->duplicates),
        .unknown = atomic_load(&t->unknown),
        .late = atomic_load(&t->late),
        .bad_responses = atomic_load(&t->bad_responses),
        .accuracy_dropped = atomic_load(&t->acc_oom),
        .accuracy_logged = p->accuracy_logged,
        .warmup_queries = p->warmup_queries,
        .first_token_duplicates = atomic_load(&t->tok_duplicates),
        .first_token_unknown = atomic_load(&t->tok_unknown),
        .first_token_late = atomic_load(&t->tok_late),
        .first_tokens_ignored = atomic_load(&t->tok_ignored),
        .ended_max_queries = p->ended_max_queries,
        .ended_max_duration = p->ended_max_duration,
        .ended_abort = p->ended_abort,
        .ended_async = p->ended_async,
        .ended_oom = p->ended_oom,
        .abort_cut = p->abort_cut,
        .qsl_failed = p->qsl_failed,
    };
    if (p->hdr) {
        int rc = hdr_pass_results(t, p, &c, r);
        if (rc) {
            /* No memory to merge: the counts only, INVALID for want of memory. */
            memset(r, 0, sizeof *r);
            r->scenario = t->eff.scenario;
            r->mode = LG_MODE_PERFORMANCE;
            set_metric_name(t->eff.scenario, r);
            r->tokens.count_source = "none";
            r->record_hdr = true;
            r->record_relative_error = lg__hdr_relative_error(t->eff.hdr_digits);
            r->invalid_reasons = LG_INVALID_OUT_OF_MEMORY | LG_INVALID_HDR_RECORDING;
        }
        return rc;
    }
    return lg__results(&t->eff, &p->store, &c, r);
}
