#include "providers/fake_streams.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace jlrec::testing {

Status ScriptedStream::WriteAll(std::string_view data, Deadline) {
  if (script_->fail_writes) {
    ended_ = true;
    return Status::Unavailable("scripted write failure");
  }
  script_->written.append(data);
  return Status::Ok();
}

Status ScriptedStream::CloseWrite() {
  script_->write_closed = true;
  return Status::Ok();
}

Result<std::size_t> ScriptedStream::ReadSome(char* buffer, std::size_t capacity, Deadline) {
  if (script_->chunks.empty()) {
    ended_ = true;
    if (script_->eof_at_end) return std::size_t{0};
    return Status::Timeout("scripted stream has nothing more");
  }
  std::string& chunk = script_->chunks.front();
  std::size_t n = std::min(capacity, chunk.size());
  std::memcpy(buffer, chunk.data(), n);
  chunk.erase(0, n);
  if (chunk.empty()) script_->chunks.pop_front();
  return n;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<FakeRequest> TakeFakeRequest(std::string& pending) {
  auto end = pending.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  FakeRequest request;
  std::string head = pending.substr(0, end);
  std::size_t line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  auto sp1 = request_line.find(' ');
  auto sp2 = request_line.rfind(' ');
  request.method = request_line.substr(0, sp1);
  std::string target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto question = target.find('?');
  request.path = PercentDecode(target.substr(0, question));
  if (question != std::string::npos) {
    std::string query = target.substr(question + 1);
    std::size_t at = 0;
    while (at <= query.size()) {
      auto amp = query.find('&', at);
      std::string pair = query.substr(at, amp - at);
      auto eq = pair.find('=');
      request.query[PercentDecode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1));
      if (amp == std::string::npos) break;
      at = amp + 1;
    }
  }
  std::size_t at = line_end == std::string::npos ? head.size() : line_end + 2;
  while (at < head.size()) {
    auto next = head.find("\r\n", at);
    std::string line = head.substr(at, next - at);
    auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    request.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    if (next == std::string::npos) break;
    at = next + 2;
  }
  std::size_t length = 0;
  if (auto it = request.headers.find("content-length"); it != request.headers.end())
    length = std::stoul(it->second);
  if (pending.size() < end + 4 + length) return std::nullopt;
  request.body = pending.substr(end + 4, length);
  pending.erase(0, end + 4 + length);
  return request;
}

std::string HttpReply(int status, const std::string& body, const std::string& content_type) {
  return "HTTP/1.1 " + std::to_string(status) + " Reason\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string PingReply(const std::string& api_version, const std::string& engine) {
  return "HTTP/1.1 200 OK\r\nApi-Version: " + api_version + "\r\nServer: Docker/" + engine +
         " (linux)\r\nContent-Type: text/plain; "
         "charset=utf-8\r\nContent-Length: 2\r\n\r\nOK";
}

