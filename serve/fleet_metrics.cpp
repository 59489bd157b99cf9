#include "serve/fleet_metrics.h"

#include <iterator>
#include <set>

#include "engine/drift_report.h"
#include "serve/container_status.h"
#include "serve/group_counts.h"

namespace jlrec::serve {
namespace {

// The HELP texts are what an operator reads in Prometheus' UI: they say what a value
// means, and docs/metrics.md repeats them with examples.
std::vector<MetricFamilyDef> GaugeDefs() {
  const auto gauge = [](const char* name, const char* help, std::vector<std::string> labels) {
    return MetricFamilyDef{MetricType::kGauge, name, help, std::move(labels), {}};
  };
  return {
      gauge(kContainersMetric,
            "Containers of each group of the manifest by status at the last drift check "
            "(in_sync, drifted, failed, unknown); a container of two groups counts in both.",
            {"project", "group", "status"}),
      gauge(kCheckTimestampMetric, "When the last drift check ran, in unix seconds.", {"project"}),
      gauge(kCheckSuccessTimestampMetric,
            "When the last successful drift check ran (one that judged every container: "
            "result in_sync or drift), in unix seconds; 0 when none is known.",
            {"project"}),
      gauge(kCheckDurationMetric,
            "How long the last drift check took in seconds (refresh, plan and recording).",
            {"project"}),
      gauge(kCheckResultMetric,
            "The last drift check's result: 1 for it, 0 for the other two (in_sync, drift, "
            "error).",
            {"project", "result"}),
      gauge(kDriftedMetric,
            "Containers the last drift check found different from the manifest (orphans "
            "included).",
            {"project"}),
      gauge(kUnknownMetric,
            "Containers the last drift check could not judge: their host could not be read.",
            {"project"}),
      gauge(kHostUpMetric, "Whether the last drift check could read the host (1) or not (0).",
            {"project", "host"}),
  };
}

std::vector<MetricFamilyDef> CountingDefs() {
  const auto counter = [](const char* name, const char* help, std::vector<std::string> labels) {
    return MetricFamilyDef{MetricType::kCounter, name, help, std::move(labels), {}};
  };
  return {
      counter(kChecksTotalMetric, "Drift checks this server ran, by result.",
              {"project", "result"}),
      MetricFamilyDef{MetricType::kHistogram,
                      kRefreshDurationMetric,
                      "Time to read the live state of the hosts, in seconds (drift checks and "
                      "POST /api/v1/refresh).",
                      {"project"},
                      {std::begin(kRefreshBuckets), std::end(kRefreshBuckets)}},
      counter(kHostErrorsTotalMetric,
              "Refreshes (drift checks and POST /api/v1/refresh) that could not read the host.",
              {"project", "host"}),
      counter(kApplyRunsTotalMetric,
              "Apply runs this server started, by how they ended (ok, failed, interrupted; "
              "error: the run could not begin).",
              {"project", "result"}),
      counter(kApplyActionsTotalMetric,
              "Actions of the apply runs this server started, by action and outcome.",
              {"project", "action", "result"}),
  };
}

Status AddAll(MetricsRegistry& registry, const std::vector<MetricFamilyDef>& defs) {
  for (const auto& def : defs)
    if (Status s = registry.Add(def); !s.ok()) return s;
  return Status::Ok();
}

}  // namespace

bool DriftCheckSucceeded(const std::string& result) {
  return result == "in_sync" || result == "drift";
}

std::optional<std::int64_t> LastSuccessfulCheckAt(const std::vector<DriftCheckRecord>& history) {
  for (const auto& check : history)
    if (DriftCheckSucceeded(check.result)) return check.checked_at;
  return std::nullopt;
}

std::vector<std::string> HostsLookedAt(const Plan& plan) {
  std::set<std::string> hosts;
  for (const auto& a : plan.actions) hosts.insert(a.host);
  for (const auto& n : plan.noops) hosts.insert(n.host);
  for (const auto& o : plan.orphans) hosts.insert(o.host);
  for (const auto& e : plan.host_errors) hosts.insert(e.host);
  return {hosts.begin(), hosts.end()};
}

Status SetDriftCheckGauges(MetricsRegistry& registry, const Plan& plan, const DriftCheck& check,
                           const DriftCheckTiming& timing) {
  if (Status s = AddAll(registry, GaugeDefs()); !s.ok()) return s;
  const std::string& project = plan.project;
  for (const auto& [group, counts] : CountByGroup(plan))
    for (ContainerStatus status : kAllContainerStatuses)
      registry.Set(kContainersMetric, {project, group, ContainerStatusName(status)},
                   counts[status]);

  const bool succeeded = DriftCheckSucceeded(check.result);
  const std::int64_t last_success =
      succeeded ? timing.checked_at : timing.previous_success_at.value_or(0);
  registry.Set(kCheckTimestampMetric, {project}, static_cast<double>(timing.checked_at));
  registry.Set(kCheckSuccessTimestampMetric, {project}, static_cast<double>(last_success));
  registry.Set(kCheckDurationMetric, {project}, timing.duration_seconds);
  for (const char* result : kDriftResults)
    registry.Set(kCheckResultMetric, {project, result}, check.result == result ? 1 : 0);
  registry.Set(kDriftedMetric, {project}, static_cast<double>(check.findings.drifted.size()));
  registry.Set(kUnknownMetric, {project}, static_cast<double>(check.findings.unknown.size()));

  std::set<std::string> down;
  for (const auto& e : plan.host_errors) down.insert(e.host);
  for (const auto& host : HostsLookedAt(plan))
    registry.Set(kHostUpMetric, {project, host}, down.count(host) ? 0 : 1);
  return Status::Ok();
}

std::string DriftCheckTextfile(const Plan& plan, const DriftCheck& check,
                               const DriftCheckTiming& timing) {
  MetricsRegistry fresh;
  // Cannot fail: a fresh registry has nothing to clash with, and the definitions are ours.
  (void)SetDriftCheckGauges(fresh, plan, check, timing);
  return fresh.Exposition();
}

Status RegisterFleetMetrics(MetricsRegistry& registry, const std::string& project) {
  if (Status s = AddAll(registry, GaugeDefs()); !s.ok()) return s;
  if (Status s = AddAll(registry, CountingDefs()); !s.ok()) return s;
  for (const char* result : kDriftResults) registry.Inc(kChecksTotalMetric, {project, result}, 0);
  for (const char* result : kApplyResults)
    registry.Inc(kApplyRunsTotalMetric, {project, result}, 0);
  return Status::Ok();
}

Status RecordDriftCheck(MetricsRegistry& registry, const Plan& plan, const DriftCheck& check,
                        const DriftCheckTiming& timing) {
  const std::string& project = plan.project;
  if (Status s = RegisterFleetMetrics(registry, project); !s.ok()) return s;
  MetricsRegistry fresh;
  if (Status s = SetDriftCheckGauges(fresh, plan, check, timing); !s.ok()) return s;
  if (Status s = registry.ReplaceSeries(fresh, "project", project); !s.ok()) return s;
  registry.Inc(kChecksTotalMetric, {project, check.result});
  registry.Observe(kRefreshDurationMetric, {project}, timing.refresh_seconds);
  std::set<std::string> down;
  for (const auto& e : plan.host_errors) down.insert(e.host);
  for (const auto& host : HostsLookedAt(plan))
    registry.Inc(kHostErrorsTotalMetric, {project, host}, down.count(host) ? 1 : 0);
  return Status::Ok();
}

Status RecordRefresh(MetricsRegistry& registry, const std::string& project, double seconds,
                     const RefreshResult& result) {
  if (Status s = RegisterFleetMetrics(registry, project); !s.ok()) return s;
  registry.Observe(kRefreshDurationMetric, {project}, seconds);
  for (const auto& h : result.hosts)
    registry.Inc(kHostErrorsTotalMetric, {project, h.host}, h.reachable ? 0 : 1);
  return Status::Ok();
}

const char* ApplyRunResult(const ApplyReport& report) {
  if (report.run_id == 0) return "error";
  if (report.result.interrupted) return "interrupted";
  return report.complete ? "ok" : "failed";
}

const char* ActionOutcomeLabel(const ActionOutcome& outcome) {
  switch (outcome.state) {
    case ActionOutcome::State::kSucceeded:
      return "succeeded";
    case ActionOutcome::State::kFailed:
      return outcome.rolled_back ? "rolled_back" : "failed";
    case ActionOutcome::State::kSkipped:
      return "skipped";
    case ActionOutcome::State::kPending:  // not after ExecutePlan returned: never reached
    case ActionOutcome::State::kNotStarted:
      return "not_started";
  }
  return "not_started";
}

Status RecordApply(MetricsRegistry& registry, const Plan& plan, const ApplyReport& report) {
  const std::string& project = plan.project;
  if (Status s = RegisterFleetMetrics(registry, project); !s.ok()) return s;
  registry.Inc(kApplyRunsTotalMetric, {project, ApplyRunResult(report)});
  const auto& outcomes = report.result.outcomes;
  if (outcomes.size() != plan.actions.size()) return Status::Ok();  // the run never began
  for (std::size_t i = 0; i < plan.actions.size(); ++i) {
    const PlanAction& a = plan.actions[i];
    if (!IsExecutable(a.kind)) continue;
    registry.Inc(kApplyActionsTotalMetric,
                 {project, ActionName(a.kind), ActionOutcomeLabel(outcomes[i])});
  }
  return Status::Ok();
}

}  // namespace jlrec::serve
