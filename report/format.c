/* format.c: numbers as people read them (metric values, changes, p-values), one set
 * shared by the reports, the harness and the `loadgen` program so that the same figure
 * reads the same everywhere. Durations are the core's lg_format_ns(), which the
 * library's own summary uses too. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/format.h"

void rpt_format_value(char *buf, size_t len, double v, const char *unit)
{
    if (!isfinite(v))
        snprintf(buf, len, "n/a");
    else if (unit && !strcmp(unit, "ns"))
        lg_format_ns(v, buf, len);
    else if (unit && !strcmp(unit, "1/s"))
        snprintf(buf, len, "%.1f /s", v);
    else if (unit && *unit)
        snprintf(buf, len, "%.6g %s", v, unit);
    else
        snprintf(buf, len, "%.6g", v);
}

void rpt_format_pct(char *buf, size_t len, double fraction)
{
    if (!isfinite(fraction))
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%+.2f%%", fraction * 100.0);
}

void rpt_format_p(char *buf, size_t len, double p)
{
    /* Below 1e-12 the tests' tail approximations carry no meaningful digit, so the
     * figure is a bound rather than a number. */
    if (!isfinite(p))
        snprintf(buf, len, "n/a");
    else if (p < 1e-12)
        snprintf(buf, len, "< 1e-12");
    else if (p < 0.001)
        snprintf(buf, len, "%.2g", p);
    else
        snprintf(buf, len, "%.4f", p);
}
