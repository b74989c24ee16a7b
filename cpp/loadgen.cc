// loadgen.cc: MLPerf's C++ entry points on the core: StartTest runs lg_run_test with a
// SystemUnderTest and a QuerySampleLibrary behind an lg_sut and an lg_qsl, and the
// completion calls convert responses for lg_complete, lg_complete_cb and lg_first_token.
//
// Exceptions never cross the core: each callback catches what the harness's code throws,
// keeps the first exception of the test and asks the core to abort (lg_abort); StartTest
// rethrows it once lg_run_test has returned and the logs are written.
#include <stdio.h>
#include <string.h>

#include <atomic>
#include <exception>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "cpp/include/loadgen.h"
#include "cpp/internal.h"
#include "loadgen/config.h"
#include "loadgen/loadgen.h"

namespace mlperf {
namespace {

// One test under way: the harness's objects and what the callbacks share.
struct Run {
  SystemUnderTest* sut;
  QuerySampleLibrary* qsl;
  std::string sut_name, qsl_name;
  std::vector<QuerySample> samples;        // the issue thread's, reused
  std::vector<QuerySampleIndex> indices;   // the loading thread's, reused
  std::mutex mu;
  std::exception_ptr error;                // the first exception of the test
  std::atomic<bool> failed{false};

  // Keeps the exception under way as the test's (the first one wins) and stops the test.
  void Fail() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
    }
    failed.store(true, std::memory_order_release);
    lg_abort();
  }
};

void Issue(void* ctx, const lg_sample* s, size_t n) {
  Run* r = static_cast<Run*>(ctx);
  if (r->failed.load(std::memory_order_acquire)) return;  // the test is ending
  try {
    r->samples.resize(n);
    for (size_t i = 0; i < n; i++) r->samples[i] = QuerySample{s[i].id, s[i].index};
    r->sut->IssueQuery(r->samples);
  } catch (...) {
    r->Fail();
  }
}

void Flush(void* ctx) {
  Run* r = static_cast<Run*>(ctx);
  if (r->failed.load(std::memory_order_acquire)) return;
  try {
    r->sut->FlushQueries();
  } catch (...) {
    r->Fail();
  }
}

// Load (load true) or unload; non-zero makes the core end the test (LG_ESUT).
// After a failure nothing more is loaded, but what was loaded is still unloaded, so
// that the harness can free it.
int LoadUnload(Run* r, const uint64_t* idx, size_t n, bool load) {
  if (load && r->failed.load(std::memory_order_acquire)) return -1;
  try {
    r->indices.assign(idx, idx + n);
    if (load)
      r->qsl->LoadSamplesToRam(r->indices);
    else
      r->qsl->UnloadSamplesFromRam(r->indices);
    return 0;
  } catch (...) {
    r->Fail();
    return -1;
  }
}

int Load(void* ctx, const uint64_t* idx, size_t n) {
  return LoadUnload(static_cast<Run*>(ctx), idx, n, true);
}

int Unload(void* ctx, const uint64_t* idx, size_t n) {
  return LoadUnload(static_cast<Run*>(ctx), idx, n, false);
}

// The test itself, once everything was accepted; rethrows the test's exception.
void Execute(const lg_settings& s, Run* r, const lg_log_settings& l) {
  lg_sut sut = {};
  sut.name = r->sut_name.c_str();
  sut.ctx = r;
  sut.issue = Issue;
  sut.flush = Flush;
  lg_qsl qsl = {};
  qsl.name = r->qsl_name.c_str();
  qsl.ctx = r;
  qsl.total_sample_count = r->qsl->TotalSampleCount();
  qsl.performance_sample_count = r->qsl->PerformanceSampleCount();
  qsl.load = Load;
  qsl.unload = Unload;
  // What the harness printed comes before the summary.
  std::cout.flush();
  fflush(stdout);
  lg_results res;
  int rc = lg_run_test(&s, &sut, &qsl, &l, &res);
  if (r->error) std::rethrow_exception(r->error);
  if (rc != 0) {
    const char* why = lg_last_error();
    lgcpp::Refuse("StartTest", *why ? why : lg_strerror(rc));
  }
}

}  // namespace

