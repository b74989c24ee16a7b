/* settings_table.c: the one table of lg_settings fields (settings_table.h) and what is
 * made from it in the core: the defaults, the single-field checks, and the
 * settings-by-name API of config.h (set from text, get as text, list with docs, set by
 * command-line flag), in one number grammar. */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "loadgen/internal.h"
#include "loadgen/settings_table.h"
#include "loadgen/text.h"

#define SS LG_SCENARIO_BIT(LG_SINGLE_STREAM)
#define MS LG_SCENARIO_BIT(LG_MULTI_STREAM)
#define SV LG_SCENARIO_BIT(LG_SERVER)
#define OF LG_SCENARIO_BIT(LG_OFFLINE)
#define ALL LG_SCENARIO_ALL

#define YEAR_MS ((double)LG__YEAR_MS)
#define YEAR_NS ((double)LG__YEAR_NS)
#define POS LG__LO_OPEN              /* above lo */
#define FRACTION (LG__LO_OPEN | LG__HI_OPEN)

/* The row's member: its name, offset and type (from the member's own type). */
#define FT_OF(x) _Generic((x), lg_scenario: LG__FT_SCEN, lg_mode: LG__FT_MODE,           \
                          double: LG__FT_F64, int64_t: LG__FT_I64, uint64_t: LG__FT_U64, \
                          bool: LG__FT_BOOL, lg_arrival: LG__FT_ARRIVAL)
#define F(m) #m, offsetof(lg_settings, m), FT_OF(((lg_settings *)0)->m)

/* In MLPerf's detail-log order (requested_* lines), scenario by scenario, then the
 * settings of every scenario, then ours. */
