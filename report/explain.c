/* report/explain.c: one run explained in plain words (`loadgen explain`, rpt_explain):
 * what was run, what each figure means, why the run is VALID or INVALID and what to
 * change, computed from the run's own numbers; the words are the course's
 * (docs/course/). docs/reports.md. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "plot/plot.h"
#include "report/internal.h"
#include "report/validate.h"
#include "stats/stats.h"

/* ---------------------------------------------------------------- the text */

/* The text being written (plot_buf: a growing buffer whose first failed append makes
 * every later one do nothing) and its form; oom: a formatted piece could not be made. */
typedef struct xb {
    plot_buf *pb;
    bool oom, md;
} xb;

static void put(xb *b, const char *t, size_t len) { plot_buf_append(b->pb, t, len); }

static void puts_(xb *b, const char *t) { plot_buf_puts(b->pb, t); }

/* Text: t wrapped at 78 columns, the first line after first, the others after rest. */
static void wrap(xb *b, const char *t, const char *first, const char *rest)
{
    const size_t width = 78;
    const char *ind = first;
    while (*t) {
        puts_(b, ind);
        size_t col = strlen(ind), room = width > col ? width - col : 20;
        size_t len = strlen(t);
        if (len <= room) {
            puts_(b, t);
            break;
        }
        size_t cut = room;
        while (cut > 0 && t[cut] != ' ')
            cut--;
        if (cut == 0) { /* one long word: keep it whole */
            cut = room;
            while (t[cut] && t[cut] != ' ')
                cut++;
        }
        put(b, t, cut);
        puts_(b, "\n");
        t += cut;
        while (*t == ' ')
            t++;
        ind = rest;
    }
    puts_(b, "\n");
}

static void heading(xb *b, const char *title)
{
    if (b->md) {
        puts_(b, "## ");
        puts_(b, title);
        puts_(b, "\n\n");
    } else {
        puts_(b, title);
        puts_(b, "\n");
        for (size_t i = strlen(title); i > 0; i--)
            puts_(b, "-");
        puts_(b, "\n");
    }
}

static void __attribute__((format(printf, 2, 3))) para(xb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = rpt__vfmt(fmt, ap);
    va_end(ap);
    if (!s) {
        b->oom = true;
        return;
    }
    if (b->md)
        puts_(b, s), puts_(b, "\n");
    else
        wrap(b, s, "", "");
    puts_(b, "\n");
    free(s);
}

static void __attribute__((format(printf, 2, 3))) item(xb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = rpt__vfmt(fmt, ap);
    va_end(ap);
    if (!s) {
        b->oom = true;
        return;
    }
    if (b->md)
        puts_(b, "- "), puts_(b, s), puts_(b, "\n");
    else
        wrap(b, s, "  - ", "    ");
    free(s);
}

static void list_end(xb *b) { puts_(b, "\n"); }

/* Durations as the library writes them; NS(i, v) uses the i-th of the buffers. */
typedef struct nsbuf {
    char t[8][LG_FORMAT_NS_MAX];
} nsbuf;
static const char *ns(nsbuf *nb, int i, double v)
{
    lg_format_ns(v, nb->t[i], sizeof nb->t[i]);
    return nb->t[i];
}

/* ---------------------------------------------------------------- results.json extras */

/* What rpt_run_info does not hold: the arrival pattern and the peak search. */
typedef struct extras {
    char arrival[32];
    char arrival_statement[256];
    bool arrival_mlperf_valid;
    bool peak, peak_found;
    char peak_algorithm[16], peak_stop[320];
    double peak_qps, peak_upper;
    size_t peak_probes, peak_failed;
} extras;

