/* report.h: analysis of finished runs: read a run folder back (results.json, samples.bin),
 * validate one run, summarise repetitions, compare two sets of results, build the
 * performance report (a section/block document rendered to Markdown or HTML), and the
 * formatters that print their numbers. docs/reports.md. The framework object that runs a
 * model through every scenario is harness/harness.h. */
#ifndef REPORT_REPORT_H
#define REPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "loadgen/loadgen.h"
#include "stats/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions of this module (prefix rpt_, "report"):
 *  - Functions return 0 or a negative LG_E* code (loadgen.h): LG_EINVAL for bad input
 *    (a malformed file, an out-of-range option), LG_EIO for a file that cannot be read
 *    or written, LG_ENOMEM. Functions that read files take `err, errlen`: on failure
 *    they write one English line naming the file (and line) and the problem there
 *    (err may be NULL). Nothing here prints, exits or keeps a pointer it was given.
 *  - Objects are opaque handles made by _create/_load and freed by _destroy, which
 *    accepts NULL. Plain result structs are caller-owned and filled by the call.
 *  - Units: times and latencies are nanoseconds (double or int64_t, `_ns` in the name),
 *    rates are per second ("1/s"), fractions are fractions (0.05 = 5%).
 *  - Thread safety: a handle may be used by one thread at a time; distinct handles may
 *    be used concurrently. Handles are read only after loading, so several threads
 *    may read one handle at once.
 *  - Random resampling (bootstraps) is seeded from the options: the same inputs and
 *    options always give the same numbers.
 */

/* ==================================================================================== */
/* One run, read back from its folder                                                   */
/* ==================================================================================== */

/* One record of samples.bin (docs/logs.md): times in ns from the pass start. */
typedef struct rpt_sample {
    int64_t scheduled_ns; /* Offline: 0 */
    int64_t issued_ns;    /* Offline: 0 */
    int64_t completed_ns; /* -1 when the sample never completed */
    uint32_t index;       /* QSL index */
    int32_t status;       /* 0 = success */
} rpt_sample;

/* A token run's fields of a samples.bin record (version 3): times in ns from the pass
 * start. */
typedef struct rpt_token_sample {
    int64_t first_token_ns; /* 0 = no first token */
    int64_t n_tokens;       /* 0 = not reported */
    int64_t sent_ns;        /* 0 = unknown */
} rpt_token_sample;

/* A machine: the one a run ran on (rpt_run_info.environment, from results.json) or the
 * one a report is made on (rpt_environment_get). Strings are "unknown" when not
 * available. */
typedef struct rpt_environment {
    char cpu_model[128];     /* /proc/cpuinfo "model name" */
    long cores;              /* online processors */
    char kernel[256];        /* uname: sysname release machine */
    char compiler[128];      /* the compiler that built the library (__VERSION__) */
    char library_version[32];/* lg_version() */
    char date_utc[32];       /* "YYYY-MM-DD HH:MM:SS UTC": now, or the run's start */
    char hostname[80];
} rpt_environment;

/* What results.json says about a run (schema loadgen-results 1, docs/logs.md). Every
 * pointer points into the rpt_run and lives as long as it. */
typedef struct rpt_run_info {
    const char *dir;             /* the folder as given to rpt_run_load() */
    const char *sut_name;
    const char *qsl_name;
    const char *loadgen_version;
    const char *start_time_utc;  /* "YYYY-MM-DDTHH:MM:SSZ" */
    /* Every figure of results.json; metric_name and metric_unit point into the run.
     * Fields results.json does not hold (reserved) are 0. */
    lg_results results;
    /* The effective settings ("settings" object). */
    double target_qps;                /* 1/s */
    int64_t target_latency_ns;        /* Server bound, else 0 */
    double target_latency_percentile; /* fraction */
    uint64_t min_duration_ms;
    uint64_t max_duration_ms;
    uint64_t min_query_count;
    uint64_t max_query_count;
    uint64_t max_async_queries;
    /* Seeds. A seed above 2^63 - 1 cannot be read exactly by the JSON reader: the file
     * is then read with every integer as a double and such seeds are approximate. */
    uint64_t qsl_rng_seed;
    uint64_t sample_index_rng_seed;
    uint64_t schedule_rng_seed;
    int64_t sample_timeout_ns;
    bool has_samples; /* samples.bin was present and read */
    /* The machine the run ran on ("environment" object; library_version and date_utc
     * from loadgen_version and start_time_utc). Files written before the object existed
     * lack it: has_environment is then false and environment all "unknown". */
    bool has_environment;
    rpt_environment environment;
} rpt_run_info;

