// The run journal: each call is committed at once, so other processes (and a rerun after a
// crash) see exactly what happened so far.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "state/state_test_support.h"

namespace jlrec {
namespace {

RunRecord ApplyRun(std::int64_t started_at = 0) {
  RunRecord run;
  run.kind = "apply";
  run.project = "demo";
  run.groups = {"product", "test"};
  run.started_at = started_at;
  return run;
}

ActionRecord Action(std::int64_t run_id, const std::string& kind, const std::string& ref) {
  ActionRecord action;
  action.run_id = run_id;
  action.action = kind;
  action.container = ref;
  return action;
}

TEST_CASE("a running run and its started actions are visible to another store at once", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  auto writer = test::OpenStoreOrFail(path);
  auto reader = test::OpenStoreOrFail(path);

  Result<std::int64_t> run = writer->BeginRun(ApplyRun());
  REQUIRE(run.ok());
  Result<std::int64_t> create = writer->RecordActionStart(Action(*run, "create", "h1/master"));
  REQUIRE(create.ok());

  auto runs = reader->ListRuns("", 10, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->at(0).id == *run);
  CHECK(runs->at(0).result == "running");
  CHECK(runs->at(0).finished_at == 0);
  CHECK(runs->at(0).groups == std::vector<std::string>{"product", "test"});
  CHECK(runs->at(0).started_at > 0);
  auto actions = reader->ListActions(*run);
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 1);
  CHECK(actions->at(0).result == "running");
  CHECK(actions->at(0).container == "h1/master");

  REQUIRE(writer->RecordActionEnd(*create, "failed", "Error response from daemon: boom").ok());
  REQUIRE(writer->FinishRun(*run, "failed", "1 failed").ok());
  actions = reader->ListActions(*run);
  REQUIRE(actions.ok());
  CHECK(actions->at(0).result == "failed");
  CHECK(actions->at(0).error == "Error response from daemon: boom");
  CHECK(actions->at(0).finished_at >= actions->at(0).started_at);
  runs = reader->ListRuns("apply", 10, 0);
  REQUIRE(runs.ok());
  CHECK(runs->at(0).result == "failed");
  CHECK(runs->at(0).detail == "1 failed");
  CHECK(runs->at(0).finished_at > 0);
}

TEST_CASE("a process killed mid-run leaves its run and actions on record as running", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No Catch2 in the child: any failure shows up as a wrong exit instead of SIGKILL.
    auto store = OpenSqliteStateStore(path);
    if (!store.ok()) ::_exit(10);
    auto run = (*store)->BeginRun(ApplyRun());
    if (!run.ok()) ::_exit(11);
    if (!(*store)->RecordActionStart(Action(*run, "create", "h1/master")).ok()) ::_exit(12);
    auto second = (*store)->RecordActionStart(Action(*run, "create", "h1/worker"));
    if (!second.ok() || !(*store)->RecordActionEnd(*second, "succeeded", "").ok()) ::_exit(13);
    ::kill(::getpid(), SIGKILL);
    ::_exit(14);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  INFO("child exit status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  auto store = test::OpenStoreOrFail(path);
  auto runs = store->ListRuns("apply", 0, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->at(0).result == "running");
  CHECK(runs->at(0).finished_at == 0);
  auto actions = store->ListActions(runs->at(0).id);
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 2);
  CHECK(actions->at(0).container == "h1/master");
  CHECK(actions->at(0).result == "running");
  CHECK(actions->at(1).container == "h1/worker");
  CHECK(actions->at(1).result == "succeeded");
}

TEST_CASE("runs are listed newest first, filtered by kind and start time, up to the limit",
          "[state]") {
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
  for (std::int64_t t : {100, 300, 200}) REQUIRE(store->BeginRun(ApplyRun(t)).ok());
  RunRecord drift = ApplyRun(250);
  drift.kind = "drift";
  drift.result = "drift";
  REQUIRE(store->BeginRun(drift).ok());

  auto all = store->ListRuns("", 0, 0);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 4);
  CHECK(all->at(0).started_at == 300);
  CHECK(all->at(1).started_at == 250);
  CHECK(all->at(1).result == "drift");

  auto applies = store->ListRuns("apply", 2, 0);
  REQUIRE(applies.ok());
  REQUIRE(applies->size() == 2);
  CHECK(applies->at(0).started_at == 300);
  CHECK(applies->at(1).started_at == 200);

  auto recent = store->ListRuns("", 0, 250);
  REQUIRE(recent.ok());
  CHECK(recent->size() == 2);
}

TEST_CASE("actions are listed in the order they were started", "[state]") {
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
  auto run = store->BeginRun(ApplyRun());
  REQUIRE(run.ok());
  auto other = store->BeginRun(ApplyRun());
  REQUIRE(other.ok());
  for (const char* ref : {"h1/master", "h2/w1", "h3/w2"})
    REQUIRE(store->RecordActionStart(Action(*run, "create", ref)).ok());
  REQUIRE(store->RecordActionStart(Action(*other, "remove", "h9/x")).ok());
  auto actions = store->ListActions(*run);
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 3);
  CHECK(actions->at(0).container == "h1/master");
  CHECK(actions->at(2).container == "h3/w2");
  CHECK(actions->at(2).run_id == *run);
}

TEST_CASE("finishing or ending what the journal does not hold is reported as not found",
          "[state]") {
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
  CHECK(store->FinishRun(77, "ok", "").code() == Status::Code::kNotFound);
  CHECK(store->RecordActionEnd(77, "succeeded", "").code() == Status::Code::kNotFound);
  CHECK(store->RecordActionStart(Action(77, "create", "h1/a")).status().code() ==
        Status::Code::kNotFound);
}

}  // namespace
}  // namespace jlrec
