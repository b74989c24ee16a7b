/* html.c: the performance report as one self-contained HTML page: the document of
 * report.c rendered with inline CSS, and inline SVG charts (plot/) for every run and
 * every comparison. No script, no external URL; every text escaped. docs/reports.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"
#include "report/internal.h"

/* ---------------------------------------------------------------- page */

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "color:#1a1a1a;background:#fff;margin:0;line-height:1.45;font-size:15px}"
    "main{max-width:1000px;margin:0 auto;padding:16px 24px 48px}"
    "h1{font-size:1.8em;margin:.4em 0 .2em;border-bottom:2px solid #333}"
    "h2{font-size:1.4em;margin:1.6em 0 .4em;border-bottom:1px solid #999}"
    "h3{font-size:1.12em;margin:1.3em 0 .3em}"
    "nav ol{margin:.2em 0 1em;padding-left:1.4em}nav a{color:#0645ad}"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.9em;max-width:100%}"
    "th,td{border:1px solid #bbb;padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:#eee}tbody tr:nth-child(even){background:#f7f7f7}"
    "td.pass{color:#1b5e20;font-weight:600}td.warn{color:#8a5300;font-weight:600}"
    "td.fail{color:#b00020;font-weight:700}"
    "pre{background:#f4f4f4;border:1px solid #ccc;padding:8px;overflow-x:auto}"
    "figure{margin:1em 0 1.4em;break-inside:avoid;page-break-inside:avoid}"
    "figcaption{font-size:.88em;color:#333;margin-top:.2em;max-width:760px}"
    "svg.plot{max-width:100%;height:auto;display:block}"
    "p.verdict{font-weight:600;margin:.2em 0}"
    ".figs{margin:.5em 0}"
    ".metric figure{display:inline-block;vertical-align:top;width:480px;max-width:100%;"
    "margin:.4em 16px .8em 0}"
    "@media print{nav{display:none}main{max-width:none;padding:0}body{font-size:11pt}"
    "h2{break-after:avoid}h3{break-after:avoid}tr{break-inside:avoid}}";

/* Figures to place in a section: after the blocks that follow the heading "#k ...", or
 * at the section's end. */
typedef struct html_figs {
    const char *section_id;
    char **per_entry; /* n fragments (NULL for none), entry k -> heading "#k+1" */
    size_t n;
} html_figs;

static void esc(plot_buf *b, const char *s)
{
    plot_buf_escape(b, s ? s : "");
}

static const char *status_class(const char *s)
{
    if (!s)
        return NULL;
    if (!strcmp(s, "pass") || !strcmp(s, "trustworthy") || !strcmp(s, "VALID") ||
        !strcmp(s, "improved"))
        return "pass";
    if (!strcmp(s, "warn") || !strcmp(s, "usable with caveats"))
        return "warn";
    if (!strcmp(s, "fail") || !strcmp(s, "not trustworthy") || !strcmp(s, "INVALID") ||
        !strcmp(s, "regressed"))
        return "fail";
    return NULL;
}

static void write_block(plot_buf *b, const rpt_block *blk)
{
    switch (blk->kind) {
    case RPT_BLOCK_HEADING:
        plot_buf_puts(b, "<h3>");
        esc(b, blk->text);
        plot_buf_puts(b, "</h3>\n");
        break;
    case RPT_BLOCK_PARAGRAPH:
        plot_buf_puts(b, "<p>");
        esc(b, blk->text);
        plot_buf_puts(b, "</p>\n");
        break;
    case RPT_BLOCK_CODE:
        plot_buf_puts(b, "<pre>");
        esc(b, blk->text);
        plot_buf_puts(b, "</pre>\n");
        break;
    case RPT_BLOCK_LIST:
        plot_buf_puts(b, "<ul>\n");
        for (size_t i = 0; i < blk->n_items; i++) {
            plot_buf_puts(b, "<li>");
            esc(b, blk->items[i]);
            plot_buf_puts(b, "</li>\n");
        }
        plot_buf_puts(b, "</ul>\n");
        break;
    case RPT_BLOCK_TABLE:
        plot_buf_puts(b, "<table>\n");
        for (size_t r = 0; r < blk->n_rows; r++) {
            if (r == 0)
                plot_buf_puts(b, "<thead>");
            else if (r == 1)
                plot_buf_puts(b, "<tbody>\n");
            plot_buf_puts(b, "<tr>");
            for (size_t c = 0; c < blk->n_cols; c++) {
                const char *cell = blk->cells[r * blk->n_cols + c];
                const char *cls = r ? status_class(cell) : NULL;
                plot_buf_puts(b, r ? "<td" : "<th");
                if (cls)
                    plot_buf_printf(b, " class=\"%s\"", cls);
                plot_buf_puts(b, ">");
                esc(b, cell);
                plot_buf_puts(b, r ? "</td>" : "</th>");
            }
            plot_buf_puts(b, "</tr>");
            plot_buf_puts(b, r == 0 ? "</thead>\n" : "\n");
        }
        if (blk->n_rows > 1)
            plot_buf_puts(b, "</tbody>\n");
        plot_buf_puts(b, "</table>\n");
        break;
    }
}

