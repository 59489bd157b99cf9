#include "cli/manifest_location.h"

#include <boost/program_options/value_semantic.hpp>

#include <cstdlib>
#include <filesystem>

#include "manifests/manifest_loader.h"

namespace jlrec::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kEnvVar = "JLREC_MANIFEST";
constexpr const char* kDefaultName = "jlrec.yaml";

bool Exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

}  // namespace

Result<std::string> LocateManifest(const std::string& flag_value, const GetenvFn& getenv) {
  if (!flag_value.empty()) {
    if (Exists(flag_value)) return flag_value;
    return Status::NotFound("manifest " + flag_value + " (given with -m/--manifest) not found");
  }
  std::optional<std::string> from_env;
  if (getenv) {
    from_env = getenv(kEnvVar);
  } else if (const char* value = std::getenv(kEnvVar)) {
    from_env = value;
  }
  if (from_env && !from_env->empty()) {
    if (Exists(*from_env)) return *from_env;
    return Status::NotFound("manifest " + *from_env + " (from $" + kEnvVar + ") not found");
  }
  if (Exists(kDefaultName)) return std::string(kDefaultName);
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  return Status::NotFound(
      std::string("no manifest found: looked for -m/--manifest (not given), $") + kEnvVar +
      " (not set) and ./" + kDefaultName + " (not in " + (ec ? std::string(".") : cwd.string()) +
      ")");
}

void AddManifestOption(boost::program_options::options_description& options, std::string* target) {
  options.add_options()("manifest,m",
                        boost::program_options::value<std::string>(target)->value_name("PATH"),
                        "manifest file or folder (default: $JLREC_MANIFEST, else ./jlrec.yaml)");
}

std::optional<DesiredState> LoadManifestOrReport(const std::string& flag_value, std::ostream& err,
                                                 const std::string& script_key,
                                                 ManifestInputs* inputs,
                                                 std::vector<Diagnostic>* diagnostics) {
  auto path = LocateManifest(flag_value);
  if (!path.ok()) {
    err << "jlrec: " << path.status().message() << "\n";
    return std::nullopt;
  }
  LoadOptions options;
  options.inputs = inputs;
  options.script_key = script_key;
  LoadResult loaded = LoadManifest(*path, options);
  for (const auto& d : loaded.diagnostics) err << d.ToString() << "\n";
  if (diagnostics) *diagnostics = loaded.diagnostics;
  if (!loaded.ok()) {
    err << *path << ": " << loaded.error_count() << " error"
        << (loaded.error_count() == 1 ? "" : "s") << "\n";
    return std::nullopt;
  }
  return std::move(loaded.state);
}

}  // namespace jlrec::cli
