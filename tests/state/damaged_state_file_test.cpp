// A state file damaged on disk (truncated, bytes overwritten) is refused with a message
// naming it: never a crash, and never an empty store that would forget the journal.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>

#include "state/sqlite_state_store.h"
#include "state/state_test_support.h"

namespace jlrec {
namespace {

// A closed state file holding runs and a cached host, as several applies leave it.
void WriteJournal(const std::string& path) {
  auto store = test::OpenStoreOrFail(path);
  std::vector<LiveContainer> containers;
  for (int i = 0; i < 300; ++i)
    containers.push_back(test::SampleContainer("c" + std::to_string(i), i));
  REQUIRE(store->SaveSnapshot("demo", test::ReachableSnapshot("h1", 1700000000, containers)).ok());
  for (int i = 0; i < 50; ++i) {
    RunRecord run;
    run.kind = "apply";
    run.project = "demo";
    auto id = store->BeginRun(run);
    REQUIRE(id.ok());
    REQUIRE(store->FinishRun(*id, "ok", "run " + std::to_string(i)).ok());
  }
}

off_t SizeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_size;
}

// What using the store (opening it, reading the journal and the cache) reports: ok only if
// everything read back as written.
Status UseStore(const std::string& path) {
  auto store = OpenSqliteStateStore(path);
  if (!store.ok()) return store.status();
  auto runs = (*store)->ListRuns("", "", 0, 0);
  if (!runs.ok()) return runs.status();
  if (runs->size() != 50)
    return Status::Internal("the journal holds " + std::to_string(runs->size()) + " runs");
  auto snapshots = (*store)->LoadSnapshots("demo", {"h1"});
  if (!snapshots.ok()) return snapshots.status();
  if (snapshots->size() != 1 || snapshots->front().containers.size() != 300)
    return Status::Internal("the cache lost containers");
  return Status::Ok();
}

void CheckRefusedNamingFile(const Status& used, const std::string& path) {
  INFO(used.ToString());
  REQUIRE_FALSE(used.ok());
  CHECK(used.code() == Status::Code::kIoError);
  CHECK_THAT(used.message(), Catch::Contains("the state file " + path + " is damaged"));
}

TEST_CASE("a state file truncated in the middle is refused, naming the file", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  WriteJournal(path);
  REQUIRE(::truncate(path.c_str(), SizeOf(path) / 2) == 0);
  CheckRefusedNamingFile(UseStore(path), path);
}

TEST_CASE("a state file truncated to less than its header is refused, naming the file", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  WriteJournal(path);
  REQUIRE(::truncate(path.c_str(), 50) == 0);
  CheckRefusedNamingFile(UseStore(path), path);
}

TEST_CASE("a state file with random bytes written over it is refused, naming the file", "[state]") {
  const int kPage = 4096;
  // Over the header, the schema page, and a page in the middle: each is its own damage.
  for (off_t at : {off_t{16}, off_t{kPage + 100}, off_t{-1}}) {
    test::TempDir dir;
    const std::string path = dir.File("state.db");
    WriteJournal(path);
    const off_t offset = at >= 0 ? at : (SizeOf(path) / 2 / kPage) * kPage;
    std::mt19937 random(static_cast<unsigned>(offset));
    std::string noise(kPage, '\0');
    for (char& c : noise) c = static_cast<char>(random());
    {
      std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(offset);
      file.write(noise.data(), static_cast<std::streamsize>(noise.size()));
    }
    INFO("noise at offset " << offset);
    CheckRefusedNamingFile(UseStore(path), path);
  }
}

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("a state file emptied to 0 bytes is refused, not taken for a new one", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  WriteJournal(path);
  ::unlink((path + "-wal").c_str());
  REQUIRE(::truncate(path.c_str(), 0) == 0);
  for (int attempt = 0; attempt < 2; ++attempt) {  // a refusal leaves nothing that opens later
    Result<std::unique_ptr<StateStore>> store = OpenSqliteStateStore(path);
    INFO(store.status().ToString());
    REQUIRE_FALSE(store.ok());
    CHECK(store.status().code() == Status::Code::kIoError);
    CHECK_THAT(store.status().message(),
               Catch::Contains("the state file " + path + " is empty (0 bytes)"));
    CHECK_THAT(store.status().message(), Catch::Contains("restore it from a backup"));
    CHECK(SizeOf(path) == 0);
  }
}

TEST_CASE("a file that is not a state file is refused, naming it, and left as it was", "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("jlrec.yaml");  // --state pointed at the manifest
  const std::string text =
      "project: demo\nhosts:\n  h1: {address: 127.0.0.2}\n" + std::string(8192, '#') + "\n";
  { std::ofstream(path, std::ios::binary) << text; }
  Status used = UseStore(path);
  INFO(used.ToString());
  CHECK(used.code() == Status::Code::kIoError);
  CHECK_THAT(used.message(), Catch::Contains("the state file " + path +
                                             " is damaged or is not a jlrec state file"));
  CHECK(Contents(path) == text);
}

}  // namespace
}  // namespace jlrec
