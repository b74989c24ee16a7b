// settings.cc: TestSettings and LogSettings onto the core's lg_settings and
// lg_log_settings, and TestSettings::FromConfig on the core's config reader.
#include <stdint.h>
#include <stdio.h>

#include <string>

#include "cpp/include/test_settings.h"
#include "cpp/internal.h"
#include "loadgen/config.h"
#include "loadgen/loadgen.h"

// Every field both TestSettings and lg_settings have under the same name, for the
// copies both ways.
#define LGCPP_SAME_FIELDS(X)                                                          \
  X(single_stream_expected_latency_ns) X(single_stream_target_latency_percentile)    \
  X(multi_stream_expected_latency_ns) X(multi_stream_target_latency_percentile)      \
  X(multi_stream_samples_per_query) X(server_target_qps)                             \
  X(server_target_latency_percentile) X(server_coalesce_queries)                     \
  X(server_find_peak_qps_boundary_step_size) X(server_max_async_queries)             \
  X(server_num_issue_query_threads) X(offline_expected_qps)                          \
  X(sample_concatenate_permutation) X(min_duration_ms) X(max_duration_ms)            \
  X(min_query_count) X(max_query_count) X(qsl_rng_seed) X(sample_index_rng_seed)     \
  X(schedule_rng_seed) X(accuracy_log_rng_seed) X(accuracy_log_probability)          \
  X(accuracy_log_sampling_target) X(print_timestamps) X(performance_issue_unique)    \
  X(performance_issue_same) X(performance_issue_same_index)                          \
  X(performance_sample_count_override) X(accuracy_sample_count_override)             \
  X(use_token_latencies) X(infer_token_latencies) X(token_latency_scaling_factor)        \
  X(test05) X(test05_qsl_rng_seed) X(test05_sample_index_rng_seed)                  \
  X(test05_schedule_rng_seed)

