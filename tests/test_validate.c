/*
 * test_validate.c - reading runs back and validating them (report/run.c, report/validate.c),
 * `loadgen validate`, `loadgen run --repeat N` and the `loadgen stats` calculators: a real
 * short run validated (intervals ordered, the method named, every check assessed), a run
 * with a stalling SUT flagged unstable, a run without samples.bin, corrupt files, three
 * repetitions and their summary, and the numbers of the calculators (23886, 24576, 64,
 * 662, 6636; n = 700 at p90 discards 50).
 */
#include <criterion/criterion.h>

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/internal.h"
#include "report/metrics.h"
#include "report/run.h"
#include "report/validate.h"
#include "tests/testutil.h"

/* ---- helpers (the shared ones are in tests/testutil.h) -------------------------- */

/* A short Server run at 2000 queries/s into tu_tmp/name (extra flags after). */
#define SERVER_RUN(p, name, ...)                                                              \
    RUN(p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "2000", "--min-duration-ms", "300", \
        "--quiet", "--out", name, ##__VA_ARGS__)

static json_t *load_json_text(const char *text)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    cr_assert_not_null(root, "not JSON: %s\n%s", je.text, text);
    return root;
}

/* ---- validation of real runs ---------------------------------------------------------- */

Test(validate, a_short_server_run_gets_intervals_checks_and_a_verdict, TU_TMP, .timeout = 60)
{
    tu_proc p;
    SERVER_RUN(&p, "s");
    cr_assert_leq(p.code, 1, "run failed: %s", p.err);
    tu_proc_free(&p);

    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(tu_in_tmp("s"), &run, err, sizeof err), 0, "%s", err);
    const rpt_run_info *in = rpt_run_get_info(run);
    cr_expect_eq(in->results.scenario, LG_SERVER);
    cr_expect(in->has_samples);
    cr_expect_eq(in->target_qps, 2000);
    cr_expect_eq(in->min_duration_ms, 300);
    cr_expect_eq(in->target_latency_percentile, 0.99);
    size_t n;
    const rpt_sample *s = rpt_run_samples(run, &n);
    cr_expect_eq(n, in->results.samples_issued);
    cr_expect_gt(n, 300);
    cr_expect_geq(s[n - 1].scheduled_ns, s[0].scheduled_ns);

    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    cr_expect_eq(v.scenario, LG_SERVER);
    cr_expect_eq(v.latencies, in->results.latency.count);
    cr_expect_eq(v.sizes.classic, 262742);
    cr_expect_eq(v.early_stopping_needed, in->results.early_stopping.min_queries);
    cr_assert(v.latency_ci);
    const rpt_interval *iv[3] = {&v.p50_ns, &v.p90_ns, &v.p99_ns};
    for (int i = 0; i < 3; i++) {
        cr_expect_leq(iv[i]->lo, iv[i]->estimate, "interval %d", i);
        cr_expect_geq(iv[i]->hi, iv[i]->estimate, "interval %d", i);
    }
    cr_expect_leq(v.p50_ns.estimate, v.p90_ns.estimate);
    cr_expect_leq(v.p90_ns.estimate, v.p99_ns.estimate);
    /* The estimates are MLPerf's percentiles of the run, as results.json has them. */
    cr_expect_eq(v.p50_ns.estimate, (double)in->results.latency.p50_ns);
    cr_expect_eq(v.p99_ns.estimate, (double)in->results.latency.p99_ns);
    cr_expect_eq(v.target_ns.estimate, v.p99_ns.estimate);
    cr_expect_geq(v.block_len, 1);
    cr_expect(strstr(v.latency_method, "moving-block bootstrap"), "%s", v.latency_method);
    cr_assert(v.throughput_ci);
    cr_expect(v.throughput.lo < v.throughput.estimate && v.throughput.estimate < v.throughput.hi);
    cr_expect(fabs(v.throughput.estimate - 2000) < 600, "throughput %g", v.throughput.estimate);
    cr_expect(strstr(v.throughput_method, "batch means"), "%s", v.throughput_method);
    cr_expect(v.outliers_done);
    for (int i = 0; i < RPT_CHECK_COUNT; i++)
        cr_expect_neq(v.checks[i].status, RPT_SKIP, "check %s skipped: %s",
                      rpt_check_name((rpt_check_id)i), v.checks[i].finding);
    /* 600 queries are far fewer than the classic 262742 for p99, but enough for early
     * stopping (or the run is INVALID): the classic rule is a note, never a caveat. */
    const char *ss = v.checks[RPT_CHECK_SAMPLE_SIZE].finding;
    if (in->results.valid) {
        cr_expect_eq(v.checks[RPT_CHECK_SAMPLE_SIZE].status, RPT_PASS, "%s", ss);
        cr_expect(strstr(ss, "Note: the classic rule would want 262742"), "%s", ss);
        cr_expect(strstr(ss, "information, not a caveat"), "%s", ss);
    }
    for (size_t i = 0; i < v.n_recommendations; i++)
        cr_expect(!strstr(v.recommendations[i], "classic"), "%s", v.recommendations[i]);
    /* The same seed gives the same intervals. */
    rpt_validation v2;
    cr_assert_eq(rpt_validate(run, NULL, &v2), 0);
    cr_expect_eq(v2.p99_ns.lo, v.p99_ns.lo);
    cr_expect_eq(v2.p99_ns.hi, v.p99_ns.hi);
    rpt_run_destroy(run);

    /* The program: text and JSON. */
    RUN(&p, "validate", "s");
    cr_expect_leq(p.code, 1, "%s", p.err);
    cr_expect(strstr(p.out, "Verdict: "), "%s", p.out);
    cr_expect(strstr(p.out, "moving-block bootstrap"), "%s", p.out);
    cr_expect(strstr(p.out, "stability"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "validate", "s", "--json");
    json_t *root = load_json_text(p.out);
    cr_expect_str_eq(json_string_value(json_object_get(root, "schema")), "loadgen-validate");
    const char *verdict = json_string_value(json_object_get(root, "verdict"));
    cr_assert_not_null(verdict);
    cr_expect(!strcmp(verdict, "trustworthy") || !strcmp(verdict, "usable with caveats") ||
              !strcmp(verdict, "not trustworthy"), "%s", verdict);
    json_t *lat = json_object_get(json_object_get(root, "intervals"), "latency");
    cr_expect_str_eq(json_string_value(json_object_get(lat, "method")), "moving_block_bootstrap");
    cr_expect(json_is_number(json_object_get(json_object_get(lat, "p99"), "ci_low")));
    json_t *tp = json_object_get(json_object_get(root, "intervals"), "throughput");
    cr_expect_str_eq(json_string_value(json_object_get(tp, "method")), "batch_means");
    cr_expect_eq(json_array_size(json_object_get(root, "checks")), RPT_CHECK_COUNT);
    cr_expect(json_is_array(json_object_get(root, "recommendations")));
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(root, "sample_sizes"),
                                                    "classic")), 262742);
    json_decref(root);
    tu_proc_free(&p);
}

