/* cli/demo.c: `loadgen demo`: all four scenarios one after another, a few seconds each,
 * and a table of their results. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/internal.h"
#include "report/report.h"

static void demo_help(FILE *f)
{
    fputs("usage: loadgen demo [--min-duration-ms N] [--out DIR]\n"
          "                    [--sut model|null|synthetic]\n"
          "\n"
          "Runs all four scenarios one after another (SingleStream, MultiStream, Server,\n"
          "Offline), a few seconds each, by default with the model SUT (a multilayer\n"
          "perceptron classifying the Fashion-MNIST test images on OpenBLAS,\n"
          "docs/model.md); --sut synthetic: 4 workers, exponential service times with a\n"
          "500 us mean, on a synthetic QSL; --sut null: the null SUT, which completes\n"
          "every sample inside the issue call. Prints a table and says where the logs\n"
          "are. With the model SUT, Offline runs as MLPerf's SubmissionRun (an accuracy\n"
          "pass over the 10,000 test images, scored against their labels, then the\n"
          "performance pass) unless --mode is given. Ends with an HTML report of the four\n"
          "runs (DIR/report.html; --no-report to skip it). Accepts every option of\n"
          "`loadgen run` except --scenario.\n"
          "Exit code: 0 when every run is VALID, 1 when one is INVALID.\n",
          f);
}

/* The table of the scenarios that ran: metric, latency percentiles, verdict and the
 * reasons of an INVALID one. */
static void print_table(const lg_results *res, int ran, const char *root)
{
    printf("\n%-12s  %-34s  %10s  %10s  %10s  %s\n", "scenario", "metric", "p50", "p90",
           "p99", "result");
    for (int i = 0; i < ran; i++) {
        const lg_results *r = &res[i];
        const lg_latency_stats *l =
            r->scenario == LG_MULTI_STREAM ? &r->query_latency : &r->latency;
        char m[48], p50[LG_FORMAT_NS_MAX], p90[LG_FORMAT_NS_MAX], p99[LG_FORMAT_NS_MAX];
        char metric[96];
        cli_metric_text(r, m, sizeof m);
        snprintf(metric, sizeof metric, "%s %s",
                 r->scenario == LG_SERVER    ? "completed"
                 : r->scenario == LG_OFFLINE ? "samples"
                 : r->scenario == LG_SINGLE_STREAM ? "p90 early-stop"
                                                   : "p99 early-stop",
                 m);
        lg_format_ns((double)l->p50_ns, p50, sizeof p50);
        lg_format_ns((double)l->p90_ns, p90, sizeof p90);
        lg_format_ns((double)l->p99_ns, p99, sizeof p99);
        printf("%-12s  %-34s  %10s  %10s  %10s  %s\n", lg_scenario_name(r->scenario),
               metric, p50, p90, p99, r->valid ? "VALID" : "INVALID");
        for (unsigned f = 1; f <= LG_INVALID_LAST; f <<= 1)
            if (r->invalid_reasons & f) {
                char why[320];
                printf("%14s- %s\n", "", lg_invalid_reason_describe(r, f, why, sizeof why));
            }
    }
    printf("\nLogs: %s/<scenario>/ (mlperf_log_summary.txt, mlperf_log_detail.txt, "
           "results.json, ...)\n", root);
}

/* The accuracy the Offline run's accuracy pass scored ("" when it has none). */
static void accuracy_text(const char *root, char *buf, size_t len)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/Offline/results.json", root);
    buf[0] = '\0';
    json_t *j = json_load_file(path, 0, NULL), *a = json_object_get(j, "accuracy");
    if (json_is_object(a))
        snprintf(buf, len, "top-1 %.2f %% of the %lld test images (Offline's accuracy pass)",
                 100 * json_number_value(json_object_get(a, "top1")),
                 (long long)json_integer_value(json_object_get(a, "scored")));
    json_decref(j);
}

/* One HTML report of the runs made, at root/report.html. 0, or an exit code. */
static int write_report(const char *root, const lg_results *res, int ran, bool quiet)
{
    char dirs[4][PATH_MAX + 16], path[PATH_MAX + 16], err[512];
    const char *d[4];
    for (int i = 0; i < ran; i++) {
        snprintf(dirs[i], sizeof dirs[i], "%s/%s", root, lg_scenario_name(res[i].scenario));
        d[i] = dirs[i];
    }
    snprintf(path, sizeof path, "%s/report.html", root);
    rpt_report_opts o;
    rpt_report_opts_default(&o);
    o.title = "loadgen demo";
    int rc = rpt_report_write_html(d, (size_t)ran, &o, path, err, sizeof err);
    if (rc) {
        fprintf(stderr, "loadgen demo: the report: %s\n", err);
        return CLI_EXIT_RUNTIME;
    }
    if (!quiet)
        printf("Report: %s\n", path);
    return 0;
}

