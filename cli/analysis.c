/* cli/analysis.c: the `loadgen` subcommands that analyse finished runs: validate, compare,
 * report, and `stats samples` / `stats early-stopping` for learners. The work is done by
 * the report/ and stats/ libraries; this file parses flags and prints. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "loadgen/loadgen.h"
#include "report/report.h"
#include "stats/stats.h"

/* ---------------------------------------------------------------- argument helpers */

static bool is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/* Matches argv[*i] against "--name" or "--name=VALUE"; on a match stores the value (the
 * next argument, or the text after '=') in *val and advances *i. Returns 1 on a match,
 * 0 when argv[*i] is another flag, -1 (message printed) when the value is missing. */
static int flag_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                      const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n))
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n])
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "loadgen %s: %s needs a value (see loadgen %s --help)\n", cmd, name,
                cmd);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

static int unknown_option(const char *cmd, const char *a)
{
    fprintf(stderr, "loadgen %s: unknown option '%s' (see loadgen %s --help)\n", cmd, a, cmd);
    return CLI_EXIT_USAGE;
}

/* Exit code for a library error while loading inputs: bad or missing input is a usage
 * error (2), running out of memory a runtime error (3). */
static int load_exit(int rc)
{
    return rc == LG_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
}

static void fmt_ns(char *buf, size_t len, double ns)
{
    if (!isfinite(ns))
        snprintf(buf, len, "n/a");
    else if (fabs(ns) >= 1e9)
        snprintf(buf, len, "%.3f s", ns / 1e9);
    else if (fabs(ns) >= 1e6)
        snprintf(buf, len, "%.3f ms", ns / 1e6);
    else if (fabs(ns) >= 1e3)
        snprintf(buf, len, "%.1f us", ns / 1e3);
    else
        snprintf(buf, len, "%.0f ns", ns);
}

static void fmt_value(char *buf, size_t len, double v, const char *unit)
{
    if (!isfinite(v))
        snprintf(buf, len, "n/a");
    else if (!strcmp(unit, "ns"))
        fmt_ns(buf, len, v);
    else if (!strcmp(unit, "1/s"))
        snprintf(buf, len, "%.1f /s", v);
    else
        snprintf(buf, len, "%.6g%s%s", v, *unit ? " " : "", unit);
}

static void fmt_pct(char *buf, size_t len, double f)
{
    if (!isfinite(f))
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%+.2f%%", f * 100);
}

static void fmt_p(char *buf, size_t len, double p)
{
    if (!isfinite(p))
        snprintf(buf, len, "n/a");
    else if (p < 1e-12)
        snprintf(buf, len, "<1e-12");
    else if (p < 0.001)
        snprintf(buf, len, "%.1e", p);
    else
        snprintf(buf, len, "%.4f", p);
}

/* ---------------------------------------------------------------- validate */

static void validate_help(FILE *f)
{
    fputs("usage: loadgen validate DIR [--json] [--confidence C] [--resamples N] [--seed N]\n"
          "                        [--tolerance F] [--block N]\n"
          "\n"
          "Checks whether one run (a folder written by `loadgen run`) can be trusted: the\n"
          "LoadGen's verdict, enough queries for the target percentile (early stopping's\n"
          "minimum and the classic rule), confidence intervals of p50/p90/p99 latency\n"
          "(moving-block bootstrap: latencies within a run are correlated) and of\n"
          "throughput (batch means over time windows), outliers (Tukey, MAD), a warm-up\n"
          "check (the first 10% of the run against the rest) and a stability check (the\n"
          "last 3 of 10 windows within 10%). Ends with a verdict (trustworthy, usable with\n"
          "caveats, not trustworthy) and recommendations naming the flag to change.\n"
          "A repetition set (run --repeat) is validated run by run.\n"
          "\n"
          "  --json            print the result as JSON (schema loadgen-validate, see\n"
          "                    docs/reports.md)\n"
          "  --confidence C    of the intervals, in (0, 1) (default 0.95)\n"
          "  --resamples N     bootstrap resamples, >= 100 (default 1000)\n"
          "  --seed N          bootstrap seed (default 1)\n"
          "  --tolerance F     stability tolerance, a fraction (default 0.10)\n"
          "  --block N         bootstrap block length in samples (default: from the data)\n"
          "\n"
          "Exit code: 0 trustworthy or usable with caveats, 1 not trustworthy, 2 bad\n"
          "arguments or a folder that is not a run, 3 out of memory.\n",
          f);
}

