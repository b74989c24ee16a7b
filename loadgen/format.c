/* format.c: the core's text for people: lg_format_ns(), the one duration format, and
 * lg_results_format(), a one-screen English summary of a run's results. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "loadgen/internal.h"
#include "loadgen/loadgen.h"

static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t off = *used < len ? *used : len;
    int n = vsnprintf(buf ? buf + off : NULL, buf ? len - off : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n;
    return n;
}

/* ---------------------------------------------------------------- durations */

/* a / 10^k (k 0..9) rounded half away from zero: exactly, in integers, for a whole
 * number of ns (every int64_t figure is one), in double arithmetic otherwise. a >= 0. */
static double round_shift(double a, int k)
{
    static const uint64_t p10[] = {1,         10,         100,        1000,
                                   10000,     100000,     1000000,    10000000,
                                   100000000, 1000000000};
    /* Below 1.8e19 the sum n + p / 2 fits in 64 bits. */
    if (a == floor(a) && a < 1.8e19) {
        uint64_t n = (uint64_t)a, p = p10[k];
        return (double)((n + p / 2) / p);
    }
    return round(a / (double)p10[k]);
}

int lg_format_ns(double ns, char *buf, size_t len)
{
    static const char *const units[] = {"us", "ms", "s"};
    static const unsigned long long dec[] = {1, 10, 100, 1000};
    if (!buf)
        len = 0;
    if (isnan(ns) || isinf(ns))
        return snprintf(buf, len, "n/a");
    double a = fabs(ns);
    const char *sign = ns < 0 ? "-" : "";
    double q = round_shift(a, 0);
    if (q < 1000)
        return snprintf(buf, len, "%s%llu ns", q > 0 ? sign : "", (unsigned long long)q);
    /* 4 significant digits: the first shift k that leaves fewer than 5 digits; the value
     * is then q x 10^k ns, and q has exactly 4 (the shift before left 5). */
    for (int k = 0; k < 9; k++) {
        q = round_shift(a, k);
        if (q < 10000) {
            int d = 3 - k % 3; /* decimals in the unit 10^(3 (k / 3 + 1)) ns */
            unsigned long long v = (unsigned long long)q;
            return snprintf(buf, len, "%s%llu.%0*llu %s", sign, v / dec[d], d, v % dec[d],
                            units[k / 3]);
        }
    }
    if (a < 1e21)
        return snprintf(buf, len, "%s%llu s", sign, (unsigned long long)round_shift(a, 9));
    /* Beyond any int64_t: a mantissa of 4 digits and an exponent, in integers so that
     * no locale comes in. */
    double x = a / 1e9;
    int e = (int)floor(log10(x));
    double m = x / pow(10.0, e);
    if (m >= 10.0)
        m /= 10.0, e++;
    else if (m < 1.0)
        m *= 10.0, e--;
    unsigned long long v = (unsigned long long)round(m * 1000.0);
    if (v >= 10000)
        v = 1000, e++;
    return snprintf(buf, len, "%s%llu.%03llue+%d s", sign, v / 1000, v % 1000, e);
}

/* ---------------------------------------------------------------- the summary */

const char *lg_invalid_reason_describe(const lg_results *r, unsigned flag, char *buf,
                                       size_t len)
{
    const char *text = lg_invalid_reason_text(flag);
    if (!buf || !len)
        return text;
    snprintf(buf, len, "%s", text);
    if (!r || flag != LG_INVALID_PERF_CONSTRAINT || !lg__scenario(r->scenario)->perf_constraint)
        return buf;
    const lg_token_results *k = &r->tokens;
    if (k->mlperf && (!k->ttft_constraint_met || !k->tpot_constraint_met)) {
        /* Token mode judges TTFT and TPOT, not the latency bound. */
        snprintf(buf, len, "%s at the target percentile %s over %s (token mode)",
                 !k->ttft_constraint_met && !k->tpot_constraint_met ? "TTFT and TPOT"
                 : !k->ttft_constraint_met ? "TTFT" : "TPOT",
                 !k->ttft_constraint_met && !k->tpot_constraint_met ? "are" : "is",
                 !k->ttft_constraint_met && !k->tpot_constraint_met
                     ? "server_ttft_latency_ns and server_tpot_latency_ns"
                 : !k->ttft_constraint_met ? "server_ttft_latency_ns" : "server_tpot_latency_ns");
        return buf;
    }
    /* A failed or timed-out sample counts as over the bound, but the latency percentiles
     * cover the answered samples only: name those samples, or the text contradicts the
     * percentile printed beside it. */
    unsigned long long lost = r->samples_failed + r->samples_timed_out;
    if (!lost)
        return buf;
    char what[96];
    if (r->samples_timed_out && r->samples_failed)
        snprintf(what, sizeof what, "%llu timed-out and %llu failed samples",
                 (unsigned long long)r->samples_timed_out,
                 (unsigned long long)r->samples_failed);
    else
        snprintf(what, sizeof what, "%llu %s sample%s", lost,
                 r->samples_timed_out ? "timed-out" : "failed", lost == 1 ? "" : "s");
    if (r->overlatency_count <= lost)
        snprintf(buf, len, "the latency bound was missed: %s count as over it (the "
                 "percentiles cover answered samples only; those are within the bound)",
                 what);
    else
        snprintf(buf, len, "the latency bound was missed: %llu samples over it, %s among "
                 "them (those count as over the bound; the percentiles cover answered "
                 "samples only)", (unsigned long long)r->overlatency_count, what);
    return buf;
}

