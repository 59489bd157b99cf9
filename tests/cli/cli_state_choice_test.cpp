// Which state a command works on (--state > JLREC_STATE > the manifest's state: > the
// default), its key file, and the refusal of a checkout whose key is not the state's.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "cli/cli_project.h"
#include "cli/state_choice.h"
#include "cli/state_key_for_run.h"
#include "model/state_dump.h"
#include "state/sqlite_state_store.h"
#include "state/state_key.h"
#include "support/subprocess.h"

namespace jlrec::testing {
namespace {

using cli::ChooseState;
using Env = std::map<std::string, std::string>;

cli::GetenvFn EnvOf(const Env& env) {
  return [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// A folder with a manifest whose top-level text is `top` (a minimal valid project after it).
class Checkout {
 public:
  explicit Checkout(const std::string& top = "") {
    std::random_device random;
    dir_ = std::filesystem::temp_directory_path() / ("jlrec-state-" + std::to_string(random()));
    std::filesystem::create_directories(dir_);
    Write("jlrec.yaml", "version: 1\nproject: keyed\n" + top +
                            "hosts:\n  h1: {address: 127.0.0.2, port: 2222}\n"
                            "groups:\n  g: {runtime_mode: test}\n"
                            "defaults:\n  image: busybox:1\n  template: " JLREC_SOURCE_DIR
                            "/templates/jiliang_run.sh.tmpl\n"
                            "units:\n  - {host: h1, dockers: [c1], group: [g]}\n");
  }
  ~Checkout() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Checkout(const Checkout&) = delete;
  Checkout& operator=(const Checkout&) = delete;
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  void Write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((dir_ / name).parent_path());
    std::ofstream(Path(name)) << text;
  }
  std::string manifest() const { return Path("jlrec.yaml"); }

 private:
  std::filesystem::path dir_;
};

TEST_CASE(
    "the state is --state\\, else JLREC_STATE\\, else the manifest's state:\\, else "
    ".jlrec/state.db beside the manifest",
    "[cli][state]") {
  Checkout plain;
  auto chosen = ChooseState("", "", plain.manifest(), EnvOf({}));
  REQUIRE(chosen.ok());
  CHECK_FALSE(chosen->location.is_postgres());
  CHECK(chosen->location.target == plain.Path(".jlrec/state.db"));
  CHECK(chosen->key_path == plain.Path(".jlrec/state.db.key"));

  Checkout shared("state: postgresql://jlrec@db1:5432/fleet?sslmode=verify-full\n");
  chosen = ChooseState("", "", shared.manifest(), EnvOf({}));
  REQUIRE(chosen.ok());
  CHECK(chosen->location.is_postgres());
  CHECK(chosen->location.target == "postgresql://jlrec@db1:5432/fleet?sslmode=verify-full");
  CHECK(chosen->key_path == shared.Path(".jlrec/postgresql-state.key"));

  chosen = ChooseState("", "", shared.manifest(), EnvOf({{"JLREC_STATE", "/tmp/env.db"}}));
  REQUIRE(chosen.ok());
  CHECK(chosen->location.target == "/tmp/env.db");
  CHECK(chosen->key_path == "/tmp/env.db.key");

  chosen = ChooseState("postgres://ops@127.0.0.1/other", "", shared.manifest(),
                       EnvOf({{"JLREC_STATE", "/tmp/env.db"}}));
  REQUIRE(chosen.ok());
  CHECK(chosen->location.target == "postgres://ops@127.0.0.1/other");

  SECTION("an empty JLREC_STATE counts as unset") {
    chosen = ChooseState("", "", plain.manifest(), EnvOf({{"JLREC_STATE", ""}}));
    REQUIRE(chosen.ok());
    CHECK(chosen->location.target == plain.Path(".jlrec/state.db"));
  }
}

TEST_CASE("the key file is --state-key\\, else JLREC_STATE_KEY\\, else the state's default",
          "[cli][state]") {
  Checkout shared("state: postgresql://jlrec@db1/fleet\n");
  auto chosen =
      ChooseState("", "/keys/flag.key", shared.manifest(), EnvOf({{"JLREC_STATE_KEY", "/e.key"}}));
  REQUIRE(chosen.ok());
  CHECK(chosen->key_path == "/keys/flag.key");
  chosen = ChooseState("", "", shared.manifest(), EnvOf({{"JLREC_STATE_KEY", "/e.key"}}));
  REQUIRE(chosen.ok());
  CHECK(chosen->key_path == "/e.key");
  // An SQLite state takes a named key file too.
  chosen = ChooseState("/tmp/x.db", "/keys/x.key", shared.manifest(), EnvOf({}));
  REQUIRE(chosen.ok());
  CHECK(chosen->key_path == "/keys/x.key");
}

TEST_CASE("a relative state: in the manifest is taken from the manifest's folder", "[cli][state]") {
  Checkout c("state: var/fleet.db\n");
  auto chosen = ChooseState("", "", c.manifest(), EnvOf({}));
  REQUIRE(chosen.ok());
  CHECK(chosen->location.target == c.Path("var/fleet.db"));
  CHECK(chosen->key_path == c.Path("var/fleet.db.key"));
}

TEST_CASE("a password in a state URL is refused wherever it is given\\, never quoted back",
          "[cli][state]") {
  Checkout plain;
  auto flag = ChooseState("postgresql://jlrec:hunter22@db1/fleet", "", plain.manifest(), EnvOf({}));
  REQUIRE_FALSE(flag.ok());
  CHECK_THAT(flag.status().message(), Catch::StartsWith("--state: ") &&
                                          Catch::Contains("PGPASSWORD, ~/.pgpass or PGPASSFILE"));
  CHECK_THAT(flag.status().message(), !Catch::Contains("hunter22"));

  auto env = ChooseState("", "", plain.manifest(),
                         EnvOf({{"JLREC_STATE", "postgresql://db1/fleet?password=hunter22"}}));
  REQUIRE_FALSE(env.ok());
  CHECK_THAT(env.status().message(), Catch::StartsWith("JLREC_STATE: "));
  CHECK_THAT(env.status().message(), !Catch::Contains("hunter22"));

  Checkout in_manifest("state: \"postgresql://jlrec:hunter22@db1/fleet\"\n");
  auto manifest = ChooseState("", "", in_manifest.manifest(), EnvOf({}));
  REQUIRE_FALSE(manifest.ok());
  CHECK_THAT(manifest.status().message(),
             Catch::StartsWith(in_manifest.manifest() + ":3:8: error: state: "));
  CHECK_THAT(manifest.status().message(), !Catch::Contains("hunter22"));
  // Even when --state wins over it: a password in the manifest is never ignored.
  CHECK_FALSE(ChooseState("/tmp/x.db", "", in_manifest.manifest(), EnvOf({})).ok());
}

TEST_CASE("a manifest state: that is no string\\, empty or set twice is an error at its position",
          "[cli][state]") {
  SECTION("a mapping") {
    Checkout c("state:\n  url: postgresql://db1/fleet\n");
    auto r = ChooseState("", "", c.manifest(), EnvOf({}));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == c.manifest() +
                                      ":4:3: error: \"state\" must be a string (an SQLite file or "
                                      "a postgresql:// URL), got a mapping");
  }
  SECTION("a list starting at column 0") {
    Checkout c("state:\n- a.db\n");
    auto r = ChooseState("", "", c.manifest(), EnvOf({}));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains(":4:1: error: \"state\" must be a string") &&
                                         Catch::EndsWith("got a list"));
  }
  SECTION("empty") {
    Checkout c("state:\n");
    auto r = ChooseState("", "", c.manifest(), EnvOf({}));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::StartsWith(c.manifest() + ":3:1: error: "));
  }
  SECTION("twice") {
    Checkout c("state: a.db\nstate: b.db\n");
    auto r = ChooseState("", "", c.manifest(), EnvOf({}));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() ==
          c.manifest() + ":4:1: error: duplicate key \"state\" in the manifest (first at line 3)");
  }
  SECTION("in two files of a manifest folder") {
    Checkout c;
    c.Write("m/a.yaml", "project: keyed\nstate: a.db\n");
    c.Write("m/b.yaml", "state: b.db\n");
    auto r = ChooseState("", "", c.Path("m"), EnvOf({}));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() ==
          c.Path("m/b.yaml") + ":1:8: error: state is already set at " + c.Path("m/a.yaml") + ":2");
  }
  SECTION("a flow mapping at the top is read whole") {
    Checkout c;
    c.Write("flow.yaml", "{project: keyed, state: \"postgresql://db1/fleet\"}\n");
    auto r = ChooseState("", "", c.Path("flow.yaml"), EnvOf({}));
    REQUIRE(r.ok());
    CHECK(r->location.is_postgres());
  }
}

