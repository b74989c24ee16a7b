/*
 * test_stats.c - tests for stats/: the radix sort, MLPerf's percentile rule, summaries
 * and early stopping against the reference vectors in the MLPerf compatibility notes.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "stats/stats.h"

#define C99 STATS_ES_MLPERF_CONFIDENCE

/*
 * Criterion 2.4.1's runner process (not the test code: the allocation is made under
 * criterion_run_all_tests) leaks a few 48-byte blocks when tests run in parallel, which
 * makes LeakSanitizer fail ASan builds.  This hook, read only by sanitizer runtimes,
 * ignores leaks allocated from inside libcriterion and nothing else.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

/* ---- helpers ---------------------------------------------------------------------- */

/* splitmix64: a tiny deterministic generator, so every run sees the same data. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void expect_rel(double got, double want, double tol, const char *what)
{
	double rel = fabs(got - want) / fabs(want);
	cr_expect(rel <= tol, "%s: got %.17g want %.17g (relative error %.3g > %.1g)", what, got,
		  want, rel, tol);
}

/* ---- early stopping: h(t) table (mlperf-compat 5.3) -------------------------------- */

static const uint64_t table_t[10] = { 0, 1, 2, 3, 4, 5, 10, 50, 100, 1000 };

static void check_h_row(double p, const uint64_t want[10])
{
	for (int i = 0; i < 10; i++) {
		uint64_t h = stats_es_min_h(table_t[i], p, C99);
		cr_expect_eq(h, want[i], "h(t=%llu, p=%g) = %llu, want %llu",
			     (unsigned long long)table_t[i], p, (unsigned long long)h,
			     (unsigned long long)want[i]);
	}
}

Test(es_min_h, table_row_p90_matches_reference, .timeout = 10)
{
	static const uint64_t want[10] = { 44, 63, 79, 94, 109, 122, 187, 631, 1146, 9722 };
	check_h_row(0.90, want);
}

Test(es_min_h, table_row_p97_matches_reference, .timeout = 10)
{
	static const uint64_t want[10] = { 152, 218, 275, 329, 379, 428, 657, 2243, 4082, 34831 };
	check_h_row(0.97, want);
}

Test(es_min_h, table_row_p99_matches_reference, .timeout = 10)
{
	static const uint64_t want[10] = { 459, 661, 836, 998, 1153, 1302, 2000, 6848, 12471, 106569 };
	check_h_row(0.99, want);
}

Test(es_min_h, table_row_p999_matches_reference, .timeout = 10)
{
	static const uint64_t want[10] = { 4603,  6635,  8401,  10039,  11597,
					   13100, 20130, 69008, 125726, 1075032 };
	check_h_row(0.999, want);
}

Test(es_min_h, table_row_p50_matches_reference, .timeout = 10)
{
	static const uint64_t want[10] = { 7, 10, 12, 14, 15, 17, 25, 78, 137, 1108 };
	check_h_row(0.50, want);
}

Test(es_min_h, minimum_query_counts_are_64_662_6636, .timeout = 10)
{
	cr_expect_eq(stats_es_min_h(1, 0.90, C99) + 1, 64);
	cr_expect_eq(stats_es_min_h(1, 0.99, C99) + 1, 662);
	cr_expect_eq(stats_es_min_h(1, 0.999, C99) + 1, 6636);
}

Test(es_min_h, is_the_smallest_h_with_odds_strictly_below_alpha, .timeout = 10)
{
	static const double ps[] = { 0.5, 0.9, 0.97, 0.99, 0.999 };
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		for (uint64_t t = 0; t <= 60; t += 3) {
			uint64_t h = stats_es_min_h(t, ps[i], C99);
			cr_expect(stats_es_odds(h, t, ps[i]) < 1.0 - C99);
			cr_expect(h == 0 || !(stats_es_odds(h - 1, t, ps[i]) < 1.0 - C99),
				  "h(%llu, %g) = %llu is not minimal", (unsigned long long)t,
				  ps[i], (unsigned long long)h);
		}
	}
}

Test(es_min_h, p999_t1000_takes_milliseconds_not_seconds, .timeout = 10)
{
	double t0 = now_s();
	uint64_t h = stats_es_min_h(1000, 0.999, C99);
	double dt = now_s() - t0;
	cr_expect_eq(h, 1075032);
	/* Measured ~0.02 ms on the development machine; 50 ms allows slow CI and sanitizers. */
	cr_expect(dt < 0.05, "h(1000, 0.999) took %.3f ms", dt * 1e3);
}

Test(es_min_h, invalid_arguments_return_uint64_max, .timeout = 10)
{
	cr_expect_eq(stats_es_min_h(1, 0.0, C99), UINT64_MAX);
	cr_expect_eq(stats_es_min_h(1, 1.0, C99), UINT64_MAX);
	cr_expect_eq(stats_es_min_h(1, NAN, C99), UINT64_MAX);
	cr_expect_eq(stats_es_min_h(1, 0.9, 0.0), UINT64_MAX);
	cr_expect_eq(stats_es_min_h(1, 0.9, 1.0), UINT64_MAX);
	cr_expect_eq(stats_es_min_h(1, 0.9, NAN), UINT64_MAX);
}

/* ---- early stopping: t(n) -------------------------------------------------------------- */

/* breaks[k-1] is the n at which t(n) first reaches k: t(n-1) = k-1 and t(n) = k. */
static void check_breakpoints(double p, const uint64_t *breaks, int count)
{
	for (int i = 0; i < count; i++) {
		uint64_t k = (uint64_t)i + 1, n = breaks[i];
		uint64_t before = stats_es_max_t(n - 1, p, C99), at = stats_es_max_t(n, p, C99);
		cr_expect_eq(before, k - 1, "p=%g: t(%llu) = %llu, want %llu", p,
			     (unsigned long long)(n - 1), (unsigned long long)before,
			     (unsigned long long)(k - 1));
		cr_expect_eq(at, k, "p=%g: t(%llu) = %llu, want %llu", p, (unsigned long long)n,
			     (unsigned long long)at, (unsigned long long)k);
	}
}

Test(es_max_t, breakpoints_p90_match_reference, .timeout = 10)
{
	static const uint64_t b[] = { 64, 81, 97, 113, 127, 142, 156, 170, 183, 197, 210, 223, 236 };
	check_breakpoints(0.90, b, (int)(sizeof b / sizeof b[0]));
}

Test(es_max_t, breakpoints_p99_match_reference, .timeout = 10)
{
	static const uint64_t b[] = { 662,  838,  1001, 1157, 1307, 1453, 1596,
				      1736, 1874, 2010, 2144, 2277, 2409 };
	check_breakpoints(0.99, b, (int)(sizeof b / sizeof b[0]));
}

Test(es_max_t, breakpoints_p999_match_reference, .timeout = 10)
{
	static const uint64_t b[] = { 6636,  8403,  10042, 11601, 13105,
				      14567, 15996, 17398, 18779, 20140 };
	check_breakpoints(0.999, b, (int)(sizeof b / sizeof b[0]));
}

struct spot {
	uint64_t n, t;
};