void StartTest(SystemUnderTest* sut, QuerySampleLibrary* qsl,
               const TestSettings& requested_settings, const LogSettings& log_settings,
               const std::string audit_config_filename) {
  std::string why;
  lg_settings s;
  lg_log_settings l;
  lgcpp::LogNames names;
  if (!sut || !qsl) {
    lgcpp::Refuse("StartTest", std::string("a null ") + (sut ? "QuerySampleLibrary" : "SystemUnderTest"));
    return;
  }
  if (!lgcpp::ToLgSettings(requested_settings, &s, &why)) {
    lgcpp::Refuse("StartTest", why);
    lg_release_issue_threads();
    return;
  }
  lgcpp::ToLgLogSettings(log_settings, &l, &names);
  char err[512];
  int audit = audit_config_filename.empty()
                  ? 0
                  : lg_config_apply_audit(audit_config_filename.c_str(), nullptr, &s, err,
                                          sizeof err);
  if (audit < 0) {
    lgcpp::Refuse("StartTest", err);
    lg_release_issue_threads();
    return;
  }
  if (audit == 1) l.audit_config = audit_config_filename.c_str();
  if (audit == 1)
    fprintf(stderr, "mlperf::StartTest: applied %s (an audit config in the current "
            "folder)\n", audit_config_filename.c_str());
  Run r;
  r.sut = sut;
  r.qsl = qsl;
  r.sut_name = sut->Name();
  r.qsl_name = qsl->Name();
  Execute(s, &r, l);
}

void AbortTest() { lg_abort(); }

void RegisterIssueQueryThread() {
  int rc = lg_register_issue_thread();
  if (rc != 0)
    lgcpp::Refuse("RegisterIssueQueryThread",
                  std::string("the test did not take this thread (") + lg_strerror(rc) +
                      "): the number of threads registered did not match "
                      "server_num_issue_query_threads");
}

namespace {

// Responses converted on the stack up to this many; more are allocated.
constexpr size_t kStackResponses = 64;

// The array the core reads, from the harness's responses (data: an address as an
// integer there, a pointer here; status OK).
lg_response* Convert(const QuerySampleResponse* in, size_t n, lg_response* stack,
                     std::vector<lg_response>* heap) {
  lg_response* out = stack;
  if (n > kStackResponses) {
    heap->resize(n);
    out = heap->data();
  }
  for (size_t i = 0; i < n; i++) {
    out[i] = lg_response{};
    out[i].id = in[i].id;
    out[i].data = reinterpret_cast<const void*>(in[i].data);
    out[i].size = in[i].size;
    out[i].status = LG_STATUS_OK;
    out[i].n_tokens = in[i].n_tokens;
  }
  return out;
}

// What the response callback's trampoline needs.
struct CallbackCall {
  QuerySampleResponse* responses;
  lg_response* converted;
  const ResponseCallback* cb;
  std::exception_ptr error;
};

// On a response the accuracy log records: the harness's callback on its own response
// object, then its data and size read back for the copy.
void OnLogged(void* ctx, lg_response* lr) {
  CallbackCall* c = static_cast<CallbackCall*>(ctx);
  if (c->error) return;
  QuerySampleResponse* q = &c->responses[lr - c->converted];
  try {
    (*c->cb)(q);
    lr->data = reinterpret_cast<const void*>(q->data);
    lr->size = q->size;
  } catch (...) {
    c->error = std::current_exception();
  }
}

}  // namespace

void QuerySamplesComplete(QuerySampleResponse* responses, size_t response_count,
                          const ResponseCallback& response_cb) {
  lg_response stack[kStackResponses];
  std::vector<lg_response> heap;
  lg_response* arr = Convert(responses, response_count, stack, &heap);
  if (!response_cb) {
    lg_complete(arr, response_count);
    return;
  }
  CallbackCall c{responses, arr, &response_cb, nullptr};
  lg_complete_cb(arr, response_count, OnLogged, &c);
  if (c.error) std::rethrow_exception(c.error);
}

void FirstTokenComplete(QuerySampleResponse* responses, size_t response_count,
                        const ResponseCallback& response_cb) {
  (void)response_cb;  // MLPerf's does not call it either
  lg_response stack[kStackResponses];
  std::vector<lg_response> heap;
  lg_first_token(Convert(responses, response_count, stack, &heap), response_count);
}

}  // namespace mlperf
