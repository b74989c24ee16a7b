/* format.c: lg_results_format(), a one-screen English summary of a run's results. */
#include <stdio.h>
#include <string.h>

#include "loadgen/loadgen.h"

static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>

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

static void ns_text(char *b, size_t len, int64_t ns)
{
    double v = (double)ns;
    if (v >= 1e9)
        snprintf(b, len, "%.3f s", v / 1e9);
    else if (v >= 1e6)
        snprintf(b, len, "%.3f ms", v / 1e6);
    else if (v >= 1e3)
        snprintf(b, len, "%.3f us", v / 1e3);
    else
        snprintf(b, len, "%lld ns", (long long)ns);
}

const char *lg_invalid_reason_describe(const lg_results *r, unsigned flag, char *buf,
                                       size_t len)
{
    const char *text = lg_invalid_reason_text(flag);
    if (!buf || !len)
        return text;
    snprintf(buf, len, "%s", text);
    if (!r || flag != LG_INVALID_PERF_CONSTRAINT || r->scenario != LG_SERVER)
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
    char a[32];
    const lg_early_stopping *es = &r->early_stopping;
    bool estimate = r->scenario == LG_SINGLE_STREAM || r->scenario == LG_MULTI_STREAM;
    if (estimate && es->applies && !es->met) {
        append(buf, len, used, "  metric   %s = n/a (early stopping needs %llu %s, the run "
               "had %llu)\n", r->metric_name, (unsigned long long)es->min_queries,
               r->scenario == LG_MULTI_STREAM ? "queries" : "samples",
               (unsigned long long)es->queries);
        return;
    }
    if (strcmp(r->metric_unit, "ns")) {
        append(buf, len, used, "  metric   %s = %.2f %s\n", r->metric_name, r->metric,
               r->metric_unit);
        return;
    }
    ns_text(a, sizeof a, (int64_t)r->metric);
    append(buf, len, used, "  metric   %s = %s (%.0f ns)\n", r->metric_name, a, r->metric);
    const lg_latency_stats *l = r->scenario == LG_MULTI_STREAM ? &r->query_latency
                                                                : &r->latency;
    if (estimate && es->met && es->overlatency <= 1 && l->count &&
        (int64_t)r->metric == l->max_ns)
        append(buf, len, used, "           = the maximum: with %llu %s early stopping "
               "discards none of the highest latencies (a longer run lets it discard "
               "some)\n", (unsigned long long)es->queries,
               r->scenario == LG_MULTI_STREAM ? "queries" : "samples");
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
        ns_text(a, sizeof a, s[i]->p50_ns);
        ns_text(b, sizeof b, s[i]->p90_ns);
        ns_text(c, sizeof c, s[i]->p99_ns);
        ns_text(d, sizeof d, s[i]->max_ns);
        append(buf, len, used, "  %s p50 %s  p90 %s  p99 %s  max %s\n", name[i], a, b, c, d);
    }
    append(buf, len, used, "  tokens %llu output (counted by: %s), %.2f /s",
           (unsigned long long)k->output_tokens, k->count_source ? k->count_source : "none",
           k->output_tokens_per_sec);
    if (k->mlperf)
        append(buf, len, used, "; MLPerf: %s %.2f /s",
               r->scenario == LG_OFFLINE ? "tokens" : "completed tokens",
               r->scenario == LG_OFFLINE ? k->tokens_per_sec : k->completed_tokens_per_sec);
    append(buf, len, used, "\n");
    if (k->slo_applies)
        append(buf, len, used, "  goodput %llu of %llu requests good: %.2f requests/s, %.2f "
               "tokens/s\n", (unsigned long long)k->good_requests,
               (unsigned long long)r->samples_issued, k->request_goodput, k->token_goodput);
}

int lg_results_format(const lg_results *r, char *buf, size_t len)
{
    size_t used = 0;
    if (buf && len)
        buf[0] = '\0';
    char a[32], b[32], c[32], d[32], why[320];
    append(buf, len, &used, "%s %s: %s%s\n", lg_scenario_name(r->scenario),
           lg_mode_name(r->mode), r->valid ? "VALID" : "INVALID",
           r->aborted ? " (ABORTED)" : "");
    for (unsigned f = 1; f <= LG_INVALID_LAST; f <<= 1)
        if (r->invalid_reasons & f)
            append(buf, len, &used, "  - %s\n",
                   lg_invalid_reason_describe(r, f, why, sizeof why));
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
        append(buf, len, &used, "  duration %.3f s\n", (double)r->duration_ns / 1e9);
        return (int)used;
    }
    if (r->metric_name)
        metric_line(r, buf, len, &used);
    const lg_latency_stats *l = r->scenario == LG_MULTI_STREAM ? &r->query_latency
                                                                : &r->latency;
    ns_text(a, sizeof a, l->p50_ns);
    ns_text(b, sizeof b, l->p90_ns);
    ns_text(c, sizeof c, l->p99_ns);
    ns_text(d, sizeof d, l->max_ns);
    append(buf, len, &used, "  %s p50 %s  p90 %s  p99 %s  max %s\n",
           r->scenario == LG_MULTI_STREAM ? "query latency" : "latency", a, b, c, d);
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
    if (r->scenario == LG_SERVER) {
        ns_text(a, sizeof a, r->issue_lag.p99_ns);
        ns_text(b, sizeof b, r->issue_lag.max_ns);
        append(buf, len, &used, "  scheduled %.2f /s, completed %.2f /s; issue lag p99 %s, "
               "max %s\n", r->scheduled_samples_per_sec, r->completed_samples_per_sec, a, b);
    }
    if (r->early_stopping.applies)
        append(buf, len, &used, "  early stopping %s (%llu queries, needs %llu)\n",
               r->early_stopping.met ? "met" : "NOT met",
               (unsigned long long)r->early_stopping.queries,
               (unsigned long long)r->early_stopping.min_queries);
    append(buf, len, &used, "  duration %.3f s\n", (double)r->duration_ns / 1e9);
    return (int)used;
}