/* The metric line: SingleStream and MultiStream's early-stopping estimate is no number
 * when early stopping was not met, and equals the maximum when the run was too short for
 * early stopping to discard any of the highest latencies. */
static void metric_line(const lg_results *r, char *buf, size_t len, size_t *used)
{
    char a[LG_FORMAT_NS_MAX];
    const lg_early_stopping *es = &r->early_stopping;
    const lg__scenario_ops *sc = lg__scenario(r->scenario);
    bool estimate = sc->metric_is_estimate;
    const char *counted = sc->per_query ? "queries" : "samples";
    if (estimate && es->applies && !es->met) {
        append(buf, len, used, "  metric   %s = n/a (early stopping needs %llu %s, the run "
               "had %llu)\n", r->metric_name, (unsigned long long)es->min_queries, counted,
               (unsigned long long)es->queries);
        return;
    }
    if (strcmp(r->metric_unit, "ns")) {
        append(buf, len, used, "  metric   %s = %.2f %s\n", r->metric_name, r->metric,
               r->metric_unit);
        return;
    }
    lg_format_ns(r->metric, a, sizeof a);
    append(buf, len, used, "  metric   %s = %s (%.0f ns)\n", r->metric_name, a, r->metric);
    const lg_latency_stats *l = sc->per_query ? &r->query_latency : &r->latency;
    if (estimate && es->met && es->overlatency <= 1 && l->count &&
        (int64_t)r->metric == l->max_ns)
        append(buf, len, used, "           = the maximum: with %llu %s early stopping "
               "discards none of the highest latencies (a longer run lets it discard "
               "some)\n", (unsigned long long)es->queries, counted);
}

/* The token lines: TTFT and TPOT, the token count and rates, goodput. */
static void token_lines(const lg_results *r, char *buf, size_t len, size_t *used)
{
    const lg_token_results *k = &r->tokens;
    char a[32], b[32], c[32], d[32];
    const lg_latency_stats *s[2] = {&k->ttft, &k->tpot};
    const char *name[2] = {"TTFT", "TPOT"};
    for (int i = 0; i < 2; i++) {
        if (!s[i]->count) {
            append(buf, len, used, "  %s: none (%s)\n", name[i],
                   i ? "no sample with 2 tokens and a first token" : "no first tokens");
            continue;
        }
        lg_format_ns((double)s[i]->p50_ns, a, sizeof a);
        lg_format_ns((double)s[i]->p90_ns, b, sizeof b);
        lg_format_ns((double)s[i]->p99_ns, c, sizeof c);
        lg_format_ns((double)s[i]->max_ns, d, sizeof d);
        append(buf, len, used, "  %s p50 %s  p90 %s  p99 %s  max %s\n", name[i], a, b, c, d);
    }
    append(buf, len, used, "  tokens %llu output (counted by: %s), %.2f /s",
           (unsigned long long)k->output_tokens, k->count_source ? k->count_source : "none",
           k->output_tokens_per_sec);
    bool one_query = lg__scenario(r->scenario)->one_query;
    if (k->mlperf)
        append(buf, len, used, "; MLPerf: %s %.2f /s", one_query ? "tokens" : "completed tokens",
               one_query ? k->tokens_per_sec : k->completed_tokens_per_sec);
    append(buf, len, used, "\n");
    if (k->slo_applies)
        append(buf, len, used, "  goodput %llu of %llu requests good: %.2f requests/s, %.2f "
               "tokens/s\n", (unsigned long long)k->good_requests,
               (unsigned long long)r->samples_issued, k->request_goodput, k->token_goodput);
}

const char *lg_results_mode_text(const lg_results *r)
{
    if (!r->find_peak)
        return lg_mode_name(r->mode);
    return r->find_peak_passed ? "FindPeakPerformance (the peak's run)"
                               : "FindPeakPerformance (no probe passed: the first probe's run)";
}