static void check_spots(double p, const struct spot *s, int count)
{
	for (int i = 0; i < count; i++) {
		uint64_t t = stats_es_max_t(s[i].n, p, C99);
		cr_expect_eq(t, s[i].t, "p=%g: t(%llu) = %llu, want %llu", p,
			     (unsigned long long)s[i].n, (unsigned long long)t,
			     (unsigned long long)s[i].t);
	}
}

Test(es_max_t, spot_values_p90_match_reference, .timeout = 10)
{
	static const struct spot s[] = {
		{ 100, 3 },	  { 200, 10 },	   { 458, 30 },	      { 500, 34 },
		{ 662, 48 },	  { 700, 51 },	   { 1000, 78 },      { 1024, 80 },
		{ 5000, 450 },	  { 10000, 930 },  { 24576, 2348 },   { 50000, 4844 },
		{ 100000, 9779 }, { 123457, 12100 }, { 270336, 26670 }, { 1000000, 99302 },
	};
	check_spots(0.90, s, (int)(sizeof s / sizeof s[0]));
}

Test(es_max_t, spot_values_p99_match_reference, .timeout = 10)
{
	static const struct spot s[] = {
		{ 1000, 2 },	 { 1024, 3 },	 { 5000, 33 },	   { 10000, 77 },    { 24576, 209 },
		{ 50000, 448 }, { 100000, 927 }, { 270336, 2583 }, { 1000000, 9768 },
	};
	check_spots(0.99, s, (int)(sizeof s / sizeof s[0]));
}

Test(es_max_t, spot_values_p999_match_reference, .timeout = 10)
{
	static const struct spot s[] = {
		{ 10000, 2 }, { 24576, 13 }, { 100000, 77 }, { 270336, 232 },
	};
	check_spots(0.999, s, (int)(sizeof s / sizeof s[0]));
}

/*
 * The reference computes t(n) as "first i >= 2 with n < h(i) + i, minus 1", using a table
 * of h; the binary search on odds(n - k, k) must agree for every n.
 */
static void check_max_t_against_h_scan(double p, uint64_t n_max)
{
	uint64_t k = 0, next_total = stats_es_min_h(1, p, C99) + 1; /* h(k+1) + k+1 */
	for (uint64_t n = 1; n <= n_max; n++) {
		while (n >= next_total) {
			k++;
			next_total = stats_es_min_h(k + 1, p, C99) + k + 1;
		}
		uint64_t t = stats_es_max_t(n, p, C99);
		if (t != k) {
			cr_expect_eq(t, k, "p=%g: t(%llu) = %llu but the h(t) scan gives %llu", p,
				     (unsigned long long)n, (unsigned long long)t,
				     (unsigned long long)k);
			return;
		}
	}
}

Test(es_max_t, agrees_with_h_scan_for_every_n_up_to_3000, .timeout = 60)
{
	check_max_t_against_h_scan(0.50, 3000);
	check_max_t_against_h_scan(0.90, 3000);
	check_max_t_against_h_scan(0.97, 3000);
	check_max_t_against_h_scan(0.99, 3000);
}

Test(es_max_t, one_billion_queries_is_fast, .timeout = 20)
{
	double t0 = now_s();
	uint64_t t = stats_es_max_t(UINT64_C(1000000000), 0.90, C99);
	double dt = now_s() - t0;
	/* t must satisfy its definition: h(t) + t <= n < h(t + 1) + t + 1. */
	cr_expect(stats_es_min_h(t, 0.90, C99) + t <= UINT64_C(1000000000));
	cr_expect(stats_es_min_h(t + 1, 0.90, C99) + t + 1 > UINT64_C(1000000000));
	cr_expect(dt < 2.0, "t(1e9) took %.3f s", dt);
}

Test(es_max_t, zero_when_too_few_queries_or_invalid, .timeout = 10)
{
	cr_expect_eq(stats_es_max_t(0, 0.9, C99), 0);
	cr_expect_eq(stats_es_max_t(63, 0.9, C99), 0);
	cr_expect_eq(stats_es_max_t(64, 0.9, C99), 1);
	cr_expect_eq(stats_es_max_t(1000, 1.5, C99), 0);
	cr_expect_eq(stats_es_max_t(1000, 0.9, -1.0), 0);
}

/* ---- early stopping: odds ---------------------------------------------------------------- */

struct odds_vec {
	uint64_t h, t;
	double p;
	double ref10;  /* 10 significant digits, from the reference driver */
	double exact;  /* 16 digits, from mpmath at 40 digits (binomial sum) */
};

static const struct odds_vec odds_vectors[] = {
	{ 43, 0, .9, 0.01077526366, 0.0107752636643058 },
	{ 44, 0, .9, 0.009697737298, 0.00969773729787525 },
	{ 62, 1, .9, 0.01048016407, 0.010480164069101 },
	{ 63, 1, .9, 0.009563149713, 0.00956314971305464 },
	{ 458, 0, .99, 0.01002118606, 0.0100211860616572 },
	{ 459, 0, .99, 0.009920974201, 0.00992097420104059 },
	{ 660, 1, .99, 0.01000096775, 0.0100009677465178 },
	{ 661, 1, .99, 0.009913985645, 0.00991398564545932 },
	{ 1999, 10, .99, 0.01002097673, 0.0100209767280712 },
	{ 2000, 10, .99, 0.009966645801, 0.00996664580109223 },
	{ 4602, 0, .999, 0.01000868027, 0.0100086802735454 },
	{ 4603, 0, .999, 0.009998671593, 0.00999867159327186 },
	{ 6634, 1, .999, 0.01000463034, 0.0100046303448535 },
	{ 6635, 1, .999, 0.00999593494, 0.00999593493977908 },
	{ 62517, 573, .99, 0.01001023055, 0.0100102305508269 },
	{ 62518, 573, .99, 0.009999729502, 0.00999972950366018 },
};

Test(es_odds, reference_vectors_within_1e9_relative, .timeout = 10)
{
	for (size_t i = 0; i < sizeof odds_vectors / sizeof odds_vectors[0]; i++) {
		const struct odds_vec *v = &odds_vectors[i];
		char what[64];
		snprintf(what, sizeof what, "odds(%llu,%llu,%g)", (unsigned long long)v->h,
			 (unsigned long long)v->t, v->p);
		expect_rel(stats_es_odds(v->h, v->t, v->p), v->ref10, 1e-9, what);
	}
}

Test(es_odds, high_precision_values_within_1e12_relative, .timeout = 10)
{
	for (size_t i = 0; i < sizeof odds_vectors / sizeof odds_vectors[0]; i++) {
		const struct odds_vec *v = &odds_vectors[i];
		char what[64];
		snprintf(what, sizeof what, "odds(%llu,%llu,%g)", (unsigned long long)v->h,
			 (unsigned long long)v->t, v->p);
		expect_rel(stats_es_odds(v->h, v->t, v->p), v->exact, 1e-12, what);
	}
}

