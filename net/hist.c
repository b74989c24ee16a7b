/* net/hist.c: a log-linear histogram of ns values for the client's per-request figures
 * (send delay, inter-token gaps): a fixed array, so that recording a value on the I/O
 * thread costs two relaxed stores and no allocation, and the threads' histograms merge
 * by addition. */
#include <string.h>

#include "net/internal.h"

#define RELAXED memory_order_relaxed

static size_t bucket_of(int64_t v)
{
    if (v < NET_HIST_EXACT)
        return v < 0 ? 0 : (size_t)v;
    uint64_t u = (uint64_t)v;
    int e = 63 - __builtin_clzll(u);
    if (e > NET_HIST_MAX_EXP)
        return NET_HIST_BUCKETS - 1;
    return NET_HIST_EXACT + (size_t)(e - 7) * NET_HIST_SUB +
           (size_t)((u >> (e - 6)) & (NET_HIST_SUB - 1));
}

/* The middle of bucket b. */
static int64_t bucket_mid(size_t b)
{
    if (b < NET_HIST_EXACT)
        return (int64_t)b;
    size_t k = b - NET_HIST_EXACT;
    int e = (int)(k / NET_HIST_SUB) + 7;
    uint64_t sub = k % NET_HIST_SUB;
    uint64_t lo = ((uint64_t)1 << e) + (sub << (e - 6));
    return (int64_t)(lo + ((uint64_t)1 << (e - 6)) / 2);
}

void net_hist_init(net_hist *h)
{
    for (size_t i = 0; i < NET_HIST_BUCKETS; i++)
        atomic_init(&h->bucket[i], 0);
    atomic_init(&h->count, 0);
    atomic_init(&h->sum_ns, 0);
    atomic_init(&h->min_ns, INT64_MAX);
    atomic_init(&h->max_ns, 0);
}

/* The owner's add: a load and a store, which only the owner does. */
static void bump(_Atomic uint64_t *x, uint64_t by)
{
    atomic_store_explicit(x, atomic_load_explicit(x, RELAXED) + by, RELAXED);
}

void net_hist_add(net_hist *h, int64_t v)
{
    if (v < 0)
        v = 0;
    bump(&h->bucket[bucket_of(v)], 1);
    bump(&h->count, 1);
    bump(&h->sum_ns, (uint64_t)v);
    if (v < atomic_load_explicit(&h->min_ns, RELAXED))
        atomic_store_explicit(&h->min_ns, v, RELAXED);
    if (v > atomic_load_explicit(&h->max_ns, RELAXED))
        atomic_store_explicit(&h->max_ns, v, RELAXED);
}

void net_hist_merge(net_hist *dst, const net_hist *src)
{
    for (size_t i = 0; i < NET_HIST_BUCKETS; i++)
        bump(&dst->bucket[i], atomic_load_explicit(&src->bucket[i], RELAXED));
    bump(&dst->count, atomic_load_explicit(&src->count, RELAXED));
    bump(&dst->sum_ns, atomic_load_explicit(&src->sum_ns, RELAXED));
    int64_t mn = atomic_load_explicit(&src->min_ns, RELAXED);
    int64_t mx = atomic_load_explicit(&src->max_ns, RELAXED);
    if (mn < atomic_load_explicit(&dst->min_ns, RELAXED))
        atomic_store_explicit(&dst->min_ns, mn, RELAXED);
    if (mx > atomic_load_explicit(&dst->max_ns, RELAXED))
        atomic_store_explicit(&dst->max_ns, mx, RELAXED);
}

/* The value at sorted index k (0-based) of the histogram's n values. */
static int64_t value_at(const net_hist *h, uint64_t k)
{
    uint64_t seen = 0;
    for (size_t b = 0; b < NET_HIST_BUCKETS; b++) {
        seen += atomic_load_explicit(&h->bucket[b], RELAXED);
        if (seen > k)
            return bucket_mid(b);
    }
    return atomic_load_explicit(&h->max_ns, RELAXED);
}

void net_hist_summarize(const net_hist *h, net_hist_summary *out)
{
    memset(out, 0, sizeof *out);
    /* The buckets, not count: a reader racing the owner sees them agree. */
    uint64_t n = 0;
    for (size_t b = 0; b < NET_HIST_BUCKETS; b++)
        n += atomic_load_explicit(&h->bucket[b], RELAXED);
    out->count = n;
    if (!n)
        return;
    int64_t mn = atomic_load_explicit(&h->min_ns, RELAXED);
    int64_t mx = atomic_load_explicit(&h->max_ns, RELAXED);
    out->min_ns = mn;
    out->max_ns = mx;
    out->mean_ns = (double)atomic_load_explicit(&h->sum_ns, RELAXED) / (double)n;
    const double ps[] = {0.5, 0.9, 0.99, 0.999};
    int64_t *dst[] = {&out->p50_ns, &out->p90_ns, &out->p99_ns, &out->p999_ns};
    for (int i = 0; i < 4; i++) {
        uint64_t k = (uint64_t)((double)n * ps[i]);
        int64_t v = value_at(h, k < n ? k : n - 1);
        /* a bucket's middle may lie outside the values seen */
        *dst[i] = v < mn ? mn : v > mx ? mx : v;
    }
}
