// The pipeline every front end runs (after Terraform's Context with Plan/Apply, and ninja's
// Builder with an injected CommandRunner): refresh and cache, plan, apply with its journal and
// release record, saved plans, drift checks and rollback. The hosts are behind an injected
// ProviderFactory and the state behind a StateStore, so the whole pipeline runs against the
// fake provider in unit tests, and the CLI (or a server) only parses, calls and prints.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/diff.h"
#include "engine/drift_report.h"
#include "engine/executor.h"
#include "engine/plan.h"
#include "engine/refresh.h"
#include "model/desired_state.h"
#include "model/provider.h"
#include "model/state_store.h"
#include "model/status.h"

namespace jlrec {

/// What a plan is asked for.
struct PlanRequest {
  std::vector<std::string> groups;   ///< groups to plan (each must exist)
  std::vector<std::string> targets;  ///< "host/container" to narrow to; empty = all
  bool refresh = true;               ///< false: plan from the state cache, contact no host
  bool prune = false;                ///< plan removal of orphans
  bool replace_unmanaged = false;    ///< replace unmanaged containers holding wanted names
};

/// A plan and what it was made from, kept for an apply in the same run.
struct PlannedRun {
  Plan plan;
  /// The refresh, with its open providers (reachable hosts), when the plan refreshed.
  RefreshOutcome refresh;
  /// The state cache's snapshots, when the plan was made from the cache.
  RefreshResult cached;
  bool from_cache = false;     ///< which of the two the plan was made from
  double refresh_seconds = 0;  ///< wall time of the refresh (0 from the cache)
  /// The snapshots the plan was made from.
  const RefreshResult& live() const { return from_cache ? cached : refresh.result; }
  /// The open providers by host key (none when planned from the cache).
  std::map<std::string, Provider*> providers() const;
};

/// How an apply (or rollback) run is recorded and run.
struct ApplyRequest {
  std::string kind = "apply";  ///< the journal run's kind: "apply" or "rollback"
  std::string owner;           ///< who runs it: user@hostname
  ApplyOptions options;        ///< the executor's settings
  /// Called once the run is in the journal, before any action starts (a server answers its
  /// client with the run id then). Empty = nothing.
  std::function<void(std::int64_t run_id)> on_run_begun;
};

/// What an apply did.
struct ApplyReport {
  ApplyResult result;       ///< per action, in plan order
  std::int64_t run_id = 0;  ///< its journal run (0 when the run could not begin)
  std::string summary;      ///< "Apply complete in 1.2s: 3 succeeded, ..." (the run's detail)
  bool complete = false;    ///< every action succeeded (none failed, skipped or not started)
  /// Why the run could not begin (graph, journal), the executor's error, or else the first
  /// write to the state file after it began that failed (journal, cache, release record:
  /// which one and why); ok otherwise.
  Status error;
};

/// A drift check, recorded in the state's drift history.
struct DriftCheck {
  std::string result;      ///< "in_sync", "drift" or "error"
  DriftFindings findings;  ///< what differs, and what could not be read (unknown)
  nlohmann::json report;   ///< the JSON report (drift --json, --notify-cmd)
  /// "drift: 2 drifted, 4 in sync"; DriftSummaryOf
  std::string summary;
  Status recorded;  ///< whether it reached the drift history
};

/// A rollback, planned: the desired state pinned to an earlier release and its plan.
struct RollbackPlan {
  RunRecord source;                         ///< the run whose release it goes back to
  std::vector<ReleasedContainer> release;   ///< that release's entries for the group
  std::vector<std::string> not_in_release;  ///< the group's containers it does not hold
  DesiredState pinned;  ///< the manifest's desired state, pinned to the release's images
  RefreshResult live;   ///< the plan's snapshots, with the pinned images' existence checked
  Plan plan;            ///< what the rollback does
};

/// Open providers for the hosts of a saved plan.
using OpenProviders = std::map<std::string, std::unique_ptr<Provider>>;

/// Runs the pipeline for one project's store. Not thread-safe: one run at a time (a server
/// makes one per request, sharing the factory).
class Reconciler {
 public:
  /// `providers` opens hosts (SSH + Docker in production, the fake in tests); `store` holds
  /// the cache, journal, failures, adoptions and releases; `refresh` the connection
  /// settings, parallelism and deadline every refresh uses.
  Reconciler(std::shared_ptr<ProviderFactory> providers, StateStore& store, RefreshOptions refresh);

