// A whole state carried to another backend (`jlrec state migrate`): exported in one
// snapshot, imported in one transaction with run references remapped, never over a project
// the target already holds unless asked to replace it, and never touching other projects.
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "model/state_dump.h"
#include "state/snapshot_blob.h"
#include "state/state_test_support.h"

namespace jlrec {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string text = "[";
  for (const std::string& item : items) text += (text.size() > 1 ? "," : "") + item;
  return text + "]";
}

// `dump` as text in which ids are gone: runs are named by their place in the dump ("run#0"),
// and every reference to a run (actions, failures, adoptions) by the place of the run it
// names. Two dumps of the same state, whatever ids each backend gave, read the same.
std::string Canonical(const StateDump& dump) {
  std::map<std::int64_t, std::string> run_names;
  for (std::size_t i = 0; i < dump.runs.size(); ++i)
    run_names[dump.runs[i].run.id] = "run#" + std::to_string(i);
  auto run_name = [&](std::int64_t id) {
    auto found = run_names.find(id);
    return found != run_names.end() ? found->second : "unknown run " + std::to_string(id);
  };
  std::ostringstream out;
  for (const StateDump::Run& r : dump.runs) {
    const RunRecord& run = r.run;
    out << run_name(run.id) << " " << run.kind << " " << run.project << " " << Join(run.groups)
        << " " << run.started_at << "-" << run.finished_at << " " << run.result << " '"
        << run.detail << "' " << run.owner << " " << run.manifest_digest << " " << run.jlrec_version
        << "\n";
    for (const ActionRecord& a : r.actions)
      out << "  action of " << run_name(a.run_id) << ": " << a.action << " " << a.container << " "
          << a.started_at << "-" << a.finished_at << " " << a.result << " '" << a.error << "'\n";
    for (const ReleasedContainer& c : r.release)
      out << "  released " << c.Ref() << " " << Join(c.groups) << " core=" << c.core << " "
          << c.action << " " << c.outcome << " " << c.image << " " << c.image_digest << " "
          << c.image_id << " " << c.container_id << " " << c.script_digest << "\n";
  }
  for (const DriftCheckRecord& check : dump.drift_checks) {
    out << "drift " << check.project << " " << Join(check.groups) << " " << check.checked_at << " "
        << check.result << " '" << check.detail << "'\n";
    for (const DriftFinding& f : check.findings)
      out << "  finding " << f.container << " " << f.kind << " '" << f.detail << "'\n";
  }
  for (const StateDump::Failure& f : dump.failures) {
    const ActionFailure& a = f.failure;
    out << "failure " << f.project << " " << a.Ref() << " " << a.action << " " << a.container_id
        << " " << a.spec_digest << " " << a.script_digest << " '" << a.reason
        << "' rolled_back=" << a.rolled_back << " " << run_name(a.run_id) << " " << a.failed_at
        << "\n";
  }
  for (const StateDump::Adopted& adopted : dump.adoptions) {
    const Adoption& a = adopted.adoption;
    out << "adoption " << adopted.project << " " << a.Ref() << " " << a.container_id << " "
        << a.spec_digest << " " << Join(a.groups) << " core=" << a.core << " " << run_name(a.run_id)
        << " " << a.adopted_at << "\n";
  }
  for (const StateDump::Host& h : dump.hosts) {
    const CachedHostRecord& r = h.record;
    out << "host " << h.project << " " << r.host << " reachable=" << r.reachable << " '" << r.error
        << "' " << r.last_refresh_at << " " << r.last_success_at << " " << r.container_count << " "
        << test::Hex(EncodeHostContainers(h.containers)) << "\n";
  }
  for (const StateDump::KeyId& k : dump.key_ids)
    out << "key " << k.project << " " << k.key_id << "\n";
  return out.str();
}

// What of `dump` belongs to `project`.
StateDump OnlyProject(const StateDump& dump, const std::string& project) {
  StateDump only;
  for (const auto& run : dump.runs)
    if (run.run.project == project) only.runs.push_back(run);
  for (const auto& check : dump.drift_checks)
    if (check.project == project) only.drift_checks.push_back(check);
  for (const auto& failure : dump.failures)
    if (failure.project == project) only.failures.push_back(failure);
  for (const auto& adopted : dump.adoptions)
    if (adopted.project == project) only.adoptions.push_back(adopted);
  for (const auto& host : dump.hosts)
    if (host.project == project) only.hosts.push_back(host);
  for (const auto& key : dump.key_ids)
    if (key.project == project) only.key_ids.push_back(key);
  return only;
}

