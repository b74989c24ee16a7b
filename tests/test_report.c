/*
 * test_report.c - the performance report (report/report.c, report/doc.c), `loadgen report`,
 * and the number formatters (report/format.c): the sections and their units, the
 * comparison section with several folders, the document API a later HTML renderer reads,
 * Markdown escaping, and the text of durations, values, changes and p-values. The
 * framework object is tests/test_harness.c.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report/internal.h"
#include "report/report.h"
#include "serve/serve.h"
#include "tests/testutil.h"

/* ---- helpers (the shared ones are in tests/testutil.h) -------------------------- */

/* The text of section `title` of a Markdown report: from "## title" to the next "## ". */
static char *section(const char *md, const char *title)
{
    char head[128];
    snprintf(head, sizeof head, "\n## %s\n", title);
    const char *s = strstr(md, head);
    if (!s)
        return NULL;
    s += strlen(head);
    const char *e = strstr(s, "\n## ");
    size_t n = e ? (size_t)(e - s) : strlen(s);
    char *r = malloc(n + 1);
    cr_assert_not_null(r);
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

/* ---- the report -------------------------------------------------------------------------- */

Test(report, one_run_has_every_section_with_units, TU_TMP, .timeout = 60)
{
    tu_short_run("s", "Server", "1");
    tu_proc p;
    RUN(&p, "report", "s", "--out", "r.md");
    cr_assert_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.err, "wrote r.md"), "%s", p.err);
    tu_proc_free(&p);
    char *md = tu_slurp(tu_in_tmp("r.md"), NULL);
    cr_expect(!strncmp(md, "# Performance report\n", 21), "%.80s", md);
    static const char *const sections[] = {"Executive Summary", "Methodology",
                                           "Detailed Results", "Statistical Validation",
                                           "Recommendations"};
    for (size_t i = 0; i < 5; i++) {
        char *s = section(md, sections[i]);
        cr_expect_not_null(s, "no section %s", sections[i]);
        free(s);
    }
    cr_expect_null(strstr(md, "\n## Comparison\n"), "a single folder has no comparison");
    /* Order of the sections. */
    cr_expect_lt(strstr(md, "## Executive Summary"), strstr(md, "## Methodology"));
    cr_expect_lt(strstr(md, "## Statistical Validation"), strstr(md, "## Recommendations"));

    char *s = section(md, "Executive Summary");
    cr_expect(strstr(s, "| Server |"), "%s", s);
    cr_expect(strstr(s, "/s |"), "throughput metric with its unit: %s", s);
    cr_expect(strstr(s, "Bottom line"), "%s", s);
    free(s);
    s = section(md, "Methodology");
    cr_expect(strstr(s, "| target rate (Server) / expected rate (Offline) | 2000.0 /s |"),
              "target rate with unit: %s", s);
    cr_expect(strstr(s, "200 ms"), "minimum duration with unit: %s", s);
    cr_expect(strstr(s, "moving-block bootstrap"), "%s", s);
    cr_expect(strstr(s, "| CPU |"), "%s", s);
    cr_expect(strstr(s, "| kernel |"), "%s", s);
    cr_expect(strstr(s, "| compiler |"), "%s", s);
    cr_expect(strstr(s, "online"), "cores: %s", s);
    cr_expect(strstr(s, "libloadgen "), "%s", s);
    cr_expect(strstr(s, "UTC"), "%s", s);
    free(s);
    s = section(md, "Detailed Results");
    cr_expect(strstr(s, "| p99 latency |"), "%s", s);
    cr_expect(strstr(s, " ms |") || strstr(s, " us |"), "latencies with units: %s", s);
    cr_expect(strstr(s, " queries |"), "%s", s);
    free(s);
    s = section(md, "Statistical Validation");
    cr_expect(strstr(s, "Verdict: "), "%s", s);
    cr_expect(strstr(s, "| stability |"), "%s", s);
    cr_expect(strstr(s, "| warmup |"), "%s", s);
    cr_expect(strstr(s, "95% interval"), "%s", s);
    free(s);
    s = section(md, "Recommendations");
    cr_expect(strstr(s, "- #1"), "%s", s);
    cr_expect(strstr(s, "--min-"), "a recommendation names a flag: %s", s);
    free(s);
    free(md);

    /* To standard output without --out. */
    RUN(&p, "report", "s", "--title", "My runs");
    cr_expect_eq(p.code, 0);
    cr_expect(!strncmp(p.out, "# My runs\n", 10), "%.40s", p.out);
    tu_proc_free(&p);
    RUN(&p, "report");
    cr_expect_eq(p.code, 2);
    tu_proc_free(&p);
    RUN(&p, "report", "no-such-dir");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "no-such-dir"), "%s", p.err);
    tu_proc_free(&p);
}

