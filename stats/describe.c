/*
 * describe.c - descriptive statistics over doubles (mean, SD, CV, min/max, quartiles)
 * and the helpers the other double-array files share: checks, moments, sorted copies
 * and a seeded random number generator.
 */
#include "stats/stats.h"
#include "stats/internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>

bool stats__all_finite(const double *x, size_t n)
{
	if (n == 0)
		return true;
	if (!x)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return false;
	return true;
}

void stats__mean_var(const double *x, size_t n, double *mean, double *var)
{
	/*
	 * First pass: a plain mean.  Second pass: residuals from it.  Their sum (zero in
	 * exact arithmetic) carries the first pass's rounding error, so adding its mean
	 * refines the mean, and subtracting its square/n from the sum of squared residuals
	 * removes the same error from the variance (Chan, Golub and LeVeque's corrected
	 * two-pass algorithm).
	 */
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += x[i];
	double m0 = s / (double)n;
	double r = 0.0, rr = 0.0;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] - m0;
		r += d;
		rr += d * d;
	}
	if (mean)
		*mean = m0 + r / (double)n;
	if (var) {
		if (n < 2) {
			*var = NAN;
		} else {
			double v = (rr - r * r / (double)n) / (double)(n - 1);
			*var = v < 0.0 ? 0.0 : v;
		}
	}
}

double *stats__sorted_copy(const double *x, size_t n)
{
	if (n == 0 || n > SIZE_MAX / sizeof(double))
		return NULL;
	double *c = malloc(n * sizeof *c);
	if (!c)
		return NULL;
	memcpy(c, x, n * sizeof *c);
	stats_sort_f64(c, n);
	return c;
}

int stats__rng_init(gsl_rng *r, unsigned long seed)
{
	r->type = gsl_rng_mt19937;
	r->state = calloc(1, r->type->size);
	if (!r->state)
		return -ENOMEM;
	gsl_rng_set(r, seed);
	return 0;
}

void stats__rng_free(gsl_rng *r)
{
	free(r->state);
	r->state = NULL;
}

gsl_rng *stats_rng_new(unsigned long seed)
{
	gsl_rng *r = malloc(sizeof *r);
	if (!r)
		return NULL;
	if (stats__rng_init(r, seed) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

void stats_rng_free(gsl_rng *r)
{
	if (!r)
		return;
	stats__rng_free(r);
	free(r);
}

size_t stats__rng_index(const gsl_rng *r, size_t n)
{
	/* MT19937 yields 32 random bits per call, the range gsl_rng_uniform_int accepts. */
	if ((uint64_t)n <= UINT64_C(0xFFFFFFFF))
		return (size_t)gsl_rng_uniform_int(r, (unsigned long)n);
	/* Larger n: 64 bits from two draws, rejecting the incomplete top interval. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % (uint64_t)n;
	for (;;) {
		uint64_t v = ((uint64_t)gsl_rng_get(r) << 32) | (uint64_t)gsl_rng_get(r);
		if (v < limit)
			return (size_t)(v % (uint64_t)n);
	}
}

double stats_mean(const double *x, size_t n)
{
	if (n == 0 || !stats__all_finite(x, n))
		return NAN;
	double m;
	stats__mean_var(x, n, &m, NULL);
	return m;
}

double stats_sd(const double *x, size_t n)
{
	if (n < 2 || !stats__all_finite(x, n))
		return NAN;
	double v;
	stats__mean_var(x, n, NULL, &v);
	return sqrt(v);
}

int stats_describe(const double *x, size_t n, stats_describe_result *out)
{
	if (!out || n == 0 || !stats__all_finite(x, n))
		return -EINVAL;
	double *s = stats__sorted_copy(x, n);
	if (!s)
		return -ENOMEM;
	stats_describe_result d = { .n = n };
	stats__mean_var(x, n, &d.mean, NULL);
	d.sd = n >= 2 ? stats_sd(x, n) : NAN;
	d.cv = (n >= 2 && d.mean != 0.0) ? d.sd / fabs(d.mean) : NAN;
	d.min = s[0];
	d.max = s[n - 1];
	d.median = stats_quantile_interp(s, n, 0.5);
	d.q1 = stats_quantile_interp(s, n, 0.25);
	d.q3 = stats_quantile_interp(s, n, 0.75);
	free(s);
	*out = d;
	return 0;
}

double stats_stat_mean(const double *x, size_t n, void *ctx)
{
	(void)ctx;
	return stats_mean(x, n);
}

double stats_stat_quantile(const double *x, size_t n, void *ctx)
{
	if (!ctx || n == 0 || !stats__all_finite(x, n))
		return NAN;
	double p = *(const double *)ctx;
	if (!(p >= 0.0 && p <= 1.0))
		return NAN;
	double *s = stats__sorted_copy(x, n);
	if (!s)
		return NAN;
	double q = stats_quantile_interp(s, n, p);
	free(s);
	return q;
}
