// `jlrec drift --textfile` against the lab: the gauges node_exporter's textfile collector
// reads, written in sync and on drift, and a file that cannot be written never passes for a
// clean check.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/exposition.h"
#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

ParsedExposition ReadExposition(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseExposition(text.str());
  INFO(text.str());
  INFO(parsed.error);
  REQUIRE(!text.str().empty());
  REQUIRE(parsed.error.empty());
  return parsed;
}

}  // namespace

TEST_CASE("drift --textfile writes the check's gauges in sync and on drift",
          "[lab][drift][textfile]") {
  LabProject p("e2etextfile");
  p.Write(
      {LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""}});
  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  const std::string file = p.dir() + "/jlrec.prom";
  const std::map<std::string, std::string> project = {{"project", p.project()}};
  const auto containers = [&](const ParsedExposition& m, const char* status) {
    return m.Value("jlrec_containers",
                   {{"project", p.project()}, {"group", "product"}, {"status", status}});
  };
  const auto result = [&](const ParsedExposition& m, const char* r) {
    return m.Value("jlrec_drift_check_result", {{"project", p.project()}, {"result", r}});
  };

  const auto before = static_cast<double>(std::time(nullptr));
  auto in_sync = p.Jlrec({"drift", "--quiet", "--textfile", file});
  INFO(in_sync.out << in_sync.err);
  CHECK(in_sync.exit_code == 0);
  CHECK(in_sync.out.empty());
  {
    auto m = ReadExposition(file);
    CHECK(result(m, "in_sync") == 1);
    CHECK(result(m, "drift") == 0);
    CHECK(result(m, "error") == 0);
    CHECK(containers(m, "in_sync") == 2);
    CHECK(containers(m, "drifted") == 0);
    CHECK(containers(m, "unknown") == 0);
    CHECK(m.Value("jlrec_drift_drifted_containers", project) == 0);
    CHECK(m.Value("jlrec_drift_unknown_containers", project) == 0);
    CHECK(m.Value("jlrec_host_up", {{"project", p.project()}, {"host", "lab1"}}) == 1);
    CHECK(m.Value("jlrec_host_up", {{"project", p.project()}, {"host", "lab2"}}) == 1);
    CHECK_FALSE(m.Value("jlrec_host_up", {{"project", p.project()}, {"host", "lab3"}}));
    const double at = *m.Value("jlrec_drift_check_last_timestamp_seconds", project);
    CHECK(at >= before);
    CHECK(at <= static_cast<double>(std::time(nullptr)));
    CHECK(m.Value("jlrec_drift_check_last_success_timestamp_seconds", project) == at);
    const double seconds = *m.Value("jlrec_drift_check_duration_seconds", project);
    CHECK(seconds > 0);
    CHECK(seconds < 60);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
  }

  // A file that cannot be written turns a clean check's 0 into 1, saying why.
  const std::string nowhere = p.dir() + "/no-such-folder/jlrec.prom";
  auto unwritable = p.Jlrec({"drift", "--quiet", "--textfile", nowhere});
  CHECK(unwritable.exit_code == 1);
  CHECK(unwritable.err.find("jlrec: --textfile: " + nowhere) != std::string::npos);

  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w1")}).exit_code == 0);
  auto drift = p.Jlrec({"drift", "--quiet", "--textfile", file});
  INFO(drift.out << drift.err);
  CHECK(drift.exit_code == 2);
  {
    auto m = ReadExposition(file);
    CHECK(result(m, "drift") == 1);
    CHECK(result(m, "in_sync") == 0);
    CHECK(containers(m, "in_sync") == 1);
    CHECK(containers(m, "drifted") == 1);
    CHECK(m.Value("jlrec_drift_drifted_containers", project) == 1);
    // Drift is a check that saw everything: a success.
    CHECK(m.Value("jlrec_drift_check_last_success_timestamp_seconds", project) ==
          m.Value("jlrec_drift_check_last_timestamp_seconds", project));
  }
  // On drift the exit stays 2 (drift wins over a file that could not be written).
  CHECK(p.Jlrec({"drift", "--quiet", "--textfile", nowhere}).exit_code == 2);
  for (const auto& entry : std::filesystem::directory_iterator(p.dir()))  // no temporary left
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
}
