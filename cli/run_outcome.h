// The one line each run leaves in the log: "outcome: COMMAND PROJECT: key=value ... exit=N
// seconds=S", at info, so that --log-file (which takes info and up) holds every run's result
// even when the terminal shows only warnings. Commands record their facts as they learn them;
// main() writes the line once the command has returned, with its exit code (docs/jlrec.1,
// LOGGING).
#pragma once

#include <concepts>
#include <string>

namespace jlrec::cli {

/// Starts the outcome of a run of `command` (main() calls this before the command runs).
void BeginRunOutcome(const std::string& command);

/// The project the run is about, once the manifest named it.
void SetOutcomeProject(const std::string& project);

/// Adds `key`=`value` to the outcome line, in the order added (a key added again keeps its
/// place and takes the new value). A value with a space, a quote, an '=' or nothing in it is
/// written as a JSON string.
void AddOutcome(const std::string& key, const std::string& value);
/// AddOutcome for a count.
template <std::integral N>
void AddOutcome(const std::string& key, N value) {
  AddOutcome(key, std::to_string(value));
}

/// Logs the outcome line at info with `exit_code` and the run's duration, once: later calls
/// do nothing (a command that leaves through std::_Exit calls it first). Nothing is logged
/// when the command never set up logging (its usage was wrong, or it only printed help).
void LogRunOutcome(int exit_code);

/// Logs "outcome: COMMAND PROJECT: `event` key=value..." now, at info, for what a
/// long-running command does before its end (serve's start), with the fields added so far.
void LogOutcomeEvent(const std::string& event);

}  // namespace jlrec::cli
