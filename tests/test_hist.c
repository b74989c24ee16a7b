/* test_hist.c: the log-linear histogram (stats/hist.c): its bucket layout, its error
 * bound against exact MLPerf percentiles of the same random values, the exact mean and
 * extremes, the whole int64_t range, negative values, and merging histograms recorded
 * by several threads. */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "stats/stats.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}

static stats_hist *new_hist(void)
{
    stats_hist *h = malloc(sizeof *h);
    cr_assert_not_null(h);
    stats_hist_reset(h);
    return h;
}

Test(hist, buckets_tile_the_range, .timeout = 10)
{
    cr_expect_eq(STATS_HIST_BUCKETS, 7296);
    cr_expect_eq(stats_hist_bucket_lo(0), 0);
    for (size_t i = 0; i < STATS_HIST_BUCKETS; i++) {
        int64_t lo = stats_hist_bucket_lo(i), hi = stats_hist_bucket_hi(i);
        cr_assert_leq(lo, hi);
        cr_assert_eq(stats_hist_bucket_of(lo), i, "bucket %zu", i);
        cr_assert_eq(stats_hist_bucket_of(hi), i, "bucket %zu", i);
        if (i + 1 < STATS_HIST_BUCKETS)
            cr_assert_eq(stats_hist_bucket_lo(i + 1), hi + 1, "no gap after %zu", i);
        if (i < 256)
            cr_assert_eq(lo, hi, "values below 256 are exact");
        else
            cr_assert_leq((hi - lo + 1) * 128, lo, "width at most lo / 128 (bucket %zu)", i);
    }
    cr_expect_eq(stats_hist_bucket_hi(STATS_HIST_BUCKETS - 1), INT64_MAX);
    cr_expect_eq(stats_hist_bucket_of(-5), 0);
    cr_expect_eq(stats_hist_bucket_of(INT64_MAX), STATS_HIST_BUCKETS - 1);
}

/* |histogram - exact| <= exact / 256, and equal below 256. */
static void check_against_exact(const stats_hist *h, int64_t *v, size_t n, gsl_rng *r)
{
    cr_assert_eq(stats_sort_i64(v, n, NULL), 0);
    double ps[1000 + 8] = {0, 0.5, 0.9, 0.95, 0.97, 0.99, 0.999, 1};
    for (size_t i = 8; i < sizeof ps / sizeof *ps; i++)
        ps[i] = gsl_rng_uniform(r);
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
        int64_t exact = stats_percentile_mlperf(v, n, ps[i]);
        int64_t got = stats_hist_percentile(h, ps[i]);
        int64_t diff = got > exact ? got - exact : exact - got;
        if (exact < 256)
            cr_assert_eq(got, exact, "p %.6f", ps[i]);
        else
            cr_assert_leq((double)diff, (double)exact / 256.0, "p %.6f: %lld against %lld",
                          ps[i], (long long)got, (long long)exact);
    }
    cr_expect_eq(stats_hist_percentile(h, 0), v[0], "the exact minimum");
    cr_expect_eq(stats_hist_percentile(h, 1), v[n - 1], "the exact maximum");
    __int128 sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    cr_expect_eq(stats_hist_mean(h), (double)sum / (double)n, "the exact mean");
    cr_expect_eq(h->count, n);
}

Test(hist, percentiles_within_the_bound_on_random_data, .timeout = 60)
{
    gsl_rng *r = stats_rng_new(42);
    size_t n = 1000000;
    int64_t *v = malloc(n * sizeof *v);
    stats_hist *h = new_hist();
    /* Lognormal gaps around 20 ms, spanning microseconds to seconds. */
    for (size_t i = 0; i < n; i++) {
        v[i] = (int64_t)gsl_ran_lognormal(r, 16.8, 1.5);
        stats_hist_record(h, v[i]);
    }
    check_against_exact(h, v, n, r);
    /* Uniform up to an hour, and small integers (exact buckets). */
    stats_hist_reset(h);
    for (size_t i = 0; i < n; i++) {
        v[i] = i % 3 ? (int64_t)(gsl_rng_uniform(r) * 3.6e12)
                     : (int64_t)gsl_rng_uniform_int(r, 300);
        stats_hist_record(h, v[i]);
    }
    check_against_exact(h, v, n, r);
    /* Few values: every rank lands on a clamp or one bucket. */
    stats_hist_reset(h);
    int64_t few[] = {1000003, 5, 999999999};
    for (size_t i = 0; i < 3; i++)
        stats_hist_record(h, few[i]);
    check_against_exact(h, few, 3, r);
    free(h);
    free(v);
    stats_rng_free(r);
}

