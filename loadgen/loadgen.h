/* loadgen.h: the public API of libloadgen, an MLPerf-style load generator.
 * A caller describes a System Under Test (SUT) and a Query Sample Library (QSL) as
 * callbacks, fills lg_settings, calls lg_run_test() and gets an lg_results back. */
#ifndef LOADGEN_LOADGEN_H
#define LOADGEN_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Thread safety: every function here may be called from one thread at a time unless its
 * comment says otherwise. lg_complete(), lg_complete_cb(), lg_first_token() and lg_abort() are the
 * exceptions: any thread, any number at once. Tests run one after another in a process; two lg_run_test() calls
 * at the same time are refused with LG_EBUSY.
 *
 * Time is CLOCK_MONOTONIC, int64_t nanoseconds; every field that holds a time or a
 * duration carries its unit in its name.
 */

/* Error codes: functions return 0 or one of these (all negative). */
enum {
    LG_EINVAL = -22,   /* an argument or setting is out of range (see the message) */
    LG_ENOMEM = -12,   /* an allocation failed */
    LG_EBUSY = -16,    /* a test is already running in this process */
    LG_EIO = -5,       /* a log file could not be written */
    LG_ESUT = -1001,   /* the SUT or the QSL reported a failure (load/unload) */
    LG_EEXIST = -17,   /* the output folder already holds a run's files (see
                          lg_log_settings.overwrite) */
};

/* The machine a test runs on, as results.json records it. Strings are "unknown" when
 * not available. */
typedef struct lg_environment {
    char cpu_model[128]; /* /proc/cpuinfo "model name" (or ARM's "Model"/"Processor") */
    long cores;          /* online processors */
    char kernel[256];    /* uname: sysname release machine */
    char hostname[80];
    char compiler[128];  /* the compiler that built the library (__VERSION__) */
} lg_environment;

/* Fills *out with the current machine's description. Never fails; thread-safe. */
void lg_environment_get(lg_environment *out);

/* Returns a static English description of an error code; never NULL. It covers every
 * code a public function of this library returns: the LG_E* codes, and the negative
 * errno values of stats_ and plot_ functions (-EINVAL and -ENOMEM equal LG_EINVAL and
 * LG_ENOMEM; -EDOM, -ERANGE). */
const char *lg_strerror(int err);

/* CLOCK_MONOTONIC in nanoseconds: the clock of every time the LoadGen records, for a SUT
 * that stamps its own times. Thread-safe, async-signal-safe. */
int64_t lg_now_ns(void);

/* Returns the library version, e.g. "0.1.0"; a static string. */
const char *lg_version(void);
/* The git commit the library was built from ("1a2b3c4d5e6f", with "-dirty" when tracked
 * files had uncommitted changes), or "" when it was not built in a git checkout. */
const char *lg_build_commit(void);

/* Returns an English description of why the last failing call of this library on the
 * calling thread failed, naming the setting, the file and the system error where there
 * is one (e.g. "could not write results.json in runs/a: No space left on device"), or
 * "" when the last lg_run_test on this thread succeeded. The text belongs to the thread
 * and stays valid until its next call into the library. Thread-safe. */
const char *lg_last_error(void);

/* Removes the temporary file that lg_run_test is writing at this moment (a log file is
 * written under NAME.tmp.PID and renamed into place), if there is one. For a program
 * that exits from a signal handler while the logs are written, so that no orphan file is
 * left; async-signal-safe. The files already renamed stay, and results.json is written
 * last: a folder without it is an incomplete run. */
void lg_log_discard_partial(void);

/* ------------------------------------------------------------------------------------
 * Samples and responses
 * ---------------------------------------------------------------------------------- */

/* One sample of a query, as handed to the SUT. */
typedef struct lg_sample {
    uint64_t id;    /* opaque id; pass it back in lg_response.id */
    uint64_t index; /* index of the sample in the QSL, < total_sample_count */
} lg_sample;

/* Response status: 0 is success; any other value is a failure code of the SUT's own
 * choosing (e.g. an errno or an HTTP status), counted and reported as a failed sample. */
enum { LG_STATUS_OK = 0 };

/* One completed sample, as the SUT reports it to lg_complete(). */
/* The largest response data lg_complete() accepts for the accuracy log (1 GiB); a
 * larger size is a SUT error (lg_results.bad_responses). */
#define LG_MAX_RESPONSE_BYTES ((size_t)1 << 30)

typedef struct lg_response {
    uint64_t id;      /* the id of the lg_sample being answered */
    const void *data; /* the output, or NULL; read (copied) only when the accuracy
                         log records this sample, and only during the call */
    size_t size;      /* bytes at data */
    int32_t status;   /* LG_STATUS_OK, or a non-zero failure code */
    /* MLPerf's QuerySampleResponse n_tokens: the output tokens of this sample as the SUT
     * counts them (lg_complete); 0 = not reported. Read only when the test records
     * tokens (docs/tokens.md); lg_first_token ignores it. */
    int64_t n_tokens;
    /* When the SUT actually sent the sample to its backend, on lg_now_ns()'s clock;
     * 0 = unknown (the issue time stands in). For the from-send figures of a test that
     * records tokens; ignored otherwise. */
    int64_t sent_ns;
} lg_response;

/*
 * Reports that the SUT finished n samples. Call it from any thread, any number at once,
 * at any time during the test, including from inside lg_sut.issue.
 *
 * Progress: lock-free. In a performance run without accuracy logging it is wait-free:
 * one clock read per call, then per sample one atomic compare-and-swap on that sample's
 * own record and one atomic add on the caller's counter shard. A sample picked for the
 * accuracy log adds a copy of its data and a lock-free push.
 *
 * responses: n responses, read during the call only (the caller keeps ownership).
 * A second completion of a sample, an id that was never issued and a call when no test
 * is running are counted as errors and otherwise ignored; they never crash.
 */
void lg_complete(const lg_response *responses, size_t n);

/* A callback lg_complete_cb() runs on a response the accuracy log records. */
typedef void (*lg_response_cb)(void *ctx, lg_response *response);

/*
 * lg_complete() with MLPerf's response callback: for each sample the accuracy log
 * records (every sample of an accuracy pass, accuracy_log_probability's share of a
 * performance pass), cb(ctx, &responses[i]) runs after the completion time was taken
 * and before the data is copied, on the calling thread. It may change that response's
 * data and size (e.g. copy an output from a device to the host only for the samples
 * that are logged; the latency does not include it); the copy reads them after it
 * returns. It is not called for other samples, nor for unknown or duplicate ids, and
 * must not call lg_run_test. cb may be NULL (then this is lg_complete). Any thread, as
 * lg_complete; it is lock-free unless the callback blocks, and the end of the test waits
 * for calls under way, so a callback should not wait for the test to end.
 */
void lg_complete_cb(lg_response *responses, size_t n, lg_response_cb cb, void *ctx);

/*
 * MLPerf's FirstTokenComplete: reports that the first output token of each of n samples
 * arrived (a streaming SUT, e.g. an LLM). The arrival time is the clock read once at
 * entry, as lg_complete's. Call it from any thread, any number at once, before the
 * sample's lg_complete(); the same thread-safety and progress guarantees as lg_complete:
 * lock-free, wait-free without accuracy logging (one clock read per call, one atomic
 * compare-and-swap per sample), no allocation unless the accuracy log records the
 * sample (its data is copied as the first token's "token_data").
 *
 * Recorded when the test records tokens (lg_settings.use_token_latencies, or a goodput
 * SLO set); otherwise each call only counts its samples (lg_results.tokens
 * .first_tokens_ignored). A second first token for a sample, an id that was never
 * issued, and a first token after the sample completed (or timed out) are counted
 * (lg_results.tokens.first_token_duplicates, _unknown, _late) and otherwise ignored;
 * the run is then INVALID (LG_INVALID_TOKEN_ERRORS). Only id, data and size are read.
 */
void lg_first_token(const lg_response *responses, size_t n);

/* Asks the running test to stop issuing, wait for outstanding samples (up to the sample
 * timeout, and at most LG_ABORT_GRACE_MS after the abort) and return with results
 * marked aborted; an abort that arrives when issuing has ended and every sample has
 * settled changes nothing that was measured, and the run is judged on its data. Any
 * thread, async-signal-safe, any time; does nothing when no test runs. */
