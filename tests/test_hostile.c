/* test_hostile.c: SUTs, QSLs and settings that attack the LoadGen through its C API, one
 * regression test for each failure found by attacking the core: stray
 * completer threads that kept a test from ending, aborts that waited out the sample
 * timeout, low rates that ignored max_duration_ms, settings whose arithmetic overflowed,
 * QSL failures reported VALID, memory that ran out silently, impossible response sizes,
 * completions of guessed ids, and aborts after the run had finished. Runs under TSan. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/internal.h"
#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "report/run.h"
#include "report/validate.h"
#include "tests/testutil.h"
#include "sut/sut.h"

/* Address and thread sanitizers reserve terabytes of address space: RLIMIT_AS tests
 * cannot run under them. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) == EINTR)
        ;
}

static lg_settings base(lg_scenario sc, lg_mode mode)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.mode = mode;
    s.min_duration_ms = 0;
    s.min_query_count = 100;
    s.server_target_qps = 20000;
    s.server_target_latency_ns = 1000000000;
    s.offline_expected_qps = 1000;
    return s;
}

static lg_qsl plain_qsl(uint64_t total, uint64_t psc)
{
    return (lg_qsl){.name = "plain", .total_sample_count = total,
                    .performance_sample_count = psc};
}

/* Completes every sample at once, inside issue. */
static void echo_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = s[i].id};
        lg_complete(&r, 1);
    }
}

/* Never answers. */
static void mute_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    (void)s;
    (void)n;
}

/* ---------------------------------------------------------------------------------
 * 1. Stray completers: threads that call lg_complete without pause, with an id that was
 *    never issued, must not keep a test from ending.
 * ------------------------------------------------------------------------------- */

static _Atomic int g_stop_strays;

static void *stray_main(void *arg)
{
    (void)arg;
    lg_response r = {.id = 12345};
    while (!atomic_load_explicit(&g_stop_strays, memory_order_relaxed))
        lg_complete(&r, 1);
    return NULL;
}

Test(hostile, sixteen_stray_completers_never_keep_a_test_from_ending, .timeout = 60)
{
    enum { N = 16 };
    pthread_t th[N];
    atomic_store(&g_stop_strays, 0);
    for (int i = 0; i < N; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, stray_main, NULL), 0);
    lg_settings s = base(LG_SINGLE_STREAM, LG_MODE_PERFORMANCE);
    /* 50 ms, not less: on a loaded machine a test of 5 ms can run while no stray has a
     * CPU, and then nothing is counted (seen once under ASan with other builds running);
     * 50 ms is two scheduler periods. */
    s.min_duration_ms = 50;
    s.min_query_count = 10;
    lg_sut sut = {.name = "echo", .issue = echo_issue};
    lg_qsl q = plain_qsl(64, 64);
    /* Five tests back to back while the strays keep calling: each pass ends twice
     * (warm-up aside), so this crosses the epoch many times. */
    for (int k = 0; k < 5; k++) {
        lg_results r;
        int64_t t0 = now_ns();
        int rc = lg_run_test(&s, &sut, &q, NULL, &r);
        double secs = (double)(now_ns() - t0) / 1e9;
        cr_expect_eq(rc, 0, "test %d: %s", k, lg_strerror(rc));
        cr_expect_gt(r.samples_completed, 0);
        cr_expect_eq(r.samples_completed, r.samples_issued);
        cr_expect_gt(r.unknown_completions, 0, "the strays were not counted");
        cr_expect(r.invalid_reasons & LG_INVALID_COMPLETION_ERRORS);
        /* A hang is what this guards against; 10 s is far above a 50 ms test. */
        cr_expect_lt(secs, 10.0, "test %d took %.1f s", k, secs);
    }
    atomic_store(&g_stop_strays, 1);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
}

/* ---------------------------------------------------------------------------------
 * 3. An abort ends the wait for lost samples after LG_ABORT_GRACE_MS, not after the
 *    sample timeout; Offline's default timeout follows its query's expected duration.
 * ------------------------------------------------------------------------------- */

static void *abort_after(void *arg)
{
    nap_ms((long)(intptr_t)arg);
    lg_abort();
    return NULL;
}

