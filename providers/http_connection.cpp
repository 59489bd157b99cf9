#include "providers/http_connection.h"

#include <array>

namespace jlrec {

HttpConnection::HttpConnection(std::unique_ptr<ByteStream> stream, std::string host)
    : stream_(std::move(stream)), host_(std::move(host)) {}

Result<HttpResponse> HttpConnection::Exchange(const HttpRequest& request,
                                              const HttpExchangeOptions& options) {
  closed_before_response_ = false;
  if (!reusable()) return Status::Internal("HTTP connection reused after it became unusable");
  auto wire = SerializeHttpRequest(request, host_);
  if (!wire.ok()) return wire.status();

  // Until the exchange completes, a failure leaves the stream mid-message.
  reusable_ = false;
  auto deadline = [&options, last_progress = DeadlineClock::now()](bool progressed) mutable {
    if (!options.idle_timeout) return options.deadline;
    if (progressed) last_progress = DeadlineClock::now();
    return last_progress + *options.idle_timeout;
  };

  Status written = stream_->WriteAll(*wire, deadline(false));
  if (!written.ok()) {
    closed_before_response_ = written.code() == Status::Code::kUnavailable;
    return written;
  }

  HttpResponseParser parser(request.method == "HEAD", options.body_sink);
  std::array<char, 16 * 1024> buffer;
  Deadline current = deadline(true);
  while (!parser.complete()) {
    auto got = stream_->ReadSome(buffer.data(), buffer.size(), current);
    if (!got.ok()) {
      closed_before_response_ =
          !parser.started() && got.status().code() == Status::Code::kUnavailable;
      return got.status();
    }
    if (*got == 0) {
      Status eof = parser.FinishAtEof();
      if (!eof.ok()) {
        closed_before_response_ = !parser.started();
        return eof;
      }
      break;
    }
    std::string_view data(buffer.data(), *got);
    auto used = parser.Feed(data);
    if (!used.ok()) return used.status();
    // Bytes past the end of the response are unsolicited: Docker never pipelines, so the
    // stream's framing can no longer be trusted.
    if (*used != data.size()) {
      ++completed_;
      return std::move(parser.response());
    }
    current = deadline(true);
  }
  ++completed_;
  reusable_ = parser.response().keep_alive;
  return std::move(parser.response());
}

}  // namespace jlrec