Test(validate, a_stalling_sut_is_flagged_unstable, TU_TMP, .timeout = 60)
{
    /* The issue call blocks 60 ms once, 220 ms into a 300 ms run: the last windows see
     * a gap in completions and a burst of late queries. */
    tu_proc p;
    SERVER_RUN(&p, "stall", "--sut-stall-ms", "60", "--sut-stall-every-ms", "220");
    cr_assert_leq(p.code, 1, "run failed: %s", p.err);
    tu_proc_free(&p);
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(tu_in_tmp("stall"), &run, err, sizeof err), 0, "%s", err);
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    rpt_run_destroy(run);
    rpt_status st = v.checks[RPT_CHECK_STABILITY].status;
    cr_expect(st == RPT_WARN || st == RPT_FAIL, "stability %s: %s", rpt_status_name(st),
              v.checks[RPT_CHECK_STABILITY].finding);
    cr_expect(strstr(v.checks[RPT_CHECK_STABILITY].finding, "Unstable"), "%s",
              v.checks[RPT_CHECK_STABILITY].finding);
    cr_expect_neq(v.verdict, RPT_TRUSTWORTHY);
    bool advice = false;
    for (size_t i = 0; i < v.n_recommendations; i++)
        advice = advice || strstr(v.recommendations[i], "unstable");
    cr_expect(advice, "no recommendation about the instability");

    RUN(&p, "validate", "stall");
    cr_expect(strstr(p.out, "Unstable"), "%s", p.out);
    tu_proc_free(&p);
}

Test(validate, runs_without_samples_and_broken_folders, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--min-duration-ms", "100", "--quiet", "--out", "ns", "--no-samples-file");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(tu_in_tmp("ns"), &run, err, sizeof err), 0, "%s", err);
    cr_expect_not(rpt_run_get_info(run)->has_samples);
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    cr_expect_not(v.latency_ci);
    cr_expect_eq(v.checks[RPT_CHECK_WARMUP].status, RPT_SKIP);
    cr_expect_neq(v.checks[RPT_CHECK_VALIDITY].status, RPT_SKIP);
    cr_expect_neq(v.verdict, RPT_TRUSTWORTHY);
    rpt_run_destroy(run);

    /* No results.json: LG_EIO naming the file; the program exits 2. */
    cr_assert_eq(mkdir(tu_in_tmp("empty"), 0777), 0);
    cr_expect_eq(rpt_run_load(tu_in_tmp("empty"), &run, err, sizeof err), LG_EIO);
    cr_expect(strstr(err, "results.json"), "%s", err);
    RUN(&p, "validate", "empty");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "empty"), "%s", p.err);
    tu_proc_free(&p);

    /* Not our schema. */
    cr_assert_eq(mkdir(tu_in_tmp("other"), 0777), 0);
    FILE *f = fopen(tu_in_tmp("other/results.json"), "w");
    fputs("{\"schema\": \"something-else\"}\n", f);
    fclose(f);
    cr_expect_eq(rpt_run_load(tu_in_tmp("other"), &run, err, sizeof err), LG_EINVAL);
    cr_expect(strstr(err, "loadgen-results"), "%s", err);

    /* A truncated samples.bin is refused, not misread. */
    RUN(&p, "run", "--sut", "synthetic", "--min-duration-ms", "100", "--quiet", "--out", "cut");
    tu_proc_free(&p);
    cr_assert_eq(truncate(tu_in_tmp("cut/samples.bin"), 64 + 32 * 3 + 7), 0);
    cr_expect_eq(rpt_run_load(tu_in_tmp("cut"), &run, err, sizeof err), LG_EINVAL);
    cr_expect(strstr(err, "samples.bin"), "%s", err);
    RUN(&p, "validate", "cut");
    cr_expect_eq(p.code, 2);
    tu_proc_free(&p);

    /* A samples.bin that results.json says was written, and is gone: incomplete. */
    RUN(&p, "run", "--sut", "synthetic", "--min-duration-ms", "100", "--quiet", "--out", "gone");
    tu_proc_free(&p);
    char *json = tu_slurp(tu_in_tmp("gone/results.json"), NULL);
    cr_expect(strstr(json, "\"samples_file\": true"), "%.300s", json);
    free(json);
    json = tu_slurp(tu_in_tmp("ns/results.json"), NULL);
    cr_expect(strstr(json, "\"samples_file\": false"), "%.300s", json);
    free(json);
    cr_assert_eq(unlink(tu_in_tmp("gone/samples.bin")), 0);
    cr_expect_eq(rpt_run_load(tu_in_tmp("gone"), &run, err, sizeof err), LG_EINVAL);
    cr_expect(strstr(err, "incomplete run folder"), "%s", err);
    RUN(&p, "validate", "gone");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "samples.bin was written, but it is missing"), "%s", p.err);
    tu_proc_free(&p);

    RUN(&p, "validate");
    cr_expect_eq(p.code, 2);
    tu_proc_free(&p);
    RUN(&p, "validate", "--help");
    cr_expect_eq(p.code, 0);
    cr_expect(strstr(p.out, "usage: loadgen validate"), "%s", p.out);
    tu_proc_free(&p);
}

