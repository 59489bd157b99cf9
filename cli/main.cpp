// jlrec: declarative reconcile engine for fleets of Docker hosts.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/process_memory.h"
#include "cli/run_outcome.h"
#include "cli/terminal_output.h"
#include "model/suggestion.h"

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
  os << "\nGlobal: jlrec --version, jlrec --help, jlrec help <command>\n";
}

const CommandInfo* FindCommand(const std::string& name) {
  auto it = Registry().find(name);
  return it == Registry().end() ? nullptr : &it->second;
}

// Why `word` is not a command, with the nearest command when one is close: a typo
// ("plna"), a command written as a flag ("--plan"), or an option before the command.
std::string UnknownCommand(const std::string& word) {
  std::vector<std::string> names;
  for (const auto& [name, info] : Registry()) names.push_back(name);
  if (word.size() > 1 && word[0] == '-') {
    std::string name = word.substr(0, word.find('='));
    name.erase(0, name.find_first_not_of('-'));
    if (FindCommand(name)) return "unknown option '" + word + "': did you mean '" + name + "'?";
    if (auto nearest = NearestName(name, {"help", "version"}))
      return "unknown option '" + word + "': did you mean '--" + *nearest + "'?";
    return "unknown option '" + word +
           "': options go after the command (jlrec <command> [options])";
  }
  std::string text = "unknown command '" + word + "'";
  if (auto nearest = NearestName(word, names)) text += ": did you mean '" + *nearest + "'?";
  return text;
}
}  // namespace

}  // namespace jlrec::cli

int main(int argc, char** argv) {
  using namespace jlrec::cli;
  TuneProcessMemory();
  // Everything below writes through the terminal filter, the command's output and errors
  // alike: text from a host or the state file never reaches the terminal raw.
  TerminalOutput terminal;
  std::vector<std::string> args(argv + 1, argv + argc);
  // `jlrec help plan` is `jlrec plan --help`.
  if (args.size() >= 2 && args[0] == "help") {
    if (!FindCommand(args[1])) {
      std::cerr << "jlrec: " << UnknownCommand(args[1]) << " (see jlrec --help)\n";
      return 1;
    }
    args = {args[1], "--help"};
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintUsage(std::cout);
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "--version" || args[0] == "-V") args[0] = "version";
  if (const CommandInfo* c = FindCommand(args[0])) {
    BeginRunOutcome(c->name);
    int rc = 1;
    try {
      rc = c->run(std::vector<std::string>(args.begin() + 1, args.end()));
    } catch (const std::exception& e) {
      // Library exceptions are caught at the module edges; this is the last guard.
      std::cerr << "jlrec: internal error: " << e.what() << "\n";
    }
    LogRunOutcome(rc);
    return rc;
  }
  std::cerr << "jlrec: " << UnknownCommand(args[0]) << " (see jlrec --help)\n";
  return 1;
}