  /// Refreshes `hosts` of `desired` and records every snapshot in the store (one
  /// transaction). Unchanged /run.sh files are only stat'ed (KnownScripts from the cache);
  /// adopted containers are looked up by name.
  RefreshOutcome Refresh(const DesiredState& desired, const std::vector<std::string>& hosts);

  /// The plan for `request`: the selection, a refresh (or the cache), what the state
  /// remembers (failures, interrupted runs, adoptions), the diff. kInvalidArgument for an
  /// unknown group or target; kIoError when the state cannot be read.
  Result<PlannedRun> MakePlan(const DesiredState& desired, const PlanRequest& request);

  /// Applies `plan` (made from `desired`) on `providers` along its graph, and records it: a
  /// journal run with who ran it, the manifest digest and the jlrec version; each action as
  /// it starts and ends; failures (remembered until redone) and adoptions; the touched hosts
  /// refreshed into the cache; the release record. `before` holds the snapshots the plan
  /// was made from (for hosts the run does not touch), nullptr to read them from the cache.
  /// `progress` hears every action (may be null). Never throws.
  ApplyReport Apply(const Plan& plan, const DesiredState& desired,
                    const std::map<std::string, Provider*>& providers, const RefreshResult* before,
                    const ApplyRequest& request, ApplyObserver* progress);

  /// Makes saved plan `plan` ready to apply against `desired` (the manifest as loaded now):
  /// attaches the desired state, opens the hosts it touches, and checks that every touched
  /// container is still what the plan saw. kConflict "stale plan: ..." when not, kUnavailable
  /// when a host cannot be reached.
  Result<OpenProviders> PrepareSavedPlan(Plan& plan, const DesiredState& desired);

  /// The drift findings of `plan` (made without --prune), recorded in the drift history as
  /// checked at `checked_at` (unix seconds).
  DriftCheck CheckDrift(const Plan& plan, std::int64_t checked_at);

  /// Plans putting `group` back on the images of an earlier release: run `to_run`'s, or (0)
  /// the newest successful one whose images differ from what `run` (a fresh plan of the
  /// group) shows running. kNotFound, saying why, when there is none.
  Result<RollbackPlan> PlanRollback(const DesiredState& desired, const PlannedRun& run,
                                    const std::string& group, std::int64_t to_run);

 private:
  // What the state cache holds of `hosts` (nothing when it cannot be read: every container
  // is then inspected and every /run.sh read).
  std::shared_ptr<const KnownContainers> KnownFromCache(const std::string& project,
                                                        const std::vector<std::string>& hosts);
  // The /run.sh stats and digests of `known`'s containers.
  static KnownScripts KnownScriptsOf(const KnownContainers& known);
  Result<Remembered> RememberedOf(const std::string& project);
  // Records the release of `plan`; the image digests it must ask the hosts for are asked
  // `parallelism` hosts at a time.
  [[nodiscard]] Status RecordRelease(const Plan& plan, const ApplyResult& result,
                                     const std::vector<HostSnapshot>& touched,
                                     const RefreshResult* before,
                                     const std::map<std::string, Provider*>& providers,
                                     std::int64_t run_id, int parallelism);

  std::shared_ptr<ProviderFactory> providers_;
  StateStore& store_;
  RefreshOptions refresh_;
};

/// With the apply lock held, no apply or rollback of `project` runs: one the journal still
/// shows running was killed or could not write its end (a full disk). Closes those runs in
/// `store`, however old, as "interrupted" (their actions stay "running", which is how the next
/// plan names an interrupted replace's run).
void CloseRunsOfDeadApplies(StateStore& store, const std::string& project);

}  // namespace jlrec
