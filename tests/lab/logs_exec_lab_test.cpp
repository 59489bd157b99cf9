// `jlrec logs` and `jlrec exec` on lab containers, through the real binary: the last lines of a
// log, a follow that sees a later line and ends (the container stopped, or Ctrl-C), an exec's
// streams, exit code, input and arguments, and an exec with a terminal (a pty).
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

// The talker's command: a coloured line and a line on stderr first, then five lines, then it
// stays in the foreground (and exits 0 on SIGTERM).
constexpr const char* kTalker =
    "printf 'color \\033[31mred\\033[0m\\n'; echo oops >&2; sleep 0.2; "
    "for i in 1 2 3 4 5; do echo line$i; done; "
    "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done";

// A project whose manifest places `talker` on lab1 and `twin` on lab1 and lab2 (in both groups,
// for a manifest without warnings), with `talker`
// running kTalker (made with docker directly: the commands only need it to exist).
struct TalkerLab {
  TalkerLab() : p("e2elogs") {
    p.Write({LabUnit{1, {"talker", "twin"}, {"product"}, true, ""},
             LabUnit{2, {"twin"}, {"test"}, true, ""}});
    REQUIRE(LabDocker(1, {"run", "-d", "--name", p.Name("talker"), "--network", "none",
                          p.lab().image1, "sh", "-c", kTalker})
                .exit_code == 0);
    // Until the log holds its last line.
    for (int i = 0;
         i < 100 && LabDocker(1, {"logs", p.Name("talker")}).out.find("line5") == std::string::npos;
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string Talker() const { return p.Name("talker"); }
  // `args` with the project's manifest: before "--" (exec's command follows it).
  std::vector<std::string> Args(std::vector<std::string> args) const {
    const auto dashes = std::find(args.begin(), args.end(), "--");
    args.insert(dashes, {"-m", p.manifest(), "--no-color"});
    return args;
  }
  // Runs the built jlrec with `args` (Args) and `input` on its stdin.
  ProcessResult Jlrec(const std::vector<std::string>& args, const std::string& input = "") const {
    return RunJlrec(Args(args), input);
  }
  LabProject p;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits for `pid` to exit within `timeout`; its exit status as ProcessResult::exit_code has
// it, or -1 if it is still running (then killed).
int WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < end) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// Waits until the file `path` holds `text`; false after `timeout`.
bool AwaitInFile(const std::string& path, const std::string& text,
                 std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (ReadFile(path).find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// What the built jlrec wrote on a terminal (a pty of `rows` x `columns`) running `args`, with
// `input` typed once it started; and its exit code.
struct TerminalRun {
  std::string screen;
  int exit_code = -1;
};
TerminalRun RunOnTerminal(const std::vector<std::string>& args, const std::string& input,
                          unsigned short rows, unsigned short columns) {
  winsize size{rows, columns, 0, 0};
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, &size);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<std::string> all{JLREC_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  TerminalRun run;
  bool typed = input.empty();
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    // Typed once the session shows something (the process is there to read it).
    if (!typed && !run.screen.empty()) {
      REQUIRE(write(master, input.data(), input.size()) == static_cast<ssize_t>(input.size()));
      typed = true;
    }
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buffer[4096];
      const ssize_t n = read(master, buffer, sizeof buffer);
      if (n <= 0) break;  // EIO: the terminal's last process exited
      run.screen.append(buffer, static_cast<std::size_t>(n));
    }
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(20)) break;
  }
  close(master);
  run.exit_code = WaitExit(pid, std::chrono::seconds(5));
  return run;
}

}  // namespace

