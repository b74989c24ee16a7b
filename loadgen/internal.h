/* internal.h: types and functions shared by the files of loadgen/ (not installed).
 * The per-sample record store, the effective settings, the test state and the
 * results and log writers' entry points. */
#ifndef LOADGEN_INTERNAL_H
#define LOADGEN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "loadgen/hdr.h"
#include "loadgen/loadgen.h"

#define LG__CACHELINE 64

/* The ranges that keep every duration's arithmetic in int64_t nanoseconds. */
/* The commit date of lg_build_commit() (ISO 8601), or "". */
const char *lg__build_commit_date(void);

#define LG__YEAR_MS (UINT64_C(1000) * 86400 * 365)
#define LG__YEAR_NS (INT64_C(1000000000) * 86400 * 365)
#define LG__MAX_RECORDS (UINT64_C(1) << 36)
/* The effective sample timeout of no_sample_timeout: about 73 years, so that a deadline
 * now + it never overflows and is never reached. */
#define LG__NO_TIMEOUT_NS (INT64_MAX / 4)

/* One issued sample. 32 bytes: the only memory that grows with the number of samples
 * issued (besides the caller's own QSL). Times are absolute CLOCK_MONOTONIC ns. */
typedef struct lg__rec {
    int64_t scheduled_ns;          /* when the query should have been issued */
    _Atomic int64_t issued_ns;     /* when it was issued; 0 = not issued yet */
    _Atomic int64_t completed_ns;  /* 0 = outstanding; LG__TIMED_OUT; else the time */
    uint32_t index;                /* QSL index */
    int32_t status;                /* the SUT's status; valid once completed */
} lg__rec;

#define LG__TIMED_OUT INT64_MIN

/* A sample's token data, in a chunk beside its record's, only in a pass that records
 * tokens (lg__eff.tokens): a run without them pays nothing. 24 bytes. Times are
 * absolute CLOCK_MONOTONIC ns. */
typedef struct lg__tok {
    _Atomic int64_t first_ns; /* the first token's arrival (lg_first_token); 0 = none */
    int64_t n_tokens;         /* lg_complete's n_tokens (written by its completer) */
    int64_t sent_ns;          /* lg_complete's sent_ns; 0 = unknown */
} lg__tok;

/* Records live in fixed chunks so that the store grows as the run goes (no schedule is
 * generated ahead) while a record never moves: lg_complete() finds a record with two
 * loads and no lock. */
#define LG__CHUNK_BITS 16
#define LG__CHUNK_RECS (1u << LG__CHUNK_BITS)
#define LG__MAX_CHUNKS (1u << 20) /* 2^36 samples per pass */
#define LG__SEQ_BITS 40
#define LG__SEQ_MASK ((UINT64_C(1) << LG__SEQ_BITS) - 1)

/* Record chunks handed back by record_hdr's retirer, zeroed, for the issue side to use
 * again (run.c): a mutex taken once per chunk of LG__CHUNK_RECS samples, never per
 * sample. */
#define LG__POOL_MAX 16
typedef struct lg__chunk_pool {
    pthread_mutex_t lock;
    lg__rec *free[LG__POOL_MAX];
    size_t n;
} lg__chunk_pool;

typedef struct lg__store {
    _Atomic(lg__rec *) *chunks; /* LG__MAX_CHUNKS slots; NULL = not allocated, or (a
                                   record_hdr pass) retired: its samples all settled */
    lg__chunk_pool *pool;       /* record_hdr: chunks to use again; NULL otherwise */
    /* The token chunks, parallel to chunks (each allocated before its record chunk is
     * published), or NULL when the pass records no tokens. */
    _Atomic(lg__tok *) *tchunks;
    uint64_t nchunks;           /* allocated so far (issue thread only) */
    uint64_t max_chunks;        /* the memory budget, in chunks (<= LG__MAX_CHUNKS) */
    uint64_t count;             /* records handed out so far (issue thread only) */
} lg__store;

