/* peak.c: peak search (docs/peak.md): MLPerf's FindPeakPerformance (mode 3) and our
 * find-peak, both as a series of performance passes ("probes") inside one test, and the
 * watch that cuts a probe that is clearly failing. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen/internal.h"
#include "loadgen/issue.h"

/* The most records the watch reads in one look (the outstanding window is re-read each
 * time; the settled prefix once). */
#define WATCH_SCAN_MAX (UINT64_C(1) << 22)
/* Ticks in a row of growth before the backlog counts as growing without bound. */
#define WATCH_GROW_TICKS 4

struct lg__peak {
    lg_peak_options o;
    lg_peak_result *res;       /* the caller's, or NULL */
    lg_settings user;          /* the settings asked for */
    double growth;
    lg_peak_probe *probes;
    size_t n, cap;
    int64_t start_ns;
    bool found;
    double peak_qps, upper_qps;
    char stop[200];
    lg__watch watch;
    /* The watch's view of the probe under way (the monitor thread alone writes these
     * between lg__run_performance's start and end; the search reads them after). */
    _Atomic int cut;           /* 0 running, 1 clearly failing, 2 the SUT stopped */
    char cut_reason[160];
    int64_t bound_ns;          /* the bound the watch judges by */
    int64_t hang_ns;           /* no completion this long with samples out: a hang */
    bool tokens;               /* a token run: the bound is on first tokens, not on the
                                  completions the watch reads */
    double percentile;
    uint64_t expected;         /* samples the probe is expected to issue */
    double qps;
    uint64_t cursor;           /* records below it have settled */
    uint64_t over_prefix;      /* ... and this many of them were over the bound */
    uint64_t done_prefix;      /* ... and this many completed */
    uint64_t last_done, last_out;
    int64_t last_done_ns;
    int64_t last_lag_ns;
    int grow_out, grow_lag;
};

void lg_peak_options_default(lg_peak_options *o)
{
    memset(o, 0, sizeof *o);
    o->algorithm = LG_PEAK_FIND_PEAK;
    o->tolerance = 0.02;
}

const char *lg_peak_verdict_name(lg_peak_verdict v)
{
    switch (v) {
    case LG_PEAK_PASS: return "pass";
    case LG_PEAK_FAIL: return "fail";
    case LG_PEAK_CUT: return "cut";
    case LG_PEAK_ERROR: return "error";
    }
    return "unknown";
}

const char *lg_peak_algorithm_name(lg_peak_algorithm a)
{
    return a == LG_PEAK_MLPERF ? "mlperf" : a == LG_PEAK_FIND_PEAK ? "find-peak" : "unknown";
}

int lg_peak_algorithm_parse(const char *name, lg_peak_algorithm *out)
{
    if (name && (!strcmp(name, "mlperf") || !strcmp(name, "FindPeakPerformance"))) {
        *out = LG_PEAK_MLPERF;
        return 0;
    }
    if (name && (!strcmp(name, "find-peak") || !strcmp(name, "find_peak"))) {
        *out = LG_PEAK_FIND_PEAK;
        return 0;
    }
    return LG_EINVAL;
}

void lg_peak_result_free(lg_peak_result *r)
{
    if (!r)
        return;
    free(r->probes);
    r->probes = NULL;
    r->nprobes = 0;
}

/* ---------------------------------------------------------------- the watch */

static void watch_cut(lg__peak *pk, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void watch_cut(lg__peak *pk, int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pk->cut_reason, sizeof pk->cut_reason, fmt, ap);
    va_end(ap);
    atomic_store(&pk->cut, kind);
    if (!pk->o.no_early_abort)
        lg_abort();
}

/* Reads the records of the probe under way and cuts it when it cannot pass any more:
 * more samples over the bound than the percentile allows of the samples the probe will
 * issue; the backlog (outstanding samples, or the issue lag) growing without bound; or
 * no completion at all while samples wait (the SUT stopped answering). With
 * no_early_abort it only notes what it saw (the probe runs to its end). */
