// c_api_harness.cc: a harness written against MLPerf's "C API" (bindings/c_api.h)
// alone, for tests/test_cpp.c: function pointers for the SUT and the QSL, samples
// answered inside the issue callback. Usage: c_api_harness SCENARIO [response-cb].
// Logs go to the current folder. Prints "c_api: issued N loaded L flushed F" and exits
// 0; 2 on a usage error.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

#include "bindings/c_api.h"

namespace {

struct Counts {
  size_t issued, loaded, unloaded, flushed;
  bool response_cb;
  uint32_t answer[64];
};

Counts g_counts;  // the flush callback gets no ClientData, as in MLPerf's API

void Issue(mlperf::c::ClientData data, const mlperf::QuerySample* s, size_t n) {
  Counts* c = reinterpret_cast<Counts*>(data);
  std::vector<mlperf::QuerySampleResponse> r(n);
  for (size_t i = 0; i < n; i++) {
    r[i].id = s[i].id;
    if (!c->response_cb) {
      r[i].data = reinterpret_cast<uintptr_t>(&c->answer[s[i].index]);
      r[i].size = sizeof(uint32_t);
    }
  }
  c->issued += n;
  if (c->response_cb)
    mlperf::c::QuerySamplesCompleteResponseCb(
        r.data(), n,
        [](mlperf::c::ClientData d, mlperf::QuerySampleResponse* q) {
          // Only now is the output needed: the sample is in the accuracy log.
          Counts* cc = reinterpret_cast<Counts*>(d);
          q->data = reinterpret_cast<uintptr_t>(&cc->answer[0]);
          q->size = sizeof(uint32_t);
        },
        data);
  else
    mlperf::c::QuerySamplesComplete(r.data(), n);
}

void Flush() { g_counts.flushed++; }

void Load(mlperf::c::ClientData data, const mlperf::QuerySampleIndex*, size_t n) {
  reinterpret_cast<Counts*>(data)->loaded += n;
}

void Unload(mlperf::c::ClientData data, const mlperf::QuerySampleIndex*, size_t n) {
  reinterpret_cast<Counts*>(data)->unloaded += n;
}

}  // namespace

int main(int argc, char** argv) {
  static const char* const names[] = {"SingleStream", "MultiStream", "Server", "Offline"};
  mlperf::TestSettings ts;
  int sc = -1;
  for (int i = 0; argc > 1 && i < 4; i++)
    if (strcmp(argv[1], names[i]) == 0) sc = i;
  if (sc < 0) {
    fprintf(stderr, "usage: c_api_harness SCENARIO [response-cb]\n");
    return 2;
  }
  ts.scenario = static_cast<mlperf::TestScenario>(sc);
  ts.mode = mlperf::TestMode::PerformanceOnly;
  ts.min_duration_ms = ts.scenario == mlperf::TestScenario::Offline ? 0 : 200;
  ts.min_query_count = 50;
  ts.server_target_qps = 5000;
  ts.offline_expected_qps = 2000;
  ts.multi_stream_samples_per_query = 4;
  g_counts.response_cb = argc > 2 && strcmp(argv[2], "response-cb") == 0;
  if (g_counts.response_cb) ts.accuracy_log_probability = 1.0;
  for (uint32_t i = 0; i < 64; i++) g_counts.answer[i] = 0xC0DE0000u | i;
  const mlperf::c::ClientData data = reinterpret_cast<mlperf::c::ClientData>(&g_counts);
  const std::string sut_name = "CApiSUT", qsl_name = "CApiQSL";
  void* sut = mlperf::c::ConstructSUT(data, sut_name.data(), sut_name.size(), Issue, Flush);
  void* qsl = mlperf::c::ConstructQSL(data, qsl_name.data(), qsl_name.size(), 64, 32, Load,
                                      Unload);
  mlperf::c::StartTest(sut, qsl, ts, "audit.config");
  mlperf::c::DestroyQSL(qsl);
  mlperf::c::DestroySUT(sut);
  printf("c_api: issued %zu loaded %zu unloaded %zu flushed %zu\n", g_counts.issued,
         g_counts.loaded, g_counts.unloaded, g_counts.flushed);
  return 0;
}
