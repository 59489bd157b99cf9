// `jlrec import-legacy` as an operator runs it on the first day: the real binary, its exit
// codes, stdout, the review list on stderr, and the files it writes, which `jlrec validate`
// must accept where they were written.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "manifests/shell_quote.h"
#include "support/subprocess.h"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using jlrec::testing::RunJlrec;
using jlrec::testing::RunProcess;

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
  // Every file and folder inside, relative and sorted.
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path_)) {
      names.push_back(std::filesystem::relative(entry.path(), path_).string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

// `jlrec validate` run inside `folder` with no -m and no $JLREC_MANIFEST: ./jlrec.yaml.
jlrec::testing::ProcessResult ValidateIn(const std::string& folder) {
  return RunProcess({"/bin/sh", "-c",
                     "cd " + jlrec::ShellQuote(folder) + " && unset JLREC_MANIFEST && exec " +
                         jlrec::ShellQuote(JLREC_BINARY) + " validate"});
}

}  // namespace

TEST_CASE("jlrec import-legacy -o writes a manifest and its template that validate accepts there",
          "[cli][import-legacy]") {
  struct Case {
    const char* script;
    const char* summary;
  };
  for (const Case& c :
       {Case{"jiliang_deploy",
             "6 hosts, 3 groups, 7 units, 9 containers "
             "(1 warning)"},
        Case{"legacy_seed_multiline", "5 hosts, 3 groups, 5 units, 6 containers"}}) {
    INFO(c.script);
    TempFolder dir;
    const std::string manifest = dir.Path("jlrec.yaml");
    auto imported =
        RunJlrec({"import-legacy", Fixture(std::string(c.script) + ".py"), "-o", manifest});
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    CHECK(imported.out.empty());
    CHECK(dir.Files() ==
          std::vector<std::string>{"jlrec.yaml", "templates", "templates/jiliang_run.sh.tmpl"});
    CHECK(Read(manifest) == Read(Fixture(std::string(c.script) + ".expected.yaml")));
    CHECK(Read(dir.Path("templates/jiliang_run.sh.tmpl")) ==
          Read(kSource + "/templates/jiliang_run.sh.tmpl"));
    CHECK_THAT(imported.err, StartsWith("jlrec import-legacy: review before the first apply:\n"
                                        "  - image: "));
    CHECK_THAT(imported.err,
               Contains("\n  - template: wrote " + dir.Path("templates/jiliang_run.sh.tmpl") +
                        " (the legacy /run.sh): compare with /run.sh in a "
                        "running container\n"));
    CHECK_THAT(imported.err, Contains("\n  - secrets: none are imported"));
    CHECK_THAT(imported.err, Contains("jlrec import-legacy: wrote " + manifest +
                                      "; next: jlrec validate -m " + manifest + "\n"));

    auto validated = RunJlrec({"validate", "-m", manifest});
    INFO(validated.err);
    CHECK(validated.exit_code == 0);
    CHECK(validated.out == manifest + ": ok: " + c.summary + "\n");
    auto in_folder = ValidateIn(dir.Path(""));
    INFO(in_folder.err);
    CHECK(in_folder.exit_code == 0);
    CHECK(in_folder.out == std::string("jlrec.yaml: ok: ") + c.summary + "\n");
  }
}

TEST_CASE(
    "jlrec import-legacy -o refuses to overwrite without --force and never replaces a "
    "template",
    "[cli][import-legacy]") {
  TempFolder dir;
  const std::string manifest = dir.Path("jlrec.yaml");
  std::ofstream(manifest) << "# the operator's manifest\n";
  auto refused = RunJlrec({"import-legacy", Fixture("jiliang_deploy.py"), "-o", manifest});
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.empty());
  CHECK(refused.err == "jlrec import-legacy: " + manifest +
                           " already exists: not overwritten (--force replaces it); nothing "
                           "written\n");
  CHECK(Read(manifest) == "# the operator's manifest\n");
  CHECK(dir.Files() == std::vector<std::string>{"jlrec.yaml"});

  std::filesystem::create_directories(dir.Path("templates"));
  std::ofstream(dir.Path("templates/jiliang_run.sh.tmpl")) << "#!/bin/sh\nexec sleep 1\n";
  auto forced =
      RunJlrec({"import-legacy", Fixture("jiliang_deploy.py"), "-o", manifest, "--force"});
  INFO(forced.err);
  CHECK(forced.exit_code == 0);
  CHECK(Read(manifest) == Read(Fixture("jiliang_deploy.expected.yaml")));
  CHECK(Read(dir.Path("templates/jiliang_run.sh.tmpl")) == "#!/bin/sh\nexec sleep 1\n");
  CHECK_THAT(forced.err,
             Contains("  - template: kept the existing " +
                      dir.Path("templates/jiliang_run.sh.tmpl") + " (not overwritten)\n"));
  CHECK(dir.Files() ==
        std::vector<std::string>{"jlrec.yaml", "templates", "templates/jiliang_run.sh.tmpl"});

  auto stray_force = RunJlrec({"import-legacy", Fixture("jiliang_deploy.py"), "--force"});
  CHECK(stray_force.exit_code == 2);
  CHECK(stray_force.err == "jlrec import-legacy: --force only applies with -o FILE\n");
}

TEST_CASE("jlrec import-legacy reports unparseable input with its line and writes nothing",
          "[cli][import-legacy]") {
  const std::string file = Fixture("legacy_unclosed_list.py");
  TempFolder dir;
  auto r = RunJlrec({"import-legacy", file, "-o", dir.Path("jlrec.yaml")});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err ==
        file + ":9:5: error: \"...\" (an elided part?) is not a literal: complete the list\n");
  CHECK(dir.Files().empty());

  std::ofstream(dir.Path("conflict.py"))
      << "container_list = [{'host': 'h', 'dockers': ['c'], 'group': ['g']}]\n"
         "deploy_system(group='g', runtime_mode='a')\n"
         "deploy_system(group='g', runtime_mode='b')\n";
  auto conflict = RunJlrec({"import-legacy", dir.Path("conflict.py"), "-o", dir.Path("out.yaml")});
  CHECK(conflict.exit_code == 1);
  CHECK(conflict.err == dir.Path("conflict.py") +
                            ":3:1: error: deploy_system(group=\"g\") sets enable_monitor=False, "
                            "runtime_mode=\"b\" here but enable_monitor=False, "
                            "runtime_mode=\"a\" at " +
                            dir.Path("conflict.py") +
                            ":2:1: the script deploys the group twice with different settings; "
                            "comment one call out\n");
  CHECK(dir.Files() == std::vector<std::string>{"conflict.py"});

  auto missing = RunJlrec({"import-legacy"});
  CHECK(missing.exit_code == 2);
}

TEST_CASE("jlrec import-legacy without -o prints the manifest and says where the template goes",
          "[cli][import-legacy]") {
  auto r = RunJlrec({"import-legacy", Fixture("legacy_seed_multiline.py")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == Read(Fixture("legacy_seed_multiline.expected.yaml")));
  CHECK_THAT(r.err, Contains("\n  - template: put templates/jiliang_run.sh.tmpl beside the saved "
                             "manifest (a copy is in "));
  CHECK_THAT(r.err, Contains("; -o FILE writes it)\n"));
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
