// `jlrec import-legacy`: the Python literal reader, and the manifest made from a legacy
// script, which must be real YAML that the loader accepts (round trip through the loader).
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "manifest_test_support.h"
#include "manifests/legacy_import.h"
#include "manifests/legacy_run_template.h"
#include "manifests/python_literal.h"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using jlrec::ImportLegacyScript;
using jlrec::LegacyImport;
using jlrec::LegacyImportOptions;
using jlrec::LoadResult;
using jlrec::ParsePythonLiteral;
using jlrec::PyValue;
using jlrec::testing::Lines;
using jlrec::testing::ScratchDir;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ReadFixture(const std::string& name) {
  return ReadFile(std::string(JLREC_SOURCE_DIR) + "/tests/fixtures/manifests/" + name);
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

LegacyImport Import(const std::string& source, const LegacyImportOptions& options = {}) {
  auto imported = ImportLegacyScript(source, "deploy.py", options);
  INFO(imported.status().ToString());
  REQUIRE(imported.ok());
  return *imported;
}

std::string ImportError(const std::string& source) {
  auto imported = ImportLegacyScript(source, "deploy.py");
  REQUIRE_FALSE(imported.ok());
  return imported.status().message();
}

// A legacy script whose container_list (lines 1-4) has a unit in "product" and one in
// "test", followed by `rest` (from line 5 on).
std::string Script(const std::string& rest) {
  return "container_list = [\n"
         "    {'host': 'h1', 'dockers': ['c1'], 'group': ['product'], 'core': True},\n"
         "    {'host': 'h2', 'dockers': ['c2'], 'group': ['test'], 'core': True},\n"
         "]\n" +
         rest;
}

// Loads `manifest` with the real loader from a fresh folder, the legacy template beside it
// where the manifest names it (as `import-legacy -o` leaves them).
LoadResult LoadBesideTemplate(const ScratchDir& dir, const std::string& manifest) {
  dir.Write(jlrec::kLegacyRunTemplatePath, jlrec::LegacyRunTemplate());
  return jlrec::LoadManifest(dir.Write("jlrec.yaml", manifest));
}

// The group settings the loader reads from an imported `manifest`.
std::map<std::string, std::pair<bool, std::string>> LoadedGroups(const std::string& manifest) {
  ScratchDir dir;
  LoadResult r = LoadBesideTemplate(dir, manifest);
  INFO(manifest);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  std::map<std::string, std::pair<bool, std::string>> groups;
  for (const auto& [name, g] : r.state->groups) groups[name] = {g.enable_monitor, g.runtime_mode};
  return groups;
}

using Settings = std::pair<bool, std::string>;

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
  auto imported = ImportLegacyScript(ReadFixture("jiliang_deploy.py"), "jiliang_deploy.py");
  INFO(imported.status().ToString());
  REQUIRE(imported.ok());
  const std::string& yaml = imported->manifest;
  CHECK_THAT(yaml, Contains("project: jiliang\n"));
  CHECK_THAT(yaml, Contains("  172.16.100.51: {address: 172.16.100.51}\n"));
  CHECK_THAT(yaml, Contains("  172.16.100.142: {address: 172.16.100.142}\n"));
  CHECK_THAT(yaml, Contains("  - host: 172.16.100.52\n"
                            "    dockers: [jl_slave_52_1, jl_slave_52_2]\n"
                            "    group: [product]\n"
                            "    core: false\n"));
  // The active deploy_system(...) calls are real YAML, not placeholders.
  CHECK_THAT(yaml, Contains("  product_2:\n"
                            "    # deploy_system(...) at jiliang_deploy.py:84\n"
                            "    enable_monitor: true\n"
                            "    runtime_mode: dev_new\n"
                            "    # commented out at jiliang_deploy.py:85: "
                            "create_group_containers(group=\"product_2\")\n"));
  // "test" has only commented-out calls: the defaults of the file's def, said so.
  CHECK_THAT(yaml, Contains("  test:\n"
                            "    # no active deploy_system(...) call for this group: the legacy "
                            "defaults\n"
                            "    # (def deploy_system(...) at jiliang_deploy.py:64)\n"
                            "    enable_monitor: false\n"
                            "    runtime_mode: test\n"));
  // product_3 is only in a comment: not declared, its calls kept at the end of groups:.
  CHECK_THAT(yaml, Contains("  # commented out at jiliang_deploy.py:87: deploy_system(group="
                            "\"product_3\", enable_monitor=True, runtime_mode=\"dev_new\")\n"
                            "  # commented out at jiliang_deploy.py:88: "
                            "create_group_containers(group=\"product_3\")\n"
                            "units:\n"));
}

