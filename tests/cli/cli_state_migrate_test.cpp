// `jlrec state migrate` through the binary, SQLite to SQLite: the copy reads back the same,
// the key goes along (mode 0600, never printed, never over another key), and whatever would
// lose or mix up data is refused with the reason.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "model/state_dump.h"
#include "state/sqlite_state_store.h"
#include "state/state_key.h"
#include "support/subprocess.h"

namespace jlrec {
namespace {

using testing::ProcessResult;
using testing::RunJlrec;

class MigrateDir {
 public:
  MigrateDir() {
    dir_ = std::filesystem::temp_directory_path() /
           ("jlrec-migrate-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
  }
  ~MigrateDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  MigrateDir(const MigrateDir&) = delete;
  MigrateDir& operator=(const MigrateDir&) = delete;
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
};

std::unique_ptr<StateStore> Open(const std::string& path) {
  auto store = OpenSqliteStateStore(path);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

// A source state of project `clitest` with a key: two runs (one with an action), a drift
// check, a failure, an adoption and a cached host. Returns the key.
std::string MakeSource(const std::string& path) {
  auto store = Open(path);
  auto run = store->BeginRun(RunRecord{0,
                                       "apply",
                                       "clitest",
                                       {"product"},
                                       1700000000,
                                       0,
                                       "running",
                                       "",
                                       "ops@box",
                                       "sha256:m",
                                       "0.9.0"});
  REQUIRE(run.ok());
  REQUIRE(store
              ->RecordActionStart(
                  ActionRecord{0, *run, "create", "h1/web", 1700000001, 0, "running", ""})
              .ok());
  REQUIRE(store->FinishRun(*run, "ok", "").ok());
  REQUIRE(store
              ->BeginRun(
                  RunRecord{0, "refresh", "clitest", {}, 1700000100, 0, "running", "", "", "", ""})
              .ok());
  REQUIRE(store
              ->RecordDriftCheck(DriftCheckRecord{0,
                                                  "clitest",
                                                  {"product"},
                                                  1700000200,
                                                  "drift",
                                                  "1 finding",
                                                  {{"h1/web", "stopped", ""}}})
              .ok());
  REQUIRE(store
              ->SaveFailure("clitest", ActionFailure{"h1", "db", "create", "", "s", "", "boom",
                                                     false, *run, 1700000002})
              .ok());
  REQUIRE(
      store
          ->SaveAdoption("clitest",
                         Adoption{"h1", "old", "c0", "s0", {"product"}, false, *run, 1700000003})
          .ok());
  HostSnapshot host;
  host.host = "h1";
  host.reachable = true;
  host.observed_at = 1700000300;
  REQUIRE(store->SaveSnapshots("clitest", {host}).ok());
  auto key = NewStateKey();
  REQUIRE(key.ok());
  REQUIRE(SaveStateKeyFile(StateKeyPath(path), *key).ok());
  REQUIRE(store->ClaimStateKeyId("clitest", StateKeyId(*key)).ok());
  return *key;
}

ProcessResult Migrate(std::vector<std::string> args) {
  args.insert(args.begin(), {"state", "migrate"});
  return RunJlrec(args, "", {{"JLREC_LOG", ""}, {"JLREC_LOG_FILE", ""}, {"JLREC_MANIFEST", ""}});
}

TEST_CASE("state migrate copies an SQLite state and its key into a new SQLite state",
          "[cli][migrate]") {
  MigrateDir dir;
  const std::string key = MakeSource(dir.Path("a.db"));
  ProcessResult r = Migrate({"--from", dir.Path("a.db"), "--to", dir.Path("sub/b.db")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("1 project (clitest): 2 runs, 1 action, 1 drift check, "
                                    "1 failure, 1 adoption, 1 host"));
  CHECK(r.out.find(key) == std::string::npos);
  CHECK(r.err.find(key) == std::string::npos);

  auto copied = LoadStateKeyFile(StateKeyPath(dir.Path("sub/b.db")));
  REQUIRE(copied.ok());
  CHECK(*copied == key);
  struct stat st {};
  REQUIRE(::stat(dir.Path("sub/b.db.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto target = Open(dir.Path("sub/b.db"));
  auto runs = target->ListRuns("clitest", "", 0, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 2);
  CHECK(runs->back().owner == "ops@box");
  auto failures = target->ListFailures("clitest");
  REQUIRE(failures.ok());
  REQUIRE(failures->size() == 1);
  CHECK(failures->front().run_id == runs->back().id);
  // The key id travelled: the copied key is the one the destination knows.
  auto claimed = target->ClaimStateKeyId("clitest", "someone else's");
  REQUIRE(claimed.ok());
  CHECK(*claimed == StateKeyId(key));
}

TEST_CASE("state migrate into a state holding the project is refused unless --force",
          "[cli][migrate]") {
  MigrateDir dir;
  MakeSource(dir.Path("a.db"));
  REQUIRE(Migrate({"--from", dir.Path("a.db"), "--to", dir.Path("b.db")}).exit_code == 0);
  ProcessResult again = Migrate({"--from", dir.Path("a.db"), "--to", dir.Path("b.db")});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("already holds project clitest (2 runs, 1 drift check") &&
                            Catch::Contains("--force replaces"));

  ProcessResult forced = Migrate({"--from", dir.Path("a.db"), "--to", dir.Path("b.db"), "--force"});
  INFO(forced.out << forced.err);
  REQUIRE(forced.exit_code == 0);
  CHECK_THAT(forced.out, Catch::Contains("The state key is at") && Catch::Contains("Replacing in"));
  auto runs = Open(dir.Path("b.db"))->ListRuns("clitest", "", 0, 0);
  REQUIRE(runs.ok());
  CHECK(runs->size() == 2);  // replaced, not copied twice
}

TEST_CASE("state migrate --dry-run says what it would copy and creates nothing", "[cli][migrate]") {
  MigrateDir dir;
  MakeSource(dir.Path("a.db"));
  ProcessResult r = Migrate({"--from", dir.Path("a.db"), "--to", dir.Path("b.db"), "--dry-run"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("Would copy 1 project (clitest)") &&
                        Catch::Contains("Would copy the state key to " + dir.Path("b.db.key")));
  CHECK_FALSE(std::filesystem::exists(dir.Path("b.db")));
  CHECK_FALSE(std::filesystem::exists(dir.Path("b.db.key")));
}

TEST_CASE("state migrate refuses a missing source\\, the same state twice and a different key",
          "[cli][migrate]") {
  MigrateDir dir;
  ProcessResult missing = Migrate({"--from", dir.Path("none.db"), "--to", dir.Path("b.db")});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("does not exist"));
  CHECK_FALSE(std::filesystem::exists(dir.Path("none.db")));

  MakeSource(dir.Path("a.db"));
  // One file, however spelled.
  ProcessResult same = Migrate({"--from", dir.Path("a.db"), "--to", dir.Path("x/../a.db")});
  CHECK(same.exit_code == 1);
  CHECK_THAT(same.err, Catch::Contains("name the same state"));

  auto other = NewStateKey();
  REQUIRE(other.ok());
  REQUIRE(SaveStateKeyFile(StateKeyPath(dir.Path("b.db")), *other).ok());
  ProcessResult clash = Migrate({"--from", dir.Path("a.db"), "--to", dir.Path("b.db")});
  CHECK(clash.exit_code == 1);
  CHECK_THAT(clash.err, Catch::Contains("holds another state key: refusing to overwrite it"));
  CHECK_FALSE(std::filesystem::exists(dir.Path("b.db")));
  auto kept = LoadStateKeyFile(StateKeyPath(dir.Path("b.db")));
  REQUIRE(kept.ok());
  CHECK(*kept == *other);
}

TEST_CASE("state migrate refuses while an apply holds the source's lock and names the holder",
          "[cli][migrate]") {
  MigrateDir dir;
  MakeSource(dir.Path("a.db"));
  auto source = Open(dir.Path("a.db"));
  LockInfo apply;
  apply.name = "apply:clitest";
  apply.owner = "alice@ops2";
  apply.pid = ::getpid();  // alive: never taken over
  REQUIRE(source->AcquireLock(apply, std::chrono::milliseconds(0)).ok());
  ProcessResult r = Migrate({"--from", dir.Path("a.db"), "--to", dir.Path("b.db")});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("the source is in use") && Catch::Contains("alice@ops2") &&
                        Catch::Contains("apply clitest"));
  CHECK_FALSE(std::filesystem::exists(dir.Path("b.db.key")));
  REQUIRE(source->ReleaseLock("apply:clitest", ::getpid()).ok());
  CHECK(Migrate({"--from", dir.Path("a.db"), "--to", dir.Path("b.db")}).exit_code == 0);
  // The migration released the locks it took.
  auto holder = source->LockHolder("drift:clitest");
  REQUIRE(holder.ok());
  CHECK_FALSE(holder->has_value());
}

TEST_CASE("state migrate to PostgreSQL without a manifest needs --to-key", "[cli][migrate]") {
  MigrateDir dir;
  MakeSource(dir.Path("a.db"));
  ProcessResult r =
      Migrate({"--from", dir.Path("a.db"), "--to", "postgresql://jlrec@127.0.0.1:1/jlrec"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--to-key"));
  ProcessResult no_sub = RunJlrec({"state", "copy"});
  CHECK(no_sub.exit_code == 1);
  CHECK_THAT(no_sub.err, Catch::Contains("expected the subcommand migrate"));
}

}  // namespace
}  // namespace jlrec
