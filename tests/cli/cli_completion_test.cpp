// `jlrec completion bash|zsh|fish` and the names its scripts ask for: each script parses in
// its shell, the bash script completes as an operator's TAB does (its function driven with
// COMP_WORDS, as bash calls it), and a broken manifest or hostile text on the line gives no
// output, no error and runs nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "support/subprocess.h"

using jlrec::testing::ProcessResult;
using jlrec::testing::RunJlrec;
using jlrec::testing::RunProcess;

namespace {

const std::string kBinary = JLREC_BINARY;

// Two hosts, two groups; `web` on both hosts, `db` on one (so only db is unique).
const char* const kManifest =
    "version: 1\n"
    "project: comptest\n"
    "defaults:\n"
    "  image: registry.example/app:1\n"
    "  template: run.sh.tmpl\n"
    "hosts:\n"
    "  h1: {address: 127.0.0.2, port: 2222}\n"
    "  h2: {address: 127.0.0.3, port: 2222}\n"
    "groups:\n"
    "  alpha: {runtime_mode: dev}\n"
    "  beta: {runtime_mode: test}\n"
    "units:\n"
    "  - {host: h1, dockers: [web, db], group: [alpha]}\n"
    "  - {host: h2, dockers: [web], group: [beta]}\n";

// A folder with the manifest (jlrec.yaml), its template and the scripts; removed at the end.
class CompletionFixture {
 public:
  CompletionFixture() {
    std::random_device random;
    dir_ = std::filesystem::temp_directory_path() /
           ("jlrec-cli-completion-" + std::to_string(random()));
    std::filesystem::create_directories(dir_);
    Write("run.sh.tmpl", "echo {{container}}\n");
    Write("jlrec.yaml", kManifest);
  }
  ~CompletionFixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((dir_ / name).parent_path());
    std::ofstream(Path(name)) << text;
    return Path(name);
  }
  // The script `jlrec completion SHELL` prints, saved; its path.
  std::string Script(const std::string& shell) const {
    auto r = RunJlrec({"completion", shell});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.err.empty());
    return Write("completion." + shell, r.out);
  }

 private:
  std::filesystem::path dir_;
};

// What bash's TAB offers for `words` (the last one is being completed): the sorted COMPREPLY
// of the script's _jlrec, with its stderr, run in `cwd`.
struct Offered {
  std::vector<std::string> words;
  std::string err;
  int exit_code = -1;
};
// `cword` is the index of the word being completed (-1: the last).
Offered BashComplete(const std::string& script, const std::vector<std::string>& words,
                     const std::map<std::string, std::string>& env = {},
                     const std::string& cwd = "/", int cword = -1) {
  const std::string driver =
      "cd \"$1\" || exit 9; source \"$2\" || exit 9; cword=$3; shift 3; "
      "COMP_WORDS=(\"$@\"); COMP_CWORD=$((cword < 0 ? $# - 1 : cword)); COMP_LINE=\"$*\"; "
      "COMP_POINT=${#COMP_LINE}; _jlrec; printf '%s\\n' \"${COMPREPLY[@]}\"";
  // bash by its path: the test may give the completion a PATH without it.
  std::vector<std::string> argv = {"/bin/bash", "--norc", "--noprofile",
                                   "-c",        driver,   "bash",
                                   cwd,         script,   std::to_string(cword)};
  argv.insert(argv.end(), words.begin(), words.end());
  ProcessResult r = RunProcess(argv, "", env);
  Offered o;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) o.words.push_back(line);
  std::sort(o.words.begin(), o.words.end());
  o.err = r.err;
  o.exit_code = r.exit_code;
  return o;
}

using Words = std::vector<std::string>;

bool Installed(const std::string& program) {
  return RunProcess({"sh", "-c", "command -v \"$0\" >/dev/null", program}).exit_code == 0;
}

}  // namespace

TEST_CASE("jlrec completion prints a bash script that bash parses, naming every command",
          "[cli][completion]") {
  CompletionFixture f;
  const std::string script = f.Script("bash");
  auto parsed = RunProcess({"bash", "-n", script});
  INFO(parsed.err);
  CHECK(parsed.exit_code == 0);
  // Every command of `jlrec --help` is offered: each declared its options without running.
  auto help = RunJlrec({"--help"});
  std::istringstream in(help.out.substr(help.out.find("Commands:\n") + 10));
  int commands = 0;
  for (std::string line; std::getline(in, line) && line.rfind("  ", 0) == 0; ++commands) {
    std::string name = line.substr(2, line.find(' ', 2) - 2);
    CHECK(BashComplete(script, {"jlrec", name}).words == Words{name});
  }
  CHECK(commands >= 14);
}