Test(report, several_folders_get_a_comparison_section, TU_TMP, .timeout = 60)
{
    tu_short_run("a", "Server", "1");
    tu_short_run("b", "Server", "2");
    tu_short_run("c", "SingleStream", "3");
    const char *dirs[3] = {tu_in_tmp("a"), tu_in_tmp("b"), tu_in_tmp("c")};
    rpt_report *r;
    char err[512];
    cr_assert_eq(rpt_report_create(dirs, 3, NULL, &r, err, sizeof err), 0, "%s", err);
    const rpt_doc *d = rpt_report_doc(r);
    cr_assert_not_null(d);
    cr_expect_str_eq(rpt_doc_title(d), "Performance report");
    static const char *const ids[] = {"executive-summary", "methodology", "detailed-results",
                                      "statistical-validation", "comparison",
                                      "recommendations"};
    cr_assert_eq(rpt_doc_section_count(d), 6);
    for (size_t i = 0; i < 6; i++)
        cr_expect_str_eq(rpt_doc_section_id(d, i), ids[i]);
    cr_expect_str_eq(rpt_doc_section_title(d, 4), "Comparison");
    cr_expect_null(rpt_doc_section_title(d, 6));
    /* Every block is readable, tables are whole rows. */
    size_t tables = 0;
    for (size_t s = 0; s < 6; s++)
        for (size_t b = 0; b < rpt_doc_block_count(d, s); b++) {
            rpt_block blk;
            cr_assert_eq(rpt_doc_block(d, s, b, &blk), 0);
            if (blk.kind == RPT_BLOCK_TABLE) {
                tables++;
                cr_expect_geq(blk.n_rows, 2, "a table without data rows in section %zu", s);
                for (size_t c = 0; c < blk.n_cols * blk.n_rows; c++)
                    cr_expect_not_null(blk.cells[c]);
            } else if (blk.kind == RPT_BLOCK_LIST) {
                cr_expect_gt(blk.n_items, 0);
            } else {
                cr_expect_not_null(blk.text);
            }
        }
    cr_expect_gt(tables, 5);
    rpt_block blk;
    cr_expect_eq(rpt_doc_block(d, 0, 999, &blk), LG_EINVAL);

    FILE *f = fopen(tu_in_tmp("cmp.md"), "w");
    cr_assert_not_null(f);
    cr_assert_eq(rpt_report_write_markdown(r, f), 0);
    fclose(f);
    rpt_report_destroy(r);
    char *md = tu_slurp(tu_in_tmp("cmp.md"), NULL);
    char *s = section(md, "Comparison");
    cr_assert_not_null(s);
    /* b is compared with a (same scenario, both single runs); c has no baseline. */
    cr_expect(strstr(s, "#2 (B) against #1 (A)"), "%s", s);
    cr_expect_null(strstr(s, "#3 (B)"), "%s", s);
    cr_expect(strstr(s, "| throughput (n = "), "%s", s);
    cr_expect(strstr(s, "| p99 latency (n = "), "%s", s);
    cr_expect(strstr(s, "time batches"), "the single-run warning: %s", s);
    cr_expect(strstr(s, "/s |"), "%s", s);
    cr_expect(strstr(s, "%"), "%s", s);
    free(s);
    s = section(md, "Executive Summary");
    cr_expect(strstr(s, "#2 against #1"), "%s", s);
    free(s);
    /* The SingleStream run has no target rate: the row says so instead of a number. */
    s = section(md, "Methodology");
    cr_expect(strstr(s, "| target rate (Server) / expected rate (Offline) | 2000.0 /s | "
                        "2000.0 /s | none (SingleStream issues each query when the previous "
                        "one is done) |"), "%s", s);
    free(s);
    free(md);
}

/* Rewrites dir/results.json with jansson: a member of "environment" set to a string,
 * or (key NULL) the whole object removed, as an older loadgen wrote it. */
static void edit_environment(const char *dir, const char *key, const char *value)
{
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    cr_assert_not_null(root, "%s: %s", path, je.text);
    if (key)
        json_object_set_new(json_object_get(root, "environment"), key, json_string(value));
    else
        json_object_del(root, "environment");
    cr_assert_eq(json_dump_file(root, path, JSON_INDENT(2)), 0);
    json_decref(root);
}

static char *report_md(const char *const *dirs, size_t n)
{
    rpt_report *r;
    char err[512];
    cr_assert_eq(rpt_report_create(dirs, n, NULL, &r, err, sizeof err), 0, "%s", err);
    char *buf = tu_doc_markdown(rpt_report_doc(r));
    rpt_report_destroy(r);
    return buf;
}

Test(report, environment_is_the_machine_the_runs_ran_on, TU_TMP, .timeout = 60)
{
    tu_short_run("a", "Server", "1");
    tu_short_run("b", "Server", "2");
    const char *dirs[2] = {tu_in_tmp("a"), tu_in_tmp("b")};
    /* results.json records the machine; the run's info has it. */
    rpt_run *run;
    char err[256];
    cr_assert_eq(rpt_run_load(dirs[0], &run, err, sizeof err), 0, "%s", err);
    const rpt_run_info *in = rpt_run_get_info(run);
    cr_assert(in->has_environment);
    rpt_environment here;
    rpt_environment_get(&here);
    cr_expect_str_eq(in->environment.hostname, here.hostname);
    cr_expect_str_eq(in->environment.cpu_model, here.cpu_model);
    cr_expect_eq(in->environment.cores, here.cores);
    cr_expect_str_eq(in->environment.compiler, here.compiler);
    cr_expect_str_eq(in->environment.library_version, lg_version());
    /* "YYYY-MM-DD HH:MM:SS UTC" from start_time_utc */
    cr_expect_eq(strlen(in->environment.date_utc), 23, "%s", in->environment.date_utc);
    cr_expect_eq(strncmp(in->environment.date_utc, in->start_time_utc, 10), 0);
    rpt_run_destroy(run);

    /* One machine: one column, said to be the runs' machine. */
    char *md = report_md(dirs, 2);
    char *m = section(md, "Methodology");
    cr_assert_not_null(m);
    cr_expect_not_null(strstr(m, "The machine the runs ran on, as their results.json records it."),
                       "%s", m);
    cr_expect_not_null(strstr(m, "| runs made |"));
    cr_expect_not_null(strstr(m, "| report made |"));
    cr_expect_null(strstr(md, "different machines"));
    free(m);
    free(md);

    /* Another host: two columns, the folders of each, and a recommendation. */
    edit_environment(dirs[1], "hostname", "elsewhere");
    md = report_md(dirs, 2);
    m = section(md, "Methodology");
    cr_assert_not_null(m);
    cr_expect_not_null(strstr(m, "The runs ran on 2 different machines"), "%s", m);
    cr_expect_not_null(strstr(m, "| item | machine 1 | machine 2 |"), "%s", m);
    cr_expect_not_null(strstr(m, "| folders | #1 | #2 |"), "%s", m);
    cr_expect_not_null(strstr(m, "| elsewhere |"), "%s", m);
    char *rec = section(md, "Recommendations");
    cr_assert_not_null(rec);
    cr_expect_not_null(strstr(rec, "The runs come from 2 machines"), "%s", rec);
    free(rec);
    free(m);
    free(md);

    /* Files of an older loadgen: the report's own machine, said as such. */
    edit_environment(dirs[0], NULL, NULL);
    edit_environment(dirs[1], NULL, NULL);
    cr_assert_eq(rpt_run_load(dirs[0], &run, err, sizeof err), 0, "%s", err);
    cr_expect_not(rpt_run_get_info(run)->has_environment);
    cr_expect_str_eq(rpt_run_get_info(run)->environment.cpu_model, "unknown");
    rpt_run_destroy(run);
    md = report_md(dirs, 2);
    m = section(md, "Methodology");
    cr_assert_not_null(m);
    cr_expect_not_null(strstr(m, "do not record the machine they ran on"), "%s", m);
    cr_expect_not_null(strstr(m, here.hostname));
    free(m);
    free(md);
}

