#include "cli/plan_flow.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>

namespace jlrec::cli {

void AddPlanOptions(po::options_description& desc, PlanFlags& f) {
  desc.add_options()
      ("groups", po::value<std::vector<std::string>>(), "groups to plan (positional)")
      ("all", po::bool_switch(&f.all), "every group of the manifest")
      ("target", po::value(&f.targets), "narrow to HOST/CONTAINER (repeatable)")
      ("refresh", po::value(&f.refresh)->default_value(true)->implicit_value(true),
       "contact the hosts (--refresh=false: plan from the state cache)")
      ("prune", po::bool_switch(&f.prune), "plan removal of this project's orphaned containers")
      ("replace-unmanaged", po::bool_switch(&f.replace_unmanaged),
       "replace containers with wanted names that jlrec does not manage");
}

std::optional<PlanRun> MakePlanRun(
    const CommonFlags& common, const PlanFlags& flags, const po::variables_map& vm,
    bool default_all, const std::function<bool(const DesiredState&, StateStore&, ScopedLock&)>& before_refresh) {
  auto desired = LoadDesiredState(common);
  if (!desired) return std::nullopt;
  auto groups = SelectGroups(vm, *desired, default_all);
  if (!groups) return std::nullopt;
  auto selected = SelectContainers(*desired, *groups, flags.targets);
  if (!selected.ok()) {
    std::cerr << "jlrec: " << selected.status().message() << "\n";
    return std::nullopt;
  }
  std::vector<std::string> hosts = SelectedHosts(*selected);

  PlanRun run;
  run.store = OpenStateStore(common, *desired);
  if (!run.store) return std::nullopt;
  if (before_refresh && !before_refresh(*desired, *run.store, run.lock)) return std::nullopt;

  RefreshResult live;
  if (flags.refresh) {
    auto t0 = std::chrono::steady_clock::now();
    run.refresh = RefreshAndCache(*desired, hosts, MakeRefreshOptions(common), *run.store);
    run.refresh_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    live = run.refresh.result;
  } else {
    auto cached = run.store->LoadSnapshots(desired->project, hosts);
    if (!cached.ok()) {
      std::cerr << "jlrec: reading the state cache: " << cached.status().message() << "\n";
      return std::nullopt;
    }
    live.hosts = std::move(*cached);
  }

  DiffOptions options;
  options.groups = *groups;
  options.targets = flags.targets;
  options.prune = flags.prune;
  options.replace_unmanaged = flags.replace_unmanaged;
  auto plan = ComputePlan(*desired, live, options);
  if (!plan.ok()) {
    std::cerr << "jlrec: " << plan.status().message() << "\n";
    return std::nullopt;
  }
  run.plan = std::move(*plan);
  run.desired = std::move(*desired);
  return run;
}

int PlanExitCode(const Plan& plan, bool detailed) {
  if (plan.HasErrors()) return 1;
  if (detailed && plan.HasChanges()) return 2;
  return 0;
}

}  // namespace jlrec::cli
