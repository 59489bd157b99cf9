// The PostgreSQL store against the lab's server (a pooled scratch database): the
// refresh cache, failures, adoptions, resolved manifests and key ids as the SQLite store keeps
// them, and what only PostgreSQL does: advisory locks across sessions, freed by the server
// the moment their holder is killed, and a refresh whose session dies leaving nothing half
// written.
//
// Each test process works in a database of its own (support/postgres_scratch.h) and every
// case in projects and lock names of its own.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "model/state_dump.h"
#include "state/local_process.h"
#include "state/pg_connection.h"
#include "state/postgres_resolved_manifests.h"
#include "state/postgres_snapshot_cache.h"
#include "state/postgres_state_store.h"
#include "state/state_test_support.h"
#include "support/postgres_scratch.h"

namespace jlrec {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The server to test against, and this process's database on it.
class TestServer {
 public:
  static TestServer& Get() {
    static TestServer server;
    return server;
  }
  bool configured() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  // A fresh name for this case: projects and locks never meet another case's.
  std::string Unique(const std::string& stem) {
    return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_);
  }
  // A session on the test database, for what the store does not offer (damage, watching).
  PgConnection Admin() {
    Result<PgConnection> conn = PgConnection::Open(url_, "jlrec test");
    INFO(conn.status().ToString());
    REQUIRE(conn.ok());
    return std::move(*conn);
  }

  ~TestServer() = default;

 private:
  TestServer() : db_(std::make_unique<testing::ScratchPostgresDatabase>()), url_(db_->url()) {}

  std::unique_ptr<testing::ScratchPostgresDatabase> db_;
  std::string url_;
  int counter_ = 0;
};

// The lab's server is required (ScratchPostgresDatabase fails the case naming how to start it).
#define SKIP_WITHOUT_SERVER() (void)TestServer::Get()