/* Prepares an empty store (up to LG__MAX_CHUNKS chunks). */
int lg__store_init(lg__store *s);
/* Gives the store token data beside every record (before any record is made).
 * Returns 0 or LG_ENOMEM. */
int lg__store_enable_tokens(lg__store *s);
/* Lets the store's records take at most budget_bytes from now on (at least one chunk;
 * 0: no budget but LG__MAX_CHUNKS). */
void lg__store_set_budget(lg__store *s, uint64_t budget_bytes);
void lg__store_free(lg__store *s);
/* Returns the record for sequence number seq, allocating its chunk when needed (issue
 * thread only). NULL when out of memory or past the maximum. */
lg__rec *lg__store_chunk(lg__store *s, uint64_t seq);
static inline lg__rec *lg__store_get(lg__store *s, uint64_t seq)
{
    if (seq >> LG__CHUNK_BITS < s->nchunks) {
        lg__rec *c = atomic_load_explicit(&s->chunks[seq >> LG__CHUNK_BITS],
                                          memory_order_relaxed);
        return &c[seq & (LG__CHUNK_RECS - 1)];
    }
    return lg__store_chunk(s, seq);
}
/* Read-only lookup for analysis (after the run). */
static inline lg__rec *lg__store_at(const lg__store *s, uint64_t seq)
{
    lg__rec *c = atomic_load_explicit(&s->chunks[seq >> LG__CHUNK_BITS],
                                      memory_order_relaxed);
    return &c[seq & (LG__CHUNK_RECS - 1)];
}
/* The token data of record seq (a store with tokens, after its chunk exists). */
static inline lg__tok *lg__store_tok_at(const lg__store *s, uint64_t seq)
{
    lg__tok *c = atomic_load_explicit(&s->tchunks[seq >> LG__CHUNK_BITS],
                                      memory_order_relaxed);
    return &c[seq & (LG__CHUNK_RECS - 1)];
}

/* The settings after MLPerf's derivations (its effective_* keys). */
typedef struct lg__eff {
    lg_scenario scenario;
    lg_mode mode;
    uint64_t samples_per_query;
    double target_qps;
    int64_t target_latency_ns;   /* Server only; 0 otherwise */
    double target_latency_percentile;
    uint64_t max_async_queries;
    uint64_t target_duration_ms;
    uint64_t min_duration_ms;
    uint64_t max_duration_ms;
    uint64_t min_query_count;
    uint64_t max_query_count;
    uint64_t min_sample_count;
    uint64_t performance_sample_count;
    uint64_t accuracy_sample_count;
    int64_t sample_timeout_ns;  /* LG__NO_TIMEOUT_NS: never */
    bool mlperf_max_limits;     /* the max limits end a run without making it INVALID */
    bool concatenate;           /* sample_concatenate_permutation */
    /* Tokens (docs/tokens.md). */
    bool tokens;               /* record first tokens, n_tokens and send times */
    bool token_mode;           /* use_token_latencies: MLPerf's token mode */
    bool infer_tokens;         /* infer_token_latencies */
    uint64_t token_scaling;    /* token_latency_scaling_factor */
    int64_t ttft_latency_ns;   /* server_ttft_latency_ns */
    int64_t tpot_latency_ns;   /* server_tpot_latency_ns */
    int64_t slo_ttft_ns, slo_tpot_ns, slo_e2e_ns; /* 0 = none */
    /* Bounded memory (docs/hdr.md): the performance pass records into histograms. */
    bool hdr;
    unsigned hdr_digits;
} lg__eff;

int lg__effective(const lg_settings *s, const lg_qsl *qsl, lg__eff *e, char *msg,
                  size_t len);
/* lg_settings_warnings on settings already derived into *e (lg_run_test has them: no
 * second derivation). */
int lg__settings_warnings(const lg_settings *s, const lg__eff *e, char *buf, size_t len);

