/*
 * outliers.c - outlier counts by Tukey's fences (mild and severe, each side) and by the
 * MAD-based modified z-score of Iglewicz and Hoaglin.  Values are counted, never removed.
 */
#include "stats/stats.h"
#include "stats/internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_sort.h>

int stats_outliers(const double *x, size_t n, stats_outliers_result *out)
{
	if (!out || n == 0 || !stats__all_finite(x, n))
		return -EINVAL;
	double *s = stats__sorted_copy(x, n);
	if (!s)
		return -ENOMEM;
	double *dev = malloc(n * sizeof *dev);
	if (!dev) {
		free(s);
		return -ENOMEM;
	}
	stats_outliers_result r = { .n = n };
	r.q1 = stats_quantile_interp(s, n, 0.25);
	r.q3 = stats_quantile_interp(s, n, 0.75);
	r.iqr = r.q3 - r.q1;
	r.low_severe_fence = r.q1 - 3.0 * r.iqr;
	r.low_mild_fence = r.q1 - 1.5 * r.iqr;
	r.high_mild_fence = r.q3 + 1.5 * r.iqr;
	r.high_severe_fence = r.q3 + 3.0 * r.iqr;
	r.median = stats_quantile_interp(s, n, 0.5);
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
	stats_sort_f64(dev, n);
	r.mad = stats_quantile_interp(dev, n, 0.5);
	r.mad_zero = r.mad == 0.0;
	if (!r.mad_zero) {
		/*
		 * |M| > 3.5 with M = 0.6745 (x - median) / MAD, tested as a distance so
		 * that no division is needed per value.
		 */
		double limit = STATS_MAD_Z_THRESHOLD * r.mad / STATS_MAD_Z_SCALE;
		for (size_t i = 0; i < n; i++) {
			double d = s[i] - r.median;
			if (d < -limit)
				r.mad_low++;
			else if (d > limit)
				r.mad_high++;
		}
	}
	free(dev);
	free(s);
	*out = r;
	return 0;
}
