/*
 * hist.c - log-linear histograms of non-negative int64_t values in fixed memory (the
 * layout and its error bound are in stats.h). A value's bucket is found with one
 * count-leading-zeros and a shift, so recording costs a few nanoseconds and never
 * allocates; the buckets are the same for every histogram, so merging is adding.
 */
#include "stats/stats.h"

#include <errno.h>
#include <string.h>

void stats_hist_reset(stats_hist *h)
{
	memset(h, 0, sizeof *h);
}

size_t stats_hist_bucket_of(int64_t v)
{
	if (v < 2 * STATS_HIST_SUB)
		return v < 0 ? 0 : (size_t)v;
	/* v in [2^e, 2^(e+1)) with e >= 8: shifted right by g = e - 7 it lies in
	 * [128, 256), and the groups follow one another: bucket 128 g + (v >> g). */
	unsigned e = 63u - (unsigned)__builtin_clzll((unsigned long long)v);
	unsigned g = e - STATS_HIST_SUB_BITS;
	return (size_t)STATS_HIST_SUB * g + (size_t)((uint64_t)v >> g);
}

int64_t stats_hist_bucket_lo(size_t i)
{
	if (i < 2 * STATS_HIST_SUB)
		return (int64_t)i;
	size_t g = i / STATS_HIST_SUB - 1;
	uint64_t m = i - STATS_HIST_SUB * g;
	return (int64_t)(m << g);
}

int64_t stats_hist_bucket_hi(size_t i)
{
	if (i < 2 * STATS_HIST_SUB)
		return (int64_t)i;
	size_t g = i / STATS_HIST_SUB - 1;
	uint64_t m = i - STATS_HIST_SUB * g;
	/* The top bucket ends at INT64_MAX: (256 << 55) - 1 computed in unsigned. */
	return (int64_t)(((m + 1) << g) - 1);
}

void stats_hist_record_n(stats_hist *h, int64_t v, uint64_t n)
{
	if (n == 0)
		return;
	if (v < 0) {
		h->negative += n;
		return;
	}
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count += n;
	h->counts[stats_hist_bucket_of(v)] += n;
	unsigned __int128 add = (unsigned __int128)(uint64_t)v * n;
	unsigned __int128 sum = ((unsigned __int128)h->sum_hi << 64 | h->sum_lo) + add;
	h->sum_lo = (uint64_t)sum;
	h->sum_hi = (uint64_t)(sum >> 64);
}

void stats_hist_record(stats_hist *h, int64_t v)
{
	stats_hist_record_n(h, v, 1);
}

int stats_hist_merge(stats_hist *dst, const stats_hist *src)
{
	if (!dst || !src)
		return -EINVAL;
	if (src->count > 0) {
		if (dst->count == 0 || src->min < dst->min)
			dst->min = src->min;
		if (dst->count == 0 || src->max > dst->max)
			dst->max = src->max;
	}
	/* Read src's sum before writing dst's: they may be the same histogram. */
	unsigned __int128 a = (unsigned __int128)src->sum_hi << 64 | src->sum_lo;
	unsigned __int128 b = (unsigned __int128)dst->sum_hi << 64 | dst->sum_lo;
	dst->sum_lo = (uint64_t)(a + b);
	dst->sum_hi = (uint64_t)((a + b) >> 64);
	dst->count += src->count;
	dst->negative += src->negative;
	for (size_t i = 0; i < STATS_HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	return 0;
}

int64_t stats_hist_percentile(const stats_hist *h, double p)
{
	if (h->count == 0)
		return 0;
	/* MLPerf's rank, as stats_percentile_mlperf_index computes it for count values. */
	uint64_t rank = (uint64_t)stats_percentile_mlperf_index((size_t)h->count, p);
	if (rank == 0)
		return h->min;
	if (rank >= h->count - 1)
		return h->max;
	uint64_t seen = 0;
	for (size_t i = 0; i < STATS_HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen > rank) {
			int64_t lo = stats_hist_bucket_lo(i), hi = stats_hist_bucket_hi(i);
			int64_t mid = lo + (hi - lo) / 2;
			if (mid < h->min)
				return h->min;
			return mid > h->max ? h->max : mid;
		}
	}
	return h->max; /* not reached: the counts add up to count */
}

double stats_hist_mean(const stats_hist *h)
{
	if (h->count == 0)
		return 0.0;
	unsigned __int128 sum = (unsigned __int128)h->sum_hi << 64 | h->sum_lo;
	/* Integer quotient and remainder keep the exactness a long double of the sum would
	 * lose past 2^64. */
	unsigned __int128 q = sum / h->count, r = sum % h->count;
	return (double)q + (double)r / (double)h->count;
}

uint64_t stats_hist_count_at_most(const stats_hist *h, int64_t v)
{
	if (v < 0)
		return 0;
	size_t last = stats_hist_bucket_of(v);
	uint64_t n = 0;
	for (size_t i = 0; i <= last; i++)
		n += h->counts[i];
	return n;
}
