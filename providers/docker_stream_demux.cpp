#include "providers/docker_stream_demux.h"

#include <algorithm>

namespace jlrec {

namespace {

// How much of a daemon error frame is kept for the message.
constexpr std::size_t kErrorTextBytes = 1024;

}  // namespace

DockerStreamDemuxer::DockerStreamDemuxer(OutputSink sink, std::string what)
    : sink_(std::move(sink)), what_(std::move(what)) {}

Status DockerStreamDemuxer::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (header_bytes_ < header_.size()) {
      const std::size_t n = std::min(header_.size() - header_bytes_, bytes.size());
      std::copy_n(bytes.begin(), n, header_.begin() + static_cast<std::ptrdiff_t>(header_bytes_));
      header_bytes_ += n;
      bytes.remove_prefix(n);
      if (header_bytes_ < header_.size()) break;
      const unsigned char type = header_[0];
      if (type > 3)
        return Status::RemoteError(what_ + ": not Docker's multiplexed stream (frame type " +
                                   std::to_string(type) + ")");
      stream_ = type == 2 ? OutputStream::kStderr : OutputStream::kStdout;
      error_frame_ = type == 3;
      payload_left_ = static_cast<std::uint32_t>(header_[4]) << 24 |
                      static_cast<std::uint32_t>(header_[5]) << 16 |
                      static_cast<std::uint32_t>(header_[6]) << 8 | header_[7];
    }
    const std::size_t n = std::min<std::size_t>(payload_left_, bytes.size());
    if (n > 0) {
      if (error_frame_) {
        error_text_.append(bytes.substr(
            0, std::min(n, kErrorTextBytes - std::min(kErrorTextBytes, error_text_.size()))));
      } else if (Status st = sink_(stream_, bytes.substr(0, n)); !st.ok()) {
        return st;
      }
      payload_left_ -= static_cast<std::uint32_t>(n);
      bytes.remove_prefix(n);
    }
    if (payload_left_ == 0) {
      header_bytes_ = 0;
      if (error_frame_) {
        while (!error_text_.empty() && (error_text_.back() == '\n' || error_text_.back() == '\r'))
          error_text_.pop_back();
        return Status::RemoteError(what_ + ": the daemon reported: " + error_text_);
      }
    }
  }
  return Status::Ok();
}

Status DockerStreamDemuxer::Finish() const {
  if (header_bytes_ == 0) return Status::Ok();
  return Status::RemoteError(what_ + ": the stream ended inside a frame (" +
                             (header_bytes_ < header_.size()
                                  ? std::to_string(header_bytes_) + " of 8 header bytes"
                                  : std::to_string(payload_left_) + " payload bytes missing") +
                             ")");
}

}  // namespace jlrec
