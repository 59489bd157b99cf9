// `jlrec completion bash|zsh|fish`: the shell completion script, made from what each
// subcommand declares to ParseCommandLine (so an option added to a command is completed
// without touching this file). `jlrec completion --names KIND [-m MANIFEST]` is what the
// scripts call for the manifest's names as they complete: quiet and quick by contract.
#include <cctype>
#include <iostream>
#include <map>
#include <set>

#include "cli/command.h"
#include "cli/completion_script.h"
#include "cli/manifest_location.h"
#include "cli/run_context.h"
#include "cli/terminal_output.h"
#include "manifests/manifest_loader.h"

namespace jlrec::cli {
namespace {

// How an option's value completes, by its long name: the files, the fixed lists, the
// manifest's names. Any other value (a number, a duration, an image) is free text.
CompletionOption ValueOf(const std::string& long_name) {
  static const std::set<std::string> kFiles = {
      "manifest",   "state", "log-file", "known-hosts", "ssh-config",
      "token-file", "out",   "output",   "textfile",    "state-key"};
  static const std::map<std::string, std::vector<std::string>> kChoices = {
      {"log-level", {"trace", "debug", "info", "warn", "error"}},
      {"lock", {"apply", "drift"}},
  };
  CompletionOption o;
  if (kFiles.count(long_name)) o.value = CompletionValue::kFile;
  if (auto it = kChoices.find(long_name); it != kChoices.end()) {
    o.value = CompletionValue::kChoices;
    o.choices = it->second;
  }
  if (long_name == "target" || long_name == "script") o.value = CompletionValue::kTargets;
  o.repeatable = long_name == "target";
  return o;
}

// The first clause of an option's help: a completion menu has one short line per option.
std::string ShortHelp(std::string help) {
  for (const char* end : {" (", "; ", ": "})
    if (auto at = help.find(end); at != std::string::npos && at >= 8) help.resize(at);
  for (char& c : help)
    if (c == '\n' || c == '\t') c = ' ';
  return help;
}

// A command's options and positional words as the scripts complete them.
CompletionCommand Describe(const CommandInfo& info, const OptionCatalogue& catalogue) {
  CompletionCommand command;
  command.name = info.name;
  command.summary = info.summary;
  for (const auto& option : catalogue.options) {
    const std::string& name = option->long_name();
    if (name == catalogue.positional) continue;  // given without its --name
    // `completion`'s own --names and -m are for the scripts, not for people.
    if (command.name == "completion" && name != "help") continue;
    CompletionOption o = ValueOf(name);
    if (!name.empty()) o.spellings.push_back("--" + name);
    std::string shorter =
        option->canonical_display_name(po::command_line_style::allow_dash_for_short);
    if (shorter.size() == 2 && shorter[0] == '-') o.spellings.push_back(shorter);
    // An option with an implicit value (--refresh) takes one only after `=`.
    o.takes_value = option->semantic()->min_tokens() > 0;
    if (!o.takes_value) o.value = CompletionValue::kNothing;
    o.help = ShortHelp(option->description());
    command.options.push_back(std::move(o));
  }
  // What the positional words are, by the name the command gives them.
  const std::string& p = catalogue.positional;
  command.repeated = p == "groups";
  if (p == "groups") command.positional = CompletionValue::kGroups;
  if (p == "ref") command.positional = CompletionValue::kRefs;
  if (p == "file") command.positional = CompletionValue::kFile;
  if (p == "shell") {
    command.positional = CompletionValue::kChoices;
    command.positional_choices = {"bash", "zsh", "fish"};
  }
  if (p == "subcommand") {  // jlrec state migrate
    command.positional = CompletionValue::kChoices;
    command.positional_choices = {"migrate"};
  }
  return command;
}

// Whether a name may reach a command line unquoted: the manifest allows no other (its
// names are [a-zA-Z0-9][a-zA-Z0-9_.-]*), and a name that is not so is not offered.
bool PlainName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-' &&
        c != '/')
      return false;
  return true;
}

// Prints the manifest's names of `kind`, one a line; nothing when it does not load.
int PrintNames(const std::string& kind, const std::string& manifest) {
  auto located = LocateManifest(manifest);
  if (!located.ok()) return 0;
  LoadResult loaded = LoadManifest(*located);
  if (!loaded.ok()) return 0;
  const DesiredState& state = *loaded.state;
  std::vector<std::string> names;
  if (kind == "groups") {
    for (const auto& [name, group] : state.groups) names.push_back(name);
  } else {
    std::map<std::string, int> uses;
    for (const auto& c : state.containers) {
      names.push_back(c.Ref());
      ++uses[c.name];
    }
    if (kind == "refs")  // a container name alone where it is unique
      for (const auto& [name, count] : uses)
        if (count == 1) names.push_back(name);
  }
  for (const auto& name : names)
    if (PlainName(name)) std::cout << name << "\n";
  return 0;
}

int RunCompletion(const std::vector<std::string>& args) {
  std::string names, manifest;
  po::options_description desc("completion options");
  desc.add_options()("shell", po::value<std::vector<std::string>>(), "bash, zsh or fish")(
      "names", po::value(&names)->value_name("KIND"),
      "for the scripts: print the manifest's groups, refs (HOST/CONTAINER and unique container "
      "names) or targets (HOST/CONTAINER), one a line; nothing when it does not load");
  AddManifestOption(desc, &manifest);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("completion",
                                 "bash|zsh|fish\n\n"
                                 "Prints the shell completion script. Enable it with\n"
                                 "  bash: source <(jlrec completion bash)\n"
                                 "  zsh:  source <(jlrec completion zsh)   (after compinit)\n"
                                 "  fish: jlrec completion fish | source",
                                 desc, "shell", args, vm))
    return *rc;
  const auto shells =
      vm.count("shell") ? vm["shell"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (vm.count("names")) {
    if (names != "groups" && names != "refs" && names != "targets") {
      std::cerr << "jlrec completion: --names takes groups, refs or targets\n";
      return 1;
    }
    return PrintNames(names, manifest);
  }
  if (shells.size() != 1 || (shells[0] != "bash" && shells[0] != "zsh" && shells[0] != "fish")) {
    std::cerr << "jlrec completion: name one shell: bash, zsh or fish (see jlrec completion "
                 "--help)\n";
    return 1;
  }

  std::vector<CompletionCommand> commands;
  for (const auto& info : AllCommands()) {
    auto catalogue = CollectOptions(info.run);
    if (!catalogue) {  // a command that breaks ParseCommandLine's contract
      std::cerr << "jlrec completion: internal error: `jlrec " << info.name
                << "` did not declare its options before running\n";
      return 1;
    }
    commands.push_back(Describe(info, *catalogue));
  }
  const std::string& shell = shells[0];
  WriteVerbatim(std::cout, shell == "bash"  ? BashCompletionScript(commands)
                           : shell == "zsh" ? ZshCompletionScript(commands)
                                            : FishCompletionScript(commands));
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("completion", "print the shell completion script for bash, zsh or fish",
                       RunCompletion);

}  // namespace jlrec::cli
