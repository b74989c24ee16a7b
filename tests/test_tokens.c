/* test_tokens.c: token runs end to end (docs/tokens.md): the synthetic SUT as an LLM of
 * known time to first token and time per output token in every scenario, measured within
 * a stated tolerance; MLPerf's token lines in the summary and the detail log (read from
 * the files); the accuracy log's token_count and token_data; results.json's "tokens"
 * read back; MLPerf's errors for n_tokens below 2; inferred tokens; and the program's
 * --slo and token flags. */
#include <criterion/criterion.h>

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/loadgen.h"
#include "loadgen/results_fields.h"
#include "qsl/qsl.h"
#include "report/report.h"
#include "sut/sut.h"
#include "tests/testutil.h"

/* The synthetic LLM: TTFT 2 ms (constant), then 4 more tokens 1 ms apart. */
#define TTFT_NS 2000000
#define TPOT_NS 1000000
#define TOKENS 5

typedef struct token_run {
    lg_settings s;
    lg_results r;
    char dir[PATH_MAX];
} token_run;

static void token_settings(token_run *t, lg_scenario sc)
{
    memset(t, 0, sizeof *t);
    lg_settings_default(&t->s);
    t->s.scenario = sc;
    t->s.use_token_latencies = true;
    t->s.min_duration_ms = 300;
    t->s.min_query_count = 64;
    t->s.single_stream_expected_latency_ns = 6e6;
    t->s.multi_stream_expected_latency_ns = 6e6;
    t->s.multi_stream_samples_per_query = 4;
    t->s.multi_stream_target_latency_percentile = 0.9;
    t->s.server_target_qps = 50;
    t->s.server_target_latency_percentile = 0.9;
    t->s.server_target_latency_ns = 0;
    /* Far above what the SUT does, so that a loaded machine stays within them. */
    t->s.server_ttft_latency_ns = 500000000;
    t->s.server_tpot_latency_ns = 100000000;
    t->s.offline_expected_qps = 1000; /* the SUT's capacity is about 660 samples/s */
    snprintf(t->dir, sizeof t->dir, "%s/%s", tu_tmp, lg_scenario_name(sc));
}

/* Runs t's settings against the synthetic LLM (n_tokens: what it reports), writing the
 * logs into t->dir. */
static void token_run_with(token_run *t, uint64_t tokens)
{
    qsl_synthetic *q;
    cr_assert_eq(qsl_synthetic_create("tq", 256, 64, 4, 0, &q), 0);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    sut_synthetic_config c;
    sut_synthetic_default(&c);
    c.dist = SUT_DIST_CONSTANT;
    c.mean_ns = TTFT_NS;
    c.tokens = tokens;
    c.tpot_ns = TPOT_NS;
    c.workers = 4;
    c.name = "llm";
    sut_synthetic *syn;
    cr_assert_eq(sut_synthetic_create(&c, &syn), 0);
    lg_sut sut = sut_synthetic_sut(syn);
    lg_log_settings l;
    lg_log_settings_default(&l);
    l.outdir = t->dir;
    cr_assert_eq(lg_run_test(&t->s, &sut, &qsl, &l, &t->r), 0, "%s", lg_last_error());
    sut_synthetic_destroy(syn);
    qsl_synthetic_destroy(q);
}

static void token_run_go(token_run *t) { token_run_with(t, TOKENS); }

/* ---- measured against the SUT's known TTFT and TPOT -------------------------------- */

/* Tolerance: a sleep never ends early, and ends late by a scheduler tick or more on a
 * busy 2-core machine (much more when other test builds run beside this one), and
 * queueing adds to TTFT (not to TPOT). So: TPOT's median within [1, 2] ms; TTFT's
 * median at least 2 ms and at most 10x that (a gross error, e.g. a first token timed at
 * the completion, is caught by the next rule, not by this bound); and each sample's
 * latency holds its TTFT and then 4 tokens of at least 1 ms, so the latency's median is
 * at least TTFT's median + 4 ms, whatever the load. Offline's one query queues its
 * samples behind 4 workers: there TTFT is taken from the send, when a worker took the
 * sample. */