void lg_abort(void);

/* How long, after lg_abort(), samples still outstanding may complete before they are
 * counted as timed out (ms). */
#define LG_ABORT_GRACE_MS 1000

/* The most Server issue threads (lg_settings.server_num_issue_query_threads). */
#define LG_MAX_ISSUE_THREADS 64
/* Consecutive queries one of several issue threads takes in turn (see
 * server_num_issue_query_threads): the schedule is drawn once, a block at a time, by the
 * thread whose block it is, and its records are whole cache lines of its own. */
#define LG_ISSUE_BLOCK 256

/* MLPerf's RegisterIssueQueryThread: the calling thread (the harness's own) becomes one
 * of the Server issue threads of the next test that runs with
 * lg_settings.server_issue_threads_registered, and blocks until that test ends. It may
 * be called before lg_run_test (the usual way: start the threads, then run the test) or
 * while lg_run_test waits for registrations (issue_thread_wait_ms). It issues the
 * queries of its share in every performance pass (and warm-up) of a Server test and
 * does nothing in other scenarios. A test that finds a different number of threads
 * registered than server_num_issue_query_threads fails, and the threads registered then
 * return LG_EINVAL. Returns 0 when the test it served ended (whatever its verdict).
 * Thread-safe; any number of threads. A test that does not ask for registered threads
 * leaves them waiting. */
int lg_register_issue_thread(void);

/* Returns LG_EINVAL to every thread waiting in lg_register_issue_thread for a test: for
 * a harness that started its issue threads and then does not run the test. lg_run_test
 * does it itself when it refuses settings that ask for registered threads. Thread-safe;
 * threads serving a running test are not affected. */
void lg_release_issue_threads(void);

/* The most queries lg_settings.concurrency may keep outstanding. */
#define LG_MAX_CONCURRENCY 65536

/* The range of server_target_qps and offline_expected_qps. */
#define LG_MIN_QPS 1e-6
#define LG_MAX_QPS 1e12

/* ------------------------------------------------------------------------------------
 * SUT and QSL interfaces (MLPerf's shapes, with a context pointer)
 * ---------------------------------------------------------------------------------- */

typedef struct lg_sut {
    const char *name; /* shown in logs; the caller keeps ownership for the test */
    void *ctx;        /* passed back to every callback */
    /* Hands n samples to the SUT. `samples` is valid during the call only. The SUT
     * completes each sample later, exactly once, with lg_complete(), from any thread;
     * it may also complete inside this call. Called from the LoadGen's issue thread (in
     * Server with server_num_issue_query_threads N > 1, from N threads at once). */
    void (*issue)(void *ctx, const lg_sample *samples, size_t n);
    /* Called once after the last issue of a series of queries: a hint to stop waiting
     * for more work to batch. May be NULL. */
    void (*flush)(void *ctx);
    /* Zero (designated initializers or memset leave it so): room for callbacks to come
     * without an ABI break. */
    void *reserved[6];
} lg_sut;

typedef struct lg_qsl {
    const char *name;                  /* shown in logs */
    void *ctx;                         /* passed back to every callback */
    uint64_t total_sample_count;       /* samples in the dataset, >= 1 */
    uint64_t performance_sample_count; /* samples that fit in memory at once, >= 1 */
    /* Loads the samples with these indices into memory before they are issued.
     * Returns 0, or non-zero to fail the test with LG_ESUT. May be NULL. */
    int (*load)(void *ctx, const uint64_t *indices, size_t n);
    /* Unloads samples loaded earlier, in the order they were loaded. May be NULL. */
    int (*unload)(void *ctx, const uint64_t *indices, size_t n);
    void *reserved[6]; /* zero: room to grow without an ABI break */
} lg_qsl;

/* ------------------------------------------------------------------------------------
 * Settings: MLPerf's TestSettings, with its defaults (lg_settings_default). The MLPerf
 * Inference rules win over these comments where they differ.
 * ---------------------------------------------------------------------------------- */

typedef enum lg_scenario {
    LG_SINGLE_STREAM = 0, /* one sample per query; next query when the last completed.
                             Metric: early-stopping latency at the target percentile */
    LG_MULTI_STREAM = 1,  /* samples_per_query samples per query, issued like
                             SingleStream. Metric: early-stopping per-query latency */
    LG_SERVER = 2,        /* one sample per query at Poisson arrival times (or
                             lg_settings.arrival's).
                             Metric: completed samples per second, under a latency bound */
    LG_OFFLINE = 3,       /* all samples in one query at the start. Metric: samples/s */
} lg_scenario;

typedef enum lg_mode {
    LG_MODE_SUBMISSION = 0,  /* accuracy pass, then performance pass */
    LG_MODE_ACCURACY = 1,    /* every sample of the accuracy set issued exactly once */
    LG_MODE_PERFORMANCE = 2, /* timed run on the performance sample set */
    LG_MODE_FIND_PEAK = 3,   /* MLPerf's FindPeakPerformance (Server only): the highest
                                server_target_qps whose latency bound holds, found by
                                doubling then bisecting (docs/peak.md) */
} lg_mode;

/* How Server queries arrive (docs/arrival.md). Only LG_ARRIVAL_POISSON, MLPerf's, makes
 * an MLPerf-valid run; the logs and results.json say so of every other pattern. */
typedef enum lg_arrival {
    LG_ARRIVAL_POISSON = 0,  /* exponential gaps of mean 1/server_target_qps (MLPerf's) */
    LG_ARRIVAL_CONSTANT = 1, /* query i at i/server_target_qps exactly */
    LG_ARRIVAL_GAMMA = 2,    /* gamma gaps of shape arrival_burstiness, mean 1/rate:
                                coefficient of variation 1/sqrt(burstiness) */
    LG_ARRIVAL_RAMP = 3,     /* the rate moves linearly from arrival_start_qps to
                                server_target_qps over min_duration_ms, then holds */
    LG_ARRIVAL_STAGES = 4,   /* k6's stages: from arrival_start_qps, linearly to each
                                stage's target over its duration; the last target holds */
    LG_ARRIVAL_TRACE = 5,    /* arrival_trace_ns replayed, scaled by arrival_trace_speed */
} lg_arrival;
#define LG_ARRIVAL_COUNT 6

/* One k6-style stage: the rate moves linearly to target_qps over duration_ns. */
typedef struct lg_arrival_stage {
    int64_t duration_ns; /* > 0 */
    double target_qps;   /* >= 0 (0: no arrivals once reached) */
} lg_arrival_stage;

