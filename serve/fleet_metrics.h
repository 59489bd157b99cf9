// The metrics of a fleet, one definition for `jlrec serve`'s /metrics and for
// `jlrec drift --textfile` (node_exporter's textfile collector): the gauges one drift check
// yields, and the counters and histogram a server keeps across checks, refreshes and applies.
// docs/metrics.md lists every family; change both together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/apply_observer.h"
#include "engine/plan.h"
#include "engine/reconciler.h"
#include "model/live_state.h"
#include "model/state_store.h"
#include "serve/metrics_registry.h"

namespace jlrec::serve {

// The drift check's gauges (SetDriftCheckGauges): the same in /metrics and in a textfile.
inline constexpr const char* kContainersMetric = "jlrec_containers";
inline constexpr const char* kCheckTimestampMetric = "jlrec_drift_check_last_timestamp_seconds";
inline constexpr const char* kCheckSuccessTimestampMetric =
    "jlrec_drift_check_last_success_timestamp_seconds";
inline constexpr const char* kCheckDurationMetric = "jlrec_drift_check_duration_seconds";
inline constexpr const char* kCheckResultMetric = "jlrec_drift_check_result";
inline constexpr const char* kDriftedMetric = "jlrec_drift_drifted_containers";
inline constexpr const char* kUnknownMetric = "jlrec_drift_unknown_containers";
inline constexpr const char* kHostUpMetric = "jlrec_host_up";
// What a server counts across checks, refreshes and applies (never in a textfile: a file
// rewritten by each cron run cannot count).
inline constexpr const char* kChecksTotalMetric = "jlrec_drift_checks_total";
inline constexpr const char* kRefreshDurationMetric = "jlrec_refresh_duration_seconds";
inline constexpr const char* kHostErrorsTotalMetric = "jlrec_host_errors_total";
inline constexpr const char* kApplyRunsTotalMetric = "jlrec_apply_runs_total";
inline constexpr const char* kApplyActionsTotalMetric = "jlrec_apply_actions_total";

/// Upper bounds (seconds) of the refresh latency histogram's buckets: a loopback fleet
/// answers in tens of milliseconds, a large or distant one in minutes, a hung host costs
/// the whole --timeout (300 s by default).
inline constexpr double kRefreshBuckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

/// The results a drift check has ("in_sync", "drift", "error"), as DriftResultOf words them.
inline constexpr const char* kDriftResults[] = {"in_sync", "drift", "error"};
/// The results of an apply run (ApplyRunResult).
inline constexpr const char* kApplyResults[] = {"ok", "failed", "interrupted", "error"};
/// How many recent drift checks are read back for the last successful one when a check did
/// not succeed (a week of checks every 10 minutes); older than that, none is known.
inline constexpr int kLastSuccessLookback = 1000;

/// When a drift check ran, how long it took, and the last successful one before it.
struct DriftCheckTiming {
  std::int64_t checked_at = 0;  ///< unix seconds, as given to Reconciler::CheckDrift
  double duration_seconds = 0;  ///< the whole check: refresh, plan and recording
  double refresh_seconds = 0;   ///< its refresh alone (PlannedRun::refresh_seconds)
  /// The last successful check before this one (unix seconds), if one is known: what the
  /// last-success gauge shows when this check did not succeed (0 when none is known).
  std::optional<std::int64_t> previous_success_at;
};

/// True for a drift check that judged every container, i.e. its result is "in_sync" or
/// "drift": every host was reached and every image found. "error" is no success. The
/// last-success gauge and the API's last_success_at both mean this.
bool DriftCheckSucceeded(const std::string& result);

/// When the newest successful check of `history` (newest first, as
/// StateStore::ListDriftChecks lists it) was made; nullopt when none is.
std::optional<std::int64_t> LastSuccessfulCheckAt(const std::vector<DriftCheckRecord>& history);

/// The hosts `plan` looked at: the hosts of its containers (planned, unchanged, orphaned)
/// and the hosts it could not refresh, sorted.
std::vector<std::string> HostsLookedAt(const Plan& plan);

/// Declares the drift check's gauges in `registry` and sets them from `check` of `plan`
/// (plan.project is the project label): containers of every selected group by status (all
/// four, zeros included), the check's time, last success, duration, result (1 for its
/// result, 0 for the other two), drifted and unknown containers, and whether each host was
/// reached. Adds to what `registry` holds: give it a fresh registry, or use
/// RecordDriftCheck to replace an earlier check's series.
Status SetDriftCheckGauges(MetricsRegistry& registry, const Plan& plan, const DriftCheck& check,
                           const DriftCheckTiming& timing);

/// The text exposition of one check's gauges alone, for `jlrec drift --textfile`: a
/// complete file each time, whatever the previous run wrote.
std::string DriftCheckTextfile(const Plan& plan, const DriftCheck& check,
                               const DriftCheckTiming& timing);

/// Declares every family (gauges, counters and the histogram) in `registry` and makes the
/// counters of `project` show 0 for every drift and apply result, so that rate() and
/// increase() see their first event. Idempotent: call it once at start.
Status RegisterFleetMetrics(MetricsRegistry& registry, const std::string& project);

/// A server's record of one drift check: the gauges of plan.project become this check's,
/// in one step (a group or host gone from the manifest disappears), the check is counted by
/// result, its refresh observed in the latency histogram and each host it could not reach
/// counted as a host error.
Status RecordDriftCheck(MetricsRegistry& registry, const Plan& plan, const DriftCheck& check,
                        const DriftCheckTiming& timing);

/// A server's record of a refresh outside a drift check (POST /api/v1/refresh): its latency
/// `seconds`, and each host of `result` not reachable counted as a host error (the reachable
/// ones show 0). The host_up gauges stay the last drift check's.
Status RecordRefresh(MetricsRegistry& registry, const std::string& project, double seconds,
                     const RefreshResult& result);

/// How an apply run ended, as its journal run says it: "ok", "failed", "interrupted", or
/// "error" when the run could not begin (no journal run).
const char* ApplyRunResult(const ApplyReport& report);

/// The outcome of one action as a label value: "succeeded", "failed", "rolled_back" (failed,
/// and put back as it was), "skipped", "not_started".
const char* ActionOutcomeLabel(const ActionOutcome& outcome);

/// A server's record of an apply of `plan`: the run counted by ApplyRunResult, and each
/// executable action (create, replace, update, start, remove, adopt) by its outcome.
/// Conflicts and unknown entries are not actions: apply skips them, they are not counted.
Status RecordApply(MetricsRegistry& registry, const Plan& plan, const ApplyReport& report);

}  // namespace jlrec::serve
