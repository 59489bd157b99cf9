// A full disk, for real (a tiny tmpfs): SQLite's SQLITE_FULL and its ENOSPC I/O errors read
// "no space left on device (PATH)" with the state file's path, whichever write hit it.
#include <catch2/catch.hpp>

#include <filesystem>

#include "state/small_tmpfs.h"
#include "state/sqlite_state_store.h"
#include "state/state_test_support.h"

namespace jlrec {
namespace {

RunRecord ApplyRun() {
  RunRecord run;
  run.kind = "apply";
  run.project = "demo";
  return run;
}

TEST_CASE("a full disk while the state file and its WAL are created says so, naming the file",
          "[state][disk]") {
  test::SmallTmpfs disk(256 * 1024);
  if (!test::MountedOrWarn(disk)) return;
  REQUIRE(disk.Fill() > 0);
  const std::string path = disk.File("state.db");
  Result<std::unique_ptr<StateStore>> store = OpenSqliteStateStore(path);
  REQUIRE_FALSE(store.ok());
  INFO(store.status().ToString());
  CHECK(store.status().code() == Status::Code::kIoError);
  CHECK_THAT(store.status().message(), Catch::Contains("no space left on device (" + path + ")"));
  CHECK_THAT(store.status().message(), !Catch::Contains("disk I/O error"));

  // Nothing is left that the next run would take for an emptied state file...
  CHECK_FALSE(std::filesystem::exists(path));
  // ...so once there is room again, the same path opens as a fresh store.
  disk.Free();
  auto reopened = OpenSqliteStateStore(path);
  INFO(reopened.status().ToString());
  CHECK(reopened.ok());
}

TEST_CASE("a disk that fills up under an open store makes each write say so, naming the file",
          "[state][disk]") {
  test::SmallTmpfs disk(1024 * 1024);
  if (!test::MountedOrWarn(disk)) return;
  const std::string path = disk.File("state.db");
  auto store = test::OpenStoreOrFail(path);
  auto run = store->BeginRun(ApplyRun());
  REQUIRE(run.ok());
  REQUIRE(disk.Fill() > 0);

  std::vector<LiveContainer> containers;
  for (int i = 0; i < 200; ++i)
    containers.push_back(test::SampleContainer("c" + std::to_string(i), i));
  Status saved = store->SaveSnapshot("demo", test::ReachableSnapshot("h1", 1700000000, containers));
  INFO(saved.ToString());
  CHECK(saved.code() == Status::Code::kIoError);
  CHECK_THAT(saved.message(), Catch::Contains("no space left on device (" + path + ")"));

  Status finished = store->FinishRun(*run, "ok", "");
  INFO(finished.ToString());
  CHECK_THAT(finished.message(), Catch::Contains("no space left on device (" + path + ")"));

  disk.Free();
  CHECK(store->FinishRun(*run, "ok", "").ok());
}

}  // namespace
}  // namespace jlrec
