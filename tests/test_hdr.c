/* test_hdr.c: record_hdr, the bounded-memory recording (docs/hdr.md): the log-linear
 * histogram's buckets and its relative-error bound, its exact merge across real threads,
 * its percentiles against exact ones on the same data, real SingleStream and Server runs
 * recorded so (INVALID with hdr_recording, figures within the error), memory that does
 * not grow with the run's length, and the errors of its settings. Runs under TSan. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen/config.h"
#include "loadgen/hdr.h"
#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "stats/stats.h"
#include "sut/sut.h"
#include "tests/testutil.h"

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A value spread over every magnitude from 1 to 2^62: a random bit length, then random
 * bits below it. */
static int64_t any_magnitude(uint64_t *seed)
{
    unsigned len = 1 + (unsigned)(splitmix(seed) % 62);
    uint64_t v = splitmix(seed) & ((UINT64_C(1) << len) - 1);
    return (int64_t)(v | (UINT64_C(1) << (len - 1)));
}

/* The value a histogram of `bits` reports for v alone (its bucket's value). */
static int64_t reported(unsigned bits, int64_t v)
{
    size_t i = lg__hdr_index(bits, (uint64_t)v);
    return lg__hdr_bucket_low(bits, i) + lg__hdr_bucket_width(bits, i) / 2;
}

/* ---------------------------------------------------------------------------------
 * The histogram
 * ------------------------------------------------------------------------------- */

Test(hdr, digits_give_the_stated_bits_error_and_size, .timeout = 10)
{
    static const unsigned bits[] = {0, 4, 7, 10, 14, 17};
    for (unsigned d = 1; d <= 5; d++) {
        cr_expect_eq(lg__hdr_bits(d), bits[d], "digits %u", d);
        cr_expect_eq(lg__hdr_relative_error(d), ldexp(1.0, -(int)bits[d] - 1));
        cr_expect_eq(lg__hdr_bytes(d), ((size_t)(64 - bits[d]) << bits[d]) * 8);
        /* 2^p is the least power of two that holds 10^digits values. */
        cr_expect_geq(pow(2, bits[d]), pow(10, d));
        cr_expect_lt(pow(2, bits[d] - 1), pow(10, d));
    }
    cr_expect_eq(lg__hdr_relative_error(2), 0.00390625, "2 digits: 1/256");
    cr_expect_eq(lg__hdr_bits(0), 0);
    cr_expect_eq(lg__hdr_bits(6), 0);
    lg__hdr h;
    cr_expect_eq(lg__hdr_init(&h, 0), LG_EINVAL);
    cr_expect_eq(lg__hdr_init(&h, 6), LG_EINVAL);
}

Test(hdr, buckets_tile_the_whole_range_without_gaps, .timeout = 30)
{
    for (unsigned d = 1; d <= 3; d++) {
        unsigned p = lg__hdr_bits(d);
        size_t n = (size_t)(64 - p) << p;
        int64_t next = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t low = lg__hdr_bucket_low(p, i), w = lg__hdr_bucket_width(p, i);
            cr_assert_eq(low, next, "digits %u bucket %zu starts at %lld, not %lld", d, i,
                         (long long)low, (long long)next);
            cr_assert_eq(lg__hdr_index(p, (uint64_t)low), i);
            cr_assert_eq(lg__hdr_index(p, (uint64_t)(low + (w - 1))), i);
            /* Exact below 2^(p+1); then each bucket at most 2^-p of its lowest value. */
            if (low < (INT64_C(2) << p))
                cr_assert_eq(w, 1);
            else
                cr_assert_leq((double)w, ldexp((double)low, -(int)p));
            if (i + 1 < n)
                next = low + w;
            else
                cr_assert_eq(low + (w - 1), INT64_MAX, "the last bucket ends at 2^63 - 1");
        }
        cr_expect_eq(lg__hdr_index(p, 0), 0);
        cr_expect_eq(lg__hdr_index(p, (uint64_t)INT64_MAX), n - 1);
    }
}