TEST_CASE("import-legacy output is deterministic and matches the reviewed manifests", "[legacy]") {
  for (const char* name : {"jiliang_deploy", "legacy_seed_multiline"}) {
    INFO(name);
    const std::string script = ReadFixture(std::string(name) + ".py");
    auto first = ImportLegacyScript(script, std::string(name) + ".py");
    auto second = ImportLegacyScript(script, std::string(name) + ".py");
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(first->manifest == second->manifest);
    CHECK(first->review == second->review);
    CHECK(first->manifest == ReadFixture(std::string(name) + ".expected.yaml"));
  }
}

TEST_CASE("the imported seed script loads with the real loader, its calls as group settings",
          "[legacy]") {
  auto imported = ImportLegacyScript(ReadFixture("jiliang_deploy.py"), "jiliang_deploy.py");
  REQUIRE(imported.ok());
  ScratchDir dir;
  LoadResult r = LoadBesideTemplate(dir, imported->manifest);
  INFO(imported->manifest);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  CHECK(r.error_count() == 0);
  CHECK(r.state->project == "jiliang");
  CHECK(r.state->hosts.size() == 6);
  CHECK(jlrec::CountUnits(*r.state) == 7);
  CHECK(r.state->containers.size() == 9);
  CHECK(r.state->containers.front().Ref() == "172.16.100.51/jl_core_51_1");
  CHECK(r.state->containers.back().Ref() == "172.16.100.142/test_container_142");
  CHECK(r.state->containers.front().spec.image == "jiliang/system:2.3");
  REQUIRE(r.state->groups.size() == 3);
  CHECK(r.state->groups.at("product").enable_monitor);
  CHECK(r.state->groups.at("product").runtime_mode == "dev_new");
  CHECK(r.state->groups.at("product_2").runtime_mode == "dev_new");
  CHECK_FALSE(r.state->groups.at("test").enable_monitor);
  CHECK(r.state->groups.at("test").runtime_mode == "test");
  // Only the seed's own gap is left: its product group has no core unit.
  REQUIRE(r.warning_count() == 1);
  CHECK_THAT(r.diagnostics.front().ToString(), Contains("group \"product\" has no core unit"));
}

TEST_CASE("deploy_system calls spread over several lines, as the seed writes them, are read",
          "[legacy]") {
  auto imported =
      ImportLegacyScript(ReadFixture("legacy_seed_multiline.py"), "legacy_seed_multiline.py");
  INFO(imported.status().ToString());
  REQUIRE(imported.ok());
  CHECK(LoadedGroups(imported->manifest) ==
        std::map<std::string, Settings>{{"product", {true, "dev_new"}},
                                        {"product_2", {true, "dev_new"}},
                                        {"test", {false, "test"}}});
  // The commented-out multi-line call stays a comment, line by line, as written.
  CHECK_THAT(imported->manifest, Contains("  # commented out at legacy_seed_multiline.py:72-74:\n"
                                          "  #   deploy_system(group=\"product_3\",\n"
                                          "  #       enable_monitor=True,\n"
                                          "  #       runtime_mode=\"dev_new\")\n"));
}

TEST_CASE("deploy_system arguments may be positional, keyword, quoted either way, commented",
          "[legacy]") {
  auto imported =
      Import(Script("if __name__ == '__main__':\n"
                    "    deploy_system('product', True, 'dev_' \"new\")\n"
                    "    deploy_system(\n"
                    "        'test',  # the test group\n"
                    "        runtime_mode='qa',\n"
                    "    )\n"));
  CHECK(LoadedGroups(imported.manifest) ==
        std::map<std::string, Settings>{{"product", {true, "dev_new"}}, {"test", {false, "qa"}}});
}