/* A clean SingleStream run made in memory (no machine noise): 6000 queries back to back,
 * each answered in 300 to 400 us (a fixed-seed generator), VALID, early stopping met.
 * Far below the classic rule's 23886 for the p90, and still trustworthy: the classic
 * rule is a note, not a caveat. */
static rpt_run *clean_run_in_memory(size_t n)
{
    rpt_run *run = calloc(1, sizeof *run);
    cr_assert_not_null(run);
    cr_assert_eq(pthread_mutex_init(&run->series_lock, NULL), 0);
    run->samples = calloc(n, sizeof *run->samples);
    cr_assert_not_null(run->samples);
    run->n_samples = n;
    uint64_t x = 12345;
    int64_t t = 0;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int64_t lat = 300000 + (int64_t)((x >> 33) % 100000);
        run->samples[i] = (rpt_sample){.scheduled_ns = t, .issued_ns = t,
                                       .completed_ns = t + lat, .index = (uint32_t)(i % 64)};
        t += lat;
    }
    run->end_ns = t;
    rpt_run_info *in = &run->info;
    in->dir = "clean";
    in->has_samples = true;
    in->target_latency_percentile = 0.90;
    in->min_duration_ms = 2000;
    in->min_query_count = 100;
    lg_results *r = &in->results;
    r->scenario = LG_SINGLE_STREAM;
    r->mode = LG_MODE_PERFORMANCE;
    r->valid = true;
    r->metric_name = "early_stopping_latency_ss";
    r->metric_unit = "ns";
    r->queries_issued = r->samples_issued = r->samples_completed = n;
    r->latency.count = n;
    r->duration_ns = t;
    r->early_stopping = (lg_early_stopping){.applies = true, .met = true, .percentile = 0.90,
                                            .queries = n, .min_queries = 64};
    return run;
}

Test(validate, a_clean_long_run_is_trustworthy, .timeout = 30)
{
    rpt_run *run = clean_run_in_memory(6000);
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    cr_expect_lt(v.latencies, v.sizes.classic, "the run is meant to be below the classic rule");
    const char *ss = v.checks[RPT_CHECK_SAMPLE_SIZE].finding;
    cr_expect_eq(v.checks[RPT_CHECK_SAMPLE_SIZE].status, RPT_PASS, "%s", ss);
    cr_expect(strstr(ss, "Note: the classic rule would want 23886"), "%s", ss);
    cr_expect(strstr(ss, "information, not a caveat"), "%s", ss);
    for (int i = 0; i < RPT_CHECK_COUNT; i++)
        cr_expect_eq(v.checks[i].status, RPT_PASS, "check %s: %s",
                     rpt_check_name((rpt_check_id)i), v.checks[i].finding);
    cr_expect_eq(v.verdict, RPT_TRUSTWORTHY, "verdict %s", rpt_verdict_name(v.verdict));
    cr_expect_eq(v.n_recommendations, 0, "first: %s", v.recommendations[0]);
    rpt_run_destroy(run);
}

/* The same on a real run of the synthetic SUT: the sample-size check passes with its note
 * and the verdict is "trustworthy" exactly when no check warns (on a loaded machine the
 * outlier or precision checks may, which is their job; the classic rule never is why). */
Test(validate, a_real_run_is_trustworthy_unless_a_check_that_matters_warns, TU_TMP,
     .timeout = 90)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "SingleStream", "--service-mean-us", "300",
        "--min-duration-ms", "2500", "--quiet", "--out", "clean");
    cr_assert_eq(p.code, 0, "run failed: %s", p.err);
    tu_proc_free(&p);
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(tu_in_tmp("clean"), &run, err, sizeof err), 0, "%s", err);
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    cr_expect_eq(v.checks[RPT_CHECK_SAMPLE_SIZE].status, RPT_PASS, "%s",
                 v.checks[RPT_CHECK_SAMPLE_SIZE].finding);
    bool all_pass = true;
    for (int i = 0; i < RPT_CHECK_COUNT; i++)
        all_pass = all_pass && v.checks[i].status == RPT_PASS;
    cr_expect_eq(v.verdict == RPT_TRUSTWORTHY, all_pass, "verdict %s",
                 rpt_verdict_name(v.verdict));
    for (size_t i = 0; i < v.n_recommendations; i++)
        cr_expect(!strstr(v.recommendations[i], "classic"), "%s", v.recommendations[i]);
    rpt_run_destroy(run);
    RUN(&p, "validate", "clean");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, all_pass ? "Verdict: trustworthy" : "Verdict: usable with caveats"),
              "%s", p.out);
    tu_proc_free(&p);
}

/* On a trending series (latency rising through the run, as an overloaded queue does)
 * the moving-block bootstrap under-samples the run's end, and its interval of a high
 * percentile can miss the estimate of the whole run: it is widened to reach it, and the
 * method says the series trends. */
