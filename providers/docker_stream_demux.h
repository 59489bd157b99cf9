// Docker's multiplexed stream: how the daemon sends stdout and stderr on one connection (the
// logs and attached execs of containers without a TTY). Each frame is an 8-byte header
// (stream type: 0 stdin, 1 stdout, 2 stderr, 3 a daemon error; three zero bytes; payload
// length as a big-endian uint32) followed by that many payload bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/provider.h"
#include "model/status.h"

namespace jlrec {

/// Splits a multiplexed stream fed as it arrives, frames cut anywhere (a header across two
/// reads, a payload across many). Payloads are passed on as they come, never collected, so a
/// frame of any length costs no memory. Not thread-safe.
class DockerStreamDemuxer {
 public:
  /// `what` names the stream in errors ("lab1: logs of web").
  DockerStreamDemuxer(OutputSink sink, std::string what);

  /// Takes the next bytes of the stream: stdout payloads (and stdin's, which Docker echoes
  /// only as output) go to the sink as kStdout, stderr payloads as kStderr. A daemon error
  /// frame (type 3) ends the stream: kRemoteError with its text. A header of another type is
  /// kRemoteError (not a multiplexed stream). The sink's error is returned as it is.
  Status Feed(std::string_view bytes);

  /// At the end of the stream: kRemoteError when it ended inside a frame (cut off).
  Status Finish() const;

 private:
  OutputSink sink_;
  std::string what_;
  std::array<unsigned char, 8> header_{};
  std::size_t header_bytes_ = 0;  // of header_ received; 8 while a payload is being read
  std::uint32_t payload_left_ = 0;
  OutputStream stream_ = OutputStream::kStdout;
  bool error_frame_ = false;  // the payload is a daemon error: collected (bounded), not passed on
  std::string error_text_;
};

}  // namespace jlrec
