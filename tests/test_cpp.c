/* test_cpp.c: libloadgen_cpp, MLPerf's C++ API and "C API" (cpp/, docs/cpp.md), by
 * running the MLPerf-style programs of tests/cpp/ that the Makefile builds against
 * cpp/include/ alone (TEST_CPP_DIR; the same sanitizers as this build): harness.cc (a
 * SystemUnderTest answering from a worker thread, a QuerySampleLibrary), c_api_harness.cc
 * (bindings/c_api.h) and defaults.cc (every default of TestSettings and LogSettings,
 * compared with MLPerf's below). Skipped when no C++ compiler was found at build time. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

#ifndef TEST_CPP_DIR
#define TEST_CPP_DIR ""
#endif

/* Runs tests/cpp/PROG with up to four arguments (NULL-terminated) in tu_tmp. */
static void run(tu_proc *p, const char *prog, const char *a1, const char *a2, const char *a3,
                const char *a4)
{
    if (!*TEST_CPP_DIR)
        cr_skip_test("libloadgen_cpp was not built (no C++ compiler)");
    char exe[512];
    snprintf(exe, sizeof exe, "%s/%s", TEST_CPP_DIR, prog);
    const char *argv[] = {prog, a1, a2, a3, a4, NULL};
    tu_run_exe(p, exe, argv);
}

static char *summary(void)
{
    return tu_slurp(tu_in_tmp("mlperf_log_summary.txt"), NULL);
}

/* A VALID performance run of the harness in this scenario: the summary and the detail
 * log name the harness's SUT and QSL, every loaded sample was unloaded, the SUT was
 * flushed and was never given a sample that was not loaded. */
static void expect_valid_run(const char *scenario)
{
    tu_proc p;
    run(&p, "harness", scenario, "performance", NULL, NULL);
    cr_assert_eq(p.code, 0, "%s: exit %d\n%s\n%s", scenario, p.code, p.out, p.err);
    size_t issued, loaded, unloaded, flushed, not_loaded;
    cr_assert_eq(sscanf(p.out, "harness: issued %zu loaded %zu unloaded %zu flushed %zu "
                        "not_loaded %zu", &issued, &loaded, &unloaded, &flushed,
                        &not_loaded), 5, "%s", p.out);
    cr_expect_geq(issued, 50);
    cr_expect_eq(loaded, 40, "the performance set is the QSL's 40 samples");
    cr_expect_eq(unloaded, loaded);
    cr_expect_geq(flushed, 1);
    cr_expect_eq(not_loaded, 0, "samples issued that were not loaded");
    char *s = summary();
    cr_expect(strstr(s, "Result is : VALID"), "%s: %s", scenario, s);
    cr_expect(strstr(s, "SUT name : CppSUT"));
    char line[64];
    snprintf(line, sizeof line, "Scenario : %s", scenario);
    cr_expect(strstr(s, line), "%s", s);
    free(s);
    char *d = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(d, "\"key\": \"sut_name\", \"value\": \"CppSUT\""));
    cr_expect(strstr(d, "\"key\": \"qsl_name\", \"value\": \"CppQSL\""));
    cr_expect(strstr(d, "\"key\": \"qsl_reported_total_count\", \"value\": 100"));
    snprintf(line, sizeof line, "\"key\": \"effective_scenario\", \"value\": \"%s\"",
             scenario);
    cr_expect(strstr(d, line), "no %s line", line);
    free(d);
    tu_proc_free(&p);
}

Test(cpp, single_stream, TU_TMP, .timeout = 60) { expect_valid_run("SingleStream"); }
Test(cpp, multi_stream, TU_TMP, .timeout = 60) { expect_valid_run("MultiStream"); }
Test(cpp, server, TU_TMP, .timeout = 60) { expect_valid_run("Server"); }
Test(cpp, offline, TU_TMP, .timeout = 60) { expect_valid_run("Offline"); }

