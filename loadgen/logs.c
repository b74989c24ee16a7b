/* logs.c: writes a finished test's files: mlperf_log_summary.txt, mlperf_log_detail.txt
 * and mlperf_log_accuracy.json in MLPerf's formats, results.json (our schema) and
 * samples.bin (every sample's times). Runs after the test, never on the hot path. Each
 * file is written under a temporary name and renamed, so none is ever half-written. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/internal.h"
#include "loadgen/settings_table.h"
#include "loadgen/results_fields.h"

#ifndef LG_BUILD_DATE
#define LG_BUILD_DATE "NA"
#endif

static const char RULER[] = "================================================";

/* ---------------------------------------------------------------- small helpers */

void lg__json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        switch (*c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*c < 0x20)
                fprintf(f, "\\u%04x", *c);
            else
                fputc(*c, f);
        }
    }
    fputc('"', f);
}

/* A double as MLPerf prints it (6 significant digits); never inf or nan, which JSON
 * readers refuse. */
static void json_double(FILE *f, double v)
{
    if (!isfinite(v))
        v = 0.0;
    fprintf(f, "%g", v);
}

/* Full precision for results.json. */
static void json_double_full(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

static void format_pct(char *buf, size_t len, double p, int decimals)
{
    snprintf(buf, len, "%.*f", decimals, p * 100.0);
}

/* An output file under a temporary name, renamed into place by out_close(). */
typedef struct outfile {
    FILE *f;
    char tmp[4200];
    char path[4096];
} outfile;

/* The temporary file being written now, for lg_log_discard_partial() in a signal
 * handler: the path is complete before g_partial_set says so. */
static char g_partial[4200];
static volatile sig_atomic_t g_partial_set;

void lg_log_discard_partial(void)
{
    if (g_partial_set)
        unlink(g_partial);
}

static void partial_set(const char *tmp)
{
    g_partial_set = 0;
    atomic_signal_fence(memory_order_seq_cst);
    snprintf(g_partial, sizeof g_partial, "%s", tmp);
    atomic_signal_fence(memory_order_seq_cst);
    g_partial_set = 1;
}

/* Opens outdir/<prefix><stem><suffix><ext>: prefix and suffix are "" for our own files
 * (results.json, samples.bin), the run's (lg__log_name_parts) for MLPerf's logs. */
static int out_open(outfile *o, const char *outdir, const char *prefix, const char *stem,
                    const char *suffix, const char *ext)
{
    int n = snprintf(o->path, sizeof o->path, "%s/%s%s%s%s", outdir, prefix, stem, suffix,
                     ext);
    o->f = NULL;
    if (n < 0 || (size_t)n >= sizeof o->path) {
        lg__set_error("could not write %s%s%s%s in %s: the path is longer than %zu bytes",
                      prefix, stem, suffix, ext, outdir, sizeof o->path - 1);
        return LG_EIO;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", o->path, (long)getpid());
    partial_set(o->tmp);
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        g_partial_set = 0;
        lg__set_error("could not create %s: %s", o->tmp, strerror(errno));
        return LG_EIO;
    }
    /* Only writes to this file happen until out_close: the errno a failed write leaves
     * (ENOSPC, EDQUOT, ...) is still there when it looks. */
    errno = 0;
    return 0;
}

static int out_close(outfile *o)
{
    if (!o->f)
        return LG_EIO;
    int err = 0;
    if (ferror(o->f) || fflush(o->f) != 0)
        err = errno ? errno : EIO;
    if (fclose(o->f) != 0 && !err)
        err = errno ? errno : EIO;
    o->f = NULL;
    if (!err && rename(o->tmp, o->path) != 0)
        err = errno;
    g_partial_set = 0;
    if (!err)
        return 0;
    unlink(o->tmp);
    lg__set_error("could not write %s: %s", o->path, strerror(err));
    return LG_EIO;
}

static int mkdir_p(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return -1;
        *s = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return -1;
    return 0;
}

/* ---------------------------------------------------------------- early stopping */

void lg__early_stopping_text(const lg__eff *e, const lg_early_stopping *es, char *buf,
                             size_t len, bool one_line)
{
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    char p[16];
    format_pct(p, sizeof p, es->percentile, 1);
    buf[0] = '\0';
    if (es->applies && sc->early_stopping_text)
        sc->early_stopping_text(es, p, one_line ? ' ' : '\n', buf, len);
}

/* MLPerf's recommendation texts (the INVALID reasons) first, then ours with their counts (the counts are
 * written into store, of which each item may take 160 bytes). */
static int recommendations(const lg__eff *e, const lg_results *r, const char **items,
                           int max, char (*store)[160])
{
    int n = 0;
    unsigned why = r->invalid_reasons;
    const lg_token_results *k = &r->tokens;
    /* MLPerf's token mode names the bound missed (its typo "constrain" kept), both in
     * one item as MLPerf joins them. */
    bool ttft = k->mlperf && !k->ttft_constraint_met, tpot = k->mlperf && !k->tpot_constraint_met;
    if ((why & LG_INVALID_PERF_CONSTRAINT) && n < max)
        items[n++] = ttft && tpot ? "TTFT constrain not met: Reduce target QPS to improve "
                                    "latency.\n * TPOT constrain not met: Reduce target QPS "
                                    "to improve latency."
                     : ttft ? "TTFT constrain not met: Reduce target QPS to improve latency."
                     : tpot ? "TPOT constrain not met: Reduce target QPS to improve latency."
                            : "Reduce target QPS to improve latency.";
    if ((why & LG_INVALID_MIN_DURATION) && n < max)
        items[n++] = lg__scenario(e->scenario)->min_duration_advice;
    if ((why & LG_INVALID_MIN_QUERIES) && n < max)
        items[n++] = "The test exited early, before enough queries were issued.\n"
                     "   See the detailed log for why this may have occurred.";
    static const unsigned ours[] = {LG_INVALID_QSL_FAILURE, LG_INVALID_OUT_OF_MEMORY,
                                    LG_INVALID_FAILED_SAMPLES, LG_INVALID_TIMED_OUT,
                                    LG_INVALID_COMPLETION_ERRORS, LG_INVALID_TOKEN_ERRORS,
                                    LG_INVALID_MAX_LIMIT, LG_INVALID_ABORTED,
                                    LG_INVALID_HDR_RECORDING};
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
        if (!(why & ours[i]) || n >= max)
            continue;
        const char *text = lg_invalid_reason_text(ours[i]);
        switch (ours[i]) {
        case LG_INVALID_FAILED_SAMPLES:
            snprintf(store[n], sizeof store[n], "%s (%llu of %llu samples).", text,
                     (unsigned long long)r->samples_failed,
                     (unsigned long long)r->samples_issued);
            break;
        case LG_INVALID_TIMED_OUT:
            snprintf(store[n], sizeof store[n], "%s (%llu samples).", text,
                     (unsigned long long)r->samples_timed_out);
            break;
        case LG_INVALID_COMPLETION_ERRORS:
            snprintf(store[n], sizeof store[n], "%s (%llu twice, %llu unknown, %llu of an "
                     "impossible size).", text,
                     (unsigned long long)r->duplicate_completions,
                     (unsigned long long)r->unknown_completions,
                     (unsigned long long)r->bad_responses);
            break;
        case LG_INVALID_OUT_OF_MEMORY:
            snprintf(store[n], sizeof store[n], "%s (%llu samples recorded, %llu responses "
                     "not logged); free memory or shorten the run.", text,
                     (unsigned long long)r->samples_issued,
                     (unsigned long long)r->accuracy_samples_dropped);
            break;
        case LG_INVALID_QSL_FAILURE:
            snprintf(store[n], sizeof store[n], "%s; see the detail log for its code.", text);
            break;
        case LG_INVALID_HDR_RECORDING:
            snprintf(store[n], sizeof store[n], "Recorded with record_hdr: the percentiles "
                     "are within %.6g %% of the exact ones, not an MLPerf result; run without "
                     "record_hdr for one.", r->record_relative_error * 100.0);
            break;
        case LG_INVALID_TOKEN_ERRORS:
            snprintf(store[n], sizeof store[n], "Token errors: %llu first tokens refused, "
                     "%llu token counts below 2, %llu samples without a first token; see the "
                     "detail log.",
                     (unsigned long long)(k->first_token_duplicates + k->first_token_unknown +
                                          k->first_token_late),
                     (unsigned long long)(k->mlperf ? k->n_tokens_zero + k->n_tokens_negative +
                                                          k->n_tokens_one
                                                    : 0),
                     (unsigned long long)(k->mlperf && lg__scenario(r->scenario)->needs_first_token
                                              ? k->missing_first_token
                                              : 0));
            break;
        default:
            snprintf(store[n], sizeof store[n], "%s.", text);
            break;
        }
        items[n] = store[n];
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------- summary */

/* The six percentiles MLPerf reports everywhere, with their labels. */
static const char *const PCT_LABELS[6] = {"50.00", "90.00", "95.00", "97.00", "99.00", "99.90"};

static void pct_values(const lg_latency_stats *s, int64_t v[6])
{
    v[0] = s->p50_ns, v[1] = s->p90_ns, v[2] = s->p95_ns;
    v[3] = s->p97_ns, v[4] = s->p99_ns, v[5] = s->p999_ns;
}

void lg__summary_table(FILE *f, const lg_latency_stats *s)
{
    fprintf(f, "Min latency (ns)                : %lld\n", (long long)s->min_ns);
    fprintf(f, "Max latency (ns)                : %lld\n", (long long)s->max_ns);
    fprintf(f, "Mean latency (ns)               : %lld\n", (long long)s->mean_ns);
    int64_t v[6];
    pct_values(s, v);
    for (int i = 0; i < 6; i++)
        fprintf(f, "%s percentile latency (ns)   : %lld\n", PCT_LABELS[i], (long long)v[i]);
}

/* Token mode's "Additional Stats" block, after the scenario's lines: a blank line, the
 * scenario's rate lines, then where first tokens are needed the TTFT and TPOT tables
 * with MLPerf's wide labels and its "time to output token" in TPOT's percentile labels. */
static void summary_token_stats(FILE *f, const lg__eff *e, const lg_results *r)
{
    const lg_token_results *k = &r->tokens;
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    if (!e->token_mode)
        return;
    fputc('\n', f);
    sc->summary_token_stats(f, r);
    if (!sc->needs_first_token)
        return;
    int64_t v[6];
    fprintf(f, "Min First Token latency (ns)                : %lld\n", (long long)k->ttft.min_ns);
    fprintf(f, "Max First Token latency (ns)                : %lld\n", (long long)k->ttft.max_ns);
    fprintf(f, "Mean First Token latency (ns)               : %lld\n",
            (long long)k->ttft.mean_ns);
    pct_values(&k->ttft, v);
    for (int i = 0; i < 6; i++)
        fprintf(f, "%s percentile first token latency (ns)   : %lld\n", PCT_LABELS[i],
                (long long)v[i]);
    fputc('\n', f);
    fprintf(f, "Min Time per Output Token (ns)                : %lld\n",
            (long long)k->tpot.min_ns);
    fprintf(f, "Max Time per Output Token (ns)                : %lld\n",
            (long long)k->tpot.max_ns);
    fprintf(f, "Mean Time per Output Token (ns)               : %lld\n",
            (long long)k->tpot.mean_ns);
    pct_values(&k->tpot, v);
    for (int i = 0; i < 6; i++)
        fprintf(f, "%s percentile time to output token (ns)   : %lld\n", PCT_LABELS[i],
                (long long)v[i]);
}

static void summary_trailer(FILE *f, uint64_t warnings, uint64_t errors)
{
    fputc('\n', f);
    if (warnings == 0)
        fputs("No warnings encountered during test.\n", f);
    else if (warnings == 1)
        fputs("1 warning encountered. See detailed log.\n", f);
    else
        fprintf(f, "%llu warnings encountered. See detailed log.\n",
                (unsigned long long)warnings);
    fputc('\n', f);
    if (errors == 0)
        fputs("No errors encountered during test.\n", f);
    else if (errors == 1)
        fputs("1 ERROR encountered. See detailed log.\n", f);
    else
        fprintf(f, "%llu ERRORS encountered. See detailed log.\n",
                (unsigned long long)errors);
}

static void write_summary(FILE *f, lg__test *t, const lg_results *r, bool perf)
{
    const lg__eff *e = &t->eff;
    const lg_settings *s = t->req;
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    if (!perf) { /* AccuracyOnly: only the trailer, as MLPerf writes it */
        summary_trailer(f, r->warnings_logged, r->errors_logged);
        return;
    }
    char p[16];
    format_pct(p, sizeof p, e->target_latency_percentile, 1);
    fprintf(f, "%s\nMLPerf Results Summary\n%s\n", RULER, RULER);
    fprintf(f, "SUT name : %s\n", t->sut->name ? t->sut->name : "");
    fprintf(f, "Scenario : %s\n", lg_scenario_name(e->scenario));
    fprintf(f, "Mode     : %s\n", lg_mode_name(e->mode));
    sc->summary_result(f, p, r);
    if (e->token_mode)
        sc->summary_token_result(f, p, r);
    if (e->infer_tokens && sc->summary_inferred)
        sc->summary_inferred(f, r);
    unsigned why = r->invalid_reasons;
    fprintf(f, "Result is : %s\n", r->valid ? "VALID" : "INVALID");
    if (sc->perf_constraint)
        fprintf(f, "  Performance constraints satisfied : %s\n",
                why & LG_INVALID_PERF_CONSTRAINT ? "NO" : "Yes");
    fprintf(f, "  Min duration satisfied : %s\n", why & LG_INVALID_MIN_DURATION ? "NO" : "Yes");
    fprintf(f, "  Min queries satisfied : %s\n", why & LG_INVALID_MIN_QUERIES ? "NO" : "Yes");
    fprintf(f, "  Early stopping satisfied: %s\n",
            why & LG_INVALID_EARLY_STOPPING ? "NO" : "Yes");
    const char *arrival_why;
    if (!lg_arrival_mlperf_valid(s, &arrival_why))
        fprintf(f, "  Arrival pattern MLPerf-valid : NO (%s)\n", arrival_why);
    if (t->summary_note)
        fprintf(f, "  %s\n", t->summary_note);
    if (r->record_hdr)
        fprintf(f, "  Recording : HDR histograms (%u significant digits): percentiles within "
                "%.6g %% of the exact ones, not an MLPerf result\n", e->hdr_digits,
                r->record_relative_error * 100.0);
    if (!r->valid) {
        const char *items[16];
        char store[16][160];
        int n = recommendations(e, r, items, 16, store);
        fputs("Recommendations:\n", f);
        for (int i = 0; i < n; i++)
            fprintf(f, " * %s\n", items[i]);
    }
    if (r->early_stopping.applies && !e->token_mode) {
        char es[1024];
        lg__early_stopping_text(e, &r->early_stopping, es, sizeof es, false);
        fprintf(f, "Early Stopping Result:\n%s\n", es);
    } else if (r->early_stopping.applies) {
        /* MLPerf: TTFT's text is empty when TPOT's early stopping failed. */
        char ttft[1024], tpot[1024];
        lg__early_stopping_text(e, &r->tokens.ttft_early_stopping, ttft, sizeof ttft, false);
        lg__early_stopping_text(e, &r->tokens.tpot_early_stopping, tpot, sizeof tpot, false);
        fprintf(f, "TTFT Early Stopping Result:\n%s\nTPOT Early Stopping Result:\n%s\n",
                ttft, tpot);
    }
    fprintf(f, "\n%s\nAdditional Stats\n%s\n", RULER, RULER);
    sc->summary_stats(f, r);
    summary_token_stats(f, e, r);
    fprintf(f, "\n%s\nTest Parameters Used\n%s\n", RULER, RULER);
    fprintf(f, "samples_per_query : %llu\n", (unsigned long long)e->samples_per_query);
    fprintf(f, "target_qps : %g\n", e->target_qps);
    if (e->token_mode) {
        fprintf(f, "ttft_latency (ns): %lld\n", (long long)e->ttft_latency_ns);
        fprintf(f, "tpot_latency (ns): %lld\n", (long long)e->tpot_latency_ns);
    } else {
        fprintf(f, "target_latency (ns): %lld\n", (long long)e->target_latency_ns);
    }
    fprintf(f, "max_async_queries : %llu\n", (unsigned long long)e->max_async_queries);
    fprintf(f, "min_duration (ms): %llu\n", (unsigned long long)e->min_duration_ms);
    fprintf(f, "max_duration (ms): %llu\n", (unsigned long long)e->max_duration_ms);
    fprintf(f, "min_query_count : %llu\n", (unsigned long long)e->min_query_count);
    fprintf(f, "max_query_count : %llu\n", (unsigned long long)e->max_query_count);
    fprintf(f, "qsl_rng_seed : %llu\n", (unsigned long long)s->qsl_rng_seed);
    fprintf(f, "sample_index_rng_seed : %llu\n", (unsigned long long)s->sample_index_rng_seed);
    fprintf(f, "schedule_rng_seed : %llu\n", (unsigned long long)s->schedule_rng_seed);
    fprintf(f, "accuracy_log_rng_seed : %llu\n", (unsigned long long)s->accuracy_log_rng_seed);
    fprintf(f, "accuracy_log_probability : %g\n", s->accuracy_log_probability);
    fprintf(f, "accuracy_log_sampling_target : %llu\n",
            (unsigned long long)s->accuracy_log_sampling_target);
    fprintf(f, "print_timestamps : %d\n", s->print_timestamps);
    fprintf(f, "performance_issue_unique : %d\n", s->performance_issue_unique);
    fprintf(f, "performance_issue_same : %d\n", s->performance_issue_same);
    fprintf(f, "performance_issue_same_index : %llu\n",
            (unsigned long long)s->performance_issue_same_index);
    fprintf(f, "performance_sample_count : %llu\n",
            (unsigned long long)e->performance_sample_count);
    fprintf(f, "accuracy_sample_count : %llu\n", (unsigned long long)e->accuracy_sample_count);
    summary_trailer(f, r->warnings_logged, r->errors_logged);
}

/* ---------------------------------------------------------------- detail log */

typedef struct detail {
    lg__kv kv;       /* first: the scenario's entries come in through it */
    int64_t kv_time; /* the time of the entries written through kv */
    FILE *f;
    lg__test *t;
    long pid, tid;
    uint64_t errors;
} detail;

/* Starts one ":::MLLOG" entry; the caller prints the value, then detail_end(). */
static void detail_begin(detail *d, const char *key)
{
    fputs(":::MLLOG {\"key\": ", d->f);
    lg__json_string(d->f, key);
    fputs(", \"value\": ", d->f);
}

static void detail_end_at(detail *d, int64_t time_ns, int kind, const char *file, int line)
{
    int64_t rel = time_ns - d->t->test_start_ns;
    if (rel < 0)
        rel = 0;
    fprintf(d->f,
            ", \"time_ms\": %lld.%06lld, \"namespace\": \"mlperf::logging\", "
            "\"event_type\": \"POINT_IN_TIME\", \"metadata\": {\"is_error\": %s, "
            "\"is_warning\": %s, \"file\": \"%s\", \"line_no\": %d, "
            "\"pid\": %ld, \"tid\": %ld}}\n",
            (long long)(rel / 1000000), (long long)(rel % 1000000),
            kind == 1 ? "true" : "false", kind == 2 ? "true" : "false", file, line, d->pid,
            d->tid);
    if (kind == 1)
        d->errors++;
}

static void detail_end(detail *d, int64_t time_ns, int kind, int line)
{
    detail_end_at(d, time_ns, kind, __FILE__, line);
}

#define D_STR(d, k, v, tm) (detail_begin(d, k), lg__json_string((d)->f, v), \
                            detail_end(d, tm, 0, __LINE__))
#define D_I64(d, k, v, tm) (detail_begin(d, k), fprintf((d)->f, "%lld", (long long)(v)), \
                            detail_end(d, tm, 0, __LINE__))