Test(validate, a_trending_series_gets_an_interval_that_holds_its_estimate, .timeout = 30)
{
    enum { N = 4000 };
    static double lat[N], sorted[N];
    for (size_t i = 0; i < N; i++) {
        /* 100 ms rising to 750 ms, with a small deterministic wobble. */
        lat[i] = 100e6 + 650e6 * (double)i / N + 1e6 * (double)((i * 7919) % 13);
        sorted[i] = lat[i];
    }
    for (size_t i = 1; i < N; i++) /* insertion sort: sorted is nearly sorted already */
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            double t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    rpt_validate_opts o;
    rpt_validate_opts_default(&o);
    rpt_validation v;
    memset(&v, 0, sizeof v);
    v.percentile = 0.99;
    cr_assert_eq(rpt__latency_intervals(lat, sorted, N, &o, &v), 0);
    cr_assert(v.latency_ci);
    const rpt_interval *iv[3] = {&v.p50_ns, &v.p90_ns, &v.p99_ns};
    for (int i = 0; i < 3; i++) {
        cr_expect_leq(iv[i]->lo, iv[i]->estimate, "interval %d", i);
        cr_expect_geq(iv[i]->hi, iv[i]->estimate, "interval %d", i);
    }
    /* The run's own p99 is at the top of the ramp; the resamples' p99s fall short of it. */
    cr_expect_eq(v.p99_ns.hi, v.p99_ns.estimate, "[%g, %g] %g", v.p99_ns.lo, v.p99_ns.hi,
                 v.p99_ns.estimate);
    cr_expect(strstr(v.latency_method, "the series trends"), "%s", v.latency_method);
    cr_expect(strstr(v.latency_method, "p99"), "%s", v.latency_method);

    /* The widening itself: an interval that holds its estimate is left alone. */
    rpt_interval in = {5, 4, 6}, below = {3, 4, 6}, above = {7, 4, 6};
    cr_expect(!rpt__interval_cover(&in));
    cr_expect(in.lo == 4 && in.hi == 6);
    cr_expect(rpt__interval_cover(&below));
    cr_expect(below.lo == 3 && below.hi == 6);
    cr_expect(rpt__interval_cover(&above));
    cr_expect(above.lo == 4 && above.hi == 7);
}

/* An overloaded Server run (twice the synthetic SUT's capacity of 4000 samples/s): the
 * only advice is to lower the load, never to run longer. */
Test(validate, an_overloaded_server_run_is_advised_only_to_lower_the_load, TU_TMP,
     .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "8000", "--min-duration-ms", "300",
        "--quiet", "--out", "over2");
    cr_assert_eq(p.code, 1, "exit %d: %s", p.code, p.err);
    tu_proc_free(&p);
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(tu_in_tmp("over2"), &run, err, sizeof err), 0, "%s", err);
    const rpt_run_info *in = rpt_run_get_info(run);
    cr_assert(in->results.invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    cr_assert_gt(in->results.latency.target_ns, in->target_latency_ns);
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    cr_assert_gt(v.n_recommendations, 0);
    cr_expect(strstr(v.recommendations[0], "lower --target-qps"), "%s", v.recommendations[0]);
    cr_expect(strstr(v.recommendations[0], "Running longer does not help"), "%s",
              v.recommendations[0]);
    for (size_t i = 0; i < v.n_recommendations; i++) {
        cr_expect(!strstr(v.recommendations[i], "run longer"), "%s", v.recommendations[i]);
        cr_expect(!strstr(v.recommendations[i], "Run longer"), "%s", v.recommendations[i]);
        cr_expect(!strstr(v.recommendations[i], "--min-duration-ms"), "%s",
                  v.recommendations[i]);
    }
    rpt_run_destroy(run);
}

/* Timed-out samples make a Server run INVALID with its percentile inside the bound: the
 * reason names them instead of claiming the percentile is over the bound. */
Test(validate, timed_out_samples_are_named_as_the_reason, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "1000", "--min-duration-ms", "300",
        "--sut-drop-fraction", "0.02", "--sample-timeout-ms", "300", "--out", "drop");
    cr_assert_eq(p.code, 1, "exit %d: %s", p.code, p.err);
    cr_expect(strstr(p.out, "timed-out samples count as over it"), "%s", p.out);
    cr_expect(!strstr(p.out, "the latency at the target percentile is over the bound"), "%s",
              p.out);
    tu_proc_free(&p);
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(tu_in_tmp("drop"), &run, err, sizeof err), 0, "%s", err);
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    const char *f = v.checks[RPT_CHECK_VALIDITY].finding;
    cr_expect(strstr(f, "timed-out samples count as over it"), "%s", f);
    for (size_t i = 0; i < v.n_recommendations; i++)
        cr_expect(!strstr(v.recommendations[i], "cannot hold the latency bound"), "%s",
                  v.recommendations[i]);
    rpt_run_destroy(run);
}

/* A token run whose SUT reports 1 token a sample (an error in MLPerf's token mode) and
 * cannot hold a 1 ms TTFT bound: both appear among the findings, with the counts, and
 * the advice is to fix the token reports and lower the load, never to run longer. */
