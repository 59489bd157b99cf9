// Colour follows one policy (cli/color_policy.h) for every writer of it: never with
// --no-color, a non-empty NO_COLOR, TERM=dumb, or output that is not a terminal. The rule as
// a table, then the binary on a real pseudo-terminal: `jlrec ps` (its STATE column) and the
// log on stderr (spdlog's level names).
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>

#include "cli/cli_project.h"
#include "cli/color_policy.h"
#include "support/subprocess.h"

using jlrec::cli::ColorAllowed;
using jlrec::testing::CliProject;

namespace {

// Runs the built jlrec with `args` on a new pseudo-terminal (stdin, stdout and stderr) with
// TERM and NO_COLOR as given (nullptr: unset); returns all it wrote there.
std::string RunOnTerminal(const std::vector<std::string>& args, const char* term,
                          const char* no_color) {
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    term ? setenv("TERM", term, 1) : unsetenv("TERM");
    no_color ? setenv("NO_COLOR", no_color, 1) : unsetenv("NO_COLOR");
    setenv("JLREC_LOG", "", 1);
    std::vector<char*> argv{const_cast<char*>(JLREC_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(JLREC_BINARY, argv.data());
    _exit(127);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(master, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO: the child closed its side
    }
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

bool HasEscape(const std::string& text) { return text.find("\033[") != std::string::npos; }

}  // namespace

TEST_CASE("colour is on only for a terminal without --no-color, NO_COLOR or TERM=dumb",
          "[cli][color]") {
  //                   terminal  --no-color  TERM        NO_COLOR
  CHECK(ColorAllowed(true, false, "xterm-256color", nullptr));
  CHECK(ColorAllowed(true, false, nullptr, nullptr));
  CHECK(ColorAllowed(true, false, "xterm", ""));  // empty NO_COLOR: as if unset
  CHECK_FALSE(ColorAllowed(false, false, "xterm", nullptr));
  CHECK_FALSE(ColorAllowed(true, true, "xterm", nullptr));
  CHECK_FALSE(ColorAllowed(true, false, "xterm", "1"));
  CHECK_FALSE(ColorAllowed(true, false, "xterm", "false"));  // any value at all
  CHECK_FALSE(ColorAllowed(true, false, "dumb", nullptr));
  CHECK_FALSE(ColorAllowed(false, true, "dumb", "1"));
}

TEST_CASE("jlrec ps and the log are coloured on a terminal and plain when the policy says no",
          "[cli][color]") {
  CliProject p;
  // The host refuses the connection: an "unknown" row (bold red) and a debug log line.
  const std::vector<std::string> ps = {
      "ps",           "offline",           "-v", "-m", p.Path("jlrec.yaml"), "--state",
      p.Path("s.db"), "--connect-timeout", "2"};
  const std::string coloured = RunOnTerminal(ps, "xterm", nullptr);
  INFO(coloured);
  CHECK(coloured.find("\033[1;31munknown\033[0m") != std::string::npos);
  CHECK(coloured.find("debug\033[m: ") != std::string::npos);  // spdlog's level colour
  CHECK(HasEscape(RunOnTerminal(ps, "xterm", "")));

  const std::string dumb = RunOnTerminal(ps, "dumb", nullptr);
  INFO(dumb);
  CHECK(dumb.find("unknown") != std::string::npos);
  CHECK(dumb.find("debug: ") != std::string::npos);
  CHECK_FALSE(HasEscape(dumb));
  CHECK_FALSE(HasEscape(RunOnTerminal(ps, "xterm", "1")));
  std::vector<std::string> flagged = ps;
  flagged.push_back("--no-color");
  CHECK_FALSE(HasEscape(RunOnTerminal(flagged, "xterm", nullptr)));

  // Not a terminal: a pipe.
  auto piped = jlrec::testing::RunJlrec(ps, "", {{"TERM", "xterm"}, {"JLREC_LOG", ""}});
  CHECK(piped.out.find("unknown") != std::string::npos);
  CHECK_FALSE(HasEscape(piped.out + piped.err));
}
