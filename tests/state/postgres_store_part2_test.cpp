// The PostgreSQL store's journal, release records, drift history and dump against the lab's
// server: each test case on a database of its own (support/postgres_scratch.h).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "model/state_dump.h"
#include "state/pg_connection.h"
#include "state/postgres_state_store.h"
#include "state/state_test_support.h"
#include "support/postgres_scratch.h"

namespace jlrec {
namespace {

// A database of its own for one test case, leased from the lab's server.
class ScratchDatabase {
 public:
  const std::string& url() const { return db_.url(); }

  std::unique_ptr<StateStore> Open() const {
    Result<std::unique_ptr<StateStore>> store = OpenPostgresStateStore(url());
    INFO(store.status().ToString());
    REQUIRE(store.ok());
    return std::move(*store);
  }

 private:
  testing::ScratchPostgresDatabase db_;
};

// The lab's server is required (ScratchPostgresDatabase fails the case naming how to start it).
#define REQUIRE_SERVER(db) (void)(db)

RunRecord ApplyRun(std::int64_t started_at = 0, const std::string& project = "demo") {
  RunRecord run;
  run.kind = "apply";
  run.project = project;
  run.groups = {"product", "test \"quoted\""};
  run.started_at = started_at;
  return run;
}

ActionRecord Action(std::int64_t run_id, const std::string& kind, const std::string& ref,
                    std::int64_t started_at = 0) {
  ActionRecord action;
  action.run_id = run_id;
  action.action = kind;
  action.container = ref;
  action.started_at = started_at;
  return action;
}

ReleasedContainer Released(const std::string& host, const std::string& container) {
  ReleasedContainer c;
  c.host = host;
  c.container = container;
  c.groups = {"product", "with,comma {brace} \\back\\slash \"quote\" NULL"};
  c.core = container == "core";
  c.action = "replace";
  c.outcome = "succeeded";
  c.image = "127.0.0.1:5000/jlrec-lab/base:" + container;
  c.image_digest = "sha256:d1" + container;
  c.image_id = "sha256:1d" + container;
  c.container_id = "0123456789ab" + host + container;
  c.script_digest = "5c" + container;
  return c;
}

DriftCheckRecord Check(std::int64_t at, const std::string& result,
                       std::vector<DriftFinding> findings = {},
                       const std::string& project = "demo") {
  DriftCheckRecord check;
  check.project = project;
  check.groups = {"product"};
  check.checked_at = at;
  check.result = result;
  check.detail = result + " at " + std::to_string(at);
  check.findings = std::move(findings);
  return check;
}

std::vector<std::string> Containers(const std::vector<ActionRecord>& actions) {
  std::vector<std::string> refs;
  for (const ActionRecord& a : actions) refs.push_back(a.container);
  return refs;
}

TEST_CASE("postgres journal: a run and its actions are visible to another store at once",
          "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto writer = db.Open();
  auto reader = db.Open();
  RunRecord started = ApplyRun();
  started.owner = "ops@control-1";
  started.manifest_digest = "sha256:4f2a";
  started.jlrec_version = "0.9.0";
  Result<std::int64_t> run = writer->BeginRun(started);
  REQUIRE(run.ok());
  Result<std::int64_t> create = writer->RecordActionStart(Action(*run, "create", "h1/master"));
  REQUIRE(create.ok());

  auto runs = reader->ListRuns("", "", 10, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->at(0).id == *run);
  CHECK(runs->at(0).result == "running");
  CHECK(runs->at(0).finished_at == 0);
  CHECK(runs->at(0).started_at > 1700000000);
  CHECK(runs->at(0).groups == started.groups);
  CHECK(runs->at(0).owner == "ops@control-1");
  CHECK(runs->at(0).manifest_digest == "sha256:4f2a");
  CHECK(runs->at(0).jlrec_version == "0.9.0");
  auto actions = reader->ListActions(*run);
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 1);
  CHECK(actions->at(0).result == "running");

