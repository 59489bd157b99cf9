// Logging as an operator of Terraform or kubectl expects it: --log-level on every command,
// JLREC_LOG like TF_LOG (the flag wins), a wrong level refused with the levels listed, and
// --log-file holding every run's outcome line while the terminal shows only warnings.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "cli/cli_project.h"
#include "support/subprocess.h"

using jlrec::testing::CliProject;
using jlrec::testing::ProcessResult;
using jlrec::testing::RunJlrec;

namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The plan that never contacts a host: nothing is cached yet, so every host is unknown (1).
ProcessResult CachedPlan(const CliProject& p, std::vector<std::string> extra = {},
                         std::map<std::string, std::string> env = {}) {
  std::vector<std::string> args = {"plan", "product", "--refresh=false"};
  args.insert(args.end(), extra.begin(), extra.end());
  return p.Jlrec(args, std::move(env));
}

}  // namespace

TEST_CASE("an unknown --log-level is refused with the levels listed", "[cli][logging]") {
  CliProject p;
  auto r = CachedPlan(p, {"--log-level", "verbose"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "jlrec plan: --log-level verbose is not a log level (levels: trace, debug, info, warn, "
        "error)\n");
  auto validate = RunJlrec({"validate", "-m", p.Path("jlrec.yaml"), "--log-level", "loud"}, "",
                           {{"JLREC_LOG", ""}});
  CHECK(validate.exit_code == 2);
  CHECK(validate.err ==
        "jlrec validate: --log-level loud is not a log level (levels: trace, debug, info, "
        "warn, error)\n");
}

TEST_CASE("an unknown JLREC_LOG is refused, not ignored, even beside a --log-level",
          "[cli][logging]") {
  CliProject p;
  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{{}, {"--log-level", "info"}}) {
    auto r = CachedPlan(p, extra, {{"JLREC_LOG", "chatty"}});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err ==
          "jlrec plan: JLREC_LOG=chatty is not a log level (levels: trace, debug, info, warn, "
          "error)\n");
  }
}

TEST_CASE("JLREC_LOG sets the level on stderr, in any case, and the flag wins over it",
          "[cli][logging]") {
  CliProject p;
  const std::string timing = "debug: manifest loaded in ";
  CHECK_FALSE(Has(CachedPlan(p).err, timing));  // warnings only by default
  CHECK(Has(CachedPlan(p, {}, {{"JLREC_LOG", "debug"}}).err, timing));
  CHECK(Has(CachedPlan(p, {}, {{"JLREC_LOG", "DEBUG"}}).err, timing));
  CHECK(Has(CachedPlan(p, {"--log-level", "debug"}).err, timing));
  CHECK(Has(CachedPlan(p, {"-v"}).err, timing));
  CHECK_FALSE(Has(CachedPlan(p, {"--log-level", "error"}, {{"JLREC_LOG", "debug"}}).err, timing));
  // info on the terminal shows the outcome line there too.
  CHECK(Has(CachedPlan(p, {"--log-level", "info"}).err, "info: outcome: plan clitest: "));
}

TEST_CASE("the log file of --log-file records the run's outcome line while the terminal shows none",
          "[cli][logging]") {
  CliProject p;
  const std::string log = p.Path("jlrec.log");
  auto r = CachedPlan(p, {"--log-file", log});
  CHECK(r.exit_code == 1);
  CHECK_FALSE(Has(r.err, "outcome"));
  const std::string text = ReadFile(log);
  INFO(text);
  CHECK(Has(text,
            " info: outcome: plan clitest: groups=product create=0 replace=0 update=0 start=0 "
            "remove=0 adopt=0 conflict=0 unknown=3 unchanged=0 orphans=0 unreachable=2 exit=1 "
            "seconds="));
  CHECK_FALSE(Has(text, "debug:"));  // info and up, unless a lower level is chosen
  // One line per run, appended.
  CachedPlan(p, {"--log-file", log, "-v"});
  const std::string twice = ReadFile(log);
  CHECK(Has(twice, "debug: manifest loaded in "));
  std::size_t lines = 0;
  for (std::size_t at = twice.find("outcome: plan"); at != std::string::npos;
       at = twice.find("outcome: plan", at + 1))
    ++lines;
  CHECK(lines == 2);
}

TEST_CASE("JLREC_LOG_FILE is the log file when --log-file is not given", "[cli][logging]") {
  CliProject p;
  const std::string log = p.Path("env.log");
  auto r = p.Jlrec({"unlock"}, {{"JLREC_LOG_FILE", log}});
  CHECK(r.exit_code == 1);  // without --force it only says who holds the lock
  CHECK(Has(ReadFile(log),
            "info: outcome: unlock clitest: lock=apply:clitest result=free exit=1 "
            "seconds="));
}

TEST_CASE("every command that does something leaves an outcome line, the failed ones too",
          "[cli][logging]") {
  CliProject p;
  const std::string log = p.Path("all.log");
  RunJlrec({"validate", "-m", p.Path("jlrec.yaml"), "--log-file", log});
  p.Jlrec({"refresh", "offline", "--log-file", log, "--connect-timeout", "2"});
  p.Jlrec({"drift", "offline", "--log-file", log, "--connect-timeout", "2"});
  p.Jlrec({"ps", "offline", "--log-file", log, "--connect-timeout", "2"});
  p.Jlrec({"plan", "prodcut", "--log-file", log});  // stops before it has a plan
  const std::string text = ReadFile(log);
  INFO(text);
  CHECK(Has(text, "info: outcome: validate clitest: manifest=" + p.Path("jlrec.yaml") +
                      " errors=0 warnings=0 hosts=3 groups=3 units=4 containers=5 exit=0 "
                      "seconds="));
  CHECK(Has(text,
            "info: outcome: refresh clitest: hosts=1 reachable=0 unreachable=1 "
            "containers=0 exit=1 seconds="));
  CHECK(Has(text,
            "info: outcome: drift clitest: groups=offline result=error drifted=0 unknown=1 "
            "in_sync=0 unreachable=1 exit=1 seconds="));
  CHECK(Has(text,
            "info: outcome: ps clitest: groups=offline hosts=1 unreachable=1 containers=1 "
            "running=0 orphans=0 exit=1 seconds="));
  CHECK(Has(text, "info: outcome: plan clitest: exit=1 seconds="));
}
