// `jlrec import-legacy`: the Python literal reader and the generated manifest, which must
// validate (round trip through the loader).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "manifest_test_support.h"
#include "manifests/legacy_import.h"
#include "manifests/python_literal.h"

using Catch::Matchers::Contains;
using jlrec::ImportLegacyContainerList;
using jlrec::LoadResult;
using jlrec::ParsePythonLiteral;
using jlrec::PyValue;
using jlrec::testing::Lines;

namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(JLREC_SOURCE_DIR) + "/tests/fixtures/manifests/" + name);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

PyValue Parse(const std::string& text) {
  size_t offset = 0;
  auto value = ParsePythonLiteral(text, &offset);
  INFO(value.status().ToString());
  REQUIRE(value.ok());
  return *value;
}

std::string ParseError(const std::string& text) {
  size_t offset = 0;
  auto value = ParsePythonLiteral(text, &offset);
  REQUIRE_FALSE(value.ok());
  return value.status().message();
}

std::string ImportError(const std::string& source) {
  auto manifest = ImportLegacyContainerList(source, "deploy.py");
  REQUIRE_FALSE(manifest.ok());
  return manifest.status().message();
}

}  // namespace

TEST_CASE("Python literals: comments, True/False/None, both quotes, trailing commas", "[legacy]") {
  PyValue v = Parse(
      "[  # a comment\n"
      "  {'a': True, \"b\": False, 'c': None, 'd': -12,},\n"
      "  ('x', \"y\",),\n"
      "  'con' \"cat\",\n"
      "]");
  REQUIRE(v.kind == PyValue::Kind::kList);
  REQUIRE(v.items.size() == 3);
  const PyValue& dict = v.items[0];
  REQUIRE(dict.kind == PyValue::Kind::kDict);
  REQUIRE(dict.entries.size() == 4);
  CHECK(dict.entries[0].first.string == "a");
  CHECK(dict.entries[0].second.boolean);
  CHECK(dict.entries[1].first.string == "b");
  CHECK_FALSE(dict.entries[1].second.boolean);
  CHECK(dict.entries[2].second.kind == PyValue::Kind::kNone);
  CHECK(dict.entries[3].second.integer == -12);
  CHECK(v.items[1].items.size() == 2);
  CHECK(v.items[2].string == "concat");
  CHECK(dict.line == 2);
  CHECK(dict.column == 3);
}

TEST_CASE("Python string escapes are decoded", "[legacy]") {
  CHECK(Parse(R"('it\'s \"q\" \\ \n\t\x41')").string == "it's \"q\" \\ \n\tA");
  CHECK(Parse(R"(r'raw\n')").string == "raw\\n");
  CHECK(Parse("'''triple\n'quoted' '''").string == "triple\n'quoted' ");
}

TEST_CASE("unparseable Python gives an error with its line and column", "[legacy]") {
  CHECK(ParseError("[\n  {'a': 1}\n  {'b': 2},\n]") == "3:3: expected ',' or ']'");
  CHECK(ParseError("[\n  'unterminated,\n]") == "2:3: string is not closed on its line");
  CHECK(ParseError("{'a': true}") == "1:7: \"true\" is not Python: write True or False");
  CHECK(ParseError("[1,\n  ...\n]") ==
        "2:3: \"...\" (an elided part?) is not a literal: complete the list");
  CHECK(ParseError("[len(x)]") ==
        "1:2: \"len\" is not a literal (only strings, numbers, lists, dicts, True, False and "
        "None are read)");
  CHECK(ParseError("[[[") == "1:3: '[' is never closed");
  CHECK(ParseError(std::string(100, '[')) == "1:66: literal nested too deeply");
}