static void print_validation(const rpt_validation *v, const char *dir)
{
    char a[32], b[32], c[32];
    printf("Validation of %s (%s)\n", dir, lg_scenario_name(v->scenario));
    printf("Verdict: %s\n\n", rpt_verdict_name(v->verdict));
    printf("Run: %s; %llu queries; %zu successful %s latencies; target %s; %.1f ms\n",
           v->valid ? "VALID" : "INVALID", (unsigned long long)v->queries, v->latencies,
           v->per_query ? "per-query" : "per-sample", stats_percentile_label(v->percentile).s, v->duration_ms);
    if (v->scenario != LG_OFFLINE)
        printf("Sample size for the %s at 99%% confidence: early stopping needs %llu, the "
               "classic rule %llu (MLPerf rounded: %llu)\n", stats_percentile_label(v->percentile).s,
               (unsigned long long)v->early_stopping_needed,
               (unsigned long long)v->sizes.classic,
               (unsigned long long)v->sizes.mlperf_rounded);
    if (v->latency_ci || v->throughput_ci) {
        printf("\nIntervals (%.0f%%):\n", v->confidence * 100);
        if (v->latency_ci && v->scenario != LG_OFFLINE) {
            const rpt_interval *iv[3] = {&v->p50_ns, &v->p90_ns, &v->p99_ns};
            const char *nm[3] = {"p50 latency", "p90 latency", "p99 latency"};
            for (int i = 0; i < 3; i++) {
                fmt_ns(a, sizeof a, iv[i]->estimate);
                fmt_ns(b, sizeof b, iv[i]->lo);
                fmt_ns(c, sizeof c, iv[i]->hi);
                printf("  %-12s %12s  [%s, %s]\n", nm[i], a, b, c);
            }
            printf("  method: %s\n", v->latency_method);
        }
        if (v->throughput_ci) {
            printf("  %-12s %10.1f /s  [%.1f /s, %.1f /s]\n", "throughput",
                   v->throughput.estimate, v->throughput.lo, v->throughput.hi);
            printf("  method: %s\n", v->throughput_method);
        }
    }
    printf("\nChecks:\n");
    for (int i = 0; i < RPT_CHECK_COUNT; i++)
        printf("  %-12s %-8s %s\n", rpt_check_name((rpt_check_id)i),
               rpt_status_name(v->checks[i].status), v->checks[i].finding);
    if (v->n_recommendations) {
        printf("\nRecommendations:\n");
        for (size_t i = 0; i < v->n_recommendations; i++)
            printf("  %zu. %s\n", i + 1, v->recommendations[i]);
    }
}

int cli_validate(int argc, char **argv)
{
    rpt_validate_opts o;
    rpt_validate_opts_default(&o);
    const char *dir = NULL, *val;
    bool json = false;
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t u;
        if (is_help(a)) {
            validate_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if ((r = flag_value("validate", argc, argv, &i, "--confidence", &val))) {
            if (r < 0 || !cli_parse_double("validate", "--confidence", val, 0, 1, true, true,
                                           &o.confidence))
                return CLI_EXIT_USAGE;
        } else if ((r = flag_value("validate", argc, argv, &i, "--tolerance", &val))) {
            if (r < 0 || !cli_parse_double("validate", "--tolerance", val, 0, 10, true, false,
                                           &o.stability_tolerance))
                return CLI_EXIT_USAGE;
        } else if ((r = flag_value("validate", argc, argv, &i, "--resamples", &val))) {
            if (r < 0 || !cli_parse_u64("validate", "--resamples", val, 100, 10000000, &u))
                return CLI_EXIT_USAGE;
            o.resamples = (size_t)u;
        } else if ((r = flag_value("validate", argc, argv, &i, "--seed", &val))) {
            if (r < 0 || !cli_parse_u64("validate", "--seed", val, 0, UINT32_MAX, &u))
                return CLI_EXIT_USAGE;
            o.seed = (unsigned long)u;
        } else if ((r = flag_value("validate", argc, argv, &i, "--block", &val))) {
            if (r < 0 || !cli_parse_u64("validate", "--block", val, 1, UINT32_MAX, &u))
                return CLI_EXIT_USAGE;
            o.block_len = (size_t)u;
        } else if (a[0] == '-' && a[1]) {
            return unknown_option("validate", a);
        } else if (!dir) {
            dir = a;
        } else {
            fprintf(stderr, "loadgen validate: one folder at a time (got '%s' and '%s')\n", dir,
                    a);
            return CLI_EXIT_USAGE;
        }
    }
    if (!dir) {
        fprintf(stderr, "loadgen validate: which run? usage: loadgen validate DIR [--json]\n");
        return CLI_EXIT_USAGE;
    }
    char err[512];
    rpt_set *set;
    int rc = rpt_set_load(dir, &set, err, sizeof err);
    if (rc) {
        fprintf(stderr, "loadgen validate: %s\n", err);
        return load_exit(rc);
    }
    size_t n = rpt_set_count(set);
    bool bad = false;
    rpt_validation *v = malloc(sizeof *v);
    if (!v) {
        rpt_set_destroy(set);
        return CLI_EXIT_RUNTIME;
    }
    if (json && n > 1)
        fputs("[\n", stdout);
    for (size_t k = 0; k < n; k++) {
        const rpt_run *run = rpt_set_run(set, k);
        const char *rdir = rpt_run_get_info(run)->dir;
        if ((rc = rpt_validate(run, &o, v))) {
            fprintf(stderr, "loadgen validate: %s: %s\n", rdir, lg_strerror(rc));
            free(v);
            rpt_set_destroy(set);
            return rc == LG_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
        }
        bad = bad || v->verdict == RPT_NOT_TRUSTWORTHY;
        if (json) {
            char *s;
            if (rpt_validation_json(v, rdir, &s)) {
                free(v);
                rpt_set_destroy(set);
                return CLI_EXIT_RUNTIME;
            }
            printf("%s%s\n", s, n > 1 && k + 1 < n ? "," : "");
            free(s);
        } else {
            if (k)
                printf("\n");
            print_validation(v, rdir);
        }
    }
    if (json && n > 1)
        fputs("]\n", stdout);
    free(v);
    rpt_set_destroy(set);
    return bad ? CLI_EXIT_INVALID : CLI_EXIT_VALID;
}