Test(hostile, an_abort_ends_the_wait_for_lost_offline_samples_within_the_grace,
     .timeout = 60)
{
    lg_settings s = base(LG_OFFLINE, LG_MODE_PERFORMANCE);
    s.min_duration_ms = 1000;
    lg_sut sut = {.name = "mute", .issue = mute_issue};
    lg_qsl q = plain_qsl(64, 64);
    cr_assert_geq(lg_settings_effective_timeout_ns(&s, &q), INT64_C(12000000000),
                  "the default timeout should outlast this test's abort by far");
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, abort_after, (void *)(intptr_t)300), 0);
    lg_results r;
    int64_t t0 = now_ns();
    int rc = lg_run_test(&s, &sut, &q, NULL, &r);
    double secs = (double)(now_ns() - t0) / 1e9;
    pthread_join(th, NULL);
    cr_expect_eq(rc, 0, "%s", lg_strerror(rc));
    cr_expect(r.aborted);
    cr_expect(r.invalid_reasons & LG_INVALID_ABORTED);
    cr_expect_eq(r.samples_timed_out, r.samples_issued);
    /* 0.3 s to the abort, then the 1 s grace: well under the 12 s timeout. */
    cr_expect_lt(secs, 0.3 + LG_ABORT_GRACE_MS / 1000.0 + 3.0, "took %.2f s", secs);
}

Test(hostile, offline_default_timeout_is_twice_the_query_duration_and_ten_seconds,
     .timeout = 10)
{
    lg_settings s = base(LG_OFFLINE, LG_MODE_PERFORMANCE);
    lg_qsl q = plain_qsl(1024, 256);
    s.min_duration_ms = 10000;
    s.offline_expected_qps = 1000; /* a query of 11,000 samples: 11 s expected */
    cr_expect_eq(lg_settings_effective_timeout_ns(&s, &q), INT64_C(32000000000));
    s.sample_timeout_ns = 5000000;
    cr_expect_eq(lg_settings_effective_timeout_ns(&s, &q), 5000000);
    s.sample_timeout_ns = INT64_MAX;
    cr_expect_eq(lg_settings_effective_timeout_ns(&s, &q), 0, "refused settings give 0");
    /* The other scenarios keep 100 times their bound, from 10 s to an hour. */
    lg_settings ss = base(LG_SINGLE_STREAM, LG_MODE_PERFORMANCE);
    cr_expect_eq(lg_settings_effective_timeout_ns(&ss, NULL), INT64_C(10000000000));
}

/* ---------------------------------------------------------------------------------
 * 4. Server at a very low rate: the sleep to the next query ends at max_duration_ms.
 * ------------------------------------------------------------------------------- */

Test(hostile, a_server_rate_too_low_for_the_run_ends_at_max_duration, .timeout = 30)
{
    lg_settings s = base(LG_SERVER, LG_MODE_PERFORMANCE);
    s.server_target_qps = 0.01; /* one query every 100 s on average */
    s.min_duration_ms = 100;
    s.max_duration_ms = 1000;
    s.min_query_count = 1;
    s.schedule_rng_seed = 7;
    lg_sut sut = {.name = "echo", .issue = echo_issue};
    lg_qsl q = plain_qsl(64, 64);
    lg_results r;
    int64_t t0 = now_ns();
    int rc = lg_run_test(&s, &sut, &q, NULL, &r);
    double secs = (double)(now_ns() - t0) / 1e9;
    cr_expect_eq(rc, 0, "%s", lg_strerror(rc));
    cr_expect(r.invalid_reasons & LG_INVALID_MAX_LIMIT);
    cr_expect_lt(secs, 3.0, "a 1 s max_duration_ms run took %.1f s", secs);
    cr_expect_geq(secs, 0.99, "ended before max_duration_ms: %.3f s", secs);
}

/* ---------------------------------------------------------------------------------
 * 5, 6. Settings whose arithmetic would overflow are refused, naming the setting.
 * ------------------------------------------------------------------------------- */

