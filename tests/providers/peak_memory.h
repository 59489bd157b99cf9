// How much memory a piece of code needs at its peak, measured in a child process so that
// neither the test binary's earlier allocations nor its later ones blur the figure.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace jlrec::testing {

/// What MeasurePeakGrowth saw.
struct PeakGrowth {
  std::size_t bytes = 0;  ///< the peak resident set size minus the one before `work` ran
  std::string outcome;    ///< what `work` returned (a summary for the test to check)
};

/// Runs `work` in a forked child and measures how far the child's resident set grew above
/// what it was just before (VmHWM after `work` minus VmRSS before, the peak reset in between
/// through /proc/self/clear_refs). Fails the current test if the child could not report.
PeakGrowth MeasurePeakGrowth(const std::function<std::string()>& work);

/// `bytes` as "12.3 MiB", for messages.
std::string Mebibytes(std::size_t bytes);

}  // namespace jlrec::testing