static void check_measured(const token_run *t)
{
    const lg_token_results *k = &t->r.tokens;
    const char *name = lg_scenario_name(t->s.scenario);
    cr_assert(k->applies && k->mlperf, "%s", name);
    cr_expect_eq(k->ttft.count, t->r.samples_completed, "%s", name);
    cr_expect_eq(k->tpot.count, t->r.samples_completed, "%s", name);
    cr_expect_eq(k->token_count, TOKENS * t->r.samples_completed, "%s", name);
    cr_expect_str_eq(k->count_source, "sut");
    cr_expect_geq(k->tpot.p50_ns, TPOT_NS, "%s: TPOT p50 %lld", name, (long long)k->tpot.p50_ns);
    cr_expect_leq(k->tpot.p50_ns, TPOT_NS * 2, "%s: TPOT p50 %lld", name,
                  (long long)k->tpot.p50_ns);
    const int64_t ttft = t->s.scenario == LG_OFFLINE ? k->ttft_from_send.p50_ns
                                                     : k->ttft.p50_ns;
    cr_expect_geq(ttft, TTFT_NS, "%s: TTFT %lld", name, (long long)ttft);
    cr_expect_leq(ttft, 10 * TTFT_NS, "%s: TTFT %lld", name, (long long)ttft);
    cr_expect_geq(t->r.latency.p50_ns, ttft + (TOKENS - 1) * TPOT_NS,
                  "%s: latency p50 %lld, TTFT p50 %lld", name, (long long)t->r.latency.p50_ns,
                  (long long)ttft);
    /* TTFT + (tokens - 1) x TPOT is the whole latency. */
    cr_expect_geq(t->r.latency.min_ns, TTFT_NS + (TOKENS - 1) * TPOT_NS, "%s", name);
    cr_expect_eq(k->first_token_duplicates + k->first_token_late + k->missing_first_token, 0);
    cr_expect_not(t->r.invalid_reasons & LG_INVALID_TOKEN_ERRORS, "%s: 0x%x", name,
                  t->r.invalid_reasons);
    /* From the send time (the worker's start): the queueing before it drops out. */
    cr_expect_leq(k->ttft_from_send.p50_ns, k->ttft.p50_ns, "%s", name);
    cr_expect_geq(k->ttft_from_send.min_ns, TTFT_NS, "%s", name);
}

Test(token_runs, single_stream_measures_the_llms_ttft_and_tpot, TU_TMP, .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_SINGLE_STREAM);
    token_run_go(&t);
    check_measured(&t);
    const lg_token_results *k = &t.r.tokens;
    cr_expect(k->ttft_early_stopping.met && k->tpot_early_stopping.met);
    cr_expect_eq(t.r.metric, (double)k->ttft_early_stopping.estimate_ns,
                 "MLPerf's early_stopping_latency_ss is TTFT's estimate in token mode");
    cr_expect_gt(k->tokens_per_sec_with_loadgen_overhead, 0);
    cr_expect_gt(k->tokens_per_sec_without_loadgen_overhead, 0);
}

Test(token_runs, multi_stream_measures_the_llms_ttft_and_tpot, TU_TMP, .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_MULTI_STREAM);
    token_run_go(&t);
    check_measured(&t);
}