typedef struct lg_settings {
    lg_scenario scenario;
    lg_mode mode;

    /* SingleStream */
    double single_stream_expected_latency_ns;       /* hint, > 0; default 1e6 */
    double single_stream_target_latency_percentile; /* (0,1); default 0.90 */
    /* MultiStream */
    double multi_stream_expected_latency_ns;        /* hint, > 0; default 8e6 */
    double multi_stream_target_latency_percentile;  /* (0,1); default 0.99 */
    uint64_t multi_stream_samples_per_query;        /* >= 1; default 8 */
    /* Server */
    double server_target_qps;                       /* > 0; default 1 */
    int64_t server_target_latency_ns;               /* latency bound; default 1e8 */
    double server_target_latency_percentile;        /* (0,1); default 0.99 */
    bool server_coalesce_queries;                   /* issue all overdue queries in one
                                                       issue call; default false */
    uint64_t server_max_async_queries;              /* outstanding-query limit, 0 = none */
    /* Server: the threads that issue the queries (docs/scenarios.md, "Several issue
     * threads"), 0 to LG_MAX_ISSUE_THREADS. 0 or 1: the thread that calls lg_run_test
     * issues. N > 1: N threads share the one schedule, thread k taking the blocks of
     * LG_ISSUE_BLOCK consecutive queries whose number is k mod N (MLPerf's partition of
     * query i to thread i mod N, by blocks); each query keeps its own scheduled time.
     * The LoadGen starts them itself unless server_issue_threads_registered. The SUT's
     * issue callback is then called from N threads at once. Default 0. */
    uint64_t server_num_issue_query_threads;
    /* Offline */
    double offline_expected_qps;                    /* > 0; default 1 */

    /* All scenarios */
    uint64_t min_duration_ms;      /* default 10000 */
    uint64_t max_duration_ms;      /* 0 = no limit; ends the run early, as an error
                                      (INVALID unless mlperf_max_limits) */
    uint64_t min_query_count;      /* default 100 */
    uint64_t max_query_count;      /* 0 = no limit; ends the run early, as an error
                                      (INVALID unless mlperf_max_limits) */
    uint64_t qsl_rng_seed;         /* picks the performance sample set */
    uint64_t sample_index_rng_seed;/* picks samples for queries */
    uint64_t schedule_rng_seed;    /* Server arrival times */
    uint64_t accuracy_log_rng_seed;/* picks responses logged in performance mode */
    double accuracy_log_probability;    /* [0,1]: fraction of performance-mode
                                           responses copied to the accuracy log */
    /* > 0: replaces accuracy_log_probability in the performance pass by this many
     * samples over the samples the run is expected to issue, as MLPerf's compliance
     * tests (TEST01, TEST06) need: target / max(rate x min_duration x samples per
     * query, min_query_count x samples per query), Offline: target / max(rate x
     * min_duration, the query's samples) (docs/configuration.md). */
    uint64_t accuracy_log_sampling_target;
    bool print_timestamps;              /* logged only */
    bool performance_issue_unique;      /* each loaded sample at most once */
    bool performance_issue_same;        /* always the same sample */
    uint64_t performance_issue_same_index; /* which sample, < performance sample count */
    uint64_t performance_sample_count_override; /* 0 = the QSL's own count */
    uint64_t accuracy_sample_count_override;    /* 0 = the QSL's total count */
    /* Performance samples drawn as concatenated shuffles of the loaded set, each
     * loaded sample once per shuffle (MLPerf's "equal issue"): Offline pads its query to
     * a multiple of the set; SingleStream, MultiStream and Server end on a multiple of
     * the set's size in queries, SingleStream's min_query_count raised as MLPerf's. */
    bool sample_concatenate_permutation;

    /* Ours (not in MLPerf). */
    int64_t sample_timeout_ns; /* a sample not completed this long after its scheduled
                                  time, once issuing ended, is marked failed; 0 = the
                                  scenario's default (docs/failures.md) */
    uint64_t warmup_duration_ms; /* before the timed run, issue the scenario's queries
                                    this long on the loaded set; not measured, not
                                    logged per sample; 0 = no warm-up (default) */
    /* MLPerf's FindPeakPerformance settings (LG_MODE_FIND_PEAK; logged in every Server
     * run, as MLPerf logs them): the bisection stops when the bounds agree to this many
     * decimals of QPS, and the bracket grows by a factor 1 + step size. */
    uint64_t server_find_peak_qps_decimals_of_precision; /* default 1 */
    double server_find_peak_qps_boundary_step_size;      /* default 1 (doubling) */

    /* MLPerf's token latencies (LLM benchmarks; docs/tokens.md). */
    bool use_token_latencies;       /* record first tokens and n_tokens; TTFT and TPOT
                                       replace the Server latency bound; default false */
    bool infer_token_latencies;     /* report inferred tokens/s (Server, Offline):
                                       samples x token_latency_scaling_factor */
    int64_t server_ttft_latency_ns; /* Server, token mode: TTFT bound at the target
                                       percentile; default 1e8 */
    int64_t server_tpot_latency_ns; /* Server, token mode: TPOT bound; default 1e8 */
    uint64_t token_latency_scaling_factor; /* tokens per sample assumed by
                                              infer_token_latencies, >= 1; default 1 */
    /* Ours: goodput SLOs, ns, 0 = none. A sample is good when it completed OK and every
     * SLO set holds (from its scheduled time, as MLPerf measures; a 1-token output's
     * TPOT counts as 0). Setting one records tokens as use_token_latencies does. */
    int64_t slo_ttft_ns;
    int64_t slo_tpot_ns;
    int64_t slo_e2e_ns;
    /* Ours: SingleStream and MultiStream keep this many queries outstanding, issuing
     * the next as soon as any completes (a closed loop, perf_analyzer's "concurrency");
     * 0 or 1 = MLPerf's one query at a time. Latency runs from each query's issue, as
     * in MLPerf's streams. Not an MLPerf setting: the detail log warns when it is on. */
    uint64_t concurrency;
    /* Ours: how the Server and Offline issue thread waits for a query's scheduled time.
     * It sleeps (an absolute-deadline clock_nanosleep) until this long before the time,
     * then spins: a spin window makes issue times exact to about a microsecond but holds
     * a core whenever queries are due less than the window apart. 0 = never spin: issue
     * times late by the wake-up latency (about 5-60 us here), and the core free for the
     * SUT (the program uses 0 for network SUTs, whose client shares the machine). Default
     * 120000 (120 us). */
    int64_t issue_spin_ns;
    /* Ours: Server: the issue thread wakes at most once per this interval and then issues
     * every query already due, so that a dense schedule costs one sleep per interval, not
     * one per query (a sleep and a wake-up cost 5-20 us of CPU, far more in some virtual
     * machines). A query is then late by up to this much, which shows in the issue lag
     * and the latency as ever. 0 (default) = wake for every query. The program uses
     * 100 us for network SUTs. */
    int64_t issue_batch_ns;
    /* MLPerf's TEST05 switch (mlperf.conf's test05): true runs PerformanceOnly with the
     * three test05_* seeds in place of qsl_rng_seed, sample_index_rng_seed and
     * schedule_rng_seed, as MLPerf's LoadGen does; the detail log shows the seeds
     * used. */
    bool test05;
    /* Ours: MLPerf's verdict when max_duration_ms, max_query_count or
     * server_max_async_queries ends the run: issuing stops with an error line in the
     * detail log, and the run is judged on the other rules alone (MLPerf's LoadGen
     * does so; its submission checker then refuses the logged error). false (the
     * default): such a run is INVALID (LG_INVALID_MAX_LIMIT). The Python module sets
     * it. */
    bool mlperf_max_limits;
    /* Ours: true: samples never time out; the test waits for every sample, as MLPerf's
     * LoadGen does (lg_abort() still ends it). Excludes sample_timeout_ns. The Python
     * module sets it unless a timeout is given. */
    bool no_sample_timeout;
    uint64_t test05_qsl_rng_seed;          /* TEST05's seeds (see test05) */
    uint64_t test05_sample_index_rng_seed;
    uint64_t test05_schedule_rng_seed;
    /* Ours: the Server arrival pattern (docs/arrival.md); LG_ARRIVAL_POISSON (default) is
     * MLPerf's and the only MLPerf-valid one. The accuracy pass always uses Poisson. */
    lg_arrival arrival;
    double arrival_burstiness;  /* LG_ARRIVAL_GAMMA: the shape b, > 0; 1 = Poisson's
                                   spread; default 1 */
    double arrival_start_qps;   /* LG_ARRIVAL_RAMP, _STAGES: the rate at the start, >= 0;
                                   default 0 */
    double arrival_trace_speed; /* LG_ARRIVAL_TRACE: gaps are divided by it (2 = twice
                                   as fast), > 0; default 1 */
    /* Ours, MLPerf's semantics: true = the harness brings the Server issue threads: it
     * starts server_num_issue_query_threads (>= 1) threads that each call
     * lg_register_issue_thread(), and the LoadGen starts none. lg_run_test waits up to
     * issue_thread_wait_ms for exactly that many and fails (LG_EINVAL, the counts in
     * lg_last_error) otherwise. Default false: the LoadGen starts its own threads. The
     * C++ API sets it whenever server_num_issue_query_threads > 0, as MLPerf's LoadGen
     * always expects registered threads. */
    bool server_issue_threads_registered;
    /* How long lg_run_test waits for registered issue threads (ms); default 10000, as
     * MLPerf's LoadGen waits 10 s. */
    uint64_t issue_thread_wait_ms;
    /* LG_ARRIVAL_STAGES: the stages, read during lg_run_test (the caller keeps them);
     * not in the settings table (no config key): the program's --stages sets them. */
    const lg_arrival_stage *arrival_stages;
    uint64_t arrival_stage_count;
    /* LG_ARRIVAL_TRACE: query i is due arrival_trace_ns[i] / arrival_trace_speed after
     * the start (non-decreasing, >= 0) and issues QSL sample i mod total_sample_count,
     * so a SUT that knows the trace's row i by its index sees its lengths; the whole
     * QSL must be loaded. The run ends with the trace. Read during lg_run_test. */
    const int64_t *arrival_trace_ns;
    uint64_t arrival_trace_count;
    /* Ours: bounded memory (docs/hdr.md). true: the performance pass records latencies
     * and issue lags in per-thread log-linear histograms instead of one record per sample
     * kept to the end: memory stays constant however long the run, the percentiles carry
     * a relative error of at most lg_results.record_relative_error, no samples.bin is
     * written, and the run is never VALID (LG_INVALID_HDR_RECORDING). Not with
     * MultiStream, nor with token latencies or goodput SLOs. Default false. */
    bool record_hdr;
    /* The histograms' significant decimal digits, 1..5 (default 2: relative error at
     * most 2^-8 = 0.390625 %). */
    uint64_t hdr_significant_digits;
    /* Ours: this process's share of one schedule split across processes (a distributed
     * run, docs/distributed.md; `loadgen run --distributed` sets them, they are no
     * config keys). schedule_stride > 1: of the global schedule's queries q = 0, 1, ...
     * (Server: the arrivals; Offline: the samples of the one query) this process issues
     * only those with q mod schedule_stride == schedule_offset. It still draws every
     * global query's time and sample index, so that stride processes with the offsets
     * 0 .. stride-1 issue, together, exactly the queries one process would, and all end
     * at the same global query. 0 or 1 = the whole schedule. Server (without
     * server_coalesce_queries) and Offline, performance mode only. */
    uint64_t schedule_stride;
    uint64_t schedule_offset;
    /* Ours: the CLOCK_REALTIME time (ns since the epoch) at which the performance pass
     * starts: after loading the samples and the warm-up the issue thread sleeps until
     * then, so that processes on several machines start together. 0 = at once. A time
     * already past starts at once and the detail log warns by how much it was late. */
    int64_t start_realtime_ns;
    /* Zero (lg_settings_default sets it so): room for settings to come without an ABI
     * break; lg_settings_check refuses non-zero values, so that a program built
     * against a newer header fails loudly with an older library. */
    uint64_t reserved[3];
} lg_settings;