  REQUIRE(writer->RecordActionEnd(*create, "failed", "Error response from daemon: boom").ok());
  REQUIRE(writer->FinishRun(*run, "failed", "1 failed").ok());
  actions = reader->ListActions(*run);
  REQUIRE(actions.ok());
  CHECK(actions->at(0).result == "failed");
  CHECK(actions->at(0).error == "Error response from daemon: boom");
  CHECK(actions->at(0).finished_at >= actions->at(0).started_at);
  auto loaded = reader->LoadRun(*run);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->result == "failed");
  CHECK((*loaded)->detail == "1 failed");
  CHECK((*loaded)->finished_at > 0);
  auto missing = reader->LoadRun(*run + 1000);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("postgres journal: runs are listed newest first by project\\, kind\\, time and limit",
          "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  std::vector<std::int64_t> ids;
  for (std::int64_t t : {100, 300, 200, 300}) ids.push_back(*store->BeginRun(ApplyRun(t)));
  RunRecord drift = ApplyRun(250);
  drift.kind = "drift";
  REQUIRE(store->BeginRun(drift).ok());
  REQUIRE(store->BeginRun(ApplyRun(400, "other")).ok());

  auto all = store->ListRuns("", "", 0, 0);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 6);
  CHECK(all->at(0).project == "other");
  // Two runs in the same second: the later one first.
  CHECK(all->at(1).id == ids[3]);
  CHECK(all->at(2).id == ids[1]);
  CHECK(all->at(3).kind == "drift");

  auto demo = store->ListRuns("demo", "", 0, 0);
  REQUIRE(demo.ok());
  CHECK(demo->size() == 5);
  auto applies = store->ListRuns("demo", "apply", 2, 0);
  REQUIRE(applies.ok());
  REQUIRE(applies->size() == 2);
  CHECK(applies->at(0).id == ids[3]);
  CHECK(applies->at(1).id == ids[1]);
  auto recent = store->ListRuns("", "", -1, 250);
  REQUIRE(recent.ok());
  CHECK(recent->size() == 4);
  auto nobody = store->ListRuns("nobody", "", 0, 0);
  REQUIRE(nobody.ok());
  CHECK(nobody->empty());
}

TEST_CASE(
    "postgres journal: unfinished actions are the running ones of the project\\, newest first",
    "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  const std::int64_t older = *store->BeginRun(ApplyRun(100));
  const std::int64_t newer = *store->BeginRun(ApplyRun(200));
  const std::int64_t other = *store->BeginRun(ApplyRun(300, "other"));
  auto start = [&](std::int64_t run, const std::string& ref, std::int64_t at) {
    Result<std::int64_t> id = store->RecordActionStart(Action(run, "create", ref, at));
    REQUIRE(id.ok());
    return *id;
  };
  start(older, "h1/killed", 110);
  const std::int64_t done = start(older, "h1/done", 120);
  const std::int64_t failed = start(newer, "h2/failed", 210);
  start(newer, "h2/running", 220);
  start(newer, "h3/running", 220);
  start(other, "h1/foreign", 310);
  REQUIRE(store->RecordActionEnd(done, "succeeded", "").ok());
  REQUIRE(store->RecordActionEnd(failed, "failed", "exit 1").ok());

  auto unfinished = store->ListUnfinishedActions("demo");
  REQUIRE(unfinished.ok());
  CHECK(Containers(*unfinished) ==
        std::vector<std::string>{"h3/running", "h2/running", "h1/killed"});
  auto foreign = store->ListUnfinishedActions("other");
  REQUIRE(foreign.ok());
  CHECK(Containers(*foreign) == std::vector<std::string>{"h1/foreign"});
  auto actions = store->ListActions(older);
  REQUIRE(actions.ok());
  CHECK(Containers(*actions) == std::vector<std::string>{"h1/killed", "h1/done"});
}

