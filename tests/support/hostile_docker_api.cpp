#include "support/hostile_docker_api.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace jlrec::testing {

namespace {

constexpr const char* kVersionBody =
    R"({"ApiVersion":"1.41","MinAPIVersion":"1.12","Version":"20.10-hostile"})";

std::string Answer(const std::string& status_line, const std::string& headers,
                   const std::string& body) {
  return status_line + "\r\n" + headers + "\r\n" + body;
}

std::string JsonAnswer(const std::string& status_line, const std::string& body) {
  return Answer(
      status_line,
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n",
      body);
}

// Case-insensitive search for a header's value in a request head; -1 if absent.
long ContentLengthOf(const std::string& head) {
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return -1;
  return std::strtol(head.c_str() + at + 17, nullptr, 10);
}

}  // namespace

std::vector<HostileDockerApi::Mode> HostileDockerApi::AllModes() {
  return {Mode::kMalformedStatusLine,
          Mode::kShortContentLength,
          Mode::kLongContentLengthEof,
          Mode::kLongContentLengthHang,
          Mode::kBadChunkSize,
          Mode::kHugeChunkSize,
          Mode::kHugeBody,
          Mode::kSlowDrip,
          Mode::kControlBytes};
}

const char* HostileDockerApi::Name(Mode mode) {
  switch (mode) {
    case Mode::kMalformedStatusLine:
      return "malformed status line";
    case Mode::kShortContentLength:
      return "Content-Length shorter than the body";
    case Mode::kLongContentLengthEof:
      return "Content-Length longer than the body, then close";
    case Mode::kLongContentLengthHang:
      return "Content-Length longer than the body, then silence";
    case Mode::kBadChunkSize:
      return "chunk size that is not hexadecimal";
    case Mode::kHugeChunkSize:
      return "chunk size of 2^64-1";
    case Mode::kHugeBody:
      return "50 MiB body";
    case Mode::kSlowDrip:
      return "slow drip (1 byte per second)";
    case Mode::kControlBytes:
      return "control bytes in the reason phrase and error body";
  }
  return "?";
}

HostileDockerApi::HostileDockerApi(std::string socket_path, Mode mode)
    : path_(std::move(socket_path)), mode_(mode) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long");
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink(path_.c_str());
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0)
    throw std::runtime_error("cannot listen on " + path_ + ": " + std::strerror(errno));
  chmod(path_.c_str(), 0777);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

HostileDockerApi::~HostileDockerApi() {
  (void)!write(stop_pipe_[1], "x", 1);
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    MutexLock lock(mu_);
    connections.swap(connections_);
  }
  for (std::thread& t : connections) t.join();
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
  unlink(path_.c_str());
}

void HostileDockerApi::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    MutexLock lock(mu_);
    connections_.emplace_back([this, fd] {
      Serve(fd);
      close(fd);
    });
  }
}

bool HostileDockerApi::Pause(int ms) const {
  pollfd stop = {stop_pipe_[0], POLLIN, 0};
  return poll(&stop, 1, ms) == 0;
}

bool HostileDockerApi::Send(int fd, const std::string& bytes) const {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    pollfd fds[2] = {{fd, POLLOUT, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return false;
    if (fds[1].revents) return false;
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EINTR && errno != EAGAIN) return false;
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  return true;
}

void HostileDockerApi::WaitForStopOrClose(int fd) const {
  char buf[4096];
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (fds[0].revents && read(fd, buf, sizeof buf) <= 0) return;
  }
}

void HostileDockerApi::Serve(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {
    // One request: the head, then Content-Length bytes of body.
    std::size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
      if (fds[1].revents) return;
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    const std::string head = in.substr(0, head_end);
    const long body = std::max(0L, ContentLengthOf(head));
    while (in.size() < head_end + 4 + static_cast<std::size_t>(body)) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    in.erase(0, head_end + 4 + static_cast<std::size_t>(body));
    const std::string request_line = head.substr(0, head.find("\r\n"));
    if (request_line.find(" /_ping ") != std::string::npos) {
      if (!Send(fd, Answer("HTTP/1.1 200 OK",
                           "API-Version: 1.41\r\nServer: Docker/20.10.24 (linux)\r\n"
                           "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n",
                           "OK")))
        return;
      continue;
    }
    if (request_line.find(" /version ") != std::string::npos) {
      if (!Send(fd, JsonAnswer("HTTP/1.1 200 OK", kVersionBody))) return;
      continue;
    }
    ++hostile_replies_;
    switch (mode_) {
      case Mode::kMalformedStatusLine:
        Send(fd, "HTTP/1.1 two hundred\r\nContent-Length: 2\r\n\r\n[]");
        return;
      case Mode::kShortContentLength:
        if (!Send(fd, Answer("HTTP/1.1 200 OK",
                             "Content-Type: application/json\r\nContent-Length: 5\r\n",
                             R"([{"Id":"0123456789abcdef","Names":["/x"]}])")))
          return;
        continue;  // what is left over is read as the next answer, if any
      case Mode::kLongContentLengthEof:
        Send(fd, Answer("HTTP/1.1 200 OK",
                        "Content-Type: application/json\r\nContent-Length: 100000\r\n", "[{"));
        return;
      case Mode::kLongContentLengthHang:
        if (Send(fd, Answer("HTTP/1.1 200 OK",
                            "Content-Type: application/json\r\nContent-Length: 100000\r\n", "[{")))
          WaitForStopOrClose(fd);
        return;
      case Mode::kBadChunkSize:
        Send(fd, Answer("HTTP/1.1 200 OK",
                        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                        "2\r\n[]\r\nzz-not-hex\r\n{}\r\n0\r\n\r\n"));
        return;
      case Mode::kHugeChunkSize:
        Send(fd, Answer("HTTP/1.1 200 OK",
                        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                        "ffffffffffffffff\r\n[{\"Id\":"));
        return;
      case Mode::kHugeBody: {
        // Valid JSON, so that it is parsed whole: one 50 MiB string in an array.
        const std::size_t size = std::size_t{50} << 20;
        if (!Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(size) + "\r\n\r\n[\""))
          return;
        const std::string block(1 << 20, 'A');
        for (std::size_t left = size - 4; left > 0;) {  // 4: the ["  "] around the string
          const std::size_t n = std::min(left, block.size());
          if (!Send(fd, block.substr(0, n))) return;
          left -= n;
        }
        if (!Send(fd, "\"]")) return;
        continue;
      }
      case Mode::kSlowDrip: {
        const std::string answer =
            JsonAnswer("HTTP/1.1 404 Not Found", R"({"message":"no such thing, slowly"})");
        for (char c : answer)
          if (!Send(fd, std::string(1, c)) || !Pause(1000)) return;
        continue;
      }
      case Mode::kControlBytes:
        // Raw in the reason phrase; JSON escapes (decoded into raw bytes) in the message.
        if (!Send(fd, JsonAnswer("HTTP/1.1 500 \x1b[2J\x1b]0;owned\x07Evil",
                                 R"({"message":"\u001b[31mred\u001b[0m \u0007bell )"
                                 R"(\u001b]2;title\u0007 \u0000nul"})")))
          return;
        continue;
    }
  }
}

}  // namespace jlrec::testing