static void expect_refused(const lg_settings *s, const char *key)
{
    lg_qsl q = plain_qsl(64, 64);
    char msg[256];
    cr_expect_eq(lg_settings_check(s, &q, msg, sizeof msg), LG_EINVAL, "%s accepted", key);
    cr_expect_not_null(strstr(msg, key), "message '%s' does not name %s", msg, key);
    lg_sut sut = {.name = "echo", .issue = echo_issue};
    lg_results r;
    cr_expect_eq(lg_run_test(s, &sut, &q, NULL, &r), LG_EINVAL);
    cr_expect_not_null(strstr(lg_last_error(), key), "lg_last_error '%s' does not name %s",
                       lg_last_error(), key);
    cr_expect_eq(r.samples_issued, 0);
}

Test(hostile, settings_whose_arithmetic_overflows_are_refused, .timeout = 10)
{
    lg_settings s = base(LG_SERVER, LG_MODE_PERFORMANCE);
    s.server_target_qps = 1e-300;
    expect_refused(&s, "server_target_qps");
    s.server_target_qps = 1e-7;
    expect_refused(&s, "server_target_qps");
    s = base(LG_OFFLINE, LG_MODE_PERFORMANCE);
    s.offline_expected_qps = 1e13;
    expect_refused(&s, "offline_expected_qps");
    s = base(LG_OFFLINE, LG_MODE_PERFORMANCE);
    s.sample_timeout_ns = INT64_MAX;
    expect_refused(&s, "sample_timeout_ns");
    s = base(LG_SINGLE_STREAM, LG_MODE_PERFORMANCE);
    s.max_duration_ms = UINT64_MAX;
    expect_refused(&s, "max_duration_ms");
    s.max_duration_ms = UINT64_C(10000000000000);
    expect_refused(&s, "max_duration_ms");
    s = base(LG_SINGLE_STREAM, LG_MODE_PERFORMANCE);
    s.min_query_count = UINT64_MAX;
    expect_refused(&s, "min_query_count");
    s = base(LG_SERVER, LG_MODE_PERFORMANCE);
    s.server_target_latency_ns = INT64_MAX;
    expect_refused(&s, "server_target_latency_ns");
    /* The edge itself is accepted. */
    s = base(LG_SERVER, LG_MODE_PERFORMANCE);
    s.server_target_qps = LG_MIN_QPS;
    lg_qsl q = plain_qsl(64, 64);
    cr_expect_eq(lg_settings_check(&s, &q, NULL, 0), 0);
}

/* ---------------------------------------------------------------------------------
 * 7. A QSL whose load fails: INVALID with the reason, in the mode asked for.
 * ------------------------------------------------------------------------------- */

static int failing_load(void *ctx, const uint64_t *idx, size_t n)
{
    (void)ctx;
    (void)idx;
    (void)n;
    return 42;
}

