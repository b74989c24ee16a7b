// harness.cc: an MLPerf-style C++ harness, written against MLPerf's API names only (no
// header of this project's own), for tests/test_cpp.c: a SUT that answers from a worker
// thread and a QSL that checks what it is asked to load. Usage:
//   harness SCENARIO MODE [CASE]
// SCENARIO: SingleStream, MultiStream, Server, Offline; MODE: performance, accuracy,
// submission. CASE: ok (default), throw-issue (IssueQuery throws on its 5th call),
// throw-load (LoadSamplesToRam throws), peak (FindPeakPerformance), test05, suffix
// (a log file suffix), response-cb (QuerySamplesComplete with a response callback that
// gives the data), fromconfig FILE (FromConfig(FILE, "model", SCENARIO) first),
// register (a thread registered with RegisterIssueQueryThread), abort (AbortTest from
// another thread after 100 ms). Logs go to the current folder. Prints "harness: issued
// N loaded L unloaded U flushed F" and exits 0, or 3 when StartTest threw (the
// exception's text on stderr), 2 on a usage error.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "loadgen.h"
#include "query_sample_library.h"
#include "system_under_test.h"
#include "test_settings.h"

namespace {

// The 4 bytes answered for a sample: its index, low byte first, then a check byte.
uint32_t Answer(size_t index) {
  return static_cast<uint32_t>(index & 0xffff) | 0xa5u << 16 | (index * 7 & 0xff) << 24;
}

class Qsl : public mlperf::QuerySampleLibrary {
 public:
  Qsl(size_t total, size_t perf, bool throw_load) : total_(total), perf_(perf),
      throw_load_(throw_load), answers_(total) {
    for (size_t i = 0; i < total; i++) answers_[i] = Answer(i);
  }
  const std::string& Name() override { return name_; }
  size_t TotalSampleCount() override { return total_; }
  size_t PerformanceSampleCount() override { return perf_; }
  void LoadSamplesToRam(const std::vector<mlperf::QuerySampleIndex>& s) override {
    if (throw_load_) throw std::runtime_error("the dataset is not there");
    std::lock_guard<std::mutex> lock(mu_);
    for (auto i : s) {
      if (i >= total_) throw std::logic_error("load of an index beyond the dataset");
      loaded_.insert(i);
    }
    loads_ += s.size();
  }
  void UnloadSamplesFromRam(const std::vector<mlperf::QuerySampleIndex>& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto i : s) loaded_.erase(i);
    unloads_ += s.size();
  }
  bool IsLoaded(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    return loaded_.count(i) != 0;
  }
  const uint32_t* AnswerOf(size_t i) const { return &answers_[i]; }
  size_t loads_ = 0, unloads_ = 0;

 private:
  std::string name_ = "CppQSL";
  size_t total_, perf_;
  bool throw_load_;
  std::vector<uint32_t> answers_;
  std::mutex mu_;
  std::set<size_t> loaded_;
};

// Answers every sample from a worker thread, in the order issued.
class Sut : public mlperf::SystemUnderTest {
 public:
  Sut(Qsl* qsl, int throw_on, bool response_cb) : qsl_(qsl), throw_on_(throw_on),
      response_cb_(response_cb), worker_([this] { Work(); }) {}
  ~Sut() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    worker_.join();
  }
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<mlperf::QuerySample>& samples) override {
    if (++calls_ == throw_on_) throw std::runtime_error("the accelerator fell over");
    for (const auto& s : samples)
      if (!qsl_->IsLoaded(s.index)) not_loaded_++;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.insert(queue_.end(), samples.begin(), samples.end());
      threads_.insert(std::this_thread::get_id());
    }
    issued_ += samples.size();
    cv_.notify_one();
  }
  void FlushQueries() override { flushes_++; }
  // The threads IssueQuery was called from.
  size_t threads() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_.size();
  }
  std::atomic<size_t> issued_{0}, flushes_{0}, not_loaded_{0};

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::vector<mlperf::QuerySample> batch(queue_.begin(), queue_.end());
      queue_.clear();
      lock.unlock();
      Complete(batch);
      lock.lock();
    }
  }
  void Complete(const std::vector<mlperf::QuerySample>& batch) {
    std::vector<mlperf::QuerySampleResponse> r;
    for (const auto& s : batch) {
      // With a response callback the data is given only when it is asked for.
      uintptr_t data = response_cb_ ? 0 : reinterpret_cast<uintptr_t>(qsl_->AnswerOf(s.index));
      r.emplace_back(s.id, data, response_cb_ ? 0 : sizeof(uint32_t));
    }
    if (!response_cb_) {
      mlperf::QuerySamplesComplete(r.data(), r.size());
      return;
    }
    mlperf::QuerySamplesComplete(r.data(), r.size(), [&](mlperf::QuerySampleResponse* q) {
      const mlperf::QuerySample& s = batch[static_cast<size_t>(q - r.data())];
      q->data = reinterpret_cast<uintptr_t>(qsl_->AnswerOf(s.index));
      q->size = sizeof(uint32_t);
    });
  }
  std::string name_ = "CppSUT";
  Qsl* qsl_;
  int throw_on_;
  std::atomic<int> calls_{0};
  std::set<std::thread::id> threads_;
  bool response_cb_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<mlperf::QuerySample> queue_;
  bool done_ = false;
  std::thread worker_;
};

