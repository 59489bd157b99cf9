// Where the CLI's text meets the terminal. Every byte jlrec writes to stdout and stderr, from
// every command (plans, apply progress, drift, history, show, errors, warnings and the log),
// passes one filter installed by main(): what a host or the state file says (a container's
// name or labels, a Docker error body, an SSH error, a journal entry, a lock holder) is shown
// as visible escapes, never acted on by the terminal. Nothing is escaped at the call sites.
#pragma once

#include <spdlog/sinks/sink.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

namespace jlrec::cli {

/// Puts the terminal filter between std::cout, std::cerr (and std::clog) and their streams
/// for the life of this object; main() holds one around every command. Each line is
/// escaped with Printable (model/terminal_text.h) when it ends (or is flushed), so a
/// sequence split across writes is seen whole. A '\n' stays a line break: the filter cannot
/// tell a line jlrec meant from a newline inside a host's text, but the worst such a line
/// can do is add a line; it cannot move the cursor, clear the screen or rewrite what jlrec
/// printed. On destruction the pending text is written and the streams are put back.
class TerminalOutput {
 public:
  TerminalOutput();
  ~TerminalOutput();
  TerminalOutput(const TerminalOutput&) = delete;
  TerminalOutput& operator=(const TerminalOutput&) = delete;

 private:
  struct Filters;
  std::unique_ptr<Filters> filters_;
};

/// An ANSI style of jlrec's own (a colour, a reset): written past the filter, as it is. Only
/// ever one of our literals: never make one from text that came from elsewhere.
struct Style {
  const char* code = "";
};
/// Writes `style` unescaped (to a filtered stream past its filter; to any other as it is).
std::ostream& operator<<(std::ostream& os, Style style);

/// Writes `text` to `os` past the filter, byte for byte: only for output made wholly of the
/// operator's own files and meant to be saved as it is (`validate --script`'s rendered
/// script, `import-legacy`'s manifest), never for text from a host or the state file.
void WriteVerbatim(std::ostream& os, std::string_view text);

/// `doc` as JSON for stdout or a pipe: indented by `indent` (-1: one line), every non-ASCII
/// character as a \u escape and bytes that are not UTF-8 as U+FFFD, so the text is plain
/// printable ASCII (the filter leaves it as it is) and a host's invalid UTF-8 cannot make
/// the writer throw.
std::string JsonText(const nlohmann::json& doc, int indent = 2);

/// `sink` behind a sink that escapes each message with Printable before it is formatted: a
/// log line never carries a host's control characters (spdlog's console sink writes to the
/// C stderr, past TerminalOutput). The level is the wrapper's; the inner sink logs all.
std::shared_ptr<spdlog::sinks::sink> PrintableSink(std::shared_ptr<spdlog::sinks::sink> sink);

}  // namespace jlrec::cli
