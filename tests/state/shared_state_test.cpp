// One state shared: by several projects (each sees only its own), by several store objects
// (as several operators' processes) agreeing on one state key id, and by a server that may
// end a session in the middle of a refresh.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "state/state_test_support.h"
#include "support/postgres_scratch.h"

namespace jlrec {
namespace {

using std::chrono::milliseconds;

std::string ClaimOrFail(StateStore& store, const std::string& project, const std::string& id) {
  Result<std::string> claimed = store.ClaimStateKeyId(project, id);
  INFO(claimed.status().ToString());
  REQUIRE(claimed.ok());
  return *claimed;
}

TEST_CASE("the first state key id claimed for a project is kept and a different one gets it back",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto first = state.Open();
  auto second = state.Open();
  CHECK(ClaimOrFail(*first, "demo", "k1") == "k1");
  CHECK(ClaimOrFail(*first, "demo", "k1") == "k1");
  CHECK(ClaimOrFail(*second, "demo", "k2") == "k1");
  // Each project has its own.
  CHECK(ClaimOrFail(*second, "other", "k2") == "k2");
  CHECK(ClaimOrFail(*first, "other", "k1") == "k2");
  CHECK(ClaimOrFail(*state.Open(), "demo", "k3") == "k1");
  // A forgotten id (its key lost for good) lets the next claim record another; only that
  // project's.
  REQUIRE(second->ForgetStateKeyId("demo").ok());
  REQUIRE(second->ForgetStateKeyId("never-claimed").ok());
  CHECK(ClaimOrFail(*first, "demo", "k3") == "k3");
  CHECK(ClaimOrFail(*first, "other", "k1") == "k2");
}

TEST_CASE("two stores claiming a new project's state key id at once agree on one",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto a = state.Open();
  auto b = state.Open();
  Result<std::string> got_a = Status::Internal("not run");
  Result<std::string> got_b = Status::Internal("not run");
  std::thread ta([&] { got_a = a->ClaimStateKeyId("demo", "from-a"); });
  std::thread tb([&] { got_b = b->ClaimStateKeyId("demo", "from-b"); });
  ta.join();
  tb.join();
  INFO(got_a.status().ToString() << " / " << got_b.status().ToString());
  REQUIRE(got_a.ok());
  REQUIRE(got_b.ok());
  CHECK(*got_a == *got_b);
  CHECK((*got_a == "from-a" || *got_a == "from-b"));
}

TEST_CASE("projects sharing one state see only their own journal, cache, records and locks",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  // Two operators, each with a project of their own, on one state.
  auto demo = state.Open();
  auto web = state.Open();
  for (auto [store, project] : {std::pair{demo.get(), "demo"}, std::pair{web.get(), "web"}}) {
    RunRecord run;
    run.kind = "apply";
    run.project = project;
    Result<std::int64_t> id = store->BeginRun(run);
    REQUIRE(id.ok());
    ActionRecord action;
    action.run_id = *id;
    action.action = "create";
    action.container = std::string("h1/") + project;
    REQUIRE(store->RecordActionStart(action).ok());
    REQUIRE(store
                ->SaveSnapshots(
                    project, {test::ReachableSnapshot("h1", 100, {test::SampleContainer(project)})})
                .ok());
    ActionFailure failure;
    failure.host = "h1";
    failure.container = project;
    failure.run_id = *id;
    REQUIRE(store->SaveFailure(project, failure).ok());
    Adoption adoption;
    adoption.host = "h1";
    adoption.container = project;
    adoption.run_id = *id;
    REQUIRE(store->SaveAdoption(project, adoption).ok());
    DriftCheckRecord check;
    check.project = project;
    check.result = "in_sync";
    check.detail = project;
    REQUIRE(store->RecordDriftCheck(check).ok());
    LockInfo lock;
    lock.name = std::string("apply:") + project;
    auto taken = store->AcquireLock(lock, milliseconds(0));
    INFO(taken.status().ToString());
    REQUIRE(taken.ok());
    CHECK(ClaimOrFail(*store, project, std::string("key-") + project) ==
          std::string("key-") + project);
  }

  // Whichever store reads, each project's data is its own.
  for (StateStore* reader : {demo.get(), web.get()}) {
    for (const std::string project : {"demo", "web"}) {
      INFO("project " << project);
      auto runs = reader->ListRuns(project, "", 0, 0);
      REQUIRE(runs.ok());
      REQUIRE(runs->size() == 1);
      CHECK(runs->at(0).project == project);
      auto unfinished = reader->ListUnfinishedActions(project);
      REQUIRE(unfinished.ok());
      REQUIRE(unfinished->size() == 1);
      CHECK(unfinished->at(0).container == "h1/" + project);
      auto hosts = reader->LoadSnapshots(project, {"h1"});
      REQUIRE(hosts.ok());
      REQUIRE(hosts->at(0).containers.size() == 1);
      CHECK(hosts->at(0).containers[0].name == project);
      auto cached = reader->ListCachedHosts(project);
      REQUIRE(cached.ok());
      CHECK(cached->size() == 1);
      auto failures = reader->ListFailures(project);
      REQUIRE(failures.ok());
      REQUIRE(failures->size() == 1);
      CHECK(failures->at(0).container == project);
      auto adoptions = reader->ListAdoptions(project);
      REQUIRE(adoptions.ok());
      REQUIRE(adoptions->size() == 1);
      CHECK(adoptions->at(0).container == project);
      auto checks = reader->ListDriftChecks(project, 0, 0);
      REQUIRE(checks.ok());
      REQUIRE(checks->size() == 1);
      CHECK(checks->at(0).detail == project);
      auto holder = reader->LockHolder("apply:" + project);
      REQUIRE(holder.ok());
      CHECK(holder->has_value());
      CHECK(ClaimOrFail(*reader, project, "another") == "key-" + project);
    }
    auto all = reader->ListRuns("", "", 0, 0);
    REQUIRE(all.ok());
    CHECK(all->size() == 2);
  }
  // Clearing one project's records leaves the other's.
  REQUIRE(demo->ClearFailure("demo", "h1", "demo").ok());
  REQUIRE(demo->ClearFailure("demo", "h1", "web").ok());
  CHECK(web->ListFailures("web")->size() == 1);
  CHECK(web->ListFailures("demo")->empty());
  REQUIRE(demo->ReleaseLock("apply:demo", ::getpid()).ok());
  CHECK(web->LockHolder("apply:web")->has_value());
}

TEST_CASE(
    "on PostgreSQL a refresh whose session ends mid-save leaves nothing of it, and the "
    "next save succeeds",
    "[state]") {
  test::ScratchState state(test::StateBackend::kPostgres);
  auto store = state.Open();
  REQUIRE(store
              ->SaveSnapshots(
                  "demo", {test::ReachableSnapshot("h1", 100, {test::SampleContainer("web", 0)}),
                           test::ReachableSnapshot("h2", 100, {test::SampleContainer("db", 0)})})
              .ok());

  // The superuser holds h2's row, so the refresh stops there, h1 already rewritten in its
  // transaction; then its session is ended, as a server restart would.
  testing::PostgresAdminSession admin(state.postgres()->name());
  REQUIRE(admin.Exec("BEGIN; SELECT * FROM jlrec.hosts WHERE host = 'h2' FOR UPDATE").ok());
  Status saved = Status::Internal("not run");
  std::thread refresh([&] {
    saved = store->SaveSnapshots(
        "demo", {test::ReachableSnapshot("h1", 200, {test::SampleContainer("web", 5)}),
                 test::ReachableSnapshot("h2", 200, {test::SampleContainer("db", 5)})});
  });
  int waiting = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waiting == 0 && std::chrono::steady_clock::now() < deadline) {
    auto rows = admin.Query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
        "wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
    REQUIRE(rows.ok());
    if (!rows->empty()) waiting = std::stoi(rows->front().front());
    std::this_thread::sleep_for(milliseconds(10));
  }
  Status ended = waiting != 0 ? testing::TerminateBackend(waiting) : Status::Ok();
  REQUIRE(admin.Exec("ROLLBACK").ok());
  refresh.join();
  INFO(saved.ToString());
  REQUIRE(waiting != 0);  // the refresh did wait on h2's row
  REQUIRE(ended.ok());
  REQUIRE_FALSE(saved.ok());
  CHECK(saved.code() == Status::Code::kUnavailable);
  CHECK_THAT(saved.message(), Catch::Contains(state.location()));

  auto loaded = state.Open()->LoadSnapshots("demo", {"h1", "h2"});
  REQUIRE(loaded.ok());
  CHECK(loaded->at(0).observed_at == 100);
  REQUIRE(loaded->at(0).containers.size() == 1);
  CHECK(loaded->at(0).containers[0].image_id == test::SampleContainer("web", 0).image_id);
  CHECK(loaded->at(1).observed_at == 100);

  // The same store (a long-lived jlrec serve) connects again for its next refresh.
  Status next = store->SaveSnapshots("demo", {test::ReachableSnapshot("h1", 300, {})});
  INFO(next.ToString());
  CHECK(next.ok());
}

}  // namespace
}  // namespace jlrec