std::unique_ptr<StateStore> OpenStore() {
  Result<std::unique_ptr<StateStore>> store = OpenPostgresStateStore(TestServer::Get().url());
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

HostSnapshot Unreachable(const std::string& host, std::int64_t at, const std::string& error) {
  HostSnapshot snapshot;
  snapshot.host = host;
  snapshot.error = error;
  snapshot.observed_at = at;
  return snapshot;
}

std::vector<HostSnapshot> Load(StateStore& store, const std::string& project,
                               const std::vector<std::string>& hosts) {
  auto loaded = store.LoadSnapshots(project, hosts);
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  REQUIRE(loaded->size() == hosts.size());
  return std::move(*loaded);
}

void CheckSameContainer(const LiveContainer& got, const LiveContainer& want) {
  INFO("container " << want.name);
  CHECK(got.id == want.id);
  CHECK(got.name == want.name);
  CHECK(got.image_id == want.image_id);
  CHECK(got.spec == want.spec);
  CHECK(got.jlrec_labels == want.jlrec_labels);
  CHECK(got.state == want.state);
  CHECK(got.health == want.health);
  CHECK(got.restart_count == want.restart_count);
  CHECK(got.exit_code == want.exit_code);
  CHECK(got.created == want.created);
  CHECK(got.started_at == want.started_at);
  CHECK(got.script_digest == want.script_digest);
  CHECK(got.script_stat == want.script_stat);
}

LockInfo Holder(const std::string& name, std::int64_t pid, const std::string& hostname = "") {
  LockInfo info;
  info.name = name;
  info.owner = "ops@" + (hostname.empty() ? LocalHostname() : hostname);
  info.pid = pid;
  info.hostname = hostname;
  return info;
}

TEST_CASE("postgres: snapshots load back identical, replaced when reachable, kept stale when not",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string project = TestServer::Get().Unique("cache");
  auto store = OpenStore();
  LiveContainer bare;
  bare.id = "b";
  bare.name = "bare";
  std::vector<LiveContainer> containers = {test::SampleContainer("web", 0),
                                           test::SampleContainer("db", 1),
                                           test::SampleContainer("cache", 2), bare};
  containers[0].spec.command.push_back(std::string("nul\0inside", 10));
  containers[1].spec.command.push_back("quote \" backslash \\ brace { } comma ,");
  REQUIRE(store
              ->SaveSnapshots(project, {test::ReachableSnapshot("h1", 100, containers),
                                        test::ReachableSnapshot("h2", 100, {})})
              .ok());

  auto reader = OpenStore();
  std::vector<HostSnapshot> loaded = Load(*reader, project, {"h2", "never", "h1"});
  CHECK(loaded[0].reachable);
  CHECK(loaded[0].containers.empty());
  CHECK_FALSE(loaded[1].reachable);
  CHECK(loaded[1].error == "never refreshed");
  CHECK(loaded[1].observed_at == 0);
  CHECK(loaded[1].from_cache);
  const HostSnapshot& h1 = loaded[2];
  CHECK(h1.reachable);
  CHECK(h1.observed_at == 100);
  CHECK(h1.from_cache);
  REQUIRE(h1.containers.size() == containers.size());
  for (std::size_t i = 0; i < containers.size(); ++i)
    CheckSameContainer(h1.containers[i], containers[i]);

  // h1 unreachable: its containers stay, stale, with the error; h2 gets new ones.
  REQUIRE(store
              ->SaveSnapshots(project,
                              {Unreachable("h1", 200, "connect to 127.0.0.2:2222: refused"),
                               test::ReachableSnapshot("h2", 200, {test::SampleContainer("x")})})
              .ok());
  loaded = Load(*store, project, {"h1", "h2"});
  CHECK_FALSE(loaded[0].reachable);
  CHECK(loaded[0].error == "connect to 127.0.0.2:2222: refused");
  CHECK(loaded[0].observed_at == 100);
  CHECK(loaded[0].containers.size() == containers.size());
  REQUIRE(loaded[1].containers.size() == 1);
  CheckSameContainer(loaded[1].containers[0], test::SampleContainer("x"));

  auto hosts = store->ListCachedHosts(project);
  REQUIRE(hosts.ok());
  REQUIRE(hosts->size() == 2);
  CHECK(hosts->at(0).host == "h1");
  CHECK_FALSE(hosts->at(0).reachable);
  CHECK(hosts->at(0).last_refresh_at == 200);
  CHECK(hosts->at(0).last_success_at == 100);
  CHECK(hosts->at(0).container_count == 4);
  CHECK(hosts->at(1).host == "h2");
  CHECK(hosts->at(1).container_count == 1);

  // A first attempt that fails records no success; another project sees nothing of these.
  REQUIRE(store->SaveSnapshot(project, Unreachable("h9", 50, "")).ok());
  loaded = Load(*store, project, {"h9"});
  CHECK(loaded[0].error == "unreachable");
  CHECK(loaded[0].observed_at == 0);
  CHECK(Load(*store, project + "-other", {"h1"})[0].error == "never refreshed");
  CHECK(store->ListCachedHosts(project + "-other")->empty());

  // Reachable again: the stale rows are replaced, the error cleared.
  REQUIRE(store->SaveSnapshot(project, test::ReachableSnapshot("h1", 300, {})).ok());
  loaded = Load(*store, project, {"h1"});
  CHECK(loaded[0].reachable);
  CHECK(loaded[0].error.empty());
  CHECK(loaded[0].containers.empty());
  CHECK(store->ListCachedHosts(project)->at(0).container_count == 0);
}

TEST_CASE("postgres: text that is not UTF-8 is saved with U+FFFD in place of each bad byte",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string project = TestServer::Get().Unique("bytes");
  auto store = OpenStore();
  const std::string error =
      std::string("ssh: banner \xff\xc3(\xed\xa0\x80 nul") + std::string(1, '\0') + "end \xc3\xa9";
  REQUIRE(store->SaveSnapshot(project, Unreachable("h1", 100, error)).ok());
  CHECK(Load(*store, project, {"h1"})[0].error ==
        "ssh: banner \xEF\xBF\xBD\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
        "nul\xEF\xBF\xBD"
        "end \xc3\xa9");
}

TEST_CASE("postgres: a refresh that fails part-way leaves every host as it was",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string project = TestServer::Get().Unique("partial");
  auto store = OpenStore();
  REQUIRE(store
              ->SaveSnapshots(project,
                              {test::ReachableSnapshot("h1", 100, {test::SampleContainer("web")}),
                               test::ReachableSnapshot("h2", 100, {test::SampleContainer("db")})})
              .ok());
  Status failed = store->SaveSnapshots(
      project, {test::ReachableSnapshot("h1", 200, {test::SampleContainer("web", 5)}),
                Unreachable("h3", 200, "timeout"),
                test::ReachableSnapshot(
                    "h2", 200, {test::SampleContainer("db", 5), test::SampleContainer("db", 6)})});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(failed.message(), Catch::Contains("host h2"));

  std::vector<HostSnapshot> loaded = Load(*store, project, {"h1", "h2", "h3"});
  CHECK(loaded[0].observed_at == 100);
  REQUIRE(loaded[0].containers.size() == 1);
  CheckSameContainer(loaded[0].containers[0], test::SampleContainer("web"));
  REQUIRE(loaded[1].containers.size() == 1);
  CHECK(loaded[2].error == "never refreshed");
  CHECK(store->SaveSnapshot(project, test::ReachableSnapshot("h1", 300, {})).ok());

  Status twice = store->SaveSnapshots(
      project, {test::ReachableSnapshot("h7", 1, {}), test::ReachableSnapshot("h7", 1, {})});
  CHECK(twice.code() == Status::Code::kInvalidArgument);
  CHECK(Load(*store, project, {"h7"})[0].error == "never refreshed");
}

TEST_CASE(
    "postgres: a refresh whose database session dies mid-way writes nothing, and the next "
    "call reconnects",
    "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string project = TestServer::Get().Unique("killed");
  auto store = OpenStore();
  REQUIRE(store
              ->SaveSnapshot(project,
                             test::ReachableSnapshot("h1", 100, {test::SampleContainer("web")}))
              .ok());

  // A second session holds the containers table, so the refresh stops after writing the
  // host rows; then its session is killed, as a server restart would.
  PgConnection blocker = TestServer::Get().Admin();
  REQUIRE(blocker.Exec("BEGIN; LOCK TABLE containers IN ACCESS EXCLUSIVE MODE").ok());
  std::atomic<bool> done{false};
  Status saved;
  std::thread refresh([&] {
    saved = store->SaveSnapshots(
        project, {test::ReachableSnapshot("h1", 200, {test::SampleContainer("web", 7)}),
                  test::ReachableSnapshot("h2", 200, {test::SampleContainer("db")})});
    done = true;
  });
  PgConnection killer = TestServer::Get().Admin();
  bool killed = false;
  for (int i = 0; i < 500 && !killed && !done; ++i) {
    auto waiting = killer.Query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
        "application_name = 'jlrec' AND wait_event_type = 'Lock'");
    REQUIRE(waiting.ok());
    if (waiting->rows() == 1)
      killed =
          killer.Run("SELECT pg_terminate_backend($1::int)", PgParams().Int(waiting->Int(0, 0)))
              .ok();
    else
      std::this_thread::sleep_for(milliseconds(10));
  }
  refresh.join();
  REQUIRE(blocker.Exec("COMMIT").ok());
  REQUIRE(killed);
  INFO(saved.ToString());
  CHECK(saved.code() == Status::Code::kUnavailable);

  // The next call connects again and finds the state of before.
  std::vector<HostSnapshot> loaded = Load(*store, project, {"h1", "h2"});
  CHECK(loaded[0].observed_at == 100);
  REQUIRE(loaded[0].containers.size() == 1);
  CheckSameContainer(loaded[0].containers[0], test::SampleContainer("web"));
  CHECK(loaded[1].error == "never refreshed");
}

