// One keep-alive HTTP/1.1 client connection over a ByteStream: requests go one after the
// other on the same stream, so a host's Docker API costs one channel, not one per call.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string_view>

#include "model/status.h"
#include "providers/byte_stream.h"
#include "providers/deadline.h"
#include "providers/http_request.h"
#include "providers/http_response.h"
#include "providers/http_response_parser.h"

namespace jlrec {

/// Reads a response's body as it arrives, for a consumer that pulls (a JSON parser reading a
/// std::istream) and keeps only what it needs: called once the status line and headers are
/// in, with the response so far (its body stays empty unless the reader fills it) and the
/// decoded body, which ends where the body ends. A failure to receive (timeout, broken
/// stream, a body over the limit) shows as the end of `body`, and the exchange then fails
/// with that error whatever the reader returns. Must not throw.
using HttpBodyReader = std::function<Status(HttpResponse& response, std::istream& body)>;

/// How long one exchange may take and where its body goes.
struct HttpExchangeOptions {
  Deadline deadline;  ///< the whole exchange must finish by then
  /// For long streamed answers (image pulls): when set, the deadline is instead "this long
  /// without a received byte".
  std::optional<std::chrono::milliseconds> idle_timeout;
  /// The largest decoded body accepted: past it the exchange fails (kRemoteError "the answer
  /// is larger than ...") before more of the body is received.
  std::uint64_t max_body_bytes = HttpParserLimits{}.max_body_bytes;
  HttpResponseParser::BodySink body_sink;  ///< default: HttpResponse::body
  /// Pulls the body instead of body_sink or HttpResponse::body. What it leaves unread is
  /// received and dropped when that is little (so the connection carries the next request);
  /// a longer rest closes the connection instead.
  HttpBodyReader body_reader;
};

/// A client connection; not thread-safe (one exchange at a time).
class HttpConnection {
 public:
  /// Takes ownership of `stream`; `host` is sent as the Host header.
  HttpConnection(std::unique_ptr<ByteStream> stream, std::string host);

  /// Sends `request` and reads its whole response. On kTimeout or any transport or
  /// framing error (or a body reader's error) the connection becomes unusable.
  Result<HttpResponse> Exchange(const HttpRequest& request, const HttpExchangeOptions& options);

  /// True if the connection can carry another request.
  bool reusable() const { return reusable_ && stream_->Usable(); }
  /// How many exchanges completed on this connection.
  int completed_exchanges() const { return completed_; }
  /// True if the last failed exchange saw the stream close before any response byte:
  /// the peer had dropped the idle connection, so the request can be retried on a new one.
  bool closed_before_response() const { return closed_before_response_; }

 private:
  std::unique_ptr<ByteStream> stream_;
  std::string host_;
  bool reusable_ = true;
  bool closed_before_response_ = false;
  int completed_ = 0;
};

}  // namespace jlrec
