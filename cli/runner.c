/* cli/runner.c: one test with a built-in SUT (the model SUT and its QSL, or the null or
 * synthetic SUT and the synthetic QSL), a network SUT or a plugin SUT, as run, --repeat
 * and demo start it: the checks before it, the progress line, and its outcome as an
 * exit code. */
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"
#include "qsl/qsl.h"
#include "stats/stats.h"

typedef struct progress_ctx {
    const char *label;
    double planned_s; /* the minimum duration; 0 = none */
    bool shown;
} progress_ctx;

/* "3.2 / 10.0 s, 6.8 s left": the time against the planned (minimum) duration of the
 * performance pass; past it the run waits for its minimum query count or its last
 * answers ("finishing"). The accuracy pass has no planned duration. */
static void progress_time(char *buf, size_t len, const progress_ctx *pc, const lg_progress *p)
{
    double s = (double)p->elapsed_ns / 1e9;
    if (pc->planned_s <= 0 || strcmp(p->phase, "performance"))
        snprintf(buf, len, "%6.1f s", s);
    else if (s < pc->planned_s)
        snprintf(buf, len, "%6.1f / %.1f s, %.1f s left", s, pc->planned_s, pc->planned_s - s);
    else
        snprintf(buf, len, "%6.1f / %.1f s, finishing", s, pc->planned_s);
}