static void read_extras(const char *dir, extras *x)
{
    memset(x, 0, sizeof *x);
    x->arrival_mlperf_valid = true;
    char path[4200];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_t *root = json_load_file(path, 0, NULL);
    if (!root)
        return;
    json_t *a = json_object_get(root, "arrival");
    if (json_is_object(a)) {
        json_t *p = json_object_get(a, "pattern"), *s = json_object_get(a, "statement");
        if (json_is_string(p))
            snprintf(x->arrival, sizeof x->arrival, "%s", json_string_value(p));
        if (json_is_string(s))
            snprintf(x->arrival_statement, sizeof x->arrival_statement, "%s",
                     json_string_value(s));
        x->arrival_mlperf_valid = !json_is_false(json_object_get(a, "mlperf_valid"));
    }
    json_t *ps = json_object_get(root, "peak_search");
    json_t *pr = json_is_object(ps) ? json_object_get(ps, "probes") : NULL;
    if (json_is_array(pr)) {
        x->peak = true;
        x->peak_found = json_is_true(json_object_get(ps, "found"));
        json_t *v = json_object_get(ps, "algorithm");
        snprintf(x->peak_algorithm, sizeof x->peak_algorithm, "%s",
                 json_is_string(v) ? json_string_value(v) : "");
        v = json_object_get(ps, "stop_reason");
        snprintf(x->peak_stop, sizeof x->peak_stop, "%s",
                 json_is_string(v) ? json_string_value(v) : "");
        v = json_object_get(ps, "peak_qps");
        x->peak_qps = json_is_number(v) ? json_number_value(v) : NAN;
        v = json_object_get(ps, "upper_qps");
        x->peak_upper = json_is_number(v) ? json_number_value(v) : NAN;
        x->peak_probes = json_array_size(pr);
        for (size_t i = 0; i < x->peak_probes; i++) {
            json_t *vd = json_object_get(json_array_get(pr, i), "verdict");
            if (json_is_string(vd) && strcmp(json_string_value(vd), "pass"))
                x->peak_failed++;
        }
    }
    json_decref(root);
}

/* ---------------------------------------------------------------- the sections */

static const char *provenance(const rpt_run *run, const char *key)
{
    size_t n;
    const rpt_note *p = rpt_run_provenance(run, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(p[i].key, key))
            return p[i].value;
    return NULL;
}

/* "p99", "p90", ... */
static const char *pl(double p, char *buf, size_t len)
{
    snprintf(buf, len, "%s", stats_percentile_label(p).s);
    return buf;
}

/* "99 of 100", "9 of 10", "half" for a fraction. */
static const char *share_words(double p, char *buf, size_t len)
{
    if (fabs(p - 0.5) < 1e-9)
        snprintf(buf, len, "half");
    else if (fabs(p * 10 - round(p * 10)) < 1e-9)
        snprintf(buf, len, "%.0f of 10", p * 10);
    else if (fabs(p * 100 - round(p * 100)) < 1e-9)
        snprintf(buf, len, "%.0f of 100", p * 100);
    else
        snprintf(buf, len, "%.4g%%", p * 100);
    return buf;
}

/* The rate queries ran at: Server its target, the others queries over the run. */
static double run_rate(const rpt_run_info *in)
{
    const lg_results *r = &in->results;
    if (r->scenario == LG_SERVER && in->target_qps > 0)
        return in->target_qps;
    return r->duration_ns > 0 ? (double)r->queries_issued / ((double)r->duration_ns / 1e9)
                              : 0;
}

