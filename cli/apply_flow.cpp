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

#include "engine/apply_graph.h"
#include "engine/executor.h"
#include "model/image_reference.h"
#include "engine/refresh.h"
#include "engine/release.h"

namespace jlrec::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;
void OnSignal(int sig) { g_signal = sig; }

std::string Seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

// What the journal and the progress lines call an action's end.
std::string OutcomeWord(const ActionOutcome& o) {
  return o.rolled_back ? "rolled back" : OutcomeStateName(o.state);
}

// Progress lines, the journal and the failure records, all fed by the executor's scheduler
// thread.
class ApplyReporter : public ApplyObserver {
 public:
  ApplyReporter(StateStore& store, std::string project, std::int64_t run_id, size_t total)
      : store_(store), project_(std::move(project)), run_id_(run_id), total_(total) {}

  void OnActionStart(const PlanAction& a) override {
    ActionRecord r;
    r.run_id = run_id_;
    r.action = ActionName(a.kind);
    r.container = a.Ref();
    r.started_at = std::time(nullptr);
    r.result = "running";
    auto id = store_.RecordActionStart(r);
    if (id.ok())
      ids_[a.Ref()] = *id;
    else
      spdlog::warn("journal: {}", id.status().message());
    std::cout << Counter() << " " << ActionSymbol(a.kind) << " " << a.Ref() << ": "
              << ActionName(a.kind) << " started\n"
              << std::flush;
  }

  void OnActionEnd(const PlanAction& a, const ActionOutcome& o) override {
    using S = ActionOutcome::State;
    const std::string result = OutcomeWord(o);
    std::string error = o.error.ok() ? "" : o.error.message();
    auto it = ids_.find(a.Ref());
    Status journalled;
    if (it == ids_.end()) {  // skipped / not started: never began, still journalled
      ActionRecord r;
      r.run_id = run_id_;
      r.action = ActionName(a.kind);
      r.container = a.Ref();
      r.started_at = std::time(nullptr);
      r.result = result;
      auto id = store_.RecordActionStart(r);
      journalled = id.ok() ? store_.RecordActionEnd(*id, result, error) : id.status();
    } else {
      journalled = store_.RecordActionEnd(it->second, result, error);
    }
    if (!journalled.ok()) spdlog::warn("journal: {}", journalled.message());
    RememberOutcome(a, o);
    if (!IsExecutable(a.kind)) return;
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
        std::cout << result << (error.empty() ? "" : " (" + error + ")");
        break;
    }
    std::cout << "\n" << std::flush;
  }

  void OnStep(const PlanAction& a, const std::string& step) override {
    spdlog::debug("{}: {}", a.Ref(), step);
  }

 private:
  // A failed action is remembered until a later action on that container succeeds: the next
  // plan keeps it, drift reports it.
  void RememberOutcome(const PlanAction& a, const ActionOutcome& o) {
    if (!IsExecutable(a.kind)) return;
    RememberAdoption(a, o);
    Status saved;
    if (o.state == ActionOutcome::State::kSucceeded) {
      saved = store_.ClearFailure(project_, a.host, a.name);
    } else if (o.state == ActionOutcome::State::kFailed && a.kind != ActionKind::kRemove &&
               a.desired) {
      ActionFailure f;
      f.host = a.host;
      f.container = a.name;
      f.action = ActionName(a.kind);
      f.container_id = o.container_id;
      f.spec_digest = a.desired->spec_digest;
      f.script_digest = a.desired->script_digest;
      f.reason = o.error.message();
      f.rolled_back = o.rolled_back;
      f.run_id = run_id_;
      f.failed_at = std::time(nullptr);
      saved = store_.SaveFailure(project_, f);
    }
    if (!saved.ok())
      spdlog::warn("could not record the outcome of {}: {}", a.Ref(), saved.message());
  }

  // An adopted container is managed from now on (even when the update that came with its
  // adoption failed: the failure record makes the next plan redo it). A container replaced
  // or removed is no longer the one adopted.
  void RememberAdoption(const PlanAction& a, const ActionOutcome& o) {
    using S = ActionOutcome::State;
    Status saved;
    if (a.adopt && a.live && (o.state == S::kSucceeded || o.state == S::kFailed)) {
      Adoption adoption;
      adoption.host = a.host;
      adoption.container = a.name;
      adoption.container_id = a.live->id;
      adoption.spec_digest = SpecDigest(a.live->spec);
      adoption.groups = a.groups;
      adoption.core = a.core;
      adoption.run_id = run_id_;
      adoption.adopted_at = std::time(nullptr);
      saved = store_.SaveAdoption(project_, adoption);
    } else if (o.state == S::kSucceeded &&
               (a.kind == ActionKind::kReplace || a.kind == ActionKind::kRemove)) {
      saved = store_.ClearAdoption(project_, a.host, a.name);
    }
    if (!saved.ok())
      spdlog::warn("could not record the adoption of {}: {}", a.Ref(), saved.message());
  }

  std::string Counter() const {
    return "[" + std::to_string(done_) + "/" + std::to_string(total_) + "]";
  }
  StateStore& store_;
  std::string project_;
  std::int64_t run_id_;
  size_t total_;
  size_t done_ = 0;
  std::map<std::string, std::int64_t> ids_;
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