TEST_CASE("jlrec completion zsh and fish print scripts their shells parse (skipped without them)",
          "[cli][completion]") {
  CompletionFixture f;
  for (const auto& [shell, parse_only] :
       {std::pair<std::string, std::string>{"zsh", "-n"}, {"fish", "--no-execute"}}) {
    if (!Installed(shell)) {
      WARN(shell << " is not installed: the " << shell << " script was not parsed");
      continue;
    }
    auto parsed = RunProcess({shell, parse_only, f.Script(shell)});
    INFO(shell << ": " << parsed.err);
    CHECK(parsed.exit_code == 0);
  }
}

TEST_CASE("jlrec completion with no shell or an unknown one says which it takes and exits 1",
          "[cli][completion]") {
  for (const auto& args :
       {Words{"completion"}, Words{"completion", "tcsh"}, Words{"completion", "bash", "zsh"}}) {
    auto r = RunJlrec(args);
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err ==
          "jlrec completion: name one shell: bash, zsh or fish (see jlrec completion --help)\n");
  }
}

TEST_CASE("bash completes subcommands and each subcommand's options from their declarations",
          "[cli][completion]") {
  CompletionFixture f;
  const std::string script = f.Script("bash");
  CHECK(BashComplete(script, {"jlrec", "pl"}).words == Words{"plan"});
  CHECK(BashComplete(script, {"jlrec", "--v"}).words == Words{"--version"});
  CHECK(BashComplete(script, {"jlrec", "plan", "--js"}).words == Words{"--json"});
  CHECK(BashComplete(script, {"jlrec", "plan", "alpha", "--al"}).words == Words{"--all"});
  CHECK(BashComplete(script, {"jlrec", "drift", "--no"}).words ==
        Words{"--no-color", "--notify-cmd"});
  CHECK(BashComplete(script, {"jlrec", "validate", "--s"}).words == Words{"--script"});
  CHECK(BashComplete(script, {"jlrec", "completion", ""}).words == Words{"bash", "fish", "zsh"});
  CHECK(BashComplete(script, {"jlrec", "state", "mi"}).words == Words{"migrate"});
  CHECK(BashComplete(script, {"jlrec", "state", "migrate", "--fo"}).words == Words{"--force"});
  CHECK(BashComplete(script, {"jlrec", "unlock", "--lock", ""}).words == Words{"apply", "drift"});
  // Not the scripts' own --names, and nothing for a value that is free text.
  CHECK(BashComplete(script, {"jlrec", "completion", "-"}).words == Words{"--help", "-h"});
  CHECK(BashComplete(script, {"jlrec", "drift", "--timeout", ""}).words.empty());
}

TEST_CASE("bash completes group names and container refs from the manifest on the line",
          "[cli][completion]") {
  CompletionFixture f;
  const std::string script = f.Script("bash");
  const std::string manifest = f.Path("jlrec.yaml");
  // The jlrec asked for names is the one being completed, typed as a path.
  CHECK(BashComplete(script, {kBinary, "plan", "-m", manifest, ""}).words ==
        Words{"alpha", "beta"});
  CHECK(BashComplete(script, {kBinary, "plan", "", "-m", manifest}, {}, "/", 2).words ==
        Words{"alpha", "beta"});  // -m after the cursor counts too
  CHECK(BashComplete(script, {kBinary, "apply", "--manifest", "=", manifest, "b"}).words ==
        Words{"beta"});  // bash splits --manifest=PATH at the =
  CHECK(BashComplete(script, {kBinary, "plan", ""}, {}, f.Path("")).words ==
        Words{"alpha", "beta"});  // ./jlrec.yaml
  CHECK(BashComplete(script, {kBinary, "plan", "--target", "h1/"}, {{"JLREC_MANIFEST", manifest}})
            .words == Words{"h1/db", "h1/web"});
  // A jlrec in PATH when the command was typed as a name.
  const std::string bin_dir = std::filesystem::path(kBinary).parent_path().string();
  CHECK(BashComplete(script, {"jlrec", "show", "-m", manifest, "al"},
                     {{"PATH", bin_dir + ":/usr/bin:/bin"}})
            .words == Words{"alpha"});
}

