// `jlrec version` / `jlrec --version`: jlrec and the libraries it was built with.
#include <libssh/libssh.h>
#include <sqlite3.h>

#include <iostream>

#include "cli/command.h"
#include "cli/run_context.h"

namespace jlrec::cli {
namespace {

int RunVersion(const std::vector<std::string>& args) {
  po::options_description none("version options");
  po::variables_map vm;
  if (auto rc = ParseCommandLine("version", "", none, "", args, vm)) return *rc;
  std::cout << "jlrec " << JLREC_VERSION << "\n"
            << "  libssh   " << ssh_version(0) << " (built with " << SSH_STRINGIFY(LIBSSH_VERSION)
            << ")\n"
            << "  SQLite   " << sqlite3_libversion() << " (built with " << SQLITE_VERSION << ")\n"
            << "  yaml-cpp " << JLREC_YAML_CPP_VERSION << "\n";
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("version", "print the versions of jlrec, libssh, SQLite and yaml-cpp",
                       RunVersion);

}  // namespace jlrec::cli
