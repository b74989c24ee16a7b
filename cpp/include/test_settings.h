// test_settings.h: what a test runs (TestSettings) and where its logs go (LogSettings),
// with MLPerf LoadGen's names, types, field order and defaults (docs/cpp.md lists what
// this LoadGen refuses or ignores). Part of libloadgen_cpp.
#ifndef LOADGEN_CPP_TEST_SETTINGS_H
#define LOADGEN_CPP_TEST_SETTINGS_H

#include <cstdint>
#include <string>

namespace mlperf {

enum class TestScenario {
  SingleStream,  // one sample per query, the next when it completed
  MultiStream,   // multi_stream_samples_per_query samples per query, the same way
  Server,        // one sample per query at Poisson arrival times
  Offline,       // every sample in one query
};

enum class TestMode {
  SubmissionRun,        // an accuracy pass, then a performance pass
  AccuracyOnly,         // every sample of the accuracy set once
  PerformanceOnly,      // the timed run
  FindPeakPerformance,  // MLPerf's Server peak search (docs/peak.md); Server only
};

struct TestSettings {
  TestScenario scenario = TestScenario::SingleStream;
  TestMode mode = TestMode::PerformanceOnly;

  // SingleStream
  double single_stream_expected_latency_ns = 1000000;
  double single_stream_target_latency_percentile = 0.90;

  // MultiStream
  double multi_stream_expected_latency_ns = 8000000;
  double multi_stream_target_latency_percentile = 0.99;
  uint64_t multi_stream_samples_per_query = 8;

  // Server
  double server_target_qps = 1;
  uint64_t server_target_latency_ns = 100000000;
  double server_target_latency_percentile = 0.99;
  bool server_coalesce_queries = false;
  int server_find_peak_qps_decimals_of_precision = 1;  // FindPeakPerformance's precision
  double server_find_peak_qps_boundary_step_size = 1;  // its bracket: x (1 + this)
  uint64_t server_max_async_queries = 0;               // 0: no limit
  uint64_t server_num_issue_query_threads = 0;         // RegisterIssueQueryThread threads

  // Offline
  double offline_expected_qps = 1;
  bool sample_concatenate_permutation = false;  // logged only

  // Every scenario
  uint64_t min_duration_ms = 10000;
  uint64_t max_duration_ms = 0;  // 0: no limit
  uint64_t min_query_count = 100;
  uint64_t max_query_count = 0;  // 0: no limit

  uint64_t qsl_rng_seed = 0;
  uint64_t sample_index_rng_seed = 0;
  uint64_t schedule_rng_seed = 0;
  uint64_t accuracy_log_rng_seed = 0;
  double accuracy_log_probability = 0.0;
  uint64_t accuracy_log_sampling_target = 0;  // logged only
  bool test05 = false;                        // TEST05: the three seeds below
  uint64_t test05_qsl_rng_seed = 0;
  uint64_t test05_sample_index_rng_seed = 0;
  uint64_t test05_schedule_rng_seed = 0;

  bool print_timestamps = false;  // logged only
  bool performance_issue_unique = false;
  bool performance_issue_same = false;
  uint64_t performance_issue_same_index = 0;
  uint64_t performance_sample_count_override = 0;  // 0: the QSL's own count
  uint64_t accuracy_sample_count_override = 0;     // 0: the QSL's total count

  // Token latencies (LLM benchmarks)
  bool use_token_latencies = false;
  uint64_t server_ttft_latency = 100000000;  // ns
  uint64_t server_tpot_latency = 100000000;  // ns
  bool infer_token_latencies = false;
  // MLPerf leaves this one without a default (an indeterminate value); here it is 0, as
  // MLPerf's Python module reads it, and 0 means 1 unless infer_token_latencies is set.
  uint64_t token_latency_scaling_factor = 0;

  // Applies a config file's lines for this model and scenario ("SingleStream", ...) to
  // these settings. conf_type 1 reads path as the kind of file its name gives
  // (mlperf.conf, else user.conf); 0 and 2 read it as an mlperf.conf. Returns 0, -ENOENT
  // (path cannot be read) or -EINVAL (an unknown scenario, an unknown key, a bad value:
  // the reason, with the file and line, goes to stderr); the settings change only on
  // success. Unlike MLPerf's, it embeds no mlperf.conf: pass MLPerf's file with
  // conf_type 0 first.
  int FromConfig(const std::string& path, const std::string& model,
                 const std::string& scenario, int conf_type = 1);
};

enum class LoggingMode {
  AsyncPoll,
  EndOfTestOnly,
  Synchronous,
};

struct LogOutputSettings {
  std::string outdir = ".";
  std::string prefix = "mlperf_log_";
  std::string suffix = "";              // after the stem: mlperf_log_summary<suffix>.txt
  bool prefix_with_datetime = false;    // mlperf_log_<start time>_summary.txt
  bool copy_detail_to_stdout = false;   // the detail log, to stdout after the test
  bool copy_summary_to_stdout = false;
};

struct LogSettings {
  LogOutputSettings log_output;
  LoggingMode log_mode = LoggingMode::AsyncPoll;  // accepted; logs are written at the end
  uint64_t log_mode_async_poll_interval_ms = 1000;  // accepted, unused
  bool enable_trace = true;                         // accepted; no trace file
};

}  // namespace mlperf

#endif  // LOADGEN_CPP_TEST_SETTINGS_H
