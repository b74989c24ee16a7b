/*
 * ci.c - t-based confidence intervals: of the mean of independent values, and by batch
 * means for a series of dependent values.
 */
#include "stats/stats.h"
#include "stats/internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static bool valid_confidence(double c)
{
	return c > 0.0 && c < 1.0; /* false for NaN */
}

/* Fill a t interval around estimate from a standard error and degrees of freedom. */
static void t_interval(double estimate, double se, double df, double confidence, size_t n,
		       stats_ci *out)
{
	double half = se == 0.0 ? 0.0 : stats_t_critical(confidence, df) * se;
	*out = (stats_ci){
		.estimate = estimate,
		.lo = estimate - half,
		.hi = estimate + half,
		.confidence = confidence,
		.se = se,
		.df = df,
		.n = n,
	};
}

int stats_ci_mean_t(const double *x, size_t n, double confidence, stats_ci *out)
{
	if (!out || n < 2 || !valid_confidence(confidence) || !stats__all_finite(x, n))
		return -EINVAL;
	double m, v;
	stats__mean_var(x, n, &m, &v);
	t_interval(m, sqrt(v / (double)n), (double)(n - 1), confidence, n, out);
	return 0;
}

int stats_batch_means_ci(const double *x, size_t n, size_t batches, stats_statistic_fn stat,
			 void *ctx, double confidence, stats_ci *out)
{
	if (!out || !x || batches < 2 || batches > UINT32_MAX || n < batches ||
	    !valid_confidence(confidence) || !stats__all_finite(x, n))
		return -EINVAL;
	if (batches > SIZE_MAX / sizeof(double))
		return -ENOMEM;
	double *bv = malloc(batches * sizeof *bv);
	if (!bv)
		return -ENOMEM;
	for (size_t j = 0; j < batches; j++) {
		/*
		 * Boundaries floor(j n / k) without overflowing j * n: with n = q k + r,
		 * j n / k = j q + j r / k, and j r < k^2 < 2^64 since k < 2^32.
		 */
		size_t q = n / batches, r = n % batches;
		size_t lo = j * q + (size_t)((uint64_t)j * r / batches);
		size_t hi = (j + 1) * q + (size_t)((uint64_t)(j + 1) * r / batches);
		double v = stat ? stat(x + lo, hi - lo, ctx) : stats_mean(x + lo, hi - lo);
		if (!isfinite(v)) {
			free(bv);
			return -EDOM;
		}
		bv[j] = v;
	}
	double m, var;
	stats__mean_var(bv, batches, &m, &var);
	free(bv);
	t_interval(m, sqrt(var / (double)batches), (double)(batches - 1), confidence, batches,
		   out);
	return 0;
}