Test(es_odds, large_counts_match_high_precision_values, .timeout = 10)
{
	/* Exact values from a 50-digit mpmath binomial sum; these need ~1e5 terms. */
	expect_rel(stats_es_odds(UINT64_C(500036784), UINT64_C(499963216), 0.5),
		   0.009998802500001862, 1e-11, "odds(500036784,499963216,.5)");
	expect_rel(stats_es_odds(UINT64_C(998999000), UINT64_C(997675), 0.999),
		   0.010087636055232376, 1e-11, "odds(998999000,997675,.999)");
	expect_rel(stats_es_odds(UINT64_C(899779300), UINT64_C(99977930), 0.9),
		   0.59201542549446881, 1e-11, "odds(899779300,99977930,.9)");
	expect_rel(stats_es_odds(1000000, 100000, 0.9), 3.839984751519578e-228, 1e-11,
		   "odds(1e6,1e5,.9)");
}

Test(es_odds, agrees_with_gsl_binomial_cdf_on_small_counts, .timeout = 20)
{
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	static const double ps[] = { 0.3, 0.5, 0.9, 0.97, 0.99, 0.999 };
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		for (unsigned h = 1; h <= 400; h += 7) {
			for (unsigned t = 0; t <= 60; t += 5) {
				double want = gsl_cdf_binomial_P(t, 1.0 - ps[i], h + t);
				double got = stats_es_odds(h, t, ps[i]);
				if (want < 1e-280)
					continue; /* both underflow regions; nothing to compare */
				double rel = fabs(got - want) / want;
				cr_expect(rel < 1e-9, "odds(%u,%u,%g) = %.17g, GSL %.17g", h, t, ps[i],
					  got, want);
			}
		}
	}
	gsl_set_error_handler(old);
}

Test(es_odds, h_zero_is_one_and_invalid_p_is_nan, .timeout = 10)
{
	cr_expect_eq(stats_es_odds(0, 0, 0.9), 1.0);
	cr_expect_eq(stats_es_odds(0, 1000, 0.99), 1.0);
	cr_expect(isnan(stats_es_odds(10, 1, 0.0)));
	cr_expect(isnan(stats_es_odds(10, 1, 1.0)));
	cr_expect(isnan(stats_es_odds(10, 1, NAN)));
	/* t = 0 is p^h exactly. */
	expect_rel(stats_es_odds(44, 0, 0.9), pow(0.9, 44), 1e-14, "odds(44,0,.9) vs 0.9^44");
}

/* ---- early stopping: scenario verdicts ----------------------------------------------------- */

Test(es_server, example_985_queries_573_over_latency_needs_62106_more, .timeout = 10)
{
	stats_es_server_result r;
	cr_assert_eq(stats_es_server(985, 573, 0.99, C99, &r), 0);
	cr_expect_not(r.met);
	cr_expect_eq(r.h, 62518);
	cr_expect_eq(r.needed, 62518 + 573);
	cr_expect_eq(r.additional_needed, 62106);
	cr_expect_eq(r.queries_issued, 985);
	cr_expect_eq(r.overlatency, 573);
	cr_expect_eq(r.percentile, 0.99);
}

Test(es_server, met_exactly_at_h_plus_t_queries, .timeout = 10)
{
	stats_es_server_result r;
	/* t = 0 at p99 needs h(0) = 459 queries. */
	cr_assert_eq(stats_es_server(459, 0, 0.99, C99, &r), 0);
	cr_expect(r.met);
	cr_expect_eq(r.additional_needed, 0);
	cr_assert_eq(stats_es_server(458, 0, 0.99, C99, &r), 0);
	cr_expect_not(r.met);
	cr_expect_eq(r.additional_needed, 1);
	/* t = 10 at p90 needs 187 + 10. */
	cr_assert_eq(stats_es_server(197, 10, 0.90, C99, &r), 0);
	cr_expect(r.met);
	cr_assert_eq(stats_es_server(196, 10, 0.90, C99, &r), 0);
	cr_expect_not(r.met);
}

Test(es_server, rejects_invalid_arguments, .timeout = 10)
{
	stats_es_server_result r;
	cr_expect_eq(stats_es_server(100, 1, 0.99, C99, NULL), -EINVAL);
	cr_expect_eq(stats_es_server(100, 1, 1.0, C99, &r), -EINVAL);
	cr_expect_eq(stats_es_server(100, 1, 0.99, 1.0, &r), -EINVAL);
}

/* Latencies 1, 2, ..., n (ns), so the estimate names its own index + 1. */
static int64_t *ramp(size_t n)
{
	int64_t *v = malloc((n ? n : 1) * sizeof *v);
	cr_assert_not_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = (int64_t)i + 1;
	return v;
}

static void check_ss(size_t n, double p, bool met, uint64_t min_needed, uint64_t discarded)
{
	int64_t *v = ramp(n);
	stats_es_latency_result r;
	cr_assert_eq(stats_es_latency(v, n, p, C99, &r), 0);
	cr_expect_eq(r.met, met, "n=%zu p=%g met=%d", n, p, r.met);
	cr_expect_eq(r.queries, n);
	cr_expect_eq(r.min_queries, min_needed);
	cr_expect_eq(r.percentile, p);
	if (met) {
		cr_expect_eq(r.discarded, discarded, "n=%zu p=%g discarded %llu, want %llu", n, p,
			     (unsigned long long)r.discarded, (unsigned long long)discarded);
		cr_expect_eq(r.t, discarded + 1);
		/* estimate = sorted[n - t]; in the ramp that value is n - t + 1 */
		cr_expect_eq(r.estimate, (int64_t)(n - r.t + 1));
	} else {
		cr_expect_eq(r.t, 0);
		cr_expect_eq(r.discarded, 0);
		cr_expect_eq(r.estimate, 0);
	}
	free(v);
}

Test(es_latency, singlestream_700_queries_p90_discards_50, .timeout = 10)
{
	check_ss(700, 0.90, true, 64, 50); /* t = 51, reports sorted[649] */
}

Test(es_latency, singlestream_100_queries_p90_discards_2, .timeout = 10)
{
	check_ss(100, 0.90, true, 64, 2);
}

Test(es_latency, singlestream_10000_queries_p90_discards_929, .timeout = 10)
{
	check_ss(10000, 0.90, true, 64, 929);
}

Test(es_latency, multistream_994_queries_p99_discards_1, .timeout = 10)
{
	check_ss(994, 0.99, true, 662, 1);
}

Test(es_latency, not_met_below_minimum_query_count, .timeout = 10)
{
	check_ss(63, 0.90, false, 64, 0);
	check_ss(64, 0.90, true, 64, 0); /* exactly the minimum: t = 1, report the maximum */
	check_ss(661, 0.99, false, 662, 0);
	check_ss(6635, 0.999, false, 6636, 0);
	check_ss(0, 0.90, false, 64, 0);
}

Test(es_latency, rejects_invalid_arguments, .timeout = 10)
{
	int64_t v[1] = { 5 };
	stats_es_latency_result r;
	cr_expect_eq(stats_es_latency(v, 1, 0.9, C99, NULL), -EINVAL);
	cr_expect_eq(stats_es_latency(NULL, 1, 0.9, C99, &r), -EINVAL);
	cr_expect_eq(stats_es_latency(v, 1, 0.0, C99, &r), -EINVAL);
	cr_expect_eq(stats_es_latency(v, 1, 0.9, 0.0, &r), -EINVAL);
	cr_expect_eq(stats_es_latency(NULL, 0, 0.9, C99, &r), 0);
}

/* ---- percentiles ----------------------------------------------------------------------------- */

