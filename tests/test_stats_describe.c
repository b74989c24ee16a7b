/*
 * test_stats_describe.c - descriptive statistics over doubles (against NumPy), outlier
 * counts by Tukey's fences and the MAD z-score on crafted arrays, the two sample-size
 * rules (23886 / 24576 and 64 / 662 / 6636), and bad input.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "tests/data/stats_ref_describe.h"

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
	if (isnan(want)) {
		cr_expect(isnan(got), "%s (%s): got %.17g want NaN", what, name, got);
		return;
	}
	double rel = want == 0.0 ? fabs(got) : fabs(got - want) / fabs(want);
	cr_expect(rel <= tol, "%s (%s): got %.17g want %.17g (relative error %.3g > %.1g)", what,
		  name, got, want, rel, tol);
}

/* ---- describe ----------------------------------------------------------------------- */

Test(describe, matches_numpy, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_describes); i++) {
		const struct ref_describe *c = &ref_describes[i];
		stats_describe_result d;
		cr_assert_eq(stats_describe(c->x, c->n, &d), 0, "%s", c->name);
		cr_expect_eq(d.n, c->n);
		expect_rel(d.mean, c->mean, 1e-14, "mean", c->name);
		expect_rel(d.sd, c->sd, 1e-13, "sd", c->name);
		expect_rel(d.cv, c->cv, 1e-13, "cv", c->name);
		cr_expect_eq(d.min, c->min, "%s: min", c->name);
		cr_expect_eq(d.max, c->max, "%s: max", c->name);
		expect_rel(d.median, c->median, 1e-14, "median", c->name);
		expect_rel(d.q1, c->q1, 1e-14, "q1", c->name);
		expect_rel(d.q3, c->q3, 1e-14, "q3", c->name);
		/* The standalone functions agree with the struct. */
		expect_rel(stats_mean(c->x, c->n), d.mean, 0.0, "stats_mean", c->name);
		if (c->n >= 2)
			expect_rel(stats_sd(c->x, c->n), d.sd, 0.0, "stats_sd", c->name);
	}
}

Test(describe, worked_example_from_the_docs, .timeout = 10)
{
	/* Ten latencies in ms (docs/statistics.md, section 1). */
	double x[10] = { 12, 13, 13, 14, 15, 16, 17, 18, 25, 40 };
	stats_describe_result d;
	cr_assert_eq(stats_describe(x, 10, &d), 0);
	cr_expect_eq(d.mean, 18.3);
	cr_expect_eq(d.median, 15.5);
	cr_expect_eq(d.q1, 13.25);
	cr_expect_eq(d.q3, 17.75);
	cr_expect_eq(d.min, 12.0);
	cr_expect_eq(d.max, 40.0);
}

Test(describe, precise_when_values_share_leading_digits, .timeout = 10)
{
	/* 1e9 + {1, 2, 3, 4}: mean 1e9 + 2.5, sd sqrt(5/3) exactly representable inputs. */
	double x[4] = { 1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4 };
	cr_expect_eq(stats_mean(x, 4), 1e9 + 2.5);
	expect_rel(stats_sd(x, 4), sqrt(5.0 / 3.0), 1e-15, "sd", "offset 1e9");
}

Test(describe, one_value_and_bad_input, .timeout = 10)
{
	double one[1] = { 3.0 }, bad[3] = { 1, NAN, 2 }, inf[2] = { 1, -INFINITY };
	stats_describe_result d;
	cr_assert_eq(stats_describe(one, 1, &d), 0);
	cr_expect(d.mean == 3.0 && d.median == 3.0 && d.q1 == 3.0 && d.q3 == 3.0);
	cr_expect(isnan(d.sd) && isnan(d.cv));
	memset(&d, 0x11, sizeof d);
	stats_describe_result before = d;
	cr_expect_eq(stats_describe(one, 0, &d), -EINVAL);
	cr_expect_eq(stats_describe(NULL, 3, &d), -EINVAL);
	cr_expect_eq(stats_describe(bad, 3, &d), -EINVAL);
	cr_expect_eq(stats_describe(inf, 2, &d), -EINVAL);
	cr_expect_eq(stats_describe(one, 1, NULL), -EINVAL);
	cr_expect_eq(memcmp(&d, &before, sizeof d), 0, "out was modified on error");
	cr_expect(isnan(stats_mean(NULL, 3)));
	cr_expect(isnan(stats_mean(one, 0)));
	cr_expect(isnan(stats_mean(bad, 3)));
	cr_expect(isnan(stats_sd(one, 1)));
	cr_expect(isnan(stats_sd(bad, 3)));
	/* Zero mean: CV undefined. */
	double z[2] = { -1, 1 };
	cr_assert_eq(stats_describe(z, 2, &d), 0);
	cr_expect(isnan(d.cv));
}

