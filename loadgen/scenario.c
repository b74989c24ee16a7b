/* scenario.c: MLPerf's four scenarios, each in one place: how its effective settings
 * are derived from the request, how its queries are issued, which figures and metric
 * its results have, what its minimum duration judges, and its own lines in the summary
 * and the detail log. The rest of loadgen/ is the same for every scenario and asks the
 * table at the end of this file (lg__scenario) for the rest.
 *
 * Sections: SingleStream and MultiStream (they share the issue loop), Server, Offline,
 * then the table. */
#include <limits.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "loadgen/internal.h"
#include "loadgen/issue.h"
#include "loadgen/sync.h"
#include "stats/stats.h"

/* Detail-log entries, with this file's line. */
#define KV_I64(kv, k, v) (kv)->i64((kv), (k), (v), __FILE__, __LINE__)
#define KV_U64(kv, k, v) (kv)->u64((kv), (k), (v), __FILE__, __LINE__)
#define KV_DBL(kv, k, v) (kv)->dbl((kv), (k), (v), __FILE__, __LINE__)
#define KV_FLAG(kv, k, v) (kv)->flag((kv), (k), (v), __FILE__, __LINE__)

/* ---------------------------------------------------------------- shared */

/* A bounded query's default timeout: 100 times the bound, at least 10 s, at most an
 * hour (a bound that large is a typo). */
static int64_t bounded_timeout_ns(double bound_ns)
{
    double t = 100.0 * bound_ns;
    if (t < 1e10)
        t = 1e10;
    if (t > 3.6e12)
        t = 3.6e12;
    return (int64_t)t;
}

/* One query's samples per issue call. */
static size_t query_buffer(const lg__eff *e, uint64_t query_samples)
{
    (void)query_samples;
    return e->samples_per_query;
}

/* A scenario that issues query after query warms up with its own queries: the size
 * asked for is not used. */
static uint64_t one_warmup_sample(const lg__eff *e, uint64_t duration_ms)
{
    (void)e, (void)duration_ms;
    return 1;
}

void lg__es_latency(const int64_t *sorted, size_t n, double p, lg_early_stopping *es)
{
    stats_es_latency_result lr;
    stats_es_latency(sorted, n, p, LG__ES_CONFIDENCE, &lr);
    es->applies = true;
    es->percentile = p;
    es->queries = n;
    es->met = lr.met;
    es->min_queries = lr.min_queries;
    es->overlatency = lr.t;
    es->estimate_ns = lr.met ? lr.estimate : 0;
}

void lg__es_server(uint64_t queries, uint64_t over, double p, lg_early_stopping *es)
{
    stats_es_server_result sr;
    stats_es_server(queries, over, p, LG__ES_CONFIDENCE, &sr);
    es->applies = true;
    es->percentile = p;
    es->queries = queries;
    es->overlatency = over;
    es->min_queries = sr.needed;
    es->met = sr.met;
    es->more_queries_needed = sr.met ? 0 : sr.additional_needed;
}

/* The streams' duration: from the start to the last query's issue. */
static int64_t issued_span(const lg_results *r) { return r->final_issue_ns; }

/* ---------------------------------------------------------------- SingleStream, MultiStream */

static int derive_single(const lg_settings *s, lg__eff *e, double *bound_ns, char *msg,
                         size_t len)
{
    (void)msg, (void)len;
    e->target_qps = 1e9 / s->single_stream_expected_latency_ns;
    e->target_latency_percentile = s->single_stream_target_latency_percentile;
    *bound_ns = s->single_stream_expected_latency_ns;
    return 0;
}

static int derive_multi(const lg_settings *s, lg__eff *e, double *bound_ns, char *msg,
                        size_t len)
{
    (void)msg, (void)len;
    e->target_qps = 1e9 / s->multi_stream_expected_latency_ns;
    e->target_latency_percentile = s->multi_stream_target_latency_percentile;
    e->samples_per_query = s->multi_stream_samples_per_query;
    *bound_ns = s->multi_stream_expected_latency_ns;
    return 0;
}

/* The streams grow with the SUT's speed: known ahead only under max_query_count. */
static double stream_samples(const lg_settings *s, const lg__eff *e, const char **what)
{
    if (!s->max_query_count)
        return 0.0;
    *what = "max_query_count";
    return (double)s->max_query_count * (double)e->samples_per_query;
}

/* Prepares the records of one stream query of n samples issued at now into is->buf:
 * one sample picked per record, or for MultiStream contiguous samples of the loaded set.
 * Returns false when the record store gave out (logged). */
static bool prepare_query(lg__issuer *is, uint64_t n, int64_t now)
{
    lg__test *t = is->t;
    uint64_t spq = t->eff.samples_per_query;
    uint64_t base = 0;
    /* MultiStream: contiguous samples of the loaded set from a random start, or (TEST04,
     * performance_issue_same) from the same one, as MLPerf's. */
    if (!is->accuracy && spq > 1)
        base = t->req->performance_issue_same
                   ? t->req->performance_issue_same_index
                   : gsl_rng_uniform_int(is->index_rng, is->nset);
    for (uint64_t k = 0; k < n; k++) {
        uint64_t idx;
        if (is->accuracy || spq == 1)
            idx = lg__pick_index(is);
        else /* wrapping at the end of the set */
            idx = is->set[(base + k) % is->nset];
        if (!lg__prepare(is, &is->buf[k], now, idx))
            return lg__out_of_records(is);
    }
    return true;
}

/* The size of the next stream query: samples_per_query, or in accuracy mode what is
 * left of the set when it does not divide evenly. */
static uint64_t query_size(const lg__issuer *is)
{
    uint64_t n = is->t->eff.samples_per_query;
    if (is->accuracy && n > is->nset - is->pos)
        n = is->nset - is->pos;
    return n;
}

static bool ended_naturally(lg__issuer *is, int64_t now)
{
    const lg__eff *e = &is->t->eff;
    lg__pass *p = is->p;
    if (is->accuracy || !lg__count_met(is, p->queries) ||
        now - p->start_ns < (int64_t)e->target_duration_ms * 1000000)
        return false;
    p->ended_naturally = true;
    return true;
}