/* The accuracy log holds every sample of the QSL once, with the SUT's answer for it:
 * given with the response (plain) or by the response callback only when asked. */
static void expect_accuracy_log(const char *c)
{
    tu_proc p;
    run(&p, "harness", "MultiStream", "accuracy", c, NULL);
    cr_assert_eq(p.code, 0, "exit %d\n%s\n%s", p.code, p.out, p.err);
    char *log = tu_slurp(tu_in_tmp("mlperf_log_accuracy.json"), NULL);
    for (unsigned i = 0; i < 100; i++) {
        char entry[96];
        snprintf(entry, sizeof entry, "\"qsl_idx\" : %u, \"data\" : \"%02X%02XA5%02X\" }",
                 i, i & 0xff, i >> 8, (i * 7) & 0xff);
        cr_expect(strstr(log, entry), "%s: no %s", c, entry);
    }
    free(log);
    tu_proc_free(&p);
}

Test(cpp, accuracy_log_has_every_answer, TU_TMP, .timeout = 60)
{
    expect_accuracy_log("ok");
}

Test(cpp, response_callback_gives_the_data, TU_TMP, .timeout = 60)
{
    expect_accuracy_log("response-cb");
}

/* An exception from the SUT or the QSL aborts the test, the logs say INVALID, and
 * StartTest rethrows it to the harness (exit 3). */
static void expect_rethrown(const char *c, const char *what)
{
    tu_proc p;
    run(&p, "harness", "Server", "performance", c, NULL);
    cr_assert_eq(p.code, 3, "%s: exit %d\n%s\n%s", c, p.code, p.out, p.err);
    cr_expect(strstr(p.err, what), "%s: %s", c, p.err);
    char *s = summary();
    cr_expect(strstr(s, "Result is : INVALID"), "%s", s);
    free(s);
    tu_proc_free(&p);
}

Test(cpp, exception_in_issue_query_is_rethrown, TU_TMP, .timeout = 60)
{
    expect_rethrown("throw-issue", "StartTest threw: the accelerator fell over");
}

Test(cpp, exception_in_load_is_rethrown, TU_TMP, .timeout = 60)
{
    expect_rethrown("throw-load", "StartTest threw: the dataset is not there");
}

/* FindPeakPerformance runs in Server: MLPerf's lines in the detail log, the summary of
 * the peak found. */
Test(cpp, find_peak_performance_runs_in_server, TU_TMP, .timeout = 120)
{
    tu_proc p;
    run(&p, "harness", "Server", "performance", "peak", NULL);
    cr_assert_eq(p.code, 0, "peak: exit %d\n%s", p.code, p.err);
    char *d = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
    cr_assert(d, "no detail log");
    cr_expect(strstr(d, "Starting FindPeakPerformance mode"), "start line");
    cr_expect(strstr(d, "FindPeakPerformance: Check validity of the base settings field: "
                        "5000.000000"), "base line");
    cr_expect(strstr(d, "FindBoundaries: Checking fields [5000.000000, 50000.000000)"),
              "the x10 bracket");
    cr_expect(strstr(d, "FindPeakPerformance: Found peak performance field: "), "peak line");
    free(d);
    char *s = summary();
    cr_assert(s, "no summary");
    cr_expect(strstr(s, "Mode     : FindPeakPerformance"), "%s", s);
    free(s);
    tu_proc_free(&p);
}

/* What this LoadGen cannot do is refused before anything runs, with the reason:
 * FindPeakPerformance outside Server, with MLPerf's message. */