const lg__field lg__fields[] = {
    {F(scenario), .dflt = LG_SINGLE_STREAM, .unit = "enum", .scen = ALL,
     .flag = "scenario", .flag_help = "SingleStream | MultiStream | Server | Offline",
     .log = "scenario", .log_scen = ALL,
     .doc = "the scenario run (the program sets it from --scenario, not from config "
            "files)"},
    {F(mode), .dflt = LG_MODE_PERFORMANCE, .hi = 3, .unit = "enum",
     .scen = ALL, .key = "mode", .lookup = -1, .conf_unit = "enum", .flag = "mode",
     .flag_help = "performance | accuracy | submission | find-peak", .log = "test_mode",
     .log_scen = ALL,
     .doc = "0 SubmissionRun, 1 AccuracyOnly, 2 PerformanceOnly, 3 FindPeakPerformance "
            "(Server only: docs/peak.md)"},

    {F(single_stream_expected_latency_ns), .open = POS, .dflt = 1e6,
     .hi = YEAR_NS, .unit = "ns", .scen = SS, .key = "target_latency",
     .lookup = LG_SINGLE_STREAM, .cv = LG__CV_MS_NS, .conf_unit = "ms",
     .flag = "target-latency-ms", .flag_cv = LG__CV_MS_NS,
     .flag_help = "Server: the latency bound; SingleStream, MultiStream: the expected "
                  "latency, a hint",
     .log = "single_stream_expected_latency_ns", .log_scen = SS,
     .doc = "expected latency of one query; sets how many queries are generated"},
    {F(single_stream_target_latency_percentile), .open = FRACTION,
     .dflt = 0.90, .hi = 1, .unit = "fraction", .scen = SS,
     .key = "target_latency_percentile", .lookup = LG_SINGLE_STREAM, .cv = LG__CV_PCT,
     .conf_unit = "percent", .flag = "target-latency-percentile",
     .flag_help = "the percentile of the latency metric, a fraction: 0.99 is the 99th",
     .log = "single_stream_target_latency_percentile", .log_scen = SS,
     .doc = "percentile of the reported latency"},

    {F(multi_stream_expected_latency_ns), .open = POS, .dflt = 8e6,
     .hi = YEAR_NS, .unit = "ns", .scen = MS, .key = "target_latency",
     .lookup = LG_MULTI_STREAM, .cv = LG__CV_MS_NS, .conf_unit = "ms",
     .flag = "target-latency-ms", .flag_cv = LG__CV_MS_NS,
     .log = "multi_stream_expected_latency_ns", .log_scen = MS,
     .doc = "expected latency of one query; sets how many queries are generated"},
    {F(multi_stream_target_latency_percentile), .open = FRACTION,
     .dflt = 0.99, .hi = 1, .unit = "fraction", .scen = MS,
     .key = "target_latency_percentile", .lookup = LG_MULTI_STREAM, .cv = LG__CV_PCT,
     .conf_unit = "percent", .flag = "target-latency-percentile",
     .log = "multi_stream_target_latency_percentile", .log_scen = MS,
     .doc = "percentile of the reported per-query latency"},
    {F(multi_stream_samples_per_query), .dflt = 8, .lo = 1, .hi = 1 << 20,
     .unit = "count", .scen = MS, .key = "samples_per_query", .lookup = LG_MULTI_STREAM,
     .conf_unit = "samples", .flag = "samples-per-query",
     .flag_help = "MultiStream: samples in each query",
     .log = "multi_stream_samples_per_query", .log_scen = MS,
     .doc = "samples in each query"},

    {F(server_target_qps), .dflt = 1, .lo = LG_MIN_QPS, .hi = LG_MAX_QPS,
     .unit = "1/s", .scen = SV, .key = "target_qps", .lookup = LG_SERVER,
     .conf_unit = "1/s", .flag = "target-qps",
     .flag_help = "Server: the arrival rate; Offline: the expected throughput",
     .log = "server_target_qps", .log_scen = SV,
     .doc = "mean arrival rate of the Server schedule (Poisson unless arrival says "
            "otherwise; a ramp's end rate)"},
    {F(server_target_latency_ns), .dflt = 1e8, .hi = YEAR_NS,
     .unit = "ns", .scen = SV, .key = "target_latency", .lookup = LG_SERVER,
     .cv = LG__CV_MS_NS, .conf_unit = "ms", .flag = "target-latency-ms",
     .flag_cv = LG__CV_MS_NS, .log = "server_target_latency_ns", .log_scen = SV,
     .doc = "latency bound a run must meet at the target percentile; 0 only in token "
            "mode, which judges TTFT and TPOT instead"},
    {F(server_target_latency_percentile), .open = FRACTION, .dflt = 0.99,
     .hi = 1, .unit = "fraction", .scen = SV, .key = "target_latency_percentile",
     .lookup = LG_SERVER, .cv = LG__CV_PCT, .conf_unit = "percent",
     .flag = "target-latency-percentile", .log = "server_target_latency_percentile",
     .log_scen = SV, .doc = "percentile at which the bound is checked"},
    {F(server_coalesce_queries), .hi = 1, .unit = "bool", .scen = SV,
     .key = "coalesce_queries", .lookup = LG_SERVER, .conf_unit = "0/1",
     .flag = "coalesce-queries", .flag_help = "Server: issue all overdue queries at once",
     .log = "server_coalesce_queries", .log_scen = SV,
     .doc = "issue all overdue queries in one issue call"},
    {F(server_find_peak_qps_decimals_of_precision), .dflt = 1, .hi = 15,
     .unit = "count", .scen = SV, .log = "server_find_peak_qps_decimals_of_precision",
     .log_scen = SV,
     .doc = "FindPeakPerformance (mode 3): the bisection stops when the bounds agree to "
            "this many decimals of QPS"},
    {F(server_find_peak_qps_boundary_step_size), .open = POS, .dflt = 1,
     .hi = LG_MAX_QPS, .unit = "1/s", .scen = SV,
     .log = "server_find_peak_qps_boundary_step_size", .log_scen = SV,
     .doc = "FindPeakPerformance (mode 3): the bracket grows by a factor 1 + this "
            "(1: doubling)"},
    {F(server_max_async_queries), .hi = LG__NO_MAX, .unit = "count",
     .scen = SV, .key = "max_async_queries", .lookup = LG_SERVER, .conf_unit = "queries",
     .flag = "max-async-queries", .flag_help = "Server: outstanding-query limit, 0 = none",
     .log = "server_max_async_queries", .log_scen = SV,
     .doc = "limit of outstanding queries; 0 = no limit"},
    {F(server_num_issue_query_threads), .hi = LG_MAX_ISSUE_THREADS, .unit = "count",
     .scen = SV, .key = "num_issue_query_threads", .lookup = LG_SERVER,
     .conf_unit = "threads", .flag = "issue-threads",
     .flag_help = "Server: threads issuing the queries (0 or 1 = one)",
     .log = "server_num_issue_query_threads", .log_scen = SV,
     .doc = "threads issuing the queries, each taking its share of the schedule; 0 or "
            "1 = the thread that runs the test"},

    {F(offline_expected_qps), .dflt = 1, .lo = LG_MIN_QPS, .hi = LG_MAX_QPS,
     .unit = "1/s", .scen = OF, .key = "target_qps", .lookup = LG_OFFLINE,
     .conf_unit = "1/s", .flag = "target-qps", .log = "offline_expected_qps",
     .log_scen = OF, .doc = "expected throughput; sets the size of the Offline query"},

    {F(min_duration_ms), .dflt = 10000, .hi = YEAR_MS, .unit = "ms",
     .scen = ALL, .key = "min_duration", .lookup = -1, .conf_unit = "ms",
     .flag = "min-duration-ms", .flag_help = "the shortest valid run",
     .log = "min_duration_ms", .log_scen = ALL, .doc = "shortest valid run"},
    {F(max_duration_ms), .hi = YEAR_MS, .unit = "ms", .scen = ALL,
     .key = "max_duration", .lookup = -1, .conf_unit = "ms", .flag = "max-duration-ms",
     .flag_help = "0 = none; reaching it ends the run INVALID (see --mlperf-max-limits)",
     .log = "max_duration_ms",
     .log_scen = ALL, .doc = "ends the run early, as an error; 0 = no limit"},
    {F(min_query_count), .dflt = 100, .hi = (double)LG__MAX_RECORDS,
     .unit = "count", .scen = ALL, .key = "min_query_count", .lookup = -1,
     .conf_unit = "queries", .flag = "min-query-count",
     .flag_help = "the fewest queries of a valid run", .log = "min_query_count",
     .log_scen = ALL, .doc = "fewest queries of a valid run"},
    {F(max_query_count), .hi = LG__NO_MAX, .unit = "count", .scen = ALL,
     .key = "max_query_count", .lookup = -1, .conf_unit = "queries",
     .flag = "max-query-count",
     .flag_help = "0 = none; reaching it ends the run INVALID (see --mlperf-max-limits)",
     .log = "max_query_count", .log_scen = ALL,
     .doc = "ends the run early, as an error; 0 = no limit"},
    {F(qsl_rng_seed), .hi = LG__NO_MAX, .unit = "seed", .scen = ALL,
     .key = "qsl_rng_seed", .lookup = -1, .key_mlperf_only = true, .conf_unit = "seed", .flag = "qsl-rng-seed",
     .flag_help = "MLPerf's seed of the performance sample set", .log = "qsl_rng_seed",
     .log_scen = ALL, .doc = "picks the performance sample set"},
    {F(sample_index_rng_seed), .hi = LG__NO_MAX, .unit = "seed", .scen = ALL,
     .key = "sample_index_rng_seed", .lookup = -1, .key_mlperf_only = true, .conf_unit = "seed",
     .flag = "sample-index-rng-seed", .flag_help = "MLPerf's seed of each query's samples",
     .log = "sample_index_rng_seed", .log_scen = ALL,
     .doc = "picks the samples of each query"},
    {F(schedule_rng_seed), .hi = LG__NO_MAX, .unit = "seed", .scen = SV,
     .key = "schedule_rng_seed", .lookup = -1, .key_mlperf_only = true, .conf_unit = "seed",
     .flag = "schedule-rng-seed", .flag_help = "MLPerf's seed of the Server arrival times",
     .log = "schedule_rng_seed", .log_scen = ALL, .doc = "draws the Server arrival times"},
    {F(accuracy_log_rng_seed), .hi = LG__NO_MAX, .unit = "seed", .scen = ALL,
     .key = "accuracy_log_rng_seed", .lookup = -1, .conf_unit = "seed",
     .flag = "accuracy-log-rng-seed",
     .flag_help = "MLPerf's seed of the responses logged in performance mode",
     .log = "accuracy_log_rng_seed", .log_scen = ALL,
     .doc = "picks the responses logged in performance mode"},
    {F(accuracy_log_probability), .hi = 1, .unit = "fraction", .scen = ALL,
     .key = "accuracy_log_probability", .lookup = -1, .key_mlperf_only = true, .cv = LG__CV_PCT,
     .conf_unit = "percent", .flag = "accuracy-log-probability",
     .flag_help = "the fraction of performance-mode responses logged",
     .log = "accuracy_log_probability", .log_scen = ALL,
     .doc = "share of performance-mode responses logged"},
    {F(accuracy_log_sampling_target), .hi = LG__NO_MAX, .unit = "count",
     .scen = ALL, .key = "accuracy_log_sampling_target", .lookup = -1,
     .conf_unit = "samples", .log = "accuracy_log_sampling_target", .log_scen = ALL,
     .doc = "performance mode: log about this many responses (sets the logging "
            "probability to it over the expected samples, as MLPerf's); 0 = "
            "accuracy_log_probability"},
    {F(print_timestamps), .hi = 1, .unit = "bool", .scen = ALL,
     .key = "print_timestamps", .lookup = -1, .conf_unit = "0/1",
     .log = "print_timestamps", .log_scen = ALL, .doc = "logged only"},
    {F(performance_issue_unique), .hi = 1, .unit = "bool", .scen = ALL,
     .key = "performance_issue_unique", .lookup = -1, .conf_unit = "0/1",
     .log = "performance_issue_unique", .log_scen = ALL,
     .doc = "issue each loaded sample at most once"},
    {F(performance_issue_same), .hi = 1, .unit = "bool", .scen = ALL,
     .key = "performance_issue_same", .lookup = -1, .conf_unit = "0/1",
     .log = "performance_issue_same", .log_scen = ALL,
     .doc = "always issue the same sample"},
    {F(performance_issue_same_index), .hi = LG__NO_MAX, .unit = "index",
     .scen = ALL, .key = "performance_issue_same_index", .lookup = -1,
     .conf_unit = "index", .log = "performance_issue_same_index", .log_scen = ALL,
     .doc = "the sample issued by performance_issue_same"},
    {F(performance_sample_count_override), .hi = LG__NO_MAX, .unit = "count",
     .scen = ALL, .key = "performance_sample_count_override", .lookup = -1,
     .conf_unit = "samples", .log = "performance_sample_count_override", .log_scen = ALL,
     .doc = "samples loaded for a performance run; 0 = the QSL's own count"},
    {F(accuracy_sample_count_override), .hi = LG__NO_MAX, .unit = "count",
     .scen = ALL, .key = "accuracy_sample_count_override", .lookup = -1,
     .conf_unit = "samples", .log = "accuracy_sample_count_override", .log_scen = ALL,
     .doc = "samples of an accuracy run; 0 = the QSL's total"},
    {F(sample_concatenate_permutation), .hi = 1, .unit = "bool", .scen = ALL,
     .key = "sample_concatenate_permutation", .lookup = -1, .conf_unit = "0/1",
     .log = "sample_concatenate_permutation", .log_scen = ALL,
     .doc = "performance samples as concatenated shuffles of the loaded set (MLPerf's "
            "equal issue)"},
    /* MLPerf reads test05 and its seeds from mlperf.conf only, and logs none of them. */
    {F(test05), .hi = 1, .unit = "bool", .scen = ALL, .key = "test05", .lookup = -1,
     .key_mlperf_only = true, .conf_unit = "0/1",
     .doc = "TEST05: PerformanceOnly with the three test05_* seeds in place of the others"},
    {F(test05_qsl_rng_seed), .hi = LG__NO_MAX, .unit = "seed", .scen = ALL,
     .key = "test05_qsl_rng_seed", .lookup = -1, .key_mlperf_only = true,
     .conf_unit = "seed", .doc = "qsl_rng_seed when test05 is set"},
    {F(test05_sample_index_rng_seed), .hi = LG__NO_MAX, .unit = "seed", .scen = ALL,
     .key = "test05_sample_index_rng_seed", .lookup = -1, .key_mlperf_only = true,
     .conf_unit = "seed", .doc = "sample_index_rng_seed when test05 is set"},
    {F(test05_schedule_rng_seed), .hi = LG__NO_MAX, .unit = "seed", .scen = SV,
     .key = "test05_schedule_rng_seed", .lookup = -1, .key_mlperf_only = true,
     .conf_unit = "seed", .doc = "schedule_rng_seed when test05 is set"},

    /* MLPerf's token latencies (docs/tokens.md): its requested_* lines of them are
     * logged only in token mode, after the others. */
    {F(use_token_latencies), .hi = 1, .unit = "bool", .scen = ALL,
     .key = "use_token_latencies", .lookup = -1, .conf_unit = "0/1",
     .flag = "use-token-latencies",
     .flag_help = "MLPerf's token mode (LLMs): record first tokens and token counts for "
                  "TTFT, TPOT and tokens/s; Server is judged on TTFT and TPOT",
     .log = "use_token_latencies", .log_scen = ALL, .log_token_mode = true,
     .doc = "record first tokens and token counts: TTFT, TPOT, tokens/s; Server is "
            "judged on TTFT and TPOT instead of the latency bound"},
    {F(server_ttft_latency_ns), .open = POS, .dflt = 1e8, .hi = YEAR_NS, .unit = "ns",
     .scen = SV, .key = "ttft_latency", .lookup = LG_SERVER, .cv = LG__CV_MS_NS,
     .conf_unit = "ms", .flag = "ttft-latency-ms", .flag_cv = LG__CV_MS_NS,
     .flag_help = "Server, token mode: the time-to-first-token bound at the target "
                  "percentile",
     .log = "server_ttft_latency", .log_scen = SS | MS | SV, .log_token_mode = true,
     .doc = "token mode: time-to-first-token bound at the target percentile"},
    {F(server_tpot_latency_ns), .open = POS, .dflt = 1e8, .hi = YEAR_NS, .unit = "ns",
     .scen = SV, .key = "tpot_latency", .lookup = LG_SERVER, .cv = LG__CV_MS_NS,
     .conf_unit = "ms", .flag = "tpot-latency-ms", .flag_cv = LG__CV_MS_NS,
     .flag_help = "Server, token mode: the time-per-output-token bound at the target "
                  "percentile",
     .log = "server_tpot_latency", .log_scen = SS | MS | SV, .log_token_mode = true,
     .doc = "token mode: time-per-output-token bound at the target percentile"},
    {F(infer_token_latencies), .hi = 1, .unit = "bool", .scen = SV | OF,
     .key = "infer_token_latencies", .lookup = -1, .conf_unit = "0/1",
     .flag = "infer-token-latencies",
     .flag_help = "Server, Offline: also report tokens/s inferred as samples x "
                  "--token-latency-scaling-factor",
     .doc = "report inferred tokens/s: samples x token_latency_scaling_factor"},
    {F(token_latency_scaling_factor), .dflt = 1, .lo = 1, .hi = LG__NO_MAX,
     .unit = "count", .scen = SV | OF, .key = "token_latency_scaling_factor",
     .lookup = -1, .conf_unit = "tokens per sample", .flag = "token-latency-scaling-factor",
     .flag_help = "tokens per sample assumed by --infer-token-latencies",
     .doc = "tokens per sample assumed by infer_token_latencies"},

    /* Ours: not in MLPerf's TestSettings, so not among its requested_* lines. */
    {F(sample_timeout_ns), .hi = YEAR_NS, .unit = "ns", .scen = ALL,
     .key = "sample_timeout", .lookup = -1, .cv = LG__CV_MS_NS, .conf_unit = "ms",
     .flag = "sample-timeout-ms", .flag_cv = LG__CV_MS_NS,
     .flag_help = "a sample not answered this long after issuing ended counts as failed; "
                  "0 = automatic (loadgen config --explain shows it)",
     .doc = "a sample not completed this long after its scheduled time fails; 0 = "
            "automatic"},
    {F(no_sample_timeout), .hi = 1, .unit = "bool", .scen = ALL,
     .key = "no_sample_timeout", .lookup = -1, .conf_unit = "0/1",
     .flag = "no-sample-timeout",
     .flag_help = "wait for every sample however long it takes, as MLPerf's LoadGen",
     .doc = "samples never time out: the run waits for every one (MLPerf's; the Python "
            "module's default)"},
    {F(mlperf_max_limits), .hi = 1, .unit = "bool", .scen = ALL,
     .key = "mlperf_max_limits", .lookup = -1, .conf_unit = "0/1",
     .flag = "mlperf-max-limits",
     .flag_help = "a run ended by --max-duration-ms, --max-query-count or "
                  "--max-async-queries is judged on the other rules, as MLPerf's",
     .doc = "max_duration, max_query_count and max_async_queries end the run without "
            "making it INVALID (MLPerf's; the Python module's default)"},
    {F(warmup_duration_ms), .hi = YEAR_MS, .unit = "ms", .scen = ALL,
     .key = "warmup_duration", .lookup = -1, .conf_unit = "ms", .flag = "warmup-ms",
     .flag_help = "issue the scenario's queries this long before the timed run, "
                  "unmeasured",
     .doc = "queries issued before the timed run, not measured; 0 = none"},
    {F(slo_ttft_ns), .hi = YEAR_NS, .unit = "ns", .scen = ALL, .key = "slo_ttft",
     .lookup = -1, .cv = LG__CV_MS_NS, .conf_unit = "ms",
     .doc = "goodput: a good request's time to first token at most this; 0 = none"},
    {F(slo_tpot_ns), .hi = YEAR_NS, .unit = "ns", .scen = ALL, .key = "slo_tpot",
     .lookup = -1, .cv = LG__CV_MS_NS, .conf_unit = "ms",
     .doc = "goodput: a good request's time per output token at most this; 0 = none"},
    {F(slo_e2e_ns), .hi = YEAR_NS, .unit = "ns", .scen = ALL, .key = "slo_e2e",
     .lookup = -1, .cv = LG__CV_MS_NS, .conf_unit = "ms",
     .doc = "goodput: a good request's latency at most this; 0 = none"},
    {F(concurrency), .hi = LG_MAX_CONCURRENCY, .unit = "count", .scen = SS | MS,
     .key = "concurrency", .lookup = -1, .conf_unit = "queries", .flag = "concurrency",
     .flag_help = "SingleStream/MultiStream: keep N queries outstanding (closed loop)",
     .doc = "queries kept outstanding by the streams; 0 or 1 = one (MLPerf)"},
    {F(issue_spin_ns), .dflt = 120000, .hi = 1e9, .unit = "ns", .scen = SV,
     .key = "issue_spin", .lookup = -1, .cv = LG__CV_MS_NS, .conf_unit = "ms",
     .flag = "issue-spin-ns",
     .flag_help = "Server: spin this long before each scheduled issue time, sleep before "
                  "it; 0 = sleep only (frees the core; issue times a few us late)",
     .doc = "the issue thread spins this long before a query's scheduled time and sleeps "
            "before it; 0 = sleep only"},
    {F(issue_batch_ns), .hi = 1e8, .unit = "ns", .scen = SV, .key = "issue_batch",
     .lookup = -1, .cv = LG__CV_MS_NS, .conf_unit = "ms", .flag = "issue-batch-ns",
     .flag_help = "Server: wake at most once per this interval and issue every query "
                  "due (queries up to this late); 0 = wake for each query",
     .doc = "the issue thread wakes at most once per this interval and issues every "
            "query due; 0 = once per query"},
    /* The arrival pattern (docs/arrival.md); the stages and the trace are lists, set by
     * the API and the program's --stages and --trace, not rows. */
    {F(arrival), .dflt = LG_ARRIVAL_POISSON, .hi = LG_ARRIVAL_COUNT - 1, .unit = "enum",
     .scen = SV, .key = "arrival", .lookup = -1, .conf_unit = "name", .flag = "arrival",
     .flag_help = "Server: poisson (MLPerf's, the only MLPerf-valid one) | constant | "
                  "gamma | ramp | stages | trace",
     .doc = "the Server arrival pattern: poisson (MLPerf's, the only MLPerf-valid one), "
            "constant, gamma, ramp, stages or trace"},
    {F(arrival_burstiness), .open = POS, .dflt = 1, .hi = 1e6, .unit = "shape",
     .scen = SV, .key = "arrival_burstiness", .lookup = -1, .conf_unit = "shape",
     .flag = "burstiness",
     .flag_help = "--arrival gamma: the shape b of the gaps (CV 1/sqrt(b); 1 = Poisson's "
                  "spread, below 1 burstier)",
     .doc = "gamma arrivals: the gaps' shape b, their coefficient of variation "
            "1/sqrt(b); 1 = Poisson's spread"},
    {F(arrival_start_qps), .hi = LG_MAX_QPS, .unit = "1/s", .scen = SV,
     .key = "arrival_start_qps", .lookup = -1, .conf_unit = "1/s", .flag = "start-qps",
     .flag_help = "--arrival ramp, stages: the rate at the start (ramp: to --target-qps "
                  "over --min-duration-ms)",
     .doc = "ramp and stages arrivals: the rate at the start"},
    {F(arrival_trace_speed), .open = POS, .dflt = 1, .hi = 1e9, .unit = "factor",
     .scen = SV, .key = "arrival_trace_speed", .lookup = -1, .conf_unit = "factor",
     .flag = "trace-speed",
     .flag_help = "--arrival trace: replay this many times faster (gaps divided by it)",
     .doc = "trace arrivals: the replay's speed-up, gaps divided by it"},
    /* Bounded memory (docs/hdr.md). */
    {F(record_hdr), .hi = 1, .unit = "bool", .scen = SS | SV | OF, .key = "record_hdr",
     .lookup = -1, .conf_unit = "0/1", .flag = "record-hdr",
     .flag_help = "record latencies in histograms: constant memory, percentiles within "
                  "a stated error, never VALID (not an MLPerf result)",
     .doc = "record latencies in per-thread log-linear histograms (constant memory, "
            "approximate percentiles, never VALID; not MultiStream or tokens)"},
    {F(hdr_significant_digits), .dflt = 2, .lo = 1, .hi = 5, .unit = "digits",
     .scen = SS | SV | OF, .key = "hdr_significant_digits", .lookup = -1,
     .conf_unit = "digits", .flag = "hdr-digits",
     .flag_help = "--record-hdr: significant digits 1-5 (2: relative error <= 0.39 %)",
     .doc = "record_hdr: the histograms' significant decimal digits; relative error "
            "2^-(p+1), p = ceil(log2(10^digits))"},
    {F(server_issue_threads_registered), .hi = 1, .unit = "bool", .scen = SV,
     .doc = "the harness brings the issue threads (lg_register_issue_thread); the "
            "LoadGen starts none"},
    {F(issue_thread_wait_ms), .dflt = 10000, .lo = 1, .hi = 3.6e6, .unit = "ms",
     .scen = SV, .doc = "how long the test waits for registered issue threads"},
};
#undef F
_Static_assert(sizeof lg__fields / sizeof lg__fields[0] == LG__NFIELDS,
               "LG__NFIELDS (settings_table.h) counts the rows");