#define D_U64(d, k, v, tm) (detail_begin(d, k), \
                            fprintf((d)->f, "%llu", (unsigned long long)(v)), \
                            detail_end(d, tm, 0, __LINE__))
#define D_DBL(d, k, v, tm) (detail_begin(d, k), json_double((d)->f, v), \
                            detail_end(d, tm, 0, __LINE__))
#define D_BOOL(d, k, v, tm) (detail_begin(d, k), fputs((v) ? "true" : "false", (d)->f), \
                             detail_end(d, tm, 0, __LINE__))

/* The lg__kv sink of a detail log: one entry each, with the caller's file and line. */
static void kv_i64(lg__kv *kv, const char *key, int64_t v, const char *file, int line)
{
    detail *d = (detail *)kv;
    detail_begin(d, key);
    fprintf(d->f, "%lld", (long long)v);
    detail_end_at(d, d->kv_time, 0, file, line);
}

static void kv_u64(lg__kv *kv, const char *key, uint64_t v, const char *file, int line)
{
    detail *d = (detail *)kv;
    detail_begin(d, key);
    fprintf(d->f, "%llu", (unsigned long long)v);
    detail_end_at(d, d->kv_time, 0, file, line);
}

static void kv_dbl(lg__kv *kv, const char *key, double v, const char *file, int line)
{
    detail *d = (detail *)kv;
    detail_begin(d, key);
    json_double(d->f, v);
    detail_end_at(d, d->kv_time, 0, file, line);
}