Test(cpp, unsupported_settings_are_refused, TU_TMP, .timeout = 60)
{
    static const struct {
        const char *c, *msg;
    } cases[] = {
        {"peak", "mlperf::StartTest: TestSettings: mode = 3: Finding peak performance is only supported "
                 "in Server scenarios."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_proc p;
        run(&p, "harness", "Offline", "performance", cases[i].c, NULL);
        cr_expect_eq(p.code, 0, "%s: exit %d", cases[i].c, p.code);
        cr_expect(strstr(p.err, cases[i].msg), "%s: %s", cases[i].c, p.err);
        cr_expect(strstr(p.out, "issued 0 loaded 0"), "%s ran: %s", cases[i].c, p.out);
        cr_expect_not(tu_exists(tu_in_tmp("mlperf_log_summary.txt")), "%s", cases[i].c);
        tu_proc_free(&p);
    }
}

/* TEST05 (its own seeds) and the log file suffix are the core's: both run, and the
 * files carry the suffix. */
Test(cpp, test05_and_a_log_suffix_run, TU_TMP, .timeout = 60)
{
    tu_proc p;
    run(&p, "harness", "Server", "performance", "test05", NULL);
    cr_assert_eq(p.code, 0, "test05: exit %d\n%s", p.code, p.err);
    char *d = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
    cr_assert(d, "no detail log");
    cr_expect(strstr(d, "\"key\": \"effective_qsl_rng_seed\", \"value\": 11,"), "qsl seed");
    cr_expect(strstr(d, "\"key\": \"effective_schedule_rng_seed\", \"value\": 13,"),
              "schedule seed");
    free(d);
    tu_proc_free(&p);
    run(&p, "harness", "Server", "performance", "suffix", NULL);
    cr_assert_eq(p.code, 0, "suffix: exit %d\n%s", p.code, p.err);
    cr_expect(tu_exists(tu_in_tmp("mlperf_log_summary_x.txt")), "%s", p.err);
    cr_expect(tu_exists(tu_in_tmp("mlperf_log_detail_x.txt")), "%s", p.err);
    tu_proc_free(&p);
}

/* FromConfig sets what the file names for this model and scenario, and refuses an
 * unknown key (-EINVAL) and a missing file (-ENOENT) with the reason on stderr. */
Test(cpp, from_config, TU_TMP, .timeout = 60)
{
    FILE *f = fopen(tu_in_tmp("user.conf"), "w");
    cr_assert_not_null(f);
    fputs("*.Server.target_qps = 3000\nmodel.*.min_query_count = 77\n"
          "other.*.min_query_count = 5\n", f);
    fclose(f);
    f = fopen(tu_in_tmp("bad.conf"), "w");
    cr_assert_not_null(f);
    fputs("*.Server.target_qsp = 3000\n", f);
    fclose(f);
    tu_proc p;
    run(&p, "harness", "Server", "performance", "fromconfig", "user.conf");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "FromConfig 0 min_query_count 77 server_target_qps 3000"),
              "%s", p.out);
    char *d = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(d, "\"key\": \"requested_min_query_count\", \"value\": 77"));
    free(d);
    tu_proc_free(&p);
    run(&p, "harness", "Server", "performance", "fromconfig", "bad.conf");
    cr_expect(strstr(p.out, "FromConfig -22 min_query_count 50 server_target_qps 5000"),
              "%s", p.out);
    cr_expect(strstr(p.err, "mlperf::TestSettings::FromConfig: bad.conf:1"), "%s", p.err);
    cr_expect(strstr(p.err, "target_qps"), "no did-you-mean: %s", p.err);
    tu_proc_free(&p);
    run(&p, "harness", "Server", "performance", "fromconfig", "missing.conf");
    cr_expect(strstr(p.out, "FromConfig -2 "), "%s", p.out);
    cr_expect(strstr(p.err, "cannot read missing.conf"), "%s", p.err);
    tu_proc_free(&p);
}

/* Threads in RegisterIssueQueryThread issue the queries (the LoadGen starts none) and
 * return when the test ends; AbortTest from another thread ends a 60 s test early,
 * INVALID. */