// A store that answers ClaimStateKeyId with `recorded` (or records the first id it is given);
// nothing else of it is used.
class KeyIdStore : public StateStore {
 public:
  std::string recorded;
  int claims = 0;
  Result<std::string> ClaimStateKeyId(const std::string&, const std::string& id) override {
    ++claims;
    if (recorded.empty()) recorded = id;
    return recorded;
  }
  Status ForgetStateKeyId(const std::string&) override {
    recorded.clear();
    return Status::Ok();
  }
#define JLREC_UNUSED(ret, name, ...) \
  ret name(__VA_ARGS__) override { return Status::Internal("unused"); }
  JLREC_UNUSED(Status, SaveSnapshot, const std::string&, const HostSnapshot&)
  JLREC_UNUSED(Status, SaveSnapshots, const std::string&, const std::vector<HostSnapshot>&)
  JLREC_UNUSED(Result<std::vector<HostSnapshot>>, LoadSnapshots, const std::string&,
               const std::vector<std::string>&)
  JLREC_UNUSED(Result<std::int64_t>, BeginRun, const RunRecord&)
  JLREC_UNUSED(Status, FinishRun, std::int64_t, const std::string&, const std::string&)
  JLREC_UNUSED(Result<std::int64_t>, RecordActionStart, const ActionRecord&)
  JLREC_UNUSED(Status, RecordActionEnd, std::int64_t, const std::string&, const std::string&)
  JLREC_UNUSED(Result<std::vector<RunRecord>>, ListRuns, const std::string&, const std::string&,
               int, std::int64_t)
  JLREC_UNUSED(Result<std::optional<RunRecord>>, LoadRun, std::int64_t)
  JLREC_UNUSED(Result<std::vector<ActionRecord>>, ListActions, std::int64_t)
  JLREC_UNUSED(Result<std::vector<ActionRecord>>, ListUnfinishedActions, const std::string&)
  JLREC_UNUSED(Status, RecordRelease, std::int64_t, const std::vector<ReleasedContainer>&)
  JLREC_UNUSED(Result<std::vector<ReleasedContainer>>, ListRelease, std::int64_t)
  JLREC_UNUSED(Status, SaveFailure, const std::string&, const ActionFailure&)
  JLREC_UNUSED(Status, ClearFailure, const std::string&, const std::string&, const std::string&)
  JLREC_UNUSED(Result<std::vector<ActionFailure>>, ListFailures, const std::string&)
  JLREC_UNUSED(Status, SaveAdoption, const std::string&, const Adoption&)
  JLREC_UNUSED(Status, ClearAdoption, const std::string&, const std::string&, const std::string&)
  JLREC_UNUSED(Result<std::vector<Adoption>>, ListAdoptions, const std::string&)
  JLREC_UNUSED(Result<std::optional<LockInfo>>, AcquireLock, const LockInfo&,
               std::chrono::milliseconds)
  JLREC_UNUSED(Status, ReleaseLock, const std::string&, std::int64_t)
  JLREC_UNUSED(Result<std::optional<LockInfo>>, ForceUnlock, const std::string&)
  JLREC_UNUSED(Result<std::optional<LockInfo>>, LockHolder, const std::string&)
  JLREC_UNUSED(Result<std::vector<CachedHostRecord>>, ListCachedHosts, const std::string&)
  JLREC_UNUSED(Result<std::int64_t>, RecordDriftCheck, const DriftCheckRecord&)
  JLREC_UNUSED(Result<std::vector<DriftCheckRecord>>, ListDriftChecks, const std::string&,
               std::int64_t, int)
  JLREC_UNUSED(Result<std::optional<ResolvedManifestRecord>>, LoadResolvedManifest,
               const std::string&)
  JLREC_UNUSED(Result<std::string>, ResolvedManifestDigest, const std::string&)
  JLREC_UNUSED(Status, SaveResolvedManifest, const ResolvedManifestRecord&)
  JLREC_UNUSED(Result<StateDump>, ExportState)
  JLREC_UNUSED(Status, ImportState, const StateDump&, bool)
#undef JLREC_UNUSED
};

