// One HTTP/1.1 request whose answer its caller reads as it arrives, for as long as it lasts (a
// logs follow, an attached exec): unlike HttpConnection's exchanges, the answer is never held
// whole, and the connection belongs to this request alone.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "model/status.h"
#include "providers/byte_stream.h"
#include "providers/deadline.h"
#include "providers/http_request.h"
#include "providers/http_response.h"
#include "providers/http_response_parser.h"

namespace jlrec {

/// An answer being read. Read is used by one thread; on a raw stream another thread may use
/// Write and CloseWrite at the same time (ByteStream's one exception).
class HttpStream {
 public:
  /// Sends `request` on `stream` (which it takes) to a server known as `host`, and reads the
  /// answer's status line and headers by `deadline`. With `upgrade` the request asks to switch
  /// protocols (Connection: Upgrade, Upgrade: tcp, as Docker's attach and exec start take
  /// them): a 101 answer, or a 2xx answer with neither Content-Length nor Transfer-Encoding
  /// (Docker's older form of the same), makes the connection a raw stream both ways. A
  /// non-2xx answer is read whole (its first `error_body_bytes` kept in response().body): it
  /// holds the server's explanation. kUnavailable / kTimeout / kCancelled as the stream fails.
  static Result<std::unique_ptr<HttpStream>> Open(std::unique_ptr<ByteStream> stream,
                                                  std::string_view host, HttpRequest request,
                                                  bool upgrade, Deadline deadline,
                                                  std::size_t error_body_bytes);

  /// The answer's status line and headers (and, for a non-2xx answer, its body's start).
  const HttpResponse& response() const { return parser_.response(); }
  /// True when the connection became a raw stream (an upgrade was accepted).
  bool raw() const { return raw_; }

  /// Appends the next bytes of the body to `*out` as soon as some arrive: de-chunked, or the
  /// raw stream's bytes. False (nothing appended) at the end of the body. Waits until
  /// `deadline`; errors as ByteStream::ReadSome, kRemoteError for a malformed body.
  Result<bool> Read(std::string* out, Deadline deadline);
  /// Writes `bytes` to the raw stream (kInternal when the connection is not one).
  Status Write(std::string_view bytes, Deadline deadline);
  /// Closes the raw stream's sending side (the peer reads end of file); kInternal when the
  /// connection is not one.
  Status CloseWrite();

 private:
  explicit HttpStream(std::unique_ptr<ByteStream> stream);
  // Receives once and feeds the parser (body bytes land in decoded_); false at end of stream.
  Result<bool> ReceiveFramed(Deadline deadline);

  std::unique_ptr<ByteStream> stream_;
  std::string decoded_;  // body bytes decoded and not yet handed out (raw: received after head)
  HttpResponseParser parser_;
  bool raw_ = false;
  bool ended_ = false;  // the raw stream reached end of file
  std::array<char, 16 * 1024> buffer_;
};

}  // namespace jlrec
