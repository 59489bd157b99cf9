// The state file on disk: where it goes, who may read it, and how SQLite is set up on it.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "state/sqlite_db.h"
#include "state/sqlite_state_store.h"
#include "state/state_path.h"
#include "state/state_test_support.h"

namespace jlrec {
namespace {

mode_t PermissionsOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string QueryText(SqliteDatabase& db, const char* sql) {
  Result<SqliteStatement> stmt = db.Prepare(sql);
  REQUIRE(stmt.ok());
  Result<bool> row = stmt->Step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return stmt->ColumnText(0);
}

TEST_CASE("a new state file and its new directory are readable by the owner only", "[state]") {
  test::TempDir dir;
  // Even a permissive umask must not make the file or the directory readable by others.
  mode_t previous = ::umask(0);
  const std::string path = dir.File("project/.jlrec/state.db");
  auto store = test::OpenStoreOrFail(path);
  ::umask(previous);

  CHECK(PermissionsOf(path) == 0600);
  CHECK(PermissionsOf(dir.File("project/.jlrec")) == 0700);
  CHECK(PermissionsOf(dir.File("project")) == 0700);
  // SQLite creates the WAL companions itself; they must not be looser than the file.
  REQUIRE(std::filesystem::exists(path + "-wal"));
  CHECK(PermissionsOf(path + "-wal") == 0600);
  CHECK(PermissionsOf(path + "-shm") == 0600);
}

TEST_CASE("an existing state file readable by others is tightened to 0600 on open", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  test::OpenStoreOrFail(path);  // as a jlrec without this check, or a copy, left it
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  auto store = test::OpenStoreOrFail(path);
  CHECK(PermissionsOf(path) == 0600);
}

TEST_CASE("an existing directory keeps its permissions", "[state]") {
  test::TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
  CHECK(PermissionsOf(dir.path().string()) == 0755);
}

TEST_CASE("the state file is in WAL mode with foreign keys enforced", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  auto store = test::OpenStoreOrFail(path);
  // journal_mode=WAL is persistent: a plain second connection sees it.
  Result<SqliteDatabase> raw = SqliteDatabase::Open(path);
  REQUIRE(raw.ok());
  CHECK(QueryText(*raw, "PRAGMA journal_mode") == "wal");

  // Foreign keys are per connection; the store's own connection refuses an orphan action.
  ActionRecord orphan;
  orphan.run_id = 4242;
  orphan.action = "create";
  orphan.container = "h1/web";
  Result<std::int64_t> id = store->RecordActionStart(orphan);
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().code() == Status::Code::kNotFound);
  CHECK_THAT(id.status().message(), Catch::Contains("run 4242"));
}

TEST_CASE("a path that is a directory is refused with an I/O error", "[state]") {
  test::TempDir dir;
  Result<std::unique_ptr<StateStore>> store = OpenSqliteStateStore(dir.path().string());
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == Status::Code::kIoError);
}

TEST_CASE("a file that is not an SQLite database is refused with SQLite's message", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  std::ofstream(path) << std::string(4096, 'x');
  Result<std::unique_ptr<StateStore>> store = OpenSqliteStateStore(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == Status::Code::kIoError);
  CHECK_THAT(store.status().message(), Catch::Contains("not a database"));
}

TEST_CASE("the default state path is .jlrec/state.db beside the manifest", "[state]") {
  CHECK(DefaultStatePath("/srv/fleet/jlrec.yaml") == "/srv/fleet/.jlrec/state.db");
  CHECK(DefaultStatePath("fleet/jlrec.yaml") == "fleet/.jlrec/state.db");
  CHECK(DefaultStatePath("jlrec.yaml") == ".jlrec/state.db");
}

}  // namespace
}  // namespace jlrec
