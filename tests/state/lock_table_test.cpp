// Locks in the state: one holder at a time across store objects (as across processes), live
// holders named in the refusal. What frees a dead holder's lock differs by design: SQLite
// takes it over when the holder's pid is gone from this machine; PostgreSQL's server frees
// it when the holder's session ends, on whatever machine it ran.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "model/lock_holder.h"
#include "state/local_process.h"
#include "state/lock_table.h"
#include "state/open_state_store.h"
#include "state/sqlite_db.h"
#include "state/sqlite_state_store.h"
#include "state/state_test_support.h"

namespace jlrec {
namespace {

using std::chrono::milliseconds;

LockInfo Holder(std::int64_t pid, const std::string& hostname = "") {
  LockInfo info;
  info.name = "apply:demo";
  info.owner = "ops@" + (hostname.empty() ? LocalHostname() : hostname);
  info.pid = pid;
  info.hostname = hostname;
  return info;
}

// The pid of a child that has exited and been reaped: surely no process right now.
std::int64_t DeadPid() {
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  return child;
}

// A child process that takes lock apply:demo on the state at `location` and holds it until
// killed; returns once the lock is held. No Catch2 in the child: it only exits or pauses.
pid_t ChildHoldingTheLock(const std::string& location) {
  Result<StateLocation> where = ParseStateLocation(location);
  REQUIRE(where.ok());
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    auto store = OpenStateStore(*where);
    if (!store.ok()) ::_exit(10);
    LockInfo info;
    info.name = "apply:demo";
    if (!(*store)->AcquireLock(info, milliseconds(0)).ok()) ::_exit(11);
    char byte = 'L';
    if (::write(ready[1], &byte, 1) != 1) ::_exit(12);
    for (;;) ::pause();  // holds the lock until killed
  }
  ::close(ready[1]);
  char byte = 0;
  const bool locked = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  if (!locked) {
    int status = 0;
    ::waitpid(child, &status, 0);
    FAIL("the child could not take the lock: exit " << WEXITSTATUS(status));
  }
  return child;
}

TEST_CASE("a lock held through one store is refused to another, naming the holder",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto first = state.Open();
  auto second = state.Open();

  LockInfo mine = Holder(::getpid());
  mine.since = 1700000000;
  auto taken = first->AcquireLock(mine, milliseconds(0));
  REQUIRE(taken.ok());
  CHECK_FALSE(taken->has_value());

  auto refused = second->AcquireLock(Holder(::getpid()), milliseconds(0));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  const std::string msg = refused.status().message();
  // One wording of the holder for every backend (model/lock_holder.h).
  CHECK_THAT(msg, Catch::Contains(DescribeLockHolder(mine)) && Catch::Contains("for apply demo") &&
                      Catch::Contains(mine.owner) &&
                      Catch::Contains("pid " + std::to_string(::getpid())) &&
                      Catch::Contains(LocalHostname()) && Catch::Contains("2023-11-14T22:13:20Z"));

  auto holder = second->LockHolder("apply:demo");
  REQUIRE(holder.ok());
  REQUIRE(holder->has_value());
  CHECK((*holder)->pid == ::getpid());
  CHECK((*holder)->hostname == LocalHostname());
  CHECK((*holder)->since == 1700000000);

  REQUIRE(first->ReleaseLock("apply:demo", ::getpid()).ok());
  CHECK(second->AcquireLock(Holder(::getpid()), milliseconds(0)).ok());
  // Different names are independent locks.
  LockInfo drift = Holder(::getpid());
  drift.name = "drift:demo";
  CHECK(first->AcquireLock(drift, milliseconds(0)).ok());
}

TEST_CASE(
    "on SQLite a lock held by another live process is refused with unlock advice, then "
    "taken over once it is killed",
    "[state]") {
  test::ScratchState state(test::StateBackend::kSqlite);
  const pid_t child = ChildHoldingTheLock(state.location());

  auto store = state.Open();
  auto refused = store->AcquireLock(Holder(::getpid()), milliseconds(50));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK_THAT(refused.status().message(), Catch::Contains("pid " + std::to_string(child)) &&
                                             Catch::Contains("jlrec unlock --force"));

  REQUIRE(::kill(child, SIGKILL) == 0);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  auto taken = store->AcquireLock(Holder(::getpid()), milliseconds(0));
  INFO(taken.status().ToString());
  REQUIRE(taken.ok());
  REQUIRE(taken->has_value());
  CHECK((*taken)->pid == child);
}

TEST_CASE(
    "on PostgreSQL a lock held by a killed process is free at once, and a forced unlock is "
    "refused while its holder's session lives",
    "[state]") {
  test::ScratchState state(test::StateBackend::kPostgres);
  const pid_t child = ChildHoldingTheLock(state.location());
  auto store = state.Open();

  auto refused = store->AcquireLock(Holder(::getpid()), milliseconds(50));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK_THAT(refused.status().message(), Catch::Contains("pid " + std::to_string(child)));
  auto holder = store->LockHolder("apply:demo");
  REQUIRE(holder.ok());
  REQUIRE(holder->has_value());
  CHECK((*holder)->pid == child);

  auto forced = store->ForceUnlock("apply:demo");
  REQUIRE_FALSE(forced.ok());
  CHECK(forced.status().code() == Status::Code::kConflict);
  CHECK_THAT(forced.status().message(), Catch::Contains("pid " + std::to_string(child)));
  holder = store->LockHolder("apply:demo");
  REQUIRE(holder.ok());
  CHECK(holder->has_value());

  // The server ends the session of a killed client as soon as its socket closes: no
  // takeover, no timeout to wait out. The timeout only absorbs that instant.
  REQUIRE(::kill(child, SIGKILL) == 0);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  const auto start = std::chrono::steady_clock::now();
  auto taken = store->AcquireLock(Holder(::getpid()), milliseconds(10000));
  INFO(taken.status().ToString());
  REQUIRE(taken.ok());
  CHECK(std::chrono::steady_clock::now() - start < milliseconds(3000));
  holder = store->LockHolder("apply:demo");
  REQUIRE(holder.ok());
  REQUIRE(holder->has_value());
  CHECK((*holder)->pid == ::getpid());
}

TEST_CASE("unset holder fields are filled with this process's identity", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  LockInfo bare;
  bare.name = "apply:demo";
  REQUIRE(store->AcquireLock(bare, milliseconds(0)).ok());
  auto holder = store->LockHolder("apply:demo");
  REQUIRE(holder.ok());
  REQUIRE(holder->has_value());
  CHECK((*holder)->pid == ::getpid());
  CHECK((*holder)->hostname == LocalHostname());
  CHECK((*holder)->owner == LocalOwnerName());
  CHECK((*holder)->since > 0);
  CHECK(store->AcquireLock(LockInfo{}, milliseconds(0)).status().code() ==
        Status::Code::kInvalidArgument);
}

TEST_CASE(
    "on SQLite a lock whose holder died on this machine is taken over and the holder "
    "returned",
    "[state]") {
  test::TempDir dir;
  auto crashed = test::OpenStoreOrFail(dir.File("state.db"));
  auto next = test::OpenStoreOrFail(dir.File("state.db"));
  const std::int64_t dead = DeadPid();
  REQUIRE(crashed->AcquireLock(Holder(dead), milliseconds(0)).ok());

  auto taken = next->AcquireLock(Holder(::getpid()), milliseconds(0));
  INFO(taken.status().ToString());
  REQUIRE(taken.ok());
  REQUIRE(taken->has_value());
  CHECK((*taken)->pid == dead);
  CHECK((*taken)->hostname == LocalHostname());
  auto holder = next->LockHolder("apply:demo");
  REQUIRE(holder.ok());
  CHECK((*holder)->pid == ::getpid());
}

TEST_CASE("on PostgreSQL a lock naming a dead local pid stays held while its session lives",
          "[state]") {
  test::ScratchState state(test::StateBackend::kPostgres);
  auto holder = state.Open();
  auto next = state.Open();
  const std::int64_t dead = DeadPid();
  REQUIRE(holder->AcquireLock(Holder(dead), milliseconds(0)).ok());

  // The session is the holder, not the pid it gave: no takeover.
  auto refused = next->AcquireLock(Holder(::getpid()), milliseconds(0));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK_THAT(refused.status().message(), Catch::Contains("pid " + std::to_string(dead)));

  holder.reset();  // its sessions close, as when a process exits
  auto taken = next->AcquireLock(Holder(::getpid()), milliseconds(10000));
  INFO(taken.status().ToString());
  CHECK(taken.ok());
}

TEST_CASE("a lock held from another machine is never taken over, even with a dead local pid",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->AcquireLock(Holder(DeadPid(), "other-control-host"), milliseconds(0)).ok());
  auto refused = store->AcquireLock(Holder(::getpid()), milliseconds(0));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK_THAT(refused.status().message(), Catch::Contains("@other-control-host"));
}

