// loadgen.h: MLPerf LoadGen's C++ entry points (namespace mlperf) on this project's
// LoadGen, for harnesses written against MLPerf's API (docs/cpp.md, docs/porting.md).
// Part of libloadgen_cpp; link with -lloadgen_cpp -lloadgen (pkg-config loadgen-cpp).
#ifndef LOADGEN_CPP_LOADGEN_H
#define LOADGEN_CPP_LOADGEN_H

#include <cstddef>
#include <functional>
#include <string>

#include "query_sample.h"
#include "query_sample_library.h"
#include "system_under_test.h"
#include "test_settings.h"

namespace mlperf {

// Runs on a response the accuracy log records, after its completion time was taken and
// before its data is copied: it may set data and size now (e.g. copy the output from a
// device only for the logged samples).
using ResponseCallback = std::function<void(QuerySampleResponse*)>;

// Reports that the SUT answered these samples. Any thread, any number at once, inside
// IssueQuery too. Unknown, duplicate and late ids are counted and make the run INVALID
// (never a crash). An exception from response_cb is rethrown from here once every
// response of the call was recorded; the test goes on.
void QuerySamplesComplete(QuerySampleResponse* responses, size_t response_count,
                          const ResponseCallback& response_cb = {});

// Reports the first output token of these samples (TTFT; tests with
// use_token_latencies). Any thread. response_cb is accepted and not called, as MLPerf's.
void FirstTokenComplete(QuerySampleResponse* responses, size_t response_count,
                        const ResponseCallback& response_cb = {});

// Runs one test, blocking: loads the samples through qsl, issues queries to sut on this
// thread, waits for the answers and writes the logs (log_settings.log_output.outdir,
// "." by default). When a file named audit_config_filename exists it is applied first
// (a compliance test's audit.config). Settings this LoadGen refuses (a value out of range,
// FindPeakPerformance outside the Server scenario) return without running, the reason on
// stderr. An exception from the SUT or QSL aborts the test (the logs are written, the
// run INVALID) and is rethrown from here.
void StartTest(SystemUnderTest* sut, QuerySampleLibrary* qsl,
               const TestSettings& requested_settings, const LogSettings& log_settings,
               const std::string audit_config_filename = "audit.config");

// Asks the running test to stop issuing; it ends with the samples answered so far
// (INVALID, aborted) and StartTest returns. Any thread; nothing when no test runs.
void AbortTest();

// MLPerf's Server issue threads: with TestSettings.server_num_issue_query_threads = N
// > 0, the harness starts N threads that each call this; each becomes one of the issue
// threads of the next StartTest (issuing its share of the queries, queries i of blocks
// i mod N) and returns when that test ends. StartTest waits up to 10 s for the N
// registrations and refuses to run (stderr, naming both counts) when a different number
// came; the threads registered then return too. The LoadGen starts no issue thread of
// its own in that case (lg_register_issue_thread in loadgen/loadgen.h, docs/cpp.md).
void RegisterIssueQueryThread();

}  // namespace mlperf

#endif  // LOADGEN_CPP_LOADGEN_H
