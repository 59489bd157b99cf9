#include "engine/executor.h"

#include <atomic>
#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "apply_test_helpers.h"
#include "engine/rolling_budget.h"

namespace jlrec {
namespace {

using std::chrono::milliseconds;
using testing::Action;
using testing::kImage;
using testing::LiveId;
using testing::MakePlan;
using testing::ProvidersFor;
using testing::RecordingObserver;
using testing::SeedHosts;
using State = ActionOutcome::State;

constexpr auto kWait = std::chrono::seconds(10);  // only ever reached when a test fails

// Options with short gates so failing gates end quickly; no test asserts on time.
ApplyOptions FastOptions() { return testing::FastApplyOptions(); }

// A plan with its graph, applied on fake hosts seeded with what the plan saw.
struct Fixture {
  explicit Fixture(Plan p, bool with_image = true) : plan(std::move(p)) {
    SeedHosts(hosts, plan, with_image);
    Result<ApplyGraph> g = BuildApplyGraph(plan);
    REQUIRE(g.ok());
    graph = std::move(g).value();
    providers = ProvidersFor(hosts, plan);
  }
  ApplyResult Apply(const ApplyOptions& options = FastOptions()) {
    return ExecutePlan(plan, graph, providers, options, &observer);
  }
  // Runs Apply on another thread so the test can steer held calls meanwhile.
  std::future<ApplyResult> ApplyAsync(ApplyOptions options = FastOptions()) {
    return std::async(std::launch::async, [this, options] { return Apply(options); });
  }
  const ActionOutcome& Outcome(const ApplyResult& r, const std::string& ref) const {
    for (std::size_t i = 0; i < plan.actions.size(); ++i)
      if (plan.actions[i].Ref() == ref) return r.outcomes.at(i);
    FAIL("no action on " << ref);
    return r.outcomes.at(0);
  }
  FakeCallLog& log() { return hosts.log(); }
  // Calls the executor made for `ref`, in order, as "Method" strings.
  std::vector<std::string> MethodsFor(const std::string& ref) {
    std::vector<std::string> out;
    const std::string host = ref.substr(0, ref.find('/'));
    const std::string name = ref.substr(ref.find('/') + 1);
    for (const FakeCall& c : log().Calls())
      if (c.host == host && c.container == name) out.push_back(c.method);
    return out;
  }
  // The first call entry and last call return recorded for container `ref`.
  std::pair<std::uint64_t, std::uint64_t> Span(const std::string& ref) {
    const std::string host = ref.substr(0, ref.find('/'));
    const std::string name = ref.substr(ref.find('/') + 1);
    std::uint64_t first = UINT64_MAX, last = 0;
    for (const FakeCall& c : log().Calls())
      if (c.host == host && c.container == name) {
        first = std::min(first, c.seq);
        last = std::max(last, c.end_seq);
      }
    return {first, last};
  }