Test(percentile, mlperf_n100_p99_is_index_99_the_maximum, .timeout = 10)
{
	int64_t *v = ramp(100);
	cr_expect_eq(stats_percentile_mlperf_index(100, 0.99), 99);
	cr_expect_eq(stats_percentile_mlperf(v, 100, 0.99), 100);
	cr_expect_eq(stats_percentile_mlperf(v, 100, 0.90), 91); /* index 90 */
	free(v);
}

Test(percentile, mlperf_single_value_is_returned_for_every_p, .timeout = 10)
{
	int64_t v[1] = { 42 };
	static const double ps[] = { 0.0, 0.5, 0.9, 0.999, 1.0 };
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		cr_expect_eq(stats_percentile_mlperf(v, 1, ps[i]), 42);
}

Test(percentile, mlperf_empty_array_gives_zero, .timeout = 10)
{
	cr_expect_eq(stats_percentile_mlperf(NULL, 0, 0.9), 0);
	cr_expect_eq(stats_percentile_mlperf_index(0, 0.9), 0);
}

Test(percentile, mlperf_median_picks_upper_middle_for_even_n, .timeout = 10)
{
	int64_t even[4] = { 10, 20, 30, 40 }, odd[5] = { 10, 20, 30, 40, 50 };
	cr_expect_eq(stats_percentile_mlperf(even, 4, 0.5), 30); /* index 2, no averaging */
	cr_expect_eq(stats_percentile_mlperf(odd, 5, 0.5), 30);	 /* index floor(2.5) = 2 */
}

Test(percentile, mlperf_clamps_out_of_range_p, .timeout = 10)
{
	int64_t v[3] = { 1, 2, 3 };
	cr_expect_eq(stats_percentile_mlperf(v, 3, 1.0), 3);
	cr_expect_eq(stats_percentile_mlperf(v, 3, 7.0), 3);
	cr_expect_eq(stats_percentile_mlperf(v, 3, -1.0), 1);
	cr_expect_eq(stats_percentile_mlperf(v, 3, NAN), 1);
}

Test(percentile, mlperf_index_equals_exact_floor_for_six_percentiles_up_to_200000,
     .timeout = 30)
{
	/* p = num / 1000 exactly; the double product must floor to the rational floor. */
	static const uint64_t num[6] = { 500, 900, 950, 970, 990, 999 };
	static const double frac[6] = { 0.50, 0.90, 0.95, 0.97, 0.99, 0.999 };
	for (int i = 0; i < 6; i++) {
		for (uint64_t n = 1; n <= 200000; n++) {
			size_t want = (size_t)(n * num[i] / 1000);
			if (want > n - 1)
				want = n - 1;
			size_t got = stats_percentile_mlperf_index(n, frac[i]);
			if (got != want) {
				cr_expect_eq(got, want, "n=%llu p=%g", (unsigned long long)n, frac[i]);
				break;
			}
		}
	}
}

Test(percentile, interp_differs_from_mlperf_rule_on_worked_example, .timeout = 10)
{
	double d[5] = { 10, 20, 30, 40, 50 };
	int64_t i[5] = { 10, 20, 30, 40, 50 };
	/* type 7: h = 4 * 0.9 = 3.6 -> 40 + 0.6 * 10 = 46 (numpy.quantile gives 46.0) */
	cr_expect_float_eq(stats_quantile_interp(d, 5, 0.9), 46.0, 1e-12);
	cr_expect_eq(stats_percentile_mlperf(i, 5, 0.9), 50); /* floor(4.5) = index 4 */
	double e[4] = { 1, 2, 3, 4 };
	cr_expect_float_eq(stats_quantile_interp(e, 4, 0.5), 2.5, 1e-12);
}

Test(percentile, interp_edges, .timeout = 10)
{
	double d[3] = { 1.0, 5.0, 9.0 };
	cr_expect(isnan(stats_quantile_interp(NULL, 0, 0.5)));
	cr_expect(isnan(stats_quantile_interp(d, 3, NAN)));
	cr_expect_eq(stats_quantile_interp(d, 3, 0.0), 1.0);
	cr_expect_eq(stats_quantile_interp(d, 3, 1.0), 9.0);
	cr_expect_eq(stats_quantile_interp(d, 3, 2.0), 9.0);
	cr_expect_eq(stats_quantile_interp(d, 1, 0.7), 1.0);
	cr_expect_float_eq(stats_quantile_interp(d, 3, 0.25), 3.0, 1e-12);
}

/* ---- summary ------------------------------------------------------------------------------- */

Test(summary, mean_truncates_integer_division, .timeout = 10)
{
	int64_t a[3] = { 1, 2, 2 }; /* 5 / 3 = 1 */
	stats_summary s;
	cr_assert_eq(stats_summary_i64(a, 3, 0.9, &s), 0);
	cr_expect_eq(s.mean, 1);
	int64_t b[2] = { 10, 11 }; /* 21 / 2 = 10 */
	cr_assert_eq(stats_summary_i64(b, 2, 0.9, &s), 0);
	cr_expect_eq(s.mean, 10);
	int64_t c[2] = { -3, -2 }; /* -5 / 2 = -2: truncation toward zero, like C */
	cr_assert_eq(stats_summary_i64(c, 2, 0.9, &s), 0);
	cr_expect_eq(s.mean, -2);
}

Test(summary, mean_does_not_overflow_on_huge_values, .timeout = 10)
{
	int64_t big[4] = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX };
	int64_t small[3] = { INT64_MIN, INT64_MIN, INT64_MIN };
	int64_t mixed[3] = { INT64_MIN, INT64_MAX - 1, INT64_MAX };
	stats_summary s;
	cr_assert_eq(stats_summary_i64(big, 4, 0.5, &s), 0);
	cr_expect_eq(s.mean, INT64_MAX);
	cr_assert_eq(stats_summary_i64(small, 3, 0.5, &s), 0);
	cr_expect_eq(s.mean, INT64_MIN);
	cr_assert_eq(stats_summary_i64(mixed, 3, 0.5, &s), 0);
	cr_expect_eq(s.mean, (INT64_MAX - 2) / 3); /* sum = 2^63 - 3 */
}

#ifdef __SIZEOF_INT128__
__extension__ typedef __int128 i128;

Test(summary, mean_matches_128bit_reference_on_random_data, .timeout = 10)
{
	uint64_t seed = 7;
	enum { N = 1000 };
	int64_t *v = malloc(N * sizeof *v);
	cr_assert_not_null(v);
	for (int round = 0; round < 50; round++) {
		size_t n = 1 + (size_t)(rng_next(&seed) % N);
		i128 sum = 0;
		for (size_t i = 0; i < n; i++) {
			v[i] = (int64_t)rng_next(&seed);
			if (round % 2)
				v[i] >>= 20; /* also some moderate magnitudes */
			sum += v[i];
		}
		stats_summary s;
		cr_assert_eq(stats_summary_i64(v, n, 0.5, &s), 0); /* mean ignores order */
		cr_expect_eq(s.mean, (int64_t)(sum / (i128)n), "round %d", round);
	}
	free(v);
}
#endif