TEST_CASE("postgres journal: what the journal does not hold is reported as not found",
          "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  CHECK(store->FinishRun(77, "ok", "").code() == Status::Code::kNotFound);
  CHECK(store->RecordActionEnd(77, "succeeded", "").code() == Status::Code::kNotFound);
  CHECK(store->RecordActionStart(Action(77, "create", "h1/a")).status().code() ==
        Status::Code::kNotFound);
  CHECK(store->RecordRelease(77, {}).code() == Status::Code::kNotFound);
  CHECK(store->RecordRelease(77, {Released("h1", "a")}).code() == Status::Code::kNotFound);
  auto none = store->ListRelease(77);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("postgres release record: read back in recorded order and replaced as a whole",
          "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  const std::int64_t run = *store->BeginRun(ApplyRun());
  const std::int64_t other = *store->BeginRun(ApplyRun());
  ReleasedContainer gone = Released("h2", "old");
  gone.action = "remove";
  gone.groups.clear();
  gone.container_id.clear();
  const std::vector<ReleasedContainer> record = {Released("h2", "worker"), Released("h1", "core"),
                                                 Released("h1", "cache"), gone};
  REQUIRE(store->RecordRelease(run, record).ok());
  REQUIRE(store->RecordRelease(other, {Released("h9", "z")}).ok());
  auto reader = db.Open();
  CHECK(*reader->ListRelease(run) == record);

  REQUIRE(store->RecordRelease(run, {Released("h3", "new")}).ok());
  CHECK(*reader->ListRelease(run) == std::vector<ReleasedContainer>{Released("h3", "new")});
  CHECK(*reader->ListRelease(other) == std::vector<ReleasedContainer>{Released("h9", "z")});
  REQUIRE(store->RecordRelease(run, {}).ok());
  CHECK(reader->ListRelease(run)->empty());
}

TEST_CASE("postgres drift history: checks with their findings\\, newest first\\, by project",
          "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  const std::vector<DriftFinding> findings = {{"h1/master", "stopped", "exited (137)"},
                                              {"h2/worker", "script_changed", "sha256 abc != def"},
                                              {"h3", "unknown", "connect: connection refused"}};
  auto first = store->RecordDriftCheck(Check(100, "in_sync"));
  auto second = store->RecordDriftCheck(Check(200, "drift", findings));
  auto third = store->RecordDriftCheck(Check(300, "in_sync", {{"h1/x", "orphan", ""}}));
  auto same_time = store->RecordDriftCheck(Check(300, "error"));
  REQUIRE(store->RecordDriftCheck(Check(400, "drift", findings, "other")).ok());
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(third.ok());
  REQUIRE(same_time.ok());

  auto checks = store->ListDriftChecks("demo", 0, 0);
  REQUIRE(checks.ok());
  REQUIRE(checks->size() == 4);
  CHECK(checks->at(0).id == *same_time);
  CHECK(checks->at(1).id == *third);
  CHECK(checks->at(1).findings == std::vector<DriftFinding>{{"h1/x", "orphan", ""}});
  const DriftCheckRecord& drift = checks->at(2);
  CHECK(drift.id == *second);
  CHECK(drift.project == "demo");
  CHECK(drift.groups == std::vector<std::string>{"product"});
  CHECK(drift.checked_at == 200);
  CHECK(drift.result == "drift");
  CHECK(drift.detail == "drift at 200");
  CHECK(drift.findings == findings);
  CHECK(checks->at(3).findings.empty());

  CHECK(store->ListDriftChecks("demo", 200, 0)->size() == 3);
  auto limited = store->ListDriftChecks("demo", 0, 1);
  REQUIRE(limited.ok());
  REQUIRE(limited->size() == 1);
  CHECK(limited->at(0).id == *same_time);
  CHECK(store->ListDriftChecks("nobody", 0, 0)->empty());
}

TEST_CASE("postgres drift history: an unknown result is refused and a check with no time gets now",
          "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  auto refused = store->RecordDriftCheck(Check(100, "maybe", {{"h1/a", "missing", ""}}));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  CHECK(store->ListDriftChecks("demo", 0, 0)->empty());
  REQUIRE(store->RecordDriftCheck(Check(0, "error")).ok());
  auto checks = store->ListDriftChecks("demo", 0, 0);
  REQUIRE(checks.ok());
  REQUIRE(checks->size() == 1);
  CHECK(checks->at(0).checked_at > 1700000000);
}

