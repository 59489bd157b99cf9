#include "serve/drift_loop.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <utility>

namespace jlrec::serve {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// "apply lock held by alice@ops2 (pid 4242) since 10:02": what an operator needs to know why
// the page's check is late.
std::string HolderText(const LockInfo& l) {
  char when[32] = "?";
  std::time_t t = static_cast<std::time_t>(l.since);
  std::tm tm{};
  if (gmtime_r(&t, &tm)) std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return l.owner + " (pid " + std::to_string(l.pid) + ") since " + when;
}

// The newest run of `project` in the journal as (id, finished_at); (0, 0) when it has none.
// A change between two readings means an apply or rollback began or ended in between.
Result<std::pair<std::int64_t, std::int64_t>> NewestRun(StateStore& store,
                                                        const std::string& project) {
  auto runs = store.ListRuns(project, "", 1, 0);
  if (!runs.ok()) return runs.status();
  if (runs->empty()) return std::pair<std::int64_t, std::int64_t>{0, 0};
  return std::pair<std::int64_t, std::int64_t>{runs->front().id, runs->front().finished_at};
}

}  // namespace

DriftLoop::DriftLoop(const ProjectAccess& access, const ServeOptions& options,
                     TurnObserver observer)
    : access_(access), options_(options), observer_(std::move(observer)) {}

DriftLoop::~DriftLoop() { Stop(); }

void DriftLoop::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void DriftLoop::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    status_.next_check_at = 0;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DriftLoop::Wake() {
  {
    MutexLock lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

DriftLoopStatus DriftLoop::status() const {
  MutexLock lock(mu_);
  return status_;
}

void DriftLoop::SetState(const std::string& state) {
  MutexLock lock(mu_);
  status_.state = state;
}

DriftTurn DriftLoop::RunOnce() {
  const auto t0 = Clock::now();
  DriftTurn turn;
  turn.started_at = std::time(nullptr);
  const auto finish = [&](DriftTurn::Kind kind, std::string note) {
    turn.kind = kind;
    turn.note = std::move(note);
    turn.seconds = SecondsSince(t0);
    return std::move(turn);
  };
  auto desired = access_.load_manifest();
  if (!desired.ok()) return finish(DriftTurn::Kind::kFailed, desired.status().message());
  turn.project = desired->project;
  turn.desired = std::make_shared<const DesiredState>(std::move(*desired));
  const DesiredState& manifest = *turn.desired;
  auto store = access_.open_store();
  if (!store.ok()) return finish(DriftTurn::Kind::kFailed, store.status().message());

  // An apply changes the hosts while it runs: a check then would report its half-done work
  // as drift. Back off until it is over (the CLI's drift does not wait; the loop can).
  const std::string apply_lock = "apply:" + manifest.project;
  auto holder = (*store)->LockHolder(apply_lock);
  if (!holder.ok()) return finish(DriftTurn::Kind::kFailed, holder.status().message());
  if (*holder)
    return finish(DriftTurn::Kind::kWaiting, "an apply holds the lock: " + HolderText(**holder));
  ScopedLock lock;  // after `store`: released before it closes
  Status got = lock.Acquire(**store, "drift:" + manifest.project, 0, access_.owner);
  if (got.code() == Status::Code::kConflict)
    return finish(DriftTurn::Kind::kWaiting, "another drift check is running: " + got.message());
  if (!got.ok()) return finish(DriftTurn::Kind::kFailed, got.message());

  // The lock shows an apply that runs now; the journal also shows one that began and ended
  // within the refresh (the lock free at both readings).
  auto run_before = NewestRun(**store, manifest.project);
  if (!run_before.ok()) return finish(DriftTurn::Kind::kFailed, run_before.status().message());

  SetState("checking");
  auto reconciler = access_.make_reconciler(manifest, **store);
  PlanRequest request;
  for (const auto& [name, group] : manifest.groups) request.groups.push_back(name);
  request.refresh = true;
  auto planned = reconciler->MakePlan(manifest, request);
  if (!planned.ok()) return finish(DriftTurn::Kind::kFailed, planned.status().message());
  turn.refresh_seconds = planned->refresh_seconds;

  // An apply that began during the refresh: what the refresh saw may be its work half done.
  // Not recorded, so the history never shows an apply's own steps as drift.
  holder = (*store)->LockHolder(apply_lock);
  if (holder.ok() && *holder)
    return finish(
        DriftTurn::Kind::kWaiting,
        "an apply began during the check, which was not recorded: " + HolderText(**holder));
  // Its refresh read the hosts before that apply's changes and has just cached that older
  // reading over the apply's: the turn is not recorded, and the loop looks again soon, which
  // also puts the apply's work back in the cache the server's view reads.
  auto run_after = NewestRun(**store, manifest.project);
  if (!run_after.ok()) return finish(DriftTurn::Kind::kFailed, run_after.status().message());
  if (*run_after != *run_before)
    return finish(DriftTurn::Kind::kWaiting,
                  "an apply ran during the check, which was not recorded: run " +
                      std::to_string(run_after->first));
  turn.checked_at = std::time(nullptr);
  turn.check = reconciler->CheckDrift(planned->plan, turn.checked_at);
  turn.plan = std::move(planned->plan);
  if (!turn.check.recorded.ok())
    spdlog::error("could not record the drift check: {}", turn.check.recorded.message());
  return finish(DriftTurn::Kind::kChecked, "");
}

void DriftLoop::Loop() {
  auto next = Clock::now();
  for (;;) {
    {
      MutexLock lock(mu_);
      status_.next_check_at =
          std::time(nullptr) +
          std::chrono::duration_cast<std::chrono::seconds>(next - Clock::now()).count();
      lock.WaitUntil(cv_, next, [&]() REQUIRES(mu_) { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    const auto started = Clock::now();
    DriftTurn turn = RunOnce();
    switch (turn.kind) {
      case DriftTurn::Kind::kChecked:
        spdlog::info("drift check of {}: {} in {:.1f}s", turn.project, turn.check.summary,
                     turn.seconds);
        break;
      case DriftTurn::Kind::kWaiting:
        spdlog::info("drift check waits: {}", turn.note);
        break;
      case DriftTurn::Kind::kFailed:
        spdlog::error("drift check could not run: {}", turn.note);
        break;
    }
    {
      MutexLock lock(mu_);
      status_.state = turn.kind == DriftTurn::Kind::kWaiting ? "waiting" : "idle";
      status_.note = turn.note;
      status_.last_turn_at = turn.started_at;
      if (turn.kind == DriftTurn::Kind::kChecked) {
        status_.last_duration = turn.seconds;
        ++status_.checks;
      }
    }
    if (observer_) observer_(turn);
    // The interval runs from one check's start to the next's; a turn that waited on an apply
    // looks again sooner, and a check that outlasted the interval is followed at once.
    next = started + (turn.kind == DriftTurn::Kind::kWaiting
                          ? std::min(options_.lock_retry, options_.interval)
                          : options_.interval);
  }
}

}  // namespace jlrec::serve