/* Fills s with MLPerf's defaults. */
void lg_settings_default(lg_settings *s);

/* Checks s against itself and the QSL (qsl may be NULL). Returns 0 or LG_EINVAL and,
 * when msg is not NULL, writes a message naming the setting and value (up to len). */
int lg_settings_check(const lg_settings *s, const lg_qsl *qsl, char *msg, size_t len);

/* Warnings about settings that lg_settings_check accepts but that are probably a
 * mistake: today, a run expected to take far longer than min_duration_ms (more than a
 * minute and 3x it), as with lg_settings_default()'s stand-in rate of 1 query per
 * second when server_target_qps or offline_expected_qps was forgotten. lg_run_test
 * logs each as a warning in the detail log (counted in warnings_logged).
 * buf: the warnings, one per line, naming the setting (up to len bytes; may be NULL
 * when len is 0). qsl may be NULL (one sample assumed).
 * Returns how many (0 when none), or LG_EINVAL when lg_settings_check would refuse. */
int lg_settings_warnings(const lg_settings *s, const lg_qsl *qsl, char *buf, size_t len);

/* The sample timeout, in ns, that a test with these settings and this QSL would use:
 * sample_timeout_ns when it is set, INT64_MAX with no_sample_timeout (never), else the
 * scenario's default (see docs/failures.md). qsl may be NULL (a QSL of one sample is
 * assumed). Returns 0 when the settings are refused (lg_settings_check says why).
 * Thread-safe. */
int64_t lg_settings_effective_timeout_ns(const lg_settings *s, const lg_qsl *qsl);

const char *lg_scenario_name(lg_scenario s); /* "SingleStream", ... */
const char *lg_mode_name(lg_mode m);         /* "PerformanceOnly", ... */
/* Parses a name (case-insensitive, also "single-stream", "performance" ...);
 * returns 0 or LG_EINVAL. */
int lg_scenario_parse(const char *name, lg_scenario *out);
int lg_mode_parse(const char *name, lg_mode *out);

/* "poisson", "constant", "gamma", "ramp", "stages", "trace"; "unknown" otherwise. */
const char *lg_arrival_name(lg_arrival a);
/* Parses a name of lg_arrival_name (case-insensitive). Returns 0 or LG_EINVAL. */
int lg_arrival_parse(const char *name, lg_arrival *out);
/* Whether a run with these settings can be MLPerf-valid as far as its arrivals go (only
 * Poisson), and *why (a static sentence naming the pattern) when it cannot. */
bool lg_arrival_mlperf_valid(const lg_settings *s, const char **why);

/* ------------------------------------------------------------------------------------
 * Arrival schedules: the Server schedule of a settings struct, query by query, exactly
 * as lg_run_test issues it (the same seed gives the same times). For tests, plots and
 * tools that want a run's schedule without running it.
 * ---------------------------------------------------------------------------------- */

typedef struct lg_schedule lg_schedule;

/* Makes the schedule of s->arrival with s's rate, seed and parameters (s is checked as
 * lg_settings_check does without a QSL; the stages and trace are copied). Returns 0,
 * LG_EINVAL with lg_last_error() saying why, or LG_ENOMEM. */
int lg_schedule_create(const lg_settings *s, lg_schedule **out);
/* The next query's scheduled time, ns from the start (non-decreasing), or -1 when the
 * schedule has ended (a trace's last row, or stages ending at rate 0). */
int64_t lg_schedule_next_ns(lg_schedule *sch);
/* Frees sch (NULL is fine). */
void lg_schedule_destroy(lg_schedule *sch);

/* ------------------------------------------------------------------------------------
 * Traces: arrival times (and request lengths) read from a file (docs/arrival.md).
 * ---------------------------------------------------------------------------------- */

typedef enum lg_trace_format {
    LG_TRACE_PLAIN = 0,    /* one timestamp a line, in seconds (a decimal number) */
    LG_TRACE_AZURE = 1,    /* Azure LLM inference CSV: TIMESTAMP,ContextTokens,
                              GeneratedTokens; "YYYY-MM-DD HH:MM:SS[.fraction]" */
    LG_TRACE_MOONCAKE = 2, /* Mooncake JSON Lines: timestamp (ms), input_length,
                              output_length, hash_ids */
} lg_trace_format;

typedef struct lg_trace {
    uint64_t count;          /* rows */
    int64_t *time_ns;        /* row i's time from the first row's, non-decreasing */
    uint64_t *input_tokens;  /* row i's prompt length, or NULL (a plain file) */
    uint64_t *output_tokens; /* row i's output length, or NULL (a plain file) */
} lg_trace;

/* "plain", "azure", "mooncake". */
const char *lg_trace_format_name(lg_trace_format f);
/* Parses a name of lg_trace_format_name (case-insensitive). Returns 0 or LG_EINVAL. */
int lg_trace_format_parse(const char *name, lg_trace_format *out);
/* Reads the trace in path. Blank lines are skipped (and, in a plain file, lines that
 * start with '#'). Returns 0; LG_EIO when the file cannot be read; LG_EINVAL when a row
 * is wrong, with err naming the file, the line and the field ("t.csv:12: field
 * 'ContextTokens': ..."); LG_ENOMEM. *out is freed with lg_trace_free. */
int lg_trace_load(const char *path, lg_trace_format fmt, lg_trace *out, char *err,
                  size_t errlen);
void lg_trace_free(lg_trace *t);

/* ------------------------------------------------------------------------------------
 * Log settings and progress
 * ---------------------------------------------------------------------------------- */

