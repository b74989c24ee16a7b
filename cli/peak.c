/* cli/peak.c: `loadgen find-peak`: the highest Server rate a SUT sustains within its
 * latency bound (or goodput target), by lg_find_peak, with any SUT `run` takes
 * (docs/peak.md). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/internal.h"
#include "report/report.h"

static const char *const CMD = "find-peak";
#define YEAR_MS UINT64_C(31536000000) /* the longest probe: a year */

static void help(FILE *f)
{
    fputs("usage: loadgen find-peak [search options] [run options]\n"
          "\n"
          "The highest Server rate (server_target_qps) whose latency bound holds: probes\n"
          "at one rate each, the bracket grown from --target-qps, then bisection. Every\n"
          "probe, its verdict and the time the search took go to results.json\n"
          "(\"peak_search\"), the summary below and the reports (docs/peak.md).\n"
          "\n"
          "Search options:\n"
          "  --algorithm A        find-peak (default) or mlperf (MLPerf's\n"
          "                       FindPeakPerformance: full runs, bisection to\n"
          "                       server_find_peak_qps_decimals_of_precision)\n"
          "  --tolerance T        find-peak: stop when the bracket is this narrow,\n"
          "                       relative to its lower end: 2% or 0.02 (default 2%)\n"
          "  --probe-ms N         each probe's minimum duration (default: the run's\n"
          "                       --min-duration-ms)\n"
          "  --confirm-ms N       find-peak: confirm the peak with one run this long; a\n"
          "                       failed confirmation lowers it by the tolerance\n"
          "  --goodput-share S    find-peak: a probe passes when this share of its\n"
          "                       requests meets the SLOs (--slo ttft=T,tpot=T,e2e=T):\n"
          "                       90% or 0.9; default: the latency bound\n"
          "  --growth G           the bracket's factor, above 1 (default 2: doubling)\n"
          "  --max-probes N       the most probes, confirmations included (default 64)\n"
          "  --min-qps Q          find-peak: a failing start halves down to this rate\n"
          "                       (default --target-qps / 1024)\n"
          "  --no-early-abort     find-peak: never cut a probe that is clearly failing\n"
          "\n"
          "Run options: every option of `loadgen run` (see loadgen run --help) but\n"
          "--repeat; the scenario is Server. --target-qps is the first rate tried;\n"
          "--html FILE writes the HTML report of the search.\n"
          "\n"
          "Example:\n"
          "  loadgen find-peak --sut synthetic --workers 2 --service-dist constant \\\n"
          "      --service-mean-us 1000 --target-qps 500 --target-latency-ms 10 \\\n"
          "      --probe-ms 1000 --out /tmp/peak\n",
          f);
}

/* A share or tolerance: "2%" (percent) or a fraction "0.02", in (0, hi]. */
static bool parse_share(const char *flag, const char *text, bool hi_closed, double *out)
{
    char buf[64];
    size_t n = strlen(text);
    bool pct = n > 0 && text[n - 1] == '%';
    if (pct) {
        if (n >= sizeof buf) {
            char sh[CLI_SHOWN_LEN];
            fprintf(stderr, "loadgen %s: %s: '%s' is not a number\n", CMD, flag,
                    cli_shown(text, sh));
            return false;
        }
        memcpy(buf, text, n - 1);
        buf[n - 1] = '\0';
        text = buf;
    }
    double v;
    if (!cli_parse_double(CMD, flag, text, 0, pct ? 100 : 1, true, !hi_closed, &v))
        return false;
    *out = pct ? v / 100 : v;
    return true;
}

typedef struct peak_cli {
    lg_peak_options o;
    lg_peak_result res;
    bool ran;
} peak_cli;

/* Takes the search options out of argv (the rest is left for the run parser). Returns
 * -1, or an exit code. */
static int parse_peak_flags(int *argc, char **argv, peak_cli *pc)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *v = NULL;
        int k = i, m;
        if (!strcmp(a, "--")) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        if (!strcmp(a, "--no-early-abort")) {
            pc->o.no_early_abort = true;
            continue;
        }
