// A typo on the command line is answered with what was most likely meant, as the manifest's
// diagnostics are: a command, an option, a group, a target, a lock. A word far from every
// name gets no guess (the list to choose from, or the help to read).
#include <catch2/catch.hpp>

#include "cli/cli_project.h"
#include "support/subprocess.h"

using jlrec::testing::CliProject;
using jlrec::testing::RunJlrec;

TEST_CASE("a misspelt command is answered with the nearest command", "[cli][suggestion]") {
  auto r = RunJlrec({"plna", "product"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "jlrec: unknown command 'plna': did you mean 'plan'? (see jlrec --help)\n");
  CHECK(RunJlrec({"aplly"}).err ==
        "jlrec: unknown command 'aplly': did you mean 'apply'? (see jlrec --help)\n");
  CHECK(RunJlrec({"histroy"}).err ==
        "jlrec: unknown command 'histroy': did you mean 'history'? (see jlrec --help)\n");
}

TEST_CASE("a command far from every command gets no guess", "[cli][suggestion]") {
  auto r = RunJlrec({"deploy"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "jlrec: unknown command 'deploy' (see jlrec --help)\n");
}

TEST_CASE("a command written as a flag or an option before the command is explained",
          "[cli][suggestion]") {
  CHECK(RunJlrec({"--plan"}).err ==
        "jlrec: unknown option '--plan': did you mean 'plan'? (see jlrec --help)\n");
  CHECK(RunJlrec({"--verison"}).err ==
        "jlrec: unknown option '--verison': did you mean '--version'? (see jlrec --help)\n");
  auto r = RunJlrec({"-m", "x.yaml", "plan"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "jlrec: unknown option '-m': options go after the command (jlrec <command> [options]) "
        "(see jlrec --help)\n");
}

TEST_CASE("jlrec help COMMAND shows the command's help, and a misspelt one is suggested",
          "[cli][suggestion]") {
  auto help = RunJlrec({"help", "plan"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.rfind("Usage: jlrec plan ", 0) == 0);
  auto typo = RunJlrec({"help", "drfit"});
  CHECK(typo.exit_code == 1);
  CHECK(typo.err == "jlrec: unknown command 'drfit': did you mean 'drift'? (see jlrec --help)\n");
}

TEST_CASE("a misspelt option is answered with the nearest option of that command",
          "[cli][suggestion]") {
  auto r = RunJlrec({"plan", "product", "--jsn"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "jlrec plan: unrecognised option '--jsn': did you mean '--json'? (see jlrec plan "
        "--help)\n");
  // Its own options only: drift has --quiet, plan has not.
  CHECK(RunJlrec({"drift", "--quite"}).err ==
        "jlrec drift: unrecognised option '--quite': did you mean '--quiet'? (see jlrec drift "
        "--help)\n");
  CHECK(RunJlrec({"plan", "--quite"}).err ==
        "jlrec plan: unrecognised option '--quite' (see jlrec plan --help)\n");
  // With a value, and with one dash too few.
  CHECK(RunJlrec({"apply", "--paralelism=4"}).err ==
        "jlrec apply: unrecognised option '--paralelism=4': did you mean '--parallelism'? (see "
        "jlrec apply --help)\n");
  CHECK(RunJlrec({"history", "-json"}).err.find("did you mean '--json'?") != std::string::npos);
  // validate and import-legacy, with their own usage exit code (2), give the same hint.
  auto validate = RunJlrec({"validate", "--scirpt", "h1/core"});
  CHECK(validate.exit_code == 2);
  CHECK(validate.err ==
        "jlrec validate: unrecognised option '--scirpt': did you mean '--script'? (see jlrec "
        "validate --help)\n");
  auto import = RunJlrec({"import-legacy", "--outptu", "x.yaml", "deploy.py"});
  CHECK(import.exit_code == 2);
  CHECK(import.err ==
        "jlrec import-legacy: unrecognised option '--outptu': did you mean '--output'? (see "
        "jlrec import-legacy --help)\n");
}

TEST_CASE("an option far from every option, an ambiguous one and a bad value stay clear",
          "[cli][suggestion]") {
  CHECK(RunJlrec({"plan", "--frobnicate"}).err ==
        "jlrec plan: unrecognised option '--frobnicate' (see jlrec plan --help)\n");
  const std::string ambiguous = RunJlrec({"plan", "--re"}).err;
  CHECK(ambiguous.rfind("jlrec plan: option '--re' is ambiguous and matches ", 0) == 0);
  CHECK(ambiguous.find("'--refresh'") != std::string::npos);
  CHECK(RunJlrec({"apply", "--parallelism", "many"}).err ==
        "jlrec apply: the argument ('many') for option '--parallelism' is invalid (see jlrec "
        "apply --help)\n");
}

TEST_CASE("a misspelt group is answered with the nearest group, else with the groups",
          "[cli][suggestion]") {
  CliProject p;
  // Each stops at the selection, before any host is contacted.
  for (const char* command :
       {"plan", "apply", "drift", "graph", "rollback", "ps", "show", "refresh"}) {
    INFO(command);
    auto r = p.Jlrec({command, "prodcut"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "jlrec: unknown group 'prodcut': did you mean 'product'?\n");
  }
  auto far = p.Jlrec({"plan", "staging", "--refresh=false"});
  CHECK(far.exit_code == 1);
  CHECK(far.err == "jlrec: unknown group 'staging' (groups: offline, product, test)\n");
}

TEST_CASE("a misspelt --target is answered with the nearest HOST/CONTAINER", "[cli][suggestion]") {
  CliProject p;
  auto r = p.Jlrec({"plan", "product", "--refresh=false", "--target", "h2/w3"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "jlrec: target 'h2/w3' is not a container of the selected groups: did you mean "
        "'h2/w1'?\n");
  CHECK(p.Jlrec({"apply", "product", "--target", "w2"}).err ==
        "jlrec: target 'w2' is not a container of the selected groups: did you mean "
        "'h2/w2'?\n");
  CHECK(p.Jlrec({"plan", "product", "--refresh=false", "--target", "h2/t1"}).err ==
        "jlrec: target 'h2/t1' is not a container of the selected groups (it is in test; name "
        "that group, or --all)\n");
}

TEST_CASE("validate --script and unlock --lock suggest the nearest name", "[cli][suggestion]") {
  CliProject p;
  auto script = RunJlrec({"validate", "-m", p.Path("jlrec.yaml"), "--script", "h2/w11"});
  CHECK(script.exit_code == 1);
  CHECK(script.err ==
        "jlrec validate: no container h2/w11 in the manifest: did you mean 'h2/w1'?\n");
  auto lock = p.Jlrec({"unlock", "--lock", "aply"});
  CHECK(lock.exit_code == 1);
  CHECK(lock.err == "jlrec unlock: --lock aply: expected apply or drift: did you mean 'apply'?\n");
}
