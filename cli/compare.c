/* cli/compare.c: `loadgen compare A B`: two runs, repetition sets or number files
 * compared metric by metric, with a progress line for long comparisons. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/internal.h"
#include "report/compare.h"
#include "report/format.h"
#include "report/metrics.h"
#include "report/run.h"

static void compare_help(FILE *f)
{
    fputs("usage: loadgen compare A B [--alpha A] [--noise N] [--json] [--resamples N]\n"
          "                        [--seed N] [--batches N] [--higher-is-better]\n"
          "\n"
          "Compares B (the candidate) with A (the baseline). A and B are both repetition\n"
          "sets (folders from `loadgen run --repeat N`: one value per run per metric), both\n"
          "single runs (compared by time batches of their samples), or both plain text\n"
          "files of one number per line (one metric named `value`). Runs of different\n"
          "scenarios are refused (exit 2): their metrics mean different things.\n"
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

/* The run whose provenance stands for an input: the run itself, or a repetition set's
 * first repetition; NULL for a number file or a folder that cannot be read. */
static rpt_run *provenance_run(const char *path, rpt_values_kind kind)
{
    if (kind == RPT_VALUES_FILE)
        return NULL;
    char dir[4096];
    snprintf(dir, sizeof dir, kind == RPT_VALUES_PER_RUN ? "%s/rep-1" : "%s", path);
    rpt_run *r = NULL;
    return rpt_run_load_results(dir, &r, NULL, 0) ? NULL : r;
}

/* What differs between the two inputs besides the measurements (results.json's
 * provenance: SUT, QSL, settings, config files, build), and a warning when more than one
 * thing changed: the comparison then cannot say which change made the difference. */
static void print_differences(const char *pa, const char *pb, rpt_values_kind kind)
{
    rpt_run *a = provenance_run(pa, kind), *b = provenance_run(pb, kind);
    rpt_difference *d = NULL;
    size_t n = 0;
    size_t na = 0, nb = 0;
    if (a && b && (rpt_run_provenance(a, &na), rpt_run_provenance(b, &nb), na && nb) &&
        !rpt_run_differences(a, b, kind == RPT_VALUES_PER_RUN, &d, &n)) {
        printf("\nWhat differs between A and B (besides the measurements):%s\n",
               n ? "" : " nothing (the same SUT, QSL, settings, config files and build)");
        for (size_t i = 0; i < n; i++)
            printf("  %-44s %s -> %s\n", d[i].key, d[i].a, d[i].b);
        if (n > 1)
            printf("warning: %zu things changed between A and B: the comparison cannot say "
                   "which of them made the difference; change one at a time\n", n);
    }
    free(d);
    rpt_run_destroy(a);
    rpt_run_destroy(b);
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
    /* The name column fits the longest name (tokens_per_sec), 13 at least. */
    int w = 13;
    for (size_t i = 0; i < rpt_comparison_count(c); i++)
        if ((int)strlen(rpt_comparison_get(c, i)->name) > w)
            w = (int)strlen(rpt_comparison_get(c, i)->name);
    printf("%-*s %5s %13s %13s %9s  %-20s %8s %8s %7s  %s\n", w, "metric", "n", "A mean",
           "B mean", "change", "CI of change", "Welch p", "MW p", "d", "verdict");
    for (size_t i = 0; i < rpt_comparison_count(c); i++) {
        const rpt_metric_cmp *m = rpt_comparison_get(c, i);
        char a[32], b[32], ch[24], lo[24], hi[24], ci[52], pw[16], pm[16], n[16];
        rpt_format_value(a, sizeof a, m->a.mean, m->unit);
        rpt_format_value(b, sizeof b, m->b.mean, m->unit);
        rpt_format_pct(ch, sizeof ch, m->change);
        rpt_format_pct(lo, sizeof lo, m->change_lo);
        rpt_format_pct(hi, sizeof hi, m->change_hi);
        snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
        rpt_format_p(pw, sizeof pw, m->welch_p);
        rpt_format_p(pm, sizeof pm, m->mw_p);
        if (m->a.n == m->b.n)
            snprintf(n, sizeof n, "%zu", m->a.n);
        else
            snprintf(n, sizeof n, "%zu/%zu", m->a.n, m->b.n);
        char d[16];
        if (isfinite(m->cohens_d))
            snprintf(d, sizeof d, "%.2f", m->cohens_d);
        else
            snprintf(d, sizeof d, "n/a"); /* no spread on either side */
        printf("%-*s %5s %13s %13s %9s  %-20s %8s %8s %7s  %s\n", w, m->name, n, a, b, ch, ci,
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
        if (cli_is_help(a)) {
            compare_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--higher-is-better")) {
            o.file_direction = RPT_HIGHER_IS_BETTER;
        } else if ((r = cli_flag_value("compare", argc, argv, &i, "--alpha", &val))) {
            if (r < 0 || !cli_parse_double("compare", "--alpha", val, 0, 1, true, true, &o.alpha))
                return CLI_EXIT_USAGE;
        } else if ((r = cli_flag_value("compare", argc, argv, &i, "--noise", &val))) {
            if (r < 0 || !cli_parse_double("compare", "--noise", val, 0, 10, false, false,
                                           &o.noise))
                return CLI_EXIT_USAGE;
        } else if ((r = cli_bootstrap_flag("compare", argc, argv, &i, &o.resamples, &o.seed))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
        } else if ((r = cli_flag_value("compare", argc, argv, &i, "--batches", &val))) {
            if (r < 0 || !cli_parse_u64("compare", "--batches", val, 2, 1000, &u))
                return CLI_EXIT_USAGE;
            o.batches = (unsigned)u;
        } else if (a[0] == '-' && a[1]) {
            return cli_unknown_option("compare", a);
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
            return cli_load_exit(rc);
        }
    }
    rpt_comparison *c;
    int rc = rpt_compare(m[0], m[1], &o, &c, err, sizeof err);
    compare_progress_end(&prog);
    if (rc) {
        fprintf(stderr, "loadgen compare: %s\n", err);
        rpt_metrics_destroy(m[0]);
        rpt_metrics_destroy(m[1]);
        return cli_load_exit(rc);
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
        print_differences(path[0], path[1], rpt_metrics_kind(m[0]));
    }
    rpt_comparison_destroy(c);
    rpt_metrics_destroy(m[0]);
    rpt_metrics_destroy(m[1]);
    return code;
}
