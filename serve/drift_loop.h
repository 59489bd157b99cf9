// The server's drift loop: every interval, the same check as `jlrec drift` (refresh every
// group, record the check in the drift history, change no host), one at a time, never while
// an apply holds the project's lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "engine/plan.h"
#include "engine/reconciler.h"
#include "model/mutex.h"
#include "serve/serve_deps.h"

namespace jlrec::serve {

/// What one turn of the loop did.
struct DriftTurn {
  /// kChecked: a check ran and was recorded; kWaiting: an apply (or another drift check)
  /// held the lock, nothing ran, or an apply ran during the check, which was not recorded;
  /// kFailed: the manifest or the state could not be read.
  enum class Kind { kChecked, kWaiting, kFailed };
  Kind kind = Kind::kFailed;
  std::string note;             ///< why it waited or failed ("" when checked)
  std::int64_t started_at = 0;  ///< unix seconds
  std::int64_t checked_at = 0;  ///< unix seconds the check was recorded as made (kChecked)
  double seconds = 0;           ///< wall time of the turn
  double refresh_seconds = 0;   ///< of it, the refresh
  std::string project;          ///< the manifest's project ("" when it did not load)
  /// The manifest as this turn loaded it (null when it did not load): the server's view
  /// follows it, so an edit shows from the next check on.
  std::shared_ptr<const DesiredState> desired;
  Plan plan;         ///< the check's plan (kChecked)
  DriftCheck check;  ///< the check (kChecked)
};

/// The loop's state, for the groups route and the page.
struct DriftLoopStatus {
  std::string state = "idle";      ///< "idle", "checking" or "waiting"
  std::string note;                ///< the last turn's note (lock holder, manifest error)
  std::int64_t next_check_at = 0;  ///< unix seconds (0: none planned, e.g. stopping)
  std::int64_t last_turn_at = 0;   ///< unix seconds of the last turn's start
  double last_duration = 0;        ///< seconds of the last check that ran
  std::int64_t checks = 0;         ///< checks run since the server started
};

/// Runs drift checks on its own thread until Stop().
class DriftLoop {
 public:
  /// Hears every turn, on the loop's thread (metrics, the fleet view's refresh).
  using TurnObserver = std::function<void(const DriftTurn&)>;
  /// `access` and `options` must outlive the loop.
  DriftLoop(const ProjectAccess& access, const ServeOptions& options, TurnObserver observer);
  ~DriftLoop();
  DriftLoop(const DriftLoop&) = delete;
  DriftLoop& operator=(const DriftLoop&) = delete;

  /// Starts the thread; the first check runs at once.
  void Start();
  /// Asks the loop to stop, lets a running check finish (its lock released), joins.
  void Stop();
  /// Makes the loop check now rather than at its next time (e.g. after a refresh request).
  void Wake();
  /// The loop's state now.
  DriftLoopStatus status() const;

  /// One turn, on the caller's thread: what the loop does each interval.
  DriftTurn RunOnce();

 private:
  void Loop();
  void SetState(const std::string& state) EXCLUDES(mu_);

  const ProjectAccess& access_;
  const ServeOptions& options_;
  TurnObserver observer_;
  std::thread thread_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool woken_ GUARDED_BY(mu_) = false;
  DriftLoopStatus status_ GUARDED_BY(mu_);
};

}  // namespace jlrec::serve