Test(report, markdown_escapes_what_would_break_it, .timeout = 10)
{
    rpt_doc *d = rpt__doc_create("Report of <run>\n# injected");
    cr_assert_not_null(d);
    rpt__doc_section(d, "S", "s");
    rpt__doc_para(d, "# not a heading, *not bold*, <b>not html</b>, #1 stays");
    rpt__doc_table(d, 2);
    rpt__doc_cell(d, "a|b");
    rpt__doc_cell(d, "c");
    rpt__doc_cell(d, "line\nbreak");
    rpt__doc_cell(d, "%d /s", 5);
    rpt__doc_list(d);
    rpt__doc_item(d, "- item");
    rpt__doc_code(d, "x | y\n");
    /* SUT, QSL and folder names are anybody's text: they must print, never pass through
     * as HTML or end a heading or a row. */
    rpt__doc_section(d, "Runs of a&b\nnext", "r");
    rpt__doc_heading(d, "folder <img src=x onerror=alert(1)>\nsecond line");
    rpt__doc_table(d, 2);
    rpt__doc_cell(d, "SUT / QSL");
    rpt__doc_cell(d, "folder");
    rpt__doc_cell(d, "<script>alert(1)</script>\"><img src=x>");
    rpt__doc_cell(d, "R&D | x > y");
    char *buf = tu_doc_markdown(d);
    cr_expect_null(strstr(buf, "<script"), "%s", buf);
    cr_expect_null(strstr(buf, "<img"), "%s", buf);
    cr_expect(strstr(buf, "| &lt;script&gt;alert(1)&lt;/script&gt;\"&gt;&lt;img src=x&gt; | "
                          "R&amp;D \\| x &gt; y |\n"), "%s", buf);
    cr_expect(strstr(buf, "## Runs of a&amp;b next\n"), "%s", buf);
    cr_expect(strstr(buf, "### folder &lt;img src=x onerror=alert(1)&gt; second line\n"), "%s",
              buf);
    cr_expect(strstr(buf, "\\# not a heading"), "%s", buf);
    cr_expect(strstr(buf, "\\*not bold\\*"), "%s", buf);
    cr_expect(strstr(buf, "&lt;b&gt;not html&lt;/b&gt;"), "%s", buf);
    cr_expect(strstr(buf, ", #1 stays"), "%s", buf);
    cr_expect(strstr(buf, "| a\\|b | c |\n|---|---|\n| line break | 5 /s |\n"), "%s", buf);
    cr_expect(strstr(buf, "- \\- item"), "%s", buf);
    cr_expect(strstr(buf, "```\nx | y\n```\n"), "%s", buf);
    cr_expect(strstr(buf, "# Report of &lt;run&gt; # injected\n"), "%s", buf);
    free(buf);
    rpt__doc_destroy(d);
}

/* ---- the number formatters -------------------------------------------------------- */

/* rpt_format_X into a fresh buffer of `len` bytes; returns it (static, one at a time). */
#define FMT(len, call, ...)                                                              \
    (memset(fmt_buf, 'x', sizeof fmt_buf), call(fmt_buf, (len), __VA_ARGS__), fmt_buf)
static char fmt_buf[RPT_FORMAT_MAX];

/* The reports print durations with the core's lg_format_ns (test_results.c tests its
 * rules): a metric in ns reads the same as the library's summary prints it. */
Test(report, durations_are_the_cores_format, .timeout = 10)
{
    static const double v[] = {2.1e9, 1234567.0, 812412.0, 95.0, -1.5e6, 999960.0, NAN};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char want[LG_FORMAT_NS_MAX];
        lg_format_ns(v[i], want, sizeof want);
        cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_value, v[i], "ns"), want);
    }
}

Test(report, values_print_in_their_metrics_unit, .timeout = 10)
{
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_value, 3e6, "ns"), "3.000 ms");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_value, 1234.54, "1/s"), "1234.5 /s");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_value, 42.0, "samples"), "42 samples");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_value, 0.125, ""), "0.125");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_value, 0.125, NULL), "0.125");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_value, NAN, "1/s"), "n/a");
}

Test(report, changes_and_p_values_print_as_the_reports_show_them, .timeout = 10)
{
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_pct, 0.0324), "+3.24%");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_pct, -0.005), "-0.50%");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_pct, 0.0), "+0.00%");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_pct, INFINITY), "n/a");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_p, 0.0312), "0.0312");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_p, 1.0), "1.0000");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_p, 3.1e-4), "0.00031");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_p, 3.14e-5), "3.1e-05");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_p, 5e-13), "< 1e-12");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_p, 0.0), "< 1e-12");
    cr_expect_str_eq(FMT(RPT_FORMAT_MAX, rpt_format_p, NAN), "n/a");
}