std::string ChunkedReply(int status, const std::string& body, std::size_t chunk_size) {
  std::string out =
      "HTTP/1.1 " + std::to_string(status) +
      " Reason\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size[32];
  for (std::size_t at = 0; at < body.size(); at += chunk_size) {
    std::string piece = body.substr(at, chunk_size);
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    out += size + piece + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string MultiplexedFrame(unsigned char type, const std::string& payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  const char header[8] = {static_cast<char>(type),
                          0,
                          0,
                          0,
                          static_cast<char>(n >> 24),
                          static_cast<char>(n >> 16),
                          static_cast<char>(n >> 8),
                          static_cast<char>(n)};
  return std::string(header, sizeof header) + payload;
}

std::string SymlinkTar(const std::string& name, const std::string& target) {
  std::string header(512, '\0');
  auto put = [&](std::size_t at, const std::string& s) { header.replace(at, s.size(), s); };
  put(0, name);
  put(100, "0000777");
  put(108, "0000000");
  put(116, "0000000");
  put(124, "00000000000");
  put(136, "00000000000");
  put(156, "2");  // typeflag: symlink
  put(157, target);
  put(257, std::string("ustar\0"
                       "00",
                       8));
  put(148, "        ");  // the checksum counts its own field as spaces
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  char checksum[8];
  std::snprintf(checksum, sizeof checksum, "%06o", sum);
  put(148, std::string(checksum, 6) + std::string("\0 ", 2));
  return header + std::string(1024, '\0');  // two zero blocks end the archive
}

Status GeneratedReplyStream::WriteAll(std::string_view data, Deadline) {
  pending_.append(data);
  while (auto request = TakeFakeRequest(pending_)) queued_.push_back(handler_(*request));
  return Status::Ok();
}

void GeneratedReplyStream::GenerateBody(std::size_t capacity, std::string& out) {
  const RepeatedBodyReply& r = *current_;
  const std::size_t end = std::min(r.body_size(), body_at_ + capacity);
  const std::size_t units_end = r.prefix.size() + r.unit.size() * r.count;
  while (body_at_ < end) {
    std::size_t n = 0;
    if (body_at_ < r.prefix.size()) {
      n = std::min(end, r.prefix.size()) - body_at_;
      out.append(r.prefix, body_at_, n);
    } else if (body_at_ < units_end) {
      const std::size_t in_unit = (body_at_ - r.prefix.size()) % r.unit.size();
      n = std::min(end - body_at_, r.unit.size() - in_unit);
      out.append(r.unit, in_unit, n);
    } else {
      n = end - body_at_;
      out.append(r.suffix, body_at_ - units_end, n);
    }
    body_at_ += n;
  }
}

Result<std::size_t> GeneratedReplyStream::ReadSome(char* buffer, std::size_t capacity, Deadline) {
  constexpr std::size_t kPiece = 16 * 1024;
  while (out_.empty()) {
    if (!current_) {
      if (queued_.empty()) {
        closed_ = true;
        return Status::Timeout("the generated daemon has no answer queued");
      }
      current_ = std::move(queued_.front());
      queued_.pop_front();
      body_at_ = 0;
      chunks_ended_ = false;
      out_ = "HTTP/1.1 " + std::to_string(current_->status) +
             " Reason\r\nContent-Type: application/json\r\n" +
             (current_->chunked
                  ? std::string("Transfer-Encoding: chunked\r\n")
                  : "Content-Length: " + std::to_string(current_->body_size()) + "\r\n") +
             "\r\n";
      continue;
    }
    if (!current_->chunked) {
      GenerateBody(kPiece, out_);
    } else if (body_at_ < current_->body_size()) {
      std::string piece;
      GenerateBody(kPiece, piece);
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
      out_ = size + piece + "\r\n";
    } else if (!chunks_ended_) {
      out_ = "0\r\n\r\n";
      chunks_ended_ = true;
    }
    if (out_.empty()) current_.reset();  // the whole answer went out
  }
  std::size_t n = std::min(capacity, out_.size());
  std::memcpy(buffer, out_.data(), n);
  out_.erase(0, n);
  return n;
}

/// A connection to a FakeDaemon.
class FakeDaemonStream : public ByteStream {
 public:
  explicit FakeDaemonStream(FakeDaemon* daemon) : daemon_(daemon) {}

  Status WriteAll(std::string_view data, Deadline) override {
    if (dropped()) return Status::Ok();  // lands in a socket the daemon closed
    if (upgraded_) {
      std::lock_guard lock(daemon_->mu_);
      daemon_->upgraded_input_.append(data);
      return Status::Ok();
    }
    pending_.append(data);
    // A pipelined batch may reach the drop point midway: what follows it is never served.
    while (!dropped()) {
      auto request = TakeFakeRequest(pending_);
      if (!request) break;
      std::lock_guard lock(daemon_->mu_);
      daemon_->requests_.push_back(*request);
      replies_ += daemon_->handler_(*request);
      ++served_;
      if (request->headers.count("upgrade")) {
        upgraded_ = true;
        daemon_->upgraded_input_.append(pending_);  // what came right after the request
        pending_.clear();
        break;
      }
    }
    return Status::Ok();
  }

  Status CloseWrite() override {
    std::lock_guard lock(daemon_->mu_);
    daemon_->input_closed_ = true;
    return Status::Ok();
  }

  void SetInterruption(std::function<bool()>) override {}  // never waits

  Result<std::size_t> ReadSome(char* buffer, std::size_t capacity, Deadline) override {
    if (replies_.empty() && (dropped() || upgraded_)) return std::size_t{0};
    if (replies_.empty()) {
      closed_ = true;
      return Status::Timeout("the fake daemon has no answer queued");
    }
    // Hand out small pieces so that parsers see responses split at arbitrary points.
    std::size_t n = std::min({capacity, replies_.size(), std::size_t{7}});
    std::memcpy(buffer, replies_.data(), n);
    replies_.erase(0, n);
    return n;
  }

  bool Usable() const override { return !closed_; }

 private:
  bool dropped() const { return daemon_->drop_after_ > 0 && served_ >= daemon_->drop_after_; }

  FakeDaemon* daemon_;
  std::string pending_;
  std::string replies_;
  bool closed_ = false;
  bool upgraded_ = false;  // hijacked: writes are raw input, the end of the replies is EOF
  int served_ = 0;
};

std::unique_ptr<ByteStream> FakeDaemon::Connect() {
  std::lock_guard lock(mu_);
  ++connections_;
  return std::make_unique<FakeDaemonStream>(this);
}

}  // namespace jlrec::testing
