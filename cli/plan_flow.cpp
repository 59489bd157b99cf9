#include "cli/plan_flow.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/manifest_cache.h"
#include "cli/manifest_location.h"
#include "cli/run_outcome.h"
#include "cli/state_key_for_run.h"
#include "model/strings.h"

namespace jlrec::cli {

void AddPlanOptions(po::options_description& desc, PlanFlags& f) {
  // One option per line reads better than clang-format's packing.
  // clang-format off
  desc.add_options()
      ("groups", po::value<std::vector<std::string>>(), "groups to plan (positional)")
      ("all", po::bool_switch(&f.all), "every group of the manifest")
      ("target", po::value(&f.targets), "narrow to HOST/CONTAINER (repeatable)")
      ("refresh", po::value(&f.refresh)->default_value(true)->implicit_value(true),
       "contact the hosts (--refresh=false: plan from the state cache)")
      ("prune", po::bool_switch(&f.prune), "plan removal of this project's orphaned containers")
      ("replace-unmanaged", po::bool_switch(&f.replace_unmanaged),
       "replace containers with wanted names that jlrec does not manage");
  // clang-format on
}

std::optional<PlanRun> MakePlanRun(
    const CommonFlags& common, const PlanFlags& flags, const po::variables_map& vm,
    bool default_all,
    const std::function<bool(const DesiredState&, StateStore&, ScopedLock&)>& before_refresh) {
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  auto phase = Clock::now();
  auto located = LocateManifest(common.manifest);
  if (!located.ok()) {
    std::cerr << "jlrec: " << located.status().message() << "\n";
    return std::nullopt;
  }
  const StateChoice* state = StateFor(common, *located);
  if (!state) return std::nullopt;
  auto key = StateKeyFor(state->key_path);
  if (!key.ok()) {
    std::cerr << "jlrec: " << key.status().message() << "\n";
    return std::nullopt;
  }
  PlanRun run;
  std::optional<DesiredState> desired;
  // Only an existing state file (or a database) is opened before the manifest is known to
  // be valid, so a broken manifest never leaves a new state file behind.
  std::error_code ec;
  if (!flags.refresh && flags.digests_suffice &&
      (state->location.is_postgres() || std::filesystem::exists(state->location.target, ec))) {
    run.store = OpenStateStoreAt(state->location);
    if (!run.store) return std::nullopt;
    desired = LoadCachedManifest(*located, *run.store, *key, std::cerr);
  }
  ManifestInputs inputs;
  std::vector<Diagnostic> diagnostics;
  if (!desired) {
    desired = LoadManifestOrReport(*located, std::cerr, *key, &inputs, &diagnostics);
    if (!desired) return std::nullopt;
  }
  SetOutcomeProject(desired->project);
  spdlog::debug("manifest loaded in {:.1f} ms ({} containers{})", ms_since(phase),
                desired->containers.size(), desired->digests_only ? ", from the cache" : "");
  auto groups = SelectGroups(vm, *desired, default_all);
  if (!groups) return std::nullopt;
  auto selected = SelectContainers(*desired, *groups, flags.targets);
  if (!selected.ok()) {
    std::cerr << "jlrec: " << selected.status().message() << "\n";
    return std::nullopt;
  }

  if (!run.store) {
    run.store = OpenStateStoreAt(state->location);
    if (!run.store) return std::nullopt;
  }
  // Before anything keyed is written: a checkout whose key is not the state's is refused.
  if (!ClaimStateKeyOrReport(*run.store, desired->project, *state)) return std::nullopt;
  SaveManifestCache(*located, *desired, inputs, diagnostics, *run.store, *key);
  if (before_refresh && !before_refresh(*desired, *run.store, run.lock)) return std::nullopt;

  run.reconciler = MakeReconciler(common, *desired, *run.store);
  PlanRequest request;
  request.groups = *groups;
  request.targets = flags.targets;
  request.refresh = flags.refresh;
  request.prune = flags.prune;
  request.replace_unmanaged = flags.replace_unmanaged;
  auto planned = run.reconciler->MakePlan(*desired, request);
  if (!planned.ok()) {
    std::cerr << "jlrec: " << planned.status().message() << "\n";
    return std::nullopt;
  }
  run.planned = std::move(*planned);
  run.desired = std::move(*desired);
  return run;
}

namespace {
PlanRun* kept_until_exit = nullptr;  // see EndRunBeforeExit
}  // namespace

void EndRunBeforeExit(std::optional<PlanRun>& run) {
  if (!run) return;
  run->lock.Release();
  run->store.reset();
  // Still reachable (not a leak to a checker): the process ends right after.
  kept_until_exit = new PlanRun(std::move(*run));
  run.reset();
}

void AddPlanOutcome(const Plan& plan) {
  SetOutcomeProject(plan.project);
  AddOutcome("groups", Join(plan.groups, ","));
  AddOutcome("create", plan.Count(ActionKind::kCreate));
  AddOutcome("replace", plan.Count(ActionKind::kReplace));
  AddOutcome("update", plan.Count(ActionKind::kUpdate));
  AddOutcome("start", plan.Count(ActionKind::kStart));
  AddOutcome("remove", plan.Count(ActionKind::kRemove));
  AddOutcome("adopt", plan.Adoptions());
  AddOutcome("conflict", plan.Count(ActionKind::kConflict));
  AddOutcome("unknown", plan.Count(ActionKind::kUnknown));
  AddOutcome("unchanged", plan.noops.size());
  AddOutcome("orphans", plan.orphans.size());
  AddOutcome("unreachable", plan.host_errors.size());
}

int PlanExitCode(const Plan& plan, bool detailed) {
  if (plan.HasErrors()) return 1;
  if (detailed && (plan.HasChanges() || plan.HasConflicts())) return 2;
  return 0;
}

}  // namespace jlrec::cli
