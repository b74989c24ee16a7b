/* cli/distributed.c: `loadgen run --distributed` under Open MPI's mpirun
 * (docs/distributed.md): rank 0 resolves the settings and sends them, every rank runs
 * its share of the one schedule into DIR/rank-R from a common start, and rank 0 merges
 * every rank's records into one run in DIR. Built with libloadgen_mpi when Open MPI is
 * installed (LG_HAVE_MPI); otherwise the flag says so. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/internal.h"

#ifndef LG_HAVE_MPI

int cli_run_distributed(cli_run_opts *o)
{
    (void)o;
    fprintf(stderr, "loadgen run: --distributed: this loadgen was built without Open MPI "
            "(install libopenmpi-dev, or run sh scripts/setup.sh test, and rebuild; "
            "docs/distributed.md)\n");
    return CLI_EXIT_USAGE;
}

#else

#include <jansson.h>

#include "mpi/dist.h"

/* What --distributed cannot split, found on rank 0 before anything runs. -1 or an exit
 * code (the message printed). */
static int refused(const cli_run_opts *o)
{
    const char *why = NULL;
    if (o->s.scenario != LG_SERVER && o->s.scenario != LG_OFFLINE)
        why = "a SingleStream or MultiStream query waits for the one before it, so one "
              "stream cannot be split across ranks: use Server or Offline";
    else if (o->s.mode != LG_MODE_PERFORMANCE)
        why = "only PerformanceOnly is split (--mode performance); run the accuracy pass "
              "on one machine";
    else if (o->repeat > 1)
        why = "not with --repeat";
    else if (o->s.arrival == LG_ARRIVAL_STAGES || o->s.arrival == LG_ARRIVAL_TRACE)
        why = "--stages and --trace are not sent to the other ranks: use poisson, "
              "constant, gamma or ramp arrivals";
    else if (o->s.record_hdr)
        why = "not with record_hdr: the merge needs every rank's samples (samples.bin)";
    else if (o->s.server_coalesce_queries)
        why = "not with server_coalesce_queries";
    else if (o->s.warmup_duration_ms && o->s.scenario == LG_OFFLINE)
        why = "an Offline warm-up is not split: drop --warmup-duration";
    if (!why)
        return -1;
    fprintf(stderr, "loadgen run: --distributed: %s\n", why);
    return CLI_EXIT_USAGE;
}

/* A test hook (docs/distributed.md): LOADGEN_MPI_FAULT=R:exit or R:hang makes rank R
 * exit or hang after its share ran, before it sends its records. */
static void maybe_fault(int rank)
{
    const char *f = getenv("LOADGEN_MPI_FAULT");
    if (!f)
        return;
    char *end;
    long r = strtol(f, &end, 10);
    if (end == f || *end != ':' || r != rank)
        return;
    if (!strcmp(end + 1, "exit")) {
        fprintf(stderr, "loadgen: rank %d: LOADGEN_MPI_FAULT: exiting\n", rank);
        _exit(CLI_EXIT_RUNTIME);
    }
    if (!strcmp(end + 1, "hang")) {
        fprintf(stderr, "loadgen: rank %d: LOADGEN_MPI_FAULT: hanging\n", rank);
        for (;;)
            pause();
    }
}

