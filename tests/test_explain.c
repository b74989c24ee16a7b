/*
 * test_explain.c - `loadgen explain DIR` and rpt_explain (report/explain.c, cli/explain.c)
 * on real short runs made by the program: a VALID Server run, a Server run over its
 * latency bound (the bound, the p99 and a lower rate named), an Offline run too short
 * for its minimum duration, SingleStream, an accuracy run of the model SUT, a token run
 * with gamma arrivals, an HTTP run's client record, failed and lost samples, MultiStream,
 * a peak search, Markdown to a file, and the errors
 * for a missing folder, a folder without results.json and a damaged one. Every number
 * asserted is read back from the run's results.json.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "loadgen/loadgen.h"
#include "report/run.h"
#include "report/validate.h"
#include "tests/testutil.h"

/* The run in tu_tmp/dir read back (the numbers the text must show). */
static rpt_run *load(const char *dir)
{
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load_results(tu_in_tmp(dir), &run, err, sizeof err), 0, "%s", err);
    return run;
}

/* `loadgen explain DIR` (extra flags after); asserts exit 0 and returns the text. */
static char *explain(const char *dir, const char *a1, const char *a2)
{
    tu_proc p;
    if (a1)
        RUN(&p, "explain", dir, a1, a2);
    else
        RUN(&p, "explain", dir);
    cr_assert_eq(p.code, 0, "explain %s: %d %s", dir, p.code, p.err);
    char *out = p.out;
    p.out = NULL;
    tu_proc_free(&p);
    /* The text is wrapped at 78 columns: each line break and the indent after it become
     * one space, so that the sentences can be matched whole. */
    char *w = out;
    for (const char *r = out; *r;) {
        if (*r == '\n') {
            while (*r == '\n' || *r == ' ')
                r++;
            *w++ = ' ';
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return out;
}

static const char *fns(double v, char *buf)
{
    lg_format_ns(v, buf, LG_FORMAT_NS_MAX);
    return buf;
}

#define HAS(text, needle) cr_expect_not_null(strstr(text, needle), "missing '%s' in:\n%s", needle, text)

Test(explain, a_valid_server_run_says_what_it_ran_its_figures_and_valid, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "500",
        "--target-latency-ms", "100", "--min-duration-ms", "1200", "--quiet", "--out", "s");
    cr_assert_eq(p.code, 0, "the run should be VALID: %s %s", p.out, p.err);
    tu_proc_free(&p);
    rpt_run *run = load("s");
    const lg_results *r = &rpt_run_get_info(run)->results;
    char *t = explain("s", NULL, NULL);
    char buf[128], a[LG_FORMAT_NS_MAX];
    HAS(t, "loadgen run --sut synthetic --scenario Server");
    HAS(t, "Server: queries of one sample arrive at random times, 500 a second");
    snprintf(buf, sizeof buf, "%.1f completed queries per second", r->completed_samples_per_sec);
    HAS(t, buf);
    snprintf(buf, sizeof buf, "the p99 latency is %s against 100.0 ms",
             fns((double)r->latency.target_ns, a));
    HAS(t, buf);
    snprintf(buf, sizeof buf, "p99 %s: 99 of 100 samples", fns((double)r->latency.p99_ns, a));
    HAS(t, buf);
    snprintf(buf, sizeof buf, "%llu queries were sent", (unsigned long long)r->queries_issued);
    HAS(t, buf);
    HAS(t, "coordinated");
    snprintf(buf, sizeof buf, "needs at least %llu queries",
             (unsigned long long)r->early_stopping.min_queries);
    HAS(t, buf);
    HAS(t, "Verdict: VALID -");
    cr_expect_null(strstr(t, "INVALID"), "%s", t);
    HAS(t, "loadgen find-peak --target-qps 500");
    HAS(t, "--min-duration-ms 600000");
    free(t);
    rpt_run_destroy(run);
}

Test(explain, a_server_run_over_its_bound_names_the_bound_the_p99_and_a_lower_rate, TU_TMP,
     .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--workers", "1",
        "--service-mean-us", "2000", "--target-qps", "600", "--target-latency-ms", "5",
        "--min-duration-ms", "400", "--quiet", "--out", "o");
    cr_assert_eq(p.code, 1, "the run should be INVALID: %s", p.err);
    tu_proc_free(&p);
    rpt_run *run = load("o");
    const lg_results *r = &rpt_run_get_info(run)->results;
    cr_assert(r->invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    char *t = explain("o", NULL, NULL);
    char buf[160], a[LG_FORMAT_NS_MAX];
    HAS(t, "Verdict: INVALID");
    snprintf(buf, sizeof buf, "the p99 latency is %s, over the bound of 5.000 ms",
             fns((double)r->latency.target_ns, a));
    HAS(t, buf);
    snprintf(buf, sizeof buf, "%llu of %llu samples took longer than the bound",
             (unsigned long long)r->overlatency_count, (unsigned long long)r->samples_issued);
    HAS(t, buf);
    /* One worker at 2 ms a sample completes at most about 500/s: the rate suggested is
     * below the 600 tried, and find-peak is named with it. */
    const char *s = strstr(t, "Lower --target-qps from 600 to about ");
    cr_assert_not_null(s, "%s", t);
    double q = atof(s + strlen("Lower --target-qps from 600 to about "));
    cr_expect(q > 0 && q < 600, "suggested %g", q);
    HAS(t, "loadgen find-peak --target-qps");
    HAS(t, "could not");
    if (r->invalid_reasons & LG_INVALID_EARLY_STOPPING) {
        snprintf(buf, sizeof buf, "it needs %llu queries and had %llu",
                 (unsigned long long)r->early_stopping.min_queries,
                 (unsigned long long)r->early_stopping.queries);
        HAS(t, buf);
        HAS(t, "lower the rate before running longer");
    }
    free(t);
    rpt_run_destroy(run);
}

Test(explain, an_offline_run_too_short_says_how_long_and_the_rate_to_expect, TU_TMP,
     .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Offline", "--target-qps", "100",
        "--min-duration-ms", "500", "--quiet", "--out", "off");
    cr_assert_eq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    rpt_run *run = load("off");
    const lg_results *r = &rpt_run_get_info(run)->results;
    cr_assert(r->invalid_reasons & LG_INVALID_MIN_DURATION);
    char *t = explain("off", NULL, NULL);
    char buf[160], a[LG_FORMAT_NS_MAX];
    HAS(t, "Offline: every sample is sent at once");
    snprintf(buf, sizeof buf, "%.1f samples per second: %llu samples", r->samples_per_sec,
             (unsigned long long)r->samples_issued);
    HAS(t, buf);
    snprintf(buf, sizeof buf, "Too short: it ran %s of the 500 ms required",
             fns((double)r->duration_ns, a));
    HAS(t, buf);
    snprintf(buf, sizeof buf, "raise --target-qps to about %.0f", ceil(r->samples_per_sec * 1.1));
    HAS(t, buf);
    free(t);
    rpt_run_destroy(run);
}