TEST_CASE("a checkout's new key is kept once the state accepted its id", "[cli][state][key]") {
  Checkout c;
  const std::string key_path = c.Path(".jlrec/postgresql-state.key");
  auto key = cli::StateKeyFor(key_path);
  REQUIRE(key.ok());
  CHECK(LoadStateKeyFile(key_path).status().code() == Status::Code::kNotFound);  // not yet
  KeyIdStore store;
  REQUIRE(cli::ClaimStateKey(store, "keyed", key_path, false).ok());
  CHECK(store.recorded == StateKeyId(*key));
  CHECK(*LoadStateKeyFile(key_path) == *key);
  CHECK(cli::ClaimStateKey(store, "keyed", key_path, false).ok());  // the same key: accepted again
}

TEST_CASE(
    "a checkout whose key is not the state's is refused\\, naming both ids and the key "
    "file\\, and keeps no new key",
    "[cli][state][key]") {
  Checkout c;
  KeyIdStore store;
  store.recorded = std::string(32, 'a');  // the team's key id

  SECTION("a checkout with no key file yet") {
    const std::string key_path = c.Path(".jlrec/postgresql-state.key");
    auto key = cli::StateKeyFor(key_path);
    REQUIRE(key.ok());
    Status refused = cli::ClaimStateKey(store, "keyed", key_path, false);
    REQUIRE(refused.code() == Status::Code::kConflict);
    CHECK_THAT(refused.message(),
               Catch::Contains("another state key (id " + store.recorded + ")") &&
                   Catch::Contains(key_path + " (id " + StateKeyId(*key) + ")") &&
                   Catch::Contains("Copy the key file of a checkout that shares this state to " +
                                   key_path) &&
                   Catch::Contains("--state-key"));
    CHECK_THAT(refused.message(), !Catch::Contains(*key));
    CHECK(LoadStateKeyFile(key_path).status().code() == Status::Code::kNotFound);
  }
  SECTION("a checkout with another key file keeps it") {
    const std::string key_path = c.Path("other.key");
    auto made = NewStateKey();
    REQUIRE(made.ok());
    REQUIRE(SaveStateKeyFile(key_path, *made).ok());
    Status refused = cli::ClaimStateKey(store, "keyed", key_path, false);
    CHECK(refused.code() == Status::Code::kConflict);
    CHECK(*LoadStateKeyFile(key_path) == *made);
  }
}

