/* validate.c: is one run trustworthy? Sample sizes, block-bootstrap intervals of the
 * latency percentiles, a batch-means interval of throughput, outliers, a warm-up check
 * and a perf_analyzer-style stability check, turned into a verdict and recommendations
 * that name the flag to change. The rules are documented in docs/reports.md. */
#include <errno.h>
#include <pthread.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/internal.h"

void rpt_validate_opts_default(rpt_validate_opts *o)
{
    memset(o, 0, sizeof *o);
    o->confidence = 0.95;
    o->resamples = 1000;
    o->seed = 1;
    o->block_len = 0;
    o->throughput_windows = 20;
    o->alpha = 0.05;
    o->warmup_fraction = 0.10;
    o->warmup_windows = 50;
    o->warmup_tolerance = 0.10;
    o->stability_windows = 10;
    o->stability_last = 3;
    o->stability_tolerance = 0.10;
}

const char *rpt_verdict_name(rpt_verdict v)
{
    switch (v) {
    case RPT_TRUSTWORTHY: return "trustworthy";
    case RPT_USABLE_WITH_CAVEATS: return "usable with caveats";
    case RPT_NOT_TRUSTWORTHY: return "not trustworthy";
    }
    return "unknown";
}

const char *rpt_status_name(rpt_status s)
{
    switch (s) {
    case RPT_PASS: return "pass";
    case RPT_WARN: return "warn";
    case RPT_FAIL: return "fail";
    case RPT_SKIP: return "skipped";
    }
    return "unknown";
}

const char *rpt_check_name(rpt_check_id id)
{
    static const char *const names[RPT_CHECK_COUNT] = {"validity", "sample_size", "precision",
                                                       "outliers", "warmup", "stability"};
    return (unsigned)id < RPT_CHECK_COUNT ? names[id] : "unknown";
}

/* ---------------------------------------------------------------- statistics */

/* Interpolated quantile (stats_quantile_interp's rule) of x[0..n) by selection,
 * reordering x: O(n) instead of a sort. */
static double quantile_select(double *x, size_t n, double p)
{
    if (!n)
        return NAN;
    double h = (double)(n - 1) * (p < 0 ? 0 : p > 1 ? 1 : p);
    size_t lo = (size_t)h;
    double v = stats_select_f64(x, n, lo);
    if (lo + 1 >= n)
        return v;
    double next = x[lo + 1]; /* after the selection x[lo + 1 ..] are all >= v */
    for (size_t i = lo + 2; i < n; i++)
        next = x[i] < next ? x[i] : next;
    return v + (h - (double)lo) * (next - v);
}

/* MLPerf's percentile rule (sorted[floor(n p)]) for several p at once as a bootstrap
 * statistic, on a private copy (the resample buffer belongs to the library): the
 * indices ascend, and after selecting one every later one lies in the part above it. */
typedef struct pct_ctx {
    size_t k;
    double p[4];     /* ascending */
    double *scratch; /* n doubles */
} pct_ctx;

static int stat_mlperf_pcts(const double *x, size_t n, void *ctx, double *out)
{
    pct_ctx *c = ctx;
    memcpy(c->scratch, x, n * sizeof *x);
    size_t from = 0;
    for (size_t j = 0; j < c->k; j++) {
        size_t idx = stats_percentile_mlperf_index(n, c->p[j]);
        out[j] = stats_select_f64(c->scratch + from, n - from, idx - from);
        from = idx;
    }
    return 0;
}

/* Autocorrelation of x at lag L (biased estimator, as usual for ACFs). */
static double acf(const double *x, size_t n, double mean, double var, size_t lag)
{
    double s = 0;
    for (size_t i = 0; i + lag < n; i++)
        s += (x[i] - mean) * (x[i + lag] - mean);
    return var > 0 ? s / ((double)n * var) : 0.0;
}

static double median_of(double *x, size_t n)
{
    return quantile_select(x, n, 0.5);
}

/* ---------------------------------------------------------------- findings */

typedef struct recs {
    size_t n;
    rpt_status sev[RPT_RECS_MAX];
    bool longer[RPT_RECS_MAX]; /* the advice is to run longer (dropped for an overload) */
    char text[RPT_RECS_MAX][RPT_TEXT_MAX];
} recs;

static void rec_v(recs *r, rpt_status sev, bool longer, const char *fmt, va_list ap)
{
    if (r->n >= RPT_RECS_MAX)
        return;
    vsnprintf(r->text[r->n], RPT_TEXT_MAX, fmt, ap);
    r->longer[r->n] = longer;
    r->sev[r->n++] = sev;
}

