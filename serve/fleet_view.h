// The fleet as the API's groups and group routes show it (docs/api.md): every group with its
// containers counted by status, and one group's containers with what runs, how it differs
// and what last changed it. Pure functions of the engine's data (a plan of every group, the
// snapshots it was made from, the desired state, the journal's last changes): no host and no
// state file is read here.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/reconciler.h"
#include "model/desired_state.h"
#include "model/state_store.h"
#include "model/status.h"
#include "serve/last_change.h"

namespace jlrec::serve {

/// What the view is made from. Borrowed: the pointers must outlive the calls.
struct FleetSnapshot {
  const DesiredState* desired = nullptr;  ///< the manifest (env values absent if digests_only)
  /// The plan of every group (usually from the state cache: PlanRequest::refresh false), with
  /// the snapshots it was made from (live()).
  const PlannedRun* planned = nullptr;
  /// Newest journal action by "host/container" (LastChangesOf).
  std::map<std::string, LastChange> last_changes;
  std::int64_t now = 0;  ///< unix seconds: generated_at, and what ages are counted to
};

/// The `GET /api/v1/groups` document (kind "groups"): project, generated_at, observed_at and
/// age_seconds (the oldest observation of any host, null when a host was never refreshed),
/// `drift_loop` as given, each group of the manifest (name, status, containers, counts,
/// core) by name, and `recent_runs` (RunToJson each, as given).
nlohmann::json GroupsToJson(const FleetSnapshot& s, const nlohmann::json& drift_loop,
                            const std::vector<RunRecord>& recent_runs);

/// The `GET /api/v1/groups/{group}` document (kind "group"): its status, counts, observed_at
/// and age_seconds, and every container of the group (core first, then by host and name)
/// with its status, state, health, image and digests, drift class, reason, planned action,
/// last change and env (secret values shown as "(sensitive)"; null when the desired state
/// has no env values). kNotFound `no group "x" in project P (did you mean "y"?)` for a group
/// the manifest does not declare.
Result<nlohmann::json> GroupToJson(const FleetSnapshot& s, const std::string& group);

}  // namespace jlrec::serve
