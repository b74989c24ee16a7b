// query_dispatch_library.h: MLPerf LoadGen's QueryDispatchLibrary, the SUT of its
// "LoadGen over the network" mode; to this LoadGen it is a SystemUnderTest like any
// other (docs/cpp.md). Part of libloadgen_cpp.
#ifndef LOADGEN_CPP_QUERY_DISPATCH_LIBRARY_H
#define LOADGEN_CPP_QUERY_DISPATCH_LIBRARY_H

#include "system_under_test.h"

namespace mlperf {

class QueryDispatchLibrary : public SystemUnderTest {
 public:
  virtual ~QueryDispatchLibrary() = default;
};

}  // namespace mlperf

#endif  // LOADGEN_CPP_QUERY_DISPATCH_LIBRARY_H
