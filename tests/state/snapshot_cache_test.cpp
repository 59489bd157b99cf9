// The refresh cache: exact round trips, stale-but-kept rows for unreachable hosts, and
// all-or-nothing saves.
#include <catch2/catch.hpp>

#include "state/snapshot_blob.h"
#include "state/state_test_support.h"

namespace jlrec {
namespace {

using test::ReachableSnapshot;
using test::SampleContainer;

void RequireSameContainer(const LiveContainer& got, const LiveContainer& want) {
  CHECK(got.id == want.id);
  CHECK(got.name == want.name);
  CHECK(got.image_id == want.image_id);
  CHECK(got.spec.image == want.spec.image);
  CHECK(got.spec.command == want.spec.command);
  CHECK(got.spec.network_mode == want.spec.network_mode);
  CHECK(got.spec.volumes == want.spec.volumes);
  CHECK(got.spec.restart == want.spec.restart);
  CHECK(got.spec.ports == want.spec.ports);
  CHECK(got.spec.labels == want.spec.labels);
  CHECK(got.spec.healthcheck == want.spec.healthcheck);
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

HostSnapshot Unreachable(const std::string& host, std::int64_t at, const std::string& error) {
  HostSnapshot snapshot;
  snapshot.host = host;
  snapshot.reachable = false;
  snapshot.error = error;
  snapshot.observed_at = at;
  return snapshot;
}

std::vector<HostSnapshot> Load(StateStore& store, const std::vector<std::string>& hosts) {
  auto loaded = store.LoadSnapshots("demo", hosts);
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  REQUIRE(loaded->size() == hosts.size());
  return std::move(*loaded);
}

TEST_CASE("a saved snapshot loads back with every container field identical", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  // Variants cover: running/exited, health set/empty, script present/absent, empty fields.
  LiveContainer bare;
  bare.id = "b";
  bare.name = "bare";
  std::vector<LiveContainer> containers = {SampleContainer("web", 0), SampleContainer("db", 1),
                                           SampleContainer("cache", 2), bare};
  containers[1].spec.command.clear();
  containers[2].spec.labels.clear();
  containers[2].jlrec_labels.clear();
  containers[0].spec.command.push_back(std::string("nul\0inside", 10));
  REQUIRE(store->SaveSnapshots("demo", {ReachableSnapshot("h1", 1700000100, containers)}).ok());

  // A second store object (as another process would) reads the same thing back.
  auto reader = state.Open();
  std::vector<HostSnapshot> loaded = Load(*reader, {"h1"});
  const HostSnapshot& h1 = loaded[0];
  CHECK(h1.host == "h1");
  CHECK(h1.reachable);
  CHECK(h1.error.empty());
  CHECK(h1.observed_at == 1700000100);
  CHECK(h1.from_cache);
  REQUIRE(h1.containers.size() == containers.size());
  for (std::size_t i = 0; i < containers.size(); ++i) {
    INFO("container " << containers[i].name);
    RequireSameContainer(h1.containers[i], containers[i]);
  }
  CHECK_FALSE(h1.containers[2].script_digest.has_value());
  CHECK(h1.containers[0].script_digest.has_value());
}

TEST_CASE("a new refresh of a reachable host replaces all of its previous containers",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store
              ->SaveSnapshots(
                  "demo", {ReachableSnapshot(
                              "h1", 100, {SampleContainer("old", 0), SampleContainer("web", 0)})})
              .ok());
  REQUIRE(
      store->SaveSnapshot("demo", ReachableSnapshot("h1", 200, {SampleContainer("web", 3)})).ok());
  std::vector<HostSnapshot> loaded = Load(*store, {"h1"});
  REQUIRE(loaded[0].containers.size() == 1);
  RequireSameContainer(loaded[0].containers[0], SampleContainer("web", 3));
  CHECK(loaded[0].observed_at == 200);

  // A reachable host with no containers is cached as empty, which is not the same as unknown.
  REQUIRE(store->SaveSnapshot("demo", ReachableSnapshot("h1", 300, {})).ok());
  loaded = Load(*store, {"h1"});
  CHECK(loaded[0].reachable);
  CHECK(loaded[0].containers.empty());
}

TEST_CASE("an unreachable host keeps its previous containers, marked stale with the error",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store
              ->SaveSnapshots("demo", {ReachableSnapshot("h1", 100, {SampleContainer("web", 0)}),
                                       ReachableSnapshot("h2", 100, {SampleContainer("db", 1)})})
              .ok());
  REQUIRE(store
              ->SaveSnapshots("demo", {Unreachable("h1", 200, "connect to 127.0.0.2:2222: refused"),
                                       ReachableSnapshot("h2", 200, {SampleContainer("db", 2)})})
              .ok());