static void kv_flag(lg__kv *kv, const char *key, bool v, const char *file, int line)
{
    detail *d = (detail *)kv;
    detail_begin(d, key);
    fputs(v ? "true" : "false", d->f);
    detail_end_at(d, d->kv_time, 0, file, line);
}

static void iso_time(char *buf, size_t len, int64_t wall, bool utc, bool frac)
{
    time_t secs = (time_t)(wall / 1000000000);
    struct tm tm;
    if (utc)
        gmtime_r(&secs, &tm);
    else
        localtime_r(&secs, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac)
        snprintf(buf + n, len - n, ".%06lld", (long long)(wall % 1000000000 / 1000));
    else
        snprintf(buf + n, len - n, "Z");
}

static void power_time(char *buf, size_t len, int64_t wall)
{
    time_t secs = (time_t)(wall / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, len, "%m-%d-%Y %H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03lld", (long long)(wall % 1000000000 / 1000000));
}

static void detail_settings(detail *d, int64_t tm)
{
    const lg_settings *s = d->t->req;
    const lg__eff *e = &d->t->eff;
    /* The requested_* lines: the settings table's logged rows for this scenario. */
    unsigned bit = LG_SCENARIO_BIT(s->scenario);
    for (size_t i = 0; i < LG__NFIELDS; i++) {
        const lg__field *fd = &lg__fields[i];
        if (!fd->log || !(fd->log_scen & bit) || (fd->log_token_mode && !s->use_token_latencies))
            continue;
        char key[96];
        snprintf(key, sizeof key, "requested_%s", fd->log);
        double v = lg__field_value(s, i);
        switch (fd->ft) {
        case LG__FT_SCEN: D_STR(d, key, lg_scenario_name(s->scenario), tm); break;
        case LG__FT_MODE: D_STR(d, key, lg_mode_name(s->mode), tm); break;
        case LG__FT_F64: D_DBL(d, key, v, tm); break;
        case LG__FT_I64: D_I64(d, key, *(const int64_t *)((const char *)s + fd->off), tm);
            break;
        case LG__FT_U64: D_U64(d, key, *(const uint64_t *)((const char *)s + fd->off), tm);
            break;
        case LG__FT_BOOL: D_BOOL(d, key, v != 0, tm); break;
        case LG__FT_ARRIVAL: D_STR(d, key, lg_arrival_name(s->arrival), tm); break;
        }
    }

    D_STR(d, "effective_scenario", lg_scenario_name(e->scenario), tm);
    D_STR(d, "effective_test_mode", lg_mode_name(e->mode), tm);
#define EFF(m) e->m
#define REQ(m) s->m
#define LOG_U64(k, v) D_U64(d, k, v, tm)
#define LOG_I64(k, v) D_I64(d, k, v, tm)
#define LOG_DBL(k, v) D_DBL(d, k, v, tm)
#define LOG_BOOL(k, v) D_BOOL(d, k, v, tm)
#define X(key, type, src, rd) LOG_##type("effective_" key, src);
    LG_RESULTS_SETTINGS(X)
#undef X
#undef LOG_U64
#undef LOG_I64
#undef LOG_DBL
#undef LOG_BOOL
#undef EFF
#undef REQ
}

