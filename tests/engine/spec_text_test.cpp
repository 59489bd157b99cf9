// The attributes a create plan lists, from the spec's one field list: every field set is
// listed under its name, fields left to the image say so, empty ones are left out, and long
// lists come an item per line.
#include <catch2/catch.hpp>

#include <algorithm>

#include "../model/spec_field_samples.h"
#include "engine/spec_text.h"

using namespace jlrec;

namespace {

const SpecAttribute* Find(const std::vector<SpecAttribute>& attributes, const std::string& name) {
  auto it = std::find_if(attributes.begin(), attributes.end(),
                         [&](const SpecAttribute& a) { return a.name == name; });
  return it == attributes.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("a spec with every field set lists every field of the field list\\, in its order",
          "[spec_text]") {
  const ContainerSpec spec = spec_samples::EveryFieldSet();
  const std::vector<SpecAttribute> attributes = DescribeSpec(spec);
  std::vector<std::string> names, listed;
  ForEachField<ContainerSpec>([&](const auto& field) { names.emplace_back(field.traits.name); });
  for (const auto& a : attributes) listed.push_back(a.name);
  CHECK(listed == names);
  for (const auto& a : attributes) {
    INFO(a.name);
    CHECK((a.value.empty() != a.items.empty()));
  }
}

TEST_CASE("a create lists defaults as the image's\\, leaves empty fields out and cuts long lists",
          "[spec_text]") {
  ContainerSpec spec;
  spec.image = "reg/app:1";
  spec.volumes = {"/srv/jiliang/data/long/path/one:/data/one:ro",
                  "/srv/jiliang/data/long/path/two:/data/two"};
  spec.ports = {"9090:90/tcp", "8080:80/tcp"};
  const std::vector<SpecAttribute> attributes = DescribeSpec(spec);
  REQUIRE(Find(attributes, "image"));
  CHECK(Find(attributes, "image")->value == "reg/app:1");
  CHECK(Find(attributes, "command")->value == "(image default)");
  CHECK(Find(attributes, "network_mode")->value == "(image default)");
  CHECK(Find(attributes, "restart")->value == "no");
  CHECK(Find(attributes, "labels") == nullptr);
  CHECK(Find(attributes, "healthcheck") == nullptr);
  // Too long for a line: an item per line, in manifest order.
  CHECK(Find(attributes, "volumes")->value.empty());
  CHECK(Find(attributes, "volumes")->items == spec.volumes);
  // Short: on one line, sorted as the field's order means nothing.
  CHECK(Find(attributes, "ports")->value == "[8080:80/tcp, 9090:90/tcp]");
}

TEST_CASE("a healthcheck is listed on one line with its timings", "[spec_text]") {
  ContainerSpec spec;
  spec.image = "reg/app:1";
  spec.healthcheck = Healthcheck{
      {"curl", "-f", "localhost"}, std::chrono::seconds(5), std::chrono::milliseconds(1500), 3};
  CHECK(Find(DescribeSpec(spec), "healthcheck")->value ==
        "[curl, -f, localhost] every 1500ms, timeout 5s, 3 retries");
}