Test(validate, token_errors_and_a_token_bound_are_findings, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "400", "--min-duration-ms", "300",
        "--quiet", "--out", "tok", "--service-dist", "constant", "--service-mean-us", "2000",
        "--sut-tokens", "1", "--use-token-latencies", "--ttft-latency-ms", "1");
    cr_assert_eq(p.code, 1, "exit %d: %s", p.code, p.err);
    tu_proc_free(&p);
    rpt_run *run;
    char err[512], want[256];
    cr_assert_eq(rpt_run_load(tu_in_tmp("tok"), &run, err, sizeof err), 0, "%s", err);
    const rpt_run_info *in = rpt_run_get_info(run);
    const lg_token_results *k = &in->results.tokens;
    cr_assert(in->results.invalid_reasons & LG_INVALID_TOKEN_ERRORS);
    cr_assert(in->results.invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    cr_assert(!k->ttft_constraint_met && k->tpot_constraint_met);
    cr_assert_gt(k->n_tokens_one, 0);
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    cr_expect_eq(v.verdict, RPT_NOT_TRUSTWORTHY);
    const char *f = v.checks[RPT_CHECK_VALIDITY].finding;
    snprintf(want, sizeof want, "the SUT's token reports were wrong (%llu token counts of 1)",
             (unsigned long long)k->n_tokens_one);
    cr_expect(strstr(f, want), "%s\nnot in\n%s", want, f);
    cr_expect(strstr(f, "TTFT at the target percentile is over server_ttft_latency_ns"), "%s", f);
    bool fix = false, bound = false;
    for (size_t i = 0; i < v.n_recommendations; i++) {
        const char *r = v.recommendations[i];
        fix = fix || strstr(r, "Fix the SUT's token reports first");
        if (strstr(r, "cannot hold the token bounds")) {
            bound = true;
            char a[LG_FORMAT_NS_MAX];
            lg_format_ns((double)k->ttft.target_ns, a, sizeof a);
            snprintf(want, sizeof want, "p99 TTFT %s > 1.000 ms", a);
            cr_expect(strstr(r, want), "%s\nnot in\n%s", want, r);
            cr_expect(strstr(r, "--ttft-latency-ms"), "%s", r);
            cr_expect_null(strstr(r, "TPOT "), "TPOT was within its bound: %s", r);
        }
        cr_expect(!strstr(r, "run longer") && !strstr(r, "Run longer"), "%s", r);
    }
    cr_expect(fix, "no advice on the token reports");
    cr_expect(bound, "no advice on the TTFT bound");
    /* The program prints them, and so does its JSON. */
    RUN(&p, "validate", "tok");
    cr_expect_eq(p.code, 1);
    cr_expect(strstr(p.out, "token counts of 1"), "%s", p.out);
    cr_expect(strstr(p.out, "cannot hold the token bounds"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "validate", "tok", "--json");
    cr_expect(strstr(p.out, "token counts of 1"), "%s", p.out);
    tu_proc_free(&p);
    rpt_run_destroy(run);
}

/* A run without tokens: nothing about tokens in its validation. */
Test(validate, a_run_without_tokens_has_no_token_findings, TU_TMP, .timeout = 60)
{
    tu_short_run("s", "Server", "1");
    tu_proc p;
    RUN(&p, "validate", "s");
    cr_expect_leq(p.code, 1, "%s", p.err);
    cr_expect_null(strstr(p.out, "token"), "%s", p.out);
    cr_expect_null(strstr(p.out, "TTFT"), "%s", p.out);
    tu_proc_free(&p);
}

/* An HTTP run whose client warned: the validity finding says the client may be the
 * limit, a VALID run is only usable with caveats, and a recommendation says to act on the
 * warning; a client object without warnings changes nothing. */
Test(validate, client_warnings_are_a_finding_and_a_recommendation, TU_TMP, .timeout = 60)
{
    tu_short_run("s", "Server", "1");
    tu_short_run("q", "Server", "1");
    static const char *const warns[] = {"an I/O thread used 97% of a core: raise --io-threads"};
    tu_add_client(tu_in_tmp("s"), warns, 1);
    tu_add_client(tu_in_tmp("q"), NULL, 0);
    rpt_run *run;
    char err[256];
    cr_assert_eq(rpt_run_load(tu_in_tmp("s"), &run, err, sizeof err), 0, "%s", err);
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    const rpt_check *c = &v.checks[RPT_CHECK_VALIDITY];
    cr_expect(strstr(c->finding, " The client may be limiting this result: an I/O thread used "
                                 "97% of a core: raise --io-threads."), "%s", c->finding);
    if (v.valid)
        cr_expect_eq(c->status, RPT_WARN, "VALID but the client warned: a caveat");
    else
        cr_expect_eq(c->status, RPT_FAIL);
    cr_expect_neq(v.verdict, RPT_TRUSTWORTHY);
    bool rec = false;
    for (size_t i = 0; i < v.n_recommendations; i++)
        rec = rec || strstr(v.recommendations[i], "The client may be limiting this result: an "
                                                  "I/O thread used 97% of a core");
    cr_expect(rec, "no recommendation for the client's warning");
    rpt_run_destroy(run);
    tu_proc p;
    RUN(&p, "validate", "s");
    cr_expect(strstr(p.out, "The client may be limiting this result: an I/O thread"), "%s",
              p.out);
    tu_proc_free(&p);
    RUN(&p, "validate", "q");
    cr_expect_null(strstr(p.out, "client"), "%s", p.out);
    tu_proc_free(&p);
}

Test(validate, options_are_checked, .timeout = 10)
{
    rpt_validate_opts o;
    rpt_validate_opts_default(&o);
    cr_expect_eq(o.confidence, 0.95);
    cr_expect_eq(o.stability_last, 3);
    cr_expect_eq(o.stability_windows, 10);
    rpt_validation v;
    cr_expect_eq(rpt_validate(NULL, &o, &v), LG_EINVAL);
    cr_expect_str_eq(rpt_verdict_name(RPT_USABLE_WITH_CAVEATS), "usable with caveats");
    cr_expect_str_eq(rpt_status_name(RPT_SKIP), "skipped");
    cr_expect_str_eq(rpt_check_name(RPT_CHECK_WARMUP), "warmup");
}

/* ---- repetitions ------------------------------------------------------------------------ */

Test(validate, run_repeat_3_writes_three_runs_and_the_summary, TU_TMP, .timeout = 90)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "2000", "--min-duration-ms", "150",
        "--repeat", "3", "--out", "reps", "--schedule-rng-seed", "5");
    cr_assert_leq(p.code, 1, "%s", p.err);
    cr_expect(strstr(p.out, "rep-3"), "%s", p.out);
    cr_expect(strstr(p.out, "Across 3 repetitions"), "%s", p.out);
    cr_expect(strstr(p.out, "latency_p99"), "%s", p.out);
    cr_expect(!strstr(p.out, " \n"), "a line ends in a space: %s", p.out);
    tu_proc_free(&p);
    for (int k = 1; k <= 3; k++) {
        char sub[64];
        snprintf(sub, sizeof sub, "reps/rep-%d/results.json", k);
        cr_expect(tu_exists(tu_in_tmp(sub)), "%s missing", sub);
    }
    char *text = tu_slurp(tu_in_tmp("reps/repetitions.json"), NULL);
    json_t *root = load_json_text(text);
    free(text);
    cr_expect_str_eq(json_string_value(json_object_get(root, "schema")), "loadgen-repetitions");
    cr_expect_eq(json_integer_value(json_object_get(root, "repetitions")), 3);
    cr_expect_eq(json_array_size(json_object_get(root, "runs")), 3);
    json_t *ms = json_object_get(root, "metrics");
    cr_assert_eq(json_array_size(ms), 5);
    const char *names[5] = {"throughput", "latency_mean", "latency_p50", "latency_p90",
                            "latency_p99"};
    for (size_t i = 0; i < 5; i++) {
        json_t *m = json_array_get(ms, i);
        cr_expect_str_eq(json_string_value(json_object_get(m, "name")), names[i]);
        cr_expect_eq(json_integer_value(json_object_get(m, "n")), 3);
        cr_expect_eq(json_array_size(json_object_get(m, "values")), 3);
        const char *keys[] = {"mean", "median", "sd", "cv", "min", "max", "ci_low", "ci_high"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            cr_expect(json_is_number(json_object_get(m, keys[k])), "%s.%s", names[i], keys[k]);
        cr_expect_leq(json_real_value(json_object_get(m, "ci_low")),
                      json_real_value(json_object_get(m, "mean")));
    }
    json_decref(root);

    /* The repetitions used different seeds: rep-1 the given one, the others derived. */
    rpt_set *set;
    char err[512];
    cr_assert_eq(rpt_set_load(tu_in_tmp("reps"), &set, err, sizeof err), 0, "%s", err);
    cr_expect_eq(rpt_set_get_kind(set), RPT_SET_REPETITIONS);
    cr_assert_eq(rpt_set_count(set), 3);
    uint64_t s1 = rpt_run_get_info(rpt_set_run(set, 0))->schedule_rng_seed;
    uint64_t s2 = rpt_run_get_info(rpt_set_run(set, 1))->schedule_rng_seed;
    uint64_t s3 = rpt_run_get_info(rpt_set_run(set, 2))->schedule_rng_seed;
    cr_expect_eq(s1, 5);
    cr_expect(s2 != s1 && s3 != s1 && s3 != s2);
    rpt_metrics *m;
    cr_assert_eq(rpt_metrics_from_set(set, 0, &m, err, sizeof err), 0, "%s", err);
    cr_expect_eq(rpt_metrics_kind(m), RPT_VALUES_PER_RUN);
    const rpt_metric *tp = rpt_metrics_find(m, "throughput");
    cr_assert_not_null(tp);
    cr_expect_eq(tp->n, 3);
    cr_expect_eq(tp->direction, RPT_HIGHER_IS_BETTER);
    rpt_summary su;
    cr_assert_eq(rpt_metric_summarize(tp, 0.95, &su), 0);
    cr_expect(su.ci_lo <= su.mean && su.mean <= su.ci_hi);
    cr_expect_gt(su.cv, 0);
    rpt_metrics_destroy(m);
    rpt_set_destroy(set);

    /* The repetition set validates run by run, and a second --repeat into it is refused. */
    RUN(&p, "validate", "reps", "--json");
    cr_expect_leq(p.code, 1, "%s", p.err);
    root = load_json_text(p.out);
    cr_expect_eq(json_array_size(root), 3);
    json_decref(root);
    tu_proc_free(&p);
    RUN(&p, "run", "--sut", "synthetic", "--min-duration-ms", "100", "--repeat", "2", "--out", "reps", "--quiet");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "already holds"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "run", "--sut", "synthetic", "--repeat", "0");
    cr_expect_eq(p.code, 2);
    tu_proc_free(&p);
}

