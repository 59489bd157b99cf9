// Test doubles for providers/: byte streams scripted chunk by chunk, and an in-memory
// Docker daemon that answers parsed HTTP requests.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "providers/byte_stream.h"

namespace jlrec::testing {

/// What a ScriptedStream will read and what was written to it.
struct StreamScript {
  std::deque<std::string> chunks;  ///< returned by successive ReadSome calls
  bool eof_at_end = true;          ///< when chunks run out: end of stream, else kTimeout
  std::string written;             ///< everything WriteAll received
  bool fail_writes = false;        ///< WriteAll reports a broken stream
  bool write_closed = false;       ///< CloseWrite was called
};

/// Replays a StreamScript; never waits (a stream that would block times out at once).
class ScriptedStream : public ByteStream {
 public:
  explicit ScriptedStream(std::shared_ptr<StreamScript> script) : script_(std::move(script)) {}
  Status WriteAll(std::string_view data, Deadline deadline) override;
  Result<std::size_t> ReadSome(char* buffer, std::size_t capacity, Deadline deadline) override;
  bool Usable() const override { return !ended_; }
  Status CloseWrite() override;
  void SetInterruption(std::function<bool()>) override {}  // never waits

 private:
  std::shared_ptr<StreamScript> script_;
  bool ended_ = false;
};

/// One request as the fake daemon parsed it.
struct FakeRequest {
  std::string method;
  std::string path;                            ///< decoded, without the query
  std::map<std::string, std::string> query;    ///< decoded
  std::map<std::string, std::string> headers;  ///< names lowercased
  std::string body;
};

/// Takes the first whole request (head and Content-Length body) off the front of `pending`;
/// nullopt while it is incomplete.
std::optional<FakeRequest> TakeFakeRequest(std::string& pending);

/// Decodes %XX escapes (and nothing else).
std::string PercentDecode(const std::string& s);

/// A Content-Length framed response.
std::string HttpReply(int status, const std::string& body,
                      const std::string& content_type = "application/json");
/// Docker's answer to GET /_ping: "OK", naming API version `api_version` and the engine in
/// its headers, as dockerd does (Docker 20.10 unless told).
std::string PingReply(const std::string& api_version = "1.41",
                      const std::string& engine = "20.10.24");
/// A chunked response with `body` split into chunks of `chunk_size` bytes.
std::string ChunkedReply(int status, const std::string& body, std::size_t chunk_size);

/// One frame of Docker's multiplexed stream: the 8-byte header for stream `type` (1 stdout,
/// 2 stderr, ...) and `payload`'s length, then the payload.
std::string MultiplexedFrame(unsigned char type, const std::string& payload);

/// A tar holding one symlink `name` -> `target`, as Docker's Go archive/tar writes it.
std::string SymlinkTar(const std::string& name, const std::string& target);

/// An answer whose body is `prefix`, `count` copies of `unit`, then `suffix`: made while it is
/// read, so that a test can send a body of any size without holding it in memory.
struct RepeatedBodyReply {
  int status = 200;
  std::string prefix;
  std::string unit;
  std::size_t count = 0;
  std::string suffix;
  bool chunked = true;  ///< as Docker frames a large JSON answer; else Content-Length
  /// How many bytes the body has.
  std::size_t body_size() const { return prefix.size() + unit.size() * count + suffix.size(); }
};

/// A connection to a daemon whose answers `handler` describes and that are generated while
/// they are read, 16 KiB at a time at most.
class GeneratedReplyStream : public ByteStream {
 public:
  using Handler = std::function<RepeatedBodyReply(const FakeRequest&)>;
  explicit GeneratedReplyStream(Handler handler) : handler_(std::move(handler)) {}
  Status WriteAll(std::string_view data, Deadline deadline) override;
  Result<std::size_t> ReadSome(char* buffer, std::size_t capacity, Deadline deadline) override;
  bool Usable() const override { return !closed_; }
  Status CloseWrite() override { return Status::Internal("GeneratedReplyStream: no half-close"); }
  void SetInterruption(std::function<bool()>) override {}  // never waits

 private:
  // Appends up to `capacity` bytes of the current reply's body to `out`.
  void GenerateBody(std::size_t capacity, std::string& out);

  Handler handler_;
  std::string pending_;                       // request bytes not yet parsed
  std::deque<RepeatedBodyReply> queued_;      // answers not yet started
  std::optional<RepeatedBodyReply> current_;  // the answer being read
  std::size_t body_at_ = 0;                   // bytes of current_'s body already sent
  bool chunks_ended_ = false;                 // current_'s last chunk went out
  std::string out_;                           // generated bytes not yet read
  bool closed_ = false;
};

/// An in-memory Docker daemon: each stream it opens parses the requests written to it
/// and queues `handler`'s raw answer for reading. Streams may be used from several
/// threads at once (the handler runs under the daemon's lock). A request asking to upgrade
/// (an `Upgrade` header: exec start) hijacks its connection as Docker does: what is written
/// after it is recorded as raw input (upgraded_input(), CloseWrite as input_closed()), and once
/// the handler's answer (the head and the whole raw output) is read, the stream ends.
class FakeDaemon {
 public:
  using Handler = std::function<std::string(const FakeRequest&)>;
  explicit FakeDaemon(Handler handler) : handler_(std::move(handler)) {}
  /// A new connection to the daemon.
  std::unique_ptr<ByteStream> Connect();
  /// Every request received, in order (read it when no stream is in use).
  const std::vector<FakeRequest>& requests() const { return requests_; }
  /// How many connections were opened.
  int connections() const {
    std::lock_guard lock(mu_);
    return connections_;
  }
  /// Everything written on hijacked connections after their upgrade request.
  std::string upgraded_input() const {
    std::lock_guard lock(mu_);
    return upgraded_input_;
  }
  /// True once a hijacked connection's sending side was closed (CloseWrite).
  bool input_closed() const {
    std::lock_guard lock(mu_);
    return input_closed_;
  }
  /// Simulates a daemon that drops idle keep-alive connections: after answering this many
  /// requests, a connection reads as closed (0 = never); requests pipelined past that point
  /// are never served.
  void DropConnectionsAfter(int requests) { drop_after_ = requests; }

 private:
  friend class FakeDaemonStream;
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<FakeRequest> requests_;
  int connections_ = 0;
  int drop_after_ = 0;
  std::string upgraded_input_;
  bool input_closed_ = false;
};

}  // namespace jlrec::testing
