/* cli/runner.c: one test with the built-in SUT and the synthetic QSL, as run, --repeat
 * and demo start it: the checks before it, the progress line, and its outcome as an
 * exit code. */
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"
#include "qsl/qsl.h"

typedef struct progress_ctx {
    const char *label;
    bool shown;
} progress_ctx;

static void on_progress(void *ctx, const lg_progress *p)
{
    progress_ctx *pc = ctx;
    if (p->elapsed_ns < 1000000000)
        return;
    fprintf(stderr, "\r\033[K  %-12s %-11s %6.1f s  issued %llu  completed %llu%s  %.0f/s",
            pc->label, p->phase, (double)p->elapsed_ns / 1e9,
            (unsigned long long)p->issued_samples, (unsigned long long)p->completed_samples,
            p->failed_samples ? "  (failed)" : "", p->current_qps);
    pc->shown = true;
}

/* The memory the kernel says can be allocated without swapping (MemAvailable), in
 * bytes, or 0 when unknown. */
static double memory_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    double kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024.0;
}

/* Refuses, before anything is allocated, a QSL whose loaded samples would not fit in
 * memory: a failed allocation in the middle of loading would otherwise end the run, or
 * the kernel's OOM killer would. Returns -1 when it fits (or memory is unknown), else
 * CLI_EXIT_USAGE. */
static int check_qsl_memory(const cli_run_opts *o)
{
    uint64_t loaded = o->s.performance_sample_count_override > o->performance
                          ? o->s.performance_sample_count_override
                          : o->performance;
    double need = (double)qsl_synthetic_bytes(loaded, (size_t)o->sample_size);
    double avail = memory_available();
    if (avail <= 0 || need <= avail)
        return -1;
    fprintf(stderr, "loadgen: --sample-size %llu x --performance-sample-count %llu: the "
            "synthetic QSL would hold about %.1f GiB of samples in memory, but only %.1f GiB "
            "are available; lower --sample-size or --performance-sample-count\n",
            (unsigned long long)o->sample_size, (unsigned long long)loaded,
            need / 1073741824.0, avail / 1073741824.0);
    return CLI_EXIT_USAGE;
}

/* Prints why lg_run_test failed with rc: the library's own account (setting, file and
 * system error) when it gave one. */
static void print_test_error(const char *what, int rc)
{
    const char *why = lg_last_error();
    fprintf(stderr, "loadgen: %s: %s\n", what, why && *why ? why : lg_strerror(rc));
}

/* Prints what the run measured, unless quiet. */
static void print_results(const cli_run_opts *o, const lg_results *res)
{
    if (!o->quiet) {
        char text[2048];
        lg_results_format(res, text, sizeof text);
        fputs(text, stdout);
    }
}

/* What lg_run_test's rc (and the QSL's load error) means for the user: -1 when the test
 * ran, else the exit code, after saying why and printing what was measured, if any. */
static int test_outcome(const cli_run_opts *o, int rc, int load_error, const lg_results *res)
{
    if (load_error == LG_ENOMEM) {
        /* Whatever the library made of it, the run did not have its samples. */
        fprintf(stderr, "loadgen: out of memory: the synthetic QSL could not allocate its "
                "samples (%llu of %llu bytes each)\n", (unsigned long long)o->performance,
                (unsigned long long)o->sample_size);
        return CLI_EXIT_RUNTIME;
    }
    if (rc == LG_EINVAL) {
        print_test_error("invalid settings", rc);
        return CLI_EXIT_USAGE;
    }
    if (rc == LG_EIO && !res->metric_name) {
        /* Found before the run: nothing was measured. */
        print_test_error("cannot write the logs", rc);
        return CLI_EXIT_USAGE;
    }
    if ((rc == LG_ENOMEM || rc == LG_ESUT) && res->metric_name) {
        /* The run started and ended INVALID: its files hold what was measured. */
        fprintf(stderr, "loadgen: %s: %s (the run is INVALID; %s holds everything it "
                "measured)\n", rc == LG_ENOMEM ? "out of memory" : "the QSL failed",
                *lg_last_error() ? lg_last_error() : lg_strerror(rc), o->out);
        print_results(o, res);
        return CLI_EXIT_RUNTIME;
    }
    if (rc == LG_EIO) {
        char why[1024];
        snprintf(why, sizeof why, "%s", lg_last_error());
        fprintf(stderr, "loadgen: could not write the logs to %s: %s (the folder holds an "
                "incomplete run; the results were measured in full%s)\n", o->out,
                *why ? why : lg_strerror(rc), o->quiet ? "" : " and are printed below");
        print_results(o, res);
        return CLI_EXIT_RUNTIME;
    }
    if (rc) {
        print_test_error("the test failed", rc);
        return CLI_EXIT_RUNTIME;
    }
    return -1;
}

