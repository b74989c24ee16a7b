/* internal.h: what the files of report/ share: the object layouts, error messages,
 * number formatting, the per-run series the analyses work on, and the document builder. */
#ifndef REPORT_INTERNAL_H
#define REPORT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

/* ---------------------------------------------------------------- objects */

struct rpt_run {
    rpt_run_info info;
    char *dir, *sut_name, *qsl_name, *version, *start, *metric_name, *metric_unit;
    rpt_sample *samples;
    size_t n_samples;
};

struct rpt_set {
    rpt_set_kind kind;
    char *dir;
    rpt_run **runs;
    size_t n;
};

typedef struct rpt__metric_store {
    rpt_metric pub;
    double *values;
} rpt__metric_store;

struct rpt_metrics {
    rpt_values_kind kind;
    char *source;
    bool has_scenario;
    lg_scenario scenario;
    unsigned batches; /* per-batch sets: the batch count used */
    size_t n;
    rpt__metric_store m[RPT_METRICS_MAX];
};

/* ---------------------------------------------------------------- helpers */

/* Writes a formatted message to err (if err and errlen) and returns code. */
int rpt__err(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "1.235 ms", "812 us", "2.100 s", "95 ns": a duration in ns with its unit. */
void rpt__fmt_ns(char *buf, size_t len, double ns);
/* A value of a metric with unit "ns" (as rpt__fmt_ns), "1/s" ("1234.5 /s") or ""
 * (plain %.6g). */
void rpt__fmt_unit(char *buf, size_t len, double v, const char *unit);
/* A signed percentage of a fraction: "+3.24%", "-0.50%". NaN gives "n/a". */
void rpt__fmt_pct(char *buf, size_t len, double fraction);
/* A p-value: "0.0031", "< 1e-12"; NaN gives "n/a". */
void rpt__fmt_p(char *buf, size_t len, double p);

/* The latency series a run is analysed on, in issue order: per query for MultiStream
 * (a query with a failed or missing sample has none), per sample otherwise; only
 * successful ones. lat_ns[i] is the latency and at_ns[i] its position in time (the
 * scheduled time; Offline: the completion time). Both arrays are malloc'd (free them);
 * *n may be 0 (then both are NULL). Returns 0 or LG_ENOMEM. */
int rpt__run_latencies(const rpt_run *run, double **lat_ns, double **at_ns, size_t *n);

/* The end of a run's time axis: the last successful completion, ns from the start. */
int64_t rpt__run_end_ns(const rpt_run *run);

/* The throughput figure of a run (see rpt_metrics_from_set). */
double rpt__run_throughput(const rpt_run_info *info);

/* MLPerf's percentile rule on an unsorted copy: sorts x in place. */
double rpt__percentile_mlperf(double *x, size_t n, double p);

/* A malloc'd copy of s (NULL for NULL); NULL also when out of memory. */
char *rpt__strdup(const char *s);

/* Serialises a jansson value (json_t *, passed as void * so this header needs no jansson)
 * with the given json_dumps flags into memory from malloc, whatever allocator jansson was
 * given; releases the value. NULL when out of memory. */
char *rpt__json_dump(void *json, size_t flags);

/* ---------------------------------------------------------------- documents */

typedef struct rpt__block {
    rpt_block_kind kind;
    char *text;
    char **items;   /* list items, or table cells */
    size_t n_items; /* list: items; table: cells */
    size_t cap;
    size_t n_cols;
} rpt__block;

typedef struct rpt__section {
    char *title, *id;
    rpt__block *blocks;
    size_t n, cap;
} rpt__section;

struct rpt_doc {
    char *title;
    rpt__section *sections;
    size_t n, cap;
    bool oom; /* an allocation failed somewhere: the builder calls became no-ops */
};

rpt_doc *rpt__doc_create(const char *title);
void rpt__doc_destroy(rpt_doc *d);
/* Starts a new section; the following blocks go into it. */
void rpt__doc_section(rpt_doc *d, const char *title, const char *id);
void rpt__doc_heading(rpt_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rpt__doc_para(rpt_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rpt__doc_code(rpt_doc *d, const char *text);
/* Starts a list; rpt__doc_item() adds to the last block. */
void rpt__doc_list(rpt_doc *d);
void rpt__doc_item(rpt_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Starts a table of n_cols columns; rpt__doc_cell() appends cells row by row (the first
 * n_cols cells are the header). */
void rpt__doc_table(rpt_doc *d, size_t n_cols);
void rpt__doc_cell(rpt_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* REPORT_INTERNAL_H */
