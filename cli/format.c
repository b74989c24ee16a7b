/* cli/format.c: the run commands' short times and metrics. The analysis commands print
 * values, changes and p-values with report/'s formatters (rpt_format_*), as the reports
 * do. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"

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
    /* SingleStream and MultiStream's metric, the early-stopping estimate, is no number
     * when early stopping was not met. */
    if ((r->scenario == LG_SINGLE_STREAM || r->scenario == LG_MULTI_STREAM) &&
        r->early_stopping.applies && !r->early_stopping.met) {
        snprintf(buf, len, "n/a (needs %llu)", (unsigned long long)r->early_stopping.min_queries);
        return;
    }
    if (!strcmp(r->metric_unit ? r->metric_unit : "", "ns")) {
        char t[32];
        cli_print_ns(t, sizeof t, r->metric);
        snprintf(buf, len, "%s", t);
    } else {
        snprintf(buf, len, "%.1f /s", r->metric);
    }
}