/* ---------------------------------------------------------------- compare */

static void compare_help(FILE *f)
{
    fputs("usage: loadgen compare A B [--alpha A] [--noise N] [--json] [--resamples N]\n"
          "                        [--seed N] [--batches N] [--higher-is-better]\n"
          "\n"
          "Compares B (the candidate) with A (the baseline). A and B are both repetition\n"
          "sets (folders from `loadgen run --repeat N`: one value per run per metric), both\n"
          "single runs (compared by time batches of their samples), or both plain text\n"
          "files of one number per line (one metric named `value`).\n"
          "For each metric: the two means, the relative change B/A - 1 with its bootstrap\n"
          "confidence interval (ratio of means, BCa), Welch's t-test and Mann-Whitney U\n"
          "p-values, Cohen's d and a verdict, by criterion's rule: improved or regressed\n"
          "when the change is significant (Welch p < alpha) and its whole interval lies\n"
          "beyond +-noise; 'change within noise threshold' when significant but not that\n"
          "clear; otherwise 'no significant change'. Latency: lower is better; throughput:\n"
          "higher is better.\n"
          "\n"
          "  --alpha A           significance level in (0, 1) (default 0.05); the\n"
          "                      intervals are at 1 - A\n"
          "  --noise N           noise threshold, a fraction (default 0.02 = 2%)\n"
          "  --json              print the result as JSON (schema loadgen-compare, see\n"
          "                      docs/reports.md)\n"
          "  --resamples N       bootstrap resamples, >= 100 (default 10000)\n"
          "  --seed N            bootstrap seed (default 1)\n"
          "  --batches N         time batches per single run, 2..1000 (default 20)\n"
          "  --higher-is-better  for number files: larger values are better (default:\n"
          "                      lower is better, as for times)\n"
          "\n"
          "Exit code: 0 nothing regressed, 1 some metric regressed, 2 bad arguments or\n"
          "input (a file that is empty, has one value, a non-number, NaN or inf), 3 out\n"
          "of memory.\n",
          f);
}

static void print_comparison(const rpt_comparison *c, const rpt_metrics *ma,
                             const rpt_metrics *mb)
{
    const rpt_compare_opts *o = rpt_comparison_opts(c);
    static const char *const kinds[] = {"repetition set: one value per run",
                                        "single run: one value per time batch",
                                        "file: one value per line"};
    printf("A (baseline):  %s (%s)\n", rpt_metrics_source(ma), kinds[rpt_metrics_kind(ma)]);
    printf("B (candidate): %s (%s)\n", rpt_metrics_source(mb), kinds[rpt_metrics_kind(mb)]);
    printf("alpha %g, noise threshold +-%.1f%%, %.0f%% intervals, change = mean(B)/mean(A) - 1"
           "\n\n", o->alpha, o->noise * 100, o->confidence * 100);
    printf("%-13s %5s %13s %13s %9s  %-20s %8s %8s %7s  %s\n", "metric", "n", "A mean",
           "B mean", "change", "CI of change", "Welch p", "MW p", "d", "verdict");
    for (size_t i = 0; i < rpt_comparison_count(c); i++) {
        const rpt_metric_cmp *m = rpt_comparison_get(c, i);
        char a[32], b[32], ch[24], lo[24], hi[24], ci[52], pw[16], pm[16], n[16];
        fmt_value(a, sizeof a, m->a.mean, m->unit);
        fmt_value(b, sizeof b, m->b.mean, m->unit);
        fmt_pct(ch, sizeof ch, m->change);
        fmt_pct(lo, sizeof lo, m->change_lo);
        fmt_pct(hi, sizeof hi, m->change_hi);
        snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
        fmt_p(pw, sizeof pw, m->welch_p);
        fmt_p(pm, sizeof pm, m->mw_p);
        if (m->a.n == m->b.n)
            snprintf(n, sizeof n, "%zu", m->a.n);
        else
            snprintf(n, sizeof n, "%zu/%zu", m->a.n, m->b.n);
        char d[16];
        if (isfinite(m->cohens_d))
            snprintf(d, sizeof d, "%.2f", m->cohens_d);
        else
            snprintf(d, sizeof d, "n/a"); /* no spread on either side */
        printf("%-13s %5s %13s %13s %9s  %-20s %8s %8s %7s  %s\n", m->name, n, a, b, ch, ci,
               pw, pm, d, rpt_change_name(m->verdict));
    }
    /* How the intervals were made: one line when every metric's is alike. */
    size_t nc = rpt_comparison_count(c);
    bool alike = true;
    for (size_t i = 1; i < nc; i++)
        alike = alike && !strcmp(rpt_comparison_get(c, i)->interval_text,
                                 rpt_comparison_get(c, 0)->interval_text);
    for (size_t i = 0; i < nc; i++) {
        const rpt_metric_cmp *m = rpt_comparison_get(c, i);
        if (alike && i)
            break;
        printf("%sinterval of the change%s%s%s: %s\n", i ? "" : "\n", alike ? "" : " (",
               alike ? "" : m->name, alike ? "" : ")", m->interval_text);
    }
    size_t nw = rpt_comparison_warning_count(c);
    bool notes = false;
    for (size_t i = 0; i < rpt_comparison_count(c); i++)
        notes = notes || rpt_comparison_get(c, i)->note[0];
    if (nw || notes)
        printf("\n");
    for (size_t i = 0; i < nw; i++)
        printf("warning: %s\n", rpt_comparison_warning(c, i));
    for (size_t i = 0; i < rpt_comparison_count(c); i++) {
        const rpt_metric_cmp *m = rpt_comparison_get(c, i);
        if (m->note[0])
            printf("note (%s): %s\n", m->name, m->note);
    }
}