#define FLAG(name)                                                                            \
    (k = i, (m = cli_flag_value(CMD, *argc, argv, &k, name, &v)) < 0 ? CLI_EXIT_USAGE        \
                                                                     : (m ? (i = k, 1) : 0))
        int r;
        if ((r = FLAG("--algorithm"))) {
            if (r == CLI_EXIT_USAGE)
                return r;
            if (lg_peak_algorithm_parse(v, &pc->o.algorithm)) {
                char sh[CLI_SHOWN_LEN];
                fprintf(stderr, "loadgen %s: --algorithm: '%s' is neither find-peak nor "
                        "mlperf\n", CMD, cli_shown(v, sh));
                return CLI_EXIT_USAGE;
            }
        } else if ((r = FLAG("--tolerance"))) {
            if (r == CLI_EXIT_USAGE || !parse_share("--tolerance", v, false, &pc->o.tolerance))
                return CLI_EXIT_USAGE;
        } else if ((r = FLAG("--goodput-share"))) {
            if (r == CLI_EXIT_USAGE ||
                !parse_share("--goodput-share", v, true, &pc->o.goodput_share))
                return CLI_EXIT_USAGE;
        } else if ((r = FLAG("--probe-ms"))) {
            if (r == CLI_EXIT_USAGE ||
                !cli_parse_u64(CMD, "--probe-ms", v, 1, YEAR_MS, &pc->o.probe_ms))
                return CLI_EXIT_USAGE;
        } else if ((r = FLAG("--confirm-ms"))) {
            if (r == CLI_EXIT_USAGE ||
                !cli_parse_u64(CMD, "--confirm-ms", v, 1, YEAR_MS, &pc->o.confirm_ms))
                return CLI_EXIT_USAGE;
        } else if ((r = FLAG("--growth"))) {
            if (r == CLI_EXIT_USAGE ||
                !cli_parse_double(CMD, "--growth", v, 1, 1000, true, false, &pc->o.growth))
                return CLI_EXIT_USAGE;
        } else if ((r = FLAG("--max-probes"))) {
            if (r == CLI_EXIT_USAGE ||
                !cli_parse_u64(CMD, "--max-probes", v, 1, 10000, &pc->o.max_probes))
                return CLI_EXIT_USAGE;
        } else if ((r = FLAG("--min-qps"))) {
            if (r == CLI_EXIT_USAGE ||
                !cli_parse_double(CMD, "--min-qps", v, 0, LG_MAX_QPS, true, false,
                                  &pc->o.min_qps))
                return CLI_EXIT_USAGE;
        } else {
            argv[out++] = argv[i];
        }
#undef FLAG
    }
    *argc = out;
    argv[out] = NULL;
    return -1;
}

static int search(void *ctx, const lg_settings *s, const lg_sut *sut, const lg_qsl *qsl,
                  const lg_log_settings *log, lg_results *res)
{
    peak_cli *pc = ctx;
    pc->ran = true;
    return lg_find_peak(s, sut, qsl, &pc->o, log, res, &pc->res);
}

/* The search as the summary prints it: the peak, then one line per probe. */
static void print_search(const lg_peak_result *r)
{
    char t[LG_FORMAT_NS_MAX];
    lg_format_ns((double)r->search_ns, t, sizeof t);
    printf("Peak search (%s): ", lg_peak_algorithm_name(r->algorithm));
    if (r->found)
        printf("peak %.6g QPS", r->peak_qps);
    else
        printf("no passing rate");
    if (r->upper_qps > 0)
        printf(" (lowest failing rate %.6g QPS)", r->upper_qps);
    printf(", %zu probes in %s\n", r->nprobes, t);
    printf("  Stopped: %s\n", r->stop_reason);
    printf("  %3s %14s %-7s %11s %12s %9s %10s  %s\n", "#", "rate (QPS)", "verdict",
           "percentile", "done (QPS)", "samples", "time", "why");
    for (size_t i = 0; i < r->nprobes; i++) {
        const lg_peak_probe *p = &r->probes[i];
        char lat[LG_FORMAT_NS_MAX], dur[LG_FORMAT_NS_MAX];
        lg_format_ns((double)p->percentile_ns, lat, sizeof lat);
        lg_format_ns((double)p->duration_ns, dur, sizeof dur);
        printf("  %3zu %14.6g %-7s %11s %12.6g %9llu %10s  %s%s\n", i + 1, p->target_qps,
               lg_peak_verdict_name(p->verdict), p->samples ? lat : "-", p->achieved_qps,
               (unsigned long long)p->samples, dur, p->confirmation ? "[confirmation] " : "",
               p->reason);
    }
}

