/* sample.c: bounded drawing data from millions of samples: min/max reduction of
 * curves, the percentile spectrum, histograms of sorted arrays and time windows. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/internal.h"
#include "stats/stats.h"

/* ---- min/max reduction ------------------------------------------------------------ */

int plot_downsample_minmax(const double *x, const double *y, size_t n, size_t k,
                           double *ox, double *oy, size_t *nout)
{
    if (!ox || !oy || !nout || k < 4 || (!y && n > 0))
        return -EINVAL;
    if (n <= k) {
        for (size_t i = 0; i < n; i++) {
            ox[i] = x ? x[i] : (double)i;
            oy[i] = y[i];
        }
        *nout = n;
        return 0;
    }
    size_t w = 0;
#define KEEP(i)                                   \
    do {                                          \
        ox[w] = x ? x[(i)] : (double)(i);         \
        oy[w] = y[(i)];                           \
        w++;                                      \
    } while (0)
    KEEP(0);
    /* Interior points 1 .. n-2 in `buckets` runs; run j is [a, b). Each keeps at most
     * two points, so 2 + 2 * buckets <= k. */
    size_t interior = n - 2;
    size_t buckets = (k - 2) / 2;
    for (size_t j = 0; j < buckets; j++) {
        size_t a = 1 + (size_t)((double)interior * (double)j / (double)buckets);
        size_t b = 1 + (size_t)((double)interior * (double)(j + 1) / (double)buckets);
        if (j + 1 == buckets)
            b = n - 1;
        size_t imin = SIZE_MAX, imax = SIZE_MAX;
        for (size_t i = a; i < b; i++) {
            if (isnan(y[i]))
                continue;
            if (imin == SIZE_MAX || y[i] < y[imin])
                imin = i;
            if (imax == SIZE_MAX || y[i] > y[imax])
                imax = i;
        }
        if (imin == SIZE_MAX)
            continue;
        if (imin == imax) {
            KEEP(imin);
        } else if (imin < imax) {
            KEEP(imin);
            KEEP(imax);
        } else {
            KEEP(imax);
            KEEP(imin);
        }
    }
    KEEP(n - 1);
#undef KEEP
    *nout = w;
    return 0;
}

/* ---- percentile spectrum ---------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int plot_spectrum(const int64_t *sorted, size_t n, const double *pct, size_t npct,
                  size_t max_points, double *p_out, int64_t *v_out, size_t *nout)
{
    if (!sorted || n == 0 || (!pct && npct > 0) || !p_out || !v_out || !nout)
        return -EINVAL;
    if (npct > SIZE_MAX - 2 || max_points < npct + 2)
        return -EINVAL;
    for (size_t i = 0; i < npct; i++)
        if (!(pct[i] >= 0.0 && pct[i] < 1.0))
            return -EINVAL;

    /* The requested percentiles, sorted and without duplicates, wait at the end of
     * p_out; the merge below writes from the front and never reaches them before they
     * are read, since at most max_points points are written in all. */
    size_t r = 0;
    double *req = p_out + (max_points - npct);
    if (npct > 0) {
        memcpy(req, pct, npct * sizeof(*req));
        qsort(req, npct, sizeof(*req), cmp_double);
        for (size_t i = 0; i < npct; i++)
            if (r == 0 || req[i] != req[r - 1])
                req[r++] = req[i];
        /* Move the unique values to the very end, keeping their order. */
        memmove(p_out + (max_points - r), req, r * sizeof(*req));
        req = p_out + (max_points - r);
    }

    double p_max = 1.0 - 1.0 / (double)n;
    if (r > 0 && req[r - 1] > p_max)
        p_max = req[r - 1];
    double x_max = plot_pct_to_x(p_max);
    size_t fill = max_points - r - 2;

    size_t w = 0, ri = 0, fi = 1;
    bool min_done = false, max_done = false;
    while (!max_done) {
        /* The candidates: the minimum at 0, the next requested, the next fill point,
         * the maximum; the lowest p goes next. On a tie the fill point and the plain
         * minimum give way to a requested percentile, which has the same value. */
        double pf = fi <= fill ? plot_x_to_pct(x_max * (double)fi / (double)(fill + 1))
                               : INFINITY;
        double pr = ri < r ? req[ri] : INFINITY;
        double p;
        int64_t v;
        if (!min_done) {
            min_done = true;
            if (pr == 0.0)
                continue;
            p = 0.0;
            v = sorted[0];
        } else if (pr <= pf && pr <= p_max) {
            p = pr;
            v = sorted[stats_percentile_mlperf_index(n, pr)];
            ri++;
            if (pf == pr)
                fi++;
        } else if (pf < p_max) {
            p = pf;
            v = sorted[stats_percentile_mlperf_index(n, pf)];
            fi++;
        } else {
            max_done = true;
            p = p_max;
            v = sorted[n - 1];
            /* The largest requested percentile may sit at p_max already with the same
             * value; one point is enough then. */
            if (w > 0 && p_out[w - 1] == p && v_out[w - 1] == v)
                break;
        }
        p_out[w] = p;
        v_out[w] = v;
        w++;
    }
    *nout = w;
    return 0;
}