static void what_was_run(xb *b, const rpt_run *run, const rpt_run_info *in, const extras *x)
{
    const lg_results *r = &in->results;
    nsbuf nb;
    char p[32];
    heading(b, "What was run");
    const char *cmd = provenance(run, "command_line");
    if (cmd)
        para(b, "The command: %s%s%s", b->md ? "`" : "", cmd, b->md ? "`" : "");
    switch (r->scenario) {
    case LG_SINGLE_STREAM:
        para(b, "SingleStream: the load generator sends one query of one sample, waits for "
             "its answer, then sends the next, like a phone that handles one picture at a "
             "time. Its figure is the %s latency of a query.",
             pl(in->target_latency_percentile, p, sizeof p));
        break;
    case LG_MULTI_STREAM:
        para(b, "MultiStream: each query holds %llu samples, like the frames of a car's "
             "cameras taken at one instant, and the next query is sent when the previous "
             "one has finished. Its figure is the %s latency of a whole query (its slowest "
             "sample).",
             (unsigned long long)r->samples_per_query,
             pl(in->target_latency_percentile, p, sizeof p));
        break;
    case LG_SERVER:
        para(b, "Server: queries of one sample arrive at random times, %.6g a second on "
             "average, like users' requests reaching a web service, whether or not the "
             "system under test (SUT) has finished the earlier ones. Its figure is the "
             "completed queries per second, and it counts only while the %s latency stays "
             "within the bound of %s.",
             in->target_qps, pl(in->target_latency_percentile, p, sizeof p),
             ns(&nb, 0, (double)in->target_latency_ns));
        break;
    case LG_OFFLINE:
        para(b, "Offline: every sample is sent at once, in one query, like a batch job that "
             "has all its data at the start. Its figure is samples per second: the samples "
             "divided by the time the last one was answered. The load generator was told "
             "to expect %.6g samples a second, which sets how many it sent.",
             in->target_qps);
        break;
    }
    if (r->mode == LG_MODE_ACCURACY)
        para(b, "This is an accuracy run: every sample of the accuracy set is sent once and "
             "the answers are logged to be scored; its timings are not a performance "
             "result.");
    para(b, "SUT \"%s\", sample library \"%s\", mode %s; started %s, ran %s (from the start "
         "to the last answer). %llu queries were sent, %llu samples in all: %llu answered, "
         "%llu of them with a failure, %llu never answered.",
         in->sut_name, in->qsl_name, lg_results_mode_text(r), in->start_time_utc,
         ns(&nb, 0, (double)r->duration_ns), (unsigned long long)r->queries_issued,
         (unsigned long long)r->samples_issued, (unsigned long long)r->samples_completed,
         (unsigned long long)r->samples_failed, (unsigned long long)r->samples_timed_out);
    para(b, "Settings that matter: a valid run lasts at least %llu ms and sends at least "
         "%llu queries%s%s%s; samples not answered within %s count as timed out.",
         (unsigned long long)in->min_duration_ms, (unsigned long long)in->min_query_count,
         in->max_duration_ms ? "; it stops at " : "",
         in->max_duration_ms ? ns(&nb, 1, (double)in->max_duration_ms * 1e6) : "",
         in->max_duration_ms ? " (--max-duration-ms)" : "",
         in->sample_timeout_ns > 0 ? ns(&nb, 2, (double)in->sample_timeout_ns) : "ever");
    if (r->scenario == LG_SERVER && x->arrival[0] && strcmp(x->arrival, "poisson"))
        para(b, "Arrivals: \"%s\", not MLPerf's Poisson process: %s. The figures below "
             "describe this pattern of load%s.",
             x->arrival, x->arrival_statement[0] ? x->arrival_statement : "a chosen pattern",
             x->arrival_mlperf_valid ? "" : ", not a Server result to submit");
    const rpt_client_info *c = &in->client;
    if (c->present) {
        para(b, "The SUT is an HTTP server at %s (%s), reached over %llu connections: the "
             "client sent %llu requests and received %llu responses (%llu with a 4xx "
             "status, %llu with a 5xx).",
             c->url, c->protocol, (unsigned long long)(c->connections + c->connections_added),
             (unsigned long long)c->requests_sent, (unsigned long long)c->responses,
             (unsigned long long)c->responses_4xx, (unsigned long long)c->responses_5xx);
        if (c->n_warnings) {
            for (size_t i = 0; i < c->n_warnings; i++)
                item(b, "The client may be limiting this result: %s", c->warnings[i]);
            list_end(b);
        }
    }
}

static void latency_lines(xb *b, const lg_latency_stats *l, const char *what, const char *from)
{
    nsbuf nb;
    char w[32];
    item(b, "p50 %s: %s of the %s finished within %s %s.", ns(&nb, 0, (double)l->p50_ns),
         share_words(0.5, w, sizeof w), what, ns(&nb, 1, (double)l->p50_ns), from);
    item(b, "p90 %s: %s within %s.", ns(&nb, 0, (double)l->p90_ns),
         share_words(0.9, w, sizeof w), ns(&nb, 1, (double)l->p90_ns));
    item(b, "p99 %s: %s %s finished within %s; the slowest 1 in 100 took longer, up to "
         "%s (the maximum).", ns(&nb, 0, (double)l->p99_ns), share_words(0.99, w, sizeof w),
         what, ns(&nb, 1, (double)l->p99_ns), ns(&nb, 2, (double)l->max_ns));
    item(b, "mean %s: the average, which one slow answer can pull up; the percentiles are "
         "what the rules judge.", ns(&nb, 0, (double)l->mean_ns));
}

/* The accuracy of a scored run, or where to score it. */
static void accuracy(xb *b, const rpt_run_info *in)
{
    const lg_results *r = &in->results;
    const rpt_accuracy *a = &in->accuracy;
    if (a->present) {
        if (isnan(a->target_top1))
            para(b, "Accuracy: %llu of %llu scored answers were right, top-1 %.2f%%.",
                 (unsigned long long)a->correct, (unsigned long long)a->scored, a->top1 * 100);
        else
            para(b, "Accuracy: %llu of %llu scored answers were right, top-1 %.2f%% against "
                 "a target of %.2f%%: %s.", (unsigned long long)a->correct,
                 (unsigned long long)a->scored, a->top1 * 100, a->target_top1 * 100,
                 a->passed == 1 ? "met" : "missed");
    } else {
        para(b, "%llu answers were logged for scoring (mlperf_log_accuracy.json); `loadgen "
             "accuracy` scores them against the labels.",
             (unsigned long long)r->accuracy_samples_logged);
    }
}

