/* tokens.c: the token figures of a pass that records tokens (docs/tokens.md), a pure
 * function of its records, as results.c's: MLPerf's time to first token (TTFT) and time
 * per output token (TPOT) from the scheduled time, its token counts and throughputs,
 * its token-mode early stopping and Server constraints; and ours: the same from the
 * time the SUT sent the sample, and goodput under SLOs. */
#include <string.h>

#include "loadgen/internal.h"

/* One sample's token values. Only a sample that completed with status 0 has any. */
typedef struct tok_sample {
    bool ok;         /* completed with status 0 */
    bool has_first;  /* a first token at or before the completion */
    bool late_first; /* a first token after the completion (a race lg_first_token lost) */
    bool has_tpot;   /* tpot is defined (see sample_of) */
    int64_t n;       /* n_tokens as reported */
    int64_t lat;     /* completion - scheduled (Offline: - the pass's start) */
    int64_t ttft;    /* first token - scheduled */
    int64_t tpot;    /* MLPerf's (lat - ttft) / (n - 1) */
    int64_t ttft_send, lat_send; /* from the send time (else the issue time) */
} tok_sample;

static void sample_of(const lg__collected *c, uint64_t s, tok_sample *v)
{
    const lg__rec *rec = lg__store_at(c->records, s);
    const lg__tok *tk = lg__store_tok_at(c->records, s);
    memset(v, 0, sizeof *v);
    int64_t done = atomic_load_explicit(&rec->completed_ns, memory_order_relaxed);
    if (done == LG__TIMED_OUT || done == 0 || rec->status != LG_STATUS_OK)
        return;
    /* One-query scenarios (Offline) count from the pass's start; their records hold a
     * marker, not a time, as the issue time. */
    bool one_query = lg__scenario(c->e->scenario)->one_query;
    int64_t origin = c->counts->start_ns;
    int64_t sched = one_query ? origin : rec->scheduled_ns;
    int64_t issued = one_query ? origin
                               : atomic_load_explicit(&rec->issued_ns, memory_order_relaxed);
    int64_t first = atomic_load_explicit(&tk->first_ns, memory_order_relaxed);
    int64_t sent = tk->sent_ns ? tk->sent_ns : issued;
    v->ok = true;
    v->n = tk->n_tokens;
    v->lat = done - sched;
    v->lat_send = done - sent;
    v->late_first = first != 0 && first > done;
    v->has_first = first != 0 && first <= done;
    if (!v->has_first)
        return;
    v->ttft = first - sched;
    v->ttft_send = first - sent;
    /* MLPerf divides by n_tokens - 1 after setting a count below 2 to 0 (with an error),
     * so such a sample's TPOT is lat - ttft over -1: reproduced in token mode. Outside
     * it, as vLLM, only outputs of at least 2 tokens have a TPOT. */
    if (v->n >= 2) {
        v->tpot = (v->lat - v->ttft) / (v->n - 1);
        v->has_tpot = true;
    } else if (c->e->token_mode) {
        v->tpot = (v->lat - v->ttft) / -1;
        v->has_tpot = true;
    }
}

enum { V_TTFT, V_TPOT, V_TTFT_SEND, V_LAT_SEND };

/* One value of every sample that has it into c->lat; *over: how many exceed bound
 * (strictly, as MLPerf counts). Returns how many. */
static size_t fill(const lg__collected *c, int which, int64_t bound, uint64_t *over)
{
    size_t k = 0;
    *over = 0;
    for (uint64_t s = 0; s < c->records->count; s++) {
        tok_sample v;
        sample_of(c, s, &v);
        bool has = which == V_LAT_SEND ? v.ok : which == V_TPOT ? v.has_tpot : v.has_first;
        if (!has)
            continue;
        int64_t x = which == V_TTFT ? v.ttft : which == V_TPOT ? v.tpot
                    : which == V_TTFT_SEND ? v.ttft_send : v.lat_send;
        *over += x > bound;
        c->lat[k++] = x;
    }
    return k;
}

/* Counts, token totals and goodput: one pass over the records. */
static void tally(const lg__collected *c, lg_token_results *k)
{
    const lg__eff *e = c->e;
    for (uint64_t s = 0; s < c->records->count; s++) {
        tok_sample v;
        sample_of(c, s, &v);
        if (!v.ok)
            continue;
        k->samples_with_tokens += v.n != 0;
        k->output_tokens += v.n > 0 ? (uint64_t)v.n : 0;
        k->token_count += v.n >= 2 ? (uint64_t)v.n : 0;
        k->n_tokens_zero += v.n == 0;
        k->n_tokens_negative += v.n < 0;
        k->n_tokens_one += v.n == 1;
        k->missing_first_token += !v.has_first;
        k->first_token_late += v.late_first;
        if (!k->slo_applies)
            continue;
        /* Good: every SLO set holds; a 1-token output's TPOT counts as 0, and a sample
         * with no first token fails a TTFT or TPOT SLO. */
        int64_t tpot = v.n >= 2 ? v.tpot : 0;
        bool good = (!e->slo_e2e_ns || v.lat <= e->slo_e2e_ns) &&
                    (!e->slo_ttft_ns || (v.has_first && v.ttft <= e->slo_ttft_ns)) &&
                    (!e->slo_tpot_ns || (v.has_first && tpot <= e->slo_tpot_ns));
        if (good) {
            k->good_requests++;
            k->good_tokens += v.n > 0 ? (uint64_t)v.n : 0;
        }
    }
    k->count_source = k->samples_with_tokens ? "sut" : "none";
}