TEST_CASE("a call at module level counts, so does one with no arguments (the defaults)",
          "[legacy]") {
  auto imported =
      Import(Script("deploy_system(group=\"product\", runtime_mode=\"dev\")\n"
                    "deploy_system()\n"));
  CHECK(LoadedGroups(imported.manifest) ==
        std::map<std::string, Settings>{{"product", {false, "dev"}}, {"test", {false, "test"}}});
  CHECK_THAT(imported.manifest, Contains("  test:\n    # deploy_system(...) at deploy.py:6\n"));
}

TEST_CASE("the defaults come from the file's def deploy_system(...), else from the seed",
          "[legacy]") {
  const std::string def =
      "def deploy_system(group='test', enable_monitor=True,\n"
      "                  runtime_mode='staging'):  # a comment\n"
      "    pass\n";
  auto with_def = Import(Script(def + "deploy_system(group='product')\n"));
  CHECK(
      LoadedGroups(with_def.manifest) ==
      std::map<std::string, Settings>{{"product", {true, "staging"}}, {"test", {true, "staging"}}});
  CHECK_THAT(with_def.manifest, Contains("    # (def deploy_system(...) at deploy.py:5)\n"));

  auto without_def = Import(Script(""));
  CHECK(LoadedGroups(without_def.manifest) ==
        std::map<std::string, Settings>{{"product", {false, "test"}}, {"test", {false, "test"}}});
  CHECK_THAT(without_def.manifest,
             Contains("    # (deploy_system(group=\"test\", enable_monitor=False, "
                      "runtime_mode=\"test\"))\n"));
  CHECK(without_def.review[2] ==
        "groups with no active deploy_system(...) call, given the legacy defaults "
        "(enable_monitor=False, runtime_mode=\"test\"): product, test");

  // Positional arguments follow the def's order, not the seed's.
  auto reordered = Import(
      Script("def deploy_system(runtime_mode='x', group='test', enable_monitor=False):\n    pass\n"
             "deploy_system('dev', 'product', True)\n"));
  CHECK(LoadedGroups(reordered.manifest).at("product") == Settings{true, "dev"});
}

TEST_CASE("import-legacy is not fooled by strings, defs, other functions or trailing comments",
          "[legacy]") {
  auto imported = Import(Script(
      "'''deploy_system(group=\"product\", enable_monitor=True, runtime_mode=\"in_docstring\")'''\n"
      "NOTE = \"deploy_system(group='product', runtime_mode='in_string')\"\n"
      "def my_deploy_system(group='product'):\n"
      "    pass\n"
      "my_deploy_system(group='product')\n"
      "helpers.deploy_system(group='product')\n"
      "x = 1  # deploy_system(group='product', runtime_mode='in_trailing_comment')\n"
      "def deploy_system(group='test', enable_monitor=False, runtime_mode='test'):\n"
      "    deploy_system(group)  # recursion inside the def: not an operator's call\n"
      "if __name__ == \"__main__\":\n"
      "    deploy_system(group='product', runtime_mode='real')\n"));
  CHECK(LoadedGroups(imported.manifest) ==
        std::map<std::string, Settings>{{"product", {false, "real"}}, {"test", {false, "test"}}});
  CHECK_THAT(imported.manifest, !Contains("in_"));
  CHECK(std::count(imported.review.begin(), imported.review.end(),
                   "deploy_system(...) at deploy.py:13 inside def deploy_system(...) (line 12) is "
                   "not read: only calls at module level or under if __name__ == \"__main__\": "
                   "are") == 1);
}