typedef struct rpt_run rpt_run;

/* One line of what a run was ("provenance" in results.json): a note of the program that
 * made it ("command_line", "sut.workers", "config.1.sha256", ...) or a requested
 * setting ("settings.server_target_qps"), as text. */
typedef struct rpt_note {
    const char *key;
    const char *value;
} rpt_note;

/* The run's provenance lines in the file's order (notes, then the requested settings);
 * *n receives their number (0 for files written before provenance existed). Valid while
 * the run lives. */
const rpt_note *rpt_run_provenance(const rpt_run *run, size_t *n);

/* One line whose value differs between two runs: a's and b's value ("(none)" when a run
 * lacks the line). */
typedef struct rpt_difference {
    const char *key;
    const char *a, *b;
} rpt_difference;

/*
 * What differs between two runs' provenance, in a's order then b's extra lines: every
 * line but the command line (which names the output folder). With ignore_seeds, the
 * seeds (settings.*_rng_seed, sut.seed) are left out: repetitions differ in them by
 * design. *out receives an array to free() (its strings belong to the runs), *n its
 * length. Returns 0 or LG_ENOMEM (LG_EINVAL for a NULL argument).
 */
int rpt_run_differences(const rpt_run *a, const rpt_run *b, bool ignore_seeds,
                        rpt_difference **out, size_t *n);

/*
 * Reads DIR/results.json and, when present, DIR/samples.bin.
 *
 *  dir     the run's folder; copied.
 *  out     receives the run; free it with rpt_run_destroy().
 *  err     receives a one-line message on failure (may be NULL); errlen its size.
 *
 * Returns 0; LG_EIO when results.json cannot be read; LG_EINVAL when it is not a
 * loadgen-results document of schema version 1, when samples.bin (version 1 or 2) is
 * malformed or damaged (the message names the byte where: bad magic or version, a
 * length that does not match its record count, a block whose checksum or numbers are
 * wrong), or
 * when the two files disagree on the sample count; LG_ENOMEM. A missing samples.bin is
 * not an error (info.has_samples is false).
 * Thread safety: reentrant.
 */
int rpt_run_load(const char *dir, rpt_run **out, char *err, size_t errlen);

/* As rpt_run_load, without samples.bin: results.json alone (the figures, the settings,
 * the environment and the provenance), fast whatever the run's size. has_samples is
 * false; the analyses that need samples have none. */
int rpt_run_load_results(const char *dir, rpt_run **out, char *err, size_t errlen);

/* Frees a run. Accepts NULL. */
void rpt_run_destroy(rpt_run *run);

/* The run's figures; valid until rpt_run_destroy(). Never NULL for a loaded run. */
const rpt_run_info *rpt_run_get_info(const rpt_run *run);

/* The records of samples.bin in issue order; *n receives their count (0 without
 * samples.bin). Valid until rpt_run_destroy(). */
const rpt_sample *rpt_run_samples(const rpt_run *run, size_t *n);

/* The token fields of samples.bin's records, beside rpt_run_samples' (same order and
 * count), or NULL with *n 0 when no record has any (a run without tokens, or a file
 * older than version 3). Valid until rpt_run_destroy(). */
const rpt_token_sample *rpt_run_token_samples(const rpt_run *run, size_t *n);

/* ==================================================================================== */
/* Result sets: a single run folder or a folder of repetitions                         */
/* ==================================================================================== */

