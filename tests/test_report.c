/*
 * test_report.c - the performance report (report/report.c, report/doc.c), `loadgen report`,
 * and the framework object (report/framework.c) with its example program: the sections and
 * their units, the comparison section with several folders, the document API a later HTML
 * renderer reads, Markdown escaping, the framework's checks and a short run through it,
 * and examples/framework built and run.
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
    cr_expect(strstr(s, "2000.0 /s"), "target rate with unit: %s", s);
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
     * as HTML or end a heading or a row (issue 10, finding 16). */
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

/* ---- the framework ------------------------------------------------------------------------ */

/* A model of *ctx microseconds per sample. */
static int sleepy(void *ctx, const rpt_batch *b)
{
    struct timespec t = {0, *(const long *)ctx * 1000L * (long)b->n};
    for (size_t i = 0; i < b->n; i++)
        if (!b->inputs[i])
            return 7; /* a sample that was not loaded: fail the batch */
    nanosleep(&t, NULL);
    return 0;
}

static int loader(void *ctx, uint64_t index, void *buf, size_t size)
{
    (*(int *)ctx)++;
    memset(buf, (int)(index & 0xff), size);
    return 0;
}

Test(report, framework_checks_its_arguments, .timeout = 10)
{
    rpt_framework *fw;
    rpt_framework_opts o;
    rpt_framework_opts_default(&o);
    cr_expect_eq(o.workers, 2);
    o.workers = 0;
    cr_expect_eq(rpt_framework_create(&o, &fw), LG_EINVAL);
    cr_assert_eq(rpt_framework_create(NULL, &fw), 0);
    static long us = 10;
    cr_expect_eq(rpt_framework_add_model(fw, "", sleepy, &us), LG_EINVAL);
    cr_expect_eq(rpt_framework_add_model(fw, "a/b", sleepy, &us), LG_EINVAL);
    cr_expect_eq(rpt_framework_add_model(fw, "..", sleepy, &us), LG_EINVAL);
    cr_expect_eq(rpt_framework_add_model(fw, "ok", NULL, &us), LG_EINVAL);
    cr_expect_eq(rpt_framework_add_model(fw, "ok", sleepy, &us), 0);
    cr_expect_eq(rpt_framework_add_model(fw, "ok", sleepy, &us), 0, "replacing is fine");
    /* No dataset yet. */
    cr_expect_eq(rpt_framework_run_all(fw, "ok", NULL), LG_EINVAL);
    cr_expect_eq(rpt_framework_set_dataset(fw, 0, 8, NULL, NULL), LG_EINVAL);
    cr_expect_eq(rpt_framework_set_dataset(fw, 16, 8, NULL, NULL), 0);
    cr_expect_eq(rpt_framework_run_all(fw, "missing", NULL), LG_EINVAL);
    rpt_model_comparison c;
    cr_expect_eq(rpt_framework_compare(fw, "ok", "missing", LG_OFFLINE, &c), LG_EINVAL);
    /* No output folder: no report. */
    cr_expect_eq(rpt_framework_report(fw, "/tmp/never.md"), LG_EINVAL);
    rpt_framework_destroy(fw);
    rpt_framework_destroy(NULL);
}

