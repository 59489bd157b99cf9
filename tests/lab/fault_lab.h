// What the fault-injection lab tests (tests/lab/fault_*_lab_test.cpp) share: a jlrec run
// stopped at an exact step, the clock, and the checks that a rerun converged with nothing
// lost or duplicated.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/finally.h"
#include "support/lab_project.h"

namespace jlrec::testing {

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Seconds since `t0`.
inline double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// "NAME STATE" of every container on lab host `host` labelled as `p`'s, or named like one of
/// its containers (a renamed NAME.jlrec-prev, an unlabelled leftover), sorted.
inline std::vector<std::string> ProjectContainers(const LabProject& p, int host) {
  std::vector<std::string> out;
  for (const std::string& filter : {"label=jlrec.project=" + p.project(), "name=" + p.Name("")}) {
    auto r = LabDocker(host, {"ps", "-a", "--filter", filter, "--format", "{{.Names}} {{.State}}"});
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty() && std::find(out.begin(), out.end(), line) == out.end())
        out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Applies `p` (exit 0 required), then checks that a plan finds nothing left to do.
inline void Converge(const LabProject& p) {
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 0);
}

/// Checks that lab host `host` runs exactly `names` (short names) of `p`, once each, running,
/// and nothing else of it (no NAME.jlrec-prev, no second copy).
inline void CheckRunsExactly(const LabProject& p, int host, std::vector<std::string> names) {
  std::vector<std::string> want;
  for (const auto& n : names) want.push_back(p.Name(n) + " running");
  std::sort(want.begin(), want.end());
  CHECK(ProjectContainers(p, host) == want);
}

/// The "in N.Ns" of an apply's summary line ("Apply finished with failures in 3.2s: ..."),
/// or -1 when there is none.
inline double SummarySeconds(const std::string& out) {
  std::smatch m;
  static const std::regex kSummary(R"(Apply [a-z ]+ in ([0-9]+\.[0-9])s:)");
  return std::regex_search(out, m, kSummary) ? std::stod(m[1]) : -1;
}

/// A jlrec run started in the background (StartJlrec) with JLREC_FAULT_INJECT=stop-before:
/// STEP, so that it stops itself (SIGSTOP) right before that step: the test changes the world
/// at that exact point, then lets it go on. Its output goes to a file; a run left behind is
/// killed.
class StoppedRun {
 public:
  /// Starts `jlrec args -m p's manifest --no-color` to stop before `step`.
  StoppedRun(const LabProject& p, std::vector<std::string> args, const std::string& step)
      : output_(p.dir() + "/stopped-run.out") {
    args.insert(args.end(), {"-m", p.manifest(), "--no-color"});
    pid_ = StartJlrec(args, {{"JLREC_FAULT_INJECT", "stop-before:" + step}}, output_);
  }
  ~StoppedRun() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  StoppedRun(const StoppedRun&) = delete;
  StoppedRun& operator=(const StoppedRun&) = delete;

  /// Waits until the run stopped itself at its step; false if it ended instead.
  bool WaitStopped() {
    int status = 0;
    if (waitpid(pid_, &status, WUNTRACED) != pid_) return false;
    if (WIFSTOPPED(status)) return true;
    reaped_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  /// Lets the stopped run go on; the clock of Finish starts here.
  void Continue() {
    continued_at_ = std::chrono::steady_clock::now();
    kill(pid_, SIGCONT);
  }
  /// Waits for the run to end; its exit code (128+signal if killed).
  int Finish() {
    if (!reaped_) {
      int status = 0;
      waitpid(pid_, &status, 0);
      reaped_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      seconds_ = SecondsSince(continued_at_);
      total_seconds_ = SecondsSince(started_at_);
    }
    return exit_code_;
  }
  /// Seconds from Continue to the end of the run.
  double seconds() const { return seconds_; }
  /// Seconds from the start to the end of the run (the time it was stopped included).
  double total_seconds() const { return total_seconds_; }
  /// Everything the run wrote (stdout and stderr).
  std::string output() const {
    std::ifstream in(output_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string output_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  double seconds_ = 0;
  double total_seconds_ = 0;
  const std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point continued_at_ = started_at_;
};

}  // namespace jlrec::testing
