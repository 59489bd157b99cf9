// The release record of a run: what each container runs once the run is over, in recorded
// order, replaced as a whole, gone with its run.
#include <catch2/catch.hpp>

#include "state/state_test_support.h"

namespace jlrec {
namespace {

ReleasedContainer Released(const std::string& host, const std::string& container,
                           const std::string& outcome = "succeeded") {
  ReleasedContainer c;
  c.host = host;
  c.container = container;
  c.groups = {"product", "test \"quoted\""};
  c.core = container == "core";
  c.action = outcome == "unchanged" ? "noop" : "replace";
  c.outcome = outcome;
  c.image = "127.0.0.1:5000/jlrec-lab/base:" + container;
  c.image_digest = "sha256:d1" + container;
  c.image_id = "sha256:1d" + container;
  c.container_id = "0123456789ab" + host + container;
  c.script_digest = "5c" + container;
  return c;
}

std::int64_t BeginApply(StateStore& store) {
  RunRecord run;
  run.kind = "apply";
  run.project = "demo";
  Result<std::int64_t> id = store.BeginRun(run);
  INFO(id.status().ToString());
  REQUIRE(id.ok());
  return *id;
}

std::vector<ReleasedContainer> ListOrFail(StateStore& store, std::int64_t run_id) {
  auto listed = store.ListRelease(run_id);
  INFO(listed.status().ToString());
  REQUIRE(listed.ok());
  return std::move(*listed);
}

TEST_CASE("a release record reads back in recorded order with every field identical",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  const std::int64_t run = BeginApply(*store);
  ReleasedContainer gone = Released("h2", "old", "succeeded");
  gone.action = "remove";
  gone.groups.clear();
  gone.image_id.clear();
  gone.container_id.clear();
  gone.script_digest.clear();
  // Not sorted, so the order read back can only be the recorded one.
  const std::vector<ReleasedContainer> record = {Released("h2", "worker"),
                                                 Released("h1", "core", "rolled back"),
                                                 Released("h1", "cache", "unchanged"), gone};
  REQUIRE(store->RecordRelease(run, record).ok());

  // A second store object (as another process would) reads the same thing back.
  auto reader = state.Open();
  CHECK(ListOrFail(*reader, run) == record);
}

TEST_CASE("a run with no recorded release has an empty release record", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  const std::int64_t run = BeginApply(*store);
  const std::int64_t other = BeginApply(*store);
  REQUIRE(store->RecordRelease(other, {Released("h1", "web")}).ok());
  CHECK(ListOrFail(*store, run).empty());
  CHECK(ListOrFail(*store, 77).empty());
}

TEST_CASE("recording a run's release again replaces its earlier record only", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  const std::int64_t run = BeginApply(*store);
  const std::int64_t other = BeginApply(*store);
  REQUIRE(store->RecordRelease(run, {Released("h1", "a"), Released("h1", "b")}).ok());
  REQUIRE(store->RecordRelease(other, {Released("h9", "z")}).ok());

  const std::vector<ReleasedContainer> again = {Released("h1", "b", "failed")};
  REQUIRE(store->RecordRelease(run, again).ok());
  CHECK(ListOrFail(*store, run) == again);

  REQUIRE(store->RecordRelease(run, {}).ok());
  CHECK(ListOrFail(*store, run).empty());
  CHECK(ListOrFail(*store, other) == std::vector<ReleasedContainer>{Released("h9", "z")});
}

TEST_CASE("recording the release of a run the journal does not hold is not found",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  std::vector<ReleasedContainer> record;
  SECTION("with containers") { record = {Released("h1", "web")}; }
  SECTION("empty") {}
  Status s = store->RecordRelease(77, record);
  CHECK(s.code() == Status::Code::kNotFound);
  CHECK_THAT(s.message(), Catch::Contains("run 77"));
  CHECK(ListOrFail(*store, 77).empty());
}

TEST_CASE("a release record is deleted together with its run", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  const std::int64_t run = BeginApply(*store);
  const std::int64_t kept = BeginApply(*store);
  REQUIRE(store->RecordRelease(run, {Released("h1", "a"), Released("h2", "b")}).ok());
  REQUIRE(store->RecordRelease(kept, {Released("h1", "a")}).ok());
  // SQLite enforces foreign keys per connection: this one must ask for them, as jlrec's do.
  const std::string pragma =
      state.backend() == test::StateBackend::kSqlite ? "PRAGMA foreign_keys = ON; " : "";
  REQUIRE(state.ExecSql(pragma + "DELETE FROM runs WHERE id = " + std::to_string(run)).ok());
  auto left = state.QueryText("SELECT COUNT(*) FROM release_containers WHERE run_id = " +
                              std::to_string(run));
  REQUIRE(left.ok());
  CHECK(*left == "0");
  CHECK(ListOrFail(*store, run).empty());
  CHECK(ListOrFail(*store, kept).size() == 1);
}

TEST_CASE("a release record with a malformed groups list is an error naming the column",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  const std::int64_t run = BeginApply(*store);
  REQUIRE(store->RecordRelease(run, {Released("h1", "web")}).ok());
  REQUIRE(state.ExecSql("UPDATE release_containers SET groups = '[\"product\"'").ok());
  auto listed = store->ListRelease(run);
  REQUIRE_FALSE(listed.ok());
  CHECK(listed.status().code() == Status::Code::kIoError);
  CHECK_THAT(listed.status().message(),
             Catch::Contains("release_containers.groups") && Catch::Contains("h1/web"));
}

}  // namespace
}  // namespace jlrec