static void figures(xb *b, const rpt_run_info *in)
{
    const lg_results *r = &in->results;
    nsbuf nb;
    char p[32], w[32];
    heading(b, "What the figures mean");
    if (r->mode == LG_MODE_ACCURACY) {
        accuracy(b, in);
        return;
    }
    switch (r->scenario) {
    case LG_SINGLE_STREAM:
    case LG_MULTI_STREAM:
        if (r->metric <= 0) {
            para(b, "The result: none. The figure is early stopping's estimate of the %s "
                 "latency, and with %llu queries there were too few to make one (it needs "
                 "%llu); the plain %s of the measured latencies was %s.",
                 pl(in->target_latency_percentile, p, sizeof p),
                 (unsigned long long)r->early_stopping.queries,
                 (unsigned long long)r->early_stopping.min_queries, p,
                 ns(&nb, 1, (double)(r->scenario == LG_MULTI_STREAM ? r->query_latency.target_ns
                                                                     : r->latency.target_ns)));
            break;
        }
        para(b, "The result: %s latency %s. It is early stopping's estimate: with %llu "
             "queries, the load generator can say at 99%% confidence that %s queries take "
             "at most this long (plain %s of the measured latencies: %s).",
             pl(in->target_latency_percentile, p, sizeof p), ns(&nb, 0, r->metric),
             (unsigned long long)r->queries_issued,
             share_words(in->target_latency_percentile, w, sizeof w),
             pl(in->target_latency_percentile, p, sizeof p),
             ns(&nb, 1, (double)(r->scenario == LG_MULTI_STREAM ? r->query_latency.target_ns
                                                                 : r->latency.target_ns)));
        break;
    case LG_SERVER:
        para(b, "The result: %.1f completed queries per second (%.1f scheduled). Within the "
             "bound: the %s latency is %s against %s, and %llu samples were over it.",
             r->completed_samples_per_sec, r->scheduled_samples_per_sec,
             pl(in->target_latency_percentile, p, sizeof p),
             ns(&nb, 0, (double)r->latency.target_ns), ns(&nb, 1, (double)in->target_latency_ns),
             (unsigned long long)r->overlatency_count);
        if (r->scheduled_samples_per_sec > 0 &&
            r->completed_samples_per_sec < 0.95 * r->scheduled_samples_per_sec)
            para(b, "The SUT answered %.1f a second while %.1f a second arrived: it could not "
                 "keep up, so its queue, and with it the latency, grew for the whole run.",
                 r->completed_samples_per_sec, r->scheduled_samples_per_sec);
        break;
    case LG_OFFLINE:
        para(b, "The result: %.1f samples per second: %llu samples over %s, the time the "
             "last one was answered.",
             r->samples_per_sec, (unsigned long long)r->samples_issued,
             ns(&nb, 0, (double)r->latency.max_ns));
        break;
    }
    if (r->latency.count) {
        bool ms = r->scenario == LG_MULTI_STREAM;
        para(b, "Latencies (%llu %s):", (unsigned long long)(ms ? r->query_latency.count
                                                                 : r->latency.count),
             ms ? "queries" : "answered samples");
        latency_lines(b, ms ? &r->query_latency : &r->latency, ms ? "queries" : "samples",
                      r->scenario == LG_OFFLINE ? "of the start" : "of their scheduled time");
        list_end(b);
    }
    if (r->scenario == LG_OFFLINE)
        para(b, "All samples were sent at the start, so each latency is the time from the "
             "start to that sample's answer, and the longest is the run itself.");
    else
        para(b, "Every latency is counted from the time the query was scheduled, not from "
             "when it was actually sent. When the SUT or the load generator falls behind, "
             "the queries waiting meanwhile carry that wait in their latency, as a user "
             "would feel it; timing from the actual send would hide it (coordinated "
             "omission, docs/course/03-latency.md).");
    if (r->scenario != LG_OFFLINE && r->scenario != LG_SERVER)
        para(b, "(In %s the next query is scheduled when the previous one is answered, so "
             "the scheduled and the actual send agree unless the load generator is late.)",
             lg_scenario_name(r->scenario));
    if (r->scenario != LG_OFFLINE && r->issue_lag.count && r->issue_lag.max_ns > 0) {
        para(b, "Issue lag, how late the load generator sent queries after their scheduled "
             "time: p99 %s, maximum %s.", ns(&nb, 0, (double)r->issue_lag.p99_ns),
             ns(&nb, 1, (double)r->issue_lag.max_ns));
        if (r->issue_lag.p99_ns > 1000000 &&
            (double)r->issue_lag.p99_ns > 0.1 * (double)r->latency.p50_ns)
            para(b, "That lag is large: 1 in 100 queries left more than %s late, so the load "
                 "generator could not keep up with the schedule (a busy or shared machine, "
                 "or a SUT whose issue call blocks). The lag is inside the latencies above, "
                 "as it should be, but part of it is the test's, not the SUT's.",
                 ns(&nb, 0, (double)r->issue_lag.p99_ns));
    }
    const lg_early_stopping *e = &r->early_stopping;
    if (e->applies && r->mode != LG_MODE_ACCURACY) {
        if (r->scenario == LG_SERVER)
            para(b, "Early stopping: %llu of %llu samples were over the bound; with that "
                 "many, the load generator needs at least %llu queries to say at 99%% "
                 "confidence that no more than %.4g%% are over it. It had %llu: %s.",
                 (unsigned long long)e->overlatency, (unsigned long long)e->queries,
                 (unsigned long long)e->min_queries, (1 - e->percentile) * 100,
                 (unsigned long long)e->queries, e->met ? "met" : "not met");
        else
            para(b, "Early stopping: to state the %s at 99%% confidence the load generator "
                 "needs at least %llu queries; it had %llu: %s (docs/course/04-percentiles.md).",
                 pl(e->percentile, p, sizeof p), (unsigned long long)e->min_queries,
                 (unsigned long long)e->queries, e->met ? "met" : "not met");
    }
    const lg_token_results *k = &r->tokens;
    if (k->applies && k->ttft.count) {
        para(b, "Tokens (an LLM-like SUT, %llu output tokens):", (unsigned long long)k->output_tokens);
        item(b, "time to first token (TTFT), from the scheduled time: p50 %s, p99 %s: 99 of "
             "100 requests saw their first token within %s.", ns(&nb, 0, (double)k->ttft.p50_ns),
             ns(&nb, 1, (double)k->ttft.p99_ns), ns(&nb, 2, (double)k->ttft.p99_ns));
        if (k->tpot.count)
            item(b, "time per output token (TPOT) after the first: p50 %s, p99 %s: the pace "
                 "at which a reader sees the words appear.", ns(&nb, 0, (double)k->tpot.p50_ns),
                 ns(&nb, 1, (double)k->tpot.p99_ns));
        item(b, "%.1f output tokens per second over the run.", k->output_tokens_per_sec);
        if (k->slo_applies)
            item(b, "goodput: %llu of %llu requests met every SLO set, %.1f good requests a "
                 "second (docs/course/07-llm-metrics.md).",
                 (unsigned long long)k->good_requests,
                 (unsigned long long)(r->samples_completed - r->samples_failed),
                 k->request_goodput);
        list_end(b);
    }
    if (in->accuracy.present)
        accuracy(b, in);
}