static void detail_pass_block(detail *d, const lg__pass *p, int64_t tm)
{
    detail_begin(d, "loaded_qsl_set");
    fputc('[', d->f);
    for (uint64_t i = 0; i < p->nloaded; i++)
        fprintf(d->f, i ? ",%llu" : "%llu", (unsigned long long)p->loaded[i]);
    fputc(']', d->f);
    detail_end(d, tm, 0, __LINE__);
    D_U64(d, "generated_query_count", p->queries, tm);
    D_U64(d, "generated_samples_per_query", d->t->eff.samples_per_query, tm);
    D_I64(d, "generated_query_duration", p->end_issue_ns - p->start_ns, tm);
}

static void detail_stats(detail *d, const char *prefix, const char *suffix,
                         const lg_latency_stats *s, int64_t tm)
{
    char key[128];
    int64_t v[6];
    pct_values(s, v);
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "%s%s_percentile_%s", prefix, PCT_LABELS[i], suffix);
        D_I64(d, key, v[i], tm);
    }
}

/* MLPerf's token lines, in its order, then the inferred ones; then ours. */
static void detail_tokens(detail *d, const lg_results *r, int64_t tm)
{
    const lg__eff *e = &d->t->eff;
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    const lg_token_results *k = &r->tokens;
    if (e->token_mode && sc->needs_first_token) {
        D_I64(d, "result_first_token_min_latency_ns", k->ttft.min_ns, tm);
        D_I64(d, "result_first_token_max_latency_ns", k->ttft.max_ns, tm);
        D_I64(d, "result_first_token_mean_latency_ns", k->ttft.mean_ns, tm);
        detail_stats(d, "result_first_token_", "latency_ns", &k->ttft, tm);
        D_DBL(d, "result_token_throughput_with_loadgen_overhead",
              k->tokens_per_sec_with_loadgen_overhead, tm);
        /* MLPerf divides by the mean latency in ns, not s: its value is tokens per ns.
         * Kept as MLPerf writes it; results.json has the per-second figure. */
        D_DBL(d, "result_token_throughput", k->tokens_per_sec_without_loadgen_overhead / 1e9,
              tm);
        detail_stats(d, "result_time_per_output_token_", "ns", &k->tpot, tm);
        /* MLPerf's names: "time to output token" holding TPOT's min, max and mean. */
        D_I64(d, "result_time_to_output_token_min", k->tpot.min_ns, tm);
        D_I64(d, "result_time_to_output_token_max", k->tpot.max_ns, tm);
        D_I64(d, "result_time_to_output_token_mean", k->tpot.mean_ns, tm);
        D_DBL(d, "result_completed_tokens_per_second", k->completed_tokens_per_sec, tm);
    } else if (e->token_mode) {
        /* Where no first token is needed (Offline), MLPerf logs only tokens/s. */
        D_DBL(d, "result_tokens_per_second", k->tokens_per_sec, tm);
    }
    if (e->infer_tokens && sc->inferred_key)
        D_DBL(d, sc->inferred_key, k->inferred_tokens_per_sec, tm);
    if (!k->applies)
        return;
    /* Ours. */
    D_U64(d, "result_output_tokens", k->output_tokens, tm);
    D_DBL(d, "result_output_tokens_per_second", k->output_tokens_per_sec, tm);
    D_I64(d, "result_first_token_from_send_mean_latency_ns", k->ttft_from_send.mean_ns, tm);
    D_I64(d, "result_first_token_from_send_99.00_percentile_latency_ns",
          k->ttft_from_send.p99_ns, tm);
    D_I64(d, "result_from_send_99.00_percentile_latency_ns", k->latency_from_send.p99_ns,
          tm);
    if (k->slo_applies) {
        D_U64(d, "result_good_requests", k->good_requests, tm);
        D_DBL(d, "result_request_goodput", k->request_goodput, tm);
        D_DBL(d, "result_token_goodput", k->token_goodput, tm);
    }
}

static void detail_results(detail *d, const lg_results *r, int64_t tm)
{
    const lg__eff *e = &d->t->eff;
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    unsigned why = r->invalid_reasons;
    D_STR(d, "result_validity", r->valid ? "VALID" : "INVALID", tm);
    if (sc->perf_constraint)
        D_BOOL(d, "result_perf_constraints_met", !(why & LG_INVALID_PERF_CONSTRAINT), tm);
    D_BOOL(d, "result_min_duration_met", !(why & LG_INVALID_MIN_DURATION), tm);
    D_BOOL(d, "result_min_queries_met", !(why & LG_INVALID_MIN_QUERIES), tm);
    D_BOOL(d, "early_stopping_met", r->early_stopping.met, tm);
    if (!r->valid) {
        const char *items[16];
        char store[16][160];
        int n = recommendations(e, r, items, 16, store);
        char reason[2048] = "";
        size_t len = 0;
        for (int i = 0; i < n && len < sizeof reason; i++)
            len += (size_t)snprintf(reason + len, sizeof reason - len, "%s ", items[i]);
        for (char *c = reason; *c; c++)
            if (*c == '\n')
                *c = ' ';
        D_STR(d, "result_invalid_reason", reason, tm);
    }
    char es[1024];
    if (!e->token_mode) {
        lg__early_stopping_text(e, &r->early_stopping, es, sizeof es, true);
        D_STR(d, "early_stopping_result", es, tm);
    } else {
        lg__early_stopping_text(e, &r->tokens.ttft_early_stopping, es, sizeof es, true);
        D_STR(d, "early_stopping_ttft_result", es, tm);
        lg__early_stopping_text(e, &r->tokens.tpot_early_stopping, es, sizeof es, true);
        D_STR(d, "early_stopping_tpot_result", es, tm);
    }
    D_U64(d, "result_query_count", r->queries_issued, tm);
    d->kv_time = tm;
    sc->detail_results(&d->kv, r);
    D_I64(d, "result_min_latency_ns", r->latency.min_ns, tm);
    D_I64(d, "result_max_latency_ns", r->latency.max_ns, tm);
    D_I64(d, "result_mean_latency_ns", r->latency.mean_ns, tm);
    detail_stats(d, "result_", "latency_ns", &r->latency, tm);
    detail_tokens(d, r, tm);
    /* Ours: counts MLPerf has no key for. */
    D_U64(d, "result_samples_issued", r->samples_issued, tm);
    D_U64(d, "result_samples_completed", r->samples_completed, tm);
    D_U64(d, "result_samples_failed", r->samples_failed, tm);
    D_U64(d, "result_samples_timed_out", r->samples_timed_out, tm);
    D_U64(d, "result_duplicate_completions", r->duplicate_completions, tm);
    D_U64(d, "result_unknown_completions", r->unknown_completions, tm);
    D_U64(d, "result_warmup_queries", r->warmup_queries, tm);
    if (r->record_hdr) {
        D_STR(d, "result_recording", "hdr", tm);
        D_U64(d, "result_recording_significant_digits", e->hdr_digits, tm);
        D_DBL(d, "result_recording_relative_error", r->record_relative_error, tm);
    }
    D_I64(d, "result_issue_lag_mean_ns", r->issue_lag.mean_ns, tm);
    D_I64(d, "result_issue_lag_99.00_percentile_ns", r->issue_lag.p99_ns, tm);
    D_I64(d, "result_issue_lag_max_ns", r->issue_lag.max_ns, tm);
}