Test(summary, fills_min_max_and_six_mlperf_percentiles, .timeout = 10)
{
	int64_t *v = ramp(1000); /* value = index + 1 */
	stats_summary s;
	cr_assert_eq(stats_summary_i64(v, 1000, 0.97, &s), 0);
	cr_expect_eq(s.count, 1000);
	cr_expect_eq(s.min, 1);
	cr_expect_eq(s.max, 1000);
	cr_expect_eq(s.mean, 500); /* 500500 / 1000 = 500.5 -> 500 */
	cr_expect_eq(s.p50, 501);
	cr_expect_eq(s.p90, 901);
	cr_expect_eq(s.p95, 951);
	cr_expect_eq(s.p97, 971);
	cr_expect_eq(s.p99, 991);
	cr_expect_eq(s.p999, 1000);
	cr_expect_eq(s.target_percentile, 0.97);
	cr_expect_eq(s.target, 971);
	free(v);
}

Test(summary, empty_array_and_invalid_arguments, .timeout = 10)
{
	stats_summary s;
	memset(&s, 0xff, sizeof s);
	cr_assert_eq(stats_summary_i64(NULL, 0, 0.9, &s), 0);
	cr_expect_eq(s.count, 0);
	cr_expect_eq(s.min, 0);
	cr_expect_eq(s.max, 0);
	cr_expect_eq(s.mean, 0);
	cr_expect_eq(s.target, 0);
	cr_expect(s.p50 == 0 && s.p90 == 0 && s.p95 == 0 && s.p97 == 0 && s.p99 == 0 &&
		  s.p999 == 0);
	int64_t v[1] = { 1 };
	cr_expect_eq(stats_summary_i64(v, 1, 0.9, NULL), -EINVAL);
	cr_expect_eq(stats_summary_i64(NULL, 1, 0.9, &s), -EINVAL);
	cr_expect_eq(stats_summary_i64(v, 1, 1.5, &s), -EINVAL);
	cr_expect_eq(stats_summary_i64(v, 1, NAN, &s), -EINVAL);
}

/* ---- sorting ------------------------------------------------------------------------------- */

enum pattern { RANDOM_WIDE, RANDOM_LATENCY, NEGATIVES, DUPLICATES, ALL_EQUAL, SORTED, REVERSED, EXTREMES };
static const char *const pattern_name[] = { "random-64bit", "random-latency", "negatives", "duplicates",
					    "all-equal",    "sorted",	      "reversed",  "extremes" };

static void fill(int64_t *v, size_t n, enum pattern pat, uint64_t *seed)
{
	static const int64_t ext[] = { INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX };
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rng_next(seed);
		switch (pat) {
		case RANDOM_WIDE: v[i] = (int64_t)r; break;
		case RANDOM_LATENCY: v[i] = (int64_t)(r % UINT64_C(2000000000)); break;
		case NEGATIVES: v[i] = (int64_t)(r % 2000001) - 1000000; break;
		case DUPLICATES: v[i] = (int64_t)(r % 7) * 1000 - 3000; break;
		case ALL_EQUAL: v[i] = 123456789; break;
		case SORTED: v[i] = (int64_t)i * 3 - 500; break;
		case REVERSED: v[i] = (int64_t)(n - i) * 5 - 700; break;
		case EXTREMES: v[i] = ext[r % (sizeof ext / sizeof ext[0])]; break;
		}
	}
}

static void check_sort(size_t n, enum pattern pat, bool with_scratch)
{
	uint64_t seed = 0x5eed + n * 31 + (uint64_t)pat;
	size_t cap = n ? n : 1;
	int64_t *v = malloc(cap * sizeof *v), *ref = malloc(cap * sizeof *ref);
	int64_t *scratch = with_scratch ? malloc(cap * sizeof *scratch) : NULL;
	cr_assert(v && ref && (!with_scratch || scratch));
	fill(v, n, pat, &seed);
	memcpy(ref, v, n * sizeof *v);
	qsort(ref, n, sizeof *ref, cmp_i64);
	cr_assert_eq(stats_sort_i64(n ? v : NULL, n, scratch), 0);
	cr_expect(memcmp(v, ref, n * sizeof *v) == 0, "sort differs from qsort: n=%zu %s %s", n,
		  pattern_name[pat], with_scratch ? "scratch" : "no scratch");
	free(v);
	free(ref);
	free(scratch);
}

static const size_t sort_sizes[] = { 0, 1, 2, 255, 256, 257, 100000 };

Test(sort, matches_qsort_for_every_pattern_and_size_with_scratch, .timeout = 60)
{
	for (size_t s = 0; s < sizeof sort_sizes / sizeof sort_sizes[0]; s++)
		for (int p = RANDOM_WIDE; p <= EXTREMES; p++)
			check_sort(sort_sizes[s], (enum pattern)p, true);
}

Test(sort, matches_qsort_for_every_pattern_and_size_allocating, .timeout = 60)
{
	for (size_t s = 0; s < sizeof sort_sizes / sizeof sort_sizes[0]; s++)
		for (int p = RANDOM_WIDE; p <= EXTREMES; p++)
			check_sort(sort_sizes[s], (enum pattern)p, false);
}

Test(sort, matches_qsort_on_many_random_sizes, .timeout = 60)
{
	uint64_t seed = 99;
	for (int i = 0; i < 200; i++) {
		size_t n = (size_t)(rng_next(&seed) % 5000);
		check_sort(n, (enum pattern)(i % (EXTREMES + 1)), i % 2 == 0);
	}
}

Test(sort, null_array_with_nonzero_n_is_einval, .timeout = 10)
{
	cr_expect_eq(stats_sort_i64(NULL, 10, NULL), -EINVAL);
	cr_expect_eq(stats_sort_i64(NULL, 0, NULL), 0);
}

static int cmp_f64(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

Test(sort, f64_radix_sort_matches_qsort_with_negatives_zeros_and_infinities, .timeout = 30)
{
	size_t sizes[] = {0, 1, 2, 255, 256, 257, 100000};
	unsigned seed = 12345;
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s];
		double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
		cr_assert(a && b);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			double v = ((double)(seed >> 8) - 8388608.0) * 1e-3;
			if (i % 97 == 0)
				v = (i % 2) ? -0.0 : 0.0;
			if (i % 101 == 0)
				v = (i % 2) ? -INFINITY : INFINITY;
			if (i % 103 == 0)
				v = 1e-310 * ((i % 2) ? -1 : 1); /* subnormals */
			a[i] = b[i] = v;
		}
		cr_assert_eq(stats_sort_f64(a, n), 0);
		qsort(b, n, sizeof *b, cmp_f64);
		for (size_t i = 0; i < n; i++)
			cr_assert(a[i] == b[i], "n=%zu i=%zu: %g vs %g", n, i, a[i], b[i]);
		for (size_t i = 1; i < n; i++)
			cr_assert(a[i - 1] <= a[i], "not ascending at %zu", i);
		free(a);
		free(b);
	}
	cr_assert_eq(stats_sort_f64(NULL, 3), -EINVAL);
}

/* ---- selection ------------------------------------------------------------------------------ */

