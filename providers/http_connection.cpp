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

namespace {

// When an exchange's first write must be done: its deadline, or its idle timeout from now.
Deadline WriteDeadline(const HttpExchangeOptions& options) {
  return options.idle_timeout ? DeadlineClock::now() + *options.idle_timeout : options.deadline;
}

}  // namespace

Result<HttpResponse> HttpConnection::Exchange(const HttpRequest& request,
                                              const HttpExchangeOptions& options) {
  closed_before_response_ = false;
  cut_off_ = false;
  if (!reusable()) return Status::Internal("HTTP connection reused after it became unusable");
  auto wire = SerializeHttpRequest(request, host_);
  if (!wire.ok()) return wire.status();

  // Until the exchange completes, a failure leaves the stream mid-message.
  reusable_ = false;
  Status written = stream_->WriteAll(*wire, WriteDeadline(options));
  if (!written.ok()) {
    closed_before_response_ = cut_off_ = written.code() == Status::Code::kUnavailable;
    return written;
  }
  bool reader_failed = false;
  auto response = ReadResponse(request.method == "HEAD", options, /*more=*/false, &reader_failed);
  if (!response.ok()) reusable_ = false;
  return response;
}

std::vector<Result<HttpResponse>> HttpConnection::ExchangeAll(
    const std::vector<HttpRequest>& requests, const std::vector<HttpExchangeOptions>& options) {
  closed_before_response_ = false;
  cut_off_ = false;
  batch_answered_ = 0;
  const std::size_t n = requests.size();
  std::vector<Result<HttpResponse>> results;
  results.reserve(n);
  auto fail_rest = [&results, n](const Status& why) {
    while (results.size() < n) results.emplace_back(why);
  };
  if (options.size() != n) {
    fail_rest(Status::InvalidArgument("a pipelined batch of " + std::to_string(n) +
                                      " requests came with " + std::to_string(options.size()) +
                                      " sets of options"));
    return results;
  }
  if (n == 0) return results;
  if (!reusable()) {
    fail_rest(Status::Internal("HTTP connection reused after it became unusable"));
    return results;
  }
  std::string wire;
  Deadline write_deadline = Deadline::max();
  for (std::size_t i = 0; i < n; ++i) {
    auto one = SerializeHttpRequest(requests[i], host_);
    if (!one.ok()) {
      for (std::size_t j = 0; j < n; ++j)
        results.emplace_back(
            j == i ? one.status()
                   : Status::InvalidArgument("not sent: request " + std::to_string(i + 1) +
                                             " of its pipelined batch cannot be framed"));
      return results;
    }
    wire += *one;
    write_deadline = std::min(write_deadline, WriteDeadline(options[i]));
  }

  reusable_ = false;
  Status written = stream_->WriteAll(wire, write_deadline);
  if (!written.ok()) {
    closed_before_response_ = cut_off_ = written.code() == Status::Code::kUnavailable;
    results.emplace_back(written);
    fail_rest(Status::Unavailable("not answered: " + written.message()));
    return results;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const bool more = i + 1 < n;
    bool reader_failed = false;
    auto response = ReadResponse(requests[i].method == "HEAD", options[i], more, &reader_failed);
    if (i > 0) closed_before_response_ = false;  // only the batch's first answer tells that
    const bool failed = !response.ok();
    const Status::Code code = failed ? response.status().code() : Status::Code::kOk;
    results.push_back(std::move(response));
    if (reusable_ || !more) continue;  // the next answer can be read (or there is none)
    // The connection cannot carry the rest. This answer's result is final unless the stream
    // broke or a deadline passed before it was whole.
    std::string why = "the connection could not carry more after answer " + std::to_string(i + 1);
    if (!failed || reader_failed) {
      batch_answered_ = static_cast<int>(i) + 1;
    } else if (code == Status::Code::kTimeout || code == Status::Code::kCancelled || cut_off_) {
      batch_answered_ = static_cast<int>(i);
      why = results.back().status().message();
    } else {
      // Malformed or oversized: the framing is lost, the answers after it are cut off.
      batch_answered_ = static_cast<int>(i) + 1;
      cut_off_ = true;
      why = results.back().status().message();
    }
    fail_rest(Status::Unavailable("not answered: " + why));
    return results;
  }
  // Only the last answer can have ended the batch here; like any single failure, it is then
  // not final if the stream broke or a deadline passed (cut_off_ says which).
  batch_answered_ = static_cast<int>(n);
  if (!results.back().ok()) {
    const Status::Code code = results.back().status().code();
    if (cut_off_ || code == Status::Code::kTimeout || code == Status::Code::kCancelled)
      batch_answered_ = static_cast<int>(n) - 1;
    reusable_ = false;
  }
  return results;
}

