// A container's output (its log, an attached exec without a TTY) on jlrec's stdout and
// stderr. It goes through the terminal filter (cli/terminal_output.h) like everything else
// jlrec prints, since a container's output is a host's text: an escape sequence in a log shows
// as `\x1b[2J`, it does not clear the operator's screen. What is harmless and common in logs
// is made to read as the container wrote it instead of as escapes: tabs (stack traces) and
// CR LF line ends.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

#include "cli/container_ref.h"
#include "model/desired_state.h"
#include "model/provider.h"
#include "model/status.h"

namespace jlrec::cli {

/// Writes one of a container's output streams to `os`, piece by piece as it arrives. Not
/// thread-safe.
class ContainerTextWriter {
 public:
  explicit ContainerTextWriter(std::ostream& os) : os_(os) {}

  /// Writes the next bytes and flushes them (a prompt without a newline shows at once): a tab
  /// as the spaces up to the next multiple of 8 columns, CR LF as LF, the rest as it is (for
  /// the filter to escape). A UTF-8 character or a CR LF cut between two pieces is held back
  /// until the next piece completes it, so that neither half shows as an escape.
  void Write(std::string_view bytes);
  /// Writes what is held back (at the end of the output: a cut character stays cut).
  void Finish();

 private:
  std::ostream& os_;
  std::string held_;        // the start of a UTF-8 sequence, or a CR, waiting for the rest
  std::size_t column_ = 0;  // characters since the last line break, for tab stops
};

/// Copies the log of container `ref` from `provider` (its host's) to `out` (the container's
/// stdout) and `err` (its stderr), each through a ContainerTextWriter, as StreamLogs sends it.
/// Returns StreamLogs' status; a container the host does not have is kNotFound with
/// MissingContainerMessage.
Status CopyLogs(Provider& provider, const DesiredState& desired, const ContainerRef& ref,
                const LogsRequest& request, std::ostream& out, std::ostream& err);

}  // namespace jlrec::cli