Test(hostile, a_failing_qsl_load_is_invalid_with_its_reason_in_every_mode, .timeout = 30)
{
    static const lg_mode modes[] = {LG_MODE_PERFORMANCE, LG_MODE_ACCURACY,
                                    LG_MODE_SUBMISSION};
    static const lg_mode shown[] = {LG_MODE_PERFORMANCE, LG_MODE_ACCURACY,
                                    LG_MODE_ACCURACY};
    for (size_t i = 0; i < 3; i++) {
        lg_settings s = base(LG_SERVER, modes[i]);
        lg_sut sut = {.name = "echo", .issue = echo_issue};
        lg_qsl q = plain_qsl(64, 64);
        q.load = failing_load;
        lg_results r;
        int rc = lg_run_test(&s, &sut, &q, NULL, &r);
        cr_expect_eq(rc, LG_ESUT, "mode %d: %s", (int)modes[i], lg_strerror(rc));
        cr_expect_not(r.valid, "mode %d: a run whose QSL failed is VALID", (int)modes[i]);
        cr_expect(r.invalid_reasons & LG_INVALID_QSL_FAILURE, "mode %d", (int)modes[i]);
        cr_expect_eq(r.mode, shown[i], "mode %d reported as %d", (int)modes[i], (int)r.mode);
        cr_expect_eq(r.scenario, LG_SERVER);
        cr_expect_not_null(r.metric_name);
        cr_expect_eq(r.samples_issued, 0);
        cr_expect_not_null(strstr(lg_last_error(), "QSL"), "%s", lg_last_error());
    }
    /* The files say so too, in the mode asked for. */
    char dir[] = "/tmp/lg-hostile-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    lg_settings s = base(LG_SERVER, LG_MODE_PERFORMANCE);
    lg_sut sut = {.name = "echo", .issue = echo_issue};
    lg_qsl q = plain_qsl(64, 64);
    q.load = failing_load;
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = dir;
    lg_results r;
    cr_expect_eq(lg_run_test(&s, &sut, &q, &log, &r), LG_ESUT);
    char path[128];
    snprintf(path, sizeof path, "%s/results.json", dir);
    char *buf = tu_slurp(path, NULL);
    cr_expect_not_null(strstr(buf, "\"result_mode\": \"PerformanceOnly\""), "%.600s", buf);
    cr_expect_not_null(strstr(buf, "\"qsl_failure\""), "%.600s", buf);
    cr_expect_not_null(strstr(buf, "\"valid\": false"), "%.600s", buf);
    free(buf);
    snprintf(path, sizeof path, "%s/mlperf_log_summary.txt", dir);
    buf = tu_slurp(path, NULL);
    cr_expect_not_null(strstr(buf, "Result is : INVALID"), "%.600s", buf);
    cr_expect_not_null(strstr(buf, "the QSL failed to load samples"), "%.2000s", buf);
    free(buf);
    /* Read back, the folder is INVALID for that reason and validate says what to fix. */
    rpt_run *run;
    char err[256];
    cr_assert_eq(rpt_run_load(dir, &run, err, sizeof err), 0, "%s", err);
    cr_expect(rpt_run_get_info(run)->results.invalid_reasons & LG_INVALID_QSL_FAILURE);
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    cr_assert_geq(v.n_recommendations, 1);
    cr_expect_not_null(strstr(v.recommendations[0], "QSL failed"), "%s", v.recommendations[0]);
    rpt_run_destroy(run);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* ---------------------------------------------------------------------------------
 * 8, 9. Memory: refused up front when it cannot fit; when it runs out during the run,
 *    INVALID and LG_ENOMEM with the figures of what was recorded.
 * ------------------------------------------------------------------------------- */

Test(hostile, an_accuracy_set_that_cannot_fit_is_refused_up_front, .timeout = 10)
{
    lg_settings s = base(LG_SINGLE_STREAM, LG_MODE_ACCURACY);
    lg_qsl q = plain_qsl(UINT32_MAX, 1);
    uint64_t avail = lg__memory_available();
    if (avail == UINT64_MAX || avail > UINT64_C(400) << 30)
        return; /* 4.3e9 samples need ~400 GB: only a bigger machine could run them */
    char msg[512];
    cr_expect_eq(lg_settings_check(&s, &q, msg, sizeof msg), LG_EINVAL);
    cr_expect_not_null(strstr(msg, "accuracy_sample_count"), "%s", msg);
    cr_expect_not_null(strstr(msg, "GiB"), "%s", msg);
}

/* Sets RLIMIT_AS to what the process uses now plus extra bytes. */
static void limit_memory(uint64_t extra)
{
    FILE *f = fopen("/proc/self/statm", "r");
    cr_assert_not_null(f);
    unsigned long long pages = 0;
    cr_assert_eq(fscanf(f, "%llu", &pages), 1);
    fclose(f);
    uint64_t used = pages * (uint64_t)sysconf(_SC_PAGESIZE);
    struct rlimit rl = {used + extra, used + extra};
    cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0, "setrlimit: %s", strerror(errno));
}