typedef enum rpt_set_kind {
    RPT_SET_SINGLE_RUN = 0,  /* DIR holds results.json */
    RPT_SET_REPETITIONS = 1, /* DIR holds rep-1/, rep-2/, ... each with results.json */
} rpt_set_kind;

typedef struct rpt_set rpt_set;

/*
 * Loads a result folder: a single run (DIR/results.json) or a repetition set written by
 * `loadgen run --repeat N` (subfolders rep-1, rep-2, ..., in number order; other
 * entries are ignored).
 *
 *  dir  the folder; copied.  out: the set, freed with rpt_set_destroy().
 *  err  one-line message on failure (may be NULL).
 *
 * Returns 0; LG_EIO when dir is not a readable folder or holds neither results.json nor
 * a rep-N subfolder; the errors of rpt_run_load() for each run (the message names the
 * run's folder); LG_ENOMEM.
 */
int rpt_set_load(const char *dir, rpt_set **out, char *err, size_t errlen);

/* Frees a set and its runs. Accepts NULL. */
void rpt_set_destroy(rpt_set *set);

rpt_set_kind rpt_set_get_kind(const rpt_set *set);
const char *rpt_set_dir(const rpt_set *set);    /* as given; valid while the set lives */
size_t rpt_set_count(const rpt_set *set);       /* runs, >= 1 */
/* Run i (0-based) of the set, or NULL when i >= count. Owned by the set. */
const rpt_run *rpt_set_run(const rpt_set *set, size_t i);

/* ==================================================================================== */
/* Metrics: named series of values, the input of comparisons and summaries             */
/* ==================================================================================== */

/* Which way is better for a metric. */
typedef enum rpt_direction {
    RPT_LOWER_IS_BETTER = 0,  /* latencies, times */
    RPT_HIGHER_IS_BETTER = 1, /* throughputs */
} rpt_direction;

/* Where the values of a metric set came from. */
typedef enum rpt_values_kind {
    /* One value per repetition (per-run summaries): the right unit for the tests. */
    RPT_VALUES_PER_RUN = 0,
    /* One value per time batch of a single run (batch means): values within one run,
     * roughly independent when the batches are long; blind to run-to-run variation. */
    RPT_VALUES_PER_BATCH = 1,
    /* One value per line of a text file. */
    RPT_VALUES_FILE = 2,
} rpt_values_kind;

/* Longest metric name, unit and count of metrics in a set. */
#define RPT_NAME_MAX 32
#define RPT_UNIT_MAX 8
#define RPT_METRICS_MAX 8

/* One metric of a set: name (e.g. "throughput", "latency_p99", "value"), unit ("1/s",
 * "ns", "" for plain files), direction and the values. */
typedef struct rpt_metric {
    char name[RPT_NAME_MAX];
    char unit[RPT_UNIT_MAX];
    rpt_direction direction;
    const double *values; /* owned by the metric set */
    size_t n;
} rpt_metric;

typedef struct rpt_metrics rpt_metrics;

/*
 * The metrics of a result set. A repetition set gives one value per run:
 *   throughput (1/s, higher is better): Server completed samples/s, Offline samples/s,
 *     SingleStream QPS with loadgen overhead, MultiStream completed samples / duration;
 *   latency_mean, latency_p50, latency_p90, latency_p99 (ns, lower is better; MLPerf's
 *     percentile rule; per query for MultiStream, per sample otherwise; not for Offline,
 *     whose "latency" is the time since the start).
 * A single run gives the same metrics per batch: latencies split into `batches`
 * contiguous batches in issue order, throughput into `batches` equal time windows from
 * the pass start to the last completion (completions in the window / its width). The
 * batch count is reduced so each batch holds at least 20 latencies. Needs samples.bin.
 *
 *  set      a loaded set; read only.
 *  batches  for a single run: 2 .. 1000, or 0 for 20.
 *  out      the metrics; free with rpt_metrics_destroy().
 *
 * Returns 0; LG_EINVAL for a single run without samples.bin, with fewer than 40
 * successful samples, or a batch count out of range (message in err); LG_ENOMEM.
 */