TEST_CASE("jlrec logs shows a lab container's log, its last lines with --tail, escapes escaped",
          "[lab][logs]") {
  TalkerLab lab;
  auto all = lab.Jlrec({"logs", lab.Talker()});
  INFO(all.err);
  REQUIRE(all.exit_code == 0);
  CHECK(all.out == "color \\x1b[31mred\\x1b[0m\nline1\nline2\nline3\nline4\nline5\n");
  CHECK(all.err == "oops\n");

  auto last_two = lab.Jlrec({"logs", "--tail", "2", "lab1/" + lab.Talker()});
  CHECK(last_two.exit_code == 0);
  CHECK(last_two.out == "line4\nline5\n");
  CHECK(last_two.err.empty());

  auto stamped = lab.Jlrec({"logs", "-n", "1", "-t", lab.Talker()});
  CHECK(stamped.exit_code == 0);
  CHECK_THAT(stamped.out, Catch::Matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z line5\n"));
}

TEST_CASE("jlrec logs --follow shows a line written after it started and ends with the container",
          "[lab][logs]") {
  TalkerLab lab;
  const std::string output = lab.p.dir() + "/follow.out";
  const int pid = StartJlrec(lab.Args({"logs", "-f", "-n", "1", lab.Talker()}), {}, output);
  // Connected once the last line shows.
  REQUIRE(AwaitInFile(output, "line5\n", std::chrono::seconds(10)));
  REQUIRE(LabDocker(1, {"exec", lab.Talker(), "sh", "-c", "echo written later >/proc/1/fd/1"})
              .exit_code == 0);
  CHECK(AwaitInFile(output, "written later\n", std::chrono::seconds(10)));
  // The container stops: the follow ends by itself, successfully.
  REQUIRE(LabDocker(1, {"stop", "-t", "5", lab.Talker()}).exit_code == 0);
  CHECK(WaitExit(pid, std::chrono::seconds(10)) == 0);
  CHECK(ReadFile(output) == "line5\nwritten later\n");
}

TEST_CASE("Ctrl-C ends jlrec logs --follow at once with the shell's 130", "[lab][logs]") {
  TalkerLab lab;
  const std::string output = lab.p.dir() + "/interrupted.out";
  const int pid = StartJlrec(lab.Args({"logs", "--follow", lab.Talker()}), {}, output);
  REQUIRE(AwaitInFile(output, "line5\n", std::chrono::seconds(10)));
  const auto sent = std::chrono::steady_clock::now();
  kill(pid, SIGINT);
  CHECK(WaitExit(pid, std::chrono::seconds(5)) == 130);
  CHECK(std::chrono::steady_clock::now() - sent < std::chrono::seconds(2));
}

TEST_CASE("jlrec logs names what is wrong with a ref before contacting a host", "[lab][logs]") {
  TalkerLab lab;
  auto typo = lab.Jlrec({"logs", lab.p.Name("tlaker")});
  CHECK(typo.exit_code == 1);
  CHECK_THAT(typo.err, Catch::Contains("no container '" + lab.p.Name("tlaker") +
                                       "' in the manifest (did you mean '" + lab.Talker() + "'?)"));
  auto twin = lab.Jlrec({"logs", lab.p.Name("twin")});
  CHECK(twin.exit_code == 1);
  CHECK_THAT(twin.err, Catch::Contains("is on 2 hosts: lab1/" + lab.p.Name("twin") + ", lab2/" +
                                       lab.p.Name("twin")));
  auto missing = lab.Jlrec({"logs", "lab2/" + lab.p.Name("twin")});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("no container " + lab.p.Name("twin") +
                                          " on lab2 yet (the manifest places it there"));
}

TEST_CASE("jlrec exec runs a command in a lab container with its streams, exit code and input",
          "[lab][exec]") {
  TalkerLab lab;
  auto streams =
      lab.Jlrec({"exec", lab.Talker(), "--", "sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(streams.exit_code == 3);
  CHECK(streams.out == "out\n");
  CHECK(streams.err == "err\n");

  auto cat = lab.Jlrec({"exec", lab.Talker(), "--", "cat"}, "hi\nthere\n");
  CHECK(cat.exit_code == 0);
  CHECK(cat.out == "hi\nthere\n");

  // Each argument arrives as it is: no shell on either side.
  auto verbatim = lab.Jlrec({"exec", lab.Talker(), "--", "printf", "[%s]\\n", "a b", "it's",
                             "$(id)", "\"q\"", "*", "-n"});
  CHECK(verbatim.exit_code == 0);
  CHECK(verbatim.out == "[a b]\n[it's]\n[$(id)]\n[\"q\"]\n[*]\n[-n]\n");
}

TEST_CASE("jlrec exec explains a command that cannot start and a container that is not running",
          "[lab][exec]") {
  TalkerLab lab;
  auto missing = lab.Jlrec({"exec", lab.Talker(), "--", "/no/such/command"});
  CHECK((missing.exit_code == 126 || missing.exit_code == 127));
  CHECK_THAT(missing.err,
             Catch::Contains("'/no/such/command' could not be started in lab1/" + lab.Talker()));
  REQUIRE(LabDocker(1, {"stop", "-t", "5", lab.Talker()}).exit_code == 0);
  auto stopped = lab.Jlrec({"exec", lab.Talker(), "--", "true"});
  CHECK(stopped.exit_code == 1);
  CHECK_THAT(stopped.err, Catch::Contains("lab1/" + lab.Talker() + " is not running"));
  auto no_command = lab.Jlrec({"exec", lab.Talker()});
  CHECK(no_command.exit_code == 1);
  CHECK_THAT(no_command.err, Catch::Contains("give a command"));
}

TEST_CASE("jlrec exec on a terminal gives the command one of the same size, raw both ways",
          "[lab][exec]") {
  TalkerLab lab;
  // What is typed reaches the shell; what it prints comes back as the terminal's bytes.
  const TerminalRun run =
      RunOnTerminal(lab.Args({"exec", lab.Talker(), "--", "sh"}),
                    "tty; stty size; printf '\\033[1m%s\\033[0m\\n' $((6*7)); exit 9\r", 40, 120);
  INFO(run.screen);
  CHECK(run.exit_code == 9);
  CHECK_THAT(run.screen, Catch::Contains("/dev/pts/"));
  CHECK_THAT(run.screen, Catch::Contains("40 120\r\n"));
  CHECK_THAT(run.screen, Catch::Contains("\x1b[1m"
                                         "42\x1b[0m\r\n"));  // not escaped
}