/* ---- the calculators ------------------------------------------------------------------- */

static json_t *stats_json(const char *const *argv)
{
    tu_proc p;
    tu_run_exe(&p, NULL, argv);
    cr_assert_eq(p.code, 0, "%s", p.err);
    json_t *root = load_json_text(p.out);
    tu_proc_free(&p);
    return root;
}

static long long jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

Test(validate, stats_samples_gives_both_sample_sizes, TU_TMP, .timeout = 30)
{
    const char *a90[] = {"loadgen", "stats", "samples", "--percentile", "0.90",
                         "--confidence", "0.99", "--json", NULL};
    json_t *r = stats_json(a90);
    cr_expect_eq(jint(r, "classic"), 23886);
    cr_expect_eq(jint(r, "mlperf_rounded"), 24576);
    cr_expect_eq(jint(r, "early_stopping_min"), 64);
    cr_expect(fabs(json_real_value(json_object_get(r, "z")) - 2.5758) < 1e-4);
    json_decref(r);
    const char *a99[] = {"loadgen", "stats", "samples", "--percentile", "0.99", "--json", NULL};
    r = stats_json(a99);
    cr_expect_eq(jint(r, "classic"), 262742);
    cr_expect_eq(jint(r, "mlperf_rounded"), 270336);
    cr_expect_eq(jint(r, "early_stopping_min"), 662);
    json_decref(r);
    const char *a999[] = {"loadgen", "stats", "samples", "--percentile=0.999", "--json", NULL};
    r = stats_json(a999);
    cr_expect_eq(jint(r, "early_stopping_min"), 6636);
    json_decref(r);

    tu_proc p;
    RUN(&p, "stats", "samples", "--percentile", "0.90", "--confidence", "0.99");
    cr_expect_eq(p.code, 0);
    cr_expect(strstr(p.out, "23886"), "%s", p.out);
    cr_expect(strstr(p.out, "24576"), "%s", p.out);
    cr_expect(strstr(p.out, "8192"), "%s", p.out);
    cr_expect(strstr(p.out, "64 queries"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "stats", "samples", "--percentile", "90");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "--percentile"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "stats", "samples", "--help");
    cr_expect_eq(p.code, 0);
    cr_expect(strstr(p.out, "usage: loadgen stats samples"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "stats", "bogus");
    cr_expect_eq(p.code, 2);
    tu_proc_free(&p);
    RUN(&p, "stats", "--help");
    cr_expect_eq(p.code, 0);
    /* Flags with defaults are shown as optional; only --queries is required. */
    cr_expect(strstr(p.out, "usage: loadgen stats samples [--percentile P] [--confidence C]"),
              "%s", p.out);
    cr_expect(strstr(p.out, "loadgen stats early-stopping --queries N [--percentile P]"), "%s",
              p.out);
    tu_proc_free(&p);
}

Test(validate, stats_early_stopping_matches_mlperf, TU_TMP, .timeout = 30)
{
    const char *a[] = {"loadgen", "stats", "early-stopping", "--percentile", "0.9",
                       "--queries", "700", "--json", NULL};
    json_t *r = stats_json(a);
    cr_expect(json_is_true(json_object_get(r, "met")));
    cr_expect_eq(jint(r, "t"), 51);
    cr_expect_eq(jint(r, "h_t"), 642);
    cr_expect_eq(jint(r, "discarded"), 50);
    cr_expect_eq(jint(r, "estimate_index"), 649);
    cr_expect_eq(jint(r, "plain_percentile_index"), 630);
    cr_expect_eq(jint(r, "min_queries"), 64);
    json_decref(r);
    const char *b[] = {"loadgen", "stats", "early-stopping", "--percentile", "0.99",
                       "--queries", "985", "--overlatency", "573", "--json", NULL};
    r = stats_json(b);
    cr_expect(json_is_false(json_object_get(r, "met")));
    cr_expect_eq(jint(r, "h"), 62518);
    cr_expect_eq(jint(r, "needed"), 63091);
    cr_expect_eq(jint(r, "additional_needed"), 62106);
    json_decref(r);
    const char *c[] = {"loadgen", "stats", "early-stopping", "--percentile", "0.9",
                       "--queries", "50", "--json", NULL};
    r = stats_json(c);
    cr_expect(json_is_false(json_object_get(r, "met")));
    json_decref(r);

    tu_proc p;
    RUN(&p, "stats", "early-stopping", "--percentile", "0.9", "--queries", "700");
    cr_expect_eq(p.code, 0);
    cr_expect(strstr(p.out, "discard the 50 highest"), "%s", p.out);
    cr_expect(strstr(p.out, "sorted[649]"), "%s", p.out);
    cr_expect(strstr(p.out, "h(51) + 51 = 642 + 51 = 693"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "stats", "early-stopping", "--percentile", "0.9");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "--queries"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "stats", "early-stopping", "--queries", "10", "--overlatency", "11");
    cr_expect_eq(p.code, 2);
    tu_proc_free(&p);
    RUN(&p, "stats", "early-stopping", "--help");
    cr_expect_eq(p.code, 0);
    cr_expect(strstr(p.out, "--overlatency"), "%s", p.out);
    tu_proc_free(&p);
}

/* ---- damaged, incomplete and changing run folders --------------------------------------- */

#include "fuzz/runfolder.h"
#include "report/internal.h"

/* The seeds of fuzz/corpus/runfolder/ (fuzz/make_runfolder_corpus.py) and what
 * `loadgen validate` must say of each: a run (exit 0 or 1), or a refusal (exit 2) whose
 * message holds `says`. */
static const struct {
    const char *seed;
    int code; /* 2, or -1 for "0 or 1" */
    const char *says;
} seeds[] = {
    {"ok-singlestream", -1, "Verdict:"},
    {"ok-server-faults", -1, "Verdict:"},
    {"ok-offline", -1, "Verdict:"},
    {"no-samples-file", -1, "no samples.bin"},
    {"results-missing", 2, "incomplete run folder (results.json missing"},
    {"leftover-tmp", 2, "samples.bin.tmp.4242 is the leftover of an interrupted write"},
    {"results-is-folder", 2, "results.json: is a folder, not a results file"},
    {"results-truncated", 2, "not valid JSON"},
    {"samples-truncated", 2, "samples.bin: damaged at byte 1920: the header says 60 records "
                             "but the file holds 1939 bytes"},
    {"samples-header-only", 2, "the file holds 64 bytes"},
    {"wrong-completed-count", 2, "not a consistent run: results.json counts"},
    {"counts-shifted", 2, "not a consistent run: samples.bin holds"},
    {"wrong-failed-count", 2, "failed samples, results.json says"},
    {"random-records", 2, "not a consistent run: samples.bin record 0 has"},
    {"extreme-values", 2, "not a consistent run: samples.bin record 3 has scheduled time"},
    {"completed-before-issued", 2, "before it was issued"},
    {"status-on-timed-out", 2, "never completed but has status 7"},
    {"negative-duration", 2, "negative run duration"},
    /* Found by the fuzzer: a latency far beyond int64_t (read as a double) was
     * converted out of range; now it saturates, and the folder is refused on its
     * samples.bin. */
    {"regression-ji64-huge-real", 2, "the header says 95 records"},
    /* samples.bin version 2 (the seeds above hold version 1, as earlier builds wrote it). */
    {"v2-ok-server-faults", -1, "Verdict:"},
    {"v2-bit-flipped", 2, "v2-bit-flipped/samples.bin: damaged at byte 72 (block 0, from "
                          "record 0): checksum mismatch"},
    {"v2-cut-in-block", 2, "samples.bin: damaged at byte 87 (block 0, from record 0): the "
                           "file ends inside a block"},
    {"v2-trailing-byte", 2, "samples.bin: damaged at byte 1173 (block 1, from record 95): the "
                            "file holds bytes after its last block"},
    {"v2-empty-block", 2, "samples.bin: damaged at byte 64 (block 0, from record 0): the "
                          "block's record count is 0"},
};

Test(validate, damaged_run_folders_of_the_fuzz_corpus_are_refused_by_name, TU_TMP,
     .timeout = 120)
{
    char corpus[PATH_MAX];
    cr_assert_not_null(realpath("fuzz/corpus/runfolder", corpus),
                       "run the tests from the project's root (fuzz/corpus/runfolder)");
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", corpus, seeds[i].seed);
        size_t len;
        char *data = tu_slurp(path, &len);
        const char *dir = tu_in_tmp(seeds[i].seed);
        cr_assert_eq(mkdir(dir, 0700), 0);
        cr_assert_eq(rf_write_folder(dir, (const uint8_t *)data, len), 0);
        free(data);
        for (int json = 0; json < 2; json++) {
            tu_proc p;
            if (json)
                RUN(&p, "validate", seeds[i].seed, "--json");
            else
                RUN(&p, "validate", seeds[i].seed);
            if (seeds[i].code < 0)
                cr_expect(p.code == 0 || p.code == 1, "%s: exit %d: %s", seeds[i].seed, p.code,
                          p.err);
            else
                cr_expect_eq(p.code, seeds[i].code, "%s: exit %d", seeds[i].seed, p.code);
            const char *where = seeds[i].code < 0 ? p.out : p.err;
            if (!json || seeds[i].code >= 0)
                cr_expect(strstr(where, seeds[i].says), "%s: expected \"%s\" in:\n%s",
                          seeds[i].seed, seeds[i].says, where);
            tu_proc_free(&p);
        }
        tu_proc p;
        RUN(&p, "report", seeds[i].seed, "--html", "r.html");
        cr_expect_eq(p.code, seeds[i].code < 0 ? 0 : 2, "%s: report exit %d: %s",
                     seeds[i].seed, p.code, p.err);
        tu_proc_free(&p);
    }
}