/* concurrency > 1: up to c queries outstanding, the next issued as soon as any of them
 * settles. The queries still outstanding when issuing ends are the pass's to settle. */
static void issue_closed_loop(lg__issuer *is, uint64_t nqueries, uint64_t c)
{
    lg__test *t = is->t;
    lg__pass *p = is->p;
    lg__slot *slots = malloc(c * sizeof *slots);
    if (!slots) {
        lg__out_of_records(is);
        return;
    }
    size_t busy = 0;
    for (uint64_t q = 0; q < nqueries; q++) {
        if (busy == c) { /* wait for one to settle; its slot takes the last one's place */
            size_t i = lg__wait_any(t, slots, busy);
            slots[i] = slots[--busy];
        }
        int64_t now = lg__now_ns();
        if (lg__limits_hit(is, now))
            break;
        uint64_t n = query_size(is);
        if (!prepare_query(is, n, now))
            break;
        slots[busy++] = (lg__slot){.first = p->store.count - n, .n = n,
                                   .deadline_ns = now + t->eff.sample_timeout_ns};
        lg__issue(is, is->buf, n, now);
        if (ended_naturally(is, now))
            break;
    }
    free(slots);
}

/* A query of spq samples, the next one when it completed (or, with concurrency > 1,
 * when any of the outstanding ones completed). In accuracy mode a set ends with a
 * smaller query when it does not divide evenly. */
static void issue_streams(lg__issuer *is, uint64_t n_accuracy)
{
    lg__test *t = is->t;
    lg__pass *p = is->p;
    const lg__eff *e = &t->eff;
    uint64_t spq = e->samples_per_query;
    uint64_t nqueries = is->accuracy ? (n_accuracy + spq - 1) / spq : UINT64_MAX;
    if (t->req->concurrency > 1) {
        issue_closed_loop(is, nqueries, t->req->concurrency);
        return;
    }
    for (uint64_t q = 0; q < nqueries; q++) {
        int64_t now = lg__now_ns();
        if (lg__limits_hit(is, now))
            return;
        uint64_t n = query_size(is);
        if (!prepare_query(is, n, now))
            return;
        uint64_t first = p->store.count - n;
        lg__issue(is, is->buf, n, now);
        int64_t deadline = now + e->sample_timeout_ns;
        for (uint64_t k = 0; k < n; k++)
            lg__wait_rec(t, lg__store_at(&p->store, first + k), deadline);
        if (ended_naturally(is, now))
            return;
    }
}

static void figures_single(const lg__collected *c, lg_results *r)
{
    lg_early_stopping *es = &r->early_stopping;
    lg__es_latency(c->lat, c->nok, c->e->target_latency_percentile, es);
    stats_es_latency_result r99;
    stats_es_latency(c->lat, c->nok, 0.99, LG__ES_CONFIDENCE, &r99);
    es->estimate99_ns = r99.met ? r99.estimate : 0;
    uint64_t n = c->records->count;
    double nm1 = n ? (double)(n - 1) : 0.0;
    r->qps_with_loadgen_overhead =
        r->final_issue_ns > 0 ? nm1 / ((double)r->final_issue_ns / 1e9) : 0.0;
    r->qps_without_loadgen_overhead =
        r->latency.mean_ns > 0 ? 1e9 / (double)r->latency.mean_ns : 0.0;
    r->metric = (double)es->estimate_ns;
}

/* A query's latency: its last sample's completion minus its scheduled time. A query
 * with a failed or missing sample has no latency. */
static void figures_multi(const lg__collected *c, lg_results *r)
{
    uint64_t n = c->records->count, spq = c->e->samples_per_query, nq = 0;
    for (uint64_t first = 0; first < n; first += spq) {
        uint64_t end = first + spq < n ? first + spq : n;
        int64_t worst = INT64_MIN;
        bool ok = true;
        for (uint64_t s = first; s < end && ok; s++) {
            const lg__rec *rec = lg__store_at(c->records, s);
            int64_t done = atomic_load_explicit(&rec->completed_ns, memory_order_relaxed);
            ok = done > 0 && rec->status == LG_STATUS_OK;
            if (ok && done - rec->scheduled_ns > worst)
                worst = done - rec->scheduled_ns;
        }
        if (ok)
            c->scratch[nq++] = worst;
    }
    /* lat is free again (its stats are taken): sort the query latencies with it. */
    double p = c->e->target_latency_percentile;
    lg__latency_stats(c->scratch, nq, c->lat, p, &r->query_latency);
    lg__es_latency(c->scratch, nq, p, &r->early_stopping);
    r->metric = (double)r->early_stopping.estimate_ns;
}

static void summary_result_single(FILE *f, const char *pct, const lg_results *r)
{
    fprintf(f, "%sth percentile latency (ns) : %lld\n", pct, (long long)r->latency.target_ns);
}

static void summary_result_multi(FILE *f, const char *pct, const lg_results *r)
{
    fprintf(f, "%sth percentile latency (ns) : %lld\n", pct,
            (long long)r->query_latency.target_ns);
}

static void summary_stats_single(FILE *f, const lg_results *r)
{
    fprintf(f, "QPS w/ loadgen overhead         : %.2f\n", r->qps_with_loadgen_overhead);
    fprintf(f, "QPS w/o loadgen overhead        : %.2f\n\n", r->qps_without_loadgen_overhead);
    lg__summary_table(f, &r->latency);
}

static void summary_stats_multi(FILE *f, const lg_results *r)
{
    fputs("Per-query latency:  \n", f);
    lg__summary_table(f, &r->query_latency);
}

static void results_single(lg__kv *kv, const lg_results *r)
{
    KV_DBL(kv, "result_qps_with_loadgen_overhead", r->qps_with_loadgen_overhead);
    KV_DBL(kv, "result_qps_without_loadgen_overhead", r->qps_without_loadgen_overhead);
    KV_I64(kv, "early_stopping_latency_ss", r->early_stopping.estimate_ns);
    KV_I64(kv, "early_stopping_latency_ms", r->early_stopping.estimate99_ns);
}

