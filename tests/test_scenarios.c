/* test_scenarios.c: every scenario end to end (null and synthetic SUTs on the synthetic
 * QSL), MLPerf's validity rules, the percentile rule checked against samples.bin, setting
 * checks, back-to-back runs, refusal of bad settings, Server issue lag, and lg_abort. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"
#include "tests/testutil.h"

/* ---------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == EINTR)
        ;
}

static void spin_ns(int64_t ns)
{
    int64_t end = now_ns() + ns;
    while (now_ns() < end)
        ;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A fresh temporary folder per test: Criterion may run tests in parallel processes. */
static void make_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/lg_test_scenarios_XXXXXX");
    cr_assert_not_null(mkdtemp(buf), "mkdtemp failed: %s", strerror(errno));
}

static void remove_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static qsl_synthetic *make_qsl(uint64_t total, uint64_t psc)
{
    qsl_synthetic *q = NULL;
    int rc = qsl_synthetic_create("test-qsl", total, psc, 16, 7, &q);
    cr_assert_eq(rc, 0, "qsl_synthetic_create returned %d (%s)", rc, lg_strerror(rc));
    return q;
}

static sut_synthetic *make_synth(sut_dist dist, int64_t mean_ns, unsigned workers)
{
    sut_synthetic_config c;
    sut_synthetic_default(&c);
    c.dist = dist;
    c.mean_ns = mean_ns;
    c.workers = workers;
    c.seed = 42;
    sut_synthetic *s = NULL;
    int rc = sut_synthetic_create(&c, &s);
    cr_assert_eq(rc, 0, "sut_synthetic_create returned %d (%s)", rc, lg_strerror(rc));
    return s;
}

/* Short runs: 100 ms minimum duration, MLPerf's other defaults. */
static lg_settings short_settings(lg_scenario sc)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.mode = LG_MODE_PERFORMANCE;
    s.min_duration_ms = 100;
    s.min_query_count = 100;
    s.qsl_rng_seed = 1;
    s.sample_index_rng_seed = 2;
    s.schedule_rng_seed = 3;
    return s;
}

static const char *reasons_text(unsigned r, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t used = 0;
    for (unsigned f = 1; f <= LG_INVALID_COMPLETION_ERRORS; f <<= 1)
        if (r & f)
            used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "[%s] ",
                                     lg_invalid_reason_text(f));
    return buf;
}

static void assert_stats_ordered(const lg_latency_stats *s, const char *what)
{
    cr_assert_gt(s->count, 0, "%s: no latencies", what);
    cr_assert_geq(s->min_ns, 0, "%s: negative min %lld", what, (long long)s->min_ns);
    cr_assert_leq(s->min_ns, s->p50_ns, "%s: min %lld > p50 %lld", what,
                  (long long)s->min_ns, (long long)s->p50_ns);
    cr_assert_leq(s->p50_ns, s->p90_ns, "%s: p50 > p90", what);
    cr_assert_leq(s->p90_ns, s->p95_ns, "%s: p90 > p95", what);
    cr_assert_leq(s->p95_ns, s->p97_ns, "%s: p95 > p97", what);
    cr_assert_leq(s->p97_ns, s->p99_ns, "%s: p97 > p99", what);
    cr_assert_leq(s->p99_ns, s->p999_ns, "%s: p99 > p99.9", what);
    cr_assert_leq(s->p999_ns, s->max_ns, "%s: p99.9 > max", what);
    cr_assert_leq(s->min_ns, s->mean_ns, "%s: mean below min", what);
    cr_assert_leq(s->mean_ns, s->max_ns, "%s: mean above max", what);
    cr_assert_leq(s->min_ns, s->target_ns, "%s: target below min", what);
    cr_assert_leq(s->target_ns, s->max_ns, "%s: target above max", what);
}

/* What every successful, valid performance run must show. */
static void assert_valid_run(const lg_results *r, lg_scenario sc)
{
    char why[512];
    cr_assert(r->valid, "%s run INVALID: %s", lg_scenario_name(sc),
              reasons_text(r->invalid_reasons, why, sizeof why));
    cr_assert_eq(r->invalid_reasons, 0u);
    cr_assert_not(r->aborted);
    cr_assert_eq(r->scenario, sc);
    cr_assert_eq(r->mode, LG_MODE_PERFORMANCE);
    cr_assert_not_null(r->metric_name, "no metric name");
    cr_assert_not_null(r->metric_unit, "no metric unit");
    cr_assert(r->metric > 0, "%s metric %s = %g, want > 0", lg_scenario_name(sc),
              r->metric_name, r->metric);
    cr_assert_gt(r->queries_issued, 0);
    cr_assert_gt(r->samples_issued, 0);
    cr_assert_eq(r->samples_completed, r->samples_issued, "issued %llu, completed %llu",
                 (unsigned long long)r->samples_issued,
                 (unsigned long long)r->samples_completed);
    cr_assert_eq(r->samples_failed, 0);
    cr_assert_eq(r->samples_timed_out, 0);
    cr_assert_eq(r->duplicate_completions, 0);
    cr_assert_eq(r->unknown_completions, 0);
    cr_assert_eq(r->late_completions, 0);
    cr_assert_eq(r->latency.count, r->samples_issued);
    assert_stats_ordered(&r->latency, "sample latency");
    cr_assert_gt(r->duration_ns, 0);
}

static int run(const lg_settings *s, lg_sut sut, qsl_synthetic *q, const char *outdir,
               lg_results *r)
{
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = outdir;
    return lg_run_test(s, &sut, &qsl, &log, r);
}

static void run_ok(const lg_settings *s, lg_sut sut, qsl_synthetic *q, lg_results *r)
{
    int rc = run(s, sut, q, NULL, r);
    cr_assert_eq(rc, 0, "lg_run_test returned %d (%s)", rc, lg_strerror(rc));
}

/* ---------------------------------------------------------------------------------
 * Every scenario, null SUT
 * ------------------------------------------------------------------------------- */

/* A default for every test of the file; most set a shorter one of their own. */
TestSuite(scenarios, .timeout = 60);

Test(scenarios, single_stream_null_sut_is_valid_with_ordered_latencies, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_settings s = short_settings(LG_SINGLE_STREAM);
    lg_results r;
    run_ok(&s, sut_null(), q, &r);
    assert_valid_run(&r, LG_SINGLE_STREAM);
    cr_assert_str_eq(r.metric_name, "early_stopping_latency_ss");
    cr_assert_str_eq(r.metric_unit, "ns");
    cr_assert_eq(r.samples_per_query, 1);
    cr_assert_eq(r.queries_issued, r.samples_issued, "SingleStream: one sample per query");
    cr_assert_geq(r.queries_issued, 100);
    cr_assert_geq(r.final_issue_ns, 100000000LL, "ended before the minimum duration");
    cr_assert(r.early_stopping.applies && r.early_stopping.met);
    cr_assert_eq(r.metric, (double)r.early_stopping.estimate_ns);
    cr_assert_geq(r.early_stopping.estimate_ns, r.latency.p90_ns,
                  "the early-stopping estimate is at or above the p90");
    cr_assert(r.qps_with_loadgen_overhead > 0 && r.qps_without_loadgen_overhead > 0);
    cr_assert_eq(r.performance_sample_count, 256);
    cr_assert_eq(qsl_synthetic_loaded(q), 0, "the performance set was not unloaded");
    qsl_synthetic_destroy(q);
}