namespace mlperf {
namespace {

// An MLPerf uint64 nanosecond field in the core's int64 one (clamped; ToLgSettings
// refuses what does not fit).
int64_t Ns(uint64_t v) {
  return v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
}

// t's fields in *s as they are, unchecked: the enums have the core's values
// (SingleStream 0 ... Offline 3; SubmissionRun 0 ... FindPeakPerformance 3).
void Copy(const TestSettings& t, lg_settings* s) {
  lg_settings_default(s);
#define LGCPP_TO(f) s->f = t.f;
  LGCPP_SAME_FIELDS(LGCPP_TO)
#undef LGCPP_TO
  s->scenario = static_cast<lg_scenario>(t.scenario);
  s->mode = static_cast<lg_mode>(t.mode);
  s->server_find_peak_qps_decimals_of_precision =
      static_cast<uint64_t>(t.server_find_peak_qps_decimals_of_precision);
  s->server_target_latency_ns = Ns(t.server_target_latency_ns);
  s->server_ttft_latency_ns = Ns(t.server_ttft_latency);
  s->server_tpot_latency_ns = Ns(t.server_tpot_latency);
}

// The fields that differ between before and after (the core's settings before and after
// a config file) into *t; the others keep t's own value, exactly.
void CopyChanged(const lg_settings& b, const lg_settings& a, TestSettings* t) {
#define LGCPP_FROM(f) \
  if (a.f != b.f) t->f = a.f;
  LGCPP_SAME_FIELDS(LGCPP_FROM)
#undef LGCPP_FROM
  if (a.scenario != b.scenario) t->scenario = static_cast<TestScenario>(a.scenario);
  if (a.mode != b.mode) t->mode = static_cast<TestMode>(a.mode);
  if (a.server_find_peak_qps_decimals_of_precision !=
      b.server_find_peak_qps_decimals_of_precision)
    t->server_find_peak_qps_decimals_of_precision =
        static_cast<int>(a.server_find_peak_qps_decimals_of_precision);
  if (a.server_target_latency_ns != b.server_target_latency_ns)
    t->server_target_latency_ns = static_cast<uint64_t>(a.server_target_latency_ns);
  if (a.server_ttft_latency_ns != b.server_ttft_latency_ns)
    t->server_ttft_latency = static_cast<uint64_t>(a.server_ttft_latency_ns);
  if (a.server_tpot_latency_ns != b.server_tpot_latency_ns)
    t->server_tpot_latency = static_cast<uint64_t>(a.server_tpot_latency_ns);
}

// Refuses an MLPerf uint64 nanosecond field beyond the core's int64.
bool NsFits(uint64_t v, const char* name, std::string* why) {
  if (v <= static_cast<uint64_t>(INT64_MAX)) return true;
  *why = std::string("TestSettings.") + name + ": " + std::to_string(v) +
         " ns is beyond 2^63-1";
  return false;
}

}  // namespace

namespace lgcpp {

bool ToLgSettings(const TestSettings& t, lg_settings* s, std::string* why) {
  if (t.server_find_peak_qps_decimals_of_precision < 0) {
    *why = "TestSettings.server_find_peak_qps_decimals_of_precision: " +
           std::to_string(t.server_find_peak_qps_decimals_of_precision) + " is negative";
    return false;
  }
  if (!NsFits(t.server_target_latency_ns, "server_target_latency_ns", why) ||
      !NsFits(t.server_ttft_latency, "server_ttft_latency", why) ||
      !NsFits(t.server_tpot_latency, "server_tpot_latency", why))
    return false;
  Copy(t, s);
  // MLPerf's verdicts: max_duration_ms and max_query_count end a run without making it
  // INVALID, and no sample times out (TestSettings has no timeout).
  s->mlperf_max_limits = true;
  s->no_sample_timeout = true;
  // MLPerf's issue threads are always the harness's own (RegisterIssueQueryThread).
  s->server_issue_threads_registered = s->server_num_issue_query_threads > 0;
  // 0 is "not set" (MLPerf's Python default); the core wants at least 1 unless used.
  if (s->token_latency_scaling_factor == 0 && !s->infer_token_latencies)
    s->token_latency_scaling_factor = 1;
  char msg[512];
  if (lg_settings_check(s, nullptr, msg, sizeof msg) != 0) {
    *why = std::string("TestSettings: ") + msg;
    return false;
  }
  return true;
}
void ToLgLogSettings(const LogSettings& log, lg_log_settings* out, LogNames* names) {
  const LogOutputSettings& o = log.log_output;
  lg_log_settings_default(out);
  out->overwrite = true;
  out->copy_summary_to_stdout = o.copy_summary_to_stdout;
  out->copy_detail_to_stdout = o.copy_detail_to_stdout;
  out->prefix_with_datetime = o.prefix_with_datetime;
  names->outdir = o.outdir;
  names->prefix = o.prefix;
  names->suffix = o.suffix;
  out->outdir = names->outdir.c_str();
  out->prefix = names->prefix.c_str();
  out->suffix = names->suffix.c_str();
}

void Refuse(const char* where, const std::string& what) {
  fflush(stdout);
  fprintf(stderr, "mlperf::%s: %s\n", where, what.c_str());
}

}  // namespace lgcpp

int TestSettings::FromConfig(const std::string& path, const std::string& model,
                             const std::string& scenario_name, int conf_type) {
  lg_settings before, after;
  Copy(*this, &before);
  after = before;
  char err[512];
  int rc = lg_config_from_mlperf(&after, path.c_str(), model.c_str(), scenario_name.c_str(),
                                 conf_type, err, sizeof err);
  if (rc != 0) {
    lgcpp::Refuse("TestSettings::FromConfig", err);
    return rc;
  }
  // Only what the file set changes: the others keep their exact value, those the core
  // holds differently (a scaling factor of 0) included.
  CopyChanged(before, after, this);
  return 0;
}

}  // namespace mlperf
