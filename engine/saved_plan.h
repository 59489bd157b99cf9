// Applying a saved plan: it must still describe the world exactly, or it is refused.
#pragma once

#include <map>
#include <string>

#include "engine/plan.h"
#include "model/desired_state.h"
#include "model/provider.h"
#include "model/status.h"

namespace jlrec {

/// Fills each action's `desired` from `desired` (the manifest as loaded now). kConflict
/// ("stale plan: ...") when the manifest digest differs from the plan's, an action's
/// container is no longer in the manifest, or the manifest as loaded now asks one of the
/// plan's create/replace/update/start/conflict containers for another image, spec or
/// /run.sh than the plan recorded (`desired` in plan JSON), or the plan has no such record:
/// apply makes exactly what the plan showed, or nothing.
Status AttachDesired(Plan& plan, const DesiredState& desired);

/// Re-reads ONLY the containers the plan touches (inspect + /run.sh digest) and compares
/// them with the fingerprints the plan was made from. kConflict
/// "stale plan: HOST/CONTAINER changed since the plan was made (...)" on the first
/// difference; kUnavailable when a host cannot be read. Fills action.live on success, and
/// action.previous (an interrupted replace's NAME.jlrec-prev, which must still exist).
/// /run.sh digests are ScriptDigest under `script_key`, as the plan's were.
Status CheckFingerprints(Plan& plan, const std::map<std::string, Provider*>& providers,
                         const std::string& script_key);

}  // namespace jlrec