/* The entry number k of a heading "#k ..." (1-based), or 0. */
static size_t heading_entry(const char *text)
{
    if (!text || text[0] != '#')
        return 0;
    char *end;
    unsigned long k = strtoul(text + 1, &end, 10);
    return end != text + 1 ? (size_t)k : 0;
}

static void flush_fig(plot_buf *b, const html_figs *figs, size_t *pending)
{
    if (figs && *pending && *pending <= figs->n && figs->per_entry[*pending - 1])
        plot_buf_puts(b, figs->per_entry[*pending - 1]);
    *pending = 0;
}

static void write_doc(plot_buf *b, const rpt_doc *d, const html_figs *figs, size_t nfigs)
{
    plot_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>");
    esc(b, rpt_doc_title(d));
    plot_buf_puts(b, "</title>\n<style>");
    plot_buf_puts(b, css);
    plot_buf_puts(b, "</style>\n</head>\n<body>\n<main>\n<h1>");
    esc(b, rpt_doc_title(d));
    plot_buf_puts(b, "</h1>\n<nav><ol>\n");
    size_t ns = rpt_doc_section_count(d);
    for (size_t s = 0; s < ns; s++) {
        plot_buf_puts(b, "<li><a href=\"#");
        esc(b, rpt_doc_section_id(d, s));
        plot_buf_puts(b, "\">");
        esc(b, rpt_doc_section_title(d, s));
        plot_buf_puts(b, "</a></li>\n");
    }
    plot_buf_puts(b, "</ol></nav>\n");
    for (size_t s = 0; s < ns; s++) {
        const char *id = rpt_doc_section_id(d, s);
        const html_figs *fg = NULL;
        for (size_t k = 0; k < nfigs; k++)
            if (id && figs[k].section_id && !strcmp(id, figs[k].section_id))
                fg = &figs[k];
        plot_buf_puts(b, "<section id=\"");
        esc(b, id);
        plot_buf_puts(b, "\">\n<h2>");
        esc(b, rpt_doc_section_title(d, s));
        plot_buf_puts(b, "</h2>\n");
        size_t pending = 0;
        for (size_t i = 0; i < rpt_doc_block_count(d, s); i++) {
            rpt_block blk;
            if (rpt_doc_block(d, s, i, &blk))
                continue;
            if (fg && blk.kind == RPT_BLOCK_HEADING) {
                flush_fig(b, fg, &pending);
                pending = heading_entry(blk.text);
            }
            write_block(b, &blk);
        }
        flush_fig(b, fg, &pending);
        plot_buf_puts(b, "</section>\n");
    }
    plot_buf_puts(b, "</main>\n</body>\n</html>\n");
}

static int write_file(const plot_buf *b, FILE *f)
{
    if (plot_buf_error(b))
        return LG_ENOMEM;
    if (fwrite(plot_buf_data(b), 1, plot_buf_len(b), f) != plot_buf_len(b))
        return LG_EIO;
    fflush(f);
    return ferror(f) ? LG_EIO : 0;
}

int rpt_doc_write_html(const rpt_doc *d, FILE *f)
{
    if (!d || !f)
        return LG_EINVAL;
    plot_buf *b;
    if (plot_buf_create(&b))
        return LG_ENOMEM;
    write_doc(b, d, NULL, 0);
    int rc = write_file(b, f);
    plot_buf_destroy(b);
    return rc;
}

/* ---------------------------------------------------------------- charts */

#define SPEC_POINTS 400
#define MAX_WINDOWS 600

static const double spec_pct[] = {0.5, 0.9, 0.95, 0.99, 0.999, 0.9999};

/* What one result folder contributes to the page, computed while its samples are loaded
 * and kept after they are freed. */
typedef struct html_entry {
    lg_scenario scenario;
    rpt_set_kind kind;
    char *figs;           /* Detailed Results fragment */
    const rpt_metrics *metrics; /* the report's; NULL when they could not be formed */
    double spec_p[SPEC_POINTS], spec_v[SPEC_POINTS];
    size_t spec_n;
    char label[48];       /* "#k" */
} html_entry;

static void figure_begin(plot_buf *b)
{
    plot_buf_puts(b, "<figure>\n");
}

