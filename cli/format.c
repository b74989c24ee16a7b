/* cli/format.c: numbers as the program prints them: the analysis commands' values,
 * changes and p-values, and the run commands' short times and metrics. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"

/* ---------------------------------------------------------------- validate, compare */

/* These four are to give way to report/'s public formatters: they stay together here. */

void cli_fmt_ns(char *buf, size_t len, double ns)
{
    if (!isfinite(ns))
        snprintf(buf, len, "n/a");
    else if (fabs(ns) >= 1e9)
        snprintf(buf, len, "%.3f s", ns / 1e9);
    else if (fabs(ns) >= 1e6)
        snprintf(buf, len, "%.3f ms", ns / 1e6);
    else if (fabs(ns) >= 1e3)
        snprintf(buf, len, "%.1f us", ns / 1e3);
    else
        snprintf(buf, len, "%.0f ns", ns);
}

void cli_fmt_value(char *buf, size_t len, double v, const char *unit)
{
    if (!isfinite(v))
        snprintf(buf, len, "n/a");
    else if (!strcmp(unit, "ns"))
        cli_fmt_ns(buf, len, v);
    else if (!strcmp(unit, "1/s"))
        snprintf(buf, len, "%.1f /s", v);
    else
        snprintf(buf, len, "%.6g%s%s", v, *unit ? " " : "", unit);
}

void cli_fmt_pct(char *buf, size_t len, double f)
{
    if (!isfinite(f))
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%+.2f%%", f * 100);
}

void cli_fmt_p(char *buf, size_t len, double p)
{
    if (!isfinite(p))
        snprintf(buf, len, "n/a");
    else if (p < 1e-12)
        snprintf(buf, len, "<1e-12");
    else if (p < 0.001)
        snprintf(buf, len, "%.1e", p);
    else
        snprintf(buf, len, "%.4f", p);
}

/* ---------------------------------------------------------------- run, demo */

void cli_print_ns(char *buf, size_t len, double ns)
{
    if (ns >= 1e9)
        snprintf(buf, len, "%.3g s", ns / 1e9);
    else if (ns >= 1e6)
        snprintf(buf, len, "%.3g ms", ns / 1e6);
    else if (ns >= 1e3)
        snprintf(buf, len, "%.3g us", ns / 1e3);
    else
        snprintf(buf, len, "%.0f ns", ns);
}

void cli_metric_text(const lg_results *r, char *buf, size_t len)
{
    if (!strcmp(r->metric_unit ? r->metric_unit : "", "ns")) {
        char t[32];
        cli_print_ns(t, sizeof t, r->metric);
        snprintf(buf, len, "%s", t);
    } else {
        snprintf(buf, len, "%.1f /s", r->metric);
    }
}