Test(describe, quantile_statistic_callback, .timeout = 10)
{
	double x[5] = { 50, 10, 40, 20, 30 }, p = 0.9;
	cr_expect_eq(stats_stat_quantile(x, 5, &p), 46.0); /* type 7, as numpy */
	cr_expect_eq(x[0], 50.0, "the input is not reordered");
	cr_expect(isnan(stats_stat_quantile(x, 5, NULL)));
	cr_expect(isnan(stats_stat_quantile(x, 0, &p)));
	p = 1.5;
	cr_expect(isnan(stats_stat_quantile(x, 5, &p)));
	cr_expect_eq(stats_stat_mean(x, 5, NULL), 30.0);
}

/* ---- outliers ------------------------------------------------------------------------ */

Test(outliers, counts_each_class_on_a_crafted_array, .timeout = 10)
{
	/*
	 * 1..16 plus -30, -15, 35, 100 (n = 20): q1 = 3.75, q3 = 13.25, IQR = 9.5, fences
	 * -24.75 / -10.5 / 27.5 / 41.75.  So -30 is a severe low outlier, -15 a mild low
	 * one, 35 mild high and 100 severe high.  Median 8.5, MAD 5: modified z of -30 is
	 * -5.19, of -15 -3.17 (not flagged), of 35 3.57 and of 100 12.3.
	 */
	double x[20];
	for (int i = 0; i < 16; i++)
		x[i] = i + 1;
	x[16] = 100;
	x[17] = -15;
	x[18] = 35;
	x[19] = -30;
	stats_outliers_result r;
	cr_assert_eq(stats_outliers(x, 20, &r), 0);
	cr_expect_eq(r.n, 20);
	cr_expect_eq(r.q1, 3.75);
	cr_expect_eq(r.q3, 13.25);
	cr_expect_eq(r.iqr, 9.5);
	cr_expect_eq(r.low_severe_fence, -24.75);
	cr_expect_eq(r.low_mild_fence, -10.5);
	cr_expect_eq(r.high_mild_fence, 27.5);
	cr_expect_eq(r.high_severe_fence, 41.75);
	cr_expect_eq(r.low_severe, 1);
	cr_expect_eq(r.low_mild, 1);
	cr_expect_eq(r.high_mild, 1);
	cr_expect_eq(r.high_severe, 1);
	cr_expect_eq(r.median, 8.5);
	cr_expect_eq(r.mad, 5.0);
	cr_expect_not(r.mad_zero);
	cr_expect_eq(r.mad_low, 1);
	cr_expect_eq(r.mad_high, 2);
	cr_expect_eq(x[16], 100.0, "the input is not reordered");
}

Test(outliers, values_on_a_fence_are_not_counted, .timeout = 10)
{
	/* 1..8 and X: q1 = 3, q3 = 7 (X is the largest), IQR 4, fences 13 and 19. */
	static const struct {
		double x;
		size_t mild, severe;
	} cases[] = { { 13.0, 0, 0 }, { 13.5, 1, 0 }, { 19.0, 1, 0 }, { 19.5, 0, 1 } };
	for (size_t i = 0; i < COUNT(cases); i++) {
		double x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, cases[i].x };
		stats_outliers_result r;
		cr_assert_eq(stats_outliers(x, 9, &r), 0);
		cr_expect_eq(r.high_mild, cases[i].mild, "x = %g", cases[i].x);
		cr_expect_eq(r.high_severe, cases[i].severe, "x = %g", cases[i].x);
		cr_expect_eq(r.low_mild + r.low_severe, 0);
	}
}

Test(outliers, zero_mad_is_flagged_and_tukey_still_counts, .timeout = 10)
{
	double x[7] = { 5, 5, 5, 5, 5, 5, 100 };
	stats_outliers_result r;
	cr_assert_eq(stats_outliers(x, 7, &r), 0);
	cr_expect(r.mad_zero);
	cr_expect_eq(r.mad_low + r.mad_high, 0);
	cr_expect_eq(r.iqr, 0.0);
	cr_expect_eq(r.high_severe, 1);
}