TEST_CASE("commented-out calls stay comments under the group they name, whatever they hold",
          "[legacy]") {
  auto imported =
      Import(Script("if __name__ == '__main__':\n"
                    "    # deploy_system(group='product',   # 生产环境 \"quoted\" #hash\n"
                    "    #     enable_monitor=True,\r\n"
                    "    #     runtime_mode='dev: {x}\\u2028 \xe2\x80\xa8 \x01 \xff')\n"
                    "    deploy_system(group='product', runtime_mode='live')\n"
                    "    # deploy_system(group='product_9')  # no such group\n"
                    "    # deploy_system(group=GROUP)\n"));
  const std::string& yaml = imported.manifest;
  CHECK_THAT(yaml, Contains("  product:\n"
                            "    # deploy_system(...) at deploy.py:9\n"
                            "    enable_monitor: false\n"
                            "    runtime_mode: live\n"
                            "    # commented out at deploy.py:6-8:\n"
                            "    #   deploy_system(group='product',   # 生产环境 \"quoted\" #hash\n"
                            "    #       enable_monitor=True,\n"
                            "    #       runtime_mode='dev: {x}\\u2028 \\u2028 \\x01 \\xff')\n"));
  // Not a declared group, or no group it can be read for: at the end of groups:.
  CHECK_THAT(yaml, Contains("    runtime_mode: test\n"
                            "  # commented out at deploy.py:10: deploy_system(group='product_9')"
                            "  # no such group\n"
                            "  # commented out at deploy.py:11: deploy_system(group=GROUP)\n"
                            "units:\n"));
  // What is in the comments changes nothing the loader reads.
  CHECK(LoadedGroups(yaml) ==
        std::map<std::string, Settings>{{"product", {false, "live"}}, {"test", {false, "test"}}});
}

TEST_CASE("two active calls for one group: the same settings are fine, different ones an error",
          "[legacy]") {
  auto same =
      Import(Script("deploy_system('product', True, 'dev')\n"
                    "deploy_system(group='product', enable_monitor=True,\n"
                    "              runtime_mode='dev')\n"));
  CHECK_THAT(same.manifest, Contains("    # deploy_system(...) at deploy.py:5, 6\n"));
  CHECK(ImportError(Script("deploy_system('product', True, 'dev')\n"
                           "\n"
                           "  # a comment\n"
                           "deploy_system(group='product', runtime_mode='dev')\n")) ==
        "deploy.py:8:1: error: deploy_system(group=\"product\") sets enable_monitor=False, "
        "runtime_mode=\"dev\" here but enable_monitor=True, runtime_mode=\"dev\" at deploy.py:5:1: "
        "the script deploys the group twice with different settings; comment one call out");
}

TEST_CASE("a call value that is not a literal is an error at its line and column", "[legacy]") {
  CHECK(ImportError(Script("GROUP = 'product'\ndeploy_system(group=GROUP)\n")) ==
        "deploy.py:6:21: error: deploy_system(...): cannot read group=: \"GROUP\" is not a "
        "literal (only strings, numbers, lists, dicts, True, False and None are read)");
  CHECK(ImportError(Script("deploy_system('product', True,\n  'dev' + SUFFIX)\n")) ==
        "deploy.py:6:9: error: deploy_system(...): cannot read argument 3: only a literal is "
        "read here, not an expression");
  CHECK(ImportError(Script("deploy_system(group='product', enable_monitor='yes')\n")) ==
        "deploy.py:5:47: error: deploy_system(...): enable_monitor must be True or False, got "
        "a string");
  CHECK(ImportError(Script("deploy_system(group=['product'])\n")) ==
        "deploy.py:5:21: error: deploy_system(...): group must be a string, got a list");
  CHECK(ImportError(Script("deploy_system(grop='product')\n")) ==
        "deploy.py:5:15: error: deploy_system() got an unexpected keyword argument 'grop'");
  CHECK(ImportError(Script("deploy_system('a', True, 'b', 'c')\n")) ==
        "deploy.py:5:31: error: deploy_system() takes 3 positional arguments but 4 were given");
  CHECK(ImportError(Script("deploy_system('product', group='test')\n")) ==
        "deploy.py:5:26: error: deploy_system() got multiple values for argument 'group'");
  CHECK(ImportError(Script("deploy_system(*GROUPS)\n")) ==
        "deploy.py:5:15: error: deploy_system(...): *args and **kwargs are not read (only "
        "literal arguments are)");
  CHECK(ImportError(Script("deploy_system(group='product'\n")) ==
        "deploy.py:5:14: error: '(' is never closed");
  CHECK(ImportError(Script("NOTE = 'unterminated\n")) ==
        "deploy.py:5:8: error: string is not closed on its line");
}