StateDump ExportOrFail(StateStore& store) {
  Result<StateDump> dump = store.ExportState();
  INFO(dump.status().ToString());
  REQUIRE(dump.ok());
  return std::move(*dump);
}

// Writes through `store`'s API what a project's life leaves: runs (one killed mid-way) with
// actions and a release record, drift checks with findings, a failure and an adoption naming
// runs, a reachable and an unreachable host, its state key id. Times start at `at`.
void FillProject(StateStore& store, const std::string& project, std::int64_t at) {
  std::vector<std::int64_t> runs;
  for (int i = 0; i < 3; ++i) {
    RunRecord run;
    run.kind = i == 1 ? "drift" : "apply";
    run.project = project;
    run.groups = {"product", "test \"quoted\""};
    run.started_at = at + 10 * i;
    run.owner = "ops@control-" + std::to_string(i);
    run.manifest_digest = "sha256:4f2a" + std::to_string(i);
    run.jlrec_version = "0.9." + std::to_string(i);
    Result<std::int64_t> id = store.BeginRun(run);
    REQUIRE(id.ok());
    runs.push_back(*id);
    ActionRecord action;
    action.run_id = *id;
    action.action = "create";
    action.container = "h1/web" + std::to_string(i);
    action.started_at = at + 10 * i + 1;
    Result<std::int64_t> action_id = store.RecordActionStart(action);
    REQUIRE(action_id.ok());
    if (i < 2) {  // the last run was killed: its action and itself stay "running"
      REQUIRE(store.RecordActionEnd(*action_id, "failed", "exit 1: \"boom\"\nline ✓").ok());
      REQUIRE(store.FinishRun(*id, "failed", "1 failed, " + project).ok());
    }
  }
  ReleasedContainer released;
  released.host = "h1";
  released.container = "web0";
  released.groups = {"product"};
  released.core = true;
  released.action = "create";
  released.outcome = "failed";
  released.image = "127.0.0.1:5000/jlrec-lab/base:1";
  released.image_digest = "sha256:d1";
  released.image_id = "sha256:1d";
  released.container_id = "c0ffee";
  released.script_digest = "5c";
  ReleasedContainer gone = released;
  gone.container = "old";
  gone.action = "remove";
  gone.outcome = "succeeded";
  gone.container_id.clear();
  REQUIRE(store.RecordRelease(runs[0], {released, gone}).ok());

  DriftCheckRecord check;
  check.project = project;
  check.groups = {"product"};
  check.checked_at = at + 15;
  check.result = "drift";
  check.detail = "2 findings";
  check.findings = {{"h1/web0", "stopped", "exited (137)"}, {"h2", "unknown", "refused"}};
  REQUIRE(store.RecordDriftCheck(check).ok());
  check.checked_at = at + 16;
  check.result = "in_sync";
  check.detail.clear();
  check.findings.clear();
  REQUIRE(store.RecordDriftCheck(check).ok());

  ActionFailure failure;
  failure.host = "h1";
  failure.container = "web0";
  failure.action = "create";
  failure.container_id = "c0ffee";
  failure.spec_digest = "5bec";
  failure.script_digest = "5c";
  failure.reason = "health check timed out after 3s";
  failure.rolled_back = true;
  failure.run_id = runs[0];
  failure.failed_at = at + 2;
  REQUIRE(store.SaveFailure(project, failure).ok());
  Adoption adoption;
  adoption.host = "h2";
  adoption.container = "db";
  adoption.container_id = "adopted";
  adoption.spec_digest = "5bec2";
  adoption.groups = {"product"};
  adoption.core = false;
  adoption.run_id = runs[2];
  adoption.adopted_at = at + 21;
  REQUIRE(store.SaveAdoption(project, adoption).ok());

  REQUIRE(store
              .SaveSnapshots(
                  project, {test::ReachableSnapshot(
                                "h1", at,
                                {test::SampleContainer("web0", 0), test::SampleContainer("db", 1)}),
                            test::ReachableSnapshot("h2", at, {test::SampleContainer("db", 2)})})
              .ok());
  HostSnapshot down;
  down.host = "h2";
  down.reachable = false;
  down.error = "connect to 127.0.0.3:2222: refused";
  down.observed_at = at + 30;
  REQUIRE(store.SaveSnapshots(project, {down}).ok());
  REQUIRE(store.ClaimStateKeyId(project, "key-of-" + project).ok());
}