enum sel_pattern {
	SEL_RANDOM,
	SEL_RANDOM_WIDE,
	SEL_DUPLICATES,
	SEL_TWO_VALUES,
	SEL_ALL_EQUAL,
	SEL_SORTED,
	SEL_REVERSED,
	SEL_ORGAN_PIPE,
	SEL_MED3_KILLER,
	SEL_SAWTOOTH,
	SEL_EXTREMES,
	SEL_NPATTERNS
};
static const char *const sel_name[] = { "random",     "random-64bit", "duplicates", "two-values",
					"all-equal",  "sorted",	      "reversed",   "organ-pipe",
					"med3-killer", "sawtooth",    "extremes" };

/*
 * Musser's median-of-3 killer for the first m values (m a multiple of 4, k = m / 2):
 * 1, k+1, 3, k+3, ..., k-1, 2k-1, 2, 4, ..., 2k; the rest ascending above it.
 */
static void med3_killer(int64_t *v, size_t n)
{
	size_t m = n / 4 * 4, k = m / 2;
	for (size_t i = 1; i <= k; i++) {
		if (i % 2) {
			v[i - 1] = (int64_t)i;
			v[i] = (int64_t)(k + i);
		}
		v[k + i - 1] = (int64_t)(2 * i);
	}
	for (size_t i = m; i < n; i++)
		v[i] = (int64_t)(i + 1);
}

static void sel_fill(int64_t *v, size_t n, enum sel_pattern pat, uint64_t *seed)
{
	static const int64_t ext[] = { INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX };
	if (pat == SEL_MED3_KILLER) {
		med3_killer(v, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rng_next(seed);
		switch (pat) {
		case SEL_RANDOM: v[i] = (int64_t)(r % UINT64_C(2000000000)) - 1000000; break;
		case SEL_RANDOM_WIDE: v[i] = (int64_t)r; break;
		case SEL_DUPLICATES: v[i] = (int64_t)(r % 5) * 1000 - 2000; break;
		case SEL_TWO_VALUES: v[i] = (r >> 7) & 1 ? 7 : -7; break;
		case SEL_ALL_EQUAL: v[i] = 42; break;
		case SEL_SORTED: v[i] = (int64_t)i * 3 - 500; break;
		case SEL_REVERSED: v[i] = (int64_t)(n - i) * 5 - 700; break;
		case SEL_ORGAN_PIPE: v[i] = (int64_t)(i < n / 2 ? i + 1 : n - i); break;
		case SEL_SAWTOOTH: v[i] = (int64_t)(i % 17); break;
		case SEL_EXTREMES: v[i] = ext[r % (sizeof ext / sizeof ext[0])]; break;
		default: v[i] = 0; break;
		}
	}
}

/*
 * Selects k from a fresh copy of orig (n values, sorted = the same values sorted by
 * qsort) into work and checks: the return value and work[k] are sorted[k], everything
 * before k is <= it, everything after is >= it, and work is still a permutation of orig
 * (checked when check_perm, by sorting it into perm).
 */
static void check_select_i64(const int64_t *orig, const int64_t *sorted, size_t n, size_t k,
			     int64_t *work, int64_t *perm, bool check_perm, const char *what)
{
	memcpy(work, orig, n * sizeof *work);
	int64_t got = stats_select_i64(work, n, k);
	cr_assert_eq(got, sorted[k], "%s n=%zu k=%zu: returned %lld, want %lld", what, n, k,
		     (long long)got, (long long)sorted[k]);
	cr_assert_eq(work[k], sorted[k], "%s n=%zu k=%zu: v[k] = %lld, want %lld", what, n, k,
		     (long long)work[k], (long long)sorted[k]);
	size_t bad = SIZE_MAX;
	for (size_t i = 0; i < n && bad == SIZE_MAX; i++)
		if ((i < k && work[i] > work[k]) || (i > k && work[i] < work[k]))
			bad = i;
	cr_assert_eq(bad, SIZE_MAX, "%s n=%zu k=%zu: v[%zu] = %lld on the wrong side of %lld", what,
		     n, k, bad, bad == SIZE_MAX ? 0LL : (long long)work[bad], (long long)work[k]);
	if (check_perm) {
		memcpy(perm, work, n * sizeof *perm);
		qsort(perm, n, sizeof *perm, cmp_i64);
		cr_assert(memcmp(perm, sorted, n * sizeof *perm) == 0,
			  "%s n=%zu k=%zu: the values are not a permutation of the input", what, n, k);
	}
}

static const size_t sel_sizes[] = { 1, 2, 3, 15, 16, 17, 31, 32, 33, 1000, 100000 };

Test(select, i64_equals_sorted_k_with_partition_for_every_pattern_and_size, .timeout = 120)
{
	for (size_t s = 0; s < sizeof sel_sizes / sizeof sel_sizes[0]; s++) {
		size_t n = sel_sizes[s];
		int64_t *orig = malloc(n * sizeof *orig), *sorted = malloc(n * sizeof *sorted);
		int64_t *work = malloc(n * sizeof *work), *perm = malloc(n * sizeof *perm);
		cr_assert(orig && sorted && work && perm);
		for (int p = 0; p < SEL_NPATTERNS; p++) {
			uint64_t seed = 0xC0FFEE + n * 131 + (uint64_t)p;
			sel_fill(orig, n, (enum sel_pattern)p, &seed);
			memcpy(sorted, orig, n * sizeof *sorted);
			qsort(sorted, n, sizeof *sorted, cmp_i64);
			if (n <= 1000) {
				/* Every k; the permutation check for the small sizes. */
				for (size_t k = 0; k < n; k++)
					check_select_i64(orig, sorted, n, k, work, perm, n <= 100,
							 sel_name[p]);
				check_select_i64(orig, sorted, n, n / 2, work, perm, true, sel_name[p]);
			} else {
				size_t ks[] = { 0, 1, 2, n / 100, n / 4, n / 2 - 1, n / 2, n / 2 + 1,
						n * 9 / 10, n * 99 / 100, 12345, n - 2, n - 1 };
				for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
					check_select_i64(orig, sorted, n, ks[i], work, perm, i % 4 == 0,
							 sel_name[p]);
			}
		}
		free(orig);
		free(sorted);
		free(work);
		free(perm);
	}
}

Test(select, i64_random_sizes_and_ks, .timeout = 60)
{
	uint64_t seed = 2024;
	int64_t *orig = malloc(5000 * sizeof *orig), *sorted = malloc(5000 * sizeof *sorted);
	int64_t *work = malloc(5000 * sizeof *work), *perm = malloc(5000 * sizeof *perm);
	cr_assert(orig && sorted && work && perm);
	for (int t = 0; t < 400; t++) {
		size_t n = 1 + (size_t)(rng_next(&seed) % 5000);
		enum sel_pattern p = (enum sel_pattern)(t % SEL_NPATTERNS);
		sel_fill(orig, n, p, &seed);
		memcpy(sorted, orig, n * sizeof *sorted);
		qsort(sorted, n, sizeof *sorted, cmp_i64);
		for (int j = 0; j < 3; j++)
			check_select_i64(orig, sorted, n, (size_t)(rng_next(&seed) % n), work, perm,
					 j == 0, sel_name[p]);
	}
	free(orig);
	free(sorted);
	free(work);
	free(perm);
}

/*
 * The nested use the header describes: after selecting k, the k2-th smallest (k2 > k) is
 * the (k2 - k)-th of v + k; and, by the partition property, for k2 < k the k2-th of v.
 * Chains of increasing ranks (p50, p90, p99, p99.9, max) each in the suffix of the last.
 */
Test(select, nested_selection_in_the_suffix_and_prefix, .timeout = 60)
{
	static const size_t sizes[] = { 2, 3, 16, 17, 100, 1000, 100000 };
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s];
		int64_t *orig = malloc(n * sizeof *orig), *sorted = malloc(n * sizeof *sorted);
		int64_t *work = malloc(n * sizeof *work);
		cr_assert(orig && sorted && work);
		for (int p = 0; p < SEL_NPATTERNS; p++) {
			uint64_t seed = 77 + n + (uint64_t)p * 1000;
			sel_fill(orig, n, (enum sel_pattern)p, &seed);
			memcpy(sorted, orig, n * sizeof *sorted);
			qsort(sorted, n, sizeof *sorted, cmp_i64);
			/* Pairs (k, k2): all of them for small n, a few otherwise. */
			size_t step = n <= 17 ? 1 : n / 7 + 1;
			for (size_t k = 0; k < n; k += step)
				for (size_t k2 = 0; k2 < n; k2 += step) {
					memcpy(work, orig, n * sizeof *work);
					cr_assert_eq(stats_select_i64(work, n, k), sorted[k]);
					int64_t got = k2 >= k ? stats_select_i64(work + k, n - k, k2 - k)
							      : stats_select_i64(work, k, k2);
					cr_assert_eq(got, sorted[k2],
						     "%s n=%zu k=%zu then k2=%zu: got %lld want %lld",
						     sel_name[p], n, k, k2, (long long)got,
						     (long long)sorted[k2]);
				}
			/* A chain of increasing ranks, each selected within the previous suffix. */
			size_t chain[] = { n / 2, n * 9 / 10, n * 99 / 100, n * 999 / 1000, n - 1 };
			memcpy(work, orig, n * sizeof *work);
			size_t base = 0;
			for (size_t c = 0; c < sizeof chain / sizeof chain[0]; c++) {
				size_t k = chain[c];
				int64_t got = stats_select_i64(work + base, n - base, k - base);
				cr_assert_eq(got, sorted[k], "%s n=%zu chain rank %zu: got %lld want %lld",
					     sel_name[p], n, k, (long long)got, (long long)sorted[k]);
				base = k;
			}
		}
		free(orig);
		free(sorted);
		free(work);
	}
}

