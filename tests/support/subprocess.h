// Runs a real process (the jlrec binary, lab.sh, docker) from a test and captures it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace jlrec::testing {

/// What a finished process left behind.
struct ProcessResult {
  int exit_code = -1;   ///< exit status, or 128+signal if killed
  std::string out;      ///< everything written to stdout
  std::string err;      ///< everything written to stderr
  long max_rss_kb = 0;  ///< the process's peak resident memory (getrusage's ru_maxrss)
};

/// Runs argv[0] (PATH lookup) with `argv`, feeding `input` on stdin, extra `env` entries
/// added to the inherited environment; waits for it. Never uses a shell.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         const std::map<std::string, std::string>& env = {});

/// Starts `argv` (argv[0] a path, or a name looked up in PATH) in its own process group, `env`
/// added to its environment and stdout to /dev/null (or stdout and stderr to the file
/// `output`, created or truncated, when given), without waiting. Returns its pid, which is
/// also its process group id (the caller reaps it, e.g. with StopProcessGroup).
int StartProcess(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env = {},
                 const std::string& output = "");

/// Ends what StartProcess or StartJlrec started, whatever it left behind in its process
/// group: SIGTERM to the group, up to `grace_ms` for the leader to exit, then SIGKILL to the
/// group; reaps the leader. Returns the leader's exit status as ProcessResult::exit_code has
/// it. Bounded: never waits longer than `grace_ms` plus a moment.
int StopProcessGroup(int pid, int grace_ms = 3000);

/// The jlrec binary StartJlrec and RunJlrec run: the one built beside the tests
/// (JLREC_BINARY), or the one JLREC_TEST_BINARY names. CI runs the lab test that bounds
/// memory from the sanitizer build's suite against the release binary (ASan's shadow memory
/// would swamp the bound), so that the release build needs no test of its own.
std::string JlrecBinary();

/// Starts JlrecBinary() with `args` in its own process group, `env`
/// added to its environment and stdout to /dev/null (or stdout and stderr to the file
/// `output`, created or truncated, when given), without waiting: for tests that kill, stop
/// or race it. Returns its pid (the caller reaps it).
int StartJlrec(const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env = {}, const std::string& output = "");

/// Runs JlrecBinary() with `args`.
ProcessResult RunJlrec(const std::vector<std::string>& args, const std::string& input = "",
                       const std::map<std::string, std::string>& env = {});

}  // namespace jlrec::testing
