// Runs that never recorded their end (a SIGKILL, a full disk) are closed as "interrupted" by
// the next apply that takes the lock, and an apply whose journal writes fail says so.
#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "engine/reconciler.h"
#include "model/digest.h"
#include "state/small_tmpfs.h"
#include "state/sqlite_state_store.h"
#include "support/fake_provider.h"

namespace jlrec {
namespace {

RunRecord Run(const std::string& kind, const std::string& project) {
  RunRecord run;
  run.kind = kind;
  run.project = project;
  run.owner = "tester@here";
  return run;
}

TEST_CASE("runs the journal still shows running are closed as interrupted by the next apply",
          "[reconciler]") {
  char tmpl[] = "/tmp/jlrec-interrupted-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  {
    auto store = OpenSqliteStateStore(dir + "/state.db");
    REQUIRE(store.ok());
    StateStore& s = **store;
    auto killed_apply = s.BeginRun(Run("apply", "jl"));
    auto killed_rollback = s.BeginRun(Run("rollback", "jl"));
    auto other_project = s.BeginRun(Run("apply", "other"));
    REQUIRE((killed_apply.ok() && killed_rollback.ok() && other_project.ok()));
    // Many later runs (here of another project sharing the state file) must not hide them.
    for (int i = 0; i < 60; ++i) {
      auto later = s.BeginRun(Run("apply", "busy"));
      REQUIRE(later.ok());
      REQUIRE(s.FinishRun(*later, "ok", "").ok());
    }

    CloseRunsOfDeadApplies(s, "jl");

    auto runs = s.ListRuns("", "", 0, 0);
    REQUIRE(runs.ok());
    std::map<std::int64_t, RunRecord> by_id;
    for (const auto& r : *runs) by_id[r.id] = r;
    for (std::int64_t id : {*killed_apply, *killed_rollback}) {
      INFO("run " << id << ": " << by_id[id].result << " " << by_id[id].detail);
      CHECK(by_id[id].result == "interrupted");
      CHECK(by_id[id].finished_at > 0);
      CHECK_THAT(by_id[id].detail, Catch::Contains("never recorded its end"));
    }
    // Another project's run is that project's apply lock's business.
    CHECK(by_id[*other_project].result == "running");
  }
  std::filesystem::remove_all(dir);
}

DesiredContainer Wanted(const std::string& image) {
  DesiredContainer c;
  c.host = "h1";
  c.name = "web";
  c.groups = {"product"};
  c.spec.image = image;
  c.spec.command = {"/bin/sh", "/run.sh"};
  c.script = "#!/bin/sh\nexec sleep 3600\n";
  c.script_digest = Sha256Hex(c.script);
  c.spec_digest = SpecDigest(c.spec);
  return c;
}

TEST_CASE("an apply whose journal writes fail reports it, so that it does not exit 0",
          "[reconciler][disk]") {
  test::SmallTmpfs disk(1024 * 1024);
  if (!test::MountedOrWarn(disk)) return;
  const std::string image = "127.0.0.1:5000/app:1";
  auto factory = std::make_shared<FakeProviderFactory>();
  factory->Host("h1").AddImage(image);
  factory->Host("h1").SetRegistryDigest(image, "sha256:" + Sha256Hex("content"));
  auto opened = OpenSqliteStateStore(disk.File("state.db"));
  REQUIRE(opened.ok());
  auto store = std::move(*opened);
  ApplyReport report;
  {
    Reconciler reconciler(factory, *store, RefreshOptions{});
    DesiredState desired;
    desired.project = "jl";
    desired.manifest_digest = "m1";
    desired.hosts["h1"] = HostConnection{"h1", "h1", 22, "root", "", "", ""};
    desired.groups["product"].name = "product";
    desired.containers = {Wanted(image)};
    PlanRequest request;
    request.groups = {"product"};
    auto planned = reconciler.MakePlan(desired, request);
    REQUIRE(planned.ok());
    REQUIRE(planned->plan.HasChanges());

    // The disk fills up while the create runs: its end, and the run's, cannot be written.
    factory->log().Hold("CreateContainer");
    ApplyRequest apply;
    apply.kind = "apply";
    apply.owner = "tester@here";
    apply.options.poll_interval = std::chrono::milliseconds(1);
    apply.options.running_gate_timeout = std::chrono::milliseconds(200);
    std::thread applying([&] {
      report = reconciler.Apply(planned->plan, desired, planned->providers(), &planned->live(),
                                apply, nullptr);
    });
    const bool started =
        factory->log().WaitForInFlight("CreateContainer", 1, std::chrono::seconds(10));
    if (started) disk.Fill();
    factory->log().Release("CreateContainer");
    applying.join();
    REQUIRE(started);
  }
  INFO(report.summary << " / " << report.error.ToString());
  CHECK(report.run_id != 0);
  CHECK(report.complete);            // the hosts got what the plan said...
  REQUIRE_FALSE(report.error.ok());  // ...but the journal does not know it
  CHECK_THAT(report.error.message(), Catch::Contains("journal"));
  CHECK_THAT(report.error.message(), Catch::Contains("no space left on device"));
  store.reset();
}

}  // namespace
}  // namespace jlrec
