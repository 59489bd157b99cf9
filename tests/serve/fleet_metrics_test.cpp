// The fleet's metrics from hand-built plans: the gauges one drift check yields (the same for
// /metrics and drift --textfile), and what a server counts across checks, refreshes and
// applies.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "engine/drift_report.h"
#include "serve/fleet_metrics.h"
#include "support/exposition.h"

using namespace jlrec;
using namespace jlrec::serve;
using jlrec::testing::ParsedExposition;
using jlrec::testing::ParseExposition;

namespace {

constexpr std::int64_t kCheckedAt = 1733050000;

PlanAction Entry(const std::string& host, const std::string& name, ActionKind kind,
                 ReasonKind reason, std::vector<std::string> groups = {"product"}) {
  PlanAction a;
  a.host = host;
  a.name = name;
  a.kind = kind;
  a.reason_kind = reason;
  a.groups = std::move(groups);
  return a;
}

// Groups product and test over lab1..lab3: one container of each status, lab3 unreachable,
// an orphan, and w1 in both groups.
Plan ErrorPlan() {
  Plan plan;
  plan.project = "jl";
  plan.groups = {"product", "test"};
  plan.actions = {
      Entry("lab1", "core", ActionKind::kStart, ReasonKind::kStopped),
      Entry("lab2", "w1", ActionKind::kCreate, ReasonKind::kFailed, {"product", "test"}),
      Entry("lab3", "w3", ActionKind::kUnknown, ReasonKind::kHostUnreachable),
  };
  plan.noops = {{"lab2", "w2", {"product"}, false}, {"lab1", "t1", {"test"}, false}};
  plan.orphans = {Entry("lab1", "old", ActionKind::kRemove, ReasonKind::kOrphan)};
  plan.host_errors = {{"lab3", "connect: Connection refused"}};
  return plan;
}

// Everything in sync on lab1 and lab2 (lab3 is gone from the manifest).
Plan InSyncPlan() {
  Plan plan;
  plan.project = "jl";
  plan.groups = {"product"};
  plan.noops = {{"lab1", "core", {"product"}, true}, {"lab2", "w1", {"product"}, false}};
  return plan;
}

DriftCheck CheckOf(const Plan& plan) {
  DriftCheck check;
  check.findings = DriftFindingsOf(plan);
  check.result = DriftResultOf(plan);
  check.summary = DriftSummaryOf(plan, check.findings);
  return check;
}

DriftCheckTiming Timing(std::optional<std::int64_t> previous_success = std::nullopt) {
  DriftCheckTiming t;
  t.checked_at = kCheckedAt;
  t.duration_seconds = 1.5;
  t.refresh_seconds = 0.75;
  t.previous_success_at = previous_success;
  return t;
}

ParsedExposition Parsed(const std::string& text) {
  auto parsed = ParseExposition(text);
  INFO(text);
  INFO(parsed.error);
  REQUIRE(parsed.error.empty());
  return parsed;
}

std::map<std::string, std::string> Containers(const std::string& group, const std::string& status) {
  return {{"project", "jl"}, {"group", group}, {"status", status}};
}

}  // namespace

TEST_CASE("a check's textfile counts each group's containers by status, zeros included",
          "[metrics][fleet]") {
  const Plan plan = ErrorPlan();
  auto p = Parsed(DriftCheckTextfile(plan, CheckOf(plan), Timing(1733000000)));
  CHECK(p.Value("jlrec_containers", Containers("product", "in_sync")) == 1);
  CHECK(p.Value("jlrec_containers", Containers("product", "drifted")) == 1);
  CHECK(p.Value("jlrec_containers", Containers("product", "failed")) == 1);
  CHECK(p.Value("jlrec_containers", Containers("product", "unknown")) == 1);
  CHECK(p.Value("jlrec_containers", Containers("test", "in_sync")) == 1);
  CHECK(p.Value("jlrec_containers", Containers("test", "drifted")) == 0);
  CHECK(p.Value("jlrec_containers", Containers("test", "failed")) == 1);
  CHECK(p.Value("jlrec_containers", Containers("test", "unknown")) == 0);
  CHECK(p.Named("jlrec_containers").size() == 8);
}

