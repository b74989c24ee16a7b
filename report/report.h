/* report.h: analysis of finished runs, the whole report library: every part below, and
 * the performance report that draws on them all. A program may include only the part it
 * needs:
 *   report/run.h       run folders read back, result sets, the machine a run ran on
 *   report/metrics.h   metrics: series of values from runs or files, their summaries
 *   report/compare.h   two sets of values compared, with a verdict per metric
 *   report/validate.h  one run validated: intervals, outliers, warm-up, stability
 *   report/doc.h       documents of sections and blocks, rendered as Markdown or HTML
 *   report/format.h    numbers as text (durations: lg_format_ns in loadgen/loadgen.h)
 * This header adds the performance report (a document of every folder's validation and
 * comparison, as Markdown or as HTML with charts). docs/reports.md. The framework object
 * that runs a model through every scenario is harness/harness.h. */
#ifndef REPORT_REPORT_H
#define REPORT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "report/compare.h"
#include "report/doc.h"
#include "report/format.h"
#include "report/metrics.h"
#include "report/run.h"
#include "report/validate.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions of this module and of every part above (prefix rpt_, "report"):
 *  - Functions return 0 or a negative LG_E* code (loadgen.h): LG_EINVAL for bad input
 *    (a malformed file, an out-of-range option), LG_EIO for a file that cannot be read
 *    or written, LG_ENOMEM. Functions that read files take `err, errlen`: on failure
 *    they write one English line naming the file (and line) and the problem there
 *    (err may be NULL). Nothing here prints, exits or keeps a pointer it was given.
 *  - Objects are opaque handles made by _create/_load and freed by _destroy, which
 *    accepts NULL. Plain result structs are caller-owned and filled by the call.
 *  - Units: times and latencies are nanoseconds (double or int64_t, `_ns` in the name),
 *    rates are per second ("1/s"), fractions are fractions (0.05 = 5%).
 *  - Thread safety: a handle may be used by one thread at a time; distinct handles may
 *    be used concurrently. Handles are read only after loading, so several threads
 *    may read one handle at once.
 *  - Random resampling (bootstraps) is seeded from the options: the same inputs and
 *    options always give the same numbers.
 */

/* ==================================================================================== */
/* The performance report                                                               */
/* ==================================================================================== */

typedef struct rpt_report_opts {
    rpt_validate_opts validate;
    rpt_compare_opts compare;
    const char *title;          /* NULL: "Performance report" */
} rpt_report_opts;

void rpt_report_opts_default(rpt_report_opts *o);

typedef struct rpt_report rpt_report;

/*
 * Builds the report of one or more result folders (single runs or repetition sets):
 * loads and validates each, compares each folder with the first earlier folder of the
 * same scenario and kind (its baseline; `report base new` compares new with base), and
 * lays the findings out as a document with the sections Executive Summary, Methodology,
 * Detailed Results, Statistical Validation, Comparison (only when some folder has a
 * baseline) and Recommendations (docs/reports.md).
 *
 *  dirs, n  the folders (n >= 1); copied.
 *  opts     NULL for the defaults.
 *  out      the report; free with rpt_report_destroy().
 *
 * Returns 0; the errors of rpt_set_load() (message names the folder); LG_EINVAL for
 * n == 0; LG_ENOMEM. A comparison that cannot be made (for example a single run
 * without samples.bin) becomes a paragraph of the report, not an error.
 */
int rpt_report_create(const char *const *dirs, size_t n, const rpt_report_opts *opts,
                      rpt_report **out, char *err, size_t errlen);

void rpt_report_destroy(rpt_report *r); /* accepts NULL */

/* The report's document (sections and blocks); valid while r lives. */
const rpt_doc *rpt_report_doc(const rpt_report *r);

/* rpt_doc_write_markdown() of the report's document. */
int rpt_report_write_markdown(const rpt_report *r, FILE *f);

/*
 * Writes the performance report of rpt_report_create() (same folders, same options, same
 * sections) as one self-contained HTML page with inline SVG charts (plot/plot.h), to
 * `path` (written under path + ".tmp" and renamed). Under Detailed Results, per folder
 * (the first run of a repetition set): the latency percentile spectrum with the latency
 * bound and target percentile marked (id "plot-spectrum-K", K the folder's number from
 * 1), for Server latency from scheduled vs from actual issue ("plot-sched-vs-issue-K"),
 * the latency histogram ("plot-histogram-K"), latency over time ("plot-latency-time-K"),
 * throughput over time ("plot-throughput-time-K") and, except Offline, schedule lag over
 * time ("plot-lag-time-K"); a folder without samples.bin gets none. Under Comparison,
 * per compared folder K: the overlaid spectra ("plot-cmp-spectra-K") and per metric M
 * its verdict, a dot chart of each side's mean with CI whiskers ("plot-cmp-ci-K-M") and,
 * for repetition sets, box plots of the repetitions ("plot-cmp-box-K-M"). Each chart
 * sits in a <figure> with a one-line <figcaption> saying how to read it. Its size is
 * bounded by the number of folders and metrics, never by the number of samples.
 *
 * Returns 0; the errors of rpt_report_create(); LG_EIO when the file cannot be written
 * (message in err); LG_ENOMEM.
 */
int rpt_report_write_html(const char *const *dirs, size_t n, const rpt_report_opts *opts,
                          const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* REPORT_REPORT_H */