int cli_find_peak(int argc, char **argv)
{
    if (cli_any_help(argc, argv)) {
        help(stdout);
        return CLI_EXIT_VALID;
    }
    peak_cli pc;
    memset(&pc, 0, sizeof pc);
    lg_peak_options_default(&pc.o);
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return CLI_EXIT_RUNTIME;
    memcpy(args, argv, (size_t)argc * sizeof *args);
    int n = argc;
    int rc = parse_peak_flags(&n, args, &pc);
    if (rc >= 0) {
        free(args);
        return rc;
    }
    cli_run_opts o;
    cli_run_opts_default(&o);
    o.s.scenario = LG_SERVER;
    rc = cli_run_parse(n, args, &o, CMD);
    if (rc < 0)
        rc = cli_resolve_settings(&o, CMD, !o.quiet);
    if (rc < 0 && o.repeat > 1) {
        fprintf(stderr, "loadgen %s: --repeat: a peak search repeats its probes itself; "
                "run find-peak again for another search\n", CMD);
        rc = CLI_EXIT_USAGE;
    }
    if (rc < 0 && o.html && !o.write_samples) {
        fprintf(stderr, "loadgen %s: --html needs samples.bin for its plots: drop "
                "--no-samples-file\n", CMD);
        rc = CLI_EXIT_USAGE;
    }
    if (rc < 0 && o.s.scenario != LG_SERVER) {
        fprintf(stderr, "loadgen %s: --scenario %s: %s\n", CMD, lg_scenario_name(o.s.scenario),
                LG_PEAK_NOT_SERVER);
        rc = CLI_EXIT_USAGE;
    }
    if (rc < 0 && pc.o.goodput_share > 0 && !o.s.slo_ttft_ns && !o.s.slo_tpot_ns &&
        !o.s.slo_e2e_ns) {
        fprintf(stderr, "loadgen %s: --goodput-share needs an SLO: --slo ttft=T, tpot=T "
                "or e2e=T\n", CMD);
        rc = CLI_EXIT_USAGE;
    }
    if (rc < 0 && pc.o.algorithm == LG_PEAK_MLPERF &&
        (pc.o.confirm_ms || pc.o.goodput_share > 0 || pc.o.min_qps > 0 ||
         pc.o.no_early_abort || pc.o.tolerance != 0.02)) {
        fprintf(stderr, "loadgen %s: --algorithm mlperf: %s is find-peak's only (MLPerf's "
                "search has its own rules)\n", CMD,
                pc.o.confirm_ms ? "--confirm-ms" : pc.o.goodput_share > 0 ? "--goodput-share"
                : pc.o.min_qps > 0 ? "--min-qps" : pc.o.no_early_abort ? "--no-early-abort"
                                                                      : "--tolerance");
        rc = CLI_EXIT_USAGE;
    }
    if (rc >= 0) {
        cli_run_opts_free(&o);
        free(args);
        return rc;
    }
    o.s.mode = LG_MODE_FIND_PEAK;
    char out[PATH_MAX];
    if (!o.out_given) {
        cli_default_out(out, sizeof out, "find-peak");
        o.out = out;
    }
    if ((rc = cli_check_out_length(CMD, o.out)) >= 0 ||
        (o.html && (rc = cli_check_output(CMD, "--html", o.html, &o.out, 1)) >= 0)) {
        cli_run_opts_free(&o);
        free(args);
        return rc;
    }
    lg_results r;
    rc = cli_run_one_with(&o, "find-peak", search, &pc, &r);
    bool quiet = o.quiet;
    const char *dir = o.out;
    if (pc.ran && !quiet && cli_stdout_open()) {
        if (rc < 0)
            cli_print_results(&o, &r);
        print_search(&pc.res);
        printf("Logs: %s/ (the reported probe: the peak's; every probe in results.json)\n",
               dir);
    }
    if (pc.ran && rc < 0 && o.html) {
        rpt_report_opts ro;
        rpt_report_opts_default(&ro);
        const char *dirs[1] = {dir};
        char err[512];
        if (rpt_report_write_html(dirs, 1, &ro, o.html, err, sizeof err)) {
            fprintf(stderr, "loadgen %s: could not write the HTML report %s: %s\n", CMD,
                    o.html, err);
            rc = CLI_EXIT_RUNTIME;
        } else if (!quiet) {
            printf("Report: %s\n", o.html);
        }
    }
    cli_run_opts_free(&o);
    free(args);
    bool found = pc.res.found;
    bool error = pc.res.nprobes && pc.res.probes[pc.res.nprobes - 1].verdict == LG_PEAK_ERROR;
    lg_peak_result_free(&pc.res);
    if (rc >= 0)
        return rc;
    /* 0: a peak found; 1: no rate passed; 3: the SUT failed or stopped answering. */
    return error ? CLI_EXIT_RUNTIME : found ? CLI_EXIT_VALID : CLI_EXIT_INVALID;
}
