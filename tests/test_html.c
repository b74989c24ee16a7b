/*
 * test_html.c - the HTML report (report/html.c) and `loadgen report --html`: a report of
 * real short runs is one self-contained page (no URL, no script, balanced tags), holds
 * every expected chart by its id inside a <figure> with a caption, escapes a hostile SUT
 * name, has the comparison charts (CI dots, box plots of repetitions, verdicts) for
 * several folders, is written atomically, and stays small for a large run.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include <ctype.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"
#include "tests/testutil.h"

/* ---- helpers (the shared ones are in tests/testutil.h) -------------------------- */

/* Replaces the value of "sut_name" in DIR/results.json (the value must need no JSON
 * escaping). */
static void set_sut_name(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/results.json", tu_tmp, dir);
    char *s = tu_slurp(path, NULL);
    char *k = strstr(s, "\"sut_name\": \"");
    cr_assert_not_null(k, "no sut_name in %s", path);
    char *v = k + strlen("\"sut_name\": \"");
    char *e = strchr(v, '"');
    cr_assert_not_null(e);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "%.*s%s%s", (int)(v - s), s, name, e);
    cr_assert_eq(fclose(f), 0);
    free(s);
}

static const char *const void_elems[] = {"meta", "br", "hr", "img", "input", "link", "col",
                                         "area", "base", "wbr", "source", NULL};

/* A simple tag-balance checker: every element opened is closed in order, except HTML's
 * void elements and self-closing tags ("/>"); comments and <!DOCTYPE> are skipped.
 * Returns NULL when balanced, else a static description. */
static const char *tags_unbalanced(const char *s)
{
    static char msg[256];
    static char stack[4096][24];
    size_t depth = 0;
    for (const char *p = s; (p = strchr(p, '<'));) {
        if (!strncmp(p, "<!--", 4)) {
            const char *e = strstr(p, "-->");
            if (!e)
                return "unterminated comment";
            p = e + 3;
            continue;
        }
        if (p[1] == '!') {
            p = strchr(p, '>');
            if (!p)
                return "unterminated declaration";
            continue;
        }
        bool closing = p[1] == '/';
        const char *q = p + 1 + closing;
        char name[24];
        size_t n = 0;
        while (isalnum((unsigned char)*q) || *q == '-' || *q == ':') {
            if (n < sizeof name - 1)
                name[n++] = (char)tolower((unsigned char)*q);
            q++;
        }
        name[n] = '\0';
        if (!n) {
            snprintf(msg, sizeof msg, "a bare '<' at offset %td", p - s);
            return msg;
        }
        const char *e = strchr(q, '>');
        if (!e)
            return "unterminated tag";
        bool self = e[-1] == '/';
        bool is_void = false;
        for (size_t i = 0; void_elems[i]; i++)
            is_void = is_void || !strcmp(void_elems[i], name);
        if (closing) {
            if (!depth || strcmp(stack[depth - 1], name)) {
                snprintf(msg, sizeof msg, "</%s> at offset %td closes <%s>", name, p - s,
                         depth ? stack[depth - 1] : "(nothing)");
                return msg;
            }
            depth--;
        } else if (!self && !is_void) {
            if (depth == sizeof stack / sizeof stack[0])
                return "too deep";
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
        }
        p = e + 1;
    }
    if (depth) {
        snprintf(msg, sizeof msg, "<%s> never closed", stack[depth - 1]);
        return msg;
    }
    return NULL;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static bool contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++)
        if (!strncasecmp(s, needle, n))
            return true;
    return false;
}