#define NFIELDS LG__NFIELDS

/* ------------------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------------------- */

double lg__cv_scale(unsigned cv)
{
    return cv == LG__CV_MS_NS ? 1e6 : cv == LG__CV_PCT ? 0.01 : 1.0;
}

double lg__field_value(const lg_settings *s, size_t i)
{
    const lg__field *fd = &lg__fields[i];
    const char *fp = (const char *)s + fd->off;
    switch (fd->ft) {
    case LG__FT_SCEN: { lg_scenario v; memcpy(&v, fp, sizeof v); return (double)v; }
    case LG__FT_MODE: { lg_mode v; memcpy(&v, fp, sizeof v); return (double)v; }
    case LG__FT_F64: { double v; memcpy(&v, fp, sizeof v); return v; }
    case LG__FT_I64: { int64_t v; memcpy(&v, fp, sizeof v); return (double)v; }
    case LG__FT_U64: { uint64_t v; memcpy(&v, fp, sizeof v); return (double)v; }
    case LG__FT_BOOL: { bool v; memcpy(&v, fp, sizeof v); return v ? 1.0 : 0.0; }
    case LG__FT_ARRIVAL: { lg_arrival v; memcpy(&v, fp, sizeof v); return (double)v; }
    }
    return 0;
}

/* Stores a value already checked against the row's range. */
static void store(lg_settings *s, const lg__field *fd, double d, uint64_t u)
{
    char *fp = (char *)s + fd->off;
    switch (fd->ft) {
    case LG__FT_SCEN: { lg_scenario v = (lg_scenario)u; memcpy(fp, &v, sizeof v); break; }
    case LG__FT_MODE: { lg_mode v = (lg_mode)u; memcpy(fp, &v, sizeof v); break; }
    case LG__FT_F64: memcpy(fp, &d, sizeof d); break;
    case LG__FT_I64: { int64_t v = (int64_t)u; memcpy(fp, &v, sizeof v); break; }
    case LG__FT_U64: memcpy(fp, &u, sizeof u); break;
    case LG__FT_BOOL: { bool v = u != 0; memcpy(fp, &v, sizeof v); break; }
    case LG__FT_ARRIVAL: { lg_arrival v = (lg_arrival)u; memcpy(fp, &v, sizeof v); break; }
    }
}

