/*
 * test_stats_ci.c - confidence intervals in stats/: Student's t distribution (tail and
 * critical values), the t interval of the mean against SciPy, the bootstrap (percentile
 * and BCa), the moving-block bootstrap, batch means and the ratio of means.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "stats/stats.h"
#include "tests/data/stats_ref_ci.h"

/*
 * Criterion 2.4.1's runner process leaks a few blocks when tests run in parallel, which
 * makes LeakSanitizer fail ASan builds; ignore leaks allocated inside libcriterion only.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void expect_rel(double got, double want, double tol, const char *what, const char *name)
{
	double rel = fabs(got - want) / fabs(want);
	cr_expect(rel <= tol, "%s (%s): got %.17g want %.17g (relative error %.3g > %.1g)", what,
		  name, got, want, rel, tol);
}

/* n draws from N(mean, sd) from a GSL MT19937 seeded with seed; caller frees. */
static double *normal_sample(unsigned long seed, size_t n, double mean, double sd)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cr_assert_not_null(r);
	gsl_rng_set(r, seed);
	double *x = malloc(n * sizeof *x);
	cr_assert_not_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = mean + gsl_ran_gaussian(r, sd);
	gsl_rng_free(r);
	return x;
}

/* An AR(1) series x_t = mean + phi (x_(t-1) - mean) + e_t, strongly autocorrelated. */
static double *ar1_series(unsigned long seed, size_t n, double mean, double phi, double sd)
{
	double *e = normal_sample(seed, n, 0.0, sd);
	double prev = 0.0;
	for (size_t i = 0; i < n; i++) {
		prev = phi * prev + e[i];
		e[i] = mean + prev;
	}
	return e;
}

static stats_boot_opts opts(size_t B, double conf, stats_boot_method m, unsigned long seed)
{
	return (stats_boot_opts){ .resamples = B, .confidence = conf, .method = m, .seed = seed };
}

/* ---- the t distribution --------------------------------------------------------------- */

Test(t_distribution, critical_values_match_reference, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_tcrit); i++) {
		char what[64];
		snprintf(what, sizeof what, "C=%g df=%g", ref_tcrit[i][0], ref_tcrit[i][1]);
		expect_rel(stats_t_critical(ref_tcrit[i][0], ref_tcrit[i][1]), ref_tcrit[i][2], 1e-12,
			   "t_crit", what);
	}
	/* Textbook values. */
	expect_rel(stats_t_critical(0.95, 29), 2.045229642132703, 1e-12, "t_crit", "95%, 29");
	expect_rel(stats_t_critical(0.95, INFINITY), 1.959963984540054, 1e-14, "z", "95%");
}

Test(t_distribution, two_sided_p_matches_scipy, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_tp); i++) {
		char what[64];
		snprintf(what, sizeof what, "t=%g df=%g", ref_tp[i][0], ref_tp[i][1]);
		expect_rel(stats_t_pvalue_two_sided(ref_tp[i][0], ref_tp[i][1]), ref_tp[i][2], 1e-11,
			   "p", what);
	}
}

Test(t_distribution, critical_value_inverts_the_p_value, .timeout = 10)
{
	static const double dfs[] = { 1, 2, 3, 4.5, 10, 31.3, 57.9, 197.8, 1e3, 5e4, 2e5, 1e7 };
	static const double cs[] = { 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.999999 };
	for (size_t i = 0; i < COUNT(dfs); i++)
		for (size_t j = 0; j < COUNT(cs); j++) {
			double t = stats_t_critical(cs[j], dfs[i]);
			char what[64];
			snprintf(what, sizeof what, "C=%g df=%g", cs[j], dfs[i]);
			expect_rel(stats_t_pvalue_two_sided(t, dfs[i]), 1.0 - cs[j], 1e-11, "p(t_crit)",
				   what);
		}
}

Test(t_distribution, edges_and_invalid_arguments, .timeout = 10)
{
	cr_expect_eq(stats_t_pvalue_two_sided(0.0, 5), 1.0);
	cr_expect_eq(stats_t_pvalue_two_sided(INFINITY, 5), 0.0);
	cr_expect_eq(stats_t_pvalue_two_sided(-INFINITY, 5), 0.0);
	/* Cauchy (df = 1): P[|T| >= 1] = 1/2 exactly. */
	expect_rel(stats_t_pvalue_two_sided(1.0, 1.0), 0.5, 1e-15, "Cauchy", "t=1");
	/* Far tail of a Cauchy: 2 atan(1/t) / pi ~ 2 / (pi t) for t = 1e200. */
	expect_rel(stats_t_pvalue_two_sided(1e200, 1.0), 2.0 / (M_PI * 1e200), 1e-12, "Cauchy",
		   "t=1e200");
	cr_expect(isnan(stats_t_pvalue_two_sided(NAN, 5)));
	cr_expect(isnan(stats_t_pvalue_two_sided(1.0, 0.0)));
	cr_expect(isnan(stats_t_pvalue_two_sided(1.0, -3.0)));
	cr_expect(isnan(stats_t_critical(1.0, 5)));
	cr_expect(isnan(stats_t_critical(0.0, 5)));
	cr_expect(isnan(stats_t_critical(0.95, 0.0)));
	cr_expect(isnan(stats_t_critical(0.95, NAN)));
}

/* ---- t interval of the mean ------------------------------------------------------------- */

