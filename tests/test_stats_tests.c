/*
 * test_stats_tests.c - two-sample tests and effect sizes in stats/: Welch's and Student's
 * t-tests, Mann-Whitney U, Cohen's d and Hedges' g, against reference values generated
 * by SciPy (tests/data/gen_stats_ref.py) and against brute-force definitions, plus the
 * course's significance cases and bad input.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "stats/stats.h"
#include "tests/data/stats_ref_tests.h"

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
	if (want == 0.0) {
		cr_expect(fabs(got) <= tol, "%s (%s): got %.17g want 0", what, name, got);
		return;
	}
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

/* ---- Welch and Student against SciPy ----------------------------------------------- */

/*
 * Tolerance for a t statistic: 1e-13, widened by the conditioning of the difference of
 * means.  Each mean is a double and cannot be closer than half an ulp to the exact mean,
 * so data sharing many leading digits (1e9 ns +- 1e3) limit any implementation.
 */
static double t_tolerance(const double *a, size_t n_a, const double *b, size_t n_b)
{
	double ma = stats_mean(a, n_a), mb = stats_mean(b, n_b);
	return 1e-13 + 4e-16 * (fabs(ma) + fabs(mb)) / fabs(ma - mb);
}

Test(welch, matches_scipy_ttest_ind_equal_var_false, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_ttests); i++) {
		const struct ref_ttest *c = &ref_ttests[i];
		stats_ttest_result r;
		cr_assert_eq(stats_welch_ttest(c->a, c->n_a, c->b, c->n_b, c->confidence, &r), 0,
			     "%s", c->name);
		double tol = t_tolerance(c->a, c->n_a, c->b, c->n_b);
		/* t and df against exact rational moments; SciPy's own t is limited by
		 * NumPy's rounded means (1.2e-8 off in the 1e9 ns case). */
		expect_rel(r.t, c->w_t_exact, tol, "Welch t (exact)", c->name);
		expect_rel(r.t, c->w_t, 1e-7, "Welch t (SciPy)", c->name);
		expect_rel(r.df, c->w_df_exact, 1e-12, "Welch df (exact)", c->name);
		expect_rel(r.df, c->w_df, 1e-9, "Welch df (SciPy)", c->name);
		expect_rel(r.p, c->w_p, 1e-9, "Welch p", c->name);
		expect_rel(r.ci_lo, c->w_lo, 1e-9, "Welch CI low", c->name);
		expect_rel(r.ci_hi, c->w_hi, 1e-9, "Welch CI high", c->name);
		/* The half-width on its own, so a large mean cannot hide an error in it. */
		expect_rel(r.ci_hi - r.ci_lo, c->w_hi - c->w_lo, 1e-9, "Welch CI width", c->name);
		cr_expect_eq(r.confidence, c->confidence);
		expect_rel(r.diff, r.mean_a - r.mean_b, 1e-15, "diff", c->name);
	}
}

Test(student, matches_scipy_ttest_ind, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_ttests); i++) {
		const struct ref_ttest *c = &ref_ttests[i];
		stats_ttest_result r;
		cr_assert_eq(stats_student_ttest(c->a, c->n_a, c->b, c->n_b, c->confidence, &r), 0,
			     "%s", c->name);
		expect_rel(r.t, c->s_t_exact, t_tolerance(c->a, c->n_a, c->b, c->n_b),
			   "Student t (exact)", c->name);
		expect_rel(r.t, c->s_t, 1e-7, "Student t (SciPy)", c->name);
		cr_expect_eq(r.df, c->s_df, "%s: df %g", c->name, r.df);
		expect_rel(r.p, c->s_p, 1e-9, "Student p", c->name);
		expect_rel(r.ci_lo, c->s_lo, 1e-9, "Student CI low", c->name);
		expect_rel(r.ci_hi, c->s_hi, 1e-9, "Student CI high", c->name);
		expect_rel(r.ci_hi - r.ci_lo, c->s_hi - c->s_lo, 1e-9, "Student CI width", c->name);
	}
}

Test(welch, swapping_samples_negates_t_and_keeps_p, .timeout = 10)
{
	const struct ref_ttest *c = &ref_ttests[2];
	stats_ttest_result ab, ba;
	cr_assert_eq(stats_welch_ttest(c->a, c->n_a, c->b, c->n_b, 0.95, &ab), 0);
	cr_assert_eq(stats_welch_ttest(c->b, c->n_b, c->a, c->n_a, 0.95, &ba), 0);
	cr_expect_eq(ab.t, -ba.t);
	cr_expect_eq(ab.p, ba.p);
	cr_expect_eq(ab.df, ba.df);
	expect_rel(ab.ci_lo, -ba.ci_hi, 1e-14, "mirrored CI", c->name);
}