static void watch_fn(void *ctx, lg__test *t, lg__pass *p, int64_t now)
{
    lg__peak *pk = ctx;
    (void)t;
    if (atomic_load(&pk->cut))
        return;
    uint64_t issued = atomic_load_explicit(&p->samples, memory_order_acquire);
    uint64_t end = issued - pk->cursor > WATCH_SCAN_MAX ? pk->cursor + WATCH_SCAN_MAX : issued;
    uint64_t over = pk->over_prefix, done = pk->done_prefix, outstanding = 0;
    bool prefix = true;
    for (uint64_t s = pk->cursor; s < end; s++) {
        lg__rec *rec = lg__store_at(&p->store, s);
        int64_t iss = atomic_load_explicit(&rec->issued_ns, memory_order_acquire);
        int64_t c = atomic_load_explicit(&rec->completed_ns, memory_order_acquire);
        if (!iss)
            break;
        bool is_over;
        if (c == 0) {
            outstanding++;
            is_over = now - rec->scheduled_ns > pk->bound_ns;
            prefix = false;
        } else {
            is_over = c == LG__TIMED_OUT || c - rec->scheduled_ns > pk->bound_ns;
            done += c != LG__TIMED_OUT;
        }
        over += is_over;
        if (prefix) {
            pk->cursor = s + 1;
            pk->over_prefix += is_over;
            pk->done_prefix += c != LG__TIMED_OUT;
        }
    }
    outstanding += issued - end;
    int64_t elapsed = now - p->start_ns;
    if (done != pk->last_done || outstanding == 0)
        pk->last_done_ns = now;
    pk->last_done = done;
    int64_t quiet = now - pk->last_done_ns;
    int64_t hang_after = pk->hang_ns;
    char b[LG_FORMAT_NS_MAX], q[LG_FORMAT_NS_MAX];
    if (outstanding && quiet > hang_after) {
        lg_format_ns((double)quiet, q, sizeof q);
        watch_cut(pk, 2, "no sample completed for %s with %llu outstanding: the SUT "
                  "stopped answering", q, (unsigned long long)outstanding);
        return;
    }
    /* The percentile: more over the bound than it allows of the samples to come. */
    if (pk->o.goodput_share <= 0 && !pk->tokens) {
        double allowed = floor((1.0 - pk->percentile) * (double)pk->expected * 1.25);
        if ((double)over > allowed && over >= 1) {
            lg_format_ns((double)pk->bound_ns, b, sizeof b);
            watch_cut(pk, done ? 1 : 2, "latency: %llu samples already over the %s bound, "
                      "more than the %.3g%% of about %llu samples that p%g allows%s",
                      (unsigned long long)over, b, (1.0 - pk->percentile) * 100,
                      (unsigned long long)pk->expected, pk->percentile * 100,
                      done ? "" : "; none completed: the SUT is not answering");
            return;
        }
    }
    /* The backlog: outstanding samples far past what the bound lets queue (Little's
     * law: rate x bound), growing at every look. */
    double room = pk->qps * (double)pk->bound_ns / 1e9 * 4.0;
    if (room < 64)
        room = 64;
    pk->grow_out = outstanding > pk->last_out ? pk->grow_out + 1 : 0;
    pk->last_out = outstanding;
    if ((double)outstanding > room && pk->grow_out >= WATCH_GROW_TICKS) {
        lg_format_ns((double)elapsed, q, sizeof q);
        watch_cut(pk, 1, "outstanding queries growing without bound: %llu after %s (the "
                  "bound lets about %.0f queue)", (unsigned long long)outstanding, q,
                  room / 4.0);
        return;
    }
    /* The issue lag of the last sample issued, growing at every look past the bound: the
     * issue thread cannot keep up (a SUT that blocks in issue). */
    if (end) {
        lg__rec *last = lg__store_at(&p->store, end - 1);
        int64_t iss = atomic_load_explicit(&last->issued_ns, memory_order_acquire);
        int64_t lag = iss ? iss - last->scheduled_ns : 0;
        pk->grow_lag = lag > pk->last_lag_ns ? pk->grow_lag + 1 : 0;
        pk->last_lag_ns = lag;
        if (lag > pk->bound_ns && pk->grow_lag >= WATCH_GROW_TICKS) {
            lg_format_ns((double)lag, q, sizeof q);
            watch_cut(pk, 1, "issue lag growing without bound: %s behind schedule", q);
        }
    }
}