  Plan plan;
  FakeProviderFactory hosts;
  ApplyGraph graph;
  std::map<std::string, Provider*> providers;
  RecordingObserver observer;
};

TEST_CASE("an empty plan makes no call and no change", "[executor]") {
  Fixture f(MakePlan({}));
  ApplyResult r = f.Apply();
  CHECK(r.outcomes.empty());
  CHECK(r.mutating_calls == 0);
  CHECK(r.succeeded + r.failed + r.skipped + r.not_started == 0);
  CHECK_FALSE(r.interrupted);
  CHECK(r.error.ok());
  CHECK(f.log().Calls().empty());
}

TEST_CASE(
    "create pulls the image, creates with the jlrec labels, uploads /run.sh, starts "
    "and waits for running",
    "[executor]") {
  PlanAction create =
      Action(ActionKind::kCreate, "lab1/jl_core_1", /*core=*/true, {"product_2", "product"});
  Fixture f(MakePlan({create}), /*with_image=*/false);
  ApplyResult r = f.Apply();
  REQUIRE(r.succeeded == 1);

  CHECK(f.MethodsFor("lab1/jl_core_1") == std::vector<std::string>{"CreateContainer", "UploadFile",
                                                                   "StartContainer",
                                                                   "InspectContainer"});
  CHECK(f.log().Count("HasImage") == 1);
  CHECK(f.log().Count("PullImage") == 1);
  CHECK(r.mutating_calls == 4);  // pull, create, upload, start
  CHECK(r.mutating_calls == f.log().MutatingCalls());

  std::optional<FakeContainer> c = f.hosts.Host("lab1").Container("jl_core_1");
  REQUIRE(c);
  CHECK(r.outcomes[0].container_id == c->live.id);
  CHECK(c->live.state == "running");
  CHECK(c->live.spec == create.desired->spec);
  CHECK(c->files.at("/run.sh") == create.desired->script);
  CHECK(c->file_modes.at("/run.sh") == 0755);
  CHECK(c->live.jlrec_labels == std::map<std::string, std::string>{
                                    {labels::kProject, "jl"},
                                    {labels::kGroups, "product,product_2"},
                                    {labels::kUnit, "lab1/jl_core_1"},
                                    {labels::kHost, "lab1"},
                                    {labels::kCore, "true"},
                                    {labels::kSpecDigest, create.desired->spec_digest},
                                    {labels::kScriptDigest, create.desired->script_digest},
                                    {labels::kVersion, "9.9.9"},
                                });
}

TEST_CASE(
    "replace pulls first, keeps the old container renamed while the new one starts, "
    "then removes it",
    "[executor]") {
  Fixture f(MakePlan({Action(ActionKind::kReplace, "lab1/w")}), /*with_image=*/false);
  ApplyResult r = f.Apply();
  REQUIRE(r.succeeded == 1);
  std::vector<FakeCall> calls = f.log().Calls();
  std::vector<std::string> methods;
  for (const auto& c : calls) methods.push_back(c.method);
  CHECK(methods == std::vector<std::string>{
                       "HasImage", "PullImage", "RenameContainer", "CreateContainer", "UploadFile",
                       "StopContainer", "StartContainer", "InspectContainer", "RemoveContainer"});
  CHECK(calls[2].target == LiveId("lab1/w"));
  CHECK(calls[2].args == std::vector<std::string>{"w.jlrec-prev"});
  CHECK(calls[5].target == LiveId("lab1/w"));  // the old one stops only once the new one exists
  CHECK(calls[8].target == LiveId("lab1/w"));
  const std::string new_id = f.hosts.Host("lab1").Container("w")->live.id;
  CHECK(new_id != LiveId("lab1/w"));
  CHECK(r.outcomes[0].container_id == new_id);
  CHECK_FALSE(f.hosts.Host("lab1").Container("w.jlrec-prev"));
}

TEST_CASE("a pull failure leaves the container to be replaced running", "[executor]") {
  Fixture f(MakePlan({Action(ActionKind::kReplace, "lab1/w")}), /*with_image=*/false);
  f.hosts.Host("lab1").FailAlways("PullImage", kImage,
                                  Status::RemoteError("manifest unknown: no such tag"));
  ApplyResult r = f.Apply();
  CHECK(r.failed == 1);
  CHECK(f.hosts.Host("lab1").Container("w")->live.state == "running");
  CHECK(f.log().Count("StopContainer") == 0);
}

TEST_CASE("update uploads /run.sh and restarts in place, keeping the container id", "[executor]") {
  PlanAction update = Action(ActionKind::kUpdate, "lab1/w");
  Fixture f(MakePlan({update}));
  ApplyResult r = f.Apply();
  REQUIRE(r.succeeded == 1);
  CHECK(f.MethodsFor("lab1/w") ==
        std::vector<std::string>{"UploadFile", "RestartContainer", "InspectContainer"});
  std::optional<FakeContainer> c = f.hosts.Host("lab1").Container("w");
  CHECK(c->live.id == LiveId("lab1/w"));
  CHECK(c->files.at("/run.sh") == update.desired->script);
  CHECK(r.outcomes[0].container_id == LiveId("lab1/w"));
  CHECK(r.mutating_calls == 2);
}

TEST_CASE("start only starts and waits, remove only stops and removes", "[executor]") {
  Fixture f(
      MakePlan({Action(ActionKind::kStart, "lab1/s"), Action(ActionKind::kRemove, "lab2/old")}));
  ApplyResult r = f.Apply();
  REQUIRE(r.succeeded == 2);
  CHECK(f.MethodsFor("lab1/s") == std::vector<std::string>{"StartContainer", "InspectContainer"});
  CHECK(f.MethodsFor("lab2/old") == std::vector<std::string>{"StopContainer", "RemoveContainer"});
  CHECK_FALSE(f.hosts.Host("lab2").Container("old"));
  CHECK(r.mutating_calls == 3);
}

TEST_CASE("a pinned digest is what apply pulls and runs", "[executor]") {
  PlanAction create = Action(ActionKind::kCreate, "lab1/w");
  create.pinned_image = "127.0.0.1:5000/jlrec-lab/base@sha256:abcd";
  Fixture f(MakePlan({create}));
  ApplyResult r = f.Apply();
  REQUIRE(r.succeeded == 1);
  CHECK(f.log().CallsTo("PullImage").at(0).target == create.pinned_image);
  CHECK(f.hosts.Host("lab1").Container("w")->live.spec.image == create.pinned_image);
}

// Core on lab1, workers spread over three hosts, listed before the core in the plan.
Plan CoreAndWorkers(ActionKind kind) {
  return MakePlan({Action(kind, "lab2/jl_slave_1"), Action(kind, "lab3/jl_slave_2"),
                   Action(kind, "lab1/jl_slave_3"), Action(kind, "lab1/jl_core_1", true),
                   Action(kind, "lab2/jl_slave_4")});
}

TEST_CASE("the core is up before any worker is touched, whatever the parallelism", "[executor]") {
  const int parallelism = GENERATE(1, 2, 10);
  const ActionKind kind = GENERATE(ActionKind::kCreate, ActionKind::kReplace, ActionKind::kUpdate);
  CAPTURE(parallelism, ActionName(kind));
  Fixture f(CoreAndWorkers(kind));
  ApplyOptions options = FastOptions();
  options.parallelism = parallelism;
  options.max_unavailable["product"] = "100%";
  ApplyResult r = f.Apply(options);
  REQUIRE(r.succeeded == 5);
  // Every call for the core (through its gate) returned before any worker call began,
  // so the core is never down at the same time as a worker.
  const std::uint64_t core_done = f.Span("lab1/jl_core_1").second;
  for (const char* w : {"lab2/jl_slave_1", "lab3/jl_slave_2", "lab1/jl_slave_3", "lab2/jl_slave_4"})
    CHECK(f.Span(w).first > core_done);
  CHECK(f.observer.events().front() == "start lab1/jl_core_1");
}

TEST_CASE("no more than max_per_host actions run on one host at once", "[executor]") {
  std::vector<PlanAction> actions;
  for (int i = 0; i < 6; ++i) {
    actions.push_back(Action(ActionKind::kCreate, "lab1/w" + std::to_string(i)));
    actions.push_back(Action(ActionKind::kCreate, "lab2/w" + std::to_string(i)));
  }
  Fixture f(MakePlan(actions));
  ApplyOptions options = FastOptions();
  options.max_per_host = 2;
  // Creates wait for each other in fours: with 2 per host on 2 hosts, every batch fills, so
  // the limit is reached, and an executor exceeding it would show up in the counts.
  f.log().SetRendezvous("CreateContainer", 4);
  ApplyResult r = f.Apply(options);
  CHECK(r.succeeded == 12);
  CHECK(f.log().RendezvousTimeouts() == 0);
  CHECK(f.observer.MaxRunning("lab1") == 2);
  CHECK(f.observer.MaxRunning("lab2") == 2);
  CHECK(f.log().MaxConcurrent("lab1") == 2);
  CHECK(f.log().MaxConcurrent("lab2") == 2);
}

TEST_CASE("no more than parallelism actions run at once overall", "[executor]") {
  std::vector<PlanAction> actions;
  for (int i = 0; i < 3; ++i)
    for (const char* host : {"lab1", "lab2", "lab3"})
      actions.push_back(Action(ActionKind::kCreate, std::string(host) + "/w" + std::to_string(i)));
  Fixture f(MakePlan(actions));
  ApplyOptions options = FastOptions();
  options.parallelism = 3;
  f.log().SetRendezvous("CreateContainer", 3);
  ApplyResult r = f.Apply(options);
  CHECK(r.succeeded == 9);
  CHECK(f.log().RendezvousTimeouts() == 0);
  CHECK(f.observer.MaxRunningTotal() == 3);
  CHECK(f.log().MaxConcurrent() == 3);
}

TEST_CASE("a failure skips the failed action's dependents, independent branches go on",
          "[executor]") {
  Plan plan = MakePlan({Action(ActionKind::kCreate, "lab1/core_a", true, {"a"}),
                        Action(ActionKind::kCreate, "lab2/worker_a", false, {"a"}),
                        Action(ActionKind::kCreate, "lab3/worker_a2", false, {"a"}),
                        Action(ActionKind::kCreate, "lab1/core_b", true, {"b"}),
                        Action(ActionKind::kCreate, "lab2/worker_b", false, {"b"})});
  plan.actions[4].desired->depends_on = {"lab3/worker_a2"};  // b's worker needs a's too
  Plan independent = plan;
  independent.actions.push_back(Action(ActionKind::kCreate, "lab3/worker_c", false, {"c"}));
  Fixture f(independent);
  f.hosts.Host("lab1").FailAlways("StartContainer", "core_a",
                                  Status::RemoteError("OCI runtime "
                                                      "create failed"));
  ApplyResult r = f.Apply();
  CHECK(f.Outcome(r, "lab1/core_a").state == State::kFailed);
  CHECK(f.Outcome(r, "lab1/core_a").error.message() == "start: OCI runtime create failed");
  for (const char* ref : {"lab2/worker_a", "lab3/worker_a2", "lab2/worker_b"}) {
    CAPTURE(ref);
    CHECK(f.Outcome(r, ref).state == State::kSkipped);
    CHECK(f.Outcome(r, ref).error.message() == "dependency failed: lab1/core_a");
    CHECK(f.MethodsFor(ref).empty());
  }
  CHECK(f.Outcome(r, "lab1/core_b").state == State::kSucceeded);
  CHECK(f.Outcome(r, "lab3/worker_c").state == State::kSucceeded);
  CHECK(r.succeeded == 2);
  CHECK(r.failed == 1);
  CHECK(r.skipped == 3);
  CHECK(r.not_started == 0);
  // The observer hears exactly one end per action.
  for (const auto& [ref, n] : f.observer.ends()) CHECK(n == 1);
  CHECK(f.observer.ends().size() == 6);
}

TEST_CASE("fail-fast starts nothing new after the first failure", "[executor]") {
  Fixture f(MakePlan({Action(ActionKind::kUpdate, "lab1/a", false, {"a"}),
                      Action(ActionKind::kUpdate, "lab1/b", false, {"b"}),
                      Action(ActionKind::kUpdate, "lab2/c", false, {"c"})}));
  f.hosts.Host("lab1").FailNext("UploadFile", Status::Unavailable("ssh: connection reset"));
  ApplyOptions options = FastOptions();
  options.parallelism = 1;
  options.fail_fast = true;
  ApplyResult r = f.Apply(options);
  CHECK(r.failed == 1);
  CHECK(r.not_started == 2);
  CHECK(f.Outcome(r, "lab1/b").error.message() == "not started: fail-fast after lab1/a failed");
  CHECK(f.log().Count("UploadFile") == 1);
  CHECK_FALSE(r.interrupted);
}

TEST_CASE("without fail-fast the other actions still run after a failure", "[executor]") {
  Fixture f(MakePlan({Action(ActionKind::kUpdate, "lab1/a", false, {"a"}),
                      Action(ActionKind::kUpdate, "lab1/b", false, {"b"})}));
  f.hosts.Host("lab1").FailNext("UploadFile", Status::Unavailable("ssh: connection reset"));
  ApplyOptions options = FastOptions();
  options.parallelism = 1;
  ApplyResult r = f.Apply(options);
  CHECK(r.failed == 1);
  CHECK(r.succeeded == 1);
}

TEST_CASE("when asked to stop, running actions finish and nothing new starts", "[executor]") {
  Fixture f(MakePlan({Action(ActionKind::kCreate, "lab1/a", false, {"a"}),
                      Action(ActionKind::kCreate, "lab1/b", false, {"b"}),
                      Action(ActionKind::kCreate, "lab2/c", false, {"c"})}));
  std::atomic<bool> stop{false};
  ApplyOptions options = FastOptions();
  options.parallelism = 1;
  options.should_stop = [&] { return stop.load(); };
  f.log().Hold("CreateContainer");
  std::future<ApplyResult> running = f.ApplyAsync(options);
  REQUIRE(f.log().WaitForInFlight("CreateContainer", 1, kWait));
  stop = true;  // as the SIGINT handler would
  f.log().Release("CreateContainer");
  ApplyResult r = running.get();
  CHECK(r.interrupted);
  CHECK(f.Outcome(r, "lab1/a").state == State::kSucceeded);
  CHECK(f.hosts.Host("lab1").Container("a")->live.state == "running");
  CHECK(f.Outcome(r, "lab1/b").state == State::kNotStarted);
  CHECK(f.Outcome(r, "lab2/c").state == State::kNotStarted);
  CHECK(f.Outcome(r, "lab2/c").error.message() == "not started: apply was interrupted");
  CHECK(r.not_started == 2);
  CHECK(f.log().Count("CreateContainer") == 1);
}

TEST_CASE("an image is pulled once per host even when several creates need it at once",
          "[executor]") {
  std::vector<PlanAction> actions;
  for (int i = 0; i < 4; ++i)
    actions.push_back(Action(ActionKind::kCreate, "lab1/w" + std::to_string(i)));
  actions.push_back(Action(ActionKind::kReplace, "lab2/r"));
  actions.push_back(Action(ActionKind::kCreate, "lab2/c"));
  Fixture f(MakePlan(actions), /*with_image=*/false);
  ApplyOptions options = FastOptions();
  options.max_unavailable["product"] = "100%";
  f.log().Hold("PullImage");
  std::future<ApplyResult> running = f.ApplyAsync(options);
  // Hold the pulls until every other action is waiting on them, so the once-cell is what
  // keeps them from pulling too.
  REQUIRE(f.observer.WaitForSteps("wait for pull of " + std::string(kImage), 4));
  f.log().Release("PullImage");
  ApplyResult r = running.get();
  CHECK(r.succeeded == 6);
  CHECK(f.log().Count("PullImage", "lab1") == 1);
  CHECK(f.log().Count("PullImage", "lab2") == 1);
  CHECK(f.log().Count("HasImage") == 2);
}

TEST_CASE("a pull failure fails every action needing that image with the registry's message",
          "[executor]") {
  PlanAction other = Action(ActionKind::kCreate, "lab1/other");
  other.desired->spec.image = "127.0.0.1:5000/jlrec-lab/base:2";
  Fixture f(MakePlan({Action(ActionKind::kCreate, "lab1/a"), Action(ActionKind::kCreate, "lab1/b"),
                      Action(ActionKind::kReplace, "lab1/c"), other}),
            /*with_image=*/false);
  f.hosts.Host("lab1").FailAlways(
      "PullImage", kImage,
      Status::RemoteError("manifest for 127.0.0.1:5000/jlrec-lab/base:1 not found"));
  ApplyOptions options = FastOptions();
  options.max_unavailable["product"] = "100%";
  ApplyResult r = f.Apply(options);
  for (const char* ref : {"lab1/a", "lab1/b", "lab1/c"}) {
    CAPTURE(ref);
    CHECK(f.Outcome(r, ref).state == State::kFailed);
    CHECK(f.Outcome(r, ref).error.code() == Status::Code::kRemoteError);
    CHECK(f.Outcome(r, ref).error.message() ==
          "pull 127.0.0.1:5000/jlrec-lab/base:1: manifest for "
          "127.0.0.1:5000/jlrec-lab/base:1 not found");
  }
  CHECK(f.Outcome(r, "lab1/other").state == State::kSucceeded);
  CHECK(f.log().Count("PullImage") == 2);  // once for :1 (failed), once for :2
  CHECK(f.log().Count("CreateContainer") == 1);
}

TEST_CASE("the health gate", "[executor]") {
  PlanAction create = Action(ActionKind::kCreate, "lab1/w");
  create.desired->spec.healthcheck =
      Healthcheck{{"test", "-f", "/ready"}, milliseconds(100), milliseconds(1)};
  PlanAction dependent = Action(ActionKind::kCreate, "lab2/d");
  dependent.desired->depends_on = {"lab1/w"};
  Fixture f(MakePlan({create, dependent}));
  FakeProvider& lab1 = f.hosts.Host("lab1");

  SECTION("passes once the healthcheck exits 0, before dependents start") {
    std::atomic<int> probes{0};
    lab1.SetExecHandler([&](const std::string&, const std::vector<std::string>& argv) {
      CHECK(argv == std::vector<std::string>{"test", "-f", "/ready"});
      return Result<int>(++probes < 3 ? 1 : 0);
    });
    ApplyResult r = f.Apply();
    CHECK(r.succeeded == 2);
    CHECK(probes == 3);
    CHECK(f.Span("lab2/d").first > f.Span("lab1/w").second);
  }
  SECTION("fails when the container exits instead of running") {
    lab1.SetStateAfterStart("w", "exited");
    ApplyResult r = f.Apply();
    CHECK(f.Outcome(r, "lab1/w").state == State::kFailed);
    CHECK(f.Outcome(r, "lab1/w").error.message() ==
          "wait for running: container is exited after start");
    CHECK(f.Outcome(r, "lab2/d").state == State::kSkipped);
    CHECK(f.log().Count("Exec") == 0);
  }
  SECTION("fails when the container never gets to running") {
    lab1.SetStateAfterStart("w", "restarting");
    ApplyResult r = f.Apply();
    CHECK(f.Outcome(r, "lab1/w").error.code() == Status::Code::kTimeout);
    CHECK_THAT(f.Outcome(r, "lab1/w").error.message(),
               Catch::StartsWith("wait for running: not running after 200ms (state restarting)"));
  }
  SECTION("fails when the healthcheck never passes") {
    lab1.SetExecHandler(
        [](const std::string&, const std::vector<std::string>&) { return Result<int>(1); });
    ApplyResult r = f.Apply();
    CHECK(f.Outcome(r, "lab1/w").state == State::kFailed);
    CHECK(f.Outcome(r, "lab1/w").error.code() == Status::Code::kTimeout);
    CHECK(f.Outcome(r, "lab1/w").error.message() ==
          "health check timed out after 100ms (last probe: exit code 1)");
    CHECK(f.Outcome(r, "lab2/d").state == State::kSkipped);
    CHECK(f.log().Count("Exec") >= 1);
  }
}

TEST_CASE("the rolling budget caps how many of a group's containers are down at once",
          "[executor]") {
  std::vector<PlanAction> actions;
  for (int i = 0; i < 8; ++i)
    actions.push_back(
        Action(ActionKind::kUpdate, "lab" + std::to_string(i % 4 + 1) + "/w" + std::to_string(i)));
  actions.push_back(Action(ActionKind::kCreate, "lab1/new"));
  actions.push_back(Action(ActionKind::kStart, "lab2/stopped"));
  Fixture f(MakePlan(actions));
  // Restarts pass in pairs: the budget is reached, and exceeding it would show.
  f.log().SetRendezvous("RestartContainer", 2);
  ApplyResult r = f.Apply();  // the default, 25% of the group's 10 containers, is 2
  CHECK(r.succeeded == 10);
  CHECK(f.log().RendezvousTimeouts() == 0);
  CHECK(f.observer.MaxRunningOfKind(ActionKind::kUpdate) == 2);
}

TEST_CASE("bringing containers up takes no rolling budget", "[executor]") {
  std::vector<PlanAction> actions;
  for (int i = 0; i < 4; ++i) {
    const std::string host = "lab" + std::to_string(i + 1);
    actions.push_back(Action(ActionKind::kCreate, host + "/new"));
    PlanAction stopped = Action(ActionKind::kUpdate, host + "/stopped");
    stopped.live->state = "exited";  // already down: updating it takes nothing away
    actions.push_back(stopped);
  }
  Fixture f(MakePlan(actions));
  ApplyOptions options = FastOptions();
  options.max_unavailable["product"] = "1";
  // All eight must be uploading at once: possible only if none of them waits for budget.
  f.log().SetRendezvous("UploadFile", 8, std::chrono::seconds(2));
  ApplyResult r = f.Apply(options);
  CHECK(r.succeeded == 8);
  CHECK(f.log().RendezvousTimeouts() == 0);
  CHECK(f.observer.MaxRunningInGroup("product") == 8);
}

TEST_CASE("max_unavailable is a count or a percentage, rounded down, at least 1",
          "[rolling_budget]") {
  CHECK(*ParseMaxUnavailable("", 10) == 2);  // the default, 25%
  CHECK(*ParseMaxUnavailable("", 3) == 1);
  CHECK(*ParseMaxUnavailable("50%", 7) == 3);
  CHECK(*ParseMaxUnavailable("100%", 7) == 7);
  CHECK(*ParseMaxUnavailable("3", 10) == 3);
  CHECK(*ParseMaxUnavailable("0", 10) == 1);
  CHECK(*ParseMaxUnavailable("0%", 10) == 1);
  for (const char* bad : {"abc", "-1", "150%", "%", "2 ", "1.5"}) {
    CAPTURE(bad);
    CHECK(ParseMaxUnavailable(bad, 10).status().code() == Status::Code::kInvalidArgument);
  }
}

TEST_CASE("a bad max_unavailable stops the apply before it starts, naming the group",
          "[executor]") {
  Fixture f(MakePlan({Action(ActionKind::kUpdate, "lab1/w")}));
  ApplyOptions options = FastOptions();
  options.max_unavailable["product"] = "a lot";
  ApplyResult r = f.Apply(options);
  CHECK(r.error.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(r.error.message(), Catch::StartsWith("group product: max_unavailable"));
  CHECK(r.not_started == 1);
  CHECK(f.log().Calls().empty());
}

TEST_CASE("a host without a provider fails its actions with the reason, others go on",
          "[executor]") {
  Fixture f(MakePlan({Action(ActionKind::kCreate, "lab1/core", true),
                      Action(ActionKind::kCreate, "lab2/w"),
                      Action(ActionKind::kCreate, "lab3/x", false, {"other"})}));
  f.providers.erase("lab1");
  ApplyOptions options = FastOptions();
  options.host_errors["lab1"] = Status::Unavailable("lab1: ssh: connection refused");
  ApplyResult r = f.Apply(options);
  CHECK(f.Outcome(r, "lab1/core").state == State::kFailed);
  CHECK(f.Outcome(r, "lab1/core").error.message() == "lab1: ssh: connection refused");
  CHECK(f.Outcome(r, "lab2/w").state == State::kSkipped);
  CHECK(f.Outcome(r, "lab3/x").state == State::kSucceeded);
  CHECK(f.log().Calls().size() == f.MethodsFor("lab3/x").size() + 1);  // + its HasImage
}

// Calls on `host` that waited for an answer until their request timeout.
int TimeoutsPaid(FakeCallLog& log, const std::string& host) {
  int n = 0;
  for (const FakeCall& c : log.Calls())
    n += c.host == host && c.status.code() == Status::Code::kTimeout;
  return n;
}

TEST_CASE(
    "a host that stops answering costs one request timeout: its other actions are skipped "
    "naming it, other hosts go on",
    "[executor]") {
  constexpr milliseconds kRequestTimeout{300};
  Fixture f(
      MakePlan({Action(ActionKind::kCreate, "lab1/core", true),
                Action(ActionKind::kUpdate, "lab2/w1"), Action(ActionKind::kUpdate, "lab2/w2"),
                Action(ActionKind::kReplace, "lab2/w3"), Action(ActionKind::kCreate, "lab2/w4"),
                Action(ActionKind::kCreate, "lab3/x"), Action(ActionKind::kUpdate, "lab3/y")}));
  f.hosts.Host("lab2").Hang(kRequestTimeout);
  ApplyOptions options = FastOptions();
  options.max_per_host = 1;  // one at a time there: every later action could wait again
  options.running_gate_timeout = std::chrono::seconds(5);

  const auto start = std::chrono::steady_clock::now();
  ApplyResult r = f.Apply(options);
  const auto took = std::chrono::steady_clock::now() - start;

  CHECK(TimeoutsPaid(f.log(), "lab2") == 1);
  CHECK(took < 3 * kRequestTimeout);
  CHECK(r.failed == 1);
  CHECK(r.skipped == 3);
  for (const char* ref : {"lab2/w1", "lab2/w2", "lab2/w3", "lab2/w4"}) {
    const ActionOutcome& o = f.Outcome(r, ref);
    INFO(ref << ": " << o.error.message());
    if (o.state == State::kFailed) {
      CHECK(o.error.code() == Status::Code::kTimeout);
    } else {
      CHECK(o.state == State::kSkipped);
      CHECK_THAT(o.error.message(), Catch::StartsWith("host lab2 stopped answering: lab2: "));
      CHECK_THAT(o.error.message(), Catch::Contains("no complete answer within 300 ms"));
    }
  }
  CHECK(f.Outcome(r, "lab1/core").state == State::kSucceeded);
  CHECK(f.Outcome(r, "lab3/x").state == State::kSucceeded);
  CHECK(f.Outcome(r, "lab3/y").state == State::kSucceeded);
  REQUIRE(r.stopped_answering.count("lab2") == 1);
  CHECK_THAT(r.stopped_answering.at("lab2").message(),
             Catch::Contains("no complete answer within 300 ms"));
  CHECK(r.stopped_answering.size() == 1);
}

TEST_CASE("an action skipped because its host stopped answering skips its dependents",
          "[executor]") {
  // lab1/a times out first; the core of group g2, on the same host, is then skipped, and the
  // worker that waits for it is skipped too (not left "not started").
  Fixture f(MakePlan({Action(ActionKind::kCreate, "lab1/a", false, {"g1"}),
                      Action(ActionKind::kCreate, "lab1/core", true, {"g2"}),
                      Action(ActionKind::kCreate, "lab2/w", false, {"g2"})}));
  f.hosts.Host("lab1").Hang(milliseconds(100));
  ApplyOptions options = FastOptions();
  options.max_per_host = 1;
  ApplyResult r = f.Apply(options);
  CHECK(TimeoutsPaid(f.log(), "lab1") == 1);
  CHECK(f.Outcome(r, "lab1/a").state == State::kFailed);
  CHECK(f.Outcome(r, "lab1/core").state == State::kSkipped);
  CHECK(f.Outcome(r, "lab2/w").state == State::kSkipped);
  CHECK(f.Outcome(r, "lab2/w").error.message() == "dependency skipped: lab1/core");
  CHECK(r.not_started == 0);
  CHECK(f.MethodsFor("lab2/w").empty());
}

TEST_CASE("conflicts and unknowns in the plan are reported as skipped, never applied",
          "[executor]") {
  PlanAction conflict = Action(ActionKind::kCreate, "lab1/hand_made");
  conflict.kind = ActionKind::kConflict;
  Fixture f(MakePlan({conflict, Action(ActionKind::kCreate, "lab1/w")}));
  ApplyResult r = f.Apply();
  CHECK(r.outcomes[0].state == State::kSkipped);
  CHECK(r.outcomes[0].error.message() == "not applied: conflict");
  CHECK(r.outcomes[1].state == State::kSucceeded);
  CHECK(f.MethodsFor("lab1/hand_made").empty());
}

TEST_CASE("the observer hears starts, steps and ends", "[executor]") {
  Fixture f(MakePlan({Action(ActionKind::kUpdate, "lab1/w")}));
  ApplyResult r = f.Apply();
  REQUIRE(r.succeeded == 1);
  CHECK(f.observer.events() == std::vector<std::string>{"start lab1/w", "succeeded lab1/w"});
  CHECK(f.observer.steps() == std::vector<std::string>{"lab1/w: upload /run.sh", "lab1/w: restart",
                                                       "lab1/w: wait for running"});
}

TEST_CASE("a graph built from another plan is refused", "[executor]") {
  Fixture f(MakePlan({Action(ActionKind::kUpdate, "lab1/w")}));
  Plan other = MakePlan({Action(ActionKind::kCreate, "lab1/x")});
  ApplyResult r = ExecutePlan(other, f.graph, f.providers, FastOptions(), nullptr);
  CHECK(r.error.code() == Status::Code::kInternal);
  CHECK(r.not_started == 1);
  CHECK(f.log().Calls().empty());
}

TEST_CASE("with a script ledger, each uploaded /run.sh is stat'ed and recorded with its digest",
          "[executor]") {
  PlanAction create = Action(ActionKind::kCreate, "lab1/jl_core_1", /*core=*/true);
  PlanAction update = Action(ActionKind::kUpdate, "lab1/jl_slave_1");
  Fixture f(MakePlan({create, update}));
  ApplyOptions options = FastOptions();
  options.script_ledger = std::make_shared<ScriptLedger>();
  ApplyResult r = f.Apply(options);
  REQUIRE(r.succeeded == 2);
  CHECK(f.log().Count("StatFile") == 2);
  CHECK(r.mutating_calls == f.log().MutatingCalls());  // a stat is not a mutation

  auto known = options.script_ledger->MergedOver({{"other-id", KnownScript{"s", "d"}}});
  CHECK(known->size() == 3);
  CHECK(known->at("other-id").digest == "d");
  const std::string created_id = f.hosts.Host("lab1").Container("jl_core_1")->live.id;
  CHECK(known->at(created_id).digest == create.desired->script_digest);
  CHECK_FALSE(known->at(created_id).stat.empty());
  CHECK(known->at(LiveId("lab1/jl_slave_1")).digest == update.desired->script_digest);
}

}  // namespace
}  // namespace jlrec

namespace jlrec {
namespace {

TEST_CASE(
    "an action whose desired side has no rendered /run.sh fails before touching its container",
    "[executor]") {
  // What a desired state from the resolved-manifest cache looks like (digests only).
  PlanAction update = Action(ActionKind::kUpdate, "lab1/jl_w_1");
  update.desired->script.clear();
  PlanAction create = Action(ActionKind::kCreate, "lab1/jl_w_2");
  create.desired->script.clear();
  Fixture f(MakePlan({update, create}));
  ApplyResult r = f.Apply();
  CHECK(r.succeeded == 0);
  CHECK(r.failed == 2);
  for (const auto& o : r.outcomes)
    CHECK_THAT(o.error.message(), Catch::Contains("no rendered /run.sh"));
  CHECK(f.MethodsFor("lab1/jl_w_1").empty());
  CHECK(f.MethodsFor("lab1/jl_w_2").empty());
  CHECK_FALSE(f.hosts.Host("lab1").Container("jl_w_2"));
}

}  // namespace
}  // namespace jlrec