/* The checks every page must pass. */
static void check_page(const char *html)
{
    cr_expect(!strncmp(html, "<!DOCTYPE html>", 15), "%.40s", html);
    cr_expect_null(strstr(html, "http://"), "the page holds a URL");
    cr_expect_null(strstr(html, "https://"), "the page holds a URL");
    cr_expect(!contains_ci(html, "<script"), "the page holds a script");
    cr_expect(!contains_ci(html, " onload=") && !contains_ci(html, " onerror=") &&
              !contains_ci(html, "javascript:"), "an event handler or script URL");
    cr_expect(!contains_ci(html, "<link"), "external style sheet");
    cr_expect(!contains_ci(html, "url("), "CSS url()");
    const char *bad = tags_unbalanced(html);
    cr_expect_null(bad, "unbalanced tags: %s", bad ? bad : "");
    static const char *const sections[] = {"Executive Summary", "Methodology",
                                           "Detailed Results", "Statistical Validation",
                                           "Recommendations", "Environment"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        cr_expect(strstr(html, sections[i]), "no %s", sections[i]);
    size_t figs = count(html, "<figure>");
    cr_expect_gt(figs, 0);
    cr_expect_eq(figs, count(html, "<figcaption>"), "a figure without a caption");
    cr_expect_eq(figs, count(html, "class=\"plot\" role=\"img\""), "a figure without a chart");
}

static void expect_id(const char *html, const char *id)
{
    char needle[128];
    snprintf(needle, sizeof needle, "id=\"%s\"", id);
    cr_expect_eq(count(html, needle), 1, "chart %s: %zu times", id, count(html, needle));
    /* Inside a <figure>: the last <figure> before it is not closed before it. */
    const char *at = strstr(html, needle);
    if (!at)
        return;
    const char *fig = NULL;
    for (const char *p = html; (p = strstr(p, "<figure>")) && p < at; p++)
        fig = p;
    cr_expect_not_null(fig, "chart %s outside a figure", id);
    if (fig) {
        const char *close = strstr(fig, "</figure>");
        cr_expect(close && close > at, "chart %s outside a figure", id);
    }
}

/* ---- one run ----------------------------------------------------------------------------- */

Test(html, server_run_has_every_chart_and_escapes_the_sut, TU_TMP, .timeout = 60)
{
    tu_short_run("s", "Server", "1");
    set_sut_name("s", "<script>alert(1)</script>");
    tu_proc p;
    RUN(&p, "report", "s", "--html", "r.html", "--title", "Report <b>&</b>");
    cr_assert_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.err, "wrote r.html"), "%s", p.err);
    cr_expect_eq(p.out[0], '\0', "--html alone prints no Markdown: %.80s", p.out);
    tu_proc_free(&p);
    cr_expect_neq(access(tu_in_tmp("r.html.tmp"), F_OK), 0, "the temporary file was left");
    char *html = tu_slurp(tu_in_tmp("r.html"), NULL);
    check_page(html);
    cr_expect(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"), "SUT name not escaped");
    cr_expect(strstr(html, "<title>Report &lt;b&gt;&amp;&lt;/b&gt;</title>"), "title");
    static const char *const ids[] = {"plot-spectrum-1", "plot-sched-vs-issue-1",
                                      "plot-histogram-1", "plot-latency-time-1",
                                      "plot-throughput-time-1", "plot-lag-time-1"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        expect_id(html, ids[i]);
    /* The spectrum marks the latency bound and the target percentile. */
    const char *sp = strstr(html, "id=\"plot-spectrum-1\"");
    const char *end = sp ? strstr(sp, "</svg>") : NULL;
    cr_assert(sp && end);
    char *chart = strndup(sp, (size_t)(end - sp));
    cr_expect(strstr(chart, "latency bound 100 ms"), "no bound line");
    cr_expect(strstr(chart, "target p99"), "no target percentile line");
    free(chart);
    cr_expect_null(strstr(html, "plot-cmp-"), "no comparison for one folder");
    /* Charts sit in Detailed Results, after the run's table. */
    cr_expect_lt(strstr(html, "id=\"detailed-results\""), strstr(html, "plot-spectrum-1"));
    cr_expect_lt(strstr(html, "plot-lag-time-1"), strstr(html, "id=\"statistical-validation\""));
    /* No tokens in this run: no token text. */
    cr_expect_null(strstr(html, "TTFT"));
    cr_expect_null(strstr(html, "tokens/s"));
    free(html);
}

/* A synthetic LLM run: the token section in Detailed Results before the run's charts,
 * the token columns of the folder table, every text escaped. */
Test(html, token_run_has_its_token_section, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "400", "--min-duration-ms", "300",
        "--quiet", "--out", "t", "--sut-tokens", "8", "--sut-tpot-us", "200",
        "--use-token-latencies", "--slo", "ttft=5ms,e2e=1s");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "report", "t", "--html", "r.html");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *html = tu_slurp(tu_in_tmp("r.html"), NULL);
    check_page(html);
    const char *tok = strstr(html, "<p>Tokens (MLPerf&#39;s token mode; token counts reported "
                                   "by the SUT; definitions in docs/tokens.md):</p>");
    cr_assert_not_null(tok, "no token paragraph");
    cr_expect_lt(strstr(html, "id=\"detailed-results\""), tok);
    cr_expect_lt(tok, strstr(html, "id=\"plot-spectrum-1\""), "the charts follow the tokens");
    expect_id(html, "plot-spectrum-1");
    cr_expect(strstr(html, "<thead><tr><th>token latency</th><th>min</th><th>mean</th>"),
              "no token latency table");
    cr_expect(strstr(html, "<td>TTFT from the scheduled time (n = "), "no TTFT row");
    cr_expect(strstr(html, "<td>TTFT from the send (n = "), "no TTFT-from-send row");
    cr_expect(strstr(html, "<th>TTFT p99</th><th>TPOT p99</th><th>tokens/s</th>"),
              "no token columns in the folder table");
    cr_expect(strstr(html, "<td>goodput SLOs</td><td>TTFT at most 5.000 ms, latency at most "
                           "1.000 s</td>"), "no SLO row");
    cr_expect(strstr(html, "<td>TTFT constraint (token mode)</td><td>met: p99 TTFT "),
              "no constraint row");
    free(html);
}

