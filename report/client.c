/* client.c: the HTTP client's record of a `--sut kserve|openai` run in the reports
 * (results.json's "client" object, docs/http.md): what it sent and received, how late
 * it sent, its rates and CPU, and above all its warnings, which say the client rather
 * than the server may have set the result. A run without the object gets nothing, so
 * its report reads as before HTTP runs existed. */
#include <stdio.h>

#include "report/internal.h"

/* Appends "what N" to buf (at *used), separated by ", ", when N is not 0. */
static void count_item(char *buf, size_t len, size_t *used, const char *what, uint64_t n)
{
    if (!n || *used >= len)
        return;
    int w = snprintf(buf + *used, len - *used, "%s%s %llu", *used ? ", " : "", what,
                     (unsigned long long)n);
    if (w > 0)
        *used += (size_t)w;
}

/* "timeout 3, reset 1, HTTP 5xx 2" from the error counts and the error statuses, or
 * "none", as the run's own summary prints them. */
static const char *failures_text(const rpt_client_info *c, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->n_errors; i++)
        count_item(buf, len, &used, c->errors[i].kind, c->errors[i].count);
    count_item(buf, len, &used, "HTTP 4xx", c->responses_4xx);
    count_item(buf, len, &used, "HTTP 5xx", c->responses_5xx);
    if (!used)
        snprintf(buf, len, "none");
    return buf;
}

/* "p50 20.6 us, p99 218 us" of two percentiles in ns. */
static const char *p50_p99(char *buf, size_t len, int64_t p50, int64_t p99)
{
    char a[RPT_FORMAT_MAX], b[RPT_FORMAT_MAX];
    rpt_format_value(a, sizeof a, (double)p50, "ns");
    rpt_format_value(b, sizeof b, (double)p99, "ns");
    snprintf(buf, len, "p50 %s, p99 %s", a, b);
    return buf;
}

static void delay_rows(rpt_doc *d, const rpt_client_info *c)
{
    char a[2 * RPT_FORMAT_MAX + 16], m[RPT_FORMAT_MAX], t[RPT_FORMAT_MAX];
    rpt__doc_cell(d, "send delay (issue to the last byte written)");
    if (c->send_delay_count) {
        rpt_format_value(m, sizeof m, (double)c->send_delay_max_ns, "ns");
        rpt__doc_cell(d, "%s, max %s",
                      p50_p99(a, sizeof a, c->send_delay_p50_ns, c->send_delay_p99_ns), m);
    } else {
        rpt__doc_cell(d, "n/a (nothing sent)");
    }
    rpt_format_value(t, sizeof t,
                     (double)(c->late_threshold_ns > 0 ? c->late_threshold_ns : 1000000), "ns");
    rpt__doc_cell(d, "sent more than %s late", t);
    rpt__doc_cell(d, "%.2f%% of the requests", 100.0 * c->sent_late_share);
}

static void token_rows(rpt_doc *d, const rpt_client_info *c)
{
    char a[2 * RPT_FORMAT_MAX + 16];
    rpt__doc_cell(d, "output tokens");
    rpt__doc_cell(d, "%llu; n_tokens from usage for %llu samples, from the chunk count "
                  "for %llu", (unsigned long long)c->output_tokens,
                  (unsigned long long)c->n_tokens_from_usage,
                  (unsigned long long)c->n_tokens_from_chunks);
    rpt__doc_cell(d, "ITL (gaps between content chunks, pooled)");
    if (c->itl_count)
        rpt__doc_cell(d, "%s (n = %llu)", p50_p99(a, sizeof a, c->itl_p50_ns, c->itl_p99_ns),
                      (unsigned long long)c->itl_count);
    else
        rpt__doc_cell(d, "n/a (no two content chunks in one answer)");
    rpt__doc_cell(d, "TTFT from the send");
    rpt__doc_cell(d, "%s", p50_p99(a, sizeof a, c->ttft_from_send_p50_ns,
                                   c->ttft_from_send_p99_ns));
}

void rpt__client_section(rpt_doc *d, const rpt_run_info *in, const char *who)
{
    const rpt_client_info *c = &in->client;
    if (!c->present)
        return;
    rpt__doc_para(d, "Client%s%s (%s, %s; %llu connection%s on %llu I/O thread%s, pipeline "
                  "%llu; definitions in docs/http.md):", who ? " of " : "", who ? who : "",
                  *c->protocol ? c->protocol : "HTTP",
                  *c->url ? c->url : "unknown URL", (unsigned long long)c->connections,
                  c->connections == 1 ? "" : "s", (unsigned long long)c->io_threads,
                  c->io_threads == 1 ? "" : "s", (unsigned long long)c->pipeline);
    if (c->n_warnings) {
        /* First, before the figures: a warning says the figures may be the client's. */
        rpt__doc_list(d);
        for (size_t i = 0; i < c->n_warnings; i++)
            rpt__doc_item(d, "WARNING: the client may be limiting this result: %s",
                          c->warnings[i]);
    }
    char fails[512];
    rpt__doc_table(d, 2);
    rpt__doc_cell(d, "client figure");
    rpt__doc_cell(d, "value");
    rpt__doc_cell(d, "requests");
    rpt__doc_cell(d, "submitted %llu, sent %llu, answered %llu, throttled (429) %llu",
                  (unsigned long long)c->requests_submitted,
                  (unsigned long long)c->requests_sent, (unsigned long long)c->responses,
                  (unsigned long long)c->throttled);
    rpt__doc_cell(d, "failures");
    rpt__doc_cell(d, "%s", failures_text(c, fails, sizeof fails));
    if (*c->first_error) {
        rpt__doc_cell(d, "first failure");
        rpt__doc_cell(d, "%s", c->first_error);
    }
    delay_rows(d, c);
    rpt__doc_cell(d, "rate (requested, sent, completed)");
    rpt__doc_cell(d, "%.1f/s, %.1f/s, %.1f/s", c->requested_per_s, c->sent_per_s,
                  c->completed_per_s);
    rpt__doc_cell(d, "CPU");
    rpt__doc_cell(d, "process %.2f s in %.2f s; busiest I/O thread %.0f%% of a core",
                  c->cpu_process_s, c->wall_s, 100.0 * c->io_busy_max);
    rpt__doc_cell(d, "connections");
    char pool[160] = "";
    if (c->connections_added)
        snprintf(pool, sizeof pool, "; the pool grew from %llu to %llu (at most %llu)",
                 (unsigned long long)c->connections,
                 (unsigned long long)(c->connections + c->connections_added),
                 (unsigned long long)c->max_connections);
    else if (c->max_connections > c->connections)
        snprintf(pool, sizeof pool, "; the pool of %llu could grow to %llu",
                 (unsigned long long)c->connections, (unsigned long long)c->max_connections);
    rpt__doc_cell(d, "opened %llu, reconnects %llu%s", (unsigned long long)c->connections_opened,
                  (unsigned long long)c->reconnects, pool);
    if (c->has_tokens)
        token_rows(d, c);
}
