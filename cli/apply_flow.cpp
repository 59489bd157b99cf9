#include "cli/apply_flow.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <set>

#include "cli/run_outcome.h"
#include "engine/executor.h"
#include "engine/reconciler.h"

namespace jlrec::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;
void OnSignal(int sig) { g_signal = sig; }

std::string Seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

// The progress lines of an apply, fed by the executor's scheduler thread (through the
// engine, which records each event in the journal first).
class ProgressPrinter : public ApplyObserver {
 public:
  explicit ProgressPrinter(size_t total) : total_(total) {}

  void OnActionStart(const PlanAction& a) override {
    std::cout << Counter() << " " << ActionSymbol(a.kind) << " " << a.Ref() << ": "
              << ActionName(a.kind) << " started\n"
              << std::flush;
  }

  void OnActionEnd(const PlanAction& a, const ActionOutcome& o) override {
    using S = ActionOutcome::State;
    if (!IsExecutable(a.kind)) return;
    const std::string error = o.error.ok() ? "" : o.error.message();
    if (o.state == S::kSucceeded || o.state == S::kFailed) ++done_;
    std::cout << Counter() << " " << ActionSymbol(a.kind) << " " << a.Ref() << ": ";
    switch (o.state) {
      case S::kSucceeded:
        std::cout << ActionName(a.kind) << " done in " << Seconds(o.elapsed);
        break;
      case S::kFailed:
        std::cout << "FAILED after " << Seconds(o.elapsed) << (o.rolled_back ? ", rolled back" : "")
                  << ": " << error;
        break;
      case S::kSkipped:
        std::cout << "skipped (" << error << ")";
        break;
      default:
        std::cout << OutcomeStateName(o.state) << (error.empty() ? "" : " (" + error + ")");
        break;
    }
    std::cout << "\n" << std::flush;
  }

 private:
  std::string Counter() const {
    return "[" + std::to_string(done_) + "/" + std::to_string(total_) + "]";
  }
  size_t total_;
  size_t done_ = 0;
};

// JLREC_FAULT_INJECT=kill-before:STEP or stop-before:STEP makes this process SIGKILL (or
// SIGSTOP) itself right before the first action step named STEP ("rename previous",
// "upload /run.sh", "restart", ...): how the lab tests stop jlrec at an exact point of a
// replace or an update. Unset in normal use.
std::function<void(const std::string&)> FaultInjectionFromEnvironment() {
  const char* spec = std::getenv("JLREC_FAULT_INJECT");
  if (!spec || !*spec) return {};
  std::string text = spec;
  auto colon = text.find(':');
  std::string what = text.substr(0, colon);
  std::string step = colon == std::string::npos ? "" : text.substr(colon + 1);
  int sig = what == "kill-before" ? SIGKILL : what == "stop-before" ? SIGSTOP : 0;
  if (!sig || step.empty()) {
    spdlog::warn("JLREC_FAULT_INJECT={} ignored: expected kill-before:STEP or stop-before:STEP",
                 text);
    return {};
  }
  auto fired = std::make_shared<std::atomic<bool>>(false);
  return [sig, step, fired](const std::string& now) {
    if (now == step && !fired->exchange(true)) {
      std::cout << std::flush;
      std::raise(sig);
    }
  };
}

}  // namespace

void AddApplyOptions(po::options_description& desc, ApplyFlags& f) {
  // One option per line reads better than the formatter's chaining.
  // clang-format off
  desc.add_options()
      ("auto-approve", po::bool_switch(&f.auto_approve), "do not ask for confirmation")
      ("parallelism", po::value(&f.parallelism)->default_value(10), "actions at once overall (also hosts refreshed at once)")
      ("max-per-host", po::value(&f.max_per_host)->default_value(0), "actions at once on one host (default: the manifest's, else 4)")
      ("fail-fast", po::bool_switch(&f.fail_fast), "start nothing new after the first failure")
      ("lock-timeout", po::value(&f.lock_timeout)->default_value(0), "seconds to wait for another apply's lock")
      ("adopt", po::bool_switch(&f.adopt), "adopt the containers made outside jlrec that match the manifest (= in the plan)");
  // clang-format on
}

bool TakeApplyLock(StateStore& store, const std::string& project, double timeout_s,
                   ScopedLock& lock) {
  Status got = lock.Acquire(store, "apply:" + project, timeout_s, ThisProcess());
  if (got.code() == Status::Code::kConflict) {  // jlrec's own lock, held by a named process
    std::cerr
        << "jlrec: another apply holds the lock: " << got.message()
        << "\n  (wait with --lock-timeout SECONDS, or `jlrec unlock --force` if it is dead)\n";
    return false;
  }
  if (!got.ok()) {  // the state file itself: SQLite's lock held by another program, a full disk
    std::cerr << "jlrec: " << got.message() << "\n";
    return false;
  }
  CloseRunsOfDeadApplies(store, project);
  return true;
}

