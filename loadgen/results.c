/* results.c: turns the records of a finished pass into lg_results: latencies from the
 * scheduled time, MLPerf's percentiles, early stopping, the metric and the validity. */
#include <stdlib.h>
#include <string.h>

#include "loadgen/internal.h"
#include "stats/stats.h"

#define ES_CONFIDENCE 0.99

static void latency_stats(int64_t *v, size_t n, int64_t *scratch, double target,
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

/* Early stopping for SingleStream and MultiStream on a sorted latency array. */
static void es_latency(const int64_t *sorted, size_t n, double p, lg_early_stopping *es)
{
    stats_es_latency_result lr;
    stats_es_latency(sorted, n, p, ES_CONFIDENCE, &lr);
    es->applies = true;
    es->percentile = p;
    es->queries = n;
    es->met = lr.met;
    es->min_queries = lr.min_queries;
    es->overlatency = lr.t;
    es->estimate_ns = lr.met ? lr.estimate : 0;
}

/* The scenario's metric, as MLPerf names it. */
static void set_metric_name(lg_scenario sc, lg_results *r)
{
    static const char *const names[] = {"early_stopping_latency_ss",
                                        "early_stopping_latency_ms",
                                        "result_completed_samples_per_sec",
                                        "result_samples_per_second"};
    r->metric_name = names[sc];
    r->metric_unit = sc == LG_SERVER || sc == LG_OFFLINE ? "1/s" : "ns";
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
    r->invalid_reasons = end_reasons(p, r) | LG_INVALID_OUT_OF_MEMORY;
    r->aborted = (r->invalid_reasons & LG_INVALID_ABORTED) != 0;
    r->valid = false;
}

int lg__results(const lg__eff *e, const lg__store *records, const lg__pass_counts *p,
                lg_results *r)
{
    uint64_t n = records->count;
    memset(r, 0, sizeof *r);
    r->scenario = e->scenario;
    r->mode = LG_MODE_PERFORMANCE;
    r->queries_issued = p->queries;
    r->samples_issued = n;
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

    int64_t *lat = malloc((n ? n : 1) * sizeof *lat);
    int64_t *scratch = malloc((n ? n : 1) * sizeof *scratch);
    if (!lat || !scratch) {
        free(lat);
        free(scratch);
        count_only(e, records, p, r);
        return LG_ENOMEM;
    }

    int64_t origin = p->start_ns, max_done = origin, last_done = origin;
    size_t nok = 0;
    for (uint64_t s = 0; s < n; s++) {
        const lg__rec *rec = lg__store_at(records, s);
        int64_t c = atomic_load_explicit(&rec->completed_ns, memory_order_relaxed);
        int64_t sched = e->scenario == LG_OFFLINE ? origin : rec->scheduled_ns;
        if (c == LG__TIMED_OUT || c == 0) {
            r->samples_timed_out++;
            continue;
        }
        r->samples_completed++;
        if (c > max_done)
            max_done = c;
        if (rec->status != LG_STATUS_OK) {
            r->samples_failed++;
            continue;
        }
        lat[nok++] = c - sched;
    }
    if (n) {
        const lg__rec *last = lg__store_at(records, n - 1);
        int64_t c = atomic_load_explicit(&last->completed_ns, memory_order_relaxed);
        last_done = c > 0 ? c : max_done;
        r->final_issue_ns = atomic_load_explicit(&last->issued_ns, memory_order_relaxed) -
                            origin;
        r->final_scheduled_ns = e->scenario == LG_OFFLINE ? 0 : last->scheduled_ns - origin;
        if (e->scenario == LG_OFFLINE)
            r->final_issue_ns = 0;
    }
    r->duration_ns = max_done - origin;

    latency_stats(lat, nok, scratch, e->target_latency_percentile, &r->latency);
    double secs_done = (double)(last_done - origin) / 1e9;
    double nm1 = n ? (double)(n - 1) : 0.0;

    /* Early stopping and the scenario's figures. */
    lg_early_stopping *es = &r->early_stopping;
    switch (e->scenario) {
    case LG_SINGLE_STREAM:
        es_latency(lat, nok, e->target_latency_percentile, es);
        {
            stats_es_latency_result r99;
            stats_es_latency(lat, nok, 0.99, ES_CONFIDENCE, &r99);
            es->estimate99_ns = r99.met ? r99.estimate : 0;
        }
        r->qps_with_loadgen_overhead =
            r->final_issue_ns > 0 ? nm1 / ((double)r->final_issue_ns / 1e9) : 0.0;
        r->qps_without_loadgen_overhead =
            r->latency.mean_ns > 0 ? 1e9 / (double)r->latency.mean_ns : 0.0;
        r->metric = (double)es->estimate_ns;
        break;
    case LG_MULTI_STREAM: {
        /* A query's latency: its last sample's completion minus its scheduled time. A
         * query with a failed or missing sample has no latency. */
        uint64_t spq = e->samples_per_query, nq = 0;
        for (uint64_t first = 0; first < n; first += spq) {
            uint64_t end = first + spq < n ? first + spq : n;
            int64_t worst = INT64_MIN;
            bool ok = true;
            for (uint64_t s = first; s < end && ok; s++) {
                const lg__rec *rec = lg__store_at(records, s);
                int64_t c = atomic_load_explicit(&rec->completed_ns, memory_order_relaxed);
                ok = c > 0 && rec->status == LG_STATUS_OK;
                if (ok && c - rec->scheduled_ns > worst)
                    worst = c - rec->scheduled_ns;
            }
            if (ok)
                scratch[nq++] = worst;
        }
        /* lat is free again (its stats are taken): sort the query latencies with it. */
        latency_stats(scratch, nq, lat, e->target_latency_percentile, &r->query_latency);
        es_latency(scratch, nq, e->target_latency_percentile, es);
        r->metric = (double)es->estimate_ns;
        break;
    }
    case LG_SERVER: {
        uint64_t over = 0;
        for (size_t i = 0; i < nok; i++)
            over += lat[i] > e->target_latency_ns;
        /* A failed or lost sample is not an answer within the bound. */
        over += r->samples_failed + r->samples_timed_out;
        r->overlatency_count = over;
        stats_es_server_result sr;
        stats_es_server(p->queries, over, e->target_latency_percentile, ES_CONFIDENCE, &sr);
        es->applies = true;
        es->percentile = e->target_latency_percentile;
        es->queries = p->queries;
        es->overlatency = over;
        es->min_queries = sr.needed;
        es->met = sr.met;
        es->more_queries_needed = sr.met ? 0 : sr.additional_needed;
        r->completed_samples_per_sec = secs_done > 0 ? nm1 / secs_done : 0.0;
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
    }

    /* The issue lag: actual issue time minus scheduled time (0 for Offline). */
    size_t nlag = 0;
    if (e->scenario != LG_OFFLINE)
        for (uint64_t s = 0; s < n; s++) {
            const lg__rec *rec = lg__store_at(records, s);
            lat[nlag++] = atomic_load_explicit(&rec->issued_ns, memory_order_relaxed) -
                          rec->scheduled_ns;
        }
    latency_stats(lat, nlag, scratch, 0.99, &r->issue_lag);
    free(lat);
    free(scratch);

    /* Validity, MLPerf's rules first, then ours. */
    int64_t min_dur = (int64_t)e->min_duration_ms * 1000000;
    bool dur_ok;
    switch (e->scenario) {
    case LG_OFFLINE: dur_ok = r->latency.max_ns >= min_dur; break;
    case LG_SERVER: dur_ok = r->final_scheduled_ns >= min_dur; break;
    default: dur_ok = r->final_issue_ns >= min_dur; break;
    }
    if (!dur_ok)
        r->invalid_reasons |= LG_INVALID_MIN_DURATION;
    if (p->queries < e->min_query_count || n < e->min_sample_count)
        r->invalid_reasons |= LG_INVALID_MIN_QUERIES;
    if (e->scenario == LG_SERVER &&
        (r->latency.count == 0 || r->latency.target_ns > e->target_latency_ns ||
         r->samples_failed + r->samples_timed_out > 0))
        r->invalid_reasons |= LG_INVALID_PERF_CONSTRAINT;
    if (!es->met)
        r->invalid_reasons |= LG_INVALID_EARLY_STOPPING;
    r->invalid_reasons |= end_reasons(p, r);
    r->aborted = (r->invalid_reasons & LG_INVALID_ABORTED) != 0;
    r->valid = r->invalid_reasons == 0;
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
        .ended_max_queries = p->ended_max_queries,
        .ended_max_duration = p->ended_max_duration,
        .ended_abort = p->ended_abort,
        .ended_async = p->ended_async,
        .ended_oom = p->ended_oom,
        .abort_cut = p->abort_cut,
        .qsl_failed = p->qsl_failed,
    };
    return lg__results(&t->eff, &p->store, &c, r);
}