Test(scenarios, multi_stream_null_sut_is_valid_with_spq_samples_per_query, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_settings s = short_settings(LG_MULTI_STREAM);
    s.multi_stream_samples_per_query = 8;
    s.min_query_count = 662; /* MLPerf's MultiStream count: early stopping at p99 */
    lg_results r;
    run_ok(&s, sut_null(), q, &r);
    assert_valid_run(&r, LG_MULTI_STREAM);
    cr_assert_str_eq(r.metric_unit, "ns");
    cr_assert_eq(r.samples_per_query, 8);
    cr_assert_geq(r.queries_issued, 662);
    cr_assert_eq(r.samples_issued, 8 * r.queries_issued, "samples %llu != 8 x queries %llu",
                 (unsigned long long)r.samples_issued, (unsigned long long)r.queries_issued);
    cr_assert_eq(r.query_latency.count, r.queries_issued);
    assert_stats_ordered(&r.query_latency, "query latency");
    cr_assert_geq(r.query_latency.max_ns, r.latency.max_ns,
                  "a query takes as long as its slowest sample");
    cr_assert_eq(r.metric, (double)r.early_stopping.estimate_ns);
    qsl_synthetic_destroy(q);
}

Test(scenarios, server_null_sut_is_valid_at_target_qps, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_settings s = short_settings(LG_SERVER);
    s.server_target_qps = 10000;
    lg_results r;
    run_ok(&s, sut_null(), q, &r);
    assert_valid_run(&r, LG_SERVER);
    cr_assert_str_eq(r.metric_name, "result_completed_samples_per_sec");
    cr_assert_str_eq(r.metric_unit, "1/s");
    cr_assert_eq(r.queries_issued, r.samples_issued);
    /* A Poisson schedule of ~1000 arrivals in 100 ms: the scheduled rate is near 10000/s. */
    cr_assert(r.scheduled_samples_per_sec > 7000 && r.scheduled_samples_per_sec < 13000,
              "scheduled %g samples/s for a 10000 QPS target", r.scheduled_samples_per_sec);
    cr_assert_geq(r.final_scheduled_ns, 100000000LL);
    cr_assert_eq(r.overlatency_count, 0);
    cr_assert(r.early_stopping.met);
    qsl_synthetic_destroy(q);
}

/* issue_batch_ns: at 20000 QPS (gaps of 50 us) the issue thread wakes once per 2 ms, so
 * the queries due in between go late by 0-2 ms (about 1 ms on average), and the lag
 * says so; every query is still issued, none early. Without it, sleeps and spins keep
 * the median lag far below that. */
Test(scenarios, server_issue_batch_wakes_once_per_interval_and_shows_in_the_lag,
     .timeout = 30)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_settings s = short_settings(LG_SERVER);
    s.server_target_qps = 20000;
    s.issue_spin_ns = 0;
    s.issue_batch_ns = 2000000;
    lg_results r;
    run_ok(&s, sut_null(), q, &r);
    cr_assert_eq(r.samples_completed, r.samples_issued);
    cr_assert_geq(r.issue_lag.min_ns, 0);
    cr_assert(r.issue_lag.mean_ns > 300000 && r.issue_lag.mean_ns < 100000000,
              "mean issue lag %lld ns with 2 ms wake-ups", (long long)r.issue_lag.mean_ns);
    cr_assert(r.issue_lag.p50_ns > 200000, "median lag %lld ns",
              (long long)r.issue_lag.p50_ns);
    qsl_synthetic_destroy(q);
}

Test(scenarios, offline_null_sut_issues_one_query_of_mlperf_size, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_settings s = short_settings(LG_OFFLINE);
    s.offline_expected_qps = 20000;
    s.min_query_count = 1;
    s.min_duration_ms = 200;
    lg_results r;
    run_ok(&s, sut_null(), q, &r);
    /* MLPerf's example: qps 20000, 200 ms -> 4400 samples. */
    uint64_t want = (uint64_t)floor(1.1 * (200 / 1000.0) * 20000);
    cr_assert_eq(want, 4400);
    cr_assert_eq(r.samples_per_query, want, "samples_per_query %llu, want %llu",
                 (unsigned long long)r.samples_per_query, (unsigned long long)want);
    cr_assert_eq(r.samples_issued, want);
    cr_assert_eq(r.samples_completed, want);
    cr_assert_eq(r.queries_issued, 1);
    cr_assert_str_eq(r.metric_name, "result_samples_per_second");
    cr_assert(r.metric > 0);
    cr_assert_not(r.early_stopping.applies, "early stopping does not apply to Offline");
    /* The null SUT answers at once, far under 200 ms: too short, and only that. */
    cr_assert_not(r.valid);
    cr_assert_eq(r.invalid_reasons, (unsigned)LG_INVALID_MIN_DURATION,
                 "reasons 0x%x, want exactly MIN_DURATION", r.invalid_reasons);
    cr_assert_eq(r.issue_lag.count, 0, "Offline has no issue lag");
    qsl_synthetic_destroy(q);
}

