// SelectContainers' errors as the operator reads them (plan, apply, drift, ps and the API):
// a misspelt group or target comes back with the nearest name, and one too far from every
// name comes back with the names to choose from, never with a guess.
#include <catch2/catch.hpp>

#include "engine/diff.h"

namespace jlrec {
namespace {

DesiredContainer Want(const std::string& host, const std::string& name,
                      std::vector<std::string> groups) {
  DesiredContainer c;
  c.host = host;
  c.name = name;
  c.groups = std::move(groups);
  return c;
}

// lab1/x_core and lab2/x_w1 in product, lab3/x_t1 in test, and an "x_w1" on two hosts of
// group dup.
DesiredState Fleet() {
  DesiredState d;
  d.project = "x";
  d.containers = {Want("lab1", "x_core", {"product"}), Want("lab2", "x_w1", {"product"}),
                  Want("lab3", "x_t1", {"test"}), Want("lab4", "same", {"dup"}),
                  Want("lab5", "same", {"dup"})};
  for (const auto& c : d.containers) {
    d.hosts[c.host].key = c.host;
    for (const auto& g : c.groups) d.groups[g].name = g;
  }
  return d;
}

std::string ErrorOf(const std::vector<std::string>& groups,
                    const std::vector<std::string>& targets) {
  const DesiredState d = Fleet();
  auto selected = SelectContainers(d, groups, targets);
  REQUIRE_FALSE(selected.ok());
  CHECK(selected.status().code() == Status::Code::kInvalidArgument);
  return selected.status().message();
}

}  // namespace

TEST_CASE("a misspelt group is answered with the nearest group", "[diff][suggestion]") {
  CHECK(ErrorOf({"prodcut"}, {}) == "unknown group 'prodcut': did you mean 'product'?");
  CHECK(ErrorOf({"product", "tset"}, {}) == "unknown group 'tset': did you mean 'test'?");
}

TEST_CASE("a group far from every group is answered with the list of groups",
          "[diff][suggestion]") {
  CHECK(ErrorOf({"staging"}, {}) == "unknown group 'staging' (groups: dup, product, test)");
}

TEST_CASE("a misspelt target is answered with the nearest container of the selection",
          "[diff][suggestion]") {
  CHECK(ErrorOf({"product"}, {"lab2/x_w2"}) ==
        "target 'lab2/x_w2' is not a container of the selected groups: did you mean "
        "'lab2/x_w1'?");
  CHECK(ErrorOf({"product"}, {"lab1/x_core", "lb2/x_w1"}) ==
        "target 'lb2/x_w1' is not a container of the selected groups: did you mean "
        "'lab2/x_w1'?");
}

TEST_CASE("a target given without its host is answered with HOST/CONTAINER", "[diff][suggestion]") {
  CHECK(ErrorOf({"product"}, {"x_w1"}) ==
        "target 'x_w1' is not a container of the selected groups: did you mean 'lab2/x_w1'?");
  CHECK(ErrorOf({"dup"}, {"same"}) ==
        "target 'same' is not a container of the selected groups (containers of that name: "
        "lab4/same, lab5/same; name one as HOST/CONTAINER)");
}

TEST_CASE("a target of another group says which group holds it", "[diff][suggestion]") {
  CHECK(ErrorOf({"product"}, {"lab3/x_t1"}) ==
        "target 'lab3/x_t1' is not a container of the selected groups (it is in test; name "
        "that group, or --all)");
}

TEST_CASE("a target far from every container gets no guess", "[diff][suggestion]") {
  CHECK(ErrorOf({"product"}, {"elsewhere/nothing"}) ==
        "target 'elsewhere/nothing' is not a container of the selected groups (use "
        "HOST/CONTAINER with the manifest's host key)");
}

}  // namespace jlrec
