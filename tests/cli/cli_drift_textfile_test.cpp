// `jlrec drift --textfile` when no host answers: the file still says what is known (the
// check's error, every container unknown, every host down, the last success the drift history
// remembers), replacing whatever an earlier run left, readable by node_exporter's user.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "model/state_store.h"
#include "state/sqlite_state_store.h"
#include "support/exposition.h"
#include "support/subprocess.h"

using jlrec::testing::ParseExposition;
using jlrec::testing::RunJlrec;

namespace {

const std::string kSource = JLREC_SOURCE_DIR;

// Two hosts on a loopback port nothing listens on: refused at once.
std::string Manifest() {
  return "version: 1\n"
         "project: textfiletest\n"
         "defaults:\n"
         "  image: 127.0.0.1:5000/jlrec-lab/base:1\n"
         "  template: " +
         kSource +
         "/templates/jiliang_run.sh.tmpl\n"
         "hosts:\n"
         "  h1: {address: 127.0.0.1, port: 1}\n"
         "  h2: {address: 127.0.0.1, port: 1}\n"
         "groups:\n"
         "  product: {runtime_mode: dev_new}\n"
         "units:\n"
         "  - {host: h1, dockers: [core], group: [product], core: true}\n"
         "  - {host: h2, dockers: [w1, w2], group: [product]}\n";
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("drift --textfile with every host unreachable writes the error and what is known",
          "[cli][drift][textfile]") {
  std::random_device random;
  const auto dir =
      std::filesystem::temp_directory_path() / ("jlrec-cli-textfile-" + std::to_string(random()));
  std::filesystem::create_directories(dir);
  const std::string manifest = (dir / "jlrec.yaml").string(), state = (dir / "state.db").string(),
                    file = (dir / "jlrec.prom").string();
  std::ofstream(manifest) << Manifest();
  std::ofstream(file) << "stale content from an earlier run\n";
  {  // an earlier check that succeeded
    auto store = jlrec::OpenSqliteStateStore(state);
    REQUIRE(store.ok());
    jlrec::DriftCheckRecord earlier;
    earlier.project = "textfiletest";
    earlier.groups = {"product"};
    earlier.checked_at = 1733000000;
    earlier.result = "drift";
    earlier.detail = "drift: 1 drifted, 2 in sync";
    REQUIRE((*store)->RecordDriftCheck(earlier).ok());
  }

  auto r = RunJlrec({"drift", "--quiet", "-m", manifest, "--state", state, "--textfile", file,
                     "--timeout", "30"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const std::string text = Read(file);
  auto p = ParseExposition(text);
  INFO(text);
  INFO(p.error);
  REQUIRE(p.error.empty());
  const std::map<std::string, std::string> project = {{"project", "textfiletest"}};
  CHECK(p.Value("jlrec_drift_check_result", {{"project", "textfiletest"}, {"result", "error"}}) ==
        1);
  CHECK(p.Value("jlrec_drift_unknown_containers", project) == 3);
  CHECK(p.Value("jlrec_drift_drifted_containers", project) == 0);
  CHECK(p.Value("jlrec_containers",
                {{"project", "textfiletest"}, {"group", "product"}, {"status", "unknown"}}) == 3);
  CHECK(p.Value("jlrec_host_up", {{"project", "textfiletest"}, {"host", "h1"}}) == 0);
  CHECK(p.Value("jlrec_host_up", {{"project", "textfiletest"}, {"host", "h2"}}) == 0);
  CHECK(p.Value("jlrec_drift_check_last_success_timestamp_seconds", project) == 1733000000);
  CHECK(*p.Value("jlrec_drift_check_last_timestamp_seconds", project) > 1733000000);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  for (const auto& entry : std::filesystem::directory_iterator(dir))  // no temporary left
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