Test(html, offline_run_has_no_lag_chart, TU_TMP, .timeout = 60)
{
    tu_short_run("o", "Offline", "3");
    tu_proc p;
    RUN(&p, "report", "o", "--html", "r.html", "--out", "r.md");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *html = tu_slurp(tu_in_tmp("r.html"), NULL);
    check_page(html);
    expect_id(html, "plot-spectrum-1");
    expect_id(html, "plot-histogram-1");
    expect_id(html, "plot-throughput-time-1");
    cr_expect_null(strstr(html, "plot-lag-time-1"));
    cr_expect_null(strstr(html, "plot-sched-vs-issue-1"));
    cr_expect_null(strstr(html, "TTFT"), "token text in a run without tokens");
    free(html);
    char *md = tu_slurp(tu_in_tmp("r.md"), NULL); /* --out too: the Markdown as well */
    cr_expect(!strncmp(md, "# Performance report", 20));
    free(md);
}

/* ---- comparisons ------------------------------------------------------------------------ */

Test(html, two_runs_have_the_comparison_charts, TU_TMP, .timeout = 90)
{
    tu_short_run("a", "Server", "1");
    tu_short_run("b", "Server", "2");
    tu_proc p;
    RUN(&p, "report", "a", "b", "--html", "r.html");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *html = tu_slurp(tu_in_tmp("r.html"), NULL);
    check_page(html);
    expect_id(html, "plot-spectrum-1");
    expect_id(html, "plot-spectrum-2");
    expect_id(html, "plot-cmp-spectra-2");
    static const char *const m[] = {"throughput", "latency-mean", "latency-p50", "latency-p90",
                                    "latency-p99"};
    char id[64];
    for (size_t i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "plot-cmp-ci-2-%s", m[i]);
        expect_id(html, id);
    }
    cr_expect_null(strstr(html, "plot-cmp-box-"), "single runs have no repetitions");
    /* The verdicts beside the charts. */
    cr_expect_geq(count(html, "<p class=\"verdict\">"), 5);
    cr_expect(strstr(html, "no significant change") || strstr(html, "improved") ||
              strstr(html, "regressed") || strstr(html, "within noise"));
    cr_expect_lt(strstr(html, "id=\"comparison\""), strstr(html, "plot-cmp-spectra-2"));
    cr_expect_lt(strstr(html, "plot-cmp-spectra-2"), strstr(html, "id=\"recommendations\""));
    free(html);
}

Test(html, repetition_sets_have_box_plots, TU_TMP, .timeout = 120)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "SingleStream", "--min-duration-ms", "100", "--quiet",
        "--repeat", "3", "--out", "ra");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "SingleStream", "--min-duration-ms", "100", "--quiet",
        "--repeat", "3", "--out", "rb", "--sut-seed", "7");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "report", "ra", "rb", "--html", "r.html");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *html = tu_slurp(tu_in_tmp("r.html"), NULL);
    check_page(html);
    expect_id(html, "plot-spectrum-1");
    expect_id(html, "plot-lag-time-2");
    expect_id(html, "plot-cmp-spectra-2");
    expect_id(html, "plot-cmp-ci-2-throughput");
    expect_id(html, "plot-cmp-box-2-throughput");
    expect_id(html, "plot-cmp-box-2-latency-p99");
    cr_expect(strstr(html, "(the first repetition)"));
    free(html);
}