typedef struct lg_progress {
    int64_t elapsed_ns;
    uint64_t issued_samples;
    uint64_t completed_samples;
    uint64_t failed_samples;
    double current_qps; /* samples completed per second over the last interval */
    const char *phase;  /* "performance", "accuracy" */
} lg_progress;

/* One line of what was run beyond the settings (see lg_log_settings.notes). */
typedef struct lg_note {
    const char *key;   /* e.g. "command_line", "sut.workers", "config.1.sha256" */
    const char *value; /* as text */
} lg_note;

typedef struct lg_log_settings {
    const char *outdir;     /* folder for the log files, created if missing; NULL or
                               "" writes no files */
    const char *prefix;     /* file name prefix; default "mlperf_log_" */
    bool write_samples;     /* also write samples.bin (per-sample times); default true */
    bool copy_summary_to_stdout; /* the summary also to stdout, after the test */
    bool copy_detail_to_stdout;  /* the detail log also to stdout, after the test (MLPerf
                                    copies each line as it is logged) */
    /* false (the default): lg_run_test refuses, with LG_EEXIST and before the run, an
     * outdir that already holds a run's files (results.json, samples.bin, or the
     * prefixed summary, detail or accuracy log); true: they are replaced. */
    bool overwrite;
    /* Called about every progress_interval_ms from a LoadGen thread (not the issue or
     * a SUT thread) while a test runs. May be NULL. Must not call lg_run_test. */
    void (*progress)(void *ctx, const lg_progress *p);
    void *progress_ctx;
    uint64_t progress_interval_ms; /* default 250 */
    /* What was run beyond the settings, for results.json's "provenance" object, in this
     * order, and for the reports that compare runs: the program's command line, every
     * parameter of the SUT and QSL, the config files and their hashes. Keys should be
     * unique. May be NULL (nnotes 0). The strings are read during lg_run_test only. */
    const lg_note *notes;
    size_t nnotes;
    /* MLPerf's LogOutputSettings.suffix: put after the stem of the summary, detail and
     * accuracy logs' names (mlperf_log_summary<suffix>.txt); NULL or "" = none. Letters,
     * digits, '-', '_', '.', '+' only. results.json and samples.bin keep their names. */
    const char *suffix;
    /* MLPerf's LogOutputSettings.prefix_with_datetime: the test's start time as the
     * detail log's test_datetime writes it (MLPerf's format, "2026-12-05T10:11:12Z")
     * and '_' after the prefix in the same three names:
     * mlperf_log_2026-12-05T10:11:12Z_summary.txt. */
    bool prefix_with_datetime;
    /* The audit config file that was applied to the settings (lg_config_apply_audit in
     * loadgen/config.h; MLPerf's compliance tests), or NULL: the detail log says it was
     * found, as MLPerf's does, and results.json records it ("audit_config"). The string
     * is read during lg_run_test only. */
    const char *audit_config;
} lg_log_settings;

void lg_log_settings_default(lg_log_settings *l);

/* ------------------------------------------------------------------------------------
 * samples.bin: every sample's times (docs/logs.md). A 64-byte header, then the records,
 * every field little-endian on every host. Version 3 (what the library writes) packs the
 * records in blocks of variable-length integers, about 3 bytes a sample for an Offline
 * run and 8 to 11 for a Server run, and a token run's first-token times, token counts
 * and send times beside them (nothing when a run has none); version 2 is version 3
 * without the token fields; version 1 (read, no longer written) holds one 32-byte record
 * per sample. The encoders and decoders below are the one definition of the layouts,
 * for the writer, the readers and an embedder's own tools.
 * ---------------------------------------------------------------------------------- */

#define LG_SAMPLES_MAGIC "LGSAMPL1"   /* 8 bytes, no terminator in the file (every version) */
#define LG_SAMPLES_VERSION 3          /* the version written */
#define LG_SAMPLES_HEADER_BYTES 64
#define LG_SAMPLES_RECORD_BYTES 32    /* version 1's fixed record */
#define LG_SAMPLES_BLOCK_HEADER_BYTES 16
#define LG_SAMPLES_BLOCK_RECORDS 4096 /* records per block the writer uses */
#define LG_SAMPLES_MAX_BLOCK_RECORDS 65536
#define LG_SAMPLES_RECORD_MAX_BYTES 71 /* the most a version 3 record takes (version 2:
                                          40) */
/* The most a block of n records takes, its header included. */
#define LG_SAMPLES_BLOCK_MAX_BYTES(n) \
    (LG_SAMPLES_BLOCK_HEADER_BYTES + (size_t)(n) * LG_SAMPLES_RECORD_MAX_BYTES)

typedef struct lg_samples_header {
    uint32_t version;           /* 3 (LG_SAMPLES_VERSION), 2 or 1 */
    uint32_t record_size;       /* version 1: LG_SAMPLES_RECORD_BYTES; else 0 */
    uint64_t count;             /* records that follow */
    uint64_t samples_per_query;
    int64_t start_ns;           /* the pass's origin, CLOCK_MONOTONIC */
    uint32_t scenario;          /* lg_scenario */
    uint32_t mode;              /* LG_MODE_PERFORMANCE or LG_MODE_ACCURACY */
    uint32_t block_records;     /* versions 2 and 3: records per block (the last may
                                   hold fewer), 1 to LG_SAMPLES_MAX_BLOCK_RECORDS;
                                   version 1: 0 */
} lg_samples_header;

typedef struct lg_sample_record {
    int64_t scheduled_ns;  /* from the pass's start (0 for Offline) */
    int64_t issued_ns;     /* from the pass's start (0 for Offline) */
    int64_t completed_ns;  /* from the pass's start; -1 when it never completed */
    uint32_t index;        /* QSL index */
    int32_t status;        /* the SUT's status; 0 when it never completed */
    /* Token runs (version 3; 0 in older files and in runs that record no tokens): */
    int64_t first_token_ns; /* the first token's arrival, from the pass's start; 0 =
                               none recorded */
    int64_t n_tokens;       /* as the SUT reported it; 0 = not reported */
    int64_t sent_ns;        /* when the SUT sent it, from the pass's start; 0 = unknown */
} lg_sample_record;

/* Writes h as the file's 64 bytes (magic first, zero bytes last). Thread-safe. */
void lg_samples_header_encode(const lg_samples_header *h,
                              unsigned char out[LG_SAMPLES_HEADER_BYTES]);
/* Reads a header; returns 0, or LG_EINVAL when the magic is wrong, the version is not
 * 1, 2 or 3, or the version's record size, block size or reserved bytes are not its
 * layout's. Thread-safe. */
int lg_samples_header_decode(const unsigned char in[LG_SAMPLES_HEADER_BYTES],
                             lg_samples_header *h);
/* Version 1's 32-byte record (decoding leaves the token fields 0). */
void lg_sample_record_encode(const lg_sample_record *r,
                             unsigned char out[LG_SAMPLES_RECORD_BYTES]);
void lg_sample_record_decode(const unsigned char in[LG_SAMPLES_RECORD_BYTES],
                             lg_sample_record *r);

/* A block's 16-byte header (versions 2 and 3). */
typedef struct lg_samples_block {
    uint32_t count;         /* records in the block, at least 1 */
    uint32_t payload_bytes; /* bytes after the block header */
    uint32_t crc;           /* CRC-32 (zlib's) of the header with this field 0, then the
                               payload */
    uint32_t omit;          /* fields left out of every record: zero in all of them (a
                               version 2 block, decoded, has every token field's bit) */
} lg_samples_block;

/* Encodes records r[0..n-1] (1 <= n <= LG_SAMPLES_MAX_BLOCK_RECORDS) as one version 3
 * block, header included, into out, which holds LG_SAMPLES_BLOCK_MAX_BYTES(n) bytes.
 * Every int64/uint32/int32 value round-trips. Returns the bytes written. Thread-safe. */
size_t lg_samples_block_encode(const lg_sample_record *r, size_t n, unsigned char *out);
/* Reads a block header of a file of this version (2 or 3). max_records is the file
 * header's block_records. Returns 0, or LG_EINVAL with *why set when the count is 0 or
 * above max_records, the payload is longer than its records can take, a reserved bit
 * is set, or the version is neither 2 nor 3. Thread-safe. */