Test(hdr, every_value_is_reported_within_the_bound_which_is_reached, .timeout = 30)
{
    uint64_t seed = 42;
    for (unsigned d = 1; d <= 5; d++) {
        unsigned p = lg__hdr_bits(d);
        double bound = lg__hdr_relative_error(d), worst = 0;
        for (int k = 0; k < 400000; k++) {
            int64_t v = any_magnitude(&seed);
            double err = fabs((double)(reported(p, v) - v)) / (double)v;
            if (err > worst)
                worst = err;
            cr_assert_leq(err, bound, "digits %u, %lld reported as %lld", d, (long long)v,
                          (long long)reported(p, v));
        }
        /* The bound is tight: the lowest value of the first bucket of width 2 is off by
         * exactly 2^-(p+1). */
        int64_t v = INT64_C(2) << p;
        cr_expect_eq((double)(reported(p, v) - v) / (double)v, bound, "digits %u", d);
        cr_expect_gt(worst, bound / 2, "random values come near the bound");
        for (int64_t x = 0; x < (INT64_C(2) << p); x += 7)
            cr_assert_eq(reported(p, x), x, "exact below 2^(p+1)");
    }
}

/* Four threads record disjoint shares of one stream into their own histograms at
 * once; merged, they equal one histogram fed the whole stream, bucket by bucket. */
#define MERGE_THREADS 4
#define MERGE_VALUES 250000

typedef struct merge_arg {
    lg__hdr h;
    uint64_t seed;
} merge_arg;

static void *merge_worker(void *arg)
{
    merge_arg *a = arg;
    for (int i = 0; i < MERGE_VALUES; i++)
        lg__hdr_record(&a->h, any_magnitude(&a->seed) >> (splitmix(&a->seed) % 40));
    return NULL;
}

Test(hdr, merge_of_threads_is_exact, .timeout = 60)
{
    merge_arg a[MERGE_THREADS];
    pthread_t th[MERGE_THREADS];
    lg__hdr all, merged;
    cr_assert_eq(lg__hdr_init(&all, 2), 0);
    cr_assert_eq(lg__hdr_init(&merged, 2), 0);
    for (int t = 0; t < MERGE_THREADS; t++) {
        cr_assert_eq(lg__hdr_init(&a[t].h, 2), 0);
        a[t].seed = 1000 + (uint64_t)t;
        /* The reference: the same stream, recorded here. */
        uint64_t s = a[t].seed;
        for (int i = 0; i < MERGE_VALUES; i++)
            lg__hdr_record(&all, any_magnitude(&s) >> (splitmix(&s) % 40));
    }
    for (int t = 0; t < MERGE_THREADS; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, merge_worker, &a[t]), 0);
    for (int t = 0; t < MERGE_THREADS; t++) {
        pthread_join(th[t], NULL);
        cr_assert_eq(lg__hdr_merge(&merged, &a[t].h), 0);
    }
    cr_expect_eq(merged.total, (uint64_t)MERGE_THREADS * MERGE_VALUES);
    cr_expect_eq(merged.total, all.total);
    cr_expect_eq(merged.min, all.min);
    cr_expect_eq(merged.max, all.max);
    cr_expect_eq(merged.sum_lo, all.sum_lo);
    cr_expect_eq(merged.sum_hi, all.sum_hi);
    cr_expect_eq(memcmp(merged.counts, all.counts, all.nbuckets * sizeof *all.counts), 0,
                 "counts add exactly");
    cr_expect_eq(lg__hdr_percentile(&merged, 0.99), lg__hdr_percentile(&all, 0.99));
    lg__hdr other;
    cr_assert_eq(lg__hdr_init(&other, 3), 0);
    cr_expect_eq(lg__hdr_merge(&merged, &other), LG_EINVAL, "different digits refused");
    lg__hdr_fini(&other);
    for (int t = 0; t < MERGE_THREADS; t++)
        lg__hdr_fini(&a[t].h);
    lg__hdr_fini(&all);
    lg__hdr_fini(&merged);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