int rpt_metrics_from_set(const rpt_set *set, unsigned batches, rpt_metrics **out, char *err,
                         size_t errlen);

/*
 * Reads a plain text file of one number per line into one metric named "value"
 * (unit "", direction as given). Blank lines and lines starting with '#' are skipped;
 * spaces around a number are allowed.
 *
 * Returns 0; LG_EIO when the file cannot be read; LG_EINVAL, with a message naming the
 * file and the line, for a line that is not a number ("data.txt:3: 'abc' is not a
 * number"), a NaN or infinite value, an empty file or a single value (at least 2 are
 * needed); LG_ENOMEM.
 */
int rpt_metrics_from_file(const char *path, rpt_direction direction, rpt_metrics **out,
                          char *err, size_t errlen);

/*
 * Loads what `loadgen compare` accepts: a folder (rpt_set_load, then
 * rpt_metrics_from_set with `batches`) or a plain text file (rpt_metrics_from_file with
 * `file_direction`). Errors as those functions.
 */
int rpt_metrics_load(const char *path, unsigned batches, rpt_direction file_direction,
                     rpt_metrics **out, char *err, size_t errlen);

/* Frees a metric set. Accepts NULL. */
void rpt_metrics_destroy(rpt_metrics *m);

rpt_values_kind rpt_metrics_kind(const rpt_metrics *m);
const char *rpt_metrics_source(const rpt_metrics *m); /* the path it was loaded from */
/* The scenario of the runs; false for a plain file. */
bool rpt_metrics_scenario(const rpt_metrics *m, lg_scenario *out);
size_t rpt_metrics_count(const rpt_metrics *m);
/* Metric i (0-based) or NULL; valid while m lives. */
const rpt_metric *rpt_metrics_get(const rpt_metrics *m, size_t i);
/* The metric with this name, or NULL. */
const rpt_metric *rpt_metrics_find(const rpt_metrics *m, const char *name);

/* Summary of one metric across its values (e.g. across repetitions). */
typedef struct rpt_summary {
    size_t n;
    double mean, median, sd, min, max; /* in the metric's unit; sd divisor n - 1 */
    double cv;                         /* sd / |mean|, a fraction; NaN for n < 2 */
    /* t interval of the mean (stats_ci_mean_t) at `confidence`; NaN for n < 2. */
    double ci_lo, ci_hi;
    double confidence;
} rpt_summary;

/*
 * Describes one metric: mean, median, SD, CV, min, max and the t interval of the mean.
 * Returns 0, LG_EINVAL for NULL pointers, n == 0 or confidence outside (0, 1),
 * LG_ENOMEM.
 */
int rpt_metric_summarize(const rpt_metric *metric, double confidence, rpt_summary *out);

/*
 * Writes the summary of a repetition set (every metric: values, mean, median, SD, CV,
 * min, max, t interval of the mean) as JSON, schema "loadgen-repetitions" version 1
 * (docs/reports.md), to `path` (written under a temporary name and renamed).
 * Works for a single run too (one value per metric; SD and interval null).
 * Returns 0, LG_EINVAL, LG_EIO (message in err), LG_ENOMEM.
 */
int rpt_set_write_summary(const rpt_set *set, double confidence, const char *path, char *err,
                          size_t errlen);

/* ==================================================================================== */
/* Comparing two sets of values                                                         */
/* ==================================================================================== */

/* The verdict for one metric, criterion.rs's rule (docs/statistics.md section 12). */
typedef enum rpt_change {
    RPT_NO_CHANGE = 0,     /* "no significant change": Welch p >= alpha */
    RPT_WITHIN_NOISE = 1,  /* "change within noise threshold": significant, but the CI of
                              the relative change reaches into [-noise, +noise] */
    RPT_IMPROVED = 2,      /* significant and the whole CI beyond the noise, better way */
    RPT_REGRESSED = 3,     /* significant and the whole CI beyond the noise, worse way */
} rpt_change;