bool ParseScenario(const char* s, mlperf::TestScenario* out) {
  static const struct { const char* name; mlperf::TestScenario v; } all[] = {
      {"SingleStream", mlperf::TestScenario::SingleStream},
      {"MultiStream", mlperf::TestScenario::MultiStream},
      {"Server", mlperf::TestScenario::Server},
      {"Offline", mlperf::TestScenario::Offline}};
  for (const auto& a : all)
    if (strcmp(s, a.name) == 0) return *out = a.v, true;
  return false;
}

bool ParseMode(const char* s, mlperf::TestMode* out) {
  if (strcmp(s, "performance") == 0) return *out = mlperf::TestMode::PerformanceOnly, true;
  if (strcmp(s, "accuracy") == 0) return *out = mlperf::TestMode::AccuracyOnly, true;
  if (strcmp(s, "submission") == 0) return *out = mlperf::TestMode::SubmissionRun, true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  mlperf::TestSettings ts;
  if (argc < 3 || !ParseScenario(argv[1], &ts.scenario) || !ParseMode(argv[2], &ts.mode)) {
    fprintf(stderr, "usage: harness SCENARIO MODE [CASE [FILE]]\n");
    return 2;
  }
  std::string c = argc > 3 ? argv[3] : "ok";
  // A run of about 0.2 s in any scenario (Offline: one query, no minimum duration).
  ts.min_duration_ms = ts.scenario == mlperf::TestScenario::Offline ? 0 : 200;
  ts.min_query_count = 50;
  ts.server_target_qps = 5000;
  // A bound of 1 s: the tests check that the harness ends VALID, and a 50 ms bound
  // can fail on a loaded machine (one scheduler stall of the SUT thread past it).
  ts.server_target_latency_ns = 1000000000;
  ts.offline_expected_qps = 2000;
  ts.multi_stream_samples_per_query = 4;
  if (c == "peak") {
    // A short search: 20 ms probes, the bracket x10 at each step, whole QPS.
    ts.mode = mlperf::TestMode::FindPeakPerformance;
    ts.min_duration_ms = 20;
    ts.min_query_count = 20;
    ts.server_find_peak_qps_boundary_step_size = 9;
    ts.server_find_peak_qps_decimals_of_precision = 0;
  }
  if (c == "test05") {
    ts.test05 = true;
    ts.test05_qsl_rng_seed = 11;
    ts.test05_sample_index_rng_seed = 12;
    ts.test05_schedule_rng_seed = 13;
  }
  if (c == "register") ts.server_num_issue_query_threads = 1;
  if (c == "register2") ts.server_num_issue_query_threads = 2;
  if (c == "abort") ts.min_duration_ms = 60000;
  if (c == "fromconfig") {
    if (argc < 5) return 2;
    int rc = ts.FromConfig(argv[4], "model", argv[1]);
    printf("harness: FromConfig %d min_query_count %llu server_target_qps %g\n", rc,
           static_cast<unsigned long long>(ts.min_query_count), ts.server_target_qps);
  }
  mlperf::LogSettings ls;
  if (c == "suffix") ls.log_output.suffix = "_x";
  Qsl qsl(100, 40, c == "throw-load");
  Sut sut(&qsl, c == "throw-issue" ? 5 : 0, c == "response-cb");
  std::thread helper, helper2;
  std::atomic<int> registered_returned{0};
  if (c == "register" || c == "register2")
    helper = std::thread([&] {
      mlperf::RegisterIssueQueryThread();
      registered_returned++;
    });
  if (c == "register2")
    helper2 = std::thread([&] {
      mlperf::RegisterIssueQueryThread();
      registered_returned++;
    });
  // The registered threads are waiting before the test starts.
  if (c == "register" || c == "register2")
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (c == "abort")
    helper = std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      mlperf::AbortTest();
    });
  int code = 0;
  try {
    mlperf::StartTest(&sut, &qsl, ts, ls);
  } catch (const std::exception& e) {
    fprintf(stderr, "harness: StartTest threw: %s\n", e.what());
    code = 3;
  }
  if (helper.joinable()) helper.join();
  if (helper2.joinable()) helper2.join();
  if (c == "register" || c == "register2")
    printf("harness: registered threads returned %d issuing threads %zu\n",
           registered_returned.load(), sut.threads());
  printf("harness: issued %zu loaded %zu unloaded %zu flushed %zu not_loaded %zu\n",
         sut.issued_.load(), qsl.loads_, qsl.unloads_, sut.flushes_.load(),
         sut.not_loaded_.load());
  return code;
}