Test(scenarios, offline_samples_per_query_is_min_query_count_when_larger, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_settings s = short_settings(LG_OFFLINE);
    s.offline_expected_qps = 1000; /* floor(1.1 * 0.1 * 1000) = 110 */
    s.min_query_count = 500;
    lg_results r;
    run_ok(&s, sut_null(), q, &r);
    cr_assert_eq(r.samples_per_query, 500);
    cr_assert_eq(r.samples_issued, 500);
    s.min_query_count = 10;
    run_ok(&s, sut_null(), q, &r);
    uint64_t want = (uint64_t)floor(1.1 * (100 / 1000.0) * 1000);
    cr_assert_eq(want, 110);
    cr_assert_eq(r.samples_per_query, want);
    cr_assert_eq(r.samples_issued, want);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * Every scenario, synthetic SUT (a worker pool with real service times)
 * ------------------------------------------------------------------------------- */

Test(scenarios, single_stream_synthetic_sut_is_valid, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_EXPONENTIAL, 150000, 2);
    lg_settings s = short_settings(LG_SINGLE_STREAM);
    s.single_stream_expected_latency_ns = 150000;
    lg_results r;
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    assert_valid_run(&r, LG_SINGLE_STREAM);
    cr_assert_eq(r.queries_issued, r.samples_issued);
    /* A sleeping SUT cannot answer faster than it sleeps on average. */
    cr_assert_gt(r.latency.mean_ns, 50000, "mean %lld ns for a 150 us SUT",
                 (long long)r.latency.mean_ns);
    cr_assert(r.early_stopping.met);
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

Test(scenarios, multi_stream_synthetic_sut_is_valid, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_EXPONENTIAL, 100000, 4);
    lg_settings s = short_settings(LG_MULTI_STREAM);
    s.multi_stream_samples_per_query = 4;
    s.multi_stream_target_latency_percentile = 0.90; /* early stopping after 64 queries */
    s.min_query_count = 64;
    lg_results r;
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    assert_valid_run(&r, LG_MULTI_STREAM);
    cr_assert_eq(r.samples_per_query, 4);
    cr_assert_eq(r.samples_issued, 4 * r.queries_issued);
    cr_assert_eq(r.query_latency.count, r.queries_issued);
    assert_stats_ordered(&r.query_latency, "query latency");
    cr_assert_geq(r.query_latency.p50_ns, r.latency.p50_ns,
                  "the median query is no faster than the median sample");
    cr_assert_eq(r.early_stopping.min_queries, 64);
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

Test(scenarios, server_synthetic_sut_is_valid, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_EXPONENTIAL, 100000, 4);
    lg_settings s = short_settings(LG_SERVER);
    s.server_target_qps = 3000;
    s.min_duration_ms = 200;
    lg_results r;
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    assert_valid_run(&r, LG_SERVER);
    cr_assert_eq(r.queries_issued, r.samples_issued);
    cr_assert(r.completed_samples_per_sec > 1500 && r.completed_samples_per_sec < 4500,
              "completed %g samples/s at a 3000 QPS target", r.completed_samples_per_sec);
    cr_assert_eq(r.metric, r.completed_samples_per_sec);
    cr_assert_leq(r.latency.p99_ns, s.server_target_latency_ns);
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

Test(scenarios, offline_synthetic_sut_is_valid_and_bounded_by_sut_capacity, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    /* Two workers of exactly 1 ms each: at most 2000 samples/s. */
    sut_synthetic *sy = make_synth(SUT_DIST_CONSTANT, 1000000, 2);
    lg_settings s = short_settings(LG_OFFLINE);
    s.offline_expected_qps = 4000; /* 440 samples: at least 220 ms of work */
    s.min_query_count = 1;
    lg_results r;
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    assert_valid_run(&r, LG_OFFLINE);
    cr_assert_eq(r.samples_per_query, 440);
    cr_assert_eq(r.samples_issued, 440);
    cr_assert_eq(r.queries_issued, 1);
    cr_assert_geq(r.latency.max_ns, 220000000LL, "440 ms of work on 2 workers in %lld ns",
                  (long long)r.latency.max_ns);
    cr_assert_leq(r.samples_per_sec, 2000.0 * 1.001, "%g samples/s from a 2000/s SUT",
                  r.samples_per_sec);
    cr_assert_eq(r.metric, r.samples_per_sec);
    cr_assert_eq(r.metric, 440.0 / ((double)r.latency.max_ns / 1e9));
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * Validity rules
 * ------------------------------------------------------------------------------- */

Test(scenarios, offline_with_too_low_expected_qps_is_invalid_min_duration, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_CONSTANT, 1000000, 2);
    lg_settings s = short_settings(LG_OFFLINE);
    s.offline_expected_qps = 100; /* 11 samples: about 6 ms of work for a 100 ms run */
    s.min_query_count = 1;
    lg_results r;
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    cr_assert_eq(r.samples_issued, 11);
    cr_assert_not(r.valid);
    cr_assert(r.invalid_reasons & LG_INVALID_MIN_DURATION, "reasons 0x%x", r.invalid_reasons);
    cr_assert_eq(r.invalid_reasons, (unsigned)LG_INVALID_MIN_DURATION,
                 "only the duration is wrong, reasons 0x%x", r.invalid_reasons);
    cr_assert_eq(r.samples_completed, 11);
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

Test(scenarios, max_query_count_ends_run_early_as_invalid_max_limit, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_settings s = short_settings(LG_SINGLE_STREAM);
    s.min_duration_ms = 10000; /* would take 10 s without the limit */
    s.min_query_count = 50;
    s.max_query_count = 50;
    lg_results r;
    int64_t t0 = now_ns();
    run_ok(&s, sut_null(), q, &r);
    int64_t took = now_ns() - t0;
    cr_assert_lt(took, 5000000000LL, "max_query_count did not end the run (%lld ns)",
                 (long long)took);
    cr_assert_eq(r.queries_issued, 50);
    cr_assert_eq(r.samples_completed, 50);
    cr_assert_not(r.valid);
    cr_assert(r.invalid_reasons & LG_INVALID_MAX_LIMIT, "reasons 0x%x", r.invalid_reasons);
    cr_assert(r.invalid_reasons & LG_INVALID_MIN_DURATION, "reasons 0x%x", r.invalid_reasons);
    cr_assert_not(r.invalid_reasons & LG_INVALID_MIN_QUERIES,
                  "50 queries meet min_query_count 50, reasons 0x%x", r.invalid_reasons);
    /* 50 queries are fewer than the 64 early stopping needs at p90. */
    cr_assert(r.invalid_reasons & LG_INVALID_EARLY_STOPPING);
    qsl_synthetic_destroy(q);
}

Test(scenarios, max_duration_ends_run_early_as_invalid_max_limit_and_min_queries,
     .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_CONSTANT, 200000, 1);
    lg_settings s = short_settings(LG_SINGLE_STREAM);
    s.min_duration_ms = 100;
    s.max_duration_ms = 100;
    s.min_query_count = 100000000; /* never reached in 100 ms */
    lg_results r;
    int64_t t0 = now_ns();
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    cr_assert_lt(now_ns() - t0, 5000000000LL, "max_duration_ms did not end the run");
    cr_assert_not(r.valid);
    cr_assert(r.invalid_reasons & LG_INVALID_MAX_LIMIT, "reasons 0x%x", r.invalid_reasons);
    cr_assert(r.invalid_reasons & LG_INVALID_MIN_QUERIES, "reasons 0x%x", r.invalid_reasons);
    cr_assert_lt(r.queries_issued, 100000000);
    cr_assert_eq(r.samples_completed, r.samples_issued);
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

Test(scenarios, max_query_count_below_min_query_count_is_refused, .timeout = 10)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_settings s = short_settings(LG_SINGLE_STREAM);
    s.min_query_count = 100;
    s.max_query_count = 99;
    char msg[256];
    cr_assert_eq(lg_settings_check(&s, &qsl, msg, sizeof msg), LG_EINVAL);
    cr_assert_not_null(strstr(msg, "max_query_count"), "message \"%s\"", msg);
    lg_results r;
    cr_assert_eq(run(&s, sut_null(), q, NULL, &r), LG_EINVAL);
    cr_assert_eq(r.samples_issued, 0);
    s.max_query_count = 100;
    cr_assert_eq(lg_settings_check(&s, &qsl, msg, sizeof msg), 0, "max == min is fine: %s",
                 msg);
    qsl_synthetic_destroy(q);
}

Test(scenarios, server_tiny_latency_bound_is_invalid_perf_constraint_and_early_stopping,
     .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_settings s = short_settings(LG_SERVER);
    s.server_target_qps = 5000;
    s.server_target_latency_ns = 1;
    lg_results r;
    run_ok(&s, sut_null(), q, &r);
    cr_assert_not(r.valid);
    cr_assert(r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT, "reasons 0x%x",
              r.invalid_reasons);
    cr_assert(r.invalid_reasons & LG_INVALID_EARLY_STOPPING, "reasons 0x%x",
              r.invalid_reasons);
    cr_assert_eq(r.overlatency_count, r.samples_issued, "every sample is over 1 ns");
    cr_assert_not(r.early_stopping.met);
    cr_assert_eq(r.early_stopping.overlatency, r.samples_issued);
    cr_assert_gt(r.early_stopping.more_queries_needed, 0);
    cr_assert_gt(r.latency.target_ns, 1);
    /* Everything else is fine: all completed, no errors. */
    cr_assert_eq(r.samples_completed, r.samples_issued);
    cr_assert_not(r.invalid_reasons & (LG_INVALID_MIN_DURATION | LG_INVALID_MIN_QUERIES |
                                       LG_INVALID_FAILED_SAMPLES | LG_INVALID_TIMED_OUT));
    qsl_synthetic_destroy(q);
}

Test(scenarios, single_stream_with_too_few_queries_fails_early_stopping, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_CONSTANT, 3000000, 1); /* 3 ms per query */
    lg_settings s = short_settings(LG_SINGLE_STREAM);
    s.min_query_count = 10;
    s.min_duration_ms = 10;
    lg_results r;
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    cr_assert_lt(r.queries_issued, 64, "%llu queries", (unsigned long long)r.queries_issued);
    cr_assert_geq(r.queries_issued, 10);
    cr_assert_not(r.valid);
    cr_assert(r.invalid_reasons & LG_INVALID_EARLY_STOPPING, "reasons 0x%x",
              r.invalid_reasons);
    cr_assert_not(r.invalid_reasons & (LG_INVALID_MIN_DURATION | LG_INVALID_MIN_QUERIES),
                  "reasons 0x%x", r.invalid_reasons);
    cr_assert(r.early_stopping.applies);
    cr_assert_not(r.early_stopping.met);
    cr_assert_eq(r.early_stopping.min_queries, 64, "MLPerf: 64 queries at p90");
    cr_assert_eq(r.early_stopping.estimate_ns, 0);
    cr_assert_eq(r.early_stopping.estimate99_ns, 0);
    cr_assert_eq(r.metric, 0.0, "no early-stopping estimate, no metric");
    cr_assert_eq(r.latency.count, r.queries_issued, "the latencies are still reported");
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * MLPerf's percentile rule, checked against the per-sample records in samples.bin
 * ------------------------------------------------------------------------------- */

typedef struct spin_sut {
    uint64_t calls;
} spin_sut;

/* Answers inside issue() after spinning 20..2000 us, a permutation over 100 queries. */
static void spin_issue(void *ctx, const lg_sample *samples, size_t n)
{
    spin_sut *ss = ctx;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = ss->calls++;
        spin_ns((int64_t)(((k * 37) % 100) + 1) * 20000);
        lg_response resp = {.id = samples[i].id, .status = LG_STATUS_OK};
        lg_complete(&resp, 1);
    }
}