// A dump of two projects, as another state would export it (ids from elsewhere).
StateDump SampleDump() {
  StateDump dump;
  for (int i = 0; i < 3; ++i) {
    StateDump::Run r;
    r.run = ApplyRun(1000 + i, i == 2 ? "other" : "demo");
    r.run.id = 500 + i;
    r.run.result = i == 1 ? "running" : "ok";
    r.run.finished_at = i == 1 ? 0 : 1010 + i;
    r.run.owner = "ops@old";
    r.run.detail = "detail " + std::to_string(i);
    for (int a = 0; a < 2; ++a) {
      ActionRecord action = Action(r.run.id, "create", "h1/c" + std::to_string(a), 1001 + i);
      action.id = 9000 + i * 10 + a;
      action.result = a == 0 && i == 1 ? "running" : "succeeded";
      action.finished_at = action.result == "running" ? 0 : 1002 + i;
      r.actions.push_back(action);
    }
    r.release = {Released("h1", "c0"), Released("h1", "core")};
    dump.runs.push_back(r);
  }
  dump.drift_checks = {Check(1100, "drift", {{"h1/c0", "stopped", "exited"}}),
                       Check(1200, "in_sync", {}, "other")};
  dump.drift_checks[0].id = 70;
  dump.drift_checks[1].id = 71;
  ActionFailure failure;
  failure.host = "h1";
  failure.container = "c1";
  failure.action = "replace";
  failure.reason = "health check timed out";
  failure.rolled_back = true;
  failure.run_id = 501;
  failure.failed_at = 1005;
  dump.failures.push_back({"demo", failure});
  failure.container = "c2";
  failure.run_id = 42;  // its run is not in the dump: 0 in the target
  dump.failures.push_back({"demo", failure});
  Adoption adoption;
  adoption.host = "h2";
  adoption.container = "legacy";
  adoption.container_id = "abc";
  adoption.spec_digest = "sd";
  adoption.groups = {"product"};
  adoption.core = true;
  adoption.run_id = 502;
  adoption.adopted_at = 1003;
  dump.adoptions.push_back({"other", adoption});
  dump.key_ids = {{"demo", "kid-demo"}, {"other", "kid-other"}};
  return dump;
}

// `dump` with the ids a store assigns taken out, for comparing two states.
std::vector<std::string> Flattened(const StateDump& dump) {
  std::vector<std::string> lines;
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += s + "|";
    return out;
  };
  for (const StateDump::Run& r : dump.runs) {
    lines.push_back("run " + r.run.kind + " " + r.run.project + " " + join(r.run.groups) + " " +
                    std::to_string(r.run.started_at) + " " + std::to_string(r.run.finished_at) +
                    " " + r.run.result + " " + r.run.detail + " " + r.run.owner + " " +
                    r.run.manifest_digest + " " + r.run.jlrec_version);
    for (const ActionRecord& a : r.actions)
      lines.push_back(" action " + a.action + " " + a.container + " " +
                      std::to_string(a.started_at) + " " + std::to_string(a.finished_at) + " " +
                      a.result + " " + a.error);
    for (const ReleasedContainer& c : r.release)
      lines.push_back(" release " + c.Ref() + " " + join(c.groups) + " " + c.image +
                      (c.core ? " core" : ""));
  }
  for (const DriftCheckRecord& c : dump.drift_checks) {
    lines.push_back("check " + c.project + " " + join(c.groups) + " " +
                    std::to_string(c.checked_at) + " " + c.result + " " + c.detail);
    for (const DriftFinding& f : c.findings)
      lines.push_back(" finding " + f.container + " " + f.kind + " " + f.detail);
  }
  for (const StateDump::Failure& f : dump.failures)
    lines.push_back("failure " + f.project + " " + f.failure.Ref() + " " + f.failure.reason +
                    (f.failure.rolled_back ? " rolled back " : " ") +
                    std::to_string(f.failure.failed_at));
  for (const StateDump::Adopted& a : dump.adoptions)
    lines.push_back("adoption " + a.project + " " + a.adoption.Ref() + " " +
                    join(a.adoption.groups) + std::to_string(a.adoption.adopted_at));
  for (const StateDump::KeyId& k : dump.key_ids)
    lines.push_back("key " + k.project + " " + k.key_id);
  return lines;
}