/* The throughputs, MLPerf's formulas over its token count (and ours over the run). A
 * one-query scenario's is over its longest latency, as its samples per second. */
static void rates(const lg__collected *c, lg_results *r)
{
    lg_token_results *k = &r->tokens;
    double tokens = (double)k->token_count;
    double max_s = (double)r->latency.max_ns / 1e9, issue_s = (double)r->final_issue_ns / 1e9;
    double run_s = (double)r->duration_ns / 1e9;
    if (lg__scenario(c->e->scenario)->one_query) {
        k->tokens_per_sec = max_s > 0 ? tokens / max_s : 0.0;
    } else {
        k->completed_tokens_per_sec = c->secs_done > 0 ? tokens / c->secs_done : 0.0;
        k->tokens_per_sec_with_loadgen_overhead = issue_s > 0 ? tokens / issue_s : 0.0;
        double busy_s = (double)r->latency.mean_ns / 1e9 * (double)r->latency.count;
        k->tokens_per_sec_without_loadgen_overhead = busy_s > 0 ? tokens / busy_s : 0.0;
    }
    if (run_s > 0) {
        k->output_tokens_per_sec = (double)k->output_tokens / run_s;
        k->request_goodput = (double)k->good_requests / run_s;
        k->token_goodput = (double)k->good_tokens / run_s;
    }
}

/* infer_token_latencies: tokens/s from the sample count, needing no token data. MLPerf
 * multiplies its samples-per-second metric by the factor (in Server over samples - 1,
 * as the metric), in the scenarios that have such a metric. */
static void inferred(const lg__collected *c, lg_results *r)
{
    const lg__eff *e = c->e;
    if (e->infer_tokens && lg__scenario(e->scenario)->inferred_key)
        r->tokens.inferred_tokens_per_sec = r->metric * (double)e->token_scaling;
}

/* Token mode: early stopping is TPOT's, then TTFT's only when TPOT's was met (MLPerf
 * stops at the first failure); the run's early stopping is met when both are, and holds
 * the figures of the last one evaluated, as MLPerf logs them (SingleStream's metric is
 * then the TTFT estimate). Server's constraint is TTFT's and TPOT's bound at the target
 * percentile instead of the latency bound. */
static void token_mode(const lg__collected *c, lg_results *r)
{
    const lg__eff *e = c->e;
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    lg_token_results *k = &r->tokens;
    if (sc->perf_constraint) {
        k->ttft_constraint_met = k->ttft.count && k->ttft.target_ns <= e->ttft_latency_ns;
        k->tpot_constraint_met = k->tpot.count && k->tpot.target_ns <= e->tpot_latency_ns;
    }
    if (!r->early_stopping.applies)
        return;
    if (!k->tpot_early_stopping.met)
        k->ttft_early_stopping = (lg_early_stopping){0};
    bool met = k->tpot_early_stopping.met && k->ttft_early_stopping.met;
    r->early_stopping = k->ttft_early_stopping.applies ? k->ttft_early_stopping
                                                       : k->tpot_early_stopping;
    r->early_stopping.met = met;
    if (sc->metric_is_estimate)
        r->metric = (double)r->early_stopping.estimate_ns;
}

void lg__token_figures(const lg__collected *c, lg_results *r)
{
    const lg__eff *e = c->e;
    lg_token_results *k = &r->tokens;
    const lg__pass_counts *pc = c->counts;
    memset(k, 0, sizeof *k);
    k->count_source = "none";
    k->ttft_constraint_met = k->tpot_constraint_met = true;
    k->first_tokens_ignored = pc->first_tokens_ignored;
    inferred(c, r);
    if (!e->tokens || !c->records->tchunks)
        return;
    k->applies = true;
    k->mlperf = e->token_mode;
    k->slo_applies = e->slo_ttft_ns || e->slo_tpot_ns || e->slo_e2e_ns;
    k->first_token_duplicates = pc->first_token_duplicates;
    k->first_token_unknown = pc->first_token_unknown;
    k->first_token_late = pc->first_token_late;
    tally(c, k);
    double p = e->target_latency_percentile;
    uint64_t over;
    size_t n = fill(c, V_TPOT, e->tpot_latency_ns, &over);
    lg__latency_stats(c->lat, n, c->scratch, p, &k->tpot);
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    if (e->token_mode)
        sc->token_early_stopping(c, r, n, over, &k->tpot_early_stopping);
    n = fill(c, V_TTFT, e->ttft_latency_ns, &over);
    lg__latency_stats(c->lat, n, c->scratch, p, &k->ttft);
    if (e->token_mode)
        sc->token_early_stopping(c, r, n, over, &k->ttft_early_stopping);
    n = fill(c, V_TTFT_SEND, INT64_MAX, &over);
    lg__latency_stats(c->lat, n, c->scratch, p, &k->ttft_from_send);
    n = fill(c, V_LAT_SEND, INT64_MAX, &over);
    lg__latency_stats(c->lat, n, c->scratch, p, &k->latency_from_send);
    rates(c, r);
    if (e->token_mode)
        token_mode(c, r);
}