/* The header promises that RPT_FORMAT_MAX bytes hold every text below 1e18 in the unit
 * printed (with a unit of up to 16 characters), and that a short buffer is truncated
 * and terminated, never overrun. */
Test(report, formatters_fit_their_buffer_and_truncate_a_short_one, .timeout = 10)
{
    const double big = -9.99e17;
    /* Shorter than the buffer less its NUL: not truncated. */
    char buf[RPT_FORMAT_MAX];
    lg_format_ns(big * 1e9, buf, sizeof buf);
    cr_expect_lt(strlen(buf), sizeof buf - 1, "%s", buf);
    rpt_format_value(buf, sizeof buf, big, "1/s");
    cr_expect_lt(strlen(buf), sizeof buf - 1, "%s", buf);
    rpt_format_value(buf, sizeof buf, big, "sixteen-chars-xx");
    cr_expect_lt(strlen(buf), sizeof buf - 1, "%s", buf);
    rpt_format_pct(buf, sizeof buf, big / 100);
    cr_expect_lt(strlen(buf), sizeof buf - 1, "%s", buf);
    rpt_format_p(buf, sizeof buf, -big);
    cr_expect_lt(strlen(buf), sizeof buf - 1, "%s", buf);

    cr_expect_str_eq(FMT(5, rpt_format_value, 1234567.0, "ns"), "1.23");
    cr_expect_eq(fmt_buf[5], 'x', "nothing written past len");
    cr_expect_str_eq(FMT(1, rpt_format_p, 0.5), "");
    rpt_format_pct(NULL, 0, 0.5); /* len 0 writes nothing */
}

/* A report says how its run was made, and for several runs what differs between them. */
Test(report, provenance_one_run_and_what_differs_between_runs, TU_TMP, .timeout = 90)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "2000", "--min-duration-ms", "200",
        "--quiet", "--out", "a", "--service-mean-us", "900");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "3000", "--min-duration-ms", "200",
        "--quiet", "--out", "b", "--service-mean-us", "900");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "report", "a", "--out", "one.md");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *md = tu_slurp(tu_in_tmp("one.md"), NULL);
    cr_expect(strstr(md, "### How it was made\n"), "%s", md);
    cr_expect(strstr(md, "- command line: loadgen run --sut synthetic --scenario Server "
                      "--target-qps 2000"),
              "%s", md);
    cr_expect(strstr(md, "service_mean_us 900"), "%s", md);
    free(md);
    RUN(&p, "report", "a", "b", "--out", "two.md");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    md = tu_slurp(tu_in_tmp("two.md"), NULL);
    char *s = section(md, "Methodology");
    cr_assert_not_null(s);
    cr_expect(strstr(s, "### What differs between the runs\n\n#2 against #1 (one thing "
                        "changed):"), "%s", s);
    cr_expect(strstr(s, "| settings.server_target_qps | 2000 | 3000 |"), "%s", s);
    free(s);
    free(md);
}

/* ---- token runs ------------------------------------------------------------------------ */

/* A synthetic LLM run into tu_tmp/out: a constant 2 ms to the first token, then 4 more
 * tokens 500 us apart, in MLPerf's token mode with goodput SLOs. */
static void token_run(const char *out, const char *scenario, const char *extra_flag,
                      const char *extra_value)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", scenario, "--target-qps", "400", "--min-duration-ms", "300",
        "--quiet", "--out", out, "--service-dist", "constant", "--service-mean-us", "2000",
        "--sut-tokens", "5", "--sut-tpot-us", "500", "--use-token-latencies", "--slo",
        "ttft=5ms,tpot=2ms", extra_flag, extra_value);
    cr_assert_leq(p.code, 1, "run %s failed: %s", out, p.err);
    tu_proc_free(&p);
}

/* The Markdown row "| label (n = N) | min | mean | ... | max |" of a token latency. */
static void latency_row_text(char *buf, size_t len, const char *label,
                             const lg_latency_stats *s)
{
    int64_t v[] = {s->min_ns, s->mean_ns, s->p50_ns, s->p90_ns, s->p95_ns, s->p97_ns,
                   s->p99_ns, s->p999_ns, s->max_ns};
    size_t at = (size_t)snprintf(buf, len, "| %s (n = %llu) |", label,
                                 (unsigned long long)s->count);
    for (size_t i = 0; i < sizeof v / sizeof v[0] && at < len; i++) {
        char a[LG_FORMAT_NS_MAX];
        lg_format_ns((double)v[i], a, sizeof a);
        at += (size_t)snprintf(buf + at, len - at, " %s |", a);
    }
}

/* A token run's report shows its TTFT and TPOT (from the run's own figures, in the
 * columns of the table), its tokens per second, goodput and the token-mode constraints;
 * the folder table and the settings get their token columns and row. */
