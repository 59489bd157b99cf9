// Subcommand registry: each cli/cmd_*.cpp registers itself, so adding a subcommand never
// edits a shared file.
#pragma once

#include <string>
#include <vector>

namespace jlrec::cli {

/// A subcommand's entry point: `args` excludes the program and subcommand names.
/// Returns the process exit code. It hands its options to ParseCommandLine
/// (cli/run_context.h) before any side effect: `jlrec completion` runs every command so
/// (CollectOptions) to learn what it accepts, and nothing of it may run then.
using CommandFn = int (*)(const std::vector<std::string>& args);

/// A registered subcommand.
struct CommandInfo {
  const char* name;     ///< what the user types: "plan"
  const char* summary;  ///< one line for `jlrec --help`
  CommandFn run;        ///< entry point
};

/// Adds `info` to the registry; returns true (so it can initialise a static).
bool RegisterCommand(const CommandInfo& info);
/// Every registered subcommand, sorted by name.
std::vector<CommandInfo> AllCommands();

}  // namespace jlrec::cli

/// Registers `fn` as subcommand `name` at static-initialisation time.
#define JLREC_REGISTER_COMMAND(name, summary, fn) \
  static const bool jlrec_registered_##fn =       \
      ::jlrec::cli::RegisterCommand(::jlrec::cli::CommandInfo{name, summary, fn})
