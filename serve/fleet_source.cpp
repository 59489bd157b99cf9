#include "serve/fleet_source.h"

#include <spdlog/spdlog.h>

#include <ctime>

namespace jlrec::serve {
namespace {
constexpr std::size_t kRecentRuns = 5;
constexpr int kRecentChecks = 20;
constexpr std::chrono::seconds kManifestRecheck{10};
}  // namespace

FleetSource::FleetSource(const ProjectAccess& access, const ServeOptions& options)
    : access_(access), options_(options) {}

void FleetSource::SetDesired(std::shared_ptr<const DesiredState> desired) {
  MutexLock lock(mu_);
  desired_loaded_ = std::chrono::steady_clock::now();
  if (desired_ && desired && desired_->manifest_digest == desired->manifest_digest) return;
  desired_ = std::move(desired);
  view_.reset();
}

Result<std::shared_ptr<const DesiredState>> FleetSource::DesiredLocked() {
  const auto now = std::chrono::steady_clock::now();
  // With a drift loop, each of its turns hands the manifest over; without one, an edit is
  // picked up here, a load at most every kManifestRecheck.
  if (desired_ && (options_.drift_loop || now - desired_loaded_ < kManifestRecheck))
    return desired_;
  auto loaded = access_.load_manifest();
  if (!loaded.ok()) {
    if (!desired_) return loaded.status();
    spdlog::warn("the manifest does not load; still showing the last one that did: {}",
                 loaded.status().message());
    desired_loaded_ = now;
    return desired_;
  }
  desired_loaded_ = now;
  if (!desired_ || desired_->manifest_digest != loaded->manifest_digest) {
    desired_ = std::make_shared<const DesiredState>(std::move(*loaded));
    view_.reset();
  }
  return desired_;
}

Result<std::shared_ptr<const DesiredState>> FleetSource::Desired() {
  MutexLock lock(mu_);
  return DesiredLocked();
}

void FleetSource::Invalidate() {
  MutexLock lock(mu_);
  view_.reset();
}

Result<StateStore*> FleetSource::StoreLocked() {
  if (!store_) {
    auto opened = access_.open_store();
    if (!opened.ok()) return opened.status();
    store_ = std::move(*opened);
  }
  return store_.get();
}

Status FleetSource::WithStore(const std::function<Status(StateStore&)>& read) {
  MutexLock lock(mu_);
  auto store = StoreLocked();
  if (!store.ok()) return store.status();
  return read(**store);
}

Result<PlannedRun> FleetSource::PlanFromCache(const PlanRequest& request) {
  MutexLock lock(mu_);
  auto desired = DesiredLocked();
  if (!desired.ok()) return desired.status();
  auto store = StoreLocked();
  if (!store.ok()) return store.status();
  PlanRequest cached = request;
  cached.refresh = false;
  return access_.make_reconciler(**desired, **store)->MakePlan(**desired, cached);
}

Result<std::shared_ptr<const FleetData>> FleetSource::Get() {
  MutexLock lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (view_ && now - view_built_ < options_.view_ttl) return view_;
  auto desired = DesiredLocked();
  if (!desired.ok()) return desired.status();
  auto store = StoreLocked();
  if (!store.ok()) return store.status();
  PlanRequest request;
  for (const auto& [name, group] : (*desired)->groups) request.groups.push_back(name);
  request.refresh = false;
  auto planned = access_.make_reconciler(**desired, **store)->MakePlan(**desired, request);
  if (!planned.ok()) return planned.status();
  auto view = std::make_shared<FleetData>();
  const std::string& project = (*desired)->project;
  auto runs = (*store)->ListRuns(project, "", static_cast<int>(kRecentRuns), 0);
  if (!runs.ok()) return runs.status();
  view->recent_runs = std::move(*runs);
  auto checks = (*store)->ListDriftChecks(project, 0, kRecentChecks);
  if (!checks.ok()) return checks.status();
  view->recent_checks = std::move(*checks);
  auto changes = LastChangesOf(**store, project);
  if (!changes.ok()) return changes.status();
  view->last_changes = std::move(*changes);
  view->desired = *desired;
  view->planned = std::move(*planned);
  view->built_at = std::time(nullptr);
  view_ = std::move(view);
  view_built_ = now;
  return view_;
}

}  // namespace jlrec::serve
