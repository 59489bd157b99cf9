// ExportState and ImportState of the SQLite store (what `jlrec state migrate` copies), and
// ClaimStateKeyId: a dump written into another state reads back the same, field for field,
// with new ids whose references follow; a target already holding a project is refused
// unless replacing, and then only that project changes.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <thread>

#include "model/state_dump.h"
#include "state/snapshot_blob.h"
#include "state/sqlite_state_store.h"
#include "state/state_test_support.h"

namespace jlrec {
namespace {

template <typename T>
T OkOrFail(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(*result);
}

void RequireOk(const Status& status) {
  INFO(status.ToString());
  REQUIRE(status.ok());
}

// Fills `project` of `store` with one of everything a state holds: runs (one finished with
// actions and a release record, one still running), drift checks with findings in order,
// a failure and an adoption naming runs, a reachable host, an unreachable one whose stale
// containers stay, one never reached, and a state key id. `seed` varies the values.
void Populate(StateStore& store, const std::string& project, int seed) {
  const std::int64_t t = 1700000000 + seed * 1000;
  const std::string s = std::to_string(seed);
  RunRecord apply{0,         "apply", project,       {"product", "test"}, t,         0,
                  "running", "",      "ops@box" + s, "sha256:ma" + s,     "0.9." + s};
  const std::int64_t run = OkOrFail(store.BeginRun(apply));
  ActionRecord create{0, run, "create", "h1/web", t + 1, 0, "running", ""};
  const std::int64_t a1 = OkOrFail(store.RecordActionStart(create));
  RequireOk(store.RecordActionEnd(a1, "succeeded", ""));
  ActionRecord replace{0, run, "replace", "h2/db", t + 2, 0, "running", ""};
  const std::int64_t a2 = OkOrFail(store.RecordActionStart(replace));
  RequireOk(store.RecordActionEnd(a2, "failed", "exit 1: \"quoted\"\nsecond line ✓"));
  ReleasedContainer released{"h1",           "web",       {"product"}, true,
                             "create",       "succeeded", "img:1" + s, "sha256:d" + s,
                             "sha256:i" + s, "c1" + s,    "sc" + s};
  ReleasedContainer removed;
  removed.host = "h2";
  removed.container = "db";
  removed.action = "remove";
  RequireOk(store.RecordRelease(run, {released, removed}));
  RequireOk(store.FinishRun(run, "failed", "{\"failed\": 1}"));
  RunRecord drift{0, "refresh", project, {}, t + 10, 0, "running", "", "", "", ""};
  const std::int64_t running = OkOrFail(store.BeginRun(drift));
  ActionRecord unfinished{0, running, "start", "h2/w" + s, t + 11, 0, "running", ""};
  OkOrFail(store.RecordActionStart(unfinished));

  DriftCheckRecord in_sync{0, project, {"product"}, t + 20, "in_sync", "all in sync", {}};
  OkOrFail(store.RecordDriftCheck(in_sync));
  DriftCheckRecord drifted{0,
                           project,
                           {"product", "test"},
                           t + 30,
                           "drift",
                           "2 findings",
                           {{"h2/db", "stopped", ""}, {"h1/web", "spec_changed", "image, ports"}}};
  OkOrFail(store.RecordDriftCheck(drifted));

  ActionFailure failure{
      "h2", "db", "replace", "c2" + s, "spec" + s, "script" + s, "health check timed out after 3s",
      true, run,  t + 3};
  RequireOk(store.SaveFailure(project, failure));
  Adoption adoption{"h1", "legacy", "c3" + s, "spec3" + s, {"product"}, true, run, t + 4};
  RequireOk(store.SaveAdoption(project, adoption));

  LiveContainer bare;
  bare.id = "b" + s;
  bare.name = "bare";
  RequireOk(store.SaveSnapshots(
      project, {test::ReachableSnapshot("h1", t + 40, {test::SampleContainer("web", seed), bare}),
                test::ReachableSnapshot("h2", t + 41,
                                        {test::SampleContainer("db", seed + 1),
                                         test::SampleContainer("cache", seed + 2)})}));
  HostSnapshot down;
  down.host = "h2";
  down.observed_at = t + 50;
  down.error = "ssh: connection refused";
  HostSnapshot never;
  never.host = "h3";
  never.observed_at = t + 51;
  never.error = "no route to host";
  RequireOk(store.SaveSnapshots(project, {down, never}));
  REQUIRE(OkOrFail(store.ClaimStateKeyId(project, "0123456789abcdef0123456789abcde" + s)) ==
          "0123456789abcdef0123456789abcde" + s);
}

std::string Groups(const std::vector<std::string>& groups) {
  std::string joined = "[";
  for (const std::string& g : groups) joined += g + ",";
  return joined + "]";
}

// Everything `dump` holds of `projects` as text, ids replaced by the position of their run,
// action or check in the dump: two dumps of the same history read the same.
std::string Describe(const StateDump& dump, const std::vector<std::string>& projects) {
  auto wanted = [&](const std::string& p) {
    return std::find(projects.begin(), projects.end(), p) != projects.end();
  };
  std::map<std::int64_t, int> run_pos;
  std::ostringstream out;
  for (const StateDump::Run& r : dump.runs) {
    if (!wanted(r.run.project)) continue;
    const int pos = static_cast<int>(run_pos.size());
    run_pos[r.run.id] = pos;
    const RunRecord& x = r.run;
    out << "run #" << pos << " " << x.kind << " " << x.project << " " << Groups(x.groups) << " "
        << x.started_at << " " << x.finished_at << " " << x.result << " " << x.detail << " "
        << x.owner << " " << x.manifest_digest << " " << x.jlrec_version << "\n";
    for (const ActionRecord& a : r.actions) {
      REQUIRE(a.run_id == x.id);
      out << "  action " << a.action << " " << a.container << " " << a.started_at << " "
          << a.finished_at << " " << a.result << " " << a.error << "\n";
    }
    for (const ReleasedContainer& c : r.release)
      out << "  released " << c.Ref() << " " << Groups(c.groups) << " " << c.core << " " << c.action
          << " " << c.outcome << " " << c.image << " " << c.image_digest << " " << c.image_id << " "
          << c.container_id << " " << c.script_digest << "\n";
  }
  for (const DriftCheckRecord& c : dump.drift_checks) {
    if (!wanted(c.project)) continue;
    out << "drift " << c.project << " " << Groups(c.groups) << " " << c.checked_at << " "
        << c.result << " " << c.detail << "\n";
    for (const DriftFinding& f : c.findings)
      out << "  finding " << f.container << " " << f.kind << " " << f.detail << "\n";
  }
  auto run_ref = [&](std::int64_t id) {
    auto found = run_pos.find(id);
    return found == run_pos.end() ? std::string("none") : "#" + std::to_string(found->second);
  };
  for (const StateDump::Failure& f : dump.failures) {
    if (!wanted(f.project)) continue;
    ActionFailure copy = f.failure;
    copy.run_id = 0;
    out << "failure " << f.project << " " << copy.Ref() << " " << copy.action << " "
        << copy.container_id << " " << copy.spec_digest << " " << copy.script_digest << " "
        << copy.reason << " " << copy.rolled_back << " " << run_ref(f.failure.run_id) << " "
        << copy.failed_at << "\n";
  }
  for (const StateDump::Adopted& a : dump.adoptions) {
    if (!wanted(a.project)) continue;
    const Adoption& x = a.adoption;
    out << "adoption " << a.project << " " << x.Ref() << " " << x.container_id << " "
        << x.spec_digest << " " << Groups(x.groups) << " " << x.core << " " << run_ref(x.run_id)
        << " " << x.adopted_at << "\n";
  }
  for (const StateDump::Host& h : dump.hosts) {
    if (!wanted(h.project)) continue;
    const CachedHostRecord& r = h.record;
    out << "host " << h.project << " " << r.host << " " << r.reachable << " " << r.error << " "
        << r.last_refresh_at << " " << r.last_success_at << " " << r.container_count << " "
        << h.containers.size() << "\n";
    // The snapshot value's encoding covers every stored field of a container.
    for (const LiveContainer& c : h.containers)
      out << "  " << c.name << " " << std::hash<std::string>{}(EncodeHostContainers({c})) << "\n";
  }
  for (const StateDump::KeyId& k : dump.key_ids)
    if (wanted(k.project)) out << "key id " << k.project << " " << k.key_id << "\n";
  return out.str();
}

// The export of a state file in `dir` populated with `projects` (seeds 1, 2, ...).
StateDump PopulatedDump(const test::TempDir& dir, const std::vector<std::string>& projects) {
  auto source = test::OpenStoreOrFail(dir.File("source.db"));
  for (std::size_t i = 0; i < projects.size(); ++i)
    Populate(*source, projects[i], static_cast<int>(i) + 1);
  return OkOrFail(source->ExportState());
}

TEST_CASE("an SQLite state exported and imported into another reads back field for field",
          "[state][dump]") {
  test::TempDir dir;
  StateDump dump = PopulatedDump(dir, {"alpha", "beta"});
  CHECK(dump.Projects() == std::vector<std::string>{"alpha", "beta"});
  CHECK(dump.runs.size() == 4);
  CHECK(dump.drift_checks.size() == 4);
  CHECK(dump.hosts.size() == 6);
  CHECK(dump.key_ids.size() == 2);
  CHECK_THAT(Describe(dump, {"alpha"}),
             Catch::Contains("second line ✓") && Catch::Contains("finding h1/web spec_changed"));

  // The target holds another project first: the imported runs get other ids than in the
  // source, and that project stays as it was.
  auto target = test::OpenStoreOrFail(dir.File("target.db"));
  Populate(*target, "other", 3);
  const std::string other_before = Describe(OkOrFail(target->ExportState()), {"other"});
  RequireOk(target->ImportState(dump, false));

  StateDump copied = OkOrFail(target->ExportState());
  CHECK(Describe(copied, {"alpha", "beta"}) == Describe(dump, {"alpha", "beta"}));
  CHECK(Describe(copied, {"other"}) == other_before);
  // The ids are new and the references follow them: the failure names its run.
  auto failures = OkOrFail(target->ListFailures("alpha"));
  REQUIRE(failures.size() == 1);
  auto run = OkOrFail(target->LoadRun(failures[0].run_id));
  REQUIRE(run.has_value());
  CHECK(run->project == "alpha");
  CHECK(run->kind == "apply");
  CHECK(run->id != dump.runs[0].run.id);
  CHECK(OkOrFail(target->ListRelease(run->id)).size() == 2);
  // What the store's own readers see: the unfinished action, the stale host, the key id.
  CHECK(OkOrFail(target->ListUnfinishedActions("beta")).size() == 1);
  auto hosts = OkOrFail(target->LoadSnapshots("alpha", {"h2", "h3"}));
  CHECK_FALSE(hosts[0].reachable);
  CHECK(hosts[0].error == "ssh: connection refused");
  CHECK(hosts[0].containers.size() == 2);
  CHECK(hosts[1].containers.empty());
  CHECK(OkOrFail(target->ClaimStateKeyId("alpha", "another")) ==
        "0123456789abcdef0123456789abcde1");
}

TEST_CASE("an import into a state holding a project of the dump is refused and writes nothing",
          "[state][dump]") {
  test::TempDir dir;
  StateDump dump = PopulatedDump(dir, {"alpha", "beta"});
  auto target = test::OpenStoreOrFail(dir.File("target.db"));
  Populate(*target, "beta", 4);
  const std::string before = Describe(OkOrFail(target->ExportState()), {"alpha", "beta"});

  Status refused = target->ImportState(dump, false);
  CHECK(refused.code() == Status::Code::kConflict);
  CHECK_THAT(refused.message(),
             Catch::Contains("already holds project beta") && Catch::Contains("2 runs") &&
                 Catch::Contains("2 drift checks") && Catch::Contains("1 state key id"));
  CHECK(Describe(OkOrFail(target->ExportState()), {"alpha", "beta"}) == before);
}

TEST_CASE("an import with replace deletes only the dump's projects first", "[state][dump]") {
  test::TempDir dir;
  StateDump dump = PopulatedDump(dir, {"alpha"});
  auto target = test::OpenStoreOrFail(dir.File("target.db"));
  Populate(*target, "alpha", 5);
  Populate(*target, "other", 6);
  const std::string other_before = Describe(OkOrFail(target->ExportState()), {"other"});

  RequireOk(target->ImportState(dump, true));
  StateDump after = OkOrFail(target->ExportState());
  CHECK(Describe(after, {"alpha"}) == Describe(dump, {"alpha"}));
  CHECK(Describe(after, {"other"}) == other_before);
  // Importing the same dump again with replace gives the same state, not a second copy.
  RequireOk(target->ImportState(dump, true));
  CHECK(Describe(OkOrFail(target->ExportState()), {"alpha"}) == Describe(dump, {"alpha"}));
}

TEST_CASE("an empty SQLite state exports an empty dump that imports as nothing", "[state][dump]") {
  test::TempDir dir;
  auto source = test::OpenStoreOrFail(dir.File("source.db"));
  StateDump dump = OkOrFail(source->ExportState());
  CHECK(dump.Projects().empty());
  auto target = test::OpenStoreOrFail(dir.File("target.db"));
  RequireOk(target->ImportState(dump, false));
  CHECK(OkOrFail(target->ExportState()).Projects().empty());
}

TEST_CASE("a state key id is claimed once per project and kept", "[state][dump]") {
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
  CHECK(OkOrFail(store->ClaimStateKeyId("alpha", "id-one")) == "id-one");
  CHECK(OkOrFail(store->ClaimStateKeyId("alpha", "id-two")) == "id-one");
  CHECK(OkOrFail(store->ClaimStateKeyId("beta", "id-two")) == "id-two");
  CHECK(store->ClaimStateKeyId("alpha", "").status().code() == Status::Code::kInvalidArgument);
  // Another process sees the same claim.
  auto other = test::OpenStoreOrFail(dir.File("state.db"));
  CHECK(OkOrFail(other->ClaimStateKeyId("alpha", "id-three")) == "id-one");
}

TEST_CASE("two stores claiming a state key id at once both get the same one", "[state][dump]") {
  test::TempDir dir;
  test::OpenStoreOrFail(dir.File("state.db"));
  for (int round = 0; round < 20; ++round) {
    const std::string project = "p" + std::to_string(round);
    std::string got[2];
    Status status[2];
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
      threads.emplace_back([&, i] {
        auto store = OpenSqliteStateStore(dir.File("state.db"));
        if (!store.ok()) {
          status[i] = store.status();
          return;
        }
        auto claimed = (*store)->ClaimStateKeyId(project, "id-" + std::to_string(i));
        status[i] = claimed.status();
        if (claimed.ok()) got[i] = *claimed;
      });
    for (std::thread& t : threads) t.join();
    INFO(status[0].ToString() << " / " << status[1].ToString());
    REQUIRE(status[0].ok());
    REQUIRE(status[1].ok());
    CHECK(got[0] == got[1]);
  }
}

}  // namespace
}  // namespace jlrec
