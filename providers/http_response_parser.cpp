#include "providers/http_response_parser.h"

#include <algorithm>
#include <cctype>

namespace jlrec {

namespace {

Status Malformed(const std::string& what) {
  return Status::RemoteError("malformed HTTP response: " + what);
}

// A well-formed answer that is larger than the caller accepts (not malformed: its framing
// is sound, there is just too much of it).
Status TooLarge(std::uint64_t limit, const std::string& detail) {
  std::string size = std::to_string(limit) + " bytes";
  if (limit % (1024 * 1024) == 0)
    size = std::to_string(limit / (1024 * 1024)) + " MiB";
  else if (limit % 1024 == 0)
    size = std::to_string(limit / 1024) + " KiB";
  return Status::RemoteError("the answer is larger than the " + size + " accepted for it" + detail);
}

bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `fn` on each element of a comma-separated header list, trimmed, skipping empties.
template <typename Fn>
void ForEachListElement(std::string_view value, Fn fn) {
  while (!value.empty()) {
    auto comma = value.find(',');
    auto element = TrimOws(value.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

// Parses a non-empty run of decimal digits without overflow.
bool ParseDecimal(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

const std::string* HttpResponse::FindHeader(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (EqualsIgnoreCase(key, name)) return &value;
  return nullptr;
}

HttpResponseParser::HttpResponseParser(bool head_request, BodySink sink, HttpParserLimits limits)
    : head_request_(head_request), sink_(std::move(sink)), limits_(limits) {}

Result<bool> HttpResponseParser::TakeLine(std::string_view data, std::size_t* pos) {
  auto newline = data.find('\n', *pos);
  std::size_t end = newline == std::string_view::npos ? data.size() : newline + 1;
  std::size_t n = end - *pos;
  header_bytes_ += n;
  if (header_bytes_ > limits_.max_header_bytes)
    return Malformed("header section longer than " + std::to_string(limits_.max_header_bytes) +
                     " bytes");
  line_.append(data.substr(*pos, n));
  *pos = end;
  if (newline == std::string_view::npos) return false;
  line_.pop_back();  // '\n'
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

Status HttpResponseParser::ParseStatusLine() {
  // HTTP-version SP status-code SP [reason-phrase]; tolerate a missing SP before an empty
  // reason, as many servers send "HTTP/1.1 200" bare.
  std::string_view line = line_;
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ' ||
      (line[7] != '0' && line[7] != '1'))
    return Malformed("bad status line '" + line_.substr(0, 80) + "'");
  response_.version_minor = line[7] - '0';
  std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return Malformed("bad status code in '" + line_.substr(0, 80) + "'");
  response_.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (response_.status < 100) return Malformed("status code " + std::string(code));
  if (line.size() > 12) {
    if (line[12] != ' ') return Malformed("bad status line '" + line_.substr(0, 80) + "'");
    response_.reason = std::string(line.substr(13));
  }
  return Status::Ok();
}

Status HttpResponseParser::ParseFieldLine(
    std::vector<std::pair<std::string, std::string>>* fields) {
  // obs-fold (a continuation line) is deprecated; rejecting it is allowed (RFC 9112 5.2).
  if (line_[0] == ' ' || line_[0] == '\t') return Malformed("folded header line");
  auto colon = line_.find(':');
  if (colon == std::string::npos || colon == 0) {
    return Malformed("header line without a name: '" + line_.substr(0, 80) + "'");
  }
  std::string_view name(line_.data(), colon);
  if (!std::all_of(name.begin(), name.end(), IsTokenChar))
    return Malformed("bad header name '" + std::string(name.substr(0, 80)) + "'");
  auto value = TrimOws(std::string_view(line_).substr(colon + 1));
  fields->emplace_back(std::string(name), std::string(value));
  return Status::Ok();
}

Status HttpResponseParser::EndOfHeaders() {
  const int status = response_.status;
  if (status >= 100 && status < 200) {
    if (status == 101) {
      if (!upgrade_request_) return Malformed("unexpected 101 Switching Protocols");
      response_.keep_alive = false;  // the connection now speaks the upgraded protocol
      state_ = State::kComplete;
      return Status::Ok();
    }
    // Interim response (100 Continue, 103 Early Hints): the real one follows.
    response_ = HttpResponse();
    header_bytes_ = 0;
    state_ = State::kStatusLine;
    return Status::Ok();
  }

  bool close = false, keep_alive_token = false;
  bool has_transfer_encoding = false, chunked = false;
  bool has_length = false;
  std::uint64_t length = 0;
  for (const auto& [name, value] : response_.headers) {
    if (EqualsIgnoreCase(name, "Connection")) {
      ForEachListElement(value, [&](std::string_view token) {
        if (EqualsIgnoreCase(token, "close")) close = true;
        if (EqualsIgnoreCase(token, "keep-alive")) keep_alive_token = true;
      });
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      has_transfer_encoding = true;
      // Only the last coding decides the framing: it must be chunked for the message to
      // be self-delimiting.
      ForEachListElement(
          value, [&](std::string_view coding) { chunked = EqualsIgnoreCase(coding, "chunked"); });
    } else if (EqualsIgnoreCase(name, "Content-Length")) {
      Status bad;
      ForEachListElement(value, [&](std::string_view element) {
        std::uint64_t v = 0;
        if (!ParseDecimal(element, &v)) {
          bad = Malformed("bad Content-Length '" + std::string(element.substr(0, 40)) + "'");
        } else if (has_length && v != length) {
          bad = Malformed("conflicting Content-Length values");
        } else {
          has_length = true;
          length = v;
        }
      });
      if (!bad.ok()) return bad;
    }
  }
  response_.keep_alive = response_.version_minor >= 1 ? !close : (keep_alive_token && !close);

  if (head_request_ || status == 204 || status == 304) {
    state_ = State::kComplete;
    return Status::Ok();
  }
  if (has_transfer_encoding) {
    // Transfer-Encoding overrides Content-Length; a message carrying both is a smuggling
    // hint, so the connection is not reused (RFC 9112 6.3).
    if (has_length) response_.keep_alive = false;
    if (chunked) {
      state_ = State::kChunkSize;
    } else {
      response_.keep_alive = false;
      state_ = State::kBodyUntilEof;
    }
    return Status::Ok();
  }
  if (has_length) {
    if (length > limits_.max_body_bytes)
      return TooLarge(limits_.max_body_bytes, " (Content-Length " + std::to_string(length) + ")");
    remaining_ = length;
    state_ = length == 0 ? State::kComplete : State::kFixedBody;
    return Status::Ok();
  }
  response_.keep_alive = false;
  state_ = State::kBodyUntilEof;
  return Status::Ok();
}

Status HttpResponseParser::ParseChunkSize() {
  // chunk-size [ chunk-ext ] where chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ).
  // Extensions carry nothing Docker uses, so they are skipped.
  std::string_view line = line_;
  std::size_t digits = 0;
  std::uint64_t size = 0;
  while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits]))) {
    if (digits == 15) return Malformed("chunk size too large");
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(line[digits])));
    size = size * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    ++digits;
  }
  if (digits == 0) return Malformed("bad chunk size line '" + line_.substr(0, 40) + "'");
  auto rest = TrimOws(line.substr(digits));
  if (!rest.empty() && rest[0] != ';')
    return Malformed("bad chunk size line '" + line_.substr(0, 40) + "'");
  if (size == 0) {
    header_bytes_ = 0;  // trailers get their own header budget
    state_ = State::kTrailerLine;
  } else {
    remaining_ = size;
    state_ = State::kChunkData;
  }
  return Status::Ok();
}