/* Progress of a long comparison on stderr: nothing for the first second (most
 * comparisons end sooner), then each stage once, and the bootstrap's share on a
 * terminal. */
typedef struct compare_progress {
    struct timespec start;
    const char *last;
    int last_pct;
    bool shown;
} compare_progress;

static double since_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void compare_stage(void *ctx, const char *stage, double fraction)
{
    compare_progress *p = ctx;
    if (since_s(&p->start) < 1.0)
        return;
    int pct = (int)(fraction * 100);
    bool tty = isatty(STDERR_FILENO);
    if (p->last == stage && (!tty || pct == p->last_pct))
        return;
    fprintf(stderr, "%sloadgen compare: %s%s", tty && p->shown ? "\r" : p->shown ? "\n" : "",
            stage, p->last == stage || fraction > 0 ? "" : "...");
    if (tty && fraction > 0)
        fprintf(stderr, " %d%%   ", pct);
    p->last = stage;
    p->last_pct = pct;
    p->shown = true;
}

/* Ends the progress line, if one was shown. */
static void compare_progress_end(compare_progress *p)
{
    if (p->shown)
        fputc('\n', stderr);
    p->shown = false;
}

int cli_compare(int argc, char **argv)
{
    rpt_compare_opts o;
    rpt_compare_opts_default(&o);
    const char *path[2] = {NULL, NULL}, *val;
    int npath = 0, r;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t u;
        if (is_help(a)) {
            compare_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--higher-is-better")) {
            o.file_direction = RPT_HIGHER_IS_BETTER;
        } else if ((r = flag_value("compare", argc, argv, &i, "--alpha", &val))) {
            if (r < 0 || !cli_parse_double("compare", "--alpha", val, 0, 1, true, true, &o.alpha))
                return CLI_EXIT_USAGE;
        } else if ((r = flag_value("compare", argc, argv, &i, "--noise", &val))) {
            if (r < 0 || !cli_parse_double("compare", "--noise", val, 0, 10, false, false,
                                           &o.noise))
                return CLI_EXIT_USAGE;
        } else if ((r = flag_value("compare", argc, argv, &i, "--resamples", &val))) {
            if (r < 0 || !cli_parse_u64("compare", "--resamples", val, 100, 10000000, &u))
                return CLI_EXIT_USAGE;
            o.resamples = (size_t)u;
        } else if ((r = flag_value("compare", argc, argv, &i, "--seed", &val))) {
            if (r < 0 || !cli_parse_u64("compare", "--seed", val, 0, UINT32_MAX, &u))
                return CLI_EXIT_USAGE;
            o.seed = (unsigned long)u;
        } else if ((r = flag_value("compare", argc, argv, &i, "--batches", &val))) {
            if (r < 0 || !cli_parse_u64("compare", "--batches", val, 2, 1000, &u))
                return CLI_EXIT_USAGE;
            o.batches = (unsigned)u;
        } else if (a[0] == '-' && a[1]) {
            return unknown_option("compare", a);
        } else if (npath < 2) {
            path[npath++] = a;
        } else {
            fprintf(stderr, "loadgen compare: two inputs, A and B (got a third: '%s')\n", a);
            return CLI_EXIT_USAGE;
        }
    }
    if (npath < 2) {
        fprintf(stderr, "loadgen compare: needs two inputs: loadgen compare A B "
                "(see loadgen compare --help)\n");
        return CLI_EXIT_USAGE;
    }
    char err[512];
    rpt_metrics *m[2] = {NULL, NULL};
    compare_progress prog = {.last_pct = -1};
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    o.progress = compare_stage;
    o.progress_ctx = &prog;
    static const char *const reading[2] = {"reading A", "reading B"};
    for (int k = 0; k < 2; k++) {
        compare_stage(&prog, reading[k], 0);
        int rc = rpt_metrics_load(path[k], o.batches, o.file_direction, &m[k], err, sizeof err);
        if (rc) {
            compare_progress_end(&prog);
            fprintf(stderr, "loadgen compare: %s\n", err);
            rpt_metrics_destroy(m[0]);
            return load_exit(rc);
        }
    }
    rpt_comparison *c;
    int rc = rpt_compare(m[0], m[1], &o, &c, err, sizeof err);
    compare_progress_end(&prog);
    if (rc) {
        fprintf(stderr, "loadgen compare: %s\n", err);
        rpt_metrics_destroy(m[0]);
        rpt_metrics_destroy(m[1]);
        return load_exit(rc);
    }
    int code = rpt_comparison_any_regressed(c) ? CLI_EXIT_INVALID : CLI_EXIT_VALID;
    if (json) {
        char *s;
        if (rpt_comparison_json(c, path[0], path[1], &s)) {
            code = CLI_EXIT_RUNTIME;
        } else {
            printf("%s\n", s);
            free(s);
        }
    } else {
        print_comparison(c, m[0], m[1]);
    }
    rpt_comparison_destroy(c);
    rpt_metrics_destroy(m[0]);
    rpt_metrics_destroy(m[1]);
    return code;
}