int lg_samples_block_header_decode(const unsigned char in[LG_SAMPLES_BLOCK_HEADER_BYTES],
                                   uint32_t version, uint32_t max_records,
                                   lg_samples_block *b, const char **why);
/* Decodes the b->count records of a block (block: its header then its b->payload_bytes
 * bytes) into out. Returns 0, or LG_EINVAL when the block is damaged: *bad_at receives
 * the offset from the block's first byte where the damage was found and *why a short
 * reason (a checksum mismatch reports offset 8, the checksum's). Thread-safe. */
int lg_samples_block_decode(const unsigned char *block, const lg_samples_block *b,
                            lg_sample_record *out, size_t *bad_at, const char **why);
/* Decodes a whole samples.bin held in memory (version 1, 2 or 3): *h receives the header,
 * *out a malloc'ed array of h->count records (free() it). Returns 0; LG_EINVAL when the
 * file is damaged, with *bad_at the byte offset in the file and *why the reason;
 * LG_ENOMEM. Thread-safe. */
int lg_samples_decode(const unsigned char *file, size_t len, lg_samples_header *h,
                      lg_sample_record **out, size_t *bad_at, const char **why);

/* ------------------------------------------------------------------------------------
 * Results
 * ---------------------------------------------------------------------------------- */

/* Reasons a run is INVALID (bit flags in lg_results.invalid_reasons). */
enum {
    LG_INVALID_MIN_DURATION = 1u << 0,  /* ran shorter than min_duration_ms */
    LG_INVALID_MIN_QUERIES = 1u << 1,   /* issued fewer than min_query_count queries */
    LG_INVALID_PERF_CONSTRAINT = 1u << 2, /* Server: latency percentile over the bound */
    LG_INVALID_EARLY_STOPPING = 1u << 3,  /* early stopping not satisfied */
    LG_INVALID_FAILED_SAMPLES = 1u << 4,  /* the SUT reported failures */
    LG_INVALID_TIMED_OUT = 1u << 5,       /* samples never completed in time */
    LG_INVALID_ABORTED = 1u << 6,         /* lg_abort() ended the run */
    LG_INVALID_MAX_LIMIT = 1u << 7,       /* max_query_count, max_duration or
                                             max_async_queries hit (not with
                                             mlperf_max_limits) */
    LG_INVALID_COMPLETION_ERRORS = 1u << 8, /* duplicate or unknown completions, or
                                               responses of an impossible size */
    LG_INVALID_OUT_OF_MEMORY = 1u << 9,   /* memory ran out: the run ended early or
                                             responses could not be logged */
    LG_INVALID_QSL_FAILURE = 1u << 10,    /* the QSL failed to load samples */
    LG_INVALID_TOKEN_ERRORS = 1u << 11,   /* first tokens twice, unknown or late; in
                                             MLPerf's token mode, n_tokens <= 1 or a
                                             sample completed without a first token */
    LG_INVALID_HDR_RECORDING = 1u << 12,  /* record_hdr: the percentiles are
                                             approximate, not an MLPerf result */
    LG_INVALID_LAST = LG_INVALID_HDR_RECORDING
};
/* Returns a one-line English text for one LG_INVALID_* flag. */
const char *lg_invalid_reason_text(unsigned flag);

/* Latency statistics of one array (ns), MLPerf's percentile rule: sorted[floor(n*p)]. */
typedef struct lg_latency_stats {
    uint64_t count;
    int64_t min_ns, max_ns, mean_ns; /* mean: integer sum / count, as MLPerf */
    int64_t p50_ns, p90_ns, p95_ns, p97_ns, p99_ns, p999_ns;
    int64_t target_ns;               /* at the scenario's target percentile */
} lg_latency_stats;

typedef struct lg_early_stopping {
    bool applies;               /* false for Offline */
    bool met;
    double percentile;          /* the target percentile used */
    uint64_t queries;           /* queries considered */
    uint64_t min_queries;       /* SS/MS: h(1)+1; Server: h(t)+t */
    uint64_t overlatency;       /* t: SS/MS discarded+1; Server: over-bound samples */
    uint64_t more_queries_needed; /* Server, when not met */
    int64_t estimate_ns;        /* SS/MS: the early-stopping latency (the metric) */
    int64_t estimate99_ns;      /* SS: the 99th-percentile estimate; 0 if too few */
} lg_early_stopping;

/* The token figures of a run that records tokens (docs/tokens.md has the definitions
 * beside other tools'). Latencies are from the sample's scheduled time as MLPerf's
 * (Offline: from the start of the pass), unless named _from_send. */
typedef struct lg_token_results {
    bool applies;         /* tokens were recorded: use_token_latencies or an SLO set */
    bool mlperf;          /* use_token_latencies: MLPerf's token mode (its logs, its
                             Server constraints and early stopping) */
    const char *count_source; /* where the token counts come from: "sut" (n_tokens of
                                 lg_complete) or "none" (no sample reported one) */
    uint64_t samples_with_tokens; /* successful samples that reported n_tokens != 0 */
    uint64_t output_tokens;       /* sum of n_tokens > 0 over successful samples */
    uint64_t token_count;         /* MLPerf's: sum of n_tokens >= 2 (it counts a 0, 1 or
                                     negative n_tokens as 0) */
    lg_latency_stats ttft;        /* first token - scheduled, successful samples with a
                                     first token */
    /* MLPerf's (latency - TTFT) / (n_tokens - 1), integer division. In token mode a
     * sample with n_tokens <= 1 enters with MLPerf's value, TTFT - latency (it divides
     * by 0 - 1); otherwise such samples are left out. */
    lg_latency_stats tpot;
    lg_latency_stats ttft_from_send;    /* first token - sent_ns (else the issue time) */
    lg_latency_stats latency_from_send; /* completion - sent_ns (else the issue time) */
    /* MLPerf's throughputs, over token_count: */
    double tokens_per_sec;           /* Offline: tokens / the longest latency */
    double completed_tokens_per_sec; /* Server, and logged for every non-Offline
                                        scenario: tokens / last completion time */
    double tokens_per_sec_with_loadgen_overhead;    /* tokens / last issue time */
    double tokens_per_sec_without_loadgen_overhead; /* tokens / (mean latency x samples),
                                                       per second (the detail log's
                                                       result_token_throughput is this
                                                       per ns, as MLPerf's) */
    double inferred_tokens_per_sec;  /* infer_token_latencies: Server (samples - 1) x
                                        factor / last completion time; Offline samples
                                        x factor / the longest latency; else 0 */
    /* Token-mode early stopping (MLPerf: TPOT first, then TTFT, only if TPOT was met;
     * ttft_early_stopping.applies is false when it was not evaluated). */
    lg_early_stopping ttft_early_stopping;
    lg_early_stopping tpot_early_stopping;
    bool ttft_constraint_met;        /* Server token mode: TTFT at the target percentile
                                        <= server_ttft_latency_ns */
    bool tpot_constraint_met;        /* ... and TPOT <= server_tpot_latency_ns */
    /* Problems, counted (see LG_INVALID_TOKEN_ERRORS): */
    uint64_t first_token_duplicates; /* a second first token for a sample */
    uint64_t first_token_unknown;    /* ids that were never issued */
    uint64_t first_token_late;       /* after the sample completed or timed out */
    uint64_t first_tokens_ignored;   /* first tokens of a test that records none */
    uint64_t missing_first_token;    /* successful samples without a first token */
    uint64_t n_tokens_zero;          /* successful samples that reported 0 tokens ... */
    uint64_t n_tokens_negative;      /* ... a negative count ... */
    uint64_t n_tokens_one;           /* ... or 1 token (MLPerf: errors in token mode) */
    /* Goodput (slo_* set): good = completed OK and every SLO set holds. Rates are over
     * the run's duration (lg_results.duration_ns). */
    bool slo_applies;
    uint64_t good_requests;
    uint64_t good_tokens;            /* output tokens of the good requests */
    double request_goodput;          /* good requests per second */
    double token_goodput;            /* good tokens per second */
    double output_tokens_per_sec;    /* output_tokens per second */
} lg_token_results;