Test(token_runs, server_measures_the_llms_ttft_and_tpot_and_is_judged_on_them, TU_TMP,
     .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_SERVER);
    t.s.min_query_count = 30;
    token_run_go(&t);
    check_measured(&t);
    const lg_token_results *k = &t.r.tokens;
    cr_expect(k->ttft_constraint_met && k->tpot_constraint_met);
    cr_expect_not(t.r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT,
                  "a bound of 0 does not judge in token mode: 0x%x", t.r.invalid_reasons);
    cr_expect_eq(t.r.overlatency_count, t.r.samples_issued,
                 "MLPerf still counts every sample over the 0 bound");
    double secs = (double)t.r.duration_ns / 1e9;
    cr_expect_gt(k->completed_tokens_per_sec, 0.9 * (double)k->token_count / secs);
    /* A TTFT bound under the SUT's TTFT makes it INVALID, naming TTFT. */
    t.s.server_ttft_latency_ns = TTFT_NS / 2;
    snprintf(t.dir, sizeof t.dir, "%s/tight", tu_tmp);
    token_run_go(&t);
    cr_expect_not(t.r.tokens.ttft_constraint_met);
    cr_expect(t.r.tokens.tpot_constraint_met);
    cr_expect(t.r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    char *sum = tu_slurp(tu_in_tmp("tight/mlperf_log_summary.txt"), NULL);
    cr_expect(strstr(sum, "\n  Performance constraints satisfied : NO\n"), "%s", sum);
    cr_expect(strstr(sum, "\nRecommendations:\n * TTFT constrain not met: Reduce target QPS "
                          "to improve latency.\n"), "%s", sum);
    free(sum);
}

Test(token_runs, offline_measures_the_llms_tpot_and_tokens_per_second, TU_TMP, .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_OFFLINE);
    t.s.infer_token_latencies = true;
    t.s.token_latency_scaling_factor = 7;
    token_run_go(&t);
    check_measured(&t);
    const lg_token_results *k = &t.r.tokens;
    double max_s = (double)t.r.latency.max_ns / 1e9;
    cr_expect_eq(k->tokens_per_sec, (double)k->token_count / max_s);
    /* MLPerf's samples x factor / the longest latency: the metric times the factor. */
    double inferred = (double)t.r.samples_issued * 7 / max_s;
    cr_expect_lt(fabs(k->inferred_tokens_per_sec - inferred), 1e-9 * inferred,
                 "%.17g, want %.17g", k->inferred_tokens_per_sec, inferred);
    cr_expect(t.r.valid, "0x%x", t.r.invalid_reasons);
    char *sum = tu_slurp(tu_in_tmp("Offline/mlperf_log_summary.txt"), NULL);
    char want[160];
    snprintf(want, sizeof want, "\nTokens per second: %g\nTokens per second (inferred): %g\n"
             "Result is : VALID\n", k->tokens_per_sec, k->inferred_tokens_per_sec);
    cr_expect(strstr(sum, want), "no %s in\n%s", want, sum);
    cr_expect_null(strstr(sum, "Early Stopping Result"), "Offline has no early stopping");
    free(sum);
}

/* ---- the files ------------------------------------------------------------------------- */

/* Every ":::MLLOG" line of the detail log as a JSON object. */
static json_t *detail_of(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/mlperf_log_detail.txt", dir);
    char *text = tu_slurp(path, NULL);
    json_t *all = json_array();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cr_assert_eq(strncmp(line, ":::MLLOG ", 9), 0, "%s", line);
        json_error_t je;
        json_t *o = json_loads(line + 9, JSON_REJECT_DUPLICATES, &je);
        cr_assert_not_null(o, "%s: %s", line, je.text);
        json_array_append_new(all, o);
    }
    free(text);
    return all;
}

/* The value of the detail log's key, or NULL. */
static json_t *value_of(json_t *all, const char *key)
{
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o) {
        if (!strcmp(json_string_value(json_object_get(o, "key")), key))
            return json_object_get(o, "value");
    }
    return NULL;
}

static size_t index_of(json_t *all, const char *key)
{
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o) {
        if (!strcmp(json_string_value(json_object_get(o, "key")), key))
            return i;
    }
    return SIZE_MAX;
}

static void expect_int(json_t *all, const char *key, int64_t want)
{
    json_t *v = value_of(all, key);
    cr_expect(json_is_integer(v), "%s: not an integer", key);
    cr_expect_eq(json_integer_value(v), want, "%s: %lld, want %lld", key,
                 (long long)json_integer_value(v), (long long)want);
}

