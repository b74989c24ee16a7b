/*
 * outliers.c - outlier counts by Tukey's fences (mild and severe, each side) and by the
 * MAD-based modified z-score of Iglewicz and Hoaglin.  Values are counted, never removed.
 */
#include "stats/stats.h"
#include "stats/internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/*
 * The median of |s[i] - m| over sorted s: the deviations of the values below m, read
 * from m downwards, and of the others, read upwards, are two ascending runs; merging
 * them up to the middle gives the interpolated median without a sort.
 */
static double mad_sorted(const double *s, size_t n, double m)
{
	size_t lo = 0, hi = n;
	while (lo < hi) { /* split: the first index with s[i] >= m */
		size_t mid = lo + (hi - lo) / 2;
		if (s[mid] < m)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t l = lo, r = lo; /* next left deviation: s[l - 1]; next right: s[r] */
	double h = (double)(n - 1) * 0.5, below = 0.0;
	size_t want = (size_t)h;
	for (size_t i = 0; i <= want + 1 && i < n; i++) {
		double d;
		if (l > 0 && (r >= n || m - s[l - 1] <= s[r] - m))
			d = m - s[--l];
		else
			d = s[r++] - m;
		if (i == want) {
			below = d;
			if ((double)want == h)
				return d;
		} else if (i == want + 1) {
			return below + (h - (double)want) * (d - below);
		}
	}
	return below;
}

int stats_outliers_sorted(const double *s, size_t n, stats_outliers_result *out)
{
	if (!out || !s || n == 0 || !stats__all_finite(s, n))
		return -EINVAL;
	for (size_t i = 1; i < n; i++)
		if (s[i] < s[i - 1])
			return -EINVAL;
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
	}
	r.mad = mad_sorted(s, n, r.median);
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
	*out = r;
	return 0;
}

int stats_outliers(const double *x, size_t n, stats_outliers_result *out)
{
	if (!out || n == 0 || !stats__all_finite(x, n))
		return -EINVAL;
	double *s = stats__sorted_copy(x, n);
	if (!s)
		return -ENOMEM;
	int rc = stats_outliers_sorted(s, n, out);
	free(s);
	return rc;
}