void lg_settings_default(lg_settings *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < NFIELDS; i++) {
        double d = lg__fields[i].dflt;
        store(s, &lg__fields[i], d, (uint64_t)d);
    }
}

/* ------------------------------------------------------------------------------------
 * Ranges
 * ---------------------------------------------------------------------------------- */

static bool is_int(const lg__field *fd)
{
    return fd->ft == LG__FT_U64 || fd->ft == LG__FT_I64;
}

/* The row's range as whole numbers (integer fields). */
static void int_range(const lg__field *fd, uint64_t *lo, uint64_t *hi)
{
    uint64_t tmax = fd->ft == LG__FT_I64 ? (uint64_t)INT64_MAX : UINT64_MAX;
    *lo = (uint64_t)fd->lo + ((fd->open & LG__LO_OPEN) ? 1 : 0);
    *hi = fd->hi >= LG__NO_MAX ? tmax : (uint64_t)fd->hi - ((fd->open & LG__HI_OPEN) ? 1 : 0);
}

/* Writes the values field fd takes, in a unit converted with cv from the field's. */
static void sb_range(lg__sbuf *b, const lg__field *fd, unsigned cv, const char *unit)
{
    switch (fd->ft) {
    case LG__FT_SCEN: lg__sb_add(b, "SingleStream, MultiStream, Server or Offline"); return;
    case LG__FT_MODE:
        lg__sb_add(b, "0 (SubmissionRun), 1 (AccuracyOnly), 2 (PerformanceOnly) or 3 "
                      "(FindPeakPerformance)");
        return;
    case LG__FT_BOOL: lg__sb_add(b, "0 or 1 (false or true)"); return;
    case LG__FT_ARRIVAL:
        lg__sb_add(b, "poisson, constant, gamma, ramp, stages or trace");
        return;
    default: break;
    }
    if (is_int(fd) && cv == LG__CV_NONE) {
        uint64_t lo, hi;
        int_range(fd, &lo, &hi);
        lg__sb_add(b, "at least %" PRIu64 " and at most %" PRIu64 " (%s)", lo, hi, unit);
        return;
    }
    double k = lg__cv_scale(cv);
    char a[40], z[40];
    lg__format_double(fd->lo / k, a, sizeof a);
    lg__format_double(fd->hi / k, z, sizeof z);
    lg__sb_add(b, "%s %s and %s %s (%s)", (fd->open & LG__LO_OPEN) ? "above" : "at least", a,
               (fd->open & LG__HI_OPEN) ? "below" : "at most", z, unit);
}

