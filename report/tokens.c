/* tokens.c: the token figures of an LLM run in the reports (docs/tokens.md defines
 * them, docs/reports.md shows where they go): TTFT and TPOT percentiles, tokens per
 * second, token errors, goodput and the token-mode constraints. A run that records no
 * tokens gets none of this, so its report reads as before token runs existed. */
#include <stdio.h>
#include <string.h>

#include "report/internal.h"

bool rpt__set_has_tokens(const rpt_set *set)
{
    size_t n = rpt_set_count(set);
    for (size_t i = 0; i < n; i++)
        if (!rpt_run_get_info(rpt_set_run(set, i))->results.tokens.applies)
            return false;
    return n > 0;
}

double rpt__token_rate(const lg_results *r)
{
    return r->scenario == LG_OFFLINE ? r->tokens.tokens_per_sec
                                     : r->tokens.completed_tokens_per_sec;
}

/* Appends "N what" to buf (at *used) when N is not 0, separated by ", ". */
static void count_item(char *buf, size_t len, size_t *used, uint64_t n, const char *what)
{
    if (!n || *used >= len)
        return;
    int w = snprintf(buf + *used, len - *used, "%s%llu %s", *used ? ", " : "",
                     (unsigned long long)n, what);
    if (w > 0)
        *used += (size_t)w;
}

size_t rpt__token_errors_text(const lg_token_results *k, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    count_item(buf, len, &used, k->first_token_duplicates, "duplicate first tokens");
    count_item(buf, len, &used, k->first_token_unknown, "first tokens for unknown ids");
    count_item(buf, len, &used, k->first_token_late, "late first tokens");
    count_item(buf, len, &used, k->missing_first_token, "samples without a first token");
    count_item(buf, len, &used, k->n_tokens_zero, "token counts of 0");
    count_item(buf, len, &used, k->n_tokens_negative, "negative token counts");
    count_item(buf, len, &used, k->n_tokens_one, "token counts of 1");
    return used;
}

/* One row of the latency table: the label, then min, mean, the percentiles and max. */
static void latency_row(rpt_doc *d, const char *label, const lg_latency_stats *s)
{
    rpt__doc_cell(d, "%s (n = %llu)", label, (unsigned long long)s->count);
    int64_t v[] = {s->min_ns, s->mean_ns, s->p50_ns, s->p90_ns, s->p95_ns, s->p97_ns,
                   s->p99_ns, s->p999_ns, s->max_ns};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char a[RPT_FORMAT_MAX];
        if (s->count)
            rpt_format_value(a, sizeof a, (double)v[i], "ns");
        else
            snprintf(a, sizeof a, "n/a");
        rpt__doc_cell(d, "%s", a);
    }
}

static void latency_table(rpt_doc *d, const rpt_run_info *in)
{
    const lg_token_results *k = &in->results.tokens;
    static const char *const hdr[] = {"token latency", "min", "mean", "p50", "p90", "p95",
                                      "p97", "p99", "p99.9", "max"};
    rpt__doc_table(d, sizeof hdr / sizeof hdr[0]);
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++)
        rpt__doc_cell(d, "%s", hdr[i]);
    bool offline = in->results.scenario == LG_OFFLINE;
    latency_row(d, offline ? "TTFT from the pass start" : "TTFT from the scheduled time",
                &k->ttft);
    latency_row(d, "TTFT from the send", &k->ttft_from_send);
    latency_row(d, "TPOT", &k->tpot);
    latency_row(d, "latency from the send", &k->latency_from_send);
}

/* A row "what": "N tokens/s" for a rate. */
static void rate_row(rpt_doc *d, const char *what, double per_sec)
{
    rpt__doc_cell(d, "%s", what);
    rpt__doc_cell(d, "%.1f tokens/s", per_sec);
}

