/* report/validate.h: one run validated: the LoadGen's verdict, sample sizes, intervals
 * of the latency percentiles and of throughput, outliers, warm-up and stability, then a
 * verdict and recommendations; the validation as JSON; one run explained in plain words.
 * Part of the report library
 * (report/report.h; its conventions apply). docs/reports.md. */
#ifndef REPORT_VALIDATE_H
#define REPORT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"
#include "report/run.h"
#include "stats/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==================================================================================== */
/* Validating one run                                                                   */
/* ==================================================================================== */

typedef enum rpt_verdict {
    RPT_TRUSTWORTHY = 0,
    RPT_USABLE_WITH_CAVEATS = 1,
    RPT_NOT_TRUSTWORTHY = 2,
} rpt_verdict;

/* "trustworthy", "usable with caveats", "not trustworthy". */
const char *rpt_verdict_name(rpt_verdict v);

/* The outcome of one check. */
typedef enum rpt_status {
    RPT_PASS = 0,
    RPT_WARN = 1,   /* a caveat */
    RPT_FAIL = 2,   /* makes the run not trustworthy */
    RPT_SKIP = 3,   /* not assessed (not applicable, or too little data) */
} rpt_status;

/* "pass", "warn", "fail", "skipped". */
const char *rpt_status_name(rpt_status s);

typedef struct rpt_validate_opts {
    double confidence;       /* of every interval; default 0.95 */
    size_t resamples;        /* block bootstrap resamples, >= 100; default 1000 (reduced
                                for very long runs so one percentile costs at most about
                                5e7 sample visits, never below 200) */
    unsigned long seed;      /* default 1 */
    size_t block_len;        /* bootstrap block, samples; 0 = chosen from the data */
    unsigned throughput_windows; /* batch-means windows for the throughput CI; default 20 */
    double alpha;            /* level of the warm-up test; default 0.05 */
    double warmup_fraction;  /* share of the run tested as warm-up; default 0.10 */
    unsigned warmup_windows; /* windows over the whole run; default 50 */
    double warmup_tolerance; /* relative change that counts; default 0.10 */
    unsigned stability_windows; /* windows over the whole run; default 10 */
    unsigned stability_last;    /* the last k windows checked; default 3 */
    double stability_tolerance; /* allowed deviation from their mean; default 0.10 */
} rpt_validate_opts;

void rpt_validate_opts_default(rpt_validate_opts *o);

/* An estimate with its confidence interval. */
typedef struct rpt_interval {
    double estimate, lo, hi;
} rpt_interval;

/* Identifiers of the checks, in the order they appear in rpt_validation.checks. */
typedef enum rpt_check_id {
    RPT_CHECK_VALIDITY = 0,    /* the LoadGen's own VALID/INVALID verdict */
    RPT_CHECK_SAMPLE_SIZE = 1, /* enough queries for the target percentile */
    RPT_CHECK_PRECISION = 2,   /* width of the intervals */
    RPT_CHECK_OUTLIERS = 3,    /* Tukey / MAD counts */
    RPT_CHECK_WARMUP = 4,      /* early windows against the rest */
    RPT_CHECK_STABILITY = 5,   /* the last k windows */
    RPT_CHECK_COUNT = 6,
} rpt_check_id;

/* "validity", "sample_size", "precision", "outliers", "warmup", "stability". */
const char *rpt_check_name(rpt_check_id id);

#define RPT_TEXT_MAX 400
#define RPT_RECS_MAX 12

typedef struct rpt_check {
    rpt_status status;
    char finding[RPT_TEXT_MAX]; /* one or two plain sentences with numbers and units */
} rpt_check;