Test(ci_mean_t, matches_scipy_t_interval, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_tcis); i++) {
		const struct ref_tci *c = &ref_tcis[i];
		stats_ci r;
		cr_assert_eq(stats_ci_mean_t(c->x, c->n, c->confidence, &r), 0, "%s", c->name);
		expect_rel(r.estimate, c->mean, 1e-14, "mean", c->name);
		expect_rel(r.se, c->se, 1e-10, "se", c->name);
		expect_rel(r.lo, c->lo, 1e-9, "low", c->name);
		expect_rel(r.hi, c->hi, 1e-9, "high", c->name);
		/* The half-width alone, where a large mean cannot hide an error. */
		expect_rel(r.hi - r.estimate, c->hi - c->mean, 1e-9, "half-width", c->name);
		/* SciPy 1.10's stats.t.interval itself, whose t.ppf is off by up to 3.2e-9. */
		expect_rel(r.hi - r.estimate, c->scipy_hi - c->mean, 5e-9, "half-width vs t.interval",
			   c->name);
		cr_expect_eq(r.df, (double)(c->n - 1));
		cr_expect_eq(r.n, c->n);
		cr_expect_eq(r.confidence, c->confidence);
	}
}

Test(ci_mean_t, constant_sample_has_zero_width, .timeout = 10)
{
	double x[4] = { 7, 7, 7, 7 };
	stats_ci r;
	cr_assert_eq(stats_ci_mean_t(x, 4, 0.95, &r), 0);
	cr_expect(r.lo == 7.0 && r.hi == 7.0 && r.se == 0.0);
}

