#include "providers/http_stream.h"

#include <cstdint>
#include <limits>

namespace jlrec {

HttpStream::HttpStream(std::unique_ptr<ByteStream> stream)
    : stream_(std::move(stream)),
      parser_(
          false,
          [this](std::string_view bytes) {
            decoded_.append(bytes);
            return Status::Ok();
          },
          // The body is handed out as it arrives, never held: no limit on its length.
          HttpParserLimits{64 * 1024, std::numeric_limits<std::uint64_t>::max()}) {}

Result<std::unique_ptr<HttpStream>> HttpStream::Open(std::unique_ptr<ByteStream> stream,
                                                     std::string_view host, HttpRequest request,
                                                     bool upgrade, Deadline deadline,
                                                     std::size_t error_body_bytes) {
  if (upgrade) {
    request.headers.emplace_back("Connection", "Upgrade");
    request.headers.emplace_back("Upgrade", "tcp");
  }
  auto wire = SerializeHttpRequest(request, host);
  if (!wire.ok()) return wire.status();
  std::unique_ptr<HttpStream> self(new HttpStream(std::move(stream)));
  if (upgrade) self->parser_.ExpectUpgrade();
  if (Status st = self->stream_->WriteAll(*wire, deadline); !st.ok()) return st;

  while (!self->parser_.head_complete()) {
    auto got = self->stream_->ReadSome(self->buffer_.data(), self->buffer_.size(), deadline);
    if (!got.ok()) return got.status();
    if (*got == 0) {
      if (Status st = self->parser_.FinishAtEof(); !st.ok()) return st;
      return Status::RemoteError("the connection closed before the answer's head ended");
    }
    const std::string_view data(self->buffer_.data(), *got);
    auto used = self->parser_.Feed(data);
    if (!used.ok()) return used.status();
    // Past a 101 the bytes are the new protocol's, not the answer's.
    if (*used < data.size()) self->decoded_.append(data.substr(*used));
  }

  HttpResponse& head = self->parser_.response();
  if (upgrade &&
      (head.status == 101 || (head.success() && head.FindHeader("Content-Length") == nullptr &&
                              head.FindHeader("Transfer-Encoding") == nullptr))) {
    // What the parser took as the start of a body until end of file is the raw stream's.
    self->raw_ = true;
    return self;
  }
  if (!head.success()) {
    // The explanation, kept bounded; the connection is dropped with the stream anyway.
    std::string body;
    for (;;) {
      auto more = self->Read(&body, deadline);
      if (!more.ok()) return more.status();
      if (!*more || body.size() >= error_body_bytes) break;
    }
    head.body = body.substr(0, error_body_bytes);
  }
  return self;
}

Result<bool> HttpStream::ReceiveFramed(Deadline deadline) {
  auto got = stream_->ReadSome(buffer_.data(), buffer_.size(), deadline);
  if (!got.ok()) return got.status();
  if (*got == 0) {
    if (Status st = parser_.FinishAtEof(); !st.ok()) return st;
    return false;
  }
  // Bytes past the end of the answer (a misbehaving server) are dropped: nothing follows it.
  auto used = parser_.Feed(std::string_view(buffer_.data(), *got));
  if (!used.ok()) return used.status();
  return true;
}

Result<bool> HttpStream::Read(std::string* out, Deadline deadline) {
  while (decoded_.empty()) {
    if (raw_) {
      if (ended_) return false;
      auto got = stream_->ReadSome(buffer_.data(), buffer_.size(), deadline);
      if (!got.ok()) return got.status();
      if (*got == 0) {
        ended_ = true;
        return false;
      }
      out->append(buffer_.data(), *got);
      return true;
    }
    if (parser_.complete()) return false;
    auto received = ReceiveFramed(deadline);
    if (!received.ok()) return received.status();
    if (!*received && decoded_.empty()) return false;
  }
  out->append(decoded_);
  decoded_.clear();
  return true;
}

Status HttpStream::Write(std::string_view bytes, Deadline deadline) {
  if (!raw_) return Status::Internal("HttpStream::Write on a connection that was not upgraded");
  return stream_->WriteAll(bytes, deadline);
}

Status HttpStream::CloseWrite() {
  if (!raw_)
    return Status::Internal("HttpStream::CloseWrite on a connection that was not upgraded");
  return stream_->CloseWrite();
}

}  // namespace jlrec
