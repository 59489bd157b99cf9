// What apply reports while it runs: one outcome per action, and an observer the CLI
// (progress lines) and the journal (SQLite) hang off.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "engine/plan.h"
#include "model/status.h"

namespace jlrec {

/// How one plan action ended (or that it has not yet).
struct ActionOutcome {
  /// kPending: not finished (while running, or never reached); the rest are final.
  enum class State { kPending, kSucceeded, kFailed, kSkipped, kNotStarted };
  State state = State::kPending;
  Status error;                          ///< why failed / skipped / not started; ok otherwise
  std::chrono::milliseconds elapsed{0};  ///< wall time from start to end (0 if never started)
  std::string container_id;  ///< the container the action left (new id after create/replace)
  /// The action failed and the host was put back as it was before it: a failed replace's
  /// previous container runs again under its name, a failed update's previous /run.sh is
  /// back and running. (state is kFailed: the manifest was not reached.)
  bool rolled_back = false;
  /// A succeeded create's container as its gate saw it running (one inspect, after the
  /// start), with script_digest and script_stat of the /run.sh the action uploaded and
  /// stat'ed; nullopt for every other action, and for a create whose /run.sh could not be
  /// stat'ed, that has a healthcheck (the health it saw was not the final one) or that
  /// reported a health status. Lets apply record a host whose only changes were creates
  /// without reading it back.
  std::optional<LiveContainer> observed;
};

/// "pending", "succeeded", "failed", "skipped", "not started" (journal and summary words).
inline const char* OutcomeStateName(ActionOutcome::State state) {
  switch (state) {
    case ActionOutcome::State::kPending:
      return "pending";
    case ActionOutcome::State::kSucceeded:
      return "succeeded";
    case ActionOutcome::State::kFailed:
      return "failed";
    case ActionOutcome::State::kSkipped:
      return "skipped";
    case ActionOutcome::State::kNotStarted:
      return "not started";
  }
  return "unknown";
}

/// Hears about apply's progress. Every method is called from the executor's scheduler
/// thread only, never concurrently, so an implementation needs no locks; it should be
/// quick (the walk waits for it) and must not throw.
class ApplyObserver {
 public:
  virtual ~ApplyObserver() = default;
  /// An action was handed to a worker (or failed at once for want of a provider).
  virtual void OnActionStart(const PlanAction&) {}
  /// An action reached its final state. Called exactly once for every action of the plan
  /// by the time ExecutePlan returns, including skipped and never-started ones.
  virtual void OnActionEnd(const PlanAction&, const ActionOutcome&) {}
  /// A running action began a step ("pull IMAGE", "create", "start", "health check", ...).
  virtual void OnStep(const PlanAction&, const std::string& /*step*/) {}
};

}  // namespace jlrec
