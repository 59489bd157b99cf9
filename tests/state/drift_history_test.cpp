// Drift check history: each check with its findings, listed newest first.
#include <catch2/catch.hpp>

#include "state/state_test_support.h"

namespace jlrec {
namespace {

DriftCheckRecord Check(std::int64_t at, const std::string& result,
                       std::vector<DriftFinding> findings = {}) {
  DriftCheckRecord check;
  check.project = "demo";
  check.groups = {"product"};
  check.checked_at = at;
  check.result = result;
  check.detail = result + " at " + std::to_string(at);
  check.findings = std::move(findings);
  return check;
}

TEST_CASE("drift checks are recorded with their findings and listed newest first",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  const std::vector<DriftFinding> findings = {{"h1/master", "stopped", "exited (137)"},
                                              {"h2/worker", "script_changed", "sha256 abc != def"},
                                              {"h3", "unknown", "connect: connection refused"}};
  auto first = store->RecordDriftCheck(Check(100, "in_sync"));
  auto second = store->RecordDriftCheck(Check(200, "drift", findings));
  auto third = store->RecordDriftCheck(Check(300, "in_sync"));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(third.ok());

  auto checks = store->ListDriftChecks("demo", 0, 0);
  REQUIRE(checks.ok());
  REQUIRE(checks->size() == 3);
  CHECK(checks->at(0).id == *third);
  CHECK(checks->at(0).findings.empty());
  const DriftCheckRecord& drift = checks->at(1);
  CHECK(drift.id == *second);
  CHECK(drift.project == "demo");
  CHECK(drift.groups == std::vector<std::string>{"product"});
  CHECK(drift.checked_at == 200);
  CHECK(drift.result == "drift");
  CHECK(drift.detail == "drift at 200");
  CHECK(drift.findings == findings);

  auto since = store->ListDriftChecks("demo", 200, 0);
  REQUIRE(since.ok());
  CHECK(since->size() == 2);
  auto limited = store->ListDriftChecks("demo", 0, 1);
  REQUIRE(limited.ok());
  REQUIRE(limited->size() == 1);
  CHECK(limited->at(0).checked_at == 300);
  auto other = store->ListDriftChecks("other", 0, 0);
  REQUIRE(other.ok());
  CHECK(other->empty());
}

TEST_CASE("a drift check with an unknown result is refused and nothing is recorded",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  auto refused = store->RecordDriftCheck(Check(100, "maybe", {{"h1/a", "missing", ""}}));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  CHECK(store->ListDriftChecks("demo", 0, 0)->empty());
}

TEST_CASE("a drift check recorded with no time gets the current time", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->RecordDriftCheck(Check(0, "error")).ok());
  auto checks = store->ListDriftChecks("demo", 0, 0);
  REQUIRE(checks.ok());
  REQUIRE(checks->size() == 1);
  CHECK(checks->at(0).checked_at > 1700000000);
}

}  // namespace
}  // namespace jlrec