/* "no significant change", "change within noise threshold", "improved", "regressed". */
const char *rpt_change_name(rpt_change c);
/* The JSON spelling: "no_change", "within_noise", "improved", "regressed". */
const char *rpt_change_id(rpt_change c);

typedef struct rpt_compare_opts {
    double alpha;      /* significance level in (0, 1); default 0.05 */
    double noise;      /* noise threshold on the relative change, >= 0; default 0.02 */
    /* Confidence of the intervals in (0, 1); 0 = 1 - alpha (the default). */
    double confidence;
    size_t resamples;  /* bootstrap resamples of the ratio CI, >= 100; default 10000 */
    unsigned long seed;/* bootstrap seed; default 1 */
    unsigned batches;  /* batches for single runs (rpt_metrics_from_set); default 20 */
    rpt_direction file_direction; /* for plain number files; default lower is better */
    /* The bootstrap's work limit in resampled values, resamples x (n_a + n_b); 0 = the
     * default, 2e8 (a few seconds). Above it the resamples are reduced to fit, down to
     * 2000; when even 2000 do not fit (n_a + n_b > 100,000 by default) the interval is
     * the normal approximation of the ratio (delta method), which such samples justify.
     * rpt_metric_cmp.interval says which was used. */
    double max_draws;
    /* Called from the calling thread at each stage of long work, with its name ("Welch
     * t-test", "Mann-Whitney U", "bootstrap") and the fraction done in [0, 1]; NULL for
     * none. For progress displays: it must not call back into this module. */
    void (*progress)(void *ctx, const char *stage, double fraction);
    void *progress_ctx;
} rpt_compare_opts;

void rpt_compare_opts_default(rpt_compare_opts *o);

/* How the interval of the ratio of means was made. */
typedef enum rpt_interval_method {
    RPT_INTERVAL_NONE = 0,        /* none (the baseline mean is 0) */
    RPT_INTERVAL_BCA = 1,         /* bootstrap, BCa */
    RPT_INTERVAL_PERCENTILE = 2,  /* bootstrap, percentile (BCa undefined: no spread) */
    RPT_INTERVAL_NORMAL = 3,      /* normal approximation, delta method (large samples) */
    RPT_INTERVAL_WELCH = 4,       /* Welch's interval of the difference over mean(A) */
} rpt_interval_method;

/* "bootstrap_bca", "bootstrap_percentile", "normal_delta", "welch", "none". */
const char *rpt_interval_method_id(rpt_interval_method m);

/* One side of a comparison. */
typedef struct rpt_side {
    size_t n;
    double mean, sd, median, min, max, cv;
} rpt_side;

/*
 * The comparison of one metric, B (the candidate) against A (the baseline). Every
 * statistic is oriented "B against A": positive t, d and change mean B is larger.
 */
typedef struct rpt_metric_cmp {
    char name[RPT_NAME_MAX];
    char unit[RPT_UNIT_MAX];
    rpt_direction direction;
    rpt_side a, b;
    /* Welch's t-test of mean(B) - mean(A): t, Welch-Satterthwaite df, two-sided p. */
    double welch_t, welch_df, welch_p;
    /* Mann-Whitney U of B (pairs with b > a, ties half) and its two-sided p. */
    double mw_u, mw_p;
    bool mw_exact;
    double cohens_d;   /* (mean_B - mean_A) / pooled SD; not finite without spread */
    double hedges_g;   /* d with the small-sample correction */
    /* mean(B) / mean(A) and its bootstrap CI (BCa, or percentile when BCa is undefined);
     * NaN when mean(A) is 0. */
    double ratio, ratio_lo, ratio_hi;
    /* The relative change ratio - 1 and its CI (0.03 = B is 3% larger). */
    double change, change_lo, change_hi;
    /* How the CI was made, with the resamples used (0 unless a bootstrap) and one
     * sentence for readers ("bootstrap BCa, 10000 resamples", or why it is another
     * method). */
    rpt_interval_method interval;
    size_t interval_resamples;
    char interval_text[160];
    double confidence;  /* of the intervals */
    bool significant;   /* welch_p < alpha */
    rpt_change verdict;
    bool few_values;    /* fewer than 9 values on a side (Google Benchmark's advice) */
    /* Empty, or one sentence worth reading (the two tests disagree, a constant side). */
    char note[200];
} rpt_metric_cmp;