/* ---- histograms --------------------------------------------------------------------- */

/* Index of the first value >= edge in a sorted array. */
static size_t lower_bound(const int64_t *a, size_t n, double edge)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)a[mid] < edge)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Counts every value into the bins of edges[0..nb]; the first bin also takes values
 * below edges[0], the last those at or above edges[nb - 1]. */
static void count_bins(const int64_t *sorted, size_t n, const double *edges, size_t nb,
                       double *counts)
{
    size_t prev = 0;
    for (size_t i = 0; i < nb; i++) {
        size_t next = i + 1 < nb ? lower_bound(sorted, n, edges[i + 1]) : n;
        if (next < prev)
            next = prev;
        counts[i] = (double)(next - prev);
        prev = next;
    }
}

/* The smallest of 1, 2, 5 x 10^k that is >= raw (raw > 0). */
static double step_125(double raw)
{
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1.0 + 1e-9 ? 1.0 : f <= 2.0 + 1e-9 ? 2.0 : f <= 5.0 + 1e-9 ? 5.0 : 10.0) *
           mag;
}

int plot_histogram(const int64_t *sorted, size_t n, size_t max_bins, bool log_bins,
                   double *edges, double *counts, size_t *nbins)
{
    if (!sorted || n == 0 || !edges || !counts || !nbins || max_bins < 2 ||
        max_bins > 100000)
        return -EINVAL;
    double lo = (double)sorted[0], hi = (double)sorted[n - 1];
    size_t nb;
    if (log_bins && hi > 0.0) {
        /* The smallest positive value starts the axis. */
        size_t first_pos = lower_bound(sorted, n, 0.5);
        double lpos = log10((double)sorted[first_pos]), lhi = log10(hi);
        static const double per_decade[] = {50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02};
        double b = 0.02;
        long j0 = 0, j1 = 1;
        for (size_t c = 0; c < sizeof(per_decade) / sizeof(per_decade[0]); c++) {
            b = per_decade[c];
            j0 = (long)floor(lpos * b + 1e-9);
            j1 = (long)floor(lhi * b + 1e-9) + 1;
            if ((size_t)(j1 - j0) <= max_bins)
                break;
        }
        nb = (size_t)(j1 - j0);
        for (size_t i = 0; i <= nb; i++)
            edges[i] = pow(10.0, (double)(j0 + (long)i) / b);
    } else {
        /* Integers (ns) need no bin narrower than 1. */
        double width = hi > lo ? step_125((hi - lo) / (double)(max_bins - 1)) : 1.0;
        if (width < 1.0)
            width = 1.0;
        double first;
        for (;;) {
            first = floor(lo / width);
            double last = floor(hi / width);
            nb = (size_t)(last - first) + 1;
            if (nb <= max_bins)
                break;
            width = step_125(width * 1.5);
        }
        for (size_t i = 0; i <= nb; i++)
            edges[i] = (first + (double)i) * width;
    }
    count_bins(sorted, n, edges, nb, counts);
    *nbins = nb;
    return 0;
}

/* ---- time windows ----------------------------------------------------------------- */

/* p50 and p99 (MLPerf's rule) of the m values at a, reordering them. */
static void window_quantiles(int64_t *a, size_t m, plot_window *o)
{
    size_t k99 = stats_percentile_mlperf_index(m, 0.99);
    size_t k50 = stats_percentile_mlperf_index(m, 0.50);
    o->p99 = stats_select_i64(a, m, k99);
    /* Everything before k99 is <= a[k99], so the median is among them. */
    o->p50 = k50 < k99 ? stats_select_i64(a, k99, k50) : o->p99;
}

/* Fills out[0..nw) from the windows stats/ finds: runs of the series when the times
 * never decrease (no pass over the values; the quantiles copy one window at a time),
 * else a counting sort that groups the values window by window (in the order of the
 * series either way, so both give the same figures). */
