// `jlrec validate` as an operator runs it: the real binary, exit codes, stdout and stderr.
// (`jlrec import-legacy`: cli_import_legacy_test.cpp.)
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "manifests/shell_quote.h"
#include "support/sanitizers.h"
#include "support/subprocess.h"

using Catch::Matchers::Contains;
using jlrec::testing::RunJlrec;
using jlrec::testing::RunProcess;

namespace {

const std::string kSource = JLREC_SOURCE_DIR;

std::string Fixture(const std::string& name) {
  return kSource + "/tests/fixtures/manifests/" + name;
}

// A scratch folder for files the binary reads or writes; removed at the end of the test.
class TempFolder {
 public:
  TempFolder() {
    std::random_device random;
    path_ =
        std::filesystem::temp_directory_path() / ("jlrec-cli-validate-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace

TEST_CASE("jlrec validate accepts the lab manifest and prints a one-line summary",
          "[cli][validate]") {
  auto r = RunJlrec({"validate", "-m", kSource + "/manifests/lab.yaml"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == kSource + "/manifests/lab.yaml: ok: 3 hosts, 2 groups, 5 units, 6 containers\n");
  CHECK(r.err.empty());
}

TEST_CASE("jlrec validate accepts the production example without connecting anywhere",
          "[cli][validate]") {
  auto r = RunJlrec({"validate", "--manifest", kSource + "/manifests/jiliang.yaml"}, "",
                    {{"HOME", "/root"}});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        kSource + "/manifests/jiliang.yaml: ok: 6 hosts, 3 groups, 7 units, 9 containers\n");
}

TEST_CASE("jlrec validate prints FILE:LINE:COL errors for a broken manifest and exits 1",
          "[cli][validate]") {
  const std::string file = Fixture("broken_units.yaml");
  auto r = RunJlrec({"validate", "-m", file});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err ==
        file + ":13:5: error: unknown key \"docker\" in unit; did you mean \"dockers\"?\n" + file +
            ":16:11: error: host \"lab9\" has no connection settings: declare it under hosts: "
            "or set host_defaults:; did you mean \"lab1\"?\n" +
            file +
            ":17:15: error: container name \"jl worker\" is not valid for Docker "
            "([a-zA-Z0-9][a-zA-Z0-9_.-]+)\n" +
            file + ": 3 errors\n");
}

TEST_CASE("jlrec validate reports a YAML syntax error at the parser's position",
          "[cli][validate]") {
  const std::string file = Fixture("broken_syntax.yaml");
  auto r = RunJlrec({"validate", "-m", file});
  CHECK(r.exit_code == 1);
  CHECK(r.err == file + ":5:10: error: YAML syntax error: end of sequence flow not found\n" + file +
                     ": 1 error\n");
}

TEST_CASE("jlrec validate finds the manifest via $JLREC_MANIFEST, then ./jlrec.yaml",
          "[cli][validate]") {
  TempFolder dir;
  auto from_env = RunJlrec({"validate"}, "", {{"JLREC_MANIFEST", kSource + "/manifests/lab.yaml"}});
  CHECK(from_env.exit_code == 0);
  CHECK_THAT(from_env.out, Contains(": ok: 3 hosts"));

  auto missing_env = RunJlrec({"validate"}, "", {{"JLREC_MANIFEST", dir.Path("none.yaml")}});
  CHECK(missing_env.exit_code == 1);
  CHECK(missing_env.err ==
        "jlrec: manifest " + dir.Path("none.yaml") + " (from $JLREC_MANIFEST) not found\n");

  // No flag, no variable: ./jlrec.yaml in the working directory.
  std::ofstream(dir.Path("jlrec.yaml")) << "project: p\n";
  const std::string in_dir = "cd " + jlrec::ShellQuote(dir.Path("")) +
                             " && unset JLREC_MANIFEST && exec " + jlrec::ShellQuote(JLREC_BINARY) +
                             " validate";
  auto from_cwd = RunProcess({"/bin/sh", "-c", in_dir});
  CHECK(from_cwd.exit_code == 0);
  CHECK(from_cwd.out == "jlrec.yaml: ok: 0 hosts, 0 groups, 0 units, 0 containers\n");

  std::filesystem::remove(dir.Path("jlrec.yaml"));
  auto nowhere = RunProcess({"/bin/sh", "-c", in_dir});
  CHECK(nowhere.exit_code == 1);
  CHECK_THAT(nowhere.err, Contains("jlrec: no manifest found: looked for -m/--manifest (not "
                                   "given), $JLREC_MANIFEST (not set) and ./jlrec.yaml (not in"));
}

TEST_CASE("jlrec validate --script shows a rendered /run.sh with secrets redacted",
          "[cli][validate]") {
  auto r =
      RunJlrec({"validate", "-m", kSource + "/manifests/lab.yaml", "--script", "lab1/jl_core_1"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("#!/bin/sh\n"));
  CHECK_THAT(r.out, Contains("export DB_PASSWORD='<redacted>'\n"));
  CHECK_THAT(r.out, !Contains("lab-only-not-a-secret"));
  CHECK_THAT(r.out, Contains("exec sh /workspace/jiliang_system/deploy/run.sh\n"));
}

namespace {

// `jlrec ARGS` with at most 1 GB of memory and 20 s: a binary that reads a device or blocks
// on a FIFO fails the test instead of taking the machine or hanging it.
// (Under AddressSanitizer, which reserves terabytes of address space, only the time bound.)
jlrec::testing::ProcessResult RunJlrecBounded(const std::string& args) {
  const std::string memory_bound =
      jlrec::testing::kUnderAddressSanitizer ? "" : "ulimit -v 1000000; ";
  return RunProcess(
      {"/bin/sh", "-c",
       memory_bound + "exec timeout 20 " + jlrec::ShellQuote(JLREC_BINARY) + " " + args});
}

}  // namespace

TEST_CASE("jlrec validate and import-legacy refuse a device or a FIFO at once, naming it",
          "[cli][validate][source-files]") {
  TempFolder dir;
  const std::string fifo = dir.Path("fifo.yaml");
  REQUIRE(RunProcess({"mkfifo", fifo}).exit_code == 0);
  for (const auto& [path, kind] : std::vector<std::pair<std::string, std::string>>{
           {"/dev/zero", "a character device"}, {fifo, "a FIFO"}}) {
    INFO(path);
    auto validate = RunJlrecBounded("validate -m " + jlrec::ShellQuote(path));
    CHECK(validate.exit_code == 1);
    CHECK(validate.err == path + ": error: cannot read manifest \"" + path + "\": " + kind +
                              ", not a regular file\n" + path + ": 1 error\n");
    auto import = RunJlrecBounded("import-legacy " + jlrec::ShellQuote(path));
    CHECK(import.exit_code == 1);
    CHECK(import.err ==
          "jlrec import-legacy: \"" + path + "\": " + kind + ", not a regular file\n");
  }
}

TEST_CASE("jlrec apply FILE reads at most 64 MiB of a saved plan", "[cli][apply][source-files]") {
  TempFolder dir;
  const std::string plan = dir.Path("huge.plan");
  REQUIRE(RunProcess({"truncate", "-s", "65M", plan}).exit_code == 0);
  auto apply = RunJlrecBounded("apply " + jlrec::ShellQuote(plan) + " -m " +
                               jlrec::ShellQuote(kSource + "/manifests/lab.yaml"));
  CHECK(apply.exit_code == 1);
  CHECK(apply.err == "jlrec: cannot read saved plan \"" + plan + "\": larger than 64 MiB\n");
}
