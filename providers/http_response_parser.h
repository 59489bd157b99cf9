// An incremental HTTP/1.1 response parser (RFC 9112): bytes in as they arrive, one
// response out. Handles Content-Length, chunked bodies (extensions, trailers), bodies
// delimited by connection close, 1xx interim responses and responses without a body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "model/status.h"
#include "providers/http_response.h"

namespace jlrec {

/// Bounds that protect the client's memory from a misbehaving peer.
struct HttpParserLimits {
  std::size_t max_header_bytes = 64 * 1024;             ///< status line + headers (+ trailers)
  std::uint64_t max_body_bytes = 256ull * 1024 * 1024;  ///< decoded body
};

/// Parses exactly one response. Malformed input yields kRemoteError.
class HttpResponseParser {
 public:
  /// Receives body bytes as they are decoded; an error aborts the parse with that status.
  using BodySink = std::function<Status(std::string_view)>;

  /// `head_request`: the request was HEAD, so the response has no body whatever its
  /// headers say. `sink`: where body bytes go (default: HttpResponse::body).
  explicit HttpResponseParser(bool head_request = false, BodySink sink = nullptr,
                              HttpParserLimits limits = {});

  /// The request asked to switch protocols (Upgrade): a 101 answer is then the final one,
  /// complete at the end of its head, and what follows it belongs to the new protocol.
  void ExpectUpgrade() { upgrade_request_ = true; }

  /// Consumes a prefix of `data`; returns how many bytes were used. Fewer than
  /// data.size() only when the response completed: the rest belongs to whatever follows.
  Result<std::size_t> Feed(std::string_view data);

  /// Tells the parser the peer closed the connection: completes a body delimited by
  /// close; any other unfinished response is an error (truncated).
  Status FinishAtEof();

  /// True once a whole response was parsed.
  bool complete() const { return state_ == State::kComplete; }
  /// True once any byte of a response was consumed.
  bool started() const { return started_; }
  /// True once the status line and headers of the final (non-1xx) response are in: its
  /// body, if any, is what follows.
  bool head_complete() const {
    return state_ != State::kStatusLine && state_ != State::kHeaderLine;
  }
  /// The parsed response; call only when complete() (or, for all but the body and
  /// trailers, when head_complete()).
  HttpResponse& response() { return response_; }
  /// The parsed response, read-only (same conditions).
  const HttpResponse& response() const { return response_; }

 private:
  enum class State {
    kStatusLine,
    kHeaderLine,
    kFixedBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailerLine,
    kBodyUntilEof,
    kComplete,
  };

  // Appends bytes of `data` from `*pos` to line_ up to and including '\n'; true when a
  // whole line (without its CRLF) is in line_.
  Result<bool> TakeLine(std::string_view data, std::size_t* pos);
  Status ParseStatusLine();
  Status ParseFieldLine(std::vector<std::pair<std::string, std::string>>* fields);
  Status EndOfHeaders();
  Status ParseChunkSize();
  Status DeliverBody(std::string_view bytes);

  bool head_request_;
  bool upgrade_request_ = false;
  BodySink sink_;
  HttpParserLimits limits_;
  State state_ = State::kStatusLine;
  bool started_ = false;
  std::string line_;
  std::size_t header_bytes_ = 0;
  std::uint64_t remaining_ = 0;  // of the fixed body or current chunk
  std::uint64_t body_bytes_ = 0;
  HttpResponse response_;
};

}  // namespace jlrec