Test(cpp, register_issue_thread_and_abort, TU_TMP, .timeout = 60)
{
    tu_proc p;
    run(&p, "harness", "Server", "performance", "register", NULL);
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "registered threads returned 1 issuing threads 1"), "%s", p.out);
    char *s = summary();
    cr_expect(strstr(s, "Result is : VALID"), "%s", s);
    free(s);
    tu_proc_free(&p);
    /* Two registered threads issue the queries between them, then both return. (Not
     * judged VALID: three threads of this process against the other tests' on two
     * cores may be descheduled past the 50 ms bound; the counts are what is checked.) */
    run(&p, "harness", "Server", "performance", "register2", NULL);
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "registered threads returned 2 issuing threads 2"), "%s", p.out);
    s = summary();
    cr_expect(strstr(s, "Min queries satisfied : Yes"), "%s", s);
    free(s);
    char *d2 = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(d2, "\"requested_server_num_issue_query_threads\", \"value\": 2"),
              "the detail log does not record 2 issue threads");
    free(d2);
    tu_proc_free(&p);
    run(&p, "harness", "Server", "performance", "abort", NULL);
    cr_expect_eq(p.code, 0, "%s", p.err);
    s = summary();
    cr_expect(strstr(s, "Result is : INVALID"), "%s", s);
    free(s);
    char *d = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(d, "abort"), "the detail log does not say the run was aborted");
    free(d);
    tu_proc_free(&p);
}

/* The C API: every scenario VALID, the SUT's and QSL's names from ConstructSUT and
 * ConstructQSL, the flush callback called without a ClientData. */
Test(cpp, c_api_every_scenario, TU_TMP, .timeout = 120)
{
    static const char *const scenarios[] = {"SingleStream", "MultiStream", "Server",
                                            "Offline"};
    for (size_t i = 0; i < 4; i++) {
        tu_proc p;
        run(&p, "c_api_harness", scenarios[i], NULL, NULL, NULL);
        cr_assert_eq(p.code, 0, "%s: exit %d\n%s", scenarios[i], p.code, p.err);
        size_t issued, loaded, unloaded, flushed;
        cr_assert_eq(sscanf(p.out, "c_api: issued %zu loaded %zu unloaded %zu flushed %zu",
                            &issued, &loaded, &unloaded, &flushed), 4, "%s", p.out);
        cr_expect_geq(issued, 50);
        cr_expect_eq(loaded, 32);
        cr_expect_eq(unloaded, 32);
        cr_expect_geq(flushed, 1);
        char *s = summary();
        cr_expect(strstr(s, "Result is : VALID"), "%s: %s", scenarios[i], s);
        cr_expect(strstr(s, "SUT name : CApiSUT"));
        free(s);
        char *d = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
        cr_expect(strstr(d, "\"key\": \"qsl_name\", \"value\": \"CApiQSL\""));
        free(d);
        tu_proc_free(&p);
    }
}

/* QuerySamplesCompleteResponseCb: with every response logged, the callback gives each
 * one's data; and an audit.config in the current folder is applied (StartTest's
 * "audit.config"), as MLPerf's compliance tests need. */
Test(cpp, c_api_response_callback_and_audit_config, TU_TMP, .timeout = 60)
{
    FILE *f = fopen(tu_in_tmp("audit.config"), "w");
    cr_assert_not_null(f);
    fputs("*.*.min_query_count = 123\n", f);
    fclose(f);
    tu_proc p;
    run(&p, "c_api_harness", "SingleStream", "response-cb", NULL, NULL);
    cr_assert_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.err, "mlperf::StartTest: applied audit.config"), "%s", p.err);
    char *d = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(d, "\"key\": \"effective_min_query_count\", \"value\": 123"));
    free(d);
    char *log = tu_slurp(tu_in_tmp("mlperf_log_accuracy.json"), NULL);
    /* Counted in one pass: strstr from each hit is quadratic under ASan, whose strstr
     * measures the whole rest of the log every call (200,000 entries took minutes). */
    static const char want[] = "\"data\" : \"0000DEC0\"";
    size_t n = 0;
    for (const char *q = log; *q; q++)
        n += *q == '"' && !strncmp(q, want, sizeof want - 1);
    cr_expect_geq(n, 123, "%zu responses with the callback's data", n);
    cr_expect_null(strstr(log, "\"data\" : \"\""), "a logged response without data");
    free(log);
    tu_proc_free(&p);
    /* A bad audit.config is refused, naming its line. */
    f = fopen(tu_in_tmp("audit.config"), "w");
    cr_assert_not_null(f);
    fputs("*.*.min_query_cont = 1\n", f);
    fclose(f);
    run(&p, "c_api_harness", "SingleStream", NULL, NULL, NULL);
    cr_expect(strstr(p.err, "mlperf::StartTest: audit.config:1"), "%s", p.err);
    cr_expect(strstr(p.out, "issued 0"), "%s", p.out);
    tu_proc_free(&p);
}