typedef struct samples_rec {
    int64_t sched, issued, done;
    uint32_t index;
    int32_t status;
} samples_rec;

static samples_rec *read_samples_bin(const char *dir, uint64_t *count, uint64_t *spq)
{
    char path[512];
    snprintf(path, sizeof path, "%s/samples.bin", dir);
    lg_samples_header h;
    lg_sample_record *r = tu_read_samples(path, &h);
    *count = h.count;
    *spq = h.samples_per_query;
    samples_rec *v = malloc((*count ? *count : 1) * sizeof *v);
    cr_assert_not_null(v);
    for (uint64_t i = 0; i < h.count; i++)
        v[i] = (samples_rec){r[i].scheduled_ns, r[i].issued_ns, r[i].completed_ns,
                             r[i].index, r[i].status};
    free(r);
    return v;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t mlperf_pct(const int64_t *sorted, size_t n, double p)
{
    size_t i = (size_t)floor((double)n * p);
    return sorted[i < n ? i : n - 1];
}

Test(scenarios, single_stream_percentiles_follow_mlperf_floor_rule, .timeout = 20)
{
    char dir[128];
    make_tmpdir(dir, sizeof dir);
    qsl_synthetic *q = make_qsl(1024, 256);
    spin_sut ss = {0};
    lg_sut sut = {.name = "spin", .ctx = &ss, .issue = spin_issue};
    lg_settings s = short_settings(LG_SINGLE_STREAM);
    s.min_duration_ms = 0; /* exactly min_query_count queries */
    s.min_query_count = 100;
    lg_results r;
    int rc = run(&s, sut, q, dir, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r.queries_issued, 100, "min_duration 0 should stop at exactly 100 queries");
    cr_assert_eq(ss.calls, 100);

    uint64_t n, spq;
    samples_rec *v = read_samples_bin(dir, &n, &spq);
    cr_assert_eq(n, 100);
    int64_t lat[100], delay[100], sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        cr_assert_geq(v[i].done, 0, "sample %llu never completed", (unsigned long long)i);
        lat[i] = v[i].done - v[i].sched;
        delay[i] = (int64_t)(((i * 37) % 100) + 1) * 20000;
        sum += lat[i];
    }
    qsort(lat, 100, sizeof lat[0], cmp_i64);
    qsort(delay, 100, sizeof delay[0], cmp_i64);
    /* Each latency covers its own spin, so the k-th smallest latency covers the k-th
     * smallest spin. */
    for (int k = 0; k < 100; k++)
        cr_assert_geq(lat[k], delay[k], "sorted latency %d below its spin", k);
    cr_assert_eq(r.latency.count, 100);
    cr_assert_eq(r.latency.min_ns, lat[0]);
    cr_assert_eq(r.latency.max_ns, lat[99]);
    cr_assert_eq(r.latency.mean_ns, sum / 100, "mean is integer sum / count");
    cr_assert_eq(r.latency.p50_ns, lat[50]);
    cr_assert_eq(r.latency.p90_ns, lat[90], "p90 must be sorted[floor(100*0.9)] = [90]");
    cr_assert_eq(r.latency.p95_ns, mlperf_pct(lat, 100, 0.95));
    cr_assert_eq(r.latency.p97_ns, mlperf_pct(lat, 100, 0.97));
    cr_assert_eq(r.latency.p99_ns, lat[99], "n = 100, p = 0.99 is the maximum");
    cr_assert_eq(r.latency.p999_ns, lat[99]);
    cr_assert_eq(r.latency.target_ns, lat[90]);
    /* n = 100 at p90: t = 3, so the estimate discards the 2 highest: sorted[97]. */
    cr_assert(r.early_stopping.met);
    cr_assert_eq(r.early_stopping.overlatency, 3);
    cr_assert_eq(r.early_stopping.estimate_ns, lat[97]);
    cr_assert_eq(r.early_stopping.estimate99_ns, 0, "100 queries are too few for p99");
    cr_assert_eq(r.metric, (double)lat[97]);
    free(v);
    qsl_synthetic_destroy(q);
    remove_tree(dir);
}

