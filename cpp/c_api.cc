// c_api.cc: MLPerf's "C API" (bindings/c_api.h): a SUT and a QSL made of function
// pointers, as SystemUnderTest and QuerySampleLibrary objects for mlperf::StartTest.
#include <string>
#include <vector>

#include "cpp/include/bindings/c_api.h"
#include "cpp/include/loadgen.h"

namespace mlperf {
namespace c {
namespace {

class CallbackSut : public SystemUnderTest {
 public:
  CallbackSut(ClientData data, std::string name, IssueQueryCallback issue,
              FlushQueriesCallback flush)
      : data_(data), name_(std::move(name)), issue_(issue), flush_(flush) {}
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<QuerySample>& samples) override {
    issue_(data_, samples.data(), samples.size());
  }
  void FlushQueries() override {
    if (flush_) flush_();
  }

 private:
  ClientData data_;
  std::string name_;
  IssueQueryCallback issue_;
  FlushQueriesCallback flush_;
};

class CallbackQsl : public QuerySampleLibrary {
 public:
  CallbackQsl(ClientData data, std::string name, size_t total, size_t performance,
              LoadSamplesToRamCallback load, UnloadSamplesFromRamCallback unload)
      : data_(data), name_(std::move(name)), total_(total), performance_(performance),
        load_(load), unload_(unload) {}
  const std::string& Name() override { return name_; }
  size_t TotalSampleCount() override { return total_; }
  size_t PerformanceSampleCount() override { return performance_; }
  void LoadSamplesToRam(const std::vector<QuerySampleIndex>& samples) override {
    if (load_) load_(data_, samples.data(), samples.size());
  }
  void UnloadSamplesFromRam(const std::vector<QuerySampleIndex>& samples) override {
    if (unload_) unload_(data_, samples.data(), samples.size());
  }

 private:
  ClientData data_;
  std::string name_;
  size_t total_, performance_;
  LoadSamplesToRamCallback load_;
  UnloadSamplesFromRamCallback unload_;
};

// The harness's callback with its word, as mlperf::ResponseCallback.
mlperf::ResponseCallback Bind(ResponseCallback cb, ClientData data) {
  if (!cb) return {};
  return [cb, data](QuerySampleResponse* r) { cb(data, r); };
}

}  // namespace

void QuerySamplesComplete(QuerySampleResponse* responses, size_t response_count) {
  mlperf::QuerySamplesComplete(responses, response_count);
}

void QuerySamplesCompleteResponseCb(QuerySampleResponse* responses, size_t response_count,
                                    ResponseCallback response_cb, ClientData client_data) {
  mlperf::QuerySamplesComplete(responses, response_count, Bind(response_cb, client_data));
}

void FirstTokenComplete(QuerySampleResponse* responses, size_t response_count) {
  mlperf::FirstTokenComplete(responses, response_count);
}

void FirstTokenCompleteResponseCb(QuerySampleResponse* responses, size_t response_count,
                                  ResponseCallback response_cb, ClientData client_data) {
  mlperf::FirstTokenComplete(responses, response_count, Bind(response_cb, client_data));
}

void* ConstructSUT(ClientData client_data, const char* name, size_t name_length,
                   IssueQueryCallback issue_cb, FlushQueriesCallback flush_queries_cb) {
  return new CallbackSut(client_data, std::string(name ? name : "", name ? name_length : 0),
                         issue_cb, flush_queries_cb);
}

void DestroySUT(void* sut) { delete static_cast<CallbackSut*>(sut); }

void* ConstructQSL(ClientData client_data, const char* name, size_t name_length,
                   size_t total_sample_count, size_t performance_sample_count,
                   LoadSamplesToRamCallback load_samples_to_ram_cb,
                   UnloadSamplesFromRamCallback unload_samples_from_ram_cb) {
  return new CallbackQsl(client_data, std::string(name ? name : "", name ? name_length : 0),
                         total_sample_count, performance_sample_count,
                         load_samples_to_ram_cb, unload_samples_from_ram_cb);
}

void DestroyQSL(void* qsl) { delete static_cast<CallbackQsl*>(qsl); }

void StartTest(void* sut, void* qsl, const TestSettings& settings,
               const std::string& audit_config_filename) {
  LogSettings defaults;
  mlperf::StartTest(static_cast<CallbackSut*>(sut), static_cast<CallbackQsl*>(qsl), settings,
                    defaults, audit_config_filename);
}

void RegisterIssueQueryThread() { mlperf::RegisterIssueQueryThread(); }

}  // namespace c
}  // namespace mlperf
