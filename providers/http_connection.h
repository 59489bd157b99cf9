// One keep-alive HTTP/1.1 client connection over a ByteStream: requests go one after the
// other on the same stream, so a host's Docker API costs one channel, not one per call.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  /// framing error (or a body reader's error) the connection becomes unusable, and so it
  /// does when bytes arrive past the response: nothing was asked that they could answer.
  Result<HttpResponse> Exchange(const HttpRequest& request, const HttpExchangeOptions& options);

  /// Writes every request at once (one WriteAll), then reads the answers in order (HTTP/1.1
  /// pipelining): one round trip for all of them instead of one each. options[i] is
  /// requests[i]'s (its deadline and idle timeout bound its answer as in Exchange, measured
  /// from when this call begins; a body reader's unread rest is drained, wholly when more
  /// answers follow, since they come after it); a HEAD answer has no body. Only for requests
  /// the peer may answer before it has read them all: the answers are read once every
  /// request is written, so requests larger than the transport's buffers would wait for a
  /// peer blocked on its own writes (GET and HEAD are a few hundred bytes each). One result
  /// per request, in order. A body reader's error is that answer's result and the next
  /// answers are still read; any other failure is that answer's result, the rest are
  /// kUnavailable "not answered: ...", and the connection is unusable (batch_answered() and
  /// cut_off() then tell what may be sent again). Nothing is sent when a request cannot be
  /// framed (its result says why, the others' kInvalidArgument) or `requests` and `options`
  /// differ in size (kInvalidArgument for each).
  std::vector<Result<HttpResponse>> ExchangeAll(const std::vector<HttpRequest>& requests,
                                                const std::vector<HttpExchangeOptions>& options);

  /// True if the connection can carry another request.
  bool reusable() const { return reusable_ && stream_->Usable(); }
  /// How many exchanges completed on this connection (a pipelined batch counts each answer
  /// received whole).
  int completed_exchanges() const { return completed_; }
  /// True if the last failed exchange (or batch) saw the stream close before any byte of
  /// its (first) response: the peer had dropped the idle connection, so the request can be
  /// retried on a new one.
  bool closed_before_response() const { return closed_before_response_; }
  /// After ExchangeAll: how many of its answers, from the first, have final results: received
  /// whole (a body reader's error included), or failed by their own fault (malformed, over
  /// the limit). The answers after them were not received, or only in part.
  int batch_answered() const { return batch_answered_; }
  /// True if the last failed exchange or batch was cut off by the connection: it closed or
  /// broke, or its framing was lost to a malformed or oversized answer, rather than a
  /// deadline, an interruption or a request refused before sending. The answers not received
  /// (from batch_answered() on) may then be asked again on a new connection, if they are reads.
  bool cut_off() const { return cut_off_; }

 private:
  // Reads the response to a request (HEAD if `head`), starting with leftover_; bytes past its
  // end stay in leftover_. `more` is true when further answers are expected after it (they
  // are then not unsolicited, and a body reader's rest is drained whole). On a body reader's
  // error, `*reader_failed` is set and the connection stays usable if its rest was drained.
  Result<HttpResponse> ReadResponse(bool head, const HttpExchangeOptions& options, bool more,
                                    bool* reader_failed);

  std::unique_ptr<ByteStream> stream_;
  std::string host_;
  std::string leftover_;  // received past the end of the last response: the next one's start
  bool reusable_ = true;
  bool closed_before_response_ = false;
  bool cut_off_ = false;
  int completed_ = 0;
  int batch_answered_ = 0;
};

}  // namespace jlrec
