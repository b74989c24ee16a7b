/*
 * hypothesis.c - two-sample tests: Welch's and Student's t-tests and the Mann-Whitney U
 * test (exact and asymptotic), matching SciPy's definitions.
 */
#include "stats/stats.h"
#include "stats/internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>

static int ttest(const double *a, size_t n_a, const double *b, size_t n_b, double confidence,
		 bool pooled, stats_ttest_result *out)
{
	if (!out || n_a < 2 || n_b < 2 || !(confidence > 0.0 && confidence < 1.0) ||
	    !stats__all_finite(a, n_a) || !stats__all_finite(b, n_b))
		return -EINVAL;
	double ma, va, mb, vb;
	stats__mean_var(a, n_a, &ma, &va);
	stats__mean_var(b, n_b, &mb, &vb);
	double na = (double)n_a, nb = (double)n_b;
	double se, df;
	if (pooled) {
		df = na + nb - 2.0;
		double sp2 = ((na - 1.0) * va + (nb - 1.0) * vb) / df;
		se = sqrt(sp2 * (1.0 / na + 1.0 / nb));
	} else {
		double ua = va / na, ub = vb / nb;
		se = sqrt(ua + ub);
		/*
		 * Welch-Satterthwaite, written with the share r of a's variance term so that
		 * it neither overflows nor underflows for extreme variances:
		 * df = (ua + ub)^2 / (ua^2/(na-1) + ub^2/(nb-1)) = 1 / (r^2/(na-1) + (1-r)^2/(nb-1)).
		 */
		if (ua + ub > 0.0) {
			double r = ua / (ua + ub), q = ub / (ua + ub);
			df = 1.0 / (r * r / (na - 1.0) + q * q / (nb - 1.0));
		} else {
			df = NAN; /* 0/0: both samples constant */
		}
	}
	stats_ttest_result res = {
		.mean_a = ma,
		.mean_b = mb,
		.diff = ma - mb,
		.se = se,
		.df = df,
		.confidence = confidence,
	};
	if (se > 0.0) {
		res.t = res.diff / se;
		res.p = stats_t_pvalue_two_sided(res.t, df);
		double half = stats_t_critical(confidence, df) * se;
		res.ci_lo = res.diff - half;
		res.ci_hi = res.diff + half;
	} else if (res.diff != 0.0) {
		/* Two constant samples with different values: the difference is certain. */
		res.t = copysign(INFINITY, res.diff);
		res.p = 0.0;
		res.ci_lo = res.ci_hi = res.diff;
	} else {
		res.t = res.p = res.ci_lo = res.ci_hi = NAN;
	}
	*out = res;
	return 0;
}

int stats_welch_ttest(const double *a, size_t n_a, const double *b, size_t n_b,
		      double confidence, stats_ttest_result *out)
{
	return ttest(a, n_a, b, n_b, confidence, false, out);
}

int stats_student_ttest(const double *a, size_t n_a, const double *b, size_t n_b,
			double confidence, stats_ttest_result *out)
{
	return ttest(a, n_a, b, n_b, confidence, true, out);
}

/* ---- Mann-Whitney U ------------------------------------------------------------------ */

/* Largest count a double holds exactly. */
#define EXACT_INT_MAX (UINT64_C(1) << 53)

/*
 * P[U <= k] under H0 for samples of sizes m and nn (any order), k <= m nn / 2.
 *
 * The number of arrangements with U = j is the coefficient of q^j in the Gaussian
 * binomial [m + nn choose m]_q, the generating function of partitions into at most m
 * parts of size at most nn.  It is built one factor at a time from
 * [nn + i choose i]_q = [nn + i - 1 choose i - 1]_q (1 - q^(nn+i)) / (1 - q^i),
 * truncated after q^k (truncated power series multiply and divide exactly): multiplying
 * by 1 - q^N subtracts a shifted copy, dividing by 1 - q^i is a running sum with stride
 * i.  When C(m + nn, m) < 2^53 every intermediate is an integer of at most that size, so
 * the counts are exact; otherwise each step is scaled by i / (nn + i) to keep the
 * coefficients probabilities (absolute error near 1e-16 per coefficient).
 *
 * Returns 0, or -ENOMEM.  O(min(m, nn) k) time, k + 1 doubles.
 */