Test(explain, markdown_goes_to_the_file_given, TU_TMP, .timeout = 60)
{
    tu_short_run("m", "Offline", "1");
    tu_proc p;
    RUN(&p, "explain", "m", "--format", "md", "--out", "m.md");
    cr_assert_eq(p.code, 0, "%s", p.err);
    cr_expect_eq(p.out[0], '\0', "%s", p.out);
    tu_proc_free(&p);
    char *t = tu_slurp(tu_in_tmp("m.md"), NULL);
    HAS(t, "# The run in m, explained\n");
    HAS(t, "## What was run\n");
    HAS(t, "## What the figures mean\n");
    HAS(t, "## Verdict: ");
    HAS(t, "## What to change\n");
    HAS(t, "\n- p50 ");
    free(t);
    /* The library gives the same text. */
    char *lib, err[256];
    cr_assert_eq(rpt_explain(tu_in_tmp("m"), RPT_EXPLAIN_MARKDOWN, &lib, err, sizeof err), 0);
    HAS(lib, "## What the figures mean\n");
    free(lib);
    cr_expect_eq(rpt_explain(NULL, RPT_EXPLAIN_TEXT, &lib, err, sizeof err), LG_EINVAL);
    cr_expect_eq(rpt_explain(tu_in_tmp("m"), (rpt_explain_format)7, &lib, err, sizeof err),
                 LG_EINVAL);
}

Test(explain, a_singlestream_run_explains_its_early_stopping_estimate, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "SingleStream", "--min-duration-ms",
        "300", "--quiet", "--out", "ss");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    rpt_run *run = load("ss");
    const lg_results *r = &rpt_run_get_info(run)->results;
    char *t = explain("ss", "--format", "text");
    char buf[200], a[LG_FORMAT_NS_MAX], b[LG_FORMAT_NS_MAX];
    HAS(t, "SingleStream: the load generator sends one query of one sample");
    snprintf(buf, sizeof buf, "The result: p90 latency %s. It is early stopping's estimate: "
             "with %llu", fns(r->metric, a), (unsigned long long)r->queries_issued);
    HAS(t, buf);
    snprintf(buf, sizeof buf, "plain p90 of the measured latencies: %s",
             fns((double)r->latency.target_ns, b));
    HAS(t, buf);
    HAS(t, "needs at least 64 queries");
    HAS(t, r->valid ? "Verdict: VALID" : "Verdict: INVALID");
    free(t);
    rpt_run_destroy(run);
}

