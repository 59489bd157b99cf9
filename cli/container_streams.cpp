#include "cli/container_streams.h"

namespace jlrec::cli {

namespace {

constexpr std::size_t kTabStop = 8;

// How many bytes the UTF-8 sequence led by `lead` has (1 for ASCII and for a byte that leads
// none, which the filter then escapes alone).
std::size_t Utf8Length(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 1;
}

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

void ContainerTextWriter::Write(std::string_view bytes) {
  std::string data = std::move(held_);
  held_.clear();
  data.append(bytes);
  std::string out;
  out.reserve(data.size());
  for (std::size_t i = 0; i < data.size();) {
    const char c = data[i];
    if (c == '\t') {
      const std::size_t spaces = kTabStop - column_ % kTabStop;
      out.append(spaces, ' ');
      column_ += spaces;
      ++i;
    } else if (c == '\r') {
      if (i + 1 == data.size()) {  // its LF may come with the next piece
        held_ = "\r";
        break;
      }
      if (data[i + 1] != '\n') {  // a lone CR (a progress bar): the filter shows it
        out += c;
        ++column_;
      }
      ++i;
    } else if (c == '\n') {
      out += c;
      column_ = 0;
      ++i;
    } else {
      const std::size_t length = Utf8Length(static_cast<unsigned char>(c));
      std::size_t have = 1;
      while (have < length && i + have < data.size() && IsContinuation(data[i + have])) ++have;
      if (have < length && i + have == data.size()) {  // cut by the end of this piece
        held_ = data.substr(i);
        break;
      }
      out.append(data, i, have);  // whole, or broken (the filter escapes it)
      ++column_;
      i += have;
    }
  }
  os_ << out;
  os_.flush();
}

void ContainerTextWriter::Finish() {
  if (held_.empty()) return;
  os_ << held_;
  held_.clear();
  os_.flush();
}

Status CopyLogs(Provider& provider, const DesiredState& desired, const ContainerRef& ref,
                const LogsRequest& request, std::ostream& out, std::ostream& err) {
  ContainerTextWriter stdout_writer(out);
  ContainerTextWriter stderr_writer(err);
  Status st =
      provider.StreamLogs(ref.container, request, [&](OutputStream stream, std::string_view bytes) {
        (stream == OutputStream::kStderr ? stderr_writer : stdout_writer).Write(bytes);
        return Status::Ok();
      });
  stdout_writer.Finish();
  stderr_writer.Finish();
  if (st.code() == Status::Code::kNotFound)
    return Status::NotFound(MissingContainerMessage(desired, ref));
  return st;
}

}  // namespace jlrec::cli