TEST_CASE("the def's defaults are read only where a call or a group needs them", "[legacy]") {
  const std::string def =
      "def deploy_system(group='test', enable_monitor=False,\n"
      "                  runtime_mode=DEFAULT_MODE):\n"
      "    pass\n";
  CHECK(ImportError(Script(def + "deploy_system('product', True, 'dev')\n")) ==
        "deploy.py:6:32: error: the default of runtime_mode in def deploy_system(...) cannot be "
        "read: \"DEFAULT_MODE\" is not a literal (only strings, numbers, lists, dicts, True, "
        "False and None are read)");
  // Not needed: every group has its call.
  auto all_called = Import(Script(def + "deploy_system('product', True, 'dev')\n"
                                        "deploy_system('test', False, 'qa')\n"));
  CHECK(LoadedGroups(all_called.manifest).at("test") == Settings{false, "qa"});
  CHECK(ImportError(Script("def deploy_system(group, enable_monitor):\n    pass\n")) ==
        "deploy.py:5:5: error: def deploy_system(...) has no parameter \"runtime_mode\": jlrec "
        "reads deploy_system(group, enable_monitor, runtime_mode)");
  CHECK(ImportError(Script("def deploy_system(group, enable_monitor, runtime_mode, **kw):\n"
                           "    pass\n")) ==
        "deploy.py:5:56: error: cannot read def deploy_system(...): *args, **kwargs, '*' and "
        "'/' parameters are not read");
  // A def without defaults: every call gives all three; groups without a call get the seed's.
  auto required =
      Import(Script("def deploy_system(group, enable_monitor, runtime_mode):\n"
                    "    pass\n"
                    "deploy_system('product', True, 'dev')\n"));
  CHECK(LoadedGroups(required.manifest).at("test") == Settings{false, "test"});
  CHECK_THAT(required.manifest, Contains("# (def deploy_system(...) at deploy.py:5; "
                                         "enable_monitor, runtime_mode from the legacy "
                                         "script's)\n"));
  CHECK(ImportError(Script("def deploy_system(group, enable_monitor, runtime_mode):\n"
                           "    pass\n"
                           "deploy_system('product', True)\n")) ==
        "deploy.py:7:1: error: deploy_system() missing required argument 'runtime_mode'");
}

TEST_CASE("a call under another if, a loop or an else is refused, inside a def it is skipped",
          "[legacy]") {
  CHECK(ImportError(Script("for g in ['product']:\n    deploy_system(group='product')\n")) ==
        "deploy.py:6:5: error: deploy_system(...) under \"for g in ['product']:\" (line 5) may "
        "run never or more than once: jlrec reads the calls at module level or under if "
        "__name__ == \"__main__\": only; move it there or comment it out");
  CHECK_THAT(ImportError(Script("if __name__ == '__main__':\n"
                                "    pass\n"
                                "else:\n"
                                "    deploy_system(group='product')\n")),
             StartsWith("deploy.py:8:5: error: deploy_system(...) under \"else:\" (line 7)"));
  CHECK_THAT(ImportError(Script("if DEBUG: deploy_system(group='product')\n")),
             StartsWith("deploy.py:5:11: error: deploy_system(...) under \"if DEBUG:\" (line 5)"));
  // try/with blocks and a one-line main block run their body once.
  auto once =
      Import(Script("try:\n"
                    "    deploy_system(group='product', runtime_mode='a')\n"
                    "except Exception:\n"
                    "    pass\n"
                    "if __name__ == '__main__': deploy_system(group='test', "
                    "runtime_mode='b')\n"));
  CHECK(LoadedGroups(once.manifest) ==
        std::map<std::string, Settings>{{"product", {false, "a"}}, {"test", {false, "b"}}});
  auto in_def =
      Import(Script("def main():\n"
                    "    if True:\n"
                    "        deploy_system(group='product', runtime_mode='x')\n"
                    "    # deploy_system(group='product', runtime_mode='y')\n"
                    "main()\n"));
  CHECK_THAT(in_def.manifest, !Contains("runtime_mode: x"));
  CHECK_THAT(in_def.manifest, !Contains("'y'"));
  CHECK(std::count(in_def.review.begin(), in_def.review.end(),
                   "deploy_system(...) at deploy.py:7 inside def main(...) (line 5) is not read: "
                   "only calls at module level or under if __name__ == \"__main__\": are") == 1);
}