static void results_multi(lg__kv *kv, const lg_results *r)
{
    static const char *const keys[6] = {
        "result_50.00_percentile_per_query_latency_ns",
        "result_90.00_percentile_per_query_latency_ns",
        "result_95.00_percentile_per_query_latency_ns",
        "result_97.00_percentile_per_query_latency_ns",
        "result_99.00_percentile_per_query_latency_ns",
        "result_99.90_percentile_per_query_latency_ns"};
    const lg_latency_stats *q = &r->query_latency;
    const int64_t v[6] = {q->p50_ns, q->p90_ns, q->p95_ns, q->p97_ns, q->p99_ns, q->p999_ns};
    KV_I64(kv, "result_min_query_latency_ns", q->min_ns);
    KV_I64(kv, "result_max_query_latency_ns", q->max_ns);
    KV_I64(kv, "result_mean_query_latency_ns", q->mean_ns);
    for (int i = 0; i < 6; i++)
        KV_I64(kv, keys[i], v[i]);
    KV_I64(kv, "early_stopping_latency_ms", r->early_stopping.estimate_ns);
}

/* Early stopping of a latency estimate (SingleStream, MultiStream), as MLPerf's summary
 * writes it. */
static void es_text_latency(const lg_early_stopping *es, const char *pct, char sep,
                            char *buf, size_t len)
{
    if (!es->met)
        snprintf(buf, len,
                 " * Only processed %llu queries.%c * Need to process at least %llu "
                 "queries for early stopping.",
                 (unsigned long long)es->queries, sep, (unsigned long long)es->min_queries);
    else
        snprintf(buf, len,
                 " * Processed at least %llu queries (%llu).%c * Would discard %llu "
                 "highest latency queries.%c * Early stopping %sth percentile estimate: "
                 "%lld",
                 (unsigned long long)es->min_queries, (unsigned long long)es->queries, sep,
                 (unsigned long long)(es->overlatency ? es->overlatency - 1 : 0), sep, pct,
                 (long long)es->estimate_ns);
}

/* SingleStream adds the 99th-percentile estimate once early stopping was met. */
static void es_text_single(const lg_early_stopping *es, const char *pct, char sep,
                           char *buf, size_t len)
{
    es_text_latency(es, pct, sep, buf, len);
    size_t n = strlen(buf);
    if (!es->met || n + 1 >= len) /* not met, or no room left */
        return;
    if (es->estimate99_ns)
        snprintf(buf + n, len - n,
                 "%c * Early stopping 99.0th percentile estimate: %lld", sep,
                 (long long)es->estimate99_ns);
    else
        snprintf(buf + n, len - n,
                 "%c * Not enough queries processed for 99.0th percentile%c early stopping "
                 "estimate (would need to process at%c least 662 total queries).",
                 sep, sep, sep);
}

/* ---------------------------------------------------------------- Server */

static int derive_server(const lg_settings *s, lg__eff *e, double *bound_ns, char *msg,
                         size_t len)
{
    (void)msg, (void)len;
    e->target_qps = s->server_target_qps;
    e->target_latency_ns = s->server_target_latency_ns;
    e->target_latency_percentile = s->server_target_latency_percentile;
    e->max_async_queries = s->server_max_async_queries;
    /* Token mode judges TTFT and TPOT (the bound may be 0 then): the default timeout
     * follows the largest bound. */
    double bound = (double)s->server_target_latency_ns;
    if (s->use_token_latencies) {
        if ((double)s->server_ttft_latency_ns > bound)
            bound = (double)s->server_ttft_latency_ns;
        if ((double)s->server_tpot_latency_ns > bound)
            bound = (double)s->server_tpot_latency_ns;
    }
    *bound_ns = bound;
    return 0;
}

/* Rate x duration, 5% more for the Poisson spread, at least min_query_count. */
static double server_samples(const lg_settings *s, const lg__eff *e, const char **what)
{
    *what = s->arrival == LG_ARRIVAL_TRACE ? "arrival_trace_count" : "server_target_qps";
    double samples = lg__arrival_expected_samples(s, e->min_duration_ms);
    return samples < (double)e->min_query_count ? (double)e->min_query_count : samples;
}

/* At most this many coalesced queries go in one issue call. */
#define SERVER_BATCH 256
static size_t server_buffer(const lg__eff *e, uint64_t query_samples)
{
    (void)e, (void)query_samples;
    return SERVER_BATCH;
}

/* t + gap ns, saturating: lg_settings_check bounds the rate so that a mean gap fits
 * easily, and an extreme draw must still never wrap around. */
static inline int64_t add_gap(int64_t t, double gap_ns)
{
    double room = (double)(INT64_MAX - t);
    return gap_ns < room ? t + (int64_t)gap_ns : INT64_MAX;
}

/* The next query's absolute time after prev: Poisson inline (MLPerf's schedule, drawn
 * as before the other patterns existed), the others from their schedule (arrival.c);
 * INT64_MAX when the schedule has ended. */
static inline int64_t next_arrival(lg_schedule *sch, bool poisson, gsl_rng *rng,
                                   double mean_gap_ns, int64_t origin, int64_t prev)
{
    if (poisson)
        return add_gap(prev, gsl_ran_exponential(rng, mean_gap_ns));
    int64_t off = lg__schedule_other(sch);
    return off < 0 ? INT64_MAX : add_gap(origin, (double)off);
}

/* The issue loop of a Server pass on schedule sch. Compiled twice (issue_server): with
 * poisson a constant true, the default path has no test of the pattern at all, and
 * costs per query what it did before the other patterns existed. */
