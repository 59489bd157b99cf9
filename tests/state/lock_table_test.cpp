// Locks in the state file: one holder at a time across store objects (as across processes),
// dead holders on this machine taken over, live ones named in the refusal.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "state/local_process.h"
#include "state/lock_table.h"
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

TEST_CASE("a lock held through one store is refused to another, naming the holder", "[state]") {
  test::TempDir dir;
  auto first = test::OpenStoreOrFail(dir.File("state.db"));
  auto second = test::OpenStoreOrFail(dir.File("state.db"));

  LockInfo mine = Holder(::getpid());
  mine.since = 1700000000;
  auto taken = first->AcquireLock(mine, milliseconds(0));
  REQUIRE(taken.ok());
  CHECK_FALSE(taken->has_value());

  auto refused = second->AcquireLock(Holder(::getpid()), milliseconds(0));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  const std::string msg = refused.status().message();
  CHECK_THAT(msg, Catch::Contains("for apply demo") && Catch::Contains(mine.owner) &&
                      Catch::Contains("pid " + std::to_string(::getpid())) &&
                      Catch::Contains(LocalHostname()) && Catch::Contains("2023-11-14T22:13:20Z") &&
                      Catch::Contains("jlrec unlock --force"));

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

TEST_CASE("a lock held by another live process is refused, then taken over once it is killed",
          "[state]") {
  test::TempDir dir;
  const std::string path = dir.File("state.db");
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    auto store = OpenSqliteStateStore(path);
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
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);

  auto store = test::OpenStoreOrFail(path);
  auto refused = store->AcquireLock(Holder(::getpid()), milliseconds(50));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK_THAT(refused.status().message(), Catch::Contains("pid " + std::to_string(child)));

  REQUIRE(::kill(child, SIGKILL) == 0);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  auto taken = store->AcquireLock(Holder(::getpid()), milliseconds(0));
  INFO(taken.status().ToString());
  REQUIRE(taken.ok());
  REQUIRE(taken->has_value());
  CHECK((*taken)->pid == child);
}

TEST_CASE("unset holder fields are filled with this process's identity", "[state]") {
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
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

TEST_CASE("a lock whose holder died on this machine is taken over and the holder returned",
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

TEST_CASE("a lock held from another machine is never taken over, even with a dead local pid",
          "[state]") {
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
  REQUIRE(store->AcquireLock(Holder(DeadPid(), "other-control-host"), milliseconds(0)).ok());
  auto refused = store->AcquireLock(Holder(::getpid()), milliseconds(0));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK_THAT(refused.status().message(), Catch::Contains("@other-control-host"));
}

TEST_CASE("acquiring a held lock waits for the timeout, then fails", "[state]") {
  test::TempDir dir;
  auto holder = test::OpenStoreOrFail(dir.File("state.db"));
  auto waiter = test::OpenStoreOrFail(dir.File("state.db"));
  REQUIRE(holder->AcquireLock(Holder(::getpid()), milliseconds(0)).ok());

  auto start = std::chrono::steady_clock::now();
  auto refused = waiter->AcquireLock(Holder(::getpid()), milliseconds(300));
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK(waited >= milliseconds(300));  // a lower bound, not a performance claim
  CHECK_THAT(refused.status().message(), Catch::Contains("waited"));
}

TEST_CASE("a waiting acquire succeeds as soon as the holder releases", "[state]") {
  test::TempDir dir;
  auto holder = test::OpenStoreOrFail(dir.File("state.db"));
  auto waiter = test::OpenStoreOrFail(dir.File("state.db"));
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

TEST_CASE("a lock is released only by its holder's pid", "[state]") {
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
  REQUIRE(store->AcquireLock(Holder(::getpid()), milliseconds(0)).ok());
  Status wrong = store->ReleaseLock("apply:demo", ::getpid() + 1);
  CHECK(wrong.code() == Status::Code::kConflict);
  CHECK(store->LockHolder("apply:demo")->has_value());
  CHECK(store->ReleaseLock("apply:demo", ::getpid()).ok());
  CHECK_FALSE(store->LockHolder("apply:demo")->has_value());
  // Releasing a free lock (e.g. after a forced unlock) is not an error.
  CHECK(store->ReleaseLock("apply:demo", ::getpid()).ok());
}

TEST_CASE("a forced unlock removes a live holder's lock and reports who held it", "[state]") {
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));
  REQUIRE(store->AcquireLock(Holder(1, "other-control-host"), milliseconds(0)).ok());
  auto removed = store->ForceUnlock("apply:demo");
  REQUIRE(removed.ok());
  REQUIRE(removed->has_value());
  CHECK((*removed)->hostname == "other-control-host");
  CHECK_FALSE(store->LockHolder("apply:demo")->has_value());
  CHECK(store->AcquireLock(Holder(::getpid()), milliseconds(0)).ok());
  auto nothing = store->ForceUnlock("drift:demo");
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing->has_value());
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