Test(outliers, normal_looking_data_has_none, .timeout = 10)
{
	double x[11] = { 9.8, 10.1, 10.0, 9.9, 10.2, 10.05, 9.95, 10.15, 9.85, 10.0, 10.1 };
	stats_outliers_result r;
	cr_assert_eq(stats_outliers(x, 11, &r), 0);
	cr_expect_eq(r.low_mild + r.low_severe + r.high_mild + r.high_severe, 0);
	cr_expect_eq(r.mad_low + r.mad_high, 0);
}

Test(outliers, rejects_bad_input, .timeout = 10)
{
	double x[3] = { 1, 2, NAN };
	stats_outliers_result r;
	cr_expect_eq(stats_outliers(x, 3, &r), -EINVAL);
	cr_expect_eq(stats_outliers(x, 0, &r), -EINVAL);
	cr_expect_eq(stats_outliers(NULL, 3, &r), -EINVAL);
	cr_expect_eq(stats_outliers(x, 2, NULL), -EINVAL);
	cr_expect_eq(stats_outliers(x, 2, &r), 0);
}

/* ---- outliers of a sorted array ------------------------------------------------------- */

/* splitmix64: deterministic data for the comparisons below. */
static uint64_t sm64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double unit(uint64_t *s)
{
	return (double)((sm64(s) >> 11) + 1) * 0x1p-53;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

enum outl_kind { OK_DISTINCT, OK_TIES, OK_HEAVY, OK_HEAVY_TIES, OK_CONSTANT, OK_SPIKES,
		 OK_TWO_CLUSTERS, OK_NKINDS };
static const char *const outl_kind_name[] = { "distinct", "ties", "heavy-tails", "heavy-ties",
					      "constant", "spikes", "two-clusters" };

static void outl_fill(double *x, size_t n, enum outl_kind kind, uint64_t *s)
{
	for (size_t i = 0; i < n; i++) {
		double u = unit(s);
		switch (kind) {
		case OK_DISTINCT: x[i] = 100.0 + 10.0 * (u - 0.5); break;
		case OK_TIES: x[i] = floor(u * 6.0); break;
		case OK_HEAVY: /* Pareto(1.1) on both sides: a few enormous values */
			x[i] = (sm64(s) & 1 ? 1.0 : -1.0) * pow(u, -1.0 / 1.1);
			break;
		case OK_HEAVY_TIES: x[i] = floor(pow(u, -1.0 / 0.8)); break;
		case OK_CONSTANT: x[i] = -2.5; break;
		case OK_SPIKES: /* mostly one value: MAD 0, Tukey still counts */
			x[i] = u < 0.9 ? 7.0 : (u < 0.95 ? -1e6 * u : 1e9 * u);
			break;
		default: x[i] = u < 0.5 ? 1.0 + u : 1000.0 + u; break;
		}
	}
}

/* stats_outliers() as it was before stats_outliers_sorted(): MAD from sorted deviations. */
static stats_outliers_result outliers_reference(const double *s, size_t n)
{
	stats_outliers_result r = { .n = n };
	r.q1 = stats_quantile_interp(s, n, 0.25);
	r.q3 = stats_quantile_interp(s, n, 0.75);
	r.iqr = r.q3 - r.q1;
	r.low_severe_fence = r.q1 - 3.0 * r.iqr;
	r.low_mild_fence = r.q1 - 1.5 * r.iqr;
	r.high_mild_fence = r.q3 + 1.5 * r.iqr;
	r.high_severe_fence = r.q3 + 3.0 * r.iqr;
	r.median = stats_quantile_interp(s, n, 0.5);
	double *dev = malloc(n * sizeof *dev);
	cr_assert_not_null(dev);
	for (size_t i = 0; i < n; i++) {
		double v = s[i];
		if (v < r.low_severe_fence)
			r.low_severe++;
		else if (v < r.low_mild_fence)
			r.low_mild++;
		else if (v > r.high_severe_fence)
			r.high_severe++;
		else if (v > r.high_mild_fence)
			r.high_mild++;
		dev[i] = fabs(v - r.median);
	}
	qsort(dev, n, sizeof *dev, cmp_double);
	r.mad = stats_quantile_interp(dev, n, 0.5);
	free(dev);
	r.mad_zero = r.mad == 0.0;
	if (!r.mad_zero) {
		double limit = STATS_MAD_Z_THRESHOLD * r.mad / STATS_MAD_Z_SCALE;
		for (size_t i = 0; i < n; i++) {
			double d = s[i] - r.median;
			if (d < -limit)
				r.mad_low++;
			else if (d > limit)
				r.mad_high++;
		}
	}
	return r;
}

/* Every field of a and b equal (==). */
static void expect_same_outliers(const stats_outliers_result *a, const stats_outliers_result *b,
				 const char *what, size_t n)
{
#define SAME_D(f) cr_expect(a->f == b->f, "%s n=%zu: " #f " %.17g vs %.17g", what, n, a->f, b->f)
#define SAME_Z(f) cr_expect(a->f == b->f, "%s n=%zu: " #f " %zu vs %zu", what, n, a->f, b->f)
	SAME_Z(n);
	SAME_D(q1);
	SAME_D(q3);
	SAME_D(iqr);
	SAME_D(low_severe_fence);
	SAME_D(low_mild_fence);
	SAME_D(high_mild_fence);
	SAME_D(high_severe_fence);
	SAME_Z(low_severe);
	SAME_Z(low_mild);
	SAME_Z(high_mild);
	SAME_Z(high_severe);
	SAME_D(median);
	SAME_D(mad);
	SAME_Z(mad_low);
	SAME_Z(mad_high);
	cr_expect(a->mad_zero == b->mad_zero, "%s n=%zu: mad_zero %d vs %d", what, n, a->mad_zero,
		  b->mad_zero);
#undef SAME_D
#undef SAME_Z
}

static void check_outliers_sorted(size_t n, enum outl_kind kind)
{
	uint64_t s = 0xD1CE + n * 1009 + (uint64_t)kind;
	double *x = malloc(n * sizeof *x), *sorted = malloc(n * sizeof *sorted);
	double *keep = malloc(n * sizeof *keep);
	cr_assert(x && sorted && keep);
	outl_fill(sorted, n, kind, &s);
	qsort(sorted, n, sizeof *sorted, cmp_double);
	/* A shuffled copy (Fisher-Yates). */
	memcpy(x, sorted, n * sizeof *x);
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(sm64(&s) % i);
		double t = x[i - 1];
		x[i - 1] = x[j];
		x[j] = t;
	}
	memcpy(keep, sorted, n * sizeof *keep);
	stats_outliers_result fast, any;
	memset(&fast, 0x5a, sizeof fast);
	memset(&any, 0xa5, sizeof any);
	cr_assert_eq(stats_outliers_sorted(sorted, n, &fast), 0, "%s n=%zu", outl_kind_name[kind], n);
	cr_assert_eq(stats_outliers(x, n, &any), 0, "%s n=%zu", outl_kind_name[kind], n);
	expect_same_outliers(&fast, &any, outl_kind_name[kind], n);
	stats_outliers_result ref = outliers_reference(sorted, n);
	expect_same_outliers(&fast, &ref, outl_kind_name[kind], n);
	cr_expect(memcmp(keep, sorted, n * sizeof *keep) == 0, "the sorted input was modified");
	free(x);
	free(sorted);
	free(keep);
}