/* A double as the log writes it (%g: 6 significant digits) against the figure. */
static void expect_dbl(json_t *all, const char *key, double want)
{
    json_t *v = value_of(all, key);
    cr_expect(json_is_number(v), "%s: not a number", key);
    char a[32], b[32];
    snprintf(a, sizeof a, "%g", json_number_value(v));
    snprintf(b, sizeof b, "%g", want);
    cr_expect_str_eq(a, b, "%s", key);
}

/* The six percentile keys of a latency table, MLPerf's labels. */
static void expect_six(json_t *all, const char *prefix, const char *suffix,
                       const lg_latency_stats *s)
{
    static const char *const l[6] = {"50.00", "90.00", "95.00", "97.00", "99.00", "99.90"};
    const int64_t v[6] = {s->p50_ns, s->p90_ns, s->p95_ns, s->p97_ns, s->p99_ns, s->p999_ns};
    char key[128];
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "%s%s_percentile_%s", prefix, l[i], suffix);
        expect_int(all, key, v[i]);
    }
}

Test(token_logs, server_detail_log_has_mlperfs_token_keys_in_its_order, TU_TMP,
     .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_SERVER);
    t.s.min_query_count = 30;
    token_run_go(&t);
    const lg_token_results *k = &t.r.tokens;
    json_t *d = detail_of(t.dir);
    cr_expect(json_is_true(value_of(d, "requested_use_token_latencies")));
    expect_int(d, "requested_server_ttft_latency", 500000000);
    expect_int(d, "requested_server_tpot_latency", 100000000);
    cr_expect_lt(index_of(d, "requested_sample_concatenate_permutation"),
                 index_of(d, "requested_use_token_latencies"), "after MLPerf's others");
    cr_expect_null(value_of(d, "early_stopping_result"), "token mode has its two");
    cr_expect(json_is_string(value_of(d, "early_stopping_ttft_result")));
    cr_expect(json_is_string(value_of(d, "early_stopping_tpot_result")));
    expect_int(d, "result_first_token_min_latency_ns", k->ttft.min_ns);
    expect_int(d, "result_first_token_max_latency_ns", k->ttft.max_ns);
    expect_int(d, "result_first_token_mean_latency_ns", k->ttft.mean_ns);
    expect_six(d, "result_first_token_", "latency_ns", &k->ttft);
    expect_six(d, "result_time_per_output_token_", "ns", &k->tpot);
    /* MLPerf's names for TPOT's min, max and mean. */
    expect_int(d, "result_time_to_output_token_min", k->tpot.min_ns);
    expect_int(d, "result_time_to_output_token_max", k->tpot.max_ns);
    expect_int(d, "result_time_to_output_token_mean", k->tpot.mean_ns);
    expect_dbl(d, "result_token_throughput_with_loadgen_overhead",
               k->tokens_per_sec_with_loadgen_overhead);
    /* MLPerf's unit: tokens per ns. */
    expect_dbl(d, "result_token_throughput", k->tokens_per_sec_without_loadgen_overhead / 1e9);
    cr_expect_lt(json_number_value(value_of(d, "result_token_throughput")), 1e-3);
    expect_dbl(d, "result_completed_tokens_per_second", k->completed_tokens_per_sec);
    cr_expect_null(value_of(d, "result_tokens_per_second"), "Offline's");
    /* MLPerf's order: the latencies, then the first-token block, then TPOT's. */
    size_t lat = index_of(d, "result_99.90_percentile_latency_ns");
    size_t ft = index_of(d, "result_first_token_min_latency_ns");
    size_t tp = index_of(d, "result_time_per_output_token_50.00_percentile_ns");
    size_t cps = index_of(d, "result_completed_tokens_per_second");
    cr_expect(lat < ft && ft < tp && tp < cps && cps < index_of(d, "num_errors"));
    json_decref(d);
}

