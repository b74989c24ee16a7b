/* report/format.h: numbers as the reports and the `loadgen` program print them: metric
 * values, relative changes and p-values. Durations are the core's lg_format_ns()
 * (loadgen/loadgen.h, included here), which rpt_format_value() uses for "ns". Part of the
 * report library (report/report.h). docs/reports.md. */
#ifndef REPORT_FORMAT_H
#define REPORT_FORMAT_H

#include <stddef.h>

#include "loadgen/loadgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==================================================================================== */
/* Numbers as text: one formatter set for every report and the `loadgen` program        */
/* ==================================================================================== */

/*
 * Shared by these three functions:
 *  buf, len  the caller's buffer; they write at most len bytes, the NUL included, and
 *            truncate as snprintf does (len 0 writes nothing, and buf may then be NULL).
 *            RPT_FORMAT_MAX bytes hold every text they write for values whose magnitude,
 *            in the unit printed, is below 1e18, with a unit of up to 16 characters.
 *  NaN and the infinities print "n/a": the figure could not be computed.
 * Thread safety: reentrant; nothing is kept.
 * Durations are lg_format_ns() (loadgen/loadgen.h), whose texts fit these buffers too.
 */
#define RPT_FORMAT_MAX 32

/*
 * A value of a metric in its unit (rpt_metric.unit): "ns" as lg_format_ns() ("1.235 ms"),
 * "1/s" as "1234.5 /s", any other unit as "%.6g UNIT" ("42 samples"), and NULL or ""
 * as a plain "%.6g" ("0.125").
 */
void rpt_format_value(char *buf, size_t len, double v, const char *unit);

/* A relative change given as a fraction, as a signed percentage with 2 decimals:
 * 0.0324 gives "+3.24%", -0.005 gives "-0.50%", 0 gives "+0.00%". */
void rpt_format_pct(char *buf, size_t len, double fraction);

/*
 * A p-value (0 .. 1): "%.4f" from 0.001 up ("0.0312", "1.0000"), 2 significant digits
 * below it ("0.00031", "3.1e-05", which is what %.2g prints), and "< 1e-12" below 1e-12,
 * where the tests' tail approximations no longer give a meaningful digit.
 */
void rpt_format_p(char *buf, size_t len, double p);

#ifdef __cplusplus
}
#endif

#endif /* REPORT_FORMAT_H */