static void watch_reset(lg__peak *pk, const lg__test *t, double qps)
{
    atomic_store(&pk->cut, 0);
    pk->cut_reason[0] = '\0';
    const lg__eff *e = &t->eff;
    pk->qps = qps;
    pk->percentile = e->target_latency_percentile;
    pk->bound_ns = e->target_latency_ns;
    if (pk->o.goodput_share > 0 && e->slo_e2e_ns)
        pk->bound_ns = e->slo_e2e_ns;
    if (e->token_mode && e->ttft_latency_ns)
        pk->bound_ns = e->ttft_latency_ns;
    if (pk->bound_ns <= 0)
        pk->bound_ns = 100000000;
    /* A token run's requests last far longer than its TTFT bound: the latency rule is
     * off (it reads completions) and a hang is silence for 10 bounds. */
    pk->tokens = e->tokens;
    pk->hang_ns = (e->tokens ? 10 : 2) * pk->bound_ns;
    if (pk->hang_ns < 500000000)
        pk->hang_ns = 500000000;
    double n = floor(qps * (double)e->min_duration_ms / 1000.0);
    pk->expected = n > (double)e->min_query_count ? (uint64_t)n : e->min_query_count;
    pk->cursor = pk->over_prefix = pk->done_prefix = 0;
    pk->last_done = pk->last_out = 0;
    pk->last_done_ns = lg__now_ns();
    pk->last_lag_ns = 0;
    pk->grow_out = pk->grow_lag = 0;
}

/* ---------------------------------------------------------------- probes */

/* Waits until the samples a cut probe left outstanding (timed out there) came back, as
 * late completions in it or as strays after it, at most max(10 x the bound, 2 s). */
static void drain(const lg__peak *pk, uint64_t left, uint64_t stray0)
{
    int64_t limit = 10 * pk->bound_ns > 2000000000 ? 10 * pk->bound_ns : 2000000000;
    int64_t end = lg__now_ns() + limit;
    struct timespec nap = {0, 1000000};
    while (lg__stray_completions() - stray0 < left && lg__now_ns() < end)
        nanosleep(&nap, NULL);
}

/* A rate as MLPerf's detail log writes one (std::to_string of a double). */
static const char *field(char *buf, size_t len, double qps)
{
    snprintf(buf, len, "%f", qps);
    return buf;
}

static lg_peak_probe *probe_add(lg__peak *pk)
{
    if (pk->n == pk->cap) {
        size_t cap = pk->cap ? 2 * pk->cap : 16;
        lg_peak_probe *p = realloc(pk->probes, cap * sizeof *p);
        if (!p)
            return NULL;
        pk->probes = p;
        pk->cap = cap;
    }
    lg_peak_probe *p = &pk->probes[pk->n++];
    memset(p, 0, sizeof *p);
    return p;
}

