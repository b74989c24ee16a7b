/* cli/format.c: the run commands' metric text. Durations are lg_format_ns() and the
 * other values rpt_format_value(), as in the library's summary and the reports. */
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"
#include "report/format.h"

/* ---------------------------------------------------------------- run, demo */

void cli_metric_text(const lg_results *r, char *buf, size_t len)
{
    /* SingleStream and MultiStream's metric, the early-stopping estimate, is no number
     * when early stopping was not met. */
    if ((r->scenario == LG_SINGLE_STREAM || r->scenario == LG_MULTI_STREAM) &&
        r->early_stopping.applies && !r->early_stopping.met) {
        snprintf(buf, len, "n/a (needs %llu)", (unsigned long long)r->early_stopping.min_queries);
        return;
    }
    rpt_format_value(buf, len, r->metric, r->metric_unit);
}