TEST_CASE("bash completion takes -m over JLREC_MANIFEST and unquotes the path without running it",
          "[cli][completion]") {
  CompletionFixture f;
  const std::string script = f.Script("bash");
  f.Write("other dir/run.sh.tmpl", "echo {{container}}\n");
  std::string other = kManifest;
  other.replace(other.find("alpha:"), 6, "gamma:");
  other.replace(other.find("group: [alpha]"), 14, "group: [gamma]");
  f.Write("other dir/jlrec.yaml", other);
  const std::map<std::string, std::string> env = {{"JLREC_MANIFEST", f.Path("jlrec.yaml")},
                                                  {"HOME", f.Path("")}};
  CHECK(BashComplete(script, {kBinary, "plan", ""}, env).words == Words{"alpha", "beta"});
  CHECK(BashComplete(script,
                     {kBinary, "plan", "-m", "\"" + f.Path("other dir/jlrec.yaml") + "\"", ""}, env)
            .words == Words{"beta", "gamma"});
  CHECK(BashComplete(script, {kBinary, "plan", "-m", "~/other\\ dir/jlrec.yaml", ""}, env).words ==
        Words{"beta", "gamma"});
  // Text that a shell would run stays text: no file appears, nothing is offered or said.
  const std::string mark = f.Path("ran");
  for (const auto& typed : {"\"$(touch " + mark + ")\"", "`touch " + mark + "`",
                            "$(touch " + mark + ")", "';touch " + mark + ";'"}) {
    auto o = BashComplete(script, {kBinary, "plan", "-m", typed, ""}, env);
    CHECK(o.words.empty());
    CHECK(o.err.empty());
    CHECK_FALSE(std::filesystem::exists(mark));
  }
}

TEST_CASE("bash completion offers nothing and says nothing when the manifest is broken or missing",
          "[cli][completion]") {
  CompletionFixture f;
  const std::string script = f.Script("bash");
  const std::string broken = f.Write("broken.yaml", "version: 1\nproject: [unclosed\n");
  const std::string invalid = f.Write("invalid.yaml", "version: 1\nhosts: 3\n");
  for (const auto& manifest : {broken, invalid, f.Path("absent.yaml"), f.Path("")}) {
    auto o = BashComplete(script, {kBinary, "plan", "-m", manifest, ""});
    CHECK(o.words.empty());
    CHECK(o.err.empty());
    CHECK(o.exit_code == 0);
    auto names = RunJlrec({"completion", "--names", "groups", "-m", manifest});
    CHECK(names.exit_code == 0);
    CHECK(names.out.empty());
    CHECK(names.err.empty());
  }
  // And no jlrec at all: nothing either.
  auto o = BashComplete(script, {"jlrec", "plan", ""}, {{"PATH", "/nonexistent"}});
  CHECK(o.words.empty());
  CHECK(o.err.empty());
}

TEST_CASE("bash completes file names for the options that take a file", "[cli][completion]") {
  CompletionFixture f;
  const std::string script = f.Script("bash");
  f.Write("states/one.db", "");
  for (const auto& option : {"--state", "-m", "--log-file", "--known-hosts", "--ssh-config"})
    CHECK(BashComplete(script, {"jlrec", "plan", option, "states/o"}, {}, f.Path("")).words ==
          Words{"states/one.db"});
  CHECK(BashComplete(script, {"jlrec", "serve", "--token-file", "run"}, {}, f.Path("")).words ==
        Words{"run.sh.tmpl"});
}

TEST_CASE("jlrec completion --names prints groups, refs and targets one a line",
          "[cli][completion]") {
  CompletionFixture f;
  const std::string manifest = f.Path("jlrec.yaml");
  auto groups = RunJlrec({"completion", "--names", "groups", "-m", manifest});
  CHECK(groups.out == "alpha\nbeta\n");
  // A container name alone only where it is unique in the manifest.
  auto refs = RunJlrec({"completion", "--names", "refs", "-m", manifest});
  CHECK(refs.out == "h1/web\nh1/db\nh2/web\ndb\n");
  auto targets = RunJlrec({"completion", "--names", "targets", "-m", manifest});
  CHECK(targets.out == "h1/web\nh1/db\nh2/web\n");
  auto bad = RunJlrec({"completion", "--names", "hosts", "-m", manifest});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err == "jlrec completion: --names takes groups, refs or targets\n");
}

TEST_CASE("fish completes subcommands, options and the manifest's groups (skipped without fish)",
          "[cli][completion]") {
  if (!Installed("fish")) {
    WARN("fish is not installed: fish completion was not exercised");
    return;
  }
  CompletionFixture f;
  const std::string script = f.Script("fish");
  auto complete = [&](const std::string& line) {
    auto r = RunProcess(
        {"fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", script, line});
    INFO(r.err);
    CHECK(r.err.empty());
    std::vector<std::string> words;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) words.push_back(l.substr(0, l.find('\t')));
    std::sort(words.begin(), words.end());
    return words;
  };
  CHECK(complete("jlrec pl") == Words{"plan"});
  CHECK(complete("jlrec plan --js") == Words{"--json"});
  CHECK(complete(kBinary + " plan -m " + f.Path("jlrec.yaml") + " ") == Words{"alpha", "beta"});
  CHECK(complete(kBinary + " plan --target h2 -m " + f.Path("jlrec.yaml") + " --target h") ==
        Words{"h1/db", "h1/web", "h2/web"});
  CHECK(complete(kBinary + " plan -m " + f.Path("absent.yaml") + " ").empty());
}