TEST_CASE(
    "a check that could not reach a host says error, which hosts were up and keeps the "
    "last success",
    "[metrics][fleet]") {
  const Plan plan = ErrorPlan();
  auto p = Parsed(DriftCheckTextfile(plan, CheckOf(plan), Timing(1733000000)));
  const std::map<std::string, std::string> jl = {{"project", "jl"}};
  CHECK(p.Value("jlrec_drift_check_last_timestamp_seconds", jl) == kCheckedAt);
  CHECK(p.Value("jlrec_drift_check_last_success_timestamp_seconds", jl) == 1733000000);
  CHECK(p.Value("jlrec_drift_check_duration_seconds", jl) == 1.5);
  CHECK(p.Value("jlrec_drift_check_result", {{"project", "jl"}, {"result", "error"}}) == 1);
  CHECK(p.Value("jlrec_drift_check_result", {{"project", "jl"}, {"result", "drift"}}) == 0);
  CHECK(p.Value("jlrec_drift_check_result", {{"project", "jl"}, {"result", "in_sync"}}) == 0);
  CHECK(p.Value("jlrec_drift_drifted_containers", jl) == 3);  // core, w1, the orphan
  CHECK(p.Value("jlrec_drift_unknown_containers", jl) == 1);
  CHECK(p.Value("jlrec_host_up", {{"project", "jl"}, {"host", "lab1"}}) == 1);
  CHECK(p.Value("jlrec_host_up", {{"project", "jl"}, {"host", "lab2"}}) == 1);
  CHECK(p.Value("jlrec_host_up", {{"project", "jl"}, {"host", "lab3"}}) == 0);
}

TEST_CASE("a textfile holds the gauges only, every one of them", "[metrics][fleet]") {
  const Plan plan = InSyncPlan();
  auto p = Parsed(DriftCheckTextfile(plan, CheckOf(plan), Timing()));
  std::vector<std::string> families;
  for (const auto& [name, type] : p.types) {
    CHECK(type == "gauge");
    families.push_back(name);
  }
  CHECK(families ==
        std::vector<std::string>{"jlrec_containers", "jlrec_drift_check_duration_seconds",
                                 "jlrec_drift_check_last_success_timestamp_seconds",
                                 "jlrec_drift_check_last_timestamp_seconds",
                                 "jlrec_drift_check_result", "jlrec_drift_drifted_containers",
                                 "jlrec_drift_unknown_containers", "jlrec_host_up"});
}

TEST_CASE("a check in sync or with drift is a success, an error is none", "[metrics][fleet]") {
  CHECK(DriftCheckSucceeded("in_sync"));
  CHECK(DriftCheckSucceeded("drift"));
  CHECK_FALSE(DriftCheckSucceeded("error"));
  const Plan plan = InSyncPlan();
  auto p = Parsed(DriftCheckTextfile(plan, CheckOf(plan), Timing(1)));
  CHECK(p.Value("jlrec_drift_check_last_success_timestamp_seconds", {{"project", "jl"}}) ==
        kCheckedAt);
  CHECK(p.Value("jlrec_drift_check_result", {{"project", "jl"}, {"result", "in_sync"}}) == 1);
  CHECK(p.Value("jlrec_drift_drifted_containers", {{"project", "jl"}}) == 0);
  CHECK(p.Value("jlrec_containers", Containers("product", "in_sync")) == 2);
  const Plan failed = ErrorPlan();
  auto none = Parsed(DriftCheckTextfile(failed, CheckOf(failed), Timing()));
  CHECK(none.Value("jlrec_drift_check_last_success_timestamp_seconds", {{"project", "jl"}}) == 0);
}

TEST_CASE("the last successful check is the newest in sync or drift one of the history",
          "[metrics][fleet]") {
  std::vector<DriftCheckRecord> history(4);
  history[0].result = "error";
  history[0].checked_at = 400;
  history[1].result = "drift";
  history[1].checked_at = 300;
  history[2].result = "in_sync";
  history[2].checked_at = 200;
  history[3].result = "error";
  history[3].checked_at = 100;
  CHECK(LastSuccessfulCheckAt(history) == 300);
  history.erase(history.begin() + 1, history.begin() + 3);
  CHECK_FALSE(LastSuccessfulCheckAt(history).has_value());
  CHECK_FALSE(LastSuccessfulCheckAt({}).has_value());
}

TEST_CASE("the hosts a check looked at are those of its containers and those it could not reach",
          "[metrics][fleet]") {
  CHECK(HostsLookedAt(ErrorPlan()) == std::vector<std::string>{"lab1", "lab2", "lab3"});
  Plan only_errors;
  only_errors.host_errors = {{"lab9", "timed out"}};
  CHECK(HostsLookedAt(only_errors) == std::vector<std::string>{"lab9"});
}

