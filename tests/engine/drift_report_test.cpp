// Drift findings and their summary: what differs, and what could not be seen, counted apart.
#include <catch2/catch.hpp>

#include "engine/drift_report.h"

namespace jlrec {
namespace {

PlanAction Entry(const std::string& host, const std::string& name, ActionKind kind,
                 ReasonKind reason) {
  PlanAction a;
  a.host = host;
  a.name = name;
  a.groups = {"product"};
  a.kind = kind;
  a.reason_kind = reason;
  return a;
}

// h1 reachable with one container stopped and one unchanged; h2 and h3 unreachable.
Plan TwoHostsDown() {
  Plan plan;
  plan.project = "jl";
  plan.actions = {Entry("h1", "core", ActionKind::kStart, ReasonKind::kStopped),
                  Entry("h2", "w1", ActionKind::kUnknown, ReasonKind::kHostUnreachable),
                  Entry("h3", "w2", ActionKind::kUnknown, ReasonKind::kHostUnreachable),
                  Entry("h3", "w3", ActionKind::kUnknown, ReasonKind::kHostUnreachable)};
  plan.host_errors = {{"h2", "connect: Connection refused"}, {"h3", "timed out"}};
  plan.noops = {{}};
  return plan;
}

}  // namespace

TEST_CASE("containers of unreachable hosts are unknown, not drifted", "[drift]") {
  Plan plan = TwoHostsDown();
  DriftFindings findings = DriftFindingsOf(plan);
  REQUIRE(findings.drifted.size() == 1);
  CHECK(findings.drifted[0].kind == "stopped");
  REQUIRE(findings.unknown.size() == 3);
  for (const auto& u : findings.unknown) CHECK(u.kind == "unknown");
  CHECK(DriftResultOf(plan) == "error");
  CHECK(DriftSummaryOf(plan, findings) ==
        "error: 1 drifted, 3 unknown (hosts h2, h3 unreachable), 1 in sync");
  auto json = DriftReportToJson(plan, findings, 1700000000);
  CHECK(json["summary"]["drifted"] == 1);
  CHECK(json["summary"]["unknown"] == 3);
  CHECK(json["findings"].size() == 1);
  CHECK(json["unknown"].size() == 3);
  CHECK(json["host_errors"].size() == 2);
}

TEST_CASE("one unreachable host is named with its reason in the drift summary", "[drift]") {
  Plan plan = TwoHostsDown();
  plan.actions.resize(2);
  plan.host_errors.resize(1);
  CHECK(
      DriftSummaryOf(plan, DriftFindingsOf(plan)) ==
      "error: 1 drifted, 1 unknown (host h2 unreachable: connect: Connection refused), 1 in sync");
}

TEST_CASE("a drift summary without unreachable hosts does not mention unknowns", "[drift]") {
  Plan plan = TwoHostsDown();
  plan.actions.resize(1);
  plan.host_errors.clear();
  CHECK(DriftSummaryOf(plan, DriftFindingsOf(plan)) == "drift: 1 drifted, 1 in sync");
  plan.actions.clear();
  CHECK(DriftSummaryOf(plan, DriftFindingsOf(plan)) == "in sync: 0 drifted, 1 in sync");
  CHECK(DriftReportToJson(plan, DriftFindingsOf(plan), 0)["summary"]["unknown"] == 0);
}

}  // namespace jlrec