Test(scenarios, multi_stream_query_latency_is_slowest_sample_from_scheduled_time,
     .timeout = 20)
{
    char dir[128];
    make_tmpdir(dir, sizeof dir);
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_EXPONENTIAL, 50000, 2);
    lg_settings s = short_settings(LG_MULTI_STREAM);
    s.multi_stream_samples_per_query = 4;
    s.multi_stream_target_latency_percentile = 0.9;
    s.min_duration_ms = 0;
    s.min_query_count = 200;
    lg_results r;
    int rc = run(&s, sut_synthetic_sut(sy), q, dir, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r.queries_issued, 200);
    uint64_t n, spq;
    samples_rec *v = read_samples_bin(dir, &n, &spq);
    cr_assert_eq(n, 800);
    cr_assert_eq(spq, 4);
    int64_t ql[200];
    for (int qi = 0; qi < 200; qi++) {
        int64_t worst = INT64_MIN;
        for (int k = 0; k < 4; k++) {
            const samples_rec *x = &v[qi * 4 + k];
            cr_assert_eq(x->sched, v[qi * 4].sched, "a query's samples share a schedule");
            if (x->done - x->sched > worst)
                worst = x->done - x->sched;
        }
        ql[qi] = worst;
    }
    qsort(ql, 200, sizeof ql[0], cmp_i64);
    cr_assert_eq(r.query_latency.count, 200);
    cr_assert_eq(r.query_latency.min_ns, ql[0]);
    cr_assert_eq(r.query_latency.max_ns, ql[199]);
    cr_assert_eq(r.query_latency.p50_ns, ql[100]);
    cr_assert_eq(r.query_latency.p90_ns, ql[180]);
    cr_assert_eq(r.query_latency.p99_ns, ql[198]);
    /* n = 200 at p90: t = 10 -> sorted[190]. */
    cr_assert_eq(r.early_stopping.overlatency, 10);
    cr_assert_eq(r.early_stopping.estimate_ns, ql[190]);
    free(v);
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
    remove_tree(dir);
}

/* ---------------------------------------------------------------------------------
 * Runs in sequence, refusals and setting checks
 * ------------------------------------------------------------------------------- */

Test(scenarios, back_to_back_runs_of_different_scenarios_in_one_process, .timeout = 30)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_EXPONENTIAL, 100000, 2);
    static const lg_scenario order[] = {LG_SERVER, LG_SINGLE_STREAM, LG_OFFLINE,
                                        LG_MULTI_STREAM, LG_SERVER};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        lg_settings s = short_settings(order[i]);
        s.server_target_qps = 3000;
        if (order[i] == LG_SERVER)
            s.min_query_count = 500; /* early stopping at p99 needs 459 */
        s.offline_expected_qps = 100000; /* 11000 samples: ~0.5 s of work on 2 workers */
        s.multi_stream_samples_per_query = 2;
        s.multi_stream_target_latency_percentile = 0.9;
        s.schedule_rng_seed = i;
        lg_results r;
        bool synth = i % 2 == 0;
        run_ok(&s, synth ? sut_synthetic_sut(sy) : sut_null(), q, &r);
        if (order[i] == LG_OFFLINE && !synth)
            cr_assert_eq(r.invalid_reasons, (unsigned)LG_INVALID_MIN_DURATION);
        else
            assert_valid_run(&r, order[i]);
        cr_assert_eq(r.scenario, order[i], "run %zu: scenario %d", i, (int)r.scenario);
        cr_assert_eq(qsl_synthetic_loaded(q), 0, "run %zu left samples loaded", i);
    }
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

Test(scenarios, run_refuses_bad_settings_with_einval_and_leaves_no_state, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(64, 16);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_null();
    lg_results r;
    lg_settings s = short_settings(LG_SINGLE_STREAM);

    s.single_stream_target_latency_percentile = 1.0;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, NULL, &r), LG_EINVAL);
    s = short_settings(LG_SERVER);
    s.server_target_qps = -5;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, NULL, &r), LG_EINVAL);
    s = short_settings(LG_OFFLINE);
    s.performance_sample_count_override = 65;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, NULL, &r), LG_EINVAL);
    s = short_settings(LG_SINGLE_STREAM);
    s.scenario = (lg_scenario)9;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, NULL, &r), LG_EINVAL);
    /* Missing arguments. */
    s = short_settings(LG_SINGLE_STREAM);
    cr_assert_eq(lg_run_test(NULL, &sut, &qsl, NULL, &r), LG_EINVAL);
    cr_assert_eq(lg_run_test(&s, NULL, &qsl, NULL, &r), LG_EINVAL);
    cr_assert_eq(lg_run_test(&s, &sut, NULL, NULL, &r), LG_EINVAL);
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, NULL, NULL), LG_EINVAL);
    lg_sut noissue = {.name = "no-issue"};
    cr_assert_eq(lg_run_test(&s, &noissue, &qsl, NULL, &r), LG_EINVAL);
    lg_qsl empty = qsl;
    empty.total_sample_count = 0;
    cr_assert_eq(lg_run_test(&s, &sut, &empty, NULL, &r), LG_EINVAL);
    cr_assert_eq(qsl_synthetic_load_calls(q), 0, "a refused run must not load samples");

    /* Nothing is left behind: the next run works and is clean. */
    s = short_settings(LG_SINGLE_STREAM);
    int rc = lg_run_test(&s, &sut, &qsl, NULL, &r);
    cr_assert_eq(rc, 0, "the run after refusals returned %d (%s)", rc, lg_strerror(rc));
    assert_valid_run(&r, LG_SINGLE_STREAM);
    qsl_synthetic_destroy(q);
}

typedef struct check_case {
    const char *key; /* the setting the message must name */
    void (*mutate)(lg_settings *s, lg_qsl *q);
} check_case;

static void m_ss_pct0(lg_settings *s, lg_qsl *q) { (void)q, s->single_stream_target_latency_percentile = 0; }
static void m_ss_pct1(lg_settings *s, lg_qsl *q) { (void)q, s->single_stream_target_latency_percentile = 1; }
static void m_ms_pct0(lg_settings *s, lg_qsl *q) { (void)q, s->multi_stream_target_latency_percentile = 0; }
static void m_ms_pct1(lg_settings *s, lg_qsl *q) { (void)q, s->multi_stream_target_latency_percentile = 1; }
static void m_sv_pct0(lg_settings *s, lg_qsl *q) { (void)q, s->server_target_latency_percentile = 0; }
static void m_sv_pct1(lg_settings *s, lg_qsl *q) { (void)q, s->server_target_latency_percentile = 1; }
static void m_sv_nan(lg_settings *s, lg_qsl *q) { (void)q, s->server_target_latency_percentile = NAN; }
static void m_qps0(lg_settings *s, lg_qsl *q) { (void)q, s->server_target_qps = 0; }
static void m_qpsneg(lg_settings *s, lg_qsl *q) { (void)q, s->server_target_qps = -1; }
static void m_qpsinf(lg_settings *s, lg_qsl *q) { (void)q, s->server_target_qps = INFINITY; }
static void m_off0(lg_settings *s, lg_qsl *q) { (void)q, s->offline_expected_qps = 0; }
static void m_offneg(lg_settings *s, lg_qsl *q) { (void)q, s->offline_expected_qps = -100; }
static void m_sslat0(lg_settings *s, lg_qsl *q) { (void)q, s->single_stream_expected_latency_ns = 0; }
static void m_mslat(lg_settings *s, lg_qsl *q) { (void)q, s->multi_stream_expected_latency_ns = -1; }
static void m_bound0(lg_settings *s, lg_qsl *q) { (void)q, s->server_target_latency_ns = 0; }
static void m_spq0(lg_settings *s, lg_qsl *q) { (void)q, s->multi_stream_samples_per_query = 0; }
static void m_prob(lg_settings *s, lg_qsl *q) { (void)q, s->accuracy_log_probability = 1.5; }
static void m_psc(lg_settings *s, lg_qsl *q) { (void)s, q->performance_sample_count = q->total_sample_count + 1; }
static void m_psco(lg_settings *s, lg_qsl *q) { s->performance_sample_count_override = q->total_sample_count + 1; }
static void m_psc0(lg_settings *s, lg_qsl *q) { (void)s, q->performance_sample_count = 0; }
static void m_acco(lg_settings *s, lg_qsl *q) { s->accuracy_sample_count_override = q->total_sample_count + 1; }
static void m_same_unique(lg_settings *s, lg_qsl *q) { (void)q, s->performance_issue_same = s->performance_issue_unique = true; }
static void m_same_idx(lg_settings *s, lg_qsl *q) { s->performance_issue_same = true, s->performance_issue_same_index = q->performance_sample_count; }
static void m_maxq(lg_settings *s, lg_qsl *q) { (void)q, s->min_query_count = 10, s->max_query_count = 5; }
static void m_maxd(lg_settings *s, lg_qsl *q) { (void)q, s->min_duration_ms = 100, s->max_duration_ms = 50; }
static void m_timeout(lg_settings *s, lg_qsl *q) { (void)q, s->sample_timeout_ns = -1; }
static void m_threads(lg_settings *s, lg_qsl *q) { (void)q, s->server_num_issue_query_threads = LG_MAX_ISSUE_THREADS + 1; }
static void m_total0(lg_settings *s, lg_qsl *q) { (void)s, q->total_sample_count = 0; }

