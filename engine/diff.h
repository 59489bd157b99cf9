// The diff: desired + live -> plan. Pure: no I/O, deterministic for the same inputs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/plan.h"
#include "model/adoption.h"
#include "model/desired_state.h"
#include "model/live_state.h"
#include "model/status.h"

namespace jlrec {

/// What to plan for.
struct DiffOptions {
  std::vector<std::string> groups;   ///< groups selected (each must exist in the desired state)
  std::vector<std::string> targets;  ///< "host/container" to narrow to; empty = every container
  bool prune = false;                ///< plan removal of orphans instead of listing them
  bool replace_unmanaged = false;    ///< plan a replace for unmanaged name conflicts
};

/// Text shown instead of a secret value, everywhere.
inline constexpr const char* kSensitive = "(sensitive)";

/// Every desired container of `groups` (in manifest order), narrowed to `targets` if any.
/// kInvalidArgument naming an unknown group or a target that matches no such container.
Result<std::vector<const DesiredContainer*>> SelectContainers(
    const DesiredState& desired, const std::vector<std::string>& groups,
    const std::vector<std::string>& targets);

/// The host keys the selected containers live on, sorted.
std::vector<std::string> SelectedHosts(const std::vector<const DesiredContainer*>& selected);

/// What the state remembers that the hosts cannot show.
struct Remembered {
  /// Failed actions not yet redone (StateStore::ListFailures).
  std::vector<ActionFailure> failures;
  /// "host/container" -> the journal run whose action on it never ended (a killed jlrec).
  std::map<std::string, std::int64_t> unfinished_runs;
  /// Containers made outside jlrec that an apply adopted (StateStore::ListAdoptions).
  std::vector<Adoption> adoptions;
};

/// Computes the plan that makes the live containers of the selected groups match `desired`.
/// `live` must hold a snapshot for every host of the selection (a missing one counts as
/// unreachable). `remembered.failures` that still concern a container (same wanted spec
/// and script, same container under the name) keep it in the plan with reason kind
/// kFailed, redone if it now looks in sync; `remembered.unfinished_runs` name the run an
/// interrupted replace was part of. Actions come out in execution order: per selected
/// group, core containers first, then workers; orphan removals last on their host.
Result<Plan> ComputePlan(const DesiredState& desired, const RefreshResult& live,
                         const DiffOptions& options, const Remembered& remembered = {});

/// The fingerprint of a live container (what a saved plan re-checks); exists=false for null.
LiveFingerprint FingerprintOf(const LiveContainer* live);

}  // namespace jlrec
