// Rollouts that never leave a container worse off (issue 13): a replace keeps the previous
// container until the new one passed its gate, an update keeps the previous /run.sh, and an
// interrupted replace is finished or undone from what the host shows.
#include <atomic>

#include <catch2/catch.hpp>

#include "apply_test_helpers.h"
#include "engine/apply_graph.h"
#include "engine/executor.h"

namespace jlrec {
namespace {

using std::chrono::milliseconds;
using testing::Action;
using testing::kImage;
using testing::LiveId;
using testing::MakePlan;
using testing::ProvidersFor;
using testing::SeedHosts;
using State = ActionOutcome::State;

constexpr const char* kOldScript = "#!/bin/sh\nexec sleep 3600  # old\n";

ApplyOptions FastOptions() { return testing::FastApplyOptions(); }

Healthcheck QuickCheck() {
  return Healthcheck{{"test", "-f", "/ready"}, milliseconds(50), milliseconds(1), 3};
}

// Applies `plan` on `hosts` (seeded by the caller) and returns the result.
ApplyResult Run(FakeProviderFactory& hosts, const Plan& plan, ApplyOptions o = FastOptions()) {
  Result<ApplyGraph> graph = BuildApplyGraph(plan);
  REQUIRE(graph.ok());
  return ExecutePlan(plan, *graph, ProvidersFor(hosts, plan), o, nullptr);
}

std::vector<std::string> Methods(FakeProviderFactory& hosts) {
  std::vector<std::string> out;
  for (const FakeCall& c : hosts.log().Calls())
    if (c.method != "InspectContainer" && c.method != "Exec" && c.method != "StatFile")
      out.push_back(c.method + " " + c.target.substr(0, 8) +
                    (c.args.empty() || c.method == "UploadFile" ? "" : " " + c.args[0]));
  return out;
}

TEST_CASE(
    "a replace whose new container fails its gate puts the previous one back, same id, "
    "running",
    "[rollout]") {
  PlanAction replace = Action(ActionKind::kReplace, "lab1/web");
  replace.desired->spec.healthcheck = QuickCheck();
  Plan plan = MakePlan({replace});
  FakeProviderFactory hosts;
  SeedHosts(hosts, plan);
  FakeProvider& lab1 = hosts.Host("lab1");
  lab1.SetExecHandler([](const std::string&, const std::vector<std::string>&) {
    return Result<int>(1);  // the new build never becomes healthy
  });
  ApplyResult r = Run(hosts, plan);
  REQUIRE(r.failed == 1);
  CHECK(r.rolled_back == 1);
  CHECK(r.outcomes[0].rolled_back);
  CHECK(r.outcomes[0].container_id == LiveId("lab1/web"));
  CHECK(r.outcomes[0].error.message().find("health check timed out") != std::string::npos);
  auto containers = lab1.Containers();
  REQUIRE(containers.size() == 1);
  CHECK(containers.begin()->first == "web");
  CHECK(containers.begin()->second.live.id == LiveId("lab1/web"));
  CHECK(containers.begin()->second.live.state == "running");
  CHECK(containers.begin()->second.files.at("/run.sh") == kOldScript);
  // The old container kept running until the new one existed, and came back last.
  const std::string old_id = LiveId("lab1/web").substr(0, 8);
  auto calls = Methods(hosts);
  REQUIRE(calls.size() == 10);
  CHECK(calls[0] == "HasImage 127.0.0.");
  CHECK(calls[1] == "RenameContainer " + old_id + " web.jlrec-prev");
  CHECK(calls[2].rfind("CreateContainer web", 0) == 0);
  CHECK(calls[3].rfind("UploadFile", 0) == 0);
  CHECK(calls[4].rfind("StopContainer " + old_id, 0) == 0);
  CHECK(calls[5].rfind("StartContainer", 0) == 0);
  CHECK(calls[6].rfind("StopContainer", 0) == 0);
  CHECK(calls[7].rfind("RemoveContainer", 0) == 0);
  CHECK(calls[8] == "RenameContainer " + old_id + " web");
  CHECK(calls[9] == "StartContainer " + old_id);
}

TEST_CASE(
    "a replace that cannot create the new container renames the previous one back "
    "without stopping it",
    "[rollout]") {
  Plan plan = MakePlan({Action(ActionKind::kReplace, "lab1/web")});
  FakeProviderFactory hosts;
  SeedHosts(hosts, plan);
  hosts.Host("lab1").FailAlways("CreateContainer", "web", Status::RemoteError("no space left"));
  ApplyResult r = Run(hosts, plan);
  REQUIRE(r.failed == 1);
  CHECK(r.outcomes[0].rolled_back);
  CHECK(hosts.log().Count("StopContainer") == 0);
  auto w = hosts.Host("lab1").Container("web");
  REQUIRE(w);
  CHECK(w->live.id == LiveId("lab1/web"));
  CHECK(w->live.state == "running");
  CHECK_FALSE(hosts.Host("lab1").Container("web.jlrec-prev"));
}

TEST_CASE("a replace that succeeds leaves only the new container", "[rollout]") {
  PlanAction replace = Action(ActionKind::kReplace, "lab1/web");
  replace.desired->spec.healthcheck = QuickCheck();
  Plan plan = MakePlan({replace});
  FakeProviderFactory hosts;
  SeedHosts(hosts, plan);
  ApplyResult r = Run(hosts, plan);
  REQUIRE(r.succeeded == 1);
  auto containers = hosts.Host("lab1").Containers();
  REQUIRE(containers.size() == 1);
  CHECK(containers.begin()->second.live.id != LiveId("lab1/web"));
  CHECK(containers.begin()->second.live.spec.healthcheck == QuickCheck());
}

TEST_CASE("an update whose gate fails puts the previous /run.sh back and restarts", "[rollout]") {
  PlanAction update = Action(ActionKind::kUpdate, "lab1/web");
  update.desired->spec.healthcheck = QuickCheck();
  update.live->script_digest = ScriptDigest("", kOldScript);
  Plan plan = MakePlan({update});
  FakeProviderFactory hosts;
  SeedHosts(hosts, plan);
  FakeProvider& lab1 = hosts.Host("lab1");
  lab1.SetExecHandler(
      [](const std::string&, const std::vector<std::string>&) { return Result<int>(1); });
  ApplyResult r = Run(hosts, plan);
  REQUIRE(r.failed == 1);
  CHECK(r.outcomes[0].rolled_back);
  auto w = lab1.Container("web");
  REQUIRE(w);
  CHECK(w->live.id == LiveId("lab1/web"));
  CHECK(w->files.at("/run.sh") == kOldScript);
  CHECK(w->files.at("/run.sh.jlrec-prev") == kOldScript);
  CHECK(w->live.state == "running");
  CHECK(hosts.log().Count("RestartContainer") == 2);
}

TEST_CASE("an update that succeeds keeps the previous /run.sh beside the new one", "[rollout]") {
  PlanAction update = Action(ActionKind::kUpdate, "lab1/web");
  update.live->script_digest = ScriptDigest("", kOldScript);
  Plan plan = MakePlan({update});
  FakeProviderFactory hosts;
  SeedHosts(hosts, plan);
  ApplyResult r = Run(hosts, plan);
  REQUIRE(r.succeeded == 1);
  auto w = hosts.Host("lab1").Container("web");
  CHECK(w->files.at("/run.sh") == update.desired->script);
  CHECK(w->files.at("/run.sh.jlrec-prev") == kOldScript);
  CHECK(hosts.log().Count("RestartContainer") == 1);
}

TEST_CASE("an update of a container whose /run.sh is already the wanted one only restarts it",
          "[rollout]") {
  PlanAction update = Action(ActionKind::kUpdate, "lab1/web");
  update.reason_kind = ReasonKind::kRestartPending;
  update.live->script_digest = update.desired->script_digest;
  Plan plan = MakePlan({update});
  FakeProviderFactory hosts;
  SeedHosts(hosts, plan);
  ApplyResult r = Run(hosts, plan);
  REQUIRE(r.succeeded == 1);
  CHECK(hosts.log().Count("UploadFile") == 0);
  CHECK(hosts.log().Count("ReadFile") == 0);
  CHECK(hosts.log().Count("RestartContainer") == 1);
}

// An interrupted replace as the diff plans it: `previous` is NAME.jlrec-prev, `fresh` (if any)
// what stands under the name.
PlanAction Interrupted(FakeProviderFactory& hosts, bool with_new, bool new_is_wanted) {
  PlanAction a = Action(ActionKind::kReplace, "lab1/web");
  a.reason_kind = ReasonKind::kInterrupted;
  FakeProvider& lab1 = hosts.Host("lab1");
  lab1.AddImage(kImage);
  FakeContainer prev;
  prev.live = *a.live;
  prev.live.id = "prev-id";
  prev.live.name = "web.jlrec-prev";
  prev.files["/run.sh"] = kOldScript;
  lab1.AddContainer(prev);
  a.previous = prev.live;
  a.live.reset();
  if (with_new) {
    FakeContainer fresh;
    fresh.live.id = "new-id";
    fresh.live.name = "web";
    fresh.live.spec = a.desired->spec;
    fresh.live.state = "created";
    fresh.live.jlrec_labels = {{labels::kProject, "jl"},
                               {labels::kSpecDigest, new_is_wanted ? a.desired->spec_digest : "x"}};
    fresh.live.script_digest = a.desired->script_digest;
    fresh.files["/run.sh"] = a.desired->script;
    lab1.AddContainer(fresh);
    a.live = fresh.live;
  }
  return a;
}

TEST_CASE("an interrupted replace is finished from what the host shows", "[rollout]") {
  FakeProviderFactory hosts;
  SECTION("only the previous container is left: the new one is made, the previous removed") {
    Plan plan = MakePlan({Interrupted(hosts, false, false)});
    ApplyResult r = Run(hosts, plan);
    REQUIRE(r.succeeded == 1);
    CHECK(hosts.log().Count("RenameContainer") == 0);
    auto containers = hosts.Host("lab1").Containers();
    REQUIRE(containers.size() == 1);
    CHECK(containers.begin()->first == "web");
    CHECK(containers.begin()->second.live.state == "running");
  }
  SECTION("the new container was made: it is started, not made again") {
    Plan plan = MakePlan({Interrupted(hosts, true, true)});
    ApplyResult r = Run(hosts, plan);
    REQUIRE(r.succeeded == 1);
    CHECK(hosts.log().Count("CreateContainer") == 0);
    auto containers = hosts.Host("lab1").Containers();
    REQUIRE(containers.size() == 1);
    CHECK(containers.begin()->second.live.id == "new-id");
    CHECK(containers.begin()->second.live.state == "running");
  }
  SECTION("a new container made for another spec is removed and made again") {
    Plan plan = MakePlan({Interrupted(hosts, true, false)});
    ApplyResult r = Run(hosts, plan);
    REQUIRE(r.succeeded == 1);
    CHECK(hosts.log().Count("CreateContainer") == 1);
    auto containers = hosts.Host("lab1").Containers();
    REQUIRE(containers.size() == 1);
    CHECK(containers.begin()->second.live.id != "new-id");
  }
  SECTION("the new one fails its gate: the previous one is back under its name") {
    PlanAction a = Interrupted(hosts, true, true);
    a.desired->spec.healthcheck = QuickCheck();
    hosts.Host("lab1").SetExecHandler(
        [](const std::string&, const std::vector<std::string>&) { return Result<int>(1); });
    Plan plan = MakePlan({a});
    ApplyResult r = Run(hosts, plan);
    REQUIRE(r.failed == 1);
    CHECK(r.outcomes[0].rolled_back);
    auto containers = hosts.Host("lab1").Containers();
    REQUIRE(containers.size() == 1);
    CHECK(containers.begin()->first == "web");
    CHECK(containers.begin()->second.live.id == "prev-id");
    CHECK(containers.begin()->second.live.state == "running");
  }
}

TEST_CASE("the fault-injection seam sees each step of a replace before its call", "[rollout]") {
  PlanAction replace = Action(ActionKind::kReplace, "lab1/web");
  replace.desired->spec.healthcheck = QuickCheck();
  Plan plan = MakePlan({replace});
  FakeProviderFactory hosts;
  SeedHosts(hosts, plan);
  std::vector<std::string> steps;
  std::mutex mu;
  ApplyOptions o = FastOptions();
  o.before_step = [&](const std::string& step) {
    std::lock_guard lock(mu);
    steps.push_back(step);
  };
  REQUIRE(Run(hosts, plan, o).succeeded == 1);
  CHECK(steps == std::vector<std::string>{"rename previous", "create", "upload /run.sh",
                                          "stop previous", "start", "wait for running",
                                          "health check", "remove previous"});
}

}  // namespace
}  // namespace jlrec
