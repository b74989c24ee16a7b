// defaults.cc: prints every field of a default-constructed TestSettings and LogSettings
// (MLPerf's API names, test_settings.h), one "name value" line each, enums as their
// integer values, for tests/test_cpp.c to compare with MLPerf's defaults.
#include <stdio.h>

#include <string>

#include "query_sample.h"
#include "test_settings.h"

namespace {

void P(const char* name, double v) { printf("%s %.17g\n", name, v); }
void P(const char* name, const std::string& v) { printf("%s \"%s\"\n", name, v.c_str()); }

}  // namespace

#define F(obj, f) P(#f, static_cast<double>(obj.f))

int main() {
  const mlperf::TestSettings t;
  F(t, scenario);
  F(t, mode);
  F(t, single_stream_expected_latency_ns);
  F(t, single_stream_target_latency_percentile);
  F(t, multi_stream_expected_latency_ns);
  F(t, multi_stream_target_latency_percentile);
  F(t, multi_stream_samples_per_query);
  F(t, server_target_qps);
  F(t, server_target_latency_ns);
  F(t, server_target_latency_percentile);
  F(t, server_coalesce_queries);
  F(t, server_find_peak_qps_decimals_of_precision);
  F(t, server_find_peak_qps_boundary_step_size);
  F(t, server_max_async_queries);
  F(t, server_num_issue_query_threads);
  F(t, offline_expected_qps);
  F(t, sample_concatenate_permutation);
  F(t, min_duration_ms);
  F(t, max_duration_ms);
  F(t, min_query_count);
  F(t, max_query_count);
  F(t, qsl_rng_seed);
  F(t, sample_index_rng_seed);
  F(t, schedule_rng_seed);
  F(t, accuracy_log_rng_seed);
  F(t, accuracy_log_probability);
  F(t, accuracy_log_sampling_target);
  F(t, test05);
  F(t, test05_qsl_rng_seed);
  F(t, test05_sample_index_rng_seed);
  F(t, test05_schedule_rng_seed);
  F(t, print_timestamps);
  F(t, performance_issue_unique);
  F(t, performance_issue_same);
  F(t, performance_issue_same_index);
  F(t, performance_sample_count_override);
  F(t, accuracy_sample_count_override);
  F(t, use_token_latencies);
  F(t, server_ttft_latency);
  F(t, server_tpot_latency);
  F(t, infer_token_latencies);
  F(t, token_latency_scaling_factor);
  const mlperf::LogSettings l;
  P("log_output.outdir", l.log_output.outdir);
  P("log_output.prefix", l.log_output.prefix);
  P("log_output.suffix", l.log_output.suffix);
  P("log_output.prefix_with_datetime", l.log_output.prefix_with_datetime);
  P("log_output.copy_detail_to_stdout", l.log_output.copy_detail_to_stdout);
  P("log_output.copy_summary_to_stdout", l.log_output.copy_summary_to_stdout);
  F(l, log_mode);
  F(l, log_mode_async_poll_interval_ms);
  F(l, enable_trace);
  printf("sizeof_QuerySample %zu\nsizeof_QuerySampleResponse %zu\n",
         sizeof(mlperf::QuerySample), sizeof(mlperf::QuerySampleResponse));
  return 0;
}