/* Suggestions, collected while the reasons are explained. */
typedef struct todo {
    char s[RPT_RECS_MAX][RPT_TEXT_MAX];
    size_t n;
} todo;

static void __attribute__((format(printf, 2, 3))) suggest(todo *t, const char *fmt, ...)
{
    if (t->n == RPT_RECS_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->s[t->n++], RPT_TEXT_MAX, fmt, ap);
    va_end(ap);
}

/* The ms a run needs to send n queries at the rate it ran, rounded up to 100 ms, with
 * a tenth more for margin. */
static unsigned long long ms_for(const rpt_run_info *in, uint64_t n)
{
    double rate = run_rate(in);
    if (rate <= 0)
        return 0;
    double ms = (double)n / rate * 1000 * 1.1;
    return (unsigned long long)(ceil(ms / 100) * 100);
}

static void reason(xb *b, todo *t, const rpt_run_info *in, unsigned flag)
{
    const lg_results *r = &in->results;
    nsbuf nb;
    char p[32], txt[512];
    lg_invalid_reason_describe(r, flag, txt, sizeof txt);
    switch (flag) {
    case LG_INVALID_MIN_DURATION:
        item(b, "Too short: it ran %s of the %llu ms required (min_duration_ms).",
             ns(&nb, 0, (double)r->duration_ns), (unsigned long long)in->min_duration_ms);
        if (r->scenario == LG_OFFLINE && r->samples_per_sec > 0)
            suggest(t, "Offline sends expected QPS x min duration samples, and the SUT "
                    "answered %.1f a second, faster than the %.6g expected: raise --target-qps "
                    "to about %.0f so that the run lasts its %llu ms.",
                    r->samples_per_sec, in->target_qps, ceil(r->samples_per_sec * 1.1),
                    (unsigned long long)in->min_duration_ms);
        else if (r->invalid_reasons & LG_INVALID_MAX_LIMIT)
            suggest(t, "A max limit ended the run before its minimum duration: raise or "
                    "remove --max-duration-ms / --max-query-count.");
        else
            suggest(t, "Let the run reach its %llu ms: remove what cut it short, or lower "
                    "--min-duration-ms (an MLPerf result needs 600000).",
                    (unsigned long long)in->min_duration_ms);
        break;
    case LG_INVALID_MIN_QUERIES:
        item(b, "Too few queries: %llu sent of the %llu required (min_query_count).",
             (unsigned long long)r->queries_issued, (unsigned long long)in->min_query_count);
        suggest(t, "Send at least %llu queries: raise --min-duration-ms to about %llu at "
                "this rate, or raise the rate.", (unsigned long long)in->min_query_count,
                ms_for(in, in->min_query_count));
        break;
    case LG_INVALID_PERF_CONSTRAINT: {
        if (r->tokens.mlperf && (!r->tokens.ttft_constraint_met || !r->tokens.tpot_constraint_met)) {
            item(b, "Over the token bounds: TTFT %s %s against %s, TPOT %s %s against %s.",
                 pl(in->target_latency_percentile, p, sizeof p),
                 ns(&nb, 0, (double)r->tokens.ttft.target_ns),
                 ns(&nb, 1, (double)in->token_settings.ttft_latency_ns), p,
                 ns(&nb, 2, (double)r->tokens.tpot.target_ns),
                 ns(&nb, 3, (double)in->token_settings.tpot_latency_ns));
        } else if (r->latency.target_ns <= in->target_latency_ns) {
            item(b, "Over the latency bound because of samples not answered in time: %s. "
                 "The %s of the answered samples, %s, is within the bound of %s; %llu of "
                 "%llu samples count as over it.", txt,
                 pl(in->target_latency_percentile, p, sizeof p),
                 ns(&nb, 0, (double)r->latency.target_ns),
                 ns(&nb, 1, (double)in->target_latency_ns),
                 (unsigned long long)r->overlatency_count,
                 (unsigned long long)r->samples_issued);
            suggest(t, "Make the SUT answer every sample (the failed and timed-out samples "
                    "above); the rate is not what broke the bound.");
            break;
        } else {
            double over = in->target_latency_ns > 0
                              ? (double)r->latency.target_ns / (double)in->target_latency_ns
                              : 1;
            item(b, "Over the latency bound: the %s latency is %s, over the bound of %s "
                 "(%.2f times it); %llu of %llu samples took longer than the bound.%s%s",
                 pl(in->target_latency_percentile, p, sizeof p),
                 ns(&nb, 0, (double)r->latency.target_ns),
                 ns(&nb, 1, (double)in->target_latency_ns), over,
                 (unsigned long long)r->overlatency_count,
                 (unsigned long long)r->samples_issued, r->samples_failed ? " " : "",
                 r->samples_failed ? txt : "");
        }
        double f;
        if (r->scheduled_samples_per_sec > 0 &&
            r->completed_samples_per_sec < 0.95 * r->scheduled_samples_per_sec)
            f = 0.8 * r->completed_samples_per_sec / in->target_qps; /* saturated */
        else if (r->latency.target_ns > 0 && in->target_latency_ns > 0)
            f = fmin(0.9, fmax(0.5, (double)in->target_latency_ns /
                                        (double)r->latency.target_ns));
        else
            f = 0.8;
        /* Whole queries per second from 10 up, else 3 significant digits. */
        char q[32];
        double lower = in->target_qps * f;
        snprintf(q, sizeof q, lower >= 10 ? "%.0f" : "%.3g", lower);
        suggest(t, "Lower --target-qps from %.6g to about %s (a first guess from this run's "
                "numbers) and run again, or let `loadgen find-peak --target-qps %s` search "
                "for the highest rate whose bound holds.", in->target_qps, q, q);
        break;
    }
    case LG_INVALID_EARLY_STOPPING: {
        const lg_early_stopping *e = &r->early_stopping;
        item(b, "Early stopping not met: it needs %llu queries and had %llu%s.",
             (unsigned long long)e->min_queries, (unsigned long long)e->queries,
             r->scenario == LG_SERVER && e->overlatency ? " (more over-bound samples raise "
                                                          "the number needed)" : "");
        uint64_t need = e->min_queries > e->queries ? e->min_queries : e->queries + 1;
        if (r->tokens.mlperf && r->tokens.tpot_early_stopping.applies &&
            !r->tokens.tpot_early_stopping.met && r->tokens.tpot_early_stopping.min_queries > need)
            need = r->tokens.tpot_early_stopping.min_queries;
        if ((r->invalid_reasons & LG_INVALID_PERF_CONSTRAINT) &&
            r->latency.target_ns <= in->target_latency_ns)
            suggest(t, "Early stopping asks for %llu queries because so many samples count "
                    "as over the bound: once every sample is answered it needs far fewer, "
                    "so fix that before running longer.", (unsigned long long)need);
        else if (r->invalid_reasons & LG_INVALID_PERF_CONSTRAINT)
            suggest(t, "Early stopping asks for %llu queries because so many samples were "
                    "over the bound: at a rate whose bound holds it needs far fewer, so "
                    "lower the rate before running longer.", (unsigned long long)need);
        else
            suggest(t, "Run longer: at %.6g queries a second, %llu queries take about %llu "
                    "ms: --min-duration-ms %llu.", run_rate(in), (unsigned long long)need,
                    ms_for(in, need), ms_for(in, need));
        break;
    }
    case LG_INVALID_FAILED_SAMPLES:
        item(b, "Failed samples: %llu of %llu samples were answered with a failure status.",
             (unsigned long long)(r->samples_failed - r->samples_timed_out),
             (unsigned long long)r->samples_issued);
        suggest(t, "Find why the SUT failed samples (the errors in mlperf_log_detail.txt%s); "
                "a valid run has none.", in->client.present && in->client.first_error[0]
                                             ? "; the client's first error" : "");
        if (in->client.present && in->client.first_error[0])
            item(b, "The HTTP client's first error: %s.", in->client.first_error);
        break;
    case LG_INVALID_TIMED_OUT:
        item(b, "Timed out: %llu samples were never answered within %s.",
             (unsigned long long)r->samples_timed_out,
             ns(&nb, 0, (double)in->sample_timeout_ns));
        suggest(t, "The SUT lost or held %llu samples: check it, lower the rate, or raise "
                "--sample-timeout-ms if its answers are slow but certain.",
                (unsigned long long)r->samples_timed_out);
        break;
    case LG_INVALID_ABORTED:
        item(b, "Aborted: the run was stopped before its end.");
        suggest(t, "Run it again to its end, without interrupting it.");
        break;
    case LG_INVALID_MAX_LIMIT:
        item(b, "A max limit ended the run: %s.", txt);
        suggest(t, "Raise or remove --max-duration-ms, --max-query-count or "
                "--max-async-queries (or pass --mlperf-max-limits to accept MLPerf's rule).");
        break;
    case LG_INVALID_COMPLETION_ERRORS:
        item(b, "Completion errors: %llu samples answered twice, %llu answers for unknown "
             "ids, %llu impossible response sizes.",
             (unsigned long long)r->duplicate_completions,
             (unsigned long long)r->unknown_completions, (unsigned long long)r->bad_responses);
        suggest(t, "The SUT answers some samples twice or answers ids it was never given: "
                "fix its bookkeeping.");
        break;
    case LG_INVALID_TOKEN_ERRORS: {
        char tok[400];
        rpt__token_errors_text(&r->tokens, tok, sizeof tok);
        item(b, "Token errors: %s.", tok[0] ? tok : txt);
        suggest(t, "The SUT's first tokens or token counts are wrong: one first token per "
                "sample, before its completion, and (in token mode) more than one token.");
        break;
    }
    default:
        item(b, "%s.", txt);
        suggest(t, "Fix the cause above (%s) and run again.", txt);
        break;
    }
}