/* A copied response kept for the accuracy log (a lock-free stack of these). */
typedef struct lg__acc {
    struct lg__acc *next;
    uint64_t seq;
    uint64_t index;
    int64_t n_tokens; /* the response's n_tokens (token runs' "token_count") */
    size_t size;
    unsigned char data[];
} lg__acc;

/* Entries for the detail log's run-time part, recorded as the run goes (never from
 * the hot path) and written at the end. */
typedef struct lg__event {
    int64_t time_ns;   /* absolute */
    const char *key;
    char *text;        /* owned */
    const char *file;  /* the source file that logged it */
    int line;
    int kind;          /* 0 plain, 1 error, 2 warning */
    bool perf_block;   /* the performance pass's block of lines follows this one (a
                          peak search's, after its last line) */
} lg__event;

/* One thread's recording of a record_hdr pass (run.c): written by that thread alone
 * (lg_complete's caller, the issue thread), read after the pass when every call has
 * returned, merged exactly. */
typedef struct lg__hrec {
    struct lg__hrec *next;
    lg__hdr lat;          /* successful samples' latencies */
    lg__hdr lag;          /* issue lags of the samples this thread issued */
    uint64_t completed;   /* samples completed (success or failure) */
    uint64_t failed;
    uint64_t over;        /* successful samples over the Server latency bound */
    int64_t max_done_ns;  /* the latest completion (absolute) */
} lg__hrec;

/* What a record_hdr pass recorded, merged from every thread's lg__hrec (results.c). */
typedef struct lg__hdr_pass {
    lg__hdr lat, lag;
    uint64_t completed, failed, over, timed_out, lost;
    int64_t max_done_ns;          /* absolute; 0 = none */
    int64_t last_done_ns;         /* the last issued sample's completion; 0 = none */
    int64_t last_issued_ns, last_scheduled_ns; /* absolute, of the last sample */
    uint64_t peak_chunks;         /* record chunks alive at once, at most */
} lg__hdr_pass;

/* One pass (accuracy or performance) of a test. */
typedef struct lg__pass {
    lg_mode mode;               /* LG_MODE_ACCURACY or LG_MODE_PERFORMANCE */
    lg__store store;
    uint64_t tag;               /* high bits of every id of this pass */
    int64_t start_ns;
    int64_t start_wall_ns;      /* CLOCK_REALTIME at start */
    int64_t end_issue_ns;       /* when issuing stopped */
    int64_t end_ns;             /* when the last completion was seen */
    uint64_t queries;           /* queries issued */
    _Atomic uint64_t samples;   /* samples issued (the monitor reads it) */
    uint64_t timed_out;         /* samples the LoadGen marked timed out (issue thread) */
    uint64_t *loaded;           /* the performance set (indices), or NULL */
    uint64_t nloaded;
    bool ended_max_queries, ended_max_duration, ended_abort, ended_async;
    bool ended_oom;             /* the record store found no memory */
    bool abort_cut;             /* an abort cut the wait for outstanding samples */
    bool qsl_failed;            /* a QSL load failed */
    bool ended_naturally;
    /* Several issue threads stopped at different points: records below store.count
     * that were never issued, closed up after the pass (run.c). */
    bool has_holes;
    uint64_t accuracy_logged;
    uint64_t warmup_queries;    /* performance pass: queries of its warm-up */
    lg__acc *acc_list;          /* taken from the test after the pass */
    lg__acc *tok_acc_list;      /* first tokens' data for the accuracy log, likewise */
    /* record_hdr (docs/hdr.md): latencies go to per-thread histograms; a retirer thread
     * hands settled record chunks back for reuse. */
    bool hdr;
    unsigned hdr_digits;
    uint64_t hdr_id;            /* unique per pass: the threads' recorder key */
    int64_t hdr_bound_ns;       /* Server's latency bound, for the over-bound count */
    int64_t hdr_timeout_ns;     /* the sample timeout, for the retirer */
    bool hdr_one_query;         /* latencies from the pass's start, no issue lag */
    _Atomic(lg__hrec *) hdr_recs; /* every thread's recorder */
    _Atomic uint64_t hdr_timed_out; /* samples the retirer marked timed out */
    _Atomic uint64_t hdr_lost;  /* completions no recorder could take (no memory) */
    _Atomic uint64_t hdr_live_chunks, hdr_peak_chunks;
    _Atomic int hdr_stop;
    pthread_t hdr_thread;
    bool hdr_started;
    lg__chunk_pool hdr_pool;
} lg__pass;