/*
 * Compares two samples of one metric: describes both, runs Welch's t-test and
 * Mann-Whitney U, computes Cohen's d, Hedges' g and the ratio of means with its
 * bootstrap CI, and applies the verdict rule: not significant (Welch p >= alpha) ->
 * RPT_NO_CHANGE; significant and the whole CI of the change above +noise or below
 * -noise -> improved or regressed according to `direction`; otherwise
 * RPT_WITHIN_NOISE.
 *
 *  a, n_a     baseline values (n_a >= 2, finite); read only.
 *  b, n_b     candidate values (n_b >= 2, finite); read only.
 *  name, unit copied (truncated to RPT_NAME_MAX / RPT_UNIT_MAX - 1); may be NULL.
 *  opts       NULL for the defaults.
 *  out        caller-owned, fully overwritten on success.
 *
 * Returns 0; LG_EINVAL for a NULL array or out, n < 2, a non-finite value, values whose
 * mean or spread overflows a double (near 1e308: rpt_compare names the file), or
 * options out of range; LG_ENOMEM. Cost: O(min(resamples (n_a + n_b), max_draws)) for
 * the bootstrap, O(n log n) for the tests.
 * Thread safety: reentrant.
 */
int rpt_compare_values(const double *a, size_t n_a, const double *b, size_t n_b,
                       const char *name, const char *unit, rpt_direction direction,
                       const rpt_compare_opts *opts, rpt_metric_cmp *out);

typedef struct rpt_comparison rpt_comparison;

/*
 * Compares every metric present in both sets (matched by name, in A's order).
 * A and B must be of the same kind (two repetition sets, two single runs, or two
 * files): per-run and per-batch values have different spreads and cannot be mixed.
 *
 * Returns 0; LG_EINVAL when the kinds differ, the runs are of different scenarios (the
 * message names both), no metric is common, a metric has fewer than 2 values on a side,
 * or its mean or spread overflows a double (message in err, naming the source);
 * LG_ENOMEM.
 * Warnings (fewer than 9 values per side, single runs compared by batches) are kept in
 * the comparison: rpt_comparison_warning().
 */
int rpt_compare(const rpt_metrics *a, const rpt_metrics *b, const rpt_compare_opts *opts,
                rpt_comparison **out, char *err, size_t errlen);

void rpt_comparison_destroy(rpt_comparison *c); /* accepts NULL */
size_t rpt_comparison_count(const rpt_comparison *c);
/* Metric i or NULL; valid while c lives. */
const rpt_metric_cmp *rpt_comparison_get(const rpt_comparison *c, size_t i);
size_t rpt_comparison_warning_count(const rpt_comparison *c);
const char *rpt_comparison_warning(const rpt_comparison *c, size_t i);
/* The options used (defaults filled in). */
const rpt_compare_opts *rpt_comparison_opts(const rpt_comparison *c);
/* True when some metric regressed. */
bool rpt_comparison_any_regressed(const rpt_comparison *c);

/*
 * The comparison as JSON, schema "loadgen-compare" version 1 (docs/reports.md): a, b
 * (source, kind), alpha, noise, confidence, warnings, and per metric name, unit,
 * direction, a and b (n, mean, sd, median), welch (t, df, p), mann_whitney (u, p,
 * exact), cohens_d, hedges_g, ratio (estimate, ci_low, ci_high), change (estimate,
 * ci_low, ci_high), interval (method, resamples, description), significant, verdict,
 * few_values, note. Non-finite numbers are null.
 *
 *  a_src, b_src  the two sources as shown (may be NULL).
 *  out           receives a NUL-terminated string to free() with free().
 * Returns 0 or LG_ENOMEM.
 */
