/* dist.c: the "Distributed run" part of the reports for a run of `mpirun -np N loadgen run
 * --distributed` (results.json's "distributed" object, docs/distributed.md): how many ranks
 * on how many hosts, whether every rank's share is in the merge, why the run is never
 * MLPerf-valid, and one row per rank; and its line in the Executive Summary. Any other run
 * gets nothing. */
#include <stdio.h>

#include "report/internal.h"

/* A duration in ns as the reports write them. */
static const char *ns(char *buf, size_t len, int64_t v)
{
    rpt_format_value(buf, len, (double)v, "ns");
    return buf;
}

static void rank_row(rpt_doc *d, const rpt_rank_info *k)
{
    char a[RPT_FORMAT_MAX], b[RPT_FORMAT_MAX];
    rpt__doc_cell(d, "%d", k->rank);
    if (!k->reported) {
        rpt__doc_cell(d, "-");
        for (int i = 0; i < 5; i++)
            rpt__doc_cell(d, "-");
        rpt__doc_cell(d, "did not report: %s", *k->error ? k->error : "no reason recorded");
        return;
    }
    rpt__doc_cell(d, "%s", k->host);
    rpt__doc_cell(d, "%.1f /s", k->achieved_per_s);
    rpt__doc_cell(d, "%s / %s", ns(a, sizeof a, k->lag_p99_ns), ns(b, sizeof b, k->lag_max_ns));
    rpt__doc_cell(d, "%s", ns(a, sizeof a, k->clock_offset_ns));
    rpt__doc_cell(d, "%s", ns(a, sizeof a, k->clock_offset_error_ns));
    if (k->has_start_skew)
        rpt__doc_cell(d, "%s", ns(a, sizeof a, k->start_skew_ns));
    else
        rpt__doc_cell(d, "- (never started)");
    if (k->status)
        rpt__doc_cell(d, "share failed (exit code %d)", k->status);
    else
        rpt__doc_cell(d, "ok");
}

/* Why a distributed run is never MLPerf-valid, in the words of both places that say it. */
static const char not_mlperf_valid[] =
    "It is never MLPerf-valid: MLPerf's rules allow one LoadGen per submission.";

void rpt__dist_summary(rpt_doc *d, const rpt_run_info *in, const char *label)
{
    const rpt_distributed_info *di = &in->distributed;
    if (!di->present)
        return;
    rpt__doc_item(d, "%s is a distributed run (docs/distributed.md) of %u rank%s on %u "
                  "host%s%s. %s", label, di->ranks, di->ranks == 1 ? "" : "s", di->hosts,
                  di->hosts == 1 ? "" : "s",
                  di->complete ? "" : ", INCOMPLETE (a rank did not report or its share "
                                      "failed)", not_mlperf_valid);
}

void rpt__dist_section(rpt_doc *d, const rpt_run_info *in, const char *who)
{
    const rpt_distributed_info *di = &in->distributed;
    if (!di->present)
        return;
    rpt__doc_para(d, "Distributed run%s%s (docs/distributed.md): %u rank%s on %u host%s, "
                  "%s; one schedule split by stride across the ranks, every rank's samples "
                  "merged into the figures above. %s", who ? " of " : "", who ? who : "",
                  di->ranks, di->ranks == 1 ? "" : "s", di->hosts, di->hosts == 1 ? "" : "s",
                  di->complete ? "complete (every rank reported and ran its share)"
                               : "INCOMPLETE (a rank did not report or its share failed: the "
                                 "figures are of the ranks that did)",
                  not_mlperf_valid);
    if (!di->n_per_rank)
        return;
    rpt__doc_table(d, 8);
    const char *hdr[8] = {"rank", "host", "achieved rate", "issue lag p99 / max",
                          "clock offset", "offset error", "start skew", "status"};
    for (int i = 0; i < 8; i++)
        rpt__doc_cell(d, "%s", hdr[i]);
    for (size_t i = 0; i < di->n_per_rank; i++)
        rank_row(d, &di->per_rank[i]);
}