Result<HttpResponse> HttpConnection::ReadResponse(bool head, const HttpExchangeOptions& options,
                                                  bool more, bool* reader_failed) {
  *reader_failed = false;
  reusable_ = false;  // until the response is whole
  auto deadline = [&options, last_progress = DeadlineClock::now()](bool progressed) mutable {
    if (!options.idle_timeout) return options.deadline;
    if (progressed) last_progress = DeadlineClock::now();
    return last_progress + *options.idle_timeout;
  };

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
  HttpResponseParser parser(head, std::move(sink), limits);
  std::array<char, 16 * 1024> buffer;
  Deadline current = deadline(true);
  // Feeds `data` to the parser; what follows the end of the response is the next one's start.
  auto feed = [&](std::string_view data) -> Status {
    auto used = parser.Feed(data);
    if (!used.ok()) return used.status();
    if (*used != data.size()) leftover_.append(data.substr(*used));
    return Status::Ok();
  };
  // Gives the parser what was received past the last response, else receives once.
  auto receive = [&]() -> Status {
    if (!leftover_.empty()) {
      std::string pending = std::move(leftover_);
      leftover_.clear();
      return feed(pending);
    }
    auto got = stream_->ReadSome(buffer.data(), buffer.size(), current);
    if (!got.ok()) {
      cut_off_ = got.status().code() == Status::Code::kUnavailable;
      closed_before_response_ = !parser.started() && cut_off_;
      return got.status();
    }
    if (*got == 0) {
      Status eof = parser.FinishAtEof();
      if (!eof.ok()) {
        closed_before_response_ = !parser.started();
        cut_off_ = true;
      }
      return eof;
    }
    Status fed = feed(std::string_view(buffer.data(), *got));
    if (!fed.ok()) return fed;
    current = deadline(true);
    return Status::Ok();
  };

  while (!parser.complete() && !(pulled && parser.head_complete())) {
    Status received = receive();
    if (!received.ok()) return received;
  }
  bool drained = true;
  Status read;
  if (pulled) {
    PulledBody body(decoded, receive, [&parser] { return parser.complete(); });
    std::istream in(&body);
    read = options.body_reader(parser.response(), in);
    if (!body.error().ok()) return body.error();
    // The rest of the body is dropped to reach the next answer: all of it when one is
    // expected (it comes after), else a little, to keep the connection for later.
    if (read.ok() || more) {
      std::size_t dropped = 0;
      while (!parser.complete() && (more || dropped <= kMaxDrainBytes)) {
        dropped += decoded.size();
        decoded.clear();
        if (!receive().ok()) break;  // the answer is whole for the reader: only reuse is lost
      }
    }
    drained = parser.complete();
  }
  // Bytes past the end with nothing more asked are unsolicited: the framing is lost.
  const bool unsolicited = !more && !leftover_.empty();
  reusable_ = !unsolicited && drained && parser.response().keep_alive;
  // A peer that closes after this answer cuts off those that were to follow it.
  if (more && !parser.response().keep_alive) cut_off_ = true;
  if (!read.ok()) {
    *reader_failed = true;
    return read;
  }
  ++completed_;
  return std::move(parser.response());
}

}  // namespace jlrec
