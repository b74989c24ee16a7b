/* internal.h: what the files of report/ share: the object layouts, error messages,
 * the per-run series the analyses work on, and the document builder. */
#ifndef REPORT_INTERNAL_H
#define REPORT_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

/* ---------------------------------------------------------------- objects */

struct rpt_run {
    rpt_run_info info;
    char *dir, *sut_name, *qsl_name, *version, *start, *metric_name, *metric_unit;
    /* results.json "provenance": the notes, then every requested setting as
     * "settings.NAME", each key and value from malloc (rpt_run_provenance). */
    rpt_note *notes;
    size_t n_notes;
    /* results.json's "client" object, kept (a json_t, referenced) because info.client's
     * strings point into it; the arrays of info.client from malloc. NULL without one. */
    void *client_json;
    rpt_client_error *client_errors;
    const char **client_warnings;
    /* results.json's "distributed" object, kept (referenced) because the strings of
     * info.distributed point into it; its per-rank array from malloc. NULL without one. */
    void *dist_json;
    rpt_rank_info *dist_ranks;
    rpt_sample *samples;  /* from malloc, or an anonymous mapping of map_len bytes */
    rpt_token_sample *tokens; /* n_samples of them from malloc, or NULL: no token data */
    size_t n_samples;
    size_t map_len;       /* 0 when samples came from malloc */
    bool samples_claimed; /* results.json says samples.bin was written */
    /* The latency series (rpt__run_series), made on first use and kept: every analysis
     * of a run reads it, so a report makes and sorts it once. */
    pthread_mutex_t series_lock;
    bool series_made, sorted_made, at_ordered;
    int64_t end_ns; /* the last successful completion (rpt__run_end_ns), found at load */
    double *lat, *at, *sorted;
    size_t n_lat;
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

/* The latency series a run is analysed on, in issue order: per query for MultiStream
 * (a query with a failed or missing sample has none), per sample otherwise; only
 * successful ones. lat[i] is the latency (ns) and at[i] its position in time (the
 * scheduled time; Offline: the completion time), both in issue order; sorted (only when
 * asked for) holds the latencies in ascending order. n may be 0 (then the arrays are
 * NULL). */
typedef struct rpt__series {
    const double *lat, *at, *sorted;
    size_t n;
    bool at_ordered; /* at[] never decreases (scheduled times; not Offline's completions) */
} rpt__series;

/* Fills *out with the run's series, made on the first call (and sorted on the first call
 * with want_sorted) and owned by the run: valid while it lives, never to be written.
 * Safe to call from several threads at once. Returns 0 or LG_ENOMEM. */
int rpt__run_series(const rpt_run *run, bool want_sorted, rpt__series *out);

/* The end of a run's time axis: the last successful completion, ns from the start. */
int64_t rpt__run_end_ns(const rpt_run *run);

/* The completions of the run's successful samples counted in nw windows of width ns
 * from 0 (stats_window_of: the last window also takes the times beyond it): counts[k]
 * receives window k's count. nw >= 1. */
void rpt__completion_counts(const rpt_run *run, double width, size_t nw, double *counts);

/* The throughput figure of a run (see rpt_metrics_from_set). */
double rpt__run_throughput(const rpt_run_info *info);

/* validate.c: widens iv to include its estimate when the bootstrap interval missed it
 * (a trending series: docs/statistics.md) and returns true, else returns false. */
bool rpt__interval_cover(rpt_interval *iv);
/* validate.c: the latency intervals of v (p50, p90, p99 and v->percentile's) from the
 * latencies in issue order (lat) and sorted, n of each; v->per_query and v->percentile
 * must be set. For tests; rpt_validate() calls it. Returns 0 or an LG_E* code. */
int rpt__latency_intervals(const double *lat, const double *sorted, size_t n,
                           const rpt_validate_opts *o, rpt_validation *v);

/* MLPerf's percentile rule on an unsorted copy: sorts x in place. */
double rpt__percentile_mlperf(double *x, size_t n, double p);
/* MLPerf's percentile rule on sorted values: sorted[floor(n p)] (NaN for n == 0). */
double rpt__percentile_sorted(const double *sorted, size_t n, double p);

/* A sample that completed with status 0: the samples every latency figure is made of. */
static inline bool rpt__sample_ok(const rpt_sample *s)
{
    return s->completed_ns >= 0 && s->status == 0;
}

/* A malloc'd copy of s (NULL for NULL); NULL also when out of memory. */
char *rpt__strdup(const char *s);

/* doc.c: the text fmt makes with ap, from malloc; NULL when out of memory. */
char *rpt__vfmt(const char *fmt, va_list ap);

/* Serialises a jansson value (json_t *, passed as void * so this header needs no jansson)
 * with the given json_dumps flags into memory from malloc, whatever allocator jansson was
 * given; releases the value. NULL when out of memory. */
char *rpt__json_dump(void *json, size_t flags);

/* samples.bin's records are read straight into the sample array where the machine
 * allows (little-endian), else read in chunks and decoded; false forces decoding (for the
 * tests of that path). Not to be changed while runs load. */
extern bool rpt__samples_direct;
/* Tests only: when not NULL, called with the path of samples.bin after its header was
 * checked and before its records are read (a test truncates the file there). */
extern void (*rpt__samples_read_hook)(const char *path);

/* Frees a run's samples and latency series (its info stays, has_samples included):
 * for a caller that has analysed them and keeps the run for its figures. */
void rpt__run_release_samples(const rpt_run *run);

/* ---------------------------------------------------------------- reports */

/* One result folder of a report, as rpt__report_create() hands it to its callback
 * while the folder's samples are still loaded. */
typedef struct rpt__folder {
    size_t index;                     /* 0-based, in the order given */
    const rpt_set *set;
    const rpt_metrics *metrics;       /* NULL when they could not be formed */
    size_t baseline;                  /* the folder compared against, or SIZE_MAX */
    const rpt_metrics *base_metrics;  /* the baseline's metrics, or NULL */
    const rpt_comparison *cmp;        /* against the baseline, or NULL */
} rpt__folder;

/* Returns 0, or an LG_ error with its message in err (which stops the report). */
typedef int (*rpt__folder_fn)(void *ctx, const rpt__folder *f, char *err, size_t errlen);

/* rpt_report_create() that calls fn (when not NULL) for each folder once it is loaded
 * and compared, before its samples are released. The folder's runs are being validated
 * on another thread meanwhile (rpt__run_series is safe for that; the samples are read
 * only). Everything handed to fn lives as long as the report, except the samples and
 * the latency series. */
int rpt__report_create(const char *const *dirs, size_t n, const rpt_report_opts *opts,
                       rpt__folder_fn fn, void *ctx, rpt_report **out, char *err,
                       size_t errlen);

/* ---------------------------------------------------------------- tokens */

/* tokens.c: true when every run of the set records tokens (tokens.applies). */
bool rpt__set_has_tokens(const rpt_set *set);

/* tokens.c: the scenario's tokens per second, MLPerf's: Offline's tokens / the longest
 * latency, the others' completed tokens per second. */
double rpt__token_rate(const lg_results *r);

/* tokens.c: the token problems of a run counted in words ("3 duplicate first tokens, 1
 * samples without a first token") into buf (len bytes, "" when none). Returns 0 when
 * there are none, else a positive number. */
size_t rpt__token_errors_text(const lg_token_results *k, char *buf, size_t len);

/* tokens.c: a run's token settings in a few words, into buf: "none", "MLPerf's token
 * mode, TTFT bound 100.0 ms, TPOT bound 100.0 ms" (Server), "recorded for the goodput
 * SLOs", then "; SLOs TTFT at most 5.000 ms" when SLOs were set. Returns buf. */
const char *rpt__token_settings_text(const rpt_run_info *in, char *buf, size_t len);

/* tokens.c: the token section of one run (a paragraph, the TTFT/TPOT table and the
 * token figures: rates, errors, goodput, the token-mode constraints) appended to the
 * document; nothing for a run that records no tokens. */
void rpt__token_section(rpt_doc *d, const rpt_run_info *in);

/* ---------------------------------------------------------------- peak search */

/* peak.c: true when the run's results.json holds a peak search ("peak_search"). */
bool rpt__peak_present(const rpt_run_info *in);
/* peak.c: the run's peak search (heading "#k DIR", the peak, why it stopped, one row
 * per probe) appended to the document; nothing for a run without one. */
void rpt__peak_section(rpt_doc *d, const rpt_run_info *in, size_t k);
/* peak.c: the HTML charts of the run's probes (their rates in order; latency at the
 * percentile against rate, with the bound), from malloc; NULL when the run has no
 * search or memory ran out. */
char *rpt__peak_figure(const rpt_run_info *in, size_t k);

/* ---------------------------------------------------------------- client */

/* client.c: the "Client" section of one HTTP run (what the client did, its warnings
 * first and prominent) appended to the document; nothing for a run without a client
 * record. who names the run within a set ("rep-2"), NULL for a single run. */
void rpt__client_section(rpt_doc *d, const rpt_run_info *in, const char *who);

/* dist.c: the "Distributed run" section of one run of `loadgen run --distributed`
 * (ranks, hosts, whether complete, a row per rank) appended to the document; nothing for
 * any other run. who names the run in a set (NULL for a single run). */
void rpt__dist_section(rpt_doc *d, const rpt_run_info *in, const char *who);

/* dist.c: the Executive Summary's list item for a distributed run: label ("#1 d") is a
 * distributed run of so many ranks on so many hosts (INCOMPLETE when a rank's share is
 * missing) and is never MLPerf-valid. Nothing for any other run; the caller opens the
 * list (rpt__doc_list) first. */
void rpt__dist_summary(rpt_doc *d, const rpt_run_info *in, const char *label);

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