Test(scenarios, settings_check_messages_name_the_offending_key, .timeout = 10)
{
    static const check_case cases[] = {
        {"single_stream_target_latency_percentile", m_ss_pct0},
        {"single_stream_target_latency_percentile", m_ss_pct1},
        {"multi_stream_target_latency_percentile", m_ms_pct0},
        {"multi_stream_target_latency_percentile", m_ms_pct1},
        {"server_target_latency_percentile", m_sv_pct0},
        {"server_target_latency_percentile", m_sv_pct1},
        {"server_target_latency_percentile", m_sv_nan},
        {"server_target_qps", m_qps0},
        {"server_target_qps", m_qpsneg},
        {"server_target_qps", m_qpsinf},
        {"offline_expected_qps", m_off0},
        {"offline_expected_qps", m_offneg},
        {"single_stream_expected_latency_ns", m_sslat0},
        {"multi_stream_expected_latency_ns", m_mslat},
        {"server_target_latency_ns", m_bound0},
        {"multi_stream_samples_per_query", m_spq0},
        {"accuracy_log_probability", m_prob},
        {"performance_sample_count", m_psc},
        {"performance_sample_count_override", m_psco},
        {"performance_sample_count", m_psc0},
        {"accuracy_sample_count_override", m_acco},
        {"performance_issue_same", m_same_unique},
        {"performance_issue_unique", m_same_unique},
        {"performance_issue_same_index", m_same_idx},
        {"max_query_count", m_maxq},
        {"max_duration_ms", m_maxd},
        {"sample_timeout_ns", m_timeout},
        {"server_num_issue_query_threads", m_threads},
        {"total_sample_count", m_total0},
    };
    qsl_synthetic *qs = make_qsl(100, 50);
    lg_qsl base = qsl_synthetic_qsl(qs);
    lg_settings good;
    lg_settings_default(&good);
    char msg[256];
    cr_assert_eq(lg_settings_check(&good, &base, msg, sizeof msg), 0, "defaults: %s", msg);
    cr_assert_eq(lg_settings_check(&good, NULL, msg, sizeof msg), 0, "no QSL: %s", msg);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lg_settings s = good;
        lg_qsl q = base;
        cases[i].mutate(&s, &q);
        memset(msg, 'x', sizeof msg);
        int rc = lg_settings_check(&s, &q, msg, sizeof msg);
        cr_assert_eq(rc, LG_EINVAL, "case %zu (%s) accepted", i, cases[i].key);
        cr_assert(memchr(msg, '\0', sizeof msg) != NULL, "case %zu: message not terminated", i);
        cr_assert_not_null(strstr(msg, cases[i].key), "case %zu: message \"%s\" does not name %s",
                           i, msg, cases[i].key);
        /* A NULL or short buffer is fine too. */
        cr_assert_eq(lg_settings_check(&s, &q, NULL, 0), LG_EINVAL);
        char tiny[4];
        cr_assert_eq(lg_settings_check(&s, &q, tiny, sizeof tiny), LG_EINVAL);
        cr_assert(memchr(tiny, '\0', sizeof tiny) != NULL, "case %zu: short message", i);
    }
    qsl_synthetic_destroy(qs);
}

/* A SUT whose issue() tries to start a second test, from its own thread and from
 * another thread, before it completes the samples. */
typedef struct nesting_sut {
    lg_settings settings;
    lg_qsl qsl;
    int inner_rc, other_rc;
    bool tried;
} nesting_sut;

static void *other_thread_run(void *arg)
{
    nesting_sut *ns = arg;
    lg_sut null = sut_null();
    lg_results r;
    ns->other_rc = lg_run_test(&ns->settings, &null, &ns->qsl, NULL, &r);
    return NULL;
}

static void nesting_issue(void *ctx, const lg_sample *samples, size_t n)
{
    nesting_sut *ns = ctx;
    if (!ns->tried) {
        ns->tried = true;
        lg_sut null = sut_null();
        lg_results r;
        ns->inner_rc = lg_run_test(&ns->settings, &null, &ns->qsl, NULL, &r);
        pthread_t th;
        if (pthread_create(&th, NULL, other_thread_run, ns) == 0)
            pthread_join(th, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        lg_response resp = {.id = samples[i].id, .status = LG_STATUS_OK};
        lg_complete(&resp, 1);
    }
}

Test(scenarios, second_run_while_one_runs_is_refused_with_ebusy, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(64, 16);
    nesting_sut ns = {.inner_rc = 1, .other_rc = 1};
    ns.settings = short_settings(LG_OFFLINE);
    ns.settings.min_duration_ms = 0;
    ns.settings.min_query_count = 10;
    ns.qsl = qsl_synthetic_qsl(q);
    lg_sut sut = {.name = "nesting", .ctx = &ns, .issue = nesting_issue};
    lg_results r;
    int rc = lg_run_test(&ns.settings, &sut, &ns.qsl, NULL, &r);
    cr_assert_eq(rc, 0, "outer run: %s", lg_strerror(rc));
    cr_assert(ns.tried);
    cr_assert_eq(ns.inner_rc, LG_EBUSY, "nested run returned %d", ns.inner_rc);
    cr_assert_eq(ns.other_rc, LG_EBUSY, "concurrent run returned %d", ns.other_rc);
    cr_assert_eq(r.samples_issued, 10);
    cr_assert_eq(r.samples_completed, 10, "the refused runs disturbed the outer one");
    cr_assert_eq(r.unknown_completions, 0);
    /* And the process is free again. */
    lg_sut null = sut_null();
    rc = lg_run_test(&ns.settings, &null, &ns.qsl, NULL, &r);
    cr_assert_eq(rc, 0, "run after the refusals: %s", lg_strerror(rc));
    cr_assert_eq(r.samples_completed, 10);
    qsl_synthetic_destroy(q);
}

/* A QSL whose load fails. */
static int failing_load(void *ctx, const uint64_t *idx, size_t n)
{
    (void)ctx, (void)idx, (void)n;
    return -1;
}

Test(scenarios, qsl_load_failure_returns_esut_and_next_run_works, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(64, 16);
    lg_qsl bad = qsl_synthetic_qsl(q);
    bad.load = failing_load;
    lg_settings s = short_settings(LG_SINGLE_STREAM);
    lg_sut sut = sut_null();
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &bad, NULL, &r), LG_ESUT);
    cr_assert_eq(r.samples_issued, 0, "nothing may be issued after a failed load");
    lg_qsl good = qsl_synthetic_qsl(q);
    int rc = lg_run_test(&s, &sut, &good, NULL, &r);
    cr_assert_eq(rc, 0, "run after the failed load: %s", lg_strerror(rc));
    assert_valid_run(&r, LG_SINGLE_STREAM);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * Server issue lag
 * ------------------------------------------------------------------------------- */

