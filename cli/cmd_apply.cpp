// `jlrec apply GROUP...` / `jlrec apply FILE.plan`: make the live containers match.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "cli/plan_flow.h"
#include "cli/plan_printer.h"
#include "engine/apply_graph.h"
#include "engine/executor.h"
#include "engine/plan_json.h"
#include "engine/refresh.h"
#include "engine/saved_plan.h"
#include "providers/ssh_provider.h"

namespace jlrec::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;
void OnSignal(int sig) { g_signal = sig; }

std::string Seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

// Progress lines and the journal, both fed by the executor's scheduler thread.
class ApplyReporter : public ApplyObserver {
 public:
  ApplyReporter(StateStore& store, std::int64_t run_id, size_t total)
      : store_(store), run_id_(run_id), total_(total) {}

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
    const char* state = OutcomeStateName(o.state);
    std::string error = o.error.ok() ? "" : o.error.message();
    auto it = ids_.find(a.Ref());
    if (it == ids_.end()) {  // skipped / not started: never began, still journalled
      ActionRecord r;
      r.run_id = run_id_;
      r.action = ActionName(a.kind);
      r.container = a.Ref();
      r.started_at = std::time(nullptr);
      r.result = state;
      auto id = store_.RecordActionStart(r);
      if (id.ok()) store_.RecordActionEnd(*id, state, error);
    } else {
      store_.RecordActionEnd(it->second, state, error);
    }
    if (!IsExecutable(a.kind)) return;
    if (o.state == S::kSucceeded || o.state == S::kFailed) ++done_;
    std::cout << Counter() << " " << ActionSymbol(a.kind) << " " << a.Ref() << ": ";
    switch (o.state) {
      case S::kSucceeded:
        std::cout << ActionName(a.kind) << " done in " << Seconds(o.elapsed);
        break;
      case S::kFailed:
        std::cout << "FAILED after " << Seconds(o.elapsed) << ": " << error;
        break;
      case S::kSkipped:
        std::cout << "skipped (" << error << ")";
        break;
      default:
        std::cout << state << (error.empty() ? "" : " (" + error + ")");
        break;
    }
    std::cout << "\n" << std::flush;
  }

 private:
  std::string Counter() const {
    return "[" + std::to_string(done_) + "/" + std::to_string(total_) + "]";
  }
  StateStore& store_;
  std::int64_t run_id_;
  size_t total_;
  size_t done_ = 0;
  std::map<std::string, std::int64_t> ids_;
};

struct ApplyFlags {
  bool auto_approve = false;
  int parallelism = 10;
  int max_per_host = 0;  // 0 = the manifest's
  bool fail_fast = false;
  double lock_timeout = 0;
  bool no_color = false;
};

// Takes the project's apply lock; prints the holder when it cannot.
bool TakeLock(StateStore& store, const std::string& project, double timeout_s, ScopedLock& lock) {
  Status got = lock.Acquire(store, "apply:" + project, timeout_s);
  if (!got.ok()) {
    std::cerr
        << "jlrec: another apply holds the lock: " << got.message()
        << "\n  (wait with --lock-timeout SECONDS, or `jlrec unlock --force` if it is dead)\n";
    return false;
  }
  return true;
}

bool Confirm(size_t n, bool auto_approve) {
  if (auto_approve) return true;
  if (!isatty(STDIN_FILENO)) {
    std::cerr << "jlrec: refusing to apply without a terminal to confirm on: pass "
                 "--auto-approve (e.g. in cron), or apply a saved plan\n";
    return false;
  }
  std::cout << "\nApply these " << n << " actions? Only 'yes' will be accepted: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "yes") {
    std::cout << "Apply cancelled.\n";
    return false;
  }
  return true;
}

int Execute(Plan& plan, const DesiredState& desired, StateStore& store,
            const std::map<std::string, Provider*>& providers, const ApplyFlags& f,
            const std::vector<std::string>& groups) {
  auto graph = BuildApplyGraph(plan);
  if (!graph.ok()) {
    std::cerr << "jlrec: " << graph.status().message() << "\n";
    return 1;
  }
  RunRecord run;
  run.kind = "apply";
  run.project = plan.project;
  run.groups = groups;
  run.started_at = std::time(nullptr);
  run.result = "running";
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

  size_t total = 0;
  for (const auto& a : plan.actions) total += IsExecutable(a.kind);
  ApplyReporter reporter(store, *run_id, total);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto t0 = std::chrono::steady_clock::now();
  ApplyResult result = ExecutePlan(plan, *graph, providers, options, &reporter);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::cout << "\n";
  for (size_t i = 0; i < plan.actions.size(); ++i)
    if (result.outcomes[i].state == ActionOutcome::State::kFailed)
      std::cout << "Failed: " << plan.actions[i].Ref() << ": " << result.outcomes[i].error.message()
                << "\n";
  char line[256];
  std::snprintf(
      line, sizeof line, "Apply %s in %.1fs: %d succeeded, %d failed, %d skipped, %d not started.",
      result.interrupted ? "interrupted" : (result.failed ? "finished with failures" : "complete"),
      secs, result.succeeded, result.failed, result.skipped, result.not_started);
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
  Status cached = store.SaveSnapshots(
      plan.project, RefreshOpenHosts(desired, touched, f.parallelism, known.get()));
  if (!cached.ok()) spdlog::warn("could not update the state cache: {}", cached.message());
  std::string outcome = result.interrupted ? "interrupted" : (result.failed ? "failed" : "ok");
  store.FinishRun(*run_id, outcome, line);
  if (!result.error.ok()) {
    std::cerr << "jlrec: " << result.error.message() << "\n";
    return 1;
  }
  if (result.interrupted) return g_signal == SIGTERM ? 143 : 130;
  return result.failed ? 1 : 0;
}

