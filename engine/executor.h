// The executor (after ninja's Builder and Terraform's walker): walks the apply graph,
// starting each action once everything before it succeeded, within the parallelism, the
// per-host limit and each group's rolling budget.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/apply_graph.h"
#include "engine/apply_observer.h"
#include "engine/plan.h"
#include "engine/script_ledger.h"
#include "model/provider.h"
#include "model/status.h"

namespace jlrec {

/// How apply runs. The defaults are the CLI's.
struct ApplyOptions {
  int parallelism = 10;    ///< actions at once overall (values < 1 count as 1)
  int max_per_host = 4;    ///< actions at once on one host (values < 1 count as 1)
  bool fail_fast = false;  ///< after the first failure, start nothing new
  /// Polled by the scheduler (SIGINT/SIGTERM): once true, start nothing new, let running
  /// actions finish, report interrupted. Empty = never.
  std::function<bool()> should_stop;
  std::chrono::seconds stop_grace{10};  ///< SIGTERM -> SIGKILL delay for stop/restart
  std::chrono::milliseconds running_gate_timeout{30000};  ///< wait for "running" this long
  std::chrono::milliseconds poll_interval{200};           ///< state polls, and should_stop checks
  std::string jlrec_version;  ///< jlrec.version label ("" = this build's version)
  /// Rolling budget per group: "N" or "N%" of the group's containers in the plan (missing
  /// or "" = 25%, at least 1). From GroupSettings::max_unavailable.
  std::map<std::string, std::string> max_unavailable;
  /// Why a host has no provider (e.g. the error from opening it); reported as the failure
  /// of that host's actions.
  std::map<std::string, Status> host_errors;
  /// When set, each uploaded /run.sh is stat'ed and recorded here, so that the refresh
  /// after the apply need not read back what it just wrote.
  std::shared_ptr<ScriptLedger> script_ledger;
  /// See ActionSettings::before_step (fault injection for tests); empty = nothing.
  std::function<void(const std::string&)> before_step;
};

/// What an apply did.
struct ApplyResult {
  std::vector<ActionOutcome> outcomes;  ///< parallel to Plan::actions
  int succeeded = 0;
  int failed = 0;
  int rolled_back = 0;               ///< of the failed ones, those put back as they were
  int skipped = 0;                   ///< a dependency failed, or the action is not executable
  int not_started = 0;               ///< fail-fast or interruption came first
  std::uint64_t mutating_calls = 0;  ///< create/start/stop/restart/remove/upload/pull calls
  bool interrupted = false;          ///< should_stop() turned true during the walk
  /// The hosts that stopped answering (a request got no answer within its timeout), each
  /// with that first error: their other actions were skipped rather than each waiting out
  /// the same timeout.
  std::map<std::string, Status> stopped_answering;
  /// Not ok when the walk could not begin (invalid options, graph not of this plan); every
  /// outcome is then kNotStarted.
  Status error;
};

/// Applies `plan` along `graph` (BuildApplyGraph(plan)). `providers` maps host key ->
/// Provider for every host the plan touches; a missing or null entry fails that host's
/// actions with options.host_errors[host] (or the plan's refresh error for it). Non-
/// executable plan entries (conflict, unknown) are kSkipped. A failed action skips its
/// dependents; independent branches go on. Once a call to a host gets no answer within its
/// timeout (kTimeout, see FencedProvider), that host is given up on for the rest of the
/// walk: its calls still running fail at once, its actions not started yet are kSkipped
/// ("host HOST stopped answering: FIRST ERROR"), and so are their dependents; other hosts go
/// on. Calls `observer` (may be null) from this thread only. Blocks until every started
/// action has finished; never throws.
ApplyResult ExecutePlan(const Plan& plan, const ApplyGraph& graph,
                        const std::map<std::string, Provider*>& providers,
                        const ApplyOptions& options, ApplyObserver* observer);

}  // namespace jlrec