TEST_CASE("a server's metrics start at zero for every drift and apply result", "[metrics][fleet]") {
  MetricsRegistry r;
  REQUIRE(RegisterFleetMetrics(r, "jl").ok());
  REQUIRE(RegisterFleetMetrics(r, "jl").ok());  // idempotent
  auto p = Parsed(r.Exposition());
  for (const char* result : {"in_sync", "drift", "error"})
    CHECK(p.Value("jlrec_drift_checks_total", {{"project", "jl"}, {"result", result}}) == 0);
  for (const char* result : {"ok", "failed", "interrupted", "error"})
    CHECK(p.Value("jlrec_apply_runs_total", {{"project", "jl"}, {"result", result}}) == 0);
  CHECK(p.types["jlrec_drift_checks_total"] == "counter");
  CHECK(p.types.count("jlrec_containers") == 0);  // no gauge before the first check
}

TEST_CASE("a server's second check replaces the first one's gauges and adds to its counters",
          "[metrics][fleet]") {
  MetricsRegistry r;
  const Plan first = ErrorPlan(), second = InSyncPlan();
  Plan other = InSyncPlan();
  other.project = "other";
  REQUIRE(RecordDriftCheck(r, other, CheckOf(other), Timing()).ok());
  REQUIRE(RecordDriftCheck(r, first, CheckOf(first), Timing()).ok());
  DriftCheckTiming later = Timing();
  later.checked_at = kCheckedAt + 60;
  later.refresh_seconds = 400;  // past the last bucket
  REQUIRE(RecordDriftCheck(r, second, CheckOf(second), later).ok());
  auto p = Parsed(r.Exposition());

  CHECK(p.Value("jlrec_drift_check_last_timestamp_seconds", {{"project", "jl"}}) ==
        kCheckedAt + 60);
  CHECK_FALSE(p.Value("jlrec_host_up", {{"project", "jl"}, {"host", "lab3"}}));    // gone
  CHECK_FALSE(p.Value("jlrec_containers", Containers("test", "failed")));          // not checked
  CHECK(p.Value("jlrec_host_up", {{"project", "other"}, {"host", "lab1"}}) == 1);  // kept
  CHECK(p.Value("jlrec_drift_checks_total", {{"project", "jl"}, {"result", "error"}}) == 1);
  CHECK(p.Value("jlrec_drift_checks_total", {{"project", "jl"}, {"result", "in_sync"}}) == 1);
  CHECK(p.Value("jlrec_drift_checks_total", {{"project", "jl"}, {"result", "drift"}}) == 0);
  CHECK(p.Value("jlrec_host_errors_total", {{"project", "jl"}, {"host", "lab3"}}) == 1);
  CHECK(p.Value("jlrec_host_errors_total", {{"project", "jl"}, {"host", "lab1"}}) == 0);
  CHECK(p.Value("jlrec_refresh_duration_seconds_count", {{"project", "jl"}}) == 2);
  CHECK(p.Value("jlrec_refresh_duration_seconds_sum", {{"project", "jl"}}) == 400.75);
  CHECK(p.Value("jlrec_refresh_duration_seconds_bucket", {{"project", "jl"}, {"le", "0.05"}}) == 0);
  CHECK(p.Value("jlrec_refresh_duration_seconds_bucket", {{"project", "jl"}, {"le", "1"}}) == 1);
  CHECK(p.Value("jlrec_refresh_duration_seconds_bucket", {{"project", "jl"}, {"le", "300"}}) == 1);
  CHECK(p.Value("jlrec_refresh_duration_seconds_bucket", {{"project", "jl"}, {"le", "+Inf"}}) == 2);
}

TEST_CASE("a refresh is observed and counts the hosts it could not read", "[metrics][fleet]") {
  MetricsRegistry r;
  RefreshResult refresh;
  refresh.hosts.resize(2);
  refresh.hosts[0].host = "lab1";
  refresh.hosts[0].reachable = true;
  refresh.hosts[1].host = "lab2";
  refresh.hosts[1].error = "connect: Connection refused";
  REQUIRE(RecordRefresh(r, "jl", 0.2, refresh).ok());
  REQUIRE(RecordRefresh(r, "jl", 0.3, refresh).ok());
  auto p = Parsed(r.Exposition());
  CHECK(p.Value("jlrec_host_errors_total", {{"project", "jl"}, {"host", "lab1"}}) == 0);
  CHECK(p.Value("jlrec_host_errors_total", {{"project", "jl"}, {"host", "lab2"}}) == 2);
  CHECK(p.Value("jlrec_refresh_duration_seconds_count", {{"project", "jl"}}) == 2);
  CHECK(p.Value("jlrec_refresh_duration_seconds_bucket", {{"project", "jl"}, {"le", "0.25"}}) == 1);
}