StateDump ExportOrFail(StateStore& store) {
  Result<StateDump> dump = store.ExportState();
  INFO(dump.status().ToString());
  REQUIRE(dump.ok());
  return std::move(*dump);
}

TEST_CASE(
    "postgres dump: an imported state exports the same\\, with new ids followed by references",
    "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  // Something already there, so the imported ids cannot be the dump's own.
  const std::int64_t local = *store->BeginRun(ApplyRun(50, "local"));
  REQUIRE(store->RecordActionStart(Action(local, "create", "h9/x")).ok());
  REQUIRE(store->RecordDriftCheck(Check(60, "in_sync", {}, "local")).ok());

  const StateDump dump = SampleDump();
  Status imported = store->ImportState(dump, false);
  INFO(imported.ToString());
  REQUIRE(imported.ok());

  StateDump exported = ExportOrFail(*db.Open());
  REQUIRE(exported.runs.size() == 4);
  CHECK(exported.runs[0].run.project == "local");
  exported.runs.erase(exported.runs.begin());
  REQUIRE(exported.drift_checks.size() == 3);
  exported.drift_checks.erase(exported.drift_checks.begin());
  CHECK(Flattened(exported) == Flattened(dump));

  // New ids, in the dump's order; every reference follows its run.
  std::vector<std::int64_t> ids;
  for (const StateDump::Run& r : exported.runs) {
    ids.push_back(r.run.id);
    for (const ActionRecord& a : r.actions) CHECK(a.run_id == r.run.id);
  }
  CHECK(ids[0] > local);
  CHECK(ids[0] < ids[1]);
  CHECK(ids[1] < ids[2]);
  REQUIRE(exported.failures.size() == 2);
  CHECK(exported.failures[0].failure.run_id == ids[1]);
  CHECK(exported.failures[1].failure.run_id == 0);
  REQUIRE(exported.adoptions.size() == 1);
  CHECK(exported.adoptions[0].adoption.run_id == ids[2]);

  // The interface reads what was imported.
  auto unfinished = store->ListUnfinishedActions("demo");
  REQUIRE(unfinished.ok());
  CHECK(Containers(*unfinished) == std::vector<std::string>{"h1/c0"});
  CHECK(*store->ListRelease(ids[0]) == dump.runs[0].release);
  auto checks = store->ListDriftChecks("demo", 0, 0);
  REQUIRE(checks.ok());
  REQUIRE(checks->size() == 1);
  CHECK(checks->at(0).findings == dump.drift_checks[0].findings);
  // New rows after the import get ids past the imported ones.
  CHECK(*store->BeginRun(ApplyRun()) > ids[2]);
}

TEST_CASE("postgres dump: importing a project the database holds is refused unless replaced",
          "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  REQUIRE(store->BeginRun(ApplyRun(10, "bystander")).ok());
  REQUIRE(store->RecordDriftCheck(Check(20, "drift", {}, "other")).ok());
  const StateDump before = ExportOrFail(*store);

  Status refused = store->ImportState(SampleDump(), false);
  CHECK(refused.code() == Status::Code::kConflict);
  CHECK_THAT(refused.message(), Catch::Contains("\"other\""));
  CHECK(Flattened(ExportOrFail(*store)) == Flattened(before));

  REQUIRE(store->ImportState(SampleDump(), true).ok());
  StateDump after = ExportOrFail(*store);
  // The bystander's run stays; "other"'s earlier drift check is gone; nothing doubled.
  REQUIRE(after.runs.size() == 4);
  CHECK(after.runs[0].run.project == "bystander");
  after.runs.erase(after.runs.begin());
  CHECK(Flattened(after) == Flattened(SampleDump()));

  // Importing it again with replace gives the same state, not two copies.
  REQUIRE(store->ImportState(SampleDump(), true).ok());
  CHECK(Flattened(ExportOrFail(*store)).size() == Flattened(after).size() + 1);
}

