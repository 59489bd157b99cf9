// `jlrec import-legacy FILE.py [-o FILE] [--force]`: turn the legacy deploy script (its
// container_list and deploy_system(...) calls) into a manifest, printed on stdout or written
// with the startup-script template it names beside it; a review list goes to stderr.
#include <iostream>

#include "cli/command.h"
#include "cli/run_context.h"
#include "cli/run_outcome.h"
#include "cli/terminal_output.h"
#include "manifests/legacy_import.h"
#include "manifests/legacy_import_output.h"
#include "manifests/legacy_run_template.h"
#include "manifests/source_files.h"

namespace jlrec::cli {
namespace {

void PrintReview(const std::vector<std::string>& review) {
  std::cerr << "jlrec import-legacy: review before the first apply:\n";
  for (const auto& item : review) std::cerr << "  - " << item << "\n";
}

int RunImportLegacy(const std::vector<std::string>& args) {
  LegacyImportOptions import;
  std::string file, output;
  CommonFlags logging;
  po::options_description options("import-legacy options");
  options.add_options()("file", po::value<std::vector<std::string>>(),
                        "the legacy script (positional)")(
      "output,o", po::value<std::string>(&output)->value_name("FILE"),
      "write the manifest to FILE (and the template it names beside it, if missing) "
      "instead of stdout")("force", "replace FILE if it exists")(
      "project", po::value<std::string>(&import.project)->default_value(import.project),
      "project name (the jlrec.project label)")(
      "image", po::value<std::string>(&import.image)->value_name("IMAGE"),
      (std::string("image for defaults (default: the script's IMAGE = \"...\", else ") +
       kLegacyDefaultImage + ")")
          .c_str())(
      "template",
      po::value<std::string>(&import.template_path)->default_value(import.template_path),
      "startup-script template, relative to where the manifest is saved");
  AddLoggingOptions(options, logging);
  po::variables_map vm;
  if (auto rc = ParseCommandLine(
          "import-legacy",
          "FILE.py [-o FILE [--force]] [options]\n\n"
          "Reads the legacy deploy script without running it: container_list becomes\n"
          "hosts and units; each active deploy_system(...) call sets its group's\n"
          "enable_monitor and runtime_mode; commented-out calls and\n"
          "create_group_containers(...) are kept as comments. What was guessed and what\n"
          "to check is listed on stderr.",
          options, "file", args, vm))
    return *rc == 1 ? 2 : *rc;  // import-legacy's usage errors have always exited 2
  const auto files =
      vm.count("file") ? vm["file"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 1) {
    std::cerr << "jlrec import-legacy: " << (files.empty() ? "missing FILE.py" : "give one FILE.py")
              << " (see jlrec import-legacy --help)\n";
    return 2;
  }
  SetupLogging(logging);
  file = files[0];
  if (vm.count("force") && output.empty()) {
    std::cerr << "jlrec import-legacy: --force only applies with -o FILE\n";
    return 2;
  }
  Result<std::string> text = ReadSourceFile(file);
  if (!text.ok()) {
    std::cerr << "jlrec import-legacy: " << text.status().message() << "\n";
    return 1;
  }
  auto imported = ImportLegacyScript(*text, file, import);
  if (!imported.ok()) {
    std::cerr << imported.status().message() << "\n";
    return 1;
  }
  std::vector<std::string> review = imported->review;
  SetOutcomeProject(import.project);
  AddOutcome("script", file);
  AddOutcome("output", output.empty() ? "-" : output);
  AddOutcome("review", review.size());
  if (output.empty()) {
    WriteVerbatim(std::cout, imported->manifest);
    review.push_back("template: put " + import.template_path +
                     " beside the saved manifest (a copy is in " JLREC_TEMPLATE_DIR
                     "; -o FILE writes it)");
    PrintReview(review);
    return 0;
  }
  auto written = WriteLegacyImport(output, imported->manifest, import.template_path,
                                   LegacyRunTemplate(), vm.count("force") > 0);
  if (!written.ok()) {
    if (written.status().code() == Status::Code::kConflict) {
      std::cerr << "jlrec import-legacy: " << written.status().message()
                << ": not overwritten (--force replaces it); nothing written\n";
    } else {
      std::cerr << "jlrec import-legacy: " << written.status().message() << "; nothing written\n";
    }
    return 1;
  }
  review.push_back(written->template_written
                       ? "template: wrote " + written->template_path +
                             " (the legacy /run.sh): compare with /run.sh in a running container"
                       : "template: kept the existing " + written->template_path +
                             " (not overwritten)");
  PrintReview(review);
  std::cerr << "jlrec import-legacy: wrote " << output << "; next: jlrec validate -m " << output
            << "\n";
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("import-legacy",
                       "make a manifest from the legacy deploy script (container_list, "
                       "deploy_system calls)",
                       RunImportLegacy);

}  // namespace jlrec::cli