void HoldBackAdoptions(Plan& plan, const ApplyFlags& flags) {
  if (flags.adopt || !flags.auto_approve || plan.Adoptions() == 0) return;
  std::cerr << "jlrec: " << plan.Adoptions()
            << " container(s) made outside jlrec match the manifest (= above) but are not "
               "adopted: apply adopts only with --adopt (or once you confirm it at the "
               "prompt)\n";
  jlrec::HoldBackAdoptions(plan);
}

bool ConfirmApply(const Plan& plan, bool auto_approve, const std::string& verb) {
  if (auto_approve) return true;
  if (!isatty(STDIN_FILENO)) {
    AddOutcome("result", "refused");
    std::cerr << "jlrec: refusing to apply without a terminal to confirm on: pass "
                 "--auto-approve (e.g. in cron), or apply a saved plan\n";
    return false;
  }
  std::size_t n = 0;
  for (const auto& a : plan.actions) n += IsExecutable(a.kind);
  if (int adoptions = plan.Adoptions()) {
    std::cout << "\n"
              << adoptions
              << " container(s) made outside jlrec will be adopted as they are (same "
                 "container, no restart unless its /run.sh changes):\n";
    for (const auto& a : plan.actions)
      if (a.adopt) std::cout << "    = " << a.Ref() << "\n";
  }
  std::cout << "\n"
            << verb << ": run these " << n
            << " actions? Only 'yes' will be accepted: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "yes") {
    AddOutcome("result", "cancelled");
    std::cout << verb << " cancelled.\n";
    return false;
  }
  return true;
}

int ExecuteAndRecord(const Plan& plan, const DesiredState& desired, Reconciler& reconciler,
                     const std::map<std::string, Provider*>& providers, const ApplyFlags& f,
                     const std::string& kind, const RefreshResult* before) {
  ApplyRequest request;
  request.kind = kind;
  request.owner = ThisProcess().owner;
  ApplyOptions& options = request.options;
  options.parallelism = f.parallelism;
  options.max_per_host = f.max_per_host > 0 ? f.max_per_host : desired.max_per_host;
  options.fail_fast = f.fail_fast;
  options.should_stop = [] { return g_signal != 0; };
  for (const auto& [name, g] : desired.groups) options.max_unavailable[name] = g.max_unavailable;
  options.before_step = FaultInjectionFromEnvironment();

  size_t total = 0;
  for (const auto& a : plan.actions) total += IsExecutable(a.kind);
  ProgressPrinter progress(total);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  ApplyReport report = reconciler.Apply(plan, desired, providers, before, request, &progress);
  if (report.run_id == 0) {  // nothing ran
    AddOutcome("result", "error");
    std::cerr << "jlrec: " << report.error.message() << "\n";
    return 1;
  }
  const ApplyResult& result = report.result;
  // As the journal records the run (jlrec history).
  AddOutcome("run", report.run_id);
  AddOutcome("result", result.interrupted ? "interrupted" : report.complete ? "ok" : "failed");
  AddOutcome("succeeded", result.succeeded);
  AddOutcome("failed", result.failed);
  AddOutcome("rolled_back", result.rolled_back);
  AddOutcome("skipped", result.skipped);
  AddOutcome("not_started", result.not_started);
  std::cout << "\n";
  for (size_t i = 0; i < plan.actions.size(); ++i) {
    const ActionOutcome& o = result.outcomes[i];
    if (o.state == ActionOutcome::State::kFailed)
      std::cout << (o.rolled_back ? "Rolled back: " : "Failed: ") << plan.actions[i].Ref() << ": "
                << o.error.message() << "\n";
    else if (plan.actions[i].kind == ActionKind::kConflict)
      std::cout << "Skipped: " << plan.actions[i].Ref() << ": " << ReasonText(plan.actions[i])
                << "\n";
  }
  for (const auto& [host, first] : result.stopped_answering)
    std::cout << "Host " << host << " stopped answering: " << first.message()
              << "\n  (its actions not started by then were skipped)\n";
  std::cout << report.summary << "\n";
  if (!report.error.ok()) {
    std::cerr << "jlrec: " << report.error.message() << "\n";
    return 1;
  }
  if (result.interrupted) return g_signal == SIGTERM ? 143 : 130;
  return report.complete ? 0 : 1;
}

}  // namespace jlrec::cli