static int mwu_exact_cdf(size_t m, size_t nn, uint64_t k, double *cdf)
{
	if (m > nn) {
		size_t t = m;
		m = nn;
		nn = t;
	}
	if (k >= SIZE_MAX / sizeof(double))
		return -ENOMEM;
	double *c = calloc((size_t)k + 1, sizeof *c);
	if (!c)
		return -ENOMEM;
	/* C(nn + m, m) by C(nn + i, i) = C(nn + i - 1, i - 1) (nn + i) / i, while exact. */
	uint64_t total = 1;
	bool integer = true;
	for (size_t i = 1; i <= m && integer; i++) {
		uint64_t f = (uint64_t)(nn + i);
		if (total > (UINT64_MAX >> 8) / f) {
			integer = false;
			break;
		}
		total = total * f / (uint64_t)i; /* exact: the product is i C(nn + i, i) */
		if (total >= EXACT_INT_MAX)
			integer = false;
	}
	c[0] = 1.0;
	for (size_t i = 1; i <= m; i++) {
		uint64_t N = (uint64_t)nn + i;
		if (N <= k)
			for (uint64_t j = k; j >= N; j--)
				c[j] -= c[j - N];
		for (uint64_t j = i; j <= k; j++)
			c[j] += c[j - i];
		if (!integer) {
			double s = (double)i / (double)N;
			for (uint64_t j = 0; j <= k; j++)
				c[j] *= s;
		}
	}
	double sum = 0.0;
	for (uint64_t j = 0; j <= k; j++)
		sum += c[j];
	free(c);
	*cdf = integer ? sum / (double)total : sum;
	return 0;
}

int stats_mann_whitney(const double *a, size_t n_a, const double *b, size_t n_b,
		       stats_mwu_method method, stats_mwu_result *out)
{
	if (!out || n_a == 0 || n_b == 0 || !stats__all_finite(a, n_a) ||
	    !stats__all_finite(b, n_b))
		return -EINVAL;
	if (method != STATS_MWU_AUTO && method != STATS_MWU_EXACT &&
	    method != STATS_MWU_ASYMPTOTIC)
		return -EINVAL;
	double *sa = stats__sorted_copy(a, n_a), *sb = stats__sorted_copy(b, n_b);
	if (!sa || !sb) {
		free(sa);
		free(sb);
		return -ENOMEM;
	}
	/*
	 * Walk both sorted samples as one merged order, a group of equal values at a time.
	 * Each a-value in a group beats every b-value below the group and ties with the
	 * group's b-values, so U_a = sum over groups of ca * (b's below) + ca * cb / 2: the
	 * definition itself, in exact integer (and half-integer) arithmetic.  The same
	 * groups give the tie term sum(t^3 - t) of the variance.
	 */
	double u = 0.0, tie_term = 0.0;
	bool ties = false, all_tied = false;
	size_t i = 0, j = 0;
	while (i < n_a || j < n_b) {
		double v = (j >= n_b || (i < n_a && sa[i] <= sb[j])) ? sa[i] : sb[j];
		size_t ca = 0, cb = 0;
		while (i < n_a && sa[i] == v) {
			i++;
			ca++;
		}
		while (j < n_b && sb[j] == v) {
			j++;
			cb++;
		}
		double below_b = (double)(j - cb);
		u += (double)ca * below_b + 0.5 * (double)ca * (double)cb;
		double t = (double)(ca + cb);
		if (ca + cb > 1) {
			ties = true;
			tie_term += t * t * t - t;
		}
		if (ca + cb == n_a + n_b)
			all_tied = true;
	}
	free(sa);
	free(sb);

	double na = (double)n_a, nb = (double)n_b, nn = na * nb;
	bool exact;
	if (method == STATS_MWU_EXACT) {
		if (ties)
			return -EINVAL;
		exact = true;
	} else if (method == STATS_MWU_ASYMPTOTIC) {
		exact = false;
	} else {
		/* SciPy 1.10 _mwu_choose_method: exact unless both sizes exceed 8 or ties. */
		exact = (n_a <= 8 || n_b <= 8) && !ties;
	}

	stats_mwu_result res = {
		.u = u,
		.u_b = nn - u,
		.cles = u / nn,
		.exact = exact,
		.ties = ties,
		.n_a = n_a,
		.n_b = n_b,
	};
	double umax = u > res.u_b ? u : res.u_b;
	if (exact) {
		/* 2 P[U >= umax] = 2 P[U <= n_a n_b - umax] by symmetry. */
		double cdf;
		int rc = mwu_exact_cdf(n_a, n_b, (uint64_t)(nn - umax), &cdf);
		if (rc != 0)
			return rc;
		res.z = NAN;
		res.p = 2.0 * cdf;
	} else {
		double N = na + nb;
		double s2 = nn / 12.0 * ((N + 1.0) - tie_term / (N * (N - 1.0)));
		if (all_tied || !(s2 > 0.0)) {
			res.z = -INFINITY; /* -0.5 / 0, as SciPy computes it */
			res.p = 1.0;
		} else {
			res.z = (umax - 0.5 * nn - 0.5) / sqrt(s2);
			res.p = 2.0 * gsl_cdf_ugaussian_Q(res.z);
		}
	}
	if (res.p > 1.0)
		res.p = 1.0;
	*out = res;
	return 0;
}