TEST_CASE("acquiring a held lock waits for the timeout, then fails", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto holder = state.Open();
  auto waiter = state.Open();
  REQUIRE(holder->AcquireLock(Holder(::getpid()), milliseconds(0)).ok());

  auto start = std::chrono::steady_clock::now();
  auto refused = waiter->AcquireLock(Holder(::getpid()), milliseconds(300));
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK(waited >= milliseconds(300));  // a lower bound, not a performance claim
  CHECK_THAT(refused.status().message(), Catch::Contains("waited"));
}

TEST_CASE("a waiting acquire succeeds as soon as the holder releases", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto holder = state.Open();
  auto waiter = state.Open();
  REQUIRE(holder->AcquireLock(Holder(::getpid()), milliseconds(0)).ok());
  std::thread releaser([&holder] {
    std::this_thread::sleep_for(milliseconds(100));
    (void)holder->ReleaseLock("apply:demo", ::getpid());
  });
  // Generous timeout: the release comes long before it on any machine.
  auto taken = waiter->AcquireLock(Holder(::getpid()), milliseconds(30000));
  releaser.join();
  INFO(taken.status().ToString());
  CHECK(taken.ok());
}

TEST_CASE("a lock is released only by its holder's pid", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->AcquireLock(Holder(::getpid()), milliseconds(0)).ok());
  Status wrong = store->ReleaseLock("apply:demo", ::getpid() + 1);
  CHECK(wrong.code() == Status::Code::kConflict);
  CHECK(store->LockHolder("apply:demo")->has_value());
  CHECK(store->ReleaseLock("apply:demo", ::getpid()).ok());
  CHECK_FALSE(store->LockHolder("apply:demo")->has_value());
  // Releasing a free lock (e.g. after a forced unlock) is not an error.
  CHECK(store->ReleaseLock("apply:demo", ::getpid()).ok());
}

