/// Fuzzes the legacy importer (manifests/legacy_import.h ImportLegacyScript): the input is
/// the text of a legacy deploy script (its container_list and deploy_system(...) calls).
///
/// Asserts, beyond no crash:
/// - an error is kInvalidArgument "deploy.py:LINE:COL: error: ..." (the form the CLI prints);
/// - the same source imports to the same bytes (the import is deterministic);
/// - an imported manifest is YAML the real loader reads (no YAML syntax error, nothing the
///   parser throws on) when loaded where import-legacy -o leaves it, the template beside it;
/// - nothing read from the script becomes YAML structure: the manifest's top-level keys are
///   jlrec's own, each once, and the loader finds no unknown key anywhere.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "fuzz_check.h"
#include "manifests/legacy_import.h"
#include "manifests/legacy_run_template.h"
#include "manifests/manifest_loader.h"
#include "scratch_dir.h"

namespace {

const jlrec::fuzz::ScratchDir& Dir() {
  static const jlrec::fuzz::ScratchDir dir;
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Dir().Write(jlrec::kLegacyRunTemplatePath, jlrec::LegacyRunTemplate());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string source(reinterpret_cast<const char*>(data), size);
  auto imported = jlrec::ImportLegacyScript(source, "deploy.py");
  if (!imported.ok()) {
    const jlrec::Status& st = imported.status();
    FUZZ_CHECK(st.code() == jlrec::Status::Code::kInvalidArgument, st.ToString());
    FUZZ_CHECK(st.message().rfind("deploy.py:", 0) == 0 &&
                   st.message().find(": error: ") != std::string::npos,
               st.message());
    return 0;
  }
  auto twice = jlrec::ImportLegacyScript(source, "deploy.py");
  FUZZ_CHECK(
      twice.ok() && twice->manifest == imported->manifest && twice->review == imported->review,
      "imported two ways");

  jlrec::LoadOptions options;
  options.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  const std::string path = (Dir().path() / "jlrec.yaml").string();
  const jlrec::LoadResult loaded = jlrec::LoadManifestFromString(imported->manifest, path, options);
  std::set<std::string> top_level;
  std::istringstream lines(imported->manifest);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == ' ' || line[0] == '#' || line[0] == '-') continue;
    const std::string key = line.substr(0, line.find(':'));
    FUZZ_CHECK(top_level.insert(key).second,
               "top-level key " + key + " twice:\n" + imported->manifest);
    FUZZ_CHECK(key == "version" || key == "project" || key == "defaults" || key == "hosts" ||
                   key == "groups" || key == "units",
               "top-level line " + line + ":\n" + imported->manifest);
  }
  for (const auto& d : loaded.diagnostics) {
    FUZZ_CHECK(d.message.rfind("unknown key", 0) != 0, d.ToString() + "\n" + imported->manifest);
    FUZZ_CHECK(d.message.rfind("YAML syntax error", 0) != 0 &&
                   d.message.rfind("cannot read the manifest", 0) != 0 &&
                   d.message.rfind("cannot load the manifest", 0) != 0,
               d.ToString() + "\n" + imported->manifest);
  }
  return 0;
}