/* ---- the C API ---------------------------------------------------------------------------- */

Test(html, api_errors_and_doc_alone, TU_TMP, .timeout = 60)
{
    char err[256] = "";
    const char *dirs[1] = {tu_in_tmp("nothing-here")};
    cr_expect_eq(rpt_report_write_html(NULL, 1, NULL, "x.html", err, sizeof err), LG_EINVAL);
    cr_expect_eq(rpt_report_write_html(dirs, 0, NULL, "x.html", err, sizeof err), LG_EINVAL);
    cr_expect_neq(rpt_report_write_html(dirs, 1, NULL, tu_in_tmp("x.html"), err, sizeof err), 0);
    cr_expect(strstr(err, "nothing-here"), "%s", err);
    cr_expect_eq(rpt_doc_write_html(NULL, stdout), LG_EINVAL);

    tu_short_run("s", "SingleStream", "4");
    dirs[0] = tu_in_tmp("s");
    /* An output folder that does not exist: LG_EIO, nothing left behind. */
    int rc = rpt_report_write_html(dirs, 1, NULL, tu_in_tmp("no/such/r.html"), err, sizeof err);
    cr_expect_eq(rc, LG_EIO, "%d %s", rc, err);
    cr_expect(strstr(err, "cannot write"), "%s", err);

    rpt_report *r;
    cr_assert_eq(rpt_report_create(dirs, 1, NULL, &r, err, sizeof err), 0, "%s", err);
    FILE *f = fopen(tu_in_tmp("doc.html"), "w");
    cr_assert_not_null(f);
    cr_expect_eq(rpt_doc_write_html(rpt_report_doc(r), f), 0);
    fclose(f);
    rpt_report_destroy(r);
    char *html = tu_slurp(tu_in_tmp("doc.html"), NULL);
    cr_expect_null(tags_unbalanced(html));
    cr_expect(strstr(html, "<section id=\"executive-summary\">"));
    cr_expect_null(strstr(html, "<svg"), "the document alone has no charts");
    free(html);
}

Test(html, checker_finds_unbalanced_tags)
{
    cr_expect_null(tags_unbalanced("<p>a<br>b<svg><path d=\"M0 0\"/></svg></p>"));
    cr_expect_not_null(tags_unbalanced("<p><b>x</p></b>"));
    cr_expect_not_null(tags_unbalanced("<div>"));
    cr_expect_not_null(tags_unbalanced("a < b"));
}

/* ---- bounded size -------------------------------------------------------------------------- */

Test(html, large_run_stays_small, TU_TMP, .timeout = 120)
{
    tu_proc p;
    /* 1M samples with the null SUT (Offline issues them in one query). */
    RUN(&p, "run", "--scenario", "Offline", "--sut", "null", "--target-qps", "1000000",
        "--min-duration-ms", "100", "--min-query-count", "1000000", "--quiet", "--out", "big");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    tu_short_run("small", "Offline", "5");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    RUN(&p, "report", "big", "--html", "big.html");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "report", "small", "--html", "small.html");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    size_t nb, ns;
    char *big = tu_slurp(tu_in_tmp("big.html"), &nb);
    char *small = tu_slurp(tu_in_tmp("small.html"), &ns);
    check_page(big);
    expect_id(big, "plot-spectrum-1");
    cr_expect_lt(nb, 2u << 20, "%zu bytes", nb);
    /* Bounded by the charts, not the samples: within a small factor of a tiny run's. */
    cr_expect_lt(nb, 3 * ns + 100000, "%zu bytes against %zu", nb, ns);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* Generous: sanitizer builds are several times slower (10M samples: < 2 s, see
     * docs/reports.md). */
    cr_expect_lt(s, 20.0, "%.2f s", s);
    free(big);
    free(small);
}

/* An HTTP run's Client section: its warnings first, as a list, escaped; its figures in a
 * table; a run without a client object has none (server_run_has_every_chart...). */
