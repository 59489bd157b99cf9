// Ctrl-C and friends for the commands that wait without a deadline on a host (`jlrec logs
// --follow`, `jlrec exec`): a signal is a request to stop, which the waits notice within
// milliseconds, so that the command ends through its normal path (the terminal restored, the
// output flushed) instead of dying wherever it was.
#pragma once

namespace jlrec::cli {

/// While it lives, SIGINT, SIGTERM and SIGHUP set a flag (and write ExecEnds' kWakeStop to the
/// wake pipe) instead of ending the process; with `watch_resize`, SIGWINCH writes kWakeResize.
/// The previous handlers come back on destruction. One at a time per process.
class StopSignals {
 public:
  explicit StopSignals(bool watch_resize = false);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// True once a stop signal came: cheap and thread-safe, for LogsRequest::interrupted and
  /// ExecRequest::interrupted.
  static bool Stopped();
  /// The exit code for the signal that came, the shell's 128 + N (130 for Ctrl-C); 0 if none.
  static int ExitCode();
  /// The read end of the wake pipe (ExecEnds::wake_fd); -1 if it could not be made.
  int wake_fd() const { return wake_[0]; }

 private:
  int wake_[2] = {-1, -1};
  bool watch_resize_;
};

}  // namespace jlrec::cli
