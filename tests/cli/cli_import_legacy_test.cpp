// `jlrec import-legacy` as an operator runs it on the first day: the real binary, its exit
// codes, the manifest on stdout (which `jlrec validate` must accept) and the review list on
// stderr.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "support/subprocess.h"

using Catch::Matchers::Contains;
using jlrec::testing::RunJlrec;

namespace {

const std::string kSource = JLREC_SOURCE_DIR;

std::string Fixture(const std::string& name) {
  return kSource + "/tests/fixtures/manifests/" + name;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// An empty scratch folder, removed at the end of the test.
class TempFolder {
 public:
  TempFolder() {
    std::random_device random;
    path_ =
        std::filesystem::temp_directory_path() / ("jlrec-cli-import-" + std::to_string(random()));
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

TEST_CASE("jlrec import-legacy reports unparseable input with its line and exits 1",
          "[cli][import-legacy]") {
  const std::string file = Fixture("legacy_unclosed_list.py");
  auto r = RunJlrec({"import-legacy", file});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err ==
        file + ":9:5: error: \"...\" (an elided part?) is not a literal: complete the list\n");

  TempFolder dir;
  std::ofstream(dir.Path("conflict.py"))
      << "container_list = [{'host': 'h', 'dockers': ['c'], 'group': ['g']}]\n"
         "deploy_system(group='g', runtime_mode='a')\n"
         "deploy_system(group='g', runtime_mode='b')\n";
  auto conflict = RunJlrec({"import-legacy", dir.Path("conflict.py")});
  CHECK(conflict.exit_code == 1);
  CHECK(conflict.out.empty());
  CHECK(conflict.err == dir.Path("conflict.py") +
                            ":3:1: error: deploy_system(group=\"g\") sets enable_monitor=False, "
                            "runtime_mode=\"b\" here but enable_monitor=False, "
                            "runtime_mode=\"a\" at " +
                            dir.Path("conflict.py") +
                            ":2:1: the script deploys the group twice with different settings; "
                            "comment one call out\n");

  auto missing = RunJlrec({"import-legacy"});
  CHECK(missing.exit_code == 2);
}

TEST_CASE("jlrec import-legacy prints the manifest and says where the template goes",
          "[cli][import-legacy]") {
  auto r = RunJlrec({"import-legacy", Fixture("legacy_seed_multiline.py")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == Read(Fixture("legacy_seed_multiline.expected.yaml")));
  CHECK_THAT(r.err, Contains("jlrec import-legacy: review before the first apply:\n"
                             "  - image: jiliang/system:latest"));
  CHECK_THAT(r.err, Contains("\n  - template: put templates/jiliang_run.sh.tmpl beside the saved "
                             "manifest (a copy is in "));
}

TEST_CASE("jlrec import-legacy --template names a template elsewhere that validate finds",
          "[cli][import-legacy]") {
  auto imported = RunJlrec({"import-legacy", Fixture("jiliang_deploy.py"), "--template",
                            kSource + "/templates/jiliang_run.sh.tmpl"});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out, Contains("  - host: 172.16.100.141\n"
                                    "    dockers: [test_container_141]\n"
                                    "    group: [test]\n"
                                    "    core: true\n"));
  TempFolder dir;
  const std::string saved = dir.Path("jlrec.yaml");
  std::ofstream(saved) << imported.out;
  auto validated = RunJlrec({"validate", "-m", saved});
  INFO(validated.err);
  CHECK(validated.exit_code == 0);
  CHECK(validated.out == saved + ": ok: 6 hosts, 3 groups, 7 units, 9 containers (1 warning)\n");
}