Test(hostile, a_stream_run_that_outgrows_memory_ends_invalid_with_its_figures,
     .timeout = 120)
{
    if (UNDER_SANITIZER)
        return;
    char dir[] = "/tmp/lg-hostile-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    limit_memory(UINT64_C(256) << 20);
    lg_settings s = base(LG_SINGLE_STREAM, LG_MODE_PERFORMANCE);
    s.min_duration_ms = 600000; /* the null SUT would need ~100 GB of records */
    lg_sut sut = {.name = "echo", .issue = echo_issue};
    lg_qsl q = plain_qsl(64, 64);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = dir;
    lg_results r;
    int rc = lg_run_test(&s, &sut, &q, &log, &r);
    cr_expect_eq(rc, LG_ENOMEM, "%s", lg_strerror(rc));
    cr_expect_not(r.valid);
    cr_expect(r.invalid_reasons & LG_INVALID_OUT_OF_MEMORY);
    cr_expect_gt(r.samples_issued, 100000);
    cr_expect_eq(r.samples_completed, r.samples_issued);
    cr_expect_eq(r.latency.count, r.samples_issued, "the figures were not computed");
    cr_expect_gt(r.latency.p90_ns, 0);
    cr_expect_not_null(strstr(lg_last_error(), "memory"), "%s", lg_last_error());
    char path[128];
    snprintf(path, sizeof path, "%s/results.json", dir);
    char *json = tu_slurp(path, NULL);
    cr_expect_not_null(strstr(json, "\"out_of_memory\""), "results.json: %.400s", json);
    free(json);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* Answers every sample with a 1 MiB response, for an accuracy log that cannot fit. */
static unsigned char g_big[1 << 20];

static void big_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = s[i].id, .data = g_big, .size = sizeof g_big};
        lg_complete(&r, 1);
    }
}

Test(hostile, an_accuracy_log_that_outgrows_memory_is_never_silently_short,
     .timeout = 120)
{
    if (UNDER_SANITIZER)
        return;
    limit_memory(UINT64_C(200) << 20);
    lg_settings s = base(LG_OFFLINE, LG_MODE_ACCURACY);
    lg_sut sut = {.name = "big", .issue = big_issue};
    lg_qsl q = plain_qsl(1000, 100); /* 1000 responses of 1 MiB: 1 GB */
    lg_results r;
    int rc = lg_run_test(&s, &sut, &q, NULL, &r);
    cr_expect_eq(rc, LG_ENOMEM, "%s", lg_strerror(rc));
    cr_expect_not(r.valid);
    cr_expect(r.invalid_reasons & LG_INVALID_OUT_OF_MEMORY);
    cr_expect_gt(r.accuracy_samples_dropped, 0);
    cr_expect_eq(r.accuracy_samples_logged + r.accuracy_samples_dropped, r.samples_completed);
}

/* ---------------------------------------------------------------------------------
 * 17. The performance set's memory follows its size, not the dataset's.
 * ------------------------------------------------------------------------------- */

Test(hostile, the_sparse_performance_set_equals_the_dense_one, .timeout = 30)
{
    static const uint64_t cases[][3] = {{1000, 10, 1}, {1000, 1000, 2}, {5000, 600, 3},
                                        {100000, 256, 0x12345}, {1, 1, 4}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint64_t total = cases[c][0], psc = cases[c][1];
        uint64_t *a = malloc(psc * sizeof *a), *b = malloc(psc * sizeof *b);
        cr_assert(a && b);
        cr_assert_eq(lg__sample_set(total, psc, cases[c][2], false, a), 0);
        cr_assert_eq(lg__sample_set(total, psc, cases[c][2], true, b), 0);
        for (uint64_t i = 0; i < psc; i++)
            cr_expect_eq(a[i], b[i], "case %zu position %llu", c, (unsigned long long)i);
        free(a);
        free(b);
    }
}

Test(hostile, the_largest_dataset_with_a_small_set_runs_in_little_memory, .timeout = 60)
{
    lg_settings s = base(LG_OFFLINE, LG_MODE_PERFORMANCE);
    s.offline_expected_qps = 1000;
    s.min_duration_ms = 10;
    lg_sut sut = {.name = "echo", .issue = echo_issue};
    lg_qsl q = plain_qsl(UINT32_MAX, 1);
    lg_results r;
    cr_expect_eq(lg_run_test(&s, &sut, &q, NULL, &r), 0, "%s", lg_last_error());
    cr_expect_eq(r.performance_sample_count, 1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* The dense shuffle took 16 GiB here; the sparse one takes bytes. */
    cr_expect_lt(ru.ru_maxrss, 1L << 20, "peak RSS %ld KiB", ru.ru_maxrss);
}

/* ---------------------------------------------------------------------------------
 * 18, 19. A SUT that reports an impossible size, and one that completes ids it guessed
 *    while they are being prepared.
 * ------------------------------------------------------------------------------- */

static void hugesize_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    static const char one = 1;
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = s[i].id, .data = &one, .size = SIZE_MAX - 8};
        lg_complete(&r, 1);
    }
}