TEST_CASE("postgres: a host whose encoded snapshot is missing or damaged loads from its rows",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string project = TestServer::Get().Unique("rows");
  std::vector<LiveContainer> containers = {test::SampleContainer("web", 0),
                                           test::SampleContainer("db", 1)};
  containers[1].restart_count = 2147483647;
  containers[1].exit_code = -1;
  auto store = OpenStore();
  REQUIRE(store
              ->SaveSnapshots(project, {test::ReachableSnapshot("h1", 100, containers),
                                        test::ReachableSnapshot("h2", 100, containers)})
              .ok());
  PgConnection admin = TestServer::Get().Admin();
  std::string damage;
  SECTION("missing") { damage = "NULL"; }
  SECTION("corrupt") { damage = "'\\x4a4c5253'::bytea"; }
  REQUIRE(admin
              .Run("UPDATE hosts SET snapshot = " + damage + " WHERE project = $1 AND host = 'h1'",
                   PgParams().Text(project))
              .ok());
  std::vector<HostSnapshot> loaded = Load(*store, project, {"h1", "h2"});
  for (const HostSnapshot& host : loaded) {
    REQUIRE(host.containers.size() == containers.size());
    for (std::size_t i = 0; i < containers.size(); ++i)
      CheckSameContainer(host.containers[i], containers[i]);
  }
}