Test(scenarios, server_reports_issue_lag_for_every_sample, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_EXPONENTIAL, 100000, 2);
    lg_settings s = short_settings(LG_SERVER);
    s.server_target_qps = 3000;
    s.min_query_count = 500; /* early stopping at p99 needs 459 */
    lg_results r;
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    assert_valid_run(&r, LG_SERVER);
    cr_assert_eq(r.issue_lag.count, r.samples_issued, "one lag per sample");
    assert_stats_ordered(&r.issue_lag, "issue lag");
    cr_assert_geq(r.issue_lag.min_ns, 0, "a sample was issued before its scheduled time");
    /* The lag is part of the latency (measured from the scheduled time). */
    cr_assert_leq(r.issue_lag.min_ns, r.latency.max_ns);
    cr_assert_lt(r.issue_lag.p50_ns, 50000000LL, "median issue lag %lld ns",
                 (long long)r.issue_lag.p50_ns);
    cr_assert_geq(r.final_issue_ns, r.final_scheduled_ns,
                  "the last query was issued before its scheduled time");
    cr_assert(r.scheduled_samples_per_sec > 0);
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * lg_abort
 * ------------------------------------------------------------------------------- */

static void *abort_after_150ms(void *arg)
{
    (void)arg;
    sleep_ms(150);
    lg_abort();
    return NULL;
}

static void check_abort(lg_scenario sc)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_EXPONENTIAL, 200000, 2);
    lg_settings s = short_settings(sc);
    s.min_duration_ms = 60000; /* a minute, unless aborted */
    s.server_target_qps = 2000;
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, abort_after_150ms, NULL), 0);
    int64_t t0 = now_ns();
    lg_results r;
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    int64_t took = now_ns() - t0;
    pthread_join(th, NULL);
    cr_assert_lt(took, 5000000000LL, "%s: lg_abort did not end the run (%lld ns)",
                 lg_scenario_name(sc), (long long)took);
    cr_assert_geq(took, 100000000LL, "%s: ended before the abort", lg_scenario_name(sc));
    cr_assert(r.aborted, "%s: aborted not set", lg_scenario_name(sc));
    cr_assert(r.invalid_reasons & LG_INVALID_ABORTED, "reasons 0x%x", r.invalid_reasons);
    cr_assert_not(r.valid);
    cr_assert_gt(r.samples_issued, 0);
    cr_assert_eq(r.samples_completed, r.samples_issued,
                 "outstanding samples are still awaited after an abort");
    cr_assert_eq(qsl_synthetic_loaded(q), 0);

    /* The abort does not stick: the next run is a normal one. */
    s.min_duration_ms = 50;
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    cr_assert_not(r.aborted, "%s: the abort leaked into the next run", lg_scenario_name(sc));
    cr_assert_not(r.invalid_reasons & LG_INVALID_ABORTED);
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

Test(scenarios, abort_from_another_thread_ends_single_stream_run_early, .timeout = 20)
{
    check_abort(LG_SINGLE_STREAM);
}

Test(scenarios, abort_from_another_thread_ends_server_run_early, .timeout = 20)
{
    check_abort(LG_SERVER);
}

Test(scenarios, abort_when_no_test_runs_does_nothing, .timeout = 20)
{
    lg_abort();
    lg_abort();
    qsl_synthetic *q = make_qsl(64, 16);
    lg_settings s = short_settings(LG_SINGLE_STREAM);
    s.min_duration_ms = 20;
    lg_results r;
    run_ok(&s, sut_null(), q, &r);
    cr_assert_not(r.aborted, "an lg_abort before the run aborted it");
    assert_valid_run(&r, LG_SINGLE_STREAM);
    qsl_synthetic_destroy(q);
}

/* lg_abort must stop issuing promptly even when the next Poisson arrival is far away:
 * at 0.5 QPS the issue thread sleeps for seconds until the next scheduled query (with
 * these seeds the first arrival comes after about 4.8 s and 3 s). */