Test(outliers_sorted, equals_outliers_of_a_shuffled_copy_for_sizes_1_to_50, .timeout = 20)
{
	for (size_t n = 1; n <= 50; n++)
		for (int k = 0; k < OK_NKINDS; k++)
			check_outliers_sorted(n, (enum outl_kind)k);
}

Test(outliers_sorted, equals_outliers_of_a_shuffled_copy_for_large_sizes, .timeout = 30)
{
	static const size_t sizes[] = { 99, 100, 999, 1000, 10000, 10001, 100000 };
	for (size_t i = 0; i < COUNT(sizes); i++)
		for (int k = 0; k < OK_NKINDS; k++)
			check_outliers_sorted(sizes[i], (enum outl_kind)k);
}

Test(outliers_sorted, mad_for_even_and_odd_n, .timeout = 10)
{
	static const struct {
		size_t n;
		double x[8];
		double median, mad;
	} cases[] = {
		/* one value: MAD 0 */
		{ 1, { 4.0 }, 4.0, 0.0 },
		/* n = 2: deviations 1, 1 */
		{ 2, { 1, 3 }, 2.0, 1.0 },
		/* n = 3: deviations 0, 1, 7 -> 1 */
		{ 3, { 1, 2, 9 }, 2.0, 1.0 },
		/* n = 5 (odd): deviations 2, 1, 0, 1, 97 -> sorted 0 1 1 2 97 -> 1 */
		{ 5, { 1, 2, 3, 4, 100 }, 3.0, 1.0 },
		/* n = 6 (even): median 6, deviations 5 4 2 2 10 26 -> 2 2 4 5 10 26 -> 4.5 */
		{ 6, { 1, 2, 4, 8, 16, 32 }, 6.0, 4.5 },
		/* n = 4, all deviations on the left of the median but one */
		{ 4, { 0, 0, 0, 10 }, 0.0, 0.0 },
		/* n = 4, two clusters: median 5, every deviation 5 */
		{ 4, { 0, 0, 10, 10 }, 5.0, 5.0 },
		/* n = 7 (odd), negatives: median -1, deviations 9 4 1 0 1 2 30 -> 2 */
		{ 7, { -10, -5, -2, -1, 0, 1, 29 }, -1.0, 2.0 },
		/* n = 8 (even): median 4.5, deviations 3.5 2.5 1.5 .5 .5 1.5 2.5 95.5 -> 2 */
		{ 8, { 1, 2, 3, 4, 5, 6, 7, 100 }, 4.5, 2.0 },
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		stats_outliers_result r, any;
		cr_assert_eq(stats_outliers_sorted(cases[i].x, cases[i].n, &r), 0, "case %zu", i);
		cr_expect_eq(r.median, cases[i].median, "case %zu: median %.17g", i, r.median);
		cr_expect_eq(r.mad, cases[i].mad, "case %zu: mad %.17g", i, r.mad);
		cr_expect_eq(r.mad_zero, cases[i].mad == 0.0, "case %zu", i);
		/* Reversed, through stats_outliers(). */
		double rev[8];
		for (size_t j = 0; j < cases[i].n; j++)
			rev[j] = cases[i].x[cases[i].n - 1 - j];
		cr_assert_eq(stats_outliers(rev, cases[i].n, &any), 0);
		expect_same_outliers(&r, &any, "hand case", cases[i].n);
	}
	/* The crafted array of the stats_outliers() test, in order: MAD 5. */
	double x[20] = { -30, -15, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 35, 100 };
	stats_outliers_result r;
	cr_assert_eq(stats_outliers_sorted(x, 20, &r), 0);
	cr_expect_eq(r.mad, 5.0);
	cr_expect_eq(r.mad_low, 1);
	cr_expect_eq(r.mad_high, 2);
	cr_expect_eq(r.low_severe + r.low_mild + r.high_mild + r.high_severe, 4);
}