TEST_CASE("postgres: a refresh of 10,000 containers on 250 hosts saves and loads in one go",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string project = TestServer::Get().Unique("fleet");
  std::vector<HostSnapshot> fleet;
  std::vector<std::string> names;
  for (int h = 0; h < 250; ++h) {
    std::vector<LiveContainer> containers;
    for (int c = 0; c < 40; ++c)
      containers.push_back(test::SampleContainer("c" + std::to_string(c), h + c));
    names.push_back("host" + std::to_string(h));
    fleet.push_back(test::ReachableSnapshot(names.back(), 1000, std::move(containers)));
  }
  auto store = OpenStore();
  const auto t0 = Clock::now();
  Status saved = store->SaveSnapshots(project, fleet);
  const auto t1 = Clock::now();
  INFO(saved.ToString());
  REQUIRE(saved.ok());
  std::vector<HostSnapshot> loaded = Load(*store, project, names);
  const auto t2 = Clock::now();
  // Again over existing rows (the steady state: every refresh replaces every row).
  REQUIRE(store->SaveSnapshots(project, fleet).ok());
  const auto t3 = Clock::now();
  auto ms = [](auto d) { return std::chrono::duration_cast<milliseconds>(d).count(); };
  INFO("first save " << ms(t1 - t0) << " ms, load " << ms(t2 - t1) << " ms, second save "
                     << ms(t3 - t2) << " ms");
  for (std::size_t h = 0; h < fleet.size(); h += 49) {
    REQUIRE(loaded[h].containers.size() == 40);
    CheckSameContainer(loaded[h].containers[39], fleet[h].containers[39]);
  }
  auto hosts = store->ListCachedHosts(project);
  REQUIRE(hosts.ok());
  CHECK(hosts->size() == 250);
  // Generous bounds (a shared CI machine): what they catch is a round trip per row.
  CHECK(ms(t1 - t0) < 15000);
  CHECK(ms(t2 - t1) < 5000);
  CHECK(ms(t3 - t2) < 15000);
}

TEST_CASE("postgres: cached hosts are written and read back whole for a state dump",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string project = TestServer::Get().Unique("dump");
  auto store = OpenStore();  // creates the schema
  PgConnection conn = TestServer::Get().Admin();
  CachedHostRecord down;
  down.host = "b-down";
  down.error = "ssh: timeout";
  down.last_refresh_at = 300;
  down.last_success_at = 200;
  CachedHostRecord up;
  up.host = "a-up";
  up.reachable = true;
  up.last_refresh_at = 400;
  up.last_success_at = 400;
  const std::vector<LiveContainer> containers = {test::SampleContainer("web"),
                                                 test::SampleContainer("db", 1)};
  {
    Result<PgTransaction> tx = PgTransaction::Begin(conn);
    REQUIRE(tx.ok());
    REQUIRE(PgWriteCachedHost(conn, project, down, containers).ok());
    REQUIRE(PgWriteCachedHost(conn, project, up, {}).ok());
    REQUIRE(tx->Commit().ok());
  }
  auto all = PgReadCachedHosts(conn);
  INFO(all.status().ToString());
  REQUIRE(all.ok());
  std::vector<StateDump::Host> mine;
  for (auto& host : *all)
    if (host.project == project) mine.push_back(host);
  REQUIRE(mine.size() == 2);
  CHECK(mine[0].record.host == "a-up");
  CHECK(mine[0].record.reachable);
  CHECK(mine[0].containers.empty());
  CHECK(mine[1].record.host == "b-down");
  CHECK_FALSE(mine[1].record.reachable);
  CHECK(mine[1].record.error == "ssh: timeout");
  CHECK(mine[1].record.last_refresh_at == 300);
  CHECK(mine[1].record.last_success_at == 200);
  CHECK(mine[1].record.container_count == 2);
  REQUIRE(mine[1].containers.size() == 2);
  CheckSameContainer(mine[1].containers[1], containers[1]);
  // What the store then reads of them is what a refresh would have left.
  std::vector<HostSnapshot> loaded = Load(*store, project, {"b-down"});
  CHECK(loaded[0].error == "ssh: timeout");
  CHECK(loaded[0].observed_at == 200);
  CHECK(loaded[0].containers.size() == 2);
}