/* A test hook that truncates samples.bin between its header and its records: the file
 * is shorter than its header said by the time the records are read. */
static void truncate_now(const char *path)
{
    cr_assert_eq(truncate(path, 64 + 32 * 10), 0);
}

Test(validate, samples_bin_truncated_while_read_is_an_error_not_a_signal, TU_TMP,
     .timeout = 60)
{
    tu_proc p;
    SERVER_RUN(&p, "s");
    cr_assert_leq(p.code, 1, "run failed: %s", p.err);
    tu_proc_free(&p);
    rpt_run *run = NULL;
    char err[512] = "";
    rpt__samples_read_hook = truncate_now;
    int rc = rpt_run_load(tu_in_tmp("s"), &run, err, sizeof err);
    rpt__samples_read_hook = NULL;
    cr_expect_eq(rc, LG_EIO, "rc %d: %s", rc, err);
    cr_expect_null(run);
    cr_expect(strstr(err, "samples.bin: the file changed while being read"), "%s", err);
}

typedef struct truncator {
    const char *path;
    size_t size;
    volatile int stop;
} truncator;

/* Truncates the file and writes it back full, again and again: a file copied over while
 * it is being read. */
static void *truncate_loop(void *arg)
{
    truncator *t = arg;
    char *data = tu_slurp(t->path, &t->size);
    while (!t->stop) {
        int fd = open(t->path, O_WRONLY | O_TRUNC);
        if (fd < 0)
            break;
        for (size_t done = 0; done < t->size;) {
            ssize_t n = write(fd, data + done, t->size - done < 65536 ? t->size - done : 65536);
            if (n <= 0)
                break;
            done += (size_t)n;
        }
        close(fd);
    }
    free(data);
    return NULL;
}