static void verdict(xb *b, todo *t, const rpt_run_info *in)
{
    const lg_results *r = &in->results;
    nsbuf nb;
    char p[32];
    heading(b, r->valid ? "Verdict: VALID" : "Verdict: INVALID");
    if (r->valid) {
        para(b, "VALID: the run met every rule the load generator checks (duration, query "
             "count%s, early stopping, no failed or lost samples).",
             r->scenario == LG_SERVER ? ", latency bound" : "");
    } else {
        unsigned n = 0;
        for (unsigned f = 1; f && f <= LG_INVALID_LAST; f <<= 1)
            n += (r->invalid_reasons & f) != 0;
        para(b, "INVALID, for %u reason%s; each must be fixed for a valid run:", n,
             n == 1 ? "" : "s");
        for (unsigned f = 1; f && f <= LG_INVALID_LAST; f <<= 1)
            if (r->invalid_reasons & f)
                reason(b, t, in, f);
        list_end(b);
    }
    if (r->scenario == LG_SERVER && r->valid && in->target_latency_ns > 0) {
        double use = (double)r->latency.target_ns / (double)in->target_latency_ns;
        suggest(t, "The %s latency used %.0f%% of the bound at %.6g QPS; to find the highest "
                "rate that still holds it, run `loadgen find-peak --target-qps %.6g`.",
                pl(in->target_latency_percentile, p, sizeof p), use * 100, in->target_qps,
                in->target_qps);
    }
    if (in->min_duration_ms < 600000 && r->mode != LG_MODE_ACCURACY)
        suggest(t, "This run asked for %llu ms; a result MLPerf accepts asks for 600000 ms "
                "(--min-duration-ms 600000): short runs are for trying things out.",
                (unsigned long long)in->min_duration_ms);
    if (r->mode == LG_MODE_ACCURACY && !in->accuracy.present)
        suggest(t, "Score the answers: `loadgen accuracy %s` (docs/cli.md).", in->dir);
    if (in->accuracy.present && in->accuracy.passed == 0)
        suggest(t, "The accuracy missed its target: a faster setting that costs accuracy "
                "(a quantized model, a smaller one) does not count until it meets it.");
    if (r->mode != LG_MODE_ACCURACY)
        suggest(t, "`loadgen validate %s` says how precise the figures are (confidence "
                "intervals, warm-up, stability); `loadgen report` writes the full report "
                "(docs/course/09-reports.md).", in->dir);
    (void)nb;
}