int rpt_comparison_json(const rpt_comparison *c, const char *a_src, const char *b_src,
                        char **out);

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
/* Documents: the report as sections of blocks, renderable as Markdown (and later HTML)*/
/* ==================================================================================== */

typedef enum rpt_block_kind {
    RPT_BLOCK_PARAGRAPH = 0, /* text */
    RPT_BLOCK_HEADING = 1,   /* text: a sub-heading inside the section */
    RPT_BLOCK_LIST = 2,      /* items[0 .. n_items) */
    RPT_BLOCK_TABLE = 3,     /* cells[row * n_cols + col]; row 0 is the header */
    RPT_BLOCK_CODE = 4,      /* text, preformatted */
} rpt_block_kind;

/* A view of one block; the pointers live as long as the document. Text is plain (no
 * markup); renderers escape it for their format. */
typedef struct rpt_block {
    rpt_block_kind kind;
    const char *text;
    const char *const *items;
    size_t n_items;
    const char *const *cells;
    size_t n_cols, n_rows;
} rpt_block;

typedef struct rpt_doc rpt_doc;

size_t rpt_doc_section_count(const rpt_doc *d);
/* The section's title ("Executive Summary") and id ("executive-summary"), or NULL. */
const char *rpt_doc_section_title(const rpt_doc *d, size_t section);
const char *rpt_doc_section_id(const rpt_doc *d, size_t section);
size_t rpt_doc_block_count(const rpt_doc *d, size_t section);
/* Fills *out with block `block` of `section`. Returns 0, or LG_EINVAL when out of range. */
int rpt_doc_block(const rpt_doc *d, size_t section, size_t block, rpt_block *out);
/* The document's title. */
const char *rpt_doc_title(const rpt_doc *d);

/*
 * Renders a document as GitHub-flavoured Markdown: "# title", "## section", "###"
 * sub-headings, paragraphs, "- " lists, pipe tables (| escaped), fenced code.
 * Returns 0, or LG_EIO when writing to f failed.
 */
int rpt_doc_write_markdown(const rpt_doc *d, FILE *f);

/* ==================================================================================== */
/* Numbers as text: one formatter set for every report and the `loadgen` program        */
/* ==================================================================================== */

/*
 * Shared by these four functions:
 *  buf, len  the caller's buffer; they write at most len bytes, the NUL included, and
 *            truncate as snprintf does (len 0 writes nothing, and buf may then be NULL).
 *            RPT_FORMAT_MAX bytes hold every text they write for values whose magnitude,
 *            in the unit printed, is below 1e18, with a unit of up to 16 characters.
 *  NaN and the infinities print "n/a": the figure could not be computed.
 * Thread safety: reentrant; nothing is kept.
 */
#define RPT_FORMAT_MAX 32

/*
 * A duration in nanoseconds with the unit that keeps it short: "2.100 s" and
 * "1.235 ms" (3 decimals) from 1 s and 1 ms up, "812.4 us" (1 decimal) from 1 us up,
 * "95 ns" below. The unit is chosen on the magnitude, so negative durations (a lag
 * ahead of schedule) read "-1.500 ms".
 */
void rpt_format_ns(char *buf, size_t len, double ns);

/*
 * A value of a metric in its unit (rpt_metric.unit): "ns" as rpt_format_ns(),
 * "1/s" as "1234.5 /s", any other unit as "%.6g UNIT" ("42 samples"), and NULL or ""
 * as a plain "%.6g" ("0.125").
 */
void rpt_format_value(char *buf, size_t len, double v, const char *unit);

/* A relative change given as a fraction, as a signed percentage with 2 decimals:
 * 0.0324 gives "+3.24%", -0.005 gives "-0.50%", 0 gives "+0.00%". */
void rpt_format_pct(char *buf, size_t len, double fraction);

/*
 * A p-value (0 .. 1): "%.4f" from 0.001 up ("0.0312", "1.0000"), 2 significant digits
 * below it ("0.00031", "3.1e-05", which is what %.2g prints), and "< 1e-12" below 1e-12,
 * where the tests' tail approximations no longer give a meaningful digit.
 */