TEST_CASE("postgres dump: a dump the schema refuses writes nothing", "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  StateDump bad_check = SampleDump();
  bad_check.drift_checks[1].result = "maybe";
  CHECK(store->ImportState(bad_check, false).code() == Status::Code::kInvalidArgument);
  StateDump twice = SampleDump();
  twice.runs[1].run.id = twice.runs[0].run.id;
  CHECK(store->ImportState(twice, false).code() == Status::Code::kInvalidArgument);
  const StateDump empty = ExportOrFail(*store);
  CHECK(empty.runs.empty());
  CHECK(empty.drift_checks.empty());
  CHECK(empty.failures.empty());
  CHECK(empty.key_ids.empty());
  // And the store still works on the same session afterwards.
  REQUIRE(store->ImportState(SampleDump(), false).ok());
}

TEST_CASE("postgres dump: a hundred thousand actions import and export in seconds",
          "[state][postgres]") {
  ScratchDatabase db;
  REQUIRE_SERVER(db);
  auto store = db.Open();
  StateDump dump;
  for (int i = 0; i < 1000; ++i) {
    StateDump::Run r;
    r.run = ApplyRun(1000 + i);
    r.run.id = i + 1;
    r.run.result = "ok";
    for (int a = 0; a < 100; ++a) {
      ActionRecord action = Action(r.run.id, "replace", "h" + std::to_string(a) + "/web", 1000 + i);
      action.result = "succeeded";
      action.error = a % 10 == 0 ? "an error with \"quotes\", {braces} and \\" : "";
      r.actions.push_back(action);
    }
    if (i % 10 == 0) r.release = {Released("h1", "web"), Released("h2", "web")};
    dump.runs.push_back(std::move(r));
  }
  const auto start = std::chrono::steady_clock::now();
  Status imported = store->ImportState(dump, false);
  const auto import_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  INFO(imported.ToString());
  REQUIRE(imported.ok());
  const auto middle = std::chrono::steady_clock::now();
  const StateDump exported = ExportOrFail(*store);
  const auto export_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - middle)
                             .count();
  WARN("100,000 actions: import " << import_ms << " ms, export " << export_ms << " ms");
  CHECK(import_ms < 20000);
  CHECK(export_ms < 20000);
  REQUIRE(exported.runs.size() == 1000);
  CHECK(exported.runs[999].actions.size() == 100);
  CHECK(exported.runs[0].actions[0].error == dump.runs[0].actions[0].error);
  CHECK(exported.runs[990].release == dump.runs[990].release);
}

// What a store says of `project`'s cache, failures, adoptions and key id, as text.
std::vector<std::string> Described(StateStore& store, const std::string& project,
                                   const std::vector<std::string>& hosts) {
  std::vector<std::string> lines;
  auto cached = store.ListCachedHosts(project);
  REQUIRE(cached.ok());
  for (const CachedHostRecord& h : *cached)
    lines.push_back("host " + h.host + (h.reachable ? " up " : " down ") + h.error + " " +
                    std::to_string(h.last_refresh_at) + " " + std::to_string(h.last_success_at) +
                    " " + std::to_string(h.container_count));
  auto snapshots = store.LoadSnapshots(project, hosts);
  REQUIRE(snapshots.ok());
  for (const HostSnapshot& s : *snapshots) {
    lines.push_back("snapshot " + s.host + " " + std::to_string(s.observed_at) + " " + s.error);
    for (const LiveContainer& c : s.containers) {
      std::string labels;
      for (const auto& [k, v] : c.jlrec_labels) labels += k + "=" + v + ",";
      for (const auto& [k, v] : c.spec.labels) labels += k + "=" + v + ",";
      lines.push_back(" " + c.name + " " + c.id + " " + c.image_id + " " + c.spec.image + " " +
                      c.state + " " + c.health + " " + std::to_string(c.restart_count) + " " +
                      std::to_string(c.exit_code) + " " + c.created + " " + c.started_at + " " +
                      c.script_digest.value_or("(none)") + " " + c.script_stat + " " + labels +
                      (c.spec.healthcheck ? " healthcheck" : ""));
    }
  }
  auto failures = store.ListFailures(project);
  REQUIRE(failures.ok());
  for (const ActionFailure& f : *failures) lines.push_back("failure " + f.Ref() + " " + f.reason);
  auto adoptions = store.ListAdoptions(project);
  REQUIRE(adoptions.ok());
  for (const Adoption& a : *adoptions)
    lines.push_back("adoption " + a.Ref() + " " + a.container_id);
  auto key_id = store.ClaimStateKeyId(project, "unclaimed");
  REQUIRE(key_id.ok());
  lines.push_back("key " + *key_id);
  return lines;
}