/* A token-mode early-stopping row, as the run's own early stopping is shown. */
static void early_stopping_row(rpt_doc *d, const char *what, const lg_early_stopping *es,
                               lg_scenario sc)
{
    char a[RPT_FORMAT_MAX];
    rpt__doc_cell(d, "%s early stopping (%s)", what, stats_percentile_label(es->percentile).s);
    if (sc == LG_SERVER)
        rpt__doc_cell(d, "%s: %llu samples over the bound, %llu queries needed",
                      es->met ? "met" : "NOT met", (unsigned long long)es->overlatency,
                      (unsigned long long)es->min_queries);
    else
        rpt__doc_cell(d, "%s: estimate %s, %llu queries needed", es->met ? "met" : "NOT met",
                      (rpt_format_value(a, sizeof a, (double)es->estimate_ns, "ns"), a),
                      (unsigned long long)es->min_queries);
}

/* MLPerf's token-mode rules: Server's TTFT and TPOT bounds at the target percentile, and
 * early stopping on TPOT, then TTFT. */
static void constraint_rows(rpt_doc *d, const rpt_run_info *in)
{
    const lg_results *r = &in->results;
    const lg_token_results *k = &r->tokens;
    char a[RPT_FORMAT_MAX], b[RPT_FORMAT_MAX];
    const char *pct = stats_percentile_label(in->target_latency_percentile).s;
    if (r->scenario == LG_SERVER) {
        const struct { const char *name; bool met; int64_t at, bound; } c[2] = {
            {"TTFT", k->ttft_constraint_met, k->ttft.target_ns, in->token_settings.ttft_latency_ns},
            {"TPOT", k->tpot_constraint_met, k->tpot.target_ns, in->token_settings.tpot_latency_ns},
        };
        for (int i = 0; i < 2; i++) {
            rpt_format_value(a, sizeof a, (double)c[i].at, "ns");
            rpt_format_value(b, sizeof b, (double)c[i].bound, "ns");
            rpt__doc_cell(d, "%s constraint (token mode)", c[i].name);
            rpt__doc_cell(d, "%s: %s %s %s, %s %s", c[i].met ? "met" : "NOT met", pct,
                          c[i].name, a, c[i].met ? "bound" : "over the bound", b);
        }
    }
    if (k->tpot_early_stopping.applies)
        early_stopping_row(d, "TPOT", &k->tpot_early_stopping, r->scenario);
    if (k->ttft_early_stopping.applies)
        early_stopping_row(d, "TTFT", &k->ttft_early_stopping, r->scenario);
    else if (k->tpot_early_stopping.applies) {
        rpt__doc_cell(d, "TTFT early stopping");
        rpt__doc_cell(d, "not evaluated (TPOT's was not met)");
    }
}

/* "TTFT at most 5.000 ms, TPOT at most 1.000 ms": the goodput SLOs set, "" when none. */
static size_t slo_text(const rpt_token_settings *ts, char *buf, size_t len)
{
    char a[RPT_FORMAT_MAX];
    size_t used = 0;
    buf[0] = '\0';
    const struct { const char *name; int64_t ns; } s[3] = {
        {"TTFT", ts->slo_ttft_ns}, {"TPOT", ts->slo_tpot_ns}, {"latency", ts->slo_e2e_ns}};
    for (int i = 0; i < 3; i++) {
        if (s[i].ns <= 0 || used >= len)
            continue;
        rpt_format_value(a, sizeof a, (double)s[i].ns, "ns");
        used += (size_t)snprintf(buf + used, len - used, "%s%s at most %s", used ? ", " : "",
                                 s[i].name, a);
    }
    return used;
}

const char *rpt__token_settings_text(const rpt_run_info *in, char *buf, size_t len)
{
    const lg_token_results *k = &in->results.tokens;
    const rpt_token_settings *ts = &in->token_settings;
    char slo[160], a[RPT_FORMAT_MAX], b[RPT_FORMAT_MAX];
    size_t used = 0;
    if (!k->applies) {
        snprintf(buf, len, "none");
        return buf;
    }
    if (k->mlperf && in->results.scenario == LG_SERVER) {
        rpt_format_value(a, sizeof a, (double)ts->ttft_latency_ns, "ns");
        rpt_format_value(b, sizeof b, (double)ts->tpot_latency_ns, "ns");
        used = (size_t)snprintf(buf, len, "MLPerf's token mode, TTFT bound %s, TPOT bound %s",
                                a, b);
    } else {
        used = (size_t)snprintf(buf, len, "%s", k->mlperf ? "MLPerf's token mode"
                                                          : "recorded for the goodput SLOs");
    }
    if (used < len && slo_text(ts, slo, sizeof slo))
        snprintf(buf + used, len - used, "; SLOs %s", slo);
    return buf;
}