Test(outliers_sorted, rejects_unsorted_null_empty_and_non_finite, .timeout = 10)
{
	static const double ok[4] = { 1, 2, 2, 3 };
	static const double unsorted_mid[4] = { 1, 3, 2, 4 };
	static const double unsorted_first[4] = { 2, 1, 3, 4 };
	static const double unsorted_last[5] = { 1, 2, 3, 4, 0 };
	static const double descending[4] = { 4, 3, 2, 1 };
	static const double tiny_step[3] = { 1.0, 0x1.0000000000001p0, 1.0 };
	static const double nan_mid[3] = { 1, NAN, 3 };
	static const double nan_first[3] = { NAN, 1, 3 };
	static const double nan_last[3] = { 1, 3, NAN };
	static const double nan_only[1] = { NAN };
	static const double inf_last[3] = { 1, 3, INFINITY };
	static const double minf_first[3] = { -INFINITY, 1, 3 };
	stats_outliers_result r;
	memset(&r, 0x3c, sizeof r);
	stats_outliers_result before = r;
	cr_expect_eq(stats_outliers_sorted(unsorted_mid, 4, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(unsorted_first, 4, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(unsorted_last, 5, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(descending, 4, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(tiny_step, 3, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(nan_mid, 3, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(nan_first, 3, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(nan_last, 3, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(nan_only, 1, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(inf_last, 3, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(minf_first, 3, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(NULL, 3, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(NULL, 0, &r), -EINVAL);
	cr_expect_eq(stats_outliers_sorted(ok, 0, &r), -EINVAL);
	cr_expect_eq(memcmp(&r, &before, sizeof r), 0, "out was modified on error");
	cr_expect_eq(stats_outliers_sorted(ok, 4, NULL), -EINVAL);
	/* Only the n values given are checked: the sorted first 4 of unsorted_last are fine. */
	cr_expect_eq(stats_outliers_sorted(unsorted_last, 4, &r), 0);
	cr_expect_eq(stats_outliers_sorted(ok, 4, &r), 0);
	cr_expect_eq(r.n, 4);
	cr_expect_eq(r.median, 2.0);
	/* Equal neighbours and -0.0 before +0.0 or after it are in order. */
	static const double zeros[4] = { -1, 0.0, -0.0, 0.0 };
	cr_expect_eq(stats_outliers_sorted(zeros, 4, &r), 0);
}

/* ---- sample sizes ---------------------------------------------------------------------- */

Test(sample_sizes, p90_at_99_percent_is_23886_rounded_to_24576, .timeout = 10)
{
	stats_sample_sizes_result s;
	cr_assert_eq(stats_sample_sizes(0.90, 0.99, &s), 0);
	cr_expect_eq(s.classic, 23886);
	cr_expect_eq(s.mlperf_rounded, 24576); /* 3 * 8192 */
	cr_expect_eq(s.early_stopping_min, 64);
	expect_rel(s.margin, 0.005, 1e-14, "margin", "p90");
	expect_rel(s.z, 2.5758293035489004, 1e-14, "z", "99%");
	cr_expect_eq(s.percentile, 0.90);
	cr_expect_eq(s.confidence, 0.99);
}

Test(sample_sizes, p99_and_p999, .timeout = 10)
{
	stats_sample_sizes_result s;
	cr_assert_eq(stats_sample_sizes(0.99, 0.99, &s), 0);
	cr_expect_eq(s.classic, 262742);
	cr_expect_eq(s.mlperf_rounded, 270336); /* 33 * 8192, MLPerf's p99 query count */
	cr_expect_eq(s.early_stopping_min, 662);
	cr_assert_eq(stats_sample_sizes(0.999, 0.99, &s), 0);
	cr_expect_eq(s.early_stopping_min, 6636);
	cr_expect_eq(s.mlperf_rounded % STATS_MLPERF_SAMPLE_QUANTUM, 0);
	cr_expect(s.mlperf_rounded >= s.classic && s.mlperf_rounded - s.classic < 8192);
}

Test(sample_sizes, classic_formula_matches_scipy, .timeout = 10)
{
	for (size_t i = 0; i < COUNT(ref_sample_sizes); i++) {
		uint64_t n = stats_sample_size_binomial(ref_sample_sizes[i].p, ref_sample_sizes[i].c,
							0.0);
		cr_expect_eq(n, ref_sample_sizes[i].n, "p=%g C=%g: %llu, want %llu",
			     ref_sample_sizes[i].p, ref_sample_sizes[i].c, (unsigned long long)n,
			     ref_sample_sizes[i].n);
	}
	/* An explicit margin: p = 0.5, 95%, +-1% -> ceil(1.96^2 * 0.25 / 1e-4) = 9604. */
	cr_expect_eq(stats_sample_size_binomial(0.5, 0.95, 0.01), 9604);
}

Test(sample_sizes, invalid_arguments, .timeout = 10)
{
	stats_sample_sizes_result s;
	cr_expect_eq(stats_sample_sizes(0.0, 0.99, &s), -EINVAL);
	cr_expect_eq(stats_sample_sizes(1.0, 0.99, &s), -EINVAL);
	cr_expect_eq(stats_sample_sizes(0.9, 1.0, &s), -EINVAL);
	cr_expect_eq(stats_sample_sizes(NAN, 0.99, &s), -EINVAL);
	cr_expect_eq(stats_sample_sizes(0.9, 0.99, NULL), -EINVAL);
	cr_expect_eq(stats_sample_sizes(nextafter(1.0, 0.0), 0.99, &s), -ERANGE);
	cr_assert_eq(stats_sample_sizes(1.0 - 1e-12, 0.99, &s), 0);
	cr_expect(s.classic > UINT64_C(2000000000000000));
	cr_expect_eq(stats_sample_size_binomial(0.9, 0.99, -1.0), 0);
	cr_expect_eq(stats_sample_size_binomial(0.9, 0.99, NAN), 0);
	cr_expect_eq(stats_sample_size_binomial(0.9, 0.0, 0.0), 0);
	cr_expect_eq(stats_sample_size_binomial(2.0, 0.99, 0.0), 0);
}
