// Writing an imported manifest: atomic, never over an existing file unless asked, and the
// template beside it only where none is.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "manifest_test_support.h"
#include "manifests/legacy_import_output.h"

using jlrec::WriteLegacyImport;
using jlrec::testing::ScratchDir;

namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The names in `folder` (recursively), to see that no temporary file is left behind.
std::vector<std::string> Files(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    names.push_back(std::filesystem::relative(entry.path(), folder).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("an imported manifest is written with the template beside it, no temporary left",
          "[legacy][output]") {
  ScratchDir dir;
  auto written = WriteLegacyImport(dir.Path("site/jlrec.yaml"), "project: p\n",
                                   "templates/run.tmpl", "#!/bin/sh\n", false);
  INFO(written.status().ToString());
  REQUIRE(written.ok());
  CHECK(written->template_written);
  CHECK(written->template_path == dir.Path("site/templates/run.tmpl"));
  CHECK(Read(dir.Path("site/jlrec.yaml")) == "project: p\n");
  CHECK(Read(dir.Path("site/templates/run.tmpl")) == "#!/bin/sh\n");
  CHECK(Files(dir.Path("site")) ==
        std::vector<std::string>{"jlrec.yaml", "templates", "templates/run.tmpl"});
  const auto permissions = std::filesystem::status(dir.Path("site/jlrec.yaml")).permissions();
  CHECK((permissions & std::filesystem::perms::others_read) != std::filesystem::perms::none);
}

TEST_CASE("an existing manifest is replaced only when asked, a template never is",
          "[legacy][output]") {
  ScratchDir dir;
  dir.Write("jlrec.yaml", "mine\n");
  dir.Write("run.tmpl", "the operator's\n");
  auto refused = WriteLegacyImport(dir.Path("jlrec.yaml"), "new\n", "run.tmpl", "t\n", false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == jlrec::Status::Code::kConflict);
  CHECK(refused.status().message() == dir.Path("jlrec.yaml") + " already exists");
  CHECK(Read(dir.Path("jlrec.yaml")) == "mine\n");
  CHECK(Files(dir.Path("")) == std::vector<std::string>{"jlrec.yaml", "run.tmpl"});

  auto forced = WriteLegacyImport(dir.Path("jlrec.yaml"), "new\n", "run.tmpl", "t\n", true);
  REQUIRE(forced.ok());
  CHECK_FALSE(forced->template_written);
  CHECK(Read(dir.Path("jlrec.yaml")) == "new\n");
  CHECK(Read(dir.Path("run.tmpl")) == "the operator's\n");
  CHECK(Files(dir.Path("")) == std::vector<std::string>{"jlrec.yaml", "run.tmpl"});
}

TEST_CASE("a manifest that cannot be written leaves no template behind", "[legacy][output]") {
  ScratchDir dir;
  dir.Write("jlrec.yaml/inside", "a folder where the manifest should go\n");
  auto failed = WriteLegacyImport(dir.Path("jlrec.yaml"), "new\n", "run.tmpl", "t\n", true);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == jlrec::Status::Code::kIoError);
  CHECK(Files(dir.Path("")) == std::vector<std::string>{"jlrec.yaml", "jlrec.yaml/inside"});
}
