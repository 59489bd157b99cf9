// Applies asked for over the API: the plan the caller was shown, and only that plan, run on
// a thread of its own under the project's apply lock, recorded in the journal like the CLI's.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/plan.h"
#include "engine/reconciler.h"
#include "model/mutex.h"
#include "serve/api_error.h"
#include "serve/serve_deps.h"

namespace jlrec::serve {

/// What a caller asks to apply.
struct ApplyAsk {
  std::vector<std::string> groups;   ///< the groups of the plan it was shown
  std::vector<std::string> targets;  ///< "host/container" it was narrowed to
  std::string fingerprint;           ///< the plan_fingerprint it was shown
  bool adopt = false;                ///< adopt containers made outside jlrec that match
  std::string user = "api";          ///< who asks (the journal's owner: api:USER@MACHINE)
};

/// The answer to an ApplyAsk: an HTTP status and its JSON body.
struct ApplyAnswer {
  int http_status = 500;
  nlohmann::json body;
};

/// How an apply the API started ended (for the metrics and the fleet view).
struct ApplyDone {
  std::string project;
  Plan plan;           ///< what it ran
  ApplyReport report;  ///< how it went
};

/// Starts applies and keeps them until they end.
class ApplyJobs {
 public:
  /// Hears each apply's end, on its thread.
  using DoneObserver = std::function<void(const ApplyDone&)>;
  /// `access` and `options` must outlive this; `fingerprint_key` keys the fingerprints this
  /// server hands out (PlanFingerprint).
  ApplyJobs(const ProjectAccess& access, const ServeOptions& options, std::string fingerprint_key,
            DoneObserver on_done);
  /// Waits for every running apply (Stop first to have them start nothing new).
  ~ApplyJobs();
  ApplyJobs(const ApplyJobs&) = delete;
  ApplyJobs& operator=(const ApplyJobs&) = delete;

  /// The fingerprint of `plan`, remembered with its outline so that a stale fingerprint later
  /// is answered with what changed.
  std::string Fingerprint(const Plan& plan) EXCLUDES(mu_);

  /// Checks and starts `ask`: loads the manifest, takes the apply lock (409 locked), refreshes
  /// and plans again, compares fingerprints (409 stale_plan with what changed), refuses a
  /// plan that cannot run (409 unappliable), answers 200 when there is nothing to do, else
  /// starts the apply and answers 202 with its journal run id once it is recorded.
  ApplyAnswer Start(const ApplyAsk& ask) EXCLUDES(mu_);

  /// From now on running applies start no new action (they end "interrupted") and Start
  /// answers 503.
  void Stop();
  /// Waits until every apply started has ended.
  void Wait() EXCLUDES(mu_);

 private:
  const ProjectAccess& access_;
  const ServeOptions& options_;
  const std::string key_;
  DoneObserver on_done_;
  std::atomic<bool> stopping_{false};
  Mutex mu_;
  /// Outlines of the plans handed out, newest last (a few dozen kept).
  std::deque<std::pair<std::string, std::vector<std::string>>> outlines_ GUARDED_BY(mu_);
  /// Each apply's thread, with whether it has ended (ended ones are joined at the next Start).
  std::vector<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> threads_ GUARDED_BY(mu_);
};

}  // namespace jlrec::serve