TEST_CASE("create_group_containers calls are kept as comments only, active or not", "[legacy]") {
  auto imported =
      Import(Script("def create_group_containers(group='product'):\n"
                    "    pass\n"
                    "create_group_containers()\n"
                    "# create_group_containers('test')\n"
                    "create_group_containers(group='new_group')\n"));
  CHECK_THAT(imported.manifest,
             Contains("  product:\n"
                      "    # no active deploy_system(...) call for this group: the legacy "
                      "defaults\n"
                      "    # (deploy_system(group=\"test\", enable_monitor=False, "
                      "runtime_mode=\"test\"))\n"
                      "    enable_monitor: false\n"
                      "    runtime_mode: test\n"
                      "    # create_group_containers(...) at deploy.py:7 (active): jlrec apply "
                      "creates what is missing\n"
                      "  test:\n"));
  CHECK_THAT(imported.manifest, Contains("    # commented out at deploy.py:8: "
                                         "create_group_containers('test')\n"));
  // A group only created, never deployed, is not declared (it sets nothing).
  CHECK_THAT(imported.manifest, Contains("  # create_group_containers(...) at deploy.py:9 "
                                         "(active): jlrec apply creates what is missing\n"
                                         "units:\n"));
  CHECK(std::count(imported.review.begin(), imported.review.end(),
                   "create_group_containers(...) for product, test, new_group (2 active, 1 "
                   "commented out): kept as comments only; jlrec apply creates what is "
                   "missing") == 1);
  CHECK(LoadedGroups(imported.manifest).size() == 2);
  CHECK(ImportError(Script("create_group_containers(group=GROUP)\n")) ==
        "deploy.py:5:31: error: create_group_containers(...): cannot read group=: \"GROUP\" is "
        "not a literal (only strings, numbers, lists, dicts, True, False and None are read)");
}

TEST_CASE("a group set by an active call but used by no unit is declared and reviewed",
          "[legacy]") {
  auto imported = Import(Script("deploy_system(group='standby', enable_monitor=True)\n"));
  CHECK_THAT(imported.manifest, Contains("  standby:\n"
                                         "    # deploy_system(...) at deploy.py:5\n"
                                         "    enable_monitor: true\n"
                                         "    runtime_mode: test\n"));
  CHECK(std::count(imported.review.begin(), imported.review.end(),
                   "group standby: set by deploy_system(...) at deploy.py:5 but no unit of "
                   "container_list is in it (declared anyway)") == 1);
  CHECK(LoadedGroups(imported.manifest).count("standby") == 1);
}

TEST_CASE("what the import leaves out is in the review list", "[legacy]") {
  auto imported = Import(Script(
      "def deploy_system(group='test', enable_monitor=False, runtime_mode='test', image=None):\n"
      "    pass\n"
      "deploy_system('product', True, 'dev', image='jiliang/system:9')\n"
      "container_list = [{'host': 'h3', 'dockers': ['c3'], 'group': ['product']}]\n"));
  CHECK(std::count(imported.review.begin(), imported.review.end(),
                   "deploy_system(...) at deploy.py:7 passes image: not imported") == 1);
  // Python keeps the last assignment, and so does the import.
  CHECK(std::count(imported.review.begin(), imported.review.end(),
                   "container_list is assigned more than once: the last one (deploy.py:8) was "
                   "read, not lines 1") == 1);
  CHECK_THAT(imported.manifest, Contains("  - host: h3\n"));
  CHECK_THAT(imported.manifest, !Contains("  - host: h1\n"));
}

