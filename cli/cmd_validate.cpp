// `jlrec validate [-m PATH]`: check a manifest without touching any host.
#include <iostream>

#include "cli/command.h"
#include "cli/manifest_location.h"
#include "cli/run_context.h"
#include "cli/run_outcome.h"
#include "cli/terminal_output.h"
#include "manifests/manifest_loader.h"
#include "manifests/secret_redaction.h"
#include "model/suggestion.h"

namespace jlrec::cli {
namespace {

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

int RunValidate(const std::vector<std::string>& args) {
  std::string manifest, show_script;
  CommonFlags logging;
  po::options_description options("validate options");
  AddManifestOption(options, &manifest);
  options.add_options()("script",
                        po::value<std::string>(&show_script)->value_name("HOST/CONTAINER"),
                        "also print that container's rendered /run.sh (secrets redacted)");
  AddLoggingOptions(options, logging);
  po::variables_map vm;
  if (auto rc = ParseCommandLine(
          "validate",
          "[-m PATH] [--script HOST/CONTAINER]\n\n"
          "Checks a manifest (syntax, types, names, references, templates) and prints\n"
          "FILE:LINE:COL: error|warning: message for each problem; connects to nothing.",
          options, "", args, vm))
    return *rc == 1 ? 2 : *rc;  // validate's usage errors have always exited 2
  SetupLogging(logging);
  auto path = LocateManifest(manifest);
  if (!path.ok()) {
    std::cerr << "jlrec: " << path.status().message() << "\n";
    return 1;
  }
  LoadResult loaded = LoadManifest(*path);
  for (const auto& d : loaded.diagnostics) std::cerr << d.ToString() << "\n";
  AddOutcome("manifest", *path);
  AddOutcome("errors", loaded.error_count());
  AddOutcome("warnings", loaded.warning_count());
  if (!loaded.ok()) {
    std::cerr << *path << ": " << Plural(loaded.error_count(), "error") << "\n";
    return 1;
  }
  const DesiredState& state = *loaded.state;
  SetOutcomeProject(state.project);
  AddOutcome("hosts", state.hosts.size());
  AddOutcome("groups", state.groups.size());
  AddOutcome("units", CountUnits(state));
  AddOutcome("containers", state.containers.size());
  if (!show_script.empty()) {
    const DesiredContainer* found = nullptr;
    std::vector<std::string> refs;
    for (const auto& c : state.containers) {
      if (c.Ref() == show_script) found = &c;
      refs.push_back(c.Ref());
    }
    if (!found) {
      auto nearest = NearestName(show_script, refs);
      std::cerr << "jlrec validate: no container " << show_script << " in the manifest"
                << (nearest ? ": did you mean '" + *nearest + "'?" : " (expected HOST/CONTAINER)")
                << "\n";
      return 1;
    }
    WriteVerbatim(std::cout, RedactedScript(*found));
  }
  std::cout << *path << ": ok: " << Plural(state.hosts.size(), "host") << ", "
            << Plural(state.groups.size(), "group") << ", "
            << Plural(static_cast<size_t>(CountUnits(state)), "unit") << ", "
            << Plural(state.containers.size(), "container");
  if (loaded.warning_count() > 0) {
    std::cout << " (" << Plural(loaded.warning_count(), "warning") << ")";
  }
  std::cout << "\n";
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("validate", "check a manifest and print FILE:LINE:COL diagnostics",
                       RunValidate);

}  // namespace jlrec::cli
