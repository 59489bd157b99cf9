// The manifest's `state:` key: read alone before the load (manifests/state_setting.h), and
// checked by the load itself (manifests/manifest_parser.cpp).
#include "manifests/state_setting.h"

#include <catch2/catch.hpp>

#include "manifest_test_support.h"

namespace jlrec::testing {
namespace {

const std::string kRest =
    "hosts:\n  h1: {address: 127.0.0.2}\n"
    "groups:\n  g: {runtime_mode: test}\n"
    "defaults:\n  image: busybox:1\n  template: t.tmpl\n"
    "units:\n  - {host: h1, dockers: [c1], group: [g], core: true}\n";

TEST_CASE("the manifest's state: is read alone\\, at its position\\, without the rest",
          "[manifest][state]") {
  auto read = ReadManifestStateSettingFromString(
      "# fleet\nproject: p\nstate: \"postgresql://jlrec@db1/fleet\"  # shared\nunits: [\n",
      "/m.yaml");
  CHECK(read.errors.empty());
  REQUIRE(read.value);
  CHECK(read.value->value == "postgresql://jlrec@db1/fleet");
  CHECK(read.value->where.line == 3);
  CHECK(read.value->where.column == 8);

  auto folded = ReadManifestStateSettingFromString("project: p\nstate:\n  /var/lib/j.db\n", "/m");
  REQUIRE(folded.value);
  CHECK(folded.value->value == "/var/lib/j.db");
  CHECK(folded.value->where.line == 3);

  // A `state:` inside a block scalar or a nested mapping is no top-level key.
  auto nested = ReadManifestStateSettingFromString(
      "project: p\ndefaults:\n  state: x\nnote: |\n  state: y\n", "/m.yaml");
  CHECK(nested.errors.empty());
  CHECK_FALSE(nested.value);
}

TEST_CASE("the load accepts state: in the top file and refuses it in an included file",
          "[manifest][state]") {
  ManifestFixture f;
  auto ok = f.Load("version: 1\nproject: p\nstate: /var/lib/jlrec/state.db\n" + kRest);
  CHECK(Lines(ok).empty());
  CHECK(ok.ok());

  f.dir.Write("more.yaml", "state: other.db\n");
  auto included = f.Load("version: 1\nproject: p\ninclude: [more.yaml]\n" + kRest);
  CHECK(Lines(included) ==
        std::vector<std::string>{f.At(1, 1, "more.yaml") +
                                 ": error: \"state\" is only allowed in the top manifest file (or "
                                 "a file of a manifest folder)"});

  auto mapping = f.Load("version: 1\nproject: p\nstate: {url: x}\n" + kRest);
  CHECK(Lines(mapping) ==
        std::vector<std::string>{f.At(3, 8) +
                                 ": error: \"state\" must be a string (an SQLite file or a "
                                 "postgresql:// URL), got a mapping"});

  auto secret = f.Load("version: 1\nproject: p\nstate: postgres://u:hunter22@db/x\n" + kRest);
  REQUIRE(Lines(secret).size() == 1);
  CHECK_THAT(Lines(secret)[0], Catch::StartsWith(f.At(3, 8) + ": error: the state URL holds a "
                                                              "password") &&
                                   !Catch::Contains("hunter22"));
}

}  // namespace
}  // namespace jlrec::testing