Test(report, framework_runs_every_scenario_compares_and_reports, TU_TMP, .timeout = 120)
{
    rpt_framework_opts o;
    rpt_framework_opts_default(&o);
    o.outdir = tu_in_tmp("fw");
    o.quick = true;
    o.min_duration_ms = 150;
    o.repetitions = 3;
    rpt_framework *fw;
    cr_assert_eq(rpt_framework_create(&o, &fw), 0);
    static long slow = 300, fast = 100;
    int loads = 0;
    cr_assert_eq(rpt_framework_add_model(fw, "slow", sleepy, &slow), 0);
    cr_assert_eq(rpt_framework_add_model(fw, "fast", sleepy, &fast), 0);
    cr_assert_eq(rpt_framework_set_dataset(fw, 64, 16, loader, &loads), 0);
    lg_results res[4];
    cr_assert_eq(rpt_framework_run_all(fw, "slow", res), 0);
    cr_expect_gt(loads, 0, "the load callback filled the samples");
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(res[i].scenario, (lg_scenario)i);
        cr_expect_eq(res[i].samples_failed, 0, "scenario %d: the model saw unloaded samples", i);
        cr_expect_gt(res[i].samples_completed, 0);
    }
    cr_expect(res[LG_SINGLE_STREAM].valid);
    struct stat st;
    cr_expect_eq(stat(tu_in_tmp("fw/slow/Offline/results.json"), &st), 0);

    rpt_model_comparison c;
    cr_assert_eq(rpt_framework_compare(fw, "slow", "fast", LG_OFFLINE, &c), 0);
    cr_expect_str_eq(c.metric, "throughput");
    cr_expect_eq(c.detail.direction, RPT_HIGHER_IS_BETTER);
    cr_expect_eq(c.detail.a.n, 3);
    cr_expect(c.detail.few_values);
    cr_expect_eq(c.p_value, c.detail.welch_p);
    cr_expect_eq(c.effect_size, c.detail.cohens_d);
    cr_expect_eq(c.confidence_interval[0], c.detail.change_lo);
    cr_expect_eq(c.is_significant, c.p_value < 0.05);
    cr_expect_gt(c.detail.change, 0.3, "3x faster model, change %g", c.detail.change);
    cr_expect_neq(c.recommendation[0], '\0');
    cr_expect(strstr(c.recommendation, "9"), "mentions the 9-run advice: %s", c.recommendation);
    cr_expect_eq(stat(tu_in_tmp("fw/compare-slow-fast-Offline/fast/rep-3/results.json"), &st), 0);

    cr_assert_eq(rpt_framework_report(fw, tu_in_tmp("fw/report.md")), 0);
    rpt_framework_destroy(fw);
    char *md = tu_slurp(tu_in_tmp("fw/report.md"), NULL);
    cr_expect(strstr(md, "\n## Executive Summary\n"));
    cr_expect(strstr(md, "\n## Comparison\n"), "the two repetition sets are compared");
    cr_expect(strstr(md, "compare-slow-fast-Offline/fast"), "%.200s", md);
    free(md);
}

/* The example program, as the Makefile builds it (built here when missing, e.g. in a
 * sanitizer build that does not make the examples). */
static const char *example_path(void)
{
    static char path[PATH_MAX];
    const char *bin = tu_program(); /* .../<BUILD>/bin/loadgen */
    snprintf(path, sizeof path, "%s", bin);
    char *slash = strrchr(path, '/');
    cr_assert_not_null(slash);
    *slash = '\0';
    slash = strrchr(path, '/');
    cr_assert_not_null(slash);
    snprintf(slash, sizeof path - (size_t)(slash - path), "/examples/framework");
    if (access(path, X_OK) == 0)
        return path;
    const char *root = getenv("LOADGEN_ROOT");
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "make -s -C '%s' BUILD=build build/examples/framework >/dev/null",
             root ? root : ".");
    cr_assert_eq(system(cmd), 0, "could not build the example: %s", cmd);
    snprintf(path, sizeof path, "%s/build/examples/framework", root ? root : ".");
    char *abs = realpath(path, NULL);
    cr_assert_not_null(abs, "%s", path);
    snprintf(path, sizeof path, "%s", abs);
    free(abs);
    return path;
}

Test(report, the_framework_example_runs, TU_TMP, .timeout = 240)
{
    const char *exe = example_path();
    tu_proc p;
    const char *const argv[] = {"framework", "out", NULL};
    tu_run_exe(&p, exe, argv);
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    cr_expect(strstr(p.out, "significant: yes"), "%s", p.out);
    cr_expect(strstr(p.out, "Prefer faster"), "%s", p.out);
    cr_expect(strstr(p.out, "Report: out/report.md"), "%s", p.out);
    tu_proc_free(&p);
    char *md = tu_slurp(tu_in_tmp("out/report.md"), NULL);
    cr_expect(strstr(md, "\n## Statistical Validation\n"));
    cr_expect(strstr(md, "| SingleStream |"));
    cr_expect(strstr(md, "| Offline |"));
    free(md);
}