TEST_CASE("postgres: failures and adoptions round-trip, replace, clear, and list in byte order",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string project = TestServer::Get().Unique("records");
  auto store = OpenStore();
  ActionFailure failure;
  failure.host = "h1";
  failure.container = "web";
  failure.action = "replace";
  failure.container_id = "abc";
  failure.spec_digest = "sd";
  failure.script_digest = "scd";
  failure.reason = "image pull: denied";
  failure.rolled_back = true;
  failure.run_id = 42;
  failure.failed_at = 1700000000;
  REQUIRE(store->SaveFailure(project, failure).ok());
  ActionFailure lower = failure;
  lower.host = "a";  // "B" < "a" in byte order, whatever the database's collation
  ActionFailure upper = failure;
  upper.host = "B";
  upper.rolled_back = false;
  REQUIRE(store->SaveFailure(project, lower).ok());
  REQUIRE(store->SaveFailure(project, upper).ok());
  failure.reason = "again";
  REQUIRE(store->SaveFailure(project, failure).ok());
  auto failures = store->ListFailures(project);
  REQUIRE(failures.ok());
  REQUIRE(failures->size() == 3);
  CHECK(failures->at(0).host == "B");
  CHECK_FALSE(failures->at(0).rolled_back);
  CHECK(failures->at(1).host == "a");
  CHECK(failures->at(2).reason == "again");
  CHECK(failures->at(2).rolled_back);
  CHECK(failures->at(2).run_id == 42);
  CHECK(failures->at(2).failed_at == 1700000000);
  CHECK(failures->at(2).spec_digest == "sd");
  REQUIRE(store->ClearFailure(project, "a", "web").ok());
  REQUIRE(store->ClearFailure(project, "none", "web").ok());
  CHECK(store->ListFailures(project)->size() == 2);
  CHECK(store->ListFailures(project + "-other")->empty());

  Adoption adoption;
  adoption.host = "h1";
  adoption.container = "legacy";
  adoption.container_id = "id1";
  adoption.spec_digest = "sd";
  adoption.groups = {"web", "edge"};
  adoption.core = true;
  adoption.run_id = 7;
  adoption.adopted_at = 1700000001;
  REQUIRE(store->SaveAdoption(project, adoption).ok());
  Adoption other = adoption;
  other.container = "Legacy";
  other.groups.clear();
  other.core = false;
  REQUIRE(store->SaveAdoption(project, other).ok());
  adoption.container_id = "id2";
  REQUIRE(store->SaveAdoption(project, adoption).ok());
  auto adoptions = store->ListAdoptions(project);
  REQUIRE(adoptions.ok());
  REQUIRE(adoptions->size() == 2);
  CHECK(adoptions->at(0).container == "Legacy");
  CHECK(adoptions->at(0).groups.empty());
  CHECK_FALSE(adoptions->at(0).core);
  CHECK(adoptions->at(1).container_id == "id2");
  CHECK(adoptions->at(1).groups == std::vector<std::string>{"web", "edge"});
  CHECK(adoptions->at(1).core);
  CHECK(adoptions->at(1).run_id == 7);
  CHECK(adoptions->at(1).adopted_at == 1700000001);
  REQUIRE(store->ClearAdoption(project, "h1", "legacy").ok());
  REQUIRE(store->ClearAdoption(project, "h1", "legacy").ok());
  CHECK(store->ListAdoptions(project)->size() == 1);
}

TEST_CASE("postgres: resolved manifests are kept byte for byte, per control machine",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string manifest = "/srv/" + TestServer::Get().Unique("manifest") + "/jlrec.yaml";
  auto store = OpenStore();
  CHECK_FALSE(store->LoadResolvedManifest(manifest)->has_value());
  CHECK(store->ResolvedManifestDigest(manifest).value() == "");
  ResolvedManifestRecord record;
  record.manifest = manifest;
  record.inputs = "inputs";
  record.inputs_digest = "d1";
  record.model = std::string("\0\x01\xff\xfe model", 11);
  record.saved_at = 1700000000;
  REQUIRE(store->SaveResolvedManifest(record).ok());
  record.inputs_digest = "d2";
  REQUIRE(store->SaveResolvedManifest(record).ok());
  auto loaded = store->LoadResolvedManifest(manifest);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->model == record.model);
  CHECK((*loaded)->inputs == "inputs");
  CHECK((*loaded)->inputs_digest == "d2");
  CHECK((*loaded)->saved_at == 1700000000);
  CHECK(store->ResolvedManifestDigest(manifest).value() == "d2");
  // The same path on another control machine is another checkout.
  PgConnection conn = TestServer::Get().Admin();
  auto elsewhere = PgLoadResolvedManifest(conn, "another-machine", manifest);
  REQUIRE(elsewhere.ok());
  CHECK_FALSE(elsewhere->has_value());
  CHECK(PgLoadResolvedManifest(conn, LocalHostname(), manifest)->has_value());
}

