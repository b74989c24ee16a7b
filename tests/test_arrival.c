/* test_arrival.c: the Server arrival patterns (docs/arrival.md). Each schedule's achieved
 * shape against its definition (rate, CV of gamma gaps, the rate in each ramp and stage
 * step, trace times in order and scaled), seeding, the settings' checks, the trace
 * readers on good and bad files, and runs through lg_run_test and the program whose
 * samples.bin and results.json show the schedule was followed and labelled. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/config.h"
#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"
#include "tests/testutil.h"

/* ---------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------- */

static lg_settings server(double qps)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = qps;
    return s;
}

/* The first n times of s's schedule (ns from the start) into a new array; *got is how
 * many came before the schedule ended. */
static int64_t *draw(const lg_settings *s, size_t n, size_t *got)
{
    lg_schedule *sch;
    cr_assert_eq(lg_schedule_create(s, &sch), 0, "%s", lg_last_error());
    int64_t *t = malloc(n * sizeof *t);
    cr_assert_not_null(t);
    size_t k = 0;
    for (; k < n; k++) {
        t[k] = lg_schedule_next_ns(sch);
        if (t[k] < 0)
            break;
        if (k)
            cr_assert_geq(t[k], t[k - 1], "time %zu goes back", k);
    }
    lg_schedule_destroy(sch);
    *got = k;
    return t;
}

/* Mean and coefficient of variation of the n gaps of t (the first from 0). */
static void gap_stats(const int64_t *t, size_t n, double *mean, double *cv)
{
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)(t[i] - (i ? t[i - 1] : 0));
    *mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) { /* two passes: no cancellation */
        double d = (double)(t[i] - (i ? t[i - 1] : 0)) - *mean;
        sq += d * d;
    }
    *cv = sqrt(sq / (double)n) / *mean;
}

/* How many of t[0..n) fall in [a_ns, b_ns). */
static size_t count_in(const int64_t *t, size_t n, int64_t a_ns, int64_t b_ns)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += t[i] >= a_ns && t[i] < b_ns;
    return c;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* ---------------------------------------------------------------------------------
 * Names and validity
 * ------------------------------------------------------------------------------- */

Test(arrival, names_round_trip, .timeout = 10)
{
    for (int a = 0; a < LG_ARRIVAL_COUNT; a++) {
        lg_arrival back;
        cr_assert_eq(lg_arrival_parse(lg_arrival_name((lg_arrival)a), &back), 0);
        cr_expect_eq(back, (lg_arrival)a);
    }
    lg_arrival x;
    cr_expect_eq(lg_arrival_parse("GAMMA", &x), 0);
    cr_expect_eq(x, LG_ARRIVAL_GAMMA);
    cr_expect_eq(lg_arrival_parse("weibull", &x), LG_EINVAL);
    cr_expect_str_eq(lg_arrival_name((lg_arrival)99), "unknown");
}

Test(arrival, only_poisson_is_mlperf_valid_and_only_in_server, .timeout = 10)
{
    lg_settings s = server(100);
    const char *why;
    cr_expect(lg_arrival_mlperf_valid(&s, &why));
    cr_expect_str_eq(why, "");
    s.arrival = LG_ARRIVAL_GAMMA;
    cr_expect_not(lg_arrival_mlperf_valid(&s, &why));
    cr_expect(strstr(why, "gamma") && strstr(why, "not MLPerf-valid"), "%s", why);
    s.scenario = LG_OFFLINE; /* no arrival process there: the setting changes nothing */
    cr_expect(lg_arrival_mlperf_valid(&s, &why));
    char buf[1024];
    cr_expect_geq(lg_settings_warnings(&s, NULL, buf, sizeof buf), 1);
    cr_expect(strstr(buf, "arrival = gamma has no effect in Offline"), "%s", buf);
}

/* ---------------------------------------------------------------------------------
 * Each pattern's statistics against its definition
 * ------------------------------------------------------------------------------- */