/* The process-wide running test. */
struct lg__test;
struct lg__pass;
/* A watch the monitor thread runs every interval_ns while a performance pass runs
 * (peak.c's early abort): it may read the pass's records and call lg_abort(). */
typedef struct lg__watch {
    void (*fn)(void *ctx, struct lg__test *t, struct lg__pass *p, int64_t now_ns);
    void *ctx;
    int64_t interval_ns;
} lg__watch;

typedef struct lg__peak lg__peak; /* peak.c's search state */

typedef struct lg__test {
    const lg_settings *req;     /* &req_store: the caller's, TEST05's seeds swapped in */
    lg_settings req_store;
    lg__eff eff;
    const lg_sut *sut;
    const lg_qsl *qsl;
    const lg_log_settings *log;
    _Atomic(lg__pass *) pass;   /* the pass being run */
    uint64_t acc_threshold;     /* log a performance response when hash < this */
    bool log_all;               /* accuracy pass: copy every response */
    _Atomic(lg__acc *) acc_head;
    _Atomic(lg__acc *) tok_acc_head; /* first tokens' data to log */
    _Atomic uint64_t acc_count;
    /* lg_first_token's problems: a second first token, an unknown id, one after the
     * sample completed, and first tokens of a pass that records none. */
    _Atomic uint64_t tok_duplicates, tok_unknown, tok_late, tok_ignored;
    _Atomic uint64_t duplicates, unknown, late;
    _Atomic uint64_t bad_responses; /* sizes past LG_MAX_RESPONSE_BYTES */
    _Atomic uint64_t acc_oom;   /* responses to log that found no memory */
    uint64_t acc_seed;          /* accuracy_log_rng_seed, mixed */
    _Atomic int waiters;        /* the issue thread sleeps on event */
    _Atomic uint32_t event;
    lg__event *events;
    size_t nevents, capevents;
    char log_prefix[320];       /* the MLPerf logs' names: prefix (datetime included) */
    const char *log_suffix;     /* ... and suffix */
    int64_t test_start_ns;      /* log origin */
    int64_t test_start_wall_ns;
    int64_t sut_name_ns;
    lg__watch *watch;           /* NULL, or the peak search's watch */
    uint64_t first_probe_tag;   /* a peak search: the first probe's pass tag (0: none) */
    lg__peak *peak;             /* NULL, or the peak search under way */
    const char *summary_note;   /* lg_pass_tally's, for the summary log; NULL: none */
} lg__test;

