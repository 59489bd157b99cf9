// Adopted containers: one record per container of a project, replaced by a newer adoption,
// forgotten when cleared, listed in host and container order.
#include <catch2/catch.hpp>

#include "state/state_test_support.h"

namespace jlrec {
namespace {

Adoption AdoptionOf(const std::string& host, const std::string& container) {
  Adoption a;
  a.host = host;
  a.container = container;
  a.container_id = "c0ffee" + host + container;
  a.spec_digest = "5bec" + container;
  a.groups = {"product", "product_2"};
  a.core = true;
  a.run_id = 7;
  a.adopted_at = 1700000600;
  return a;
}

std::vector<Adoption> ListOrFail(StateStore& store, const std::string& project) {
  auto listed = store.ListAdoptions(project);
  INFO(listed.status().ToString());
  REQUIRE(listed.ok());
  return std::move(*listed);
}

TEST_CASE("an adoption lists back with every field identical, per project, in host order",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->SaveAdoption("jl", AdoptionOf("h2", "b")).ok());
  REQUIRE(store->SaveAdoption("jl", AdoptionOf("h1", "z")).ok());
  REQUIRE(store->SaveAdoption("other", AdoptionOf("h1", "a")).ok());
  auto listed = ListOrFail(*store, "jl");
  REQUIRE(listed.size() == 2);
  CHECK(listed[0] == AdoptionOf("h1", "z"));
  CHECK(listed[1] == AdoptionOf("h2", "b"));
  CHECK(ListOrFail(*store, "other").size() == 1);
}

TEST_CASE("a new adoption of the same container replaces the earlier one, clearing forgets it",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  Adoption first = AdoptionOf("h1", "web");
  Adoption again = first;
  again.container_id = "another";
  REQUIRE(store->SaveAdoption("jl", first).ok());
  REQUIRE(store->SaveAdoption("jl", again).ok());
  auto listed = ListOrFail(*store, "jl");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].container_id == "another");
  REQUIRE(store->ClearAdoption("jl", "h1", "web").ok());
  CHECK(ListOrFail(*store, "jl").empty());
  CHECK(store->ClearAdoption("jl", "h1", "web").ok());  // none: fine
}

}  // namespace
}  // namespace jlrec