/* ---------------------------------------------------------------- report */

static void report_help(FILE *f)
{
    fputs("usage: loadgen report DIR [DIR ...] [--out FILE] [--html FILE] [--title TEXT]\n"
          "\n"
          "Writes a Markdown performance report of one or more result folders (single runs\n"
          "or repetition sets) with the sections Executive Summary, Methodology (settings,\n"
          "methods, this machine), Detailed Results, Statistical Validation (as `loadgen\n"
          "validate`), Comparison (each folder against the first folder of the same\n"
          "scenario and kind, as `loadgen compare`; only with several folders) and\n"
          "Recommendations.\n"
          "\n"
          "  --out FILE     write the report to FILE (default: standard output)\n"
          "  --html FILE    write the report as one self-contained HTML page with charts\n"
          "                 to FILE (then no Markdown unless --out is given too)\n"
          "  --title TEXT   the report's title (default \"Performance report\")\n"
          "\n"
          "Exit code: 0 written, 2 bad arguments or a folder that is not a result, 3 the\n"
          "file could not be written.\n",
          f);
}

int cli_report(int argc, char **argv)
{
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    const char *out = NULL, *html = NULL, *title = NULL, *val;
    size_t n = 0;
    int r;
    if (!dirs)
        return CLI_EXIT_RUNTIME;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            report_help(stdout);
            free(dirs);
            return CLI_EXIT_VALID;
        } else if ((r = flag_value("report", argc, argv, &i, "--out", &val))) {
            if (r < 0) {
                free(dirs);
                return CLI_EXIT_USAGE;
            }
            out = val;
        } else if ((r = flag_value("report", argc, argv, &i, "--html", &val))) {
            if (r < 0) {
                free(dirs);
                return CLI_EXIT_USAGE;
            }
            html = val;
        } else if ((r = flag_value("report", argc, argv, &i, "--title", &val))) {
            if (r < 0) {
                free(dirs);
                return CLI_EXIT_USAGE;
            }
            title = val;
        } else if (a[0] == '-' && a[1]) {
            free(dirs);
            return unknown_option("report", a);
        } else {
            dirs[n++] = a;
        }
    }
    if (!n) {
        fprintf(stderr, "loadgen report: which results? usage: loadgen report DIR [DIR ...] "
                "[--out FILE]\n");
        free(dirs);
        return CLI_EXIT_USAGE;
    }
    /* Before anything is read or written: a report must never replace a run's files. */
    if ((out && (r = cli_check_output("report", "--out", out, dirs, n)) >= 0) ||
        (html && (r = cli_check_output("report", "--html", html, dirs, n)) >= 0)) {
        free(dirs);
        return r;
    }
    rpt_report_opts o;
    rpt_report_opts_default(&o);
    o.title = title;
    char err[512];
    int rc;
    if (html) {
        rc = rpt_report_write_html(dirs, n, &o, html, err, sizeof err);
        if (rc) {
            fprintf(stderr, "loadgen report: %s\n", err);
            free(dirs);
            return rc == LG_EIO && strstr(err, "cannot write") ? CLI_EXIT_RUNTIME
                                                                 : load_exit(rc);
        }
        fprintf(stderr, "loadgen report: wrote %s\n", html);
        if (!out) {
            free(dirs);
            return CLI_EXIT_VALID;
        }
    }
    rpt_report *rep;
    rc = rpt_report_create(dirs, n, &o, &rep, err, sizeof err);
    free(dirs);
    if (rc) {
        fprintf(stderr, "loadgen report: %s\n", err);
        return load_exit(rc);
    }
    FILE *f = stdout;
    char tmp[4200];
    if (out) {
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
        if (!(f = fopen(tmp, "w"))) {
            fprintf(stderr, "loadgen report: cannot write %s: %s\n", out, strerror(errno));
            rpt_report_destroy(rep);
            return CLI_EXIT_RUNTIME;
        }
    }
    rc = rpt_report_write_markdown(rep, f);
    rpt_report_destroy(rep);
    if (out) {
        if (fclose(f) || rc || rename(tmp, out)) {
            fprintf(stderr, "loadgen report: cannot write %s: %s\n", out, strerror(errno));
            remove(tmp);
            return CLI_EXIT_RUNTIME;
        }
        fprintf(stderr, "loadgen report: wrote %s\n", out);
    } else if (rc) {
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_VALID;
}