Test(token_logs, server_summary_has_mlperfs_token_lines, TU_TMP, .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_SERVER);
    t.s.min_query_count = 30;
    token_run_go(&t);
    const lg_token_results *k = &t.r.tokens;
    char *sum = tu_slurp(tu_in_tmp("Server/mlperf_log_summary.txt"), NULL);
    char want[512];
    snprintf(want, sizeof want, "\nCompleted samples per second    : %.2f\nCompleted tokens "
             "per second: %.2f\nResult is : ", t.r.completed_samples_per_sec,
             k->completed_tokens_per_sec);
    cr_expect(strstr(sum, want), "no %s in\n%s", want, sum);
    cr_expect(strstr(sum, "\nTTFT Early Stopping Result:\n"), "%s", sum);
    cr_expect(strstr(sum, "\nTPOT Early Stopping Result:\n"), "%s", sum);
    cr_expect_null(strstr(sum, "\nEarly Stopping Result:"));
    snprintf(want, sizeof want, "\n\nCompleted tokens per second                 : %.2f\n"
             "Min First Token latency (ns)                : %lld\n"
             "Max First Token latency (ns)                : %lld\n"
             "Mean First Token latency (ns)               : %lld\n"
             "50.00 percentile first token latency (ns)   : %lld\n",
             k->completed_tokens_per_sec, (long long)k->ttft.min_ns, (long long)k->ttft.max_ns,
             (long long)k->ttft.mean_ns, (long long)k->ttft.p50_ns);
    cr_expect(strstr(sum, want), "no %s in\n%s", want, sum);
    snprintf(want, sizeof want, "\n\nMin Time per Output Token (ns)                : %lld\n"
             "Max Time per Output Token (ns)                : %lld\n"
             "Mean Time per Output Token (ns)               : %lld\n"
             "50.00 percentile time to output token (ns)   : %lld\n",
             (long long)k->tpot.min_ns, (long long)k->tpot.max_ns, (long long)k->tpot.mean_ns,
             (long long)k->tpot.p50_ns);
    cr_expect(strstr(sum, want), "no %s in\n%s", want, sum);
    cr_expect(strstr(sum, "\n99.90 percentile time to output token (ns)   : "), "%s", sum);
    cr_expect(strstr(sum, "\ntarget_qps : 50\nttft_latency (ns): 500000000\ntpot_latency (ns): "
                          "100000000\nmax_async_queries : 0\n"), "%s", sum);
    cr_expect_null(strstr(sum, "target_latency (ns)"), "token mode shows its bounds instead");
    free(sum);
}

Test(token_logs, single_stream_summary_has_the_first_token_headline_and_tps, TU_TMP,
     .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_SINGLE_STREAM);
    token_run_go(&t);
    const lg_token_results *k = &t.r.tokens;
    char *sum = tu_slurp(tu_in_tmp("SingleStream/mlperf_log_summary.txt"), NULL);
    char want[256];
    snprintf(want, sizeof want, "th percentile latency (ns) : %lld\n90.0th first token "
             "percentile latency (ns) : %lld\nResult is : ", (long long)t.r.latency.target_ns,
             (long long)k->ttft.target_ns);
    cr_expect(strstr(sum, want), "no %s in\n%s", want, sum);
    snprintf(want, sizeof want, "\n\nTPS w/ loadgen overhead         : %.2f\n"
             "TPS w/o loadgen overhead        : %.2f\nMin First Token latency (ns)   ",
             k->tokens_per_sec_with_loadgen_overhead,
             k->tokens_per_sec_without_loadgen_overhead);
    cr_expect(strstr(sum, want), "no %s in\n%s", want, sum);
    /* TTFT's early-stopping text, then TPOT's, each MLPerf's SingleStream text. */
    char *ttft = strstr(sum, "\nTTFT Early Stopping Result:\n * Processed at least 64 queries");
    char *tpot = strstr(sum, "\nTPOT Early Stopping Result:\n * Processed at least 64 queries");
    cr_expect(ttft && tpot && ttft < tpot, "%s", sum);
    snprintf(want, sizeof want, " * Early stopping 90.0th percentile estimate: %lld\n",
             (long long)k->ttft_early_stopping.estimate_ns);
    cr_expect(ttft && strstr(ttft, want), "no %s in\n%s", want, sum);
    free(sum);
    json_t *d = detail_of(t.dir);
    expect_int(d, "early_stopping_latency_ss", k->ttft_early_stopping.estimate_ns);
    expect_dbl(d, "result_completed_tokens_per_second", k->completed_tokens_per_sec);
    json_decref(d);
}