static bool in_range(const lg__field *fd, double x)
{
    bool lo_ok = (fd->open & LG__LO_OPEN) ? x > fd->lo : x >= fd->lo;
    bool hi_ok = fd->hi >= LG__NO_MAX || ((fd->open & LG__HI_OPEN) ? x < fd->hi : x <= fd->hi);
    return isfinite(x) && lo_ok && hi_ok;
}

int lg__fields_check(const lg_settings *s, char *msg, size_t len)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        const lg__field *fd = &lg__fields[i];
        if (fd->ft == LG__FT_BOOL)
            continue;
        const char *fp = (const char *)s + fd->off;
        bool ok;
        if (fd->ft == LG__FT_SCEN || fd->ft == LG__FT_MODE || fd->ft == LG__FT_ARRIVAL) {
            unsigned v;
            memcpy(&v, fp, sizeof v);
            ok = v < (fd->ft == LG__FT_SCEN ? (unsigned)LG__NSCENARIOS
                      : fd->ft == LG__FT_MODE ? 4u : (unsigned)LG_ARRIVAL_COUNT);
        } else if (fd->ft == LG__FT_U64) {
            uint64_t v, lo, hi;
            memcpy(&v, fp, sizeof v);
            int_range(fd, &lo, &hi);
            ok = v >= lo && v <= hi;
        } else if (fd->ft == LG__FT_I64) {
            int64_t v;
            uint64_t lo, hi;
            memcpy(&v, fp, sizeof v);
            int_range(fd, &lo, &hi);
            ok = v >= 0 && (uint64_t)v >= lo && (uint64_t)v <= hi;
        } else {
            ok = in_range(fd, lg__field_value(s, i));
        }
        if (ok)
            continue;
        lg__sbuf b = {msg, len, 0};
        char text[64];
        lg_settings_field_format(s, i, text, sizeof text);
        lg__sb_add(&b, "%s = %s: out of range; it must be ", fd->name, text);
        sb_range(&b, fd, LG__CV_NONE, fd->unit);
        return LG_EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------
 * Setting from text
 * ---------------------------------------------------------------------------------- */

