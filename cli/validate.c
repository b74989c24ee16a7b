/* cli/validate.c: `loadgen validate DIR`: whether one run (or each run of a set) can be
 * trusted, as text or JSON; report/ does the work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/internal.h"
#include "report/run.h"
#include "report/validate.h"
#include "stats/stats.h"

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
    lg_format_ns(v->duration_ms * 1e6, a, sizeof a);
    printf("Run: %s; %llu queries; %zu successful %s latencies; target %s; %s\n",
           v->valid ? "VALID" : "INVALID", (unsigned long long)v->queries, v->latencies,
           v->per_query ? "per-query" : "per-sample", stats_percentile_label(v->percentile).s,
           a);
    if (v->scenario != LG_OFFLINE)
        printf("Sample size for the %s at 99%% confidence: early stopping needs %llu, the "
               "classic rule %llu (MLPerf rounded: %llu)\n",
               stats_percentile_label(v->percentile).s,
               (unsigned long long)v->early_stopping_needed,
               (unsigned long long)v->sizes.classic,
               (unsigned long long)v->sizes.mlperf_rounded);
    if (v->latency_ci || v->throughput_ci) {
        printf("\nIntervals (%.0f%%):\n", v->confidence * 100);
        if (v->latency_ci && v->scenario != LG_OFFLINE) {
            const rpt_interval *iv[3] = {&v->p50_ns, &v->p90_ns, &v->p99_ns};
            const char *nm[3] = {"p50 latency", "p90 latency", "p99 latency"};
            for (int i = 0; i < 3; i++) {
                lg_format_ns(iv[i]->estimate, a, sizeof a);
                lg_format_ns(iv[i]->lo, b, sizeof b);
                lg_format_ns(iv[i]->hi, c, sizeof c);
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
        if (cli_is_help(a)) {
            validate_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if ((r = cli_flag_value("validate", argc, argv, &i, "--confidence", &val))) {
            if (r < 0 || !cli_parse_double("validate", "--confidence", val, 0, 1, true, true,
                                           &o.confidence))
                return CLI_EXIT_USAGE;
        } else if ((r = cli_flag_value("validate", argc, argv, &i, "--tolerance", &val))) {
            if (r < 0 || !cli_parse_double("validate", "--tolerance", val, 0, 10, true, false,
                                           &o.stability_tolerance))
                return CLI_EXIT_USAGE;
        } else if ((r = cli_bootstrap_flag("validate", argc, argv, &i, &o.resamples, &o.seed))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
        } else if ((r = cli_flag_value("validate", argc, argv, &i, "--block", &val))) {
            if (r < 0 || !cli_parse_u64("validate", "--block", val, 1, UINT32_MAX, &u))
                return CLI_EXIT_USAGE;
            o.block_len = (size_t)u;
        } else if (a[0] == '-' && a[1]) {
            return cli_unknown_option("validate", a);
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
        return cli_load_exit(rc);
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
