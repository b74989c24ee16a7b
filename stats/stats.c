/*
 * stats.c - percentiles (MLPerf's index rule and interpolated quantiles) and the
 * per-array latency summary MLPerf's logs report.
 */
#include "stats/stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

size_t stats_percentile_mlperf_index(size_t n, double p)
{
	if (n == 0 || !(p > 0.0)) /* also catches NaN */
		return 0;
	/* MLPerf multiplies the count by the fraction in double and truncates. */
	double idx = (double)n * p;
	if (idx >= (double)(n - 1))
		return n - 1;
	return (size_t)idx;
}

stats_pct_label stats_percentile_label(double p)
{
	stats_pct_label l;
	if (isnan(p)) {
		snprintf(l.s, sizeof l.s, "p?");
		return l;
	}
	double pct = p * 100.0;
	/* Below 1, 100 p stays below 100.0 in a double (its largest value is 100 - 1.4e-14),
	 * so 17 digits always tell it from 100. */
	for (int prec = 6; prec < 17; prec++) {
		snprintf(l.s, sizeof l.s, "p%.*g", prec, pct);
		if (!(p > 0.0 && p < 1.0) || strtod(l.s + 1, NULL) < 100.0)
			return l;
	}
	snprintf(l.s, sizeof l.s, "p%.17g", pct);
	return l;
}

int64_t stats_percentile_mlperf(const int64_t *sorted, size_t n, double p)
{
	if (n == 0 || !sorted)
		return 0;
	return sorted[stats_percentile_mlperf_index(n, p)];
}

double stats_quantile_interp(const double *sorted, size_t n, double p)
{
	if (n == 0 || !sorted || isnan(p))
		return NAN;
	if (p <= 0.0)
		return sorted[0];
	if (p >= 1.0)
		return sorted[n - 1];
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)h;
	if (lo >= n - 1)
		return sorted[n - 1];
	double frac = h - (double)lo;
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

/*
 * Truncated mean of n int64 values with a 128-bit sum kept in two words, so that no
 * input can overflow it (n values of magnitude < 2^63 sum to less than 2^127).  Plain
 * C11 has no 128-bit integer, hence the hand-made carry and long division.
 */
static int64_t mean_trunc_i64(const int64_t *v, size_t n)
{
	uint64_t lo = 0, hi = 0; /* two's complement 128-bit sum hi:lo */
	for (size_t i = 0; i < n; i++) {
		uint64_t x = (uint64_t)v[i];
		uint64_t ext = v[i] < 0 ? UINT64_MAX : 0; /* sign extension of x */
		uint64_t s = lo + x;
		hi += ext + (s < lo);
		lo = s;
	}
	bool neg = (hi >> 63) != 0;
	if (neg) { /* magnitude = -(hi:lo) */
		lo = ~lo + 1;
		hi = ~hi + (lo == 0);
	}
	/*
	 * |sum| / n < 2^63, so hi < n and the quotient fits in 64 bits: schoolbook
	 * division of hi:lo by n, one bit of lo at a time, with hi as the running
	 * remainder.  When the shifted remainder carries out of 64 bits it is
	 * certainly >= n, and the wrapped subtraction gives the right remainder.
	 */
	uint64_t d = (uint64_t)n, rem = hi, q = 0;
	for (int bit = 63; bit >= 0; bit--) {
		uint64_t carry = rem >> 63;
		rem = (rem << 1) | ((lo >> bit) & 1);
		q <<= 1;
		if (carry || rem >= d) {
			rem -= d;
			q |= 1;
		}
	}
	if (!neg)
		return (int64_t)q;
	/* q <= 2^63 here; -2^63 has no positive counterpart, so build it explicitly. */
	return q == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)q;
}

int stats_summary_i64(const int64_t *sorted, size_t n, double target_percentile,
		      stats_summary *out)
{
	if (!out || (!sorted && n > 0) || !(target_percentile >= 0.0 && target_percentile <= 1.0))
		return -EINVAL;
	stats_summary s = { .count = n, .target_percentile = target_percentile };
	if (n > 0) {
		s.min = sorted[0];
		s.max = sorted[n - 1];
		s.mean = mean_trunc_i64(sorted, n);
		s.p50 = stats_percentile_mlperf(sorted, n, 0.50);
		s.p90 = stats_percentile_mlperf(sorted, n, 0.90);
		s.p95 = stats_percentile_mlperf(sorted, n, 0.95);
		s.p97 = stats_percentile_mlperf(sorted, n, 0.97);
		s.p99 = stats_percentile_mlperf(sorted, n, 0.99);
		s.p999 = stats_percentile_mlperf(sorted, n, 0.999);
		s.target = stats_percentile_mlperf(sorted, n, target_percentile);
	}
	*out = s;
	return 0;
}
