/* report/peak.c: the reports' "Peak Search" section (docs/peak.md, docs/reports.md): for
 * every folder whose results.json holds a "peak_search" object, the peak, why the search
 * stopped and one row per probe; in HTML a chart of the probes (plot/). Every figure is
 * the probe's own: nothing is averaged across probes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plot/plot.h"
#include "report/internal.h"

typedef struct peak_probe {
    double qps, percentile, achieved;
    int64_t pct_ns, dur_ns;
    uint64_t samples;
    bool confirmation;
    char verdict[8];
    char reason[256];
} peak_probe;

typedef struct peak_read {
    bool present, found;
    char algorithm[16];
    char criterion[16];
    double peak, upper, tolerance, goodput_share;
    int64_t search_ns;
    char stop[320];
    peak_probe *probes;
    size_t n;
} peak_read;

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void str(json_t *o, const char *k, char *buf, size_t len)
{
    json_t *v = json_object_get(o, k);
    snprintf(buf, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* Reads dir/results.json's "peak_search"; out->present is false when there is none (or
 * the file cannot be read: the rest of the report says so). */
static void peak_load(const char *dir, peak_read *out)
{
    memset(out, 0, sizeof *out);
    char path[4200];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    json_t *ps = root ? json_object_get(root, "peak_search") : NULL;
    json_t *pr = ps ? json_object_get(ps, "probes") : NULL;
    if (!json_is_object(ps) || !json_is_array(pr)) {
        json_decref(root);
        return;
    }
    out->present = true;
    out->found = json_is_true(json_object_get(ps, "found"));
    str(ps, "algorithm", out->algorithm, sizeof out->algorithm);
    str(ps, "criterion", out->criterion, sizeof out->criterion);
    str(ps, "stop_reason", out->stop, sizeof out->stop);
    out->peak = num(ps, "peak_qps");
    out->upper = num(ps, "upper_qps");
    out->tolerance = num(ps, "tolerance");
    out->goodput_share = num(ps, "goodput_share");
    double s = num(ps, "search_time_ns");
    out->search_ns = isfinite(s) ? (int64_t)s : 0;
    size_t n = json_array_size(pr);
    out->probes = n ? calloc(n, sizeof *out->probes) : NULL;
    for (size_t i = 0; out->probes && i < n; i++) {
        json_t *p = json_array_get(pr, i);
        peak_probe *q = &out->probes[out->n++];
        q->qps = num(p, "target_qps");
        q->percentile = num(p, "percentile");
        q->achieved = num(p, "achieved_qps");
        double v = num(p, "percentile_ns");
        q->pct_ns = isfinite(v) ? (int64_t)v : 0;
        v = num(p, "duration_ns");
        q->dur_ns = isfinite(v) ? (int64_t)v : 0;
        v = num(p, "samples");
        q->samples = isfinite(v) && v > 0 ? (uint64_t)v : 0;
        q->confirmation = json_is_true(json_object_get(p, "confirmation"));
        str(p, "verdict", q->verdict, sizeof q->verdict);
        str(p, "reason", q->reason, sizeof q->reason);
    }
    json_decref(root);
}

static void peak_free(peak_read *p) { free(p->probes); }

bool rpt__peak_present(const rpt_run_info *in)
{
    peak_read p;
    peak_load(in->dir, &p);
    peak_free(&p);
    return p.present;
}

void rpt__peak_section(rpt_doc *d, const rpt_run_info *in, size_t k)
{
    peak_read p;
    peak_load(in->dir, &p);
    if (!p.present)
        return;
    char t[LG_FORMAT_NS_MAX], a[LG_FORMAT_NS_MAX], b[LG_FORMAT_NS_MAX];
    lg_format_ns((double)p.search_ns, t, sizeof t);
    rpt__doc_heading(d, "#%zu %s", k, in->dir);
    bool mlperf = !strcmp(p.algorithm, "mlperf");
    if (p.found)
        rpt__doc_para(d, "%s found a peak of %.6g QPS in %zu probes, %s in all. It stopped: "
                      "%s.", mlperf ? "MLPerf's FindPeakPerformance" : "find-peak", p.peak,
                      p.n, t, p.stop);
    else
        rpt__doc_para(d, "%s found no passing rate in %zu probes (%s): %s.",
                      mlperf ? "MLPerf's FindPeakPerformance" : "find-peak", p.n, t, p.stop);
    if (p.upper > 0 && p.found)
        rpt__doc_para(d, "The peak lies in [%.6g, %.6g) QPS: the highest rate that passed and "
                      "the lowest above it that failed%s.", p.peak, p.upper,
                      isfinite(p.tolerance) && !mlperf ? "; the search stops when they are "
                      "within its tolerance" : "");
    rpt__doc_para(d, "Each probe is a performance run at one rate, judged on its own samples "
                  "(%s); no figure is averaged across probes. A probe \"cut\" was stopped "
                  "early by the watch because it could no longer pass; \"error\" means the "
                  "SUT failed samples or stopped answering. The logs and the figures of this "
                  "folder are the peak's probe.",
                  !strcmp(p.criterion, "goodput") ? "the share of requests meeting the SLOs"
                                                  : "the latency percentile against its bound");
    rpt__doc_table(d, 8);
    const char *hdr[8] = {"probe", "rate (QPS)", "verdict", "percentile", "completed (QPS)",
                          "samples", "time", "why"};
    for (int i = 0; i < 8; i++)
        rpt__doc_cell(d, "%s", hdr[i]);
    for (size_t i = 0; i < p.n; i++) {
        const peak_probe *q = &p.probes[i];
        lg_format_ns((double)q->pct_ns, a, sizeof a);
        lg_format_ns((double)q->dur_ns, b, sizeof b);
        rpt__doc_cell(d, "%zu%s", i + 1, q->confirmation ? " (confirmation)" : "");
        rpt__doc_cell(d, "%.6g", q->qps);
        rpt__doc_cell(d, "%s", q->verdict);
        if (q->samples && isfinite(q->percentile))
            rpt__doc_cell(d, "p%g %s", q->percentile * 100, a);
        else
            rpt__doc_cell(d, "-");
        rpt__doc_cell(d, "%.6g", isfinite(q->achieved) ? q->achieved : 0.0);
        rpt__doc_cell(d, "%llu", (unsigned long long)q->samples);
        rpt__doc_cell(d, "%s", b);
        rpt__doc_cell(d, "%s", q->reason);
    }
    peak_free(&p);
}