/* Sets field fd of s from text given in a unit that cv converts to the field's; `who`
 * names it in messages (the field or the flag), `unit` is the text's unit. */
static int set_text(lg_settings *s, const lg__field *fd, const char *text, unsigned cv,
                    const char *who, const char *unit, char *err, size_t errlen)
{
    lg__sbuf m = {err, errlen, 0};
    size_t n = strlen(text);
    switch (fd->ft) {
    case LG__FT_SCEN: {
        lg_scenario v;
        if (lg_scenario_parse(text, &v)) {
            lg__sb_add(&m, "%s: unknown scenario ", who);
            lg__sb_quote(&m, text, n);
            lg__sb_add(&m, " (SingleStream, MultiStream, Server, Offline)");
            return LG_EINVAL;
        }
        store(s, fd, 0, (uint64_t)v);
        return 0;
    }
    case LG__FT_MODE: {
        lg_mode v;
        uint64_t u;
        if (lg__parse_uint(text, n, &u) == LG__NUM_OK) {
            if (u > 3) {
                lg__sb_add(&m, "%s: %" PRIu64 " is out of range (0 SubmissionRun, "
                           "1 AccuracyOnly, 2 PerformanceOnly, 3 FindPeakPerformance)",
                           who, u);
                return LG_EINVAL;
            }
            v = (lg_mode)u;
        } else if (lg_mode_parse(text, &v)) {
            lg__sb_add(&m, "%s: unknown mode ", who);
            lg__sb_quote(&m, text, n);
            lg__sb_add(&m, " (SubmissionRun, AccuracyOnly, PerformanceOnly, "
                       "FindPeakPerformance)");
            return LG_EINVAL;
        }
        store(s, fd, 0, (uint64_t)v);
        return 0;
    }
    case LG__FT_ARRIVAL: {
        lg_arrival v;
        if (lg_arrival_parse(text, &v)) {
            lg__sb_add(&m, "%s: unknown arrival pattern ", who);
            lg__sb_quote(&m, text, n);
            lg__sb_add(&m, " (poisson, constant, gamma, ramp, stages, trace)");
            return LG_EINVAL;
        }
        store(s, fd, 0, (uint64_t)v);
        return 0;
    }
    case LG__FT_BOOL: {
        uint64_t u = 2;
        if (strcmp(text, "1") == 0 || strcmp(text, "true") == 0)
            u = 1;
        else if (strcmp(text, "0") == 0 || strcmp(text, "false") == 0)
            u = 0;
        if (u > 1) {
            lg__sb_add(&m, "%s: ", who);
            lg__sb_quote(&m, text, n);
            lg__sb_add(&m, " is not 0, 1, true or false");
            return LG_EINVAL;
        }
        store(s, fd, 0, u);
        return 0;
    }
    default:
        break;
    }
    if (is_int(fd) && cv == LG__CV_NONE) {
        uint64_t u, lo, hi;
        int rc = lg__parse_uint(text, n, &u);
        if (rc) {
            lg__sb_add(&m, "%s: ", who);
            lg__sb_quote(&m, text, n);
            lg__sb_add(&m, " %s", lg__num_problem(rc));
            return LG_EINVAL;
        }
        int_range(fd, &lo, &hi);
        if (u < lo || u > hi) {
            lg__sb_add(&m, "%s: %" PRIu64 " is out of range; it must be ", who, u);
            sb_range(&m, fd, cv, unit);
            return LG_EINVAL;
        }
        store(s, fd, (double)u, u);
        return 0;
    }
    double x;
    int rc = lg__parse_real(text, n, &x);
    if (rc) {
        lg__sb_add(&m, "%s: ", who);
        lg__sb_quote(&m, text, n);
        lg__sb_add(&m, " %s", lg__num_problem(rc));
        return LG_EINVAL;
    }
    /* The value in the field's unit, with a single rounding. */
    int shift = cv == LG__CV_MS_NS ? 6 : cv == LG__CV_PCT ? -2 : 0;
    if (shift)
        x = lg__parse_real_shifted(text, n, shift);
    if (is_int(fd))
        x = round(x);
    if (!in_range(fd, x)) {
        lg__sb_add(&m, "%s: ", who);
        lg__sb_quote(&m, text, n);
        lg__sb_add(&m, " is out of range; it must be ");
        sb_range(&m, fd, cv, unit);
        return LG_EINVAL;
    }
    store(s, fd, x, is_int(fd) ? (uint64_t)x : 0);
    return 0;
}