TEST_CASE("import-legacy reports where the legacy list is broken", "[legacy]") {
  CHECK(ImportError(ReadFixture("legacy_unclosed_list.py")) ==
        "deploy.py:9:5: error: \"...\" (an elided part?) is not a literal: complete the list");
  CHECK(ImportError("x = 1\n") ==
        "deploy.py: error: no top-level \"container_list = [...]\" found");
  CHECK(ImportError("container_list = [\n  {'host': 'h', 'dockers': 'c1', 'group': ['g']},\n]") ==
        "deploy.py:2:28: error: \"dockers\" must be a list of strings, got a string");
  CHECK(ImportError("container_list = [{'host': 'h', 'dockers': ['c'], 'groups': ['g']}]") ==
        "deploy.py:1:51: error: unknown key \"groups\" (expected host, dockers, group, core)");
  CHECK(ImportError("container_list = [{'host': 'h', 'dockers': ['c']}]") ==
        "deploy.py:1:19: error: unit has no \"group\"");
  CHECK(ImportError("container_list = [{'host': 'h', 'dockers': ['c'], 'group': ['g'], "
                    "'core': 'yes'}]") == "deploy.py:1:75: error: \"core\" must be True or False");
}

TEST_CASE("import-legacy turns the seed's list into hosts, groups and units", "[legacy]") {
  auto manifest = ImportLegacyContainerList(ReadFixture("jiliang_deploy.py"), "jiliang_deploy.py");
  INFO(manifest.status().ToString());
  REQUIRE(manifest.ok());
  const std::string& yaml = *manifest;
  CHECK_THAT(yaml, Contains("project: jiliang\n"));
  CHECK_THAT(yaml, Contains("  172.16.100.51: {address: 172.16.100.51}\n"));
  CHECK_THAT(yaml, Contains("  172.16.100.142: {address: 172.16.100.142}\n"));
  CHECK_THAT(yaml, Contains("  - host: 172.16.100.52\n"
                            "    dockers: [jl_slave_52_1, jl_slave_52_2]\n"
                            "    group: [product]\n"
                            "    core: false\n"));
  // deploy_system(...) arguments become commented placeholders for the operator.
  CHECK_THAT(yaml, Contains("  product_2:\n"
                            "    # TODO: from deploy_system(...) at jiliang_deploy.py:84; "
                            "uncomment to use:\n"
                            "    # enable_monitor: true\n"
                            "    # runtime_mode: dev_new\n"));
  CHECK_THAT(yaml, Contains("  test:\n    # TODO: from deploy_system(...) at jiliang_deploy.py:89 "
                            "(commented out there); uncomment to use:\n"
                            "    # enable_monitor: false\n    # runtime_mode: test\n"));
}

TEST_CASE("the imported seed list validates as a manifest (round trip)", "[legacy]") {
  auto manifest = ImportLegacyContainerList(ReadFixture("jiliang_deploy.py"), "jiliang_deploy.py");
  REQUIRE(manifest.ok());
  // Saved at the repository root, where its default template path points.
  LoadResult r =
      jlrec::LoadManifestFromString(*manifest, std::string(JLREC_SOURCE_DIR) + "/imported.yaml");
  INFO(*manifest);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  CHECK(r.error_count() == 0);
  CHECK(r.state->project == "jiliang");
  CHECK(r.state->hosts.size() == 6);
  CHECK(r.state->groups.size() == 3);
  CHECK(jlrec::CountUnits(*r.state) == 7);
  CHECK(r.state->containers.size() == 9);
  CHECK(r.state->containers.front().Ref() == "172.16.100.51/jl_core_51_1");
  CHECK(r.state->containers.back().Ref() == "172.16.100.142/test_container_142");
  // The seed's product group has no core unit, and every runtime_mode is still to fill in.
  CHECK(r.warning_count() == 4);
}

TEST_CASE("import-legacy quotes names YAML would misread", "[legacy]") {
  auto manifest = ImportLegacyContainerList(
      "container_list = [{'host': 'yes', 'dockers': ['c: 1', '0123'], 'group': ['null']}]",
      "deploy.py");
  REQUIRE(manifest.ok());
  CHECK_THAT(*manifest, Contains("  \"yes\": {address: \"yes\"}\n"));
  CHECK_THAT(*manifest, Contains("    dockers: [\"c: 1\", \"0123\"]\n"));
  CHECK_THAT(*manifest, Contains("  \"null\":\n"));
}