/* Renders chart c (id set) inside <figure> with a caption (plain text, escaped). */
static void figure(plot_buf *b, plot *c, const char *caption)
{
    figure_begin(b);
    plot_render(c, b, 0);
    plot_buf_puts(b, "\n<figcaption>");
    esc(b, caption);
    plot_buf_puts(b, "</figcaption>\n</figure>\n");
}

static plot *new_chart(char *id, const char *title)
{
    for (char *q = id; *q; q++) /* ids of letters, digits and '-' only */
        if (*q == '_')
            *q = '-';
    plot *c;
    if (plot_create(&c))
        return NULL;
    plot_set_id(c, id);
    plot_set_title(c, title);
    return c;
}

/* Spectrum points of a sorted array, y as doubles. */
static size_t spectrum(const int64_t *sorted, size_t n, double target, double *p, double *y)
{
    double pct[8];
    size_t np = 0;
    for (size_t i = 0; i < sizeof spec_pct / sizeof spec_pct[0]; i++)
        pct[np++] = spec_pct[i];
    if (target > 0 && target < 1)
        pct[np++] = target;
    int64_t v[SPEC_POINTS];
    size_t m = 0;
    if (!n || plot_spectrum(sorted, n, pct, np, SPEC_POINTS, p, v, &m))
        return 0;
    for (size_t i = 0; i < m; i++)
        y[i] = (double)v[i];
    return m;
}

static void spectrum_refs(plot *c, const rpt_run_info *in)
{
    char t[64], u[32];
    if (in->target_latency_ns > 0) {
        plot_format_duration((double)in->target_latency_ns, u, sizeof u);
        snprintf(t, sizeof t, "latency bound %s", u);
        plot_add_refline(c, PLOT_Y, (double)in->target_latency_ns, t);
    }
    double tp = in->target_latency_percentile;
    if (tp > 0 && tp < 1 && in->results.scenario != LG_OFFLINE) {
        snprintf(t, sizeof t, "target %s", stats_percentile_label(tp).s);
        plot_add_refline(c, PLOT_X, tp, t);
    }
}

/* Window width: per second for long runs, finer for short ones (at least ~20 windows). */
static int64_t window_width(int64_t dur_ns)
{
    int64_t w = 1000000000;
    while (w > 1000000 && dur_ns / w < 20)
        w /= 10;
    return w;
}

static void width_text(char *buf, size_t len, int64_t w)
{
    plot_format_duration((double)w, buf, len);
}

/* What the charts of one run share while run_figures() draws them. */
typedef struct fig_ctx {
    const rpt_run_info *in;
    lg_scenario sc;
    const rpt_sample *smp; /* the run's samples, ns of them */
    size_t ns;
    int64_t *ts, *vs;      /* two work arrays of ns values, reused by every chart */
    plot_window *win;      /* MAX_WINDOWS windows */
    int64_t wd;            /* the window width asked for */
    size_t k;              /* the entry's number, for the chart ids */
} fig_ctx;

/* The first n of fc->ts, fc->vs in time windows, as four line arrays of *nw points in
 * one allocation (the caller frees it): the windows' start times, then their p50 (or
 * mean), p99 and max, NaN where a window is empty (a gap in the line). The last window,
 * partial, is left out when there are more than two. *used: the width the windows took.
 * NULL when there is nothing to draw or no memory. */
static double *window_lines(const fig_ctx *fc, size_t n, bool mean, size_t *nw,
                            int64_t *used)
{
    *nw = 0;
    *used = fc->wd;
    if (plot_windows(fc->ts, fc->vs, n, fc->wd, MAX_WINDOWS, true, fc->win, nw, used) ||
        !*nw)
        return NULL;
    if (*nw > 2)
        (*nw)--;
    size_t k = *nw;
    double *x = malloc(4 * k * sizeof *x);
    if (!x)
        return NULL;
    const plot_window *win = fc->win;
    for (size_t i = 0; i < k; i++) {
        bool e = win[i].count == 0;
        x[i] = (double)win[i].start_ns;
        x[k + i] = e ? NAN : mean ? win[i].mean : (double)win[i].p50;
        x[2 * k + i] = e ? NAN : (double)win[i].p99;
        x[3 * k + i] = e ? NAN : (double)win[i].max;
    }
    return x;
}

/* Latency over time: p50, p99 and max per window, from ts (issue times) and vs
 * (latencies) in issue order, the first n of them. */