/* Goodput: the SLOs set, the good requests and the rates. */
static void goodput_rows(rpt_doc *d, const rpt_run_info *in)
{
    const lg_token_results *k = &in->results.tokens;
    char slo[160];
    size_t used = slo_text(&in->token_settings, slo, sizeof slo);
    rpt__doc_cell(d, "goodput SLOs");
    rpt__doc_cell(d, "%s", used ? slo : "none recorded");
    uint64_t issued = in->results.samples_issued;
    rpt__doc_cell(d, "good requests");
    rpt__doc_cell(d, "%llu of %llu samples (%.2f%%), %llu tokens",
                  (unsigned long long)k->good_requests, (unsigned long long)issued,
                  issued ? 100.0 * (double)k->good_requests / (double)issued : 0.0,
                  (unsigned long long)k->good_tokens);
    rpt__doc_cell(d, "request goodput");
    rpt__doc_cell(d, "%.1f requests/s", k->request_goodput);
    rate_row(d, "token goodput", k->token_goodput);
}

/* The rates of the scenario (MLPerf's, as its summary names them), then ours. */
static void rate_rows(rpt_doc *d, const rpt_run_info *in)
{
    const lg_results *r = &in->results;
    const lg_token_results *k = &r->tokens;
    if (r->scenario == LG_OFFLINE) {
        rate_row(d, "tokens per second (MLPerf: tokens / the longest latency)",
                 k->tokens_per_sec);
    } else {
        rate_row(d, "completed tokens per second (MLPerf: tokens / the last completion)",
                 k->completed_tokens_per_sec);
    }
    if (r->scenario == LG_SINGLE_STREAM) {
        rate_row(d, "tokens per second with loadgen overhead",
                 k->tokens_per_sec_with_loadgen_overhead);
        rate_row(d, "tokens per second without loadgen overhead",
                 k->tokens_per_sec_without_loadgen_overhead);
    }
    if (in->token_settings.infer_tokens || k->inferred_tokens_per_sec > 0) {
        char what[128];
        snprintf(what, sizeof what, "inferred tokens per second (samples x %llu)",
                 (unsigned long long)in->token_settings.token_scaling);
        rate_row(d, what, k->inferred_tokens_per_sec);
    }
    rate_row(d, "output tokens per second (output tokens / the run's duration)",
             k->output_tokens_per_sec);
}

void rpt__token_section(rpt_doc *d, const rpt_run_info *in)
{
    const lg_token_results *k = &in->results.tokens;
    if (!k->applies)
        return;
    rpt__doc_para(d, "Tokens (%s; token counts %s; definitions in docs/tokens.md):",
                  k->mlperf ? "MLPerf's token mode" : "recorded for the goodput SLOs",
                  !strcmp(k->count_source ? k->count_source : "", "sut")
                      ? "reported by the SUT" : "not reported by any sample");
    latency_table(d, in);
    rpt__doc_table(d, 2);
    rpt__doc_cell(d, "token figure");
    rpt__doc_cell(d, "value");
    rpt__doc_cell(d, "output tokens");
    rpt__doc_cell(d, "%llu tokens from %llu samples (MLPerf's count: %llu)",
                  (unsigned long long)k->output_tokens,
                  (unsigned long long)k->samples_with_tokens,
                  (unsigned long long)k->token_count);
    rate_rows(d, in);
    char errs[512];
    rpt__doc_cell(d, "token errors");
    rpt__doc_cell(d, "%s", rpt__token_errors_text(k, errs, sizeof errs) ? errs : "none");
    if (k->slo_applies)
        goodput_rows(d, in);
    if (k->mlperf)
        constraint_rows(d, in);
}