#define N_DRAWS 200000

Test(arrival, poisson_rate_and_cv_of_one, .timeout = 30)
{
    lg_settings s = server(5000);
    size_t n;
    int64_t *t = draw(&s, N_DRAWS, &n);
    cr_assert_eq(n, N_DRAWS);
    double mean, cv;
    gap_stats(t, n, &mean, &cv);
    cr_expect(fabs(mean - 2e5) / 2e5 < 0.01, "mean gap %g ns, want 200000", mean);
    cr_expect(fabs(cv - 1.0) < 0.02, "CV %g, want 1", cv);
    free(t);
}

Test(arrival, constant_gaps_are_exact, .timeout = 30)
{
    lg_settings s = server(3000); /* 333,333.3 ns: rounding must not accumulate */
    s.arrival = LG_ARRIVAL_CONSTANT;
    size_t n;
    int64_t *t = draw(&s, N_DRAWS, &n);
    cr_assert_eq(n, N_DRAWS);
    for (size_t i = 0; i < n; i++)
        cr_assert_leq(llabs(t[i] - llround((double)(i + 1) * 1e9 / 3000.0)), 1,
                      "query %zu at %lld", i, (long long)t[i]);
    double mean, cv;
    gap_stats(t, n, &mean, &cv);
    cr_expect_lt(cv, 1e-5);
    free(t);
}

/* Gamma gaps of shape b: mean 1/rate, CV 1/sqrt(b) (b = 1 is Poisson's). */
static void check_gamma(double b)
{
    lg_settings s = server(10000);
    s.arrival = LG_ARRIVAL_GAMMA;
    s.arrival_burstiness = b;
    s.schedule_rng_seed = 42;
    size_t n;
    int64_t *t = draw(&s, N_DRAWS, &n);
    cr_assert_eq(n, N_DRAWS);
    double mean, cv;
    gap_stats(t, n, &mean, &cv);
    double want_cv = 1.0 / sqrt(b);
    cr_expect(fabs(mean - 1e5) / 1e5 < 0.02, "b %g: mean gap %g ns, want 100000", b, mean);
    cr_expect(fabs(cv - want_cv) / want_cv < 0.04, "b %g: CV %g, want %g", b, cv, want_cv);
    free(t);
}

Test(arrival, gamma_cv_is_one_over_sqrt_burstiness, .timeout = 60)
{
    check_gamma(0.25);
    check_gamma(1.0);
    check_gamma(4.0);
    check_gamma(100.0);
}

Test(arrival, same_seed_same_schedule_other_seed_other, .timeout = 30)
{
    lg_settings s = server(1000);
    s.arrival = LG_ARRIVAL_GAMMA;
    s.arrival_burstiness = 0.5;
    s.schedule_rng_seed = 7;
    size_t n1, n2, n3;
    int64_t *a = draw(&s, 1000, &n1), *b = draw(&s, 1000, &n2);
    s.schedule_rng_seed = 8;
    int64_t *c = draw(&s, 1000, &n3);
    cr_expect_eq(memcmp(a, b, 1000 * sizeof *a), 0, "same seed, other times");
    cr_expect_neq(memcmp(a, c, 1000 * sizeof *a), 0, "another seed, the same times");
    free(a), free(b), free(c);
}

/* A ramp from 100 to 1100 per second over 10 s: in each 1 s step the queries are the
 * rate's integral, 100 + 100 (k + 0.5) x 1, within one; after it the target holds. */