/* ---------------------------------------------------------------- stats */

static void stats_help(FILE *f)
{
    fputs("usage: loadgen stats samples --percentile P --confidence C [--json]\n"
          "       loadgen stats early-stopping --percentile P --queries N [--overlatency T]\n"
          "                                    [--confidence C] [--json]\n"
          "\n"
          "Calculators for the statistics behind MLPerf's run lengths (docs/statistics.md):\n"
          "  samples         how many queries a percentile needs: the classic formula\n"
          "                  n = Phi^-1((1-C)/2)^2 p(1-p) / MOE^2 with MOE = (1-p)/20, MLPerf's\n"
          "                  rounding of it to a multiple of 2^13, and early stopping's minimum\n"
          "  early-stopping  MLPerf's early-stopping computation for a run of N queries:\n"
          "                  h(t), the number of latencies discarded, the index of the\n"
          "                  estimate and the verdict; with --overlatency T, Server's rule\n"
          "\n"
          "`loadgen stats <calculator> --help` explains each. Exit code: 0, or 2 for bad\n"
          "arguments.\n",
          f);
}

static void samples_help(FILE *f)
{
    fputs("usage: loadgen stats samples [--percentile P] [--confidence C] [--json]\n"
          "\n"
          "Both of MLPerf's answers to \"how many queries does the P-th percentile need?\":\n"
          "  classic          n = z^2 p (1 - p) / MOE^2, z = |Phi^-1((1 - C) / 2)|,\n"
          "                   MOE = (1 - p) / 20: the queries for the observed share below\n"
          "                   the percentile to be within +-MOE at confidence C\n"
          "  MLPerf rounded   the classic n rounded up to a multiple of 2^13 = 8192\n"
          "  early stopping   h(1) + 1: the fewest queries from which any estimate of the\n"
          "                   percentile can be claimed at confidence C\n"
          "Example: P 0.90, C 0.99 -> 23886, 24576 and 64.\n"
          "\n"
          "  --percentile P   a fraction in (0, 1), e.g. 0.90 (default 0.90)\n"
          "  --confidence C   a fraction in (0, 1) (default 0.99, MLPerf's)\n"
          "  --json           print JSON: percentile, confidence, z, margin, classic,\n"
          "                   mlperf_rounded, early_stopping_min\n",
          f);
}

static void es_help(FILE *f)
{
    fputs("usage: loadgen stats early-stopping --percentile P --queries N [--overlatency T]\n"
          "                                    [--confidence C] [--json]\n"
          "\n"
          "MLPerf's early stopping (docs/statistics.md section 2). h(t) is the fewest\n"
          "queries within the bound that, with t over it, show at confidence C that the\n"
          "P-th percentile is within the bound.\n"
          "Without --overlatency (SingleStream, MultiStream): t(N) is the largest t with\n"
          "h(t) + t <= N; the run discards the t - 1 highest latencies and reports the next,\n"
          "sorted[N - t] (0-based, ascending). Needs N >= h(1) + 1.\n"
          "With --overlatency T (Server): the run passes when N >= h(T) + T.\n"
          "Example: P 0.90, N 700 -> t = 51, discard 50, estimate sorted[649].\n"
          "\n"
          "  --percentile P   a fraction in (0, 1) (default 0.90)\n"
          "  --queries N      queries in the run, >= 1 (required)\n"
          "  --overlatency T  queries over the latency bound (Server)\n"
          "  --confidence C   a fraction in (0, 1) (default 0.99, MLPerf's)\n"
          "  --json           print JSON (fields in docs/reports.md)\n",
          f);
}