/* Everything rpt_validate() found. Latencies are ns, throughputs 1/s. */
typedef struct rpt_validation {
    rpt_verdict verdict;
    lg_scenario scenario;
    bool valid;                /* the LoadGen's verdict */
    bool per_query;            /* latencies are per query (MultiStream) */
    uint64_t queries;          /* queries issued */
    size_t latencies;          /* successful latencies analysed */
    double percentile;         /* the scenario's target percentile */
    double duration_ms;        /* the run, start to last completion */

    /* Sample sizes for `percentile` at 99% confidence (stats_sample_sizes). */
    stats_sample_sizes_result sizes;
    /* The queries early stopping needs for this run: h(1) + 1 (SingleStream,
     * MultiStream; = sizes.early_stopping_min), h(t) + t for Server's t over the bound,
     * 0 for Offline. */
    uint64_t early_stopping_needed;

    /* Latency intervals (MLPerf's rule for the estimate, moving-block bootstrap,
     * percentile interval) and the block length / resamples used. latency_ci false
     * when there were too few latencies (< 20) or no samples.bin. */
    bool latency_ci;
    rpt_interval p50_ns, p90_ns, p99_ns, target_ns;
    size_t block_len;
    size_t resamples;
    size_t correlation_lag;    /* first lag (power of two) with autocorrelation < 0.05;
                                  0 when none was found below n / 10 */
    /* Throughput: batch means over time windows of the run. */
    bool throughput_ci;
    rpt_interval throughput;
    unsigned throughput_windows;
    double confidence;
    /* "moving-block bootstrap ..." and "batch means ...": the methods, in words. */
    char latency_method[320];
    char throughput_method[320];

    /* Outliers among the latencies (nothing removed). */
    bool outliers_done;
    stats_outliers_result outliers;

    /* Warm-up: windows of the first warmup_fraction against the rest. */
    struct {
        bool latency;          /* true: per-window median latency; false: throughput */
        unsigned warm_windows, rest_windows;
        double window_ms;
        double warm_median;    /* median of the warm-up windows' values */
        double rest_median;    /* median of the other windows' values */
        double change;         /* warm_median / rest_median - 1 */
        double p;              /* Mann-Whitney p, warm windows against the rest */
    } warmup;

    /* Stability: the last k of the stability windows. */
    struct {
        unsigned windows, last;
        double window_ms;
        double tolerance;
        double throughput_mean;     /* 1/s, over the last k windows */
        double throughput_dev;      /* largest |w - mean| / mean */
        double throughput_floor;    /* counting-noise floor, fraction (see docs) */
        bool latency;               /* the latency part was assessed */
        double latency_percentile;  /* 0.99, 0.90 or 0.50: what the windows can resolve */
        double latency_mean;        /* ns */
        double latency_dev;
        double latency_floor;
    } stability;

    rpt_check checks[RPT_CHECK_COUNT];

    /* Plain-words recommendations naming the flag to change; most important first. */
    size_t n_recommendations;
    char recommendations[RPT_RECS_MAX][RPT_TEXT_MAX];
} rpt_validation;

/*
 * Validates one run: the LoadGen's verdict, sample sizes for the target percentile
 * (the classic rule and early stopping's minimum), intervals of p50/p90/p99 and of the
 * target percentile (moving-block bootstrap, since latencies within a run are
 * correlated) and of throughput (batch means over time windows), outlier counts (Tukey
 * and MAD), a warm-up check and a stability check, then a verdict and
 * recommendations. docs/reports.md explains every rule.
 *
 *  run   a loaded run; read only. Without samples.bin only the validity and sample-size
 *        checks are made (the others are RPT_SKIP).
 *  opts  NULL for the defaults.
 *  out   caller-owned (about 6 KB), fully overwritten on success.
 *
 * Returns 0; LG_EINVAL for NULL pointers or options out of range; LG_ENOMEM.
 * Cost: about 4 x resamples x n operations for the latency intervals.
 * Thread safety: reentrant.
 */
int rpt_validate(const rpt_run *run, const rpt_validate_opts *opts, rpt_validation *out);

/*
 * The validation as JSON, schema "loadgen-validate" version 1 (docs/reports.md).
 *  dir  the run's folder as shown (may be NULL).
 *  out  receives a NUL-terminated string to release with free().
 * Returns 0 or LG_ENOMEM.
 */
int rpt_validation_json(const rpt_validation *v, const char *dir, char **out);

/* ==================================================================================== */
/* One run explained in plain words                                                     */
/* ==================================================================================== */

typedef enum rpt_explain_format {
    RPT_EXPLAIN_TEXT = 0,     /* plain text, wrapped at 78 columns */
    RPT_EXPLAIN_MARKDOWN = 1, /* Markdown: headings, paragraphs, lists */
} rpt_explain_format;

/*
 * One run explained in plain words (`loadgen explain`, docs/reports.md): what was run
 * (scenario, SUT, the settings that matter, duration, counts; the HTTP client, a
 * non-Poisson arrival pattern), what each headline figure means (the metric, the latency
 * percentiles measured from the scheduled time, issue lag, early stopping, TTFT/TPOT,
 * accuracy), the verdict with every INVALID reason and its numbers, a peak search when
 * results.json holds one, and what to change, computed from the run's numbers. Reads
 * DIR/results.json only.
 *
 *  dir     the run's folder.
 *  format  RPT_EXPLAIN_TEXT or RPT_EXPLAIN_MARKDOWN.
 *  out     receives a NUL-terminated text to release with free().
 *  err     a one-line message on failure naming the folder or file (may be NULL).
 *
 * Returns 0; LG_EIO when dir is not a folder or results.json cannot be read; LG_EINVAL
 * for a NULL argument, an unknown format or a damaged results.json; LG_ENOMEM.
 * Thread safety: reentrant.
 */
int rpt_explain(const char *dir, rpt_explain_format format, char **out, char *err,
                size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* REPORT_VALIDATE_H */
