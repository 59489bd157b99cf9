// Several writers on one state: they wait for each other instead of failing (SQLite: on the
// busy timeout rather than with SQLITE_BUSY; PostgreSQL: on row locks and the advisory lock).
// Two store objects in two threads behave like two processes.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "state/state_test_support.h"

namespace jlrec {
namespace {

// One writer's workload: journal entries, refreshes of its own host, and the shared lock.
void Write(StateStore& store, const std::string& host, int rounds, std::atomic<int>& failures,
           std::string& first_failure) {
  auto fail = [&](const Status& s) {
    if (failures++ == 0) first_failure = host + ": " + s.ToString();
  };
  for (int i = 0; i < rounds; ++i) {
    RunRecord run;
    run.kind = "apply";
    run.project = "demo";
    Result<std::int64_t> id = store.BeginRun(run);
    if (!id.ok()) return fail(id.status());
    ActionRecord action;
    action.run_id = *id;
    action.action = "create";
    action.container = host + "/c" + std::to_string(i);
    Result<std::int64_t> action_id = store.RecordActionStart(action);
    if (!action_id.ok()) return fail(action_id.status());
    Status s = store.RecordActionEnd(*action_id, "succeeded", "");
    if (s.ok()) s = store.FinishRun(*id, "ok", "");
    if (s.ok() && i % 10 == 0) {
      std::vector<LiveContainer> containers;
      for (int c = 0; c < 50; ++c)
        containers.push_back(test::SampleContainer("c" + std::to_string(c), i));
      s = store.SaveSnapshot("demo", test::ReachableSnapshot(host, 1000 + i, containers));
    }
    if (s.ok() && i % 25 == 0) {
      LockInfo lock;
      lock.name = "apply:demo";
      auto taken = store.AcquireLock(lock, std::chrono::seconds(30));
      s = taken.status();
      if (s.ok()) s = store.ReleaseLock("apply:demo", ::getpid());
    }
    if (!s.ok()) return fail(s);
  }
}

TEST_CASE("two stores writing the same state from two threads never fail", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto a = state.Open();
  auto b = state.Open();
  constexpr int kRounds = 100;
  std::atomic<int> failures{0};
  std::string first_a, first_b;
  std::thread ta([&] { Write(*a, "h1", kRounds, failures, first_a); });
  std::thread tb([&] { Write(*b, "h2", kRounds, failures, first_b); });
  ta.join();
  tb.join();
  INFO(first_a << first_b);
  CHECK(failures == 0);

  auto runs = a->ListRuns("", "apply", 0, 0);
  REQUIRE(runs.ok());
  CHECK(runs->size() == 2 * kRounds);
  auto hosts = b->LoadSnapshots("demo", {"h1", "h2"});
  REQUIRE(hosts.ok());
  CHECK(hosts->at(0).containers.size() == 50);
  CHECK(hosts->at(1).containers.size() == 50);
  CHECK_FALSE(a->LockHolder("apply:demo")->has_value());
}

}  // namespace
}  // namespace jlrec