TEST_CASE(
    "postgres dump: cached hosts\\, failures\\, adoptions and key ids move to another database",
    "[state][postgres]") {
  ScratchDatabase source_db;
  REQUIRE_SERVER(source_db);
  ScratchDatabase target_db;
  auto source = source_db.Open();
  const std::int64_t run = *source->BeginRun(ApplyRun(100));
  REQUIRE(source
              ->SaveSnapshots(
                  "demo", {test::ReachableSnapshot(
                               "h1", 1000,
                               {test::SampleContainer("web", 0), test::SampleContainer("db", 1),
                                test::SampleContainer("cache", 2)}),
                           test::ReachableSnapshot("h2", 1000, {test::SampleContainer("w", 3)})})
              .ok());
  HostSnapshot down;
  down.host = "h2";
  down.error = "connect: connection refused";
  down.observed_at = 2000;
  REQUIRE(source->SaveSnapshot("demo", down).ok());  // h2's container stays, stale
  ActionFailure failure;
  failure.host = "h1";
  failure.container = "web";
  failure.action = "replace";
  failure.reason = "health check timed out";
  failure.run_id = run;
  failure.failed_at = 150;
  REQUIRE(source->SaveFailure("demo", failure).ok());
  Adoption adoption;
  adoption.host = "h1";
  adoption.container = "db";
  adoption.container_id = "0123";
  adoption.groups = {"product"};
  adoption.run_id = run;
  adoption.adopted_at = 160;
  REQUIRE(source->SaveAdoption("demo", adoption).ok());
  REQUIRE(source->ClaimStateKeyId("demo", "kid-1").ok());

  const StateDump dump = ExportOrFail(*source);
  REQUIRE(dump.hosts.size() == 2);
  CHECK(dump.hosts[0].record.host == "h1");
  CHECK(dump.hosts[0].containers.size() == 3);
  CHECK_FALSE(dump.hosts[1].record.reachable);
  CHECK(dump.hosts[1].containers.size() == 1);

  auto target = target_db.Open();
  REQUIRE(target->BeginRun(ApplyRun(50, "local")).ok());  // so the run gets another id
  Status imported = target->ImportState(dump, false);
  INFO(imported.ToString());
  REQUIRE(imported.ok());
  const std::vector<std::string> hosts = {"h1", "h2"};
  const std::vector<std::string> described = Described(*target, "demo", hosts);
  CHECK(described == Described(*source, "demo", hosts));
  CHECK(described.size() == 11);
  auto runs = target->ListRuns("demo", "", 0, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->at(0).id != run);
  CHECK(target->ListFailures("demo")->at(0).run_id == runs->at(0).id);
  CHECK(target->ListAdoptions("demo")->at(0).run_id == runs->at(0).id);

  // The cache alone makes the project taken: a second import is refused.
  StateDump hosts_only;
  hosts_only.hosts = dump.hosts;
  CHECK(target->ImportState(hosts_only, false).code() == Status::Code::kConflict);
}

}  // namespace
}  // namespace jlrec