  std::vector<HostSnapshot> loaded = Load(*store, {"h2", "h1"});
  const HostSnapshot& h1 = loaded[1];
  CHECK(h1.host == "h1");
  CHECK_FALSE(h1.reachable);
  CHECK(h1.error == "connect to 127.0.0.2:2222: refused");
  CHECK(h1.observed_at == 100);  // the last time it was actually seen
  REQUIRE(h1.containers.size() == 1);
  RequireSameContainer(h1.containers[0], SampleContainer("web", 0));
  CHECK(loaded[0].host == "h2");
  CHECK(loaded[0].reachable);

  auto hosts = store->ListCachedHosts("demo");
  REQUIRE(hosts.ok());
  REQUIRE(hosts->size() == 2);
  CHECK(hosts->at(0).host == "h1");
  CHECK_FALSE(hosts->at(0).reachable);
  CHECK(hosts->at(0).last_refresh_at == 200);
  CHECK(hosts->at(0).last_success_at == 100);
  CHECK(hosts->at(0).container_count == 1);
  CHECK(hosts->at(0).error == "connect to 127.0.0.2:2222: refused");
  CHECK(hosts->at(1).reachable);

  // Once reachable again, the stale rows are replaced and the error cleared.
  REQUIRE(store->SaveSnapshot("demo", ReachableSnapshot("h1", 300, {})).ok());
  loaded = Load(*store, {"h1"});
  CHECK(loaded[0].reachable);
  CHECK(loaded[0].error.empty());
  CHECK(loaded[0].containers.empty());
}

TEST_CASE("a host that was never refreshed loads as unreachable, 'never refreshed'",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->SaveSnapshot("demo", Unreachable("h9", 50, "auth refused")).ok());
  std::vector<HostSnapshot> loaded = Load(*store, {"h1", "h9"});
  CHECK_FALSE(loaded[0].reachable);
  CHECK(loaded[0].error == "never refreshed");
  CHECK(loaded[0].observed_at == 0);
  CHECK(loaded[0].from_cache);
  CHECK(loaded[0].containers.empty());
  // Failing on the first attempt records the error but no successful observation.
  CHECK_FALSE(loaded[1].reachable);
  CHECK(loaded[1].error == "auth refused");
  CHECK(loaded[1].observed_at == 0);
}

TEST_CASE("a save that fails part-way leaves the previous state of every host intact",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store
              ->SaveSnapshots("demo", {ReachableSnapshot("h1", 100, {SampleContainer("web", 0)}),
                                       ReachableSnapshot("h2", 100, {SampleContainer("db", 0)})})
              .ok());

  // h1 would be rewritten first; h2 then violates the one-name-per-host constraint.
  Status failed = store->SaveSnapshots(
      "demo",
      {ReachableSnapshot("h1", 200, {SampleContainer("web", 5)}), Unreachable("h3", 200, "timeout"),
       ReachableSnapshot("h2", 200, {SampleContainer("db", 5), SampleContainer("db", 6)})});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(failed.message(), Catch::Contains("host h2"));

  std::vector<HostSnapshot> loaded = Load(*store, {"h1", "h2", "h3"});
  CHECK(loaded[0].observed_at == 100);
  REQUIRE(loaded[0].containers.size() == 1);
  RequireSameContainer(loaded[0].containers[0], SampleContainer("web", 0));
  REQUIRE(loaded[1].containers.size() == 1);
  RequireSameContainer(loaded[1].containers[0], SampleContainer("db", 0));
  CHECK(loaded[2].error == "never refreshed");

  // The store is still usable after the rollback.
  CHECK(store->SaveSnapshot("demo", ReachableSnapshot("h1", 300, {})).ok());
}

TEST_CASE("one refresh naming a host twice is refused before anything is written",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  Status s = store->SaveSnapshots("demo",
                                  {ReachableSnapshot("h1", 1, {}), ReachableSnapshot("h1", 1, {})});
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(store->ListCachedHosts("demo")->empty());
}

TEST_CASE("projects sharing a state do not see each other's hosts", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->SaveSnapshot("demo", ReachableSnapshot("h1", 1, {SampleContainer("web")})).ok());
  REQUIRE(store->SaveSnapshot("other", ReachableSnapshot("h1", 2, {})).ok());
  std::vector<HostSnapshot> loaded = Load(*store, {"h1"});
  CHECK(loaded[0].containers.size() == 1);
  CHECK(loaded[0].observed_at == 1);
}

}  // namespace
}  // namespace jlrec

