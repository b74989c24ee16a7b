// query_sample.h: the samples the LoadGen hands a SUT and the responses the SUT hands
// back, with MLPerf LoadGen's names and layout (docs/cpp.md). Part of libloadgen_cpp.
#ifndef LOADGEN_CPP_QUERY_SAMPLE_H
#define LOADGEN_CPP_QUERY_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

// MLPerf's header brings <iostream> in, and harnesses written against it use std::cout
// without including it themselves: so does this one, so that they compile unchanged.
#include <iostream>

namespace mlperf {

// Names one issued sample; never 0. Here it is the LoadGen's 64-bit sample id (a
// per-test tag and a sequence number), so an id from another test is recognised.
typedef uintptr_t ResponseId;
constexpr ResponseId kResponseIdReserved = 0;

// The position of a sample in the QuerySampleLibrary.
typedef size_t QuerySampleIndex;

// A latency in nanoseconds.
typedef int64_t QuerySampleLatency;

// One sample of a query: answer it with a QuerySampleResponse carrying the same id.
struct QuerySample {
  ResponseId id;
  QuerySampleIndex index;
};

// One answered sample. data is the address of the output (read, and copied, only when
// the accuracy log records the sample, during the completion call); size its bytes;
// n_tokens the output tokens for token-latency tests (0 = not reported).
struct QuerySampleResponse {
  ResponseId id;
  uintptr_t data;
  size_t size;
  int64_t n_tokens;

  QuerySampleResponse() : id(0), data(0), size(0), n_tokens(0) {}
  QuerySampleResponse(ResponseId id_, uintptr_t data_, size_t size_)
      : id(id_), data(data_), size(size_), n_tokens(0) {}
  QuerySampleResponse(ResponseId id_, uintptr_t data_, size_t size_, int64_t n_tokens_)
      : id(id_), data(data_), size(size_), n_tokens(n_tokens_) {}
};

}  // namespace mlperf

#endif  // LOADGEN_CPP_QUERY_SAMPLE_H