char *rpt__peak_figure(const rpt_run_info *in, size_t k)
{
    peak_read p;
    peak_load(in->dir, &p);
    if (!p.present || !p.n) {
        peak_free(&p);
        return NULL;
    }
    double *x[2], *y[2], *lx[2], *ly[2];
    size_t m[2] = {0, 0}, lm[2] = {0, 0};
    for (int s = 0; s < 2; s++) {
        x[s] = calloc(p.n, sizeof *x[s]);
        y[s] = calloc(p.n, sizeof *y[s]);
        lx[s] = calloc(p.n, sizeof *lx[s]);
        ly[s] = calloc(p.n, sizeof *ly[s]);
    }
    plot_buf *b = NULL;
    char *out = NULL;
    if (!x[0] || !x[1] || !y[0] || !y[1] || !lx[0] || !lx[1] || !ly[0] || !ly[1] ||
        plot_buf_create(&b))
        goto done;
    for (size_t i = 0; i < p.n; i++) {
        int s = strcmp(p.probes[i].verdict, "pass") != 0;
        x[s][m[s]] = (double)(i + 1);
        y[s][m[s]++] = p.probes[i].qps;
        if (p.probes[i].samples && p.probes[i].pct_ns > 0) {
            lx[s][lm[s]] = p.probes[i].qps;
            ly[s][lm[s]++] = (double)p.probes[i].pct_ns;
        }
    }
    char id[64], cap[400], u[32];
    plot_buf_puts(b, "<div class=\"figs\">\n");
    snprintf(id, sizeof id, "plot-peak-rates-%zu", k);
    plot *c;
    if (!plot_create(&c)) {
        plot_set_id(c, id);
        plot_set_title(c, "Peak search: the rate of each probe");
        plot_set_axis(c, PLOT_X, PLOT_LINEAR, PLOT_UNIT_NONE, "Probe");
        plot_set_axis(c, PLOT_Y, PLOT_LINEAR, PLOT_UNIT_NONE, "Rate (QPS)");
        if (m[0])
            plot_add_line(c, "passed", x[0], y[0], m[0], PLOT_MARKERS);
        if (m[1])
            plot_add_line(c, "failed, cut or error", x[1], y[1], m[1], PLOT_MARKERS);
        if (p.found)
            plot_add_refline(c, PLOT_Y, p.peak, "peak");
        plot_buf_puts(b, "<figure>\n");
        plot_render(c, b, 0);
        snprintf(cap, sizeof cap, "Each probe's rate in the order run: the bracket grows "
                 "until a rate fails, then bisection closes in on the peak (%.6g QPS).",
                 p.found ? p.peak : 0.0);
        plot_buf_puts(b, "\n<figcaption>");
        plot_buf_escape(b, cap);
        plot_buf_puts(b, "</figcaption>\n</figure>\n");
        plot_destroy(c);
    }
    snprintf(id, sizeof id, "plot-peak-latency-%zu", k);
    if ((lm[0] || lm[1]) && !plot_create(&c)) {
        plot_set_id(c, id);
        plot_set_title(c, "Peak search: latency percentile against rate");
        plot_set_axis(c, PLOT_X, PLOT_LINEAR, PLOT_UNIT_NONE, "Rate (QPS)");
        plot_set_axis(c, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NS, "Latency at the percentile");
        if (lm[0])
            plot_add_line(c, "passed", lx[0], ly[0], lm[0], PLOT_MARKERS);
        if (lm[1])
            plot_add_line(c, "failed, cut or error", lx[1], ly[1], lm[1], PLOT_MARKERS);
        if (in->target_latency_ns > 0) {
            char t[64];
            plot_format_duration((double)in->target_latency_ns, u, sizeof u);
            snprintf(t, sizeof t, "latency bound %s", u);
            plot_add_refline(c, PLOT_Y, (double)in->target_latency_ns, t);
        }
        plot_buf_puts(b, "<figure>\n");
        plot_render(c, b, 0);
        plot_buf_puts(b, "\n<figcaption>Each probe's own latency at the target percentile "
                         "(a cut probe's over the samples it ran): the peak is the highest "
                         "rate whose point lies under the bound.</figcaption>\n</figure>\n");
        plot_destroy(c);
    }
    plot_buf_puts(b, "</div>\n");
    out = plot_buf_error(b) ? NULL : plot_buf_take(b, NULL);
done:
    if (b)
        plot_buf_destroy(b);
    for (int s = 0; s < 2; s++) {
        free(x[s]);
        free(y[s]);
        free(lx[s]);
        free(ly[s]);
    }
    peak_free(&p);
    return out;
}