// Hosts the plan covers (actions and unchanged containers).
std::set<std::string> HostsOf(const Plan& plan) {
  std::set<std::string> hosts;
  for (const auto& a : plan.actions) hosts.insert(a.host);
  for (const auto& u : plan.noops) hosts.insert(u.host);
  return hosts;
}

// Records the release record of run `run_id`: what every container of the plan runs now.
void RecordRelease(const Plan& plan, const ApplyResult& result,
                   const std::vector<HostSnapshot>& touched, const RefreshResult* before,
                   const std::map<std::string, Provider*>& providers, StateStore& store,
                   std::int64_t run_id) {
  std::map<std::string, const HostSnapshot*> after;
  for (const auto& s : touched) after[s.host] = &s;
  std::vector<std::string> untouched;
  for (const auto& h : HostsOf(plan))
    if (!after.count(h)) untouched.push_back(h);
  std::vector<HostSnapshot> cached;
  if (!untouched.empty()) {
    if (before) {
      for (const auto& h : untouched)
        if (const HostSnapshot* s = before->Find(h)) after[h] = s;
    } else if (auto loaded = store.LoadSnapshots(plan.project, untouched); loaded.ok()) {
      cached = std::move(*loaded);
      for (const auto& s : cached) after[s.host] = &s;
    }
  }
  // Each image's digests asked once per host; the refresh's own answers first.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> asked;
  auto digest_of = [&](const std::string& host, const std::string& image,
                       const std::string& image_id) -> std::string {
    if (before)
      if (const HostSnapshot* s = before->Find(host))
        if (std::string d = KnownImageDigest(*s, image, image_id); !d.empty()) return d;
    auto p = providers.find(host);
    if (p == providers.end() || !p->second) return "";
    auto [it, fresh] = asked.try_emplace({host, image_id});
    if (fresh) {
      auto digests = p->second->LocalImageDigests(image_id);
      if (digests.ok()) it->second = std::move(*digests);
    }
    return DigestFor(RepoOf(image), it->second);
  };
  Status recorded = store.RecordRelease(run_id, ReleaseOf(plan, result, after, digest_of));
  if (!recorded.ok()) spdlog::warn("could not record the release: {}", recorded.message());
}