static inline __attribute__((always_inline)) void
server_loop(lg__issuer *is, uint64_t n_accuracy, lg_schedule *sch, const bool poisson)
{
    lg__test *t = is->t;
    lg__pass *p = is->p;
    const lg__eff *e = &t->eff;
    uint64_t nqueries_cap = is->accuracy ? n_accuracy : UINT64_MAX;
    gsl_rng *rng = sch->rng;
    double mean_gap_ns = sch->mean_gap_ns;
    /* A trace issues its row's sample: query q is QSL sample q mod the total. */
    uint64_t by_row = !poisson && sch->kind == LG_ARRIVAL_TRACE ? t->qsl->total_sample_count
                                                                : 0;
    int64_t min_dur = !poisson && sch->ends_itself && !is->warmup
                          ? INT64_MAX
                          : (int64_t)e->target_duration_ms * 1000000;
    /* Sleeps end at the run's deadline: a rate so low that the next query is due after
     * max_duration_ms must not keep the run past it. */
    int64_t deadline = !is->accuracy && e->max_duration_ms
                           ? p->start_ns + (int64_t)e->max_duration_ms * 1000000
                           : INT64_MAX;
    /* An accuracy pass restarts the schedule for each set it issues. */
    int64_t origin = is->accuracy ? lg__now_ns() : p->start_ns;
    int64_t next = next_arrival(sch, poisson, rng, mean_gap_ns, origin, origin);
    size_t maxbatch = t->req->server_coalesce_queries ? is->bufcap : 1;
    /* A share of a split schedule: the other queries are drawn (time and sample) and
     * skipped, without a sleep, so that every share walks the same global sequence. */
    uint64_t stride = !is->accuracy && t->req->schedule_stride > 1 ? t->req->schedule_stride
                                                                   : 1;
    uint64_t offset = stride > 1 ? t->req->schedule_offset : 0;
    bool async_limit = e->max_async_queries != 0 && !is->accuracy;
    uint64_t q = 0;
    int64_t prev = p->start_ns; /* scheduled time of the last query issued */
    int64_t batch_ns = t->req->issue_batch_ns, last_wake = INT64_MIN / 2;
    while (q < nqueries_cap) {
        /* As MLPerf generates them: queries until one is scheduled at or past the
         * minimum duration, and at least min_query_count of them; a trace or stages
         * end with their last query. */
        if (!is->accuracy && ((lg__count_met(is, q) && prev - p->start_ns >= min_dur) ||
                              (!poisson && next == INT64_MAX))) {
            p->ended_naturally = true;
            break;
        }
        if (stride > 1 && q % stride != offset) {
            if (!by_row)
                (void)lg__pick_index(is);
            q++;
            prev = next;
            next = next_arrival(sch, poisson, rng, mean_gap_ns, origin, next);
            continue;
        }
        int64_t now = lg__now_ns();
        if (now < next) {
            /* Waking at most once per issue_batch_ns: the queries due by then go out
             * together, each still timed from its own scheduled time. */
            int64_t wake = next;
            if (batch_ns && wake - last_wake < batch_ns)
                wake = last_wake + batch_ns;
            lg__sleep_until(wake < deadline ? wake : deadline, t->req->issue_spin_ns);
            now = last_wake = lg__now_ns();
        }
        if (lg__limits_hit(is, now))
            break;
        if (now < next)
            continue; /* woken early; limits_hit saw why or the loop sleeps again */
        if (async_limit && lg__outstanding(p) >= e->max_async_queries) {
            ERROR(t, "error_runtime", "IssueQueryThread 0 Ending early: Too many outstanding "
                  "queries. issued %llu outstanding %llu", (unsigned long long)p->queries,
                  (unsigned long long)lg__outstanding(p));
            p->ended_async = true;
            break;
        }
        /* With coalescing, every query already due goes in this one issue call; each
         * keeps its own scheduled time. */
        size_t n = 0;
        do {
            uint64_t idx = !poisson && by_row ? q % by_row : lg__pick_index(is);
            if (!lg__prepare(is, &is->buf[n], next, idx)) {
                lg__out_of_records(is);
                return;
            }
            n++;
            q++;
            prev = next;
            next = next_arrival(sch, poisson, rng, mean_gap_ns, origin, next);
        } while (n < maxbatch && next <= now && q < nqueries_cap &&
                 (is->accuracy || !lg__count_met(is, q) || prev - p->start_ns < min_dur));
        lg__issue(is, is->buf, n, now);
        p->queries += n - 1; /* coalesced samples are still queries of one sample each */
    }
}

/* The arrival schedule's queries (Poisson unless lg_settings.arrival says otherwise);
 * latency counts from the scheduled time, so a late issue shows in the latency and in
 * the issue lag, never hides. In accuracy mode, n queries. */
static void issue_server(lg__issuer *is, uint64_t n_accuracy)
{
    if (!is->accuracy && lg__issue_threads_used(is->t)) {
        lg__issue_threads_run(is);
        return;
    }
    lg_schedule sch;
    if (lg__schedule_init(&sch, is->t->req, is->accuracy)) {
        ERROR(is->t, "error_runtime", "out of memory for the schedule generator");
    } else if (sch.kind == LG_ARRIVAL_POISSON) {
        server_loop(is, n_accuracy, &sch, true);
    } else {
        server_loop(is, n_accuracy, &sch, false);
    }
    lg__schedule_fini(&sch);
}

/* Stops every issue thread of mt for reason, unless another thread stopped them
 * first; the first one's figures go in the log. */
static void worker_stop(lg__mt *mt, unsigned k, int reason, uint64_t outstanding,
                        int64_t ns)
{
    int none = LG__STOP_NONE;
    if (atomic_compare_exchange_strong(&mt->stop, &none, reason)) {
        mt->stop_thread = k;
        mt->stop_outstanding = outstanding;
        mt->stop_ns = ns;
    }
}

/* Whether thread k must stop issuing now: another thread stopped the pass, or it finds
 * an abort or max_duration_ms past (and stops the others). */
static bool worker_stopping(lg__mt *mt, unsigned k, const lg__pass *p, int64_t max_dur,
                            int64_t now)
{
    if (atomic_load_explicit(&mt->stop, memory_order_relaxed))
        return true;
    if (lg__stop_requested()) {
        worker_stop(mt, k, LG__STOP_ABORT, 0, now);
        return true;
    }
    if (now - p->start_ns >= max_dur) {
        worker_stop(mt, k, LG__STOP_MAX_DURATION, 0, now - p->start_ns);
        return true;
    }
    return false;
}

/* Wakes the threads sleeping on mt->gen_block (a block drawn, a ring slot freed). */
static inline void gen_wake(lg__mt *mt)
{
    if (atomic_load(&mt->gen_waiters)) {
        atomic_store(&mt->gen_waiters, 0);
        lg_sync_wake(&mt->gen_block, INT_MAX);
    }
}

/* Draws blocks of the schedule, in order, until block b is drawn, the schedule ended,
 * or the next block's ring slot is still held (its thread is LG__RING_BLOCKS of its
 * blocks behind). The caller holds gen_lock. As one thread's loop draws its queries:
 * the sequence, where it ends, each query's time and sample, whatever the threads. */