int cli_demo(int argc, char **argv)
{
    if (cli_any_help(argc, argv)) {
        demo_help(stdout);
        return CLI_EXIT_VALID;
    }
    /* --no-report is the demo's own: taken out before the run options are parsed. */
    bool report = true;
    int kept = 0;
    for (int i = 0; i < argc; i++)
        if (i > 0 && !strcmp(argv[i], "--no-report"))
            report = false;
        else
            argv[kept++] = argv[i];
    argc = kept;
    cli_run_opts base;
    cli_run_opts_default(&base);
    base.s.min_duration_ms = 2000;
    base.syn.mean_ns = 500000;
    int rc = cli_run_parse(argc, argv, &base, "demo");
    if (rc >= 0)
        return rc;
    if (base.repeat > 1) {
        fprintf(stderr, "loadgen demo: --repeat: use loadgen run --repeat N\n");
        return CLI_EXIT_USAGE;
    }
    if (cli_net_sut(&base) || cli_plugin_sut(&base)) {
        fprintf(stderr, "loadgen demo: --sut %s: the demo runs the built-in SUTs; use "
                "loadgen run --sut %s --scenario S\n", base.sut, base.sut);
        return CLI_EXIT_USAGE;
    }
    char root[PATH_MAX];
    if (base.out_given && (rc = cli_check_out_length("demo", base.out)) >= 0)
        return rc;
    if (base.out_given)
        snprintf(root, sizeof root, "%s", base.out);
    else
        cli_default_out(root, sizeof root, "demo");
    static const lg_scenario order[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER,
                                        LG_OFFLINE};
    lg_results res[4];
    bool all_valid = true;
    if (!base.quiet && cli_model_sut(&base))
        printf("loadgen demo: model SUT (--weights %s on the Fashion-MNIST test images), %u "
               "worker%s x batch %u, %llu ms per scenario\n", base.mdl.weights,
               base.syn.workers, base.syn.workers == 1 ? "" : "s", base.syn.max_batch,
               (unsigned long long)base.s.min_duration_ms);
    else if (!base.quiet && !strcmp(base.sut, "null"))
        printf("loadgen demo: null SUT (completes every sample at once, inside the issue "
               "call), %llu ms per scenario\n", (unsigned long long)base.s.min_duration_ms);
    else if (!base.quiet)
        printf("loadgen demo: synthetic SUT, %u workers, %s service times (mean %.0f us), "
               "%llu ms per scenario\n",
               base.syn.workers, sut_dist_name(base.syn.dist),
               (double)base.syn.mean_ns / 1e3, (unsigned long long)base.s.min_duration_ms);
    int ran = 0;
    for (int i = 0; i < 4 && !cli_stop_requested(); i++) {
        cli_run_opts o = base;
        o.s.scenario = o.base.scenario = order[i];
        o.cfg = NULL;
        if ((rc = cli_resolve_settings(&o, "demo", false)) >= 0)
            return rc;
        int mode = lg_settings_field_find("mode");
        if (order[i] == LG_OFFLINE && cli_model_sut(&o) && mode >= 0 &&
            mode < CLI_MAX_FIELDS && o.origins[mode].source == LG_CONF_SRC_DEFAULT)
            o.s.mode = LG_MODE_SUBMISSION;
        char out[PATH_MAX + 16];
        snprintf(out, sizeof out, "%s/%s", root, lg_scenario_name(order[i]));
        o.out = out;
        base.quiet = o.quiet = o.quiet || !cli_stdout_open();
        if (!o.quiet) {
            printf("  running %-12s ...", lg_scenario_name(order[i]));
            fflush(stdout);
        }
        rc = cli_run_one(&o, lg_scenario_name(order[i]), &res[i]);
        cli_run_opts_free(&o);
        if (rc >= 0)
            return rc;
        ran++;
        base.quiet = o.quiet = o.quiet || !cli_stdout_open();
        if (!o.quiet)
            printf(" %s\n", res[i].aborted ? "ABORTED" : res[i].valid ? "VALID" : "INVALID");
        all_valid = all_valid && res[i].valid;
    }
    /* After Ctrl-C the remaining scenarios are not run: the user asked to stop. */
    all_valid = all_valid && ran == 4;
    if (!base.quiet && cli_stdout_open()) {
        print_table(res, ran, root);
        char acc[160];
        accuracy_text(root, acc, sizeof acc);
        if (*acc)
            printf("Accuracy: %s; loadgen accuracy %s/Offline for the confusion matrix\n",
                   acc, root);
    }
    if (report && ran && (rc = write_report(root, res, ran, base.quiet ||
                                            !cli_stdout_open())))
        return rc;
    return all_valid ? CLI_EXIT_VALID : CLI_EXIT_INVALID;
}