TEST_CASE("the image is --image, else the script's IMAGE constant, else a reviewed guess",
          "[legacy]") {
  const std::string with_constant = Script("IMAGE = 'registry.local/jiliang/system:' '2.3'\n");
  CHECK_THAT(Import(with_constant).manifest,
             Contains("  image: \"registry.local/jiliang/system:2.3\"  # from IMAGE at "
                      "deploy.py:5\n"));
  LegacyImportOptions options;
  options.image = "jiliang/system:2.4";
  auto chosen = Import(with_constant, options);
  CHECK_THAT(chosen.manifest, Contains("  image: \"jiliang/system:2.4\"  # from --image\n"));
  CHECK(chosen.review.front() ==
        "image: jiliang/system:2.4 (from --image): check it is the image the containers run now");
  auto guessed = Import(Script("IMAGE = REGISTRY + '/system'\n"));
  CHECK(guessed.review.front() ==
        "image: jiliang/system:latest (a guess: IMAGE at deploy.py:5 is not a plain string): set "
        "the image the containers run now (--image)");
}

TEST_CASE("the review list says what was guessed and what the operator must check", "[legacy]") {
  auto imported = ImportLegacyScript(ReadFixture("jiliang_deploy.py"), "jiliang_deploy.py");
  REQUIRE(imported.ok());
  CHECK(imported->review ==
        std::vector<std::string>{
            "image: jiliang/system:2.3 (from IMAGE at jiliang_deploy.py:8): check it is the image "
            "the containers run now",
            "command: the image's own, network_mode: host, restart: no (as the legacy `docker run "
            "-d --name NAME --network host IMAGE`): compare with `docker inspect` of a running "
            "container; a difference makes it a conflict, not an adoption (see jlrec plan)",
            "groups with no active deploy_system(...) call, given the legacy defaults "
            "(enable_monitor=False, runtime_mode=\"test\"): test",
            "commented-out calls kept as YAML comments: jiliang_deploy.py lines 78, 79, 82, 85, "
            "87, 88, 89",
            "create_group_containers(...) for test, product, product_2, product_3 (all commented "
            "out): kept as comments only; jlrec apply creates what is missing",
            "hosts: check port, user, identity_file and docker_socket (jlrec's defaults until "
            "set; the script has none) for 172.16.100.51, 172.16.100.52, 172.16.100.53, "
            "172.16.100.54, 172.16.100.141, 172.16.100.142",
            "secrets: none are imported; give passwords and keys as env \"${VAR}\" entries "
            "listed in secret_env"});
}

TEST_CASE("import-legacy quotes names YAML would misread", "[legacy]") {
  auto imported =
      Import("container_list = [{'host': 'yes', 'dockers': ['c: 1', '0123'], 'group': ['null']}]");
  CHECK_THAT(imported.manifest, Contains("  \"yes\": {address: \"yes\"}\n"));
  CHECK_THAT(imported.manifest, Contains("    dockers: [\"c: 1\", \"0123\"]\n"));
  CHECK_THAT(imported.manifest, Contains("  \"null\":\n"));
}

TEST_CASE("the template written beside an imported manifest is the repository's", "[legacy]") {
  CHECK(jlrec::LegacyRunTemplate() ==
        ReadFile(std::string(JLREC_SOURCE_DIR) + "/" + jlrec::kLegacyRunTemplatePath));
}

TEST_CASE("Python \\x, \\u, \\U and octal escapes are code points written as UTF-8",
          "[legacy][escapes]") {
  CHECK(Parse(R"('a\u2028b')").string ==
        "a\xe2\x80\xa8"
        "b");
  CHECK(Parse(R"('\U0001F600 \u00e9 \xe9 \101\0 \7')").string ==
        std::string("\xf0\x9f\x98\x80 \xc3\xa9 \xc3\xa9 A") + '\0' + " \a");
  CHECK(Parse(R"(u'\u8ba1\u91cf')").string == "计量");
  CHECK(Parse(R"(r'\u2028')").string == "\\u2028");
  CHECK(Parse(R"('\q')").string == "\\q");  // unknown escapes stay as written
  CHECK(ParseError(R"('\u20')") == "1:2: invalid \\u escape: 4 hex digits expected");
  CHECK(ParseError(R"('\U00110000')") == "1:2: escape beyond U+10FFFF");
  CHECK(ParseError(R"('\ud800')") == "1:2: escape of a lone surrogate, which UTF-8 cannot hold");
  CHECK(ParseError(R"('\N{BULLET}')") ==
        "1:2: \\N{...} escapes are not read: write the character itself");
}

