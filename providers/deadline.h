// Points in time by which an operation must be finished: every wait in providers/ is
// bounded by one, so a hung host or daemon can never block a caller forever.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

namespace jlrec {

/// The clock deadlines are measured on (monotonic: immune to wall-clock jumps).
using DeadlineClock = std::chrono::steady_clock;
/// An instant after which the operation that owns it gives up with kTimeout.
using Deadline = DeadlineClock::time_point;

/// The deadline `d` from now.
inline Deadline DeadlineAfter(std::chrono::milliseconds d) { return DeadlineClock::now() + d; }

/// The deadline of a wait that only an interruption ends (ByteStream::SetInterruption): a
/// logs follow or an attached exec may rightly wait for hours. Ten years away: it never
/// passes, and every sum or product of durations made from it stays far from overflowing.
inline Deadline NoDeadline() { return DeadlineClock::now() + std::chrono::hours(24 * 3653); }

/// Time left until `deadline`, never negative.
inline std::chrono::milliseconds TimeLeft(Deadline deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - DeadlineClock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

/// True once `deadline` has passed.
inline bool Expired(Deadline deadline) { return DeadlineClock::now() >= deadline; }

/// `d` as "1.5s" (tenths, truncated), for messages.
inline std::string FormatSeconds(std::chrono::milliseconds d) {
  auto tenths = d.count() / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") + "s";
}

}  // namespace jlrec
