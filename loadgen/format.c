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

int lg_results_format(const lg_results *r, char *buf, size_t len)
{
    size_t used = 0;
    if (buf && len)
        buf[0] = '\0';
    char a[32], b[32], c[32], d[32];
    append(buf, len, &used, "%s %s: %s%s\n", lg_scenario_name(r->scenario),
           lg_mode_name(r->mode), r->valid ? "VALID" : "INVALID",
           r->aborted ? " (ABORTED)" : "");
    for (unsigned f = 1; f <= LG_INVALID_LAST; f <<= 1)
        if (r->invalid_reasons & f)
            append(buf, len, &used, "  - %s\n", lg_invalid_reason_text(f));
    if (r->metric_name) {
        if (!strcmp(r->metric_unit, "ns")) {
            ns_text(a, sizeof a, (int64_t)r->metric);
            append(buf, len, &used, "  metric   %s = %s (%.0f ns)\n", r->metric_name, a,
                   r->metric);
        } else {
            append(buf, len, &used, "  metric   %s = %.2f %s\n", r->metric_name, r->metric,
                   r->metric_unit);
        }
    }
    const lg_latency_stats *l = r->scenario == LG_MULTI_STREAM ? &r->query_latency
                                                                : &r->latency;
    ns_text(a, sizeof a, l->p50_ns);
    ns_text(b, sizeof b, l->p90_ns);
    ns_text(c, sizeof c, l->p99_ns);
    ns_text(d, sizeof d, l->max_ns);
    append(buf, len, &used, "  %s p50 %s  p90 %s  p99 %s  max %s\n",
           r->scenario == LG_MULTI_STREAM ? "query latency" : "latency", a, b, c, d);
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