Test(explain, an_accuracy_run_shows_its_top1_and_not_a_latency_result, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "model", "--mode", "accuracy", "--scenario", "Offline",
        "--total-sample-count", "300", "--quiet", "--out", "acc");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    rpt_run *run = load("acc");
    const rpt_accuracy *ac = &rpt_run_get_info(run)->accuracy;
    cr_assert(ac->present);
    char *t = explain("acc", NULL, NULL);
    char buf[160];
    HAS(t, "This is an accuracy run");
    snprintf(buf, sizeof buf, "%llu of %llu scored answers were right, top-1 %.2f%%",
             (unsigned long long)ac->correct, (unsigned long long)ac->scored, ac->top1 * 100);
    HAS(t, buf);
    cr_expect_null(strstr(t, "Latencies ("), "%s", t);
    HAS(t, "Verdict: VALID");
    free(t);
    rpt_run_destroy(run);
}

Test(explain, a_token_run_with_gamma_arrivals_explains_ttft_tpot_and_the_pattern, TU_TMP,
     .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--sut-tokens", "20",
        "--sut-tpot-us", "100", "--slo", "ttft=5ms", "--target-qps", "100",
        "--min-duration-ms", "300", "--arrival", "gamma", "--burstiness", "4", "--quiet",
        "--out", "tok");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    rpt_run *run = load("tok");
    const lg_token_results *k = &rpt_run_get_info(run)->results.tokens;
    cr_assert(k->applies);
    char *t = explain("tok", NULL, NULL);
    char buf[160], a[LG_FORMAT_NS_MAX], b[LG_FORMAT_NS_MAX];
    HAS(t, "Arrivals: \"gamma\", not MLPerf's Poisson process");
    snprintf(buf, sizeof buf, "(an LLM-like SUT, %llu output tokens)",
             (unsigned long long)k->output_tokens);
    HAS(t, buf);
    snprintf(buf, sizeof buf, "p50 %s, p99", fns((double)k->ttft.p50_ns, a));
    HAS(t, buf);
    snprintf(buf, sizeof buf, "(TPOT) after the first: p50 %s", fns((double)k->tpot.p50_ns, b));
    HAS(t, buf);
    snprintf(buf, sizeof buf, "goodput: %llu of", (unsigned long long)k->good_requests);
    HAS(t, buf);
    free(t);
    rpt_run_destroy(run);
}

Test(explain, an_http_run_names_its_server_and_the_client_warnings, TU_TMP, .timeout = 60)
{
    tu_short_run("h", "Server", "2");
    const char *const w[] = {"the I/O thread was busy 97% of the run"};
    tu_add_client(tu_in_tmp("h"), w, 1);
    rpt_run *run = load("h");
    const rpt_client_info *c = &rpt_run_get_info(run)->client;
    cr_assert(c->present);
    char *t = explain("h", NULL, NULL);
    char buf[300];
    snprintf(buf, sizeof buf, "The SUT is an HTTP server at %s", c->url);
    HAS(t, buf);
    snprintf(buf, sizeof buf, "%llu with a 5xx", (unsigned long long)c->responses_5xx);
    HAS(t, buf);
    HAS(t, "The client may be limiting this result: the I/O thread was busy 97%");
    free(t);
    rpt_run_destroy(run);
}

Test(explain, failed_and_lost_samples_are_named_with_their_counts_and_timeout, TU_TMP,
     .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "500",
        "--min-duration-ms", "300", "--sut-fail-fraction", "0.05", "--sut-drop-fraction",
        "0.02", "--sample-timeout-ms", "200", "--sut-seed", "3", "--quiet", "--out", "f");
    cr_assert_eq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    rpt_run *run = load("f");
    const lg_results *r = &rpt_run_get_info(run)->results;
    cr_assert_gt(r->samples_timed_out, 0);
    cr_assert_gt(r->samples_failed, r->samples_timed_out);
    char *t = explain("f", NULL, NULL);
    char buf[200];
    snprintf(buf, sizeof buf, "Failed samples: %llu of %llu samples were answered with a "
             "failure status", (unsigned long long)(r->samples_failed - r->samples_timed_out),
             (unsigned long long)r->samples_issued);
    HAS(t, buf);
    snprintf(buf, sizeof buf, "Timed out: %llu samples were never answered within 200.0 ms",
             (unsigned long long)r->samples_timed_out);
    HAS(t, buf);
    HAS(t, "--sample-timeout-ms");
    if ((r->invalid_reasons & LG_INVALID_PERF_CONSTRAINT) &&
        r->latency.target_ns <= 100000000)
        HAS(t, "the rate is not what broke the bound");
    free(t);
    rpt_run_destroy(run);
}