// What a dump of `project` holds when made by hand (for the import tests, apart from any
// backend's export): ids as a source would have them.
StateDump HandMadeDump(const std::string& project) {
  StateDump dump;
  StateDump::Run& run = dump.runs.emplace_back();
  run.run.id = 41;
  run.run.kind = "apply";
  run.run.project = project;
  run.run.groups = {"product"};
  run.run.started_at = 1700000000;
  run.run.finished_at = 1700000010;
  run.run.result = "ok";
  ActionRecord& action = run.actions.emplace_back();
  action.id = 7;
  action.run_id = 41;
  action.action = "create";
  action.container = "h1/web";
  action.started_at = 1700000001;
  action.finished_at = 1700000002;
  action.result = "succeeded";
  ReleasedContainer& released = run.release.emplace_back();
  released.host = "h1";
  released.container = "web";
  released.action = "create";
  released.outcome = "succeeded";
  DriftCheckRecord& check = dump.drift_checks.emplace_back();
  check.id = 5;
  check.project = project;
  check.checked_at = 1700000020;
  check.result = "drift";
  check.findings = {{"h1/web", "stopped", "exited (1)"}};
  StateDump::Failure& failure = dump.failures.emplace_back();
  failure.project = project;
  failure.failure.host = "h1";
  failure.failure.container = "web";
  failure.failure.action = "create";
  failure.failure.run_id = 41;
  failure.failure.failed_at = 1700000003;
  StateDump::Adopted& adopted = dump.adoptions.emplace_back();
  adopted.project = project;
  adopted.adoption.host = "h2";
  adopted.adoption.container = "db";
  adopted.adoption.run_id = 41;
  adopted.adoption.adopted_at = 1700000004;
  StateDump::Host& host = dump.hosts.emplace_back();
  host.project = project;
  host.record.host = "h1";
  host.record.reachable = true;
  host.record.last_refresh_at = 1700000005;
  host.record.last_success_at = 1700000005;
  host.record.container_count = 1;
  host.containers = {test::SampleContainer("web", 0)};
  dump.key_ids.push_back({project, "hand-made-key"});
  return dump;
}

TEST_CASE(
    "a state carried from SQLite to PostgreSQL and back keeps everything, its run "
    "references remapped",
    "[state][contract]") {
  test::ScratchState source(test::StateBackend::kSqlite);
  {
    auto store = source.Open();
    FillProject(*store, "demo", 1700000000);
    FillProject(*store, "web", 1700001000);
  }
  const StateDump exported = ExportOrFail(*source.Open());
  REQUIRE(exported.runs.size() == 6);
  CHECK(exported.Projects() == std::vector<std::string>{"demo", "web"});

  // The target already holds another project, so imported runs cannot keep their ids.
  test::ScratchState middle(test::StateBackend::kPostgres);
  auto postgres = middle.Open();
  FillProject(*postgres, "other", 1600000000);
  Status imported = postgres->ImportState(exported, false);
  INFO(imported.ToString());
  REQUIRE(imported.ok());

  // What the importing backend's own API now reads, with the remapped ids.
  auto runs = postgres->ListRuns("demo", "", 0, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 3);
  const std::int64_t first_run = runs->back().id;
  CHECK(first_run != exported.runs.front().run.id);
  auto failures = postgres->ListFailures("demo");
  REQUIRE(failures.ok());
  REQUIRE(failures->size() == 1);
  CHECK(failures->front().run_id == first_run);
  auto release = postgres->ListRelease(first_run);
  REQUIRE(release.ok());
  CHECK(*release == exported.runs.front().release);
  auto adoptions = postgres->ListAdoptions("web");
  REQUIRE(adoptions.ok());
  REQUIRE(adoptions->size() == 1);
  auto web_runs = postgres->ListRuns("web", "", 0, 0);
  REQUIRE(web_runs.ok());
  CHECK(adoptions->front().run_id == web_runs->front().id);
  auto unfinished = postgres->ListUnfinishedActions("web");
  REQUIRE(unfinished.ok());
  CHECK(unfinished->size() == 1);
  auto checks = postgres->ListDriftChecks("demo", 0, 0);
  REQUIRE(checks.ok());
  REQUIRE(checks->size() == 2);
  CHECK(checks->back().findings.size() == 2);
  auto hosts = postgres->LoadSnapshots("demo", {"h1", "h2"});
  REQUIRE(hosts.ok());
  CHECK(hosts->at(0).containers.size() == 2);
  CHECK_FALSE(hosts->at(1).reachable);
  CHECK(hosts->at(1).containers.size() == 1);
  CHECK(*postgres->ClaimStateKeyId("web", "another-key") == "key-of-web");

  const StateDump through_postgres = ExportOrFail(*middle.Open());
  CHECK(through_postgres.Projects() == std::vector<std::string>{"demo", "other", "web"});
  StateDump carried = OnlyProject(through_postgres, "demo");
  StateDump web = OnlyProject(through_postgres, "web");
  CHECK(Canonical(carried) == Canonical(OnlyProject(exported, "demo")));
  CHECK(Canonical(web) == Canonical(OnlyProject(exported, "web")));

  // And back into a new SQLite state: the same again, the third project included.
  test::ScratchState back(test::StateBackend::kSqlite);
  Status returned = back.Open()->ImportState(through_postgres, false);
  INFO(returned.ToString());
  REQUIRE(returned.ok());
  CHECK(Canonical(ExportOrFail(*back.Open())) == Canonical(through_postgres));
}

