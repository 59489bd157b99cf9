// Failed actions not yet redone: one per container of a project, replaced by a newer
// failure, forgotten when cleared, listed in host and container order.
#include <catch2/catch.hpp>

#include "state/state_test_support.h"

namespace jlrec {
namespace {

ActionFailure Failure(const std::string& host, const std::string& container,
                      const std::string& reason = "health check timed out after 3s") {
  ActionFailure f;
  f.host = host;
  f.container = container;
  f.action = "replace";
  f.container_id = "0123456789ab" + host + container;
  f.spec_digest = "5bec" + container;
  f.script_digest = "5c" + container;
  f.reason = reason;
  f.rolled_back = true;
  f.run_id = 12;
  f.failed_at = 1700000500;
  return f;
}

std::vector<ActionFailure> ListOrFail(StateStore& store, const std::string& project) {
  auto listed = store.ListFailures(project);
  INFO(listed.status().ToString());
  REQUIRE(listed.ok());
  return std::move(*listed);
}

TEST_CASE("a saved failure lists back with every field identical", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  ActionFailure kept = Failure("h1", "web", "exit 1: \"quoted\"\nsecond line ✓");
  ActionFailure bare;  // what a failure knows at the least
  bare.host = "h2";
  bare.container = "db";
  bare.action = "create";
  REQUIRE(store->SaveFailure("demo", kept).ok());
  REQUIRE(store->SaveFailure("demo", bare).ok());

  // A second store object (as another process would) reads the same thing back.
  auto reader = state.Open();
  CHECK(ListOrFail(*reader, "demo") == std::vector<ActionFailure>{kept, bare});
}

TEST_CASE("a new failure of the same container replaces the earlier one", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->SaveFailure("demo", Failure("h1", "web")).ok());
  REQUIRE(store->SaveFailure("demo", Failure("h1", "db")).ok());
  ActionFailure later = Failure("h1", "web", "start: port is already allocated");
  later.action = "start";
  later.rolled_back = false;
  later.run_id = 13;
  later.failed_at = 1700000900;
  REQUIRE(store->SaveFailure("demo", later).ok());
  CHECK(ListOrFail(*store, "demo") == std::vector<ActionFailure>{Failure("h1", "db"), later});
}

TEST_CASE("clearing a failure forgets only it, and clearing none is fine", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->SaveFailure("demo", Failure("h1", "web")).ok());
  REQUIRE(store->SaveFailure("demo", Failure("h2", "web")).ok());
  REQUIRE(store->SaveFailure("other", Failure("h1", "web")).ok());

  REQUIRE(store->ClearFailure("demo", "h1", "web").ok());
  CHECK(ListOrFail(*store, "demo") == std::vector<ActionFailure>{Failure("h2", "web")});
  CHECK(ListOrFail(*store, "other") == std::vector<ActionFailure>{Failure("h1", "web")});

  CHECK(store->ClearFailure("demo", "h1", "web").ok());
  CHECK(store->ClearFailure("nobody", "h9", "x").ok());
  CHECK(ListOrFail(*store, "demo").size() == 1);
}

TEST_CASE("failures are listed by host then container, each project its own", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  for (const auto& [host, container] : std::vector<std::pair<std::string, std::string>>{
           {"h2", "a"}, {"h10", "b"}, {"h1", "z"}, {"h1", "B"}, {"h1", "a"}})
    REQUIRE(store->SaveFailure("demo", Failure(host, container)).ok());
  REQUIRE(store->SaveFailure("other", Failure("h0", "first")).ok());

  std::vector<std::string> refs;
  for (const ActionFailure& f : ListOrFail(*store, "demo")) refs.push_back(f.Ref());
  // Bytewise, as std::string orders: "B" before "a", "h10" before "h2".
  CHECK(refs == std::vector<std::string>{"h1/B", "h1/a", "h1/z", "h10/b", "h2/a"});
  CHECK(ListOrFail(*store, "other") == std::vector<ActionFailure>{Failure("h0", "first")});
  CHECK(ListOrFail(*store, "nobody").empty());
}

}  // namespace
}  // namespace jlrec
