// Adopting a container made outside jlrec changes nothing on its host (issue 14).
#include <catch2/catch.hpp>

#include "apply_test_helpers.h"
#include "engine/apply_graph.h"
#include "engine/executor.h"

namespace jlrec {
namespace {

using testing::Action;
using testing::FastApplyOptions;
using testing::MakePlan;
using testing::ProvidersFor;
using testing::SeedHosts;

PlanAction Adopt(const std::string& ref) {
  PlanAction a = Action(ActionKind::kAdopt, ref);
  a.adopt = true;
  a.live->jlrec_labels.clear();  // the legacy script's container: no label
  return a;
}

ApplyResult Run(FakeProviderFactory& hosts, const Plan& plan) {
  Result<ApplyGraph> graph = BuildApplyGraph(plan);
  REQUIRE(graph.ok());
  return ExecutePlan(plan, *graph, ProvidersFor(hosts, plan), FastApplyOptions(), nullptr);
}

TEST_CASE("an adoption makes no host-changing call", "[adopt]") {
  Plan plan = MakePlan({Adopt("lab1/legacy")});
  FakeProviderFactory hosts;
  SeedHosts(hosts, plan);
  ApplyResult r = Run(hosts, plan);
  CHECK(r.succeeded == 1);
  CHECK(r.mutating_calls == 0);
  CHECK(hosts.log().MutatingCalls() == 0);
  CHECK(hosts.log().Count("InspectContainer") == 1);
}

TEST_CASE("an adoption fails when the container got jlrec labels since the plan", "[adopt]") {
  Plan plan = MakePlan({Adopt("lab1/legacy")});
  FakeProviderFactory hosts;
  SeedHosts(hosts, plan);
  FakeContainer c = *hosts.Host("lab1").Container("legacy");
  c.live.jlrec_labels[labels::kProject] = "someone";
  hosts.Host("lab1").AddContainer(c);
  ApplyResult r = Run(hosts, plan);
  REQUIRE(r.failed == 1);
  CHECK(r.outcomes[0].error.code() == Status::Code::kConflict);
}

}  // namespace
}  // namespace jlrec