/*
 * McIlroy's adversary ("A killer adversary for quicksort", 1999) against a replica of
 * the selection loop the header documents (median of the first, middle and last values,
 * Hoare partitioning): values start undecided ("gas") and are fixed only when compared,
 * the pivot candidate first, so every pivot comes out among the smallest of its range.
 * Running the replica on position indices yields an input on which the median-of-3
 * pivots are as bad as they can be; the real function must still be right.
 */
struct adversary {
	int64_t *val; /* value of each position; gas until fixed */
	int64_t gas;
	int64_t nsolid;
	size_t candidate;
};
static struct adversary adv;

static int adv_cmp(size_t x, size_t y)
{
	if (adv.val[x] == adv.gas && adv.val[y] == adv.gas) {
		if (x == adv.candidate)
			adv.val[x] = adv.nsolid++;
		else
			adv.val[y] = adv.nsolid++;
	}
	if (adv.val[x] == adv.gas)
		adv.candidate = x;
	else if (adv.val[y] == adv.gas)
		adv.candidate = y;
	return (adv.val[x] > adv.val[y]) - (adv.val[x] < adv.val[y]);
}

/*
 * Builds the adversarial input for (n, k) into v, following the replica for at most
 * max_rounds partitioning rounds (the real function gives up after 64: an unlimited
 * replica makes the range it then sorts adversarial too); returns the rounds it ran.
 */
static long adversarial_input(int64_t *v, size_t n, size_t k, long max_rounds)
{
	size_t *a = malloc(n * sizeof *a);
	cr_assert(a);
	adv = (struct adversary){ .val = v, .gas = (int64_t)n + 1, .nsolid = 0, .candidate = 0 };
	for (size_t i = 0; i < n; i++) {
		a[i] = i;
		v[i] = adv.gas;
	}
	size_t lo = 0, hi = n - 1, t;
	long rounds = 0;
	while (hi > lo) {
		if (hi - lo < 16 || rounds + 1 > max_rounds)
			break;
		rounds++;
		size_t mid = lo + (hi - lo) / 2;
		if (adv_cmp(a[mid], a[lo]) < 0)
			t = a[mid], a[mid] = a[lo], a[lo] = t;
		if (adv_cmp(a[hi], a[lo]) < 0)
			t = a[hi], a[hi] = a[lo], a[lo] = t;
		if (adv_cmp(a[hi], a[mid]) < 0)
			t = a[hi], a[hi] = a[mid], a[mid] = t;
		size_t pivot = a[mid], i = lo, j = hi;
		while (i <= j) {
			while (adv_cmp(a[i], pivot) < 0)
				i++;
			while (adv_cmp(a[j], pivot) > 0)
				j--;
			if (i <= j) {
				t = a[i], a[i] = a[j], a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	/* Values never compared get the largest ones: consistent with every answer given. */
	for (size_t i = 0; i < n; i++)
		if (v[i] == adv.gas)
			v[i] = adv.nsolid++;
	free(a);
	return rounds;
}

Test(select, adversarial_median_of_3_inputs_are_still_correct, .timeout = 60)
{
	static const size_t sizes[] = { 17, 100, 1000, 4000, 100000 };
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s];
		/* The replica costs O(n^2) when unlimited: 64 rounds only for the largest. */
		long max_rounds = n <= 4000 ? LONG_MAX : 64;
		int64_t *orig = malloc(n * sizeof *orig), *sorted = malloc(n * sizeof *sorted);
		int64_t *work = malloc(n * sizeof *work), *perm = malloc(n * sizeof *perm);
		cr_assert(orig && sorted && work && perm);
		size_t targets[] = { n / 2, n / 3, n - 1, 0 };
		for (size_t ti = 0; ti < sizeof targets / sizeof targets[0]; ti++) {
			size_t k = targets[ti];
			long rounds = adversarial_input(orig, n, k, max_rounds);
			if (n >= 1000 && k == n / 2)
				/* The adversary works: the median of 3 strips few values a round,
				 * so the real function reaches its 64-round limit. */
				cr_expect(max_rounds == 64 ? rounds == 64 : rounds > 64,
					  "n=%zu k=%zu: the adversary ran %ld rounds", n, k, rounds);
			memcpy(sorted, orig, n * sizeof *sorted);
			qsort(sorted, n, sizeof *sorted, cmp_i64);
			/* The input is a permutation of 0 .. n-1. */
			for (size_t i = 0; i < n; i++)
				cr_assert_eq(sorted[i], (int64_t)i);
			check_select_i64(orig, sorted, n, k, work, perm, true, "adversarial");
			/* Other ranks on the same input too. */
			check_select_i64(orig, sorted, n, n - 1 - k, work, perm, false, "adversarial");
			check_select_i64(orig, sorted, n, (k + n / 5) % n, work, perm, false,
					 "adversarial");
		}
		free(orig);
		free(sorted);
		free(work);
		free(perm);
	}
}

/* ---- selection of doubles ---- */

static void check_select_f64(const double *orig, const double *sorted, size_t n, size_t k,
			     double *work, const char *what)
{
	memcpy(work, orig, n * sizeof *work);
	double got = stats_select_f64(work, n, k);
	cr_assert(got == sorted[k], "%s n=%zu k=%zu: returned %.17g, want %.17g", what, n, k, got,
		  sorted[k]);
	cr_assert(work[k] == sorted[k], "%s n=%zu k=%zu: v[k] = %.17g, want %.17g", what, n, k,
		  work[k], sorted[k]);
	size_t bad = SIZE_MAX;
	for (size_t i = 0; i < n && bad == SIZE_MAX; i++)
		if ((i < k && work[i] > work[k]) || (i > k && work[i] < work[k]))
			bad = i;
	cr_assert_eq(bad, SIZE_MAX, "%s n=%zu k=%zu: v[%zu] = %.17g on the wrong side of %.17g",
		     what, n, k, bad, bad == SIZE_MAX ? 0.0 : work[bad], work[k]);
}

static void fill_f64(double *v, size_t n, int kind, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rng_next(seed);
		double u = (double)(r >> 11) * 0x1p-53;
		switch (kind) {
		case 0: /* random, both signs */
			v[i] = (u - 0.5) * 1e6;
			break;
		case 1: /* heavy duplicates with signed zeros, infinities and subnormals */ {
			static const double d[] = { -0.0, 0.0, 1.5, -1.5, INFINITY, -INFINITY,
						    4.9e-324, -4.9e-324, 1e300 };
			v[i] = d[r % (sizeof d / sizeof d[0])];
			break;
		}
		case 2: v[i] = 3.25; break;
		case 3: v[i] = (double)i * 0.5 - 7.0; break;
		case 4: v[i] = (double)(n - i) * 0.1; break;
		case 5: v[i] = (double)(i < n / 2 ? i + 1 : n - i); break;
		default: /* lognormal-ish latencies */
			v[i] = exp(8.0 + 2.0 * (u - 0.5)) * (1.0 + (double)(r & 3));
			break;
		}
	}
}

