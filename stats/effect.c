/*
 * effect.c - standardised effect sizes: Cohen's d with the pooled SD and Hedges' g with
 * the exact small-sample correction.
 */
#include "stats/stats.h"
#include "stats/internal.h"

#include <math.h>

double stats_cohens_d(const double *a, size_t n_a, const double *b, size_t n_b)
{
	if (n_a < 2 || n_b < 2 || !stats__all_finite(a, n_a) || !stats__all_finite(b, n_b))
		return NAN;
	double ma, va, mb, vb;
	stats__mean_var(a, n_a, &ma, &va);
	stats__mean_var(b, n_b, &mb, &vb);
	double na = (double)n_a, nb = (double)n_b;
	double sp = sqrt(((na - 1.0) * va + (nb - 1.0) * vb) / (na + nb - 2.0));
	double diff = ma - mb;
	if (sp == 0.0)
		return diff == 0.0 ? NAN : copysign(INFINITY, diff);
	return diff / sp;
}

double stats_hedges_correction(double df)
{
	if (!(df > 1.0))
		return NAN; /* also NaN */
	if (isinf(df))
		return 1.0;
	/*
	 * J = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)); with a = (df - 1)/2 the gamma
	 * ratio is Gamma(a + 1/2) / Gamma(a), taken as one accurate logarithm so that J
	 * stays exact to a few ulps even for df in the millions, where two lgamma values
	 * would cancel.
	 */
	return exp(stats__ln_gamma_ratio_half(0.5 * (df - 1.0)) - 0.5 * log(0.5 * df));
}

double stats_hedges_g(const double *a, size_t n_a, const double *b, size_t n_b)
{
	double d = stats_cohens_d(a, n_a, b, n_b);
	if (isnan(d))
		return d;
	return d * stats_hedges_correction((double)n_a + (double)n_b - 2.0);
}
