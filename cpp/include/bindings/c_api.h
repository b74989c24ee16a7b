// bindings/c_api.h: MLPerf LoadGen's "C API" (namespace mlperf::c): a SUT and a QSL
// made of function pointers, for harnesses written against it (docs/cpp.md). Like
// MLPerf's, it is C++ (it takes TestSettings and std::string). Part of libloadgen_cpp.
#ifndef LOADGEN_CPP_BINDINGS_C_API_H
#define LOADGEN_CPP_BINDINGS_C_API_H

#include <stddef.h>
#include <stdint.h>

#include <string>

#include "../query_sample.h"
#include "../test_settings.h"

namespace mlperf {
namespace c {

// A word of the caller's, passed back to its callbacks.
typedef uintptr_t ClientData;

typedef void (*IssueQueryCallback)(ClientData, const QuerySample*, size_t);
typedef void (*FlushQueriesCallback)();  // no ClientData, as MLPerf's
typedef void (*ResponseCallback)(ClientData, QuerySampleResponse*);
typedef void (*LoadSamplesToRamCallback)(ClientData, const QuerySampleIndex*, size_t);
typedef void (*UnloadSamplesFromRamCallback)(ClientData, const QuerySampleIndex*, size_t);

// mlperf::QuerySamplesComplete, without and with a response callback.
void QuerySamplesComplete(QuerySampleResponse* responses, size_t response_count);
void QuerySamplesCompleteResponseCb(QuerySampleResponse* responses, size_t response_count,
                                    ResponseCallback response_cb, ClientData client_data);
// mlperf::FirstTokenComplete; the callback is accepted and not called, as MLPerf's.
void FirstTokenComplete(QuerySampleResponse* responses, size_t response_count);
void FirstTokenCompleteResponseCb(QuerySampleResponse* responses, size_t response_count,
                                  ResponseCallback response_cb, ClientData client_data);

// A SUT calling these functions; name (name_length bytes) is copied. Free it with
// DestroySUT after its last test. flush_queries_cb may be null.
void* ConstructSUT(ClientData client_data, const char* name, size_t name_length,
                   IssueQueryCallback issue_cb, FlushQueriesCallback flush_queries_cb);
void DestroySUT(void* sut);

// A QSL calling these functions; the callbacks may be null (nothing to load).
void* ConstructQSL(ClientData client_data, const char* name, size_t name_length,
                   size_t total_sample_count, size_t performance_sample_count,
                   LoadSamplesToRamCallback load_samples_to_ram_cb,
                   UnloadSamplesFromRamCallback unload_samples_from_ram_cb);
void DestroyQSL(void* qsl);

// mlperf::StartTest on a SUT and QSL made above, with the default LogSettings (logs in
// the current folder).
void StartTest(void* sut, void* qsl, const TestSettings& settings,
               const std::string& audit_config_filename = "audit.config");

// mlperf::RegisterIssueQueryThread.
void RegisterIssueQueryThread();

}  // namespace c
}  // namespace mlperf

#endif  // LOADGEN_CPP_BINDINGS_C_API_H