Test(token_logs, offline_logs_tokens_per_second_only, TU_TMP, .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_OFFLINE);
    token_run_go(&t);
    json_t *d = detail_of(t.dir);
    expect_dbl(d, "result_tokens_per_second", t.r.tokens.tokens_per_sec);
    cr_expect(json_is_true(value_of(d, "requested_use_token_latencies")));
    cr_expect_null(value_of(d, "requested_server_ttft_latency"), "not for Offline");
    cr_expect_str_eq(json_string_value(value_of(d, "early_stopping_ttft_result")), "");
    cr_expect_str_eq(json_string_value(value_of(d, "early_stopping_tpot_result")), "");
    cr_expect_null(value_of(d, "result_first_token_min_latency_ns"));
    cr_expect_null(value_of(d, "result_completed_tokens_per_second"));
    json_decref(d);
    /* MLPerf's Offline token block is an empty line after the latency table. */
    char *sum = tu_slurp(tu_in_tmp("Offline/mlperf_log_summary.txt"), NULL);
    cr_expect(strstr(sum, "99.90 percentile latency (ns)   : "), "%s", sum);
    char *tail = strstr(sum, "99.90 percentile latency (ns)   : ");
    cr_expect(tail && strstr(tail, "\n\n\n===="), "%s", sum);
    free(sum);
}

/* A run without tokens has none of their lines. */
Test(token_logs, a_run_without_tokens_has_no_token_lines, TU_TMP, .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_SERVER);
    t.s.use_token_latencies = false;
    t.s.server_target_latency_ns = 100000000;
    t.s.min_query_count = 30;
    token_run_with(&t, 0);
    json_t *d = detail_of(t.dir);
    cr_expect_null(value_of(d, "requested_use_token_latencies"));
    cr_expect_null(value_of(d, "requested_server_ttft_latency"));
    cr_expect_null(value_of(d, "early_stopping_ttft_result"));
    cr_expect_null(value_of(d, "result_first_token_min_latency_ns"));
    cr_expect_null(value_of(d, "result_output_tokens"));
    cr_expect(json_is_string(value_of(d, "early_stopping_result")));
    json_decref(d);
    char *sum = tu_slurp(tu_in_tmp("Server/mlperf_log_summary.txt"), NULL);
    cr_expect_null(strstr(sum, "oken"), "%s", sum);
    cr_expect(strstr(sum, "\ntarget_latency (ns): 100000000\n"), "%s", sum);
    free(sum);
    cr_expect_not(t.r.tokens.applies);
}

/* MLPerf's error for a count below 2, as it logs it, counted in num_errors and the
 * summary's trailer; the run is INVALID for it. */
Test(token_logs, n_tokens_below_2_is_mlperfs_error, TU_TMP, .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_OFFLINE);
    token_run_with(&t, 1);
    const lg_token_results *k = &t.r.tokens;
    cr_expect_eq(k->n_tokens_one, t.r.samples_completed);
    cr_expect_eq(k->token_count, 0, "MLPerf counts them as 0 tokens");
    cr_expect(t.r.invalid_reasons & LG_INVALID_TOKEN_ERRORS);
    json_t *d = detail_of(t.dir);
    size_t i, errors = 0;
    json_t *o;
    bool found = false;
    char want[128];
    snprintf(want, sizeof want, "Number of tokens need to be greater than 1. count: %llu",
             (unsigned long long)t.r.samples_completed);
    json_array_foreach(d, i, o) {
        if (!json_is_true(json_object_get(json_object_get(o, "metadata"), "is_error")))
            continue;
        errors++;
        found |= !strcmp(json_string_value(json_object_get(o, "key")), "error_runtime") &&
                 !strcmp(json_string_value(json_object_get(o, "value")), want);
    }
    cr_expect(found, "no error_runtime '%s'", want);
    expect_int(d, "num_errors", (int64_t)errors);
    json_decref(d);
    char *sum = tu_slurp(tu_in_tmp("Offline/mlperf_log_summary.txt"), NULL);
    cr_expect(strstr(sum, "Token errors: 0 first tokens refused, "), "%s", sum);
    cr_expect(strstr(sum, "ERROR"), "%s", sum);
    free(sum);
}