static void fig_latency_time(plot_buf *b, const fig_ctx *fc, size_t n)
{
    size_t nw;
    int64_t used;
    double *x = window_lines(fc, n, false, &nw, &used);
    if (!x)
        return;
    double *y50 = x + nw, *y99 = x + 2 * nw, *ymax = x + 3 * nw;
    char id[64], cap[512], w[32];
    snprintf(id, sizeof id, "plot-latency-time-%zu", fc->k);
    plot *c = new_chart(id, "Latency over time");
    if (c) {
        plot_set_axis(c, PLOT_X, PLOT_LINEAR, PLOT_UNIT_NS, "Time since start");
        plot_set_axis(c, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NS, "Latency");
        plot_add_line(c, "p50", x, y50, nw, PLOT_LINE);
        plot_add_line(c, "p99", x, y99, nw, PLOT_LINE);
        plot_add_line(c, "max", x, ymax, nw, PLOT_LINE);
        if (fc->in->target_latency_ns > 0)
            plot_add_refline(c, PLOT_Y, (double)fc->in->target_latency_ns, "latency bound");
        width_text(w, sizeof w, used);
        snprintf(cap, sizeof cap,
                 "Median, p99 and maximum latency in each %s window since the start (by %s "
                 "time; the last, partial window left out); warm-up shows as high values on "
                 "the left, drift as a slope, hiccups as spikes.",
                 w, fc->sc == LG_OFFLINE ? "completion" : "scheduled");
        figure(b, c, cap);
        plot_destroy(c);
    }
    free(x);
}

/* The percentile spectrum of the run (he->spec_*), with the bound and the target
 * percentile. */
static void fig_spectrum(plot_buf *b, const fig_ctx *fc, const html_entry *he)
{
    char id[64];
    snprintf(id, sizeof id, "plot-spectrum-%zu", fc->k);
    plot *c = new_chart(id, "Latency by percentile");
    if (!c)
        return;
    bool off = fc->sc == LG_OFFLINE;
    plot_set_axis(c, PLOT_X, PLOT_PERCENTILE, PLOT_UNIT_NONE, "Percentile");
    plot_set_axis(c, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NS, off ? "Time to completion" : "Latency");
    plot_add_line(c, off ? "since the start" : "from scheduled issue", he->spec_p, he->spec_v,
                  he->spec_n, PLOT_LINE);
    spectrum_refs(c, fc->in);
    figure(b, c, "Latency (y, log scale) reached by each fraction of samples (x): each "
                 "step right adds a \"nine\" (90%, 99%, 99.9%); the dashed lines mark "
                 "the latency bound and the target percentile: the curve must cross "
                 "the target line below the bound.");
    plot_destroy(c);
}

/* Server: the spectrum from the scheduled issue time beside the one from the actual
 * issue time (made here in ts, sorted with vs as scratch). */
static void fig_sched_vs_issue(plot_buf *b, const fig_ctx *fc, const html_entry *he)
{
    const rpt_sample *smp = fc->smp;
    size_t m = 0;
    for (size_t i = 0; i < fc->ns; i++)
        if (rpt__sample_ok(&smp[i]))
            fc->ts[m++] = smp[i].completed_ns - smp[i].issued_ns;
    double p2[SPEC_POINTS], y2[SPEC_POINTS];
    size_t m2 = 0;
    if (m && !stats_sort_i64(fc->ts, m, fc->vs))
        m2 = spectrum(fc->ts, m, fc->in->target_latency_percentile, p2, y2);
    char id[64];
    snprintf(id, sizeof id, "plot-sched-vs-issue-%zu", fc->k);
    plot *c = m2 ? new_chart(id, "Latency from scheduled vs from actual issue") : NULL;
    if (!c)
        return;
    plot_set_axis(c, PLOT_X, PLOT_PERCENTILE, PLOT_UNIT_NONE, "Percentile");
    plot_set_axis(c, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NS, "Latency");
    plot_add_line(c, "from scheduled issue", he->spec_p, he->spec_v, he->spec_n, PLOT_LINE);
    plot_add_line(c, "from actual issue", p2, y2, m2, PLOT_LINE);
    spectrum_refs(c, fc->in);
    figure(b, c, "The same spectrum measured from the scheduled issue time and from "
                 "the actual one; a gap between the curves is delay the load "
                 "generator itself added (coordinated omission, made visible).");
    plot_destroy(c);
}

/* The latency histogram: nb log-spaced bins (edges, counts). */
static void fig_histogram(plot_buf *b, const fig_ctx *fc, const double *edges,
                          const double *counts, size_t nb)
{
    char id[64], cap[512];
    snprintf(id, sizeof id, "plot-histogram-%zu", fc->k);
    plot *c = new_chart(id, "Latency histogram");
    if (!c)
        return;
    plot_set_axis(c, PLOT_X, PLOT_LOG10, PLOT_UNIT_NS,
                  fc->sc == LG_OFFLINE ? "Time to completion" : "Latency");
    plot_set_axis(c, PLOT_Y, PLOT_LINEAR, PLOT_UNIT_NONE,
                  fc->sc == LG_MULTI_STREAM ? "Queries" : "Samples");
    plot_add_bars(c, NULL, edges, counts, nb);
    snprintf(cap, sizeof cap,
             "How many %ss (y) took each latency (x, log scale); one hump is a steady "
             "system, a second hump or a long right tail is a slow path or queueing.",
             fc->sc == LG_MULTI_STREAM ? "query" : "sample");
    figure(b, c, cap);
    plot_destroy(c);
}