TEST_CASE("an SQLite state whose own key file was deleted gets a new key instead of refusing",
          "[cli][state][key]") {
  Checkout c;
  KeyIdStore store;
  store.recorded = std::string(32, 'a');  // the lost key's id
  const std::string key_path = c.Path("state.db.key");
  auto key = cli::StateKeyFor(key_path);
  REQUIRE(key.ok());
  REQUIRE(cli::ClaimStateKey(store, "keyed", key_path, /*sole_copy=*/true).ok());
  CHECK(store.recorded == StateKeyId(*key));
  CHECK(*LoadStateKeyFile(key_path) == *key);
}

TEST_CASE("jlrec takes its state from JLREC_STATE and its key from JLREC_STATE_KEY",
          "[cli][state]") {
  Checkout c;
  auto r = RunJlrec({"history", "-m", c.manifest()}, "",
                    {{"JLREC_STATE", c.Path("env.db")},
                     {"JLREC_STATE_KEY", c.Path("keys/env.key")},
                     {"JLREC_LOG", ""},
                     {"JLREC_LOG_FILE", ""}});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(std::filesystem::exists(c.Path("env.db")));
  CHECK(std::filesystem::exists(c.Path("keys/env.key")));
  CHECK_FALSE(std::filesystem::exists(c.Path(".jlrec/state.db")));
  CHECK_FALSE(std::filesystem::exists(c.Path("env.db.key")));
}