/* The accuracy log: token_count (the response's n_tokens) in every token run, and, where
 * MLPerf needs a first token (not Offline), its data as token_data. */
Test(token_logs, accuracy_log_has_token_count_and_token_data, TU_TMP, .timeout = 60)
{
    for (int k = 0; k < 2; k++) {
        token_run t;
        token_settings(&t, k ? LG_OFFLINE : LG_SERVER);
        t.s.mode = LG_MODE_ACCURACY;
        t.s.server_target_qps = 400;
        token_run_go(&t);
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/mlperf_log_accuracy.json", t.dir);
        char *text = tu_slurp(path, NULL);
        json_error_t je;
        json_t *a = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        cr_assert(json_is_array(a), "%s: %s", path, je.text);
        cr_expect_eq(json_array_size(a), 256, "every sample of the accuracy set");
        size_t i;
        json_t *e;
        json_array_foreach(a, i, e) {
            cr_expect_eq(json_integer_value(json_object_get(e, "token_count")), TOKENS);
            json_t *td = json_object_get(e, "token_data");
            if (k) {
                cr_expect_null(td, "Offline has no token_data");
                continue;
            }
            /* The synthetic SUT's first token is its response's 4 bytes. */
            cr_expect_str_eq(json_string_value(td),
                             json_string_value(json_object_get(e, "data")));
        }
        /* MLPerf's layout: "token_data" before "token_count", " : " separators. */
        cr_expect(strstr(text, k ? "\", \"token_count\" : 5 }"
                                 : "\", \"token_data\" : \""), "%.300s", text);
        json_decref(a);
        free(text);
    }
}

/* results.json's "tokens" read back by the report library: every listed figure, the
 * latencies and both early-stopping objects, the source. */
Test(token_logs, results_json_tokens_survive_the_round_trip, TU_TMP, .timeout = 60)
{
    token_run t;
    token_settings(&t, LG_SERVER);
    t.s.min_query_count = 30;
    t.s.slo_ttft_ns = 3000000;
    t.s.slo_tpot_ns = 1100000;
    token_run_go(&t);
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(t.dir, &run, err, sizeof err), 0, "%s", err);
    const lg_token_results *a = &t.r.tokens, *b = &rpt_run_get_info(run)->results.tokens;
#define X(key, type, member) cr_expect(a->member == b->member, "tokens." key);
    LG_RESULTS_TOKENS(X)
#undef X
    /* lg_latency_stats has no padding: its bytes are its values. */
    cr_expect_eq(memcmp(&a->ttft, &b->ttft, sizeof a->ttft), 0);
    cr_expect_eq(memcmp(&a->tpot, &b->tpot, sizeof a->tpot), 0);
    cr_expect_eq(memcmp(&a->ttft_from_send, &b->ttft_from_send, sizeof a->ttft), 0);
    cr_expect_eq(memcmp(&a->latency_from_send, &b->latency_from_send, sizeof a->ttft), 0);
#define ES(x) (a->x.applies == b->x.applies && a->x.met == b->x.met &&                        \
               a->x.percentile == b->x.percentile && a->x.queries == b->x.queries &&         \
               a->x.min_queries == b->x.min_queries && a->x.overlatency == b->x.overlatency && \
               a->x.estimate_ns == b->x.estimate_ns)
    cr_expect(ES(ttft_early_stopping));
    cr_expect(ES(tpot_early_stopping));