Test(hdr, percentiles_match_exact_ones_within_the_error, .timeout = 60)
{
    /* Latency-like data: a log-normal body around 2 ms with a heavy tail. */
    enum { N = 300000 };
    int64_t *v = malloc(N * sizeof *v);
    cr_assert_not_null(v);
    uint64_t seed = 7;
    for (unsigned d = 1; d <= 4; d++) {
        lg__hdr h;
        cr_assert_eq(lg__hdr_init(&h, d), 0);
        for (int i = 0; i < N; i++) {
            double u1 = ((double)(splitmix(&seed) >> 11) + 0.5) / 9007199254740992.0;
            double u2 = ((double)(splitmix(&seed) >> 11) + 0.5) / 9007199254740992.0;
            double z = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
            v[i] = (int64_t)(2e6 * exp(0.8 * z)) + (i % 1000 == 0 ? INT64_C(500000000) : 0);
            lg__hdr_record(&h, v[i]);
        }
        qsort(v, N, sizeof *v, cmp_i64);
        double bound = lg__hdr_relative_error(d);
        static const double ps[] = {0.01, 0.5, 0.9, 0.95, 0.97, 0.99, 0.999, 0.9999};
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
            int64_t exact = stats_percentile_mlperf(v, N, ps[k]);
            int64_t got = lg__hdr_percentile(&h, ps[k]);
            cr_expect_leq(fabs((double)(got - exact)), bound * (double)exact,
                          "digits %u p%g: %lld against %lld", d, ps[k] * 100,
                          (long long)got, (long long)exact);
        }
        lg_latency_stats st;
        lg__hdr_stats(&h, 0.9, &st);
        cr_expect_eq(st.count, (uint64_t)N);
        cr_expect_eq(st.min_ns, v[0], "min exact");
        cr_expect_eq(st.max_ns, v[N - 1], "max exact");
        int64_t sum = 0;
        for (int i = 0; i < N; i++)
            sum += v[i];
        cr_expect_eq(st.mean_ns, sum / N, "mean exact (integer sum / count)");
        lg__hdr_fini(&h);
    }
    free(v);
}

/* ---------------------------------------------------------------------------------
 * Real runs
 * ------------------------------------------------------------------------------- */

static qsl_synthetic *make_qsl(void)
{
    qsl_synthetic *q = NULL;
    cr_assert_eq(qsl_synthetic_create("hdr-qsl", 1024, 256, 8, 1, &q), 0);
    return q;
}

/* A SingleStream SUT that answers each sample after 200-1500 us on a thread of its own,
 * and keeps the latency it saw itself (its lg_complete call minus the issue call): the
 * exact figures the run's histogram is checked against. */
enum { SS_MAX = 20000 };
typedef struct ss_sut {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool have, stop;
    lg_sample s;
    int64_t issued_ns;
    uint64_t seed;
    int64_t lat[SS_MAX];
    size_t n;
    pthread_t th;
} ss_sut;

static void ss_issue(void *ctx, const lg_sample *s, size_t n)
{
    ss_sut *u = ctx;
    cr_assert_eq(n, 1);
    pthread_mutex_lock(&u->mu);
    u->issued_ns = lg_now_ns();
    u->s = s[0];
    u->have = true;
    pthread_cond_signal(&u->cv);
    pthread_mutex_unlock(&u->mu);
}

static void *ss_main(void *arg)
{
    ss_sut *u = arg;
    pthread_mutex_lock(&u->mu);
    for (;;) {
        while (!u->have && !u->stop)
            pthread_cond_wait(&u->cv, &u->mu);
        if (u->stop)
            break;
        u->have = false;
        lg_sample s = u->s;
        int64_t issued = u->issued_ns;
        long us = 200 + (long)(splitmix(&u->seed) % 1300);
        pthread_mutex_unlock(&u->mu);
        struct timespec ts = {0, us * 1000};
        nanosleep(&ts, NULL);
        lg_response r = {.id = s.id};
        int64_t done = lg_now_ns();
        if (u->n < SS_MAX)
            u->lat[u->n++] = done - issued;
        lg_complete(&r, 1);
        pthread_mutex_lock(&u->mu);
    }
    pthread_mutex_unlock(&u->mu);
    return NULL;
}

static lg_log_settings log_to(const char *dir)
{
    lg_log_settings l;
    lg_log_settings_default(&l);
    l.outdir = dir;
    l.overwrite = true;
    return l;
}