// With the apply lock held, no apply or rollback of `project` runs: one the journal still
// shows running was killed (SIGKILL, a crash, a power cut). Say so in the journal; its
// actions stay "running", which is how the next plan names the run an interrupted replace
// belonged to.
void CloseRunsOfDeadApplies(StateStore& store, const std::string& project) {
  auto runs = store.ListRuns("", 50, 0);
  if (!runs.ok()) return;
  for (const RunRecord& r : *runs) {
    if (r.project != project || r.result != "running" || r.finished_at != 0) continue;
    if (r.kind != "apply" && r.kind != "rollback") continue;
    Status closed = store.FinishRun(
        r.id, "killed", "the jlrec that ran it stopped before it ended (found by a later apply)");
    if (!closed.ok()) spdlog::warn("journal: {}", closed.message());
  }
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
  Status got = lock.Acquire(store, "apply:" + project, timeout_s);
  if (!got.ok()) {
    std::cerr
        << "jlrec: another apply holds the lock: " << got.message()
        << "\n  (wait with --lock-timeout SECONDS, or `jlrec unlock --force` if it is dead)\n";
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
  for (PlanAction& a : plan.actions) {
    if (!a.adopt) continue;
    a.kind = ActionKind::kConflict;
    a.adopt = false;
    a.reason =
        "made outside jlrec and matches the manifest, but not adopted: apply adopts "
        "only with --adopt (or once you confirm it at the prompt)";
  }
}

bool ConfirmApply(const Plan& plan, bool auto_approve, const std::string& verb) {
  if (auto_approve) return true;
  if (!isatty(STDIN_FILENO)) {
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
    std::cout << verb << " cancelled.\n";
    return false;
  }
  return true;
}

int ExecuteAndRecord(const Plan& plan, const DesiredState& desired, StateStore& store,
                     const std::map<std::string, Provider*>& providers, const ApplyFlags& f,
                     const std::string& kind, const RefreshResult* before) {
  auto graph = BuildApplyGraph(plan);
  if (!graph.ok()) {
    std::cerr << "jlrec: " << graph.status().message() << "\n";
    return 1;
  }
  RunRecord run;
  run.kind = kind;
  run.project = plan.project;
  run.groups = plan.groups;
  run.started_at = std::time(nullptr);
  run.result = "running";
  run.owner = ProcessOwner();
  run.manifest_digest = desired.manifest_digest;
  run.jlrec_version = JLREC_VERSION;
  auto run_id = store.BeginRun(run);
  if (!run_id.ok()) {
    std::cerr << "jlrec: journal: " << run_id.status().message() << "\n";
    return 1;
  }
  ApplyOptions options;
  options.parallelism = f.parallelism;
  options.max_per_host = f.max_per_host > 0 ? f.max_per_host : desired.max_per_host;
  options.fail_fast = f.fail_fast;
  options.jlrec_version = JLREC_VERSION;
  options.should_stop = [] { return g_signal != 0; };
  for (const auto& [name, g] : desired.groups) options.max_unavailable[name] = g.max_unavailable;
  options.script_ledger = std::make_shared<ScriptLedger>();
  options.before_step = FaultInjectionFromEnvironment();

  size_t total = 0;
  for (const auto& a : plan.actions) total += IsExecutable(a.kind);
  ApplyReporter reporter(store, plan.project, *run_id, total);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto t0 = std::chrono::steady_clock::now();
  ApplyResult result = ExecutePlan(plan, *graph, providers, options, &reporter);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::cout << "\n";
  for (size_t i = 0; i < plan.actions.size(); ++i) {
    const ActionOutcome& o = result.outcomes[i];
    if (o.state == ActionOutcome::State::kFailed)
      std::cout << (o.rolled_back ? "Rolled back: " : "Failed: ") << plan.actions[i].Ref() << ": "
                << o.error.message() << "\n";
    else if (plan.actions[i].kind == ActionKind::kConflict)
      std::cout << "Skipped: " << plan.actions[i].Ref() << ": " << plan.actions[i].reason << "\n";
  }
  const char* verb = kind == "rollback" ? "Rollback" : "Apply";
  const bool complete =
      !result.interrupted && !result.failed && !result.skipped && !result.not_started;
  std::string rolled =
      result.rolled_back ? " (" + std::to_string(result.rolled_back) + " rolled back)" : "";
  char line[320];
  std::snprintf(line, sizeof line,
                "%s %s in %.1fs: %d succeeded, %d failed%s, %d skipped, %d not started.", verb,
                result.interrupted ? "interrupted"
                : complete         ? "complete"
                : result.failed    ? "finished with failures"
                                   : "incomplete",
                secs, result.succeeded, result.failed, rolled.c_str(), result.skipped,
                result.not_started);
  std::cout << line << "\n";
  // Record what the hosts run now, so the cache (plan --refresh=false, show) is not stale.
  std::map<std::string, Provider*> touched;
  for (const auto& a : plan.actions)
    if (IsExecutable(a.kind) && providers.count(a.host)) touched[a.host] = providers.at(a.host);
  // Scripts this apply wrote, and the untouched ones the cache vouches for, are not read back.
  std::vector<std::string> touched_hosts;
  for (const auto& [host, p] : touched) touched_hosts.push_back(host);
  auto known =
      options.script_ledger->MergedOver(KnownScriptsFromCache(store, plan.project, touched_hosts));
  std::vector<HostSnapshot> after = RefreshOpenHosts(desired, touched, f.parallelism, known.get());
  Status cached = store.SaveSnapshots(plan.project, after);
  if (!cached.ok()) spdlog::warn("could not update the state cache: {}", cached.message());
  RecordRelease(plan, result, after, before, providers, store, *run_id);
  std::string outcome = result.interrupted ? "interrupted" : complete ? "ok" : "failed";
  Status finished = store.FinishRun(*run_id, outcome, line);
  if (!finished.ok()) spdlog::warn("journal: {}", finished.message());
  if (!result.error.ok()) {
    std::cerr << "jlrec: " << result.error.message() << "\n";
    return 1;
  }
  if (result.interrupted) return g_signal == SIGTERM ? 143 : 130;
  return complete ? 0 : 1;
}

}  // namespace jlrec::cli
