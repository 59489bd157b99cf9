// The shell completion scripts `jlrec completion bash|zsh|fish` prints, written from what the
// subcommands accept (their option catalogues, cli/run_context.h CollectOptions). The names
// a manifest gives (groups, containers) are not in a script: it asks `jlrec completion
// --names KIND` for them as it completes, with the manifest named on the line.
#pragma once

#include <string>
#include <vector>

namespace jlrec::cli {

/// What completes a value: an option's argument or a positional word.
enum class CompletionValue {
  kNothing,  ///< free text (a number, a duration): nothing offered
  kFile,     ///< a file name
  kChoices,  ///< one of a fixed list (CompletionOption::choices)
  kGroups,   ///< a group of the manifest (`--names groups`)
  kRefs,     ///< HOST/CONTAINER, or a container name unique in the manifest (`--names refs`)
  kTargets,  ///< HOST/CONTAINER only (`--names targets`)
};

/// One option of a subcommand.
struct CompletionOption {
  std::vector<std::string> spellings;  ///< "--manifest", "-m": long first
  bool takes_value = false;            ///< its argument is the next word (or after `=`)
  CompletionValue value = CompletionValue::kNothing;  ///< what completes that argument
  std::vector<std::string> choices;                   ///< for kChoices
  bool repeatable = false;  ///< may be given again (--target): offered again after it is
  std::string help;         ///< one short line
};

/// One subcommand.
struct CompletionCommand {
  std::string name;     ///< "plan"
  std::string summary;  ///< its line in `jlrec --help`
  std::vector<CompletionOption> options;
  CompletionValue positional = CompletionValue::kNothing;  ///< what its positional words are
  bool repeated = false;  ///< every positional word completes so (else only the first)
  std::vector<std::string> positional_choices;  ///< for kChoices
};

/// The bash script: a `_jlrec` function registered with `complete -F`. Needs bash 4.
std::string BashCompletionScript(const std::vector<CompletionCommand>& commands);
/// The zsh script (#compdef jlrec), with descriptions; needs compinit.
std::string ZshCompletionScript(const std::vector<CompletionCommand>& commands);
/// The fish script: `complete -c jlrec` lines and the functions they call.
std::string FishCompletionScript(const std::vector<CompletionCommand>& commands);

}  // namespace jlrec::cli