Test(arrival, ramp_rate_in_each_step, .timeout = 30)
{
    lg_settings s = server(1100);
    s.arrival = LG_ARRIVAL_RAMP;
    s.arrival_start_qps = 100;
    s.min_duration_ms = 10000;
    size_t n;
    int64_t *t = draw(&s, 10000, &n);
    cr_assert_eq(n, 10000);
    for (int k = 0; k < 10; k++) {
        double want = 100.0 + 100.0 * (k + 0.5);
        size_t got = count_in(t, n, (int64_t)k * 1000000000, (int64_t)(k + 1) * 1000000000);
        cr_expect(fabs((double)got - want) <= 1.0, "step %d: %zu queries, want %g", k, got,
                  want);
    }
    /* 6000 queries by 10 s (the last of them due at 10 s); then 1100 per second. */
    cr_expect_eq(count_in(t, n, 0, 10000000001), 6000);
    cr_expect(fabs((double)count_in(t, n, 10000000000, 11000000000) - 1100) <= 1);
    /* A falling ramp too. */
    s.arrival_start_qps = 2000;
    s.server_target_qps = 0.000001;
    int64_t *d = draw(&s, 20000, &n);
    cr_expect(fabs((double)count_in(d, n, 0, 1000000000) - 1900) <= 1, "%zu",
              count_in(d, n, 0, 1000000000));
    cr_expect(fabs((double)count_in(d, n, 9000000000, 10000000000) - 100) <= 1);
    free(t), free(d);
}

/* k6's stages: start 200/s; 2 s to 200 (flat), 2 s up to 1000, 1 s down to 0. */
Test(arrival, stages_rate_in_each_step_and_end, .timeout = 30)
{
    lg_arrival_stage st[] = {{2000000000, 200}, {2000000000, 1000}, {1000000000, 0}};
    lg_settings s = server(1);
    s.arrival = LG_ARRIVAL_STAGES;
    s.arrival_start_qps = 200;
    s.arrival_stages = st;
    s.arrival_stage_count = 3;
    size_t n;
    int64_t *t = draw(&s, 100000, &n);
    /* 400 + 1200 + 500 = 2100 queries, then the schedule ends. */
    cr_expect(fabs((double)n - 2100) <= 1, "%zu queries", n);
    cr_expect_leq(t[n - 1], INT64_C(5000000000));
    /* Half-second steps: the rate's integral over each. */
    double start[10] = {0, .5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5};
    for (int k = 0; k < 10; k++) {
        double a = start[k], b = a + 0.5, want;
        if (b <= 2)
            want = 100;
        else if (b <= 4) /* rate 200 + 400 (x - 2) */
            want = 0.5 * ((200 + 400 * (a - 2)) + (200 + 400 * (b - 2))) * 0.5;
        else /* rate 1000 - 1000 (x - 4) */
            want = 0.5 * ((1000 - 1000 * (a - 4)) + (1000 - 1000 * (b - 4))) * 0.5;
        size_t got = count_in(t, n, (int64_t)(a * 1e9), (int64_t)(b * 1e9));
        cr_expect(fabs((double)got - want) <= 1.0, "step at %g s: %zu queries, want %g", a,
                  got, want);
    }
    free(t);
}

Test(arrival, trace_replayed_in_order_and_scaled, .timeout = 10)
{
    int64_t tr[] = {0, 1000, 1000, 500000, 2000000000};
    lg_settings s = server(1);
    s.arrival = LG_ARRIVAL_TRACE;
    s.arrival_trace_ns = tr;
    s.arrival_trace_count = 5;
    size_t n;
    int64_t *t = draw(&s, 10, &n);
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < 5; i++)
        cr_expect_eq(t[i], tr[i]);
    free(t);
    s.arrival_trace_speed = 4;
    t = draw(&s, 10, &n);
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < 5; i++)
        cr_expect_eq(t[i], tr[i] / 4, "row %zu: %lld", i, (long long)t[i]);
    free(t);
}

/* ---------------------------------------------------------------------------------
 * Checks of the settings
 * ------------------------------------------------------------------------------- */

static void expect_refused(const lg_settings *s, const lg_qsl *q, const char *words)
{
    char msg[512];
    cr_expect_eq(lg_settings_check(s, q, msg, sizeof msg), LG_EINVAL, "accepted: %s", words);
    cr_expect(strstr(msg, words), "'%s' not in: %s", words, msg);
}