static inline __attribute__((always_inline)) void
draw_blocks(lg__mt *mt, uint32_t b, const bool poisson)
{
    lg__issuer *is = mt->is;
    lg_schedule *sch = mt->sch;
    lg__test *t = is->t;
    lg__pass *p = is->p;
    const lg__eff *e = &t->eff;
    uint64_t by_row = !poisson && sch->kind == LG_ARRIVAL_TRACE ? t->qsl->total_sample_count
                                                                : 0;
    int64_t min_dur = !poisson && sch->ends_itself && !is->warmup
                          ? INT64_MAX
                          : (int64_t)e->target_duration_ms * 1000000;
    uint64_t maxq = e->max_query_count ? e->max_query_count : UINT64_MAX;
    int64_t origin = p->start_ns;
    uint32_t g = atomic_load_explicit(&mt->gen_block, memory_order_relaxed);
    if (g == 0) {
        mt->prev_ns = p->start_ns;
        mt->next_ns = next_arrival(sch, poisson, sch->rng, sch->mean_gap_ns, origin, origin);
    }
    uint64_t q = mt->q;
    int64_t prev = mt->prev_ns, next = mt->next_ns;
    while (g <= b && !atomic_load_explicit(&mt->gen_end, memory_order_relaxed)) {
        lg__issue_worker *owner = &mt->w[g % mt->n];
        if (atomic_load_explicit(&owner->done, memory_order_acquire) + LG__RING_BLOCKS <=
            g / mt->n)
            break;
        lg__block *blk = &mt->ring[g % (mt->n * LG__RING_BLOCKS)];
        int end = LG__GEN_ON;
        uint32_t nb = 0;
        blk->first = q;
        while (nb < LG_ISSUE_BLOCK) {
            if ((lg__count_met(is, q) && prev - p->start_ns >= min_dur) ||
                (!poisson && next == INT64_MAX)) {
                end = LG__GEN_NATURAL;
                break;
            }
            if (q >= maxq) {
                end = LG__GEN_MAX_QUERIES;
                break;
            }
            blk->index[nb] = !poisson && by_row ? q % by_row : lg__pick_index(is);
            blk->sched_ns[nb++] = next;
            prev = next;
            next = next_arrival(sch, poisson, sch->rng, sch->mean_gap_ns, origin, next);
            q++;
        }
        blk->n = nb;
        g++;
        if (end) {
            atomic_store_explicit(&mt->end_blocks, g, memory_order_relaxed);
            atomic_store_explicit(&mt->gen_end, end, memory_order_release);
        }
        /* Sequentially consistent, as a waiter's announcement: either it sees the new
         * block or this sees it waiting. */
        atomic_store(&mt->gen_block, g);
    }
    mt->q = q;
    mt->prev_ns = prev;
    mt->next_ns = next;
    gen_wake(mt);
}

/* Block b of thread k, once drawn (by whichever thread needed a block first); NULL when
 * the schedule ended before it or the pass was stopped. Spins briefly, then sleeps on
 * gen_block, at most 200 us at a time so that stops and freed slots are seen. */
static inline __attribute__((always_inline)) lg__block *
get_block(lg__mt *mt, unsigned k, const lg__pass *p, int64_t max_dur, uint32_t b,
          const bool poisson)
{
    int64_t spin_end = 0;
    for (;;) {
        uint32_t g = atomic_load_explicit(&mt->gen_block, memory_order_acquire);
        if (g > b)
            return &mt->ring[b % (mt->n * LG__RING_BLOCKS)];
        /* The schedule ended: block b exists only below end_blocks (the last block may
         * be published an instant after the end is). */
        if (atomic_load_explicit(&mt->gen_end, memory_order_acquire) &&
            b >= atomic_load_explicit(&mt->end_blocks, memory_order_relaxed))
            return NULL;
        int64_t now = lg__now_ns();
        if (worker_stopping(mt, k, p, max_dur, now))
            return NULL;
        int free_lock = 0;
        if (atomic_compare_exchange_strong_explicit(&mt->gen_lock, &free_lock, 1,
                                                    memory_order_acquire,
                                                    memory_order_relaxed)) {
            draw_blocks(mt, b, poisson);
            atomic_store_explicit(&mt->gen_lock, 0, memory_order_release);
            if (atomic_load_explicit(&mt->gen_block, memory_order_acquire) > b)
                continue;
        }
        if (!spin_end)
            spin_end = now + 20000;
        if (now < spin_end) {
            lg_sync_relax();
            continue;
        }
        atomic_store(&mt->gen_waiters, 1);
        if (atomic_load(&mt->gen_block) == g)
            lg_sync_wait(&mt->gen_block, g, 200000);
    }
}

/* Thread k of mt->n issuing a Server performance pass (or warm-up): its blocks of the
 * one schedule (k, k + n, ...), each query at its own scheduled time (with coalescing,
 * the block's queries already due together). An abort, max_duration_ms, the
 * outstanding limit or the record budget stop every thread (threads.c then closes the
 * gaps left in the records). */