TEST_CASE("postgres: the first state key id claimed for a project wins, even claimed at once",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string project = TestServer::Get().Unique("key");
  std::vector<std::unique_ptr<StateStore>> stores;
  for (int i = 0; i < 4; ++i) stores.push_back(OpenStore());
  std::vector<std::string> got(stores.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < stores.size(); ++i)
    threads.emplace_back([&, i] {
      auto claimed = stores[i]->ClaimStateKeyId(project, "key" + std::to_string(i));
      got[i] = claimed.ok() ? *claimed : "error: " + claimed.status().ToString();
    });
  for (auto& t : threads) t.join();
  for (const std::string& id : got) CHECK(id == got[0]);
  CHECK(got[0].rfind("key", 0) == 0);
  CHECK(stores[0]->ClaimStateKeyId(project, "later").value() == got[0]);
  CHECK(stores[0]->ClaimStateKeyId(project + "-other", "later").value() == "later");
}

TEST_CASE("postgres: a lock held through one store is refused to another, naming the holder",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string name = "apply:" + TestServer::Get().Unique("lock");
  auto first = OpenStore();
  auto second = OpenStore();
  LockInfo mine = Holder(name, ::getpid());
  mine.since = 1700000000;
  auto taken = first->AcquireLock(mine, milliseconds(0));
  INFO(taken.status().ToString());
  REQUIRE(taken.ok());
  CHECK_FALSE(taken->has_value());

  const auto start = Clock::now();
  auto refused = second->AcquireLock(Holder(name, ::getpid()), milliseconds(300));
  CHECK(Clock::now() - start >= milliseconds(300));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK_THAT(refused.status().message(),
             Catch::Contains(mine.owner) && Catch::Contains("pid " + std::to_string(::getpid())) &&
                 Catch::Contains("2023-11-14T22:13:20Z") && Catch::Contains("waited"));
  // Not re-entrant, even for the store that holds it.
  CHECK(first->AcquireLock(Holder(name, ::getpid()), milliseconds(0)).status().code() ==
        Status::Code::kConflict);

  auto holder = second->LockHolder(name);
  REQUIRE(holder.ok());
  REQUIRE(holder->has_value());
  CHECK((*holder)->pid == ::getpid());
  CHECK((*holder)->since == 1700000000);
  CHECK((*holder)->hostname == LocalHostname());

  // The lock's own session is named in pg_stat_activity.
  PgConnection admin = TestServer::Get().Admin();
  auto sessions = admin.Query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                              PgParams().Text("jlrec lock " + name));
  REQUIRE(sessions.ok());
  CHECK(sessions->Int(0, 0) == 1);

  // Only the holder's pid releases; a release of a free lock is fine.
  CHECK(first->ReleaseLock(name, ::getpid() + 1).code() == Status::Code::kConflict);
  CHECK(second->LockHolder(name)->has_value());
  REQUIRE(first->ReleaseLock(name, ::getpid()).ok());
  CHECK_FALSE(second->LockHolder(name)->has_value());
  CHECK(first->ReleaseLock(name, ::getpid()).ok());
  // Its session is closed (the server's backend leaves a moment later).
  std::int64_t left = 1;
  for (int i = 0; i < 200 && left != 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(milliseconds(10));
    sessions = admin.Query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                           PgParams().Text("jlrec lock " + name));
    REQUIRE(sessions.ok());
    left = sessions->Int(0, 0);
  }
  CHECK(left == 0);

  auto next = second->AcquireLock(Holder(name, ::getpid()), milliseconds(0));
  REQUIRE(next.ok());
  CHECK_FALSE(next->has_value());
  // Different names are different locks.
  CHECK(first->AcquireLock(Holder(name + "-drift", ::getpid()), milliseconds(0)).ok());
  // A holder of this store is released by a forced unlock of it.
  auto forced = second->ForceUnlock(name);
  REQUIRE(forced.ok());
  REQUIRE(forced->has_value());
  CHECK((*forced)->pid == ::getpid());
  CHECK(first->AcquireLock(Holder(name, ::getpid()), milliseconds(0)).ok());
  CHECK_FALSE(second->ForceUnlock(name + "-none")->has_value());
}