/* Every default of MLPerf's TestSettings and LogSettings (test_settings.h of MLPerf's
 * LoadGen 6.0.17), and the sizes of its sample structs. token_latency_scaling_factor has
 * no default there (an indeterminate value): 0 here, as MLPerf's Python module reads it. */
Test(cpp, defaults_are_mlperf_s, TU_TMP, .timeout = 30)
{
    static const char *const expected[] = {
        "scenario 0",
        "mode 2",
        "single_stream_expected_latency_ns 1000000",
        "single_stream_target_latency_percentile 0.90000000000000002",
        "multi_stream_expected_latency_ns 8000000",
        "multi_stream_target_latency_percentile 0.98999999999999999",
        "multi_stream_samples_per_query 8",
        "server_target_qps 1",
        "server_target_latency_ns 100000000",
        "server_target_latency_percentile 0.98999999999999999",
        "server_coalesce_queries 0",
        "server_find_peak_qps_decimals_of_precision 1",
        "server_find_peak_qps_boundary_step_size 1",
        "server_max_async_queries 0",
        "server_num_issue_query_threads 0",
        "offline_expected_qps 1",
        "sample_concatenate_permutation 0",
        "min_duration_ms 10000",
        "max_duration_ms 0",
        "min_query_count 100",
        "max_query_count 0",
        "qsl_rng_seed 0",
        "sample_index_rng_seed 0",
        "schedule_rng_seed 0",
        "accuracy_log_rng_seed 0",
        "accuracy_log_probability 0",
        "accuracy_log_sampling_target 0",
        "test05 0",
        "test05_qsl_rng_seed 0",
        "test05_sample_index_rng_seed 0",
        "test05_schedule_rng_seed 0",
        "print_timestamps 0",
        "performance_issue_unique 0",
        "performance_issue_same 0",
        "performance_issue_same_index 0",
        "performance_sample_count_override 0",
        "accuracy_sample_count_override 0",
        "use_token_latencies 0",
        "server_ttft_latency 100000000",
        "server_tpot_latency 100000000",
        "infer_token_latencies 0",
        "token_latency_scaling_factor 0",
        "log_output.outdir \".\"",
        "log_output.prefix \"mlperf_log_\"",
        "log_output.suffix \"\"",
        "log_output.prefix_with_datetime 0",
        "log_output.copy_detail_to_stdout 0",
        "log_output.copy_summary_to_stdout 0",
        "log_mode 0",
        "log_mode_async_poll_interval_ms 1000",
        "enable_trace 1",
        "sizeof_QuerySample 16",
        "sizeof_QuerySampleResponse 32",
    };
    tu_proc p;
    run(&p, "defaults", NULL, NULL, NULL, NULL);
    cr_assert_eq(p.code, 0);
    char *line = p.out;
    size_t n = 0;
    for (char *nl; (nl = strchr(line, '\n')); line = nl + 1, n++) {
        *nl = '\0';
        cr_assert_lt(n, sizeof expected / sizeof *expected, "extra line: %s", line);
        cr_expect_str_eq(line, expected[n]);
    }
    cr_expect_eq(n, sizeof expected / sizeof *expected, "%zu lines", n);
    tu_proc_free(&p);
}
