// `jlrec drift [GROUP...]`: the unattended check cron runs. Never changes a host.
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli/command.h"
#include "cli/plan_flow.h"
#include "cli/run_outcome.h"
#include "cli/terminal_output.h"
#include "engine/drift_report.h"
#include "model/atomic_file.h"
#include "model/strings.h"
#include "serve/fleet_metrics.h"

namespace jlrec::cli {
namespace {

// Runs the operator's --notify-cmd through /bin/sh (it is their own command line, from a
// flag, never from the manifest) with the report on stdin. Returns "" or the failure.
std::string Notify(const std::string& cmd, const std::string& report) {
  int in[2];
  if (pipe(in) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    dup2(in[0], 0);
    close(in[0]);
    close(in[1]);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  std::signal(SIGPIPE, SIG_IGN);
  size_t off = 0;
  while (off < report.size()) {
    ssize_t n = write(in[1], report.data() + off, report.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(in[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "killed by signal " + std::to_string(WTERMSIG(status));
}

// Writes the check's gauges for node_exporter's textfile collector: a complete file each run
// (in sync included), replaced atomically so the collector never reads half of one, readable
// by the collector's user. Returns "" or why it could not.
std::string WriteTextfile(const std::string& path, PlanRun& run, const DriftCheck& check,
                          std::int64_t checked_at, double seconds) {
  serve::DriftCheckTiming timing;
  timing.checked_at = checked_at;
  timing.duration_seconds = seconds;
  timing.refresh_seconds = run.planned.refresh_seconds;
  if (!serve::DriftCheckSucceeded(check.result)) {
    // The history holds this check too, which is no success: the newest success is older.
    auto history = run.store->ListDriftChecks(run.plan().project, 0, serve::kLastSuccessLookback);
    if (history.ok())
      timing.previous_success_at = serve::LastSuccessfulCheckAt(*history);
    else
      spdlog::warn("--textfile: reading the drift history for the last success: {}",
                   history.status().message());
  }
  Status written =
      WriteFileAtomically(path, serve::DriftCheckTextfile(run.plan(), check, timing), 0644);
  return written.ok() ? "" : written.message();
}

// Leaves with `code`. After a global timeout, refresh workers may still be talking to a hung
// host: they are waited for (a refresh caps each connect and request at the time the
// deadline left, so they return soon after it), so that the process does not exit under a
// thread inside libssh or OpenSSL; only if one outlasts even that does the process leave
// without running its destructors.
int Finish(int code, bool timed_out, const CommonFlags& common, RefreshWorkers* workers) {
  LogRunOutcome(code);
  std::cout.flush();
  std::cerr.flush();
  spdlog::default_logger()->flush();
  if (!timed_out || !workers) return code;
  const double cap = std::min(common.request_timeout, common.global_timeout);
  const auto bound = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<long>((cap + 2) * 1000));
  if (workers->JoinUntil(bound)) return code;
  spdlog::warn("refresh workers still busy with hung hosts after their own timeouts; leaving");
  spdlog::default_logger()->flush();
  std::_Exit(code);
}

int RunDrift(const std::vector<std::string>& args) {
  CommonFlags common;
  PlanFlags flags;
  flags.digests_suffice = true;  // no script is uploaded: the resolved-manifest cache will do
  bool json = false, quiet = false;
  double lock_timeout = 0;
  std::string notify, textfile;
  common.global_timeout = 300;
  po::options_description desc("drift options");
  desc.add_options()("groups", po::value<std::vector<std::string>>(),
                     "groups to check (default: all)")("all", po::bool_switch(&flags.all),
                                                       "every group (the default)")(
      "json", po::bool_switch(&json), "write the report as JSON (docs/drift-json.md)")(
      "quiet,q", po::bool_switch(&quiet), "print nothing when in sync")(
      "timeout", po::value(&common.global_timeout)->default_value(300),
      "seconds for the whole check; then report what is known and exit 1")(
      "lock-timeout", po::value(&lock_timeout)->default_value(0),
      "seconds to wait for another drift check of this project")(
      "notify-cmd", po::value(&notify),
      "on drift or error, run this shell command with the JSON report on stdin")(
      "textfile", po::value(&textfile),
      "write the check's metrics to this file (atomically) for node_exporter's textfile "
      "collector; see docs/metrics.md");
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("drift", "[GROUP...] [options]", desc, "groups", args, vm))
    return *rc;
  SetupLogging(common);

  const auto started = std::chrono::steady_clock::now();
  auto run = MakePlanRun(common, flags, vm, /*default_all=*/true,
                         [&](const DesiredState& d, StateStore& s, ScopedLock& lock) {
                           Status got =
                               lock.Acquire(s, "drift:" + d.project, lock_timeout, ThisProcess());
                           if (got.code() == Status::Code::kConflict)  // jlrec's own lock
                             std::cerr << "jlrec: another drift check of project " << d.project
                                       << " is running: " << got.message() << "\n";
                           else if (!got.ok())  // the state file: SQLite busy, a full disk
                             std::cerr << "jlrec: " << got.message() << "\n";
                           return got.ok();
                         });
  if (!run) return 1;

  const Plan& plan = run->plan();
  bool timed_out = false;
  for (const auto& e : plan.host_errors)
    if (e.error.find("global timeout") != std::string::npos) timed_out = true;
  const std::int64_t checked_at = std::time(nullptr);
  DriftCheck check = run->reconciler->CheckDrift(plan, checked_at);
  const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - started;
  if (!check.recorded.ok())
    spdlog::error("could not record the drift check: {}", check.recorded.message());
  const std::string& result = check.result;
  const auto& report = check.report;
  AddOutcome("groups", Join(plan.groups, ","));
  AddOutcome("result", result);
  AddOutcome("drifted", check.findings.drifted.size());
  AddOutcome("unknown", check.findings.unknown.size());
  if (report.contains("summary")) AddOutcome("in_sync", report["summary"].value("in_sync", 0));
  AddOutcome("unreachable", plan.host_errors.size());

  if (json) {
    std::cout << JsonText(report) << "\n";
  } else if (!(quiet && result == "in_sync")) {
    const auto print = [](const DriftItem& d, bool with_detail) {
      std::cout << d.kind << "  " << d.host << (d.container.empty() ? "" : "/" + d.container)
                << "  [" << Join(d.groups, ",") << "]"
                << (with_detail ? "  " + d.detail : std::string()) << "\n";
    };
    for (const auto& d : check.findings.drifted) print(d, true);
    // Apart from the drift, without the host's reason on each: its error line gives it.
    for (const auto& d : check.findings.unknown) print(d, false);
    for (const auto& e : plan.host_errors)
      std::cout << "error  " << e.host << "  " << e.error << "\n";
    std::cout << "jlrec drift " << plan.project << ": " << check.summary << "\n";
  }
  // 1 when anything is unknown (or an image exists nowhere), even with drift found beside
  // it: an unknown container must read neither as in sync (0) nor as only drifted (2).
  int code = result == "error" ? 1 : (result == "drift" ? 2 : 0);
  if (!notify.empty() && code != 0) {
    std::string failure = Notify(notify, JsonText(report, -1) + "\n");
    if (!failure.empty())
      std::cerr << "jlrec: --notify-cmd failed (" << failure << "); the drift result stands (exit "
                << code << ")\n";
  }
  if (!check.recorded.ok() && code == 0) code = 1;
  if (!textfile.empty()) {
    std::string failure = WriteTextfile(textfile, *run, check, checked_at, seconds.count());
    if (!failure.empty()) {
      std::cerr << "jlrec: --textfile: " << failure << "\n";
      if (code == 0) code = 1;
    }
  }
  run->lock.Release();  // Finish may leave without running destructors
  return Finish(code, timed_out, common, run->planned.refresh.workers.get());
}

}  // namespace

JLREC_REGISTER_COMMAND("drift",
                       "check groups against the live hosts for cron: 0 in sync, 2 drift, 1 error",
                       RunDrift);

}  // namespace jlrec::cli
