// jlrec: declarative reconcile engine for fleets of Docker hosts.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/terminal_output.h"

namespace jlrec::cli {

namespace {
std::map<std::string, CommandInfo>& Registry() {
  static std::map<std::string, CommandInfo> registry;
  return registry;
}
}  // namespace

bool RegisterCommand(const CommandInfo& info) {
  Registry().emplace(info.name, info);
  return true;
}

std::vector<CommandInfo> AllCommands() {
  std::vector<CommandInfo> out;
  for (const auto& [name, info] : Registry()) out.push_back(info);
  return out;
}

namespace {
void PrintUsage(std::ostream& os) {
  os << "jlrec: declarative reconcile engine for fleets of Docker hosts\n"
        "\n"
        "Usage: jlrec <command> [options]    (jlrec <command> --help for its options)\n"
        "\n"
        "Commands:\n";
  for (const auto& c : AllCommands()) {
    std::string name = c.name;
    name.resize(std::max<size_t>(name.size() + 2, 16), ' ');
    os << "  " << name << c.summary << "\n";
  }
  os << "\nGlobal: jlrec --version, jlrec --help\n";
}
}  // namespace

}  // namespace jlrec::cli

int main(int argc, char** argv) {
  using namespace jlrec::cli;
  // Everything below writes through the terminal filter, the command's output and errors
  // alike: text from a host or the state file never reaches the terminal raw.
  TerminalOutput terminal;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintUsage(std::cout);
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "--version" || args[0] == "-V") args[0] = "version";
  for (const auto& c : AllCommands()) {
    if (args[0] == c.name) {
      try {
        return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
      } catch (const std::exception& e) {
        // Library exceptions are caught at the module edges; this is the last guard.
        std::cerr << "jlrec: internal error: " << e.what() << "\n";
        return 1;
      }
    }
  }
  std::cerr << "jlrec: unknown command '" << args[0] << "' (see jlrec --help)\n";
  return 1;
}