Test(ci_mean_t, rejects_bad_input, .timeout = 10)
{
	double x[3] = { 1, 2, 3 }, bad[3] = { 1, NAN, 3 };
	stats_ci r;
	memset(&r, 0x33, sizeof r);
	stats_ci before = r;
	cr_expect_eq(stats_ci_mean_t(x, 1, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_ci_mean_t(NULL, 3, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_ci_mean_t(bad, 3, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_ci_mean_t(x, 3, 1.0, &r), -EINVAL);
	cr_expect_eq(stats_ci_mean_t(x, 3, -0.5, &r), -EINVAL);
	cr_expect_eq(stats_ci_mean_t(x, 3, 0.95, NULL), -EINVAL);
	cr_expect_eq(memcmp(&r, &before, sizeof r), 0, "out was modified on error");
}

/* ---- bootstrap ---------------------------------------------------------------------- */

Test(bootstrap, percentile_and_bca_contain_the_true_mean_of_a_normal_sample, .timeout = 20)
{
	double *x = normal_sample(2024, 50, 10.0, 2.0);
	for (int m = 0; m < 2; m++) {
		stats_boot_opts o = opts(4000, 0.95, m ? STATS_BOOT_BCA : STATS_BOOT_PERCENTILE, 7);
		stats_boot_result r;
		cr_assert_eq(stats_bootstrap_ci(x, 50, stats_stat_mean, NULL, &o, &r), 0);
		cr_expect(r.lo < 10.0 && 10.0 < r.hi, "method %d: [%g, %g]", m, r.lo, r.hi);
		cr_expect(r.lo < r.estimate && r.estimate < r.hi);
		expect_rel(r.estimate, stats_mean(x, 50), 1e-15, "estimate", "mean");
		/* The bootstrap SE of the mean is close to s / sqrt(n). */
		expect_rel(r.se, stats_sd(x, 50) / sqrt(50.0), 0.08, "bootstrap se", "mean");
		/* And the interval is close to the t interval. */
		stats_ci t;
		cr_assert_eq(stats_ci_mean_t(x, 50, 0.95, &t), 0);
		cr_expect(fabs(r.lo - t.lo) < 0.15 && fabs(r.hi - t.hi) < 0.15,
			  "method %d: [%g, %g] vs t [%g, %g]", m, r.lo, r.hi, t.lo, t.hi);
		cr_expect_eq(r.resamples, 4000);
		cr_expect_eq(r.block_len, 1);
		cr_expect_eq(r.method, o.method);
		if (m == 0)
			cr_expect(isnan(r.z0) && isnan(r.accel));
	}
	free(x);
}

Test(bootstrap, same_seed_same_interval_other_seed_other_interval, .timeout = 20)
{
	double *x = normal_sample(5, 40, 3.0, 1.0);
	double p = 0.5;
	for (int m = 0; m < 2; m++) {
		stats_boot_opts o = opts(1000, 0.9, m ? STATS_BOOT_BCA : STATS_BOOT_PERCENTILE, 99);
		stats_boot_result r1, r2, r3;
		memset(&r1, 0, sizeof r1);
		memset(&r2, 0, sizeof r2);
		cr_assert_eq(stats_bootstrap_ci(x, 40, stats_stat_quantile, &p, &o, &r1), 0);
		cr_assert_eq(stats_bootstrap_ci(x, 40, stats_stat_quantile, &p, &o, &r2), 0);
		cr_expect_eq(r1.lo, r2.lo);
		cr_expect_eq(r1.hi, r2.hi);
		cr_expect_eq(r1.se, r2.se);
		o.seed = 100;
		cr_assert_eq(stats_bootstrap_ci(x, 40, stats_stat_quantile, &p, &o, &r3), 0);
		cr_expect(r3.lo != r1.lo || r3.hi != r1.hi || r3.se != r1.se);
		cr_expect_eq(r3.estimate, r1.estimate);
	}
	free(x);
}

Test(bootstrap, bca_acceleration_of_the_mean_is_the_skewness_formula, .timeout = 10)
{
	/* For the mean, the jackknife gives a = sum (x - m)^3 / (6 (sum (x - m)^2)^1.5). */
	double x[12] = { 1, 1.5, 2, 2.2, 3, 3.1, 4, 6, 9, 13, 20, 35 };
	double m = stats_mean(x, 12), s2 = 0, s3 = 0;
	for (int i = 0; i < 12; i++) {
		s2 += (x[i] - m) * (x[i] - m);
		s3 += (x[i] - m) * (x[i] - m) * (x[i] - m);
	}
	stats_boot_opts o = opts(2000, 0.95, STATS_BOOT_BCA, 3);
	stats_boot_result r;
	cr_assert_eq(stats_bootstrap_ci(x, 12, stats_stat_mean, NULL, &o, &r), 0);
	expect_rel(r.accel, s3 / (6.0 * pow(s2, 1.5)), 1e-12, "acceleration", "mean");
	cr_expect(r.accel > 0.0, "right-skewed data accelerate upwards");
	/* Skewed right: BCa moves the interval up against the percentile interval. */
	stats_boot_result pc;
	o.method = STATS_BOOT_PERCENTILE;
	cr_assert_eq(stats_bootstrap_ci(x, 12, stats_stat_mean, NULL, &o, &pc), 0);
	cr_expect(r.hi > pc.hi, "BCa high %g vs percentile high %g", r.hi, pc.hi);
}

Test(bootstrap, coverage_of_95_percent_intervals_is_close_to_95, .timeout = 60)
{
	/* 200 seeded samples of 30 from N(0, 1); count intervals containing 0. */
	int hit_pc = 0, hit_bca = 0, trials = 200;
	for (int t = 0; t < trials; t++) {
		double *x = normal_sample(500 + (unsigned long)t, 30, 0.0, 1.0);
		stats_boot_opts o = opts(1000, 0.95, STATS_BOOT_PERCENTILE, (unsigned long)t);
		stats_boot_result r;
		cr_assert_eq(stats_bootstrap_ci(x, 30, stats_stat_mean, NULL, &o, &r), 0);
		hit_pc += r.lo < 0.0 && 0.0 < r.hi;
		o.method = STATS_BOOT_BCA;
		cr_assert_eq(stats_bootstrap_ci(x, 30, stats_stat_mean, NULL, &o, &r), 0);
		hit_bca += r.lo < 0.0 && 0.0 < r.hi;
		free(x);
	}
	/* Bootstrap intervals of the mean undercover slightly at n = 30 (~93%). */
	cr_expect(hit_pc >= 176 && hit_pc <= 196, "percentile: %d of %d", hit_pc, trials);
	cr_expect(hit_bca >= 176 && hit_bca <= 196, "BCa: %d of %d", hit_bca, trials);
}

static double nan_stat(const double *x, size_t n, void *ctx)
{
	(void)x;
	int *calls = ctx;
	return ++*calls > 3 || n < 2 ? NAN : 1.0;
}

static double const_stat(const double *x, size_t n, void *ctx)
{
	(void)x;
	(void)n;
	(void)ctx;
	return 4.0;
}

static double max_stat(const double *x, size_t n, void *ctx)
{
	(void)ctx;
	double m = x[0];
	for (size_t i = 1; i < n; i++)
		m = x[i] > m ? x[i] : m;
	return m;
}

Test(bootstrap, bad_input_and_undefined_results, .timeout = 10)
{
	double x[5] = { 1, 2, 3, 4, 5 }, bad[5] = { 1, 2, NAN, 4, 5 };
	stats_boot_opts o = opts(100, 0.95, STATS_BOOT_PERCENTILE, 1);
	stats_boot_result r;
	memset(&r, 0x44, sizeof r);
	stats_boot_result before = r;
	cr_expect_eq(stats_bootstrap_ci(x, 1, stats_stat_mean, NULL, &o, &r), -EINVAL);
	cr_expect_eq(stats_bootstrap_ci(bad, 5, stats_stat_mean, NULL, &o, &r), -EINVAL);
	cr_expect_eq(stats_bootstrap_ci(NULL, 5, stats_stat_mean, NULL, &o, &r), -EINVAL);
	cr_expect_eq(stats_bootstrap_ci(x, 5, NULL, NULL, &o, &r), -EINVAL);
	cr_expect_eq(stats_bootstrap_ci(x, 5, stats_stat_mean, NULL, NULL, &r), -EINVAL);
	cr_expect_eq(stats_bootstrap_ci(x, 5, stats_stat_mean, NULL, &o, NULL), -EINVAL);
	stats_boot_opts b = o;
	b.resamples = 1;
	cr_expect_eq(stats_bootstrap_ci(x, 5, stats_stat_mean, NULL, &b, &r), -EINVAL);
	b = o;
	b.confidence = 1.0;
	cr_expect_eq(stats_bootstrap_ci(x, 5, stats_stat_mean, NULL, &b, &r), -EINVAL);
	b = o;
	b.method = (stats_boot_method)9;
	cr_expect_eq(stats_bootstrap_ci(x, 5, stats_stat_mean, NULL, &b, &r), -EINVAL);
	/* A statistic that starts returning NaN mid-way. */
	int calls = 0;
	cr_expect_eq(stats_bootstrap_ci(x, 5, nan_stat, &calls, &o, &r), -EDOM);
	/* The quantile statistic without its ctx returns NaN. */
	cr_expect_eq(stats_bootstrap_ci(x, 5, stats_stat_quantile, NULL, &o, &r), -EDOM);
	/* BCa of the maximum: no replicate exceeds the estimate, most equal it; fine. */
	b = o;
	b.method = STATS_BOOT_BCA;
	cr_expect_eq(stats_bootstrap_ci(x, 5, max_stat, NULL, &b, &r), 0);
	cr_expect(r.hi <= 5.0);
	cr_expect_eq(memcmp(&before, &before, sizeof r), 0);
	/* A constant statistic: z0 = 0, a = 0, zero-width interval. */
	cr_expect_eq(stats_bootstrap_ci(x, 5, const_stat, NULL, &b, &r), 0);
	cr_expect(r.lo == 4.0 && r.hi == 4.0 && r.z0 == 0.0 && r.accel == 0.0);
}

Test(bootstrap, untouched_output_on_error, .timeout = 10)
{
	double x[5] = { 1, 2, 3, 4, 5 };
	stats_boot_opts o = opts(1, 0.95, STATS_BOOT_PERCENTILE, 1);
	stats_boot_result r;
	memset(&r, 0x44, sizeof r);
	stats_boot_result before = r;
	cr_expect_eq(stats_bootstrap_ci(x, 5, stats_stat_mean, NULL, &o, &r), -EINVAL);
	int calls = 0;
	o.resamples = 50;
	cr_expect_eq(stats_bootstrap_ci(x, 5, nan_stat, &calls, &o, &r), -EDOM);
	cr_expect_eq(memcmp(&r, &before, sizeof r), 0);
}

/* ---- moving-block bootstrap ------------------------------------------------------------ */

Test(block_bootstrap, block_length_one_is_the_ordinary_percentile_bootstrap, .timeout = 10)
{
	double *x = normal_sample(31, 80, 1.0, 0.3);
	stats_boot_opts o = opts(1500, 0.95, STATS_BOOT_PERCENTILE, 12);
	stats_boot_result a, b;
	cr_assert_eq(stats_bootstrap_ci(x, 80, stats_stat_mean, NULL, &o, &a), 0);
	cr_assert_eq(stats_block_bootstrap_ci(x, 80, 1, stats_stat_mean, NULL, &o, &b), 0);
	cr_expect_eq(a.lo, b.lo);
	cr_expect_eq(a.hi, b.hi);
	cr_expect_eq(a.se, b.se);
	cr_expect_eq(b.block_len, 1);
	free(x);
}

Test(block_bootstrap, autocorrelated_series_gets_a_wider_interval, .timeout = 20)
{
	/* AR(1) with phi = 0.9: the variance of the mean is ~19x the iid formula. */
	size_t n = 4000;
	double *x = ar1_series(77, n, 100.0, 0.9, 1.0);
	stats_boot_opts o = opts(2000, 0.95, STATS_BOOT_PERCENTILE, 5);
	stats_boot_result iid, blk;
	cr_assert_eq(stats_bootstrap_ci(x, n, stats_stat_mean, NULL, &o, &iid), 0);
	cr_assert_eq(stats_block_bootstrap_ci(x, n, 100, stats_stat_mean, NULL, &o, &blk), 0);
	double w_iid = iid.hi - iid.lo, w_blk = blk.hi - blk.lo;
	cr_expect(w_blk > 3.0 * w_iid, "block width %g vs iid %g", w_blk, w_iid);
	/* The SE of an AR(1) mean is sqrt(var / n * (1 + phi) / (1 - phi)) = 0.158 here. */
	expect_rel(blk.se, 0.158, 0.25, "block bootstrap se", "AR(1)");
	cr_expect_eq(blk.block_len, 100);
	cr_expect(isnan(blk.z0) && isnan(blk.accel));
	/* Block length 0 picks round(n^(1/3)) = 16. */
	cr_assert_eq(stats_block_bootstrap_ci(x, n, 0, stats_stat_mean, NULL, &o, &blk), 0);
	cr_expect_eq(blk.block_len, 16);
	free(x);
}

Test(block_bootstrap, block_bootstrap_and_batch_means_cover_where_iid_methods_fail,
     .timeout = 60)
{
	/*
	 * 100 AR(1) series (phi = 0.9, mean 100) of 2000 values: the 95% intervals of the
	 * mean from the block bootstrap (blocks of 100) and from 20 batch means should
	 * contain 100 about 90-95% of the time; the iid bootstrap, blind to the
	 * correlation, about 35%.
	 */
	int trials = 100, hit_blk = 0, hit_bm = 0, hit_iid = 0;
	size_t n = 2000;
	for (int t = 0; t < trials; t++) {
		double *x = ar1_series(9000 + (unsigned long)t, n, 100.0, 0.9, 1.0);
		stats_boot_opts o = opts(500, 0.95, STATS_BOOT_PERCENTILE, (unsigned long)t);
		stats_boot_result r;
		cr_assert_eq(stats_block_bootstrap_ci(x, n, 100, stats_stat_mean, NULL, &o, &r), 0);
		hit_blk += r.lo < 100.0 && 100.0 < r.hi;
		cr_assert_eq(stats_bootstrap_ci(x, n, stats_stat_mean, NULL, &o, &r), 0);
		hit_iid += r.lo < 100.0 && 100.0 < r.hi;
		stats_ci c;
		cr_assert_eq(stats_batch_means_ci(x, n, 20, NULL, NULL, 0.95, &c), 0);
		hit_bm += c.lo < 100.0 && 100.0 < c.hi;
		free(x);
	}
	cr_expect(hit_blk >= 82, "block bootstrap covered %d of %d", hit_blk, trials);
	cr_expect(hit_bm >= 85, "batch means covered %d of %d", hit_bm, trials);
	cr_expect(hit_iid <= 60, "iid bootstrap covered %d of %d", hit_iid, trials);
}

Test(block_bootstrap, percentile_statistic_of_a_latency_series, .timeout = 20)
{
	size_t n = 3000;
	double *x = ar1_series(8, n, 5.0, 0.5, 0.2);
	for (size_t i = 0; i < n; i++)
		x[i] = exp(x[i]); /* lognormal-ish latencies, correlated */
	double p = 0.99;
	stats_boot_opts o = opts(500, 0.90, STATS_BOOT_PERCENTILE, 1);
	stats_boot_result r;
	cr_assert_eq(stats_block_bootstrap_ci(x, n, 50, stats_stat_quantile, &p, &o, &r), 0);
	cr_expect(r.lo <= r.estimate && r.estimate <= r.hi, "[%g, %g] around %g", r.lo, r.hi,
		  r.estimate);
	free(x);
}

Test(block_bootstrap, rejects_bad_input, .timeout = 10)
{
	double x[6] = { 1, 2, 3, 4, 5, 6 };
	stats_boot_opts o = opts(100, 0.95, STATS_BOOT_BCA, 1);
	stats_boot_result r;
	cr_expect_eq(stats_block_bootstrap_ci(x, 6, 2, stats_stat_mean, NULL, &o, &r), -EINVAL,
		     "BCa is refused for dependent data");
	o.method = STATS_BOOT_PERCENTILE;
	cr_expect_eq(stats_block_bootstrap_ci(x, 6, 7, stats_stat_mean, NULL, &o, &r), -EINVAL);
	cr_expect_eq(stats_block_bootstrap_ci(x, 1, 1, stats_stat_mean, NULL, &o, &r), -EINVAL);
	cr_expect_eq(stats_block_bootstrap_ci(x, 6, 6, stats_stat_mean, NULL, &o, &r), 0,
		     "one block of the whole series is allowed");
	cr_expect(r.lo == r.hi, "every resample is the series itself");
}

/* ---- moving-block bootstrap of several statistics at once ------------------------------ */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_stat(const double *x, size_t n, void *ctx)
{
	(void)ctx;
	double *c = malloc(n * sizeof *c);
	cr_assert_not_null(c);
	memcpy(c, x, n * sizeof *c);
	qsort(c, n, sizeof *c, cmp_dbl);
	double m = stats_quantile_interp(c, n, 0.5);
	free(c);
	return m;
}

/* The scalar statistics the vector ones below are made of, in their order. */
static const stats_statistic_fn mean_median_max[3] = { stats_stat_mean, median_stat, max_stat };

struct vec_ctx {
	size_t calls; /* how often the statistic ran */
	size_t fail_at; /* return non-zero on this call (1-based); 0: never */
	size_t nan_at;	/* give a NaN on this call... */
	size_t nan_j;	/* ...in this component */
	double bad;	/* the value given then (NaN or an infinity) */
};

/* mean, median (a sorted copy) and max, in one call. */
static int mean_median_max_vec(const double *x, size_t n, void *ctx, double *out)
{
	struct vec_ctx *c = ctx;
	size_t call = c ? ++c->calls : 0;
	for (size_t j = 0; j < 3; j++)
		out[j] = mean_median_max[j](x, n, NULL);
	if (c && call == c->nan_at)
		out[c->nan_j] = c->bad;
	return c && call == c->fail_at ? -1 : 0;
}

/* k interpolated quantiles, at the levels p[0..k-1]. */
struct quantiles_ctx {
	double *p;
	size_t k;
};

static int quantiles_vec(const double *x, size_t n, void *ctx, double *out)
{
	const struct quantiles_ctx *q = ctx;
	for (size_t j = 0; j < q->k; j++)
		out[j] = stats_stat_quantile(x, n, &q->p[j]);
	return 0;
}

static void expect_same_boot(const stats_boot_result *v, const stats_boot_result *s,
			     const char *what, size_t j)
{
#define SAME_F(f) cr_expect(v->f == s->f, "%s j=%zu: " #f " %.17g vs %.17g", what, j, v->f, s->f)
	SAME_F(estimate);
	SAME_F(lo);
	SAME_F(hi);
	SAME_F(confidence);
	SAME_F(se);
	SAME_F(bias);
#undef SAME_F
	cr_expect(isnan(v->z0) && isnan(s->z0), "%s j=%zu: z0 %g / %g", what, j, v->z0, s->z0);
	cr_expect(isnan(v->accel) && isnan(s->accel), "%s j=%zu: accel", what, j);
	cr_expect_eq(v->resamples, s->resamples, "%s j=%zu: resamples", what, j);
	cr_expect_eq(v->block_len, s->block_len, "%s j=%zu: block_len %zu vs %zu", what, j,
		     v->block_len, s->block_len);
	cr_expect_eq(v->method, s->method, "%s j=%zu: method", what, j);
}

Test(block_bootstrap_vec, each_statistic_equals_the_scalar_block_bootstrap, .timeout = 30)
{
	size_t n = 500;
	double *ar = ar1_series(404, n, 10.0, 0.7, 1.0);
	double *ties = normal_sample(405, n, 50.0, 3.0);
	for (size_t i = 0; i < n; i++)
		ties[i] = round(ties[i]); /* many equal values: medians land on ties */
	const double *series[2] = { ar, ties };
	static const char *const series_name[2] = { "AR(1)", "integers" };
	static const size_t blocks[] = { 1, 25, 0, 500, 499 };
	static const size_t Bs[] = { 2, 499, 1000 };
	for (size_t si = 0; si < 2; si++)
		for (size_t bi = 0; bi < COUNT(blocks); bi++)
			for (size_t ri = 0; ri < COUNT(Bs); ri++) {
				stats_boot_opts o = opts(Bs[ri], ri == 1 ? 0.9 : 0.95,
							 STATS_BOOT_PERCENTILE, 17 + bi + 100 * ri);
				char what[96];
				snprintf(what, sizeof what, "%s block_len=%zu B=%zu", series_name[si],
					 blocks[bi], Bs[ri]);
				stats_boot_result v[4];
				memset(v, 0x5c, sizeof v);
				stats_boot_result sentinel = v[3];
				struct vec_ctx c = { 0 };
				cr_assert_eq(stats_block_bootstrap_ci_vec(series[si], n, blocks[bi], 3,
									  mean_median_max_vec, &c, &o, v),
					     0, "%s", what);
				cr_expect_eq(c.calls, Bs[ri] + 1, "%s: %zu calls of the statistic", what,
					     c.calls);
				cr_expect_eq(memcmp(&v[3], &sentinel, sizeof sentinel), 0,
					     "%s: out[k] was written", what);
				for (size_t j = 0; j < 3; j++) {
					stats_boot_result s;
					cr_assert_eq(stats_block_bootstrap_ci(series[si], n, blocks[bi],
									      mean_median_max[j], NULL,
									      &o, &s),
						     0, "%s j=%zu", what, j);
					expect_same_boot(&v[j], &s, what, j);
					cr_expect(v[j].lo <= v[j].hi, "%s j=%zu", what, j);
				}
				/* block_len 0 is round(500^(1/3)) = 8. */
				cr_expect_eq(v[0].block_len, blocks[bi] ? blocks[bi] : 8, "%s", what);
			}
	free(ar);
	free(ties);
}

Test(block_bootstrap_vec, k_of_1_and_k_of_max, .timeout = 30)
{
	size_t n = 300;
	double *x = ar1_series(7, n, 3.0, 0.5, 0.5);
	for (size_t i = 0; i < n; i++)
		x[i] = exp(x[i]); /* skewed, latency-like */
	double p[STATS_BOOT_VEC_MAX];
	for (size_t j = 0; j < STATS_BOOT_VEC_MAX; j++)
		p[j] = (double)j / (double)(STATS_BOOT_VEC_MAX - 1); /* 0 (min) .. 1 (max) */
	stats_boot_opts o = opts(400, 0.95, STATS_BOOT_PERCENTILE, 99);
	static const size_t blocks[] = { 1, 10, 0 };
	for (size_t bi = 0; bi < COUNT(blocks); bi++) {
		stats_boot_result v[STATS_BOOT_VEC_MAX];
		struct quantiles_ctx q = { p, STATS_BOOT_VEC_MAX };
		cr_assert_eq(stats_block_bootstrap_ci_vec(x, n, blocks[bi], STATS_BOOT_VEC_MAX,
							  quantiles_vec, &q, &o, v),
			     0);
		for (size_t j = 0; j < STATS_BOOT_VEC_MAX; j++) {
			stats_boot_result s;
			cr_assert_eq(stats_block_bootstrap_ci(x, n, blocks[bi], stats_stat_quantile,
							      &p[j], &o, &s),
				     0);
			char what[64];
			snprintf(what, sizeof what, "p=%g block_len=%zu", p[j], blocks[bi]);
			expect_same_boot(&v[j], &s, what, j);
		}
		/* k = 1: the first quantile (the minimum) alone. */
		stats_boot_result one[2];
		memset(one, 0x77, sizeof one);
		stats_boot_result sentinel = one[1];
		struct quantiles_ctx q1 = { p, 1 };
		cr_assert_eq(stats_block_bootstrap_ci_vec(x, n, blocks[bi], 1, quantiles_vec, &q1, &o,
							  one),
			     0);
		expect_same_boot(&one[0], &v[0], "k=1", 0);
		cr_expect_eq(memcmp(&one[1], &sentinel, sizeof sentinel), 0, "out[1] was written");
	}
	/* Block length 1 is also the ordinary percentile bootstrap of each statistic. */
	stats_boot_result v[3];
	cr_assert_eq(stats_block_bootstrap_ci_vec(x, n, 1, 3, mean_median_max_vec, NULL, &o, v), 0);
	for (size_t j = 0; j < 3; j++) {
		stats_boot_result s;
		cr_assert_eq(stats_bootstrap_ci(x, n, mean_median_max[j], NULL, &o, &s), 0);
		expect_same_boot(&v[j], &s, "ordinary bootstrap", j);
	}
	free(x);
}

Test(block_bootstrap_vec, rejects_bad_input_and_leaves_out_untouched, .timeout = 10)
{
	double x[6] = { 1, 2, 3, 4, 5, 6 }, bad[6] = { 1, 2, NAN, 4, 5, 6 };
	double inf[6] = { 1, 2, 3, INFINITY, 5, 6 };
	stats_boot_opts o = opts(100, 0.95, STATS_BOOT_PERCENTILE, 1);
	stats_boot_result r[STATS_BOOT_VEC_MAX + 1];
	memset(r, 0x44, sizeof r);
	stats_boot_result before[STATS_BOOT_VEC_MAX + 1];
	memcpy(before, r, sizeof r);
	stats_vector_fn f = mean_median_max_vec;
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 0, f, NULL, &o, r), -EINVAL, "k = 0");
	double p[STATS_BOOT_VEC_MAX + 1] = { 0 };
	struct quantiles_ctx q = { p, STATS_BOOT_VEC_MAX + 1 };
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, STATS_BOOT_VEC_MAX + 1, quantiles_vec, &q,
						  &o, r),
		     -EINVAL, "k > STATS_BOOT_VEC_MAX");
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, SIZE_MAX, f, NULL, &o, r), -EINVAL);
	stats_boot_opts b = o;
	b.method = STATS_BOOT_BCA;
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, NULL, &b, r), -EINVAL, "BCa");
	b = o;
	b.method = (stats_boot_method)7;
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, NULL, &b, r), -EINVAL);
	b = o;
	b.resamples = 1;
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, NULL, &b, r), -EINVAL);
	b = o;
	b.confidence = 0.0;
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, NULL, &b, r), -EINVAL);
	b.confidence = NAN;
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, NULL, &b, r), -EINVAL);
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, NULL, NULL, r), -EINVAL);
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, NULL, NULL, &o, r), -EINVAL,
		     "NULL stat");
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, NULL, &o, NULL), -EINVAL,
		     "NULL out");
	cr_expect_eq(stats_block_bootstrap_ci_vec(NULL, 6, 2, 3, f, NULL, &o, r), -EINVAL);
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 1, 1, 3, f, NULL, &o, r), -EINVAL, "n = 1");
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 0, 0, 3, f, NULL, &o, r), -EINVAL, "n = 0");
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 7, 3, f, NULL, &o, r), -EINVAL,
		     "block_len > n");
	cr_expect_eq(stats_block_bootstrap_ci_vec(bad, 6, 2, 3, f, NULL, &o, r), -EINVAL, "NaN");
	cr_expect_eq(stats_block_bootstrap_ci_vec(inf, 6, 2, 3, f, NULL, &o, r), -EINVAL, "inf");
	cr_expect_eq(memcmp(r, before, sizeof r), 0, "out was modified on -EINVAL");

	/* The statistic fails (non-zero) on the data itself, or on a resample. */
	static const size_t at[] = { 1, 2, 50, 101 };
	for (size_t i = 0; i < COUNT(at); i++) {
		struct vec_ctx c = { .fail_at = at[i] };
		cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, &c, &o, r), -EDOM,
			     "failure on call %zu", at[i]);
		for (size_t j = 0; j < 3; j++) {
			double bads[] = { NAN, INFINITY, -INFINITY };
			struct vec_ctx d = { .nan_at = at[i], .nan_j = j, .bad = bads[(i + j) % 3] };
			cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, &d, &o, r), -EDOM,
				     "%g on call %zu in component %zu", d.bad, at[i], j);
		}
	}
	cr_expect_eq(memcmp(r, before, sizeof r), 0, "out was modified on -EDOM");
	/* The same statistic without a failure succeeds: call 102 is never made (B + 1). */
	struct vec_ctx c = { .fail_at = 102, .nan_at = 102, .bad = NAN };
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 2, 3, f, &c, &o, r), 0);
	cr_expect_eq(c.calls, 101);
	cr_expect_eq(memcmp(&r[3], &before[3], sizeof r[3]), 0, "out[k] was written");
	/* One block of the whole series: every resample is the series. */
	cr_expect_eq(stats_block_bootstrap_ci_vec(x, 6, 6, 3, f, NULL, &o, r), 0);
	for (size_t j = 0; j < 3; j++)
		cr_expect(r[j].lo == r[j].estimate && r[j].hi == r[j].estimate && r[j].se == 0.0);
}

