// A Docker Engine API that lies: it listens on a Unix socket (which a lab host's sshd
// forwards to, as it would to a real dockerd), answers the version handshake properly and
// every later request with one chosen kind of broken or abusive reply.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "model/mutex.h"
#include "model/thread_annotations.h"

namespace jlrec::testing {

/// A hostile daemon on a Unix socket. Serves from construction to destruction, one thread per
/// connection; the destructor stops every thread (a hanging reply included) and removes the
/// socket file.
class HostileDockerApi {
 public:
  /// What every request but the version handshake (GET /_ping, GET /version) gets.
  enum class Mode {
    kMalformedStatusLine,    ///< "HTTP/1.1 two hundred\r\n", then the connection closes
    kShortContentLength,     ///< Content-Length smaller than the body that follows
    kLongContentLengthEof,   ///< Content-Length larger than the body, then the connection closes
    kLongContentLengthHang,  ///< Content-Length larger than the body, then silence (kept open)
    kBadChunkSize,           ///< chunked, a chunk size that is not hexadecimal
    kHugeChunkSize,          ///< chunked, a chunk size of 2^64-1, a few bytes, then close
    kHugeBody,               ///< a 50 MiB body (announced by Content-Length), not JSON
    kSlowDrip,      ///< a well-formed 404 answer, one byte per second (a full answer takes ~90 s)
    kControlBytes,  ///< a 500 whose reason phrase and JSON message hold terminal escapes
  };

  /// Every mode, for tests that go through them all.
  static std::vector<Mode> AllModes();
  /// The mode's name, for test output.
  static const char* Name(Mode mode);

  /// Starts serving on `socket_path` (made world-connectable; an old file there is removed).
  HostileDockerApi(std::string socket_path, Mode mode);
  ~HostileDockerApi();
  HostileDockerApi(const HostileDockerApi&) = delete;
  HostileDockerApi& operator=(const HostileDockerApi&) = delete;

  /// Requests other than the version handshake received so far.
  int hostile_replies() const { return hostile_replies_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);
  // Sends `bytes` (false once the peer is gone or the server stops).
  bool Send(int fd, const std::string& bytes) const;
  // Waits until the server stops or the peer closes, reading and dropping what comes.
  void WaitForStopOrClose(int fd) const;
  // Sleeps `ms`, but returns false at once when the server stops.
  bool Pause(int ms) const;

  const std::string path_;
  const Mode mode_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};  // written on destruction: wakes every poll
  std::atomic<int> hostile_replies_{0};
  std::thread acceptor_;
  Mutex mu_;
  std::vector<std::thread> connections_ GUARDED_BY(mu_);
};

}  // namespace jlrec::testing