TEST_CASE("postgres: a waiting acquire gets the lock as soon as its holder releases it",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string name = "apply:" + TestServer::Get().Unique("wait");
  auto holder = OpenStore();
  auto waiter = OpenStore();
  REQUIRE(holder->AcquireLock(Holder(name, ::getpid()), milliseconds(0)).ok());
  std::thread releaser([&holder, &name] {
    std::this_thread::sleep_for(milliseconds(100));
    (void)holder->ReleaseLock(name, ::getpid());
  });
  auto taken = waiter->AcquireLock(Holder(name, ::getpid()), milliseconds(30000));
  releaser.join();
  INFO(taken.status().ToString());
  CHECK(taken.ok());
}

TEST_CASE(
    "postgres: a lock whose holder's session ended is stale: not a holder, returned to the "
    "next taker",
    "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string name = "apply:" + TestServer::Get().Unique("stale");
  auto observer = OpenStore();
  {
    auto gone = OpenStore();
    REQUIRE(gone->AcquireLock(Holder(name, 4242, "ops2"), milliseconds(0)).ok());
    CHECK(observer->LockHolder(name)->has_value());
  }  // closed without a release, as by a crash: the server frees the lock, the row stays
  // The server frees it once the closed session's backend has gone, a moment later.
  bool stale = false;
  for (int i = 0; i < 200 && !stale; ++i) {
    if (i > 0) std::this_thread::sleep_for(milliseconds(10));
    auto holder = observer->LockHolder(name);
    REQUIRE(holder.ok());
    stale = !holder->has_value();
  }
  REQUIRE(stale);

  SECTION("a forced unlock removes the stale row and names it") {
    auto removed = observer->ForceUnlock(name);
    REQUIRE(removed.ok());
    REQUIRE(removed->has_value());
    CHECK((*removed)->pid == 4242);
    CHECK_FALSE(observer->ForceUnlock(name)->has_value());
  }
  SECTION("the next acquire takes it and returns the dead holder, for a warning") {
    auto taken = observer->AcquireLock(Holder(name, ::getpid()), milliseconds(0));
    REQUIRE(taken.ok());
    REQUIRE(taken->has_value());
    CHECK((*taken)->pid == 4242);
    CHECK((*taken)->hostname == "ops2");
    CHECK(observer->LockHolder(name).value()->pid == ::getpid());
  }
  SECTION("a release by the dead holder's pid only removes its row") {
    CHECK(observer->ReleaseLock(name, 4242).ok());
    CHECK_FALSE(observer->ForceUnlock(name)->has_value());
  }
}

TEST_CASE("postgres: a lock held by a live process cannot be forced, and kill -9 frees it at once",
          "[state][postgres]") {
  SKIP_WITHOUT_SERVER();
  const std::string name = "apply:" + TestServer::Get().Unique("kill");
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    auto store = OpenPostgresStateStore(TestServer::Get().url());
    if (!store.ok()) ::_exit(10);
    LockInfo info;
    info.name = name;
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
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    FAIL("the child could not take the lock");
  }

  auto store = OpenStore();
  auto refused = store->AcquireLock(Holder(name, ::getpid()), milliseconds(50));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK_THAT(refused.status().message(), Catch::Contains("pid " + std::to_string(child)));
  auto forced = store->ForceUnlock(name);
  REQUIRE_FALSE(forced.ok());
  CHECK(forced.status().code() == Status::Code::kConflict);
  CHECK_THAT(forced.status().message(), Catch::Contains("session is alive (backend pid ") &&
                                            Catch::Contains("pg_terminate_backend(") &&
                                            Catch::Contains("pid " + std::to_string(child)));
  CHECK(store->LockHolder(name)->has_value());

  REQUIRE(::kill(child, SIGKILL) == 0);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  // No wait asked, none needed beyond the moment the server takes to see the session end.
  const auto start = Clock::now();
  auto taken = store->AcquireLock(Holder(name, ::getpid()), milliseconds(0));
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  INFO(taken.status().ToString() << " after " << took << " ms");
  REQUIRE(taken.ok());
  REQUIRE(taken->has_value());
  CHECK((*taken)->pid == child);
  CHECK(took < 1000);
  CHECK(store->ReleaseLock(name, ::getpid()).ok());
}

}  // namespace
}  // namespace jlrec