Test(welch, equal_sizes_give_the_same_t_as_student, .timeout = 10)
{
	const struct ref_ttest *c = &ref_ttests[1]; /* 10 vs 10 */
	stats_ttest_result w, s;
	cr_assert_eq(stats_welch_ttest(c->a, c->n_a, c->b, c->n_b, 0.95, &w), 0);
	cr_assert_eq(stats_student_ttest(c->a, c->n_a, c->b, c->n_b, 0.95, &s), 0);
	expect_rel(w.t, s.t, 1e-14, "t", c->name);
	cr_expect(w.df < s.df, "Welch df %g must not exceed n_a + n_b - 2 = %g", w.df, s.df);
}

Test(welch, ci_excludes_zero_exactly_when_p_below_alpha, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_ttests); i++) {
		const struct ref_ttest *c = &ref_ttests[i];
		stats_ttest_result r;
		cr_assert_eq(stats_welch_ttest(c->a, c->n_a, c->b, c->n_b, c->confidence, &r), 0);
		bool excludes = r.ci_lo > 0.0 || r.ci_hi < 0.0;
		cr_expect_eq(excludes, r.p < 1.0 - c->confidence, "%s: p %g CI [%g, %g]", c->name,
			     r.p, r.ci_lo, r.ci_hi);
	}
}

Test(welch, constant_samples_follow_scipy, .timeout = 10)
{
	double a[3] = { 1, 1, 1 }, b[3] = { 2, 2, 2 };
	stats_ttest_result r;
	cr_assert_eq(stats_welch_ttest(a, 3, b, 3, 0.95, &r), 0);
	cr_expect(isinf(r.t) && r.t < 0, "t = %g", r.t);
	cr_expect_eq(r.p, 0.0);
	cr_expect(isnan(r.df));
	cr_expect_eq(r.ci_lo, -1.0);
	cr_expect_eq(r.ci_hi, -1.0);
	cr_assert_eq(stats_welch_ttest(a, 3, a, 3, 0.95, &r), 0);
	cr_expect(isnan(r.t) && isnan(r.p) && isnan(r.ci_lo) && isnan(r.ci_hi));
	cr_assert_eq(stats_student_ttest(a, 3, b, 3, 0.95, &r), 0);
	cr_expect(isinf(r.t) && r.p == 0.0 && r.df == 4.0);
}

