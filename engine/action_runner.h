// One plan action carried out against one host: the Docker calls it takes, in order, and
// the gate that decides when the container is up.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/apply_observer.h"
#include "engine/image_pulls.h"
#include "engine/plan.h"
#include "engine/script_ledger.h"
#include "model/provider.h"

namespace jlrec {

/// What every action of one apply shares.
struct ActionSettings {
  std::string project;                  ///< value of the jlrec.project label
  std::string jlrec_version;            ///< value of the jlrec.version label
  std::chrono::seconds stop_grace{10};  ///< SIGTERM -> SIGKILL delay for stop/restart
  std::chrono::milliseconds running_gate_timeout{30000};  ///< wait for "running" this long
  std::chrono::milliseconds poll_interval{200};           ///< between state polls
  std::shared_ptr<ScriptLedger> script_ledger;            ///< uploads are recorded here when set
  /// Called on the worker right before each step's call to the host, with the step's name
  /// ("rename previous", "create", "upload /run.sh", "stop previous", "start", "health
  /// check", "remove previous", "restore previous", ...). The seam fault-injection tests use
  /// to stop jlrec at an exact step (JLREC_FAULT_INJECT); empty = nothing.
  std::function<void(const std::string&)> before_step;
};

/// The jlrec.* labels a container created for `desired` carries: project, groups (sorted,
/// comma-joined), unit, host, core, spec and script digests, version.
std::map<std::string, std::string> JlrecLabelsFor(const DesiredContainer& desired,
                                                  const std::string& project,
                                                  const std::string& jlrec_version);

/// The image a create/replace runs: the plan's pinned digest reference when the tag moved,
/// else the manifest's reference.
std::string ImageToRun(const PlanAction& action);

/// Carries out `action` (an executable kind, with the desired/live state BuildApplyGraph
/// checked) on `provider`, doing the least that reaches the manifest, and never leaving the
/// container worse off than it found it:
///   create  = ensure image, create, upload /run.sh, start, gate
///   replace = ensure image, rename the old container NAME.jlrec-prev (it keeps running),
///             create the new one and upload its /run.sh, stop the previous one, start the
///             new one, gate; then remove the previous one. If the new one fails, it is
///             removed and the previous one renamed back and started: rolled back.
///             With action.previous (an interrupted replace), it carries on from what the
///             host shows: a new container that is what the manifest wants is started and
///             gated, anything else under the name is removed first.
///   update  = keep the current /run.sh as /run.sh.jlrec-prev, upload the new one, restart,
///             gate; if that fails, the previous /run.sh is put back and restarted: rolled
///             back. When the container's /run.sh is already the wanted one (a restart is
///             pending, it is unhealthy or restart-looping): restart, gate.
///   start   = start, gate;  remove = stop, remove
///   adopt   = check that the container is still the one planned; nothing changes on the host
///             (an adopting update or start runs as above, on the adopted container)
/// The gate waits for state "running" (failing if the container stops instead), then runs
/// the healthcheck, if any, until it exits 0. Reports each step through `on_step`, counts
/// every host-changing call in `mutating_calls`. Returns kSucceeded or kFailed (with
/// rolled_back when the host was put back), never throws. Blocks the calling thread for
/// the whole action.
ActionOutcome RunAction(const PlanAction& action, Provider& provider,
                        const ActionSettings& settings, ImagePulls& images,
                        std::atomic<std::uint64_t>& mutating_calls,
                        const std::function<void(const std::string&)>& on_step);

}  // namespace jlrec