Test(report, a_token_run_gets_its_token_section, TU_TMP, .timeout = 60)
{
    token_run("t", "Server", "--ttft-latency-ms", "50");
    rpt_run *run;
    char err[512], want[512], a[LG_FORMAT_NS_MAX];
    cr_assert_eq(rpt_run_load(tu_in_tmp("t"), &run, err, sizeof err), 0, "%s", err);
    const rpt_run_info *in = rpt_run_get_info(run);
    const lg_token_results *k = &in->results.tokens;
    cr_assert(k->applies && k->mlperf && k->slo_applies);
    cr_assert_gt(k->ttft.count, 100);
    cr_expect_eq(in->token_settings.ttft_latency_ns, 50000000);
    cr_expect_eq(in->token_settings.slo_tpot_ns, 2000000);
    /* TPOT is 500 us a token whatever the queueing. */
    cr_expect(k->tpot.p50_ns > 450000 && k->tpot.p50_ns < 1000000, "%lld",
              (long long)k->tpot.p50_ns);
    tu_proc p;
    RUN(&p, "report", "t", "--out", "r.md");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *md = tu_slurp(tu_in_tmp("r.md"), NULL);
    char *s = section(md, "Detailed Results");
    cr_assert_not_null(s);
    cr_expect(strstr(s, "\nTokens (MLPerf's token mode; token counts reported by the SUT; "
                        "definitions in docs/tokens.md):\n"), "%s", s);
    cr_expect(strstr(s, "| token latency | min | mean | p50 | p90 | p95 | p97 | p99 | p99.9 | "
                        "max |\n"), "%s", s);
    latency_row_text(want, sizeof want, "TTFT from the scheduled time", &k->ttft);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    latency_row_text(want, sizeof want, "TTFT from the send", &k->ttft_from_send);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    latency_row_text(want, sizeof want, "TPOT", &k->tpot);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    snprintf(want, sizeof want, "| output tokens | %llu tokens from %llu samples (MLPerf's "
             "count: %llu) |", (unsigned long long)k->output_tokens,
             (unsigned long long)k->samples_with_tokens, (unsigned long long)k->token_count);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    cr_expect_eq(k->output_tokens, 5 * k->samples_with_tokens);
    snprintf(want, sizeof want, "| completed tokens per second (MLPerf: tokens / the last "
             "completion) | %.1f tokens/s |", k->completed_tokens_per_sec);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    cr_expect(strstr(s, "| token errors | none |"), "%s", s);
    /* Markdown escapes '<' (the reports' rule), so the SLOs read in words. */
    cr_expect(strstr(s, "| goodput SLOs | TTFT at most 5.000 ms, TPOT at most 2.000 ms |"),
              "%s", s);
    snprintf(want, sizeof want, "| good requests | %llu of %llu samples",
             (unsigned long long)k->good_requests,
             (unsigned long long)in->results.samples_issued);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    snprintf(want, sizeof want, "| token goodput | %.1f tokens/s |", k->token_goodput);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    lg_format_ns((double)k->ttft.target_ns, a, sizeof a);
    snprintf(want, sizeof want, "| TTFT constraint (token mode) | %s: p99 TTFT %s, %s "
             "50.00 ms |", k->ttft_constraint_met ? "met" : "NOT met", a,
             k->ttft_constraint_met ? "bound" : "over the bound");
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    cr_expect(strstr(s, "| TPOT constraint (token mode) | "), "%s", s);
    cr_expect(strstr(s, "| TPOT early stopping (p99) | "), "%s", s);
    /* The run's figures come first, then its tokens. */
    cr_expect_lt(strstr(s, "| p99 latency |"), strstr(s, "Tokens (MLPerf"));
    free(s);
    s = section(md, "Executive Summary");
    cr_expect(strstr(s, "| validation | TTFT p99 | TPOT p99 | tokens/s |\n"), "%s", s);
    lg_format_ns((double)k->ttft.p99_ns, a, sizeof a);
    snprintf(want, sizeof want, "| %s | ", a);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    free(s);
    s = section(md, "Methodology");
    cr_expect(strstr(s, "| tokens (LLM) | MLPerf's token mode, TTFT bound 50.00 ms, TPOT "
                        "bound 100.0 ms; SLOs TTFT at most 5.000 ms, TPOT at most 2.000 ms |"),
              "%s", s);
    cr_expect(strstr(s, "- Tokens (docs/tokens.md): TTFT is"), "%s", s);
    free(s);
    free(md);
    rpt_run_destroy(run);
}

/* An Offline token run shows Offline's tokens per second and the inferred figure. */
Test(report, an_offline_token_run_shows_its_rates, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Offline", "--target-qps", "2000", "--min-duration-ms", "200",
        "--quiet", "--out", "o", "--sut-tokens", "4", "--sut-tpot-us", "100",
        "--use-token-latencies", "--infer-token-latencies", "--token-latency-scaling-factor",
        "4");
    cr_assert_leq(p.code, 1, "%s", p.err);
    tu_proc_free(&p);
    rpt_run *run;
    char err[512], want[256];
    cr_assert_eq(rpt_run_load(tu_in_tmp("o"), &run, err, sizeof err), 0, "%s", err);
    const lg_token_results *k = &rpt_run_get_info(run)->results.tokens;
    cr_assert_gt(k->tokens_per_sec, 0);
    cr_assert_gt(k->inferred_tokens_per_sec, 0);
    RUN(&p, "report", "o");
    cr_assert_eq(p.code, 0, "%s", p.err);
    char *s = section(p.out, "Detailed Results");
    cr_assert_not_null(s);
    cr_expect(strstr(s, "| TTFT from the pass start (n = "), "%s", s);
    snprintf(want, sizeof want, "| tokens per second (MLPerf: tokens / the longest latency) | "
             "%.1f tokens/s |", k->tokens_per_sec);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    snprintf(want, sizeof want, "| inferred tokens per second (samples x 4) | %.1f tokens/s |",
             k->inferred_tokens_per_sec);
    cr_expect(strstr(s, want), "%s\nnot in\n%s", want, s);
    /* No SLO, and Offline has no TTFT or TPOT bound. */
    cr_expect_null(strstr(s, "goodput"), "%s", s);
    cr_expect_null(strstr(s, "constraint"), "%s", s);
    cr_expect_null(strstr(s, "completed tokens per second"), "%s", s);
    free(s);
    tu_proc_free(&p);
    rpt_run_destroy(run);
}