/* The records of this rank's share, read back from its samples.bin. */
static int read_records(const char *dir, lg_sample_record **rec, uint64_t *n, char *err,
                        size_t len)
{
    char path[PATH_MAX + 64];
    if (snprintf(path, sizeof path, "%s/samples.bin", dir) >= (int)sizeof path)
        return snprintf(err, len, "the folder's name is too long"), -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return snprintf(err, len, "%.900s: cannot open", path), -1;
    unsigned char *buf = NULL;
    size_t cap = 0, used = 0;
    for (;;) {
        if (used == cap) {
            size_t ncap = cap ? 2 * cap : 1 << 20;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return snprintf(err, len, "%.900s: out of memory", path), -1;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (got == 0)
            break;
    }
    fclose(f);
    lg_samples_header h;
    size_t bad_at = 0;
    const char *why = "";
    int rc = lg_samples_decode(buf, used, &h, rec, &bad_at, &why);
    free(buf);
    if (rc)
        return snprintf(err, len, "%.700s: damaged at byte %zu: %s", path, bad_at, why), -1;
    *n = h.count;
    return 0;
}

/* The SUT's and the QSL's names as rank 0's share recorded them. */
static void share_names(const char *dir, char *sut, char *qsl, size_t len)
{
    char path[PATH_MAX + 64];
    if (snprintf(path, sizeof path, "%s/results.json", dir) >= (int)sizeof path)
        return;
    json_t *j = json_load_file(path, 0, NULL);
    const char *s = j ? json_string_value(json_object_get(j, "sut_name")) : NULL;
    const char *q = j ? json_string_value(json_object_get(j, "qsl_name")) : NULL;
    snprintf(sut, len, "%s", s ? s : "unknown");
    snprintf(qsl, len, "%s", q ? q : "unknown");
    json_decref(j);
}

static void share_fill(lgmpi_share *sh, int rank, int status, const lg_results *r,
                       const lgmpi_clock *clk)
{
    memset(sh, 0, sizeof *sh);
    sh->rank = rank;
    sh->status = status;
    gethostname(sh->host, sizeof sh->host - 1);
    sh->clock = *clk;
    sh->start_realtime_ns = r->start_realtime_ns;
    sh->queries = r->queries_issued;
    sh->samples = r->samples_issued;
    sh->completed = r->samples_completed;
    sh->failed = r->samples_failed;
    sh->timed_out = r->samples_timed_out;
    sh->duplicates = r->duplicate_completions;
    sh->unknown = r->unknown_completions;
    sh->late = r->late_completions;
    sh->bad_responses = r->bad_responses;
    sh->errors_logged = r->errors_logged;
    sh->invalid_reasons = r->invalid_reasons;
    sh->duration_ns = r->duration_ns;
    sh->lag_p50_ns = r->issue_lag.p50_ns;
    sh->lag_p99_ns = r->issue_lag.p99_ns;
    sh->lag_max_ns = r->issue_lag.max_ns;
}

/* Rank 0: resolves the settings and the output folder. -1 or an exit code. */
static int root_prepare(cli_run_opts *o, char *out, size_t len)
{
    int rc = cli_resolve_settings(o, "run", !o->quiet);
    if (rc >= 0)
        return rc;
    if ((rc = refused(o)) >= 0)
        return rc;
    if (o->html) {
        fprintf(stderr, "loadgen run: --distributed: --html is not made for a merged run; "
                "run loadgen report on DIR afterwards\n");
        return CLI_EXIT_USAGE;
    }
    if (o->out_given)
        snprintf(out, len, "%s", o->out);
    else
        cli_default_out(out, len, "Server-distributed");
    if ((rc = cli_check_out_length("run", out)) >= 0)
        return rc;
    return cli_prepare_outdir(out, 0, 0, 0);
}

int cli_run_distributed(cli_run_opts *o)
{
    int rank = 0, size = 1;
    char err[1024];
    if (lgmpi_init(&rank, &size, err, sizeof err)) {
        fprintf(stderr, "loadgen run: --distributed: %s\n", err);
        return CLI_EXIT_RUNTIME;
    }
    char out[PATH_MAX] = "";
    int status = rank == 0 ? root_prepare(o, out, sizeof out) : -1;
    if (lgmpi_bcast_status(&status, err, sizeof err) ||
        (status < 0 && (lgmpi_bcast_text(out, sizeof out, err, sizeof err) ||
                        lgmpi_bcast_settings(&o->s, err, sizeof err)))) {
        fprintf(stderr, "loadgen run: --distributed: rank %d: %s\n", rank, err);
        lgmpi_abort(CLI_EXIT_RUNTIME);
    }
    if (status >= 0) {
        lgmpi_finalize();
        return status;
    }
    bool quiet = o->quiet;
    lgmpi_clock clk;
    int64_t start_ref = 0, start_local = 0;
    if (lgmpi_clock_sync(16, &clk, err, sizeof err) ||
        lgmpi_agree_start((int64_t)o->dist_lead_ms * 1000000, &clk, &start_ref, &start_local,
                          err, sizeof err)) {
        fprintf(stderr, "loadgen run: --distributed: rank %d: %s\n", rank, err);
        lgmpi_abort(CLI_EXIT_RUNTIME);
    }
    if (rank == 0 && !quiet)
        printf("loadgen: distributed %s run over %d ranks into %s/ (rank R's share in "
               "%s/rank-R)\n", lg_scenario_name(o->s.scenario), size, out, out);

    /* This rank's share: its own folder, the stride, the common start. */
    lg_settings whole = o->s;
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/rank-%d", out, rank);
    cli_run_opts share = *o;
    share.s.schedule_stride = size > 1 ? (uint64_t)size : 0;
    share.s.schedule_offset = size > 1 ? (uint64_t)rank : 0;
    share.s.start_realtime_ns = start_local;
    share.out = dir;
    share.quiet = true;
    share.progress = false;
    share.write_samples = true;
    char label[32];
    snprintf(label, sizeof label, "rank %d", rank);
    lg_results res;
    memset(&res, 0, sizeof res);
    int rc = cli_run_one(&share, label, &res);
    int share_status = rc >= 0 ? rc : 0;
    lg_sample_record *rec = NULL;
    uint64_t n = 0;
    if (res.metric_name && read_records(dir, &rec, &n, err, sizeof err)) {
        fprintf(stderr, "loadgen: rank %d: %s\n", rank, err);
        share_status = share_status ? share_status : CLI_EXIT_RUNTIME;
    }
    if (rc >= 0)
        fprintf(stderr, "loadgen: rank %d: its share ended with exit code %d (its records, "
                "if any, are still merged)\n", rank, rc);
    maybe_fault(rank);

    lgmpi_share mine;
    share_fill(&mine, rank, share_status, &res, &clk);
    char sut_name[256] = "unknown", qsl_name[256] = "unknown";
    if (rank == 0)
        share_names(dir, sut_name, qsl_name, sizeof sut_name);
    lg_qsl qsl = {.name = qsl_name,
                  .total_sample_count = res.accuracy_sample_count ? res.accuracy_sample_count
                                                                  : o->total,
                  .performance_sample_count = res.performance_sample_count
                                                  ? res.performance_sample_count
                                                  : o->performance};
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = out;
    log.write_samples = o->write_samples;
    cli_provenance prov;
    cli_run_opts named = *o;
    named.out = out;
    cli_provenance_make(&prov, &named);
    log.notes = prov.notes;
    log.nnotes = prov.n;
    lgmpi_merge_opts mo = {.settings = &whole, .sut_name = sut_name, .qsl = &qsl,
                           .log = &log, .start_ref_ns = start_ref,
                           .timeout_ms = (int64_t)o->dist_timeout_ms, .nranks = size};
    lg_results merged;
    lgmpi_merge_info info;
    memset(&merged, 0, sizeof merged);
    rc = lgmpi_gather_merge(&mo, &mine, rec, n, &merged, &info, err, sizeof err);
    free(rec);
    if (rank != 0) {
        if (rc) {
            fprintf(stderr, "loadgen run: --distributed: rank %d: %s\n", rank, err);
            lgmpi_abort(CLI_EXIT_RUNTIME);
        }
        lgmpi_finalize();
        return CLI_EXIT_VALID;
    }
    if (rc) {
        fprintf(stderr, "loadgen run: --distributed: %s\n", err);
        lgmpi_abort(CLI_EXIT_RUNTIME);
    }
    if (!quiet) {
        cli_print_results(o, &merged);
        printf("Ranks: %d; largest start skew %.1f us, largest clock-offset error %.1f us\n",
               size, (double)info.max_skew_ns / 1e3, (double)info.max_clock_error_ns / 1e3);
        printf("Logs: %s/ (merged; each rank's share in %s/rank-R)\n", out, out);
    }
    if (info.missing) {
        char others[48] = "";
        if (info.missing > 1)
            snprintf(others, sizeof others, " (and %d other rank%s)", info.missing - 1,
                     info.missing == 2 ? "" : "s");
        fprintf(stderr, "loadgen run: --distributed: rank %d%s did not report within %llu "
                "ms: it died or hangs; %s/ holds the other ranks' samples, marked "
                "incomplete; ending every rank\n", info.first_missing, others,
                (unsigned long long)o->dist_timeout_ms, out);
        lgmpi_abort(CLI_EXIT_RUNTIME);
    }
    if (info.failed) {
        fprintf(stderr, "loadgen run: --distributed: rank %d's share failed (exit code %d)%s; "
                "%s/ holds what the ranks measured, marked incomplete\n", info.first_failed,
                info.first_failed_status, info.failed > 1 ? ", and others'" : "", out);
        lgmpi_finalize();
        return CLI_EXIT_RUNTIME;
    }
    lgmpi_finalize();
    return merged.valid ? CLI_EXIT_VALID : CLI_EXIT_INVALID;
}

#endif
