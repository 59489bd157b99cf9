// `jlrec apply GROUP...` / `jlrec apply FILE.plan`: make the live containers match.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "cli/apply_flow.h"
#include "cli/command.h"
#include "cli/plan_flow.h"
#include "cli/plan_printer.h"
#include "cli/run_outcome.h"
#include "engine/apply_graph.h"
#include "engine/executor.h"
#include "engine/plan_json.h"
#include "engine/refresh.h"
#include "engine/saved_plan.h"
#include "manifests/source_files.h"
#include "providers/registry_auth.h"
#include "providers/ssh_provider.h"

namespace jlrec::cli {
namespace {

// A plan that cannot be applied is refused before any host is touched. Prints why; false then.
bool RefuseErrors(const Plan& plan) {
  AddPlanOutcome(plan);
  if (!plan.HasErrors()) return true;
  AddOutcome("result", "refused");
  if (!plan.host_errors.empty())
    std::cerr << "jlrec: refusing to apply while hosts could not be refreshed (their state is "
                 "unknown); fix them or narrow the run with --target\n";
  int missing = 0;
  for (const auto& a : plan.actions) missing += a.reason_kind == ReasonKind::kImageNotFound;
  if (missing)
    std::cerr << "jlrec: refusing to apply: " << missing
              << " container(s) need an image that is in neither its registry nor on the host "
                 "(see `?` above); fix the image reference or push the image\n";
  return false;
}

// A plan with nothing to run: exit 0 only when it also has nothing it must skip.
int NothingToApply(const Plan& plan) {
  AddOutcome("result", "no-changes");
  if (!plan.HasConflicts()) return 0;
  std::cerr << "jlrec: nothing was applied, and " << plan.Count(ActionKind::kConflict)
            << " conflict(s) keep the manifest from being reached (see `!` above)\n";
  return 1;
}

int ApplySavedPlan(const std::string& path, const CommonFlags& common, const ApplyFlags& f) {
  // Regular files of bounded size only, like every file a command is pointed at: a device
  // or a FIFO given as FILE must not hang or exhaust the machine.
  auto text = ReadSourceFile(path);
  if (!text.ok()) {
    std::cerr << "jlrec: cannot read saved plan " << text.status().message() << "\n";
    return 1;
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(*text);
  } catch (const std::exception& e) {
    std::cerr << "jlrec: " << path << " is not a saved plan: " << e.what() << "\n";
    return 1;
  }
  AddOutcome("saved_plan", path);
  auto plan = PlanFromJson(doc);
  if (!plan.ok()) {
    std::cerr << "jlrec: " << path << ": " << plan.status().message() << "\n";
    return 1;
  }
  if (!RefuseErrors(*plan)) return 1;
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
  if (!TakeApplyLock(*store, desired->project, f.lock_timeout, lock)) return 1;

  // The same pipeline as a planned apply's (registry logins included); the plan is checked
  // against what the hosts run now.
  auto reconciler = MakeReconciler(common, *desired, *store);
  auto open = reconciler->PrepareSavedPlan(*plan, *desired);
  if (!open.ok()) {
    std::cerr << "jlrec: " << open.status().message() << "\n";
    return 1;
  }
  std::map<std::string, Provider*> providers;
  for (const auto& [host, p] : *open) providers[host] = p.get();
  PlanPrintOptions po;
  po.color = WantColor(STDOUT_FILENO, common.no_color);
  PrintPlan(*plan, po, std::cout);
  HoldBackAdoptions(*plan, f);
  if (!plan->HasChanges()) return NothingToApply(*plan);
  std::cout << "\n";
  return ExecuteAndRecord(*plan, *desired, *reconciler, providers, f, "apply", nullptr);
}

int RunApply(const std::vector<std::string>& args) {
  CommonFlags common;
  PlanFlags pflags;
  ApplyFlags f;
  po::options_description desc("apply options");
  AddPlanOptions(desc, pflags);
  AddApplyOptions(desc, f);
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
                           return TakeApplyLock(s, d.project, f.lock_timeout, lock);
                         });
  if (!run) return 1;

  Plan& plan = run->plan();
  PlanPrintOptions po;
  po.color = WantColor(STDOUT_FILENO, common.no_color);
  PrintPlan(plan, po, std::cout);
  if (!RefuseErrors(plan)) return 1;
  HoldBackAdoptions(plan, f);
  if (!plan.HasChanges()) return NothingToApply(plan);
  if (!ConfirmApply(plan, f.auto_approve, "Apply")) return 1;
  std::cout << "\n";
  return ExecuteAndRecord(plan, run->desired, *run->reconciler, run->planned.providers(), f,
                          "apply", &run->planned.live());
}

}  // namespace

JLREC_REGISTER_COMMAND("apply", "make the live containers match the manifest (or a saved plan)",
                       RunApply);

}  // namespace jlrec::cli