static inline __attribute__((always_inline)) void
server_worker_loop(lg__mt *mt, unsigned k, const bool poisson)
{
    lg__issue_worker *w = &mt->w[k];
    lg__issuer *is = mt->is;
    lg__test *t = is->t;
    lg__pass *p = is->p;
    const lg__eff *e = &t->eff;
    int64_t max_dur = e->max_duration_ms ? (int64_t)e->max_duration_ms * 1000000 : INT64_MAX;
    int64_t deadline = e->max_duration_ms ? p->start_ns + max_dur : INT64_MAX;
    size_t maxbatch = t->req->server_coalesce_queries ? is->bufcap : 1;
    bool async_limit = e->max_async_queries != 0;
    uint64_t pending = 0;
    int64_t batch_ns = t->req->issue_batch_ns, last_wake = INT64_MIN / 2;
    const uint64_t id_tag = p->tag << LG__SEQ_BITS;
    for (uint32_t b = k;; b += mt->n) {
        const lg__block *blk = get_block(mt, k, p, max_dur, b, poisson);
        if (!blk)
            break;
        for (uint32_t i = 0; i < blk->n;) {
            int64_t due = blk->sched_ns[i];
            int64_t now = lg__now_ns();
            while (now < due && now < deadline && !lg__stop_requested() &&
                   !atomic_load_explicit(&mt->stop, memory_order_relaxed)) {
                int64_t wake = due;
                if (batch_ns && wake - last_wake < batch_ns)
                    wake = last_wake + batch_ns;
                lg__sleep_until(wake < deadline ? wake : deadline, t->req->issue_spin_ns);
                now = last_wake = lg__now_ns();
            }
            if (worker_stopping(mt, k, p, max_dur, now))
                goto out;
            if (async_limit && lg__outstanding(p) >= e->max_async_queries) {
                worker_stop(mt, k, LG__STOP_ASYNC, lg__outstanding(p), now);
                goto out;
            }
            size_t n = 0;
            do {
                uint64_t seq = blk->first + i;
                lg__rec *rec = lg__store_get_mt(&p->store, seq);
                if (!rec) {
                    worker_stop(mt, k, LG__STOP_RECORDS, 0, now);
                    goto out;
                }
                rec->scheduled_ns = blk->sched_ns[i];
                rec->index = (uint32_t)blk->index[i];
                w->buf[n].id = id_tag | seq;
                w->buf[n].index = blk->index[i];
                n++;
                i++;
                w->end_seq = seq + 1;
            } while (n < maxbatch && i < blk->n && blk->sched_ns[i] <= now);
            for (size_t j = 0; j < n; j++)
                atomic_store_explicit(
                    &lg__store_at(&p->store, w->buf[j].id & LG__SEQ_MASK)->issued_ns, now,
                    memory_order_release);
            t->sut->issue(t->sut->ctx, w->buf, n);
            w->queries += n;
            /* The pass's issued count, for the progress display and the outstanding
             * limit: added now and then, and at each issue when the limit needs it. */
            pending += n;
            if (async_limit || pending >= 256) {
                atomic_fetch_add_explicit(&p->samples, pending, memory_order_relaxed);
                pending = 0;
            }
        }
        /* Its ring slot is free for the block LG__RING_BLOCKS of ours later. */
        atomic_store_explicit(&w->done, atomic_load_explicit(&w->done, memory_order_relaxed) + 1,
                              memory_order_release);
        gen_wake(mt);
    }
out:
    atomic_fetch_add_explicit(&p->samples, pending, memory_order_relaxed);
}

void lg__server_worker(lg__mt *mt, unsigned k)
{
    if (mt->sch->kind == LG_ARRIVAL_POISSON)
        server_worker_loop(mt, k, true);
    else
        server_worker_loop(mt, k, false);
}

/* Every sample over the bound, failed or lost counts against MLPerf's early stopping
 * for Server; the metric is the completed rate. */
static void figures_server(const lg__collected *c, lg_results *r)
{
    const lg__eff *e = c->e;
    uint64_t over = 0, queries = c->counts->queries, n = c->records->count;
    for (size_t i = 0; i < c->nok; i++)
        over += c->lat[i] > e->target_latency_ns;
    over += r->samples_failed + r->samples_timed_out;
    r->overlatency_count = over;
    lg__es_server(queries, over, e->target_latency_percentile, &r->early_stopping);
    double nm1 = n ? (double)(n - 1) : 0.0;
    r->completed_samples_per_sec = c->secs_done > 0 ? nm1 / c->secs_done : 0.0;
    r->scheduled_samples_per_sec =
        r->final_scheduled_ns > 0 ? nm1 / ((double)r->final_scheduled_ns / 1e9) : 0.0;
    r->metric = r->completed_samples_per_sec;
}

static int64_t scheduled_span(const lg_results *r) { return r->final_scheduled_ns; }

static void summary_result_server(FILE *f, const char *pct, const lg_results *r)
{
    (void)pct;
    fprintf(f, "Completed samples per second    : %.2f\n", r->completed_samples_per_sec);
}

static void summary_stats_server(FILE *f, const lg_results *r)
{
    fprintf(f, "Scheduled samples per second : %.2f\n", r->scheduled_samples_per_sec);
    lg__summary_table(f, &r->latency);
}

static void results_server(lg__kv *kv, const lg_results *r)
{
    KV_U64(kv, "result_overlatency_query_count", r->overlatency_count);
    KV_DBL(kv, "result_scheduled_samples_per_sec", r->scheduled_samples_per_sec);
    KV_DBL(kv, "result_completed_samples_per_sec", r->completed_samples_per_sec);
}

/* Early stopping of the overlatency count: whether the run shows the bound is held. */
static void es_text_server(const lg_early_stopping *es, const char *pct, char sep,
                           char *buf, size_t len)
{
    (void)pct;
    if (es->met)
        snprintf(buf, len, " * Run successful.");
    else
        snprintf(buf, len,
                 " * Run unsuccessful.%c * Processed %llu queries.%c * Would need to "
                 "run at least %llu more queries,%c with the run being successful if "
                 "every additional%c query were under latency.",
                 sep, (unsigned long long)es->queries, sep,
                 (unsigned long long)es->more_queries_needed, sep, sep);
}

/* ---------------------------------------------------------------- Offline */

/* One query of 1.1 x min_duration x the expected rate samples (at least
 * min_query_count; the performance set when every sample is issued once). */
static int derive_offline(const lg_settings *s, lg__eff *e, double *bound_ns, char *msg,
                          size_t len)
{
    e->target_qps = s->offline_expected_qps;
    e->target_latency_percentile = 0.99;
    double want = floor(1.1 * (double)s->min_duration_ms / 1000.0 * e->target_qps);
    if (!(want < 1e12)) {
        if (msg && len)
            snprintf(msg, len, "offline_expected_qps = %g: the Offline query would hold more "
                     "than 1e12 samples; lower offline_expected_qps or min_duration_ms",
                     e->target_qps);
        return LG_EINVAL;
    }
    uint64_t spq = (uint64_t)want;
    if (spq < s->min_query_count)
        spq = s->min_query_count;
    if (s->performance_issue_unique)
        spq = e->performance_sample_count;
    if (spq == 0)
        spq = 1;
    e->samples_per_query = spq;
    e->min_query_count = 1;
    e->target_duration_ms = 0;
    *bound_ns = 1e9 * (double)spq / e->target_qps;
    return 0;
}