static void on_progress(void *ctx, const lg_progress *p)
{
    progress_ctx *pc = ctx;
    if (p->elapsed_ns < 1000000000)
        return;
    char t[64];
    progress_time(t, sizeof t, pc, p);
    fprintf(stderr, "\r\033[K  %-12s %-11s %s  issued %llu  completed %llu%s  %.0f/s",
            pc->label, p->phase, t, (unsigned long long)p->issued_samples,
            (unsigned long long)p->completed_samples, p->failed_samples ? "  (failed)" : "",
            p->current_qps);
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

void cli_print_results(const cli_run_opts *o, const lg_results *res)
{
    if (o->quiet)
        return;
    char text[4096];
    lg_results_format(res, text, sizeof text);
    /* Server: the bound beside the percentile it applies to, on the line after the
     * latencies (lg_results does not carry the bound; the settings do). */
    const char *lat = strstr(text, "\n  latency p50 ");
    const char *eol = lat ? strchr(lat + 1, '\n') : NULL;
    if (res->scenario != LG_SERVER || res->mode == LG_MODE_ACCURACY || !eol ||
        !res->latency.count) {
        fputs(text, stdout);
        return;
    }
    char v[32], b[32];
    fwrite(text, 1, (size_t)(eol + 1 - text), stdout);
    const char *pct = stats_percentile_label(o->s.server_target_latency_percentile).s;
    if (res->tokens.mlperf) {
        /* Token mode judges TTFT and TPOT against their bounds instead. */
        const lg_latency_stats *st[2] = {&res->tokens.ttft, &res->tokens.tpot};
        const int64_t bound[2] = {o->s.server_ttft_latency_ns, o->s.server_tpot_latency_ns};
        for (int i = 0; i < 2; i++) {
            lg_format_ns((double)st[i]->target_ns, v, sizeof v);
            lg_format_ns((double)bound[i], b, sizeof b);
            bool within = st[i]->count && st[i]->target_ns <= bound[i];
            printf("  bound    %s %s %s %s bound %s (%s)\n", i ? "TPOT" : "TTFT", pct, v,
                   within ? "<=" : ">", b, within ? "within" : "OVER the bound");
        }
    } else {
        lg_format_ns((double)res->latency.target_ns, v, sizeof v);
        lg_format_ns((double)o->s.server_target_latency_ns, b, sizeof b);
        bool within = res->latency.target_ns <= o->s.server_target_latency_ns;
        printf("  bound    %s %s %s bound %s (%s)\n", pct, v, within ? "<=" : ">", b,
               within ? "within" : "OVER the bound");
    }
    fputs(eol + 1, stdout);
}

static void print_results(const cli_run_opts *o, const lg_results *res)
{
    cli_print_results(o, res);
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

/* What a test runs against: a built-in SUT and the synthetic QSL, or a network SUT
 * with its own QSL (its dataset). */
typedef struct target {
    lg_sut sut;
    lg_qsl qsl;
    qsl_synthetic *q;
    sut_synthetic *syn;
    cli_net_run *net;
    cli_model_run *model;
    cli_plugin_run *plugin;
} target;

static void target_free(target *t)
{
    cli_net_destroy(t->net);
    cli_model_destroy(t->model);
    sut_synthetic_destroy(t->syn);
    /* Before the QSL: the plugin's threads may read its samples until destroy(). */
    cli_plugin_destroy(t->plugin);
    qsl_synthetic_destroy(t->q);
    memset(t, 0, sizeof *t);
}

/* The network SUT: readiness, then its client and QSL. -1, or an exit code. */
static int target_net(cli_run_opts *o, target *t)
{
    int rc = cli_net_prepare(o, &t->net);
    if (rc >= 0)
        return rc;
    t->sut = cli_net_run_sut(t->net);
    t->qsl = cli_net_run_qsl(t->net);
    return -1;
}

/* True (the message printed) when the settings do not suit a QSL of the options'
 * counts: checked before a QSL is made, so that a refused run allocates nothing. */
static bool settings_refused(const cli_run_opts *o)
{
    lg_qsl counts = {.total_sample_count = o->total,
                     .performance_sample_count = o->performance};
    char msg[256];
    if (!lg_settings_check(&o->s, &counts, msg, sizeof msg))
        return false;
    fprintf(stderr, "loadgen: invalid setting: %s\n", msg);
    return true;
}

/* The model SUT and its QSL of test images, the settings checked first against the
 * QSL's counts. -1, or an exit code. */
static int target_model(cli_run_opts *o, target *t)
{
    if (settings_refused(o))
        return CLI_EXIT_USAGE;
    int rc = cli_model_prepare(o, &t->model);
    if (rc >= 0)
        return rc;
    t->sut = cli_model_run_sut(t->model);
    t->qsl = cli_model_run_qsl(t->model);
    return -1;
}

/* True (the message printed) when the performance sample count exceeds the total. */
static bool counts_refused(const cli_run_opts *o)
{
    if (o->performance <= o->total)
        return false;
    fprintf(stderr, "loadgen: --performance-sample-count %llu must not exceed "
            "--total-sample-count %llu\n", (unsigned long long)o->performance,
            (unsigned long long)o->total);
    return true;
}

/* The synthetic QSL, the settings checked first against its counts so that a refused
 * run allocates nothing. -1, or an exit code. */
static int target_qsl(cli_run_opts *o, target *t)
{
    if (settings_refused(o))
        return CLI_EXIT_USAGE;
    int rc = check_qsl_memory(o);
    if (rc >= 0)
        return rc;
    rc = qsl_synthetic_create("synthetic", o->total, o->performance, (size_t)o->sample_size,
                              0, &t->q);
    if (rc) {
        fprintf(stderr, "loadgen: %s the synthetic QSL's table of %llu samples\n",
                rc == LG_ENOMEM ? "out of memory: could not allocate"
                                : "invalid --total-sample-count or --sample-size for",
                (unsigned long long)o->performance);
        return rc == LG_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
    }
    t->qsl = qsl_synthetic_qsl(t->q);
    return -1;
}

/* A plugin SUT (cli/plugin.c): its own QSL, or the synthetic one. -1, or an exit code. */
static int target_plugin(cli_run_opts *o, target *t)
{
    int rc = cli_plugin_prepare(o, &t->plugin);
    if (rc >= 0)
        return rc;
    t->sut = cli_plugin_run_sut(t->plugin);
    if (cli_plugin_run_qsl(t->plugin, &t->qsl))
        return -1;
    if (counts_refused(o))
        return CLI_EXIT_USAGE;
    if ((rc = target_qsl(o, t)) >= 0)
        return rc;
    cli_plugin_use_qsl(t->plugin, t->q);
    return -1;
}

/* A built-in SUT and the synthetic QSL. -1, or an exit code. */
static int target_builtin(cli_run_opts *o, target *t)
{
    int rc = target_qsl(o, t);
    if (rc >= 0)
        return rc;
    if (!strcmp(o->sut, "null")) {
        t->sut = sut_null();
    } else {
        if ((rc = sut_synthetic_create(&o->syn, &t->syn))) {
            fprintf(stderr, "loadgen: cannot start the synthetic SUT: %s\n", lg_strerror(rc));
            target_free(t);
            return rc == LG_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
        }
        t->sut = sut_synthetic_sut(t->syn);
    }
    return -1;
}

/* Runs one test with the options; prints a short report unless quiet. Fills *res.
 * Returns -1 on success, else an exit code. */
int cli_run_one(cli_run_opts *o, const char *label, lg_results *res)
{
    return cli_run_one_with(o, label, NULL, NULL, res);
}

int cli_run_one_with(cli_run_opts *o, const char *label, cli_test_fn fn, void *ctx,
                     lg_results *res)
{
    /* A dataset or a plugin may bring its own QSL, with its own counts. */
    if ((!cli_net_sut(o) || !o->net.dataset) && !cli_plugin_sut(o) && counts_refused(o))
        return CLI_EXIT_USAGE;
    target t;
    memset(&t, 0, sizeof t);
    int rc = cli_net_sut(o)      ? target_net(o, &t)
             : cli_model_sut(o)  ? target_model(o, &t)
             : cli_plugin_sut(o) ? target_plugin(o, &t)
                                 : target_builtin(o, &t);
    if (rc >= 0) {
        target_free(&t);
        return rc;
    }
    char msg[256], warn[512];
    /* A QSL of the SUT's own: its counts are known only now. */
    if (!t.q && lg_settings_check(&o->s, &t.qsl, msg, sizeof msg)) {
        fprintf(stderr, "loadgen: invalid setting: %s\n", msg);
        target_free(&t);
        return CLI_EXIT_USAGE;
    }
    if (!o->quiet && lg_settings_warnings(&o->s, &t.qsl, warn, sizeof warn) > 0)
        fprintf(stderr, "loadgen: warning: %s\n", warn);
    uint64_t total = t.qsl.total_sample_count;
    double need = cli_estimate_log_bytes(&o->s, o->write_samples, total);
    if (o->out &&
        ((rc = cli_warn_samples_size(&o->s, o->write_samples, total)) >= 0 ||
         (rc = cli_prepare_outdir(
              o->out, need, cli_estimate_samples(&o->s, total),
              o->write_samples ? cli_samples_bytes_per_sample(&o->s, total) : 0)) >= 0)) {
        target_free(&t);
        return rc;
    }
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = o->out;
    log.write_samples = o->write_samples;
    log.audit_config = o->audit_applied;
    progress_ctx pc = {.label = label, .planned_s = (double)o->s.min_duration_ms / 1e3};
    if (o->progress) {
        log.progress = on_progress;
        log.progress_ctx = &pc;
    }
    cli_provenance prov;
    o->plugin.loaded = t.plugin ? cli_plugin_run_info(t.plugin) : NULL;
    cli_provenance_make(&prov, o);
    o->plugin.loaded = NULL;
    log.notes = prov.notes;
    log.nnotes = prov.n;
    cli_signals_install();
    if (t.net)
        cli_net_begin(t.net);
    rc = fn ? fn(ctx, &o->s, &t.sut, &t.qsl, &log, res)
            : lg_run_test(&o->s, &t.sut, &t.qsl, &log, res);
    if (pc.shown)
        fputs("\r\033[K", stderr);
    if (t.net) {
        cli_net_end(t.net, o, res, rc);
        if (rc == LG_ESUT && *cli_net_load_error(t.net))
            fprintf(stderr, "loadgen: the QSL failed to load: %s\n", cli_net_load_error(t.net));
    }
    if (t.model) {
        cli_model_end(t.model, o, res, rc);
        if (rc == LG_ESUT && *cli_model_load_error(t.model))
            fprintf(stderr, "loadgen: the QSL failed to load: %s\n",
                    cli_model_load_error(t.model));
    }
    int load_error = t.q ? qsl_synthetic_load_error(t.q) : 0;
    target_free(&t);
    return test_outcome(o, rc, load_error, res);
}