Test(hdr, singlestream_run_is_invalid_and_within_the_error_of_the_sut_own_figures,
     TU_TMP, .timeout = 120)
{
    ss_sut *u = calloc(1, sizeof *u);
    cr_assert_not_null(u);
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, NULL);
    u->seed = 99;
    cr_assert_eq(pthread_create(&u->th, NULL, ss_main, u), 0);
    qsl_synthetic *q = make_qsl();
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = {.name = "ss-hdr", .ctx = u, .issue = ss_issue};
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SINGLE_STREAM;
    s.min_duration_ms = 1000;
    s.min_query_count = 800;
    s.max_query_count = SS_MAX;
    s.record_hdr = true;
    lg_log_settings log = log_to(tu_in_tmp("ss"));
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &r), 0, "%s", lg_last_error());
    pthread_mutex_lock(&u->mu);
    u->stop = true;
    pthread_cond_signal(&u->cv);
    pthread_mutex_unlock(&u->mu);
    pthread_join(u->th, NULL);

    cr_expect(r.record_hdr);
    cr_expect_eq(r.record_relative_error, 0.00390625);
    cr_expect_not(r.valid);
    cr_expect(r.invalid_reasons & LG_INVALID_HDR_RECORDING);
    cr_expect_eq(r.invalid_reasons & ~(unsigned)LG_INVALID_HDR_RECORDING, 0, "0x%x",
                 r.invalid_reasons);
    cr_assert_eq(r.latency.count, u->n);
    cr_assert_geq(u->n, 800);
    qsort(u->lat, u->n, sizeof u->lat[0], cmp_i64);
    /* The LoadGen's interval holds the SUT's (scheduled <= the SUT's issue read, its
     * completion read <= lg_complete's), so each of its order statistics is at least
     * the SUT's less the histogram's error; above, it adds the few us between the clock
     * reads, more when a thread is preempted between them on a busy machine: the
     * slack beside the error (wider at p99, whose few samples a preemption moves). */
    static const double ps[] = {0.5, 0.9, 0.99};
    static const double slack_ns[] = {100000, 100000, 500000};
    const int64_t got[] = {r.latency.p50_ns, r.latency.p90_ns, r.latency.p99_ns};
    for (size_t k = 0; k < 3; k++) {
        int64_t exact = stats_percentile_mlperf(u->lat, u->n, ps[k]);
        cr_expect_leq(fabs((double)(got[k] - exact)), 0.00390625 * (double)exact + slack_ns[k],
                      "p%g: %lld against the SUT's %lld", ps[k] * 100, (long long)got[k],
                      (long long)exact);
        cr_expect_geq(got[k], (int64_t)((double)exact * (1 - 0.00390625)) - 1000,
                      "the LoadGen's latency is never much below the SUT's own");
    }
    cr_expect(r.early_stopping.met);
    cr_expect_gt(r.metric, 0);
    cr_expect_eq(r.metric, (double)r.early_stopping.estimate_ns);
    /* No samples.bin; results.json and the summary say how the run was recorded. */
    cr_expect_not(tu_exists(tu_in_tmp("ss/samples.bin")));
    json_t *j = tu_results_json("ss");
    cr_expect_str_eq(json_string_value(json_object_get(j, "recording")), "hdr");
    cr_expect_eq(json_real_value(json_object_get(j, "recording_relative_error")), 0.00390625);
    cr_expect(json_is_false(json_object_get(j, "samples_file")));
    json_decref(j);
    char *sum = tu_slurp(tu_in_tmp("ss/mlperf_log_summary.txt"), NULL);
    cr_expect_not_null(strstr(sum, "Recording : HDR histograms"), "%s", sum);
    free(sum);
    char *det = tu_slurp(tu_in_tmp("ss/mlperf_log_detail.txt"), NULL);
    cr_expect_not_null(strstr(det, "\"key\": \"result_recording\", \"value\": \"hdr\""));
    free(det);
    qsl_synthetic_destroy(q);
    pthread_cond_destroy(&u->cv);
    pthread_mutex_destroy(&u->mu);
    free(u);
}

static lg_settings server_settings(double qps, uint64_t ms, bool hdr)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = qps;
    s.min_duration_ms = ms;
    s.min_query_count = 100;
    s.schedule_rng_seed = 1234;
    s.sample_index_rng_seed = 5678;
    s.record_hdr = hdr;
    return s;
}