Test(arrival, bad_settings_are_refused_by_name, .timeout = 10)
{
    lg_settings s = server(100);
    s.arrival = LG_ARRIVAL_STAGES;
    expect_refused(&s, NULL, "arrival_stages is empty");
    lg_arrival_stage bad[] = {{1000000, 5}, {0, 10}};
    s.arrival_stages = bad;
    s.arrival_stage_count = 2;
    expect_refused(&s, NULL, "arrival_stages[1].duration_ns = 0");
    lg_arrival_stage zero[] = {{1000000, 0}};
    s.arrival_stages = zero;
    s.arrival_stage_count = 1;
    expect_refused(&s, NULL, "every rate is 0");
    s = server(100);
    s.arrival = LG_ARRIVAL_TRACE;
    expect_refused(&s, NULL, "arrival_trace_ns is empty");
    int64_t back[] = {0, 5, 3};
    s.arrival_trace_ns = back;
    s.arrival_trace_count = 3;
    expect_refused(&s, NULL, "arrival_trace_ns[2] = 3");
    int64_t ok[] = {0, 5, 7};
    s.arrival_trace_ns = ok;
    lg_qsl q = {.total_sample_count = 10, .performance_sample_count = 4};
    expect_refused(&s, &q, "the whole QSL must be loaded");
    s.performance_sample_count_override = 10;
    cr_expect_eq(lg_settings_check(&s, &q, NULL, 0), 0);
    s = server(100);
    s.arrival_burstiness = 0;
    expect_refused(&s, NULL, "arrival_burstiness");
    s = server(100);
    s.arrival = (lg_arrival)17;
    expect_refused(&s, NULL, "arrival");
    /* By name, as --set and config files give it. */
    char err[256];
    s = server(100);
    cr_expect_eq(lg_settings_set(&s, "arrival", "gamma", err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.arrival, LG_ARRIVAL_GAMMA);
    cr_expect_eq(lg_settings_set(&s, "arrival", "zipf", err, sizeof err), LG_EINVAL);
    cr_expect(strstr(err, "unknown arrival pattern 'zipf'"), "%s", err);
    char text[32];
    cr_expect_gt(lg_settings_get(&s, "arrival", text, sizeof text), 0);
    cr_expect_str_eq(text, "gamma");
}

/* ---------------------------------------------------------------------------------
 * Trace files
 * ------------------------------------------------------------------------------- */

Test(trace, plain_seconds, .timeout = 10, TU_TMP)
{
    const char *p = tu_in_tmp("t.txt");
    write_file(p, "# arrival times, seconds\n100.5\n100.5\n\n101.25\n103\n");
    lg_trace t;
    char err[256];
    cr_assert_eq(lg_trace_load(p, LG_TRACE_PLAIN, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.count, 4);
    int64_t want[] = {0, 0, 750000000, 2500000000};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(t.time_ns[i], want[i]);
    cr_expect_null(t.input_tokens);
    cr_expect_null(t.output_tokens);
    lg_trace_free(&t);
}

Test(trace, azure_csv, .timeout = 10, TU_TMP)
{
    const char *p = tu_in_tmp("azure.csv");
    write_file(p, "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
                  "2023-11-16 18:15:46.6805900,374,44\r\n"
                  "2023-11-16 18:15:50.9951690,396,109\r\n"
                  "2023-11-16 18:16:00,879,7\r\n"
                  "2023-11-17 00:00:00.5,1,1\r\n");
    lg_trace t;
    char err[256];
    cr_assert_eq(lg_trace_load(p, LG_TRACE_AZURE, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.count, 4);
    cr_expect_eq(t.time_ns[0], 0);
    cr_expect(llabs(t.time_ns[1] - INT64_C(4314579000)) < 1000, "%lld",
              (long long)t.time_ns[1]);
    cr_expect(llabs(t.time_ns[2] - INT64_C(13319410000)) < 1000);
    /* Across midnight: 5 h 44 min 13.81941 s after the first. */
    cr_expect(llabs(t.time_ns[3] - INT64_C(20653819410000)) < 10000, "%lld",
              (long long)t.time_ns[3]);
    cr_expect_eq(t.input_tokens[0], 374);
    cr_expect_eq(t.output_tokens[1], 109);
    cr_expect_eq(t.input_tokens[2], 879);
    lg_trace_free(&t);
    /* Columns found by name, in any order. */
    write_file(p, "GeneratedTokens,TIMESTAMP,ContextTokens\n5,2024-01-01 00:00:01,9\n");
    cr_assert_eq(lg_trace_load(p, LG_TRACE_AZURE, &t, err, sizeof err), 0, "%s", err);
    cr_expect_eq(t.output_tokens[0], 5);
    cr_expect_eq(t.input_tokens[0], 9);
    lg_trace_free(&t);
}

Test(trace, mooncake_jsonl, .timeout = 10, TU_TMP)
{
    const char *p = tu_in_tmp("mc.jsonl");
    write_file(p, "{\"timestamp\": 0, \"input_length\": 6955, \"output_length\": 52, "
                  "\"hash_ids\": [46, 47, 48, 49]}\n"
                  "{\"hash_ids\":[1,[2]],\"output_length\":10,\"timestamp\":1500.5,"
                  "\"input_length\":512,\"text_input\":\"a \\\"q\\\" }\"}\n"
                  "\n"
                  "{\"timestamp\": 27482, \"input_length\": 6472, \"output_length\": 26, "
                  "\"hash_ids\": [], \"session\": {\"id\": 3}}\n");
    lg_trace t;
    char err[256];
    cr_assert_eq(lg_trace_load(p, LG_TRACE_MOONCAKE, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.count, 3);
    cr_expect_eq(t.time_ns[0], 0);
    cr_expect_eq(t.time_ns[1], 1500500000);
    cr_expect_eq(t.time_ns[2], INT64_C(27482000000));
    cr_expect_eq(t.input_tokens[0], 6955);
    cr_expect_eq(t.output_tokens[0], 52);
    cr_expect_eq(t.input_tokens[1], 512);
    cr_expect_eq(t.output_tokens[2], 26);
    lg_trace_free(&t);
}

/* A bad file's error names the file, the line and the field. */
static void expect_bad(lg_trace_format fmt, const char *text, const char *words)
{
    const char *p = tu_in_tmp("bad.trace");
    write_file(p, text);
    lg_trace t;
    char err[512];
    cr_expect_eq(lg_trace_load(p, fmt, &t, err, sizeof err), LG_EINVAL, "accepted: %s",
                 words);
    cr_expect(strstr(err, p) && strstr(err, words), "'%s' not in: %s", words, err);
    cr_expect_eq(t.count, 0);
    cr_expect_null(t.time_ns);
}

Test(trace, bad_files_name_file_line_and_field, .timeout = 10, TU_TMP)
{
    expect_bad(LG_TRACE_PLAIN, "1\n2\nabc\n", ":3: field 'timestamp': 'abc'");
    expect_bad(LG_TRACE_PLAIN, "1\n2\n1.5\n", ":3: field 'timestamp': ");
    expect_bad(LG_TRACE_PLAIN, "1\n-2\n", ":2: field 'timestamp': -2 is below 0");
    expect_bad(LG_TRACE_PLAIN, "# only a comment\n", ":2: the trace has no rows");
    expect_bad(LG_TRACE_AZURE, "TIMESTAMP,ContextTokens\n", ":1: field 'GeneratedTokens': "
               "missing from the header");
    expect_bad(LG_TRACE_AZURE,
               "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,12,x\n",
               ":2: field 'GeneratedTokens': 'x'");
    expect_bad(LG_TRACE_AZURE,
               "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,12,3\n"
               "2023-13-16 18:15:46,12,3\n",
               ":3: field 'TIMESTAMP': '2023-13-16 18:15:46'");
    expect_bad(LG_TRACE_AZURE,
               "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,12,3\n"
               "2023-11-16 18:15:45,12,3\n",
               ":3: field 'TIMESTAMP': ");
    expect_bad(LG_TRACE_AZURE,
               "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,12\n",
               ":2: 2 fields where the header has 3");
    expect_bad(LG_TRACE_MOONCAKE, "{\"timestamp\": 5, \"input_length\": 1}\n",
               ":1: field 'output_length': missing");
    expect_bad(LG_TRACE_MOONCAKE,
               "{\"timestamp\": 5, \"input_length\": 1, \"output_length\": 2}\n"
               "{\"timestamp\": \"soon\", \"input_length\": 1, \"output_length\": 2}\n",
               ":2: field 'timestamp': '\"soon\"'");
    expect_bad(LG_TRACE_MOONCAKE,
               "{\"timestamp\": 5, \"input_length\": -1, \"output_length\": 2}\n",
               ":1: field 'input_length': '-1'");
    expect_bad(LG_TRACE_MOONCAKE, "{\"timestamp\": 5, \"hash_ids\": [1, 2\n",
               ":1: field 'hash_ids': its value is not valid JSON");
    expect_bad(LG_TRACE_MOONCAKE, "[1, 2]\n", ":1: not a JSON object");
    lg_trace t;
    char err[256];
    cr_expect_eq(lg_trace_load(tu_in_tmp("missing"), LG_TRACE_PLAIN, &t, err, sizeof err),
                 LG_EIO);
    cr_expect(strstr(err, "missing: cannot open the trace"), "%s", err);
    lg_trace_format f;
    cr_expect_eq(lg_trace_format_parse("Mooncake", &f), 0);
    cr_expect_eq(f, LG_TRACE_MOONCAKE);
    cr_expect_eq(lg_trace_format_parse("burstgpt", &f), LG_EINVAL);
}

/* ---------------------------------------------------------------------------------
 * Runs: the schedule followed, absolute and labelled
 * ------------------------------------------------------------------------------- */

/* Runs s on the null SUT and a synthetic QSL of total samples (all loaded) into
 * tu_tmp/run; returns samples.bin's records (*n of them). */
static lg_sample_record *run_null(const lg_settings *s, uint64_t total, lg_results *r,
                                  size_t *n)
{
    qsl_synthetic *q;
    cr_assert_eq(qsl_synthetic_create(NULL, total, total, 8, 1, &q), 0);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_null();
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_in_tmp("run");
    int rc = lg_run_test(s, &sut, &qsl, &log, r);
    cr_assert_eq(rc, 0, "lg_run_test: %s: %s", lg_strerror(rc), lg_last_error());
    qsl_synthetic_destroy(q);
    lg_samples_header h;
    char path[256];
    snprintf(path, sizeof path, "%s/samples.bin", tu_in_tmp("run"));
    lg_sample_record *rec = tu_read_samples(path, &h);
    *n = (size_t)h.count;
    return rec;
}

/* Every query's scheduled time in samples.bin is the schedule's own, to the ns: the
 * times are computed from the start, never from when the previous query went out. */
static void expect_schedule_followed(const lg_settings *s, const lg_sample_record *rec,
                                     size_t n)
{
    size_t got;
    int64_t *t = draw(s, n + 1, &got);
    cr_assert_geq(got, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(rec[i].scheduled_ns, t[i], "query %zu scheduled at %lld, the schedule "
                     "says %lld", i, (long long)rec[i].scheduled_ns, (long long)t[i]);
    free(t);
}

Test(arrival_run, poisson_run_is_the_schedules, .timeout = 60, TU_TMP)
{
    lg_settings s = server(20000);
    s.min_duration_ms = 200;
    s.schedule_rng_seed = 99;
    lg_results r;
    size_t n;
    lg_sample_record *rec = run_null(&s, 64, &r, &n);
    cr_expect(r.valid);
    expect_schedule_followed(&s, rec, n);
    char *json = tu_slurp(tu_in_tmp("run/results.json"), NULL);
    cr_expect(strstr(json, "\"arrival\": {\"pattern\": \"poisson\", \"mlperf_valid\": true"),
              "%s", json);
    free(json), free(rec);
}

Test(arrival_run, gamma_run_follows_schedule_and_says_not_mlperf_valid, .timeout = 60,
     TU_TMP)
{
    lg_settings s = server(20000);
    s.min_duration_ms = 300;
    s.arrival = LG_ARRIVAL_GAMMA;
    s.arrival_burstiness = 0.25;
    lg_results r;
    size_t n;
    lg_sample_record *rec = run_null(&s, 64, &r, &n);
    expect_schedule_followed(&s, rec, n);
    /* The achieved gaps of the run: CV 2 (b = 0.25), mean 50 us. */
    int64_t *sched = malloc(n * sizeof *sched);
    for (size_t i = 0; i < n; i++)
        sched[i] = rec[i].scheduled_ns;
    double mean, cv;
    gap_stats(sched, n, &mean, &cv);
    cr_expect(fabs(cv - 2.0) < 0.3, "CV %g over %zu gaps", cv, n);
    cr_expect(fabs(mean - 5e4) / 5e4 < 0.15, "mean gap %g", mean);
    char *json = tu_slurp(tu_in_tmp("run/results.json"), NULL);
    cr_expect(strstr(json, "\"pattern\": \"gamma\", \"mlperf_valid\": false"), "%s", json);
    char *sum = tu_slurp(tu_in_tmp("run/mlperf_log_summary.txt"), NULL);
    cr_expect(strstr(sum, "Arrival pattern MLPerf-valid : NO (arrival = gamma"), "%s", sum);
    char *det = tu_slurp(tu_in_tmp("run/mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(det, "so this run is not MLPerf-valid"));
    free(sched), free(json), free(sum), free(det), free(rec);
}

/* A trace replays every row in order, scaled, issuing row i's sample i mod the total, and
 * the run ends with it (not at min_duration_ms). */
Test(arrival_run, trace_run_replays_every_row_with_its_sample, .timeout = 60, TU_TMP)
{
    enum { ROWS = 1500 };
    int64_t *tr = malloc(ROWS * sizeof *tr);
    for (int i = 0; i < ROWS; i++)
        tr[i] = (int64_t)i * 400000 + (i % 7) * 1000; /* 0.6 s at speed 1 */
    lg_settings s = server(1);
    s.min_duration_ms = 100;
    s.min_query_count = 1;
    s.arrival = LG_ARRIVAL_TRACE;
    s.arrival_trace_ns = tr;
    s.arrival_trace_count = ROWS;
    s.arrival_trace_speed = 2;
    lg_results r;
    size_t n;
    lg_sample_record *rec = run_null(&s, 100, &r, &n);
    cr_assert_eq(n, ROWS, "%zu of %d rows", n, ROWS);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(rec[i].scheduled_ns, tr[i] / 2, "row %zu", i);
        cr_assert_eq(rec[i].index, i % 100, "row %zu issued sample %u", i, rec[i].index);
    }
    free(tr), free(rec);
}

/* ---------------------------------------------------------------------------------
 * The program
 * ------------------------------------------------------------------------------- */

Test(arrival_cli, gamma_run_records_pattern_and_mlperf_validity, .timeout = 60, TU_TMP)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "20000",
        "--min-duration-ms", "300", "--arrival", "gamma", "--burstiness", "0.25",
        "--out", "g", "--quiet");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *json = tu_slurp(tu_in_tmp("g/results.json"), NULL);
    cr_expect(strstr(json, "\"arrival\": {\"pattern\": \"gamma\", \"mlperf_valid\": false, "
                           "\"statement\": \"arrival = gamma: queries arrive with "
                           "gamma-distributed gaps; MLPerf's Server scenario requires Poisson "
                           "arrivals, so this run is not MLPerf-valid\""), "%s", json);
    cr_expect(strstr(json, "\"burstiness\": 0.25, \"gap_cv\": 2}"), "%s", json);
    cr_expect(strstr(json, "\"arrival\": \"gamma\", \"arrival_burstiness\": 0.25"), "%s", json);
    char *sum = tu_slurp(tu_in_tmp("g/mlperf_log_summary.txt"), NULL);
    cr_expect(strstr(sum, "Arrival pattern MLPerf-valid : NO"), "%s", sum);
    /* The schedule in samples.bin is gamma's with the run's seed. */
    lg_samples_header h;
    lg_sample_record *rec = tu_read_samples(tu_in_tmp("g/samples.bin"), &h);
    lg_settings s = server(20000);
    s.arrival = LG_ARRIVAL_GAMMA;
    s.arrival_burstiness = 0.25;
    expect_schedule_followed(&s, rec, (size_t)h.count);
    free(json), free(sum), free(rec);
}

/* A Mooncake trace through the program: every row replayed, twice as fast, each with its
 * output length as the synthetic SUT's n_tokens. */
Test(arrival_cli, mooncake_trace_replayed_with_its_lengths, .timeout = 60, TU_TMP)
{
    FILE *f = fopen(tu_in_tmp("mc.jsonl"), "w");
    cr_assert_not_null(f);
    uint64_t tokens = 0;
    for (int i = 0; i < 200; i++) {
        fprintf(f, "{\"timestamp\": %d, \"input_length\": %d, \"output_length\": %d, "
                "\"hash_ids\": [%d, %d]}\n", i * 2, 100 + i, 2 + i % 5, i, i + 1);
        tokens += 2 + i % 5;
    }
    fclose(f);
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--trace", "mc.jsonl",
        "--trace-speed", "2", "--min-duration-ms", "100", "--min-query-count", "10",
        "--service-mean-us", "50", "--use-token-latencies", "--out", "t", "--quiet");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    lg_samples_header h;
    lg_sample_record *rec = tu_read_samples(tu_in_tmp("t/samples.bin"), &h);
    cr_assert_eq(h.count, 200);
    for (size_t i = 0; i < h.count; i++) {
        cr_expect_eq(rec[i].scheduled_ns, (int64_t)i * 1000000, "row %zu", i);
        cr_expect_eq(rec[i].index, i);
        cr_expect_eq(rec[i].n_tokens, 2 + (int64_t)(i % 5), "row %zu", i);
    }
    char *json = tu_slurp(tu_in_tmp("t/results.json"), NULL);
    char want[64];
    snprintf(want, sizeof want, "\"output_tokens\": %llu", (unsigned long long)tokens);
    cr_expect(strstr(json, want), "%s not in %s", want, json);
    cr_expect(strstr(json, "\"trace_queries\": 200, \"trace_span_ns\": 398000000, "
                           "\"trace_speed\": 2"), "%s", json);
    cr_expect(strstr(json, "\"arrival.trace.rows\": \"200\""), "%s", json);
    free(json), free(rec);
}

Test(arrival_cli, bad_trace_and_stages_are_refused_by_name, .timeout = 30, TU_TMP)
{
    write_file(tu_in_tmp("a.csv"), "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                   "2023-11-16 18:15:46.1,10,5\n2023-11-16 18:15:47,ten,5\n");
    tu_proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--trace", "a.csv", "--out", "x");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "a.csv:3: field 'ContextTokens': 'ten'"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--stages", "10s:5,2x:9",
        "--out", "x");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "--stages: '2x'"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--arrival", "stages", "--out",
        "x");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "--arrival stages needs --stages"), "%s", p.err);
    tu_proc_free(&p);
    cr_expect_not(tu_exists(tu_in_tmp("x/results.json")));
}