static void write_detail(FILE *f, lg__test *t, lg__pass *acc, lg__pass *perf,
                         const lg_results *r)
{
    detail dd = {.kv = {kv_i64, kv_u64, kv_dbl, kv_flag}, .f = f, .t = t, .pid = (long)getpid(), .tid = (long)syscall(SYS_gettid)};
    detail *d = &dd;
    int64_t t0 = t->test_start_ns;
    char buf[64], vers[64];
    snprintf(vers, sizeof vers, "%s @ %s", lg_version(),
             *lg_build_commit() ? lg_build_commit() : "NA");
    D_STR(d, "loadgen_version", vers, t0);
    D_STR(d, "loadgen_build_date_local", LG_BUILD_DATE, t0);
    D_STR(d, "loadgen_build_date_utc", LG_BUILD_DATE, t0);
    D_STR(d, "loadgen_git_commit_date",
          *lg__build_commit_date() ? lg__build_commit_date() : "NA", t0);
    D_STR(d, "loadgen_git_log_message", "NA", t0);
    D_STR(d, "loadgen_git_status_message", "NA", t0);
    detail_begin(d, "loadgen_file_sha1");
    fputs("{}", f);
    detail_end(d, t0, 0, __LINE__);
    iso_time(buf, sizeof buf, t->test_start_wall_ns, false, false);
    D_STR(d, "test_datetime", buf, t0);
    D_STR(d, "sut_name", t->sut->name ? t->sut->name : "", t0);
    D_I64(d, "get_sut_name_duration_ns", t->sut_name_ns, t0);
    D_STR(d, "qsl_name", t->qsl->name ? t->qsl->name : "", t0);
    D_U64(d, "qsl_reported_total_count", t->qsl->total_sample_count, t0);
    D_U64(d, "qsl_reported_performance_count", t->qsl->performance_sample_count, t0);
    detail_settings(d, t0);

    for (size_t i = 0; i < t->nevents; i++) {
        const lg__event *ev = &t->events[i];
        detail_begin(d, ev->key);
        lg__json_string(f, ev->text);
        detail_end_at(d, ev->time_ns, ev->kind, ev->file, ev->line);
        if (!strcmp(ev->key, "generic_message")) {
            if (acc && !strcmp(ev->text, "Starting accuracy mode"))
                detail_pass_block(d, acc, ev->time_ns);
            if (perf && !strcmp(ev->text, "Starting performance mode"))
                detail_pass_block(d, perf, ev->time_ns);
        }
        if (perf && ev->perf_block)
            detail_pass_block(d, perf, ev->time_ns);
    }
    int64_t tm = lg__now_ns();
    static const char *logger_keys[] = {
        "logger_swap_request_slots_retry_count",
        "logger_swap_request_slots_retry_retry_count",
        "logger_swap_request_slots_retry_reencounter_count",
        "logger_start_reading_entries_retry_count", "logger_tls_total_log_cas_fail_count",
        "logger_tls_total_swap_buffers_slot_retry_count"};
    /* Kept for tools that look for them: this LoadGen logs after the run, so these
     * counters of MLPerf's asynchronous logger are always 0. */
    for (size_t i = 0; i < sizeof logger_keys / sizeof logger_keys[0]; i++)
        D_U64(d, logger_keys[i], 0, tm);
    const lg__pass *last = perf ? perf : acc;
    if (last) {
        power_time(buf, sizeof buf, last->start_wall_ns);
        D_STR(d, "power_begin", buf, tm);
        power_time(buf, sizeof buf, last->start_wall_ns + (last->end_ns - last->start_ns));
        D_STR(d, "power_end", buf, tm);
    }
    if (perf) {
        detail_results(d, r, tm);
        D_U64(d, "num_errors", d->errors, tm);
    }
}

/* ---------------------------------------------------------------- accuracy log */

/* Sorts a list of logged responses by seq: a merge sort of the list itself, so that
 * writing the accuracy log needs no memory however many responses there are (an
 * allocation here could fail after an accuracy pass that used most of it). */
static lg__acc *sort_acc(lg__acc *list)
{
    size_t width = 1;
    for (;;) {
        lg__acc *p = list, *head = NULL, **tail = &head;
        size_t merges = 0;
        while (p) {
            merges++;
            lg__acc *q = p;
            size_t psize = 0, qsize = width;
            while (psize < width && q) {
                psize++;
                q = q->next;
            }
            while (psize > 0 || (qsize > 0 && q)) {
                lg__acc *e;
                if (psize == 0 || (qsize > 0 && q && q->seq < p->seq)) {
                    e = q;
                    q = q->next;
                    qsize--;
                } else {
                    e = p;
                    p = p->next;
                    psize--;
                }
                *tail = e;
                tail = &e->next;
            }
            p = q;
        }
        *tail = NULL;
        list = head;
        if (merges <= 1)
            return list;
        width *= 2;
    }
}

static void write_hex(FILE *f, const unsigned char *data, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t k = 0; k < size; k++) {
        fputc(hex[data[k] >> 4], f);
        fputc(hex[data[k] & 15], f);
    }
}

/* What an entry holds beyond MLPerf's seq_id, qsl_idx and data: in token mode the
 * response's n_tokens ("token_count"), and where a first token is needed (not Offline)
 * the first token's data before it ("token_data"; "" when the SUT sent none). */
enum { ACC_PLAIN, ACC_COUNT, ACC_TOKEN_DATA };

/* The entries of a pass: its responses sorted by seq, each with its first token's data
 * (a second list, sorted alike and walked beside it). */
static void write_accuracy_entries(FILE *f, lg__pass *p, uint64_t base, int kind, bool *first)
{
    p->acc_list = sort_acc(p->acc_list);
    p->tok_acc_list = sort_acc(p->tok_acc_list);
    const lg__acc *tk = p->tok_acc_list;
    for (const lg__acc *a = p->acc_list; a; a = a->next) {
        fprintf(f, "%s\n{ \"seq_id\" : %llu, \"qsl_idx\" : %llu, \"data\" : \"",
                *first ? "" : ",", (unsigned long long)(base + a->seq),
                (unsigned long long)a->index);
        write_hex(f, a->data, a->size);
        fputc('"', f);
        if (kind == ACC_TOKEN_DATA) {
            while (tk && tk->seq < a->seq)
                tk = tk->next;
            fputs(", \"token_data\" : \"", f);
            if (tk && tk->seq == a->seq)
                write_hex(f, tk->data, tk->size);
            fputc('"', f);
        }
        if (kind != ACC_PLAIN)
            fprintf(f, ", \"token_count\" : %lld", (long long)a->n_tokens);
        fputs(" }", f);
        *first = false;
    }
}

static void write_accuracy(FILE *f, const lg__eff *e, lg__pass *acc, lg__pass *perf)
{
    bool first = true;
    int kind = !e->token_mode ? ACC_PLAIN
               : lg__scenario(e->scenario)->needs_first_token ? ACC_TOKEN_DATA
                                                              : ACC_COUNT;
    fputc('[', f);
    if (acc)
        write_accuracy_entries(f, acc, 0, kind, &first);
    if (perf)
        write_accuracy_entries(f, perf, acc ? acc->store.count : 0, kind, &first);
    fputs("\n]\n", f);
}

/* ---------------------------------------------------------------- samples.bin */

/* samples.bin, version 2 (loadgen/samples.c defines the layout, docs/logs.md documents
 * it): the header, then the records in blocks of LG_SAMPLES_BLOCK_RECORDS, or of 256
 * from the stack when the 300 KB for those cannot be had (the file is still written). */
enum { SMALL_BLOCK = 256 };

/* A record's token fields, from the pass's start (0 stays "none"; a time that falls on
 * the start itself is written 1 ns later, so that it is not taken for none). */