static int stats_samples(int argc, char **argv)
{
    double p = 0.90, conf = 0.99;
    bool json = false;
    const char *val;
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            samples_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if ((r = flag_value("stats samples", argc, argv, &i, "--percentile", &val))) {
            if (r < 0 || !cli_parse_double("stats samples", "--percentile", val, 0, 1, true,
                                           true, &p)) {
                fprintf(stderr, "  (a percentile is a fraction: 0.99 means the 99th)\n");
                return CLI_EXIT_USAGE;
            }
        } else if ((r = flag_value("stats samples", argc, argv, &i, "--confidence", &val))) {
            if (r < 0 || !cli_parse_double("stats samples", "--confidence", val, 0, 1, true,
                                           true, &conf))
                return CLI_EXIT_USAGE;
        } else {
            return unknown_option("stats samples", a);
        }
    }
    stats_sample_sizes_result s;
    if (stats_sample_sizes(p, conf, &s)) {
        fprintf(stderr, "loadgen stats samples: the counts for p = %.15g are beyond 2^62\n", p);
        return CLI_EXIT_USAGE;
    }
    if (json) {
        printf("{\"percentile\": %.15g, \"confidence\": %.15g, \"z\": %.10g, \"margin\": "
               "%.10g, \"classic\": %llu, \"mlperf_rounded\": %llu, \"early_stopping_min\": "
               "%llu}\n", p, conf, s.z, s.margin, (unsigned long long)s.classic,
               (unsigned long long)s.mlperf_rounded, (unsigned long long)s.early_stopping_min);
        return CLI_EXIT_VALID;
    }
    double exact = s.z * s.z * p * (1 - p) / (s.margin * s.margin);
    printf("Queries needed for the %s at %g%% confidence\n\n", stats_percentile_label(p).s, conf * 100);
    printf("1. Classic rule: make the observed share of queries below the reported\n"
           "   percentile fall within +-MOE of %g at %g%% confidence.\n", p, conf * 100);
    printf("   z   = |Phi^-1((1 - %g) / 2)| = %.4f\n", conf, s.z);
    printf("   MOE = (1 - %g) / 20 = %g\n", p, s.margin);
    printf("   n   = z^2 p (1 - p) / MOE^2 = %.4f x %.6g / %.6g = %.1f\n", s.z * s.z,
           p * (1 - p), s.margin * s.margin, exact);
    printf("       -> %llu queries (rounded up)\n", (unsigned long long)s.classic);
    printf("   MLPerf rounded this up to a multiple of 2^13 = 8192: %llu queries (%llu x 8192)\n\n",
           (unsigned long long)s.mlperf_rounded,
           (unsigned long long)(s.mlperf_rounded / STATS_MLPERF_SAMPLE_QUANTUM));
    printf("2. Early stopping: report a conservative percentile instead (the fewer the\n"
           "   queries, the further up the tail). The fewest queries from which any %s\n"
           "   estimate can be claimed at %g%% confidence: h(1) + 1 = %llu queries.\n\n",
           stats_percentile_label(p).s, conf * 100, (unsigned long long)s.early_stopping_min);
    printf("Modern MLPerf uses early stopping: runs may be short and pay with a more\n"
           "conservative number; the classic count makes the plain percentile precise.\n");
    return CLI_EXIT_VALID;
}

