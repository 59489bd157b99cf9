// The one status the status page, the API and the metrics give a container: in sync, drifted,
// failed or unknown, derived from its plan entry (so it always agrees with `jlrec plan` and
// `jlrec drift`).
#pragma once

#include "engine/plan.h"

namespace jlrec::serve {

/// A container's status as operators read it. Closed set, ordered from best to worst.
enum class ContainerStatus {
  kInSync,   ///< the last look found it as the manifest wants
  kDrifted,  ///< it differs: missing, stopped, /run.sh edited, spec changed, unadopted, ...
  kFailed,   ///< an apply failed on it and was not redone, or it is unhealthy / keeps restarting
  kUnknown,  ///< its host could not be read at the last look
};

/// "in_sync", "drifted", "failed", "unknown" (the JSON and metric label values).
const char* ContainerStatusName(ContainerStatus status);

/// The status of a plan entry: no-op -> in sync; an unreachable host -> unknown; a remembered
/// failure, an unhealthy container or a restart loop -> failed; any other finding -> drifted.
ContainerStatus ContainerStatusOf(const PlanAction& action);

/// The worse of `a` and `b` (unknown > failed > drifted > in sync): a group's status.
inline ContainerStatus WorseStatus(ContainerStatus a, ContainerStatus b) { return a > b ? a : b; }

/// Every status, best first (for counts that list all four, zeros included).
inline constexpr ContainerStatus kAllContainerStatuses[] = {
    ContainerStatus::kInSync, ContainerStatus::kDrifted, ContainerStatus::kFailed,
    ContainerStatus::kUnknown};

}  // namespace jlrec::serve