static void token_fields(lg_sample_record *out, const lg__tok *tk, bool done, int64_t start)
{
    int64_t first = atomic_load_explicit(&tk->first_ns, memory_order_relaxed);
    if (first) {
        out->first_token_ns = first - start;
        out->first_token_ns += out->first_token_ns == 0;
    }
    if (done && tk->sent_ns) {
        out->sent_ns = tk->sent_ns - start;
        out->sent_ns += out->sent_ns == 0;
    }
    out->n_tokens = done ? tk->n_tokens : 0;
}
static void write_samples(FILE *f, const lg__test *t, const lg__pass *p)
{
    size_t per = LG_SAMPLES_BLOCK_RECORDS;
    lg_sample_record small_rec[SMALL_BLOCK];
    unsigned char small_buf[LG_SAMPLES_BLOCK_MAX_BYTES(SMALL_BLOCK)];
    lg_sample_record *rec = malloc(per * sizeof *rec);
    unsigned char *buf = malloc(LG_SAMPLES_BLOCK_MAX_BYTES(per));
    if (!rec || !buf) {
        free(rec);
        free(buf);
        rec = small_rec;
        buf = small_buf;
        per = SMALL_BLOCK;
    }
    lg_samples_header h = {.version = LG_SAMPLES_VERSION, .record_size = 0,
                           .count = p->store.count,
                           .samples_per_query = t->eff.samples_per_query,
                           .start_ns = p->start_ns, .scenario = (uint32_t)t->eff.scenario,
                           .mode = (uint32_t)p->mode, .block_records = (uint32_t)per};
    unsigned char hdr[LG_SAMPLES_HEADER_BYTES];
    lg_samples_header_encode(&h, hdr);
    fwrite(hdr, sizeof hdr, 1, f);
    size_t nb = 0;
    bool offline = lg__scenario(t->eff.scenario)->one_query; /* no schedule */
    for (uint64_t s = 0; s < p->store.count; s++) {
        const lg__rec *r = lg__store_at(&p->store, s);
        int64_t c = atomic_load_explicit(&r->completed_ns, memory_order_relaxed);
        int64_t issued = atomic_load_explicit(&r->issued_ns, memory_order_relaxed);
        rec[nb] = (lg_sample_record){
            .scheduled_ns = offline ? 0 : r->scheduled_ns - p->start_ns,
            .issued_ns = offline ? 0 : issued - p->start_ns,
            .completed_ns = c > 0 ? c - p->start_ns : -1,
            .index = r->index,
            .status = c > 0 ? r->status : 0,
        };
        if (p->store.tchunks)
            token_fields(&rec[nb], lg__store_tok_at(&p->store, s), c > 0, p->start_ns);
        nb++;
        if (nb == per || s + 1 == p->store.count) {
            fwrite(buf, lg_samples_block_encode(rec, nb, buf), 1, f);
            nb = 0;
        }
    }
    if (rec != small_rec) {
        free(rec);
        free(buf);
    }
}

/* ---------------------------------------------------------------- results.json */

/* A latency object, `indent` spaces in. */
static void json_stats_at(FILE *f, int indent, const char *name, const lg_latency_stats *s)
{
    fprintf(f, "%*s\"%s\": {\"count\": %llu", indent, "", name, (unsigned long long)s->count);
#define X(key, member) fprintf(f, ", \"" key "\": %lld", (long long)s->member);
    LG_RESULTS_LATENCY(X)
#undef X
    fputs("},\n", f);
}

static void json_stats(FILE *f, const char *name, const lg_latency_stats *s)
{
    json_stats_at(f, 2, name, s);
}

/* What was run: the build's commit, the caller's notes (command line, SUT and QSL
 * parameters, config files) and every setting as requested, by its table name. */
static void write_provenance(FILE *f, const lg__test *t)
{
    fputs(",\n  \"provenance\": {\"loadgen_commit\": ", f);
    lg__json_string(f, lg_build_commit());
    /* The compliance test's audit config, when one overrode the settings. */
    fputs(", \"audit_config\": ", f);
    if (t->log && t->log->audit_config)
        lg__json_string(f, t->log->audit_config);
    else
        fputs("null", f);
    fputs(", \"notes\": {", f);
    for (size_t i = 0; t->log && i < t->log->nnotes; i++) {
        const lg_note *n = &t->log->notes[i];
        fputs(i ? ", " : "", f);
        lg__json_string(f, n->key ? n->key : "");
        fputs(": ", f);
        lg__json_string(f, n->value ? n->value : "");
    }
    fputs("},\n    \"requested_settings\": {", f);
    const lg_settings *s = t->req;
    for (size_t i = 0; i < LG__NFIELDS; i++) {
        const lg__field *fd = &lg__fields[i];
        fprintf(f, "%s\"%s\": ", i ? ", " : "", fd->name);
        char text[64];
        lg_settings_field_format(s, i, text, sizeof text);
        if (fd->ft == LG__FT_SCEN || fd->ft == LG__FT_MODE || fd->ft == LG__FT_ARRIVAL)
            lg__json_string(f, text);
        else if (fd->ft == LG__FT_F64)
            json_double_full(f, lg__field_value(s, i));
        else
            fputs(text, f); /* integers in full, true/false */
    }
    fputs("}}", f);
}

/* One "key": value of a results.json object, after *sep (then ", "). */
static void json_key(FILE *f, const char **sep, const char *key)
{
    fprintf(f, "%s\"%s\": ", *sep, key);
    *sep = ", ";
}
static void json_field_U64(FILE *f, const char **sep, const char *key, uint64_t v)
{
    json_key(f, sep, key);
    fprintf(f, "%llu", (unsigned long long)v);
}
static void json_field_I64(FILE *f, const char **sep, const char *key, int64_t v)
{
    json_key(f, sep, key);
    fprintf(f, "%lld", (long long)v);
}
static void json_field_DBL(FILE *f, const char **sep, const char *key, double v)
{
    json_key(f, sep, key);
    json_double_full(f, v);
}
static void json_field_BOOL(FILE *f, const char **sep, const char *key, bool v)
{
    json_key(f, sep, key);
    fputs(v ? "true" : "false", f);
}

static void json_early_stopping(FILE *f, const lg_early_stopping *es)
{
    const char *sep = "";
    fputc('{', f);
#define X(key, type, member) json_field_##type(f, &sep, key, es->member);
    LG_RESULTS_EARLY_STOPPING(X)
#undef X
    fputc('}', f);
}

/* The definitions a run's token figures follow, by name (docs/tokens.md compares them
 * with other tools'). */
static void json_token_definitions(FILE *f, const lg__eff *e)
{
    fputs("    \"definitions\": {\"ttft\": \"MLPerf: first token - scheduled time\", "
          "\"tpot\": ", f);
    fputs(e->token_mode ? "\"MLPerf: (latency - ttft) / (n_tokens - 1), integer division; "
                          "n_tokens < 2 divides by -1\""
                        : "\"MLPerf: (latency - ttft) / (n_tokens - 1), integer division; "
                          "only n_tokens >= 2\"", f);
    fputs(", \"ttft_from_send\": \"first token - sent_ns, else the issue time\", "
          "\"latency_from_send\": \"completion - sent_ns, else the issue time\", "
          "\"goodput\": \"completed OK and every SLO set holds (from the scheduled "
          "time; 1-token TPOT = 0), per second of the run\"},\n", f);
}

/* "tokens": the token figures, their definitions and settings. */
static void write_results_tokens(FILE *f, const lg__eff *e, const lg_token_results *k)
{
    fputs("  \"tokens\": {", f);
    const char *sep = "";
#define X(key, type, member) json_field_##type(f, &sep, key, k->member);
    LG_RESULTS_TOKENS(X)
#undef X
    fputs(", \"count_source\": ", f);
    lg__json_string(f, k->count_source ? k->count_source : "none");
    fputs(",\n", f);
    json_token_definitions(f, e);
#define X(key, member) json_stats_at(f, 4, key, &k->member);
    LG_RESULTS_TOKEN_LATENCIES(X)
#undef X
#define X(key, member) (fputs("    \"" key "\": ", f), json_early_stopping(f, &k->member), \
                        fputs(",\n", f));
    LG_RESULTS_TOKEN_EARLY_STOPPING(X)
#undef X
    fputs("    \"settings\": {", f);
    sep = "";
#define X(key, type, member) json_field_##type(f, &sep, key, e->member);
    LG_RESULTS_TOKEN_SETTINGS(X)
#undef X
    fputs("}},\n", f);
}

/* "arrival": the Server arrival pattern, its parameters, and whether it lets the run be
 * MLPerf-valid (only Poisson does), with the sentence that says why not. */