static int stats_early_stopping(int argc, char **argv)
{
    double p = 0.90, conf = STATS_ES_MLPERF_CONFIDENCE;
    uint64_t n = 0, over = 0;
    bool have_n = false, have_over = false, json = false;
    const char *val, *cmd = "stats early-stopping";
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            es_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if ((r = flag_value(cmd, argc, argv, &i, "--percentile", &val))) {
            if (r < 0 || !cli_parse_double(cmd, "--percentile", val, 0, 1, true, true, &p)) {
                fprintf(stderr, "  (a percentile is a fraction: 0.99 means the 99th)\n");
                return CLI_EXIT_USAGE;
            }
        } else if ((r = flag_value(cmd, argc, argv, &i, "--confidence", &val))) {
            if (r < 0 || !cli_parse_double(cmd, "--confidence", val, 0, 1, true, true, &conf))
                return CLI_EXIT_USAGE;
        } else if ((r = flag_value(cmd, argc, argv, &i, "--queries", &val))) {
            if (r < 0 || !cli_parse_u64(cmd, "--queries", val, 1, UINT64_C(1) << 50, &n))
                return CLI_EXIT_USAGE;
            have_n = true;
        } else if ((r = flag_value(cmd, argc, argv, &i, "--overlatency", &val))) {
            if (r < 0 || !cli_parse_u64(cmd, "--overlatency", val, 0, UINT64_C(1) << 50, &over))
                return CLI_EXIT_USAGE;
            have_over = true;
        } else {
            return unknown_option(cmd, a);
        }
    }
    if (!have_n) {
        fprintf(stderr, "loadgen %s: --queries N is required (see loadgen %s --help)\n", cmd,
                cmd);
        return CLI_EXIT_USAGE;
    }
    if (have_over && over > n) {
        fprintf(stderr, "loadgen %s: --overlatency %llu exceeds --queries %llu\n", cmd,
                (unsigned long long)over, (unsigned long long)n);
        return CLI_EXIT_USAGE;
    }
    uint64_t h1 = stats_es_min_h(1, p, conf);
    if (h1 == UINT64_MAX) {
        fprintf(stderr, "loadgen %s: p = %.15g is too close to 1\n", cmd, p);
        return CLI_EXIT_USAGE;
    }
    if (have_over) {
        stats_es_server_result s;
        if (stats_es_server(n, over, p, conf, &s)) {
            fprintf(stderr, "loadgen %s: h(t) is beyond 2^62 for these arguments\n", cmd);
            return CLI_EXIT_USAGE;
        }
        if (json) {
            printf("{\"rule\": \"server\", \"percentile\": %.15g, \"confidence\": %.15g, "
                   "\"queries\": %llu, \"overlatency\": %llu, \"h\": %llu, \"needed\": %llu, "
                   "\"additional_needed\": %llu, \"met\": %s}\n", p, conf,
                   (unsigned long long)n, (unsigned long long)over, (unsigned long long)s.h,
                   (unsigned long long)s.needed, (unsigned long long)s.additional_needed,
                   s.met ? "true" : "false");
            return CLI_EXIT_VALID;
        }
        printf("Early stopping, Server rule: %s at %g%% confidence\n\n", stats_percentile_label(p).s, conf * 100);
        printf("  queries issued               %llu\n", (unsigned long long)n);
        printf("  over the latency bound, t    %llu queries\n", (unsigned long long)over);
        printf("  h(t)                         %llu queries within the bound\n",
               (unsigned long long)s.h);
        printf("  needed, h(t) + t             %llu queries\n", (unsigned long long)s.needed);
        if (s.met)
            printf("\nVerdict: met. %llu queries >= %llu: at %g%% confidence the %s latency is "
                   "within the bound.\n", (unsigned long long)n, (unsigned long long)s.needed,
                   conf * 100, stats_percentile_label(p).s);
        else
            printf("\nVerdict: NOT met. The run would need at least %llu more queries, all "
                   "of them within the bound.\n", (unsigned long long)s.additional_needed);
        return CLI_EXIT_VALID;
    }
    uint64_t t = stats_es_max_t(n, p, conf);
    bool met = t >= 1;
    uint64_t ht = met ? stats_es_min_h(t, p, conf) : 0;
    uint64_t h_next = met ? stats_es_min_h(t + 1, p, conf) : 0;
    size_t plain = stats_percentile_mlperf_index((size_t)n, p);
    if (json) {
        printf("{\"rule\": \"latency\", \"percentile\": %.15g, \"confidence\": %.15g, "
               "\"queries\": %llu, \"h_1\": %llu, \"min_queries\": %llu, \"met\": %s, ",
               p, conf, (unsigned long long)n, (unsigned long long)h1,
               (unsigned long long)(h1 + 1), met ? "true" : "false");
        if (met)
            printf("\"t\": %llu, \"h_t\": %llu, \"discarded\": %llu, \"estimate_index\": %llu, ",
                   (unsigned long long)t, (unsigned long long)ht, (unsigned long long)(t - 1),
                   (unsigned long long)(n - t));
        else
            printf("\"t\": 0, \"h_t\": null, \"discarded\": 0, \"estimate_index\": null, ");
        printf("\"plain_percentile_index\": %zu}\n", plain);
        return CLI_EXIT_VALID;
    }
    printf("Early stopping, SingleStream/MultiStream rule: %s, %llu queries, %g%% confidence\n\n",
           stats_percentile_label(p).s, (unsigned long long)n, conf * 100);
    printf("  h(1) = %llu, so at least h(1) + 1 = %llu queries are needed\n",
           (unsigned long long)h1, (unsigned long long)(h1 + 1));
    if (!met) {
        printf("\nVerdict: NOT met. %llu queries are fewer than %llu: no %s estimate can be "
               "claimed; run at least %llu more queries.\n", (unsigned long long)n,
               (unsigned long long)(h1 + 1), stats_percentile_label(p).s, (unsigned long long)(h1 + 1 - n));
        return CLI_EXIT_VALID;
    }
    printf("  t(%llu) = %llu: the largest t with h(t) + t <= %llu\n", (unsigned long long)n,
           (unsigned long long)t, (unsigned long long)n);
    printf("    h(%llu) + %llu = %llu + %llu = %llu <= %llu\n", (unsigned long long)t,
           (unsigned long long)t, (unsigned long long)ht, (unsigned long long)t,
           (unsigned long long)(ht + t), (unsigned long long)n);
    if (h_next != UINT64_MAX)
        printf("    h(%llu) + %llu = %llu > %llu\n", (unsigned long long)(t + 1),
               (unsigned long long)(t + 1), (unsigned long long)(h_next + t + 1),
               (unsigned long long)n);
    unsigned long long tt = (unsigned long long)t;
    const char *suffix = tt % 100 >= 11 && tt % 100 <= 13 ? "th"
                         : tt % 10 == 1 ? "st" : tt % 10 == 2 ? "nd" : tt % 10 == 3 ? "rd" : "th";
    printf("  discard the %llu highest latencies; the estimate is sorted[%llu] (0-based,\n"
           "  ascending), the %llu%s highest\n", (unsigned long long)(t - 1),
           (unsigned long long)(n - t), tt, suffix);
    printf("  (the plain %s would be sorted[%zu])\n", stats_percentile_label(p).s, plain);
    printf("\nVerdict: met. The reported %s is the latency at sorted[%llu].\n", stats_percentile_label(p).s,
           (unsigned long long)(n - t));
    return CLI_EXIT_VALID;
}

int cli_stats(int argc, char **argv)
{
    if (argc < 2) {
        stats_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (is_help(sub) || !strcmp(sub, "help")) {
        stats_help(stdout);
        return CLI_EXIT_VALID;
    }
    if (!strcmp(sub, "samples") || !strcmp(sub, "sample-size"))
        return stats_samples(argc - 1, argv + 1);
    if (!strcmp(sub, "early-stopping") || !strcmp(sub, "es"))
        return stats_early_stopping(argc - 1, argv + 1);
    fprintf(stderr, "loadgen stats: unknown calculator '%s' (use samples or "
            "early-stopping)\n\n", sub);
    stats_help(stderr);
    return CLI_EXIT_USAGE;
}
