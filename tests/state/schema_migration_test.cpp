// Schema versions: a new state gets the current schema, an older SQLite file is migrated in
// place, a newer state or a foreign database is refused untouched.
#include <catch2/catch.hpp>
#include <thread>

#include "state/open_state_store.h"
#include "state/postgres_schema.h"
#include "state/schema_migrations.h"
#include "state/sqlite_state_store.h"
#include "state/state_file.h"
#include "state/state_test_support.h"

namespace jlrec {
namespace {

const int kCurrentVersion = static_cast<int>(StateSchemaMigrations().size());

SqliteDatabase OpenRaw(const std::string& path) {
  REQUIRE(PrepareStateFile(path).ok());
  Result<SqliteDatabase> db = SqliteDatabase::Open(path);
  INFO(db.status().ToString());
  REQUIRE(db.ok());
  return std::move(*db);
}

int VersionOf(const std::string& path) {
  SqliteDatabase db = OpenRaw(path);
  Result<int> version = ReadSchemaVersion(db);
  INFO(version.status().ToString());
  REQUIRE(version.ok());
  return *version;
}

void Exec(SqliteDatabase& db, const std::string& sql) {
  Status s = db.Exec(sql);
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// The schema version this jlrec writes on `backend`.
int CurrentVersionOf(test::StateBackend backend) {
  return backend == test::StateBackend::kSqlite
             ? kCurrentVersion
             : static_cast<int>(PostgresStateMigrations().size());
}

TEST_CASE("a new state is created at the current schema version", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  state.Open();
  CHECK(kCurrentVersion >= 5);
  auto version = state.QueryText("SELECT MAX(version) FROM schema_version");
  INFO(version.status().ToString());
  REQUIRE(version.ok());
  CHECK(*version == std::to_string(CurrentVersionOf(state.backend())));
}

TEST_CASE("a version 1 state file is migrated to the current version keeping its data", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  {
    // What jlrec with schema 1 left behind: its migration only, then some rows.
    SqliteDatabase db = OpenRaw(path);
    std::vector<SchemaMigration> v1(StateSchemaMigrations().begin(),
                                    StateSchemaMigrations().begin() + 1);
    REQUIRE(MigrateSchema(db, v1).ok());
    Exec(db,
         "INSERT INTO hosts VALUES ('demo', 'h1', 1700000000, 1700000000, 1, '');"
         "INSERT INTO containers VALUES ('demo', 'h1', 0, 'web', 'id1', 'img:1', 'sha256:1',"
         " 'running', '', '{\"jlrec.project\":\"demo\"}', '{}',"
         " '{\"command\":[],\"network_mode\":\"host\",\"volumes\":[],\"restart\":\"no\","
         "\"ports\":[]}', NULL, '2024-01-01T00:00:00Z', '', 1700000000);"
         "INSERT INTO runs (kind, project, groups, started_at, result)"
         " VALUES ('apply', 'demo', '[\"product\"]', 1700000001, 'running');"
         "INSERT INTO locks VALUES ('apply:demo', 'ops@ctl', 77, 'elsewhere', 1700000002);");
  }
  REQUIRE(VersionOf(path) == 1);

  auto store = test::OpenStoreOrFail(path);
  CHECK(VersionOf(path) == kCurrentVersion);

  auto hosts = store->LoadSnapshots("demo", {"h1"});
  REQUIRE(hosts.ok());
  REQUIRE(hosts->at(0).containers.size() == 1);
  CHECK(hosts->at(0).containers[0].name == "web");
  CHECK(hosts->at(0).containers[0].spec.network_mode == "host");
  auto runs = store->ListRuns("", "apply", 10, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->at(0).groups == std::vector<std::string>{"product"});
  CHECK(runs->at(0).owner.empty());
  CHECK(runs->at(0).manifest_digest.empty());
  CHECK(runs->at(0).jlrec_version.empty());
  auto holder = store->LockHolder("apply:demo");
  REQUIRE(holder.ok());
  REQUIRE(holder->has_value());
  CHECK((*holder)->owner == "ops@ctl");

  // Version 2's tables work on the migrated file.
  DriftCheckRecord check;
  check.project = "demo";
  check.result = "in_sync";
  CHECK(store->RecordDriftCheck(check).ok());
}

TEST_CASE("a version 4 state file is migrated to the current version keeping its data", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  {
    // What jlrec with schema 4 left behind: a host whose encoded value is of format 1 (so
    // the rows are read), a run with an action still running, a drift check.
    SqliteDatabase db = OpenRaw(path);
    std::vector<SchemaMigration> v4(StateSchemaMigrations().begin(),
                                    StateSchemaMigrations().begin() + 4);
    REQUIRE(MigrateSchema(db, v4).ok());
    Exec(db,
         "INSERT INTO hosts VALUES ('demo', 'h1', 1700000000, 1700000000, 1, '',"
         " X'4a4c52530100000000000000');"
         "INSERT INTO containers VALUES ('demo', 'h1', 0, 'web', 'id1', 'img:1', 'sha256:1',"
         " 'exited', '', '{\"jlrec.project\":\"demo\"}', '{\"team\":\"ops\"}',"
         " '{\"command\":[\"/run.sh\"],\"network_mode\":\"host\",\"volumes\":[],"
         "\"restart\":\"always\",\"ports\":[]}', 'd1', '2024-01-01T00:00:00Z', '',"
         " 1700000000, '1030:493:2026-11-26T12:24:51Z');"
         "INSERT INTO runs (kind, project, groups, started_at, result, detail)"
         " VALUES ('apply', 'demo', '[\"product\"]', 1700000001, 'running', 'old run');"
         "INSERT INTO run_actions (run_id, action, container, started_at, result)"
         " VALUES (1, 'create', 'h1/web', 1700000002, 'running');"
         "INSERT INTO drift_checks (project, groups, checked_at, result)"
         " VALUES ('demo', '[]', 1700000003, 'in_sync');");
  }
  REQUIRE(VersionOf(path) == 4);

  auto store = test::OpenStoreOrFail(path);
  CHECK(VersionOf(path) == kCurrentVersion);

  auto hosts = store->LoadSnapshots("demo", {"h1"});
  INFO(hosts.status().ToString());
  REQUIRE(hosts.ok());
  REQUIRE(hosts->at(0).containers.size() == 1);
  const LiveContainer& web = hosts->at(0).containers[0];
  CHECK(web.name == "web");
  CHECK(web.state == "exited");
  CHECK(web.spec.command == std::vector<std::string>{"/run.sh"});
  CHECK(web.spec.labels == std::map<std::string, std::string>{{"team", "ops"}});
  CHECK(web.script_stat == "1030:493:2026-11-26T12:24:51Z");
  // What schema 4 did not know reads as "nothing known".
  CHECK(web.restart_count == 0);
  CHECK(web.exit_code == 0);
  CHECK_FALSE(web.spec.healthcheck.has_value());

  auto runs = store->ListRuns("", "", 0, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->at(0).detail == "old run");
  CHECK(runs->at(0).owner.empty());
  CHECK(runs->at(0).manifest_digest.empty());
  CHECK(runs->at(0).jlrec_version.empty());
  auto actions = store->ListActions(runs->at(0).id);
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 1);
  CHECK(actions->at(0).container == "h1/web");
  auto checks = store->ListDriftChecks("demo", 0, 0);
  REQUIRE(checks.ok());
  CHECK(checks->size() == 1);

  // Version 5's additions work on the migrated file, on its old rows too.
  auto unfinished = store->ListUnfinishedActions("demo");
  REQUIRE(unfinished.ok());
  REQUIRE(unfinished->size() == 1);
  CHECK(unfinished->at(0).container == "h1/web");
  ReleasedContainer released;
  released.host = "h1";
  released.container = "web";
  released.outcome = "failed";
  REQUIRE(store->RecordRelease(runs->at(0).id, {released}).ok());
  auto release = store->ListRelease(runs->at(0).id);
  REQUIRE(release.ok());
  CHECK(*release == std::vector<ReleasedContainer>{released});
  ActionFailure failure;
  failure.host = "h1";
  failure.container = "web";
  failure.run_id = runs->at(0).id;
  REQUIRE(store->SaveFailure("demo", failure).ok());
  auto failures = store->ListFailures("demo");
  REQUIRE(failures.ok());
  CHECK(*failures == std::vector<ActionFailure>{failure});
}

TEST_CASE("a state from a newer jlrec is refused naming both versions and left unchanged",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  state.Open();  // creates the schema
  const int current = CurrentVersionOf(state.backend());
  int newer = 0;
  SECTION("far ahead") { newer = 999; }
  SECTION("one version ahead") { newer = current + 1; }
  REQUIRE(state
              .ExecSql("INSERT INTO schema_version VALUES (" + std::to_string(newer) +
                       ", 0, 'from the future')")
              .ok());
  Result<StateLocation> where = ParseStateLocation(state.location());
  REQUIRE(where.ok());
  Result<std::unique_ptr<StateStore>> store = OpenStateStore(*where);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == Status::Code::kIoError);
  CHECK_THAT(store.status().message(), Catch::Contains("schema version " + std::to_string(newer)) &&
                                           Catch::Contains("version " + std::to_string(current)) &&
                                           Catch::Contains(state.location()));
  CHECK(*state.QueryText("SELECT MAX(version) FROM schema_version") == std::to_string(newer));
}

TEST_CASE("an SQLite database that is not a jlrec state file is refused untouched", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("other.db");
  {
    SqliteDatabase db = OpenRaw(path);
    Exec(db, "CREATE TABLE invoices (id INTEGER)");
  }
  Result<std::unique_ptr<StateStore>> store = OpenSqliteStateStore(path);
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(store.status().message(), Catch::Contains("not a jlrec state file"));
  SqliteDatabase db = OpenRaw(path);
  Result<SqliteStatement> tables = db.Prepare("SELECT COUNT(*) FROM sqlite_master");
  REQUIRE(tables.ok());
  REQUIRE(*tables->Step());
  CHECK(tables->ColumnInt(0) == 1);
}

TEST_CASE("a failing migration step leaves the file at the previous version", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  SqliteDatabase db = OpenRaw(path);
  const std::vector<SchemaMigration> steps = {
      {1, "first", "CREATE TABLE a (x INTEGER);"},
      {2, "broken", "CREATE TABLE b (y INTEGER); INSERT INTO no_such_table VALUES (1);"},
  };
  Status migrated = MigrateSchema(db, steps);
  REQUIRE_FALSE(migrated.ok());
  CHECK_THAT(migrated.message(), Catch::Contains("from schema version 1 to 2") &&
                                     Catch::Contains("no such table: no_such_table"));
  Result<int> version = ReadSchemaVersion(db);
  REQUIRE(version.ok());
  CHECK(*version == 1);
  // Step 2 was rolled back as a whole: its first statement left nothing behind.
  CHECK_FALSE(db.Prepare("SELECT * FROM b").ok());
  CHECK(db.Prepare("SELECT * FROM a").ok());
}

TEST_CASE("migrations numbered out of order are rejected as a bug", "[state]") {
  test::TempDir dir;
  SqliteDatabase db = OpenRaw(dir.File("state.db"));
  Status migrated = MigrateSchema(db, {{2, "skips one", "CREATE TABLE a (x INTEGER);"}});
  CHECK(migrated.code() == Status::Code::kInternal);
}

TEST_CASE("two stores creating the same new state at once both succeed", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  Result<StateLocation> where = ParseStateLocation(state.location());
  REQUIRE(where.ok());
  Status first, second;
  auto open = [&where](Status& out) { out = OpenStateStore(*where).status(); };
  std::thread a(open, std::ref(first));
  std::thread b(open, std::ref(second));
  a.join();
  b.join();
  INFO(first.ToString() << " / " << second.ToString());
  CHECK(first.ok());
  CHECK(second.ok());
  CHECK(*state.QueryText("SELECT MAX(version) FROM schema_version") ==
        std::to_string(CurrentVersionOf(state.backend())));
}

}  // namespace
}  // namespace jlrec
