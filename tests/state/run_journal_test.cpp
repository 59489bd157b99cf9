// The run journal: each call is committed at once, so other processes (and a rerun after a
// crash) see exactly what happened so far.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "state/open_state_store.h"
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

TEST_CASE("a running run and its started actions are visible to another store at once",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto writer = state.Open();
  auto reader = state.Open();

  Result<std::int64_t> run = writer->BeginRun(ApplyRun());
  REQUIRE(run.ok());
  Result<std::int64_t> create = writer->RecordActionStart(Action(*run, "create", "h1/master"));
  REQUIRE(create.ok());

  auto runs = reader->ListRuns("", "", 10, 0);
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
  runs = reader->ListRuns("", "apply", 10, 0);
  REQUIRE(runs.ok());
  CHECK(runs->at(0).result == "failed");
  CHECK(runs->at(0).detail == "1 failed");
  CHECK(runs->at(0).finished_at > 0);
}

TEST_CASE("a process killed mid-run leaves its run and actions on record as running",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  Result<StateLocation> location = ParseStateLocation(state.location());
  REQUIRE(location.ok());
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No Catch2 in the child: any failure shows up as a wrong exit instead of SIGKILL.
    auto store = OpenStateStore(*location);
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

  auto store = state.Open();
  auto runs = store->ListRuns("", "apply", 0, 0);
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
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  for (std::int64_t t : {100, 300, 200}) REQUIRE(store->BeginRun(ApplyRun(t)).ok());
  RunRecord drift = ApplyRun(250);
  drift.kind = "drift";
  drift.result = "drift";
  REQUIRE(store->BeginRun(drift).ok());

  auto all = store->ListRuns("", "", 0, 0);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 4);
  CHECK(all->at(0).started_at == 300);
  CHECK(all->at(1).started_at == 250);
  CHECK(all->at(1).result == "drift");

  auto applies = store->ListRuns("", "apply", 2, 0);
  REQUIRE(applies.ok());
  REQUIRE(applies->size() == 2);
  CHECK(applies->at(0).started_at == 300);
  CHECK(applies->at(1).started_at == 200);

  auto recent = store->ListRuns("", "", 0, 250);
  REQUIRE(recent.ok());
  CHECK(recent->size() == 2);
}

TEST_CASE("actions are listed in the order they were started", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
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

TEST_CASE("a run keeps who ran it, with which manifest and which jlrec", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  RunRecord run = ApplyRun(100);
  run.owner = "ops@control-1";
  run.manifest_digest = "sha256:4f2a";
  run.jlrec_version = "0.9.0";
  REQUIRE(store->BeginRun(run).ok());
  REQUIRE(store->BeginRun(ApplyRun(200)).ok());

  auto runs = store->ListRuns("", "apply", 0, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 2);
  CHECK(runs->at(1).owner == "ops@control-1");
  CHECK(runs->at(1).manifest_digest == "sha256:4f2a");
  CHECK(runs->at(1).jlrec_version == "0.9.0");
  // Unknown is empty, as for the runs of a jlrec before schema version 5.
  CHECK(runs->at(0).owner.empty());
  CHECK(runs->at(0).manifest_digest.empty());
  CHECK(runs->at(0).jlrec_version.empty());
}

TEST_CASE("unfinished actions are the running ones of the project's runs, newest first",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  auto older = store->BeginRun(ApplyRun(100));
  auto newer = store->BeginRun(ApplyRun(200));
  RunRecord elsewhere = ApplyRun(300);
  elsewhere.project = "other";
  auto other = store->BeginRun(elsewhere);
  REQUIRE(older.ok());
  REQUIRE(newer.ok());
  REQUIRE(other.ok());

  auto start = [&](std::int64_t run, const std::string& ref, std::int64_t at) {
    ActionRecord action = Action(run, "create", ref);
    action.started_at = at;
    Result<std::int64_t> id = store->RecordActionStart(action);
    REQUIRE(id.ok());
    return *id;
  };
  start(*older, "h1/killed", 110);
  const std::int64_t done = start(*older, "h1/done", 120);
  const std::int64_t failed = start(*newer, "h2/failed", 210);
  start(*newer, "h2/running", 220);
  start(*newer, "h3/running", 220);  // same second: the later insert counts as newer
  start(*other, "h1/foreign", 310);
  REQUIRE(store->RecordActionEnd(done, "succeeded", "").ok());
  REQUIRE(store->RecordActionEnd(failed, "failed", "exit 1").ok());

  auto unfinished = store->ListUnfinishedActions("demo");
  REQUIRE(unfinished.ok());
  std::vector<std::string> refs;
  for (const ActionRecord& a : *unfinished) refs.push_back(a.container);
  CHECK(refs == std::vector<std::string>{"h3/running", "h2/running", "h1/killed"});
  REQUIRE(unfinished->size() == 3);
  CHECK(unfinished->at(0).run_id == *newer);
  CHECK(unfinished->at(0).result == "running");
  CHECK(unfinished->at(0).finished_at == 0);
  CHECK(unfinished->at(2).run_id == *older);
  CHECK(unfinished->at(2).started_at == 110);

  auto foreign = store->ListUnfinishedActions("other");
  REQUIRE(foreign.ok());
  REQUIRE(foreign->size() == 1);
  CHECK(foreign->at(0).container == "h1/foreign");
  auto none = store->ListUnfinishedActions("nobody");
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("runs are listed by project when one is named, every project's when none is",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  RunRecord other = ApplyRun(150);
  other.project = "other";
  RunRecord other_drift = ApplyRun(250);
  other_drift.project = "other";
  other_drift.kind = "drift";
  for (const RunRecord& run : {ApplyRun(100), other, ApplyRun(200), other_drift})
    REQUIRE(store->BeginRun(run).ok());

  auto started = [](const Result<std::vector<RunRecord>>& runs) {
    REQUIRE(runs.ok());
    std::vector<std::int64_t> at;
    for (const RunRecord& run : *runs) at.push_back(run.started_at);
    return at;
  };
  using Times = std::vector<std::int64_t>;
  CHECK(started(store->ListRuns("demo", "", 0, 0)) == Times{200, 100});
  CHECK(started(store->ListRuns("other", "", 0, 0)) == Times{250, 150});
  CHECK(started(store->ListRuns("other", "apply", 0, 0)) == Times{150});
  CHECK(started(store->ListRuns("other", "", 1, 0)) == Times{250});
  CHECK(started(store->ListRuns("demo", "", 0, 150)) == Times{200});
  CHECK(started(store->ListRuns("", "", 0, 0)) == Times{250, 200, 150, 100});
  CHECK(started(store->ListRuns("nobody", "", 0, 0)).empty());
  auto runs = store->ListRuns("other", "drift", 0, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->at(0).project == "other");
  CHECK(runs->at(0).kind == "drift");
}

TEST_CASE("finishing or ending what the journal does not hold is reported as not found",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  CHECK(store->FinishRun(77, "ok", "").code() == Status::Code::kNotFound);
  CHECK(store->RecordActionEnd(77, "succeeded", "").code() == Status::Code::kNotFound);
  CHECK(store->RecordActionStart(Action(77, "create", "h1/a")).status().code() ==
        Status::Code::kNotFound);
}

}  // namespace
}  // namespace jlrec
