/* hdr.h: a log-linear ("HDR-style") histogram of non-negative int64 values with a stated
 * relative error, written for the bounded-memory recording mode (docs/hdr.md): bucket
 * index from count-leading-zeros, exact merge, MLPerf's percentile rule on bucket values.
 * loadgen/ only (not installed). */
#ifndef LOADGEN_HDR_H
#define LOADGEN_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

/* The range of hdr_significant_digits. */
#define LG__HDR_MIN_DIGITS 1
#define LG__HDR_MAX_DIGITS 5

/*
 * The layout, for p = lg__hdr_bits(digits) (the least p with 2^p >= 10^digits):
 *  - a value v below 2^(p+1) has a bucket of its own (index v, width 1: exact);
 *  - above, with m the position of v's highest set bit (63 - clz(v)) and s = m - p, v
 *    falls in the bucket of index s * 2^p + (v >> s), of width 2^s, whose lowest value
 *    (v >> s) << s is at least 2^(p+s).
 * A bucket stands for the value low + width / 2 (its lowest value for width 1), clamped
 * to the recorded minimum and maximum. Every value v is thus reported within
 * width/2 <= 2^(s-1) of itself, and v >= 2^(p+s): the relative error is at most
 * 2^-(p+1) (lg__hdr_relative_error), reached at v = 2^(p+s) exactly. Values up to
 * 2^63 - 1 in (64 - p) * 2^p buckets of 8 bytes.
 */
typedef struct lg__hdr {
    unsigned digits;   /* significant decimal digits, LG__HDR_MIN_DIGITS..MAX_DIGITS */
    unsigned bits;     /* p */
    size_t nbuckets;   /* (64 - p) << p */
    uint64_t *counts;  /* nbuckets counters (calloc: pages untouched stay unmapped) */
    uint64_t total;    /* values recorded */
    int64_t min, max;  /* exact; meaningful when total > 0 */
    uint64_t sum_lo, sum_hi; /* the exact sum, 128 bits */
} lg__hdr;

/* p for digits (4, 7, 10, 14, 17 for 1..5); 0 for digits out of range. */
unsigned lg__hdr_bits(unsigned digits);
/* The relative error bound 2^-(p+1) of digits (2: 1/256 = 0.390625 %); 0 out of range. */
double lg__hdr_relative_error(unsigned digits);
/* Bytes of counters of a histogram of digits. */
size_t lg__hdr_bytes(unsigned digits);

/* Prepares an empty histogram. Returns 0, LG_EINVAL (digits out of range) or
 * LG_ENOMEM. */
int lg__hdr_init(lg__hdr *h, unsigned digits);
/* Frees its counters; h may be zeroed or already freed. */
void lg__hdr_fini(lg__hdr *h);
/* Empties h (keeps its counters). */
void lg__hdr_reset(lg__hdr *h);

/* The bucket of v (v >= 0) for p bits. */
static inline size_t lg__hdr_index(unsigned bits, uint64_t v)
{
    unsigned msb = 63u - (unsigned)__builtin_clzll(v | 1);
    unsigned shift = msb > bits ? msb - bits : 0;
    return ((size_t)shift << bits) + (size_t)(v >> shift);
}

/* Records v (a negative v counts as 0). Owner thread only: no atomics. */
static inline void lg__hdr_record(lg__hdr *h, int64_t v)
{
    if (v < 0)
        v = 0;
    h->counts[lg__hdr_index(h->bits, (uint64_t)v)]++;
    if (h->total == 0 || v < h->min)
        h->min = v;
    if (h->total == 0 || v > h->max)
        h->max = v;
    h->total++;
    uint64_t lo = h->sum_lo + (uint64_t)v;
    h->sum_hi += lo < h->sum_lo;
    h->sum_lo = lo;
}

/* The lowest value of bucket i, and its width. */
int64_t lg__hdr_bucket_low(unsigned bits, size_t i);
int64_t lg__hdr_bucket_width(unsigned bits, size_t i);

/* Adds from's counts into into (same digits; else LG_EINVAL): exact, counts add. */
int lg__hdr_merge(lg__hdr *into, const lg__hdr *from);

/* The value standing for the value of rank `rank` (0-based, in ascending order; ranks
 * past the end give the maximum): its bucket's value, clamped to [min, max]; 0 when
 * empty. */
int64_t lg__hdr_value_at_rank(const lg__hdr *h, uint64_t rank);
/* MLPerf's percentile rule on the histogram: the value at rank floor(total * p)
 * (stats_percentile_mlperf_index), within lg__hdr_relative_error of the exact one. */
int64_t lg__hdr_percentile(const lg__hdr *h, double p);
/* The exact mean, truncated as MLPerf's integer sum / count; 0 when empty. */
int64_t lg__hdr_mean(const lg__hdr *h);
/* lg_latency_stats from the histogram: count, min, max and mean exact, the percentiles
 * (and target's) by lg__hdr_percentile. */
void lg__hdr_stats(const lg__hdr *h, double target, lg_latency_stats *out);

#endif /* LOADGEN_HDR_H */
