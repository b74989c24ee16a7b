/* report/run.h: finished runs read back from their folders (results.json, samples.bin,
 * the provenance lines, what differs between two runs) and result sets (a run folder or
 * a folder of repetitions); the machine a run ran on. Part of the report library
 * (report/report.h includes every part; its conventions apply). docs/reports.md. */
#ifndef REPORT_RUN_H
#define REPORT_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* Fills *out with the current machine's description. Never fails. Thread safety:
 * reentrant. */
void rpt_environment_get(rpt_environment *out);

/* A token run's settings ("tokens"."settings" in results.json; all 0 in files without
 * it). Member names are the core's (loadgen/results_fields.h, LG_RESULTS_TOKEN_SETTINGS). */
typedef struct rpt_token_settings {
    int64_t ttft_latency_ns;  /* Server token mode: the TTFT bound */
    int64_t tpot_latency_ns;  /* Server token mode: the TPOT bound */
    bool infer_tokens;        /* infer_token_latencies */
    uint64_t token_scaling;   /* token_latency_scaling_factor */
    int64_t slo_ttft_ns;      /* goodput SLOs; 0 = not set */
    int64_t slo_tpot_ns;
    int64_t slo_e2e_ns;
} rpt_token_settings;

/* One kind of failure the HTTP client counted ("client"."errors" in results.json):
 * the status key ("timeout", "reset", ...) and its count. */
typedef struct rpt_client_error {
    const char *kind;
    uint64_t count;
} rpt_client_error;

/* What the HTTP client of a `--sut kserve|openai` run did ("client" in results.json,
 * docs/http.md). present is false for a run without the object (every other run, and
 * files older than it); a missing member reads as 0, "" or no entries. Strings and
 * arrays live as long as the run. */
typedef struct rpt_client_info {
    bool present;
    const char *protocol;        /* "KServe v2 JSON", "OpenAI chat (stream)", ... */
    const char *url;
    uint64_t connections, max_connections, io_threads, pipeline;
    uint64_t requests_submitted, requests_sent, responses, throttled, bad_bodies;
    const rpt_client_error *errors; /* in the file's order */
    size_t n_errors;
    uint64_t responses_4xx, responses_5xx; /* answers with an error status */
    uint64_t send_delay_count;   /* send delay: issue to the request's last byte written */
    int64_t send_delay_p50_ns, send_delay_p99_ns, send_delay_max_ns;
    int64_t late_threshold_ns;   /* a send later than this is late (1 ms) */
    double sent_late_share;      /* fraction of the requests sent late */
    double requested_per_s, sent_per_s, completed_per_s; /* 1/s */
    double wall_s, cpu_process_s;
    double io_busy_max;          /* the busiest I/O thread's CPU over the wall time */
    uint64_t connections_opened, reconnects, connections_added;
    const char *first_error;     /* "" when none */
    /* OpenAI: "client"."tokens" (has_tokens false without it). */
    bool has_tokens;
    uint64_t n_tokens_from_usage, n_tokens_from_chunks; /* samples */
    uint64_t output_tokens;
    uint64_t itl_count;          /* gaps between content chunks, pooled */
    int64_t itl_p50_ns, itl_p99_ns;
    int64_t ttft_from_send_p50_ns, ttft_from_send_p99_ns;
    /* Each "the client may be limiting this result: ..." line, as recorded. */
    const char *const *warnings;
    size_t n_warnings;
} rpt_client_info;

/* The accuracy of a classifier's responses ("accuracy" in results.json, added by
 * `loadgen accuracy` or the model SUT's accuracy pass; present false without it). */
#define RPT_ACCURACY_MAX_CLASSES 32
typedef struct rpt_accuracy {
    bool present;
    uint64_t scored;             /* samples scored (each once) */
    uint64_t correct;            /* ... whose top class was the label */
    double top1;                 /* correct / scored */
    double top5;                 /* NaN: the responses were classes, not scores */
    double target_top1;          /* NaN: no target */
    int passed;                  /* -1 no target, 0 missed, 1 met */
    unsigned n_classes;          /* at most RPT_ACCURACY_MAX_CLASSES */
    char class_names[RPT_ACCURACY_MAX_CLASSES][32];
    uint64_t support[RPT_ACCURACY_MAX_CLASSES];   /* scored samples of each true class */
    uint64_t right[RPT_ACCURACY_MAX_CLASSES];     /* ... predicted right */
    uint64_t predicted[RPT_ACCURACY_MAX_CLASSES]; /* samples predicted as each class */
    /* confusion[true][predicted] */
    uint64_t confusion[RPT_ACCURACY_MAX_CLASSES][RPT_ACCURACY_MAX_CLASSES];
} rpt_accuracy;

/* One rank of a distributed run ("distributed"."per_rank" in results.json,
 * docs/distributed.md). A rank that did not report has reported false, its error and
 * zeros elsewhere. */
typedef struct rpt_rank_info {
    int rank;
    bool reported;
    const char *host;              /* "" when it did not report */
    int status;                    /* its share's exit code (0: it ran to the end) */
    uint64_t completed;            /* samples it completed */
    double achieved_per_s;         /* completed samples per second of its share */
    int64_t lag_p99_ns, lag_max_ns; /* its issue lag (issued minus scheduled) */
    int64_t clock_offset_ns;       /* its clock minus rank 0's */
    int64_t clock_offset_error_ns; /* the offset's error bound (half the best RTT) */
    bool has_start_skew;           /* false: its share never started */
    int64_t start_skew_ns;         /* its start on rank 0's clock minus the agreed start */
    const char *error;             /* why it did not report; "" when it did */
} rpt_rank_info;

/* A run of `mpirun -np N loadgen run --distributed` ("distributed" in results.json,
 * docs/distributed.md); present is false for every other run. Strings and the array
 * live as long as the run. */
typedef struct rpt_distributed_info {
    bool present;
    unsigned ranks, hosts, ranks_reported;
    bool complete;             /* every rank reported and ran its share to the end */
    const rpt_rank_info *per_rank;
    size_t n_per_rank;
} rpt_distributed_info;

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
    /* The token settings (meaningful when results.tokens.applies). Last, so that the
     * members above keep their offsets. */
    rpt_token_settings token_settings;
    /* The HTTP client's record (present only for HTTP runs). Last, as above. */
    rpt_client_info client;
    /* A classifier's accuracy, when scored. Last, as above. */
    rpt_accuracy accuracy;
    /* A distributed run's ranks (present only for one). Last, as above. */
    rpt_distributed_info distributed;
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

#ifdef __cplusplus
}
#endif

#endif /* REPORT_RUN_H */