/* ------------------------------------------------------------------------------------
 * The public table
 * ---------------------------------------------------------------------------------- */

size_t lg_settings_field_count(void) { return NFIELDS; }

#define ROW(i, member, none) ((i) < NFIELDS ? lg__fields[i].member : (none))

const char *lg_settings_field_name(size_t i) { return ROW(i, name, NULL); }
const char *lg_settings_field_conf_key(size_t i) { return ROW(i, key, NULL); }
const char *lg_settings_field_unit(size_t i) { return ROW(i, unit, NULL); }
const char *lg_settings_field_conf_unit(size_t i) { return ROW(i, conf_unit, NULL); }
unsigned lg_settings_field_scenarios(size_t i) { return ROW(i, scen, 0u); }
const char *lg_settings_field_doc(size_t i) { return ROW(i, doc, NULL); }
const char *lg_settings_field_flag(size_t i) { return ROW(i, flag, NULL); }
const char *lg_settings_field_flag_help(size_t i) { return ROW(i, flag_help, NULL); }

const char *lg_settings_field_flag_unit(size_t i)
{
    if (i >= NFIELDS || !lg__fields[i].flag)
        return NULL;
    return lg__fields[i].flag_cv == LG__CV_MS_NS ? "ms" : lg__fields[i].unit;
}

int lg_settings_field_find(const char *name)
{
    if (!name)
        return LG_EINVAL;
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(lg__fields[i].name, name) == 0)
            return (int)i;
    return LG_EINVAL;
}