Test(hdr, server_run_matches_an_exact_run_of_the_same_seed, TU_TMP, .timeout = 120)
{
    qsl_synthetic *q = make_qsl();
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_null();
    lg_results ex, hd;
    lg_settings s = server_settings(20000, 1000, false);
    lg_log_settings log = log_to(tu_in_tmp("exact"));
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &ex), 0, "%s", lg_last_error());
    s = server_settings(20000, 1000, true);
    log = log_to(tu_in_tmp("hdr"));
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &hd), 0, "%s", lg_last_error());
    /* The same seed, the same schedule: the counts and the scheduled times agree
     * exactly; only the recording differs. */
    cr_expect_eq(hd.queries_issued, ex.queries_issued);
    cr_expect_eq(hd.samples_issued, ex.samples_issued);
    cr_expect_eq(hd.samples_completed, ex.samples_completed);
    cr_expect_eq(hd.latency.count, ex.latency.count);
    cr_expect_eq(hd.issue_lag.count, ex.issue_lag.count);
    cr_expect_eq(hd.final_scheduled_ns, ex.final_scheduled_ns);
    cr_expect_eq(hd.scheduled_samples_per_sec, ex.scheduled_samples_per_sec);
    cr_expect_eq(hd.early_stopping.queries, ex.early_stopping.queries);
    cr_expect(hd.record_hdr);
    cr_expect_not(ex.record_hdr);
    cr_expect_eq(ex.record_relative_error, 0.0);
    cr_expect_not(hd.valid);
    /* The same reasons but hdr_recording, apart from those a stall of a busy machine
     * decides in one run and not the other (the latency bound, early stopping). */
    unsigned timing = LG_INVALID_PERF_CONSTRAINT | LG_INVALID_EARLY_STOPPING;
    cr_expect(hd.invalid_reasons & LG_INVALID_HDR_RECORDING);
    cr_expect_eq(hd.invalid_reasons & ~timing,
                 (ex.invalid_reasons & ~timing) | LG_INVALID_HDR_RECORDING,
                 "0x%x against 0x%x", hd.invalid_reasons, ex.invalid_reasons);
    /* Both runs measure the same null SUT: their throughputs agree to timing noise (a
     * stall at the end of a 1 s run moves the last completion). */
    cr_expect_lt(fabs(hd.completed_samples_per_sec / ex.completed_samples_per_sec - 1), 0.2,
                 "%g against %g", hd.completed_samples_per_sec, ex.completed_samples_per_sec);
    cr_expect(tu_exists(tu_in_tmp("exact/samples.bin")));
    cr_expect_not(tu_exists(tu_in_tmp("hdr/samples.bin")));
    json_t *j = tu_results_json("exact");
    cr_expect_str_eq(json_string_value(json_object_get(j, "recording")), "exact");
    json_decref(j);
    j = tu_results_json("hdr");
    json_t *reasons = json_object_get(j, "invalid_reasons");
    bool named = false;
    for (size_t i = 0; i < json_array_size(reasons); i++)
        named |= !strcmp(json_string_value(json_object_get(json_array_get(reasons, i), "code")),
                         "hdr_recording");
    cr_expect(named, "results.json names hdr_recording");
    json_decref(j);
    /* The folder reads back: record_hdr and its error, and validate says why the
     * per-sample checks are skipped. */
    tu_proc p;
    RUN(&p, "validate", "hdr");
    cr_expect_not_null(strstr(p.out, "recorded with record_hdr"), "%s%s", p.out, p.err);
    cr_expect_not_null(strstr(p.out, "Rerun without --record-hdr"), "%s", p.out);
    tu_proc_free(&p);
    qsl_synthetic_destroy(q);
}

/* The recording's memory (results.json's recording_peak_bytes: the record chunks alive
 * at once and the threads' histograms) for a Server run of n samples. */
static uint64_t peak_bytes(const char *dir, uint64_t samples, bool hdr)
{
    qsl_synthetic *q = make_qsl();
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_null();
    /* min_query_count sets the length; the rate keeps it short. */
    lg_settings s = server_settings(1e6, 10, hdr);
    s.min_query_count = samples;
    lg_log_settings log = log_to(tu_in_tmp(dir));
    log.write_samples = false;
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &r), 0, "%s", lg_last_error());
    cr_assert_geq(r.samples_issued, samples);
    cr_assert_eq(r.latency.count, r.samples_issued);
    json_t *j = tu_results_json(dir);
    uint64_t b = (uint64_t)json_integer_value(json_object_get(j, "recording_peak_bytes"));
    json_decref(j);
    qsl_synthetic_destroy(q);
    return b;
}