static const char *const f64_kind_name[] = { "random", "dup-zeros-inf", "all-equal", "sorted",
					     "reversed", "organ-pipe", "latencies" };

Test(select, f64_equals_sorted_k_with_partition_and_nested_use, .timeout = 120)
{
	for (size_t s = 0; s < sizeof sel_sizes / sizeof sel_sizes[0]; s++) {
		size_t n = sel_sizes[s];
		double *orig = malloc(n * sizeof *orig), *sorted = malloc(n * sizeof *sorted);
		double *work = malloc(n * sizeof *work);
		cr_assert(orig && sorted && work);
		for (int kind = 0; kind < 7; kind++) {
			uint64_t seed = 4242 + n * 7 + (uint64_t)kind;
			fill_f64(orig, n, kind, &seed);
			memcpy(sorted, orig, n * sizeof *sorted);
			qsort(sorted, n, sizeof *sorted, cmp_f64);
			if (n <= 1000) {
				for (size_t k = 0; k < n; k++)
					check_select_f64(orig, sorted, n, k, work, f64_kind_name[kind]);
			} else {
				size_t ks[] = { 0, 1, n / 4, n / 2, n / 2 + 1, n * 9 / 10,
						n * 99 / 100, n - 2, n - 1 };
				for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
					check_select_f64(orig, sorted, n, ks[i], work,
							 f64_kind_name[kind]);
			}
			/* Nested: select k, then k2 - k within v + k. */
			size_t step = n <= 17 ? 1 : n / 5 + 1;
			for (size_t k = 0; k < n; k += step)
				for (size_t k2 = k; k2 < n; k2 += step) {
					memcpy(work, orig, n * sizeof *work);
					cr_assert(stats_select_f64(work, n, k) == sorted[k]);
					double got = stats_select_f64(work + k, n - k, k2 - k);
					cr_assert(got == sorted[k2],
						  "%s n=%zu k=%zu then k2=%zu: got %.17g want %.17g",
						  f64_kind_name[kind], n, k, k2, got, sorted[k2]);
				}
		}
		free(orig);
		free(sorted);
		free(work);
	}
}

Test(select, f64_adversarial_input_is_still_correct, .timeout = 60)
{
	size_t n = 100000;
	int64_t *iv = malloc(n * sizeof *iv);
	double *orig = malloc(n * sizeof *orig), *sorted = malloc(n * sizeof *sorted);
	double *work = malloc(n * sizeof *work);
	cr_assert(iv && orig && sorted && work);
	adversarial_input(iv, n, n / 2, 64);
	for (size_t i = 0; i < n; i++)
		orig[i] = (double)iv[i] * 1e-3 - 20.0;
	memcpy(sorted, orig, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_f64);
	check_select_f64(orig, sorted, n, n / 2, work, "adversarial");
	check_select_f64(orig, sorted, n, n * 99 / 100, work, "adversarial");
	free(iv);
	free(orig);
	free(sorted);
	free(work);
}

/* ---- percentile labels ---------------------------------------------------------------- */

Test(percentile_label, never_rounds_up_to_p100, .timeout = 10)
{
	cr_expect_str_eq(stats_percentile_label(0.5).s, "p50");
	cr_expect_str_eq(stats_percentile_label(0.99).s, "p99");
	cr_expect_str_eq(stats_percentile_label(0.999).s, "p99.9");
	cr_expect_str_eq(stats_percentile_label(0.97).s, "p97");
	cr_expect_str_eq(stats_percentile_label(0.999999999999).s, "p99.9999999999");
	cr_expect_str_eq(stats_percentile_label(0.99999996).s, "p99.999996");
	cr_expect_str_eq(stats_percentile_label(nextafter(1.0, 0.0)).s, "p99.99999999999999");
	cr_expect_str_eq(stats_percentile_label(NAN).s, "p?");
	for (double p = 0.9; p < 1.0; p = p + (1.0 - p) * 0.5) {
		const char *l = stats_percentile_label(p).s;
		cr_expect(strcmp(l, "p100") && strtod(l + 1, NULL) < 100.0, "%.17g gives %s", p, l);
	}
}

/* stats_rng_new gives the very generator gsl_rng_alloc + gsl_rng_set give (the same
 * draws for the same seed), without GSL's aborting error handler on the way. */
Test(rng, stats_rng_new_draws_what_gsl_would, .timeout = 10)
{
    static const unsigned long seeds[] = {0, 1, 42, 0xdeadbeefUL};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        gsl_rng *a = stats_rng_new(seeds[i]);
        gsl_rng *b = gsl_rng_alloc(gsl_rng_mt19937);
        cr_assert(a && b);
        gsl_rng_set(b, seeds[i]);
        for (int k = 0; k < 1000; k++)
            cr_expect_eq(gsl_rng_get(a), gsl_rng_get(b), "seed %lu draw %d", seeds[i], k);
        stats_rng_free(a);
        gsl_rng_free(b);
    }
    stats_rng_free(NULL);
}
