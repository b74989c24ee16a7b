/* cli/run.c: `loadgen run`: one test with a built-in SUT and QSL, or with --repeat N a
 * series of N into rep-1 .. rep-N summarised in repetitions.json. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/internal.h"
#include "report/report.h"

/* ---------------------------------------------------------------- --repeat */

/* The seed of repetition k (k >= 2) derived from the given one: splitmix64 of
 * seed + k * 0x9E3779B97F4A7C15. Repetition 1 keeps the given seeds. */
static uint64_t rep_seed(uint64_t seed, uint64_t k)
{
    uint64_t x = seed + k * UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* How a --repeat series ended: repetitions asked for, finished (summarised), and the
 * folder of the one that an abort cut short ("" when none). */
typedef struct repeat_outcome {
    unsigned requested, finished;
    char aborted_dir[32];
} repeat_outcome;

/* Adds to root/repetitions.json what the report library does not know: how many
 * repetitions were asked for and which were aborted and left out of the statistics
 * (docs/cli.md). Rewritten under a temporary name and renamed, as every run file. */
static void flag_aborted_runs(const char *path, const repeat_outcome *ro)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        fprintf(stderr, "loadgen: %s: %s\n", path, je.text);
        return;
    }
    json_t *ab = json_array();
    if (ro->aborted_dir[0]) {
        json_t *r = json_object();
        json_object_set_new(r, "dir", json_string(ro->aborted_dir));
        json_object_set_new(r, "aborted", json_true());
        json_object_set_new(r, "excluded", json_true());
        json_array_append_new(ab, r);
    }
    json_object_set_new(root, "repetitions_requested", json_integer(ro->requested));
    json_object_set_new(root, "aborted_runs", ab);
    char tmp[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ||
        rename(tmp, path)) {
        fprintf(stderr, "loadgen: %s: cannot write: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    json_decref(root);
}

static void print_repeat_summary(const char *root, const repeat_outcome *ro, bool quiet)
{
    char err[512], path[PATH_MAX + 32];
    rpt_set *set;
    if (!ro->finished) {
        fprintf(stderr, "loadgen: no repetition finished before the stop: nothing to "
                "summarise (the aborted run is in %s/%s)\n", root, ro->aborted_dir);
        return;
    }
    if (rpt_set_load(root, &set, err, sizeof err)) {
        fprintf(stderr, "loadgen: cannot read the repetitions back: %s\n", err);
        return;
    }
    snprintf(path, sizeof path, "%s/repetitions.json", root);
    if (rpt_set_write_summary(set, 0.95, path, err, sizeof err))
        fprintf(stderr, "loadgen: %s\n", err);
    else
        flag_aborted_runs(path, ro);
    rpt_metrics *m;
    if (!quiet && rpt_metrics_from_set(set, 0, &m, err, sizeof err) == 0) {
        char across[160];
        if (ro->finished == ro->requested)
            snprintf(across, sizeof across, "%u repetitions", ro->requested);
        else
            snprintf(across, sizeof across, "%u of %u repetitions, %u aborted and excluded",
                     ro->finished, ro->requested, ro->aborted_dir[0] ? 1u : 0u);
        printf("\nAcross %s (one value per run; CI: 95%% t interval of the mean):\n", across);
        printf("%-13s %13s %13s %13s %7s  %s\n", "metric", "mean", "median", "SD", "CV",
               "95% CI of the mean");
        for (size_t i = 0; i < rpt_metrics_count(m); i++) {
            const rpt_metric *mt = rpt_metrics_get(m, i);
            rpt_summary su;
            if (rpt_metric_summarize(mt, 0.95, &su))
                continue;
            char v[5][32];
            double x[5] = {su.mean, su.median, su.sd, su.ci_lo, su.ci_hi};
            for (int k = 0; k < 5; k++)
                rpt_format_value(v[k], sizeof v[k], x[k], mt->unit);
            char cv[16], ci[72];
            if (isfinite(su.cv))
                snprintf(cv, sizeof cv, "%.2f%%", su.cv * 100);
            else
                snprintf(cv, sizeof cv, "n/a");
            snprintf(ci, sizeof ci, "[%s, %s]", v[3], v[4]);
            printf("%-13s %13s %13s %13s %7s  %s\n", mt->name, v[0], v[1], v[2], cv, ci);
        }
        rpt_metrics_destroy(m);
        printf("Runs: %s/rep-1 .. rep-%zu; summary: %s\n", root, rpt_set_count(set), path);
        if (ro->aborted_dir[0])
            printf("Aborted, kept apart: %s/%s\n", root, ro->aborted_dir);
    }
    rpt_set_destroy(set);
}

/* Runs o->repeat repetitions into root/rep-1 ... and writes root/repetitions.json.
 * A repetition cut short by Ctrl-C (or SIGTERM, SIGHUP) is not a measurement of the
 * same kind as the others: its folder is renamed rep-K-aborted, which the report
 * library does not read as part of the set, it is left out of the statistics, and
 * the remaining repetitions are not run, since the user asked to stop. */
static int run_repeat(cli_run_opts *o, const char *root)
{
    char found[256];
    if (cli_find_repetitions(root, found, sizeof found)) {
        fprintf(stderr, "loadgen: %s already holds repetitions (%s); choose another --out "
                "or remove it: a run is never overwritten\n", root, found);
        return CLI_EXIT_USAGE;
    }
    double reps = (double)o->repeat;
    int rc = cli_prepare_outdir(
        root, reps * cli_estimate_log_bytes(&o->s, o->write_samples, o->total),
        reps * cli_estimate_samples(&o->s, o->total),
        o->write_samples ? cli_samples_bytes_per_sample(&o->s, o->total) : 0);
    if (rc >= 0)
        return rc;
    repeat_outcome ro = {.requested = (unsigned)o->repeat};
    unsigned n = ro.requested;
    bool all_valid = true, quiet = o->quiet;
    if (!quiet)
        printf("loadgen: %u repetitions of %s into %s/\n", n, lg_scenario_name(o->s.scenario),
               root);
    for (unsigned k = 1; k <= n && !cli_stop_requested(); k++) {
        cli_run_opts r = *o;
        if (k > 1) {
            r.s.schedule_rng_seed = rep_seed(o->s.schedule_rng_seed, k);
            r.s.sample_index_rng_seed = rep_seed(o->s.sample_index_rng_seed, k);
            r.syn.seed = rep_seed(o->syn.seed, k);
        }
        char out[PATH_MAX], label[32];
        snprintf(out, sizeof out, "%s/rep-%u", root, k);
        snprintf(label, sizeof label, "rep %u/%u", k, n);
        r.out = out;
        quiet = quiet || !cli_stdout_open();
        if (!quiet) {
            printf("  rep-%-4u ...", k);
            fflush(stdout);
        }
        lg_results res;
        rc = cli_run_one(&r, label, &res);
        if (rc >= 0)
            return rc;
        quiet = quiet || !cli_stdout_open();
        if (res.aborted) {
            char moved[PATH_MAX + 16];
            snprintf(ro.aborted_dir, sizeof ro.aborted_dir, "rep-%u-aborted", k);
            snprintf(moved, sizeof moved, "%s/%s", root, ro.aborted_dir);
            if (rename(out, moved)) {
                /* Still named rep-K, it would be read as part of the set: say so. */
                fprintf(stderr, "loadgen: cannot rename the aborted %s to %s: %s; it is "
                        "part of the set that reports read\n", out, moved, strerror(errno));
                snprintf(ro.aborted_dir, sizeof ro.aborted_dir, "rep-%u", k);
                ro.finished++;
            }
            if (!quiet)
                printf(" ABORTED (kept in %s, left out of the summary)\n", ro.aborted_dir);
            all_valid = false;
            break;
        }
        ro.finished++;
        all_valid = all_valid && res.valid;
        if (!quiet) {
            char m[48];
            cli_metric_text(&res, m, sizeof m);
            printf(" %-7s %s = %s\n", res.valid ? "VALID" : "INVALID", res.metric_name, m);
        }
    }
    print_repeat_summary(root, &ro, quiet || !cli_stdout_open());
    return all_valid && ro.finished == n ? CLI_EXIT_VALID : CLI_EXIT_INVALID;
}

int cli_run(int argc, char **argv)
{
    cli_run_opts o;
    cli_run_opts_default(&o);
    int rc = cli_run_parse(argc, argv, &o, "run");
    if (rc < 0 && o.distributed) {
        /* Rank 0 resolves the settings there and sends them to the other ranks. */
        rc = cli_run_distributed(&o);
        cli_run_opts_free(&o);
        return rc;
    }
    if (rc < 0)
        rc = cli_resolve_settings(&o, "run", !o.quiet);
    if (rc < 0 && o.html && !o.write_samples) {
        fprintf(stderr, "loadgen run: --html needs samples.bin for its plots: drop "
                "--no-samples-file\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc >= 0) {
        cli_run_opts_free(&o);
        return rc;
    }
    char out[PATH_MAX];
    if (!o.out_given) {
        char what[64];
        snprintf(what, sizeof what, "%s%s", lg_scenario_name(o.s.scenario),
                 o.repeat > 1 ? "-repeat" : "");
        cli_default_out(out, sizeof out, what);
        o.out = out;
    }
    if ((rc = cli_check_out_length("run", o.out)) >= 0 ||
        (o.html && (rc = cli_check_output("run", "--html", o.html, &o.out, 1)) >= 0)) {
        cli_run_opts_free(&o);
        return rc;
    }
    if (o.repeat > 1) {
        rc = run_repeat(&o, o.out);
        cli_run_opts_free(&o);
        return rc;
    }
    lg_results r;
    rc = cli_run_one(&o, lg_scenario_name(o.s.scenario), &r);
    cli_run_opts_free(&o);
    if (rc >= 0)
        return rc;
    if (!o.quiet) {
        cli_print_results(&o, &r);
        fputs(cli_net_report(), stdout);
        fputs(cli_model_report(), stdout);
        printf("Logs: %s/\n", o.out);
    }
    if (o.html) {
        rpt_report_opts ro;
        rpt_report_opts_default(&ro);
        const char *dirs[1] = {o.out};
        char err[512];
        if (rpt_report_write_html(dirs, 1, &ro, o.html, err, sizeof err)) {
            fprintf(stderr, "loadgen: could not write the HTML report %s: %s\n", o.html, err);
            return CLI_EXIT_RUNTIME;
        }
        if (!o.quiet)
            printf("Report: %s\n", o.html);
    }
    return r.valid ? CLI_EXIT_VALID : CLI_EXIT_INVALID;
}