Test(hostile, a_response_of_impossible_size_is_counted_never_copied, .timeout = 30)
{
    lg_settings s = base(LG_SINGLE_STREAM, LG_MODE_ACCURACY);
    lg_sut sut = {.name = "hugesize", .issue = hugesize_issue};
    lg_qsl q = plain_qsl(50, 50);
    lg_results r;
    int rc = lg_run_test(&s, &sut, &q, NULL, &r);
    cr_expect_eq(rc, 0, "%s", lg_strerror(rc));
    cr_expect_eq(r.bad_responses, 50);
    cr_expect_eq(r.accuracy_samples_logged, 0);
    cr_expect_not(r.valid);
    cr_expect(r.invalid_reasons & LG_INVALID_COMPLETION_ERRORS);
}

/* The guessing SUT: issue() notes the last id; guessers complete the ids just past it,
 * which the issue thread is preparing at that very moment. */
static _Atomic uint64_t g_last_id;
static _Atomic int g_guess_stop;

static void guessed_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    atomic_store(&g_last_id, s[n - 1].id);
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = s[i].id, .data = &s[i].index, .size = sizeof s[i].index};
        lg_complete(&r, 1);
    }
}

static void *guesser_main(void *arg)
{
    uint64_t k = (uint64_t)(uintptr_t)arg;
    static const uint64_t data = 7;
    while (!atomic_load(&g_guess_stop)) {
        uint64_t id = atomic_load(&g_last_id);
        if (!id)
            continue;
        lg_response r = {.id = id + 1 + k % 4, .data = &data, .size = sizeof data};
        lg_complete(&r, 1);
    }
    return NULL;
}

Test(hostile, completions_of_guessed_ids_are_counted_without_a_race, .timeout = 60)
{
    enum { N = 4 };
    pthread_t th[N];
    atomic_store(&g_last_id, 0);
    atomic_store(&g_guess_stop, 0);
    for (int i = 0; i < N; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, guesser_main, (void *)(uintptr_t)i), 0);
    lg_settings s = base(LG_SINGLE_STREAM, LG_MODE_PERFORMANCE);
    s.min_query_count = 20000;
    s.accuracy_log_probability = 1.0;
    lg_sut sut = {.name = "guessed", .issue = guessed_issue};
    lg_qsl q = plain_qsl(64, 64);
    lg_results r;
    int rc = lg_run_test(&s, &sut, &q, NULL, &r);
    atomic_store(&g_guess_stop, 1);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    cr_expect_eq(rc, 0, "%s", lg_strerror(rc));
    cr_expect_eq(r.samples_completed, r.samples_issued);
    /* Each sample completed once: by the SUT or by a guesser that got there first; the
     * other is a duplicate or an unknown id, never a lost count. */
    cr_expect_eq(r.accuracy_samples_logged, r.samples_completed);
}

/* ---------------------------------------------------------------------------------
 * 20. An abort after issuing ended, with every sample settled, changes nothing that was
 *     measured: the run is judged on its data. An abort during issuing still aborts.
 * ------------------------------------------------------------------------------- */

static void abort_in_flush(void *ctx)
{
    (void)ctx;
    lg_abort();
}

Test(hostile, an_abort_after_a_finished_run_leaves_it_judged_on_its_data, .timeout = 30)
{
    lg_settings s = base(LG_OFFLINE, LG_MODE_PERFORMANCE);
    lg_sut sut = {.name = "echo", .issue = echo_issue, .flush = abort_in_flush};
    lg_qsl q = plain_qsl(64, 64);
    lg_results r;
    cr_expect_eq(lg_run_test(&s, &sut, &q, NULL, &r), 0);
    cr_expect_not(r.aborted, "a complete run was marked aborted");
    cr_expect_eq(r.samples_completed, r.samples_issued);
    cr_expect(r.valid, "reasons 0x%x", r.invalid_reasons);
}

static void abort_in_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    (void)s;
    (void)n;
    lg_abort(); /* the samples are never answered */
}

