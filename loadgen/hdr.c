/* hdr.c: the log-linear histogram of the bounded-memory recording mode (hdr.h has the
 * layout and its error bound; docs/hdr.md explains both). */
#include <stdlib.h>
#include <string.h>

#include "loadgen/hdr.h"
#include "stats/stats.h"

unsigned lg__hdr_bits(unsigned digits)
{
    if (digits < LG__HDR_MIN_DIGITS || digits > LG__HDR_MAX_DIGITS)
        return 0;
    uint64_t pow10 = 1;
    for (unsigned i = 0; i < digits; i++)
        pow10 *= 10;
    unsigned p = 0;
    while ((UINT64_C(1) << p) < pow10)
        p++;
    return p;
}

double lg__hdr_relative_error(unsigned digits)
{
    unsigned p = lg__hdr_bits(digits);
    return p ? 1.0 / (double)(UINT64_C(1) << (p + 1)) : 0.0;
}

size_t lg__hdr_bytes(unsigned digits)
{
    unsigned p = lg__hdr_bits(digits);
    return p ? ((size_t)(64 - p) << p) * sizeof(uint64_t) : 0;
}

int lg__hdr_init(lg__hdr *h, unsigned digits)
{
    memset(h, 0, sizeof *h);
    unsigned p = lg__hdr_bits(digits);
    if (!p)
        return LG_EINVAL;
    h->digits = digits;
    h->bits = p;
    h->nbuckets = (size_t)(64 - p) << p;
    h->counts = calloc(h->nbuckets, sizeof *h->counts);
    return h->counts ? 0 : LG_ENOMEM;
}

void lg__hdr_fini(lg__hdr *h)
{
    free(h->counts);
    h->counts = NULL;
}

void lg__hdr_reset(lg__hdr *h)
{
    memset(h->counts, 0, h->nbuckets * sizeof *h->counts);
    h->total = 0;
    h->min = h->max = 0;
    h->sum_lo = h->sum_hi = 0;
}

int64_t lg__hdr_bucket_low(unsigned bits, size_t i)
{
    if (i < (size_t)2 << bits)
        return (int64_t)i;
    unsigned shift = (unsigned)(i >> bits) - 1;
    return (int64_t)((uint64_t)(i - ((size_t)shift << bits)) << shift);
}

int64_t lg__hdr_bucket_width(unsigned bits, size_t i)
{
    if (i < (size_t)2 << bits)
        return 1;
    return (int64_t)1 << ((i >> bits) - 1);
}

int lg__hdr_merge(lg__hdr *into, const lg__hdr *from)
{
    if (into->digits != from->digits)
        return LG_EINVAL;
    if (from->total == 0)
        return 0;
    for (size_t i = 0; i < into->nbuckets; i++)
        into->counts[i] += from->counts[i];
    if (into->total == 0 || from->min < into->min)
        into->min = from->min;
    if (into->total == 0 || from->max > into->max)
        into->max = from->max;
    into->total += from->total;
    uint64_t lo = into->sum_lo + from->sum_lo;
    into->sum_hi += from->sum_hi + (lo < into->sum_lo);
    into->sum_lo = lo;
    return 0;
}

int64_t lg__hdr_value_at_rank(const lg__hdr *h, uint64_t rank)
{
    if (h->total == 0)
        return 0;
    if (rank >= h->total)
        return h->max;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->nbuckets; i++) {
        seen += h->counts[i];
        if (seen > rank) {
            int64_t v = lg__hdr_bucket_low(h->bits, i) + lg__hdr_bucket_width(h->bits, i) / 2;
            return v < h->min ? h->min : v > h->max ? h->max : v;
        }
    }
    return h->max;
}

int64_t lg__hdr_percentile(const lg__hdr *h, double p)
{
    return lg__hdr_value_at_rank(h, stats_percentile_mlperf_index((size_t)h->total, p));
}

int64_t lg__hdr_mean(const lg__hdr *h)
{
    if (h->total == 0)
        return 0;
    /* 128-bit by 64-bit long division, one bit at a time (plain C11). */
    uint64_t q = 0, rem = 0, n = h->total;
    for (int word = 0; word < 2; word++) {
        uint64_t x = word == 0 ? h->sum_hi : h->sum_lo;
        for (int b = 63; b >= 0; b--) {
            bool carry = rem >> 63;
            rem = (rem << 1) | ((x >> b) & 1);
            q <<= 1;
            if (carry || rem >= n) {
                rem -= n;
                q |= 1;
            }
        }
    }
    return (int64_t)q;
}

void lg__hdr_stats(const lg__hdr *h, double target, lg_latency_stats *out)
{
    memset(out, 0, sizeof *out);
    out->count = h->total;
    if (h->total == 0)
        return;
    out->min_ns = h->min;
    out->max_ns = h->max;
    out->mean_ns = lg__hdr_mean(h);
    out->p50_ns = lg__hdr_percentile(h, 0.50);
    out->p90_ns = lg__hdr_percentile(h, 0.90);
    out->p95_ns = lg__hdr_percentile(h, 0.95);
    out->p97_ns = lg__hdr_percentile(h, 0.97);
    out->p99_ns = lg__hdr_percentile(h, 0.99);
    out->p999_ns = lg__hdr_percentile(h, 0.999);
    out->target_ns = lg__hdr_percentile(h, target);
}
