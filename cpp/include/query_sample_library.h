// query_sample_library.h: the interface a harness implements for its dataset, with
// MLPerf LoadGen's names (docs/cpp.md). Part of libloadgen_cpp.
#ifndef LOADGEN_CPP_QUERY_SAMPLE_LIBRARY_H
#define LOADGEN_CPP_QUERY_SAMPLE_LIBRARY_H

#include <stddef.h>

#include <string>
#include <vector>

#include "query_sample.h"

namespace mlperf {

class QuerySampleLibrary {
 public:
  virtual ~QuerySampleLibrary() {}

  // The dataset's name for the logs; asked once when a test starts.
  virtual const std::string& Name() = 0;
  // Samples in the dataset (asked once per test; at least 1).
  virtual size_t TotalSampleCount() = 0;
  // Samples that fit in memory at once: the performance set (asked once per test).
  virtual size_t PerformanceSampleCount() = 0;

  // Loads these samples before queries use them. An exception thrown here ends the test
  // (the run is INVALID, the logs are written) and StartTest rethrows it.
  virtual void LoadSamplesToRam(const std::vector<QuerySampleIndex>& samples) = 0;
  // Unloads samples loaded earlier, after the queries that used them.
  virtual void UnloadSamplesFromRam(const std::vector<QuerySampleIndex>& samples) = 0;
};

}  // namespace mlperf

#endif  // LOADGEN_CPP_QUERY_SAMPLE_LIBRARY_H