typedef struct lg_results {
    lg_scenario scenario;
    lg_mode mode;          /* the mode that produced these figures */
    bool valid;
    bool aborted;
    unsigned invalid_reasons; /* LG_INVALID_* flags */

    /* The scenario's metric, as MLPerf defines it. */
    const char *metric_name;  /* e.g. "result_samples_per_second"; static string */
    const char *metric_unit;  /* "ns" or "1/s" */
    double metric;

    uint64_t queries_issued;
    uint64_t samples_issued;
    uint64_t samples_completed; /* completed once, success or failure */
    uint64_t samples_failed;    /* completed with a non-zero status */
    uint64_t samples_timed_out; /* never completed; counted as failed too */
    uint64_t duplicate_completions;
    uint64_t unknown_completions;
    uint64_t late_completions;  /* completions of samples already timed out */
    uint64_t accuracy_samples_logged;

    lg_latency_stats latency;        /* per sample, from the scheduled time */
    lg_latency_stats query_latency;  /* MultiStream: per query */
    lg_latency_stats issue_lag;      /* actual issue time - scheduled time */
    lg_early_stopping early_stopping;

    int64_t duration_ns;              /* start to last completion */
    int64_t final_issue_ns;           /* issue time of the last query, from start */
    int64_t final_scheduled_ns;       /* scheduled time of the last query */
    double completed_samples_per_sec; /* Server metric: (n-1) / last query done */
    double scheduled_samples_per_sec; /* Server */
    double samples_per_sec;           /* Offline metric: n / max latency */
    double qps_with_loadgen_overhead;   /* SingleStream */
    double qps_without_loadgen_overhead;/* SingleStream: 1 / mean latency */
    uint64_t overlatency_count;       /* Server: samples over the latency bound */
    uint64_t performance_sample_count;/* the effective count loaded */
    uint64_t accuracy_sample_count;
    uint64_t samples_per_query;       /* the effective count */
    uint64_t warmup_queries;          /* queries issued in the warm-up, not measured */
    uint64_t errors_logged;           /* error entries in the detail log */
    uint64_t warnings_logged;

    uint64_t bad_responses;           /* responses with size > LG_MAX_RESPONSE_BYTES:
                                         not logged, counted as completion errors */
    uint64_t accuracy_samples_dropped;/* responses to log that found no memory */

    lg_token_results tokens;          /* token figures (tokens.applies) */

    /* How the figures were recorded: false, exact (every sample's record, MLPerf's
     * percentile rule on the sorted latencies); true, lg_settings.record_hdr's
     * histograms, whose percentiles are within record_relative_error (a fraction, e.g.
     * 0.00390625) of the exact ones; count, min, max and mean stay exact. */
    bool record_hdr;
    double record_relative_error;     /* 0 when exact */

    /* CLOCK_REALTIME (ns since the epoch) read together with the pass's CLOCK_MONOTONIC
     * origin: it places the pass's relative times on the wall clock (a distributed
     * run converts every process's times to one base with it). 0 when no pass ran. */
    int64_t start_realtime_ns;

    /* A FindPeakPerformance search (mode 3, lg_find_peak) reports one probe's run, whose
     * mode above is then LG_MODE_PERFORMANCE: find_peak says so, and find_peak_passed
     * whether that run is the peak's (a probe passed) or, no probe having passed, the
     * first probe's. Both false for any other run. */
    bool find_peak;
    bool find_peak_passed;

    uint64_t reserved[8];             /* zero; room to grow without an ABI break */
} lg_results;

/*
 * Runs one test: loads the performance (or accuracy) sample sets through the QSL, issues
 * queries to the SUT on the scenario's schedule, waits for completions (with a
 * deadline), computes the results and writes the logs.
 *
 * settings, sut, qsl: read during the call; the caller keeps ownership.
 * log: may be NULL (no files). out: filled on success, and also when the run ends
 * invalid or aborted; the run's validity is out->valid, not the return value.
 * Returns 0, LG_EINVAL (bad settings; nothing was issued), LG_EBUSY, LG_ESUT (a QSL
 * load failed: *out is filled, INVALID with LG_INVALID_QSL_FAILURE, and the logs are
 * written), LG_ENOMEM (memory ran out: before the run, or during it, when *out is
 * filled, INVALID with LG_INVALID_OUT_OF_MEMORY, and the logs are written) or LG_EIO
 * (the output folder cannot be written, found before the run; or a log file could not
 * be written after it, when *out is still filled), or LG_EEXIST (the output folder
 * already holds a run and log->overwrite is false; found before the run).
 * lg_last_error() says why.
 * In SubmissionRun mode *out holds the performance pass. LG_MODE_FIND_PEAK runs
 * lg_find_peak with MLPerf's algorithm (LG_PEAK_MLPERF) and *out holds the last passing
 * probe (docs/peak.md).
 * Not reentrant: one test per process at a time.
 */
int lg_run_test(const lg_settings *settings, const lg_sut *sut, const lg_qsl *qsl,
                const lg_log_settings *log, lg_results *out);

/* What a pass counted beside its records, for lg_results_from_records: the counts of
 * lg_results that no record holds, how the pass ended, and lines for the detail log. */
typedef struct lg_pass_tally {
    uint64_t queries;               /* queries issued */
    uint64_t duplicate_completions, unknown_completions, late_completions;
    uint64_t bad_responses;         /* lg_results' counts of the same names */
    bool ended_max_queries, ended_max_duration, ended_async_limit; /* a max limit ended it */
    bool aborted;                   /* it was cut short (INVALID, aborted) */
    int64_t start_wall_ns;          /* CLOCK_REALTIME of the start, as the logs show it;
                                       0 = now */
    /* Lines for the detail log: errors (error_runtime, counted in errors_logged) and
     * messages (generic_message). The strings are read during the call only. */
    const char *const *errors;
    size_t nerrors;
    const char *const *messages;
    size_t nmessages;
    /* A line for the MLPerf summary log, printed indented under the validity lines where
     * the summary notes what is not MLPerf's (as "Arrival pattern MLPerf-valid : NO
     * (...)"): a distributed run's label. NULL: none. Read during the call only. */
    const char *summary_note;
} lg_pass_tally;

/*
 * The results and the log files of a performance pass whose records were measured
 * elsewhere (several processes' records merged, docs/distributed.md): the same pure
 * function of the records, the counts and the settings that lg_run_test uses, and the
 * same files (the MLPerf summary and detail logs, an empty accuracy log, samples.bin,
 * results.json). Nothing is issued.
 *  settings  the settings the records were measured with (checked against qsl as
 *            lg_run_test does; mode must be LG_MODE_PERFORMANCE)
 *  sut_name, qsl  the names the logs show and the QSL's counts (no callback is called)
 *  log       as lg_run_test's (NULL: no files)
 *  records   n records, times from the pass's start as samples.bin holds them
 *            (completed_ns -1: never completed; Offline's scheduled and issued times
 *            are ignored); read during the call
 *  tally     the counts beside the records (NULL: all zero)
 *  out       the results, as lg_run_test's
 * Returns 0, LG_EINVAL (bad settings or arguments), LG_ENOMEM, LG_EIO or LG_EEXIST as
 * lg_run_test, with lg_last_error(). Refused with LG_EBUSY while a test runs.
 */
int lg_results_from_records(const lg_settings *settings, const char *sut_name,
                            const lg_qsl *qsl, const lg_log_settings *log,
                            const lg_sample_record *records, uint64_t n,
                            const lg_pass_tally *tally, lg_results *out);

/* Writes a one-screen English summary of r (scenario, metric, validity and reasons,
 * latency percentiles, counts; TTFT, TPOT, tokens and goodput when r->tokens.applies;
 * for an accuracy run its counts only) into buf (up to len bytes, NUL-terminated). Every
 * duration in it is written by lg_format_ns(). Returns the length it needed, as
 * snprintf. */
int lg_results_format(const lg_results *r, char *buf, size_t len);
/* The mode of r as lg_results_format names it: lg_mode_name(r->mode), or for the run a
 * peak search (LG_MODE_FIND_PEAK) reports "FindPeakPerformance (the peak's run)" or
 * "FindPeakPerformance (no probe passed: the first probe's run)". */
