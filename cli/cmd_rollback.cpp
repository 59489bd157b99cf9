// `jlrec rollback GROUP [--to RUN]`: put a group back on the images an earlier release ran.
#include <unistd.h>

#include <ctime>
#include <iostream>
#include <set>

#include "cli/apply_flow.h"
#include "cli/command.h"
#include "cli/plan_flow.h"
#include "cli/plan_printer.h"
#include "cli/run_outcome.h"
#include "engine/diff.h"
#include "engine/refresh.h"
#include "engine/rollback.h"
#include "model/image_reference.h"

namespace jlrec::cli {
namespace {

std::string When(std::int64_t t) {
  char buf[32];
  std::time_t tt = t;
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&tt));
  return buf;
}

int RunRollback(const std::vector<std::string>& args) {
  CommonFlags common;
  PlanFlags flags;
  ApplyFlags f;
  std::int64_t to = 0;
  po::options_description desc("rollback options");
  desc.add_options()("groups", po::value<std::vector<std::string>>(), "the group (positional)")(
      "to", po::value(&to), "roll back to the release of this run (see `jlrec history`)");
  AddApplyOptions(desc, f);
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common, /*with_parallelism=*/false);
  po::variables_map vm;
  if (auto rc =
          ParseCommandLine("rollback", "GROUP [--to RUN] [options]", desc, "groups", args, vm))
    return *rc;
  SetupLogging(common);
  common.parallelism = std::max(common.parallelism, f.parallelism);
  if (!vm.count("groups") || vm["groups"].as<std::vector<std::string>>().size() != 1) {
    std::cerr << "jlrec rollback: name exactly one group\n";
    return 1;
  }
  const std::string group = vm["groups"].as<std::vector<std::string>>()[0];
  AddOutcome("group", group);

  // The group's live state, under the apply lock: a rollback is an apply.
  auto run = MakePlanRun(common, flags, vm, false,
                         [&](const DesiredState& d, StateStore& s, ScopedLock& lock) {
                           return TakeApplyLock(s, d.project, f.lock_timeout, lock);
                         });
  if (!run) return 1;
  if (run->plan().HasErrors()) {
    AddOutcome("result", "refused");
    PlanPrintOptions po;
    po.color = WantColor(STDOUT_FILENO, common.no_color);
    PrintPlan(run->plan(), po, std::cout);
    std::cerr << "jlrec: refusing to roll back while hosts could not be refreshed\n";
    return 1;
  }
  auto rollback = run->reconciler->PlanRollback(run->desired, run->planned, group, to);
  if (!rollback.ok()) {
    std::cerr << "jlrec: " << rollback.status().message() << "\n";
    return 1;
  }
  const RunRecord& source = rollback->source;
  const std::vector<ReleasedContainer>& release = rollback->release;
  const DesiredState& pinned = rollback->pinned;
  Plan* plan = &rollback->plan;
  AddPlanOutcome(*plan);
  AddOutcome("to_run", source.id);
  std::cout << "Rollback of group " << group << " to the release of " << source.kind << " #"
            << source.id << " (" << When(source.started_at)
            << (source.owner.empty() ? "" : " by " + source.owner)
            << (source.result == "ok" ? "" : ", which ended " + source.result) << "):\n\n";
  for (const auto& ref : rollback->not_in_release)
    std::cout << "Note: " << ref << " is not in that release; it stays on the manifest's image.\n";
  PlanPrintOptions po;
  po.color = WantColor(STDOUT_FILENO, common.no_color);
  PrintPlan(*plan, po, std::cout);
  if (plan->HasErrors()) {
    AddOutcome("result", "refused");
    std::cerr << "jlrec: refusing to roll back: some containers cannot be made (see `?` above)\n";
    return 1;
  }
  if (!plan->HasChanges()) {
    AddOutcome("result", "no-changes");
    std::cout << "Group " << group << " already runs the images of that release.\n";
    return plan->HasConflicts() ? 1 : 0;
  }
  HoldBackAdoptions(*plan, f);
  if (!ConfirmApply(*plan, f.auto_approve, "Roll back")) return 1;
  std::cout << "\n";
  int rc = ExecuteAndRecord(*plan, pinned, *run->reconciler, run->planned.providers(), f,
                            "rollback", &rollback->live);

  // Say plainly what the manifest now says: drift reports the group until it is changed.
  std::set<std::string> manifest_images;
  for (const auto& c : run->desired.containers)
    if (std::find(c.groups.begin(), c.groups.end(), group) != c.groups.end())
      manifest_images.insert(c.spec.image);
  std::set<std::string> rolled_images;
  for (const auto& e : release) rolled_images.insert(RollbackImage(e));
  std::cout << "\nThe manifest still names ";
  bool first = true;
  for (const auto& i : manifest_images) std::cout << (first ? "" : ", ") << i, first = false;
  std::cout << " for group " << group
            << ": `jlrec plan` and `jlrec drift` report its containers until the manifest is "
               "changed to the rolled-back image (";
  first = true;
  for (const auto& i : rolled_images) std::cout << (first ? "" : ", ") << i, first = false;
  std::cout << "), and `jlrec apply " << group << "` would roll forward again.\n";
  return rc;
}

}  // namespace

JLREC_REGISTER_COMMAND("rollback",
                       "put a group back on the images of an earlier release (jlrec history)",
                       RunRollback);

}  // namespace jlrec::cli
