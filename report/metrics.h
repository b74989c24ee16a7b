/* report/metrics.h: metrics, the named series of values that comparisons and summaries
 * read: from a result set (one value per repetition, or per batch of a single run) or
 * from a plain file of numbers; their summaries, and a repetition set's summary file.
 * Part of the report library (report/report.h; its conventions apply). docs/reports.md. */
#ifndef REPORT_METRICS_H
#define REPORT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "loadgen/loadgen.h"
#include "report/run.h"

#ifdef __cplusplus
extern "C" {
#endif

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
 *     whose "latency" is the time since the start);
 *   when every run records tokens (tokens.applies): ttft_p99, tpot_p99 (ns, lower is
 *     better) and tokens_per_sec (1/s, higher is better: Offline's tokens per second,
 *     the other scenarios' completed tokens per second, MLPerf's).
 * A single run gives the same metrics per batch, but not the token ones: latencies split
 * into `batches` contiguous batches in issue order, throughput into `batches` equal time
 * windows from the pass start to the last completion (completions in the window / its
 * width). The batch count is reduced so each batch holds at least 20 latencies. Needs
 * samples.bin.
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

#ifdef __cplusplus
}
#endif

#endif /* REPORT_METRICS_H */