Test(html, client_section_shows_warnings_escaped, TU_TMP, .timeout = 60)
{
    tu_short_run("s", "Server", "1");
    static const char *const warns[] = {"<script>alert(1)</script> & more"};
    tu_add_client(tu_in_tmp("s"), warns, 1);
    tu_proc p;
    RUN(&p, "report", "s", "--html", "r.html");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *html = tu_slurp(tu_in_tmp("r.html"), NULL);
    /* The server's URL is text of the Client paragraph, nothing the page loads or links:
     * blank it, then the page passes every check. */
    char *u = strstr(html, "<p>Client (OpenAI completions, streamed, http://127.0.0.1:9/v1;");
    cr_assert_not_null(u, "no Client paragraph");
    memset(strstr(u, "http://"), 'x', strlen("http://"));
    check_page(html);
    const char *w = strstr(html, "<li>WARNING: the client may be limiting this result: "
                                 "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</li>");
    cr_assert_not_null(w, "no escaped warning");
    cr_expect_null(strstr(html, "<script>alert"), "raw script in the page");
    const char *tab = strstr(html, "<th>client figure</th><th>value</th>");
    cr_assert_not_null(tab);
    cr_expect_lt(w, tab);
    cr_expect(strstr(html, "<td>failures</td><td>timeout 2, HTTP 5xx 5</td>"), "no failures row");
    cr_expect(strstr(html, "<td>TTFT from the send</td><td>p50 20.10 ms, p99 20.60 ms</td>"),
              "no TTFT row");
    free(html);
}

/* A distributed run's section in the page (report/dist.c): in Detailed Results, before
 * Statistical Validation, the rank table with a host name escaped; the page passes every
 * check. */
Test(html, distributed_section_in_detailed_results_escaped, TU_TMP, .timeout = 60)
{
    tu_short_run("s", "Server", "1");
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", tu_in_tmp("s"));
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    cr_assert_not_null(root, "%s", je.text);
    json_t *r0 = json_pack("{s:i, s:b, s:s, s:i, s:f, s:i, s:i, s:i, s:i, s:i}", "rank", 0,
                           "reported", 1, "host", "<b>node</b>&a", "status", 0,
                           "achieved_samples_per_sec", 999.0, "issue_lag_p99_ns", 2000,
                           "issue_lag_max_ns", 9000, "clock_offset_ns", 0,
                           "clock_offset_error_ns", 0, "start_skew_ns", -5000);
    json_object_set_new(root, "distributed",
                        json_pack("{s:i, s:i, s:b, s:i, s:[o]}", "ranks", 1, "hosts", 1,
                                  "complete", 1, "ranks_reported", 1, "per_rank", r0));
    cr_assert_eq(json_dump_file(root, path, JSON_INDENT(2)), 0);
    json_decref(root);
    tu_proc p;
    RUN(&p, "report", "s", "--html", "r.html");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *html = tu_slurp(tu_in_tmp("r.html"), NULL);
    check_page(html);
    const char *para = strstr(html, "<p>Distributed run (docs/distributed.md): 1 rank on 1 "
                                    "host, complete (every rank reported and ran its share)");
    cr_assert_not_null(para, "no Distributed run paragraph");
    const char *row = strstr(html, "<tr><td>0</td><td>&lt;b&gt;node&lt;/b&gt;&amp;a</td>"
                                   "<td>999.0 /s</td><td>2.000 us / 9.000 us</td><td>0 ns</td>"
                                   "<td>0 ns</td><td>-5.000 us</td><td>ok</td></tr>");
    cr_assert_not_null(row, "no escaped rank row");
    cr_expect_null(strstr(html, "<b>node"), "raw host name in the page");
    cr_expect_lt(strstr(html, "id=\"detailed-results\""), para);
    cr_expect_lt(row, strstr(html, "id=\"statistical-validation\""));
    /* The Executive Summary says it too, in its own list item. */
    const char *item = "<li>#1 s is a distributed run (docs/distributed.md) of 1 rank on 1 "
                       "host. It is never MLPerf-valid: MLPerf&#39;s rules allow one LoadGen "
                       "per submission.</li>";
    const char *ex = strstr(html, "<section id=\"executive-summary\">");
    const char *it = strstr(html, item);
    cr_expect(ex && it && ex < it && it < strstr(html, "id=\"methodology\""),
              "no '%s' in the Executive Summary", item);
    free(html);
    /* A run without the object: nothing in the summary. */
    tu_short_run("plain", "Server", "2");
    RUN(&p, "report", "plain", "--html", "p.html");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    html = tu_slurp(tu_in_tmp("p.html"), NULL);
    cr_assert_not_null(html);
    cr_expect_null(strstr(html, "distributed run"), "a plain run's page names a distributed run");
    cr_expect_null(strstr(html, "allow one LoadGen"), "a plain run's page");
    free(html);
}