static int windows_fill(const int64_t *t_ns, const int64_t *v, size_t n, int64_t width,
                        size_t nw, bool monotone, bool quantiles, plot_window *out)
{
    size_t *off = malloc((nw + 1) * sizeof(*off));
    int64_t *grouped = NULL;
    if (!off)
        return -ENOMEM;
    const int64_t *x = v; /* window w's values at x + off[w] */
    if (monotone) {
        stats_window_runs_i64(t_ns, n, width, nw, off);
    } else if (v) {
        if (!(grouped = malloc((n ? n : 1) * sizeof(*grouped)))) {
            free(off);
            return -ENOMEM;
        }
        stats_window_group_i64(t_ns, v, n, width, nw, off, grouped);
        x = grouped;
    } else {
        stats_window_group_i64(t_ns, NULL, n, width, nw, off, NULL);
    }
    double seconds = (double)width / 1e9;
    size_t most = 0;
    for (size_t w = 0; w < nw; w++) {
        plot_window *o = &out[w];
        o->count = off[w + 1] - off[w];
        o->rate_per_s = (double)o->count / seconds;
        most = o->count > most ? o->count : most;
        if (!v || !o->count)
            continue;
        const int64_t *xs = x + off[w];
        int64_t lo = xs[0], hi = xs[0];
        double sum = 0;
        for (size_t i = 0; i < o->count; i++) {
            lo = xs[i] < lo ? xs[i] : lo;
            hi = xs[i] > hi ? xs[i] : hi;
            sum += (double)xs[i];
        }
        o->min = lo;
        o->max = hi;
        o->mean = sum / (double)o->count;
    }
    int rc = 0;
    if (quantiles && v) {
        /* The grouping is ours to reorder; runs of the caller's series are copied. */
        int64_t *scratch = grouped ? grouped : malloc((most ? most : 1) * sizeof(*scratch));
        for (size_t w = 0; scratch && w < nw; w++) {
            if (!out[w].count)
                continue;
            int64_t *a = scratch + (grouped ? off[w] : 0);
            if (!grouped)
                memcpy(a, v + off[w], out[w].count * sizeof(*a));
            window_quantiles(a, out[w].count, &out[w]);
        }
        rc = scratch ? 0 : -ENOMEM;
        if (scratch != grouped)
            free(scratch);
    }
    free(grouped);
    free(off);
    return rc;
}

int plot_windows(const int64_t *t_ns, const int64_t *v, size_t n, int64_t width_ns,
                 size_t max_windows, bool quantiles, plot_window *out, size_t *nout,
                 int64_t *width_used_ns)
{
    if ((!t_ns && n > 0) || !out || !nout || width_ns <= 0 || max_windows < 1 ||
        max_windows > 1000000)
        return -EINVAL;
    int64_t tmax = -1;
    bool monotone = true; /* times in order (scheduled times are): windows are runs */
    for (size_t i = 0; i < n; i++) {
        if (t_ns[i] > tmax)
            tmax = t_ns[i];
        monotone = monotone && (i == 0 || t_ns[i] >= t_ns[i - 1]);
    }
    *nout = 0;
    if (width_used_ns)
        *width_used_ns = width_ns;
    if (tmax < 0)
        return 0;

    /* Widen the window through 1, 2, 5, 10, 20, ... times the wanted width until the
     * windows fit. */
    static const int64_t mult125[3] = {1, 2, 5};
    int64_t width = width_ns;
    for (int64_t decade = 1, m = 0; (uint64_t)(tmax / width) + 1 > (uint64_t)max_windows;) {
        if (++m == 3) {
            m = 0;
            if (decade > INT64_MAX / 10)
                break;
            decade *= 10;
        }
        if (width_ns > INT64_MAX / decade / mult125[m]) {
            width = INT64_MAX;
            break;
        }
        width = width_ns * decade * mult125[m];
    }
    size_t nw = (size_t)(tmax / width) + 1;
    if (nw > max_windows)
        nw = max_windows;

    for (size_t w = 0; w < nw; w++) {
        memset(&out[w], 0, sizeof(out[w]));
        out[w].start_ns = (int64_t)w * width;
    }
    int rc = windows_fill(t_ns, v, n, width, nw, monotone, quantiles, out);
    if (rc)
        return rc;
    *nout = nw;
    if (width_used_ns)
        *width_used_ns = width;
    return 0;
}
