// What the read routes answer from: the plan of every group made from the state cache
// (`jlrec plan --refresh=false`), with the manifest it was made against. Built at most once
// per view_ttl, and at once after this server's own checks, refreshes and applies, so a
// busy page costs the state file one read a second, not one per request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "engine/reconciler.h"
#include "model/mutex.h"
#include "serve/last_change.h"
#include "serve/serve_deps.h"

namespace jlrec::serve {

/// A fleet view: everything it was made from, immutable once built (shared by requests).
struct FleetData {
  std::shared_ptr<const DesiredState> desired;     ///< the manifest it was made against
  PlannedRun planned;                              ///< every group, from the state cache
  std::vector<RunRecord> recent_runs;              ///< the project's newest runs (a few)
  std::vector<DriftCheckRecord> recent_checks;     ///< the project's newest drift checks (a few)
  std::map<std::string, LastChange> last_changes;  ///< LastChangesOf, by "host/container"
  std::int64_t built_at = 0;                       ///< unix seconds
};

/// Builds and keeps the fleet view, and the state connection the read routes share.
class FleetSource {
 public:
  /// `access` and `options` must outlive this.
  FleetSource(const ProjectAccess& access, const ServeOptions& options);

  /// The manifest the view is made against: the one the drift loop (or a refresh) loaded
  /// last. Without a drift loop, the source loads it again itself every 10 s at most.
  void SetDesired(std::shared_ptr<const DesiredState> desired) EXCLUDES(mu_);
  /// That manifest, loading it now when none was loaded yet; kInvalidArgument when it does not
  /// load.
  Result<std::shared_ptr<const DesiredState>> Desired() EXCLUDES(mu_);
  /// The view, built anew when older than the TTL or invalidated.
  Result<std::shared_ptr<const FleetData>> Get() EXCLUDES(mu_);
  /// The next Get() builds the view anew (the state changed under this server's hands).
  void Invalidate() EXCLUDES(mu_);
  /// Runs `read` on the shared state connection, one request at a time. kIoError when the
  /// state cannot be opened.
  Status WithStore(const std::function<Status(StateStore&)>& read) EXCLUDES(mu_);
  /// Plans `request` from the state cache against the current manifest.
  Result<PlannedRun> PlanFromCache(const PlanRequest& request) EXCLUDES(mu_);

 private:
  Result<StateStore*> StoreLocked() REQUIRES(mu_);
  Result<std::shared_ptr<const DesiredState>> DesiredLocked() REQUIRES(mu_);

  const ProjectAccess& access_;
  const ServeOptions& options_;
  Mutex mu_;
  std::unique_ptr<StateStore> store_ GUARDED_BY(mu_);
  std::shared_ptr<const DesiredState> desired_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point desired_loaded_ GUARDED_BY(mu_);
  std::shared_ptr<const FleetData> view_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point view_built_ GUARDED_BY(mu_);
};

}  // namespace jlrec::serve
