#include "providers/http_connection.h"

#include <array>
#include <streambuf>
#include <string>

namespace jlrec {

namespace {

// A body reader's unread rest is received and dropped up to this much, to keep the
// connection for the next request; past it, closing the connection costs less than reading.
constexpr std::size_t kMaxDrainBytes = 64 * 1024;

// The decoded body as a std::streambuf for a body reader: a refill receives once more from
// the connection (the parser appends what it decodes to `decoded`), so no more than one
// read's worth of the body is held at a time.
class PulledBody : public std::streambuf {
 public:
  PulledBody(std::string& decoded, std::function<Status()> receive, std::function<bool()> ended)
      : decoded_(decoded), receive_(std::move(receive)), ended_(std::move(ended)) {}

  // Why the body ended early; ok if it did not.
  const Status& error() const { return error_; }

 protected:
  int_type underflow() override {
    if (eback() != nullptr) decoded_.clear();  // every byte of the last refill was read
    while (decoded_.empty()) {
      if (!error_.ok() || ended_()) return traits_type::eof();
      error_ = receive_();
    }
    setg(decoded_.data(), decoded_.data(), decoded_.data() + decoded_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string& decoded_;
  std::function<Status()> receive_;
  std::function<bool()> ended_;
  Status error_;
};

}  // namespace

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

  const bool pulled = static_cast<bool>(options.body_reader);
  std::string decoded;  // for a body reader: decoded body bytes it has not read yet
  HttpResponseParser::BodySink sink = options.body_sink;
  if (pulled)
    sink = [&decoded](std::string_view bytes) {
      decoded.append(bytes);
      return Status::Ok();
    };
  HttpParserLimits limits;
  limits.max_body_bytes = options.max_body_bytes;
  HttpResponseParser parser(request.method == "HEAD", std::move(sink), limits);
  std::array<char, 16 * 1024> buffer;
  Deadline current = deadline(true);
  bool unsolicited = false;
  // Receives once from the stream into the parser.
  auto receive = [&]() -> Status {
    auto got = stream_->ReadSome(buffer.data(), buffer.size(), current);
    if (!got.ok()) {
      closed_before_response_ =
          !parser.started() && got.status().code() == Status::Code::kUnavailable;
      return got.status();
    }
    if (*got == 0) {
      Status eof = parser.FinishAtEof();
      if (!eof.ok()) closed_before_response_ = !parser.started();
      return eof;
    }
    std::string_view data(buffer.data(), *got);
    auto used = parser.Feed(data);
    if (!used.ok()) return used.status();
    // Bytes past the end of the response are unsolicited: Docker never pipelines, so the
    // stream's framing can no longer be trusted.
    if (*used != data.size()) unsolicited = true;
    current = deadline(true);
    return Status::Ok();
  };

  while (!parser.complete() && !(pulled && parser.head_complete())) {
    Status received = receive();
    if (!received.ok()) return received;
  }
  bool drained = true;
  if (pulled) {
    PulledBody body(decoded, receive, [&parser] { return parser.complete(); });
    std::istream in(&body);
    Status read = options.body_reader(parser.response(), in);
    if (!body.error().ok()) return body.error();
    if (!read.ok()) return read;
    std::size_t dropped = 0;
    while (!parser.complete() && dropped <= kMaxDrainBytes) {
      dropped += decoded.size();
      decoded.clear();
      if (!receive().ok()) break;  // the answer is whole for the reader: only reuse is lost
    }
    drained = parser.complete();
  }
  ++completed_;
  reusable_ = !unsolicited && drained && parser.response().keep_alive;
  return std::move(parser.response());
}

}  // namespace jlrec