static void rec(recs *r, rpt_status sev, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void rec(recs *r, rpt_status sev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rec_v(r, sev, false, fmt, ap);
    va_end(ap);
}

/* A recommendation to run longer: it is left out when the SUT is overloaded (the target
 * percentile over the Server bound), since running longer never fixes an overload. */
static void rec_longer(recs *r, rpt_status sev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rec_longer(recs *r, rpt_status sev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rec_v(r, sev, true, fmt, ap);
    va_end(ap);
}

/* Appends the recommendations of `more` to r, in order. */
static void rec_append(recs *r, const recs *more)
{
    for (size_t i = 0; i < more->n && r->n < RPT_RECS_MAX; i++) {
        memcpy(r->text[r->n], more->text[i], RPT_TEXT_MAX);
        r->longer[r->n] = more->longer[i];
        r->sev[r->n++] = more->sev[i];
    }
}

static void check(rpt_validation *v, rpt_check_id id, rpt_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check(rpt_validation *v, rpt_check_id id, rpt_status st, const char *fmt, ...)
{
    v->checks[id].status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->checks[id].finding, RPT_TEXT_MAX, fmt, ap);
    va_end(ap);
}

/* Milliseconds of running needed for `queries` at the measured rate, with 10% margin,
 * rounded up to a whole second (at least the current minimum). */
static unsigned long long duration_for(double queries, double rate, uint64_t current_ms)
{
    double ms = rate > 0 ? queries / rate * 1000.0 * 1.1 : 0;
    ms = ceil(ms / 1000.0) * 1000.0;
    if (ms < (double)current_ms)
        ms = (double)current_ms;
    return (unsigned long long)ms;
}

static const char *pct_word(double p, char *buf, size_t len)
{
    snprintf(buf, len, "%s", stats_percentile_label(p).s);
    return buf;
}

/* ---------------------------------------------------------------- the checks */

/* A Server run whose answered samples are over the bound at the target percentile: the
 * SUT is overloaded at this rate. */
static bool run_overloaded(const rpt_run_info *in)
{
    const lg_results *r = &in->results;
    const lg_token_results *k = &r->tokens;
    if (r->scenario != LG_SERVER || !(r->invalid_reasons & LG_INVALID_PERF_CONSTRAINT))
        return false;
    /* MLPerf's token mode judges TTFT and TPOT instead of the latency bound. */
    if (k->mlperf)
        return (!k->ttft_constraint_met && k->ttft.count) ||
               (!k->tpot_constraint_met && k->tpot.count);
    return r->latency.count && in->target_latency_ns > 0 &&
           r->latency.target_ns > in->target_latency_ns;
}

/* The advice for a token run: its token errors, and in Server token mode the TTFT or
 * TPOT bound the SUT cannot hold. */
static void token_recs(const rpt_run_info *in, recs *rc)
{
    const lg_results *r = &in->results;
    const lg_token_results *k = &r->tokens;
    char errs[RPT_TEXT_MAX / 2];
    if ((r->invalid_reasons & LG_INVALID_TOKEN_ERRORS) &&
        rpt__token_errors_text(k, errs, sizeof errs))
        rec(rc, RPT_FAIL, "Fix the SUT's token reports first (%s): one first token per sample "
            "(lg_first_token) before it completes, and token counts of 2 or more "
            "(docs/tokens.md).", errs);
    if (!k->mlperf || !run_overloaded(in))
        return;
    char what[160] = "", a[32], b[32];
    size_t used = 0;
    const struct { const char *name; bool over; int64_t at, bound; } c[2] = {
        {"TTFT", !k->ttft_constraint_met && k->ttft.count, k->ttft.target_ns,
         in->token_settings.ttft_latency_ns},
        {"TPOT", !k->tpot_constraint_met && k->tpot.count, k->tpot.target_ns,
         in->token_settings.tpot_latency_ns}};
    for (int i = 0; i < 2; i++) {
        if (!c[i].over || used >= sizeof what)
            continue;
        lg_format_ns((double)c[i].at, a, sizeof a);
        lg_format_ns((double)c[i].bound, b, sizeof b);
        used += (size_t)snprintf(what + used, sizeof what - used, "%s%s %s %s > %s",
                                 used ? ", " : "",
                                 stats_percentile_label(in->target_latency_percentile).s,
                                 c[i].name, a, b);
    }
    rec(rc, RPT_FAIL, "The SUT cannot hold the token bounds at this rate (%s at %.0f "
        "queries/s): lower --target-qps (try %.0f) or raise --ttft-latency-ms / "
        "--tpot-latency-ms. Running longer does not help an overloaded SUT.", what,
        in->target_qps, floor(in->target_qps * 0.8));
}

static void check_validity(const rpt_run_info *in, rpt_validation *v, recs *rc, double rate)
{
    const lg_results *r = &in->results;
    char m[48];
    rpt_format_value(m, sizeof m, r->metric, r->metric_unit);
    if (r->valid && r->mode == LG_MODE_ACCURACY) {
        check(v, RPT_CHECK_VALIDITY, RPT_WARN,
              "This is an accuracy run (every sample once, for the accuracy log): the "
              "LoadGen judged it VALID, but its timings are not a performance measurement.");
        rec(rc, RPT_WARN, "Measure performance with a performance run: --mode performance.");
        return;
    }
    if (r->valid) {
        check(v, RPT_CHECK_VALIDITY, RPT_PASS, "The LoadGen judged the run VALID (%s = %s).",
              r->metric_name, m);
        return;
    }
    char reasons[RPT_TEXT_MAX] = "";
    for (unsigned f = 1; f <= LG_INVALID_LAST; f <<= 1)
        if (r->invalid_reasons & f) {
            size_t len = strlen(reasons);
            char why[320], errs[200];
            /* Token errors by count: the core's text lists every kind there is. */
            if (f == LG_INVALID_TOKEN_ERRORS &&
                rpt__token_errors_text(&r->tokens, errs, sizeof errs))
                snprintf(why, sizeof why, "the SUT's token reports were wrong (%s)", errs);
            else
                lg_invalid_reason_describe(r, f, why, sizeof why);
            snprintf(reasons + len, sizeof reasons - len, "%s%s", len ? "; " : "", why);
        }
    check(v, RPT_CHECK_VALIDITY, RPT_FAIL, "The LoadGen judged the run INVALID: %s.",
          reasons[0] ? reasons : "no reason recorded");
    unsigned f = r->invalid_reasons;
    if (f & LG_INVALID_QSL_FAILURE) {
        /* Nothing was issued: the other reasons only restate that. */
        rec(rc, RPT_FAIL, "The QSL failed to load its samples, so nothing was measured: fix "
            "the QSL first (its code is in mlperf_log_detail.txt).");
        return;
    }
    if (f & LG_INVALID_OUT_OF_MEMORY)
        rec(rc, RPT_FAIL, "Memory ran out during the run (%llu samples recorded, %llu "
            "responses not kept for the accuracy log): free memory, or bound the run with "
            "--max-query-count or a shorter --min-duration-ms.",
            (unsigned long long)r->samples_issued,
            (unsigned long long)r->accuracy_samples_dropped);
    if (f & (LG_INVALID_FAILED_SAMPLES | LG_INVALID_TIMED_OUT | LG_INVALID_COMPLETION_ERRORS))
        rec(rc, RPT_FAIL,
            "Fix the SUT first: %llu samples failed, %llu timed out, %llu duplicate and %llu "
            "unknown completions (docs/failures.md); no figure of this run can be trusted.",
            (unsigned long long)r->samples_failed, (unsigned long long)r->samples_timed_out,
            (unsigned long long)r->duplicate_completions,
            (unsigned long long)r->unknown_completions);
    if (f & LG_INVALID_ABORTED)
        rec(rc, RPT_FAIL, "The run was stopped early (Ctrl-C or lg_abort): run it again to the "
            "end.");
    if (f & LG_INVALID_MAX_LIMIT)
        rec(rc, RPT_FAIL, "The run hit a maximum: raise or remove --max-query-count (now %llu) "
            "and --max-duration-ms (now %llu).", (unsigned long long)in->max_query_count,
            (unsigned long long)in->max_duration_ms);
    /* Over the bound at the target percentile: an overload, which only a lower load
     * fixes. Within it, the failed or timed-out samples (which count as over the bound)
     * made the run INVALID, and "Fix the SUT first" above says so. */
    token_recs(in, rc);
    if ((f & LG_INVALID_PERF_CONSTRAINT) && !r->tokens.mlperf && run_overloaded(in)) {
        char p99[32], bound[32];
        lg_format_ns((double)r->latency.target_ns, p99, sizeof p99);
        lg_format_ns((double)in->target_latency_ns, bound, sizeof bound);
        rec(rc, RPT_FAIL,
            "The SUT cannot hold the latency bound at this rate (%s %s > %s at %.0f "
            "queries/s): lower --target-qps (try %.0f) or raise --target-latency-ms. "
            "Running longer does not help an overloaded SUT.",
            stats_percentile_label(in->target_latency_percentile).s, p99, bound, in->target_qps,
            floor(in->target_qps * 0.8));
    }
    if (f & LG_INVALID_MIN_DURATION) {
        if (r->scenario == LG_OFFLINE)
            rec(rc, RPT_FAIL,
                "Offline sizes its one query from the expected rate and the SUT finished it "
                "in %.0f ms of the %llu ms required: raise --target-qps to the measured "
                "%.0f samples/s or more.", (double)r->duration_ns / 1e6,
                (unsigned long long)in->min_duration_ms, r->samples_per_sec);
        else
            rec(rc, RPT_FAIL, "The run ended before --min-duration-ms %llu: see the other "
                "reasons.", (unsigned long long)in->min_duration_ms);
    }
    if (f & LG_INVALID_MIN_QUERIES)
        rec_longer(rc, RPT_FAIL,
            "The run issued %llu of the required %llu queries: run longer, "
            "--min-duration-ms %llu at the measured %.0f queries/s.",
            (unsigned long long)r->queries_issued, (unsigned long long)in->min_query_count,
            duration_for((double)in->min_query_count, rate, in->min_duration_ms), rate);
    if (f & LG_INVALID_EARLY_STOPPING) {
        const lg_early_stopping *es = &r->early_stopping;
        double need = r->scenario == LG_SERVER
                          ? (double)(r->queries_issued + es->more_queries_needed)
                          : (double)es->min_queries;
        rec_longer(rc, RPT_FAIL,
            "Early stopping needs %.0f queries for the %s and the run had %llu: run longer, "
            "--min-duration-ms %llu at the measured %.0f queries/s.", need,
            stats_percentile_label(es->percentile).s, (unsigned long long)r->queries_issued,
            duration_for(need, rate, in->min_duration_ms), rate);
    }
}

/* An HTTP run whose client warned that it may be the limit (docs/http.md, "Client
 * health"): the validity finding says so, and a VALID run is then only usable with
 * caveats, since its figures may be the client's rather than the server's. */
static void check_client(const rpt_run_info *in, rpt_validation *v, recs *rc)
{
    const rpt_client_info *c = &in->client;
    if (!c->present || !c->n_warnings)
        return;
    char what[RPT_TEXT_MAX] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->n_warnings && used < sizeof what; i++)
        used += (size_t)snprintf(what + used, sizeof what - used, "%s%s", i ? "; " : "",
                                 c->warnings[i]);
    /* Appended to the finding, cut at its size as every finding is. */
    char add[RPT_TEXT_MAX + 64];
    snprintf(add, sizeof add, " The client may be limiting this result: %s.", what);
    char *f = v->checks[RPT_CHECK_VALIDITY].finding;
    size_t len = strlen(f), n = strlen(add);
    if (n > RPT_TEXT_MAX - 1 - len)
        n = RPT_TEXT_MAX - 1 - len;
    memcpy(f + len, add, n);
    f[len + n] = '\0';
    if (v->checks[RPT_CHECK_VALIDITY].status == RPT_PASS)
        v->checks[RPT_CHECK_VALIDITY].status = RPT_WARN;
    rec(rc, RPT_WARN, "The client may be limiting this result: %s. Act on the warning "
        "(docs/http.md, \"Client health\") and run again before trusting the figures as "
        "the server's.", c->warnings[0]);
}

/* A distributed run (docs/distributed.md): the validity finding says it is never
 * MLPerf-valid, whatever the LoadGen's VALID over the merged samples, and an incomplete
 * one names the first rank missing from the merge. */
static void check_distributed(const rpt_run_info *in, rpt_validation *v, recs *rc)
{
    const rpt_distributed_info *di = &in->distributed;
    if (!di->present)
        return;
    char add[RPT_TEXT_MAX];
    snprintf(add, sizeof add, " A distributed run (%u rank%s on %u host%s, %s): not "
             "MLPerf-valid, since MLPerf's rules allow one LoadGen per submission.", di->ranks,
             di->ranks == 1 ? "" : "s", di->hosts, di->hosts == 1 ? "" : "s",
             di->complete ? "complete" : "INCOMPLETE");
    char *f = v->checks[RPT_CHECK_VALIDITY].finding;
    size_t len = strlen(f), n = strlen(add);
    if (n > RPT_TEXT_MAX - 1 - len)
        n = RPT_TEXT_MAX - 1 - len;
    memcpy(f + len, add, n);
    f[len + n] = '\0';
    for (size_t i = 0; i < di->n_per_rank && !di->complete; i++) {
        const rpt_rank_info *k = &di->per_rank[i];
        if (!k->reported || k->status) {
            if (v->checks[RPT_CHECK_VALIDITY].status != RPT_FAIL)
                v->checks[RPT_CHECK_VALIDITY].status = RPT_FAIL;
            rec(rc, RPT_FAIL, "Rank %d %s, so the merged figures miss its share: fix it "
                "(its messages are in mpirun's output, its share in rank-%d/) and run again.",
                k->rank, k->reported ? "ran its share with errors" : "did not report",
                k->rank);
            break;
        }
    }
    rec(rc, RPT_WARN, "For an MLPerf submission, run one LoadGen on one machine: a "
        "distributed run is never MLPerf-valid (docs/distributed.md).");
}

static void check_sample_size(const rpt_run_info *in, rpt_validation *v, recs *rc,
                              double rate)
{
    char pw[32];
    pct_word(v->percentile, pw, sizeof pw);
    if (v->scenario == LG_OFFLINE) {
        check(v, RPT_CHECK_SAMPLE_SIZE, RPT_SKIP,
              "Offline's metric is throughput; no percentile sample size applies.");
        return;
    }
    const stats_sample_sizes_result *s = &v->sizes;
    uint64_t n = v->latencies;
    const char *what = v->per_query ? "queries" : "samples";
    if (v->scenario == LG_SERVER) {
        /* Server's early stopping has a fixed bound: it needs h(t) + t queries for the t
         * over the bound, which the LoadGen has checked (the validity check). */
        const lg_early_stopping *es = &in->results.early_stopping;
        if (in->results.queries_issued < es->min_queries) {
            check(v, RPT_CHECK_SAMPLE_SIZE, RPT_FAIL,
                  "%llu queries, fewer than the %llu that Server's early stopping needs with "
                  "%llu over the latency bound.", (unsigned long long)in->results.queries_issued,
                  (unsigned long long)es->min_queries, (unsigned long long)es->overlatency);
        } else if (n < s->classic) {
            /* Early stopping is the test MLPerf applies; the classic rule is shown for
             * information only (docs/reports.md), not as a caveat. */
            check(v, RPT_CHECK_SAMPLE_SIZE, RPT_PASS,
                  "%llu successful samples: enough for Server's early stopping (%llu with %llu "
                  "over the bound). Note: the classic rule would want %llu (MLPerf rounded "
                  "it to %llu, --min-duration-ms %llu at the measured %.0f queries/s) to put "
                  "the share below the %s within +-%.2g points of %s%% at 99%% confidence; "
                  "information, not a caveat.",
                  (unsigned long long)n, (unsigned long long)es->min_queries,
                  (unsigned long long)es->overlatency, (unsigned long long)s->classic,
                  (unsigned long long)s->mlperf_rounded,
                  duration_for((double)s->classic, rate, in->min_duration_ms), rate, pw,
                  s->margin * 100, stats_percentile_label(v->percentile).s + 1);
        } else {
            check(v, RPT_CHECK_SAMPLE_SIZE, RPT_PASS,
                  "%llu successful samples: at least the classic rule's %llu for the %s.",
                  (unsigned long long)n, (unsigned long long)s->classic, pw);
        }
        return;
    }
    if (n < s->early_stopping_min) {
        check(v, RPT_CHECK_SAMPLE_SIZE, RPT_FAIL,
              "%llu successful %s, fewer than the %llu that early stopping needs before any "
              "%s can be claimed at 99%% confidence.", (unsigned long long)n, what,
              (unsigned long long)s->early_stopping_min, pw);
        /* The validity check already says this when early stopping made it INVALID. */
        if (!(in->results.invalid_reasons & LG_INVALID_EARLY_STOPPING))
            rec_longer(rc, RPT_FAIL, "Run longer: at least %llu queries are needed for a %s; "
                "--min-duration-ms %llu at the measured %.0f queries/s.",
                (unsigned long long)s->early_stopping_min, pw,
                duration_for((double)s->early_stopping_min, rate, in->min_duration_ms), rate);
    } else if (n < s->classic) {
        check(v, RPT_CHECK_SAMPLE_SIZE, RPT_PASS,
              "%llu successful %s: enough for early stopping (%llu). Note: the classic rule "
              "would want %llu (MLPerf rounded it to %llu, --min-duration-ms %llu at the "
              "measured %.0f queries/s) to put the share below the %s within +-%.2g points "
              "of %s%% at 99%% confidence; information, not a caveat.",
              (unsigned long long)n, what, (unsigned long long)s->early_stopping_min,
              (unsigned long long)s->classic, (unsigned long long)s->mlperf_rounded,
              duration_for((double)s->classic, rate, in->min_duration_ms), rate, pw,
              s->margin * 100, stats_percentile_label(v->percentile).s + 1);
    } else {
        check(v, RPT_CHECK_SAMPLE_SIZE, RPT_PASS,
              "%llu successful %s: at least the classic rule's %llu for the %s (early "
              "stopping needs %llu).", (unsigned long long)n, what,
              (unsigned long long)s->classic, pw, (unsigned long long)s->early_stopping_min);
    }
}

/* Chooses the bootstrap block from the autocorrelation (docs/reports.md). */
static size_t choose_block(const double *x, size_t n, size_t *lag_found)
{
    double mean = stats_mean(x, n), var = 0;
    for (size_t i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    var /= (double)n;
    size_t cube = (size_t)llround(cbrt((double)n)), cap = n / 20 ? n / 20 : 1;
    *lag_found = 0;
    for (size_t lag = 1; lag <= n / 10; lag *= 2)
        if (acf(x, n, mean, var, lag) < 0.05) {
            *lag_found = lag;
            break;
        }
    size_t b = *lag_found ? 4 * *lag_found : cap;
    if (b < cube)
        b = cube;
    if (b > cap)
        b = cap;
    return b ? b : 1;
}

/* Above this many latencies the bootstrap runs on every k-th one (see below). */
#define THIN_MAX 100000

static int latency_intervals(const double *all, const double *sorted, size_t n_all,
                             const rpt_validate_opts *o, rpt_validation *v)
{
    /* A long run (millions of samples) would take minutes to resample. The interval is
     * then computed on every k-th latency in issue order (m of n, which keeps the
     * series' order and its dependence at lag k), and its half-widths are scaled by
     * sqrt(m / n) around the exact percentile of all n: for weakly dependent data the
     * width of a quantile's interval falls as one over the square root of the count. */
    const double *lat = all;
    size_t n = n_all, k = 1;
    double *thin = NULL, scale = 1.0;
    if (n_all > THIN_MAX) {
        k = (n_all + THIN_MAX - 1) / THIN_MAX;
        n = n_all / k;
        thin = malloc(n * sizeof *thin);
        if (!thin)
            return LG_ENOMEM;
        for (size_t i = 0; i < n; i++)
            thin[i] = all[i * k];
        lat = thin;
        scale = sqrt((double)n / (double)n_all);
    }
    size_t lag;
    size_t block = choose_block(lat, n, &lag);
    if (o->block_len)
        block = o->block_len < n ? o->block_len : n;
    size_t B = o->resamples;
    if ((double)B * (double)n > 2e7) {
        B = (size_t)(2e7 / (double)n);
        if (B < 200)
            B = 200;
    }
    /* p50, p90, p99 and the target percentile (when it is none of them), ascending;
     * one resampling serves them all. */
    pct_ctx ctx = {.k = 3, .p = {0.50, 0.90, 0.99}, .scratch = malloc(n * sizeof(double))};
    if (!ctx.scratch) {
        free(thin);
        return LG_ENOMEM;
    }
    double t = v->percentile;
    if (t != 0.50 && t != 0.90 && t != 0.99) {
        size_t at = 0;
        while (at < 3 && ctx.p[at] < t)
            at++;
        memmove(ctx.p + at + 1, ctx.p + at, (3 - at) * sizeof *ctx.p);
        ctx.p[at] = t;
        ctx.k = 4;
    }
    stats_boot_opts bo = {.resamples = B, .confidence = o->confidence,
                          .method = STATS_BOOT_PERCENTILE, .seed = o->seed};
    stats_boot_result br[4];
    int rc = stats_block_bootstrap_ci_vec(lat, n, block, ctx.k, stat_mlperf_pcts, &ctx, &bo, br);
    free(ctx.scratch);
    free(thin);
    if (rc)
        return rc == -ENOMEM ? LG_ENOMEM : LG_EINVAL;
    char widened[64] = "";
    for (size_t j = 0; j < ctx.k; j++) {
        if (k > 1) {
            double exact = rpt__percentile_sorted(sorted, n_all, ctx.p[j]);
            br[j].lo = exact - (br[j].estimate - br[j].lo) * scale;
            br[j].hi = exact + (br[j].hi - br[j].estimate) * scale;
            br[j].estimate = exact;
        }
        rpt_interval iv = {br[j].estimate, br[j].lo, br[j].hi};
        if (rpt__interval_cover(&iv)) {
            size_t used = strlen(widened);
            snprintf(widened + used, sizeof widened - used, "%s%s", used ? ", " : "",
                     stats_percentile_label(ctx.p[j]).s);
        }
        double p = ctx.p[j];
        if (p == 0.50)
            v->p50_ns = iv;
        else if (p == 0.90)
            v->p90_ns = iv;
        else if (p == 0.99)
            v->p99_ns = iv;
        if (p == t)
            v->target_ns = iv;
    }
    v->latency_ci = true;
    v->block_len = block;
    v->resamples = B;
    v->correlation_lag = lag;
    if (lag)
        snprintf(v->latency_method, sizeof v->latency_method,
                 "moving-block bootstrap of the %s latencies in issue order: blocks of %zu, "
                 "%zu resamples, percentile interval; the autocorrelation falls below 0.05 "
                 "at lag %zu", v->per_query ? "per-query" : "per-sample", block, B, lag);
    else
        snprintf(v->latency_method, sizeof v->latency_method,
                 "moving-block bootstrap of the %s latencies in issue order: blocks of %zu "
                 "(n/20: the autocorrelation stays above 0.05 up to lag n/10, so the interval "
                 "may still be too narrow), %zu resamples, percentile interval",
                 v->per_query ? "per-query" : "per-sample", block, B);
    if (thin) {
        size_t used = strlen(v->latency_method);
        snprintf(v->latency_method + used, sizeof v->latency_method - used,
                 "; run on every %zu-th latency (%zu of %zu) with the half-widths scaled by "
                 "sqrt(%zu/%zu) around the exact percentiles", k, n, n_all, n, n_all);
    }
    if (widened[0]) {
        size_t used = strlen(v->latency_method);
        snprintf(v->latency_method + used, sizeof v->latency_method - used,
                 "; the series trends (later latencies differ from earlier ones), so the "
                 "resamples missed the %s estimate: its interval was widened to reach it",
                 widened);
    }
    return 0;
}

bool rpt__interval_cover(rpt_interval *iv)
{
    if (!(iv->estimate < iv->lo || iv->estimate > iv->hi))
        return false;
    if (iv->estimate < iv->lo)
        iv->lo = iv->estimate;
    else
        iv->hi = iv->estimate;
    return true;
}

int rpt__latency_intervals(const double *lat, const double *sorted, size_t n,
                           const rpt_validate_opts *o, rpt_validation *v)
{
    return latency_intervals(lat, sorted, n, o, v);
}

/* latency_intervals() as a thread's work. */
typedef struct interval_job {
    const double *lat, *sorted;
    size_t n;
    const rpt_validate_opts *o;
    rpt_validation *v;
    int rc;
} interval_job;

static void *interval_worker(void *arg)
{
    interval_job *j = arg;
    j->rc = latency_intervals(j->lat, j->sorted, j->n, j->o, j->v);
    return NULL;
}

static int throughput_interval(const rpt_run *run, const rpt_validate_opts *o,
                               rpt_validation *v)
{
    int64_t end = rpt__run_end_ns(run);
    size_t done = 0;
    for (size_t i = 0; i < run->n_samples; i++)
        done += rpt__sample_ok(&run->samples[i]);
    unsigned w = o->throughput_windows;
    if (done < 40 || end <= 0)
        return 0;
    if (w > done / 5)
        w = (unsigned)(done / 5);
    double *rate = calloc(w, sizeof *rate);
    if (!rate)
        return LG_ENOMEM;
    double width = (double)end / w;
    rpt__completion_counts(run, width, w, rate);
    for (unsigned k = 0; k < w; k++)
        rate[k] /= width / 1e9;
    stats_ci ci;
    int rc = stats_ci_mean_t(rate, w, o->confidence, &ci);
    free(rate);
    if (rc)
        return 0;
    v->throughput_ci = true;
    v->throughput = (rpt_interval){ci.estimate, ci.lo, ci.hi};
    v->throughput_windows = w;
    char wt[LG_FORMAT_NS_MAX];
    lg_format_ns(width, wt, sizeof wt);
    snprintf(v->throughput_method, sizeof v->throughput_method,
             "batch means: completions counted in %u equal time windows of %s from the "
             "start to the last completion, t interval over the %u window rates", w, wt, w);
    return 0;
}

static void check_precision(rpt_validation *v, recs *rc, const rpt_run_info *in)
{
    if (!v->throughput_ci && !v->latency_ci) {
        check(v, RPT_CHECK_PRECISION, RPT_SKIP, "No intervals: too few samples or no "
              "samples.bin.");
        return;
    }
    double lat_hw = NAN, tp_hw = NAN;
    if (v->latency_ci && v->scenario != LG_OFFLINE && v->target_ns.estimate > 0)
        lat_hw = (v->target_ns.hi - v->target_ns.lo) / 2 / v->target_ns.estimate;
    if (v->throughput_ci && v->throughput.estimate > 0)
        tp_hw = (v->throughput.hi - v->throughput.lo) / 2 / v->throughput.estimate;
    bool bad_lat = lat_hw > 0.10, bad_tp = tp_hw > 0.05;
    char pw[32], lt[64] = "", tt[64] = "";
    pct_word(v->percentile, pw, sizeof pw);
    if (isfinite(lat_hw))
        snprintf(lt, sizeof lt, "the %s is known to +-%.1f%%", pw, lat_hw * 100);
    if (isfinite(tp_hw))
        snprintf(tt, sizeof tt, "%s to +-%.1f%%",
                 lt[0] ? ", the throughput" : "the throughput is known", tp_hw * 100);
    if (bad_lat || bad_tp) {
        check(v, RPT_CHECK_PRECISION, RPT_WARN,
              "At %.0f%% confidence %s%s (aims: latency +-10%%, throughput +-5%%).",
              v->confidence * 100, lt, tt);
        double worst = fmax(bad_lat ? lat_hw / 0.10 : 0, bad_tp ? tp_hw / 0.05 : 0);
        double ms = v->duration_ms * worst * worst;
        unsigned long long want = (unsigned long long)(ceil(ms / 1000.0) * 1000.0);
        if (want < in->min_duration_ms)
            want = in->min_duration_ms;
        rec_longer(rc, RPT_WARN, "Run longer to narrow the intervals (their width shrinks with the "
            "square root of the run length): --min-duration-ms %llu.", want);
    } else {
        check(v, RPT_CHECK_PRECISION, RPT_PASS, "At %.0f%% confidence %s%s.",
              v->confidence * 100, lt, tt);
    }
}

static void check_outliers(rpt_validation *v, recs *rc, const double *sorted, size_t n)
{
    if (v->scenario == LG_OFFLINE || n < 4) {
        check(v, RPT_CHECK_OUTLIERS, RPT_SKIP, v->scenario == LG_OFFLINE
              ? "Offline latencies are completion times since the start; outliers do not "
                "apply." : "Too few latencies.");
        return;
    }
    if (stats_outliers_sorted(sorted, n, &v->outliers)) {
        check(v, RPT_CHECK_OUTLIERS, RPT_SKIP, "Could not count outliers.");
        return;
    }
    v->outliers_done = true;
    const stats_outliers_result *o = &v->outliers;
    char fence[32];
    lg_format_ns(o->high_severe_fence, fence, sizeof fence);
    double share = (double)o->high_severe / (double)n;
    const char *fmt = "Tukey: %zu mild and %zu severe high outliers (above %s), %zu low; "
                      "MAD z-score: %zu high, %zu low. Counted, not removed.";
    if (share > 0.02) {
        check(v, RPT_CHECK_OUTLIERS, RPT_WARN, fmt, o->high_mild, o->high_severe, fence,
              o->low_mild + o->low_severe, o->mad_high, o->mad_low);
        rec(rc, RPT_WARN,
            "%.1f%% of the latencies are severe outliers (above %s): stalls or interference. "
            "samples.bin shows when they happened; rerun on a quiet machine.",
            share * 100, fence);
    } else {
        check(v, RPT_CHECK_OUTLIERS, RPT_PASS, fmt, o->high_mild, o->high_severe, fence,
              o->low_mild + o->low_severe, o->mad_high, o->mad_low);
    }
}

/* The span of the time axis: windows run from 0 to this. */
static double axis_end(const double *at, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (at[i] > m)
            m = at[i];
    return m;
}

/* The windows of a series for the warm-up check (stats/ finds them): runs of the series
 * when its times are ordered, *buf then room for the largest window (the medians copy
 * one window at a time); else grouped by a pass, the latencies into *buf (*grouped =
 * *buf), or, without values (rates), counted only. Returns 0 or LG_ENOMEM. */
static int series_windows(const rpt__series *ser, bool values, double width, unsigned W,
                          size_t *off, double **buf, const double **grouped)
{
    if (ser->at_ordered) {
        stats_window_runs(ser->at, ser->n, width, W, off);
        size_t most = 0;
        for (unsigned k = 0; k < W; k++)
            most = off[k + 1] - off[k] > most ? off[k + 1] - off[k] : most;
        *buf = malloc((most ? most : 1) * sizeof **buf);
        return *buf ? 0 : LG_ENOMEM;
    }
    if (!values)
        return stats_window_group(ser->at, NULL, ser->n, width, W, off, NULL), 0;
    if (!(*buf = malloc((ser->n ? ser->n : 1) * sizeof **buf)))
        return LG_ENOMEM;
    stats_window_group(ser->at, ser->lat, ser->n, width, W, off, *buf);
    *grouped = *buf;
    return 0;
}

/* The latencies of the last k of S windows of width lw (bounds wo, tot values in all),
 * window by window: window j at pool + wo[j] - wo[S - k]; a copy of the end of the series
 * when its times are ordered. NULL when out of memory. */
static double *last_windows(const rpt__series *ser, double lw, unsigned S, unsigned k,
                            const size_t *wo, size_t tot)
{
    double *pool = malloc((tot ? tot : 1) * sizeof *pool);
    if (!pool)
        return NULL;
    size_t base = wo[S - k];
    if (ser->at_ordered) {
        memcpy(pool, ser->lat + base, tot * sizeof *pool);
        return pool;
    }
    size_t fill[256];
    for (unsigned j = S - k; j < S; j++)
        fill[j] = wo[j] - base;
    for (size_t i = 0; i < ser->n; i++) {
        size_t w = stats_window_of(ser->at[i], lw, S);
        if (w >= S - k)
            pool[fill[w]++] = ser->lat[i];
    }
    return pool;
}

static int check_warmup(const rpt_run *run, const rpt__series *ser,
                        const rpt_validate_opts *o, rpt_validation *v, recs *rc)
{
    const double *lat = ser->lat, *at = ser->at;
    size_t n = ser->n;
    unsigned W = o->warmup_windows;
    if (n < 5u * W)
        W = (unsigned)(n / 5 / 10 * 10);
    unsigned warm = (unsigned)lround(W * o->warmup_fraction);
    bool use_lat = v->scenario != LG_OFFLINE;
    double end = use_lat ? axis_end(at, n) : (double)rpt__run_end_ns(run);
    if (W < 20 || warm < 2 || W - warm < 5 || end <= 0) {
        check(v, RPT_CHECK_WARMUP, RPT_SKIP,
              "Too few latencies (%zu) for a warm-up check: it needs at least 100.", n);
        return 0;
    }
    double width = end / W;
    size_t *off = malloc((W + 1) * sizeof *off), *cnt = malloc(W * sizeof *cnt);
    double *warm_v = malloc(W * sizeof *warm_v), *rest_v = malloc(W * sizeof *rest_v);
    double *buf = NULL;
    const double *grouped = NULL;
    int ret = LG_ENOMEM;
    if (!off || !cnt || !warm_v || !rest_v ||
        series_windows(ser, use_lat, width, W, off, &buf, &grouped))
        goto out;
    for (unsigned k = 0; k < W; k++)
        cnt[k] = off[k + 1] - off[k];
    /* One value per window: the median latency of the queries scheduled in it, or
     * (Offline) the completion rate. Empty latency windows are left out. */
    unsigned nw = 0, nr = 0;
    for (unsigned k = 0; k < W; k++) {
        double x;
        if (use_lat) {
            if (!cnt[k])
                continue;
            double *win = buf;
            if (grouped)
                win = buf + off[k];
            else
                memcpy(win, lat + off[k], cnt[k] * sizeof *win);
            x = median_of(win, cnt[k]);
        } else {
            x = (double)cnt[k] / (width / 1e9);
        }
        if (k < warm)
            warm_v[nw++] = x;
        else
            rest_v[nr++] = x;
    }
    ret = 0;
    v->warmup.latency = use_lat;
    v->warmup.warm_windows = nw;
    v->warmup.rest_windows = nr;
    v->warmup.window_ms = width / 1e6;
    if (nw < 2 || nr < 5) {
        check(v, RPT_CHECK_WARMUP, RPT_SKIP, "Too few non-empty windows for a warm-up check.");
        goto out;
    }
    stats_mwu_result mw;
    if (stats_mann_whitney(warm_v, nw, rest_v, nr, STATS_MWU_AUTO, &mw)) {
        check(v, RPT_CHECK_WARMUP, RPT_SKIP, "The warm-up test could not be computed.");
        goto out;
    }
    v->warmup.warm_median = median_of(warm_v, nw);
    v->warmup.rest_median = median_of(rest_v, nr);
    v->warmup.change = v->warmup.rest_median != 0
                           ? v->warmup.warm_median / v->warmup.rest_median - 1 : 0;
    v->warmup.p = mw.p;
    double warm_ms = warm * width / 1e6, ch = v->warmup.change, tol = o->warmup_tolerance;
    bool sig = mw.p < o->alpha;
    char a[32], b[32], pbuf[16], wt[LG_FORMAT_NS_MAX];
    lg_format_ns(width, wt, sizeof wt);
    rpt_format_value(a, sizeof a, v->warmup.warm_median, use_lat ? "ns" : "1/s");
    rpt_format_value(b, sizeof b, v->warmup.rest_median, use_lat ? "ns" : "1/s");
    rpt_format_p(pbuf, sizeof pbuf, mw.p);
    /* For latency a higher warm-up value is the slow start; for throughput a lower one. */
    bool slow_start = sig && (use_lat ? ch > tol : ch < -tol);
    bool slow_end = sig && (use_lat ? ch < -tol : ch > tol);
    const char *what = use_lat ? "median latency" : "throughput";
    if (slow_start) {
        check(v, RPT_CHECK_WARMUP, RPT_WARN,
              "Warm-up detected: in the first %.0f ms (%u windows of %s) the %s was %s "
              "against %s in the rest (%+.0f%%; Mann-Whitney p %s).", warm_ms, nw, wt, what,
              a, b, ch * 100, pbuf);
        rec_longer(rc, RPT_WARN,
            "Discard warm-up: the first %.0f ms ran slower. Warm the SUT up before timing "
            "starts with --warmup-ms %llu, or run long enough that it weighs little: "
            "--min-duration-ms %llu.", warm_ms,
            (unsigned long long)(ceil(warm_ms * 2 / 100.0) * 100.0),
            (unsigned long long)(ceil(warm_ms * 20 / 1000.0) * 1000.0));
    } else if (slow_end) {
        check(v, RPT_CHECK_WARMUP, RPT_WARN,
              "Slow-down: in the first %.0f ms the %s was %s against %s in the rest (%+.0f%%; "
              "Mann-Whitney p %s). A run starts with empty queues, so its start is faster "
              "than steady state; a large gap means the system also slowed down as the run "
              "went on.", warm_ms, what, a, b, ch * 100, pbuf);
        rec_longer(rc, RPT_WARN,
            "The start of the run is not steady state: run long enough that it weighs little "
            "(--min-duration-ms %llu) and look for throttling or memory growth%s.",
            (unsigned long long)(ceil(warm_ms * 20 / 1000.0) * 1000.0),
            v->scenario == LG_SERVER ? "; if the queue keeps growing, lower --target-qps" : "");
    } else {
        check(v, RPT_CHECK_WARMUP, RPT_PASS,
              "No warm-up: the first %.0f ms (%s %s) do not differ from the rest (%s) by more "
              "than %.0f%% with Mann-Whitney p < %g (p %s).", warm_ms, what, a, b, tol * 100,
              o->alpha, pbuf);
    }
out:
    free(cnt);
    free(off);
    free(buf);
    free(warm_v);
    free(rest_v);
    return ret;
}

static int check_stability(const rpt_run *run, const rpt__series *ser,
                           const rpt_validate_opts *o, rpt_validation *v, recs *rc,
                           const rpt_run_info *in)
{
    const double *at = ser->at;
    size_t n = ser->n;
    bool ordered = ser->at_ordered;
    unsigned S = o->stability_windows, k = o->stability_last;
    double tol = o->stability_tolerance;
    int64_t end = rpt__run_end_ns(run);
    v->stability.windows = S;
    v->stability.last = k;
    v->stability.tolerance = tol;
    if (end <= 0 || n < 20) {
        check(v, RPT_CHECK_STABILITY, RPT_SKIP, "Too few samples for a stability check.");
        return 0;
    }
    /* Throughput: completions in the last k of S windows of [0, last completion]. */
    double width = (double)end / S;
    v->stability.window_ms = width / 1e6;
    double cnt[256];
    rpt__completion_counts(run, width, S, cnt);
    double mean = 0, dev = 0;
    for (unsigned j = S - k; j < S; j++)
        mean += cnt[j];
    mean /= k;
    for (unsigned j = S - k; j < S; j++)
        dev = fmax(dev, mean > 0 ? fabs(cnt[j] - mean) / mean : 1.0);
    v->stability.throughput_mean = mean / (width / 1e9);
    v->stability.throughput_dev = dev;
    /* A window of c completions has counting noise of about sqrt(c): a deviation below
     * three times that is not evidence of instability. */
    v->stability.throughput_floor = mean > 0 ? 3.0 / sqrt(mean) : 1.0;
    double tp_allow = fmax(tol, v->stability.throughput_floor);
    double excess = dev / tp_allow;

    /* Latency: the percentile the windows can resolve, per window of [0, last scheduled]. */
    char latbuf[200] = "";
    if (v->scenario != LG_OFFLINE) {
        double lend = axis_end(at, n), lw = lend / S;
        size_t m = SIZE_MAX, tot = 0;
        size_t wo[257] = {0}; /* window j: [wo[j], wo[j + 1]) of the series or grouping */
        if (lw > 0 && ordered)
            stats_window_runs(at, n, lw, S, wo);
        else if (lw > 0)
            stats_window_group(at, NULL, n, lw, S, wo, NULL);
        for (unsigned j = S - k; j < S; j++) {
            m = wo[j + 1] - wo[j] < m ? wo[j + 1] - wo[j] : m;
            tot += wo[j + 1] - wo[j];
        }
        double ps = m >= 1000 ? 0.99 : m >= 100 ? 0.90 : m >= 20 ? 0.50 : 0;
        double *pool = ps > 0 ? last_windows(ser, lw, S, k, wo, tot) : NULL;
        if (ps > 0 && !pool)
            return LG_ENOMEM;
        if (ps > 0) {
            size_t base = wo[S - k];
            double vals[256], lmean = 0, ldev = 0;
            for (unsigned j = S - k; j < S; j++) {
                size_t nw = wo[j + 1] - wo[j];
                vals[j] = stats_select_f64(pool + (wo[j] - base), nw,
                                           stats_percentile_mlperf_index(nw, ps));
                lmean += vals[j];
            }
            lmean /= k;
            for (unsigned j = S - k; j < S; j++)
                ldev = fmax(ldev, lmean > 0 ? fabs(vals[j] - lmean) / lmean : 0);
            /* The order-statistic band of the percentile for m values: ranks
             * p +- 3 sqrt(p (1 - p) / m), read off the pooled windows. */
            size_t np = tot;
            double h = 3.0 * sqrt(ps * (1 - ps) / (double)m);
            double qlo = quantile_select(pool, np, fmax(0, ps - h));
            double qhi = quantile_select(pool, np, fmin(1, ps + h));
            double qmid = quantile_select(pool, np, ps);
            v->stability.latency = true;
            v->stability.latency_percentile = ps;
            v->stability.latency_mean = lmean;
            v->stability.latency_dev = ldev;
            v->stability.latency_floor = qmid > 0 ? (qhi - qlo) / 2 / qmid : 0;
            double lat_allow = fmax(tol, v->stability.latency_floor);
            excess = fmax(excess, ldev / lat_allow);
            char lm[32];
            lg_format_ns(lmean, lm, sizeof lm);
            snprintf(latbuf, sizeof latbuf, "; %s latency %s, deviation %.1f%% (allowed "
                     "%.1f%%)", stats_percentile_label(ps).s, lm, ldev * 100, lat_allow * 100);
        } else {
            snprintf(latbuf, sizeof latbuf, "; latency not assessed (%zu latencies in the "
                     "smallest window, fewer than 20)", m == SIZE_MAX ? (size_t)0 : m);
        }
        free(pool);
    }
    char body[RPT_TEXT_MAX], wt[LG_FORMAT_NS_MAX];
    lg_format_ns(width, wt, sizeof wt);
    snprintf(body, sizeof body,
             "Last %u of %u windows of %s: throughput %.1f /s, deviation %.1f%% "
             "(allowed %.1f%%)%s.", k, S, wt, v->stability.throughput_mean, dev * 100,
             tp_allow * 100, latbuf);
    if (excess <= 1.0) {
        check(v, RPT_CHECK_STABILITY, RPT_PASS, "Stable. %s", body);
    } else {
        check(v, RPT_CHECK_STABILITY, excess > 2.0 ? RPT_FAIL : RPT_WARN,
              "Unstable: the last windows differ by more than allowed. %s", body);
        unsigned long long longer = in->min_duration_ms ? 2 * in->min_duration_ms
                                                        : (unsigned long long)(2 * v->duration_ms);
        if (v->scenario == LG_SERVER)
            rec_longer(rc, excess > 2.0 ? RPT_FAIL : RPT_WARN,
                "The end of the run is unstable: run longer (--min-duration-ms %llu) on a "
                "quiet machine; if latency grows window after window the SUT is overloaded: "
                "lower --target-qps (try %.0f).", longer, floor(in->target_qps * 0.8));
        else
            rec_longer(rc, excess > 2.0 ? RPT_FAIL : RPT_WARN,
                "The end of the run is unstable: run longer (--min-duration-ms %llu) and keep "
                "other load off the machine.", longer);
    }
    return 0;
}

/* ---------------------------------------------------------------- rpt_validate */

int rpt_validate(const rpt_run *run, const rpt_validate_opts *opts, rpt_validation *out)
{
    rpt_validate_opts o;
    if (opts)
        o = *opts;
    else
        rpt_validate_opts_default(&o);
    if (!run || !out || !(o.confidence > 0 && o.confidence < 1) || o.resamples < 100 ||
        o.throughput_windows < 2 || !(o.alpha > 0 && o.alpha < 1) ||
        !(o.warmup_fraction > 0 && o.warmup_fraction < 0.5) || o.warmup_windows < 20 ||
        o.warmup_windows > 1000 || !(o.warmup_tolerance >= 0) || o.stability_windows < 2 ||
        o.stability_windows > 256 || o.stability_last < 2 ||
        o.stability_last > o.stability_windows || !(o.stability_tolerance > 0))
        return LG_EINVAL;
    const rpt_run_info *in = &run->info;
    const lg_results *r = &in->results;
    rpt_validation *v = calloc(1, sizeof *v);
    if (!v)
        return LG_ENOMEM;
    recs *rc = calloc(1, sizeof *rc);
    rpt__series ser;
    int ret = LG_ENOMEM;
    if (!rc || rpt__run_series(run, in->has_samples, &ser))
        goto out;
    const double *lat = ser.lat;
    size_t n = ser.n;
    v->scenario = r->scenario;
    v->valid = r->valid;
    v->per_query = r->scenario == LG_MULTI_STREAM;
    v->queries = r->queries_issued;
    v->percentile = in->target_latency_percentile;
    v->duration_ms = (double)r->duration_ns / 1e6;
    v->confidence = o.confidence;
    v->latencies = in->has_samples ? n
                   : v->per_query ? (size_t)r->query_latency.count : (size_t)r->latency.count;
    for (int i = 0; i < RPT_CHECK_COUNT; i++)
        check(v, (rpt_check_id)i, RPT_SKIP,
              r->record_hdr ? "Not assessed: the run was recorded with record_hdr "
                              "(histograms, no samples.bin)."
                            : "Not assessed: the run has no samples.bin.");
    if (stats_sample_sizes(v->percentile, 0.99, &v->sizes)) {
        ret = LG_EINVAL;
        goto out;
    }
    v->early_stopping_needed = r->scenario == LG_OFFLINE ? 0
                               : r->scenario == LG_SERVER ? r->early_stopping.min_queries
                                                          : v->sizes.early_stopping_min;
    double secs = (double)r->duration_ns / 1e9;
    double rate = secs > 0 ? (double)r->queries_issued / secs : 0;

    check_validity(in, v, rc, rate);
    check_client(in, v, rc);
    check_distributed(in, v, rc);
    check_sample_size(in, v, rc, rate);
    if (in->has_samples) {
        /* Offline's latencies are completion times since the start: no percentile of
         * them means anything, so only its throughput gets an interval. On a long run
         * the latency intervals (the bootstrap) take a second thread while this one
         * runs the other checks: they write different fields of v, and their
         * recommendations go to a list of their own, appended after the precision
         * check's as if run in order. */
        interval_job job = {.lat = lat, .sorted = ser.sorted, .n = n, .o = &o, .v = v};
        bool want = n >= 20 && r->scenario != LG_OFFLINE;
        pthread_t th;
        bool threaded = want && n > THIN_MAX &&
                        pthread_create(&th, NULL, interval_worker, &job) == 0;
        if (want && !threaded)
            interval_worker(&job);
        recs *later = calloc(1, sizeof *later);
        ret = later ? throughput_interval(run, &o, v) : LG_ENOMEM;
        if (!ret) {
            check_outliers(v, later, ser.sorted, n);
            ret = check_warmup(run, &ser, &o, v, later);
        }
        if (!ret)
            ret = check_stability(run, &ser, &o, v, later, in);
        if (threaded)
            pthread_join(th, NULL);
        if (!ret && want)
            ret = job.rc;
        if (!ret) {
            check_precision(v, rc, in);
            rec_append(rc, later);
        }
        free(later);
        if (ret)
            goto out;
    } else if (r->record_hdr) {
        rec(rc, RPT_WARN, "Rerun without --record-hdr (exact recording, with samples.bin) "
            "so intervals, warm-up and stability can be checked and the run can be VALID.");
    } else {
        rec(rc, RPT_WARN, "Keep samples.bin (do not pass --no-samples-file) so intervals, "
            "warm-up and stability can be checked.");
    }
    /* The verdict: any failure -> not trustworthy; any caveat -> usable with caveats. */
    v->verdict = RPT_TRUSTWORTHY;
    for (int i = 0; i < RPT_CHECK_COUNT; i++) {
        if (v->checks[i].status == RPT_FAIL)
            v->verdict = RPT_NOT_TRUSTWORTHY;
        else if (v->checks[i].status == RPT_WARN && v->verdict == RPT_TRUSTWORTHY)
            v->verdict = RPT_USABLE_WITH_CAVEATS;
    }
    if (!in->has_samples && v->verdict == RPT_TRUSTWORTHY)
        v->verdict = RPT_USABLE_WITH_CAVEATS;
    /* Recommendations: failures first, then caveats, each in the order found; an
     * overloaded SUT gets no advice to run longer. */
    bool overloaded = run_overloaded(in);
    for (int sev = RPT_FAIL; sev >= RPT_WARN; sev--)
        for (size_t i = 0; i < rc->n; i++)
            if ((int)rc->sev[i] == sev && !(overloaded && rc->longer[i]) &&
                v->n_recommendations < RPT_RECS_MAX)
                memcpy(v->recommendations[v->n_recommendations++], rc->text[i], RPT_TEXT_MAX);
    *out = *v;
    ret = 0;
out:
    free(rc);
    free(v);
    return ret;
}

/* ---------------------------------------------------------------- JSON */

static json_t *jreal(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *interval_json(const rpt_interval *i)
{
    json_t *o = json_object();
    json_object_set_new(o, "estimate", jreal(i->estimate));
    json_object_set_new(o, "ci_low", jreal(i->lo));
    json_object_set_new(o, "ci_high", jreal(i->hi));
    return o;
}

int rpt_validation_json(const rpt_validation *v, const char *dir, char **out)
{
    if (!v || !out)
        return LG_EINVAL;
    json_t *root = json_object();
    if (!root)
        return LG_ENOMEM;
    json_object_set_new(root, "schema", json_string("loadgen-validate"));
    json_object_set_new(root, "schema_version", json_integer(1));
    json_object_set_new(root, "dir", json_string(dir ? dir : ""));
    json_object_set_new(root, "scenario", json_string(lg_scenario_name(v->scenario)));
    json_object_set_new(root, "verdict", json_string(rpt_verdict_name(v->verdict)));
    json_object_set_new(root, "valid", json_boolean(v->valid));
    json_object_set_new(root, "queries", json_integer((json_int_t)v->queries));
    json_object_set_new(root, "latencies", json_integer((json_int_t)v->latencies));
    json_object_set_new(root, "per_query", json_boolean(v->per_query));
    json_object_set_new(root, "percentile", json_real(v->percentile));
    json_object_set_new(root, "duration_ms", jreal(v->duration_ms));
    json_t *ss = json_object();
    json_object_set_new(ss, "confidence", json_real(v->sizes.confidence));
    json_object_set_new(ss, "classic", json_integer((json_int_t)v->sizes.classic));
    json_object_set_new(ss, "mlperf_rounded", json_integer((json_int_t)v->sizes.mlperf_rounded));
    json_object_set_new(ss, "early_stopping_min",
                        json_integer((json_int_t)v->sizes.early_stopping_min));
    json_object_set_new(ss, "margin", jreal(v->sizes.margin));
    json_object_set_new(ss, "early_stopping_needed",
                        json_integer((json_int_t)v->early_stopping_needed));
    json_object_set_new(root, "sample_sizes", ss);
    json_t *ci = json_object();
    json_object_set_new(ci, "confidence", json_real(v->confidence));
    if (v->latency_ci) {
        json_t *l = json_object();
        json_object_set_new(l, "method", json_string("moving_block_bootstrap"));
        json_object_set_new(l, "description", json_string(v->latency_method));
        json_object_set_new(l, "block_len", json_integer((json_int_t)v->block_len));
        json_object_set_new(l, "resamples", json_integer((json_int_t)v->resamples));
        json_object_set_new(l, "correlation_lag", json_integer((json_int_t)v->correlation_lag));
        json_object_set_new(l, "unit", json_string("ns"));
        json_object_set_new(l, "p50", interval_json(&v->p50_ns));
        json_object_set_new(l, "p90", interval_json(&v->p90_ns));
        json_object_set_new(l, "p99", interval_json(&v->p99_ns));
        json_object_set_new(l, "target", interval_json(&v->target_ns));
        json_object_set_new(ci, "latency", l);
    } else {
        json_object_set_new(ci, "latency", json_null());
    }
    if (v->throughput_ci) {
        json_t *t = interval_json(&v->throughput);
        json_object_set_new(t, "method", json_string("batch_means"));
        json_object_set_new(t, "description", json_string(v->throughput_method));
        json_object_set_new(t, "windows", json_integer(v->throughput_windows));
        json_object_set_new(t, "unit", json_string("1/s"));
        json_object_set_new(ci, "throughput", t);
    } else {
        json_object_set_new(ci, "throughput", json_null());
    }
    json_object_set_new(root, "intervals", ci);
    if (v->outliers_done) {
        const stats_outliers_result *o = &v->outliers;
        json_t *ol = json_object();
        json_object_set_new(ol, "tukey_low_mild", json_integer((json_int_t)o->low_mild));
        json_object_set_new(ol, "tukey_low_severe", json_integer((json_int_t)o->low_severe));
        json_object_set_new(ol, "tukey_high_mild", json_integer((json_int_t)o->high_mild));
        json_object_set_new(ol, "tukey_high_severe", json_integer((json_int_t)o->high_severe));
        json_object_set_new(ol, "mad_low", json_integer((json_int_t)o->mad_low));
        json_object_set_new(ol, "mad_high", json_integer((json_int_t)o->mad_high));
        json_object_set_new(ol, "high_severe_fence_ns", jreal(o->high_severe_fence));
        json_object_set_new(root, "outliers", ol);
    } else {
        json_object_set_new(root, "outliers", json_null());
    }
    json_t *w = json_object();
    json_object_set_new(w, "metric", json_string(v->warmup.latency ? "median_latency_ns"
                                                                   : "throughput_per_s"));
    json_object_set_new(w, "warm_windows", json_integer(v->warmup.warm_windows));
    json_object_set_new(w, "rest_windows", json_integer(v->warmup.rest_windows));
    json_object_set_new(w, "window_ms", jreal(v->warmup.window_ms));
    json_object_set_new(w, "warm_median", jreal(v->warmup.warm_median));
    json_object_set_new(w, "rest_median", jreal(v->warmup.rest_median));
    json_object_set_new(w, "change", jreal(v->warmup.change));
    json_object_set_new(w, "p", jreal(v->warmup.p));
    json_object_set_new(root, "warmup", w);
    json_t *s = json_object();
    json_object_set_new(s, "windows", json_integer(v->stability.windows));
    json_object_set_new(s, "last", json_integer(v->stability.last));
    json_object_set_new(s, "window_ms", jreal(v->stability.window_ms));
    json_object_set_new(s, "tolerance", jreal(v->stability.tolerance));
    json_object_set_new(s, "throughput_mean", jreal(v->stability.throughput_mean));
    json_object_set_new(s, "throughput_deviation", jreal(v->stability.throughput_dev));
    json_object_set_new(s, "throughput_noise_floor", jreal(v->stability.throughput_floor));
    if (v->stability.latency) {
        json_object_set_new(s, "latency_percentile", jreal(v->stability.latency_percentile));
        json_object_set_new(s, "latency_mean_ns", jreal(v->stability.latency_mean));
        json_object_set_new(s, "latency_deviation", jreal(v->stability.latency_dev));
        json_object_set_new(s, "latency_noise_floor", jreal(v->stability.latency_floor));
    }
    json_object_set_new(root, "stability", s);
    json_t *checks = json_array();
    for (int i = 0; i < RPT_CHECK_COUNT; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "name", json_string(rpt_check_name((rpt_check_id)i)));
        json_object_set_new(c, "status", json_string(rpt_status_name(v->checks[i].status)));
        json_object_set_new(c, "finding", json_string(v->checks[i].finding));
        json_array_append_new(checks, c);
    }
    json_object_set_new(root, "checks", checks);
    json_t *recsj = json_array();
    for (size_t i = 0; i < v->n_recommendations; i++)
        json_array_append_new(recsj, json_string(v->recommendations[i]));
    json_object_set_new(root, "recommendations", recsj);
    char *txt = rpt__json_dump(root, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
    if (!txt)
        return LG_ENOMEM;
    *out = txt;
    return 0;
}