/* The query's expected duration is already the whole run: twice it, and 10 s more,
 * lets a SUT at half the expected rate finish. */
static int64_t offline_timeout_ns(double bound_ns) { return (int64_t)(2.0 * bound_ns + 1e10); }

static double offline_samples(const lg_settings *s, const lg__eff *e, const char **what)
{
    (void)s;
    *what = "offline_expected_qps";
    return (double)e->samples_per_query;
}

static size_t offline_buffer(const lg__eff *e, uint64_t query_samples)
{
    (void)e;
    return query_samples;
}

/* A warm-up query sized like the real one for the warm-up's duration. */
static uint64_t offline_warmup(const lg__eff *e, uint64_t duration_ms)
{
    double want = floor((double)duration_ms / 1000.0 * e->target_qps);
    return want < 1 ? 1 : want > 1e8 ? 100000000 : (uint64_t)want;
}

/* The one query of n samples. Records are filled, and marked issued, before the clock
 * starts: an Offline latency counts from the start of the pass (analysis knows it), and
 * the SUT gets the query right after the start, not after a pass over every record. */
static void offline_query(lg__issuer *is, uint64_t n)
{
    lg__pass *p = is->p;
    lg_sample *s = is->buf;
    /* A share of a split query (schedule_stride) takes every stride-th sample of the
     * global query; every sample index is still drawn, so the shares' union is it. */
    uint64_t stride = !is->accuracy && !is->warmup && is->t->req->schedule_stride > 1
                          ? is->t->req->schedule_stride : 1;
    uint64_t offset = stride > 1 ? is->t->req->schedule_offset : 0;
    uint64_t m = 0;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t idx = lg__pick_index(is);
        if (stride > 1 && k % stride != offset)
            continue;
        if (!lg__prepare(is, &s[m], 0, idx)) {
            lg__out_of_records(is);
            return;
        }
        atomic_store_explicit(&lg__store_at(&p->store, s[m].id & LG__SEQ_MASK)->issued_ns, 1,
                              memory_order_release);
        m++;
    }
    n = m;
    if (p->queries == 0 && !is->accuracy) {
        p->start_ns = lg__now_ns();
        p->start_wall_ns = lg__wall_ns();
    }
    p->queries++;
    atomic_store_explicit(&p->samples,
                          atomic_load_explicit(&p->samples, memory_order_relaxed) + n,
                          memory_order_relaxed);
    if (n) /* a share of a query smaller than the stride may hold no sample */
        is->t->sut->issue(is->t->sut->ctx, s, n);
}

/* Every sample in one query at the start; the performance pass then ends by itself. */
static void issue_offline(lg__issuer *is, uint64_t n)
{
    if (is->accuracy) {
        offline_query(is, n);
        return;
    }
    if (lg__limits_hit(is, lg__now_ns()))
        return;
    offline_query(is, n);
    is->p->ended_naturally = true;
}

static void figures_offline(const lg__collected *c, lg_results *r)
{
    uint64_t n = c->records->count;
    r->early_stopping.applies = false;
    r->early_stopping.met = true;
    r->samples_per_sec = r->latency.max_ns > 0 ? (double)n / ((double)r->latency.max_ns / 1e9)
                                               : 0.0;
    r->metric = r->samples_per_sec;
}

static int64_t longest_latency(const lg_results *r) { return r->latency.max_ns; }

static void summary_result_offline(FILE *f, const char *pct, const lg_results *r)
{
    (void)pct;
    fprintf(f, "Samples per second: %g\n", r->samples_per_sec);
}

static void summary_stats_offline(FILE *f, const lg_results *r)
{
    lg__summary_table(f, &r->latency);
}

static void results_offline(lg__kv *kv, const lg_results *r)
{
    KV_DBL(kv, "result_samples_per_second", r->samples_per_sec);
}

/* ---------------------------------------------------------------- tokens */

/* Token mode's early stopping (tokens.c computes the arrays, docs/tokens.md the rules).
 * SingleStream: the latency rule on the array, and its 99th-percentile estimate. */
static void tok_es_single(const lg__collected *c, const lg_results *r, size_t n,
                          uint64_t over, lg_early_stopping *es)
{
    (void)r, (void)over;
    lg__es_latency(c->lat, n, c->e->target_latency_percentile, es);
    lg_early_stopping es99;
    lg__es_latency(c->lat, n, 0.99, &es99);
    es->estimate99_ns = es99.met ? es99.estimate_ns : 0;
}

/* MultiStream: MLPerf passes the query latencies for TTFT and TPOT alike. */
static void tok_es_query(const lg__collected *c, const lg_results *r, size_t n,
                         uint64_t over, lg_early_stopping *es)
{
    (void)c, (void)n, (void)over;
    *es = r->early_stopping;
}

/* Server: the values over the bound, and every issued sample missing from the array
 * (failed, lost, no first token), against the queries issued. */
static void tok_es_server(const lg__collected *c, const lg_results *r, size_t n,
                          uint64_t over, lg_early_stopping *es)
{
    (void)r;
    lg__es_server(c->counts->queries, over + (c->records->count - n),
                  c->e->target_latency_percentile, es);
}

/* Offline: no early stopping, met. */
static void tok_es_none(const lg__collected *c, const lg_results *r, size_t n,
                        uint64_t over, lg_early_stopping *es)
{
    (void)c, (void)r, (void)n, (void)over;
    *es = (lg_early_stopping){.met = true};
}

static void tok_result_latency(FILE *f, const char *pct, const lg_results *r)
{
    fprintf(f, "%sth first token percentile latency (ns) : %lld\n", pct,
            (long long)r->tokens.ttft.target_ns);
}

static void tok_result_server(FILE *f, const char *pct, const lg_results *r)
{
    (void)pct;
    fprintf(f, "Completed tokens per second: %.2f\n", r->tokens.completed_tokens_per_sec);
}

static void tok_result_offline(FILE *f, const char *pct, const lg_results *r)
{
    (void)pct;
    fprintf(f, "Tokens per second: %g\n", r->tokens.tokens_per_sec);
}

static void tok_inferred_server(FILE *f, const lg_results *r)
{
    fprintf(f, "Completed tokens per second (inferred): %.2f\n",
            r->tokens.inferred_tokens_per_sec);
}