TEST_CASE("importing over a project the state already holds is refused and changes nothing",
          "[state][contract]") {
  test::ScratchState target(EACH_STATE_BACKEND);
  INFO(target.Name());
  auto store = target.Open();
  FillProject(*store, "other", 1600000000);
  // Any one kind of data makes a project present.
  SECTION("a run") {
    RunRecord run;
    run.kind = "apply";
    run.project = "demo";
    REQUIRE(store->BeginRun(run).ok());
  }
  SECTION("a state key id") { REQUIRE(store->ClaimStateKeyId("demo", "k").ok()); }
  SECTION("a cached host") {
    REQUIRE(store->SaveSnapshot("demo", test::ReachableSnapshot("h9", 1, {})).ok());
  }
  SECTION("a failure") {
    ActionFailure failure;
    failure.host = "h1";
    failure.container = "x";
    REQUIRE(store->SaveFailure("demo", failure).ok());
  }
  SECTION("a drift check") {
    DriftCheckRecord check;
    check.project = "demo";
    check.result = "in_sync";
    REQUIRE(store->RecordDriftCheck(check).ok());
  }
  const std::string before = Canonical(ExportOrFail(*store));

  Status refused = store->ImportState(HandMadeDump("demo"), false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Status::Code::kConflict);
  CHECK_THAT(refused.message(), Catch::Contains("demo"));
  CHECK(Canonical(ExportOrFail(*target.Open())) == before);
}

TEST_CASE("importing with replace replaces the dump's projects only, in one go",
          "[state][contract]") {
  test::ScratchState target(EACH_STATE_BACKEND);
  INFO(target.Name());
  auto store = target.Open();
  FillProject(*store, "demo", 1600000000);
  FillProject(*store, "other", 1600001000);
  const std::string other_before = Canonical(OnlyProject(ExportOrFail(*store), "other"));

  const StateDump dump = HandMadeDump("demo");
  Status replaced = store->ImportState(dump, true);
  INFO(replaced.ToString());
  REQUIRE(replaced.ok());
  const StateDump after = ExportOrFail(*target.Open());
  CHECK(Canonical(OnlyProject(after, "demo")) == Canonical(dump));
  CHECK(Canonical(OnlyProject(after, "other")) == other_before);
  CHECK(*store->ClaimStateKeyId("demo", "k") == "hand-made-key");

  // A dump into an empty state needs no replace, and gets new ids for its runs.
  test::ScratchState empty(target.backend());
  auto fresh = empty.Open();
  REQUIRE(fresh->ImportState(dump, false).ok());
  CHECK(Canonical(ExportOrFail(*fresh)) == Canonical(dump));
}

}  // namespace
}  // namespace jlrec