/* ---- batch means ----------------------------------------------------------------------- */

Test(batch_means, equals_t_interval_of_the_batch_means, .timeout = 10)
{
	size_t n = 1000, k = 20;
	double *x = ar1_series(3, n, 50.0, 0.8, 2.0);
	double bm[20];
	for (size_t j = 0; j < k; j++)
		bm[j] = stats_mean(x + j * (n / k), n / k);
	stats_ci want, got;
	cr_assert_eq(stats_ci_mean_t(bm, k, 0.95, &want), 0);
	cr_assert_eq(stats_batch_means_ci(x, n, k, NULL, NULL, 0.95, &got), 0);
	expect_rel(got.estimate, want.estimate, 1e-14, "estimate", "batch means");
	expect_rel(got.lo, want.lo, 1e-14, "low", "batch means");
	expect_rel(got.hi, want.hi, 1e-14, "high", "batch means");
	expect_rel(got.estimate, stats_mean(x, n), 1e-13, "overall mean", "k divides n");
	cr_expect_eq(got.n, k);
	cr_expect_eq(got.df, (double)(k - 1));
	cr_expect(got.lo < 50.0 && 50.0 < got.hi, "[%g, %g]", got.lo, got.hi);
	/* An iid t interval on the same data is far too narrow. */
	stats_ci naive;
	cr_assert_eq(stats_ci_mean_t(x, n, 0.95, &naive), 0);
	cr_expect(got.hi - got.lo > 2.0 * (naive.hi - naive.lo));
	free(x);
}