/* Runs without tokens render as before token runs existed: no token text anywhere. */
Test(report, runs_without_tokens_have_no_token_text, TU_TMP, .timeout = 60)
{
    tu_short_run("s", "Server", "1");
    tu_short_run("o", "Offline", "2");
    tu_proc p;
    RUN(&p, "report", "s", "o");
    cr_assert_eq(p.code, 0, "%s", p.err);
    static const char *const words[] = {"Tokens (", "TTFT", "TPOT", "tokens/s", "goodput",
                                        "tokens (LLM)", "token errors"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        cr_expect_null(strstr(p.out, words[i]), "'%s' in a report without tokens", words[i]);
    cr_expect(strstr(p.out, "| # | folder | scenario | runs | LoadGen verdict | metric (unit) | "
                            "validation |\n"), "%s", p.out);
    tu_proc_free(&p);
    /* A token run beside one without: the folder table keeps its columns (not every run
     * has tokens), the settings table gets its row. */
    token_run("t", "Server", "--ttft-latency-ms", "50");
    RUN(&p, "report", "s", "t");
    cr_assert_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "| validation |\n"), "%s", p.out);
    cr_expect(strstr(p.out, "| tokens (LLM) | none | MLPerf's token mode"), "%s", p.out);
    tu_proc_free(&p);
}

/* Token repetition sets: the per-run table has the token columns and the comparison (in
 * the report and in `loadgen compare`) the TTFT, TPOT and tokens/s metrics. */
Test(report, token_repetition_sets_compare_ttft_tpot_and_tokens_per_second, TU_TMP,
     .timeout = 120)
{
    const char *tpot[2] = {"200", "800"}, *out[2] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        tu_proc p;
        RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "400", "--min-duration-ms", "200",
            "--quiet", "--out", out[i], "--repeat", "2", "--sut-tokens", "4", "--sut-tpot-us",
            tpot[i], "--use-token-latencies");
        cr_assert_leq(p.code, 1, "%s", p.err);
        tu_proc_free(&p);
    }
    tu_proc p;
    RUN(&p, "report", "a", "b");
    cr_assert_eq(p.code, 0, "%s", p.err);
    char *s = section(p.out, "Detailed Results");
    cr_assert_not_null(s);
    cr_expect(strstr(s, "| run | result | metric | throughput | p99 latency | TTFT p99 | "
                        "TPOT p99 | tokens/s |\n"), "%s", s);
    cr_expect(strstr(s, "| p99 TTFT | "), "the per-run summary: %s", s);
    free(s);
    s = section(p.out, "Comparison");
    cr_assert_not_null(s);
    cr_expect(strstr(s, "| p99 TTFT (n = 2, 2) |"), "%s", s);
    cr_expect(strstr(s, "| p99 TPOT (n = 2, 2) |"), "%s", s);
    cr_expect(strstr(s, "| tokens per second (n = 2, 2) |"), "%s", s);
    free(s);
    s = section(p.out, "Executive Summary");
    cr_expect(strstr(s, "| TTFT p99 | TPOT p99 | tokens/s |\n"), "%s", s);
    cr_expect(strstr(s, "| mean "), "a set's token cells are means: %s", s);
    free(s);
    tu_proc_free(&p);
    RUN(&p, "compare", "a", "b");
    cr_expect_leq(p.code, 1, "%s", p.err);
    cr_expect(strstr(p.out, "\nttft_p99 "), "%s", p.out);
    cr_expect(strstr(p.out, "\ntpot_p99 "), "%s", p.out);
    cr_expect(strstr(p.out, "\ntokens_per_sec "), "%s", p.out);
    /* TPOT 800 us against 200 us a token: the candidate's TPOT is the larger. */
    const char *row = strstr(p.out, "\ntpot_p99 ");
    cr_expect(row && strstr(row, "+"), "%s", p.out);
    tu_proc_free(&p);
}

/* ---- the HTTP client's record ---------------------------------------------------------- */

/* A real OpenAI run against the test server (in this process, port 0): its Client
 * section holds what results.json's client object says, failures by kind included. */
