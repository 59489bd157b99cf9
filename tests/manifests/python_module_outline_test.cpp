// The outline of a Python module: calls (active, commented out), defs and assignments found
// without being fooled by strings, comments, attributes or longer names.
#include <catch2/catch.hpp>

#include "manifests/python_module_outline.h"

using jlrec::OutlinePythonModule;
using jlrec::PythonCallContext;
using jlrec::PythonModuleOutline;

namespace {

PythonModuleOutline Outline(const std::string& source) {
  auto outline = OutlinePythonModule(source, {"deploy_system", "create_group_containers"});
  INFO(outline.status().ToString());
  REQUIRE(outline.ok());
  return *outline;
}

std::string OutlineError(const std::string& source) {
  auto outline = OutlinePythonModule(source, {"deploy_system"});
  REQUIRE_FALSE(outline.ok());
  return outline.status().message();
}

}  // namespace

TEST_CASE("the outline finds calls where they run, and defs and assignments at module level",
          "[legacy][outline]") {
  auto outline = Outline(
      "\xEF\xBB\xBFIMAGE = 'x'\n"                                     // 1 (after a BOM)
      "def deploy_system(group='test'):\n"                            // 2
      "    create_group_containers(group)\n"                          // 3
      "s = '''\n"                                                     // 4
      "deploy_system(group='in a string')\n"                          // 5
      "'''\n"                                                         // 6
      "my_deploy_system(); obj.deploy_system(); r'deploy_system('\n"  // 7
      "if __name__ == \"__main__\":\n"                                // 8
      "    x = [1,\n"                                                 // 9
      "         2]; deploy_system ('a')\n"                            // 10
      "    while True:\n"                                             // 11
      "        deploy_system(\n"                                      // 12
      "            'b')\n"                                            // 13
      "    deploy_system()\n"                                         // 14
      "container_list = \\\n"                                         // 15
      "    []\n");                                                    // 16
  REQUIRE(outline.calls.size() == 4);
  CHECK(outline.calls[0].function == "create_group_containers");
  CHECK(outline.calls[0].context == PythonCallContext::kFunction);
  CHECK(outline.calls[0].block == "def deploy_system(...)");
  CHECK(outline.calls[0].block_line == 2);
  CHECK(outline.calls[1].line == 10);
  CHECK(outline.calls[1].column == 14);
  CHECK(outline.calls[1].context == PythonCallContext::kModule);
  CHECK(outline.calls[2].context == PythonCallContext::kConditional);
  CHECK(outline.calls[2].block == "while True:");
  CHECK(outline.calls[2].block_line == 11);
  CHECK(outline.calls[3].line == 14);
  CHECK(outline.calls[3].context == PythonCallContext::kModule);
  REQUIRE(outline.defs.size() == 1);
  CHECK(outline.defs[0].line == 2);
  REQUIRE(outline.assignments.size() == 3);
  CHECK(outline.assignments[0].name == "IMAGE");
  CHECK(outline.assignments[1].name == "s");
  CHECK(outline.assignments[2].name == "container_list");
  CHECK(outline.assignments[2].line == 15);
}

TEST_CASE("the outline keeps commented-out calls, over several comment lines",
          "[legacy][outline]") {
  auto outline = Outline(
      "# deploy_system(group='a',\n"
      "#     runtime_mode='x)')  # a ')' in a string\n"
      "## create_group_containers ()\n"
      "# deploy_system is the entry point (no call)\n"
      "# 注释: deploy_system(group='not at the start')\n"
      "x = 1  # deploy_system(group='trailing')\n"
      "# deploy_system(group='never closed',\n"
      "print(1)\n"
      "def f():\n"
      "    # deploy_system(group='in a def')\n"
      "    pass\n"
      "L = [\n"
      "    # deploy_system(group='in a list')\n"
      "]\n");
  REQUIRE(outline.commented_calls.size() == 4);
  const auto& first = outline.commented_calls[0];
  CHECK(first.function == "deploy_system");
  CHECK(first.first_line == 1);
  CHECK(first.last_line == 2);
  CHECK(first.lines == std::vector<std::string>{"deploy_system(group='a',",
                                                "    runtime_mode='x)')  # a ')' in a string"});
  CHECK(first.code == "deploy_system(group='a',\n     runtime_mode='x)')");
  CHECK(outline.commented_calls[1].function == "create_group_containers");
  CHECK(outline.commented_calls[1].lines ==
        std::vector<std::string>{"# create_group_containers ()"});
  // A call that never closes is kept as its first line, with no code to read.
  CHECK(outline.commented_calls[2].first_line == 7);
  CHECK(outline.commented_calls[2].code.empty());
  CHECK(outline.commented_calls[3].first_line == 13);
}

TEST_CASE("the outline reports strings and brackets that are never closed", "[legacy][outline]") {
  CHECK(OutlineError("x = '''\nopen\n") == "1:5: string is never closed");
  CHECK(OutlineError("x = 'a\n") == "1:5: string is not closed on its line");
  CHECK(OutlineError("f(\n  [1, 2)\n") == "2:8: ')' does not close the '[' at 2:3");
  CHECK(OutlineError("x = 1)\n") == "1:6: ')' closes nothing");
  CHECK(OutlineError("deploy_system(\n") == "1:14: '(' is never closed");
}