Test(ttest, rejects_bad_input, .timeout = 10)
{
	double a[3] = { 1, 2, 3 }, b[3] = { 2, 3, 5 }, bad[3] = { 1, NAN, 3 };
	double inf[3] = { 1, INFINITY, 3 };
	stats_ttest_result r;
	memset(&r, 0x5a, sizeof r);
	stats_ttest_result before = r;
	cr_expect_eq(stats_welch_ttest(a, 1, b, 3, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_welch_ttest(a, 3, b, 1, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_welch_ttest(bad, 3, b, 3, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_welch_ttest(a, 3, inf, 3, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_welch_ttest(NULL, 3, b, 3, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_welch_ttest(a, 3, b, 3, 0.95, NULL), -EINVAL);
	cr_expect_eq(stats_welch_ttest(a, 3, b, 3, 1.0, &r), -EINVAL);
	cr_expect_eq(stats_welch_ttest(a, 3, b, 3, 0.0, &r), -EINVAL);
	cr_expect_eq(stats_welch_ttest(a, 3, b, 3, NAN, &r), -EINVAL);
	cr_expect_eq(stats_student_ttest(a, 3, bad, 3, 0.95, &r), -EINVAL);
	cr_expect_eq(stats_student_ttest(a, 0, b, 3, 0.95, &r), -EINVAL);
	cr_expect_eq(memcmp(&r, &before, sizeof r), 0, "out was modified on error");
}

/* ---- the course's cases ------------------------------------------------------------- */

Test(course, two_clearly_different_models_are_significant_with_large_effect, .timeout = 10)
{
	/* 0.1 +- 0.01 s against 0.2 +- 0.01 s, 100 values each. */
	double *a = normal_sample(11, 100, 0.1, 0.01), *b = normal_sample(12, 100, 0.2, 0.01);
	stats_ttest_result w;
	cr_assert_eq(stats_welch_ttest(a, 100, b, 100, 0.95, &w), 0);
	cr_expect(w.p < 1e-10, "Welch p = %g", w.p);
	cr_expect(w.ci_hi < -0.09 && w.ci_lo > -0.11, "CI [%g, %g] of a - b", w.ci_lo, w.ci_hi);
	double d = stats_cohens_d(a, 100, b, 100);
	cr_expect(d < -0.8, "Cohen's d = %g (large means |d| >= 0.8)", d);
	stats_mwu_result m;
	cr_assert_eq(stats_mann_whitney(a, 100, b, 100, STATS_MWU_AUTO, &m), 0);
	cr_expect(m.p < 1e-10, "Mann-Whitney p = %g", m.p);
	cr_expect_eq(m.u, 0.0, "every b exceeds every a");
	free(a);
	free(b);
}

Test(course, same_distribution_is_not_significant_in_at_least_90_percent, .timeout = 30)
{
	int welch_ns = 0, mwu_ns = 0, trials = 200;
	for (int t = 0; t < trials; t++) {
		double *a = normal_sample(1000 + 2 * (unsigned long)t, 100, 0.1, 0.01);
		double *b = normal_sample(1001 + 2 * (unsigned long)t, 100, 0.1, 0.01);
		stats_ttest_result w;
		stats_mwu_result m;
		cr_assert_eq(stats_welch_ttest(a, 100, b, 100, 0.95, &w), 0);
		cr_assert_eq(stats_mann_whitney(a, 100, b, 100, STATS_MWU_AUTO, &m), 0);
		welch_ns += w.p >= 0.05;
		mwu_ns += m.p >= 0.05;
		free(a);
		free(b);
	}
	cr_expect(welch_ns >= 180, "Welch: %d of %d not significant", welch_ns, trials);
	cr_expect(mwu_ns >= 180, "Mann-Whitney: %d of %d not significant", mwu_ns, trials);
}

/* ---- Mann-Whitney U ------------------------------------------------------------------ */

Test(mann_whitney, matches_scipy_default_method, .timeout = 20)
{
	for (size_t i = 0; i < COUNT(ref_mwus); i++) {
		const struct ref_mwu *c = &ref_mwus[i];
		stats_mwu_result r;
		cr_assert_eq(stats_mann_whitney(c->a, c->n_a, c->b, c->n_b, STATS_MWU_AUTO, &r), 0,
			     "%s", c->name);
		cr_expect_eq(r.u, c->u, "%s: U = %.17g, SciPy %.17g", c->name, r.u, c->u);
		cr_expect_eq(r.exact, c->exact, "%s: exact = %d, SciPy's rule says %d", c->name,
			     r.exact, c->exact);
		expect_rel(r.p, c->p, 1e-6, "Mann-Whitney p", c->name);
		/* Far tighter in practice; keep an eye on it. */
		expect_rel(r.p, c->p, 1e-12, "Mann-Whitney p (tight)", c->name);
		cr_expect_eq(r.u + r.u_b, (double)c->n_a * (double)c->n_b);
		cr_expect_eq(r.n_a, c->n_a);
		cr_expect_eq(r.n_b, c->n_b);
	}
}

Test(mann_whitney, asymptotic_method_matches_scipy_asymptotic, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_mwus); i++) {
		const struct ref_mwu *c = &ref_mwus[i];
		stats_mwu_result r;
		cr_assert_eq(stats_mann_whitney(c->a, c->n_a, c->b, c->n_b, STATS_MWU_ASYMPTOTIC,
						&r), 0);
		cr_expect_not(r.exact);
		expect_rel(r.p, c->p_asymptotic, 1e-9, "asymptotic p", c->name);
	}
}

Test(mann_whitney, u_is_pairs_greater_plus_half_ties, .timeout = 10)
{
	/* Integer data with many ties, U counted pair by pair. */
	double a[40], b[33];
	unsigned s = 12345;
	for (size_t i = 0; i < 40; i++)
		a[i] = (double)((s = s * 1103515245u + 12345u) >> 16 & 15);
	for (size_t i = 0; i < 33; i++)
		b[i] = (double)((s = s * 1103515245u + 12345u) >> 16 & 15);
	double want = 0.0;
	for (size_t i = 0; i < 40; i++)
		for (size_t j = 0; j < 33; j++)
			want += a[i] > b[j] ? 1.0 : a[i] == b[j] ? 0.5 : 0.0;
	stats_mwu_result r;
	cr_assert_eq(stats_mann_whitney(a, 40, b, 33, STATS_MWU_AUTO, &r), 0);
	cr_expect_eq(r.u, want);
	cr_expect(r.ties);
	cr_expect_not(r.exact);
	cr_expect_eq(r.cles, want / (40.0 * 33.0));
}

/* count[u] = number of arrangements of m a's among m + n positions that give U = u. */
static void enumerate_u(int m, int n, double *count /* m*n+1 */)
{
	/* Every subset of m positions out of m + n (as a bitmask) is one arrangement; U is
	 * the number of (a, b) pairs with the a above the b. */
	int N = m + n;
	for (unsigned mask = 0; mask < (1u << N); mask++) {
		if (__builtin_popcount(mask) != m)
			continue;
		int u = 0, bs_below = 0;
		for (int pos = 0; pos < N; pos++) {
			if (mask >> pos & 1)
				u += bs_below;
			else
				bs_below++;
		}
		count[u] += 1.0;
	}
}

Test(mann_whitney, exact_p_equals_brute_force_enumeration, .timeout = 20)
{
	static const int sizes[][2] = { { 1, 1 }, { 1, 6 }, { 2, 5 }, { 3, 3 }, { 4, 5 },
					{ 5, 8 }, { 7, 8 }, { 8, 8 }, { 3, 12 } };
	for (size_t s = 0; s < COUNT(sizes); s++) {
		int m = sizes[s][0], n = sizes[s][1];
		double count[65] = { 0 }, total = 0.0;
		enumerate_u(m, n, count);
		for (int u = 0; u <= m * n; u++)
			total += count[u];
		/* For every achievable U of a, build samples that give it and compare. */
		for (int target = 0; target <= m * n; target++) {
			/* b = 0, 1, ..., n - 1 (scaled by 2); a values placed to give U = target:
			 * a_i = 2 * (number of b below) + 1, distributing target greedily. */
			double a[8], b[16];
			for (int j = 0; j < n; j++)
				b[j] = 2.0 * j;
			int left = target;
			for (int i = 0; i < m; i++) {
				int below = left > n ? n : left;
				left -= below;
				a[i] = 2.0 * below - 1.0 + 0.001 * i; /* distinct, no ties */
			}
			stats_mwu_result r;
			cr_assert_eq(stats_mann_whitney(a, (size_t)m, b, (size_t)n, STATS_MWU_EXACT,
							&r), 0);
			cr_assert_eq(r.u, (double)target, "m=%d n=%d: U %g want %d", m, n, r.u,
				     target);
			int k = target < m * n - target ? target : m * n - target;
			double tail = 0.0;
			for (int u = 0; u <= k; u++)
				tail += count[u];
			double want = 2.0 * tail / total;
			if (want > 1.0)
				want = 1.0;
			expect_rel(r.p, want, 1e-15, "exact p vs enumeration", "sizes");
		}
	}
}

Test(mann_whitney, exact_scaled_path_agrees_with_closed_form_extreme, .timeout = 10)
{
	/* All of a above all of b: P[U = m n] = 1 / C(m + n, m), so p = 2 / C(m + n, m).
	 * C(408, 8) = 1.9e16 > 2^53 uses the scaled floating-point path. */
	double a[8], *b = malloc(400 * sizeof *b);
	cr_assert_not_null(b);
	for (int i = 0; i < 8; i++)
		a[i] = 1000.0 + i;
	for (int j = 0; j < 400; j++)
		b[j] = j;
	double c = 1.0;
	for (int i = 1; i <= 8; i++)
		c = c * (400.0 + i) / i;
	stats_mwu_result r;
	cr_assert_eq(stats_mann_whitney(a, 8, b, 400, STATS_MWU_AUTO, &r), 0);
	cr_expect(r.exact);
	cr_expect_eq(r.u, 3200.0);
	expect_rel(r.p, 2.0 / c, 1e-12, "p = 2 / C(408, 8)", "8 vs 400");
	free(b);
}

Test(mann_whitney, all_values_tied_gives_p_one, .timeout = 10)
{
	double a[4] = { 2.5, 2.5, 2.5, 2.5 };
	stats_mwu_result r;
	cr_assert_eq(stats_mann_whitney(a, 4, a, 4, STATS_MWU_AUTO, &r), 0);
	cr_expect_eq(r.p, 1.0);
	cr_expect_eq(r.u, 8.0);
	cr_expect(r.ties && !r.exact);
}

Test(mann_whitney, rejects_bad_input, .timeout = 10)
{
	double a[3] = { 1, 2, 3 }, b[3] = { 4, 5, 6 }, t[3] = { 1, 1, 2 }, bad[2] = { 1, NAN };
	stats_mwu_result r;
	cr_expect_eq(stats_mann_whitney(a, 0, b, 3, STATS_MWU_AUTO, &r), -EINVAL);
	cr_expect_eq(stats_mann_whitney(a, 3, b, 0, STATS_MWU_AUTO, &r), -EINVAL);
	cr_expect_eq(stats_mann_whitney(NULL, 3, b, 3, STATS_MWU_AUTO, &r), -EINVAL);
	cr_expect_eq(stats_mann_whitney(a, 3, b, 3, STATS_MWU_AUTO, NULL), -EINVAL);
	cr_expect_eq(stats_mann_whitney(bad, 2, b, 3, STATS_MWU_AUTO, &r), -EINVAL);
	cr_expect_eq(stats_mann_whitney(a, 3, b, 3, (stats_mwu_method)7, &r), -EINVAL);
	cr_expect_eq(stats_mann_whitney(t, 3, b, 3, STATS_MWU_EXACT, &r), -EINVAL,
		     "exact with ties");
	cr_expect_eq(stats_mann_whitney(a, 3, b, 3, STATS_MWU_EXACT, &r), 0);
	cr_expect_eq(r.u, 0.0);
	expect_rel(r.p, 0.1, 1e-15, "p of 3 vs 3 fully separated", "exact");
}

/* ---- effect sizes ---------------------------------------------------------------- */

Test(effect, cohens_d_and_hedges_g_match_reference, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_ttests); i++) {
		const struct ref_ttest *c = &ref_ttests[i];
		double tol = t_tolerance(c->a, c->n_a, c->b, c->n_b);
		expect_rel(stats_cohens_d(c->a, c->n_a, c->b, c->n_b), c->d, tol, "Cohen's d",
			   c->name);
		expect_rel(stats_hedges_g(c->a, c->n_a, c->b, c->n_b), c->g, tol, "Hedges' g",
			   c->name);
	}
}

Test(effect, cohens_d_by_formula_on_small_integers, .timeout = 10)
{
	/* a: mean 3, var 10/4 = 2.5; b: mean 6, var (16 + 1 + 0 + 25)/3 = 14;
	 * pooled var (4 * 2.5 + 3 * 14) / 7 = 52/7. */
	double a[5] = { 1, 2, 3, 4, 5 }, b[4] = { 2, 5, 6, 11 };
	double want = (3.0 - 6.0) / sqrt(52.0 / 7.0);
	expect_rel(stats_cohens_d(a, 5, b, 4), want, 1e-15, "d", "formula");
	expect_rel(stats_cohens_d(b, 4, a, 5), -want, 1e-15, "d swapped", "formula");
	double J = stats_hedges_correction(7.0);
	/* Gamma(3.5) / (sqrt(3.5) Gamma(3)) = (15 sqrt(pi) / 8) / (2 sqrt(3.5)) */
	expect_rel(J, 15.0 * sqrt(M_PI) / 8.0 / (2.0 * sqrt(3.5)), 1e-14, "J(7)", "closed form");
	expect_rel(stats_hedges_g(a, 5, b, 4), want * J, 1e-14, "g", "formula");
}

Test(effect, hedges_correction_matches_gamma_form_and_approximation, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_hedges_j); i++) {
		double df = ref_hedges_j[i][0];
		expect_rel(stats_hedges_correction(df), ref_hedges_j[i][1], 1e-13, "J", "gamma form");
		/* The textbook approximation is within 1e-3 from df = 10 and O(1/df^2) after. */
		if (df >= 10)
			cr_expect(fabs(stats_hedges_correction(df) - (1.0 - 3.0 / (4.0 * df - 1.0))) <
					  2.0 / (df * df),
				  "df %g", df);
	}
	cr_expect(isnan(stats_hedges_correction(1.0)));
	cr_expect(isnan(stats_hedges_correction(NAN)));
	cr_expect_eq(stats_hedges_correction(INFINITY), 1.0);
}

Test(effect, degenerate_and_bad_input, .timeout = 10)
{
	double a[3] = { 1, 1, 1 }, b[3] = { 2, 2, 2 }, c[3] = { 1, 2, NAN };
	cr_expect(isinf(stats_cohens_d(a, 3, b, 3)) && stats_cohens_d(a, 3, b, 3) < 0);
	cr_expect(isnan(stats_cohens_d(a, 3, a, 3)));
	cr_expect(isnan(stats_cohens_d(a, 1, b, 3)));
	cr_expect(isnan(stats_cohens_d(c, 3, b, 3)));
	cr_expect(isnan(stats_cohens_d(NULL, 3, b, 3)));
	cr_expect(isnan(stats_hedges_g(a, 3, c, 3)));
}