const char *lg_results_mode_text(const lg_results *r);

/* Bytes that hold every text lg_format_ns() writes, the NUL included. */
#define LG_FORMAT_NS_MAX 24

/*
 * Writes a duration given in nanoseconds as people read it: the one duration format of
 * the library, the reports and the `loadgen` program (the MLPerf log files keep their
 * integer nanoseconds). The rules, on the magnitude, the sign written before it:
 *  - below 1 us after rounding to whole ns: whole nanoseconds, "0 ns", "95 ns", "999 ns";
 *  - from 1 us to below 1000 s: 4 significant digits, trailing zeros kept, in the
 *    largest of us, ms and s that gives a number of at least 1: "1.000 us",
 *    "812.4 us", "1.235 ms", "12.35 ms", "2.100 s", "999.9 s". The unit is chosen after
 *    rounding: 999,960 ns is "1.000 ms", never "1000.0 us";
 *  - from 1000 s up: whole seconds, "3600 s"; INT64_MAX ns is "9223372037 s";
 *  - from 1e12 s up (beyond any int64_t of ns): 4 significant digits and an exponent,
 *    "1.000e+12 s";
 *  - a negative duration (a lag ahead of schedule) is its magnitude's text after '-':
 *    "-1.500 ms", INT64_MIN ns "-9223372037 s"; a value that rounds to 0 is "0 ns";
 *  - NaN and the infinities: "n/a" (a figure that could not be computed).
 * Halves round away from zero, exactly for whole numbers of ns. The text is ASCII,
 * whatever the locale ("." is the decimal point), and at most LG_FORMAT_NS_MAX - 1
 * characters.
 *  buf, len  the caller's buffer; at most len bytes are written, the NUL included, and
 *            a short buffer is truncated as snprintf does (len 0 writes nothing; buf
 *            may then be NULL).
 * Returns the length of the whole text, as snprintf. Thread safety: reentrant.
 */
int lg_format_ns(double ns, char *buf, size_t len);

/* The same text with this run's counts where they explain the reason: a Server run made
 * INVALID by failed or timed-out samples (which count as over the latency bound while
 * the percentiles cover answered samples only) names them. Writes into buf (len bytes)
 * and returns it; returns lg_invalid_reason_text(flag) when buf is NULL or len is 0. */
const char *lg_invalid_reason_describe(const lg_results *r, unsigned flag, char *buf,
                                       size_t len);


/* ------------------------------------------------------------------------------------
 * Peak search (docs/peak.md): the highest Server rate whose latency bound (or goodput
 * target) holds, by a series of probes, each a complete performance pass.
 * ---------------------------------------------------------------------------------- */

typedef enum lg_peak_algorithm {
    LG_PEAK_MLPERF = 0,    /* MLPerf's FindPeakPerformance, exactly: a full run at
                              server_target_qps, then the upper bound by growth factor
                              1 + server_find_peak_qps_boundary_step_size, then
                              bisection to server_find_peak_qps_decimals_of_precision;
                              one probe passes when the latency bound holds */
    LG_PEAK_FIND_PEAK = 1, /* ours: the same bracket and bisection to a relative
                              tolerance, probes of probe_ms, a watch that cuts a probe
                              that is clearly failing, an optional confirmation run and
                              a goodput target */
} lg_peak_algorithm;

typedef struct lg_peak_options {
    lg_peak_algorithm algorithm; /* default LG_PEAK_FIND_PEAK */
    double tolerance;        /* find-peak: stop when (upper - lower) / lower <= this,
                                (0, 1); default 0.02 */
    uint64_t probe_ms;       /* find-peak: each probe's min_duration_ms; 0 = the
                                settings'; default 0 */
    uint64_t confirm_ms;     /* find-peak: > 0: one more run of this min_duration_ms at
                                the peak found; a failed confirmation moves the peak
                                down by the tolerance and confirms again */
    double goodput_share;    /* find-peak: 0 = the latency bound decides; in (0, 1]: a
                                probe passes when this share of its samples is good
                                (every slo_* SLO holds; at least one must be set) */
    double growth;           /* the bracket's factor, > 1; 0 = 1 +
                                server_find_peak_qps_boundary_step_size (MLPerf's) */
    uint64_t max_probes;     /* the most probes (confirmations included); 0 = 64 */
    double min_qps;          /* find-peak: when the first rate fails it halves down to
                                this; 0 = server_target_qps / 1024 */
    bool no_early_abort;     /* find-peak: never cut a probe (the watch only reports) */
    uint64_t watch_interval_ms; /* how often the watch reads the records; 0 = 50 */
    uint64_t reserved[6];    /* zero */
} lg_peak_options;

/* Defaults as documented above. */
void lg_peak_options_default(lg_peak_options *o);

/* A probe's verdict. */
typedef enum lg_peak_verdict {
    LG_PEAK_PASS = 0,   /* the bound (or goodput target) held */
    LG_PEAK_FAIL = 1,   /* it did not (the whole probe ran) */
    LG_PEAK_CUT = 2,    /* the watch cut the probe: it was clearly failing */
    LG_PEAK_ERROR = 3,  /* the SUT failed samples, timed out or stopped answering: the
                           search stops here */
} lg_peak_verdict;

const char *lg_peak_verdict_name(lg_peak_verdict v); /* "pass", "fail", "cut", "error" */
const char *lg_peak_algorithm_name(lg_peak_algorithm a); /* "mlperf", "find-peak" */
int lg_peak_algorithm_parse(const char *name, lg_peak_algorithm *out);

typedef struct lg_peak_probe {
    double target_qps;       /* the rate probed */
    lg_peak_verdict verdict;
    bool confirmation;       /* a confirmation run (confirm_ms) */
    double percentile;       /* the target percentile, e.g. 0.99 */
    int64_t percentile_ns;   /* this probe's latency at it (its own samples only) */
    double achieved_qps;     /* completed samples per second */
    double good_share;       /* goodput: good samples / issued; else NaN */
    uint64_t samples;        /* samples issued */
    int64_t duration_ns;     /* the probe's wall time, load and unload included */
    char reason[160];        /* why it ended as it did, in words */
} lg_peak_probe;

typedef struct lg_peak_result {
    lg_peak_algorithm algorithm;
    bool found;              /* a passing rate was found */
    double peak_qps;         /* the highest passing rate (0 when none) */
    double upper_qps;        /* the lowest failing rate above it (0 when none) */
    double tolerance;        /* find-peak's; MLPerf: 10^-decimals in QPS, relative to
                                the peak */
    lg_peak_probe *probes;   /* nprobes, in the order run; owned (lg_peak_result_free) */
    size_t nprobes;
    char stop_reason[200];   /* why the search ended */
    int64_t search_ns;       /* the whole search's wall time */
} lg_peak_result;

void lg_peak_result_free(lg_peak_result *r);

/*
 * Runs a peak search on a Server SUT: probes, each a performance pass at one
 * server_target_qps with the same seeds (MLPerf's common arrival pattern scaled), until
 * the algorithm's stopping rule. One test: the logs (when log names a folder) hold the
 * detail of the whole search (MLPerf's FindPeakPerformance lines) and the summary,
 * samples.bin and figures of the last passing probe (the first probe when none
 * passed), and results.json a "peak_search" object with every probe.
 * settings: Server (other scenarios: LG_EINVAL with MLPerf's "Finding peak performance
 * is only supported in Server scenarios."); its mode is ignored. opts: NULL = the
 * defaults. out: the reported probe's results; peak: the search (free it with
 * lg_peak_result_free; zeroed on LG_EINVAL). lg_abort() stops the whole search (the
 * probe under way is reported aborted). Returns as lg_run_test. Not reentrant.
 */
int lg_find_peak(const lg_settings *settings, const lg_sut *sut, const lg_qsl *qsl,
                 const lg_peak_options *opts, const lg_log_settings *log, lg_results *out,
                 lg_peak_result *peak);

/* MLPerf's message for a peak search outside the Server scenario. */
#define LG_PEAK_NOT_SERVER "Finding peak performance is only supported in Server scenarios."

#ifdef __cplusplus
}
#endif

#endif /* LOADGEN_LOADGEN_H */