/* Runs one test with the options; prints a short report unless quiet. Fills *res.
 * Returns -1 on success, else an exit code. */
int cli_run_one(cli_run_opts *o, const char *label, lg_results *res)
{
    qsl_synthetic *q = NULL;
    sut_synthetic *syn = NULL;
    if (o->performance > o->total) {
        fprintf(stderr, "loadgen: --performance-sample-count %llu must not exceed "
                "--total-sample-count %llu\n", (unsigned long long)o->performance,
                (unsigned long long)o->total);
        return CLI_EXIT_USAGE;
    }
    /* The settings are checked against the QSL's counts before the QSL exists, so that
     * a refused run allocates nothing. */
    lg_qsl qsl = {.total_sample_count = o->total, .performance_sample_count = o->performance};
    char msg[256];
    if (lg_settings_check(&o->s, &qsl, msg, sizeof msg)) {
        fprintf(stderr, "loadgen: invalid setting: %s\n", msg);
        return CLI_EXIT_USAGE;
    }
    int rc = check_qsl_memory(o);
    if (rc >= 0)
        return rc;
    rc = qsl_synthetic_create("synthetic", o->total, o->performance, (size_t)o->sample_size,
                              0, &q);
    if (rc) {
        fprintf(stderr, "loadgen: %s the synthetic QSL's table of %llu samples\n",
                rc == LG_ENOMEM ? "out of memory: could not allocate"
                                : "invalid --total-sample-count or --sample-size for",
                (unsigned long long)o->performance);
        return rc == LG_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
    }
    qsl = qsl_synthetic_qsl(q);
    lg_sut sut;
    if (!strcmp(o->sut, "null")) {
        sut = sut_null();
    } else {
        if ((rc = sut_synthetic_create(&o->syn, &syn))) {
            fprintf(stderr, "loadgen: cannot start the synthetic SUT: %s\n", lg_strerror(rc));
            qsl_synthetic_destroy(q);
            return rc == LG_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
        }
        sut = sut_synthetic_sut(syn);
    }
    double need = cli_estimate_log_bytes(&o->s, o->write_samples, o->total);
    if (o->out && ((rc = cli_warn_samples_size(&o->s, o->write_samples)) >= 0 ||
                   (rc = cli_prepare_outdir(o->out, need)) >= 0)) {
        sut_synthetic_destroy(syn);
        qsl_synthetic_destroy(q);
        return rc;
    }
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = o->out;
    log.write_samples = o->write_samples;
    progress_ctx pc = {.label = label};
    if (o->progress) {
        log.progress = on_progress;
        log.progress_ctx = &pc;
    }
    cli_signals_install();
    rc = lg_run_test(&o->s, &sut, &qsl, &log, res);
    if (pc.shown)
        fputs("\r\033[K", stderr);
    int load_error = qsl_synthetic_load_error(q);
    sut_synthetic_destroy(syn);
    qsl_synthetic_destroy(q);
    return test_outcome(o, rc, load_error, res);
}