namespace jlrec {
namespace {

TEST_CASE("a host without a readable encoded snapshot loads from its rows, identically",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  std::vector<LiveContainer> containers = {test::SampleContainer("web", 0),
                                           test::SampleContainer("db", 1)};
  containers[1].script_digest.reset();
  {
    auto store = state.Open();
    REQUIRE(store->SaveSnapshots("demo", {test::ReachableSnapshot("h1", 100, containers)}).ok());
  }
  std::string damage;
  SECTION("written by a jlrec before schema version 4") { damage = "NULL"; }
  SECTION("corrupt") { damage = state.BlobLiteral("4a4c5253"); }
  SECTION("of another format") { damage = state.BlobLiteral("4a4c52530900000000000000"); }
  REQUIRE(state.ExecSql("UPDATE hosts SET snapshot = " + damage).ok());
  auto store = state.Open();
  auto loaded = store->LoadSnapshots("demo", {"h1"});
  REQUIRE(loaded.ok());
  REQUIRE((*loaded)[0].containers.size() == containers.size());
  for (std::size_t i = 0; i < containers.size(); ++i)
    RequireSameContainer((*loaded)[0].containers[i], containers[i]);
}

TEST_CASE("restart count, exit code and healthcheck load back from the encoded value and the rows",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  LiveContainer looping = test::SampleContainer("looping", 0);
  looping.state = "restarting";
  looping.restart_count = 2147483647;
  looping.exit_code = -1;
  Healthcheck& edge = looping.spec.healthcheck.emplace();
  edge.command = {};
  edge.timeout = std::chrono::milliseconds(0);
  edge.interval = std::chrono::milliseconds(9007199254740993);  // not exact as a double
  edge.retries = -2147483647 - 1;
  LiveContainer exited = test::SampleContainer("exited", 1);
  exited.exit_code = 137;
  REQUIRE_FALSE(exited.spec.healthcheck.has_value());
  const std::vector<LiveContainer> containers = {looping, exited, test::SampleContainer("web", 2)};
  {
    auto store = state.Open();
    REQUIRE(store->SaveSnapshots("demo", {test::ReachableSnapshot("h1", 100, containers)}).ok());
  }
  std::string change;
  SECTION("from the encoded value") {
    // Rows that disagree prove that the value is what was read.
    change = "UPDATE containers SET restart_count = 5, exit_code = 5, spec = 'not json'";
  }
  SECTION("from the rows") { change = "UPDATE hosts SET snapshot = NULL"; }
  REQUIRE(state.ExecSql(change).ok());
  auto store = state.Open();
  auto loaded = store->LoadSnapshots("demo", {"h1"});
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  REQUIRE((*loaded)[0].containers.size() == containers.size());
  for (std::size_t i = 0; i < containers.size(); ++i) {
    INFO("container " << containers[i].name);
    RequireSameContainer((*loaded)[0].containers[i], containers[i]);
  }
}

TEST_CASE("an unreachable refresh keeps the host's encoded snapshot with its rows",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store
              ->SaveSnapshots("demo",
                              {test::ReachableSnapshot("h1", 100, {test::SampleContainer("web")})})
              .ok());
  REQUIRE(store->SaveSnapshots("demo", {Unreachable("h1", 200, "connection refused")}).ok());
  auto loaded = store->LoadSnapshots("demo", {"h1"});
  REQUIRE(loaded.ok());
  CHECK_FALSE((*loaded)[0].reachable);
  REQUIRE((*loaded)[0].containers.size() == 1);
  RequireSameContainer((*loaded)[0].containers[0], test::SampleContainer("web"));
}

}  // namespace
}  // namespace jlrec

namespace jlrec {
namespace {

TEST_CASE("the encoded snapshot never holds the env values or the content of a /run.sh",
          "[state]") {
  LiveContainer c = test::SampleContainer("web");
  c.script_env["DB_PASSWORD"] = "kept-in-memory-only";
  c.script_content = "export DB_PASSWORD='script-kept-in-memory-only'\n";
  std::string bytes = EncodeHostContainers({c});
  CHECK(bytes.find("kept-in-memory-only") == std::string::npos);
  auto back = DecodeHostContainers(bytes);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 1);
  CHECK((*back)[0].script_env.empty());
  CHECK_FALSE((*back)[0].script_content);
  RequireSameContainer((*back)[0], test::SampleContainer("web"));
  for (size_t cut = 0; cut < bytes.size(); cut += 5)
    CHECK_FALSE(DecodeHostContainers(std::string_view(bytes).substr(0, cut)).ok());
}

}  // namespace
}  // namespace jlrec

namespace jlrec {
namespace {

TEST_CASE("a saved snapshot leaves no /run.sh content or env value in what the state keeps",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  {
    auto store = state.Open();
    LiveContainer c = test::SampleContainer("web");
    c.script_env["DB_PASSWORD"] = "env-kept-in-memory-only";
    c.script_content = "export DB_PASSWORD='script-kept-in-memory-only'\n";
    REQUIRE(store->SaveSnapshots("demo", {test::ReachableSnapshot("h1", 100, {c})}).ok());
  }
  const std::string bytes = state.EverythingStored();
  REQUIRE_THAT(bytes, Catch::Contains("h1"));
  CHECK(bytes.find("kept-in-memory-only") == std::string::npos);
  CHECK(bytes.find(test::Hex("kept-in-memory-only")) == std::string::npos);
}

}  // namespace
}  // namespace jlrec
