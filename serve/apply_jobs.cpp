#include "serve/apply_jobs.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "engine/diff.h"
#include "engine/plan_fingerprint.h"

namespace jlrec::serve {
namespace {

constexpr std::size_t kOutlinesKept = 64;

ApplyAnswer Error(ApiErrorCode code, std::string message) {
  ApplyAnswer a;
  a.http_status = HttpStatusOf(code);
  a.body = ApiErrorToJson({code, std::move(message)});
  return a;
}

// Everything an apply runs with, in the order it must be torn down in reverse: the lock is
// released before the store closes, the providers close before the pipeline goes.
struct Job {
  DesiredState desired;
  std::unique_ptr<StateStore> store;
  ScopedLock lock;
  std::unique_ptr<Reconciler> reconciler;
  PlannedRun planned;
};

}  // namespace

ApplyJobs::ApplyJobs(const ProjectAccess& access, const ServeOptions& options,
                     std::string fingerprint_key, DoneObserver on_done)
    : access_(access),
      options_(options),
      key_(std::move(fingerprint_key)),
      on_done_(std::move(on_done)) {}

ApplyJobs::~ApplyJobs() { Wait(); }

std::string ApplyJobs::Fingerprint(const Plan& plan) {
  std::string fp = PlanFingerprint(plan, key_);
  MutexLock lock(mu_);
  for (const auto& [known, outline] : outlines_)
    if (known == fp) return fp;
  outlines_.emplace_back(fp, PlanOutline(plan));
  if (outlines_.size() > kOutlinesKept) outlines_.pop_front();
  return fp;
}

void ApplyJobs::Stop() { stopping_ = true; }

void ApplyJobs::Wait() {
  std::vector<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> threads;
  {
    MutexLock lock(mu_);
    threads.swap(threads_);
  }
  for (auto& [t, ended] : threads)
    if (t.joinable()) t.join();
}

ApplyAnswer ApplyJobs::Start(const ApplyAsk& ask) {
  if (stopping_) return Error(ApiErrorCode::kUnavailable, "the server is shutting down");
  auto job = std::make_shared<Job>();
  auto desired = access_.load_manifest();
  if (!desired.ok()) return Error(ApiErrorCode::kInternal, desired.status().message());
  job->desired = std::move(*desired);
  const std::string& project = job->desired.project;
  for (const auto& g : ask.groups)
    if (!job->desired.groups.count(g))
      return Error(ApiErrorCode::kNotFound, "no group \"" + g + "\" in project " + project);
  auto selected = SelectContainers(job->desired, ask.groups, ask.targets);
  if (!selected.ok()) return Error(ApiErrorCode::kNotFound, selected.status().message());

  auto store = access_.open_store();
  if (!store.ok()) return Error(ApiErrorCode::kInternal, store.status().message());
  job->store = std::move(*store);
  LockOwner who = access_.owner;
  who.owner = "api:" + ask.user + "@" + who.hostname;
  Status got = job->lock.Acquire(*job->store, "apply:" + project, 0, who);
  if (got.code() == Status::Code::kConflict)
    return Error(ApiErrorCode::kLocked, "another apply holds the lock: " + got.message());
  if (!got.ok()) return Error(ApiErrorCode::kInternal, got.message());
  CloseRunsOfDeadApplies(*job->store, project);

  // The plan the caller saw was made from the cache; what runs is planned from the hosts as
  // they are now, and must come out the same.
  job->reconciler = access_.make_reconciler(job->desired, *job->store);
  PlanRequest request;
  request.groups = ask.groups;
  request.targets = ask.targets;
  request.refresh = true;
  auto planned = job->reconciler->MakePlan(job->desired, request);
  if (!planned.ok()) return Error(ApiErrorOf(planned.status()).code, planned.status().message());
  job->planned = std::move(*planned);
  Plan& plan = job->planned.plan;
  const std::string now = PlanFingerprint(plan, key_);
  if (now != ask.fingerprint) {
    std::string changes;
    bool known = false;
    {
      MutexLock lock(mu_);
      for (const auto& [fp, outline] : outlines_)
        if (fp == ask.fingerprint) {
          known = true;
          changes = PlanChanges(outline, PlanOutline(plan));
        }
    }
    std::string message =
        !known ? "the plan_fingerprint is not one of a plan this server showed (it restarted, or "
                 "the fingerprint is wrong): GET /api/v1/plan again"
        : changes.empty()
            ? "the hosts changed since the plan was shown (the same actions, but a container "
              "they concern was recreated, restarted or had its /run.sh changed): GET "
              "/api/v1/plan again"
            : "the plan changed since it was shown: " + changes + "; GET /api/v1/plan again";
    Fingerprint(plan);  // so that the next ask against the fresh plan can say what changed
    return Error(ApiErrorCode::kStalePlan, message);
  }
  if (plan.HasErrors()) {
    std::string why;
    for (const auto& e : plan.host_errors) why += (why.empty() ? "" : ", ") + e.host;
    return Error(ApiErrorCode::kUnappliable,
                 why.empty() ? "the plan needs images that are in neither their registry nor "
                               "on the host"
                             : "hosts could not be refreshed (their state is unknown): " + why);
  }
  if (!ask.adopt) HoldBackAdoptions(plan);
  if (!plan.HasChanges()) {
    ApplyAnswer a;
    a.http_status = 200;
    a.body = {{"format_version", 1},
              {"kind", "apply-nothing"},
              {"project", project},
              {"conflicts", plan.Count(ActionKind::kConflict)},
              {"message", plan.HasConflicts()
                              ? "nothing to apply; conflicts keep the manifest from being reached"
                              : "nothing to apply: the hosts match the manifest"}};
    return a;
  }

  int actions = 0;
  for (const auto& a : plan.actions) actions += IsExecutable(a.kind);
  auto begun = std::make_shared<std::promise<std::int64_t>>();
  auto begun_future = begun->get_future();
  ApplyRequest apply;
  apply.kind = "apply";
  apply.owner = who.owner;
  apply.options.parallelism = options_.apply_parallelism;
  apply.options.max_per_host = job->desired.max_per_host;
  for (const auto& [name, g] : job->desired.groups)
    apply.options.max_unavailable[name] = g.max_unavailable;
  apply.options.should_stop = [this] { return stopping_.load(); };
  auto told = std::make_shared<std::atomic<bool>>(false);
  auto why_not = std::make_shared<std::string>();  // written before `begun` is set to 0
  auto ended = std::make_shared<std::atomic<bool>>(false);
  apply.on_run_begun = [begun, told](std::int64_t id) {
    if (!told->exchange(true)) begun->set_value(id);
  };
  std::thread thread([this, job, apply, begun, told, why_not, ended]() mutable {
    ApplyReport report =
        job->reconciler->Apply(job->planned.plan, job->desired, job->planned.providers(),
                               &job->planned.live(), apply, nullptr);
    if (!told->exchange(true)) {  // it never began
      *why_not = report.error.message();
      begun->set_value(0);
    }
    spdlog::info("api apply of {} by {}: run {}: {}", job->desired.project, apply.owner,
                 report.run_id, report.run_id ? report.summary : report.error.message());
    ApplyDone done{job->desired.project, job->planned.plan, report};
    job->lock.Release();
    if (on_done_) on_done_(done);
    *ended = true;
  });
  {
    MutexLock lock(mu_);
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (*it->second) {
        it->first.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
    threads_.emplace_back(std::move(thread), ended);
  }
  const std::int64_t run_id = begun_future.get();
  if (run_id == 0) return Error(ApiErrorCode::kInternal, "the apply could not begin: " + *why_not);
  ApplyAnswer a;
  a.http_status = 202;
  a.body = {{"format_version", 1},
            {"kind", "apply-started"},
            {"project", project},
            {"run_id", run_id},
            {"run_url", "/api/v1/runs/" + std::to_string(run_id)},
            {"actions", actions}};
  return a;
}

}  // namespace jlrec::serve