TEST_CASE("an apply counts its run by result and each executable action by outcome",
          "[metrics][fleet]") {
  Plan plan;
  plan.project = "jl";
  plan.actions = {Entry("lab1", "a", ActionKind::kCreate, ReasonKind::kMissing),
                  Entry("lab1", "b", ActionKind::kReplace, ReasonKind::kSpecChanged),
                  Entry("lab1", "c", ActionKind::kUpdate, ReasonKind::kScriptChanged),
                  Entry("lab2", "d", ActionKind::kStart, ReasonKind::kStopped),
                  Entry("lab2", "e", ActionKind::kCreate, ReasonKind::kMissing),
                  Entry("lab2", "f", ActionKind::kConflict, ReasonKind::kUnmanaged)};
  ApplyReport report;
  report.run_id = 7;
  using S = ActionOutcome::State;
  report.result.outcomes.resize(6);
  report.result.outcomes[0].state = S::kSucceeded;
  report.result.outcomes[1].state = S::kFailed;
  report.result.outcomes[1].rolled_back = true;
  report.result.outcomes[2].state = S::kFailed;
  report.result.outcomes[3].state = S::kSkipped;
  report.result.outcomes[4].state = S::kNotStarted;
  report.result.outcomes[5].state = S::kSkipped;
  CHECK(std::string(ApplyRunResult(report)) == "failed");
  MetricsRegistry r;
  REQUIRE(RecordApply(r, plan, report).ok());

  ApplyReport ok;
  ok.run_id = 8;
  ok.complete = true;
  ok.result.outcomes.assign(6, ActionOutcome{});
  for (auto& o : ok.result.outcomes) o.state = S::kSucceeded;
  CHECK(std::string(ApplyRunResult(ok)) == "ok");
  REQUIRE(RecordApply(r, plan, ok).ok());
  ApplyReport never;  // the journal could not begin the run
  never.error = Status::IoError("disk full");
  CHECK(std::string(ApplyRunResult(never)) == "error");
  REQUIRE(RecordApply(r, plan, never).ok());
  ApplyReport stopped = ok;
  stopped.result.interrupted = true;
  CHECK(std::string(ApplyRunResult(stopped)) == "interrupted");

  auto p = Parsed(r.Exposition());
  const auto runs = [&](const char* result) {
    return p.Value("jlrec_apply_runs_total", {{"project", "jl"}, {"result", result}});
  };
  CHECK(runs("ok") == 1);
  CHECK(runs("failed") == 1);
  CHECK(runs("error") == 1);
  CHECK(runs("interrupted") == 0);
  const auto actions = [&](const char* action, const char* result) {
    return p.Value("jlrec_apply_actions_total",
                   {{"project", "jl"}, {"action", action}, {"result", result}});
  };
  CHECK(actions("create", "succeeded") == 3);  // a in both runs, e in the second
  CHECK(actions("replace", "rolled_back") == 1);
  CHECK(actions("replace", "succeeded") == 1);
  CHECK(actions("update", "failed") == 1);
  CHECK(actions("start", "skipped") == 1);
  CHECK(actions("create", "not_started") == 1);
  CHECK(p.Named("jlrec_apply_actions_total").size() == 8);  // no conflict counted
  CHECK_FALSE(actions("conflict", "skipped"));
}

TEST_CASE("every metric family is documented in docs/metrics.md", "[metrics][fleet]") {
  MetricsRegistry r;
  REQUIRE(RegisterFleetMetrics(r, "jl").ok());
  const Plan plan = ErrorPlan();
  REQUIRE(RecordDriftCheck(r, plan, CheckOf(plan), Timing()).ok());
  ApplyReport report;
  report.run_id = 1;
  report.result.outcomes.resize(plan.actions.size());
  REQUIRE(RecordApply(r, plan, report).ok());
  std::ifstream in(std::string(JLREC_SOURCE_DIR) + "/docs/metrics.md");
  std::stringstream doc;
  doc << in.rdbuf();
  auto p = Parsed(r.Exposition());
  CHECK(p.types.size() == 13);
  for (const auto& [family, type] : p.types) {
    INFO(family);
    CHECK(doc.str().find("`" + family + "`") != std::string::npos);
  }
}