/* The verdict of a probe that ran (rc 0, LG_ESUT or LG_ENOMEM with figures in *r). */
static lg_peak_verdict judge(lg__peak *pk, const lg__test *t, int rc, const lg_results *r,
                             char *why, size_t len)
{
    int cut = atomic_load(&pk->cut);
    char v[LG_FORMAT_NS_MAX], b[LG_FORMAT_NS_MAX];
    if (cut == 2 && !pk->o.no_early_abort) {
        snprintf(why, len, "%s", pk->cut_reason);
        return LG_PEAK_ERROR;
    }
    if (lg__stop_requested() && !cut) {
        snprintf(why, len, "aborted: the search was stopped (lg_abort)");
        return LG_PEAK_ERROR;
    }
    if (rc == LG_ESUT) {
        snprintf(why, len, "the QSL failed to load samples");
        return LG_PEAK_ERROR;
    }
    if (rc == LG_ENOMEM || (r->invalid_reasons & LG_INVALID_OUT_OF_MEMORY)) {
        snprintf(why, len, "memory ran out");
        return LG_PEAK_ERROR;
    }
    /* The SUT's own failures first: a failing SUT is not a slow one, cut or not. */
    if (r->samples_failed || r->duplicate_completions || r->unknown_completions ||
        (r->samples_timed_out && !(cut == 1 && !pk->o.no_early_abort))) {
        snprintf(why, len, "the SUT failed %llu of %llu samples (%llu timed out), %llu "
                 "duplicate and %llu unknown completions",
                 (unsigned long long)r->samples_failed, (unsigned long long)r->samples_issued,
                 (unsigned long long)r->samples_timed_out,
                 (unsigned long long)r->duplicate_completions,
                 (unsigned long long)r->unknown_completions);
        return LG_PEAK_ERROR;
    }
    /* A cut probe's samples still out at the cut time out: that is the cut's doing. */
    if (cut == 1 && !pk->o.no_early_abort) {
        snprintf(why, len, "cut early: %.140s", pk->cut_reason);
        return LG_PEAK_CUT;
    }
    if (pk->o.goodput_share > 0) {
        double share = r->samples_issued
                           ? (double)r->tokens.good_requests / (double)r->samples_issued
                           : 0.0;
        bool ok = share >= pk->o.goodput_share;
        snprintf(why, len, "goodput: %.2f%% of the samples met the SLOs, %s %.2f%%",
                 share * 100, ok ? "at least" : "below", pk->o.goodput_share * 100);
        return ok ? LG_PEAK_PASS : LG_PEAK_FAIL;
    }
    bool ok = !(r->invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    if (r->tokens.mlperf) {
        snprintf(why, len, "token mode: TTFT %s, TPOT %s",
                 r->tokens.ttft_constraint_met ? "met" : "NOT met",
                 r->tokens.tpot_constraint_met ? "met" : "NOT met");
        return ok ? LG_PEAK_PASS : LG_PEAK_FAIL;
    }
    lg_format_ns((double)r->latency.target_ns, v, sizeof v);
    lg_format_ns((double)t->eff.target_latency_ns, b, sizeof b);
    snprintf(why, len, "p%g %s %s the %s bound%s", t->eff.target_latency_percentile * 100, v,
             ok ? "within" : "over", b,
             cut == 1 ? " (the watch saw it failing; no early abort)" : "");
    return ok ? LG_PEAK_PASS : LG_PEAK_FAIL;
}

typedef struct search {
    lg__test *t;
    lg__peak *pk;
    lg__pass best;             /* the reported probe's pass */
    lg_results best_r;
    lg__eff best_eff;
    bool have_best, best_passed;
    int rc;                    /* an error that ended the search (LG_ESUT, LG_ENOMEM) */
} search;

/* Runs one probe at qps (min_ms: its min_duration_ms, 0 = the settings'). Returns its
 * verdict; LG_PEAK_ERROR ends the search (the reason in pk->stop). */
static lg_peak_verdict probe(search *se, double qps, uint64_t min_ms, bool confirm)
{
    lg__test *t = se->t;
    lg__peak *pk = se->pk;
    lg_peak_probe *pp = probe_add(pk);
    if (!pp) {
        se->rc = LG_ENOMEM;
        snprintf(pk->stop, sizeof pk->stop, "memory ran out");
        return LG_PEAK_ERROR;
    }
    pp->target_qps = qps;
    pp->confirmation = confirm;
    pp->good_share = NAN;
    t->req_store = pk->user;
    t->req_store.mode = LG_MODE_PERFORMANCE;
    t->req_store.server_target_qps = qps;
    if (min_ms)
        t->req_store.min_duration_ms = min_ms;
    char msg[256];
    int64_t t0 = lg__now_ns();
    int rc = lg__effective(&t->req_store, t->qsl, &t->eff, msg, sizeof msg);
    if (rc) {
        snprintf(pp->reason, sizeof pp->reason, "refused: %.140s", msg);
        snprintf(pk->stop, sizeof pk->stop, "the probe at %.6g QPS was refused: %.140s", qps, msg);
        ERROR(t, "error_runtime", "peak search: the probe at %f QPS was refused: %s", qps, msg);
        pp->verdict = LG_PEAK_ERROR;
        return LG_PEAK_ERROR;
    }
    pp->percentile = t->eff.target_latency_percentile;
    lg__pass cur;
    if (lg__pass_init(&cur, LG_MODE_PERFORMANCE, t->eff.tokens)) {
        se->rc = LG_ENOMEM;
        snprintf(pk->stop, sizeof pk->stop, "memory ran out");
        pp->verdict = LG_PEAK_ERROR;
        return LG_PEAK_ERROR;
    }
    if (!t->first_probe_tag)
        t->first_probe_tag = cur.tag;
    watch_reset(pk, t, qps);
    lg__probe_counters_reset(t);
    uint64_t stray0 = lg__stray_completions();
    t->watch = pk->o.algorithm == LG_PEAK_FIND_PEAK ? &pk->watch : NULL;
    rc = lg__run_performance(t, &cur, false);
    t->watch = NULL;
    lg_results r;
    memset(&r, 0, sizeof r);
    if ((rc == 0 || rc == LG_ESUT || rc == LG_ENOMEM) && (cur.start_ns || cur.qsl_failed)) {
        int crc = lg__compute_results(t, &cur, &r);
        if (crc && !rc)
            rc = crc;
        r.mode = LG_MODE_PERFORMANCE;
    }
    pp->duration_ns = lg__now_ns() - t0;
    pp->verdict = judge(pk, t, rc, &r, pp->reason, sizeof pp->reason);
    pp->percentile_ns = r.latency.target_ns;
    pp->achieved_qps = r.completed_samples_per_sec;
    pp->samples = r.samples_issued;
    if (r.tokens.slo_applies && r.samples_issued)
        pp->good_share = (double)r.tokens.good_requests / (double)r.samples_issued;
    /* A probe cut by the watch is not a stop of the search; the SUT's backlog of its
     * samples drains before the next probe, which would otherwise queue behind it. */
    if (atomic_load(&pk->cut) && pp->verdict != LG_PEAK_ERROR) {
        lg__abort_reset();
        drain(pk, r.samples_timed_out > r.late_completions
                      ? r.samples_timed_out - r.late_completions : 0, stray0);
    }
    char f[64];
    EVENT(t, "generic_message", "peak search: probe %zu at %s QPS: %s (%s)", pk->n,
          field(f, sizeof f, qps), lg_peak_verdict_name(pp->verdict), pp->reason);
    bool keep = pp->verdict == LG_PEAK_PASS || !se->have_best;
    if (keep && (cur.start_ns || cur.qsl_failed)) {
        if (se->have_best)
            lg__pass_free(&se->best);
        se->best = cur;
        se->best_r = r;
        se->best_eff = t->eff;
        se->have_best = true;
        se->best_passed = pp->verdict == LG_PEAK_PASS;
    } else {
        lg__pass_free(&cur);
    }
    if (pp->verdict == LG_PEAK_ERROR) {
        if (rc == LG_ESUT || rc == LG_ENOMEM)
            se->rc = rc;
        snprintf(pk->stop, sizeof pk->stop, "the probe at %.6g QPS ended in error: %.140s", qps,
                 pp->reason);
    }
    return pp->verdict;
}

static bool out_of_probes(search *se)
{
    lg__peak *pk = se->pk;
    if (pk->n < pk->o.max_probes)
        return false;
    snprintf(pk->stop, sizeof pk->stop, "the most probes (%llu) were run",
             (unsigned long long)pk->o.max_probes);
    return true;
}

/* MLPerf's IsFinished: the bounds agree to `decimals` decimals of QPS. */
static bool mlperf_finished(double l, double u, uint64_t decimals)
{
    double scale = pow(10.0, (double)decimals);
    return floor(l * scale) + 1 >= floor(u * scale);
}

/* MLPerf's FindPeakPerformanceMode: its steps, its detail log lines, its verdict (the
 * latency bound only). */
static void search_mlperf(search *se)
{
    lg__test *t = se->t;
    lg__peak *pk = se->pk;
    char a[64], b[64], c[64];
    double l = pk->user.server_target_qps, u;
    EVENT(t, "generic_message", "Starting FindPeakPerformance mode");
    EVENT(t, "generic_message", "FindPeakPerformance: Check validity of the base settings "
          "field: %s", field(a, sizeof a, l));
    lg_peak_verdict v = probe(se, l, pk->o.probe_ms, false);
    if (v == LG_PEAK_ERROR)
        return;
    if (v != LG_PEAK_PASS) {
        ERROR(t, "error_runtime", "FindPeakPerformance: Initial lower bound does not satisfy "
              "performance constraints, msg: %s", se->best_r.tokens.mlperf
              ? "TTFT or TPOT constrain not met: Reduce target QPS to improve latency."
              : "Reduce target QPS to improve latency.");
        lg__event_mark_perf(t);
        snprintf(pk->stop, sizeof pk->stop, "the starting rate %.6g QPS does not meet the "
                 "latency bound (MLPerf: Initial lower bound does not satisfy performance "
                 "constraints)", l);
        pk->upper_qps = l;
        return;
    }
    pk->found = true;
    pk->peak_qps = l;
    /* FindBoundaries: widen until a rate fails. */
    for (;;) {
        u = l * pk->growth;
        EVENT(t, "generic_message", "FindBoundaries: Checking fields [%s, %s)",
              field(a, sizeof a, l), field(b, sizeof b, u));
        if (u > LG_MAX_QPS) {
            snprintf(pk->stop, sizeof pk->stop, "no failing rate up to %g QPS", LG_MAX_QPS);
            return;
        }
        if (out_of_probes(se))
            return;
        v = probe(se, u, pk->o.probe_ms, false);
        if (v == LG_PEAK_ERROR)
            return;
        if (v != LG_PEAK_PASS)
            break;
        l = u;
        pk->peak_qps = l;
    }
    pk->upper_qps = u;
    EVENT(t, "generic_message", "FindPeakPerformance: Found boundaries: [%s, %s)",
          field(a, sizeof a, l), field(b, sizeof b, u));
    uint64_t dec = pk->user.server_find_peak_qps_decimals_of_precision;
    while (!mlperf_finished(l, u, dec)) {
        double m = l + (u - l) / 2;
        EVENT(t, "generic_message", "FindPeakPerformanceBinarySearch: Testing the mid value "
              "of bounds [%s, %s): %s", field(a, sizeof a, l), field(b, sizeof b, u),
              field(c, sizeof c, m));
        if (out_of_probes(se))
            return;
        v = probe(se, m, pk->o.probe_ms, false);
        if (v == LG_PEAK_ERROR)
            return;
        if (v == LG_PEAK_PASS)
            l = m;
        else
            u = m;
        pk->peak_qps = l;
        pk->upper_qps = u;
    }
    EVENT(t, "generic_message", "FindPeakPerformance: Found peak performance field: %s",
          field(a, sizeof a, l));
    lg__event_mark_perf(t);
    snprintf(pk->stop, sizeof pk->stop, "the bounds agree to %llu decimal%s of QPS "
             "(server_find_peak_qps_decimals_of_precision)", (unsigned long long)dec,
             dec == 1 ? "" : "s");
}

/* Ours: bracket by growth (up from a passing start, down from a failing one), bisect to
 * the relative tolerance, probes of probe_ms cut early by the watch, then an optional
 * confirmation of the peak with a longer run. */
static void search_find_peak(search *se)
{
    lg__test *t = se->t;
    lg__peak *pk = se->pk;
    const lg_peak_options *o = &pk->o;
    double r0 = pk->user.server_target_qps;
    double min_qps = o->min_qps > 0 ? o->min_qps : r0 / 1024.0;
    if (min_qps < LG_MIN_QPS)
        min_qps = LG_MIN_QPS;
    double l = 0, u = 0;
    char a[64], b[64];
    EVENT(t, "generic_message", "peak search (find-peak): start at %s QPS, growth %g, "
          "tolerance %g%%", field(a, sizeof a, r0), pk->growth, o->tolerance * 100);
    lg_peak_verdict v = probe(se, r0, o->probe_ms, false);
    if (v == LG_PEAK_ERROR)
        return;
    if (v == LG_PEAK_PASS)
        l = r0;
    else
        u = r0;
    while (!u) {
        double q = l * pk->growth;
        if (q > LG_MAX_QPS) {
            snprintf(pk->stop, sizeof pk->stop, "no failing rate up to %g QPS", LG_MAX_QPS);
            goto found;
        }
        if (out_of_probes(se))
            goto found;
        v = probe(se, q, o->probe_ms, false);
        if (v == LG_PEAK_ERROR)
            goto found;
        if (v == LG_PEAK_PASS)
            l = q;
        else
            u = q;
    }
    while (!l) {
        double q = u / pk->growth;
        if (q < min_qps) {
            snprintf(pk->stop, sizeof pk->stop, "no rate down to %.6g QPS (min_qps) met the "
                     "bound", min_qps);
            pk->upper_qps = u;
            return;
        }
        if (out_of_probes(se))
            return;
        v = probe(se, q, o->probe_ms, false);
        if (v == LG_PEAK_ERROR)
            return;
        if (v == LG_PEAK_PASS)
            l = q;
        else
            u = q;
    }
    EVENT(t, "generic_message", "peak search (find-peak): bracket [%s, %s)",
          field(a, sizeof a, l), field(b, sizeof b, u));
    while ((u - l) / l > o->tolerance) {
        if (out_of_probes(se))
            goto found;
        double m = l + (u - l) / 2;
        v = probe(se, m, o->probe_ms, false);
        if (v == LG_PEAK_ERROR)
            goto found;
        if (v == LG_PEAK_PASS)
            l = m;
        else
            u = m;
    }
    snprintf(pk->stop, sizeof pk->stop, "the bracket [%.6g, %.6g) is within the tolerance "
             "of %g%%", l, u, o->tolerance * 100);
    /* Confirmation: a longer run at the peak; one that fails moves the peak down by the
     * tolerance and confirms again. */
    while (o->confirm_ms) {
        if (out_of_probes(se))
            break;
        v = probe(se, l, o->confirm_ms, true);
        if (v == LG_PEAK_ERROR)
            break;
        if (v == LG_PEAK_PASS) {
            snprintf(pk->stop + strlen(pk->stop), sizeof pk->stop - strlen(pk->stop),
                     "; confirmed by a %llu ms run", (unsigned long long)o->confirm_ms);
            break;
        }
        u = l;
        l = l / (1.0 + o->tolerance);
        if (l < min_qps) {
            snprintf(pk->stop, sizeof pk->stop, "no confirmation passed down to %.6g QPS",
                     min_qps);
            l = 0;
            break;
        }
    }
found:
    pk->found = l > 0;
    pk->peak_qps = l;
    pk->upper_qps = u;
    EVENT(t, "generic_message", "peak search (find-peak): peak %s QPS (%s)",
          field(a, sizeof a, l), pk->stop);
    lg__event_mark_perf(t);
}

/* ---------------------------------------------------------------- entry points */

int lg__peak_begin(lg__test *t, const lg_peak_options *o, lg_peak_result *res,
                   lg__peak **out)
{
    *out = NULL;
    if (res)
        memset(res, 0, sizeof *res);
    const lg_settings *s = t->req;
    lg_peak_options d;
    if (!o) {
        lg_peak_options_default(&d);
        o = &d;
    }
    const char *bad = NULL;
    char why[200];
    for (size_t i = 0; i < sizeof o->reserved / sizeof o->reserved[0]; i++)
        if (o->reserved[i])
            bad = "reserved: not zero (start from lg_peak_options_default())";
    if (s->scenario != LG_SERVER)
        bad = LG_PEAK_NOT_SERVER;
    else if (o->algorithm != LG_PEAK_MLPERF && o->algorithm != LG_PEAK_FIND_PEAK)
        bad = "algorithm: neither LG_PEAK_MLPERF nor LG_PEAK_FIND_PEAK";
    else if (!(o->tolerance > 0 && o->tolerance < 1))
        snprintf(why, sizeof why, "tolerance = %g: must be above 0 and below 1",
                 o->tolerance), bad = why;
    else if (o->growth != 0 && !(o->growth > 1 && o->growth <= 1000))
        snprintf(why, sizeof why, "growth = %g: must be above 1 (at most 1000), or 0 for "
                 "1 + server_find_peak_qps_boundary_step_size", o->growth), bad = why;
    else if (!(o->goodput_share >= 0 && o->goodput_share <= 1))
        snprintf(why, sizeof why, "goodput_share = %g: must be from 0 to 1",
                 o->goodput_share), bad = why;
    else if (o->goodput_share > 0 && !s->slo_ttft_ns && !s->slo_tpot_ns && !s->slo_e2e_ns)
        bad = "goodput_share: needs an SLO (slo_ttft_ns, slo_tpot_ns or slo_e2e_ns)";
    else if (!(o->min_qps >= 0 && o->min_qps <= LG_MAX_QPS))
        snprintf(why, sizeof why, "min_qps = %g: must be from 0 to %g", o->min_qps,
                 LG_MAX_QPS), bad = why;
    else if (o->max_probes > 10000)
        snprintf(why, sizeof why, "max_probes = %llu: at most 10000",
                 (unsigned long long)o->max_probes), bad = why;
    else if (s->arrival == LG_ARRIVAL_TRACE || s->arrival == LG_ARRIVAL_STAGES)
        bad = "arrival: a trace or stages set their own rates; a peak search varies "
              "server_target_qps (poisson, constant, gamma or ramp)";
    if (bad) {
        lg__set_error("peak search: %s", bad);
        return LG_EINVAL;
    }
    lg__peak *pk = calloc(1, sizeof *pk);
    if (!pk)
        return LG_ENOMEM;
    pk->o = *o;
    if (!pk->o.max_probes)
        pk->o.max_probes = 64;
    if (!pk->o.watch_interval_ms)
        pk->o.watch_interval_ms = 50;
    pk->growth = o->growth ? o->growth : 1.0 + s->server_find_peak_qps_boundary_step_size;
    pk->res = res;
    pk->watch = (lg__watch){.fn = watch_fn, .ctx = pk,
                            .interval_ns = (int64_t)pk->o.watch_interval_ms * 1000000};
    t->peak = pk;
    *out = pk;
    return 0;
}

int lg__peak_search(lg__test *t, lg__pass *best, lg_results *out)
{
    lg__peak *pk = t->peak;
    pk->user = t->req_store;
    pk->start_ns = lg__now_ns();
    lg__pass_free(best);
    memset(best, 0, sizeof *best);
    search se = {.t = t, .pk = pk};
    if (pk->o.algorithm == LG_PEAK_MLPERF)
        search_mlperf(&se);
    else
        search_find_peak(&se);
    int64_t search_ns = lg__now_ns() - pk->start_ns;
    t->req_store = pk->user;
    if (se.have_best) {
        *best = se.best;
        *out = se.best_r;
        out->find_peak_passed = se.best_passed;
        t->eff = se.best_eff;
    }
    t->eff.mode = LG_MODE_FIND_PEAK;
    if (pk->res) {
        lg_peak_result *r = pk->res;
        r->algorithm = pk->o.algorithm;
        r->found = pk->found;
        r->peak_qps = pk->found ? pk->peak_qps : 0;
        r->upper_qps = pk->upper_qps;
        r->tolerance = pk->o.algorithm == LG_PEAK_FIND_PEAK
                           ? pk->o.tolerance
                           : (pk->found ? pow(10.0, -(double)pk->user
                                                         .server_find_peak_qps_decimals_of_precision) /
                                              pk->peak_qps
                                        : 0);
        snprintf(r->stop_reason, sizeof r->stop_reason, "%s", pk->stop);
        r->search_ns = search_ns;
    }
    pk->start_ns = search_ns; /* kept for the JSON */
    return se.rc;
}

void lg__peak_json(FILE *f, const lg__test *t)
{
    const lg__peak *pk = t->peak;
    if (!pk)
        return;
    fprintf(f, "  \"peak_search\": {\"algorithm\": \"%s\", \"found\": %s, \"peak_qps\": %.17g, "
            "\"upper_qps\": %.17g, ", lg_peak_algorithm_name(pk->o.algorithm),
            pk->found ? "true" : "false", pk->found ? pk->peak_qps : 0.0, pk->upper_qps);
    if (pk->o.algorithm == LG_PEAK_FIND_PEAK)
        fprintf(f, "\"tolerance\": %.17g, ", pk->o.tolerance);
    else
        fprintf(f, "\"decimals_of_precision\": %llu, ",
                (unsigned long long)pk->user.server_find_peak_qps_decimals_of_precision);
    fprintf(f, "\"growth\": %.17g, \"criterion\": \"%s\", ", pk->growth,
            pk->o.goodput_share > 0 ? "goodput" : "latency");
    if (pk->o.goodput_share > 0)
        fprintf(f, "\"goodput_share\": %.17g, ", pk->o.goodput_share);
    fprintf(f, "\"early_abort\": %s, \"confirm_ms\": %llu, \"search_time_ns\": %lld, "
            "\"stop_reason\": ", pk->o.algorithm == LG_PEAK_FIND_PEAK && !pk->o.no_early_abort
            ? "true" : "false", (unsigned long long)pk->o.confirm_ms, (long long)pk->start_ns);
    lg__json_string(f, pk->stop);
    fputs(", \"probes\": [", f);
    for (size_t i = 0; i < pk->n; i++) {
        const lg_peak_probe *p = &pk->probes[i];
        fprintf(f, "%s\n    {\"target_qps\": %.17g, \"verdict\": \"%s\", \"confirmation\": %s, "
                "\"percentile\": %.17g, \"percentile_ns\": %lld, \"achieved_qps\": %.17g, ",
                i ? "," : "", p->target_qps, lg_peak_verdict_name(p->verdict),
                p->confirmation ? "true" : "false", p->percentile, (long long)p->percentile_ns,
                isfinite(p->achieved_qps) ? p->achieved_qps : 0.0);
        if (isfinite(p->good_share))
            fprintf(f, "\"good_share\": %.17g, ", p->good_share);
        fprintf(f, "\"samples\": %llu, \"duration_ns\": %lld, \"reason\": ",
                (unsigned long long)p->samples, (long long)p->duration_ns);
        lg__json_string(f, p->reason);
        fputc('}', f);
    }
    fputs(pk->n ? "\n  ]},\n" : "]},\n", f);
}

void lg__peak_end(lg__test *t, lg__peak *pk)
{
    if (!pk)
        return;
    if (pk->res) {
        pk->res->probes = pk->probes;
        pk->res->nprobes = pk->n;
    } else {
        free(pk->probes);
    }
    t->peak = NULL;
    t->watch = NULL;
    free(pk);
}

int lg_find_peak(const lg_settings *settings, const lg_sut *sut, const lg_qsl *qsl,
                 const lg_peak_options *opts, const lg_log_settings *log, lg_results *out,
                 lg_peak_result *peak)
{
    if (peak)
        memset(peak, 0, sizeof *peak);
    if (!settings) {
        lg__clear_error();
        lg__set_error("lg_find_peak: settings is NULL");
        return LG_EINVAL;
    }
    lg_settings s = *settings;
    s.mode = LG_MODE_FIND_PEAK;
    s.test05 = false;
    lg_peak_options d;
    if (!opts) {
        lg_peak_options_default(&d);
        opts = &d;
    }
    return lg__run_test(&s, sut, qsl, log, out, opts, peak);
}
