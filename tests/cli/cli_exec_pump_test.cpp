// The local side of `jlrec exec` (cli/exec_pump.h) against the fake provider's sessions: input
// from a pipe, output to streams (no TTY) or a descriptor (TTY), resizes and stops from the
// wake pipe.
#include "cli/exec_pump.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <sstream>

#include "support/fake_provider.h"

namespace jlrec::cli {
namespace {

// A pipe for a test: write into one end, the pump reads the other.
struct TestPipe {
  TestPipe() { REQUIRE(::pipe2(fds, O_CLOEXEC) == 0); }
  ~TestPipe() {
    CloseWriter();
    if (fds[0] >= 0) ::close(fds[0]);
  }
  void Write(const std::string& bytes) {
    REQUIRE(::write(fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  void CloseWriter() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
  // Everything readable now (the writer closed).
  std::string Drain() {
    CloseWriter();
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
      out.append(buffer, static_cast<std::size_t>(n));
    return out;
  }
  int fds[2] = {-1, -1};
};

// A host with running container `web` whose sessions play `script`.
struct ExecHost {
  explicit ExecHost(FakeExecScript script) {
    FakeContainer c;
    c.live.name = "web";
    c.live.state = "running";
    fake.AddContainer(c);
    fake.SetSessionHandler(
        [script](const std::string&, const ExecRequest&) -> Result<FakeExecScript> {
          return script;
        });
  }
  std::unique_ptr<ExecSession> Start(bool tty, std::function<bool()> interrupted = nullptr) {
    ExecRequest request;
    request.argv = {"sh", "-c", "the command"};
    request.tty = tty;
    request.interrupted = std::move(interrupted);
    auto session = fake.StartExec("web", request);
    REQUIRE(session.ok());
    return std::move(*session);
  }
  FakeExecRecord Record() const { return fake.ExecSessions().at(0); }

  FakeProvider fake{"h1"};
  std::ostringstream out, err;
  ExecEnds Ends(int input_fd) {
    ExecEnds ends;
    ends.input_fd = input_fd;
    ends.out = &out;
    ends.err = &err;
    return ends;
  }
};

TEST_CASE("an exec without a TTY has its stdout and stderr apart and its exit code",
          "[cli][exec-pump]") {
  ExecHost host({"out\n", "err\n", false, 3, true});
  auto session = host.Start(false);
  auto outcome = PumpExecSession(*session, false, host.Ends(-1));
  REQUIRE(outcome.ok());
  CHECK(outcome->exit_code == 3);
  CHECK(outcome->started);
  CHECK(host.out.str() == "out\n");
  CHECK(host.err.str() == "err\n");
  CHECK(host.Record().input_closed);  // no input: the process reads end of file at once
}

TEST_CASE("the input is piped through to its end, which ends the process's stdin",
          "[cli][exec-pump]") {
  ExecHost host({"", "", true, 0, true});
  auto session = host.Start(false);
  TestPipe input;
  input.Write("hi\nthere\n");
  input.CloseWriter();
  auto outcome = PumpExecSession(*session, false, host.Ends(input.fds[0]));
  REQUIRE(outcome.ok());
  CHECK(outcome->exit_code == 0);
  CHECK(host.out.str() == "hi\nthere\n");
  CHECK(host.Record().input == "hi\nthere\n");
  CHECK(host.Record().input_closed);
}

TEST_CASE("an exec that does not read its input ends when its output does, input still open",
          "[cli][exec-pump]") {
  ExecHost host({"done\n", "", false, 0, true});
  auto session = host.Start(false);
  TestPipe input;  // the writer stays open: the pump must not wait for its end
  auto outcome = PumpExecSession(*session, false, host.Ends(input.fds[0]));
  REQUIRE(outcome.ok());
  CHECK(host.out.str() == "done\n");
}

TEST_CASE("a TTY exec writes the terminal's bytes as they are, resizes, and never ends its input",
          "[cli][exec-pump]") {
  ExecHost host({"\x1b[1mprompt\x1b[0m$ ", "", true, 0, true});
  auto session = host.Start(true);
  TestPipe input, output, wake;
  wake.Write(std::string(1, kWakeResize));
  input.Write(std::string("ls\r\x04"));  // ^D: the terminal's end of file
  input.CloseWriter();
  ExecEnds ends;
  ends.input_fd = input.fds[0];
  ends.tty_output_fd = output.fds[1];
  ends.wake_fd = wake.fds[0];
  ends.terminal_size = [] { return std::optional<TerminalSize>(TerminalSize{50, 132}); };
  auto outcome = PumpExecSession(*session, true, ends);
  REQUIRE(outcome.ok());
  CHECK(output.Drain() == "\x1b[1mprompt\x1b[0m$ ls\r");
  const FakeExecRecord record = host.Record();
  CHECK(record.input == "ls\r\x04");
  CHECK_FALSE(record.input_closed);  // Docker would end a TTY session's output with its input
  REQUIRE(record.resizes.size() == 1);
  CHECK(record.resizes[0].rows == 50);
  CHECK(record.resizes[0].columns == 132);
}

TEST_CASE("a stop from the wake pipe ends a session that would go on, as cancelled",
          "[cli][exec-pump]") {
  ExecHost host({"", "", true, 0, true});  // reads until its input ends: never, here
  std::atomic<bool> stopped{false};
  auto session = host.Start(false, [&stopped] { return stopped.load(); });
  TestPipe input, wake;
  stopped = true;  // as the signal handler does: the flag, then the byte
  wake.Write(std::string(1, kWakeStop));
  ExecEnds ends = host.Ends(input.fds[0]);
  ends.wake_fd = wake.fds[0];
  auto outcome = PumpExecSession(*session, false, ends);
  CHECK(outcome.status().code() == Status::Code::kCancelled);
}

TEST_CASE("a command that cannot be started reports the daemon's exit code and explanation",
          "[cli][exec-pump]") {
  ExecHost host({"OCI runtime exec failed: exec: \"nope\": executable file not found\r\n", "",
                 false, 126, false});
  auto session = host.Start(false);
  auto outcome = PumpExecSession(*session, false, host.Ends(-1));
  REQUIRE(outcome.ok());
  CHECK_FALSE(outcome->started);
  CHECK(outcome->exit_code == 126);
  CHECK(host.out.str() == "OCI runtime exec failed: exec: \"nope\": executable file not found\n");
}

}  // namespace
}  // namespace jlrec::cli