Test(hist, extremes_negatives_and_empty, .timeout = 10)
{
    stats_hist *h = new_hist();
    cr_expect_eq(stats_hist_percentile(h, 0.5), 0, "empty");
    cr_expect_eq(stats_hist_mean(h), 0.0);
    stats_hist_record(h, -1);
    stats_hist_record_n(h, -7, 3);
    cr_expect_eq(h->negative, 4);
    cr_expect_eq(h->count, 0, "negatives are not in the distribution");
    stats_hist_record_n(h, INT64_MAX, 4);
    stats_hist_record_n(h, 17, 0);
    cr_expect_eq(h->count, 4);
    cr_expect_eq(stats_hist_percentile(h, 0.5), INT64_MAX);
    cr_expect_eq(stats_hist_mean(h), (double)INT64_MAX, "the 128-bit sum does not overflow");
    cr_expect_eq(h->sum_hi, 1);
    cr_expect_eq(stats_hist_count_at_most(h, INT64_MAX - 1), 4, "the whole top bucket");
    cr_expect_eq(stats_hist_count_at_most(h, -1), 0);
    stats_hist_record(h, 0);
    cr_expect_eq(stats_hist_percentile(h, 0), 0);
    cr_expect_eq(stats_hist_count_at_most(h, 0), 1);
    free(h);
}

Test(hist, percentile_is_the_bucket_midpoint_clamped, .timeout = 10)
{
    stats_hist *h = new_hist();
    /* 100000 lies in [2^16, 2^17), cut in buckets of 2^9. */
    size_t b = stats_hist_bucket_of(100000);
    int64_t lo = stats_hist_bucket_lo(b), hi = stats_hist_bucket_hi(b);
    cr_assert_eq(hi - lo + 1, 512, "the bucket of 100000 is 512 wide");
    stats_hist_record(h, lo);
    stats_hist_record_n(h, hi, 3);
    stats_hist_record(h, 10 * hi);
    cr_expect_eq(stats_hist_percentile(h, 0.5), lo + (hi - lo) / 2);
    stats_hist_reset(h);
    stats_hist_record(h, 1);
    stats_hist_record_n(h, lo + 3, 3);
    stats_hist_record(h, lo + 5);
    cr_expect_eq(stats_hist_percentile(h, 0.5), lo + 5, "clamped to the maximum");
    free(h);
}

typedef struct part {
    const int64_t *v;
    size_t n;
    stats_hist *h;
} part;

static void *record_part(void *arg)
{
    part *p = arg;
    for (size_t i = 0; i < p->n; i++)
        stats_hist_record(p->h, p->v[i]);
    return NULL;
}

/* Four threads record their own share; merged, they equal one histogram of it all. */
Test(hist, merged_thread_histograms_equal_one, .timeout = 30)
{
    gsl_rng *r = stats_rng_new(7);
    size_t n = 400000;
    int64_t *v = malloc(n * sizeof *v);
    stats_hist *all = new_hist(), *merged = new_hist();
    for (size_t i = 0; i < n; i++) {
        v[i] = (int64_t)gsl_ran_lognormal(r, 13.0, 2.0);
        stats_hist_record(all, v[i]);
    }
    pthread_t t[4];
    part parts[4];
    for (size_t k = 0; k < 4; k++) {
        parts[k] = (part){v + k * n / 4, n / 4, new_hist()};
        cr_assert_eq(pthread_create(&t[k], NULL, record_part, &parts[k]), 0);
    }
    for (size_t k = 0; k < 4; k++) {
        cr_assert_eq(pthread_join(t[k], NULL), 0);
        cr_assert_eq(stats_hist_merge(merged, parts[k].h), 0);
        free(parts[k].h);
    }
    cr_expect_eq(memcmp(all, merged, sizeof *all), 0, "every field and bucket equal");
    cr_assert_eq(stats_hist_merge(merged, merged), 0);
    cr_expect_eq(merged->count, 2 * n, "merging into itself doubles");
    cr_expect_eq(merged->min, all->min);
    cr_expect_eq(stats_hist_mean(merged), stats_hist_mean(all));
    cr_expect_eq(stats_hist_percentile(merged, 0.9), stats_hist_percentile(all, 0.9));
    cr_expect_eq(stats_hist_merge(NULL, all), -EINVAL);
    free(all);
    free(merged);
    free(v);
    stats_rng_free(r);
}