int lg_settings_field_format(const lg_settings *s, size_t i, char *buf, size_t len)
{
    if (!s || i >= NFIELDS || (!buf && len))
        return LG_EINVAL;
    const lg__field *fd = &lg__fields[i];
    const char *fp = (const char *)s + fd->off;
    switch (fd->ft) {
    case LG__FT_SCEN: {
        lg_scenario v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%s", lg_scenario_name(v));
    }
    case LG__FT_MODE: {
        lg_mode v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%s", lg_mode_name(v));
    }
    case LG__FT_F64: return lg__format_double(lg__field_value(s, i), buf, len);
    case LG__FT_I64: {
        int64_t v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%" PRId64, v);
    }
    case LG__FT_U64: {
        uint64_t v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%" PRIu64, v);
    }
    case LG__FT_BOOL: return snprintf(buf, len, "%s", lg__field_value(s, i) ? "true" : "false");
    case LG__FT_ARRIVAL: {
        lg_arrival v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%s", lg_arrival_name(v));
    }
    }
    return LG_EINVAL;
}

int lg_settings_field_default(size_t i, char *buf, size_t len)
{
    if (i >= NFIELDS || (!buf && len))
        return LG_EINVAL;
    lg_settings s;
    lg_settings_default(&s);
    return lg_settings_field_format(&s, i, buf, len);
}

int lg_settings_field_flag_default(size_t i, char *buf, size_t len)
{
    if (i >= NFIELDS || !lg__fields[i].flag || (!buf && len))
        return LG_EINVAL;
    const lg__field *fd = &lg__fields[i];
    if (fd->flag_cv == LG__CV_NONE)
        return lg_settings_field_default(i, buf, len);
    return lg__format_double(fd->dflt / lg__cv_scale(fd->flag_cv), buf, len);
}

int lg_settings_field_range(size_t i, char *buf, size_t len)
{
    if (i >= NFIELDS || (!buf && len))
        return LG_EINVAL;
    lg__sbuf b = {buf, len, 0};
    if (len)
        buf[0] = '\0';
    sb_range(&b, &lg__fields[i], LG__CV_NONE, lg__fields[i].unit);
    return b.len > INT_MAX ? INT_MAX : (int)b.len;
}

int lg_settings_field_set(lg_settings *s, size_t i, const char *text, char *err,
                          size_t errlen)
{
    lg__set_err(err, errlen, "%s", "");
    if (!s || i >= NFIELDS || !text) {
        lg__set_err(err, errlen, "lg_settings_field_set: %s",
                    !s ? "no settings" : i >= NFIELDS ? "no such field" : "no value");
        return LG_EINVAL;
    }
    const lg__field *fd = &lg__fields[i];
    return set_text(s, fd, text, LG__CV_NONE, fd->name, fd->unit, err, errlen);
}

int lg_settings_set(lg_settings *s, const char *name, const char *text, char *err,
                    size_t errlen)
{
    int i = lg_settings_field_find(name);
    if (i < 0) {
        lg__sbuf m = {err, errlen, 0};
        lg__sb_add(&m, "unknown setting ");
        lg__sb_quote(&m, name ? name : "", name ? strlen(name) : 0);
        const char *near = name ? lg__nearest(name, strlen(name), lg_settings_field_name,
                                              NFIELDS) : NULL;
        if (near)
            lg__sb_add(&m, "; did you mean '%s'?", near);
        return LG_EINVAL;
    }
    return lg_settings_field_set(s, (size_t)i, text, err, errlen);
}

int lg_settings_get(const lg_settings *s, const char *name, char *buf, size_t len)
{
    int i = lg_settings_field_find(name);
    return i < 0 ? LG_EINVAL : lg_settings_field_format(s, (size_t)i, buf, len);
}

int lg_settings_flag_set(lg_settings *s, const char *flag, const char *text, char *err,
                         size_t errlen)
{
    lg__set_err(err, errlen, "%s", "");
    if (!s || !flag || !text) {
        lg__set_err(err, errlen, "lg_settings_flag_set: no %s",
                    !s ? "settings" : !flag ? "flag" : "value");
        return LG_EINVAL;
    }
    /* Every row of the flag is set, or none: a copy takes the values first. */
    lg_settings t = *s;
    int n = 0;
    char who[80];
    snprintf(who, sizeof who, "--%s", flag);
    for (size_t i = 0; i < NFIELDS; i++) {
        const lg__field *fd = &lg__fields[i];
        if (!fd->flag || strcmp(fd->flag, flag) != 0)
            continue;
        int rc = set_text(&t, fd, text, fd->flag_cv, who, lg_settings_field_flag_unit(i),
                          err, errlen);
        if (rc)
            return rc;
        n++;
    }
    if (!n) {
        lg__set_err(err, errlen, "%s: no setting has this flag", who);
        return LG_EINVAL;
    }
    *s = t;
    return n;
}

/* ------------------------------------------------------------------------------------
 * The number grammar, public
 * ---------------------------------------------------------------------------------- */

/* Parses text with the uint or the real grammar; on error quotes it in err. */
static int parse_number(const char *text, bool whole, uint64_t *u, double *d, char *err,
                        size_t errlen)
{
    lg__set_err(err, errlen, "%s", "");
    if (!text || (whole ? !u : !d))
        return LG_EINVAL;
    size_t n = strlen(text);
    int rc = whole ? lg__parse_uint(text, n, u) : lg__parse_real(text, n, d);
    if (rc) {
        lg__sbuf m = {err, errlen, 0};
        lg__sb_quote(&m, text, n);
        lg__sb_add(&m, " %s", lg__num_problem(rc));
        return LG_EINVAL;
    }
    return 0;
}

int lg_parse_u64(const char *text, uint64_t *out, char *err, size_t errlen)
{
    return parse_number(text, true, out, NULL, err, errlen);
}

int lg_parse_double(const char *text, double *out, char *err, size_t errlen)
{
    return parse_number(text, false, NULL, out, err, errlen);
}