/* Throughput over time: completions per second in each window, as steps (completion
 * times gathered in ts). */
static void fig_throughput_time(plot_buf *b, const fig_ctx *fc)
{
    const rpt_sample *smp = fc->smp;
    size_t m = 0;
    for (size_t i = 0; i < fc->ns; i++)
        if (smp[i].completed_ns >= 0)
            fc->ts[m++] = smp[i].completed_ns;
    if (!m)
        return;
    size_t nw = 0;
    int64_t used = fc->wd;
    int wrc = plot_windows(fc->ts, NULL, m, fc->wd, MAX_WINDOWS, false, fc->win, &nw, &used);
    if (wrc || !nw)
        return;
    if (nw > 2)
        nw--; /* the last window is partial: its rate reads low */
    double *x = malloc(2 * (nw + 1) * sizeof *x);
    if (!x)
        return;
    const plot_window *win = fc->win;
    double *y = x + nw + 1;
    for (size_t i = 0; i < nw; i++) {
        x[i] = (double)win[i].start_ns;
        y[i] = win[i].rate_per_s;
    }
    /* The last step ends where its window does. */
    x[nw] = (double)(win[nw - 1].start_ns + used);
    y[nw] = y[nw - 1];
    char id[64], cap[512], w[32];
    snprintf(id, sizeof id, "plot-throughput-time-%zu", fc->k);
    plot *c = new_chart(id, "Throughput over time");
    if (c) {
        plot_set_axis(c, PLOT_X, PLOT_LINEAR, PLOT_UNIT_NS, "Time since start");
        plot_set_axis(c, PLOT_Y, PLOT_LINEAR, PLOT_UNIT_NONE, "Completed samples per second");
        plot_set_range(c, PLOT_Y, 0, NAN);
        plot_add_line(c, "completions/s", x, y, nw + 1, PLOT_STEP);
        if (fc->in->target_qps > 0 && fc->sc == LG_SERVER)
            plot_add_refline(c, PLOT_Y, fc->in->target_qps, "target rate");
        width_text(w, sizeof w, used);
        snprintf(cap, sizeof cap,
                 "Completed samples per second in each %s window (the last, "
                 "partial window left out); it should stay flat: dips are stalls, "
                 "a slow first window is warm-up.", w);
        figure(b, c, cap);
        plot_destroy(c);
    }
    free(x);
}

/* Schedule lag over time: how late queries were issued after their scheduled time,
 * mean, p99 and max per window (scheduled times in ts, lags in vs). */
static void fig_lag_time(plot_buf *b, const fig_ctx *fc)
{
    const rpt_sample *smp = fc->smp;
    for (size_t i = 0; i < fc->ns; i++) {
        fc->ts[i] = smp[i].scheduled_ns;
        fc->vs[i] = smp[i].issued_ns - smp[i].scheduled_ns;
    }
    size_t nw;
    int64_t used;
    double *x = window_lines(fc, fc->ns, true, &nw, &used);
    if (!x)
        return;
    double *ym = x + nw, *y99 = x + 2 * nw, *ymax = x + 3 * nw;
    char id[64], cap[512], w[32];
    snprintf(id, sizeof id, "plot-lag-time-%zu", fc->k);
    plot *c = new_chart(id, "Schedule lag over time");
    if (c) {
        plot_set_axis(c, PLOT_X, PLOT_LINEAR, PLOT_UNIT_NS, "Time since start");
        plot_set_axis(c, PLOT_Y, PLOT_LINEAR, PLOT_UNIT_NS, "Issue time - scheduled time");
        plot_add_line(c, "mean", x, ym, nw, PLOT_LINE);
        plot_add_line(c, "p99", x, y99, nw, PLOT_LINE);
        plot_add_line(c, "max", x, ymax, nw, PLOT_LINE);
        width_text(w, sizeof w, used);
        snprintf(cap, sizeof cap,
                 "How late each query was issued after its scheduled time (mean, "
                 "p99 and max per %s window): the load generator's own fidelity; "
                 "microseconds are fine, milliseconds mean the generator or the "
                 "machine could not keep up.", w);
        figure(b, c, cap);
        plot_destroy(c);
    }
    free(x);
}