static void peak(xb *b, const extras *x)
{
    if (!x->peak)
        return;
    heading(b, "Peak search");
    if (x->peak_found)
        para(b, "This folder holds a peak search (%s): %zu probes, each a run at one rate, "
             "%zu of them failing. The peak is %.6g QPS, the highest rate whose bound held%s; "
             "it stopped because %s. The figures above are the peak's probe "
             "(docs/course/06-peak.md).",
             x->peak_algorithm, x->peak_probes, x->peak_failed, x->peak_qps,
             isfinite(x->peak_upper) && x->peak_upper > 0 ? "" : "", x->peak_stop);
    else
        para(b, "This folder holds a peak search (%s) that found no passing rate in %zu "
             "probes: %s. Start lower (--target-qps, --min-qps) or check the SUT.",
             x->peak_algorithm, x->peak_probes, x->peak_stop);
    if (x->peak_found && isfinite(x->peak_upper) && x->peak_upper > 0)
        para(b, "The lowest rate that failed above it was %.6g QPS: the true peak lies "
             "between the two.", x->peak_upper);
}

int rpt_explain(const char *dir, rpt_explain_format format, char **out, char *err,
                size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!dir || !out || (format != RPT_EXPLAIN_TEXT && format != RPT_EXPLAIN_MARKDOWN)) {
        if (err && errlen)
            snprintf(err, errlen, "rpt_explain: bad argument");
        return LG_EINVAL;
    }
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: no such folder", dir);
        return LG_EIO;
    }
    rpt_run *run;
    int rc = rpt_run_load_results(dir, &run, err, errlen);
    if (rc)
        return rc;
    const rpt_run_info *in = rpt_run_get_info(run);
    extras x;
    read_extras(dir, &x);
    xb b = {.md = format == RPT_EXPLAIN_MARKDOWN};
    if (plot_buf_create(&b.pb)) {
        rpt_run_destroy(run);
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return LG_ENOMEM;
    }
    todo t = {.n = 0};
    char title[4200];
    snprintf(title, sizeof title, "The run in %s, explained", dir);
    if (b.md) {
        puts_(&b, "# ");
        puts_(&b, title);
        puts_(&b, "\n\n");
    } else {
        wrap(&b, title, "", "");
        puts_(&b, "\n");
    }
    what_was_run(&b, run, in, &x);
    figures(&b, in);
    verdict(&b, &t, in);
    peak(&b, &x);
    heading(&b, "What to change");
    if (!t.n)
        para(&b, "Nothing: the run is valid and its figures say what they should.");
    for (size_t i = 0; i < t.n; i++)
        item(&b, "%s", t.s[i]);
    if (t.n)
        list_end(&b);
    para(&b, "The words used here are defined in docs/course/glossary.md.");
    rpt_run_destroy(run);
    size_t n = 0;
    char *text = b.oom ? NULL : plot_buf_take(b.pb, &n);
    plot_buf_destroy(b.pb);
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return LG_ENOMEM;
    }
    /* One trailing newline. */
    while (n > 1 && text[n - 1] == '\n' && text[n - 2] == '\n')
        text[--n] = '\0';
    *out = text;
    return 0;
}