void rpt_format_p(char *buf, size_t len, double p);

/* ==================================================================================== */
/* The performance report                                                               */
/* ==================================================================================== */


/* Fills *out with the current machine's description. Never fails. Thread safety:
 * reentrant. */
void rpt_environment_get(rpt_environment *out);

typedef struct rpt_report_opts {
    rpt_validate_opts validate;
    rpt_compare_opts compare;
    const char *title;          /* NULL: "Performance report" */
} rpt_report_opts;

void rpt_report_opts_default(rpt_report_opts *o);

typedef struct rpt_report rpt_report;

/*
 * Builds the report of one or more result folders (single runs or repetition sets):
 * loads and validates each, compares each folder with the first earlier folder of the
 * same scenario and kind (its baseline; `report base new` compares new with base), and
 * lays the findings out as a document with the sections Executive Summary, Methodology,
 * Detailed Results, Statistical Validation, Comparison (only when some folder has a
 * baseline) and Recommendations (docs/reports.md).
 *
 *  dirs, n  the folders (n >= 1); copied.
 *  opts     NULL for the defaults.
 *  out      the report; free with rpt_report_destroy().
 *
 * Returns 0; the errors of rpt_set_load() (message names the folder); LG_EINVAL for
 * n == 0; LG_ENOMEM. A comparison that cannot be made (for example a single run
 * without samples.bin) becomes a paragraph of the report, not an error.
 */
int rpt_report_create(const char *const *dirs, size_t n, const rpt_report_opts *opts,
                      rpt_report **out, char *err, size_t errlen);

void rpt_report_destroy(rpt_report *r); /* accepts NULL */

/* The report's document (sections and blocks); valid while r lives. */
const rpt_doc *rpt_report_doc(const rpt_report *r);

/* rpt_doc_write_markdown() of the report's document. */
int rpt_report_write_markdown(const rpt_report *r, FILE *f);

/* ==================================================================================== */
/* The HTML report                                                                      */
/* ==================================================================================== */

/*
 * Renders a document as one self-contained HTML page (inline CSS, no script, no
 * external URL, every text escaped): the title, a table of contents, and each section
 * with its headings, paragraphs, lists, tables and code. No charts: see
 * rpt_report_write_html(). Returns 0, LG_EINVAL (NULL argument), LG_ENOMEM, or LG_EIO
 * when writing to f failed.
 */
int rpt_doc_write_html(const rpt_doc *d, FILE *f);

/*
 * Writes the performance report of rpt_report_create() (same folders, same options, same
 * sections) as one self-contained HTML page with inline SVG charts (plot/plot.h), to
 * `path` (written under path + ".tmp" and renamed). Under Detailed Results, per folder
 * (the first run of a repetition set): the latency percentile spectrum with the latency
 * bound and target percentile marked (id "plot-spectrum-K", K the folder's number from
 * 1), for Server latency from scheduled vs from actual issue ("plot-sched-vs-issue-K"),
 * the latency histogram ("plot-histogram-K"), latency over time ("plot-latency-time-K"),
 * throughput over time ("plot-throughput-time-K") and, except Offline, schedule lag over
 * time ("plot-lag-time-K"); a folder without samples.bin gets none. Under Comparison,
 * per compared folder K: the overlaid spectra ("plot-cmp-spectra-K") and per metric M
 * its verdict, a dot chart of each side's mean with CI whiskers ("plot-cmp-ci-K-M") and,
 * for repetition sets, box plots of the repetitions ("plot-cmp-box-K-M"). Each chart
 * sits in a <figure> with a one-line <figcaption> saying how to read it. Its size is
 * bounded by the number of folders and metrics, never by the number of samples.
 *
 * Returns 0; the errors of rpt_report_create(); LG_EIO when the file cannot be written
 * (message in err); LG_ENOMEM.
 */
int rpt_report_write_html(const char *const *dirs, size_t n, const rpt_report_opts *opts,
                          const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* REPORT_REPORT_H */