Test(hostile, an_abort_during_issuing_still_aborts, .timeout = 30)
{
    lg_settings s = base(LG_SERVER, LG_MODE_PERFORMANCE);
    lg_sut sut = {.name = "abort", .issue = abort_in_issue};
    lg_qsl q = plain_qsl(64, 64);
    lg_results r;
    int64_t t0 = now_ns();
    cr_expect_eq(lg_run_test(&s, &sut, &q, NULL, &r), 0);
    double secs = (double)(now_ns() - t0) / 1e9;
    cr_expect(r.aborted);
    cr_expect(r.invalid_reasons & LG_INVALID_ABORTED);
    cr_expect_lt(secs, LG_ABORT_GRACE_MS / 1000.0 + 3.0, "took %.2f s", secs);
}

/* Completes a query's samples 300 ms after issue, on a thread of its own. */
static lg_sample g_late[256];
static size_t g_nlate;
static pthread_t g_late_thread;

static void *late_main(void *arg)
{
    (void)arg;
    nap_ms(300);
    for (size_t i = 0; i < g_nlate; i++) {
        lg_response r = {.id = g_late[i].id};
        lg_complete(&r, 1);
    }
    return NULL;
}

static void late_issue_and_abort(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    cr_assert_leq(n, 256);
    g_nlate = n;
    memcpy(g_late, s, g_nlate * sizeof *s);
    cr_assert_eq(pthread_create(&g_late_thread, NULL, late_main, NULL), 0);
    lg_abort();
}

Test(hostile, samples_answered_within_the_grace_after_an_abort_complete_in_every_test,
     .timeout = 60)
{
    lg_settings s = base(LG_OFFLINE, LG_MODE_PERFORMANCE);
    s.min_query_count = 1; /* min_duration 0: a query of one sample */
    s.min_duration_ms = 1000;
    s.offline_expected_qps = 100; /* a query of 110 samples */
    lg_sut sut = {.name = "late", .issue = late_issue_and_abort};
    lg_qsl q = plain_qsl(64, 64);
    /* The grace counts from each test's own abort, never from an earlier test's. */
    for (int k = 0; k < 3; k++) {
        lg_results r;
        cr_expect_eq(lg_run_test(&s, &sut, &q, NULL, &r), 0);
        pthread_join(g_late_thread, NULL);
        cr_expect_eq(r.samples_timed_out, 0, "test %d: %llu of %llu timed out, %llu unknown", k, (unsigned long long)r.samples_timed_out, (unsigned long long)r.samples_issued, (unsigned long long)r.unknown_completions);
        cr_expect_eq(r.samples_completed, r.samples_issued, "test %d", k);
        /* The whole query was issued and answered: the abort changed nothing. */
        cr_expect_not(r.aborted, "test %d", k);
        nap_ms(1200); /* past the previous abort's grace */
    }
}

/* ---------------------------------------------------------------------------------
 * The ABI's room to grow: reserved fields must be zero, so that a program built
 * against a newer header fails loudly with an older library; every code a public
 * function returns has a text; the LoadGen's clock is public.
 * ------------------------------------------------------------------------------- */

Test(hostile, settings_with_a_non_zero_reserved_field_are_refused, .timeout = 10)
{
    lg_settings s = base(LG_SERVER, LG_MODE_PERFORMANCE);
    s.reserved[sizeof s.reserved / sizeof s.reserved[0] - 1] = 1;
    expect_refused(&s, "reserved");
}

Test(hostile, every_error_code_of_the_public_api_has_a_text, .timeout = 10)
{
    static const int codes[] = {LG_EINVAL, LG_ENOMEM, LG_EBUSY, LG_EIO, LG_ESUT,
                                -EINVAL, -ENOMEM, -EDOM, -ERANGE};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        cr_expect(strcmp(lg_strerror(codes[i]), "unknown error") != 0, "code %d", codes[i]);
    cr_expect_str_eq(lg_strerror(0), "success");
}

Test(hostile, lg_now_ns_is_the_monotonic_clock, .timeout = 10)
{
    int64_t a = now_ns(), b = lg_now_ns(), c = now_ns();
    cr_expect(a <= b && b <= c, "%lld %lld %lld", (long long)a, (long long)b, (long long)c);
}
