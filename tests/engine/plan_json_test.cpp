// Reading a saved plan (`apply --plan FILE`): a document jlrec did not write is refused as
// malformed, whatever its numbers hold.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "engine/plan_json.h"

namespace jlrec {
namespace {

using nlohmann::json;

json SavedPlan() {
  Plan plan;
  plan.project = "p";
  plan.manifest_digest = "d";
  PlanAction a;
  a.kind = ActionKind::kReplace;
  a.reason_kind = ReasonKind::kFailed;
  a.reason_facts.now = ReasonKind::kRestartLoop;
  a.reason_facts.exit_code = 1;
  a.reason_facts.restart_count = 2;
  a.host = "h1";
  a.name = "c1";
  a.failure = ActionFailure{"h1", "c1", "replace", "id", "s", "t", "why", false, 3, 4};
  plan.actions.push_back(a);
  return PlanToJson(plan, false);
}

// Found by tests/fuzz/plan_json_fuzzer (corpus: regress-format-version-float): a number
// out of an int's range was converted anyway, which is undefined behaviour.
TEST_CASE("saved plan integers that are fractions or out of range are a malformed document") {
  REQUIRE(PlanFromJson(SavedPlan()).ok());
  const std::pair<json::json_pointer, json> wrong[] = {
      {json::json_pointer("/format_version"), 3.33333e121},
      {json::json_pointer("/format_version"), 1.5},
      {json::json_pointer("/format_version"), 4294967297},
      {json::json_pointer("/oldest_observation"), 1e300},
      {json::json_pointer("/actions/0/failure/run_id"), -1e300},
      {json::json_pointer("/actions/0/failure/failed_at"), 0.5},
      {json::json_pointer("/actions/0/reason_facts/exit_code"), 2147483648},
      {json::json_pointer("/actions/0/reason_facts/restart_count"), 1e10},
      {json::json_pointer("/actions/0/reason_facts/stopped_run"), 18446744073709551615u},
  };
  for (const auto& [where, value] : wrong) {
    json doc = SavedPlan();
    doc[where] = value;
    INFO(where.to_string() << " = " << value.dump());
    auto plan = PlanFromJson(doc);
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.status().code() == Status::Code::kInvalidArgument);
    CHECK(plan.status().message().find(where.back()) != std::string::npos);
  }
}

}  // namespace
}  // namespace jlrec