int lg_results_format(const lg_results *r, char *buf, size_t len)
{
    size_t used = 0;
    if (buf && len)
        buf[0] = '\0';
    char a[LG_FORMAT_NS_MAX], b[LG_FORMAT_NS_MAX], c[LG_FORMAT_NS_MAX], d[LG_FORMAT_NS_MAX];
    char why[320];
    /* A peak search's figures come from one probe, a PerformanceOnly pass; the mode the
     * user asked for is named, with the probe, so that the line does not pass for a plain
     * performance run. */
    append(buf, len, &used, "%s %s: %s%s\n", lg_scenario_name(r->scenario),
           lg_results_mode_text(r), r->valid ? "VALID" : "INVALID",
           r->aborted ? " (ABORTED)" : "");
    for (unsigned f = 1; f <= LG_INVALID_LAST; f <<= 1)
        if (r->invalid_reasons & f)
            append(buf, len, &used, "  - %s\n",
                   lg_invalid_reason_describe(r, f, why, sizeof why));
    if (r->record_hdr)
        append(buf, len, &used, "  recording: HDR histograms, percentiles within %.6g %% "
               "of the exact ones (count, min, max and mean exact)\n",
               r->record_relative_error * 100.0);
    if (r->mode == LG_MODE_ACCURACY) {
        /* An accuracy run issues every sample once for the accuracy log: its timings
         * measure nothing, so only its counts are shown. */
        append(buf, len, &used,
               "  accuracy: %llu samples issued, %llu completed, %llu failed, %llu timed "
               "out; %llu responses logged to mlperf_log_accuracy.json\n",
               (unsigned long long)r->samples_issued,
               (unsigned long long)r->samples_completed,
               (unsigned long long)r->samples_failed,
               (unsigned long long)r->samples_timed_out,
               (unsigned long long)r->accuracy_samples_logged);
        if (r->duplicate_completions || r->unknown_completions || r->late_completions)
            append(buf, len, &used, "  completion errors: %llu duplicate, %llu unknown id, "
                   "%llu late\n", (unsigned long long)r->duplicate_completions,
                   (unsigned long long)r->unknown_completions,
                   (unsigned long long)r->late_completions);
        lg_format_ns((double)r->duration_ns, a, sizeof a);
        append(buf, len, &used, "  duration %s\n", a);
        return (int)used;
    }
    if (r->metric_name)
        metric_line(r, buf, len, &used);
    const lg__scenario_ops *sc = lg__scenario(r->scenario);
    const lg_latency_stats *l = sc->per_query ? &r->query_latency : &r->latency;
    lg_format_ns((double)l->p50_ns, a, sizeof a);
    lg_format_ns((double)l->p90_ns, b, sizeof b);
    lg_format_ns((double)l->p99_ns, c, sizeof c);
    lg_format_ns((double)l->max_ns, d, sizeof d);
    append(buf, len, &used, "  %s p50 %s  p90 %s  p99 %s  max %s\n",
           sc->per_query ? "query latency" : "latency", a, b, c, d);
    if (r->tokens.applies)
        token_lines(r, buf, len, &used);
    append(buf, len, &used,
           "  queries %llu  samples %llu issued, %llu completed, %llu failed, %llu timed "
           "out\n",
           (unsigned long long)r->queries_issued, (unsigned long long)r->samples_issued,
           (unsigned long long)r->samples_completed, (unsigned long long)r->samples_failed,
           (unsigned long long)r->samples_timed_out);
    if (r->duplicate_completions || r->unknown_completions || r->late_completions)
        append(buf, len, &used, "  completion errors: %llu duplicate, %llu unknown id, "
               "%llu late\n", (unsigned long long)r->duplicate_completions,
               (unsigned long long)r->unknown_completions,
               (unsigned long long)r->late_completions);
    if (sc->open_loop) {
        lg_format_ns((double)r->issue_lag.p99_ns, a, sizeof a);
        lg_format_ns((double)r->issue_lag.max_ns, b, sizeof b);
        append(buf, len, &used, "  scheduled %.2f /s, completed %.2f /s; issue lag p99 %s, "
               "max %s\n", r->scheduled_samples_per_sec, r->completed_samples_per_sec, a, b);
    }
    if (r->early_stopping.applies)
        append(buf, len, &used, "  early stopping %s (%llu queries, needs %llu)\n",
               r->early_stopping.met ? "met" : "NOT met",
               (unsigned long long)r->early_stopping.queries,
               (unsigned long long)r->early_stopping.min_queries);
    lg_format_ns((double)r->duration_ns, a, sizeof a);
    append(buf, len, &used, "  duration %s\n", a);
    return (int)used;
}
