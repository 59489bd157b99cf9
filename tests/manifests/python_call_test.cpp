// The Python call reader of `jlrec import-legacy`: arguments and def parameters read as
// literals, bound as Python binds them.
#include <catch2/catch.hpp>

#include "manifests/python_call.h"

using jlrec::BindPythonArguments;
using jlrec::ParsePythonCallArguments;
using jlrec::ParsePythonParameters;
using jlrec::PyArgument;
using jlrec::PyParameter;
using jlrec::PyValue;

namespace {

std::vector<PyArgument> Arguments(const std::string& call) {
  size_t offset = call.find('(');
  auto arguments = ParsePythonCallArguments(call, &offset);
  INFO(arguments.status().ToString());
  REQUIRE(arguments.ok());
  CHECK(offset == call.rfind(')') + 1);
  return *arguments;
}

std::string ArgumentsError(const std::string& call) {
  size_t offset = call.find('(');
  auto arguments = ParsePythonCallArguments(call, &offset);
  REQUIRE_FALSE(arguments.ok());
  return arguments.status().message();
}

std::vector<PyParameter> Parameters(const std::string& def) {
  size_t offset = def.find('(');
  auto parameters = ParsePythonParameters(def, &offset);
  INFO(parameters.status().ToString());
  REQUIRE(parameters.ok());
  return *parameters;
}

}  // namespace

TEST_CASE("call arguments: positional and keyword, over lines, comments, trailing comma",
          "[legacy][python-call]") {
  auto arguments = Arguments(
      "deploy_system('product',  # the group\n"
      "    enable_monitor = True,\n"
      "    runtime_mode=\"dev_\" 'new',\n"
      ")");
  REQUIRE(arguments.size() == 3);
  CHECK(arguments[0].keyword.empty());
  CHECK(arguments[0].value.string == "product");
  CHECK(arguments[0].line == 1);
  CHECK(arguments[0].column == 15);
  CHECK(arguments[1].keyword == "enable_monitor");
  CHECK(arguments[1].value.kind == PyValue::Kind::kBool);
  CHECK(arguments[1].line == 2);
  CHECK(arguments[1].column == 5);
  CHECK(arguments[2].value.string == "dev_new");
  CHECK(Arguments("deploy_system()").empty());
}

TEST_CASE("call arguments that are not literals are errors at their position",
          "[legacy][python-call]") {
  CHECK(ArgumentsError("f(group=g)") ==
        "1:9: cannot read group=: \"g\" is not a literal (only strings, numbers, lists, dicts, "
        "True, False and None are read)");
  // `a == 1` is no keyword argument: an expression.
  CHECK(ArgumentsError("f(a == 1)") ==
        "1:3: cannot read argument 1: \"a\" is not a literal (only strings, numbers, lists, "
        "dicts, True, False and None are read)");
  CHECK(ArgumentsError("f('a' % x)") ==
        "1:7: cannot read argument 1: only a literal is read here, not an expression");
  CHECK(ArgumentsError("f(a=1, 'b')") == "1:8: positional argument follows keyword argument");
  CHECK(ArgumentsError("f(a=1, a=2)") == "1:8: keyword argument repeated: a");
  CHECK(ArgumentsError("f(**options)") ==
        "1:3: *args and **kwargs are not read (only literal arguments are)");
  CHECK(ArgumentsError("f(\n  'a',\n") == "1:2: '(' is never closed");
}

TEST_CASE("def parameters: names, literal defaults, annotations, other defaults kept as errors",
          "[legacy][python-call]") {
  auto parameters = Parameters(
      "def deploy_system(group: str = 'test',\n"
      "                  enable_monitor=False,  # off\n"
      "                  runtime_mode=MODES['test'],\n"
      "                  image='jiliang/' + TAG,\n"
      "                  extra):");
  REQUIRE(parameters.size() == 5);
  CHECK(parameters[0].name == "group");
  CHECK(parameters[0].default_value->string == "test");
  CHECK(parameters[1].default_value->kind == PyValue::Kind::kBool);
  CHECK(parameters[2].has_default);
  CHECK_FALSE(parameters[2].default_value);
  CHECK(parameters[2].default_error ==
        "3:32: \"MODES\" is not a literal (only strings, numbers, lists, dicts, True, False and "
        "None are read)");
  CHECK(parameters[3].default_error == "4:25: only a literal is read here, not an expression");
  CHECK(parameters[4].name == "extra");
  CHECK_FALSE(parameters[4].has_default);
  CHECK(parameters[4].line == 5);

  size_t offset = 7;
  auto star = ParsePythonParameters("def f(a, *rest):", &offset);
  REQUIRE_FALSE(star.ok());
  CHECK(star.status().message() == "1:10: *args, **kwargs, '*' and '/' parameters are not read");
}

TEST_CASE("arguments bind to parameters as Python binds them", "[legacy][python-call]") {
  auto parameters = Parameters("def f(group='test', enable_monitor=False, runtime_mode=MODE):");
  auto bound =
      BindPythonArguments("f", 1, 1, Arguments("f('product', runtime_mode='dev')"), parameters);
  REQUIRE(bound.ok());
  CHECK(bound->at("group").value.string == "product");
  CHECK(bound->at("group").from_call);
  CHECK_FALSE(bound->at("enable_monitor").from_call);
  CHECK(bound->at("runtime_mode").value.string == "dev");
  // A default that is not a literal is left out when the call does not give it.
  auto defaults = BindPythonArguments("f", 1, 1, Arguments("f()"), parameters);
  REQUIRE(defaults.ok());
  CHECK(defaults->count("runtime_mode") == 0);
  CHECK(defaults->at("group").value.string == "test");

  auto too_many = BindPythonArguments("f", 1, 1, Arguments("f(1, 2, 3, 4)"), parameters);
  CHECK(too_many.status().message() == "1:12: f() takes 3 positional arguments but 4 were given");
  auto twice = BindPythonArguments("f", 1, 1, Arguments("f('a', group='b')"), parameters);
  CHECK(twice.status().message() == "1:8: f() got multiple values for argument 'group'");
  auto unknown = BindPythonArguments("f", 1, 1, Arguments("f(grop='a')"), parameters);
  CHECK(unknown.status().message() == "1:3: f() got an unexpected keyword argument 'grop'");
  auto missing = BindPythonArguments("g", 7, 5, Arguments("g()"), Parameters("def g(group):"));
  CHECK(missing.status().message() == "7:5: g() missing required argument 'group'");
}
