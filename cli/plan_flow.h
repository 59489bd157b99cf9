// The steps plan, apply, graph and drift share: manifest -> selection -> refresh (or cache)
// -> diff.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/run_context.h"
#include "engine/diff.h"
#include "engine/plan.h"

namespace jlrec::cli {

/// Flags that shape a plan.
struct PlanFlags {
  std::vector<std::string> targets;  ///< --target HOST/CONTAINER
  bool refresh = true;               ///< --refresh=false plans from the cache
  bool prune = false;                ///< --prune
  bool replace_unmanaged = false;    ///< --replace-unmanaged
  bool all = false;                  ///< --all
  /// Set by the command, not a flag: true when the plan needs no rendered scripts (plan,
  /// graph, drift), so a --refresh=false run may read the manifest's resolution from the
  /// state file's cache. Apply leaves it false: it uploads the scripts it renders.
  bool digests_suffice = false;
};

/// Adds the positional groups, --all, --target, --refresh, --prune, --replace-unmanaged.
void AddPlanOptions(po::options_description& desc, PlanFlags& flags);

/// Everything a plan was made from, kept for apply (open connections, the store).
struct PlanRun {
  DesiredState desired;
  std::unique_ptr<StateStore> store;
  ScopedLock lock;                         ///< after `store`: released before the store closes
  std::unique_ptr<Reconciler> reconciler;  ///< the pipeline on `store`
  PlannedRun planned;                      ///< the plan and what it was made from
  /// The plan.
  Plan& plan() { return planned.plan; }
};

/// Loads the manifest (from the state file's cache when `flags` allow), selects the groups,
/// opens the state, calls `before_refresh` (to take run.lock; false stops), and has the
/// engine make the plan. Prints the reason and returns nullopt on a usage, manifest, state
/// or plan error, or when `before_refresh` returns false.
std::optional<PlanRun> MakePlanRun(
    const CommonFlags& common, const PlanFlags& flags, const po::variables_map& vm,
    bool default_all = false,
    const std::function<bool(const DesiredState&, StateStore&, ScopedLock&)>& before_refresh = {});

/// Ends `run` in a process that is about to exit: releases its lock, closes its state store,
/// and leaves the memory of its desired state, snapshots and plan to the OS. (At 10,000
/// containers, freeing their strings one by one takes longer than the diff.)
void EndRunBeforeExit(std::optional<PlanRun>& run);

/// Adds `plan`'s groups and counts to the run's outcome line (cli/run_outcome.h): create,
/// replace, update, start, remove, adopt, conflict, unknown, unchanged, orphans and
/// unreachable (hosts).
void AddPlanOutcome(const Plan& plan);

/// Exit code of a plan: 1 when it cannot be applied (an unreachable host, an image that
/// exists nowhere), else 2 with `detailed` when it has changes or conflicts (the manifest is
/// not reached either way), else 0.
int PlanExitCode(const Plan& plan, bool detailed);

}  // namespace jlrec::cli