#undef ES
    cr_expect_str_eq(b->count_source, "sut");
    cr_expect(b->slo_applies);
    cr_expect_gt(b->good_requests, 0);
    rpt_run_destroy(run);
    /* The file says which definitions its figures follow and its settings. */
    char *text = tu_slurp(tu_in_tmp("Server/results.json"), NULL);
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_not_null(j);
    json_t *tk = json_object_get(j, "tokens");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(tk, "definitions"),
                                                       "ttft")),
                     "MLPerf: first token - scheduled time");
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(tk, "settings"),
                                                    "slo_ttft_ns")), 3000000);
    json_decref(j);
    free(text);
}

/* ---- the program ------------------------------------------------------------------------- */

Test(token_cli, slo_flag_sets_the_slos_and_refuses_bad_parts, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "100", "--min-duration-ms", "200",
        "--min-query-count", "10", "--sut-tokens", "4", "--sut-tpot-us", "100",
        "--service-mean-us", "500", "--slo", "ttft=200ms,tpot=50ms", "--slo", "e2e=1.5s",
        "--quiet", "--out", "r");
    cr_expect_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(tu_in_tmp("r"), &run, err, sizeof err), 0, "%s", err);
    const lg_token_results *k = &rpt_run_get_info(run)->results.tokens;
    cr_expect(k->applies && k->slo_applies && !k->mlperf);
    cr_expect_gt(k->good_requests, 0);
    rpt_run_destroy(run);
    char *text = tu_slurp(tu_in_tmp("r/results.json"), NULL);
    cr_expect(strstr(text, "\"slo_ttft_ns\": 200000000, \"slo_tpot_ns\": 50000000, "
                           "\"slo_e2e_ns\": 1500000000"), "%.2000s", text);
    free(text);
    static const struct {
        const char *arg, *msg;
    } bad[] = {
        {"ttft=200", "--slo: 'ttft=200': the duration needs a unit"},
        {"ttft=200xs", "--slo: 'ttft=200xs': unknown unit 'xs'"},
        {"ttfb=2ms", "--slo: 'ttfb=2ms': unknown SLO name"},
        {"ttft", "--slo: 'ttft': no '='"},
        {"ttft=2ms,,tpot=1ms", "--slo: '': an empty item"},
        {"ttft=abcms", "--slo: 'ttft=abcms': unknown unit 'abcms'"},
        {"ttft=1e3.5ms", "--slo: 'ttft=1e3.5ms': '1e3.5'"},
        {"ttft=ms", "--slo: 'ttft=ms': no number before the unit 'ms'"},
        {"ttft=-1ms", "--slo: 'ttft=-1ms': -1ms is out of range"},
        {"ttft=1ms,ttft=2ms", "ttft is given twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        RUN(&p, "run", "--sut", "synthetic", "--slo", bad[i].arg, "--out", "x");
        cr_expect_eq(p.code, 2, "%s: exit %d", bad[i].arg, p.code);
        cr_expect(strstr(p.err, bad[i].msg), "%s: %s", bad[i].arg, p.err);
        tu_proc_free(&p);
    }
}

Test(token_cli, help_lists_the_token_flags_and_they_parse, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--help");
    cr_assert_eq(p.code, 0);
    static const char *const flags[] = {"--use-token-latencies", "--ttft-latency-ms T",
                                        "--tpot-latency-ms T", "--infer-token-latencies",
                                        "--token-latency-scaling-factor N", "--slo ",
                                        "--sut-tokens N", "--sut-tpot-us U"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        cr_expect(strstr(p.out, flags[i]), "no %s in\n%s", flags[i], p.out);
    tu_proc_free(&p);
    /* The bounds and token mode as the program prints the explained settings. */
    RUN(&p, "config", "--sut", "synthetic", "--explain", "--scenario", "Server", "--use-token-latencies",
        "--ttft-latency-ms", "450", "--tpot-latency-ms", "40", "--set",
        "server_target_latency_ns=0");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "450000000"), "%s", p.out);
    cr_expect(strstr(p.out, "--use-token-latencies"), "%s", p.out);
    tu_proc_free(&p);
    /* A Server bound of 0 without token mode is refused. */
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--set", "server_target_latency_ns=0", "--out", "z");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "use_token_latencies"), "%s", p.err);
    tu_proc_free(&p);
}