TEST_CASE(
    "import-legacy escapes every value it writes: hostile names inject no YAML and come "
    "back as they were",
    "[legacy][escapes]") {
  const std::vector<std::string> hostile = {"g\nmax_per_host: 777",
                                            "g # not a comment",
                                            "g\xe2\x80\xa8x",
                                            "- g",
                                            "\"g\": 'x'",
                                            "g\\n",
                                            "{g}",
                                            "g\r\nunits: []"};
  std::string list = "container_list = [\n";
  std::string calls;
  for (size_t i = 0; i < hostile.size(); ++i) {
    std::string py;  // a Python literal with \u, \n, \r and quote escapes
    for (unsigned char c : hostile[i]) {
      if (c == '\n')
        py += "\\n";
      else if (c == '\r')
        py += "\\r";
      else if (c == '\'' || c == '\\')
        py += std::string("\\") + static_cast<char>(c);
      else
        py += static_cast<char>(c);
    }
    for (size_t at; (at = py.find("\xe2\x80\xa8")) != std::string::npos;) {
      py.replace(at, 3, "\\u2028");
    }
    list += "    {'host': 'h" + std::to_string(i) + "', 'dockers': ['c" + std::to_string(i) +
            "'], 'group': ['" + py + "'], 'core': True},\n";
    calls += "deploy_system(group='" + py + "', runtime_mode='m" + py + "')\n";
    calls += "# deploy_system(group='" + py + "')  # " + py + "\n";
  }
  const std::string yaml = Import(list + "]\n" + calls).manifest;
  INFO(yaml);
  YAML::Node root = YAML::Load(yaml);
  std::set<std::string> keys;
  for (const auto& entry : root) keys.insert(entry.first.as<std::string>());
  CHECK(keys ==
        std::set<std::string>{"version", "project", "defaults", "hosts", "groups", "units"});
  CHECK(root["groups"].size() == hostile.size());
  for (size_t i = 0; i < hostile.size(); ++i) {
    INFO(i);
    const YAML::Node group = root["groups"][hostile[i]];
    REQUIRE(group);
    CHECK(group["runtime_mode"].as<std::string>() == "m" + hostile[i]);
    CHECK(root["units"][i]["group"][0].as<std::string>() == hostile[i]);
    CHECK(root["units"][i]["dockers"][0].as<std::string>() == "c" + std::to_string(i));
  }
}

TEST_CASE("import-legacy stays linear: 20,000 units and calls in a few seconds",
          "[legacy][scale]") {
  constexpr int kCount = 20000;
  std::string script = "container_list = [\n";
  std::string calls;
  for (int i = 0; i < kCount; ++i) {
    const std::string n = std::to_string(i);
    script += "    {'host': 'h" + n + "', 'dockers': ['c" + n + "'], 'group': ['g" + n +
              "'], 'core': True},  # unit " + n + "\n";
    calls += "deploy_system(group='g" + n + "', enable_monitor=True, runtime_mode='prod')\n";
    calls += "# deploy_system(group='g" + n + "')\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string yaml = Import(script + "]\n" + calls).manifest;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("import-legacy of " << kCount << " units and " << 2 * kCount << " calls: " << seconds
                           << " s");
  CHECK(seconds < 10);  // quadratic before: about 6 minutes
  CHECK_THAT(yaml, Contains("  g19999:\n    # deploy_system(...) at deploy.py:" +
                            std::to_string(kCount + 2 + 2 * 19999 + 1) + "\n"));
}