TEST_CASE("jlrec refuses a state URL with a password and a bad manifest state: at its position",
          "[cli][state]") {
  Checkout c;
  auto flag = RunJlrec(
      {"history", "-m", c.manifest(), "--state", "postgresql://jlrec:hunter22@127.0.0.1/fleet"});
  CHECK(flag.exit_code == 1);
  CHECK_THAT(flag.err, Catch::Contains("jlrec: --state: the state URL holds a password"));
  CHECK_THAT(flag.out + flag.err, !Catch::Contains("hunter22"));

  Checkout bad("state: [a.db]\n");
  auto manifest = RunJlrec({"plan", "--all", "-m", bad.manifest()});
  CHECK(manifest.exit_code == 1);
  CHECK_THAT(manifest.err, Catch::Contains(bad.manifest() + ":3:8: error: \"state\" must be a "
                                                            "string"));
  CHECK_FALSE(std::filesystem::exists(bad.Path(".jlrec")));  // nothing made

  Checkout secret("state: postgresql://jlrec:hunter22@127.0.0.1/fleet\n");
  auto validate = RunJlrec({"validate", "-m", secret.manifest()});
  CHECK(validate.exit_code != 0);
  CHECK_THAT(validate.out + validate.err, Catch::Contains(":3:8: error: the state URL holds a "
                                                          "password"));
  CHECK_THAT(validate.out + validate.err, !Catch::Contains("hunter22"));
}

TEST_CASE("unlock names the holder of a lock\\, and what it removed\\, in the one wording",
          "[cli][state][lock]") {
  CliProject p;
  {
    auto store = OpenSqliteStateStore(p.Path("state.db"));
    REQUIRE(store.ok());
    LockInfo held{"apply:clitest", "alice@ops2", 1, "ops2", 1700000000};
    REQUIRE((*store)->AcquireLock(held, std::chrono::milliseconds(0)).ok());
  }
  auto r = p.Jlrec({"unlock"});
  CHECK(r.exit_code == 1);
  CHECK(r.out ==
        "Lock apply:clitest: locked by alice@ops2 pid 1 since 2023-11-14T22:13:20Z for apply "
        "clitest.\nPass --force to remove it (only if that process is gone).\n");
  auto removed = p.Jlrec({"unlock", "--force"});
  CHECK(removed.exit_code == 0);
  CHECK(removed.out ==
        "Removed lock apply:clitest, locked by alice@ops2 pid 1 since "
        "2023-11-14T22:13:20Z for apply clitest.\n");
  auto free = p.Jlrec({"unlock"});
  CHECK(free.out == "Lock apply:clitest is free.\n");
}

}  // namespace
}  // namespace jlrec::testing