void lg__event_add(lg__test *t, int kind, const char *key, const char *file, int line,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

int64_t lg__now_ns(void);

/* Bytes of memory this process can still take: the least of MemAvailable, the room
 * left under RLIMIT_AS and under the cgroup's memory.max; UINT64_MAX when none is
 * known. */
uint64_t lg__memory_available(void);

/* Sets the calling thread's lg_last_error() text, unless one is already set since
 * lg__clear_error(): the first cause of a failure is the one worth reporting. */
void lg__set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lg__clear_error(void);

/* What a pass counted beside its records: with the records and the effective settings,
 * everything its results are computed from. */
typedef struct lg__pass_counts {
    uint64_t queries;          /* queries issued */
    int64_t start_ns;          /* the pass's origin (CLOCK_MONOTONIC) */
    uint64_t duplicates, unknown, late; /* completion errors, as lg_complete counted */
    uint64_t bad_responses;    /* sizes past LG_MAX_RESPONSE_BYTES */
    uint64_t accuracy_dropped; /* responses to log that found no memory */
    uint64_t accuracy_logged;
    uint64_t warmup_queries;
    /* lg_first_token's counts (lg_token_results.first_token_*) */
    uint64_t first_token_duplicates, first_token_unknown, first_token_late;
    uint64_t first_tokens_ignored;
    bool ended_max_queries, ended_max_duration, ended_abort, ended_async, ended_oom;
    bool abort_cut;            /* an abort cut the wait for outstanding samples */
    bool qsl_failed;
} lg__pass_counts;

/* results.c: the figures of a finished pass, a pure function of its records, its
 * counts and the effective settings: no live test is needed, so a run folder's records,
 * a peak search's passes or several processes' merged records give their results the
 * same way. Reads the records only. Returns 0, or LG_ENOMEM with the counts filled and
 * the run INVALID (out_of_memory). */
int lg__results(const lg__eff *e, const lg__store *records, const lg__pass_counts *c,
                lg_results *r);
/* results.c: the same from a record_hdr pass's merged histograms and counts (h); the
 * records are not needed. */
void lg__results_hdr(const lg__eff *e, const lg__hdr_pass *h, const lg__pass_counts *c,
                     uint64_t samples, lg_results *r);
/* lg__results of a pass of the running test t. */
int lg__compute_results(lg__test *t, lg__pass *p, lg_results *r);

/* The first psc indices of a seeded partial Fisher-Yates shuffle of 0..total-1 into
 * out. sparse: the same shuffle on a map of the swapped positions, with memory in psc
 * rather than total (same result). Returns 0 or LG_ENOMEM. */
int lg__sample_set(uint64_t total, uint64_t psc, uint64_t seed, bool sparse, uint64_t *out);
/* Above this many dataset samples per performance sample, the set is drawn sparse. */
#define LG__DENSE_SET_RATIO 8

/* ---------------------------------------------------------------- arrivals */

/* One piece of a piecewise-linear rate (ramp, stages): from rate0 to rate1 over
 * [start_s, start_s + dur_s], with count0 arrivals due before it. */
typedef struct lg__rate_seg {
    double start_s, dur_s;
    double rate0, rate1; /* per second */
    double count0;       /* the integral of the rate up to start_s */
} lg__rate_seg;

/* A Server schedule (arrival.c): lg_schedule of the public API, and what issue_server
 * draws from. Times are ns from the schedule's origin. */
struct lg_schedule {
    lg_arrival kind;
    gsl_rng *rng;            /* poisson, gamma; NULL otherwise */
    double mean_gap_ns;      /* poisson, constant, gamma */
    double gamma_shape, gamma_scale_ns;
    uint64_t i;              /* queries drawn so far */
    int64_t t_ns;            /* poisson, gamma: the last arrival (accumulated as MLPerf) */
    lg__rate_seg *segs;      /* ramp, stages */
    size_t nsegs, seg;
    bool hold_last;          /* ramp: the last rate holds after the last piece */
    int64_t *trace_ns;       /* trace: a copy */
    uint64_t ntrace;
    double speed;
    /* The schedule ends the run by itself (trace, stages): MLPerf's end at
     * min_duration_ms does not apply. */
    bool ends_itself;
};

/* Prepares *sch for settings already checked; the accuracy pass (accuracy) always uses
 * Poisson. Returns 0 or LG_ENOMEM. */
int lg__schedule_init(struct lg_schedule *sch, const lg_settings *s, bool accuracy);
void lg__schedule_fini(struct lg_schedule *sch);
/* The next arrival of a schedule that is not Poisson, ns from the origin; -1 at its
 * end. */
int64_t lg__schedule_other(struct lg_schedule *sch);
/* The arrival settings' cross-field checks (lg_settings_check's); with a QSL, the trace's
 * rule that the whole QSL is loaded (psc: the effective performance sample count).
 * Returns 0 or LG_EINVAL with msg. */
int lg__arrival_check(const lg_settings *s, const lg_qsl *qsl, uint64_t psc, char *msg,
                      size_t len);
/* The most samples the schedule of s issues in ms milliseconds (for the memory check). */
double lg__arrival_expected_samples(const lg_settings *s, uint64_t ms);

/* ---------------------------------------------------------------- scenarios */

/* MLPerf's confidence for early stopping. */
#define LG__ES_CONFIDENCE 0.99

/* What results.c collected from a pass's records, for its scenario's figures. */
typedef struct lg__collected {
    const lg__eff *e;
    const lg__store *records;
    const lg__pass_counts *counts;
    int64_t *lat;       /* the nok latencies of the successful samples, sorted */
    size_t nok;
    int64_t *scratch;   /* room for records->count values, free to use */
    double secs_done;   /* from the pass's start to the last sample's completion */
} lg__collected;

/* scenario.c: MLPerf's early stopping of a latency-bound scenario on n sorted
 * latencies at percentile p (SingleStream, MultiStream), and of Server with `over` of
 * `queries` over the bound. */
void lg__es_latency(const int64_t *sorted, size_t n, double p, lg_early_stopping *es);
void lg__es_server(uint64_t queries, uint64_t over, double p, lg_early_stopping *es);

/* tokens.c: the token figures of a pass (r->tokens) from what was collected (its lat
 * and scratch arrays are used as room), after the scenario's figures; in MLPerf's token
 * mode also early stopping and the metric, as MLPerf derives them from TTFT and TPOT. */
void lg__token_figures(const lg__collected *c, lg_results *r);

/* results.c: MLPerf's latency figures of n values, sorting v with scratch (n values). */
void lg__latency_stats(int64_t *v, size_t n, int64_t *scratch, double target,
                       lg_latency_stats *out);

/* A sink for detail-log entries (logs.c): a scenario names its own keys through it, and
 * each entry records the source line that wrote it. */
typedef struct lg__kv {
    void (*i64)(struct lg__kv *kv, const char *key, int64_t v, const char *file, int line);
    void (*u64)(struct lg__kv *kv, const char *key, uint64_t v, const char *file, int line);
    void (*dbl)(struct lg__kv *kv, const char *key, double v, const char *file, int line);
    void (*flag)(struct lg__kv *kv, const char *key, bool v, const char *file, int line);
} lg__kv;

struct lg__issuer;

/* Everything one scenario does differently, in one place (scenario.c): what the rest of
 * loadgen/ asks a scenario, through lg__scenario(). Adding a scenario is one more table
 * entry there (and its lg_scenario value and name). */
typedef struct lg__scenario_ops {
    lg_scenario scenario;
    const char *name;          /* lg_scenario_name's, MLPerf's: "SingleStream", ... */
    const char *alias;         /* one more name lg_scenario_parse takes ("ss"), or NULL */
    const char *metric_name;   /* MLPerf's name of the metric */
    const char *metric_unit;   /* "ns" or "1/s" */
    /* The metric is early stopping's latency estimate: no number when early stopping was
     * not met. */
    bool metric_is_estimate;
    /* Every sample goes in one query at the start: latencies count from the pass's
     * start, and there is no schedule and no issue lag (samples.bin holds 0 for both). */
    bool one_query;
    bool per_query;            /* query latencies beside the sample ones (MultiStream) */
    bool perf_constraint;      /* MLPerf's performance constraint: the latency bound */
    /* Queries arrive on a schedule of their own (Poisson), not when the previous one
     * completed: how late they were issued, and the rate scheduled, are figures of the
     * run that a reader needs. */
    bool open_loop;
    const char *min_duration_advice; /* the recommendation when the run was too short */
    /* The setting that gives the scenario's expected rate (an lg_settings field name),
     * what it is in words, and whether lg_settings_default's value for it is a stand-in
     * (1 per second) rather than a figure of a real SUT: what lg_settings_warnings says
     * when a run would take far longer than asked, and the config reader's hint. */
    const char *rate_setting;
    const char *rate_words;
    bool rate_stand_in;
    /* What the run's minimum count is, in words ("min_query_count queries"), counted in
     * samples_per_query samples for a one_query scenario, else in min_query_count
     * queries. */
    const char *min_count_words;

    /* The scenario's effective settings (lg__eff fields it owns) from the request, and
     * *bound_ns, the expected duration of one query. 0 or LG_EINVAL with msg. */
    int (*derive)(const lg_settings *s, lg__eff *e, double *bound_ns, char *msg,
                  size_t len);
    /* The default sample timeout for a query expected to take bound_ns. */
    int64_t (*default_timeout_ns)(double bound_ns);
    /* The samples a performance pass will record, known ahead (0: not known; the store
     * is bounded during the run), and the setting that sets it, for the memory check. */
    double (*expected_samples)(const lg_settings *s, const lg__eff *e, const char **what);
    /* How many lg_samples one issue call can hand over when a query is query_samples. */
    size_t (*buffer_samples)(const lg__eff *e, uint64_t query_samples);
    /* The samples of a warm-up query of duration_ms (one_query scenarios; else 1). */
    uint64_t (*warmup_samples)(const lg__eff *e, uint64_t duration_ms);
    /* Issues a pass's queries: in accuracy mode the n samples of the set loaded in is;
     * in performance mode until the scenario's own end (t->eff's durations and counts),
     * a one-query scenario issuing one query of n samples. */
    void (*issue)(struct lg__issuer *is, uint64_t n);
    /* Early stopping, the scenario's figures and r->metric from what was collected. */
    void (*figures)(const lg__collected *c, lg_results *r);
    /* The duration min_duration_ms judges. */
    int64_t (*measured_ns)(const lg_results *r);
    /* The summary's result line (pct: the target percentile, formatted) and its
     * "Additional Stats" lines. */
    void (*summary_result)(FILE *f, const char *pct, const lg_results *r);
    void (*summary_stats)(FILE *f, const lg_results *r);
    /* The detail log's results of this scenario only (its requested_* lines come from
     * the settings table). */
    void (*detail_results)(lg__kv *kv, const lg_results *r);
    /* Early stopping's lines in the summary and the detail log (the run's, or token
     * mode's TTFT or TPOT one; pct: the percentile, formatted; sep: between lines, '\n'
     * or ' '), for a scenario where it applies; NULL where it never does. */
    void (*early_stopping_text)(const lg_early_stopping *es, const char *pct, char sep,
                                char *buf, size_t len);

    /* Tokens (tokens.c, docs/tokens.md). MLPerf's token mode needs every sample's first
     * token, and reports TTFT and TPOT, in every scenario but the one whose metric is
     * throughput over one query (Offline: tokens per second only). */
    bool needs_first_token;
    /* infer_token_latencies' detail-log key, the metric (samples/s) times the factor;
     * NULL: the scenario reports none. */
    const char *inferred_key;
    /* Token mode's early stopping on the n sorted values of c->lat, `over` of them over
     * their bound: the scenario's rule, as its plain early stopping's. */
    void (*token_early_stopping)(const lg__collected *c, const lg_results *r, size_t n,
                                 uint64_t over, lg_early_stopping *es);
    /* The summary's token headline after the scenario's result line (token mode; pct:
     * the target percentile, formatted), and its inferred one (infer_token_latencies). */
    void (*summary_token_result)(FILE *f, const char *pct, const lg_results *r);
    void (*summary_inferred)(FILE *f, const lg_results *r);
    /* The rate lines that open token mode's "Additional Stats" block. */
    void (*summary_token_stats)(FILE *f, const lg_results *r);
} lg__scenario_ops;

/* The number of scenarios: every lg_scenario is below it. */
#define LG__NSCENARIOS 4

/* The operations of scenario sc (a valid lg_scenario; lg_settings_check refuses others;
 * another value gets SingleStream's). */
const lg__scenario_ops *lg__scenario(lg_scenario sc);

/* logs.c: the summary's table of latency figures. */
void lg__summary_table(FILE *f, const lg_latency_stats *s);

/* logs.c: makes log->outdir and checks that a file can be created in it, before the
 * run. Returns 0 (also when log or its outdir is NULL) or LG_EIO with lg_last_error. */
int lg__outdir_check(const lg_log_settings *log);

/* logs.c: refuses, before the run, an outdir that already holds a run's files (the
 * logs named with prefix, from lg__log_name_parts) unless log->overwrite. Returns 0 or
 * LG_EEXIST with lg_last_error. */
int lg__outdir_unused(const lg_log_settings *log, const char *prefix);
/* logs.c: the parts of the MLPerf logs' names: prefix (log->prefix, then with
 * prefix_with_datetime the test's start wall_ns as the detail log's test_datetime and
 * '_'; into len bytes) and *suffix (log->suffix or ""). Returns 0 or LG_EINVAL (a
 * suffix with characters other than letters, digits, "-_.+", a prefix too long) with
 * lg_last_error. */
int lg__log_name_parts(const lg_log_settings *log, int64_t wall_ns, char *prefix,
                       size_t len, const char **suffix);

/* logs.c: writes the log files of a finished test. Returns 0 or LG_EIO. */
int lg__write_logs(lg__test *t, lg__pass *acc, lg__pass *perf, lg_results *r);
/* Text of an early-stopping block (the run's, or token mode's TTFT or TPOT one), lines
 * separated by '\n' (summary) or by ' ' when one_line (detail log); "" when it does not
 * apply. */
void lg__early_stopping_text(const lg__eff *e, const lg_early_stopping *es, char *buf,
                             size_t len, bool one_line);

/* JSON string escaping into a FILE. */
void lg__json_string(FILE *f, const char *s);


/* run.c, for peak.c: a pass's life and one performance pass (announce: log "Starting
 * performance mode", where the detail log puts the pass's block). */
int lg__pass_init(lg__pass *p, lg_mode mode, bool tokens);
void lg__pass_free(lg__pass *p);
int lg__run_performance(lg__test *t, lg__pass *p, bool announce);
/* True when id belongs to an earlier probe of this test's peak search (its pass tag
 * from the first probe's up to the current pass's): a sample timed out there. */
static inline bool lg__old_probe_id(const lg__test *t, const lg__pass *p, uint64_t id)
{
    uint64_t tag = id >> LG__SEQ_BITS;
    return t->first_probe_tag && tag >= t->first_probe_tag && tag < p->tag;
}
/* Completions that arrived while no pass ran (run.c's count, for the drain between
 * probes). */
uint64_t lg__stray_completions(void);
/* Zeroes the test's completion-error counters: each probe counts its own. */
void lg__probe_counters_reset(lg__test *t);
/* Clears an lg_abort() (a probe cut by the peak watch, not a stop of the search). */
void lg__abort_reset(void);
/* Marks the last event as the place of the performance pass's block in the detail log. */
void lg__event_mark_perf(lg__test *t);
/* lg_run_test's body; popts non-NULL runs a peak search (lg_find_peak). */
int lg__run_test(const lg_settings *settings, const lg_sut *sut, const lg_qsl *qsl,
                 const lg_log_settings *log, lg_results *out, const lg_peak_options *popts,
                 lg_peak_result *presult);

/* peak.c: the search. begin: checks the options, sets up the state (t->peak) or
 * returns LG_EINVAL; search: runs the probes, leaves the reported probe's pass in *best
 * and its figures in *out, t->eff set to its settings (mode FIND_PEAK); end: hands
 * the probes to the caller's lg_peak_result and frees the state (peak may be NULL). */
int lg__peak_begin(lg__test *t, const lg_peak_options *o, lg_peak_result *res,
                   lg__peak **out);
int lg__peak_search(lg__test *t, lg__pass *best, lg_results *out);
void lg__peak_end(lg__test *t, lg__peak *peak);
/* peak.c, for logs.c: the search as results.json's "peak_search" object (nothing when
 * t ran no search). */
void lg__peak_json(FILE *f, const lg__test *t);

#endif /* LOADGEN_INTERNAL_H */