static void write_results_arrival(FILE *f, const lg_settings *s)
{
    const char *why;
    bool ok = lg_arrival_mlperf_valid(s, &why);
    fputs("  \"arrival\": {\"pattern\": ", f);
    lg__json_string(f, lg_arrival_name(s->arrival));
    fprintf(f, ", \"mlperf_valid\": %s, \"statement\": ", ok ? "true" : "false");
    lg__json_string(f, ok ? "the arrival pattern allows an MLPerf-valid run" : why);
    if (s->arrival != LG_ARRIVAL_STAGES && s->arrival != LG_ARRIVAL_TRACE) {
        fputs(s->arrival == LG_ARRIVAL_RAMP ? ", \"end_qps\": " : ", \"rate_qps\": ", f);
        json_double_full(f, s->server_target_qps);
    }
    switch (s->arrival) {
    case LG_ARRIVAL_GAMMA:
        fputs(", \"burstiness\": ", f);
        json_double_full(f, s->arrival_burstiness);
        fputs(", \"gap_cv\": ", f);
        json_double_full(f, 1.0 / sqrt(s->arrival_burstiness));
        break;
    case LG_ARRIVAL_RAMP:
    case LG_ARRIVAL_STAGES:
        fputs(", \"start_qps\": ", f);
        json_double_full(f, s->arrival_start_qps);
        if (s->arrival == LG_ARRIVAL_RAMP)
            fprintf(f, ", \"ramp_duration_ms\": %llu", (unsigned long long)s->min_duration_ms);
        for (uint64_t i = 0; s->arrival == LG_ARRIVAL_STAGES && i < s->arrival_stage_count;
             i++) {
            fprintf(f, "%s{\"duration_ns\": %lld, \"target_qps\": ", i ? ", " : ", \"stages\": [",
                    (long long)s->arrival_stages[i].duration_ns);
            json_double_full(f, s->arrival_stages[i].target_qps);
            fputs(i + 1 == s->arrival_stage_count ? "}]" : "}", f);
        }
        break;
    case LG_ARRIVAL_TRACE:
        fprintf(f, ", \"trace_queries\": %llu, \"trace_span_ns\": %lld, \"trace_speed\": ",
                (unsigned long long)s->arrival_trace_count,
                (long long)(s->arrival_trace_count
                                ? s->arrival_trace_ns[s->arrival_trace_count - 1] : 0));
        json_double_full(f, s->arrival_trace_speed);
        break;
    default:
        break;
    }
    fputs("},\n", f);
}

static void write_results_json(FILE *f, const lg__test *t, const lg_results *r,
                               const lg__pass *perf, const lg__pass *acc)
{
    const lg__eff *e = &t->eff;
    const lg_settings *s = t->req;
    char buf[64];
    fputs("{\n  \"schema\": \"loadgen-results\",\n  \"schema_version\": 1,\n", f);
    fprintf(f, "  \"loadgen_version\": \"%s\",\n", lg_version());
    const lg__pass *any = perf ? perf : acc;
    iso_time(buf, sizeof buf, any ? any->start_wall_ns : t->test_start_wall_ns, true, false);
    fprintf(f, "  \"start_time_utc\": \"%s\",\n", buf);
    fputs("  \"sut_name\": ", f);
    lg__json_string(f, t->sut->name);
    fputs(",\n  \"qsl_name\": ", f);
    lg__json_string(f, t->qsl->name);
    /* Whether samples.bin belongs to this folder: results.json is written after it, so
     * a reader can tell a run without one from a run whose file went missing. */
    fprintf(f, ",\n  \"samples_file\": %s",
            t->log && t->log->write_samples && (perf || acc) && !(perf && perf->hdr)
                ? "true" : "false");
    /* The machine the test ran on (read now, after the test: nothing on the hot path). */
    lg_environment env;
    lg_environment_get(&env);
    fputs(",\n  \"environment\": {\"cpu_model\": ", f);
    lg__json_string(f, env.cpu_model);
    fprintf(f, ", \"cores\": %ld, \"kernel\": ", env.cores);
    lg__json_string(f, env.kernel);
    fputs(", \"hostname\": ", f);
    lg__json_string(f, env.hostname);
    fputs(", \"compiler\": ", f);
    lg__json_string(f, env.compiler);
    fputc('}', f);
    write_provenance(f, t);
    fprintf(f, ",\n  \"scenario\": \"%s\",\n  \"mode\": \"%s\",\n  \"result_mode\": \"%s\",\n",
            lg_scenario_name(e->scenario), lg_mode_name(e->mode), lg_mode_name(r->mode));
    fprintf(f, "  \"valid\": %s,\n  \"aborted\": %s,\n  \"invalid_reasons\": [",
            r->valid ? "true" : "false", r->aborted ? "true" : "false");
    bool first = true;
#define X(code, flag)                                                                         \
    if (r->invalid_reasons & (flag)) {                                                        \
        fprintf(f, "%s\n    {\"code\": \"" code "\", \"text\": ", first ? "" : ",");           \
        lg__json_string(f, lg_invalid_reason_text(flag));                                     \
        fputc('}', f);                                                                        \
        first = false;                                                                        \
    }
    LG_RESULTS_REASONS(X)
#undef X
    fprintf(f, "%s],\n", first ? "" : "\n  ");
    write_results_arrival(f, s);
    /* How the figures were recorded (docs/hdr.md): exact records, or record_hdr's
     * histograms with the bound of their percentiles' relative error. */
    fprintf(f, "  \"recording\": \"%s\",\n  \"recording_relative_error\": ",
            r->record_hdr ? "hdr" : "exact");
    json_double_full(f, r->record_relative_error);
    fprintf(f, ",\n  \"hdr_significant_digits\": %u,\n", r->record_hdr ? e->hdr_digits : 0);
    /* The most memory the performance pass's recording held at once: its record chunks
     * (all of them for an exact pass; the most alive at once for record_hdr) and
     * record_hdr's per-thread histograms. */
    uint64_t rec_bytes = 0;
    if (perf) {
        uint64_t chunks = perf->hdr ? atomic_load(&perf->hdr_peak_chunks) : perf->store.nchunks;
        rec_bytes = chunks * LG__CHUNK_RECS * sizeof(lg__rec);
        for (const lg__hrec *h = atomic_load(&((lg__pass *)perf)->hdr_recs); h; h = h->next)
            rec_bytes += sizeof *h + h->lat.nbuckets * 8 + h->lag.nbuckets * 8;
    }
    fprintf(f, "  \"recording_peak_bytes\": %llu,\n", (unsigned long long)rec_bytes);
    fputs("  \"metric\": {\"name\": ", f);
    lg__json_string(f, r->metric_name ? r->metric_name : "");
    fputs(", \"unit\": ", f);
    lg__json_string(f, r->metric_unit ? r->metric_unit : "");
    fputs(", \"value\": ", f);
    json_double_full(f, r->metric);
    fputs("},\n", f);
    fputs("  \"counts\": {", f);
    const char *sep = "";
#define X(key, member)                                                                        \
    fprintf(f, "%s\"" key "\": %llu", sep, (unsigned long long)r->member);                     \
    sep = ", ";
    LG_RESULTS_COUNTS(X)
#undef X
    fputs("},\n", f);
    json_stats(f, "latency_ns", &r->latency);
    if (lg__scenario(e->scenario)->per_query)
        json_stats(f, "query_latency_ns", &r->query_latency);
    json_stats(f, "issue_lag_ns", &r->issue_lag);
    const lg_early_stopping *es = &r->early_stopping;
    fputs("  \"early_stopping\": {", f);
    sep = "";
#define X(key, type, member) json_field_##type(f, &sep, key, es->member);
    LG_RESULTS_EARLY_STOPPING(X)
#undef X
    fputs("},\n  \"throughput\": {", f);
    sep = "";
#define X(key, member) json_field_DBL(f, &sep, key, r->member);
    LG_RESULTS_THROUGHPUT(X)
#undef X
    fputs("},\n  \"durations_ns\": {", f);
    sep = "";
#define X(key, member) json_field_I64(f, &sep, key, r->member);
    LG_RESULTS_DURATIONS(X)
#undef X
    fprintf(f, "},\n  \"overlatency_count\": %llu,\n", (unsigned long long)r->overlatency_count);
    write_results_tokens(f, e, &r->tokens);
    lg__peak_json(f, t);
    fputs("  \"settings\": {", f);
    sep = "";
#define EFF(m) e->m
#define REQ(m) s->m
#define X(key, type, src, rd) json_field_##type(f, &sep, key, src);
    LG_RESULTS_SETTINGS(X)
#undef X
#undef EFF
#undef REQ
    fputs("}\n}\n", f);
}

/* ---------------------------------------------------------------- entry point */

/* One error entry for `count` samples with MLPerf's text, as MLPerf logs one per
 * sample. */
static void token_error(lg__test *t, uint64_t count, const char *text)
{
    if (count)
        lg__event_add(t, 1, "error_runtime", __FILE__, __LINE__, "%s. count: %llu", text,
                      (unsigned long long)count);
}

