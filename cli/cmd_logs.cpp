// `jlrec logs REF [--tail N] [--follow] [--timestamps]`: a container's log as `docker logs`
// shows it, over jlrec's own SSH connection to its host (no docker CLI or context needed).
#include <charconv>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/container_host.h"
#include "cli/container_streams.h"
#include "cli/run_context.h"
#include "cli/run_outcome.h"
#include "cli/stop_signals.h"

namespace jlrec::cli {
namespace {

// --tail's value: "all" or a count of lines.
std::optional<std::optional<std::uint64_t>> ParseTail(const std::string& text) {
  if (text == "all") return std::optional<std::uint64_t>();
  std::uint64_t lines = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), lines);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return std::optional<std::uint64_t>(lines);
}

int RunLogs(const std::vector<std::string>& args) {
  CommonFlags common;
  std::string tail = "all";
  LogsRequest request;
  po::options_description desc("logs options");
  desc.add_options()("ref", po::value<std::vector<std::string>>(),
                     "the container: HOST/NAME, or NAME when one host has it")(
      "tail,n", po::value(&tail)->default_value("all"),
      "how many lines from the end of the log to show (a number, or all)")(
      "follow,f", po::bool_switch(&request.follow),
      "go on showing what the container writes, until it stops or Ctrl-C")(
      "timestamps,t", po::bool_switch(&request.timestamps),
      "start each line with the time Docker recorded it (RFC 3339)");
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common, /*with_parallelism=*/false);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("logs", "REF [options]", desc, "ref", args, vm)) return *rc;
  const auto refs =
      vm.count("ref") ? vm["ref"].as<std::vector<std::string>>() : std::vector<std::string>();
  if (refs.size() != 1) {
    std::cerr << "jlrec logs: name one container: HOST/NAME, or NAME when one host has it (see "
                 "jlrec logs --help)\n";
    return 1;
  }
  const auto lines = ParseTail(tail);
  if (!lines) {
    std::cerr << "jlrec logs: --tail takes a number of lines or 'all', not '" << tail << "'\n";
    return 1;
  }
  request.tail = *lines;
  SetupLogging(common);
  auto target = ReachContainer(common, refs.front());
  if (!target) return 1;
  AddOutcome("tail", tail);
  AddOutcome("follow", request.follow ? "yes" : "no");

  // Ctrl-C ends a follow like `docker logs -f`, with the shell's 130; the output written so
  // far is whole.
  StopSignals signals;
  request.interrupted = [] { return StopSignals::Stopped(); };
  const Status st =
      CopyLogs(*target->provider, target->desired, target->ref, request, std::cout, std::cerr);
  if (StopSignals::Stopped()) return StopSignals::ExitCode();
  if (!st.ok()) {
    std::cerr << "jlrec: logs " << target->ref.Text() << ": " << st.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("logs", "print a container's log (docker logs over jlrec's SSH connection)",
                       RunLogs);

}  // namespace jlrec::cli