Status HttpResponseParser::DeliverBody(std::string_view bytes) {
  body_bytes_ += bytes.size();
  if (body_bytes_ > limits_.max_body_bytes) return TooLarge(limits_.max_body_bytes, "");
  if (sink_) return sink_(bytes);
  response_.body.append(bytes);
  return Status::Ok();
}

Result<std::size_t> HttpResponseParser::Feed(std::string_view data) {
  std::size_t pos = 0;
  if (!data.empty() && state_ != State::kComplete) started_ = true;
  while (pos < data.size() && state_ != State::kComplete) {
    switch (state_) {
      case State::kStatusLine:
      case State::kHeaderLine:
      case State::kChunkSize:
      case State::kChunkDataEnd:
      case State::kTrailerLine: {
        auto got = TakeLine(data, &pos);
        if (!got.ok()) return got.status();
        if (!*got) break;
        Status st;
        if (state_ == State::kStatusLine) {
          st = ParseStatusLine();
          if (st.ok()) state_ = State::kHeaderLine;
        } else if (state_ == State::kHeaderLine) {
          st = line_.empty() ? EndOfHeaders() : ParseFieldLine(&response_.headers);
        } else if (state_ == State::kChunkSize) {
          st = ParseChunkSize();
        } else if (state_ == State::kChunkDataEnd) {
          if (!line_.empty()) st = Malformed("chunk data longer than its size");
          state_ = State::kChunkSize;
        } else {
          if (line_.empty()) {
            state_ = State::kComplete;
          } else {
            st = ParseFieldLine(&response_.trailers);
          }
        }
        line_.clear();
        if (!st.ok()) return st;
        break;
      }
      case State::kFixedBody:
      case State::kChunkData: {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - pos));
        Status st = DeliverBody(data.substr(pos, n));
        if (!st.ok()) return st;
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0)
          state_ = state_ == State::kFixedBody ? State::kComplete : State::kChunkDataEnd;
        break;
      }
      case State::kBodyUntilEof: {
        Status st = DeliverBody(data.substr(pos));
        if (!st.ok()) return st;
        pos = data.size();
        break;
      }
      case State::kComplete:
        break;
    }
  }
  return pos;
}

Status HttpResponseParser::FinishAtEof() {
  if (state_ == State::kComplete) return Status::Ok();
  if (state_ == State::kBodyUntilEof) {
    state_ = State::kComplete;
    return Status::Ok();
  }
  if (!started_) return Status::Unavailable("connection closed before a response arrived");
  return Malformed("connection closed in the middle of the response");
}

}  // namespace jlrec
