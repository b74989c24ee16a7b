// internal.h: what the files of cpp/ share: TestSettings and LogSettings as the core's
// lg_settings and lg_log_settings, and the stderr message of a refusal. cpp/ only.
#ifndef LOADGEN_CPP_INTERNAL_H
#define LOADGEN_CPP_INTERNAL_H

#include <string>

#include "cpp/include/test_settings.h"
#include "loadgen/loadgen.h"

namespace mlperf {
namespace lgcpp {

// settings to *out (MLPerf's names onto the core's, the same rules as the Python
// module's). Returns false, with *why naming the setting and value, when this LoadGen
// cannot run them: a value out of range (FindPeakPerformance outside Server).
bool ToLgSettings(const TestSettings& settings, lg_settings* out, std::string* why);

// The log files' folder and prefix, which lg_log_settings points into; they must
// outlive the test.
struct LogNames {
  std::string outdir;
  std::string prefix;
  std::string suffix;
};

// log to *out, whose strings live in *names. MLPerf rewrites the folder's logs run
// after run, so the files are replaced (overwrite). The suffix, the date-time prefix
// and the detail copy to stdout are the core's own, so nothing is refused here.
void ToLgLogSettings(const LogSettings& log, lg_log_settings* out, LogNames* names);

// Writes "mlperf::WHERE: WHAT" on stderr: how a void entry point reports a refusal.
void Refuse(const char* where, const std::string& what);

}  // namespace lgcpp
}  // namespace mlperf

#endif  // LOADGEN_CPP_INTERNAL_H