Test(report, an_http_run_gets_its_client_section, TU_TMP, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.ttft_ms = 2;
    sc.tpot_ms = 1;
    sc.fault_fraction[SERVE_FAULT_ERROR] = 0.1;
    serve_server *srv;
    char err[256];
    cr_assert_eq(serve_start(&sc, &srv, err, sizeof err), 0, "%s", err);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", serve_port(srv));
    FILE *f = fopen(tu_in_tmp("p.jsonl"), "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 20; i++)
        fprintf(f, "{\"prompt\":\"prompt %d\",\"max_tokens\":4}\n", i);
    fclose(f);
    tu_proc p;
    RUN(&p, "run", "--sut", "openai", "--url", url, "--model-name", "model", "--stream",
        "--dataset", "p.jsonl", "--scenario", "Server", "--target-qps", "100",
        "--min-duration-ms", "400", "--use-token-latencies", "--out", "h", "--no-progress");
    cr_assert(p.code == 0 || p.code == 1, "exit %d: %s", p.code, p.err);
    tu_proc_free(&p);
    serve_stop(srv);
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", tu_in_tmp("h"));
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    cr_assert_not_null(root, "%s", je.text);
    json_t *c = json_object_get(root, "client");
    cr_assert_not_null(c);
    long long sent = json_integer_value(json_object_get(c, "requests_sent"));
    long long n5 = json_integer_value(json_object_get(json_object_get(c, "responses_by_class"),
                                                      "5xx"));
    cr_assert_gt(n5, 0, "10%% of the answers are HTTP 500");
    json_decref(root);
    const char *dirs[] = {tu_in_tmp("h")};
    char *md = report_md(dirs, 1);
    char want[256];
    snprintf(want, sizeof want, "Client (OpenAI completions, streamed, %s; 8 connections on 1 "
             "I/O thread, pipeline 1; definitions in docs/http.md):", url);
    cr_expect(strstr(md, want), "no '%s' in\n%s", want, md);
    snprintf(want, sizeof want, "| requests | submitted %lld, sent %lld, answered %lld, ", sent,
             sent, sent);
    cr_expect(strstr(md, want), "no '%s' in\n%s", want, md);
    snprintf(want, sizeof want, "| failures | HTTP 5xx %lld |", n5);
    cr_expect(strstr(md, want), "no '%s' in\n%s", want, md);
    cr_expect(strstr(md, "| first failure | HTTP 500: "), "%s", md);
    cr_expect(strstr(md, "| rate (requested, sent, completed) | 100.0/s, "), "%s", md);
    /* The default pool: 8 connections that may grow to 1024 (it grows only when every
     * one is busy, which a loaded machine can make happen at 100/s). */
    cr_expect(strstr(md, "| connections | opened 8, reconnects 0; the pool of 8 could grow "
                         "to 1024 |") ||
                  (strstr(md, "| connections | opened ") &&
                   strstr(md, "; the pool grew from 8 to ") && strstr(md, " (at most 1024) |")),
              "%s", md);
    cr_expect(strstr(md, "| output tokens | "), "%s", md);
    cr_expect(strstr(md, "n_tokens from usage for "), "%s", md);
    cr_expect(strstr(md, "| ITL (gaps between content chunks, pooled) | p50 "), "%s", md);
    /* After the run's figures and tokens, before the next section. */
    char *det = section(md, "Detailed Results");
    cr_assert_not_null(det);
    cr_expect_lt(strstr(det, "Tokens ("), strstr(det, "Client ("));
    free(det);
    free(md);
}

/* A hand-written client object: every figure in its place and unit, each warning first
 * and escaped as all text is; a partial object (older or damaged) still renders; a run
 * without the object has no client text at all. */
Test(report, client_warnings_come_first_and_are_escaped, TU_TMP, .timeout = 60)
{
    tu_short_run("s", "Server", "1");
    tu_short_run("plain", "Server", "1");
    static const char *const warns[] = {"issue lag <b>*high*</b>", "second | warning"};
    tu_add_client(tu_in_tmp("s"), warns, 2);
    const char *dirs[] = {tu_in_tmp("s")};
    char *md = report_md(dirs, 1);
    const char *w1 = strstr(md, "- WARNING: the client may be limiting this result: issue lag "
                                "&lt;b&gt;\\*high\\*&lt;/b&gt;\n");
    const char *w2 = strstr(md, "- WARNING: the client may be limiting this result: second | "
                                "warning\n");
    const char *tab = strstr(md, "| client figure | value |");
    cr_assert(w1 && w2 && tab, "%s", md);
    cr_expect_lt(w1, w2);
    cr_expect_lt(w2, tab, "the warnings come before the figures");
    static const char *const rows[] = {
        "| requests | submitted 100, sent 100, answered 98, throttled (429) 0 |",
        "| failures | timeout 2, HTTP 5xx 5 |",
        "| first failure | HTTP 500: injected error |",
        "| send delay (issue to the last byte written) | p50 20.60 us, p99 218.0 us, "
        "max 2.680 ms |",
        "| sent more than 1.000 ms late | 3.00% of the requests |",
        "| rate (requested, sent, completed) | 200.0/s, 199.5/s, 198.0/s |",
        "| CPU | process 0.25 s in 0.50 s; busiest I/O thread 4% of a core |",
        "| connections | opened 8, reconnects 1 |",
        "| output tokens | 720; n_tokens from usage for 90 samples, from the chunk count for "
        "3 |",
        "| ITL (gaps between content chunks, pooled) | p50 1.990 ms, p99 2.140 ms (n = 651) |",
        "| TTFT from the send | p50 20.10 ms, p99 20.60 ms |",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect(strstr(md, rows[i]), "no row '%s' in\n%s", rows[i], md);
    free(md);
    /* Partial: warnings alone. */
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", tu_in_tmp("s"));
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    cr_assert_not_null(root);
    json_object_set_new(root, "client", json_pack("{s:[s], s:s}", "warnings", "alone",
                                                  "errors", "not an object"));
    cr_assert_eq(json_dump_file(root, path, 0), 0);
    json_decref(root);
    md = report_md(dirs, 1);
    cr_expect(strstr(md, "Client (HTTP, unknown URL; 0 connections on 0 I/O threads"), "%s", md);
    cr_expect(strstr(md, "- WARNING: the client may be limiting this result: alone\n"), "%s", md);
    cr_expect(strstr(md, "| failures | none |"), "%s", md);
    cr_expect(strstr(md, "| send delay (issue to the last byte written) | n/a (nothing sent) |"),
              "%s", md);
    cr_expect_null(strstr(md, "output tokens"), "no tokens object, no token rows");
    free(md);
    /* A repetition set: one Client section per run, named by its folder. */
    mkdir(tu_in_tmp("set"), 0755);
    tu_short_run("set/rep-1", "Server", "1");
    tu_short_run("set/rep-2", "Server", "2");
    static const char *const one[] = {"only rep-2"};
    tu_add_client(tu_in_tmp("set/rep-2"), one, 1);
    const char *set[] = {tu_in_tmp("set")};
    md = report_md(set, 1);
    cr_expect_null(strstr(md, "Client of rep-1"), "rep-1 has no client object");
    const char *c2 = strstr(md, "Client of rep-2 (OpenAI completions, streamed, ");
    cr_expect(c2 && strstr(c2, "- WARNING: the client may be limiting this result: only rep-2"),
              "%s", md);
    free(md);
    const char *plain[] = {tu_in_tmp("plain")};
    md = report_md(plain, 1);
    cr_expect_null(strstr(md, "Client"), "%s", md);
    cr_expect_null(strstr(md, "client figure"), "%s", md);
    free(md);
}

/* A distributed run's section (report/dist.c, docs/distributed.md): the ranks, hosts and
 * completeness in words, one row per rank with its figures as results.json holds them, a
 * rank that did not report with its error; `validate` says it is never MLPerf-valid and
 * names the missing rank. A run without the object gets nothing. */
Test(report, distributed_run_has_its_section_and_validate_says_not_mlperf_valid, TU_TMP,
     .timeout = 60)
{
    tu_short_run("d", "Server", "1");
    tu_short_run("plain", "Server", "2");
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", tu_in_tmp("d"));
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    cr_assert_not_null(root, "%s", je.text);
    json_t *r0 = json_pack("{s:i, s:b, s:s, s:i, s:i, s:f, s:i, s:i, s:i, s:i, s:i}", "rank", 0,
                           "reported", 1, "host", "node-a", "status", 0, "completed", 1000,
                           "achieved_samples_per_sec", 1234.56, "issue_lag_p99_ns", 1500,
                           "issue_lag_max_ns", 2500000, "clock_offset_ns", -15,
                           "clock_offset_error_ns", 568, "start_skew_ns", 120000);
    json_t *r1 = json_pack("{s:i, s:b, s:s}", "rank", 1, "reported", 0, "error",
                           "rank 1 sent nothing within 1500 ms");
    json_t *r2 = json_pack("{s:i, s:b, s:s, s:i, s:f, s:s, s:n}", "rank", 2, "reported", 1,
                           "host", "node-b", "status", 3, "achieved_samples_per_sec", 10.0,
                           "issue_lag_p99_ns", "not a number", "start_skew_ns");
    json_object_set_new(root, "distributed",
                        json_pack("{s:i, s:i, s:b, s:i, s:[o, o, o]}", "ranks", 3, "hosts", 2,
                                  "complete", 0, "ranks_reported", 2, "per_rank", r0, r1, r2));
    cr_assert_eq(json_dump_file(root, path, JSON_INDENT(2)), 0);
    json_decref(root);

    rpt_run *run;
    char err[256];
    cr_assert_eq(rpt_run_load(tu_in_tmp("d"), &run, err, sizeof err), 0, "%s", err);
    const rpt_distributed_info *di = &rpt_run_get_info(run)->distributed;
    cr_assert(di->present);
    cr_expect_eq(di->ranks, 3);
    cr_expect_eq(di->hosts, 2);
    cr_expect_eq(di->ranks_reported, 2);
    cr_expect_not(di->complete);
    cr_assert_eq(di->n_per_rank, 3);
    cr_expect_str_eq(di->per_rank[0].host, "node-a");
    cr_expect_eq(di->per_rank[0].lag_max_ns, 2500000);
    cr_expect_eq(di->per_rank[0].clock_offset_ns, -15);
    cr_expect(di->per_rank[0].has_start_skew);
    cr_expect_not(di->per_rank[1].reported);
    cr_expect_eq(di->per_rank[2].lag_p99_ns, 0, "a string reads as 0");
    cr_expect_not(di->per_rank[2].has_start_skew, "null: never started");
    rpt_validation v;
    cr_assert_eq(rpt_validate(run, NULL, &v), 0);
    const rpt_check *c = &v.checks[RPT_CHECK_VALIDITY];
    cr_expect(strstr(c->finding, " A distributed run (3 ranks on 2 hosts, INCOMPLETE): not "
                                 "MLPerf-valid, since MLPerf's rules allow one LoadGen per "
                                 "submission."), "%s", c->finding);
    cr_expect_eq(c->status, RPT_FAIL);
    bool named = false, one_loadgen = false;
    for (size_t i = 0; i < v.n_recommendations; i++) {
        named = named || strstr(v.recommendations[i], "Rank 1 did not report") != NULL;
        one_loadgen = one_loadgen ||
                      strstr(v.recommendations[i], "run one LoadGen on one machine") != NULL;
    }
    cr_expect(named && one_loadgen, "recommendations: %s", v.recommendations[0]);
    rpt_run_destroy(run);

    const char *dirs[] = {tu_in_tmp("d")};
    char *md = report_md(dirs, 1);
    cr_expect(strstr(md, "Distributed run (docs/distributed.md): 3 ranks on 2 hosts, "
                         "INCOMPLETE (a rank did not report or its share failed"), "%s", md);
    cr_expect(strstr(md, "It is never MLPerf-valid: MLPerf's rules allow one LoadGen per "
                         "submission."), "%s", md);
    static const char *const rows[] = {
        "| rank | host | achieved rate | issue lag p99 / max | clock offset | offset error | "
        "start skew | status |",
        "| 0 | node-a | 1234.6 /s | 1.500 us / 2.500 ms | -15 ns | 568 ns | 120.0 us | ok |",
        "| 1 | - | - | - | - | - | - | did not report: rank 1 sent nothing within 1500 ms |",
        "| 2 | node-b | 10.0 /s | 0 ns / 0 ns | 0 ns | 0 ns | - (never started) | share failed "
        "(exit code 3) |",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect(strstr(md, rows[i]), "no row '%s' in\n%s", rows[i], md);
    /* In Detailed Results, after the run's own figures. */
    const char *det = strstr(md, "## Detailed Results"), *sec = strstr(md, "Distributed run (");
    cr_expect(det && sec && det < sec && sec < strstr(md, "## Statistical Validation"));
    /* And one line in the Executive Summary, whose verdict column says VALID or INVALID
     * from the merged samples alone. */
    char line[1024];
    snprintf(line, sizeof line, "- #1 %s is a distributed run (docs/distributed.md) of 3 "
             "ranks on 2 hosts, INCOMPLETE (a rank did not report or its share failed). It is "
             "never MLPerf-valid: MLPerf's rules allow one LoadGen per submission.\n",
             tu_in_tmp("d"));
    const char *ex = strstr(md, "## Executive Summary"), *at = strstr(md, line);
    cr_expect(ex && at && ex < at && at < strstr(md, "## Methodology"), "no '%s' in the "
              "Executive Summary of\n%s", line, md);
    free(md);
    const char *plain[] = {tu_in_tmp("plain")};
    md = report_md(plain, 1);
    cr_expect_null(strstr(md, "Distributed run"), "%s", md);
    cr_expect_null(strstr(md, "distributed run"), "%s", md);
    cr_expect_null(strstr(md, "MLPerf's rules allow one LoadGen"), "%s", md);
    free(md);
}
