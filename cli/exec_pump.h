// The local side of `jlrec exec`: copies the operator's input to an attached exec and its
// output back, until the process ends.
#pragma once

#include <functional>
#include <optional>
#include <ostream>

#include "model/provider.h"
#include "model/status.h"

namespace jlrec::cli {

/// What the wake pipe (ExecEnds::wake_fd) carries, one byte per event.
inline constexpr char kWakeResize = 'R';  ///< the terminal changed size (SIGWINCH)
inline constexpr char kWakeStop = 'S';    ///< stop now (SIGINT, SIGTERM, SIGHUP)

/// Where an attached exec's input comes from and its output goes.
struct ExecEnds {
  /// The process's stdin is read from here (-1: none; a session without a TTY then has its
  /// input ended at once).
  int input_fd = -1;
  /// With a TTY: where the session's output is written byte for byte (the operator's terminal,
  /// in raw mode: the process draws on it as it would on its own).
  int tty_output_fd = -1;
  /// Without a TTY: where the process's stdout and stderr go, each through a
  /// ContainerTextWriter (and so through the terminal filter).
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  /// Read end of a pipe written by signal handlers (kWakeResize, kWakeStop); -1: none.
  int wake_fd = -1;
  /// The local terminal's size now, for kWakeResize (nullopt: unknown, no resize).
  std::function<std::optional<TerminalSize>()> terminal_size;
};

/// Runs `session` (with a TTY or not, as it was started) to its end: input from
/// `ends.input_fd` as it comes (its end of file ends the process's stdin, except with a TTY,
/// where Docker would end the output with it: the terminal's own ^D is how a TTY process sees
/// an end), output to `ends` from a second thread, resizes and stops from the wake pipe.
/// Returns how the process ended (ExecSession::Finish); kCancelled after kWakeStop (the
/// session's `interrupted` must say true by the time the byte is written: that is what ends
/// its waits); the session's error when its connection broke. Input the process no longer
/// takes (it exited, or closed its stdin) is dropped, as docker exec drops it.
Result<ExecOutcome> PumpExecSession(ExecSession& session, bool tty, const ExecEnds& ends);

}  // namespace jlrec::cli
