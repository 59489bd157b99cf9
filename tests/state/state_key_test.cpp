// The state key beside the state file: made once, private, and refused when it could have
// been read or swapped by someone else.
#include "state/state_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "state/state_test_support.h"

namespace jlrec {
namespace {

// A new key saved for `state`, as the CLI does the first time it opens a state file.
Result<std::string> Made(const std::string& state) {
  auto key = NewStateKey();
  if (!key.ok()) return key;
  return SaveStateKeyFile(StateKeyPath(state), *key);
}

TEST_CASE("a state key is made once, 32 bytes, readable by the owner only", "[state][key]") {
  test::TempDir dir;
  const std::string state = dir.File("state.db");
  CHECK(StateKeyPath(state) == state + ".key");

  auto none = LoadStateKeyFile(StateKeyPath(state));
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == Status::Code::kNotFound);

  auto made = Made(state);
  REQUIRE(made.ok());
  CHECK(made->size() == 32);
  struct stat st {};
  REQUIRE(::stat(StateKeyPath(state).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);

  // A second saver (a concurrent first run) gets the key saved first.
  auto again = Made(state);
  REQUIRE(again.ok());
  CHECK(*again == *made);
  CHECK(*LoadStateKeyFile(StateKeyPath(state)) == *made);

  test::TempDir other;
  CHECK(*Made(other.File("state.db")) != *made);
  CHECK_FALSE(SaveStateKeyFile(StateKeyPath(other.File("x.db")), "short").ok());
}

TEST_CASE("a state key anyone may read, of the wrong size or not a regular file is refused",
          "[state][key]") {
  test::TempDir dir;
  const std::string state = dir.File("state.db");
  const std::string key = StateKeyPath(state);

  SECTION("readable by others") {
    REQUIRE(Made(state).ok());
    REQUIRE(::chmod(key.c_str(), 0604) == 0);
    auto r = LoadStateKeyFile(StateKeyPath(state));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK(r.status().message().find("chmod 600 " + key) != std::string::npos);
  }
  SECTION("the wrong size") {
    std::ofstream(key) << "short";
    REQUIRE(::chmod(key.c_str(), 0600) == 0);
    auto r = LoadStateKeyFile(StateKeyPath(state));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("not a regular file of 32 bytes") != std::string::npos);
  }
  SECTION("a FIFO never blocks") {
    REQUIRE(::mkfifo(key.c_str(), 0600) == 0);
    auto r = LoadStateKeyFile(StateKeyPath(state));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
  }
  SECTION("a symbolic link is not followed") {
    test::TempDir elsewhere;
    REQUIRE(Made(elsewhere.File("state.db")).ok());
    REQUIRE(::symlink(StateKeyPath(elsewhere.File("state.db")).c_str(), key.c_str()) == 0);
    CHECK_FALSE(LoadStateKeyFile(StateKeyPath(state)).ok());
  }
}

TEST_CASE(
    "a key file is saved by its own path, its folder made, and removed only when it holds "
    "the key given",
    "[state][key]") {
  test::TempDir dir;
  const std::string key_path = dir.File(".jlrec/postgresql-state.key");
  auto key = NewStateKey();
  REQUIRE(key.ok());
  auto saved = SaveStateKeyFile(key_path, *key);
  REQUIRE(saved.ok());
  CHECK(*saved == *key);
  struct stat st {};
  REQUIRE(::stat(dir.File(".jlrec").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(*LoadStateKeyFile(key_path) == *key);

  auto other = NewStateKey();
  REQUIRE(other.ok());
  CHECK(RemoveStateKeyFile(key_path, *other).ok());
  CHECK(LoadStateKeyFile(key_path).ok());  // another key's file stays
  CHECK(RemoveStateKeyFile(key_path, *key).ok());
  CHECK(LoadStateKeyFile(key_path).status().code() == Status::Code::kNotFound);
  CHECK(RemoveStateKeyFile(key_path, *key).ok());  // gone already: nothing to do
}

TEST_CASE(
    "a PostgreSQL state's key defaults to the checkout's .jlrec folder, an SQLite one's "
    "beside the file",
    "[state][key]") {
  StateLocation pg{StateLocation::Kind::kPostgres, "postgresql://jlrec@db1/fleet"};
  CHECK(DefaultStateKeyPath(pg, "/srv/fleet/jlrec.yaml") ==
        "/srv/fleet/.jlrec/postgresql-state.key");
  CHECK(DefaultStateKeyPath(pg, "jlrec.yaml") == ".jlrec/postgresql-state.key");
  StateLocation file{StateLocation::Kind::kSqlite, "/var/lib/jlrec/state.db"};
  CHECK(DefaultStateKeyPath(file, "/srv/fleet/jlrec.yaml") == "/var/lib/jlrec/state.db.key");
}

}  // namespace
}  // namespace jlrec