static void tok_inferred_offline(FILE *f, const lg_results *r)
{
    fprintf(f, "Tokens per second (inferred): %g\n", r->tokens.inferred_tokens_per_sec);
}

static void tok_stats_single(FILE *f, const lg_results *r)
{
    fprintf(f, "TPS w/ loadgen overhead         : %.2f\n",
            r->tokens.tokens_per_sec_with_loadgen_overhead);
    fprintf(f, "TPS w/o loadgen overhead        : %.2f\n",
            r->tokens.tokens_per_sec_without_loadgen_overhead);
}

static void tok_stats_server(FILE *f, const lg_results *r)
{
    fprintf(f, "Completed tokens per second                 : %.2f\n",
            r->tokens.completed_tokens_per_sec);
}

static void tok_stats_none(FILE *f, const lg_results *r) { (void)f, (void)r; }

/* ---------------------------------------------------------------- the table */

static const lg__scenario_ops scenarios[] = {
    [LG_SINGLE_STREAM] = {
        .scenario = LG_SINGLE_STREAM,
        .name = "SingleStream",
        .alias = "ss",
        .metric_name = "early_stopping_latency_ss",
        .metric_unit = "ns",
        .metric_is_estimate = true,
        .min_duration_advice = "Decrease the expected latency so the loadgen pre-generates "
                               "more queries.",
        .rate_setting = "single_stream_expected_latency_ns",
        .rate_words = "the expected latency",
        .min_count_words = "min_query_count queries",
        .derive = derive_single,
        .default_timeout_ns = bounded_timeout_ns,
        .expected_samples = stream_samples,
        .buffer_samples = query_buffer,
        .warmup_samples = one_warmup_sample,
        .issue = issue_streams,
        .figures = figures_single,
        .measured_ns = issued_span,
        .summary_result = summary_result_single,
        .summary_stats = summary_stats_single,
        .detail_results = results_single,
        .early_stopping_text = es_text_single,
        .needs_first_token = true,
        .token_early_stopping = tok_es_single,
        .summary_token_result = tok_result_latency,
        .summary_token_stats = tok_stats_single,
    },
    [LG_MULTI_STREAM] = {
        .scenario = LG_MULTI_STREAM,
        .name = "MultiStream",
        .alias = "ms",
        .metric_name = "early_stopping_latency_ms",
        .metric_unit = "ns",
        .metric_is_estimate = true,
        .per_query = true,
        .min_duration_advice = "Decrease the expected latency so the loadgen pre-generates "
                               "more queries.",
        .rate_setting = "multi_stream_expected_latency_ns",
        .rate_words = "the expected latency",
        .min_count_words = "min_query_count queries",
        .derive = derive_multi,
        .default_timeout_ns = bounded_timeout_ns,
        .expected_samples = stream_samples,
        .buffer_samples = query_buffer,
        .warmup_samples = one_warmup_sample,
        .issue = issue_streams,
        .figures = figures_multi,
        .measured_ns = issued_span,
        .summary_result = summary_result_multi,
        .summary_stats = summary_stats_multi,
        .detail_results = results_multi,
        .early_stopping_text = es_text_latency,
        .needs_first_token = true,
        .token_early_stopping = tok_es_query,
        .summary_token_result = tok_result_latency,
        .summary_token_stats = tok_stats_none,
    },
    [LG_SERVER] = {
        .scenario = LG_SERVER,
        .name = "Server",
        .metric_name = "result_completed_samples_per_sec",
        .metric_unit = "1/s",
        .perf_constraint = true,
        .open_loop = true,
        .min_duration_advice = "Increase the target QPS so the loadgen pre-generates more "
                               "queries.",
        .rate_setting = "server_target_qps",
        .rate_words = "the arrival rate",
        .rate_stand_in = true,
        .min_count_words = "min_query_count queries",
        .derive = derive_server,
        .default_timeout_ns = bounded_timeout_ns,
        .expected_samples = server_samples,
        .buffer_samples = server_buffer,
        .warmup_samples = one_warmup_sample,
        .issue = issue_server,
        .figures = figures_server,
        .measured_ns = scheduled_span,
        .summary_result = summary_result_server,
        .summary_stats = summary_stats_server,
        .detail_results = results_server,
        .early_stopping_text = es_text_server,
        .needs_first_token = true,
        .inferred_key = "result_inferred_completed_tokens_per_second",
        .token_early_stopping = tok_es_server,
        .summary_token_result = tok_result_server,
        .summary_inferred = tok_inferred_server,
        .summary_token_stats = tok_stats_server,
    },
    [LG_OFFLINE] = {
        .scenario = LG_OFFLINE,
        .name = "Offline",
        .metric_name = "result_samples_per_second",
        .metric_unit = "1/s",
        .one_query = true,
        .min_duration_advice = "Increase expected QPS so the loadgen pre-generates a larger "
                               "(coalesced) query.",
        .rate_setting = "offline_expected_qps",
        .rate_words = "the expected throughput",
        .rate_stand_in = true,
        .min_count_words = "the Offline query's samples",
        .derive = derive_offline,
        .default_timeout_ns = offline_timeout_ns,
        .expected_samples = offline_samples,
        .buffer_samples = offline_buffer,
        .warmup_samples = offline_warmup,
        .issue = issue_offline,
        .figures = figures_offline,
        .measured_ns = longest_latency,
        .summary_result = summary_result_offline,
        .summary_stats = summary_stats_offline,
        .detail_results = results_offline,
        .early_stopping_text = NULL, /* early stopping does not apply */
        .inferred_key = "result_inferred_tokens_per_second",
        .token_early_stopping = tok_es_none,
        .summary_token_result = tok_result_offline,
        .summary_inferred = tok_inferred_offline,
        .summary_token_stats = tok_stats_none,
    },
};

_Static_assert(sizeof scenarios / sizeof scenarios[0] == LG__NSCENARIOS,
               "one table entry per scenario");

const lg__scenario_ops *lg__scenario(lg_scenario sc)
{
    return &scenarios[(unsigned)sc < sizeof scenarios / sizeof scenarios[0] ? sc
                                                                              : LG_SINGLE_STREAM];
}