/* The charts of one run in the order they appear: the distribution (spectrum, Server's
 * scheduled vs actual issue, histogram), then over time (latency, throughput, schedule
 * lag). Latency over time needs the latencies in issue order, the distribution sorted,
 * so it is drawn first into `later` and appended after the histogram. */
static int draw_run_figures(plot_buf *b, plot_buf *later, fig_ctx *fc, html_entry *he,
                            const rpt_run *run)
{
    /* The run's latency series (made and sorted once, by the validation): in issue
     * order for the charts over time, sorted for the distribution. */
    rpt__series ser;
    int rc = rpt__run_series(run, true, &ser);
    if (rc)
        return rc;
    size_t n = ser.n;
    for (size_t i = 0; i < n; i++) {
        fc->ts[i] = (int64_t)ser.at[i];
        fc->vs[i] = (int64_t)ser.lat[i];
    }
    if (n)
        fig_latency_time(later, fc, n);
    /* The distribution: vs sorted. */
    double edges[101], counts[100];
    size_t nb = 0;
    if (n) {
        for (size_t i = 0; i < n; i++)
            fc->vs[i] = (int64_t)ser.sorted[i];
        he->spec_n = spectrum(fc->vs, n, fc->in->target_latency_percentile, he->spec_p,
                              he->spec_v);
        if (plot_histogram(fc->vs, n, 100, true, edges, counts, &nb))
            nb = 0;
    }
    if (he->spec_n)
        fig_spectrum(b, fc, he);
    if (fc->sc == LG_SERVER && he->spec_n)
        fig_sched_vs_issue(b, fc, he);
    if (nb)
        fig_histogram(b, fc, edges, counts, nb);
    plot_buf_append(b, plot_buf_data(later), plot_buf_len(later));
    fig_throughput_time(b, fc);
    if (fc->sc != LG_OFFLINE)
        fig_lag_time(b, fc);
    return 0;
}

/* The Detailed Results charts of entry k (1-based) into he->figs: a note instead when
 * the folder has no samples. Only running out of memory fails. */
static int run_figures(html_entry *he, const rpt_run *run, size_t k)
{
    const rpt_run_info *in = rpt_run_get_info(run);
    plot_buf *b, *later;
    if (plot_buf_create(&b))
        return LG_ENOMEM;
    if (plot_buf_create(&later)) {
        plot_buf_destroy(b);
        return LG_ENOMEM;
    }
    int rc = 0;
    fig_ctx fc = {.in = in, .sc = in->results.scenario, .k = k};
    fc.smp = rpt_run_samples(run, &fc.ns);
    if (!in->has_samples || !fc.ns) {
        plot_buf_puts(b, "<p>No samples.bin in this folder: no charts.</p>\n");
        goto done;
    }
    if (he->kind == RPT_SET_REPETITIONS) {
        plot_buf_puts(b, "<p>Charts of ");
        esc(b, in->dir);
        plot_buf_puts(b, " (the first repetition).</p>\n");
    }
    /* Two work arrays of one int64_t per sample serve every chart in turn. */
    fc.ts = malloc(fc.ns * sizeof *fc.ts);
    fc.vs = malloc(fc.ns * sizeof *fc.vs);
    fc.win = malloc(MAX_WINDOWS * sizeof *fc.win);
    if (!fc.ts || !fc.vs || !fc.win) {
        rc = LG_ENOMEM;
        goto done;
    }
    int64_t end = rpt__run_end_ns(run);
    fc.wd = window_width(end > 0 ? end : 1);
    rc = draw_run_figures(b, later, &fc, he, run);
done:
    free(fc.win);
    free(fc.ts);
    free(fc.vs);
    if (!rc && (plot_buf_error(b) || plot_buf_error(later)))
        rc = LG_ENOMEM;
    if (!rc && !(he->figs = plot_buf_take(b, NULL)))
        rc = LG_ENOMEM;
    plot_buf_destroy(b);
    plot_buf_destroy(later);
    return rc;
}