Test(explain, a_multistream_run_says_its_query_size_and_its_estimate, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "MultiStream", "--min-duration-ms",
        "300", "--quiet", "--out", "ms");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    rpt_run *run = load("ms");
    const lg_results *r = &rpt_run_get_info(run)->results;
    char *t = explain("ms", NULL, NULL);
    char buf[200], a[LG_FORMAT_NS_MAX];
    snprintf(buf, sizeof buf, "MultiStream: each query holds %llu samples",
             (unsigned long long)r->samples_per_query);
    HAS(t, buf);
    if (r->metric > 0) {
        snprintf(buf, sizeof buf, "The result: p99 latency %s", fns(r->metric, a));
    } else {
        snprintf(buf, sizeof buf, "with %llu queries there were too few to make one (it "
                 "needs %llu)", (unsigned long long)r->early_stopping.queries,
                 (unsigned long long)r->early_stopping.min_queries);
    }
    HAS(t, buf);
    snprintf(buf, sizeof buf, "Latencies (%llu queries)",
             (unsigned long long)r->query_latency.count);
    HAS(t, buf);
    free(t);
    rpt_run_destroy(run);
}

Test(explain, a_peak_search_folder_names_the_peak_and_its_probes, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "find-peak", "--sut", "synthetic", "--workers", "2", "--service-dist", "constant",
        "--service-mean-us", "1000", "--target-qps", "500", "--target-latency-ms", "10",
        "--probe-ms", "200", "--tolerance", "10%", "--quiet", "--out", "pk");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    json_t *root = tu_results_json("pk");
    json_t *ps = json_object_get(root, "peak_search");
    cr_assert(json_is_object(ps));
    char *t = explain("pk", NULL, NULL);
    char buf[200];
    size_t n = json_array_size(json_object_get(ps, "probes"));
    if (json_is_true(json_object_get(ps, "found"))) {
        snprintf(buf, sizeof buf, "This folder holds a peak search (find-peak): %zu probes", n);
        HAS(t, buf);
        snprintf(buf, sizeof buf, "The peak is %.6g QPS",
                 json_number_value(json_object_get(ps, "peak_qps")));
        HAS(t, buf);
    } else {
        snprintf(buf, sizeof buf, "found no passing rate in %zu probes", n);
        HAS(t, buf);
    }
    free(t);
    json_decref(root);
}

Test(explain, a_folder_that_is_not_a_run_is_named_and_exits_2, TU_TMP, .timeout = 30)
{
    tu_proc p;
    RUN(&p, "explain", "nowhere");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "nowhere: no such folder"), "%s", p.err);
    tu_proc_free(&p);

    cr_assert_eq(mkdir(tu_in_tmp("empty"), 0755), 0);
    RUN(&p, "explain", "empty");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "empty/results.json: cannot read"), "%s", p.err);
    tu_proc_free(&p);

    cr_assert_eq(mkdir(tu_in_tmp("bad"), 0755), 0);
    FILE *f = fopen(tu_in_tmp("bad/results.json"), "w");
    cr_assert_not_null(f);
    fputs("{\"schema\": \"loadgen-res", f);
    fclose(f);
    RUN(&p, "explain", "bad");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "bad/results.json:1: not valid JSON"), "%s", p.err);
    tu_proc_free(&p);

    RUN(&p, "explain", "bad", "--format", "html");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "--format: 'html' is not text or md"), "%s", p.err);
    tu_proc_free(&p);

    RUN(&p, "explain");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "which run?"), "%s", p.err);
    tu_proc_free(&p);

    /* --out never overwrites a run's own files. */
    tu_short_run("r", "Offline", "4");
    RUN(&p, "explain", "r", "--out", "r/results.json");
    cr_expect_eq(p.code, 2, "%s", p.err);
    cr_expect_not_null(strstr(p.err, "--out"), "%s", p.err);
    tu_proc_free(&p);
    json_t *root = tu_results_json("r");
    cr_expect(json_is_object(json_object_get(root, "latency_ns")), "results.json was overwritten");
    json_decref(root);
}