Test(batch_means, uneven_batches_and_a_callback_statistic, .timeout = 10)
{
	/* n = 10, k = 3: batches [0,3), [3,6), [6,10) by floor(j n / k). */
	double x[10] = { 1, 2, 3, 10, 20, 30, 5, 5, 5, 9 };
	stats_ci r;
	cr_assert_eq(stats_batch_means_ci(x, 10, 3, NULL, NULL, 0.9, &r), 0);
	double bm[3] = { 2.0, 20.0, 6.0 };
	stats_ci t;
	cr_assert_eq(stats_ci_mean_t(bm, 3, 0.9, &t), 0);
	expect_rel(r.lo, t.lo, 1e-14, "low", "uneven");
	expect_rel(r.hi, t.hi, 1e-14, "high", "uneven");
	double p = 1.0; /* per-batch maximum via the quantile callback */
	cr_assert_eq(stats_batch_means_ci(x, 10, 3, stats_stat_quantile, &p, 0.9, &r), 0);
	expect_rel(r.estimate, (3.0 + 30.0 + 9.0) / 3.0, 1e-15, "mean of batch maxima", "uneven");
}

Test(batch_means, rejects_bad_input, .timeout = 10)
{
	double x[4] = { 1, 2, 3, 4 }, bad[4] = { 1, 2, INFINITY, 4 };
	stats_ci r;
	cr_expect_eq(stats_batch_means_ci(x, 4, 1, NULL, NULL, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_batch_means_ci(x, 4, 5, NULL, NULL, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_batch_means_ci(bad, 4, 2, NULL, NULL, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_batch_means_ci(NULL, 4, 2, NULL, NULL, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_batch_means_ci(x, 4, 2, NULL, NULL, 0.95, NULL), -EINVAL);
	cr_expect_eq(stats_batch_means_ci(x, 4, 2, NULL, NULL, 2.0, &r), -EINVAL);
	cr_expect_eq(stats_batch_means_ci(x, 4, 2, stats_stat_quantile, NULL, 0.95, &r), -EDOM);
	cr_expect_eq(stats_batch_means_ci(x, 4, 4, NULL, NULL, 0.95, &r), 0);
}

/* ---- ratio of means -------------------------------------------------------------------- */

Test(ratio_of_means, estimate_and_interval_cover_the_true_ratio, .timeout = 20)
{
	double *num = normal_sample(41, 30, 110.0, 5.0), *den = normal_sample(42, 25, 100.0, 5.0);
	for (int m = 0; m < 2; m++) {
		stats_boot_opts o = opts(4000, 0.95, m ? STATS_BOOT_BCA : STATS_BOOT_PERCENTILE, 8);
		stats_boot_result r;
		cr_assert_eq(stats_ratio_of_means_ci(num, 30, den, 25, &o, &r), 0);
		expect_rel(r.estimate, stats_mean(num, 30) / stats_mean(den, 25), 1e-15, "ratio",
			   "estimate");
		cr_expect(r.lo < 1.1 && 1.1 < r.hi, "method %d: [%g, %g]", m, r.lo, r.hi);
		cr_expect(r.lo > 1.0, "clearly above 1: [%g, %g]", r.lo, r.hi);
		/* Delta-method SE of the ratio as a sanity check on the spread. */
		double mn = stats_mean(num, 30), md = stats_mean(den, 25);
		double sn = stats_sd(num, 30) / sqrt(30.0), sd = stats_sd(den, 25) / sqrt(25.0);
		double se = (mn / md) * sqrt(sn * sn / (mn * mn) + sd * sd / (md * md));
		expect_rel(r.se, se, 0.1, "bootstrap se vs delta method", "ratio");
		if (m == 1)
			cr_expect(isfinite(r.accel) && isfinite(r.z0));
	}
	/* Deterministic for a seed. */
	stats_boot_opts o = opts(500, 0.9, STATS_BOOT_BCA, 77);
	stats_boot_result r1, r2;
	cr_assert_eq(stats_ratio_of_means_ci(num, 30, den, 25, &o, &r1), 0);
	cr_assert_eq(stats_ratio_of_means_ci(num, 30, den, 25, &o, &r2), 0);
	cr_expect(r1.lo == r2.lo && r1.hi == r2.hi && r1.accel == r2.accel);
	free(num);
	free(den);
}

Test(ratio_of_means, zero_denominator_and_bad_input, .timeout = 10)
{
	double num[3] = { 1, 2, 3 }, zero[3] = { -1, 0, 1 }, bad[3] = { 1, NAN, 2 };
	stats_boot_opts o = opts(100, 0.95, STATS_BOOT_PERCENTILE, 1);
	stats_boot_result r;
	cr_expect_eq(stats_ratio_of_means_ci(num, 3, zero, 3, &o, &r), -EDOM);
	cr_expect_eq(stats_ratio_of_means_ci(num, 1, num, 3, &o, &r), -EINVAL);
	cr_expect_eq(stats_ratio_of_means_ci(num, 3, bad, 3, &o, &r), -EINVAL);
	cr_expect_eq(stats_ratio_of_means_ci(NULL, 3, num, 3, &o, &r), -EINVAL);
	cr_expect_eq(stats_ratio_of_means_ci(num, 3, num, 3, NULL, &r), -EINVAL);
	cr_expect_eq(stats_ratio_of_means_ci(num, 3, num, 3, &o, NULL), -EINVAL);
	cr_expect_eq(stats_ratio_of_means_ci(num, 3, num, 3, &o, &r), 0);
	cr_expect_eq(r.estimate, 1.0);
}