static const char *metric_title(const char *name)
{
    static const struct { const char *id, *words; } w[] = {
        {"throughput", "Throughput"},     {"latency_mean", "Mean latency"},
        {"latency_p50", "p50 latency"},   {"latency_p90", "p90 latency"},
        {"latency_p99", "p99 latency"},   {"ttft_p99", "p99 TTFT"},
        {"tpot_p99", "p99 TPOT"},         {"tokens_per_sec", "Tokens per second"},
        {"value", "Value"},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (!strcmp(name, w[i].id))
            return w[i].words;
    return name;
}

/* The comparison charts of entry k (1-based) against its baseline bk. */
static char *compare_figures(const html_entry *base, const html_entry *cand, size_t bk,
                             size_t k, const rpt_comparison *cmp, double confidence)
{
    plot_buf *b;
    if (plot_buf_create(&b))
        return NULL;
    char id[96], cap[600], title[128];
    char la[32], lb[32];
    snprintf(la, sizeof la, "#%zu (A)", bk);
    snprintf(lb, sizeof lb, "#%zu (B)", k);
    const char *cats[2] = {la, lb};
    plot_buf_puts(b, "<div class=\"figs\">\n");
    if (base->spec_n && cand->spec_n) {
        snprintf(id, sizeof id, "plot-cmp-spectra-%zu", k);
        plot *c = new_chart(id, "Percentile spectra");
        if (c) {
            plot_set_axis(c, PLOT_X, PLOT_PERCENTILE, PLOT_UNIT_NONE, "Percentile");
            plot_set_axis(c, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NS, "Latency");
            plot_add_line(c, la, base->spec_p, base->spec_v, base->spec_n, PLOT_LINE);
            plot_add_line(c, lb, cand->spec_p, cand->spec_v, cand->spec_n, PLOT_LINE);
            figure(b, c, "The percentile spectra of both runs on one chart (the first run of "
                         "a repetition set): a curve lower everywhere is faster at every "
                         "percentile; curves that cross trade median for tail.");
            plot_destroy(c);
        }
    }
    for (size_t i = 0; cmp && i < rpt_comparison_count(cmp); i++) {
        const rpt_metric_cmp *mc = rpt_comparison_get(cmp, i);
        const rpt_metric *ma = rpt_metrics_find(base->metrics, mc->name);
        const rpt_metric *mb = rpt_metrics_find(cand->metrics, mc->name);
        if (!ma || !mb)
            continue;
        rpt_summary sa, sb;
        if (rpt_metric_summarize(ma, confidence, &sa) || rpt_metric_summarize(mb, confidence, &sb))
            continue;
        bool ns = !strcmp(mc->unit, "ns");
        plot_unit unit = ns ? PLOT_UNIT_NS : PLOT_UNIT_NONE;
        char ylab[64], ch[32], lo[32], hi[32];
        snprintf(ylab, sizeof ylab, "%s%s%s%s", metric_title(mc->name),
                 !ns && mc->unit[0] ? " (" : "", !ns ? mc->unit : "", !ns && mc->unit[0] ? ")" : "");
        rpt_format_pct(ch, sizeof ch, mc->change);
        rpt_format_pct(lo, sizeof lo, mc->change_lo);
        rpt_format_pct(hi, sizeof hi, mc->change_hi);
        plot_buf_puts(b, "<div class=\"metric\">\n<p class=\"verdict\">");
        esc(b, metric_title(mc->name));
        plot_buf_puts(b, ": ");
        esc(b, rpt_change_name(mc->verdict));
        plot_buf_printf(b, " (change %s, CI [%s, %s])</p>\n", ch, lo, hi);

        double est[2] = {sa.mean, sb.mean}, elo[2] = {sa.ci_lo, sb.ci_lo},
               ehi[2] = {sa.ci_hi, sb.ci_hi};
        snprintf(id, sizeof id, "plot-cmp-ci-%zu-%s", k, mc->name);
        snprintf(title, sizeof title, "%s: mean with %.0f%% CI", metric_title(mc->name),
                 confidence * 100);
        plot *c = new_chart(id, title);
        if (c) {
            plot_set_axis(c, PLOT_X, PLOT_CATEGORY, PLOT_UNIT_NONE, "Run");
            plot_set_axis(c, PLOT_Y, PLOT_LINEAR, unit, ylab);
            plot_set_size(c, 480, 300);
            plot_set_categories(c, cats, 2);
            plot_add_ci(c, NULL, est, elo, ehi, 2, PLOT_CI_DOT);
            snprintf(cap, sizeof cap,
                     "Each side's mean (dot) with its %.0f%% confidence interval (whiskers); "
                     "intervals that do not overlap are a clear difference, overlapping ones "
                     "need the verdict above: %s.", confidence * 100,
                     rpt_change_name(mc->verdict));
            figure(b, c, cap);
            plot_destroy(c);
        }
        if (rpt_metrics_kind(base->metrics) == RPT_VALUES_PER_RUN) {
            const double *vals[2] = {ma->values, mb->values};
            size_t cnt[2] = {ma->n, mb->n};
            snprintf(id, sizeof id, "plot-cmp-box-%zu-%s", k, mc->name);
            snprintf(title, sizeof title, "%s: repetitions", metric_title(mc->name));
            c = new_chart(id, title);
            if (c) {
                plot_set_axis(c, PLOT_X, PLOT_CATEGORY, PLOT_UNIT_NONE, "Run");
                plot_set_axis(c, PLOT_Y, PLOT_LINEAR, unit, ylab);
                plot_set_size(c, 480, 300);
                plot_set_categories(c, cats, 2);
                plot_add_boxes(c, NULL, vals, cnt, 2, true);
                figure(b, c, "Each side's repetitions: the box spans the middle half, the "
                             "thick line is the median, whiskers reach the furthest repetition "
                             "within 1.5 box lengths, dots are the repetitions.");
                plot_destroy(c);
            }
        }
        plot_buf_puts(b, "</div>\n");
    }
    plot_buf_puts(b, "</div>\n");
    char *s = plot_buf_error(b) ? NULL : plot_buf_take(b, NULL);
    plot_buf_destroy(b);
    return s;
}

/* What rpt_report_write_html() gathers from the folders as the report loads them. */
typedef struct html_state {
    html_entry *he;
    char **run_figs, **cmp_figs, **peak_figs;
    double confidence;
} html_state;

static int html_folder(void *ctx, const rpt__folder *f, char *err, size_t errlen)
{
    html_state *st = ctx;
    size_t i = f->index;
    html_entry *he = &st->he[i];
    const rpt_run *run = rpt_set_run(f->set, 0);
    he->scenario = rpt_run_get_info(run)->results.scenario;
    he->kind = rpt_set_get_kind(f->set);
    he->metrics = f->metrics;
    int rc = run_figures(he, run, i + 1);
    if (rc)
        return rpt__err(err, errlen, rc, "%s: cannot draw the charts: %s",
                        rpt_set_dir(f->set), lg_strerror(rc));
    st->run_figs[i] = he->figs;
    he->figs = NULL;
    st->peak_figs[i] = rpt__peak_figure(rpt_run_get_info(run), i + 1);
    if (f->baseline != SIZE_MAX) {
        st->cmp_figs[i] = compare_figures(&st->he[f->baseline], he, f->baseline + 1, i + 1,
                                          f->cmp, st->confidence);
        if (!st->cmp_figs[i])
            return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    }
    return 0;
}

int rpt_report_write_html(const char *const *dirs, size_t n, const rpt_report_opts *opts,
                          const char *path, char *err, size_t errlen)
{
    if (!dirs || !n || !path)
        return rpt__err(err, errlen, LG_EINVAL, "no result folder or no output file given");
    rpt_report_opts o;
    if (opts)
        o = *opts;
    else
        rpt_report_opts_default(&o);
    int rc = 0;
    html_state st = {
        .he = calloc(n, sizeof *st.he),
        .run_figs = calloc(n, sizeof *st.run_figs),
        .cmp_figs = calloc(n, sizeof *st.cmp_figs),
        .peak_figs = calloc(n, sizeof *st.peak_figs),
        .confidence = o.compare.confidence != 0 ? o.compare.confidence : 1 - o.compare.alpha,
    };
    rpt_report *rep = NULL;
    plot_buf *b = NULL;
    if (!st.he || !st.run_figs || !st.cmp_figs || !st.peak_figs) {
        rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
        goto out;
    }
    /* One pass: the report loads, validates and compares each folder and hands it to
     * html_folder for its charts before releasing its samples. */
    if ((rc = rpt__report_create(dirs, n, &o, html_folder, &st, &rep, err, errlen)))
        goto out;
    html_figs figs[3] = {{"detailed-results", st.run_figs, n}, {"comparison", st.cmp_figs, n},
                         {"peak-search", st.peak_figs, n}};
    if (plot_buf_create(&b)) {
        rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
        goto out;
    }
    write_doc(b, rpt_report_doc(rep), figs, 3);
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        rc = rpt__err(err, errlen, LG_EINVAL, "output path too long");
        goto out;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        rc = rpt__err(err, errlen, LG_EIO, "cannot write %s", tmp);
        goto out;
    }
    rc = write_file(b, f);
    if (fclose(f) && !rc)
        rc = LG_EIO;
    if (!rc && rename(tmp, path))
        rc = LG_EIO;
    if (rc) {
        remove(tmp);
        rpt__err(err, errlen, rc, "cannot write %s", path);
    }
out:
    plot_buf_destroy(b);
    rpt_report_destroy(rep);
    for (size_t i = 0; st.he && i < n; i++) {
        free(st.he[i].figs);
        if (st.run_figs)
            free(st.run_figs[i]);
        if (st.cmp_figs)
            free(st.cmp_figs[i]);
        if (st.peak_figs)
            free(st.peak_figs[i]);
    }
    free(st.he);
    free(st.run_figs);
    free(st.cmp_figs);
    free(st.peak_figs);
    return rc;
}
