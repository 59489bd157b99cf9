// `jlrec import-legacy FILE.py`: turn the legacy deploy script's container_list into a
// manifest (printed on stdout).
#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "manifests/legacy_import.h"

namespace jlrec::cli {
namespace {

namespace po = boost::program_options;

int RunImportLegacy(const std::vector<std::string>& args) {
  LegacyImportOptions import;
  std::string file;
  po::options_description options("jlrec import-legacy FILE.py [options] > jlrec.yaml");
  options.add_options()("help,h", "show this help")(
      "project", po::value<std::string>(&import.project)->default_value(import.project),
      "project name (the jlrec.project label)")(
      "image", po::value<std::string>(&import.image)->default_value(import.image),
      "image for defaults (the legacy list does not name one)")(
      "template",
      po::value<std::string>(&import.template_path)->default_value(import.template_path),
      "startup-script template, relative to where the manifest will be saved");
  po::options_description hidden;
  hidden.add_options()("file", po::value<std::string>(&file));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "jlrec import-legacy: " << e.what() << "\n" << options;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "Reads `container_list = [...]` from the legacy deploy script and prints an\n"
                 "equivalent manifest; enable_monitor/runtime_mode are left as commented\n"
                 "placeholders (filled from any deploy_system(...) call found in the file).\n\n"
              << options;
    return 0;
  }
  if (file.empty()) {
    std::cerr << "jlrec import-legacy: missing FILE.py\n" << options;
    return 2;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << file << ": error: cannot read the file\n";
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto manifest = ImportLegacyContainerList(text.str(), file, import);
  if (!manifest.ok()) {
    std::cerr << manifest.status().message() << "\n";
    return 1;
  }
  std::cout << *manifest;
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("import-legacy",
                       "print a manifest made from the legacy deploy script's container_list",
                       RunImportLegacy);

}  // namespace jlrec::cli
