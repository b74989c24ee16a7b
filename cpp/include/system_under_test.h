// system_under_test.h: the interface a harness implements for the LoadGen to test, with
// MLPerf LoadGen's names (docs/cpp.md). Part of libloadgen_cpp.
#ifndef LOADGEN_CPP_SYSTEM_UNDER_TEST_H
#define LOADGEN_CPP_SYSTEM_UNDER_TEST_H

#include <string>
#include <vector>

#include "query_sample.h"

namespace mlperf {

class SystemUnderTest {
 public:
  virtual ~SystemUnderTest() {}

  // The SUT's name for the logs; asked once when a test starts.
  virtual const std::string& Name() = 0;

  // Hands the SUT the samples of one query (Offline: every sample of the run at once),
  // on the thread that called StartTest. The vector lives during the call only. Answer
  // each sample once with QuerySamplesComplete, from any thread, now or later; inside
  // this call is fine. An exception thrown here aborts the test and StartTest rethrows it.
  virtual void IssueQuery(const std::vector<QuerySample>& samples) = 0;

  // Called after the last IssueQuery of a series (a pass): stop waiting for more work
  // to batch.
  virtual void FlushQueries() = 0;
};

}  // namespace mlperf

#endif  // LOADGEN_CPP_SYSTEM_UNDER_TEST_H
