// `jlrec exec REF [options] -- COMMAND [ARG...]`: runs a command in a running container, as
// `docker exec -i [-t]` does, over jlrec's own SSH connection to its host, and exits with the
// command's exit code.
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/container_host.h"
#include "cli/exec_pump.h"
#include "cli/run_context.h"
#include "cli/run_outcome.h"
#include "cli/stop_signals.h"

namespace jlrec::cli {
namespace {

// The local terminal in raw mode (no echo, no line editing, no signals from keys: every key,
// ^C and ^D included, goes to the process's terminal), put back as it was on destruction, so
// on every way out of the command: a signal is a request to stop (StopSignals) that returns
// through the destructor.
class RawTerminal {
 public:
  RawTerminal() = default;
  ~RawTerminal() { Restore(); }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  // Puts terminal `fd` in raw mode; false (and nothing changed) if it is not a terminal.
  bool Enter(int fd) {
    if (tcgetattr(fd, &saved_) != 0) return false;
    termios raw = saved_;
    cfmakeraw(&raw);
    if (tcsetattr(fd, TCSADRAIN, &raw) != 0) return false;
    fd_ = fd;
    return true;
  }
  void Restore() {
    if (fd_ < 0) return;
    tcsetattr(fd_, TCSADRAIN, &saved_);
    fd_ = -1;
  }

 private:
  termios saved_{};
  int fd_ = -1;
};

// The size of the terminal on stdout, else on stdin; nullopt if neither is one.
std::optional<TerminalSize> LocalTerminalSize() {
  for (int fd : {STDOUT_FILENO, STDIN_FILENO}) {
    winsize size{};
    if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0)
      return TerminalSize{size.ws_row, size.ws_col};
  }
  return std::nullopt;
}

constexpr const char* kUsage = "REF [options] -- COMMAND [ARG...]";

int RunExec(const std::vector<std::string>& args) {
  // Everything after "--" is the command, options of its own included: never parsed here.
  const auto dashes = std::find(args.begin(), args.end(), "--");
  const std::vector<std::string> own(args.begin(), dashes);
  const std::vector<std::string> command(dashes == args.end() ? args.end() : dashes + 1,
                                         args.end());
  CommonFlags common;
  bool force_tty = false, no_tty = false;
  po::options_description desc("exec options");
  desc.add_options()("ref", po::value<std::vector<std::string>>(),
                     "the container: HOST/NAME, or NAME when one host has it")(
      "tty,t", po::bool_switch(&force_tty),
      "give the command a terminal even when stdin and stdout are not terminals")(
      "no-tty,T", po::bool_switch(&no_tty),
      "never give the command a terminal (default: one when stdin and stdout are terminals)");
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common, /*with_parallelism=*/false);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("exec", kUsage, desc, "ref", own, vm)) return *rc;
  const auto refs =
      vm.count("ref") ? vm["ref"].as<std::vector<std::string>>() : std::vector<std::string>();
  if (refs.size() != 1 || command.empty()) {
    std::cerr << "jlrec exec: " << (refs.size() != 1 ? "name one container" : "give a command")
              << ": jlrec exec " << kUsage << "\n";
    return 1;
  }
  if (force_tty && no_tty) {
    std::cerr << "jlrec exec: --tty and --no-tty contradict each other\n";
    return 1;
  }
  SetupLogging(common);
  auto target = ReachContainer(common, refs.front());
  if (!target) return 1;
  const ContainerRef& ref = target->ref;

  // A terminal for the command when the operator is at one, as `docker exec -it` gives it
  // (and `ssh` does): then its output is the terminal's own, written past the terminal filter
  // byte for byte. The operator attached a terminal on purpose; escaping what a shell, an
  // editor or top draws (cursor moves, colours, the alternate screen) would only break them,
  // and what they do to the screen is what the operator asked for. Without a terminal the
  // output is text like a log's and goes through the filter.
  const bool tty = force_tty || (!no_tty && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
  // The command itself is never logged: its arguments may hold a password.
  AddOutcome("tty", tty ? "yes" : "no");
  StopSignals signals(/*watch_resize=*/tty);
  ExecRequest request;
  request.argv = command;
  request.tty = tty;
  if (tty) request.size = LocalTerminalSize();
  request.interrupted = [] { return StopSignals::Stopped(); };
  auto session = target->provider->StartExec(ref.container, request);
  if (!session.ok()) {
    const Status& st = session.status();
    if (st.code() == Status::Code::kNotFound)
      std::cerr << "jlrec: exec: " << MissingContainerMessage(target->desired, ref) << "\n";
    else if (st.code() == Status::Code::kConflict)
      std::cerr << "jlrec: exec: " << ref.Text() << " is not running (" << st.message() << ")\n";
    else
      std::cerr << "jlrec: exec " << ref.Text() << ": " << st.message() << "\n";
    return StopSignals::Stopped() ? StopSignals::ExitCode() : 1;
  }

  Result<ExecOutcome> outcome = Status::Internal("exec: not run");
  {
    RawTerminal raw;
    if (tty) raw.Enter(STDIN_FILENO);
    ExecEnds ends;
    ends.input_fd = STDIN_FILENO;
    ends.tty_output_fd = STDOUT_FILENO;
    ends.out = &std::cout;
    ends.err = &std::cerr;
    ends.wake_fd = signals.wake_fd();
    ends.terminal_size = LocalTerminalSize;
    outcome = PumpExecSession(**session, tty, ends);
  }  // the terminal is itself again before anything more is printed
  if (StopSignals::Stopped()) {
    std::cerr << "jlrec: exec interrupted; the command may still be running in " << ref.Text()
              << " (Docker cannot stop an exec)\n";
    return StopSignals::ExitCode();
  }
  if (!outcome.ok()) {
    std::cerr << "jlrec: exec " << ref.Text() << ": " << outcome.status().message() << "\n";
    return 1;
  }
  AddOutcome("started", outcome->started ? "yes" : "no");
  if (!outcome->started)
    std::cerr << "jlrec: exec: '" << command.front() << "' could not be started in " << ref.Text()
              << " (exit " << outcome->exit_code << ")\n";
  return outcome->exit_code;
}

}  // namespace

JLREC_REGISTER_COMMAND("exec",
                       "run a command in a container (docker exec over jlrec's SSH connection)",
                       RunExec);

}  // namespace jlrec::cli