/* The token problems: lg_first_token's always (they make the run INVALID); in token mode
 * the token counts MLPerf refuses and, where it needs them, missing first tokens, with
 * MLPerf's texts. */
static void add_token_events(lg__test *t, const lg_results *r)
{
    const lg_token_results *k = &r->tokens;
    token_error(t, k->first_token_duplicates, "Attempted to record a first token twice");
    token_error(t, k->first_token_unknown, "Received first tokens for ids that were never "
                "issued");
    token_error(t, k->first_token_late,
                "Attempted to record token latency after sample was completed");
    if (k->first_tokens_ignored)
        lg__event_add(t, 2, "warning_generic_message", __FILE__, __LINE__,
                      "First tokens were reported but the test records none "
                      "(use_token_latencies or an SLO turns it on). count: %llu",
                      (unsigned long long)k->first_tokens_ignored);
    if (!k->mlperf)
        return;
    token_error(t, k->n_tokens_zero,
                "n_tokens argument missing or attempted to record 0 as number of tokens");
    token_error(t, k->n_tokens_negative, "Attempted to record a negative number of tokens");
    token_error(t, k->n_tokens_one, "Number of tokens need to be greater than 1");
    if (lg__scenario(r->scenario)->needs_first_token)
        token_error(t, k->missing_first_token,
                    "Attempted to record a sample latency before it's first token latency");
}

/* Turns the counted problems of the run into error entries, as MLPerf logs them. */
static void add_result_events(lg__test *t, const lg_results *r)
{
    if (r->duplicate_completions)
        lg__event_add(t, 1, "error_runtime", __FILE__, __LINE__,
                      "Attempted to complete a sample twice. count: %llu",
                      (unsigned long long)r->duplicate_completions);
    if (r->unknown_completions)
        lg__event_add(t, 1, "error_runtime", __FILE__, __LINE__,
                      "Completed ids that were never issued. count: %llu",
                      (unsigned long long)r->unknown_completions);
    if (r->late_completions)
        lg__event_add(t, 2, "warning_generic_message", __FILE__, __LINE__,
                      "Completions arrived after their sample timed out. count: %llu",
                      (unsigned long long)r->late_completions);
    if (r->samples_failed)
        lg__event_add(t, 1, "error_runtime", __FILE__, __LINE__,
                      "The SUT reported %llu failed samples",
                      (unsigned long long)r->samples_failed);
    add_token_events(t, r);
}

int lg__outdir_check(const lg_log_settings *log)
{
    if (!log || !log->outdir || !*log->outdir)
        return 0;
    if (mkdir_p(log->outdir)) {
        lg__set_error("could not create the folder %s: %s", log->outdir, strerror(errno));
        return LG_EIO;
    }
    char probe[4200];
    int n = snprintf(probe, sizeof probe, "%s/.loadgen-probe.%ld", log->outdir,
                     (long)getpid());
    if (n < 0 || (size_t)n >= sizeof probe) {
        lg__set_error("the output folder's path is longer than %zu bytes: %.80s...",
                      sizeof probe - 64, log->outdir);
        return LG_EIO;
    }
    FILE *f = fopen(probe, "w");
    if (!f) {
        lg__set_error("cannot write in the output folder %s: %s", log->outdir,
                      strerror(errno));
        return LG_EIO;
    }
    fclose(f);
    unlink(probe);
    return 0;
}

int lg__log_name_parts(const lg_log_settings *log, int64_t wall_ns, char *prefix,
                       size_t len, const char **suffix)
{
    const char *pre = log->prefix ? log->prefix : "mlperf_log_";
    *suffix = log->suffix ? log->suffix : "";
    for (const char *c = *suffix; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("-_.+", *c)) {
            lg__set_error("lg_log_settings.suffix '%s': only letters, digits, '-', '_', "
                          "'.' and '+' may go in a file name suffix", *suffix);
            return LG_EINVAL;
        }
    char stamp[64] = "";
    if (log->prefix_with_datetime) {
        iso_time(stamp, sizeof stamp - 1, wall_ns, false, false);
        strcat(stamp, "_");
    }
    int n = snprintf(prefix, len, "%s%s", pre, stamp);
    if (n < 0 || (size_t)n >= len) {
        lg__set_error("lg_log_settings.prefix is longer than %zu bytes", len - 64);
        return LG_EINVAL;
    }
    return 0;
}

/* The files whose presence means outdir holds a run (a folder of the same name does not
 * count): results.json and samples.bin carry no prefix or suffix (so two runs with
 * different prefixes would still collide), the logs do. */
int lg__outdir_unused(const lg_log_settings *log, const char *prefix)
{
    if (!log || !log->outdir || !*log->outdir || log->overwrite)
        return 0;
    const char *suffix = log->suffix ? log->suffix : "";
    static const struct {
        bool prefixed;
        const char *stem, *ext;
    } marks[] = {{false, "results", ".json"}, {true, "summary", ".txt"},
                 {true, "detail", ".txt"}, {true, "accuracy", ".json"},
                 {false, "samples", ".bin"}};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        char path[4200];
        const char *pre = marks[i].prefixed ? prefix : "";
        const char *suf = marks[i].prefixed ? suffix : "";
        int n = snprintf(path, sizeof path, "%s/%s%s%s%s", log->outdir, pre, marks[i].stem,
                         suf, marks[i].ext);
        struct stat st;
        if (n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
            lg__set_error("%s has a run's files (%s%s%s%s), which are never overwritten: "
                          "choose another folder, remove them, or set "
                          "lg_log_settings.overwrite", log->outdir, pre, marks[i].stem, suf,
                          marks[i].ext);
            return LG_EEXIST;
        }
    }
    return 0;
}

int lg__write_logs(lg__test *t, lg__pass *acc, lg__pass *perf, lg_results *r)
{
    add_result_events(t, r);
    r->errors_logged = 0;
    r->warnings_logged = 0;
    for (size_t i = 0; i < t->nevents; i++) {
        r->errors_logged += t->events[i].kind == 1;
        r->warnings_logged += t->events[i].kind == 2;
    }
    const lg_log_settings *log = t->log;
    if (!log || !log->outdir || !*log->outdir)
        return 0;
    /* The folder was checked before the run; it may have gone since. */
    if (lg__outdir_check(log))
        return LG_EIO;
    int rc = 0;
    outfile o;
    const char *dir = log->outdir, *pre = t->log_prefix, *suf = t->log_suffix;
    if (out_open(&o, dir, pre, "detail", suf, ".txt") == 0) {
        write_detail(o.f, t, acc, perf, r);
        rc |= out_close(&o);
        if (log->copy_detail_to_stdout) {
            write_detail(stdout, t, acc, perf, r);
            fflush(stdout);
        }
    } else {
        rc = LG_EIO;
    }
    if (out_open(&o, dir, pre, "summary", suf, ".txt") == 0) {
        write_summary(o.f, t, r, perf != NULL);
        rc |= out_close(&o);
        if (log->copy_summary_to_stdout) {
            write_summary(stdout, t, r, perf != NULL);
            fflush(stdout);
        }
    } else {
        rc = LG_EIO;
    }
    if (out_open(&o, dir, pre, "accuracy", suf, ".json") == 0) {
        write_accuracy(o.f, &t->eff, acc, perf);
        rc |= out_close(&o);
    } else {
        rc = LG_EIO;
    }
    const lg__pass *sp = perf ? perf : acc;
    /* A record_hdr pass keeps no records to write (docs/hdr.md). */
    if (log->write_samples && sp && !sp->hdr) {
        if (out_open(&o, dir, "", "samples", "", ".bin") == 0) {
            write_samples(o.f, t, sp);
            rc |= out_close(&o);
        } else {
            rc = LG_EIO;
        }
    }
    /* results.json last: it is the mark of a complete run folder, so a process killed
     * while writing the files above leaves a folder that says it is incomplete. */
    if (out_open(&o, dir, "", "results", "", ".json") == 0) {
        write_results_json(o.f, t, r, perf, acc);
        rc |= out_close(&o);
    } else {
        rc = LG_EIO;
    }
    return rc ? LG_EIO : 0;
}
