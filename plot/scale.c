/* scale.c: axis arithmetic: the percentile transform and "nice" ticks on linear and
 * log10 axes. */
#include <errno.h>
#include <math.h>

#include "plot/internal.h"

double plot_pct_to_x(double p)
{
    if (!(p > 0.0)) /* also NaN */
        return 0.0;
    if (p > 1.0 - 1e-15)
        p = 1.0 - 1e-15;
    return -log10(1.0 - p);
}

double plot_x_to_pct(double x)
{
    if (!(x > 0.0))
        return 0.0;
    return 1.0 - pow(10.0, -x);
}

/* The smallest of 1, 2, 5, 10 times 10^k that is >= raw (raw > 0). */
static double nice_step(double raw)
{
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    /* Small tolerance: 2.0000000001 (rounding in range / target) is still a 2. */
    if (f <= 1.0 + 1e-9)
        return mag;
    if (f <= 2.0 + 1e-9)
        return 2.0 * mag;
    if (f <= 5.0 + 1e-9)
        return 5.0 * mag;
    return 10.0 * mag;
}

int plot_ticks_linear(double lo, double hi, int target, double *ticks, size_t cap,
                      size_t *n, double *step)
{
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo) || target < 1 ||
        target > 100 || !ticks || !n)
        return -EINVAL;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo <= fabs(hi) * 1e-12 || hi == lo) {
        /* One value: a range around it, a unit one for 0. */
        double pad = lo != 0.0 ? fabs(lo) * 0.1 : 1.0;
        lo -= pad;
        hi += pad;
    }
    double s = nice_step((hi - lo) / target);
    /* Tick i is i * s, computed from its integer index so that errors never add up;
     * the range is widened to whole steps. */
    double first = floor(lo / s + 1e-9);
    double last = ceil(hi / s - 1e-9);
    if (last - first + 1 > (double)cap)
        return -EINVAL;
    size_t k = 0;
    for (double i = first; i <= last; i += 1.0) {
        double v = i * s;
        if (fabs(v) < s * 1e-9)
            v = 0.0;
        ticks[k++] = v;
    }
    *n = k;
    if (step)
        *step = s;
    return 0;
}

int plot_ticks_log10(double lo, double hi, double *major, size_t cap_major,
                     size_t *nmajor, double *minor, size_t cap_minor, size_t *nminor)
{
    if (!(lo > 0.0) || !(hi > 0.0) || !isfinite(lo) || !isfinite(hi) || !major || !nmajor)
        return -EINVAL;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    /* The tolerance keeps an exact power of ten (1e-3 is not exactly representable)
     * from being pushed out to the next decade. */
    int d0 = (int)floor(log10(lo) + 1e-9);
    int d1 = (int)ceil(log10(hi) - 1e-9);
    if (d1 == d0)
        d1 = d0 + 1;
    if (d0 < -30 || d1 > 30)
        return -EINVAL;
    size_t count = (size_t)(d1 - d0 + 1);
    if (count > cap_major)
        return -EINVAL;
    if (minor && count - 1 > 0 && (count - 1) * 8 > cap_minor)
        return -EINVAL;
    size_t k = 0, m = 0;
    for (int d = d0; d <= d1; d++) {
        double base = pow(10.0, d);
        major[k++] = base;
        if (minor && d < d1)
            for (int j = 2; j <= 9; j++)
                minor[m++] = j * base;
    }
    *nmajor = k;
    if (nminor)
        *nminor = m;
    return 0;
}