TEST_CASE("on SQLite a forced unlock removes a live holder's lock and reports who held it",
          "[state]") {
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
  REQUIRE(store->AcquireLock(Holder(1, "other-control-host"), milliseconds(0)).ok());
  auto removed = store->ForceUnlock("apply:demo");
  REQUIRE(removed.ok());
  REQUIRE(removed->has_value());
  CHECK((*removed)->hostname == "other-control-host");
  CHECK_FALSE(store->LockHolder("apply:demo")->has_value());
  CHECK(store->AcquireLock(Holder(::getpid()), milliseconds(0)).ok());
}

TEST_CASE("a forced unlock of a free lock reports no holder and frees nothing else",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->AcquireLock(Holder(::getpid()), milliseconds(0)).ok());
  auto nothing = store->ForceUnlock("drift:demo");
  INFO(nothing.status().ToString());
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing->has_value());
  auto holder = store->LockHolder("apply:demo");
  REQUIRE(holder.ok());
  CHECK(holder->has_value());
}

TEST_CASE("a state file another process keeps locked in SQLite is named, without unlock advice",
          "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  test::OpenStoreOrFail(path);  // creates the schema
  // A foreign process (sqlite3 in a shell, a backup tool) holding SQLite's write lock.
  auto foreign = SqliteDatabase::Open(path);
  REQUIRE(foreign.ok());
  REQUIRE(foreign->Exec("BEGIN EXCLUSIVE").ok());

  auto db = SqliteDatabase::Open(path);
  REQUIRE(db.ok());
  REQUIRE(db->Exec("PRAGMA busy_timeout = 100").ok());
  auto refused = AcquireLockIn(*db, Holder(::getpid()), milliseconds(0));
  REQUIRE_FALSE(refused.ok());
  const std::string msg = refused.status().message();
  INFO(msg);
  // Not kConflict: that is jlrec's own lock, held by a named process.
  CHECK(refused.status().code() == Status::Code::kTimeout);
  CHECK_THAT(msg, Catch::Contains("the state file " + path +
                                  " is locked by another process (SQLite busy)"));
  CHECK_THAT(msg, !Catch::Contains("unlock"));

  // Once the foreign process lets go, the lock is jlrec's again.
  REQUIRE(foreign->Exec("COMMIT").ok());
  CHECK(AcquireLockIn(*db, Holder(::getpid()), milliseconds(0)).ok());
}

}  // namespace
}  // namespace jlrec