Test(validate, samples_bin_rewritten_in_a_loop_while_loaded_never_kills_the_reader, TU_TMP,
     .timeout = 120)
{
    tu_proc p;
    RUN(&p, "run", "--scenario", "SingleStream", "--sut", "null", "--min-duration-ms", "200",
        "--quiet", "--out", "s");
    cr_assert_leq(p.code, 1, "run failed: %s", p.err);
    tu_proc_free(&p);
    char path[256];
    snprintf(path, sizeof path, "%s/samples.bin", tu_in_tmp("s"));
    truncator t = {.path = path};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, truncate_loop, &t), 0);
    /* With the file mapped, a truncation under the reader was SIGBUS (the test would die);
     * now each load either succeeds or names the change. */
    int refused = 0, loaded = 0;
    for (int i = 0; i < 40; i++) {
        rpt_run *run = NULL;
        char err[512] = "";
        int rc = rpt_run_load(tu_in_tmp("s"), &run, err, sizeof err);
        if (rc) {
            cr_expect(rc == LG_EIO || rc == LG_EINVAL, "rc %d: %s", rc, err);
            cr_expect(strstr(err, "samples.bin") || strstr(err, "not a consistent run"), "%s",
                      err);
            refused++;
        } else {
            rpt_validation v;
            cr_expect_eq(rpt_validate(run, NULL, &v), 0);
            rpt_run_destroy(run);
            loaded++;
        }
    }
    t.stop = 1;
    pthread_join(th, NULL);
    cr_expect_eq(refused + loaded, 40);
    cr_log_info("rewritten while loading: %d refused, %d loaded", refused, loaded);
}