Test(hdr, memory_does_not_grow_with_the_run_length, TU_TMP, .timeout = 300)
{
    uint64_t short_run = peak_bytes("short", 300000, true);
    uint64_t long_run = peak_bytes("long", 3000000, true);
    uint64_t exact = peak_bytes("exact", 3000000, false);
    uint64_t chunk = (UINT64_C(1) << 16) * 32;
    cr_expect_gt(short_run, 0);
    /* Ten times the samples: the same few chunks. The chunks alive at once follow the
     * rate times the grace period and any stall of the retirer on a busy machine, never
     * the length: a few chunks of slack for such a stall. */
    cr_expect_leq(long_run, short_run + 4 * chunk, "%llu bytes for 3M samples against %llu "
                  "for 300k", (unsigned long long)long_run, (unsigned long long)short_run);
    cr_expect_leq(long_run, 12 * chunk, "%llu bytes", (unsigned long long)long_run);
    /* The exact recording keeps 32 bytes a sample: 46 chunks. */
    cr_expect_geq(exact, UINT64_C(3000000) * 32);
    cr_expect_lt(long_run * 3, exact);
}

/* ---------------------------------------------------------------------------------
 * Settings
 * ------------------------------------------------------------------------------- */

Test(hdr, setting_errors_name_the_key_flag_and_setting, TU_TMP, .timeout = 60)
{
    lg_settings s;
    lg_settings_default(&s);
    cr_expect_not(s.record_hdr, "off by default");
    cr_expect_eq(s.hdr_significant_digits, 2);
    char err[512];
    cr_expect_eq(lg_settings_set(&s, "hdr_significant_digits", "6", err, sizeof err),
                 LG_EINVAL);
    cr_expect_not_null(strstr(err, "hdr_significant_digits"), "%s", err);
    cr_expect_gt(lg_settings_flag_set(&s, "hdr-digits", "3", err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.hdr_significant_digits, 3);
    cr_expect_eq(lg_settings_flag_set(&s, "hdr-digits", "0", err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "--hdr-digits"), "%s", err);

    lg_config *c = NULL;
    cr_assert_eq(lg_config_create(&c), 0);
    const char *text = "*.*.record_hdr = 1\n*.*.hdr_significant_digits = 9\n";
    int rc = lg_config_load_string(c, "user.conf", text, strlen(text), LG_CONF_USER, err,
                                   sizeof err);
    if (rc == 0) {
        lg_settings_default(&s);
        rc = lg_config_apply(c, "m", LG_SERVER, &s, NULL, err, sizeof err);
    }
    cr_expect_eq(rc, LG_EINVAL);
    cr_expect_not_null(strstr(err, "user.conf"), "%s", err);
    cr_expect_not_null(strstr(err, ":2"), "the line: %s", err);
    cr_expect_not_null(strstr(err, "hdr_significant_digits"), "%s", err);
    lg_config_destroy(c);

    lg_settings_default(&s);
    s.record_hdr = true;
    s.scenario = LG_MULTI_STREAM;
    cr_expect_eq(lg_settings_check(&s, NULL, err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "record_hdr"), "%s", err);
    cr_expect_not_null(strstr(err, "MultiStream"), "%s", err);
    s.scenario = LG_SERVER;
    s.use_token_latencies = true;
    cr_expect_eq(lg_settings_check(&s, NULL, err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "record_hdr"), "%s", err);
    s.use_token_latencies = false;
    s.slo_e2e_ns = 1000000;
    cr_expect_eq(lg_settings_check(&s, NULL, err, sizeof err), LG_EINVAL);
    s.slo_e2e_ns = 0;
    cr_expect_eq(lg_settings_check(&s, NULL, err, sizeof err), 0, "%s", err);
    s.mode = LG_MODE_FIND_PEAK;
    cr_expect_eq(lg_settings_check(&s, NULL, err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "record_hdr"), "%s", err);
    s.mode = LG_MODE_PERFORMANCE;

    tu_proc p;
    RUN(&p, "run", "--scenario", "MultiStream", "--sut", "null", "--record-hdr",
        "--min-duration-ms", "10", "--out", "ms");
    cr_expect_neq(p.code, 0);
    cr_expect_not_null(strstr(p.err, "record_hdr"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "run", "--scenario", "Server", "--sut", "null", "--hdr-digits", "7",
        "--min-duration-ms", "10", "--out", "sv");
    cr_expect_neq(p.code, 0);
    cr_expect_not_null(strstr(p.err, "--hdr-digits"), "%s", p.err);
    tu_proc_free(&p);
}