Test(scenarios, abort_ends_low_qps_server_run_without_waiting_for_next_arrival,
     .timeout = 60)
{
    qsl_synthetic *q = make_qsl(64, 16);
    static const uint64_t seeds[] = {1, 3};
    for (size_t i = 0; i < 2; i++) {
        lg_settings s = short_settings(LG_SERVER);
        s.server_target_qps = 0.5; /* a mean gap of 2 s */
        s.min_duration_ms = 60000;
        s.schedule_rng_seed = seeds[i];
        pthread_t th;
        cr_assert_eq(pthread_create(&th, NULL, abort_after_150ms, NULL), 0);
        int64_t t0 = now_ns();
        lg_results r;
        run_ok(&s, sut_null(), q, &r);
        int64_t took = now_ns() - t0;
        pthread_join(th, NULL);
        cr_assert(r.aborted);
        cr_assert_lt(took, 1000000000LL, "seed %llu: lg_abort after 150 ms ended the run "
                     "only after %lld ms (the issue thread slept until the next arrival)",
                     (unsigned long long)seeds[i], (long long)(took / 1000000));
    }
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * Server options: coalescing and the outstanding-query limit; the progress callback
 * ------------------------------------------------------------------------------- */

/* Answers inline after 300 us, so that several arrivals fall due during each call. */
static void slow_inline_issue(void *ctx, const lg_sample *samples, size_t n)
{
    uint64_t *calls = ctx;
    (*calls)++;
    spin_ns(300000);
    for (size_t i = 0; i < n; i++) {
        lg_response resp = {.id = samples[i].id, .status = LG_STATUS_OK};
        lg_complete(&resp, 1);
    }
}

Test(scenarios, server_coalesced_queries_keep_their_own_scheduled_times, .timeout = 20)
{
    char dir[128];
    make_tmpdir(dir, sizeof dir);
    qsl_synthetic *q = make_qsl(1024, 256);
    uint64_t calls = 0;
    lg_sut sut = {.name = "slow-inline", .ctx = &calls, .issue = slow_inline_issue};
    lg_settings s = short_settings(LG_SERVER);
    s.server_target_qps = 10000; /* ~3 arrivals per 300 us call */
    s.server_coalesce_queries = true;
    s.server_target_latency_ns = 1000000000;
    s.min_query_count = 500;
    lg_results r;
    int rc = run(&s, sut, q, dir, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r.queries_issued, r.samples_issued, "a coalesced sample is still a query");
    cr_assert_lt(calls, r.samples_issued, "nothing was coalesced: %llu calls for %llu samples",
                 (unsigned long long)calls, (unsigned long long)r.samples_issued);
    uint64_t n, spq;
    samples_rec *v = read_samples_bin(dir, &n, &spq);
    cr_assert_eq(n, r.samples_issued);
    uint64_t shared_issue = 0;
    for (uint64_t i = 1; i < n; i++) {
        cr_assert_gt(v[i].sched, v[i - 1].sched, "sample %llu: scheduled times not increasing",
                     (unsigned long long)i);
        cr_assert_geq(v[i].issued, v[i].sched, "sample %llu issued before its time",
                      (unsigned long long)i);
        shared_issue += v[i].issued == v[i - 1].issued;
    }
    cr_assert_gt(shared_issue, 0, "no two samples were issued in one call");
    free(v);
    qsl_synthetic_destroy(q);
    remove_tree(dir);
}

Test(scenarios, server_max_async_queries_ends_run_when_too_many_are_outstanding,
     .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    /* One worker of 20 ms per sample against 1000 arrivals per second. */
    sut_synthetic *sy = make_synth(SUT_DIST_CONSTANT, 20000000, 1);
    lg_settings s = short_settings(LG_SERVER);
    s.server_target_qps = 1000;
    s.server_max_async_queries = 5;
    s.min_duration_ms = 1000;
    lg_results r;
    int64_t t0 = now_ns();
    run_ok(&s, sut_synthetic_sut(sy), q, &r);
    cr_assert_lt(now_ns() - t0, 3000000000LL, "the limit did not end the run");
    cr_assert_not(r.valid);
    cr_assert(r.invalid_reasons & LG_INVALID_MAX_LIMIT, "reasons 0x%x", r.invalid_reasons);
    cr_assert_leq(r.samples_issued, 6, "%llu issued with at most 5 outstanding",
                  (unsigned long long)r.samples_issued);
    cr_assert_eq(r.samples_completed, r.samples_issued, "outstanding samples are awaited");
    cr_assert_geq(r.errors_logged, 1, "ending early is logged as an error");
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
}

typedef struct progress_seen {
    int calls;
    int64_t last_elapsed;
    uint64_t last_completed;
    int bad; /* elapsed going back, completed above issued, completed going back */
    char phase[32];
} progress_seen;

static void on_progress(void *ctx, const lg_progress *p)
{
    progress_seen *ps = ctx;
    if (p->elapsed_ns < ps->last_elapsed || p->completed_samples > p->issued_samples ||
        p->completed_samples < ps->last_completed || p->current_qps < 0)
        ps->bad++;
    ps->last_elapsed = p->elapsed_ns;
    ps->last_completed = p->completed_samples;
    snprintf(ps->phase, sizeof ps->phase, "%s", p->phase ? p->phase : "(null)");
    ps->calls++;
}

Test(scenarios, progress_callback_reports_growing_counts_while_running, .timeout = 20)
{
    qsl_synthetic *q = make_qsl(1024, 256);
    sut_synthetic *sy = make_synth(SUT_DIST_EXPONENTIAL, 100000, 2);
    lg_settings s = short_settings(LG_SERVER);
    s.server_target_qps = 3000;
    s.min_duration_ms = 300;
    s.min_query_count = 500;
    progress_seen ps = {0};
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.progress = on_progress;
    log.progress_ctx = &ps;
    log.progress_interval_ms = 50;
    lg_sut sut = sut_synthetic_sut(sy);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_results r;
    int rc = lg_run_test(&s, &sut, &qsl, &log, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_geq(ps.calls, 3, "%d progress calls in a 300 ms run at 50 ms", ps.calls);
    cr_assert_eq(ps.bad, 0, "%d inconsistent progress reports", ps.bad);
    cr_assert_str_eq(ps.phase, "performance");
    cr_assert_gt(ps.last_completed, 0);
    cr_assert_leq(ps.last_completed, r.samples_completed);
    int calls = ps.calls;
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
    cr_assert_eq(ps.calls, calls, "progress called after lg_run_test returned");
}

/* lg_settings_check is the way to validate settings before a run: whatever lg_run_test
 * refuses as LG_EINVAL, the check must refuse too, naming the key. */
Test(scenarios, settings_check_refuses_what_run_test_refuses_for_offline_query_size,
     .timeout = 10)
{
    qsl_synthetic *q = make_qsl(64, 16);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_settings s = short_settings(LG_OFFLINE);
    s.offline_expected_qps = 1e12;
    s.min_duration_ms = 10000; /* 1.1e13 samples in the one Offline query */
    lg_sut sut = sut_null();
    lg_results r;
    int run_rc = lg_run_test(&s, &sut, &qsl, NULL, &r);
    cr_assert_eq(run_rc, LG_EINVAL, "lg_run_test accepted a 1.1e13-sample query");
    char msg[256];
    int rc = lg_settings_check(&s, &qsl, msg, sizeof msg);
    cr_assert_eq(rc, LG_EINVAL, "lg_settings_check returned %d for settings that "
                 "lg_run_test refuses", rc);
    cr_assert_not_null(strstr(msg, "offline_expected_qps"), "message \"%s\"", msg);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * Warm-up
 * ------------------------------------------------------------------------------- */

/* A SUT that counts every sample it is handed and completes it inline. */
static _Atomic uint64_t g_warm_seen;

static void counting_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    atomic_fetch_add(&g_warm_seen, n);
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = s[i].id};
        lg_complete(&r, 1);
    }
}

Test(scenarios, warmup_issues_unmeasured_queries_before_the_timed_run, .timeout = 30)
{
    static const lg_scenario all[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER,
                                      LG_OFFLINE};
    for (size_t i = 0; i < 4; i++) {
        qsl_synthetic *q = make_qsl(256, 64);
        lg_settings s = short_settings(all[i]);
        s.server_target_qps = 20000;
        s.offline_expected_qps = 20000;
        s.warmup_duration_ms = 100;
        atomic_store(&g_warm_seen, 0);
        lg_sut sut = {.name = "counting", .issue = counting_issue};
        lg_results r;
        run_ok(&s, sut, q, &r);
        cr_expect_gt(r.warmup_queries, 0, "%s: no warm-up queries", lg_scenario_name(all[i]));
        /* The SUT saw the warm-up's samples and the measured ones; only the latter count. */
        cr_expect_gt(atomic_load(&g_warm_seen), r.samples_issued, "%s",
                     lg_scenario_name(all[i]));
        cr_expect_eq(r.samples_completed, r.samples_issued);
        cr_expect_eq(r.unknown_completions, 0);
        cr_expect_eq(r.duplicate_completions, 0);
        /* MultiStream needs 662 queries for early stopping and an inline Offline SUT is
         * faster than the minimum duration: validity is checked for the other two. */
        cr_expect(r.valid || all[i] == LG_MULTI_STREAM || all[i] == LG_OFFLINE, "%s invalid",
                  lg_scenario_name(all[i]));
        qsl_synthetic_destroy(q);
    }
}

Test(scenarios, no_warmup_by_default, .timeout = 30)
{
    qsl_synthetic *q = make_qsl(256, 64);
    lg_settings s = short_settings(LG_SERVER);
    s.server_target_qps = 20000;
    atomic_store(&g_warm_seen, 0);
    lg_sut sut = {.name = "counting", .issue = counting_issue};
    lg_results r;
    run_ok(&s, sut, q, &r);
    cr_expect_eq(r.warmup_queries, 0);
    cr_expect_eq(atomic_load(&g_warm_seen), r.samples_issued);
    qsl_synthetic_destroy(q);
}