int ApplySavedPlan(const std::string& path, const CommonFlags& common, const ApplyFlags& f) {
  std::ifstream in(path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    std::cerr << "jlrec: " << path << " is not a saved plan: " << e.what() << "\n";
    return 1;
  }
  auto plan = PlanFromJson(doc);
  if (!plan.ok()) {
    std::cerr << "jlrec: " << path << ": " << plan.status().message() << "\n";
    return 1;
  }
  auto desired = LoadDesiredState(common);
  if (!desired) return 1;
  Status attached = AttachDesired(*plan, *desired);
  if (!attached.ok()) {
    std::cerr << "jlrec: " << attached.message() << "\n";
    return 1;
  }
  auto store = OpenStateStore(common, *desired);
  if (!store) return 1;
  ScopedLock lock;  // after `store`: released before it closes
  if (!TakeLock(*store, desired->project, f.lock_timeout, lock)) return 1;

  std::set<std::string> hosts;
  for (const auto& a : plan->actions)
    if (IsExecutable(a.kind)) hosts.insert(a.host);
  auto factory = MakeSshProviderFactory();
  auto options = MakeRefreshOptions(common);
  std::map<std::string, std::unique_ptr<Provider>> open;
  std::map<std::string, Provider*> providers;
  for (const auto& h : hosts) {
    auto p = factory->Open(desired->hosts.at(h), options.connect);
    if (!p.ok()) {
      std::cerr << "jlrec: host " << h << ": " << p.status().message() << "\n";
      return 1;
    }
    providers[h] = p->get();
    open[h] = std::move(*p);
  }
  Status fresh = CheckFingerprints(*plan, providers);
  if (!fresh.ok()) {
    std::cerr << "jlrec: " << fresh.message() << "\n";
    return 1;
  }
  PlanPrintOptions po;
  po.color = !common.no_color && WantColor(STDOUT_FILENO);
  PrintPlan(*plan, po, std::cout);
  if (!plan->HasChanges()) return 0;
  std::cout << "\n";
  return Execute(*plan, *desired, *store, providers, f, plan->groups);
}

int RunApply(const std::vector<std::string>& args) {
  CommonFlags common;
  PlanFlags pflags;
  ApplyFlags f;
  po::options_description desc("apply options");
  AddPlanOptions(desc, pflags);
  // One option per line reads better than the formatter's chaining.
  // clang-format off
  desc.add_options()
      ("auto-approve", po::bool_switch(&f.auto_approve), "do not ask for confirmation")
      ("parallelism", po::value(&f.parallelism)->default_value(10), "actions at once overall (also hosts refreshed at once)")
      ("max-per-host", po::value(&f.max_per_host)->default_value(0), "actions at once on one host (default: the manifest's, else 4)")
      ("fail-fast", po::bool_switch(&f.fail_fast), "start nothing new after the first failure")
      ("lock-timeout", po::value(&f.lock_timeout)->default_value(0), "seconds to wait for another apply's lock");
  // clang-format on
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common, /*with_parallelism=*/false);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("apply", "GROUP... | --all | FILE.plan [options]", desc, "groups",
                                 args, vm))
    return *rc;
  SetupLogging(common);
  common.parallelism = std::max(common.parallelism, f.parallelism);

  if (vm.count("groups")) {
    auto names = vm["groups"].as<std::vector<std::string>>();
    if (names.size() == 1 && std::filesystem::is_regular_file(names[0]))
      return ApplySavedPlan(names[0], common, f);
  }

  if (!pflags.refresh) {
    std::cerr << "jlrec: apply always refreshes: it must act on what the hosts run now\n";
    return 1;
  }
  auto run = MakePlanRun(common, pflags, vm, false,
                         [&](const DesiredState& d, StateStore& s, ScopedLock& lock) {
                           return TakeLock(s, d.project, f.lock_timeout, lock);
                         });
  if (!run) return 1;

  Plan& plan = run->plan;
  PlanPrintOptions po;
  po.color = !common.no_color && WantColor(STDOUT_FILENO);
  PrintPlan(plan, po, std::cout);
  if (plan.HasErrors()) {
    std::cerr << "jlrec: refusing to apply while hosts could not be refreshed (their state is "
                 "unknown); fix them or narrow the run with --target\n";
    return 1;
  }
  if (!plan.HasChanges()) return 0;
  size_t n = 0;
  for (const auto& a : plan.actions) n += IsExecutable(a.kind);
  if (!Confirm(n, f.auto_approve)) return 1;
  std::cout << "\n";
  std::map<std::string, Provider*> providers;
  for (const auto& [host, p] : run->refresh.providers) providers[host] = p.get();
  return Execute(plan, run->desired, *run->store, providers, f, plan.groups);
}

}  // namespace

JLREC_REGISTER_COMMAND("apply", "make the live containers match the manifest (or a saved plan)",
                       RunApply);

}  // namespace jlrec::cli
